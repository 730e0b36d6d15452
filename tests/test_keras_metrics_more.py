"""Keras 3's further metrics side by side with the installed Keras 3 (torch backend):
stateful update_state / result / reset_state over several batches with and without
sample_weight, thresholds / class_id / average as Keras, the same metrics inside
evaluate and fit (the compiled loop sums their increments), the function forms,
config round trips and bad arguments.

Sources: https://keras.io/api/metrics/ (segmentation_metrics, regression_metrics,
classification_metrics, probabilistic_metrics, hinge_metrics) and keras/src/metrics/
of Keras 3.15."""
import re

import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

rng = np.random.default_rng(3)
N, C = 40, 3
IDS_T = rng.integers(0, C, N)
IDS_P = rng.integers(0, C, N)
SCORES = rng.dirichlet(np.ones(C), N).astype(np.float32)
ONE_HOT = np.eye(C, dtype=np.float32)[IDS_T]
MULTI = rng.integers(0, 2, (N, C)).astype(np.float32)
REAL_T = rng.normal(size=(N, C)).astype(np.float32)
REAL_P = (REAL_T + rng.normal(scale=0.7, size=(N, C))).astype(np.float32)
POS_P = rng.uniform(0.1, 3.0, (N, C)).astype(np.float32)
BIN_T = rng.integers(0, 2, N).astype(np.float32)
BIN_P = np.clip(BIN_T * 0.3 + rng.uniform(0, 0.7, N), 0, 1).astype(np.float32)
INT_W = rng.integers(0, 4, N).astype(np.float32)  # Keras' IoU counts in int
REAL_W = rng.uniform(0.0, 2.0, N).astype(np.float32)

# (class name, kwargs, y_true, y_pred, sample_weight)
CASES = [
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, IDS_T, IDS_P, INT_W),
    ("IoU", {"num_classes": C, "target_class_ids": [1], "ignore_class": 0}, IDS_T, IDS_P, None),
    ("MeanIoU", {"num_classes": C}, IDS_T, IDS_P, INT_W),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, IDS_T, SCORES, None),
    ("BinaryIoU", {}, BIN_T, BIN_P, INT_W),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.6}, BIN_T, BIN_P, None),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [0, 1]}, ONE_HOT, SCORES, INT_W),
    ("OneHotMeanIoU", {"num_classes": C}, ONE_HOT, SCORES, None),
    ("R2Score", {}, REAL_T, REAL_P, REAL_W),
    ("R2Score", {"class_aggregation": None}, REAL_T, REAL_P, None),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, REAL_T, REAL_P, REAL_W),
    ("FBetaScore", {}, ONE_HOT, SCORES, REAL_W),
    ("FBetaScore", {"average": "micro", "beta": 2.0, "threshold": 0.4}, MULTI, SCORES, None),
    ("FBetaScore", {"average": "macro", "beta": 0.5}, ONE_HOT, SCORES, REAL_W),
    ("FBetaScore", {"average": "weighted", "threshold": 0.3}, MULTI, SCORES, REAL_W),
    ("F1Score", {"average": "macro"}, ONE_HOT, SCORES, REAL_W),
    ("PrecisionAtRecall", {"recall": 0.6}, BIN_T, BIN_P, REAL_W),
    ("PrecisionAtRecall", {"recall": 0.4, "class_id": 1, "num_thresholds": 17}, MULTI, SCORES,
     None),
    ("RecallAtPrecision", {"precision": 0.7}, BIN_T, BIN_P, REAL_W),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 1}, BIN_T, BIN_P, None),
    ("SensitivityAtSpecificity", {"specificity": 0.9}, BIN_T, BIN_P, REAL_W),
    ("SensitivityAtSpecificity", {"specificity": 0.8, "class_id": 2}, MULTI, SCORES, None),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7}, BIN_T, BIN_P, REAL_W),
    ("SpecificityAtSensitivity", {"sensitivity": 0.3, "num_thresholds": 50}, MULTI, SCORES,
     REAL_W),
    ("Accuracy", {}, IDS_T, IDS_P, REAL_W),
    ("CosineSimilarity", {}, REAL_T, REAL_P, REAL_W),
    ("PearsonCorrelation", {}, REAL_T, REAL_P, REAL_W),
    ("ConcordanceCorrelation", {}, REAL_T, REAL_P, None),
    ("SquaredHinge", {}, MULTI, REAL_P, REAL_W),
    ("CategoricalHinge", {}, ONE_HOT, REAL_P, None),
    ("LogCoshError", {}, REAL_T, REAL_P, REAL_W),
    ("MeanSquaredLogarithmicError", {}, POS_P, np.abs(REAL_P), REAL_W),
    ("Poisson", {}, MULTI, POS_P, None),
]
IDS_OF = [f"{c}-{i}" for i, (c, *_) in enumerate(CASES)]


