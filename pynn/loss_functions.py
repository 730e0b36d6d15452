"""Keras 3's per-sample loss functions that are compositions of pynn.ops (their
gradients come from the ops' own backward passes), and the loss classes over them.

Each function transcribes keras/src/losses/losses.py (Keras 3.15): same epsilon
(1e-7), same clipping, same order of operations, so float32 values agree with
Keras to rounding. See https://keras.io/api/losses/."""
import numpy as np

from . import ops
from .ops import losses as _fused_losses
from .ops.symbolic import symbolic_aware

# pynn.ops' cross-entropies are keras.ops' (unreduced, no sample weights); the losses'
# function forms run the fused engine ops, recorded as graph nodes on symbolic tensors
_fused = {name: symbolic_aware(getattr(_fused_losses, name)) for name in
          ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")}

EPSILON = 1e-7  # Keras' backend.epsilon()


def _tensors(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(ops.convert_to_tensor(y_true), "float32"), y_pred


def class_axis_last(y_true, y_pred, axis):
    """Labels and predictions with their class axis ``axis`` moved last (channels-first
    data): the losses then reduce over the last axis, as Keras does over ``axis``."""
    y_pred = ops.convert_to_tensor(y_pred)
    if axis == -1 or axis == y_pred.ndim - 1:
        return y_true, y_pred
    if not isinstance(axis, (int, np.integer)) or not -y_pred.ndim <= axis < y_pred.ndim:
        raise ValueError(f"axis {axis!r} is out of range for predictions of shape "
                         f"{tuple(y_pred.shape)}")
    return (ops.moveaxis(ops.convert_to_tensor(y_true), axis, -1),
            ops.moveaxis(y_pred, axis, -1))


def _only_last_axis(name, axis):
    if axis != -1:
        raise ValueError(f"{name}: only axis=-1 (the last axis) is supported, got axis={axis!r}")


def _hinge_labels(y_true):
    """Keras' convert_binary_labels_to_hinge: labels that are all 0 or 1 become -1 / 1;
    any other labels are used as they are. A tensor condition, so it also holds in a
    compiled graph where the labels are not known in advance."""
    binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(binary, y_true * 2.0 - 1.0, y_true)


def squared_hinge(y_true, y_pred):
    """Per-sample squared hinge loss: ``mean(max(1 - y_true * y_pred, 0)**2)`` over the
    last axis. Labels all in {0, 1} are first mapped to {-1, 1}, as Keras.

    Parameters
    ----------
    y_true : array_like or Tensor
        Labels, -1/1 or 0/1.
    y_pred : array_like or Tensor
        Predictions (margins), the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.squared_hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])).numpy()
    array([1.25], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    margin = ops.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Per-sample categorical hinge loss: ``max(neg - pos + 1, 0)`` with
    ``pos = sum(y_true * y_pred)`` and ``neg = max((1 - y_true) * y_pred)`` over the
    last axis.

    Parameters
    ----------
    y_true : array_like or Tensor
        One-hot labels ``(batch, classes)``.
    y_pred : array_like or Tensor
        Scores, the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])).numpy()
    array([1.2], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample mean squared logarithmic error:
    ``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2)`` over the last axis.

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets (non-negative).
    y_pred : array_like or Tensor
        Predictions, the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> d = pynn.losses.mean_squared_logarithmic_error(np.array([[0.0, 1.0]]),
    ...                                                np.array([[1.0, 1.0]]))
    >>> d.numpy().round(4)
    array([0.2402], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, EPSILON) + 1.0)
    second = ops.log(ops.maximum(y_true, EPSILON) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def _l2_normalize(x, axis):
    # Keras' ops.normalize(order=2): x * min(rsqrt(sum(x**2)), 1/eps)
    inv = ops.minimum(ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)), 1.0 / EPSILON)
    return x * inv


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample negative cosine similarity ``-sum(l2_normalize(y_true) *
    l2_normalize(y_pred))`` along ``axis`` (-1: opposite, 0: orthogonal, 1: same).

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets.
    y_pred : array_like or Tensor
        Predictions, the shape of ``y_true``.
    axis : int, default -1
        The axis along which the similarity is computed.

    Returns
    -------
    Tensor
        The values with ``axis`` reduced.

    Examples
    --------
    >>> pynn.losses.cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]),
    ...                               np.array([[1.0, 0.0], [1.0, 1.0]])).numpy().round(4)
    array([-0., -1.], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.negative(ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis),
                                axis=axis))


def log_cosh(y_true, y_pred):
    """Per-sample mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed as
    ``x + softplus(-2x) - log(2)`` (no overflow for large errors).

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets.
    y_pred : array_like or Tensor
        Predictions, the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.log_cosh(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])).numpy().round(4)
    array([0.2169], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - float(np.log(2.0)), axis=-1)


