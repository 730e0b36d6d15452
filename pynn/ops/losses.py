"""pynn.ops.losses: fused Keras 3 losses, computed (forward and backward) in C.

Every function takes Keras' argument order ``(y_true, y_pred)`` and returns a
Tensor:

* ``reduction="sum_over_batch_size"`` (default; ``"mean"`` is the same):
  a scalar, sum(w * l) / number of per-sample loss values (0 for an empty batch);
* ``"sum"``: sum(w * l); ``"mean_with_sample_weight"``: sum(w * l) / sum(w);
* ``"none"`` (or None): the weighted per-sample losses w * l, shape
  ``y_pred.shape[:-1]`` — what DP-SGD and per-sample metrics need.

The per-sample loss l averages over the last axis for mse, mae, huber, hinge
and binary_crossentropy, and sums over the class axis for the categorical
losses, as Keras does. ``sample_weight`` (w) has one weight per sample, shape
(N,) or (N, 1); it broadcasts over any further axes of l.

y_true (N,) against y_pred (N, 1) is accepted (Keras'
squeeze_or_expand_to_same_rank); other mismatches raise ValueError naming both
shapes. The fused op's gradient flows to ``y_pred`` only; a ``y_true`` that needs a
gradient itself (a Tensor computed from weights, as the critic's value in keras.io's
actor-critic) takes a path of plain ops that differentiates both, as Keras does
(mse, mae, huber and the binary / categorical cross-entropies). ``sample_weight`` is
data.

Numerics: probabilities are clipped to [1e-7, 1 - 1e-7] (float32 bounds, as in
Keras), and the gradient is zero where the clip is active. ``from_logits=True``
uses ``max(x, 0) - x*y + log1p(exp(-|x|))`` for binary and a fused log-softmax
for categorical cross-entropy, which stay finite and exact at any logit
(Keras' TF/JAX/torch backends agree; its NumPy backend instead clips
sigmoid(x), which caps the loss near 16.1).
"""
import numbers

import numpy as np

from .. import _C
from .shape import _tensor

__all__ = ["mean_squared_error", "mean_absolute_error", "huber", "hinge",
           "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "mse", "mae", "REDUCTIONS"]

#: the reductions a loss takes -> the engine's name for it
REDUCTIONS = {"sum_over_batch_size": "sum_over_batch_size", "mean": "sum_over_batch_size",
              "none": "none", None: "none", "sum": "sum",
              "mean_with_sample_weight": "mean_with_sample_weight"}


def _apply(op, y_true, y_pred, sample_weight, reduction, **attrs):
    try:
        attrs["reduction"] = REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{op}: invalid reduction {reduction!r}; expected one of "
                         f"{sorted(k for k in REDUCTIONS if k)} or None") from None
    if isinstance(y_true, _C.Tensor) and y_true.requires_grad and op in _COMPOSITE:
        return _differentiable_in_y_true(op, y_true, y_pred, sample_weight, **attrs)
    inputs = [_tensor(y_pred), _tensor(y_true)]
    if sample_weight is not None:
        inputs.append(_tensor(sample_weight))
    return _C.apply(op, inputs, **attrs)


def _per_sample(op, t, p, from_logits=False, label_smoothing=0.0, delta=1.0):
    """The per-sample loss of `op` from differentiable ops (Keras' formulas)."""
    from . import activations as act
    from .. import ops
    eps = 1e-7
    if op == "mean_squared_error":
        return ops.mean(ops.square(p - t), axis=-1)
    if op == "mean_absolute_error":
        return ops.mean(ops.abs(p - t), axis=-1)
    if op == "huber":
        a = ops.abs(p - t)
        q = ops.minimum(a, delta)
        return ops.mean(0.5 * q * q + delta * (a - q), axis=-1)
    if op == "binary_crossentropy":
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else t
        if from_logits:
            return ops.mean(ops.relu(p) - p * t + ops.log1p(ops.exp(-ops.abs(p))), axis=-1)
        pc = ops.clip(p, eps, 1.0 - eps)
        return ops.mean(-(t * ops.log(pc) + (1.0 - t) * ops.log(1.0 - pc)), axis=-1)
    # categorical_crossentropy
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / p.shape[-1]
    if from_logits:
        return -ops.sum(t * act.log_softmax(p, axis=-1), axis=-1)
    pc = ops.clip(p / ops.sum(p, axis=-1, keepdims=True), eps, 1.0 - eps)
    return -ops.sum(t * ops.log(pc), axis=-1)


