"""Metrics as Keras running aggregates.

A metric is a statistics op in the engine (csrc/core/ops/metric.c) whose outputs
the epoch loop sums in C; `result()` turns the sums into the value. The same
objects work standalone: `m.update_state(y_true, y_pred)`, `m.result()`,
`m.reset_state()`."""
import numpy as np

from . import _C
from ._names import unknown_name

__all__ = ["Metric", "MeanMetric", "Mean", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "RootMeanSquaredError", "Precision", "Recall", "AUC", "F1Score",
           "TopKCategoricalAccuracy", "MeanMetricWrapper", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "MeanAbsolutePercentageError", "KLDivergence", "Hinge", "TruePositives",
           "FalsePositives", "TrueNegatives", "FalseNegatives", "get"]


class Metric:
    """The base class of metrics: a running aggregate over batches, as in Keras.

    In ``fit`` / ``evaluate`` a metric is a statistics op in the engine whose
    outputs the epoch loop sums in C; ``result()`` turns the sums into the value.
    The same objects work standalone with Keras' ``update_state`` /
    ``result`` / ``reset_state``.

    Parameters
    ----------
    name : str, optional
        The key in logs (default: the class name in snake case).
    dtype : None
        Accepted for Keras compatibility.

    Examples
    --------
    >>> m = pynn.metrics.MeanAbsoluteError()
    >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[2.0], [1.0]]))
    >>> m.result()
    1.0
    >>> m.update_state(np.array([[0.0]]), np.array([[4.0]]))
    >>> m.result()  # over all three samples
    2.0
    >>> m.reset_state()
    >>> m.result()
    0.0
    """
    stats_op = None

    def __init__(self, name=None, dtype=None):
        self.name = name or _default_name(type(self))
        self._acc = None
        self.__dict__.setdefault("_variables", [])

    # -- state of a Keras-style subclass (pynn/metric_state.py runs it in the loop)
    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """Creates a state variable of the metric (Keras 3's ``Metric.add_variable``).

        A subclass creates its state in ``__init__``, changes it in ``update_state``
        with ``assign_add`` / ``assign_sub`` and reads it in ``result``; in ``fit`` /
        ``evaluate`` the per-batch increments are summed by the compiled loop.

        Parameters
        ----------
        shape : tuple of int, default ()
            The variable's shape.
        initializer : str or callable, default "zeros"
            An initializer name or object (`pynn.initializers`).
        dtype : None or "float32"
            pynn computes in float32.
        aggregation : str, default "sum"
            Accepted for Keras compatibility.
        name : str, optional
            The variable's name.

        Returns
        -------
        Variable

        Raises
        ------
        ValueError
            A dtype other than float32.

        Examples
        --------
        >>> class Count(pynn.metrics.Metric):
        ...     def __init__(self, name="count", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.n = self.add_variable(shape=(), initializer="zeros", name="n")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.n.assign_add(pynn.ops.sum(pynn.ops.greater(y_pred, 0.5)))
        ...     def result(self):
        ...         return self.n
        >>> m = Count()
        >>> m.update_state(None, np.array([0.2, 0.7, 0.9]))
        >>> float(m.result())
        2.0
        """
        from . import initializers
        from .metric_state import make_state_variable
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"Metric '{self.name}'.add_variable: only float32 is supported, got "
                             f"dtype={dtype!r}")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        value = initializers.get(initializer)(tuple(int(s) for s in shape))
        var = make_state_variable(value, f"{self.name}/{name or 'variable'}")
        self.__dict__.setdefault("_variables", []).append(var)
        return var

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None,
                   aggregation="sum"):
        """``add_variable`` under its other Keras name (``name`` first, as tf.keras' metrics).

        Parameters
        ----------
        name : str, optional
            The variable's name.
        shape : tuple of int, default ()
            The variable's shape.
        initializer : str or callable, default "zeros"
            An initializer name or object.
        dtype : None or "float32"
            pynn computes in float32.
        aggregation : str, default "sum"
            Accepted for Keras compatibility.

        Returns
        -------
        Variable

        Examples
        --------
        >>> m = pynn.metrics.Metric(name="m")
        >>> m.add_weight(name="total", shape=(2,)).shape
        (2,)
        """
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype,
                                 aggregation=aggregation, name=name)

    @property
    def variables(self):
        """The state variables made with ``add_variable`` (Keras' ``metric.variables``)."""
        return list(self.__dict__.get("_variables", []))

    # -- graph side
    def stats(self, y_true, y_pred, sample_weight):
        """Returns the statistics Tensor of one batch (what the training loop sums).

        Parameters
        ----------
        y_true : Tensor or array_like
            Targets of the batch.
        y_pred : Tensor or array_like
            Predictions of the batch.
        sample_weight : Tensor or array_like
            One weight per sample.

        Returns
        -------
        Tensor
            For mean metrics ``[sum(w * value), sum(w)]``.

        Examples
        --------
        >>> m = pynn.metrics.MeanAbsoluteError()
        >>> y_true = np.array([[0.0], [1.0]], np.float32)
        >>> y_pred = np.array([[2.0], [1.0]], np.float32)
        >>> m.stats(y_true, y_pred, np.ones(2, np.float32)).numpy()
        array([2., 2.], dtype=float32)
        """
        from . import metric_state
        if metric_state.is_state_metric(self):  # a Keras-style subclass: its increments
            return metric_state.trace_stats(self, y_true, y_pred, sample_weight)
        return _C.apply(self.stats_op, [y_pred, y_true, sample_weight], **self._attrs())

    def _attrs(self):
        return {}

    def value_from(self, acc):
        """Returns the metric's value from summed statistics.

        Parameters
        ----------
        acc : numpy.ndarray
            The sum of ``stats`` over batches.

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> float(pynn.metrics.MeanAbsoluteError().value_from(np.array([3.0, 2.0])))
        1.5
        """
        from . import metric_state
        if metric_state.is_state_metric(self):
            return metric_state.value_from(self, acc)
        raise NotImplementedError

    # -- standalone Keras API
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch to the running statistics.

        Parameters
        ----------
        y_true : array_like
            Targets of the batch.
        y_pred : array_like
            Predictions of the batch, samples first.
        sample_weight : array_like, optional
            One weight per sample (default: all 1).

        Examples
        --------
        >>> m = pynn.metrics.BinaryAccuracy()
        >>> m.update_state(np.array([[1], [0]]), np.array([[0.9], [0.9]]),
        ...                sample_weight=np.array([3.0, 1.0]))
        >>> m.result()
        0.75
        """
        y_pred = np.asarray(y_pred, np.float32)
        n = y_pred.shape[0] if y_pred.ndim else 1
        w = np.ones(n, np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
        y_true = np.asarray(y_true, np.float32)
        if w.ndim == 0 and self.stats_op is not None:
            # Keras: a scalar weighs the whole batch (a mean metric's count grows by w, not
            # n * w); confusion counts are multiplied by it
            w = np.full(n, w / n if isinstance(self, MeanMetric) else w, np.float32)
        elif self.stats_op in _ELEMENTWISE_STATS and w.shape not in ((n,), (n, 1)):
            y_true, y_pred, w = _weigh_elements(y_true, y_pred, w)
        s = np.asarray(self.stats(y_true, y_pred, w).numpy(), np.float64)
        self._acc = s if self._acc is None else self._acc + s

    def __call__(self, *args, **kwargs):
        """Adds a batch and returns the running value (Keras' ``metric(y_true, y_pred)``).

        Returns
        -------
        float or numpy.ndarray
            ``result()`` after ``update_state(*args, **kwargs)``: the value over every
            batch since the last reset, not over this batch alone.

        Examples
        --------
        >>> m = pynn.metrics.MeanAbsoluteError()
        >>> m(np.array([[0.0], [1.0]]), np.array([[2.0], [1.0]]))
        1.0
        >>> m(np.array([[0.0]]), np.array([[4.0]]))  # over all three samples
        2.0
        """
        self.update_state(*args, **kwargs)
        return self.result()

    def result(self):
        """Returns the metric's value over every batch added since the last reset.

        Returns
        -------
        float
            0.0 before any update.

        Examples
        --------
        >>> m = pynn.metrics.MeanSquaredError()
        >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
        >>> m.result()
        0.5
        """
        if self._acc is None:
            return 0.0
        return float(self.value_from(self._acc))

    def reset_state(self):
        """Forgets every batch added so far (``fit`` does it at each epoch start).

        Examples
        --------
        >>> m = pynn.metrics.MeanSquaredError()
        >>> m.update_state(np.array([[0.0]]), np.array([[1.0]]))
        >>> m.reset_state()
        >>> m.result()
        0.0
        """
        self._acc = None
        for v in self.__dict__.get("_variables", []):  # Keras: every variable back to zeros
            v[...] = 0.0

    def get_config(self):
        """Returns the metric's constructor arguments as a dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.metrics.BinaryAccuracy(threshold=0.7).get_config()
        {'name': 'binary_accuracy', 'threshold': 0.7}
        """
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        """Creates a metric from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The constructor arguments.

        Returns
        -------
        Metric

        Examples
        --------
        >>> pynn.metrics.SparseTopKCategoricalAccuracy.from_config({"k": 3}).k
        3
        """
        return cls(**config)


# statistics ops that score every element of y_pred on its own (a label per element)
_ELEMENTWISE_STATS = ("confusion_stats", "binary_accuracy_stats")


def _weigh_elements(y_true, y_pred, w):
    """Weights other than one per sample (per element (batch, k), per column (1, k)), as
    Keras' confusion metrics broadcast them against the labels: every element becomes a
    sample of its own with its weight. Weighted sums, and so the metric, are unchanged."""
    we = w[..., None]
    if we.ndim == y_pred.ndim + 1 and we.shape[-1] == 1:
        we = we[..., 0]
    try:
        we = np.broadcast_to(we, y_pred.shape)
        y_true = np.broadcast_to(y_true.reshape(y_pred.shape) if y_true.size == y_pred.size
                                 else y_true, y_pred.shape)
    except ValueError:
        raise ValueError(f"sample_weight of shape {w.shape} does not broadcast to the "
                         f"predictions' shape {y_pred.shape} (one weight per sample, per "
                         "element, or per column)") from None
    return (np.ascontiguousarray(y_true).reshape(-1, 1), y_pred.reshape(-1, 1),
            np.ascontiguousarray(we).reshape(-1))


def _default_name(cls):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


class MeanMetric(Metric):
    """The base of metrics that are a weighted mean of per-sample values.

    Its statistics are ``[sum(w * value), sum(w)]`` and its value their ratio.

    Parameters
    ----------
    name : str, optional
        The key in logs.
    dtype : None
        Accepted for Keras compatibility.

    Examples
    --------
    >>> m = pynn.metrics.MeanAbsoluteError()
    >>> isinstance(m, pynn.metrics.MeanMetric)
    True
    >>> float(m.value_from(np.array([6.0, 4.0])))
    1.5
    """

    def value_from(self, acc):
        return acc[0] / acc[1] if acc[1] else 0.0


class _PerStep:
    """Keras scores a sequence output (batch, time, classes) at every time step: one
    argmax per step, the steps of a sample averaged, then the samples weighted. The
    steps become rows of their own carrying weight w/steps, so the statistics op's
    [Σ w·v, Σ w] equal Keras' Σ_b w_b·mean_t(v_bt) and Σ_b w_b."""

    def stats(self, y_true, y_pred, sample_weight):
        """Returns the statistics Tensor of one batch, a sequence output scored per step.

        Parameters
        ----------
        y_true : Tensor or array_like
            Labels: one-hot, or class ids (per sample or per time step).
        y_pred : Tensor or array_like
            Predictions (batch, classes) or (batch, time, classes).
        sample_weight : Tensor or array_like
            One weight per sample.

        Returns
        -------
        Tensor
            [Σ w·v, Σ w], v the per-sample mean over the time steps.

        Examples
        --------
        >>> m = pynn.metrics.SparseCategoricalAccuracy()
        >>> p = np.array([[[0.9, 0.1], [0.2, 0.8]]], np.float32)  # one sample, two steps
        >>> m.stats(np.array([[0.0, 0.0]], np.float32), p, np.ones(1, np.float32)).numpy()
        array([0.5, 1. ], dtype=float32)
        """
        from . import ops
        if len(y_pred.shape) > 2:
            classes = y_pred.shape[-1]
            steps = int(np.prod(y_pred.shape[1:-1]))
            y_pred = ops.reshape(y_pred, (-1, classes))
            labels = y_true.shape[-1] if len(y_true.shape) == len(y_pred.shape) + 1 and \
                self.stats_op == "categorical_accuracy_stats" else 1
            y_true = ops.reshape(y_true, (-1, labels))
            if len(sample_weight.shape) == 2:  # per step already: the output's Keras mask
                sample_weight = ops.reshape(sample_weight * np.float32(1.0 / steps), (-1,))
            else:
                per_step = np.full((1, steps), 1.0 / steps, np.float32)
                sample_weight = ops.reshape(ops.reshape(sample_weight, (-1, 1)) * per_step,
                                            (-1,))
        return super().stats(y_true, y_pred, sample_weight)


class BinaryAccuracy(MeanMetric):
    """How often predictions match binary labels, at a threshold.

    A prediction counts as 1 when it is above ``threshold``. What ``"accuracy"``
    resolves to when the model has one output unit.

    Parameters
    ----------
    threshold : float, default 0.5
        The probability above which a prediction is positive.
    name : str, default "binary_accuracy"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.BinaryAccuracy()
    >>> m.update_state(np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.2], [0.4], [0.6]]))
    >>> m.result()
    0.5
    """
    stats_op = "binary_accuracy_stats"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name)
        self.threshold = threshold

    def _attrs(self):
        return {"threshold": float(self.threshold)}

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


