"""Metrics as Keras running aggregates.

A metric is a statistics op in the engine (csrc/core/ops/metric.c) whose outputs
the epoch loop sums in C; `result()` turns the sums into the value. The same
objects work standalone: `m.update_state(y_true, y_pred)`, `m.result()`,
`m.reset_state()`."""
import numpy as np

from . import _C
from ._names import unknown_name


class Metric:
    stats_op = None

    def __init__(self, name=None, dtype=None):
        self.name = name or _default_name(type(self))
        self._acc = None

    # -- graph side
    def stats(self, y_true, y_pred, sample_weight):
        """A Tensor of statistics for one batch (summed over batches)."""
        return _C.apply(self.stats_op, [y_pred, y_true, sample_weight], **self._attrs())

    def _attrs(self):
        return {}

    def value_from(self, acc):
        """The metric value from summed statistics."""
        raise NotImplementedError

    # -- standalone Keras API
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, np.float32)
        n = y_pred.shape[0] if y_pred.ndim else 1
        w = np.ones(n, np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
        y_true = np.asarray(y_true, np.float32)
        s = np.asarray(self.stats(y_true, y_pred, w).numpy(), np.float64)
        self._acc = s if self._acc is None else self._acc + s

    def result(self):
        if self._acc is None:
            return 0.0
        return float(self.value_from(self._acc))

    def reset_state(self):
        self._acc = None

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _default_name(cls):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


class MeanMetric(Metric):
    """Weighted mean of per-sample values: stats [Σ w·v, Σ w]."""

    def value_from(self, acc):
        return acc[0] / acc[1] if acc[1] else 0.0


class _PerStep:
    """Keras scores a sequence output (batch, time, classes) at every time step: one
    argmax per step, the steps of a sample averaged, then the samples weighted. The
    steps become rows of their own carrying weight w/steps, so the statistics op's
    [Σ w·v, Σ w] equal Keras' Σ_b w_b·mean_t(v_bt) and Σ_b w_b."""

    def stats(self, y_true, y_pred, sample_weight):
        from . import ops
        if len(y_pred.shape) > 2:
            classes = y_pred.shape[-1]
            steps = int(np.prod(y_pred.shape[1:-1]))
            y_pred = ops.reshape(y_pred, (-1, classes))
            labels = y_true.shape[-1] if len(y_true.shape) == len(y_pred.shape) + 1 and \
                self.stats_op == "categorical_accuracy_stats" else 1
            y_true = ops.reshape(y_true, (-1, labels))
            per_step = np.full((1, steps), 1.0 / steps, np.float32)
            sample_weight = ops.reshape(ops.reshape(sample_weight, (-1, 1)) * per_step, (-1,))
        return super().stats(y_true, y_pred, sample_weight)


class BinaryAccuracy(MeanMetric):
    stats_op = "binary_accuracy_stats"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name)
        self.threshold = threshold

    def _attrs(self):
        return {"fattr": [self.threshold]}

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


class CategoricalAccuracy(_PerStep, MeanMetric):
    stats_op = "categorical_accuracy_stats"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name)


class SparseCategoricalAccuracy(_PerStep, MeanMetric):
    stats_op = "sparse_categorical_accuracy_stats"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name)


class SparseTopKCategoricalAccuracy(_PerStep, MeanMetric):
    stats_op = "top_k_accuracy_stats"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name)
        self.k = k

    def _attrs(self):
        return {"iattr": [self.k]}

    def get_config(self):
        return {"name": self.name, "k": self.k}


