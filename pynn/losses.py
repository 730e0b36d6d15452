"""Losses with Keras 3's names, defaults and reduction ("sum_over_batch_size":
Σ w·l / number of samples). Each is one fused engine op (pynn.ops.losses)."""
import functools
import inspect

import numpy as np

from . import _C, ops
from .ops import losses as fused_losses
from .ops.symbolic import symbolic_aware
from ._names import unknown_name

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "Hinge",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "mean_squared_error", "mse", "get", "serialize", "deserialize",
           "MeanAbsolutePercentageError", "KLDivergence", "mean_absolute_percentage_error",
           "kl_divergence", "mape", "kld"]


class Loss:
    """The base class of losses; subclass it for a custom loss, as in Keras.

    A subclass implements ``call(y_true, y_pred)`` returning per-sample (or
    per-element, averaged over the trailing axes) losses as a Tensor built from
    `pynn.ops`; sample weighting and the reduction are applied around it. Every
    built-in loss is one fused engine op with its gradient in C.

    Parameters
    ----------
    name : str, optional
        The loss's name (default: the class name in snake case).
    reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
        How per-sample losses are reduced: the weighted sum divided by the number
        of samples, the sum, or none (one value per sample).
    **config
        Further settings, stored for ``get_config``.

    Raises
    ------
    ValueError
        An unknown reduction.

    Examples
    --------
    >>> class Cubed(pynn.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         error = pynn.ops.abs(y_pred - y_true)
    ...         return pynn.ops.mean(error * error * error, axis=-1)
    >>> loss = Cubed()
    >>> loss(np.array([[0.0], [0.0]]), np.array([[1.0], [2.0]], np.float32)).numpy()
    array(4.5, dtype=float32)
    >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss=Cubed())
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("call")
        if call is not None and "sample_weight" not in inspect.signature(call).parameters:
            @functools.wraps(call)
            def reduced_call(self, y_true, y_pred, sample_weight=None,
                             reduction="sum_over_batch_size"):
                return _reduce(call(self, y_true, y_pred), sample_weight, reduction, self.name)
            cls.call = reduced_call

    def __init__(self, name=None, reduction="sum_over_batch_size", **config):
        if not isinstance(reduction, (str, type(None))) \
                or reduction not in fused_losses.REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; "
                             f"expected one of {sorted(k for k in fused_losses.REDUCTIONS if k)}"
                             f" or None")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.config = config

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        """Returns the losses for a batch (what a custom loss implements).

        A custom ``call(y_true, y_pred)`` returns per-sample or per-element losses;
        pynn wraps it so that it accepts ``sample_weight`` and ``reduction`` too, as
        Keras: "none" returns the weighted values in the shape ``call`` gave them.

        Parameters
        ----------
        y_true : Tensor
            Targets.
        y_pred : Tensor
            Predictions.
        sample_weight : Tensor, optional
            One weight per sample.
        reduction : {"sum_over_batch_size", "sum", "none"}
            How to reduce the per-sample losses.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> class Absolute(pynn.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return pynn.ops.mean(pynn.ops.abs(y_pred - y_true), axis=-1)
        >>> y_true = pynn.Tensor(np.zeros((2, 1), np.float32))
        >>> y_pred = pynn.Tensor(np.array([[1.0], [3.0]], np.float32))
        >>> Absolute().call(y_true, y_pred, reduction="none").numpy()
        array([1., 3.], dtype=float32)
        """
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        if mask is not None or getattr(self, "ignore_class", None) is not None:
            return self._masked(y_true, y_pred, sample_weight, mask)
        if self.reduction == "sum":
            per = self.call(y_true, y_pred, sample_weight, "none")
            return ops.sum(per)
        return self.call(y_true, y_pred, sample_weight, self.reduction)

    def _masked(self, y_true, y_pred, sample_weight, mask):
        """Keras 3's Loss.__call__ with a mask: the Keras mask of ``y_pred`` (a padded
        sequence's steps) and, with ``ignore_class``, the steps whose label is that class
        leave the loss; the mean is over the steps that remain (Keras' apply_mask weighs
        them total / (valid + epsilon))."""
        valid = None
        ignore = getattr(self, "ignore_class", None)
        if ignore is not None:
            y_true = y_true if isinstance(y_true, _C.Tensor) else ops.convert_to_tensor(
                np.asarray(y_true, np.float32))
            if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
                y_true = ops.squeeze(y_true, -1)
            valid = ops.cast(ops.not_equal(y_true, float(ignore)), "float32")
            y_true = y_true * valid  # an ignored label becomes class 0, its loss then 0
        per = self.call(y_true, y_pred, sample_weight, "none")
        if mask is not None:
            mask = ops.cast(mask, "float32")
            if tuple(mask.shape[1:]) == tuple(per.shape[1:]):
                valid = mask if valid is None else valid * mask
        if valid is None:  # a mask that is not per loss value: as without one
            return ops.sum(per) if self.reduction == "sum" else \
                self.call(y_true, y_pred, sample_weight, self.reduction)
        per = per * valid
        if self.reduction in ("none", None):
            return per
        if self.reduction == "sum":
            return ops.sum(per)
        return ops.sum(per) / (ops.sum(valid) + np.float32(EPSILON))

    def get_config(self):
        """Returns the loss's settings as a JSON-serialisable dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.losses.Huber(delta=2.0).get_config()
        {'name': 'huber', 'reduction': 'sum_over_batch_size', 'delta': 2.0}
        """
        return {"name": self.name, "reduction": self.reduction, **self.config}

    @classmethod
    def from_config(cls, config):
        """Creates a loss from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The settings.

        Returns
        -------
        Loss

        Examples
        --------
        >>> loss = pynn.losses.Huber.from_config({"delta": 2.0})
        >>> loss.config
        {'delta': 2.0}
        """
        return cls(**config)


def _snake(name):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make(cls_name, fn_name, defaults, doc, masking=()):
    def __init__(self, *, name=None, reduction="sum_over_batch_size", **kw):
        unknown = set(kw) - set(defaults) - set(masking)
        if unknown:
            raise TypeError(f"{cls_name}: unexpected argument(s) {sorted(unknown)}")
        ignore = kw.pop("ignore_class", None)
        if ignore is not None and (isinstance(ignore, bool)
                                   or not isinstance(ignore, (int, np.integer))):
            raise TypeError(f"{cls_name}: ignore_class must be an int or None, got {ignore!r}")
        Loss.__init__(self, name=name or fn_name, reduction=reduction, **{**defaults, **kw})
        # not an attribute of the fused op: Loss.__call__ masks the labels of this class
        self.ignore_class = None if ignore is None else int(ignore)

    def get_config(self):
        """Returns the loss's settings, ``ignore_class`` with them when it is set.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.losses.SparseCategoricalCrossentropy(ignore_class=0).get_config()["ignore_class"]
        0
        """
        cfg = Loss.get_config(self)
        if self.ignore_class is not None:
            cfg["ignore_class"] = self.ignore_class
        return cfg

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        """Computes the loss with an explicit reduction (``loss(y_true, y_pred)`` uses
        the loss's own).

        Parameters
        ----------
        y_true : array_like or Tensor
            Targets.
        y_pred : array_like or Tensor
            Predictions, of the shape the loss expects.
        sample_weight : array_like or Tensor, optional
            One weight per sample.
        reduction : {"sum_over_batch_size", "sum", "none"}
            As the constructor's ``reduction``.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> loss = pynn.losses.MeanSquaredError()
        >>> loss.call(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]), reduction="none").numpy()
        array([1., 0.], dtype=float32)
        """
        config = dict(self.config)
        axis = config.pop("axis", -1)
        if axis != -1:  # the class axis of channels-first data: moved last
            from .loss_functions import class_axis_last
            y_true, y_pred = class_axis_last(y_true, y_pred, axis)
        return fused(y_true, y_pred, sample_weight=sample_weight, reduction=reduction, **config)

    # the fused loss with its reduction (pynn.ops' cross-entropies are keras.ops' unreduced
    # ones), recorded as a graph node when met with symbolic tensors
    fused = symbolic_aware(getattr(fused_losses, fn_name))

    attrs = {"__init__": __init__, "call": call, "__doc__": doc}
    if masking:
        attrs["get_config"] = get_config
    return type(cls_name, (Loss,), attrs)


MeanSquaredError = _make("MeanSquaredError", "mean_squared_error", {}, """Mean of squared errors:
``mean((y_true - y_pred)**2)`` over the last axis, per sample.