class CategoricalAccuracy(_PerStep, MeanMetric):
    """How often the predicted class (argmax) matches one-hot labels.

    What ``"accuracy"`` resolves to for one-hot labels and several output units.

    Parameters
    ----------
    name : str, default "categorical_accuracy"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.CategoricalAccuracy()
    >>> m.update_state(np.array([[0, 1], [1, 0]]), np.array([[0.1, 0.9], [0.3, 0.7]]))
    >>> m.result()
    0.5
    """
    stats_op = "categorical_accuracy_stats"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name)


class SparseCategoricalAccuracy(_PerStep, MeanMetric):
    """How often the predicted class (argmax) matches integer class ids.

    What ``"accuracy"`` resolves to for integer labels and several output units.

    Parameters
    ----------
    name : str, default "sparse_categorical_accuracy"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.SparseCategoricalAccuracy()
    >>> m.update_state(np.array([1, 0, 2]),
    ...                np.array([[0.1, 0.9, 0.0], [0.6, 0.3, 0.1], [0.5, 0.3, 0.2]]))
    >>> round(m.result(), 4)
    0.6667
    """
    stats_op = "sparse_categorical_accuracy_stats"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name)


class SparseTopKCategoricalAccuracy(_PerStep, MeanMetric):
    """How often the integer class id is among the ``k`` highest predictions.

    Labels are class ids; predictions are scores over the classes.

    Parameters
    ----------
    k : int, default 5
        How many of the top predictions count as a hit.
    name : str, default "sparse_top_k_categorical_accuracy"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.SparseTopKCategoricalAccuracy(k=2)
    >>> m.update_state(np.array([1, 0, 2]),
    ...                np.array([[0.1, 0.9, 0.0], [0.6, 0.3, 0.1], [0.5, 0.3, 0.2]]))
    >>> round(m.result(), 4)  # the third sample's class 2 is only third
    0.6667
    """
    stats_op = "top_k_accuracy_stats"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name)
        self.k = k

    def _attrs(self):
        return {"k": self.k}

    def get_config(self):
        return {"name": self.name, "k": self.k}


