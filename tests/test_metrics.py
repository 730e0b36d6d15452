"""Metrics: Keras definitions, checked against scikit-learn and NumPy, both
standalone (update_state / result / reset_state) and inside fit / evaluate
(running aggregates over the epoch)."""
import numpy as np
import pytest

import pynn
from pynn import metrics

skm = pytest.importorskip("sklearn.metrics")


def _binary(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float32)
    p = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1).astype(np.float32)
    return y, p


def _multiclass(n=300, c=4, seed=1):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n)
    p = rng.random((n, c)).astype(np.float32)
    p[np.arange(n), labels] += 0.4 * rng.random(n).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    return labels, p


def _keras_auc_reference(y, p, num_thresholds=200):
    """Keras' AUC(curve="ROC", summation_method="interpolation"): confusion counts
    at thresholds [−ε, 1/(n−1), ..., (n−2)/(n−1), 1+ε], positives are p > t, then
    the trapezoid sum of TPR over FPR."""
    eps = 1e-7
    th = [-eps] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + eps]
    tp = np.array([np.sum((p > t) & (y == 1)) for t in th], np.float64)
    fp = np.array([np.sum((p > t) & (y == 0)) for t in th], np.float64)
    fn = np.sum(y == 1) - tp
    tn = np.sum(y == 0) - fp
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


# ---------------------------------------------------------------- confusion metrics
def test_precision_recall_vs_sklearn():
    y, p = _binary()
    for threshold in (None, 0.7):
        t = 0.5 if threshold is None else threshold
        prec, rec = metrics.Precision(thresholds=threshold), metrics.Recall(thresholds=threshold)
        prec.update_state(y[:, None], p[:, None])
        rec.update_state(y[:, None], p[:, None])
        np.testing.assert_allclose(prec.result(), skm.precision_score(y, p > t), rtol=1e-12)
        np.testing.assert_allclose(rec.result(), skm.recall_score(y, p > t), rtol=1e-12)
    # running aggregate over batches == one update on everything
    prec = metrics.Precision()
    for i in range(0, len(y), 128):
        prec.update_state(y[i:i + 128], p[i:i + 128])
    np.testing.assert_allclose(prec.result(), skm.precision_score(y, p > 0.5), rtol=1e-12)


def test_precision_recall_with_no_positives_are_zero():
    m = metrics.Precision()
    m.update_state(np.array([0, 1.0]), np.array([0.1, 0.2]))
    assert m.result() == 0.0
    r = metrics.Recall()
    r.update_state(np.array([0, 0.0]), np.array([0.9, 0.2]))
    assert r.result() == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_vs_sklearn_and_keras_formula(seed):
    y, p = _binary(seed=seed)
    m = metrics.AUC()
    assert m.num_thresholds == 200
    m.update_state(y, p)
    auc = m.result()
    assert abs(auc - skm.roc_auc_score(y, p)) < 1e-3
    np.testing.assert_allclose(auc, _keras_auc_reference(y, p), rtol=1e-9)
    # batches accumulate
    m.reset_state()
    for i in range(0, len(y), 100):
        m.update_state(y[i:i + 100], p[i:i + 100])
    np.testing.assert_allclose(m.result(), auc, rtol=1e-12)


def test_auc_perfect_and_coarse():
    m = metrics.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(m.result(), 1.0)
    y, p = _binary()
    coarse = metrics.AUC(num_thresholds=5)
    coarse.update_state(y, p)
    np.testing.assert_allclose(coarse.result(), _keras_auc_reference(y, p, 5), rtol=1e-9)
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_f1_score_vs_sklearn(average):
    labels, p = _multiclass()
    m = metrics.F1Score(average=average)
    m.update_state(np.eye(4, dtype=np.float32)[labels], p)
    want = skm.f1_score(labels, p.argmax(1), average=average)
    np.testing.assert_allclose(m.result(), want, rtol=1e-10)


def test_f1_score_with_threshold_is_multilabel():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (200, 3)).astype(np.float32)
    p = np.clip(0.3 * y + 0.7 * rng.random((200, 3)), 0, 1).astype(np.float32)
    m = metrics.F1Score(average="macro", threshold=0.5)
    m.update_state(y, p)
    np.testing.assert_allclose(m.result(), skm.f1_score(y, p > 0.5, average="macro"), rtol=1e-10)
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="binary")


def test_f1_score_refuses_sequences_like_keras():
    # (batch, T, classes): the counts were sized from the class axis and filled
    # per sample row (T * classes values): a heap overflow (issue 10)
    m = metrics.F1Score()
    y = np.eye(3, dtype=np.float32)[np.arange(12) % 3].reshape(2, 2, 3, 3)[:, 0]
    with pytest.raises(ValueError, match=r"F1Score: .*\(batch, num_classes\).*\(2, 3, 3\)"):
        m.update_state(y, y)


