"""pynn's metrics against scikit-learn where both define the metric, on random data
with ties, sample weights and edge cases (one class only, zero weights, NaN).

scikit-learn's definitions (https://scikit-learn.org/stable/api/sklearn.metrics.html):
roc_auc_score, precision_score / recall_score / f1_score, confusion_matrix, r2_score,
mean_absolute_error / mean_squared_error and top_k_accuracy_score, all with
``sample_weight``. Where scikit-learn refuses an input that Keras scores (one class
only, all weights zero), pynn is held to Keras 3's value instead, side by side."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

sklearn_metrics = pytest.importorskip("sklearn.metrics")

rng = np.random.default_rng(2024)
N = 300
LABELS = rng.integers(0, 2, N)
# scores on a coarse grid: many ties, each strictly between two of AUC's thresholds i/200
TIED = ((rng.integers(0, 20, N) + 0.5) / 20).astype(np.float32)
TIED = np.where(LABELS == 1, np.minimum(TIED + 0.2, 0.975), TIED).astype(np.float32)
WEIGHTS = rng.uniform(0.0, 3.0, N).astype(np.float32)
WEIGHTS[rng.integers(0, N, 20)] = 0.0  # some samples not counted at all
C = 4
IDS = rng.integers(0, C, N)
SCORES = rng.dirichlet(np.ones(C), N).astype(np.float32)
ONE_HOT = np.eye(C, dtype=np.float32)[IDS]
REAL_T = rng.normal(size=(N, 3)).astype(np.float32)
REAL_P = (REAL_T + rng.normal(scale=0.8, size=(N, 3))).astype(np.float32)


def _metric(name, y_true, y_pred, sample_weight=None, batches=3, **kwargs):
    """A pynn metric fed in `batches` pieces (the running aggregate must not depend on
    the batching)."""
    m = getattr(pynn.metrics, name)(**kwargs)
    for part in np.array_split(np.arange(len(y_true)), batches):
        m.update_state(y_true[part], y_pred[part],
                       sample_weight=None if sample_weight is None else sample_weight[part])
    return m.result()


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_with_ties_equals_roc_auc_score(weighted):
    # with every score strictly between two thresholds, Keras' interpolated ROC sum is
    # the exact trapezoidal area scikit-learn computes (ties as diagonal segments)
    sw = WEIGHTS if weighted else None
    ours = _metric("AUC", LABELS, TIED, sw, num_thresholds=201)
    want = sklearn_metrics.roc_auc_score(LABELS, TIED, sample_weight=sw)
    assert ours == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.85])
@pytest.mark.parametrize("weighted", [False, True])
def test_precision_recall_at_thresholds_equal_sklearn(threshold, weighted):
    sw = WEIGHTS if weighted else None
    hard = (TIED > threshold).astype(int)
    for name, fn in (("Precision", sklearn_metrics.precision_score),
                     ("Recall", sklearn_metrics.recall_score)):
        ours = _metric(name, LABELS, TIED, sw, thresholds=threshold)
        assert ours == pytest.approx(fn(LABELS, hard, sample_weight=sw), abs=1e-6), name
    both = _metric("Precision", LABELS, TIED, sw, thresholds=[threshold, 0.95])
    assert both[0] == pytest.approx(
        sklearn_metrics.precision_score(LABELS, hard, sample_weight=sw), abs=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_counts_equal_confusion_matrix(weighted):
    sw = WEIGHTS if weighted else None
    thresholds = [0.2, 0.5, 0.8]
    got = {name: _metric(name, LABELS, TIED, sw, thresholds=thresholds)
           for name in ("TrueNegatives", "FalsePositives", "FalseNegatives", "TruePositives")}
    for i, t in enumerate(thresholds):
        tn, fp, fn, tp = sklearn_metrics.confusion_matrix(
            LABELS, (TIED > t).astype(int), sample_weight=sw).ravel()
        np.testing.assert_allclose([got["TrueNegatives"][i], got["FalsePositives"][i],
                                    got["FalseNegatives"][i], got["TruePositives"][i]],
                                   [tn, fp, fn, tp], rtol=1e-5)


def test_confusion_counts_with_per_element_weights():
    # weights (batch, k) weigh each label (Keras broadcasts them against y_true): the
    # same counts as scikit-learn on the flattened labels with the flattened weights
    y_true = rng.integers(0, 2, (40, 3))
    y_pred = rng.uniform(size=(40, 3)).astype(np.float32)
    w = rng.uniform(0, 2, (40, 3)).astype(np.float32)
    tn, fp, fn, tp = sklearn_metrics.confusion_matrix(
        y_true.ravel(), (y_pred.ravel() > 0.5).astype(int), sample_weight=w.ravel()).ravel()
    for name, want in (("TruePositives", tp), ("FalsePositives", fp), ("TrueNegatives", tn),
                       ("FalseNegatives", fn)):
        assert _metric(name, y_true, y_pred, w, batches=2) == pytest.approx(want, rel=1e-5)
    assert _metric("Precision", y_true, y_pred, w, batches=2) == pytest.approx(
        tp / (tp + fp), rel=1e-5)


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
def test_f1_with_argmax_equals_f1_score(average):
    ours = _metric("F1Score", ONE_HOT, SCORES, average=average)
    want = sklearn_metrics.f1_score(IDS, SCORES.argmax(-1), average=average)
    np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values")])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_equals_r2_score(aggregation, multioutput, weighted):
    sw = WEIGHTS if weighted else None
    ours = _metric("R2Score", REAL_T, REAL_P, sw, class_aggregation=aggregation)
    want = sklearn_metrics.r2_score(REAL_T, REAL_P, sample_weight=sw, multioutput=multioutput)
    np.testing.assert_allclose(ours, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, fn", [
    ("MeanAbsoluteError", sklearn_metrics.mean_absolute_error),
    ("MeanSquaredError", sklearn_metrics.mean_squared_error)])
@pytest.mark.parametrize("weighted", [False, True])
def test_mae_mse_equal_sklearn(name, fn, weighted):
    sw = WEIGHTS if weighted else None
    ours = _metric(name, REAL_T, REAL_P, sw)
    assert ours == pytest.approx(fn(REAL_T, REAL_P, sample_weight=sw), rel=1e-5)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_top_k_equals_top_k_accuracy_score(k, weighted):
    sw = WEIGHTS if weighted else None
    want = sklearn_metrics.top_k_accuracy_score(IDS, SCORES, k=k, sample_weight=sw,
                                                labels=np.arange(C))
    assert _metric("SparseTopKCategoricalAccuracy", IDS, SCORES, sw, k=k) == \
        pytest.approx(want, abs=1e-6)
    assert _metric("TopKCategoricalAccuracy", ONE_HOT, SCORES, sw, k=k) == \
        pytest.approx(want, abs=1e-6)


# --------------------------------------------------------------- where scikit-learn refuses

def _keras_metric(keras, name, y_true, y_pred, sample_weight=None, **kwargs):
    m = getattr(keras.metrics, name)(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    return np.asarray(keras.ops.convert_to_numpy(m.result()), np.float64)


@pytest.mark.parametrize("labels", [np.ones(N, int), np.zeros(N, int)], ids=["all1", "all0"])
@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_of_one_class_is_keras_value(labels, curve):
    # scikit-learn: undefined (an error or NaN with a warning, by version); Keras scores it
    keras = keras_or_skip()
    ours = _metric("AUC", labels, TIED, curve=curve)
    assert ours == pytest.approx(float(_keras_metric(keras, "AUC", labels, TIED, curve=curve)),
                                 abs=1e-6)


@pytest.mark.parametrize("name", ["MeanAbsoluteError", "MeanSquaredError", "Precision", "Recall",
                                  "AUC", "BinaryAccuracy"])
def test_all_weights_zero_gives_keras_value(name):
    keras = keras_or_skip()
    y_true, y_pred = LABELS[:, None].astype(np.float32), TIED[:, None]
    zeros = np.zeros(N, np.float32)
    ours = _metric(name, y_true, y_pred, zeros)
    assert ours == pytest.approx(float(_keras_metric(keras, name, y_true, y_pred, zeros)),
                                 abs=1e-6)


@pytest.mark.parametrize("name", ["MeanAbsoluteError", "MeanSquaredError", "AUC", "Precision",
                                  "BinaryAccuracy"])
def test_nan_prediction_gives_keras_value(name):
    # Keras does not refuse NaN: a mean turns NaN, a comparison with a threshold is False
    keras = keras_or_skip()
    y_true, y_pred = LABELS[:, None].astype(np.float32), TIED[:, None].copy()
    y_pred[3] = np.nan
    ours = np.asarray(_metric(name, y_true, y_pred, batches=1), np.float64)
    want = _keras_metric(keras, name, y_true, y_pred)
    np.testing.assert_allclose(ours, want, atol=1e-6, equal_nan=True)