class TopKCategoricalAccuracy(SparseTopKCategoricalAccuracy):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    The label's class index is Σ_k y_k·k (the argmax of a one-hot row), then as
    `SparseTopKCategoricalAccuracy`; sequence outputs are scored per time step.

    Parameters
    ----------
    k : int, default 5
    name : str, default "top_k_categorical_accuracy"
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state(np.array([[0, 1], [1, 0]]), np.array([[0.4, 0.6], [0.3, 0.7]]))
    >>> m.result()
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(k, name)

    def stats(self, y_true, y_pred, sample_weight):
        from . import ops
        classes = np.arange(y_pred.shape[-1], dtype=np.float32)
        return super().stats(ops.sum(ops.multiply(y_true, classes), axis=-1), y_pred,
                             sample_weight)


class MeanMetricWrapper(MeanMetric):
    """The weighted mean over samples of ``fn(y_true, y_pred)`` (Keras' MeanMetricWrapper).

    Per-element values are averaged over the trailing axes, as Keras does (weights
    of shape (batch, steps) weigh each step before the average). What a
    loss object or a function in ``compile(metrics=[...])`` becomes; its
    statistics [Σ w·v, Σ w] run in the graph like every other metric's.

    Parameters
    ----------
    fn : callable or pynn.losses.Loss
        ``fn(y_true, y_pred)`` returning per-sample values.
    name : str, optional
        Default: the loss's name or the function's ``__name__``.
    dtype : None
        Accepted for Keras compatibility (float32).
    **kwargs
        Passed to ``fn``.

    Examples
    --------
    >>> m = pynn.metrics.MeanMetricWrapper(pynn.losses.mean_squared_error)
    >>> m.update_state(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
    >>> m.name, m.result()
    ('mean_squared_error', 0.25)
    """

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
        return _samplewise_stats(per, sample_weight)


