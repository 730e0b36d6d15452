"""Permutation importance: scikit-learn's numbers for the same model, seed and
scorer; the 2·coef² law of a standardized linear model; seed-free properties."""
import numpy as np
import pytest

import pynn
from pynn.explain import permutation_importance
from pynn.layers import Dense


def linear_model(coef, bias=0.0):
    model = pynn.Sequential([pynn.Input(shape=(len(coef),)), Dense(1)])
    model.set_weights([np.asarray(coef, np.float64)[:, None], np.array([bias])])
    return model


def standardized_data(n=4000, d=4, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, d))
    return (X - X.mean(axis=0)) / X.std(axis=0)


def test_standardized_linear_regression_importance_is_twice_coef_squared():
    coef = np.array([1.0, -0.5, 0.25, 0.0])
    X = standardized_data()
    model = linear_model(coef, bias=0.3)
    y = model.predict(X, verbose=0)[:, 0].astype(np.float64)
    r = permutation_importance(model, X, y, scoring="neg_mean_squared_error", n_repeats=5,
                               random_state=0)
    np.testing.assert_allclose(r.importances_mean, 2 * coef ** 2, rtol=0.08, atol=1e-9)
    assert r.importances.shape == (4, 5)
    np.testing.assert_array_equal(r.importances[3], 0.0)  # an unused feature: exactly nothing


def test_seed_independent_properties():
    X = standardized_data(n=300, d=3, seed=1)
    model = linear_model([2.0, 0.0, -1.0])
    y = X @ np.array([2.0, 0.0, -1.0]) + 0.1
    for seed in (0, 1, 2):
        r = permutation_importance(model, X, y, scoring="r2", n_repeats=4, random_state=seed)
        np.testing.assert_allclose(r.importances_mean, r.importances.mean(axis=1))
        np.testing.assert_allclose(r.importances_std, r.importances.std(axis=1))
        assert np.all(r.importances[0] > r.importances[2]) and np.all(r.importances[2] > 0)
        np.testing.assert_array_equal(r["importances"][1], 0.0)
    a = permutation_importance(model, X, y, scoring="r2", random_state=3)
    b = permutation_importance(model, X, y, scoring="r2", random_state=3)
    np.testing.assert_array_equal(a.importances, b.importances)
    assert a.importances.shape == (3, 5)  # n_repeats=5 by default


def test_classification_accuracy_and_log_loss_with_a_softmax_model():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3))
    model = pynn.Sequential([pynn.Input(shape=(3,)), Dense(2, activation="softmax")])
    model.set_weights([np.array([[3.0, -3.0], [0.0, 0.0], [0.5, -0.5]]), np.zeros(2)])
    y = (X[:, 0] < 0).astype(np.int64)  # class 1 when the first feature is negative
    r = permutation_importance(model, X, y, scoring=["accuracy", "neg_log_loss"], random_state=0)
    assert set(r) == {"accuracy", "neg_log_loss"}
    acc = r["accuracy"]
    assert acc.importances_mean[0] > 0.3 and acc.importances_mean[1] == 0.0
    assert r["neg_log_loss"].importances_mean[0] > r["neg_log_loss"].importances_mean[2] > 0


def test_scoring_none_uses_the_compiled_loss_and_sample_weight_counts():
    X = standardized_data(n=200, d=2, seed=3)
    model = linear_model([1.0, 0.5])
    model.compile(optimizer="sgd", loss="mse")
    y = X @ np.array([1.0, 0.5])
    r = permutation_importance(model, X, y, random_state=0)
    explicit = permutation_importance(model, X, y, scoring="neg_mean_squared_error", random_state=0)
    np.testing.assert_allclose(r.importances, explicit.importances, rtol=1e-4, atol=1e-6)
    w = np.r_[np.zeros(100), np.ones(100)]
    half = permutation_importance(model, X, y, scoring="neg_mean_squared_error", random_state=0,
                                  sample_weight=w)
    assert not np.allclose(half.importances, explicit.importances)


def test_matches_sklearn_on_the_same_model_function():
    inspection = pytest.importorskip("sklearn.inspection")
    X = standardized_data(n=250, d=4, seed=4)
    model = linear_model([1.5, -1.0, 0.2, 0.7], bias=0.1)
    y = X @ np.array([1.4, -1.1, 0.0, 0.7]) + np.random.default_rng(5).normal(0, 0.3, 250)

    def neg_mse(est, A, b):
        return -np.mean((est.predict(A, verbose=0)[:, 0].astype(np.float64) - b) ** 2)

    ref = inspection.permutation_importance(model, X, y, scoring=neg_mse, n_repeats=6,
                                            random_state=11)
    ours = permutation_importance(model, X, y, scoring="neg_mean_squared_error", n_repeats=6,
                                  random_state=11)
    np.testing.assert_allclose(ours.importances, ref.importances, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.importances_std, ref.importances_std, rtol=1e-9, atol=1e-12)


def test_matches_sklearn_on_a_sklearn_estimator():
    pytest.importorskip("sklearn")
    from sklearn.inspection import permutation_importance as sk_pi
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] - X[:, 2] + rng.normal(0, 0.5, 300) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    for scoring in (None, "accuracy", "neg_log_loss"):
        ref = sk_pi(clf, X, y, scoring=scoring, random_state=np.random.RandomState(3))
        ours = permutation_importance(clf, X, y, scoring=scoring,
                                      random_state=np.random.RandomState(3))
        np.testing.assert_allclose(ours.importances, ref.importances, rtol=1e-9, atol=1e-12,
                                   err_msg=str(scoring))


def test_bad_input_errors():
    model = linear_model([1.0, 2.0])
    X, y = np.ones((5, 2)), np.ones(5)
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        permutation_importance(model, X, y[:4], scoring="r2")
    with pytest.raises(ValueError, match="unknown scoring 'f1'"):
        permutation_importance(model, X, y, scoring="f1")
    with pytest.raises(ValueError, match="scoring=None"):
        permutation_importance(model, X, y)
    with pytest.raises(ValueError, match="n_repeats"):
        permutation_importance(model, X, y, scoring="r2", n_repeats=0)
    with pytest.raises(ValueError, match="max_samples"):
        permutation_importance(model, X, y, scoring="r2", max_samples=9)
    with pytest.raises(ValueError, match="2-d"):
        permutation_importance(model, np.ones(5), y, scoring="r2")
    with pytest.raises(TypeError, match="pynn Model, a callable or have predict"):
        permutation_importance(object(), X, y, scoring="r2")
