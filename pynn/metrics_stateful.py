"""Keras 3's stateful metrics written the Keras way: variables made by ``add_variable``,
``update_state`` from pynn.ops adding to them, ``result`` from the variables. In fit and
evaluate the compiled loop sums the increments (pynn/metric_state.py), so these run
without Python in the batch loop; standalone they are plain running aggregates.

Each transcribes keras/src/metrics/ (Keras 3.15): iou_metrics.py, regression_metrics.py
(R2Score), f_score_metrics.py, confusion_metrics.py (the "at" metrics),
reduction_metrics.py (Sum). See https://keras.io/api/metrics/."""
import numpy as np

from . import ops
from .metrics import Metric

EPSILON = 1e-7


def _tensor(x):
    return ops.cast(ops.convert_to_tensor(x), "float32")


class Sum(Metric):
    """The running (weighted) sum of the values given (Keras' ``metrics.Sum``).

    Parameters
    ----------
    name : str, default "sum"
    dtype : None
        Accepted for Keras compatibility (float32).

    Returns
    -------
    Sum

    Examples
    --------
    >>> m = pynn.metrics.Sum()
    >>> m.update_state(np.array([1.0, 3.0, 5.0, 7.0]))
    >>> float(m.result())
    16.0
    >>> m.update_state(np.array([1.0, 2.0]), sample_weight=np.array([1.0, 0.0]))
    >>> float(m.result())
    17.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values, sample_weight=None):
        """Adds ``sum(values * sample_weight)``.

        Parameters
        ----------
        values : array_like or Tensor
            Values of any shape.
        sample_weight : array_like or Tensor, optional
            Broadcastable to ``values``.

        Examples
        --------
        >>> m = pynn.metrics.Sum()
        >>> m.update_state(np.array([[1.0, 2.0]]))
        >>> float(m.result())
        3.0
        """
        values = _tensor(values)
        if sample_weight is not None:
            w = _tensor(sample_weight)
            while w.ndim < values.ndim:
                w = ops.expand_dims(w, -1)
            values = values * w
        self.total.assign_add(ops.sum(values))

    def result(self):
        return float(self.total)

    def get_config(self):
        return {"name": self.name}


class _IoUBase(Metric):
    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=None)
        kind = type(self).__name__
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"{kind}: num_classes must be a positive integer, got {num_classes!r}")
        target_class_ids = list(target_class_ids)
        if not target_class_ids or max(target_class_ids) >= num_classes or \
                min(target_class_ids) < 0:
            raise ValueError(f"{kind}: target class ids must be in [0, {num_classes}), got "
                             f"{target_class_ids}")
        self.num_classes, self.target_class_ids = int(num_classes), target_class_ids
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable(shape=(num_classes, num_classes),
                                          name="total_confusion_matrix")

    def _classes(self, y, sparse):
        y = ops.convert_to_tensor(y)
        if not sparse:
            y = ops.argmax(y, axis=self.axis)
        # Keras casts ids to int (truncation toward zero), then keeps those in range
        return ops.reshape(ops.trunc(_tensor(y)), (-1,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (weighted) confusion matrix.

        Parameters
        ----------
        y_true : array_like or Tensor
            Class ids, or one-hot with ``sparse_y_true=False``.
        y_pred : array_like or Tensor
            Class ids, or scores with ``sparse_y_pred=False`` (argmax taken).
        sample_weight : array_like or Tensor, optional
            One weight per element (flattened as the labels).

        Examples
        --------
        >>> m = pynn.metrics.MeanIoU(num_classes=2)
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
        >>> round(m.result(), 4)
        0.3333
        """
        t = self._classes(y_true, self.sparse_y_true)
        p = self._classes(y_pred, self.sparse_y_pred)
        w = _flat_weights(sample_weight, t)
        k = float(self.num_classes)
        valid = ops.logical_and(ops.logical_and(t >= 0.0, t < k),
                                ops.logical_and(p >= 0.0, p < k))
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, ops.not_equal(t, float(self.ignore_class)))
        w = ops.where(valid, w, 0.0)
        one_t = ops.one_hot(ops.cast(ops.where(valid, t, 0.0), "int32"), self.num_classes)
        one_p = ops.one_hot(ops.cast(ops.where(valid, p, 0.0), "int32"), self.num_classes)
        # confusion[i, j] = sum of the weights of the elements of class i predicted as j
        self.total_cm.assign_add(ops.matmul(ops.cast(one_t, "float32") * ops.expand_dims(w, -1),
                                            ops.cast(one_p, "float32"), transpose_a=True))

    def result(self):
        cm = np.asarray(self.total_cm, np.float32)
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + np.float32(EPSILON)), 0.0)
        return float(np.sum(iou, dtype=np.float32) / (np.float32(valid.sum()) + EPSILON))

    def get_config(self):
        return {"name": self.name, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


def _flat_weights(sample_weight, like):
    """One weight per element of the flat labels ``like``: ones, a scalar, or the given
    weights flattened. Built from ``like`` (not from its length), so a traced program
    holds for every batch size."""
    ones = ops.ones_like(like)
    if sample_weight is None:
        return ones
    w = _tensor(sample_weight)
    return ones * (w if w.ndim == 0 else ops.reshape(w, (-1,)))


_IOU_PARAMS = """num_classes : int
    The number of classes (the confusion matrix is num_classes x num_classes).
target_class_ids : sequence of int
    The classes whose IoU is averaged.
name : str, optional
dtype : None
    Accepted for Keras compatibility; pynn counts in float32 (Keras' default int
    counts truncate fractional sample weights).
ignore_class : int, optional
    A label id whose elements are not counted.
sparse_y_true : bool, default True
    Labels are class ids (else one-hot: argmax along ``axis``).
sparse_y_pred : bool, default True
    Predictions are class ids (else scores: argmax along ``axis``).
axis : int, default -1"""


def _iou_doc(summary, params, example):
    return (f"{summary}\n\nIoU of a class = TP / (TP + FP + FN) from the running confusion "
            f"matrix; classes never seen (denominator 0) are left out of the mean.\n\n"
            f"Parameters\n----------\n{params}\n\nRaises\n------\nValueError\n"
            f"    A target class id out of range, or num_classes not a positive integer.\n\n"
            f"Examples\n--------\n{example}\n")


class IoU(_IoUBase):
    __doc__ = _iou_doc(
        "Intersection-over-union of chosen classes (Keras' ``metrics.IoU``), for "
        "segmentation.", _IOU_PARAMS,
        ">>> m = pynn.metrics.IoU(num_classes=2, target_class_ids=[0])\n"
        ">>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))\n"
        ">>> round(m.result(), 4)\n0.3333")


class MeanIoU(IoU):
    __doc__ = _iou_doc(
        "The mean IoU over every class (Keras' ``metrics.MeanIoU``).",
        _IOU_PARAMS.replace("target_class_ids : sequence of int\n    The classes whose IoU is "
                            "averaged.\n", ""),
        ">>> m = pynn.metrics.MeanIoU(num_classes=2)\n"
        ">>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),\n"
        "...                sample_weight=np.array([0.3, 0.3, 0.3, 0.1]))\n"
        ">>> round(m.result(), 4)\n0.2381")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)) if isinstance(
            num_classes, (int, np.integer)) and num_classes > 0 else [0], name=name,
            ignore_class=ignore_class, sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of binary labels with predictions thresholded at ``threshold`` (``p >= threshold``
    is class 1; Keras' ``metrics.BinaryIoU``).

    Parameters
    ----------
    target_class_ids : sequence of int, default (0, 1)
        0, 1 or both: the classes whose IoU is averaged.
    threshold : float, default 0.5
    name : str, optional
    dtype : None
        Accepted for Keras compatibility (float32 counts).

    Raises
    ------
    ValueError
        A target class id other than 0 or 1.

    Examples
    --------
    >>> m = pynn.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state(np.array([0, 1, 0, 1]), np.array([0.1, 0.2, 0.4, 0.7]))
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(ops.greater_equal(_tensor(y_pred), float(self.threshold)), "float32")
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "target_class_ids": self.target_class_ids,
                "threshold": self.threshold}