def _run(lib, name, kwargs, y_true, y_pred, sw):
    m = getattr(lib.metrics, name)(**kwargs)
    for part in (slice(0, 15), slice(15, 32), slice(32, N)):  # three batches
        m.update_state(y_true[part], y_pred[part],
                       sample_weight=None if sw is None else sw[part])
    return m


def _value(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, np.float64) \
        if not hasattr(x, "detach") else x.detach().cpu().numpy()


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, sw", CASES, ids=IDS_OF)
def test_stateful_metric_matches_keras(name, kwargs, y_true, y_pred, sw):
    keras = keras_or_skip()
    ours = _run(pynn, name, kwargs, y_true, y_pred, sw)
    theirs = _run(keras, name, kwargs, y_true, y_pred, sw)
    want = keras.ops.convert_to_numpy(theirs.result())
    np.testing.assert_allclose(np.asarray(ours.result(), np.float64), want, rtol=1e-5,
                               atol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(np.asarray(ours.result(), np.float64),  # R2Score: nan, as Keras
                               keras.ops.convert_to_numpy(theirs.result()), atol=1e-6)
    ours.update_state(y_true[:15], y_pred[:15])  # after a reset: the new batch only
    theirs.update_state(y_true[:15], y_pred[:15])
    np.testing.assert_allclose(np.asarray(ours.result(), np.float64),
                               keras.ops.convert_to_numpy(theirs.result()), rtol=1e-5, atol=1e-6)


def test_sample_weight_changes_the_values():
    # the weights reach every kind of metric (not ignored somewhere)
    for name, kwargs, y_true, y_pred, sw in CASES:
        if sw is None:
            continue
        plain = _run(pynn, name, kwargs, y_true, y_pred, None).result()
        weighted = _run(pynn, name, kwargs, y_true, y_pred, sw).result()
        assert not np.allclose(plain, weighted), name


def test_sum_matches_keras():
    keras = keras_or_skip()
    for lib_values in ((REAL_T[:, 0], None), (REAL_T, REAL_W)):
        ours, theirs = pynn.metrics.Sum(), keras.metrics.Sum()
        for m in (ours, theirs):
            m.update_state(*lib_values[:1], sample_weight=lib_values[1])
            m.update_state(np.ones(3, np.float32))
        np.testing.assert_allclose(ours.result(), keras.ops.convert_to_numpy(theirs.result()),
                                   rtol=1e-5)


FIT_METRICS = [
    ("MeanIoU", {"num_classes": C, "sparse_y_true": False, "sparse_y_pred": False}),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [0, 2]}),
    ("FBetaScore", {"beta": 2.0, "average": "macro"}),
    ("R2Score", {}),
    ("PrecisionAtRecall", {"recall": 0.5, "class_id": 1}),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}),
    ("PearsonCorrelation", {}),
    ("CosineSimilarity", {}),
    ("Accuracy", {}),
]


@pytest.mark.parametrize("weighted", [False, True])
def test_metrics_in_evaluate_and_fit_match_keras(weighted):
    keras = keras_or_skip()
    x = rng.normal(size=(N, 5)).astype(np.float32)
    y = ONE_HOT
    kernel = rng.normal(size=(5, C)).astype(np.float32) * 0.5
    results = []
    for lib in (pynn, keras):
        model = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(C, activation="softmax")])
        model.set_weights([kernel, np.zeros(C, np.float32)])
        metrics = [getattr(lib.metrics, n)(name=f"m{i}", **kw)  # Keras numbers repeated names
                   for i, (n, kw) in enumerate(FIT_METRICS)]
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="categorical_crossentropy",
                      **({"weighted_metrics": metrics} if weighted else {"metrics": metrics}))
        sw = INT_W if weighted else None  # integers: Keras counts IoU in int
        before = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True, sample_weight=sw)
        hist = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                         sample_weight=sw).history
        results.append((before, hist))
    for (ours, ours_hist), (theirs, theirs_hist) in [results]:
        assert sorted(ours) == sorted(theirs)
        for key in theirs:
            np.testing.assert_allclose(ours[key], _value(theirs[key]), rtol=2e-4, atol=1e-5,
                                       err_msg=key)
            np.testing.assert_allclose(ours_hist[key], theirs_hist[key], rtol=2e-4, atol=1e-5,
                                       err_msg=f"fit {key}")


