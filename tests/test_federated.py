"""pynn.federated: FedAvg / FedProx / server-side DP simulated on plain pynn models."""
import numpy as np
import pytest

import pynn
from pynn import federated as fl


def _mlp(n_in, n_out, activation, lr=0.1, hidden=8):
    m = pynn.Sequential([pynn.Input(shape=(n_in,)), pynn.Dense(hidden, activation="tanh"),
                         pynn.Dense(n_out, activation=activation)])
    m.compile(pynn.optimizers.SGD(lr), "mse")
    return m


def _regression(n=64, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, 1)) + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


# ---------------------------------------------------------------- aggregation
def test_aggregate_is_the_example_weighted_mean_exactly():
    r1 = ([np.array([1.0, 2.0], np.float32), np.array([[0.5]], np.float32)], 1)
    r2 = ([np.array([5.0, -2.0], np.float32), np.array([[4.5]], np.float32)], 3)
    out = fl.aggregate([r1, r2])
    np.testing.assert_array_equal(out[0], [4.0, -1.0])  # (1·1 + 3·5)/4, (1·2 − 3·2)/4
    np.testing.assert_array_equal(out[1], [[3.5]])      # (0.5 + 13.5)/4
    assert out[0].dtype == np.float32


def test_aggregate_of_one_client_is_that_client_bit_for_bit():
    w = [np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)]
    assert _same(fl.aggregate([(w, 123)]), w)


def test_aggregate_rejects_bad_results():
    w = [np.zeros(2, np.float32)]
    with pytest.raises(ValueError, match="no client results"):
        fl.aggregate([])
    with pytest.raises(ValueError, match="num_examples=0"):
        fl.aggregate([(w, 0)])
    with pytest.raises(ValueError, match="shape"):
        fl.aggregate([(w, 1), ([np.zeros(3, np.float32)], 1)])


# ---------------------------------------------------------------- splits
def test_split_iid_covers_every_row_once_in_near_equal_parts():
    x = np.arange(103, dtype=np.float32).reshape(-1, 1)
    clients = fl.split_iid(x, x[:, 0] % 3, 4, seed=5)
    idx = np.concatenate([c.indices for c in clients])
    assert sorted(idx) == list(range(103))
    assert sorted(c.num_examples for c in clients) == [25, 26, 26, 26]
    for c in clients:
        np.testing.assert_array_equal(c.x[:, 0], c.indices)  # rows travel with their labels
    again = fl.split_iid(x, x[:, 0] % 3, 4, seed=5)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(clients, again))
    other = fl.split_iid(x, x[:, 0] % 3, 4, seed=6)
    assert not all(np.array_equal(a.indices, b.indices) for a, b in zip(clients, other))


def _label_shares(clients, n_classes):
    return np.array([np.bincount(c.y.astype(int), minlength=n_classes) / c.num_examples
                     for c in clients])


def test_split_dirichlet_partitions_and_skews_with_alpha():
    y = np.repeat(np.arange(10), 200)
    x = np.arange(len(y), dtype=np.float32)
    skewed = fl.split_dirichlet(x, y, 8, alpha=0.1, seed=0)
    near_iid = fl.split_dirichlet(x, y, 8, alpha=1000.0, seed=0)
    for clients in (skewed, near_iid):
        idx = np.concatenate([c.indices for c in clients])
        assert len(idx) == len(y) and len(np.unique(idx)) == len(y)
        assert min(c.num_examples for c in clients) >= 10
        for c in clients:
            np.testing.assert_array_equal(c.y, y[c.indices])
    # alpha -> 0: a client is dominated by few classes; alpha -> inf: every client ~ 10% each
    assert _label_shares(skewed, 10).max(axis=1).mean() > 0.5
    np.testing.assert_allclose(_label_shares(near_iid, 10), 0.1, atol=0.04)
    again = fl.split_dirichlet(x, y, 8, alpha=0.1, seed=0)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(skewed, again))