class OneHotIoU(IoU):
    __doc__ = _iou_doc(
        "IoU of chosen classes for one-hot labels and score predictions (Keras' "
        "``metrics.OneHotIoU``): both are turned into class ids by their argmax.",
        _IOU_PARAMS.replace("sparse_y_true : bool, default True\n    Labels are class ids (else "
                            "one-hot: argmax along ``axis``).\n", "").replace(
            "sparse_y_pred : bool, default True", "sparse_y_pred : bool, default False"),
        ">>> m = pynn.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])\n"
        ">>> m.update_state(np.eye(3)[[0, 0, 2, 1]],\n"
        "...                np.array([[.2, .3, .5], [.1, .2, .7], [.5, .3, .1], [.1, .4, .5]]))\n"
        ">>> round(m.result(), 4)\n0.0")

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    __doc__ = _iou_doc(
        "The mean IoU over every class for one-hot labels and score predictions (Keras' "
        "``metrics.OneHotMeanIoU``).",
        _IOU_PARAMS.replace("target_class_ids : sequence of int\n    The classes whose IoU is "
                            "averaged.\n", "").replace(
            "sparse_y_true : bool, default True\n    Labels are class ids (else one-hot: argmax "
            "along ``axis``).\n", "").replace("sparse_y_pred : bool, default True",
                                              "sparse_y_pred : bool, default False"),
        ">>> m = pynn.metrics.OneHotMeanIoU(num_classes=2)\n"
        ">>> m.update_state(np.eye(2)[[0, 0, 1, 1]], np.eye(2)[[0, 1, 0, 1]])\n"
        ">>> round(m.result(), 4)\n0.3333")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class _LazyStateMetric(Metric):
    """A metric whose variables' shapes come from the first batch (the number of
    classes): ``_build_state`` makes them, before update_state runs standalone and
    before the compiled loop records its increments (pynn/metric_state.py)."""
    _built = False

    def _build_state(self, y_true_shape, y_pred_shape):
        if self._built:
            return
        kind = type(self).__name__
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{kind} expects 2D inputs of shape (batch_size, output_dim); got "
                             f"y_true.shape={tuple(y_true_shape)} and "
                             f"y_pred.shape={tuple(y_pred_shape)}")
        self._make_variables(int(y_pred_shape[-1]))
        self._built = True

    def result(self):
        return 0.0 if not self._built else self._result()