def _differentiable_in_y_true(op, y_true, y_pred, sample_weight, reduction, **attrs):
    """The loss when y_true itself needs a gradient (keras.io's actor-critic passes the
    critic's value as y_true of Huber): the fused op treats y_true as data, so this
    path builds the same loss from ops that differentiate both arguments, as Keras."""
    from .. import ops
    p = _tensor(y_pred)
    t = y_true
    if len(t.shape) == len(p.shape) + 1 and t.shape[-1] == 1:
        t = ops.squeeze(t, -1)
    if len(p.shape) == len(t.shape) + 1 and p.shape[-1] == 1:
        t = ops.expand_dims(t, -1)
    per = _per_sample(op, t, p, **attrs)
    w = None
    if sample_weight is not None:
        w = ops.stop_gradient(_tensor(sample_weight))  # data, as on the fused path
        w = ops.reshape(w, (-1,) + (1,) * (len(per.shape) - 1)) * ops.ones_like(per)
        per = per * w
    if reduction == "none":
        return per
    total = ops.sum(per)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and w is not None:
        return total / ops.sum(w)
    return total / float(max(int(np.prod(per.shape)), 1))


_COMPOSITE = ("mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy",
              "categorical_crossentropy")


def _smoothing(op, label_smoothing):
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be a float in [0, 1], got {label_smoothing!r}")
    return float(label_smoothing)