def poisson(y_true, y_pred):
    """Per-sample Poisson loss ``mean(y_pred - y_true * log(y_pred + eps))`` over the last
    axis.

    Parameters
    ----------
    y_true : array_like or Tensor
        Observed counts.
    y_pred : array_like or Tensor
        Predicted rates (positive), the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.poisson(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]])).numpy().round(4)
    array([1.], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


def _clipped_bce(y_true, p):
    # Keras' ops.binary_crossentropy on probabilities: clip to [eps, 1 - eps]
    p = ops.clip(p, EPSILON, 1.0 - EPSILON)
    return ops.negative(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross-entropy (Lin et al., 2017): the binary cross-entropy
    of each element times ``(1 - p_t)**gamma``, averaged over the last axis.

    ``p_t = y * p + (1 - y) * (1 - p)``; with ``apply_class_balancing`` each element is
    also weighted by ``alpha`` (positives) or ``1 - alpha`` (negatives).

    Parameters
    ----------
    y_true : array_like or Tensor
        0/1 labels.
    y_pred : array_like or Tensor
        Probabilities, or logits with ``from_logits=True``.
    apply_class_balancing : bool, default False
    alpha : float, default 0.25
    gamma : float, default 2.0
        The focusing exponent; 0 gives the binary cross-entropy.
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - s) + 0.5 * s``.
    axis : int, default -1
        Only -1 is supported.

    Returns
    -------
    Tensor
        One value per sample.

    Raises
    ------
    ValueError
        ``axis`` other than -1.

    Examples
    --------
    >>> pynn.losses.binary_focal_crossentropy(np.array([[0.0, 1.0]]),
    ...                                       np.array([[0.4, 0.6]])).numpy().round(4)
    array([0.0817], dtype=float32)
    """
    _only_last_axis("binary_focal_crossentropy", axis)
    y_true, y_pred = _tensors(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _clipped_bce(y_true, y_pred)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=-1)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal cross-entropy:
    ``sum(alpha * (1 - p)**gamma * -y_true * log(p))`` over the classes, ``p`` the
    predictions renormalised to sum to 1 and clipped to ``[eps, 1 - eps]``.

    Parameters
    ----------
    y_true : array_like or Tensor
        One-hot (or probability) labels ``(batch, classes)``.
    y_pred : array_like or Tensor
        Probabilities, or logits with ``from_logits=True``.
    alpha : float, default 0.25
    gamma : float, default 2.0
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - s) + s / classes``.
    axis : int, default -1
        The class axis (e.g. 1 for channels-first data).

    Returns
    -------
    Tensor
        One value per sample.

    Raises
    ------
    ValueError
        ``axis`` out of range.

    Examples
    --------
    >>> pynn.losses.categorical_focal_crossentropy(np.array([[0.0, 1.0]]),
    ...                                            np.array([[0.4, 0.6]])).numpy().round(4)
    array([0.0204], dtype=float32)
    """
    y_true, y_pred = _tensors(*class_axis_last(y_true, y_pred, axis))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=-1)
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    p = ops.clip(p, EPSILON, 1.0 - EPSILON)
    cce = ops.negative(y_true) * ops.log(p)
    return ops.sum(ops.power(1.0 - p, gamma) * alpha * cce, axis=-1)


def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)``,
    summed over ``axis`` (default: every axis, one value for the batch).

    Parameters
    ----------
    y_true : array_like or Tensor
        Target masks.
    y_pred : array_like or Tensor
        Predicted masks, the shape of ``y_true``.
    axis : int or tuple of int, optional
        The axes summed; e.g. ``(1, 2)`` gives one value per image.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> round(pynn.losses.dice(np.array([[1.0, 0.0], [1.0, 1.0]]),
    ...                        np.array([[0.5, 0.5], [1.0, 0.0]])).numpy().item(), 4)
    0.4
    >>> pynn.losses.dice(np.array([[1.0, 0.0], [1.0, 1.0]]),
    ...                  np.array([[0.5, 0.5], [1.0, 0.0]]), axis=1).numpy().round(4)
    array([0.5   , 0.3333], dtype=float32)
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    total = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + EPSILON
    return 1.0 - intersection * 2.0 / total


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha * FP + beta * FN + eps)`` with soft counts
    summed over ``axis`` (default: every axis). ``alpha = beta = 0.5`` is the Dice loss.

    ``FP = sum(y_pred * (1 - y_true))`` (predicted where the target is 0) and
    ``FN = sum((1 - y_pred) * y_true)``, as Salehi et al. (2017) and Keras since
    keras-team/keras#23333 (Keras 3.15 and earlier swapped alpha and beta).

    Parameters
    ----------
    y_true : array_like or Tensor
        Target masks.
    y_pred : array_like or Tensor
        Predicted masks, the shape of ``y_true``.
    alpha : float, default 0.5
    beta : float, default 0.5
    axis : int or tuple of int, optional

    Returns
    -------
    Tensor

    Examples
    --------
    >>> round(pynn.losses.tversky(np.array([[1.0, 0.0], [1.0, 1.0]]),
    ...                           np.array([[0.5, 0.5], [1.0, 0.0]]),
    ...                           alpha=0.2, beta=0.8).numpy().item(), 4)
    0.4643
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    tp = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    fn = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + EPSILON)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Per-sample generalized cross-entropy (Zhang & Sabuncu, 2018) for noisy labels:
    ``(1 - p**q) / q``, ``p`` the predicted probability of the true class.

    Parameters
    ----------
    y_true : array_like or Tensor
        Integer class ids ``(batch,)``.
    y_pred : array_like or Tensor
        Probabilities ``(batch, classes)``.
    q : float
        In (0, 1): towards 0 the cross-entropy, at 1 the mean absolute error.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.categorical_generalized_cross_entropy(
    ...     np.array([1, 0]), np.array([[0.3, 0.7], [0.64, 0.36]]), q=0.5).numpy().round(4)
    array([0.3267, 0.4   ], dtype=float32)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    one_hot = ops.one_hot(ops.cast(ops.convert_to_tensor(y_true), "int32"), y_pred.shape[-1])
    p = ops.sum(y_pred * ops.cast(one_hot, "float32"), axis=-1)
    return (1.0 - ops.power(p, q)) / q


# Keras' function forms of the losses that are single fused engine ops
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy (Keras' ``losses.binary_crossentropy``), the
    mean over the last axis; the fused engine op of `pynn.losses.BinaryCrossentropy`.

    Parameters
    ----------
    y_true : array_like or Tensor
        0/1 labels.
    y_pred : array_like or Tensor
        Probabilities, or logits with ``from_logits=True``.
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1
        Only -1 is supported.

    Returns
    -------
    Tensor
        One value per sample.

    Raises
    ------
    ValueError
        ``axis`` other than -1.

    Examples
    --------
    >>> pynn.losses.binary_crossentropy(np.array([[0.0, 1.0]]),
    ...                                 np.array([[0.4, 0.6]])).numpy().round(4)
    array([0.5108], dtype=float32)
    """
    _only_last_axis("binary_crossentropy", axis)
    return _fused["binary_crossentropy"](y_true, y_pred, from_logits=from_logits,
                                   label_smoothing=label_smoothing, reduction="none")


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross-entropy (Keras' ``losses.categorical_crossentropy``);
    the fused engine op of `pynn.losses.CategoricalCrossentropy`.

    Parameters
    ----------
    y_true : array_like or Tensor
        One-hot labels ``(batch, classes)``.
    y_pred : array_like or Tensor
        Probabilities, or logits with ``from_logits=True``.
    from_logits : bool, default False
    label_smoothing : float, default 0.0
    axis : int, default -1
        The class axis (e.g. 1 for channels-first data).

    Returns
    -------
    Tensor
        One value per sample.

    Raises
    ------
    ValueError
        ``axis`` out of range.

    Examples
    --------
    >>> pynn.losses.categorical_crossentropy(np.array([[0.0, 1.0]]),
    ...                                      np.array([[0.4, 0.6]])).numpy().round(4)
    array([0.5108], dtype=float32)
    """
    y_true, y_pred = class_axis_last(y_true, y_pred, axis)
    return _fused["categorical_crossentropy"](y_true, y_pred, from_logits=from_logits,
                                        label_smoothing=label_smoothing, reduction="none")


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Per-sample cross-entropy for integer class ids (Keras'
    ``losses.sparse_categorical_crossentropy``); the fused engine op.

    Parameters
    ----------
    y_true : array_like or Tensor
        Class ids ``(batch,)`` or ``(batch, 1)``.
    y_pred : array_like or Tensor
        Probabilities ``(batch, classes)``, or logits with ``from_logits=True``.
    from_logits : bool, default False
    axis : int, default -1
        Only -1 is supported.

    Returns
    -------
    Tensor
        One value per sample.

    Raises
    ------
    ValueError
        ``axis`` other than -1, or a class id out of range.

    Examples
    --------
    >>> pynn.losses.sparse_categorical_crossentropy(np.array([1]),
    ...                                             np.array([[0.4, 0.6]])).numpy().round(4)
    array([0.5108], dtype=float32)
    """
    _only_last_axis("sparse_categorical_crossentropy", axis)
    return _fused["sparse_categorical_crossentropy"](y_true, y_pred, from_logits=from_logits,
                                               reduction="none")


def hinge(y_true, y_pred):
    """Per-sample hinge loss ``mean(max(1 - y_true * y_pred, 0))`` (Keras'
    ``losses.hinge``); 0/1 labels become -1/1.

    Parameters
    ----------
    y_true : array_like or Tensor
        Labels, -1/1 or 0/1.
    y_pred : array_like or Tensor
        Margins, the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.hinge(np.array([[1.0, -1.0]]), np.array([[0.5, -2.0]])).numpy()
    array([0.25], dtype=float32)
    """
    return ops.hinge(y_true, y_pred, reduction="none")


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (Keras' ``losses.huber``): ``0.5 * e**2`` for ``|e| <= delta``,
    else ``delta * |e| - 0.5 * delta**2``, averaged over the last axis.

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets.
    y_pred : array_like or Tensor
        Predictions, the shape of ``y_true``.
    delta : float, default 1.0

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.huber(np.array([[0.0], [0.0]]), np.array([[0.5], [3.0]])).numpy()
    array([0.125, 2.5  ], dtype=float32)
    """
    return ops.huber(y_true, y_pred, delta=delta, reduction="none")


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error (Keras' ``losses.mean_absolute_error``, ``mae``).

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets.
    y_pred : array_like or Tensor
        Predictions, the shape of ``y_true``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.mean_absolute_error(np.array([[0.0, 1.0]]), np.array([[0.5, 0.0]])).numpy()
    array([0.75], dtype=float32)
    """
    return ops.mean_absolute_error(y_true, y_pred, reduction="none")


def _loss_class(cls_name, fn, defaults, doc, validate=None):
    """A Loss class over fn, as Keras' LossFunctionWrapper: labels and predictions are
    first brought to the same rank, then fn's values are weighted and reduced."""
    from .losses import Loss, _reduce, _same_rank

    def __init__(self, *, name=None, reduction="sum_over_batch_size", dtype=None, **kw):
        unknown = set(kw) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name}: unexpected argument(s) {sorted(unknown)}; it takes "
                            f"{sorted(defaults) + ['name', 'reduction', 'dtype']}")
        config = {**defaults, **kw}
        if validate is not None:
            validate(config)
        Loss.__init__(self, name=name or fn.__name__, reduction=reduction, **config)

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        y_true, y_pred = _same_rank(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
        return _reduce(fn(y_true, y_pred, **self.config), sample_weight, reduction, self.name)

    call.__doc__ = f"""The loss with an explicit reduction (``loss(y_true, y_pred)`` uses the
        loss's own).

        Parameters
        ----------
        y_true : array_like or Tensor
            Targets.
        y_pred : array_like or Tensor
            Predictions.
        sample_weight : array_like or Tensor, optional
            One weight per sample.
        reduction : {{"sum_over_batch_size", "sum", "none"}}

        Returns
        -------
        Tensor

        Examples
        --------
        >>> loss = pynn.losses.{cls_name}()
        >>> loss.call(np.array([[0.0, 1.0]]), np.array([[0.3, 0.7]]), reduction="none").shape
        (1,)
        """
    return type(cls_name, (Loss,), {"__init__": __init__, "call": call, "__doc__": doc,
                                    "__module__": "pynn.losses"})


_COMMON = """name : str, optional
    The loss's name in logs (default: the snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    The weighted sum over the batch divided by the number of samples, the sum, or
    one value per sample.
dtype : None
    Accepted for Keras compatibility (pynn computes in float32)."""


def _doc(summary, params, example):
    return (f"{summary}\n\nParameters\n----------\n{params}{_COMMON}\n\nRaises\n------\n"
            f"TypeError\n    An argument the loss does not take.\nValueError\n"
            f"    An unknown reduction.\n\nExamples\n--------\n{example}\n")


SquaredHinge = _loss_class("SquaredHinge", squared_hinge, {}, _doc(
    "Squared hinge loss (see `squared_hinge`); Keras' ``losses.SquaredHinge``.", "",
    ">>> pynn.losses.SquaredHinge()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])).numpy()\n"
    "array(1.25, dtype=float32)"))
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, {}, _doc(
    "Categorical hinge loss (see `categorical_hinge`).", "",
    ">>> pynn.losses.CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]])).numpy()\n"
    "array(1.2, dtype=float32)"))
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, {}, _doc(
        "Mean squared logarithmic error (see `mean_squared_logarithmic_error`); Keras' "
        "``'msle'``.", "",
        ">>> loss = pynn.losses.MeanSquaredLogarithmicError()\n"
        ">>> print(loss(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])).numpy().round(4))\n"
        "0.2402"))
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, {"axis": -1}, _doc(
    "Negative cosine similarity (see `cosine_similarity`); minimising it aligns the vectors.",
    "axis : int, default -1\n    The axis along which the similarity is computed.\n",
    ">>> print(pynn.losses.CosineSimilarity()(np.array([[0.0, 1.0], [1.0, 1.0]]),\n"
    "...                                np.array([[1.0, 0.0], [1.0, 1.0]])).numpy().round(4))\n"
    "-0.5"))