FUNCTIONS = [
    ("binary_accuracy", {"threshold": 0.3}, MULTI, SCORES),
    ("categorical_accuracy", {}, ONE_HOT, SCORES),
    ("sparse_categorical_accuracy", {}, IDS_T, SCORES),
    ("sparse_categorical_accuracy", {}, IDS_T[:, None], SCORES),
    ("sparse_top_k_categorical_accuracy", {"k": 2}, IDS_T, SCORES),
    ("top_k_categorical_accuracy", {"k": 2}, ONE_HOT, SCORES),
    ("pearson_correlation", {}, REAL_T, REAL_P),
    ("concordance_correlation", {"axis": -1}, REAL_T, REAL_P),
    ("squared_hinge", {}, MULTI, REAL_P), ("log_cosh", {}, REAL_T, REAL_P),
    ("poisson", {}, MULTI, POS_P), ("kl_divergence", {}, ONE_HOT, SCORES),
    ("mean_squared_error", {}, REAL_T, REAL_P),
    ("mean_absolute_percentage_error", {}, REAL_T, REAL_P),
]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", FUNCTIONS,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FUNCTIONS)])
def test_function_forms_match_keras(name, kwargs, y_true, y_pred):
    keras = keras_or_skip()
    ours = getattr(pynn.metrics, name)(y_true, y_pred, **kwargs).numpy()
    k = keras.ops.convert_to_tensor
    want = keras.ops.convert_to_numpy(getattr(keras.metrics, name)(k(y_true), k(y_pred),
                                                                    **kwargs))
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=2e-6)


def test_metric_names_and_configs_match_keras():
    keras = keras_or_skip()
    for name, kwargs, *_ in CASES:
        ours, theirs = getattr(pynn.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
        assert ours.name == re.sub(r"_\d+$", "", theirs.name), name  # Keras numbers repeats
        want = {k: v for k, v in theirs.get_config().items() if k not in ("dtype", "name")}
        got = ours.get_config()
        assert {k: got.get(k) for k in want} == want, name
        again = pynn.metrics.deserialize(pynn.metrics.serialize(ours))
        assert type(again) is type(ours) and again.get_config() == got


def test_compile_by_string_as_keras():
    keras = keras_or_skip()
    x = rng.normal(size=(N, 5)).astype(np.float32)
    kernel = rng.normal(size=(5, C)).astype(np.float32) * 0.5
    names = ["squared_hinge", "categorical_hinge", "poisson", "msle",
             "cosine_similarity", "r2_score", "pearson_correlation"]
    logs = []
    for lib in (pynn, keras):
        model = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(C, activation="softplus")])
        model.set_weights([kernel, np.zeros(C, np.float32)])
        model.compile(loss="mse", metrics=names)
        logs.append(model.evaluate(x, MULTI, batch_size=9, verbose=0, return_dict=True))
    assert sorted(logs[0]) == sorted(logs[1])
    for key in logs[1]:
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-4, err_msg=key)


def test_bad_arguments_name_the_metric():
    with pytest.raises(ValueError, match=r"IoU: target class ids must be in \[0, 3\)"):
        pynn.metrics.IoU(num_classes=3, target_class_ids=[3])
    with pytest.raises(ValueError, match=r"FBetaScore: beta must be a Python float > 0"):
        pynn.metrics.FBetaScore(beta=0.0)
    with pytest.raises(ValueError, match=r"FBetaScore: threshold must be a Python float"):
        pynn.metrics.FBetaScore(threshold=1.5)
    with pytest.raises(ValueError, match=r"R2Score: class_aggregation must be one of"):
        pynn.metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs"):
        pynn.metrics.R2Score().update_state(REAL_T[:, 0], REAL_P[:, 0])
    with pytest.raises(ValueError, match=r"PrecisionAtRecall: recall must be in \[0, 1\]"):
        pynn.metrics.PrecisionAtRecall(recall=1.2)
    with pytest.raises(ValueError, match=r"SensitivityAtSpecificity: num_thresholds must be"):
        pynn.metrics.SensitivityAtSpecificity(0.5, num_thresholds=0)
    with pytest.raises(TypeError, match=r"PearsonCorrelation: unexpected argument"):
        pynn.metrics.PearsonCorrelation(ddof=1)


def test_adjusted_r2_counts_samples_as_keras_master():
    # the adjusted R²'s n is the number of samples since keras-team/keras#23334 (Keras 3.15,
    # installed here, counted samples x outputs): Keras' plain R², adjusted with n = rows
    keras = keras_or_skip()
    for rows in (N, 15):
        ours = _run(pynn, "R2Score", {"num_regressors": 3}, REAL_T[:rows], REAL_P[:rows], None)
        plain = _run(keras, "R2Score", {}, REAL_T[:rows], REAL_P[:rows], None)
        r2 = float(keras.ops.convert_to_numpy(plain.result()))
        np.testing.assert_allclose(ours.result(), 1 - (1 - r2) * (rows - 1) / (rows - 3 - 1),
                                   rtol=1e-5)
