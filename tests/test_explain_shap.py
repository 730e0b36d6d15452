"""KernelSHAP: exact Shapley values by enumeration, efficiency to 1e-5, the linear
model's closed form, SHAP's sampling regime, and SHAP's KernelExplainer itself
where it is installed."""
import itertools
from math import factorial

import numpy as np
import pytest

import pynn
from pynn.explain import KernelSHAP
from pynn.layers import Dense


def brute_force_shapley(f, x, background):
    """φ_j = Σ_S |S|!(M-|S|-1)!/M! (v(S∪j) - v(S)), v(S) = mean_b f(x_S, b_rest)."""
    M = len(x)

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return f(rows).mean(axis=0)

    phi = np.zeros((M,) + np.shape(v(())))
    for j in range(M):
        others = [k for k in range(M) if k != j]
        for r in range(M):
            for S in itertools.combinations(others, r):
                w = factorial(r) * factorial(M - r - 1) / factorial(M)
                phi[j] += w * (v(S + (j,)) - v(S))
    return phi


def interacting(X):
    return np.tanh(X[:, 0] * X[:, 1]) + X[:, 2] ** 2 - 0.5 * X[:, 3] * X[:, 4] + np.sin(X[:, 0])


def mlp(n_in, seed=0):
    rng = np.random.default_rng(seed)
    model = pynn.Sequential([pynn.Input(shape=(n_in,)), Dense(8, activation="tanh"),
                             Dense(3, activation="softmax")])
    model.set_weights([rng.normal(0, 1.0, (n_in, 8)), rng.normal(0, 0.3, 8),
                       rng.normal(0, 1.0, (8, 3)), rng.normal(0, 0.3, 3)])
    return model


def test_linear_model_gives_w_times_x_minus_background_mean():
    rng = np.random.default_rng(0)
    model = pynn.Sequential([pynn.Input(shape=(7,)), Dense(1)])
    w = rng.normal(size=(7, 1))
    model.set_weights([w, np.array([0.3])])
    bg = rng.normal(size=(25, 7))
    X = rng.normal(size=(4, 7))
    phi = KernelSHAP(model, bg).shap_values(X)
    assert phi.shape == (4, 7, 1)  # SHAP's layout for (n, 1) outputs
    np.testing.assert_allclose(phi[..., 0], w[:, 0] * (X - bg.mean(axis=0)), atol=1e-5)


def test_exact_enumeration_equals_the_shapley_formula():
    rng = np.random.default_rng(1)
    bg = rng.normal(size=(10, 5))
    X = rng.normal(size=(3, 5))
    explainer = KernelSHAP(interacting, bg)
    phi = explainer.shap_values(X)
    for i, x in enumerate(X):
        np.testing.assert_allclose(phi[i], brute_force_shapley(interacting, x, bg), atol=1e-10)
    np.testing.assert_allclose(explainer.expected_value, interacting(bg).mean())


@pytest.mark.parametrize("n_features", [6, 11, 13])
def test_efficiency_sum_of_values_is_prediction_minus_expectation(n_features):
    model = mlp(n_features)
    rng = np.random.default_rng(2)
    bg = rng.normal(size=(8, n_features)).astype(np.float32)
    X = rng.normal(size=(2, n_features)).astype(np.float32)
    explainer = KernelSHAP(model, bg)
    phi = explainer.shap_values(X, random_state=0)
    assert phi.shape == (2, n_features, 3)
    np.testing.assert_allclose(phi.sum(axis=1), model.predict(X, verbose=0) - explainer.expected_value,
                               atol=1e-5)


def test_sampling_regime_is_close_to_exact_and_reproducible():
    """M = 12 with nsamples='auto' evaluates 2072 of the 4094 coalitions."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=12)

    def f(X):
        return np.tanh(0.5 * X @ w) + 0.2 * X[:, 0] * X[:, 1]

    bg = rng.normal(size=(6, 12))
    x = rng.normal(size=12)
    exact = brute_force_shapley(f, x, bg)
    explainer = KernelSHAP(f, bg)
    a = explainer.shap_values(x, random_state=7)
    np.testing.assert_array_equal(a, explainer.shap_values(x, random_state=7))
    np.testing.assert_allclose(a.sum(), f(x[None])[0] - explainer.expected_value, atol=1e-10)
    assert np.abs(a - exact).max() < 0.05 * np.abs(exact).max()
    assert not np.allclose(a, exact, atol=1e-9)  # it really sampled
    np.testing.assert_allclose(explainer.shap_values(x, nsamples=2 ** 12 - 2), exact, atol=1e-10)


def test_features_equal_to_the_background_get_zero():
    rng = np.random.default_rng(4)
    bg = rng.normal(size=(5, 4))
    bg[:, 2] = 1.5
    x = rng.normal(size=4)
    x[2] = 1.5

    def interacting_4(X):
        return X[:, 0] * X[:, 2] + X[:, 1] * X[:, 3]

    phi = KernelSHAP(interacting_4, bg).shap_values(x)
    assert phi[2] == 0.0
    np.testing.assert_allclose(phi, brute_force_shapley(interacting_4, x, bg), atol=1e-10)
    x_bg = bg[0].copy()
    bg_same = np.repeat(x_bg[None], 3, axis=0)
    np.testing.assert_array_equal(KernelSHAP(interacting_4, bg_same).shap_values(x_bg), 0.0)


def test_bad_input_errors():
    bg = np.zeros((3, 4))
    with pytest.raises(ValueError, match="has 5 features, the background data has 4"):
        KernelSHAP(lambda X: X.sum(1), bg).shap_values(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="2-d"):
        KernelSHAP(lambda X: X.sum(1), np.zeros(4))
    with pytest.raises(ValueError, match="no rows"):
        KernelSHAP(lambda X: X.sum(1), np.zeros((0, 4)))
    with pytest.raises(ValueError, match="nsamples"):
        KernelSHAP(lambda X: X.sum(1), bg).shap_values(np.ones((1, 4)), nsamples=1)
    with pytest.raises(ValueError, match=r"must return \(n,\) or \(n, k\)"):
        KernelSHAP(lambda X: X[:1].sum(1), bg)
    with pytest.raises(TypeError, match="numeric"):
        KernelSHAP(lambda X: X.sum(1), [["a"]])


def test_matches_shap_kernel_explainer():
    shap = pytest.importorskip("shap")
    rng = np.random.default_rng(5)
    model = mlp(6, seed=9)
    bg = rng.normal(size=(12, 6)).astype(np.float32)
    X = rng.normal(size=(3, 6)).astype(np.float32)
    f = lambda A: model.predict(np.asarray(A, np.float32), verbose=0).astype(np.float64)  # noqa: E731
    ref = shap.KernelExplainer(f, bg)
    ours = KernelSHAP(model, bg)
    np.testing.assert_allclose(ours.expected_value, ref.expected_value, atol=1e-9)
    np.testing.assert_allclose(ours.shap_values(X), ref.shap_values(X, silent=True), atol=1e-7)
    ref1 = shap.KernelExplainer(interacting, bg[:, :5].astype(np.float64))
    np.testing.assert_allclose(KernelSHAP(interacting, bg[:, :5]).shap_values(X[:, :5]),
                               ref1.shap_values(X[:, :5].astype(np.float64), silent=True), atol=1e-9)