LogCosh = _loss_class("LogCosh", log_cosh, {}, _doc(
    "Logarithm of the hyperbolic cosine of the error (see `log_cosh`): about ``x**2 / 2`` "
    "for small errors, ``|x| - log(2)`` for large ones.", "",
    ">>> loss = pynn.losses.LogCosh()\n"
    ">>> print(loss(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])).numpy().round(4))\n"
    "0.2169"))
Poisson = _loss_class("Poisson", poisson, {}, _doc(
    "Poisson loss (see `poisson`), for count data.", "",
    ">>> loss = pynn.losses.Poisson()\n"
    ">>> print(loss(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]])).numpy().round(4))\n"
    "1.0"))
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy,
    {"apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0, "from_logits": False,
     "label_smoothing": 0.0, "axis": -1}, _doc(
        "Binary focal cross-entropy (see `binary_focal_crossentropy`): down-weights easy "
        "examples, for imbalanced binary labels.",
        "apply_class_balancing : bool, default False\nalpha : float, default 0.25\n"
        "gamma : float, default 2.0\nfrom_logits : bool, default False\n"
        "label_smoothing : float, default 0.0\naxis : int, default -1\n",
        ">>> loss = pynn.losses.BinaryFocalCrossentropy(gamma=2.0)\n"
        ">>> print(loss(np.array([[0.0, 1.0]]), np.array([[0.4, 0.6]])).numpy().round(4))\n"
        "0.0817"))
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    {"alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0, "axis": -1},
    _doc("Categorical focal cross-entropy (see `categorical_focal_crossentropy`), for "
         "imbalanced one-hot labels.",
         "alpha : float, default 0.25\ngamma : float, default 2.0\n"
         "from_logits : bool, default False\nlabel_smoothing : float, default 0.0\n"
         "axis : int, default -1\n",
         ">>> loss = pynn.losses.CategoricalFocalCrossentropy()\n"
         ">>> print(loss(np.array([[0.0, 1.0]]), np.array([[0.4, 0.6]])).numpy().round(4))\n"
         "0.0204"))