def _samplewise_stats(values, sample_weight):
    """[Σ w·v, Σ w] of per-element values as Keras 3's reduce_to_samplewise_values: the
    weights are brought to the values' rank (a trailing 1 squeezed or added), the values
    averaged over the axes the weights lack, weighted element by element, and both
    averaged over their axes past the first; so weights (batch, 1) weigh samples and
    weights (batch, steps) weigh each step."""
    from . import ops
    from .losses import _same_rank
    if sample_weight is None:
        sample_weight = np.ones(values.shape[:1], np.float32)
    w = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
    values, w = _same_rank(values, w)
    if values.ndim > w.ndim:
        values = ops.mean(values, axis=tuple(range(w.ndim, values.ndim)))
    w = w * ops.ones_like(values)
    values = values * w
    if w.ndim > 1:
        w = ops.mean(w, axis=tuple(range(1, w.ndim)))
    if values.ndim > 1:
        values = ops.mean(values, axis=tuple(range(1, values.ndim)))
    return ops.stack([ops.sum(values), ops.sum(w)])


def _loss_metric(cls_name, loss_name, default_name, example, **defaults):
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
        """Returns the constructor arguments (JSON data).

        Examples
        --------
        >>> pynn.metrics.BinaryCrossentropy(name="bce").get_config()
        {'name': 'bce', 'from_logits': False, 'label_smoothing': 0.0}
        """
        return {"name": self.name, **self._config}

    args = "".join(f"    {k} : {type(v).__name__}, default {v!r}\n" for k, v in defaults.items())
    doc = (f"The mean of `pynn.losses.{loss_name}` over samples, as a metric (Keras'\n"
           f"``metrics.{cls_name}``).\n\n    Parameters\n    ----------\n"
           f"    name : str, default {default_name!r}\n    dtype : None\n"
           f"        Accepted for Keras compatibility (float32).\n{args}\n"
           f"    Examples\n    --------\n    >>> m = pynn.metrics.{cls_name}()\n"
           f"    >>> m.update_state({example[0]}, {example[1]})\n"
           f"    >>> round(m.result(), 4)\n    {example[2]}\n    ")
    # _direction: a loss improves downwards (Keras sets it on these metrics, and
    # EarlyStopping / ModelCheckpoint in mode "auto" read it)
    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "get_config": get_config,
                                                 "__doc__": doc, "__module__": __name__,
                                                 "_direction": "down"})


_ONE_HOT = ("np.array([[0.0, 1.0], [1.0, 0.0]])", "np.array([[0.4, 0.6], [0.3, 0.7]])")