class TopKCategoricalAccuracy(SparseTopKCategoricalAccuracy):
    """Top-k accuracy against one-hot labels (Keras): the label's class index is
    Σ_k y_k·k, which is the argmax of a one-hot row, then as the sparse version."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(k, name)

    def stats(self, y_true, y_pred, sample_weight):
        from . import ops
        classes = np.arange(y_pred.shape[-1], dtype=np.float32)
        return super().stats(ops.sum(ops.multiply(y_true, classes), axis=-1), y_pred,
                             sample_weight)


class MeanMetricWrapper(MeanMetric):
    """Keras' MeanMetricWrapper: the weighted mean over samples of fn(y_true, y_pred)
    (per-sample values; per-element values are averaged over the trailing axes, as
    Keras does). Statistics [Σ w·v, Σ w], in the graph like every other metric."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name or getattr(fn, "name", None) or getattr(fn, "__name__", None))
        self._fn, self._fn_kwargs = fn, kwargs

    def stats(self, y_true, y_pred, sample_weight):
        from . import ops
        from .losses import Loss
        per = (self._fn.call(y_true, y_pred, None, "none") if isinstance(self._fn, Loss)
               else self._fn(y_true, y_pred, **self._fn_kwargs))
        if not hasattr(per, "ndim"):
            raise TypeError(f"metric {self.name}: the function must return a Tensor, got "
                            f"{type(per).__name__}")
        while per.ndim > 1:
            per = ops.mean(per, axis=-1)
        w = sample_weight if sample_weight is not None else np.ones(per.shape, np.float32)
        return ops.stack([ops.sum(ops.multiply(per, w)), ops.sum(w)])


def _loss_metric(cls_name, loss_name, default_name, **defaults):
    """A metric class averaging one of pynn.losses (Keras' metrics.BinaryCrossentropy...)."""
    def __init__(self, name=default_name, dtype=None, **kw):
        from . import losses
        unknown = set(kw) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name}: unexpected argument(s) {sorted(unknown)}")
        self._config = {**defaults, **kw}
        loss_cls = getattr(losses, loss_name)
        MeanMetricWrapper.__init__(self, loss_cls(**self._config) if self._config else loss_cls(),
                                   name=name)

    def get_config(self):
        return {"name": self.name, **self._config}

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "get_config": get_config})


BinaryCrossentropy = _loss_metric("BinaryCrossentropy", "BinaryCrossentropy",
                                  "binary_crossentropy", from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy", "CategoricalCrossentropy",
                                       "categorical_crossentropy", from_logits=False,
                                       label_smoothing=0.0)
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy",
                                             "SparseCategoricalCrossentropy",
                                             "sparse_categorical_crossentropy", from_logits=False)
MeanAbsolutePercentageError = _loss_metric("MeanAbsolutePercentageError",
                                           "MeanAbsolutePercentageError",
                                           "mean_absolute_percentage_error")
KLDivergence = _loss_metric("KLDivergence", "KLDivergence", "kl_divergence")
Hinge = _loss_metric("Hinge", "Hinge", "hinge")


class MeanSquaredError(MeanMetric):
    stats_op = "mse_stats"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name)


class MeanAbsoluteError(MeanMetric):
    stats_op = "mae_stats"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name)


class RootMeanSquaredError(MeanMetric):
    stats_op = "mse_stats"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name)

    def value_from(self, acc):
        return float(np.sqrt(acc[0] / acc[1])) if acc[1] else 0.0


class _Confusion(Metric):
    """Confusion counts at thresholds: stats [tp[k], fp[k], tn[k], fn[k]]."""
    stats_op = "confusion_stats"
    thresholds = (0.5,)

    def _attrs(self):
        return {"iv": [int(round(t * 1e9)) for t in self.thresholds]}

    def _counts(self, acc):
        k = len(self.thresholds)
        return acc[:k], acc[k:2 * k], acc[2 * k:3 * k], acc[3 * k:]


class Precision(_Confusion):
    def __init__(self, thresholds=None, name="precision", dtype=None):
        super().__init__(name)
        self.thresholds = (0.5,) if thresholds is None else (float(thresholds),)

    def value_from(self, acc):
        tp, fp, _, _ = self._counts(acc)
        return tp[0] / (tp[0] + fp[0]) if tp[0] + fp[0] else 0.0

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds[0]}


class Recall(Precision):
    def __init__(self, thresholds=None, name="recall", dtype=None):
        super().__init__(thresholds, name)

    def value_from(self, acc):
        tp, _, _, fn = self._counts(acc)
        return tp[0] / (tp[0] + fn[0]) if tp[0] + fn[0] else 0.0


