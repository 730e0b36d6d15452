"""Keras 3's per-sample metric functions (accuracies, cosine similarity, correlations)
from pynn.ops, and the mean metrics over them (Keras' MeanMetricWrapper subclasses).

Transcribed from keras/src/metrics/accuracy_metrics.py, regression_metrics.py and
correlation_metrics.py (Keras 3.15); see https://keras.io/api/metrics/."""
import numpy as np

from . import ops
from .metrics import MeanMetricWrapper

EPSILON = 1e-7


def _pair(y_true, y_pred):
    from .losses import _same_rank
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    return _same_rank(ops.cast(ops.convert_to_tensor(y_true), "float32"), y_pred)


def accuracy(y_true, y_pred):
    """1.0 for each element where ``y_pred`` equals ``y_true`` exactly, else 0.0 (Keras'
    ``metrics.Accuracy``'s function; the metric averages them).

    Parameters
    ----------
    y_true, y_pred : array_like or Tensor
        Values of the same shape.

    Returns
    -------
    Tensor
        One value per element.

    Examples
    --------
    >>> from pynn.metric_functions import accuracy
    >>> accuracy(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 0]])).numpy()
    array([[1., 1.],
           [1., 0.]], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 for each label matched by ``y_pred > threshold``, else 0.0 (the metric
    `BinaryAccuracy` averages them).

    Parameters
    ----------
    y_true : array_like or Tensor
        0/1 labels.
    y_pred : array_like or Tensor
        Probabilities, the shape of ``y_true``.
    threshold : float, default 0.5

    Returns
    -------
    Tensor
        One value per element.

    Examples
    --------
    >>> pynn.metrics.binary_accuracy(np.array([[1, 1], [0, 0]]),
    ...                              np.array([[0.98, 0.4], [0.0, 0.6]])).numpy()
    array([[1., 0.],
           [1., 0.]], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    hits = ops.equal(y_true, ops.cast(ops.greater(y_pred, threshold), "float32"))
    return ops.cast(hits, "float32")


def categorical_accuracy(y_true, y_pred):
    """Per-sample 1.0 where the argmax of ``y_pred`` is the argmax of one-hot ``y_true``.

    Parameters
    ----------
    y_true : array_like or Tensor
        One-hot labels ``(batch, classes)``.
    y_pred : array_like or Tensor
        Scores ``(batch, classes)``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.metrics.categorical_accuracy(np.array([[0, 0, 1], [0, 1, 0]]),
    ...                                   np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]])).numpy()
    array([0., 1.], dtype=float32)
    """
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
    same = ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1))
    return ops.cast(same, "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample 1.0 where the argmax of ``y_pred`` is the class id ``y_true``.

    Parameters
    ----------
    y_true : array_like or Tensor
        Class ids ``(batch,)`` or ``(batch, 1)``.
    y_pred : array_like or Tensor
        Scores ``(batch, classes)``.

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.metrics.sparse_categorical_accuracy(np.array([2, 1]),
    ...                                          np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]])).numpy()
    array([0., 1.], dtype=float32)
    """
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    pred = ops.cast(ops.argmax(y_pred, axis=-1), "float32")
    return ops.cast(ops.equal(ops.cast(y_true, "float32"), pred), "float32")


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample 1.0 where class ``y_true`` is among the ``k`` highest scores (fewer than
    ``k`` classes score strictly higher).

    Parameters
    ----------
    y_true : array_like or Tensor
        Class ids ``(batch,)`` or ``(batch, 1)``.
    y_pred : array_like or Tensor
        Scores ``(batch, classes)``.
    k : int, default 5

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.metrics.sparse_top_k_categorical_accuracy(
    ...     np.array([2, 1]), np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]), k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
    y_true = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
    own = ops.take_along_axis(y_pred, y_true, axis=-1)
    higher = ops.sum(ops.cast(ops.greater(y_pred, own), "float32"), axis=-1)
    return ops.cast(ops.less(higher, float(k)), "float32")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample 1.0 where the one-hot label's class is among the ``k`` highest scores.

    Parameters
    ----------
    y_true : array_like or Tensor
        One-hot labels ``(batch, classes)``.
    y_pred : array_like or Tensor
        Scores ``(batch, classes)``.
    k : int, default 5

    Returns
    -------
    Tensor
        One value per sample.

    Examples
    --------
    >>> pynn.metrics.top_k_categorical_accuracy(
    ...     np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
    ...     k=2).numpy()
    array([1., 1.], dtype=float32)
    """
    return sparse_top_k_categorical_accuracy(ops.argmax(ops.convert_to_tensor(y_true), axis=-1),
                                             y_pred, k=k)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (the metric's
    sign: 1 for the same direction; the loss `pynn.losses.cosine_similarity` is its negative).

    Parameters
    ----------
    y_true, y_pred : array_like or Tensor
        Vectors of the same shape.
    axis : int, default -1

    Returns
    -------
    Tensor

    Examples
    --------
    >>> from pynn.metric_functions import cosine_similarity
    >>> cosine_similarity(np.array([[0.0, 1.0], [1.0, 1.0]]),
    ...                   np.array([[1.0, 0.0], [1.0, 1.0]])).numpy().round(4)
    array([0., 1.], dtype=float32)
    """
    from .loss_functions import cosine_similarity as loss
    return ops.negative(loss(*_pair(y_true, y_pred), axis=axis))