BinaryCrossentropy = _loss_metric("BinaryCrossentropy", "BinaryCrossentropy",
                                  "binary_crossentropy", _ONE_HOT + ("0.8574",),
                                  from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy", "CategoricalCrossentropy",
                                       "categorical_crossentropy", _ONE_HOT + ("0.8574",),
                                       from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy",
                                             "SparseCategoricalCrossentropy",
                                             "sparse_categorical_crossentropy",
                                             ("np.array([1, 0])", _ONE_HOT[1], "0.8574"),
                                             from_logits=False)
MeanAbsolutePercentageError = _loss_metric("MeanAbsolutePercentageError",
                                           "MeanAbsolutePercentageError",
                                           "mean_absolute_percentage_error",
                                           ("np.array([[2.0, 4.0]])", "np.array([[1.0, 5.0]])",
                                            "37.5"))
KLDivergence = _loss_metric("KLDivergence", "KLDivergence", "kl_divergence",
                            ("np.array([[0.2, 0.8]])", "np.array([[0.5, 0.5]])", "0.1927"))
Hinge = _loss_metric("Hinge", "Hinge", "hinge", _ONE_HOT + ("1.05",))


class MeanSquaredError(MeanMetric):
    """The mean squared error ``mean((y_true - y_pred)**2)`` as a running metric.

    Averaged over the last axis per sample, then over samples (Keras' ``"mse"``).

    Parameters
    ----------
    name : str, default "mean_squared_error"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.MeanSquaredError()
    >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
    >>> m.result()
    0.5
    """
    stats_op = "mse_stats"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name)


class MeanAbsoluteError(MeanMetric):
    """The mean absolute error ``mean(|y_true - y_pred|)`` as a running metric.

    Averaged over the last axis per sample, then over samples (Keras' ``"mae"``).

    Parameters
    ----------
    name : str, default "mean_absolute_error"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.MeanAbsoluteError()
    >>> m.update_state(np.array([[0.0], [1.0]]), np.array([[2.0], [1.0]]))
    >>> m.result()
    1.0
    """
    stats_op = "mae_stats"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name)