Keras' ``'mse'``; for regression.

Parameters
----------
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
>>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
>>> round(pynn.losses.MeanSquaredError()(y_true, y_pred).numpy().item(), 4)
0.025
>>> pynn.losses.MeanSquaredError(reduction="none")(y_true, y_pred).numpy()
array([0.01, 0.04], dtype=float32)
""")
MeanAbsoluteError = _make("MeanAbsoluteError", "mean_absolute_error", {}, """Mean of absolute
errors: ``mean(|y_true - y_pred|)`` over the last axis, per sample.

Keras' ``'mae'``; less sensitive to outliers than the squared error.

Parameters
----------
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
>>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
>>> round(pynn.losses.MeanAbsoluteError()(y_true, y_pred).numpy().item(), 4)
0.15
""")
Huber = _make("Huber", "huber", {"delta": 1.0}, """Huber loss: squared for small errors, linear for
large ones.

Per element ``0.5 * e**2`` where ``|e| <= delta``, else ``delta * (|e| - 0.5 * delta)``;
averaged over the last axis.

Parameters
----------
delta : float, default 1.0
    The error size where the loss turns from quadratic to linear.
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[0.0], [0.0]], np.float32)
>>> y_pred = np.array([[0.5], [3.0]], np.float32)
>>> pynn.losses.Huber(reduction="none")(y_true, y_pred).numpy()  # 0.5 * 0.25 and 3 - 0.5
array([0.125, 2.5  ], dtype=float32)
""")
Hinge = _make("Hinge", "hinge", {}, """Hinge loss for maximum-margin classifiers:
``mean(max(1 - y_true * y_pred, 0))``.