# ---------------------------------------------------------------- accuracy and regression
def test_binary_accuracy():
    y, p = _binary(200)
    m = metrics.BinaryAccuracy()
    m.update_state(y[:, None], p[:, None])
    np.testing.assert_allclose(m.result(), np.mean((p > 0.5) == y), rtol=1e-12)
    m = metrics.BinaryAccuracy(threshold=0.8)
    m.update_state(y[:, None], p[:, None])
    np.testing.assert_allclose(m.result(), np.mean((p > 0.8) == y), rtol=1e-12)


def test_categorical_and_sparse_accuracy():
    labels, p = _multiclass()
    want = np.mean(p.argmax(1) == labels)
    c = metrics.CategoricalAccuracy()
    c.update_state(np.eye(4)[labels], p)
    s = metrics.SparseCategoricalAccuracy()
    s.update_state(labels, p)
    s2 = metrics.SparseCategoricalAccuracy()
    s2.update_state(labels[:, None], p)
    for m in (c, s, s2):
        np.testing.assert_allclose(m.result(), want, rtol=1e-12)


def test_sparse_top_k_accuracy():
    labels, p = _multiclass()
    m = metrics.SparseTopKCategoricalAccuracy(k=2)
    m.update_state(labels, p)
    top2 = np.argsort(-p, axis=1)[:, :2]
    np.testing.assert_allclose(m.result(), np.mean((top2 == labels[:, None]).any(1)), rtol=1e-12)


def test_weighted_accuracy():
    labels, p = _multiclass()
    w = np.random.default_rng(0).random(len(labels)).astype(np.float32)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(labels, p, sample_weight=w)
    hit = (p.argmax(1) == labels).astype(np.float64)
    np.testing.assert_allclose(m.result(), np.sum(w * hit) / np.sum(w), rtol=1e-6)


def test_mse_mae_rmse():
    rng = np.random.default_rng(4)
    y = rng.normal(size=(50, 3)).astype(np.float32)
    p = rng.normal(size=(50, 3)).astype(np.float32)
    mse, mae, rmse = metrics.MeanSquaredError(), metrics.MeanAbsoluteError(), \
        metrics.RootMeanSquaredError()
    for m in (mse, mae, rmse):
        m.update_state(y[:20], p[:20])
        m.update_state(y[20:], p[20:])
    np.testing.assert_allclose(mse.result(), np.mean((y - p) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae.result(), np.mean(np.abs(y - p)), rtol=1e-5)
    np.testing.assert_allclose(rmse.result(), np.sqrt(np.mean((y - p) ** 2)), rtol=1e-5)
    np.testing.assert_allclose(mse.result(), skm.mean_squared_error(y, p), rtol=1e-5)


def test_reset_state_and_names():
    m = metrics.MeanAbsoluteError()
    assert m.result() == 0.0
    m.update_state([1.0, 2.0], [0.0, 0.0])
    np.testing.assert_allclose(m.result(), 1.5)
    m.reset_state()
    assert m.result() == 0.0
    m.update_state([1.0], [0.5])
    np.testing.assert_allclose(m.result(), 0.5)
    assert m.name == "mean_absolute_error"
    assert metrics.AUC().name == "auc" and metrics.Precision().name == "precision"
    assert metrics.get("mse").name == "mse"
    assert isinstance(metrics.get("MAE"), metrics.MeanAbsoluteError)
    with pytest.raises(ValueError, match="Unknown metric 'f2'"):
        metrics.get("f2")
    with pytest.raises(TypeError):
        metrics.get(3)


# ---------------------------------------------------------------- inside fit / evaluate
def test_metrics_in_evaluate_match_standalone_on_predictions():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(203, 6)).astype(np.float32)
    y = (x[:, 0] + 0.3 * rng.normal(size=203) > 0).astype(np.float32)
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(6,)), pynn.layers.Dense(4, activation="relu"),
                             pynn.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy",
                  metrics=[metrics.AUC(), metrics.Precision(), metrics.Recall(), "accuracy"])
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    res = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)  # 13 batches, last partial
    p = model.predict(x, verbose=0)[:, 0]
    np.testing.assert_allclose(res["auc"], _keras_auc_reference(y, p), rtol=1e-6)
    np.testing.assert_allclose(res["precision"], skm.precision_score(y, p > 0.5), rtol=1e-9)
    np.testing.assert_allclose(res["recall"], skm.recall_score(y, p > 0.5), rtol=1e-9)
    np.testing.assert_allclose(res["accuracy"], np.mean((p > 0.5) == y), rtol=1e-9)


def test_fit_metric_is_a_running_aggregate_over_the_epoch():
    """With lr 0 the weights never move, so the epoch's accuracy from fit equals
    the accuracy of predictions on all samples (counts summed over batches, not a
    mean of per-batch accuracies)."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 50)
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(3, activation="softmax")])
    model.compile(pynn.optimizers.SGD(0.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, labels, epochs=1, batch_size=16, verbose=0)
    want = np.mean(model.predict(x, verbose=0).argmax(1) == labels)
    np.testing.assert_allclose(h.history["accuracy"][0], want, rtol=1e-9)