class Mean(MeanMetric):
    """The running (weighted) mean of the values given to ``update_state``, as Keras'
    ``metrics.Mean`` -- the loss tracker of a custom ``train_step``.

    Values with more than one axis are first averaged per sample (over every axis
    but the first); a scalar counts as one sample.

    Parameters
    ----------
    name : str, default "mean"
        The key in logs.
    dtype : None
        Accepted for Keras compatibility.

    Examples
    --------
    >>> m = pynn.metrics.Mean(name="loss")
    >>> m.update_state(np.array([1.0, 3.0]))
    >>> m.update_state(6.0, sample_weight=2.0)  # a batch mean of 6 over 2 samples
    >>> m.result()  # (1 + 3 + 6 * 2) / 4
    4.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)

    def stats(self, y_true, y_pred, sample_weight):
        """Refused: a Mean averages the values given to ``update_state(values)``; it is
        not a ``compile(metrics=...)`` metric of targets and predictions.

        Parameters
        ----------
        y_true, y_pred, sample_weight
            Ignored.

        Raises
        ------
        TypeError
            Always.

        Examples
        --------
        >>> pynn.metrics.Mean().stats(None, None, None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: metrics.Mean averages the values given to update_state(values)...
        """
        raise TypeError(f"metrics.Mean averages the values given to update_state(values); it "
                        f"is not a compile() metric of (y_true, y_pred) (metric '{self.name}')")

    def update_state(self, values, sample_weight=None):
        """Adds values (a Tensor, array or number) to the running mean.

        Parameters
        ----------
        values : array_like or Tensor
            A scalar (one sample) or one value per sample (samples first; further axes
            are averaged per sample).
        sample_weight : array_like or float, optional
            Weights broadcast to the per-sample values (a scalar weighs a scalar value
            as that many samples, as Keras' loss tracker does with the batch size).

        Raises
        ------
        ValueError
            ``sample_weight`` does not broadcast to the values.

        Examples
        --------
        >>> m = pynn.metrics.Mean()
        >>> m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=[1.0, 0.0])
        >>> m.result()  # the first sample's mean only
        2.0
        """
        v = np.asarray(values, np.float64)
        if sample_weight is None:
            if v.ndim > 1:
                v = v.mean(axis=tuple(range(1, v.ndim)))
            stats = [v.sum(), v.shape[0] if v.ndim else 1]
        else:  # Keras' reduce_to_samplewise_values
            w = np.asarray(sample_weight, np.float64)
            if v.ndim > w.ndim:
                v = v.mean(axis=tuple(range(w.ndim, v.ndim)))
            try:
                w = np.broadcast_to(w, v.shape)
            except ValueError:
                raise ValueError(f"metrics.Mean '{self.name}': sample_weight of shape {w.shape} does "
                                 f"not broadcast to values of shape {v.shape}") from None
            v = v * w
            if v.ndim > 1:
                v, w = v.mean(axis=tuple(range(1, v.ndim))), w.mean(axis=tuple(range(1, v.ndim)))
            stats = [v.sum(), w.sum()]
        s = np.array(stats, np.float64)
        self._acc = s if self._acc is None else self._acc + s


class RootMeanSquaredError(MeanMetric):
    """The root of the mean squared error over all samples seen.

    ``sqrt(mean((y_true - y_pred)**2))``: the square root is taken of the mean over
    every batch, not averaged per batch (Keras' ``"rmse"``).

    Parameters
    ----------
    name : str, default "root_mean_squared_error"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.RootMeanSquaredError()
    >>> m.update_state(np.array([[0.0], [0.0]]), np.array([[3.0], [4.0]]))
    >>> round(m.result(), 4)  # sqrt((9 + 16) / 2)
    3.5355
    """
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
        return {"thresholds_billionths": [int(round(t * 1e9)) for t in self.thresholds]}

    def _counts(self, acc):
        k = len(self.thresholds)
        return acc[:k], acc[k:2 * k], acc[2 * k:3 * k], acc[3 * k:]


def _thresholds(kind, thresholds):
    """A confusion metric's thresholds: None -> 0.5, a float, or a list of floats in [0, 1]."""
    if thresholds is None:
        return (0.5,)
    values = [thresholds] if np.ndim(thresholds) == 0 else list(thresholds)
    if not values or any(not isinstance(t, (int, float, np.integer, np.floating))
                         or isinstance(t, bool) or not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"{kind}: thresholds must be in [0, 1] (a float or a list of floats), "
                         f"got {thresholds!r}")
    return tuple(float(t) for t in values)


class Precision(_Confusion):
    """Precision of binary predictions: ``tp / (tp + fp)`` at a threshold.

    Of the samples predicted positive, the fraction that are positive.

    Parameters
    ----------
    thresholds : float or list of float, optional
        The probability above which a prediction is positive (default 0.5); with a
        list, the result is one precision per threshold (an array).
    name : str, default "precision"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.Precision()
    >>> m.update_state(np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.8], [0.4], [0.1]]))
    >>> m.result()  # 2 predicted positive, 1 of them right
    0.5
    """
    def __init__(self, thresholds=None, name="precision", dtype=None):
        super().__init__(name)
        self.thresholds = _thresholds(type(self).__name__, thresholds)

    @staticmethod
    def _ratio(a, b):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        r = np.divide(a, a + b, out=np.zeros_like(a), where=(a + b) != 0)
        return float(r[0]) if len(r) == 1 else r  # Keras: a scalar for one threshold

    def value_from(self, acc):
        tp, fp, _, _ = self._counts(acc)
        return self._ratio(tp, fp)

    def result(self):
        if self._acc is None:
            return 0.0 if len(self.thresholds) == 1 else np.zeros(len(self.thresholds))
        return self.value_from(self._acc)

    def get_config(self):
        return {"name": self.name, "thresholds": (self.thresholds[0] if len(self.thresholds) == 1
                                                  else list(self.thresholds))}


class Recall(Precision):
    """Recall of binary predictions: ``tp / (tp + fn)`` at a threshold.

    Of the positive samples, the fraction predicted positive.

    Parameters
    ----------
    thresholds : float or list of float, optional
        The probability above which a prediction is positive (default 0.5); with a
        list, the result is one recall per threshold (an array).
    name : str, default "recall"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> m = pynn.metrics.Recall()
    >>> m.update_state(np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.8], [0.4], [0.1]]))
    >>> m.result()  # 2 positives, 1 found
    0.5
    """
    def __init__(self, thresholds=None, name="recall", dtype=None):
        super().__init__(thresholds, name)

    def value_from(self, acc):
        tp, _, _, fn = self._counts(acc)
        return self._ratio(tp, fn)


_COUNT_DOC = """Weighted count of {kind} at one threshold (default 0.5), or at each of a list
    of thresholds (then the result is an array), as Keras' ``{cls}``. A prediction
    counts as positive when above the threshold; labels above 0.5 are positive.

    Parameters
    ----------
    thresholds : float or list of float, optional
        In [0, 1]; default 0.5.
    name : str, optional
        Default: the snake-case class name.
    dtype : None
        Accepted for Keras compatibility (float32).

    Raises
    ------
    ValueError
        A threshold outside [0, 1].

    Examples
    --------
    >>> m = pynn.metrics.{cls}()
    >>> m.update_state(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1]))
    >>> m.result()
    1.0
    >>> m = pynn.metrics.{cls}(thresholds=[0.2, 0.85])
    >>> m.update_state(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1]))
    >>> m.result()
    array({values})
    """


class _Count(_Confusion):
    """The confusion counts' common code (TruePositives, FalsePositives, ...)."""
    index = None  # which of [tp, fp, tn, fn]

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name)
        self.thresholds = _thresholds(type(self).__name__, thresholds)
        self._scalar = len(self.thresholds) == 1  # Keras: a scalar for one threshold

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


for _cls, _kind, _values in ((TruePositives, "true positives", "[2., 1.]"),
                             (FalsePositives, "false positives", "[1., 0.]"),
                             (TrueNegatives, "true negatives", "[1., 2.]"),
                             (FalseNegatives, "false negatives", "[0., 1.]")):
    _cls.__doc__ = _COUNT_DOC.format(kind=_kind, cls=_cls.__name__, values=_values)


class AUC(_Confusion):
    """Area under the ROC (or precision-recall) curve, Keras' approximation.

    Confusion counts at ``num_thresholds`` thresholds spaced evenly in [0, 1] are
    summed over batches; the area is their interpolated Riemann sum, as Keras.

    Parameters
    ----------
    num_thresholds : int, default 200
        Number of thresholds (more: closer to the exact area).
    curve : {"ROC", "PR", "PRGAIN"}, default "ROC"
        The ROC curve, the precision-recall curve, or the precision-recall-gain curve.
    summation_method : {"interpolation", "minoring", "majoring"}, default "interpolation"
        How each trapezoid's height is taken; for "PR", "interpolation" integrates
        precision in closed form between thresholds (Davis & Goadrich), as Keras.
    name : str, default "auc"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).
    thresholds : list of float, optional
        Thresholds in [0, 1] to use instead of ``num_thresholds`` evenly spaced ones.
    from_logits : bool, default False
        Whether predictions are logits (a sigmoid is applied first).

    Raises
    ------
    ValueError
        An unknown curve or summation method, num_thresholds < 2, a threshold
        outside [0, 1].

    Examples
    --------
    >>> m = pynn.metrics.AUC()
    >>> m.update_state(np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.8], [0.4], [0.1]]))
    >>> m.result()  # 3 of the 4 positive-negative pairs are ranked right
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, from_logits=False):
        super().__init__(name)
        if curve not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f"AUC: curve must be 'ROC', 'PR' or 'PRGAIN', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        eps = 1e-7
        if thresholds is not None:  # Keras: the given ones, between 0 - eps and 1 + eps
            inner = sorted(_thresholds("AUC", thresholds))
            num_thresholds = len(inner) + 2
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds < 2:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got "
                                 f"{num_thresholds!r}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        self.from_logits, self._given_thresholds = bool(from_logits), thresholds
        self.thresholds = tuple([-eps] + list(inner) + [1.0 + eps])

    def stats(self, y_true, y_pred, sample_weight):
        if self.from_logits:
            from . import ops
            y_pred = ops.sigmoid(ops.convert_to_tensor(y_pred))
        return super().stats(y_true, y_pred, sample_weight)

    def value_from(self, acc):
        tp, fp, tn, fn = (np.asarray(a, np.float64) for a in self._counts(acc))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _interpolated_pr_auc(tp, fp, fn)

        def ratio(a, b):
            return np.divide(a, b, out=np.zeros_like(a), where=b != 0)
        recall = ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = ratio(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, ratio(tp, tp + fp)
        else:  # PRGAIN (Flach & Kull 2015), with Keras' fixes where it diverges
            scale = ratio(tp + fn, tn + fp)
            x = np.where(tp == 0, 0.0, np.maximum(1.0 - scale * ratio(fn, tp), 0.0))
            y = np.where(tp == 0, 1.0, 1.0 - scale * ratio(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self):
        config = {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "from_logits": self.from_logits}
        if self._given_thresholds is not None:
            config["thresholds"] = list(self.thresholds[1:-1])
        return config


def _interpolated_pr_auc(tp, fp, fn):
    """Keras' PR-AUC "interpolation" (Davis & Goadrich 2006): between two thresholds
    TP and the predicted positives P vary linearly, so precision TP/P is integrated in
    closed form, ``slope * (dTP + intercept * log(P_a / P_b)) / total positives``."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    dp_pos = np.maximum(dp, 0.0)
    slope = np.divide(dtp, dp_pos, out=np.zeros_like(dtp), where=dp_pos != 0)
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.ones_like(dtp)
    np.divide(p[:-1], np.maximum(p[1:], 0.0), out=ratio, where=both)
    positives = np.maximum(tp[1:] + fn[1:], 0.0)
    step = slope * (dtp + intercept * np.log(ratio))
    return float(np.sum(np.divide(step, positives, out=np.zeros_like(step),
                                  where=positives != 0)))


class F1Score(Metric):
    """F1 score (harmonic mean of precision and recall) per class, or averaged.

    Labels are one-hot ``(batch, classes)``. Without a threshold each sample's
    argmax is its predicted class.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}, default None
        None: one score per class (an array); "micro": from the pooled counts;
        "macro": the mean of the class scores; "weighted": their mean weighted
        by class support.
    threshold : float, optional
        Predictions above it are positive (several classes may be); default:
        the argmax.
    name : str, default "f1_score"
        The key of the metric in logs and ``History``.
    dtype : None
        Accepted for Keras compatibility (float32).

    Examples
    --------
    >>> y_true = np.array([[1, 0], [0, 1], [0, 1]])
    >>> y_pred = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    >>> m = pynn.metrics.F1Score()
    >>> m.update_state(y_true, y_pred)
    >>> m.result().round(4)
    array([0.6667, 0.6667])
    >>> m = pynn.metrics.F1Score(average="macro")
    >>> m.update_state(y_true, y_pred)
    >>> round(m.result(), 4)
    0.6667
    """
    stats_op = "perclass_stats"

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(name)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"F1Score: average must be None, 'micro', 'macro' or 'weighted', "
                             f"got {average!r}")
        self.average, self.threshold = average, threshold

    def _attrs(self):
        if self.threshold is None:
            return {"use_threshold": False}
        return {"use_threshold": True, "threshold": float(self.threshold)}

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
    """Returns a metric from a name (case-insensitive), a class or an instance.

    ``"accuracy"`` / ``"acc"`` resolve from the label and prediction shapes as
    Keras does (binary, categorical or sparse categorical); the log key is the
    string that was passed.

    Parameters
    ----------
    identifier : str, type or Metric
        A name (``"mae"``, ``"mse"``, ``"rmse"``, ``"auc"``, ``"precision"``,
        ``"recall"``, ``"f1_score"``, ``"accuracy"``, ...), a Metric class or an
        instance (returned as is).
    y_true_shape, y_pred_shape : tuple, optional
        The label and prediction shapes, needed to resolve ``"accuracy"``.

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        An unknown name (with a "did you mean"), or ``"accuracy"`` without shapes.

    Examples
    --------
    >>> type(pynn.metrics.get("mae")).__name__
    'MeanAbsoluteError'
    >>> type(pynn.metrics.get("accuracy", (None, 1), (None, 1))).__name__
    'BinaryAccuracy'
    >>> type(pynn.metrics.get("accuracy", (None,), (None, 10))).__name__
    'SparseCategoricalAccuracy'
    """
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


