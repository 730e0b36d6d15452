"""Losses with Keras 3's names, defaults and reduction ("sum_over_batch_size":
Σ w·l / number of samples). Each is one fused engine op (pynn.ops.losses)."""
import functools
import inspect

from . import ops
from ._names import unknown_name


class Loss:
    """Base of all losses. Subclass it as in Keras: implement call(y_true, y_pred)
    returning per-sample (or per-element) losses; the sample weighting and the
    reduction are applied around it."""

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
        if reduction not in ("sum_over_batch_size", "none", "sum"):
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.config = config

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.reduction == "sum":
            per = self.call(y_true, y_pred, sample_weight, "none")
            return ops.sum(per)
        return self.call(y_true, y_pred, sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _snake(name):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make(cls_name, fn_name, defaults):
    def __init__(self, *, name=None, reduction="sum_over_batch_size", **kw):
        unknown = set(kw) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name}: unexpected argument(s) {sorted(unknown)}")
        Loss.__init__(self, name=name or fn_name, reduction=reduction, **{**defaults, **kw})

    def call(self, y_true, y_pred, sample_weight=None, reduction="sum_over_batch_size"):
        return getattr(ops, fn_name)(y_true, y_pred, sample_weight=sample_weight,
                                     reduction=reduction, **self.config)

    return type(cls_name, (Loss,), {"__init__": __init__, "call": call})


MeanSquaredError = _make("MeanSquaredError", "mean_squared_error", {})
MeanAbsoluteError = _make("MeanAbsoluteError", "mean_absolute_error", {})
Huber = _make("Huber", "huber", {"delta": 1.0})
Hinge = _make("Hinge", "hinge", {})
BinaryCrossentropy = _make("BinaryCrossentropy", "binary_crossentropy",
                           {"from_logits": False, "label_smoothing": 0.0})
CategoricalCrossentropy = _make("CategoricalCrossentropy", "categorical_crossentropy",
                                {"from_logits": False, "label_smoothing": 0.0})
SparseCategoricalCrossentropy = _make("SparseCategoricalCrossentropy",
                                      "sparse_categorical_crossentropy", {"from_logits": False})

EPSILON = 1e-7  # Keras' backend.epsilon()


def mean_absolute_percentage_error(y_true, y_pred):
    """Keras: 100 · mean(|y_true − y_pred| / max(|y_true|, ε)) over the last axis."""
    diff = ops.abs(ops.subtract(y_true, y_pred))
    return ops.mean(diff / ops.clip(ops.abs(y_true), EPSILON, float("inf")), axis=-1) * 100.0


def kl_divergence(y_true, y_pred):
    """Keras: Σ y_true · log(y_true / y_pred) over the last axis, both clipped to [ε, 1]."""
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


class MeanAbsolutePercentageError(Loss):
    def __init__(self, name="mean_absolute_percentage_error", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return mean_absolute_percentage_error(y_true, y_pred)


class KLDivergence(Loss):
    def __init__(self, name="kl_divergence", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return kl_divergence(y_true, y_pred)


mape = MAPE = mean_absolute_percentage_error
kld = KLD = kl_divergence

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
    """Wraps a user function fn(y_true, y_pred) -> Tensor of per-sample (or
    per-element) losses, reduced with the sample weights as Keras does."""

    def __init__(self, fn, name=None):
        super().__init__(name=name or getattr(fn, "__name__", "loss"))
        self.fn = fn

    def __call__(self, y_true, y_pred, sample_weight=None):
        return _reduce(self.fn(y_true, y_pred), sample_weight, "sum_over_batch_size", self.name)

    def get_config(self):
        raise ValueError(f"Cannot serialize the custom loss function {self.name}")


def _reduce(per, sample_weight, reduction, name):
    """A user loss's per-sample (or per-element, averaged over the trailing axes)
    values, weighted and reduced as Keras does."""
    if not hasattr(per, "shape"):
        raise TypeError(f"loss {name} must return a Tensor, got {type(per).__name__}")
    while per.ndim > 1:
        per = ops.mean(per, axis=-1)
    if sample_weight is not None and per.ndim == 1:
        per = per * sample_weight
    if reduction == "none" or not per.ndim:
        return per
    return ops.sum(per) if reduction == "sum" else ops.mean(per)


def get(identifier):
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
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown loss class {config.get('class_name')!r}")
    return cls.from_config(config.get("config", {}))


# Keras' functional names (per-sample losses, no reduction)
def mean_squared_error(y_true, y_pred):
    return ops.mean_squared_error(y_true, y_pred, reduction="none")


mse = mean_squared_error
