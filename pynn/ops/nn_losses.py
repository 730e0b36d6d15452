"""keras.ops' cross-entropies (``keras.ops.binary_crossentropy`` ...): unreduced, as Keras
returns them — one value per element for the binary one, one per sample for the
categorical ones. Each runs the fused loss op of pynn.ops.losses with reduction "none"
(its forward and backward), so values and gradients are those of the losses.

They replace, in the ``pynn.ops`` namespace, the fused functions of the same name, whose
default reduction is a mean: a ported ``keras.ops.binary_crossentropy(y, p)`` got a scalar
where Keras gives a value per element, and its caller's own ``ops.mean`` or per-sample
weighting then computed a silently different number. The reducing forms stay available as
``pynn.ops.losses.binary_crossentropy(..., reduction=...)``."""
from . import losses as _fused
from .arrange import moveaxis
from .shape import _tensor, reshape

__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]


def _same_shape(op, target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"{op}: target and output must have the same shape, got target "
                         f"{tuple(target.shape)} and output {tuple(output.shape)}")


def binary_crossentropy(target, output, from_logits=False):
    """Binary cross-entropy of each element (``keras.ops.binary_crossentropy``): not reduced.

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]``; with ``from_logits`` the
    stable ``max(x, 0) - x * y + log1p(exp(-|x|))`` is used.

    Parameters
    ----------
    target : Tensor or array_like
        Labels in [0, 1] (data: never receives a gradient).
    output : Tensor or array_like
        Probabilities (or logits), the shape of ``target``.
    from_logits : bool, default False
        ``output`` holds logits.

    Returns
    -------
    Tensor
        The loss of each element, shape ``target.shape``.

    Raises
    ------
    ValueError
        ``target`` and ``output`` of different shapes (both named).

    Examples
    --------
    >>> y = np.array([[0.0, 1.0], [1.0, 1.0]], np.float32)
    >>> p = np.array([[0.2, 0.9], [0.5, 0.99]], np.float32)
    >>> pynn.ops.binary_crossentropy(y, p).numpy().round(4)
    array([[0.2231, 0.1054],
           [0.6931, 0.0101]], dtype=float32)
    """
    t, o = _tensor(target), _tensor(output)
    _same_shape("binary_crossentropy", t, o)
    shape = tuple(t.shape)
    # a length-1 class axis: the fused op's per-sample mean is then the element's loss
    loss = _fused.binary_crossentropy(reshape(t, (-1, 1)), reshape(o, (-1, 1)),
                                      from_logits=from_logits, reduction="none")
    return reshape(loss, (-1,) + shape[1:]) if shape else reshape(loss, ())


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy of each sample (``keras.ops.categorical_crossentropy``).

    ``-sum(target * log(p))`` over ``axis``, with ``p`` the output renormalised to
    sum 1 and clipped to ``[1e-7, 1 - 1e-7]``, or ``log_softmax(output)`` with
    ``from_logits``. Not reduced over the samples.

    Parameters
    ----------
    target : Tensor or array_like
        One-hot (or probability) labels.
    output : Tensor or array_like
        Probabilities (or logits), the shape of ``target``.
    from_logits : bool, default False
        ``output`` holds logits.
    axis : int, default -1
        The class axis.

    Returns
    -------
    Tensor
        The loss of each sample: ``output``'s shape without ``axis``.

    Raises
    ------
    ValueError
        ``target`` and ``output`` of different shapes, or an axis out of range.

    Examples
    --------
    >>> y = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
    >>> p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], np.float32)
    >>> pynn.ops.categorical_crossentropy(y, p).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    t, o = _tensor(target), _tensor(output)
    _same_shape("categorical_crossentropy", t, o)
    t, o = _class_axis_last("categorical_crossentropy", t, axis), \
        _class_axis_last("categorical_crossentropy", o, axis)
    return _fused.categorical_crossentropy(t, o, from_logits=from_logits, reduction="none")


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of each sample with integer labels
    (``keras.ops.sparse_categorical_crossentropy``); not reduced.

    Parameters
    ----------
    target : Tensor or array_like
        Integer class ids, ``output``'s shape without ``axis`` (a trailing 1 is squeezed).
    output : Tensor or array_like
        Probabilities (or logits).
    from_logits : bool, default False
        ``output`` holds logits.
    axis : int, default -1
        The class axis of ``output``.

    Returns
    -------
    Tensor
        The loss of each sample: ``output``'s shape without ``axis``.

    Raises
    ------
    ValueError
        Labels that are not integers in ``[0, num_classes)``, shapes that do not
        match, or an axis out of range.

    Examples
    --------
    >>> p = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], np.float32)
    >>> pynn.ops.sparse_categorical_crossentropy(np.array([1, 2]), p).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    o = _class_axis_last("sparse_categorical_crossentropy", _tensor(output), axis)
    return _fused.sparse_categorical_crossentropy(target, o, from_logits=from_logits,
                                                  reduction="none")


def _class_axis_last(op, x, axis):
    nd = len(x.shape)
    if not -nd <= axis < nd:
        raise ValueError(f"{op}: axis {axis} is out of range for an output of shape "
                         f"{tuple(x.shape)}")
    return x if axis % nd == nd - 1 else moveaxis(x, axis, -1)