# Keras 3's further metrics: mean metrics over losses, Keras-style stateful metrics
# (pynn/metrics_stateful.py) and per-sample functions (pynn/metric_functions.py)
SquaredHinge = _loss_metric("SquaredHinge", "SquaredHinge", "squared_hinge",
                            _ONE_HOT + ("1.375",))
CategoricalHinge = _loss_metric("CategoricalHinge", "CategoricalHinge", "categorical_hinge",
                                _ONE_HOT + ("1.1",))
LogCoshError = _loss_metric("LogCoshError", "LogCosh", "logcosh", _ONE_HOT + ("0.1526",))
MeanSquaredLogarithmicError = _loss_metric("MeanSquaredLogarithmicError",
                                           "MeanSquaredLogarithmicError",
                                           "mean_squared_logarithmic_error", _ONE_HOT + ("0.1575",))
Poisson = _loss_metric("Poisson", "Poisson", "poisson", _ONE_HOT + ("0.9287",))

from .metric_functions import (  # noqa: E402  (they subclass MeanMetricWrapper, above)
    Accuracy, ConcordanceCorrelation, CosineSimilarity, PearsonCorrelation, binary_accuracy,
    categorical_accuracy, concordance_correlation, pearson_correlation,
    sparse_categorical_accuracy, sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from .metrics_stateful import (  # noqa: E402
    BinaryIoU, FBetaScore, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PrecisionAtRecall, R2Score,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, Sum)
from .losses import (  # noqa: E402  (Keras exports the loss functions as metrics too)
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

_ALIASES.update({
    "categorical_hinge": CategoricalHinge, "concordance_correlation": ConcordanceCorrelation,
    "cosine_similarity": CosineSimilarity, "fbeta_score": FBetaScore, "logcosh": LogCoshError,
    "log_cosh": LogCoshError, "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "pearson_correlation": PearsonCorrelation,
    "poisson": Poisson, "r2_score": R2Score, "squared_hinge": SquaredHinge,
})
_CLASSES.update({c.__name__: c for c in (
    *_ALIASES.values(), Accuracy, BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    Sum)})


def serialize(metric):
    """Returns ``{"class_name": ..., "config": {...}}`` for a metric.

    Parameters
    ----------
    metric : Metric
        A built-in metric.

    Returns
    -------
    dict

    Examples
    --------
    >>> pynn.metrics.serialize(pynn.metrics.R2Score(num_regressors=2))["config"]
    {'name': 'r2_score', 'class_aggregation': 'uniform_average', 'num_regressors': 2}
    """
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    """Creates a metric from ``serialize``'s dict.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> m = pynn.metrics.deserialize({"class_name": "MeanIoU", "config": {"num_classes": 3}})
    >>> type(m).__name__, m.num_classes
    ('MeanIoU', 3)
    """
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown metric class {config.get('class_name')!r}")
    return cls.from_config(config.get("config", {}))


__all__ += ["Accuracy", "BinaryIoU", "CategoricalHinge", "ConcordanceCorrelation",
            "CosineSimilarity", "FBetaScore", "IoU", "LogCoshError", "MeanIoU",
            "MeanSquaredLogarithmicError", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
            "Poisson", "PrecisionAtRecall", "R2Score", "RecallAtPrecision",
            "SensitivityAtSpecificity", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
            "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy",
            "categorical_accuracy", "categorical_crossentropy", "categorical_focal_crossentropy",
            "categorical_hinge", "concordance_correlation", "deserialize", "hinge", "huber",
            "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
            "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation",
            "poisson", "serialize", "sparse_categorical_accuracy",
            "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
            "squared_hinge", "top_k_categorical_accuracy"]