Labels are -1 or 1 (0/1 labels are converted to -1/1, as Keras).

Parameters
----------
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[1.0, -1.0]], np.float32)
>>> y_pred = np.array([[0.5, -2.0]], np.float32)
>>> round(pynn.losses.Hinge()(y_true, y_pred).numpy().item(), 4)  # (0.5 + 0) / 2
0.25
""")
BinaryCrossentropy = _make("BinaryCrossentropy", "binary_crossentropy", {"from_logits": False,
"label_smoothing": 0.0, "axis": -1}, """Binary cross-entropy, for 0/1 labels (one or several independent ones
per sample).

``-(y * log(p) + (1 - y) * log(1 - p))`` averaged over the last axis; with
probabilities clipped to ``[1e-7, 1 - 1e-7]`` as Keras, or computed stably
from logits.

Parameters
----------
from_logits : bool, default False
    Whether ``y_pred`` holds logits (no sigmoid applied) rather than
    probabilities; more stable, use it with a linear last layer.
label_smoothing : float, default 0.0
    Squeezes the labels towards 0.5: ``y * (1 - s) + 0.5 * s``.
axis : int, default -1
    The axis averaged over (moved last first).
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
>>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
>>> round(pynn.losses.BinaryCrossentropy()(y_true, y_pred).numpy().item(), 4)
0.1643
>>> logits = np.array([[0.0]], np.float32)
>>> round(pynn.losses.BinaryCrossentropy(from_logits=True)(np.array([[1.0]]),
...                                                        logits).numpy().item(), 4)
0.6931
""")
CategoricalCrossentropy = _make("CategoricalCrossentropy", "categorical_crossentropy",
{"from_logits": False, "label_smoothing": 0.0, "axis": -1}, """Categorical cross-entropy, for one-hot (or
probability) labels.

``-sum(y_true * log(y_pred))`` over the classes (the last axis). With a
softmax last layer the softmax and the loss are fused into one stable op.
For integer class ids use `SparseCategoricalCrossentropy`.

Parameters
----------
from_logits : bool, default False
    Whether ``y_pred`` holds logits rather than probabilities.