Dice = _loss_class("Dice", dice, {"axis": None}, _doc(
    "Dice loss (see `dice`), for segmentation masks.",
    "axis : int or tuple of int, optional\n    The axes summed (default: all).\n",
    ">>> print(pynn.losses.Dice()(np.array([[1.0, 0.0], [1.0, 1.0]]),\n"
    "...                    np.array([[0.5, 0.5], [1.0, 0.0]])).numpy().round(4))\n"
    "0.4"))
Tversky = _loss_class("Tversky", tversky, {"alpha": 0.5, "beta": 0.5, "axis": None}, _doc(
    "Tversky loss (see `tversky`): the Dice loss with separate weights of false positives "
    "and false negatives.",
    "alpha : float, default 0.5\nbeta : float, default 0.5\n"
    "axis : int or tuple of int, optional\n",
    ">>> print(pynn.losses.Tversky(alpha=0.2, beta=0.8)(np.array([[1.0, 0.0], [1.0, 1.0]]),\n"
    "...     np.array([[0.5, 0.5], [1.0, 0.0]])).numpy().round(4))\n"
    "0.4643"))


def _check_q(config):
    if not 0 < config["q"] < 1:
        raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in the interval (0, 1), "
                         f"got q={config['q']!r}")


CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy, {"q": 0.5}, _doc(
        "Generalized cross-entropy for noisy integer labels (see "
        "`categorical_generalized_cross_entropy`).",
        "q : float, default 0.5\n    In (0, 1); otherwise ValueError.\n",
        ">>> loss = pynn.losses.CategoricalGeneralizedCrossEntropy(q=0.5)\n"
        ">>> print(loss(np.array([1, 0]), np.array([[0.3, 0.7], [0.64, 0.36]])).numpy().round(4))\n"
        "0.3633"), validate=_check_q)