def test_split_dirichlet_accepts_one_hot_and_checks_inputs():
    y = np.eye(3, dtype=np.float32)[np.repeat(np.arange(3), 30)]
    clients = fl.split_dirichlet(np.zeros((90, 2)), y, 3, alpha=5.0, seed=1, min_size=5)
    assert sum(c.num_examples for c in clients) == 90 and clients[0].y.shape[1] == 3
    with pytest.raises(ValueError, match="class labels"):
        fl.split_dirichlet(np.zeros((4, 1)), np.array([0.5, 1, 2, 3]), 2, alpha=1.0)
    with pytest.raises(ValueError, match="alpha must be a positive"):
        fl.split_dirichlet(np.zeros((4, 1)), np.array([0, 1, 0, 1]), 2, alpha=0)
    with pytest.raises(ValueError, match="at least 10 examples"):
        fl.split_dirichlet(np.zeros((30, 1)), np.arange(30) % 2, 5, alpha=1.0)
    with pytest.raises(ValueError, match="only 3 examples"):
        fl.split_iid(np.zeros((3, 1)), np.zeros(3), 4)


# ---------------------------------------------------------------- FedAvg = local training
@pytest.mark.parametrize("rounds,local_epochs", [(3, 1), (1, 3)])
def test_fedavg_with_one_client_equals_local_training(rounds, local_epochs):
    x, y = _regression()
    local = _mlp(5, 1, None)
    init = local.get_weights()
    pynn.set_seed(7)
    local.fit(x, y, epochs=rounds * local_epochs, batch_size=16, verbose=0)

    fed = _mlp(5, 1, None)
    fed.set_weights(init)
    h = fl.simulate(fed, [(x, y)], rounds=rounds, seed=7,
                    strategy=fl.FedAvg(local_epochs=local_epochs, batch_size=16))
    assert _same(fed.get_weights(), local.get_weights())
    assert h.rounds == list(range(1, rounds + 1)) and h.clients == [[0]] * rounds


def test_fedavg_one_round_of_adam_equals_local_adam():
    x, y = _regression(seed=1)
    local = _mlp(5, 1, None)
    local.compile(pynn.optimizers.Adam(0.01), "mse")
    init = local.get_weights()
    pynn.set_seed(3)
    local.fit(x, y, epochs=4, batch_size=8, verbose=0)
    fed = _mlp(5, 1, None)
    fed.compile(pynn.optimizers.Adam(0.01), "mse")
    fed.set_weights(init)
    fl.simulate(fed, [fl.Client(x, y)], rounds=1, seed=3, strategy=fl.FedAvg(local_epochs=4, batch_size=8))
    assert _same(fed.get_weights(), local.get_weights())


def test_each_round_starts_from_a_fresh_optimizer_state():
    """Two rounds of one Adam epoch = one epoch, a new Adam, one more epoch."""
    x, y = _regression(seed=5)
    local = _mlp(5, 1, None)
    local.compile(pynn.optimizers.Adam(0.01), "mse")
    init = local.get_weights()
    pynn.set_seed(2)
    local.fit(x, y, epochs=1, batch_size=8, verbose=0)
    local.compile(pynn.optimizers.Adam(0.01), "mse")
    local.fit(x, y, epochs=1, batch_size=8, verbose=0)
    fed = _mlp(5, 1, None)
    fed.compile(pynn.optimizers.Adam(0.01), "mse")
    fed.set_weights(init)
    fl.simulate(fed, [(x, y)], rounds=2, seed=2, strategy=fl.FedAvg(batch_size=8))
    assert _same(fed.get_weights(), local.get_weights())