class _Count(_Confusion):
    """Keras' TruePositives & co: weighted counts at one threshold (default 0.5) or at
    each of a list of thresholds (then the result is an array)."""
    index = None  # which of [tp, fp, tn, fn]

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name)
        self._scalar = thresholds is None or np.ndim(thresholds) == 0
        self.thresholds = ((0.5,) if thresholds is None else
                           (float(thresholds),) if self._scalar else tuple(map(float, thresholds)))
        if any(not 0.0 <= t <= 1.0 for t in self.thresholds):
            raise ValueError(f"{type(self).__name__}: thresholds must be in [0, 1], got "
                             f"{thresholds!r}")

    def value_from(self, acc):
        counts = np.asarray(self._counts(acc)[self.index], np.float64)
        return float(counts[0]) if self._scalar else counts

    def result(self):
        if self._acc is None:
            return 0.0 if self._scalar else np.zeros(len(self.thresholds))
        return self.value_from(self._acc)

    def get_config(self):
        return {"name": self.name,
                "thresholds": self.thresholds[0] if self._scalar else list(self.thresholds)}


class TruePositives(_Count):
    index = 0


class FalsePositives(_Count):
    index = 1


class TrueNegatives(_Count):
    index = 2


class FalseNegatives(_Count):
    index = 3


class AUC(_Confusion):
    """Keras AUC: ROC (or PR) area by the interpolated Riemann sum over
    num_thresholds thresholds spaced evenly in [0, 1] with -ε and 1+ε ends."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None):
        super().__init__(name)
        if num_thresholds < 2:
            raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = tuple([-eps] + inner + [1.0 + eps])

    def value_from(self, acc):
        tp, fp, tn, fn = (np.asarray(a, np.float64) for a in self._counts(acc))
        if self.curve == "PR":
            precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
            recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
            x, y = recall, precision
        else:
            x = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) > 0)
            y = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method}


class F1Score(Metric):
    """Keras F1Score(average=None|"micro"|"macro"|"weighted", threshold=None):
    threshold None takes the argmax of each prediction as its positive class."""
    stats_op = "perclass_stats"

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(name)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"F1Score: average must be None, 'micro', 'macro' or 'weighted', "
                             f"got {average!r}")
        self.average, self.threshold = average, threshold

    def _attrs(self):
        if self.threshold is None:
            return {"iattr": [0]}
        return {"iattr": [1], "fattr": [self.threshold]}

    def value_from(self, acc):
        c = len(acc) // 4
        tp, fp, fn, support = acc[:c], acc[c:2 * c], acc[2 * c:3 * c], acc[3 * c:]
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        denom = 2 * tp + fp + fn
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(np.asarray(denom, np.float64)),
                       where=np.asarray(denom) > 0)
        if self.average == "macro":
            return float(np.mean(f1))
        if self.average == "weighted":
            return float(np.sum(f1 * support) / support.sum()) if support.sum() else 0.0
        return f1

    def result(self):
        if self._acc is None:
            return 0.0
        v = self.value_from(self._acc)
        return v if np.ndim(v) else float(v)

    def get_config(self):
        return {"name": self.name, "average": self.average, "threshold": self.threshold}


_ALIASES = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "precision": Precision, "recall": Recall, "auc": AUC, "f1_score": F1Score,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mape": MeanAbsolutePercentageError, "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "kld": KLDivergence, "kl_divergence": KLDivergence, "hinge": Hinge,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
}
_CLASSES = {c.__name__: c for c in set(_ALIASES.values())}


def resolve_accuracy(y_true_shape, y_pred_shape):
    """Keras' auto-resolution of "accuracy" from the label and prediction shapes."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A Metric from a name (case-insensitive), an instance or a class. "accuracy"
    / "acc" resolve from the shapes; the log key is the string the user passed."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            if y_true_shape is None:
                raise ValueError("'accuracy' needs the label and prediction shapes to resolve")
            return resolve_accuracy(y_true_shape, y_pred_shape)(name=identifier)
        cls = _ALIASES.get(key) or _CLASSES.get(identifier)
        if cls is None:
            raise unknown_name("metric", identifier, [*_ALIASES, "accuracy", "acc"])
        return cls(name=identifier)
    if callable(identifier):  # a loss object or a function fn(y_true, y_pred), as Keras
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Could not interpret metric {identifier!r}; pass a name or a pynn.metrics.Metric")
