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
shapes. The gradient flows to ``y_pred`` only: ``y_true`` and
``sample_weight`` are data and never receive one.

Numerics: probabilities are clipped to [1e-7, 1 - 1e-7] (float32 bounds, as in
Keras), and the gradient is zero where the clip is active. ``from_logits=True``
uses ``max(x, 0) - x*y + log1p(exp(-|x|))`` for binary and a fused log-softmax
for categorical cross-entropy, which stay finite and exact at any logit
(Keras' TF/JAX/torch backends agree; its NumPy backend instead clips
sigmoid(x), which caps the loss near 16.1).
"""
import numbers

from .. import _C

__all__ = ["mean_squared_error", "mean_absolute_error", "huber", "hinge",
           "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "mse", "mae", "REDUCTIONS"]

REDUCTIONS = {"sum_over_batch_size": 0, "mean": 0, "none": 1, None: 1, "sum": 2,
              "mean_with_sample_weight": 3}


def _tensor(x):
    from ..tensor import Tensor
    return x if isinstance(x, _C.Tensor) else Tensor(x)


def _apply(op, y_true, y_pred, sample_weight, reduction, from_logits=False, fattr=0.0):
    try:
        code = REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{op}: invalid reduction {reduction!r}; expected one of "
                         f"{sorted(k for k in REDUCTIONS if k)} or None") from None
    inputs = [_tensor(y_pred), _tensor(y_true)]
    if sample_weight is not None:
        inputs.append(_tensor(sample_weight))
    return _C.apply(op, inputs, fattr=[float(fattr)], iattr=[code, int(bool(from_logits))])


def _smoothing(op, label_smoothing):
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be a float in [0, 1], got {label_smoothing!r}")
    return float(label_smoothing)


def mean_squared_error(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """mean((y_pred - y_true)**2, axis=-1) per sample."""
    return _apply("mean_squared_error", y_true, y_pred, sample_weight, reduction)


def mean_absolute_error(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """mean(|y_pred - y_true|, axis=-1) per sample."""
    return _apply("mean_absolute_error", y_true, y_pred, sample_weight, reduction)


mse = mean_squared_error
mae = mean_absolute_error


def huber(y_true, y_pred, delta=1.0, sample_weight=None, reduction="sum_over_batch_size"):
    """0.5 e**2 where |e| <= delta, else delta*|e| - 0.5 delta**2, mean over the last
    axis (e = y_pred - y_true). torch's ``huber_loss(delta=d)`` is the same."""
    if not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    return _apply("huber", y_true, y_pred, sample_weight, reduction, fattr=delta)


def hinge(y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); labels that are all 0 or 1 are
    mapped to -1 / 1 first (Keras' rule, decided over the whole y_true)."""
    return _apply("hinge", y_true, y_pred, sample_weight, reduction)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                        sample_weight=None, reduction="sum_over_batch_size"):
    """Binary cross-entropy averaged over the last axis; labels smoothed to
    y (1 - ls) + 0.5 ls."""
    ls = _smoothing("binary_crossentropy", label_smoothing)
    return _apply("binary_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits, ls)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                             sample_weight=None, reduction="sum_over_batch_size"):
    """-sum(y * log p) over the class (last) axis, with p = y_pred renormalised to
    sum 1 and clipped, or log_softmax(y_pred) when from_logits. Labels are
    smoothed to y (1 - ls) + ls / num_classes (Keras)."""
    ls = _smoothing("categorical_crossentropy", label_smoothing)
    return _apply("categorical_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits, ls)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, sample_weight=None,
                                    reduction="sum_over_batch_size"):
    """categorical_crossentropy with integer class labels: y_true has shape
    y_pred.shape[:-1] (a trailing 1 is squeezed). Labels that are not integers
    in [0, num_classes) raise ValueError naming the label and num_classes."""
    return _apply("sparse_categorical_crossentropy", y_true, y_pred, sample_weight, reduction,
                  from_logits)