class R2Score(_LazyStateMetric):
    """The coefficient of determination R² per output, aggregated (Keras'
    ``metrics.R2Score``): ``1 - SS_res / SS_tot`` from running weighted sums.

    Parameters
    ----------
    class_aggregation : {"uniform_average", "variance_weighted_average", None}
        The mean of the outputs' scores, their mean weighted by each output's
        variance, or one score per output.
    num_regressors : int, default 0
        When > 0, the adjusted R² for that many regressors, n being the number of samples
        with a non-zero weight (the plain R² when p >= n - 1).
    name : str, default "r2_score"
    dtype : None
        Accepted for Keras compatibility (float32).

    Raises
    ------
    ValueError
        An unknown ``class_aggregation``, a negative ``num_regressors``, inputs not 2D.

    Examples
    --------
    >>> m = pynn.metrics.R2Score()
    >>> m.update_state(np.array([[1.0], [4.0], [3.0]]), np.array([[2.0], [4.0], [4.0]]))
    >>> round(m.result(), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("R2Score: class_aggregation must be one of None, 'uniform_average', "
                             f"'variance_weighted_average', got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")

    def _make_variables(self, outputs):
        self.squared_sum = self.add_variable(shape=(outputs,), name="squared_sum")
        self.sum = self.add_variable(shape=(outputs,), name="sum")
        self.total_mse = self.add_variable(shape=(outputs,), name="residual")
        self.count = self.add_variable(shape=(outputs,), name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted sums.

        Parameters
        ----------
        y_true : array_like or Tensor
            Targets ``(batch, outputs)``.
        y_pred : array_like or Tensor
            Predictions ``(batch, outputs)``.
        sample_weight : array_like or Tensor, optional
            One weight per sample (or per element).

        Examples
        --------
        >>> m = pynn.metrics.R2Score(class_aggregation=None)
        >>> m.update_state(np.array([[1.0, 0.0], [3.0, 2.0]]), np.array([[1.0, 1.0], [3.0, 1.0]]))
        >>> m.result()
        array([1., 0.], dtype=float32)
        """
        from .losses import _same_rank
        y_true, y_pred = _same_rank(_tensor(y_true), _tensor(y_pred))
        self._build_state(y_true.shape, y_pred.shape)
        w = ops.ones_like(y_true)
        if sample_weight is not None:
            sw = _tensor(sample_weight)
            w = w * (ops.expand_dims(sw, 1) if sw.ndim == 1 else sw)
        weighted = y_true * w
        self.sum.assign_add(ops.sum(weighted, axis=0))
        self.squared_sum.assign_add(ops.sum(y_true * weighted, axis=0))
        self.total_mse.assign_add(ops.sum(ops.square(y_true - y_pred) * w, axis=0))
        self.count.assign_add(ops.sum(w, axis=0))
        # n of the adjusted R²: the samples (rows) with a non-zero weight on some output,
        # as keras-team/keras#23334 (Keras 3.15 counted every element, n x outputs)
        self.num_samples.assign_add(ops.sum(ops.cast(ops.any(ops.not_equal(w, 0.0), axis=-1),
                                                     "float32")))

    def _result(self):
        s, count = np.asarray(self.sum), np.asarray(self.count)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.asarray(self.squared_sum) - s * (s / count)
            raw = 1 - np.asarray(self.total_mse) / total
        raw = np.where(np.isinf(raw), np.float32(0.0), raw).astype(np.float32)
        if self.class_aggregation == "uniform_average":
            r2 = np.float32(np.mean(raw))
        elif self.class_aggregation == "variance_weighted_average":
            r2 = np.float32(np.sum(total * raw) / np.sum(total))
        else:
            r2 = raw
        n, p = float(self.num_samples), self.num_regressors
        if p and p < n - 1:  # Keras warns and keeps the plain R² otherwise
            r2 = np.float32(1 - (1 - r2) * (n - 1) / (n - p - 1))
        return r2 if np.ndim(r2) else float(r2)

    def get_config(self):
        return {"name": self.name, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class FBetaScore(_LazyStateMetric):
    """F-beta score per class, or averaged (Keras' ``metrics.FBetaScore``):
    ``(1 + beta²) · P · R / (beta² · P + R)``.

    Labels are one-hot (or multi-label) ``(batch, classes)``. Without a threshold a
    sample's highest score is its predicted class (ties all count).

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}, default None
    beta : float, default 1.0
        Recall is weighted beta times as much as precision.
    threshold : float, optional
        In (0, 1]: predictions above it are positive.
    name : str, default "fbeta_score"
    dtype : None
        Accepted for Keras compatibility (float32).

    Raises
    ------
    ValueError
        An unknown average, beta not a positive float, threshold outside (0, 1].

    Examples
    --------
    >>> m = pynn.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> m.result().round(4)
    array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("FBetaScore: average must be None, 'micro', 'macro' or 'weighted', "
                             f"got {average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"FBetaScore: beta must be a Python float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or
                                      not 0.0 < threshold <= 1.0):
            raise ValueError("FBetaScore: threshold must be a Python float in (0, 1], got "
                             f"{threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self._axis = None if average == "micro" else 0

    def _make_variables(self, classes):
        shape = () if self.average == "micro" else (classes,)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, name=name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted true positives, false positives and false negatives.

        Parameters
        ----------
        y_true : array_like or Tensor
            One-hot / multi-label targets ``(batch, classes)``.
        y_pred : array_like or Tensor
            Scores ``(batch, classes)``.
        sample_weight : array_like or Tensor, optional
            One weight per sample.

        Examples
        --------
        >>> m = pynn.metrics.FBetaScore(average="micro")
        >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.6, 0.4]]))
        >>> round(m.result(), 4)
        0.5
        """
        y_true, y_pred = _tensor(y_true), _tensor(y_pred)
        self._build_state(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            y_pred = ops.logical_and(y_pred >= top, ops.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = ops.cast(y_pred, "float32")

        def weighted_sum(v):
            if sample_weight is not None:  # a scalar, one weight per sample, or per element
                sw = _tensor(sample_weight)
                v = v * (ops.expand_dims(sw, 1) if sw.ndim == 1 else sw)
            return ops.sum(v, axis=self._axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def _result(self):
        eps = np.float32(EPSILON)
        tp, fp, fn = (np.asarray(v, np.float32) for v in
                      (self.true_positives, self.false_positives, self.false_negatives))
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = np.float32(self.beta ** 2)
        f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            w = np.asarray(self.intermediate_weights, np.float32)
            f = np.sum(f * (w / (np.sum(w) + eps)))
        elif self.average is not None:  # micro (already pooled) or macro
            f = np.mean(f)
        return float(f) if np.ndim(f) == 0 else f.astype(np.float32)

    def get_config(self):
        return {"name": self.name, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class _AtBase(Metric):
    """Counts at ``num_thresholds`` evenly spaced thresholds in [0, 1] (Keras'
    SensitivitySpecificityBase): prediction > threshold is positive, every element of a
    multi-label prediction counts, ``class_id`` picks one column."""
    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        kind = type(self).__name__
        if not 0 <= value <= 1:
            raise ValueError(f"{kind}: {self._value_name} must be in [0, 1], got {value!r}")
        if num_thresholds <= 0:
            raise ValueError(f"{kind}: num_thresholds must be an integer > 0, got "
                             f"{num_thresholds!r}")
        super().__init__(name=name)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        self.thresholds = [0.5] if num_thresholds == 1 else \
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
        for v in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, v, self.add_variable(shape=(len(self.thresholds),), name=v))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's weighted counts at every threshold.

        Parameters
        ----------
        y_true : array_like or Tensor
            0/1 labels.
        y_pred : array_like or Tensor
            Probabilities in [0, 1], the shape of ``y_true``.
        sample_weight : array_like or Tensor, optional
            One weight per sample (or per element).

        Examples
        --------
        >>> m = pynn.metrics.PrecisionAtRecall(recall=0.5)
        >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.0, 0.3, 0.8, 0.9]))
        >>> m.result()
        1.0
        """
        y_true, y_pred = _tensor(y_true), _tensor(y_pred)
        w = ops.ones_like(y_pred)
        if sample_weight is not None:
            sw = _tensor(sample_weight)
            while sw.ndim < w.ndim:
                sw = ops.expand_dims(sw, -1)
            w = w * sw
        if self.class_id is not None:
            y_true = y_true[..., self.class_id]
            y_pred = y_pred[..., self.class_id]
            w = w[..., self.class_id]
        y_true = ops.cast(ops.not_equal(y_true, 0.0), "float32")
        y_pred = ops.reshape(y_pred, (-1, 1))
        y_true, w = ops.reshape(y_true, (-1, 1)), ops.reshape(w, (-1, 1))
        above = ops.cast(y_pred > np.asarray(self.thresholds, np.float32)[None, :], "float32")
        pos, neg = y_true * w, (1.0 - y_true) * w
        self.true_positives.assign_add(ops.sum(above * pos, axis=0))
        self.false_positives.assign_add(ops.sum(above * neg, axis=0))
        self.false_negatives.assign_add(ops.sum((1.0 - above) * pos, axis=0))
        self.true_negatives.assign_add(ops.sum((1.0 - above) * neg, axis=0))

    def _rates(self):
        tp, fp, tn, fn = (np.asarray(v, np.float32) for v in (
            self.true_positives, self.false_positives, self.true_negatives,
            self.false_negatives))

        def ratio(a, b):
            return np.divide(a, a + b, out=np.zeros_like(a), where=(a + b) != 0)
        return {"recall": ratio(tp, fn), "precision": ratio(tp, fp),
                "specificity": ratio(tn, fp)}

    def result(self):
        rates = self._rates()
        constrained, dependent = rates[self._constrained], rates[self._dependent]
        return float(np.max(np.where(constrained >= self.value, dependent, 0), initial=0))

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id, self._value_name: self.value}


def _at_doc(summary, value_name, example):
    return f"""{summary}

    Parameters
    ----------
    {value_name} : float
        In [0, 1].
    num_thresholds : int, default 200
        Thresholds evenly spaced over [0, 1] (one: 0.5).
    class_id : int, optional
        Score only this column of multi-label data.
    name : str, optional
    dtype : None
        Accepted for Keras compatibility (float32).

    Raises
    ------
    ValueError
        ``{value_name}`` outside [0, 1], or num_thresholds < 1.

    Examples
    --------
{example}
    """


class PrecisionAtRecall(_AtBase):
    __doc__ = _at_doc(
        "The best precision among thresholds where recall >= ``recall`` (Keras' "
        "``metrics.PrecisionAtRecall``).", "recall",
        "    >>> m = pynn.metrics.PrecisionAtRecall(recall=0.5)\n"
        "    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))\n"
        "    >>> m.result()\n    0.5")
    _value_name, _constrained, _dependent = "recall", "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name)


class RecallAtPrecision(_AtBase):
    __doc__ = _at_doc(
        "The best recall among thresholds where precision >= ``precision`` (Keras' "
        "``metrics.RecallAtPrecision``).", "precision",
        "    >>> m = pynn.metrics.RecallAtPrecision(precision=0.8)\n"
        "    >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 0.5, 0.3, 0.9]))\n"
        "    >>> m.result()\n    0.5")
    _value_name, _constrained, _dependent = "precision", "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name)


class SensitivityAtSpecificity(_AtBase):
    __doc__ = _at_doc(
        "The best sensitivity (recall) among thresholds where specificity >= "
        "``specificity`` (Keras' ``metrics.SensitivityAtSpecificity``).", "specificity",
        "    >>> m = pynn.metrics.SensitivityAtSpecificity(specificity=0.5)\n"
        "    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))\n"
        "    >>> m.result()\n    0.5")
    _value_name, _constrained, _dependent = "specificity", "specificity", "recall"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name)


class SpecificityAtSensitivity(_AtBase):
    __doc__ = _at_doc(
        "The best specificity among thresholds where sensitivity (recall) >= "
        "``sensitivity`` (Keras' ``metrics.SpecificityAtSensitivity``).", "sensitivity",
        "    >>> m = pynn.metrics.SpecificityAtSensitivity(sensitivity=0.5)\n"
        "    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))\n"
        "    >>> round(m.result(), 4)\n    0.6667")
    _value_name, _constrained, _dependent = "sensitivity", "recall", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name)