def test_iid_equal_clients_full_batch_step_is_centralised_gradient_descent():
    x, y = _regression(n=60)
    central = _mlp(5, 1, None, lr=0.05)
    init = central.get_weights()
    central.fit(x, y, epochs=1, batch_size=60, shuffle=False, verbose=0)
    fed = _mlp(5, 1, None, lr=0.05)
    fed.set_weights(init)
    clients = fl.split_iid(x, y, 4, seed=0)  # 4 x 15 examples, one full-batch step each
    fl.simulate(fed, clients, rounds=1, strategy=fl.FedAvg(batch_size=15))
    for a, b in zip(fed.get_weights(), central.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_client_sampling_follows_fraction_and_seed():
    x, y = _regression(n=40)
    clients = fl.split_iid(x, y, 10, seed=0)
    strat = fl.FedAvg(fraction_fit=0.3, batch_size=4)
    h1 = fl.simulate(_mlp(5, 1, None), clients, rounds=4, strategy=strat, seed=11)
    h2 = fl.simulate(_mlp(5, 1, None), clients, rounds=4, strategy=strat, seed=11)
    assert all(len(c) == 3 for c in h1.clients) and h1.clients == h2.clients
    assert len({tuple(c) for c in h1.clients}) > 1
    assert fl.FedAvg(fraction_fit=0.1, min_fit_clients=2).num_fit_clients(10) == 2


# ---------------------------------------------------------------- FedProx
def test_fedprox_with_mu_zero_equals_fedavg():
    x, y = _regression(seed=2)
    clients = fl.split_iid(x, y, 3, seed=0)
    a, b = _mlp(5, 1, None), _mlp(5, 1, None)
    b.set_weights(a.get_weights())
    ha = fl.simulate(a, clients, rounds=3, strategy=fl.FedAvg(local_epochs=2, batch_size=8), seed=4)
    hb = fl.simulate(b, clients, rounds=3, strategy=fl.FedProx(0.0, local_epochs=2, batch_size=8), seed=4)
    assert _same(a.get_weights(), b.get_weights())
    assert ha.history["train_loss"] == hb.history["train_loss"]


def test_fedprox_adds_mu_times_distance_to_the_gradient():
    """Linear model, MSE, full-batch SGD: w <- w - lr·(∇MSE(w) + μ(w - w_global)),
    transcribed in float64 NumPy."""
    x, y = _regression(n=32, d=3, seed=3)
    mu, lr, steps = 2.0, 0.05, 3
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(1)])
    m.compile(pynn.optimizers.SGD(lr), "mse")
    m.set_weights([np.array([[0.3], [-0.2], [0.1]], np.float32), np.array([0.05], np.float32)])
    W, b = (a.astype(np.float64) for a in m.get_weights())
    W0, b0 = W.copy(), b.copy()
    X, Y = x.astype(np.float64), y.astype(np.float64)
    for _ in range(steps):
        r = X @ W + b - Y
        gW = 2 * X.T @ r / len(X) + mu * (W - W0)
        gb = 2 * r.sum(0) / len(X) + mu * (b - b0)
        W, b = W - lr * gW, b - lr * gb
    fl.simulate(m, [(x, y)], rounds=1, strategy=fl.FedProx(mu, local_epochs=steps, batch_size=32))
    np.testing.assert_allclose(m.get_weights()[0], W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], b, rtol=1e-5, atol=1e-6)
    # the proximal term is gone afterwards: evaluate is the plain MSE again
    pred = x @ m.get_weights()[0] + m.get_weights()[1]
    assert m.evaluate(x, y, verbose=0) == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-5)


def test_fedprox_keeps_clients_closer_to_the_global_model():
    x, y = _regression(n=48, seed=4)
    init = _mlp(5, 1, None).get_weights()

    def drift(strategy):
        m = _mlp(5, 1, None)
        m.set_weights(init)
        fl.simulate(m, [(x, y)], rounds=1, strategy=strategy)
        return np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(m.get_weights(), init)))

    assert drift(fl.FedProx(5.0, local_epochs=5, batch_size=8)) < 0.8 * drift(
        fl.FedAvg(local_epochs=5, batch_size=8))


