"""The RDP accountant against the published values of Opacus' and TF-Privacy's
own tests, an independent numerical integral of A_alpha, and Opacus itself
where it is installed."""
import math

import numpy as np
import pytest

from pynn.privacy import (DEFAULT_ORDERS, RDPAccountant, compute_rdp, get_noise_multiplier,
                          get_privacy_spent)

# TF-Privacy's compute_dp_sgd_privacy orders
TFP_ORDERS = [1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5] + list(range(5, 64)) + [128, 256, 512]


# ------------------------------------------------------------------ Opacus' anchors
def test_opacus_rdp_anchor():
    # opacus/tests/accountants_test.py::test_rdp_accountant
    acc = RDPAccountant()
    for _ in range(int(90 / 0.04)):
        acc.step(noise_multiplier=1.5, sample_rate=0.04)
    assert acc.history == [(1.5, 0.04, 2250)]  # consecutive equal steps are one phase
    assert acc.get_epsilon(1e-5) == pytest.approx(7.32911117143, abs=1e-9)


def test_opacus_default_orders():
    assert len(DEFAULT_ORDERS) == 99 + 52
    assert DEFAULT_ORDERS[0] == 1.1 and DEFAULT_ORDERS[98] == pytest.approx(10.9)
    assert DEFAULT_ORDERS[99] == 12 and DEFAULT_ORDERS[-1] == 63


def test_opacus_noise_multiplier_anchors():
    # opacus/tests/accountants_test.py: test_get_noise_multiplier_rdp_epochs / _steps
    assert get_noise_multiplier(8, 1e-5, 0.04, epochs=90) == pytest.approx(1.416, abs=1e-4)
    assert get_noise_multiplier(8, 1e-5, 0.04, steps=2000) == pytest.approx(1.3562, abs=1e-4)


@pytest.mark.parametrize("eps, q, epochs, delta", [(1.0, 1e-3, 10, 1e-5), (3.7, 0.02, 30, 1e-6),
                                                   (9.5, 0.1, 100, 1e-4)])
def test_noise_multiplier_lands_just_below_target(eps, q, epochs, delta):
    # Opacus' overshoot property: the epsilon reached is below the target, and
    # within the tolerance of it (so sigma is not needlessly large)
    sigma = get_noise_multiplier(eps, delta, q, epochs=epochs)
    acc = RDPAccountant()
    acc.step(sigma, q, int(epochs / q))
    reached = acc.get_epsilon(delta)
    assert eps - 0.01 <= reached <= eps


def test_noise_multiplier_round_trip():
    acc = RDPAccountant()
    acc.step(1.5, 0.04, 2250)
    eps = acc.get_epsilon(1e-5)
    sigma = get_noise_multiplier(eps, 1e-5, 0.04, steps=2250, epsilon_tolerance=1e-4)
    assert sigma == pytest.approx(1.5, abs=2e-3)
    assert sigma >= 1.5  # never less noise than the budget allows


# ------------------------------------------------------------------ TF-Privacy's anchors
def test_tf_privacy_compute_rdp_anchors():
    # tensorflow_privacy/privacy/analysis/rdp_accountant_test.py
    assert compute_rdp(0, 10, 1, 20) == 0
    assert compute_rdp(1, 10, 1, 20) == pytest.approx(0.1, abs=1e-15)
    assert compute_rdp(0.1, 2, 10, 5) == pytest.approx(0.07737, abs=1e-5)
    rdp = compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, np.inf])
    np.testing.assert_allclose(rdp[:5], [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307],
                               atol=1e-5)
    assert rdp[5] == np.inf


def test_tf_privacy_conversion_anchors():
    # constant RDP = pure DP: the largest order wins, epsilon by hand
    eps, order = get_privacy_spent(range(2, 33), [1.1] * 31, 1e-5)
    assert order == 32
    assert eps == pytest.approx(1.32783806176, abs=1e-10)
    # unsampled Gaussian whose scale gives exactly (1, 1e-6)-DP
    orders = [0.001 * i for i in range(1001, 100000)]
    eps, _ = get_privacy_spent(orders, compute_rdp(1, 4.530877117, 1, orders), 1e-6)
    assert eps == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("n, batch, sigma, epochs, delta, eps_ref, order_ref", [
    # tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py
    (60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0),
    (100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13.0),
    (100000000, 1024, 0.1, 10, 1e-7, 5907982.31138195, 1.25),
])
def test_tf_privacy_dp_sgd_anchors(n, batch, sigma, epochs, delta, eps_ref, order_ref):
    q = batch / n
    steps = int(math.ceil(epochs * n / batch))
    eps, order = get_privacy_spent(TFP_ORDERS, compute_rdp(q, sigma, steps, TFP_ORDERS), delta)
    assert eps == pytest.approx(eps_ref, rel=1e-9)
    assert order == order_ref