label_smoothing : float, default 0.0
    Mixes the one-hot labels with the uniform distribution:
    ``y * (1 - s) + s / num_classes``.
axis : int, default -1
    The class axis (1 for channels-first data: moved last, then as usual).
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
>>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
>>> pynn.losses.CategoricalCrossentropy(reduction="none")(y_true, y_pred).numpy().round(4)
array([0.1054, 0.2231], dtype=float32)
""")
SparseCategoricalCrossentropy = _make("SparseCategoricalCrossentropy",
"sparse_categorical_crossentropy", {"from_logits": False}, """Categorical cross-entropy for integer
class ids.

``y_true`` holds class ids (shape ``(batch,)`` or ``(batch, 1)``), ``y_pred``
probabilities (or logits) over the classes; ``-log(y_pred[y_true])``. An id
outside ``[0, num_classes)`` raises.

Parameters
----------
from_logits : bool, default False
    Whether ``y_pred`` holds logits rather than probabilities.
ignore_class : int, optional
    Labels of this class (a padding id) contribute nothing: their loss is 0 and
    the mean is over the other labels only, as in Keras.
name : str, optional
    The loss's name in logs (default: its snake-case function name).
reduction : {"sum_over_batch_size", "sum", "none"}, default "sum_over_batch_size"
    How per-sample losses become the result: their weighted sum divided by
    the number of samples (Keras' default), their sum, or one per sample.

Examples
--------
>>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
>>> pynn.losses.SparseCategoricalCrossentropy(reduction="none")(np.array([1, 1]),
...                                                             y_pred).numpy().round(4)
array([0.1054, 1.6094], dtype=float32)
>>> loss = pynn.losses.SparseCategoricalCrossentropy(ignore_class=0)
>>> round(float(loss(np.array([1, 0]), y_pred).numpy()), 4)  # the mean of 0.1054 alone
0.1054
""", masking=("ignore_class",))

EPSILON = 1e-7  # Keras' backend.epsilon()


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample mean absolute percentage error (Keras' ``mape``).

    100 · mean(|y_true − y_pred| / max(|y_true|, ε)) over the last axis, ε = 1e-7.

    Parameters
    ----------
    y_true, y_pred : Tensor or array_like
        Targets and predictions of the same shape.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.losses.mean_absolute_percentage_error(np.array([[2.0, 4.0]], np.float32),
    ...                                           np.array([[1.0, 5.0]], np.float32)).numpy()
    array([37.5], dtype=float32)
    """
    diff = ops.abs(ops.subtract(y_true, y_pred))
    return ops.mean(diff / ops.clip(ops.abs(y_true), EPSILON, float("inf")), axis=-1) * 100.0


def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence (Keras' ``kld``).

    Σ y_true · log(y_true / y_pred) over the last axis, both clipped to [ε, 1].

    Parameters
    ----------
    y_true, y_pred : Tensor or array_like
        Target and predicted distributions over the last axis.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> d = pynn.losses.kl_divergence(np.array([[0.2, 0.8]], np.float32),
    ...                               np.array([[0.5, 0.5]], np.float32)).numpy()
    >>> np.round(d, 4)
    array([0.1927], dtype=float32)
    """
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


class MeanAbsolutePercentageError(Loss):
    """Mean absolute percentage error loss (see `mean_absolute_percentage_error`).

    Parameters
    ----------
    name : str, default "mean_absolute_percentage_error"
    reduction : {"sum_over_batch_size", "sum", "none"}

    Examples
    --------
    >>> loss = pynn.losses.MeanAbsolutePercentageError()
    >>> float(loss(np.array([[2.0, 4.0]], np.float32), np.array([[1.0, 5.0]], np.float32)).numpy())
    37.5
    """

    def __init__(self, name="mean_absolute_percentage_error", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return mean_absolute_percentage_error(y_true, y_pred)


class KLDivergence(Loss):
    """Kullback-Leibler divergence loss (see `kl_divergence`).

    Parameters
    ----------
    name : str, default "kl_divergence"
    reduction : {"sum_over_batch_size", "sum", "none"}

    Examples
    --------
    >>> loss = pynn.losses.KLDivergence()
    >>> round(float(loss(np.array([[0.2, 0.8]], np.float32),
    ...                  np.array([[0.5, 0.5]], np.float32)).numpy()), 4)
    0.1927
    """

    def __init__(self, name="kl_divergence", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return kl_divergence(y_true, y_pred)


mape = mean_absolute_percentage_error
kld = kl_divergence

_ALIASES = {
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "kld": KLDivergence, "kl_divergence": KLDivergence,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber, "hinge": Hinge,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
_CLASSES = {c.__name__: c for c in set(_ALIASES.values())}


class FunctionLoss(Loss):
    """Wraps a loss function ``fn(y_true, y_pred)`` as a `Loss` (what ``compile`` does for a
    function).

    The function returns per-sample (or per-element) losses as a Tensor; they
    are weighted and averaged as Keras does. Such a loss cannot be saved in a
    config (``get_config`` raises): save weights, or write a `Loss` subclass.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred) -> Tensor`` built from `pynn.ops`.
    name : str, optional
        The name in logs (default: the function's name).

    Examples
    --------
    >>> def squared(y_true, y_pred):
    ...     return (y_pred - y_true) * (y_pred - y_true)
    >>> loss = pynn.losses.FunctionLoss(squared)
    >>> loss.name, loss(np.zeros((2, 1)), np.array([[1.0], [3.0]], np.float32)).numpy()
    ('squared', array(5., dtype=float32))
    """

    def __init__(self, fn, name=None):
        super().__init__(name=name or getattr(fn, "__name__", "loss"))
        self.fn = fn

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return _reduce(self.fn(y_true, y_pred), sample_weight, "sum_over_batch_size", self.name)

    def get_config(self):
        raise ValueError(f"Cannot serialize the custom loss function {self.name}")


def _same_rank(y_true, y_pred):
    """Keras 3's squeeze_or_expand_to_same_rank, which its wrapper of loss functions
    applies first: labels (batch,) against predictions (batch, 1) become (batch, 1),
    not a (batch, batch) broadcast in the user's arithmetic."""
    rt, rp = len(np.shape(y_true)), len(np.shape(y_pred))
    if rt == rp + 1 and np.shape(y_true)[-1] == 1:
        if rp == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    elif rp == rt + 1 and np.shape(y_pred)[-1] == 1:
        if rt == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    return y_true, y_pred


def _reduce(per, sample_weight, reduction, name):
    """A loss's per-sample (or per-element) values, weighted and reduced as Keras 3's
    reduce_weighted_values: the weights are brought to the values' rank (a trailing 1
    squeezed or added), weights of whole samples broadcast over the further axes of
    per-element values (per-timestep weights (batch, steps) weigh each step), then
    "sum_over_batch_size" is the weighted sum over the number of values, "sum" the
    sum, "mean_with_sample_weight" the weighted sum over the sum of the weights, and
    None / "none" returns the weighted values unreduced."""
    if not hasattr(per, "shape"):
        raise TypeError(f"loss {name} must return a Tensor, got {type(per).__name__}")
    if sample_weight is not None and not per.ndim:
        # one value for the whole batch (Dice/Tversky over every axis): Keras broadcasts
        # it against the weights, then reduces; the same, without leaving a scalar
        sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
        if reduction in (None, "none"):
            return per * sample_weight
        if reduction == "sum":
            return per * ops.sum(sample_weight)
        return per if reduction == "mean_with_sample_weight" else per * ops.mean(sample_weight)
    if sample_weight is not None:
        sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
        per, sample_weight = _same_rank(sample_weight, per)[::-1]
        if 0 < sample_weight.ndim < per.ndim:  # one weight per sample: the leading axes
            # -1 for the batch axis: the traced batch of 1 must not be baked into replays
            sample_weight = ops.reshape(sample_weight, (-1,) + tuple(sample_weight.shape[1:])
                                        + (1,) * (per.ndim - sample_weight.ndim))
        per = per * sample_weight
    if reduction in (None, "none") or not per.ndim:
        return per
    if reduction == "sum":
        return ops.sum(per)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return ops.divide_no_nan(ops.sum(per), ops.sum(sample_weight))
    return ops.mean(per)


def get(identifier):
    """Returns a loss from a name, a serialized dict, a function or an instance.

    Parameters
    ----------
    identifier : str, dict, Loss, callable or None
        A Keras name (``"mse"``, ``"mae"``, ``"huber"``, ``"hinge"``,
        ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
        ``"sparse_categorical_crossentropy"``, ...), a class name, a
        ``serialize`` dict, a `Loss` (returned as is) or a function (wrapped
        in `FunctionLoss`).

    Returns
    -------
    Loss or None

    Raises
    ------
    ValueError
        An unknown name (with a "did you mean").
    TypeError
        Anything else.

    Examples
    --------
    >>> type(pynn.losses.get("mse")).__name__
    'MeanSquaredError'
    >>> pynn.losses.get("binary_crossentropy").name
    'binary_crossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise unknown_name("loss", identifier, _ALIASES)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return FunctionLoss(identifier)
    raise TypeError(f"Could not interpret loss {identifier!r}")


def serialize(loss):
    """Returns ``{"class_name": ..., "config": {...}}`` for a loss.

    Parameters
    ----------
    loss : Loss
        A built-in loss.

    Returns
    -------
    dict

    Examples
    --------
    >>> pynn.losses.serialize(pynn.losses.Huber(delta=2.0))["config"]["delta"]
    2.0
    """
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    """Creates a loss from ``serialize``'s dict.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> loss = pynn.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}})
    >>> type(loss).__name__, loss.config["delta"]
    ('Huber', 2.0)
    """
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown loss class {config.get('class_name')!r}")
    return cls.from_config(config.get("config", {}))


# Keras' functional names (per-sample losses, no reduction)
def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error, Keras' functional ``mse`` (no reduction over the batch).

    Parameters
    ----------
    y_true : array_like or Tensor
        Targets ``(batch, ...)``.
    y_pred : array_like or Tensor
        Predictions of the same shape.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    >>> y_pred = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    >>> pynn.losses.mean_squared_error(y_true, y_pred).numpy()
    array([0.01, 0.04], dtype=float32)
    """
    return ops.mean_squared_error(y_true, y_pred, reduction="none")


mse = mean_squared_error


# Keras 3's losses composed from pynn.ops, and the function forms of the fused ones
from .loss_functions import (  # noqa: E402  (they subclass Loss, defined above)
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
    CategoricalHinge, CosineSimilarity, Dice, LogCosh, MeanSquaredLogarithmicError, Poisson,
    SquaredHinge, Tversky, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy,
    categorical_generalized_cross_entropy, categorical_hinge, cosine_similarity, dice, hinge,
    huber, log_cosh, mean_absolute_error, mean_squared_logarithmic_error, poisson,
    sparse_categorical_crossentropy, squared_hinge, tversky)

msle = mean_squared_logarithmic_error
mae = mean_absolute_error
_ALIASES.update({
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
    "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy,
    "categorical_hinge": CategoricalHinge, "cosine_similarity": CosineSimilarity,
    "dice": Dice, "log_cosh": LogCosh, "logcosh": LogCosh,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "poisson": Poisson, "squared_hinge": SquaredHinge,
    "tversky": Tversky,
})
_CLASSES.update({c.__name__: c for c in _ALIASES.values()})
__all__ += ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
            "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "CosineSimilarity", "Dice",
            "LogCosh", "MeanSquaredLogarithmicError", "Poisson", "SquaredHinge", "Tversky",
            "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
            "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
            "categorical_hinge", "cosine_similarity", "dice", "hinge", "huber", "log_cosh",
            "mae", "mean_absolute_error", "mean_squared_logarithmic_error", "msle", "poisson",
            "sparse_categorical_crossentropy", "squared_hinge", "tversky"]

from .loss_ctc import CTC, ctc  # noqa: E402
from .loss_circle import Circle, circle  # noqa: E402
_ALIASES.update({"ctc": CTC, "circle": Circle})
_CLASSES.update({"CTC": CTC, "Circle": Circle})
__all__ += ["CTC", "ctc", "Circle", "circle"]