def mean_squared_error(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """Mean squared error ``mean((y_pred - y_true)**2, axis=-1)`` per sample, reduced (also
    ``mse``).

    One fused engine op (forward and backward in C).

    Parameters
    ----------
    y_true : Tensor or array_like
        Targets (data: never receives a gradient).
    y_pred : Tensor or array_like
        Predictions, samples first.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).

    Examples
    --------
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> pynn.ops.mean_squared_error(y_true, y_pred, reduction="none").numpy()
    array([0.01, 0.04], dtype=float32)
    >>> round(pynn.ops.mse(y_true, y_pred).numpy().item(), 4)
    0.025
    """
    return _apply("mean_squared_error", y_true, y_pred, sample_weight, reduction)


def mean_absolute_error(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """Mean absolute error ``mean(|y_pred - y_true|, axis=-1)`` per sample, reduced (also ``mae``).

    Parameters
    ----------
    y_true : Tensor or array_like
        Targets (data: never receives a gradient).
    y_pred : Tensor or array_like
        Predictions, samples first.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).

    Examples
    --------
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> pynn.ops.mean_absolute_error(y_true, y_pred, reduction="none").numpy().round(4)
    array([0.1, 0.2], dtype=float32)
    """
    return _apply("mean_absolute_error", y_true, y_pred, sample_weight, reduction)


mse = mean_squared_error
mae = mean_absolute_error


def huber(y_true, y_pred, delta=1.0, sample_weight=None, reduction="sum_over_batch_size"):
    """Huber loss, quadratic for small errors and linear for large ones, reduced.

    Per element ``0.5 * e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``
    (e = y_pred - y_true), averaged over the last axis; torch's
    ``huber_loss(delta=d)`` is the same.

    Parameters
    ----------
    y_true : Tensor or array_like
        Targets (data: never receives a gradient).
    y_pred : Tensor or array_like
        Predictions, samples first.
    delta : float, default 1.0
        Where the loss turns linear.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).

    Examples
    --------
    >>> pynn.ops.huber(np.zeros((2, 1)), np.array([[0.5], [3.0]], np.float32),
    ...                reduction="none").numpy()
    array([0.125, 2.5  ], dtype=float32)
    """
    if not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    return _apply("huber", y_true, y_pred, sample_weight, reduction, delta=float(delta))


def hinge(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """Hinge loss ``mean(max(1 - y_true * y_pred, 0), axis=-1)``, reduced.

    Labels that are all 0 or 1 are mapped to -1 / 1 first (Keras' rule, decided
    over the whole y_true).

    Parameters
    ----------
    y_true : Tensor or array_like
        Targets (data: never receives a gradient).
    y_pred : Tensor or array_like
        Predictions, samples first.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).

    Examples
    --------
    >>> pynn.ops.hinge(np.array([[1.0, -1.0]]), np.array([[0.5, -2.0]], np.float32)).numpy()
    array(0.25, dtype=float32)
    """
    return _apply("hinge", y_true, y_pred, sample_weight, reduction)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                        sample_weight=None, reduction="sum_over_batch_size"):
    """Binary cross-entropy averaged over the last axis, reduced.

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` (the gradient is 0 where the
    clip is active); with ``from_logits`` the stable
    ``max(x, 0) - x * y + log1p(exp(-|x|))`` is used.

    Parameters
    ----------
    y_true : Tensor or array_like
        Targets (data: never receives a gradient).
    y_pred : Tensor or array_like
        Predictions, samples first.
    from_logits : bool, default False
        y_pred holds logits, not probabilities.
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - ls) + 0.5 * ls``; in [0, 1].
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).
        Also a label_smoothing outside [0, 1].

    Examples
    --------
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> round(pynn.ops.losses.binary_crossentropy(y_true, y_pred).numpy().item(), 4)
    0.1643
    """
    ls = _smoothing("binary_crossentropy", label_smoothing)
    return _apply("binary_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits=bool(from_logits), label_smoothing=ls)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                             sample_weight=None, reduction="sum_over_batch_size"):
    """Categorical cross-entropy ``-sum(y * log(p))`` over the class (last) axis, reduced.

    ``p`` is y_pred renormalised to sum 1 and clipped, or ``log_softmax(y_pred)``
    with ``from_logits``.

    Parameters
    ----------
    y_true : Tensor or array_like
        One-hot (or probability) labels.
    y_pred : Tensor or array_like
        Predictions, samples first.
    from_logits : bool, default False
        y_pred holds logits, not probabilities.
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - ls) + ls / num_classes``.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).
        Also a label_smoothing outside [0, 1].

    Examples
    --------
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> pynn.ops.losses.categorical_crossentropy(y_true, y_pred, reduction="none").numpy().round(4)
    array([0.1054, 0.2231], dtype=float32)
    """
    ls = _smoothing("categorical_crossentropy", label_smoothing)
    return _apply("categorical_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits=bool(from_logits), label_smoothing=ls)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, sample_weight=None,
                                    reduction="sum_over_batch_size"):
    """Categorical cross-entropy with integer class labels, reduced.

    ``y_true`` has shape ``y_pred.shape[:-1]`` (a trailing 1 is squeezed).

    Parameters
    ----------
    y_true : Tensor or array_like
        Integer class ids in ``[0, num_classes)``.
    y_pred : Tensor or array_like
        Predictions, samples first.
    from_logits : bool, default False
        y_pred holds logits, not probabilities.
    sample_weight : Tensor or array_like, optional
        One weight per sample, shape ``(N,)`` or ``(N, 1)``.
    reduction : str or None, default "sum_over_batch_size"
        "sum_over_batch_size" (or "mean"): sum(w * l) / number of per-sample
        values; "sum": sum(w * l); "mean_with_sample_weight": sum(w * l) / sum(w);
        "none" / None: the weighted per-sample losses.

    Returns
    -------
    Tensor
        A scalar, or one value per sample with reduction "none".

    Raises
    ------
    ValueError
        An invalid reduction, or shapes of y_true and y_pred that do not match
        (both named).
        Also labels that are not integers in ``[0, num_classes)`` (named).

    Examples
    --------
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> pynn.ops.losses.sparse_categorical_crossentropy(np.array([1, 1]), y_pred,
    ...                                          reduction="none").numpy().round(4)
    array([0.1054, 1.6094], dtype=float32)
    """
    return _apply("sparse_categorical_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits=bool(from_logits))