def test_fedprox_keeps_an_existing_regularizer():
    x, y = _regression(n=16, d=3)
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(1, kernel_regularizer=pynn.regularizers.L2(0.1))])
    m.compile(pynn.optimizers.SGD(0.01), "mse")
    reg = m.trainable_weights[0].regularizer
    loss_before = m.evaluate(x, y, verbose=0)
    h = fl.simulate(m, [(x, y)], rounds=1, strategy=fl.FedProx(0.0, batch_size=16))
    assert m.trainable_weights[0].regularizer is reg
    assert h.history["train_loss"][0] == pytest.approx(loss_before, rel=1e-6)  # L2 term still in


# ---------------------------------------------------------------- server-side DP
def test_dp_clips_each_update_then_averages():
    current = [np.zeros(2, np.float32), np.zeros(1, np.float32)]
    big = ([np.array([3.0, 0.0], np.float32), np.array([4.0], np.float32)], 1)    # norm 5
    small = ([np.array([0.0, 0.3], np.float32), np.array([0.4], np.float32)], 1)  # norm 0.5
    dp = fl.DifferentialPrivacyServerSideFixedClipping(fl.FedAvg(), noise_multiplier=0.0,
                                                       clipping_norm=1.0)
    out = dp.aggregate_fit([big, small], current, np.random.default_rng(0))
    # big is scaled to norm 1 -> (0.6, 0, 0.8); small is untouched; the mean of both:
    np.testing.assert_allclose(out[0], [0.3, 0.15], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.6], rtol=1e-6)
    clipped = fl.clip_update(big[0], current, 1.0)
    assert np.sqrt(sum(np.sum(c.astype(np.float64) ** 2) for c in clipped)) == pytest.approx(1.0)


def test_dp_noise_has_std_sigma_c_over_m():
    current = [np.zeros(20000, np.float32)]
    results = [([np.zeros(20000, np.float32)], 5) for _ in range(4)]
    dp = fl.DifferentialPrivacyServerSideFixedClipping(fl.FedAvg(), noise_multiplier=2.0,
                                                       clipping_norm=0.5)
    out = dp.aggregate_fit(results, current, np.random.default_rng(1))
    assert dp.last_noise_std == pytest.approx(2.0 * 0.5 / 4)
    assert np.std(out[0]) == pytest.approx(0.25, rel=0.03) and abs(np.mean(out[0])) < 0.01


def test_dp_in_simulation_is_seeded_and_forwards_the_strategy():
    x, y = _regression(n=40)
    clients = fl.split_iid(x, y, 4, seed=0)
    dp = fl.DifferentialPrivacyServerSideFixedClipping(fl.FedProx(0.1, batch_size=5, local_epochs=2),
                                                       noise_multiplier=1.0, clipping_norm=0.5)
    assert dp.local_epochs == 2 and dp.proximal_mu == 0.1
    init = _mlp(5, 1, None).get_weights()
    finals = []
    for _ in range(2):
        m = _mlp(5, 1, None)
        m.set_weights(init)
        fl.simulate(m, clients, rounds=2, strategy=dp, seed=9)
        finals.append(m.get_weights())
    assert _same(*finals)
    # one round moves the global model by at most C + noise: the clipped mean has norm <= C
    m = _mlp(5, 1, None)
    m.set_weights(init)
    quiet = fl.DifferentialPrivacyServerSideFixedClipping(fl.FedAvg(batch_size=5, local_epochs=20),
                                                          noise_multiplier=0.0, clipping_norm=0.05)
    fl.simulate(m, clients, rounds=1, strategy=quiet)
    moved = np.sqrt(sum(np.sum((a.astype(np.float64) - b) ** 2) for a, b in zip(m.get_weights(), init)))
    assert 0.03 < moved <= 0.05 + 1e-6


def test_dp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="clipping_norm must be a finite number > 0"):
        fl.DifferentialPrivacyServerSideFixedClipping(fl.FedAvg(), 1.0, 0.0)
    with pytest.raises(ValueError, match="noise_multiplier"):
        fl.DifferentialPrivacyServerSideFixedClipping(fl.FedAvg(), -1.0, 1.0)
    with pytest.raises(TypeError, match="wraps a FedAvg"):
        fl.DifferentialPrivacyServerSideFixedClipping(object(), 1.0, 1.0)