# ------------------------------------------------------------------ A_alpha by integration
def _log_a_by_integral(q, sigma, alpha):
    """log of A_alpha = E_{z~N(0, sigma^2)}[((1-q) + q exp((2z-1)/(2 sigma^2)))^alpha] by the
    trapezoid rule in log space (Mironov et al. 2019, eq. for the sampled Gaussian)."""
    lo, hi, n = -40 * sigma, 40 * sigma + 2 * alpha, 800001
    z = np.linspace(lo, hi, n)
    log_pdf = -z ** 2 / (2 * sigma ** 2) - math.log(sigma * math.sqrt(2 * math.pi))
    log_ratio = np.logaddexp(math.log1p(-q), math.log(q) + (2 * z - 1) / (2 * sigma ** 2))
    log_f = log_pdf + alpha * log_ratio
    m = log_f.max()
    w = np.full_like(z, (hi - lo) / (n - 1))  # (not z[1] - z[0]: that difference is rounded)
    w[0] = w[-1] = w[0] / 2
    return m + math.log(np.sum(w * np.exp(log_f - m)))


@pytest.mark.parametrize("q, sigma, alpha", [(1e-4, 1.0, 1.5), (1e-3, 1.0, 2), (0.01, 10, 20),
                                             (0.1, 100, 20.5), (0.04, 1.5, 3.7), (0.5, 0.8, 6.3),
                                             (0.02, 0.7, 40)])
def test_rdp_matches_numerical_integral(q, sigma, alpha):
    # TF-Privacy checks log A against a multi-precision integral (rtol 1e-4); this
    # is the same check with a float64 integral, fractional and integer orders
    log_a = compute_rdp(q, sigma, 1, alpha) * (alpha - 1)
    assert log_a == pytest.approx(_log_a_by_integral(q, sigma, alpha), rel=1e-4, abs=1e-12)


def test_composition_adds_phases():
    acc = RDPAccountant()
    acc.step(1.0, 0.01, 100)
    acc.step(2.0, 0.05, 30)
    acc.step(2.0, 0.05, 20)
    assert acc.history == [(1.0, 0.01, 100), (2.0, 0.05, 50)]
    rdp = compute_rdp(0.01, 1.0, 100) + compute_rdp(0.05, 2.0, 50)
    assert acc.get_privacy_spent(1e-5) == get_privacy_spent(DEFAULT_ORDERS, rdp, 1e-5)
    assert RDPAccountant().get_epsilon(1e-5) == 0.0


def test_no_noise_is_no_privacy():
    assert np.all(np.isinf(compute_rdp(0.1, 0.0, 10)))
    acc = RDPAccountant()
    acc.step(0.0, 0.1, 10)
    assert acc.get_epsilon(1e-5) == math.inf


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, name", [
    (lambda: compute_rdp(1.5, 1.0, 10), "q"),
    (lambda: compute_rdp(-0.1, 1.0, 10), "q"),
    (lambda: compute_rdp(0.1, -1.0, 10), "noise_multiplier"),
    (lambda: compute_rdp(0.1, 1.0, -3), "steps"),
    (lambda: compute_rdp(0.1, 1.0, 3, [0.5, 2]), "order"),
    (lambda: get_privacy_spent([2, 3], [0.1, 0.2], 0.0), "delta"),
    (lambda: get_privacy_spent([2, 3], [0.1], 1e-5), "orders"),
    (lambda: get_noise_multiplier(1.0, 1e-5, 0.0, epochs=1), "sample_rate"),
    (lambda: get_noise_multiplier(1.0, 1e-5, 1.2, epochs=1), "sample_rate"),
    (lambda: get_noise_multiplier(-1.0, 1e-5, 0.1, epochs=1), "target_epsilon"),
    (lambda: get_noise_multiplier(1.0, 1e-5, 0.1, epochs=1, steps=10), "epochs"),
    (lambda: get_noise_multiplier(1.0, 1.0, 0.1, epochs=1), "delta"),
    (lambda: RDPAccountant().step(1.0, 2.0), "sample_rate"),
    (lambda: RDPAccountant().step(float("nan"), 0.1), "noise_multiplier"),
])
def test_bad_arguments_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_budget_too_small_is_an_error():
    with pytest.raises(ValueError, match="too small"):
        get_noise_multiplier(1e-7, 1e-5, 1.0, steps=10 ** 6)


# ------------------------------------------------------------------ Opacus itself
def test_matches_opacus_where_installed():
    rdp_mod = pytest.importorskip("opacus.accountants.analysis.rdp")
    utils = pytest.importorskip("opacus.accountants.utils")
    rng = np.random.default_rng(0)
    for _ in range(3):
        q, sigma = float(rng.uniform(1e-3, 0.3)), float(rng.uniform(0.5, 3.0))
        steps, delta = int(rng.integers(10, 5000)), float(10.0 ** -rng.integers(4, 8))
        theirs = rdp_mod.compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=list(DEFAULT_ORDERS))
        np.testing.assert_allclose(compute_rdp(q, sigma, steps), theirs, rtol=1e-8)
        eps_theirs, order_theirs = rdp_mod.get_privacy_spent(orders=list(DEFAULT_ORDERS), rdp=theirs,
                                                             delta=delta)
        eps, order = get_privacy_spent(DEFAULT_ORDERS, compute_rdp(q, sigma, steps), delta)
        assert eps == pytest.approx(float(eps_theirs), rel=1e-8) and order == order_theirs
    assert get_noise_multiplier(2.0, 1e-5, 0.01, epochs=20) == pytest.approx(
        utils.get_noise_multiplier(target_epsilon=2.0, target_delta=1e-5, sample_rate=0.01, epochs=20),
        rel=1e-9)