def pearson_correlation(y_true, y_pred, axis=-1):
    """Per-sample Pearson correlation of ``y_true`` and ``y_pred`` along ``axis``.

    Parameters
    ----------
    y_true, y_pred : array_like or Tensor
        Values of the same shape.
    axis : int, default -1

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.metrics.pearson_correlation(np.array([[1.0, 2.0, 3.0]]),
    ...                                  np.array([[2.0, 4.0, 7.0]])).numpy().round(4)
    array([0.9934], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    p = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    t = t / ops.std(t, axis=axis, keepdims=True)
    p = p / ops.std(p, axis=axis, keepdims=True)
    return ops.mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Per-sample concordance correlation (Lin's CCC) of ``y_true`` and ``y_pred`` along
    ``axis``, as Keras 3.15 computes it.

    Parameters
    ----------
    y_true, y_pred : array_like or Tensor
        Values of the same shape.
    axis : int, default -1

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.metrics.concordance_correlation(np.array([[1.0, 2.0, 3.0]]),
    ...                                      np.array([[1.0, 2.0, 3.0]])).numpy().round(4)
    array([1.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    t_mean = ops.mean(y_true, axis=axis, keepdims=True)
    p_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    t_var = ops.var(y_true - t_mean, axis=axis, keepdims=True)
    p_var = ops.var(y_pred - p_mean, axis=axis, keepdims=True)
    # Keras 3.15 centres y_true on y_pred's mean here
    covar = (y_true - p_mean) * (y_pred - p_mean)
    norm = t_var + p_var + ops.square(t_mean - p_mean)
    return ops.mean(covar * 2.0 / (norm + EPSILON), axis=axis)


def _mean_metric(cls_name, fn, default_name, summary, params, example, **defaults):
    """A MeanMetricWrapper subclass over fn with Keras' constructor and config."""
    def __init__(self, name=default_name, dtype=None, **kw):
        unknown = set(kw) - set(defaults)
        if unknown:
            raise TypeError(f"{cls_name}: unexpected argument(s) {sorted(unknown)}")
        self._config = {**defaults, **kw}
        MeanMetricWrapper.__init__(self, fn, name=name, **self._config)

    def get_config(self):
        """Returns the constructor arguments (JSON data).

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.metrics.PearsonCorrelation(name="r").get_config()
        {'name': 'r', 'axis': -1}
        """
        return {"name": self.name, **self._config}

    doc = (f"{summary}\n\n    Parameters\n    ----------\n    name : str, default "
           f"{default_name!r}\n    dtype : None\n        Accepted for Keras compatibility "
           f"(float32).\n{params}\n    Examples\n    --------\n{example}\n    ")
    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "get_config": get_config,
                                                 "__doc__": doc, "__module__": __name__})


Accuracy = _mean_metric(
    "Accuracy", accuracy, "accuracy",
    "How often predictions equal labels exactly (Keras' ``metrics.Accuracy``; the string\n"
    "    ``'accuracy'`` in compile resolves to binary / categorical accuracy instead).", "",
    "    >>> m = pynn.metrics.Accuracy()\n"
    "    >>> m.update_state(np.array([[1], [2], [3], [4]]), np.array([[0], [2], [3], [4]]))\n"
    "    >>> m.result()\n    0.75")
CosineSimilarity = _mean_metric(
    "CosineSimilarity", cosine_similarity, "cosine_similarity",
    "The mean cosine similarity of labels and predictions (Keras' "
    "``metrics.CosineSimilarity``).",
    "    axis : int, default -1\n",
    "    >>> m = pynn.metrics.CosineSimilarity()\n"
    "    >>> m.update_state(np.array([[0.0, 1.0], [1.0, 1.0]]), "
    "np.array([[1.0, 0.0], [1.0, 1.0]]))\n"
    "    >>> round(m.result(), 4)\n    0.5", axis=-1)
PearsonCorrelation = _mean_metric(
    "PearsonCorrelation", pearson_correlation, "pearson_correlation",
    "The mean over samples of the Pearson correlation along ``axis`` (Keras' "
    "``metrics.PearsonCorrelation``).",
    "    axis : int, default -1\n",
    "    >>> m = pynn.metrics.PearsonCorrelation()\n"
    "    >>> m.update_state(np.array([[1.0, 2.0, 3.0]]), np.array([[2.0, 4.0, 7.0]]))\n"
    "    >>> round(m.result(), 4)\n    0.9934", axis=-1)
ConcordanceCorrelation = _mean_metric(
    "ConcordanceCorrelation", concordance_correlation, "concordance_correlation",
    "The mean over samples of the concordance correlation along ``axis`` (Keras' "
    "``metrics.ConcordanceCorrelation``).",
    "    axis : int, default -1\n",
    "    >>> m = pynn.metrics.ConcordanceCorrelation()\n"
    "    >>> m.update_state(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 3.0]]))\n"
    "    >>> round(m.result(), 4)\n    1.0", axis=-1)