# ---------------------------------------------------------------- learning real data
def _scaled(x_train, x_test):
    mean, std = x_train.mean(0), x_train.std(0) + 1e-8
    return ((x_train - mean) / std).astype(np.float32), ((x_test - mean) / std).astype(np.float32)


def test_fedavg_learns_breast_cancer_on_dirichlet_clients():
    sklearn = pytest.importorskip("sklearn.datasets")
    x, y = sklearn.load_breast_cancer(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    x, y = x[perm], y[perm].astype(np.float32).reshape(-1, 1)
    xtr, xte = _scaled(x[:450], x[450:])
    pynn.set_seed(0)
    m = pynn.Sequential([pynn.Input(shape=(30,)), pynn.Dense(16, activation="relu"),
                         pynn.Dense(1, activation="sigmoid")])
    m.compile(pynn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    clients = fl.split_dirichlet(xtr, y[:450], 5, alpha=0.5, seed=0)
    h = fl.simulate(m, clients, rounds=8, strategy=fl.FedAvg(batch_size=32), test_data=(xte, y[450:]),
                    seed=0)
    assert h.history["test_accuracy"][-1] >= 0.93
    assert h.history["test_loss"][-1] < h.history["test_loss"][0]
    assert set(h.history) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}


def test_fedprox_learns_digits_on_skewed_clients(capsys):
    sklearn = pytest.importorskip("sklearn.datasets")
    x, y = sklearn.load_digits(return_X_y=True)
    perm = np.random.default_rng(1).permutation(len(y))
    x, y = x[perm] / 16.0, y[perm].astype(np.float32)
    pynn.set_seed(1)
    m = pynn.Sequential([pynn.Input(shape=(64,)), pynn.Dense(32, activation="relu"),
                         pynn.Dense(10, activation="softmax")])
    m.compile(pynn.optimizers.Adam(0.005), "sparse_categorical_crossentropy", metrics=["accuracy"])
    clients = fl.split_dirichlet(x[:1400], y[:1400], 4, alpha=1.0, seed=1)
    h = fl.simulate(m, clients, rounds=8, strategy=fl.FedProx(0.01, batch_size=32),
                    test_data=(x[1400:].astype(np.float32), y[1400:]), seed=1, verbose=1)
    assert h.history["test_accuracy"][-1] >= 0.9
    out = capsys.readouterr().out
    assert out.count("Round ") == 8 and "Round 8/8 - 4 clients - test_accuracy:" in out


# ---------------------------------------------------------------- bad input
def test_simulate_rejects_bad_input():
    x, y = _regression(n=8)
    m = _mlp(5, 1, None)
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        fl.simulate(m, [(x, y)], rounds=0)
    with pytest.raises(ValueError, match="non-empty list"):
        fl.simulate(m, [], rounds=1)
    with pytest.raises(TypeError, match="client 0 must be a Client"):
        fl.simulate(m, [x], rounds=1)
    with pytest.raises(ValueError, match="x has 7 rows but y has 8"):
        fl.Client(x[:7], y)
    with pytest.raises(TypeError, match="strategy must be"):
        fl.simulate(m, [(x, y)], rounds=1, strategy="fedavg")
    with pytest.raises(ValueError, match="compile"):
        fl.simulate(pynn.Sequential([pynn.Input(shape=(5,)), pynn.Dense(1)]), [(x, y)], rounds=1)
    with pytest.raises(ValueError, match="proximal_mu"):
        fl.FedProx(-1.0)
    with pytest.raises(ValueError, match="fraction_fit"):
        fl.FedAvg(fraction_fit=0)
    with pytest.raises(ValueError, match="per-sample shape"):
        fl.simulate(m, [(np.zeros((8, 4), np.float32), y)], rounds=1)
