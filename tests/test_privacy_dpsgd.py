"""DP-SGD in the compiled loop: the clipped sum against a NumPy reference, the
noise against its formula (exact in the seeded mode, statistical in the secure
mode), Poisson sampling's rate, reproducibility, equivalence with plain SGD when
privacy is switched off, learning real data, epsilon in the History, bad input,
and Opacus on the same model where it is installed."""
import math

import numpy as np
import pytest

import pynn
from pynn import _C
from pynn.layers import Dense
from pynn.privacy import DEFAULT_ORDERS, DPSGD, compute_rdp, get_privacy_spent, make_private


def _data(n, d=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) + 0.5 * rng.standard_normal(n) > 0).astype(np.float32)
    return x, y


def _mlp(optimizer, seed=0, d=30):
    pynn.set_seed(seed)
    model = pynn.Sequential([pynn.Input(shape=(d,)), Dense(8, activation="relu"),
                             Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    return model


def _close(a, b, rtol=2e-5, atol=1e-6):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ privacy switched off
@pytest.mark.parametrize("inner", ["sgd", "adam"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_no_noise_and_huge_clip_equals_plain_training(inner, shuffle):
    x, y = _data(70)  # 70 = 4 x 16 + 6: a short last batch too
    make = {"sgd": lambda: pynn.optimizers.SGD(0.1), "adam": lambda: pynn.optimizers.Adam(0.01)}[inner]
    plain = _mlp(make())
    private = _mlp(DPSGD(l2_norm_clip=1e6, noise_multiplier=0.0, optimizer=make(),
                         poisson_sampling=False))
    _close(plain, private, 0, 0)
    for model in (plain, private):
        pynn.set_seed(5)  # the same shuffles
        model.fit(x, y, batch_size=16, epochs=3, shuffle=shuffle, verbose=0)
    _close(plain, private)
    assert not np.allclose(plain.get_weights()[0], _mlp("sgd").get_weights()[0])  # it trained


def test_poisson_rate_one_is_full_batch_gradient_descent():
    x, y = _data(40)
    plain = _mlp(pynn.optimizers.SGD(0.5))
    private = _mlp(DPSGD(l2_norm_clip=1e6, noise_multiplier=0.0, learning_rate=0.5))
    plain.fit(x, y, batch_size=40, epochs=5, verbose=0)
    private.fit(x, y, batch_size=40, epochs=5, verbose=0)  # q = 1: every example, divided by 40
    _close(plain, private)


# ------------------------------------------------------------------ clipping
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_clipped_sum_matches_numpy_reference():
    # logistic regression: example i's gradient is (p_i - y_i) [x_i, 1]
    x, y = _data(8, d=5, seed=1)
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(5,)), Dense(1, activation="sigmoid")])
    rng = np.random.default_rng(3)
    w, b = rng.standard_normal((5, 1)).astype(np.float32), np.float32([0.3])
    model.set_weights([w, b])
    clip, lr = 0.4, 0.5
    opt = DPSGD(l2_norm_clip=clip, noise_multiplier=0.0, learning_rate=lr, poisson_sampling=False)
    opt.record_clipping(8)
    model.compile(optimizer=opt, loss="binary_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)

    xd, yd = x.astype(np.float64), y.astype(np.float64)
    r = _sigmoid(xd @ w[:, 0] + b[0]) - yd
    grads = np.concatenate([r[:, None] * xd, r[:, None]], axis=1)
    norms = np.linalg.norm(grads, axis=1)
    factors = np.minimum(1.0, clip / (norms + 1e-6))
    assert opt.clipping_count == 8
    rec = opt.clipping_record
    np.testing.assert_allclose(rec[:, 0], norms, rtol=1e-5)
    np.testing.assert_allclose(rec[:, 1], factors, rtol=1e-5)
    assert (factors < 1).sum() >= 3 and (factors == 1).sum() >= 1  # both branches exercised
    step = (factors[:, None] * grads).sum(axis=0) / 8
    np.testing.assert_allclose(model.get_weights()[0][:, 0], w[:, 0] - lr * step[:5], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.get_weights()[1], b - lr * step[5], rtol=1e-5, atol=1e-7)


def test_clipped_norms_never_exceed_the_bound():
    x, y = _data(300)
    opt = DPSGD(l2_norm_clip=1.0, noise_multiplier=0.5, learning_rate=0.2, seed=1)
    opt.record_clipping(2000)
    model = _mlp(opt)
    model.fit(x, y, batch_size=30, epochs=3, verbose=0)
    rec = opt.clipping_record[:opt.clipping_count]
    assert len(rec) > 500
    clipped = rec[:, 0] * rec[:, 1]
    assert np.all(clipped <= 1.0)
    np.testing.assert_allclose(rec[:, 1], np.minimum(1.0, 1.0 / (rec[:, 0] + 1e-6)), rtol=1e-12)
    assert 0.05 < np.mean(rec[:, 1] < 1) < 0.95  # the bound binds for some examples, not all


def test_poisson_sampling_rate():
    # every example is in a batch independently with probability q = 20 / 200
    x, y = _data(200)
    opt = DPSGD(l2_norm_clip=1.0, noise_multiplier=1.0, learning_rate=0.01, seed=3)
    opt.record_clipping(10000)
    _mlp(opt).fit(x, y, batch_size=20, epochs=20, verbose=0)  # 200 steps
    trials = 200 * 200
    mean, sd = trials * 0.1, math.sqrt(trials * 0.1 * 0.9)
    assert abs(opt.clipping_count - mean) < 5 * sd
    assert opt.accountant.history == [(1.0, 0.1, 200)]


# ------------------------------------------------------------------ noise
def _zero_gradient_model(opt, n_out=200):
    # a zero kernel and zero targets: every per-example gradient is exactly 0, so
    # the update is the noise alone
    model = pynn.Sequential([pynn.Input(shape=(30,)),
                             Dense(n_out, kernel_initializer="zeros", bias_initializer="zeros")])
    model.compile(optimizer=opt, loss="mse")
    return model


def test_seeded_noise_is_the_documented_draw():
    sigma, clip, batch = 1.3, 0.7, 10
    model = _zero_gradient_model(DPSGD(l2_norm_clip=clip, noise_multiplier=sigma, learning_rate=1.0,
                                       seed=12345, poisson_sampling=False))
    x = np.random.default_rng(0).standard_normal((batch, 30)).astype(np.float32)
    model.fit(x, np.zeros((batch, 200), np.float32), batch_size=batch, epochs=1, verbose=0)
    got = np.concatenate([w.ravel() for w in model.get_weights()])
    z = np.array([_C.dp_seeded_normal(12345, 0, j) for j in range(got.size)])
    noise = (np.float64(sigma * clip) * z).astype(np.float32)
    expected = -(noise * np.float32(1.0 / batch))  # SGD with lr 1 from zero weights
    np.testing.assert_array_equal(got, expected)


def _check_gaussian(samples, std):
    """Mean, std and the Kolmogorov-Smirnov distance to N(0, std^2), each at a
    level a correct generator fails with probability < 1e-4."""
    n = samples.size
    z = np.sort(samples / std)
    assert abs(z.mean()) < 4 / math.sqrt(n)
    assert abs(z.std() - 1) < 4 * math.sqrt(1 / (2 * n)) + 1e-3
    cdf = 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
    d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert d < 2.0 / math.sqrt(n)


@pytest.mark.parametrize("secure", [False, True])
def test_noise_has_the_right_distribution(secure):
    sigma, clip, batch = 2.0, 0.5, 8
    opt = DPSGD(l2_norm_clip=clip, noise_multiplier=sigma, learning_rate=1.0, secure_mode=secure,
                seed=None if secure else 99)
    model = _zero_gradient_model(opt)
    x = np.random.default_rng(1).standard_normal((64, 30)).astype(np.float32)
    # Poisson sampling with q = 8 / 64: divided by the expected batch size 8
    model.fit(x, np.zeros((64, 200), np.float32), batch_size=batch, epochs=1, verbose=0)
    before = np.concatenate([w.ravel() for w in model.get_weights()])
    model.fit(x, np.zeros((64, 200), np.float32), batch_size=batch, epochs=1, verbose=0)
    after = np.concatenate([w.ravel() for w in model.get_weights()])
    # each step adds noise of std sigma C / 8; one epoch is 8 steps
    _check_gaussian(after - before, sigma * clip / batch * math.sqrt(8))
    _check_gaussian(before, sigma * clip / batch * math.sqrt(8))


def test_wrong_noise_fails_the_check():
    # the statistical check can fail: 5% too much noise, or uniform noise of the
    # right std, are caught on as many samples as the model above has weights
    rng = np.random.default_rng(0)
    with pytest.raises(AssertionError):
        _check_gaussian(rng.standard_normal(6200) * 1.05, 1.0)
    with pytest.raises(AssertionError):
        _check_gaussian(rng.uniform(-math.sqrt(3), math.sqrt(3), 6200), 1.0)
    _check_gaussian(rng.standard_normal(6200), 1.0)


def test_secure_mode_is_not_reproducible():
    x, y = _data(64)
    runs = []
    for _ in range(2):
        model = _mlp(DPSGD(l2_norm_clip=1.0, noise_multiplier=1.0, learning_rate=0.1, secure_mode=True))
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        runs.append(model.get_weights()[0])
    assert not np.array_equal(runs[0], runs[1])


# ------------------------------------------------------------------ reproducibility
def _seeded_run(threads, dp_seed=None, seed=0):
    before = pynn.get_num_threads()
    pynn.set_num_threads(threads)
    try:
        x, y = _data(300, d=64)
        pynn.set_seed(seed)
        model = pynn.Sequential([pynn.Input(shape=(64,)), Dense(128, activation="relu"),
                                 pynn.layers.Dropout(0.2), Dense(1, activation="sigmoid")])
        model.compile(optimizer=DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.1,
                                      seed=dp_seed), loss="binary_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        return model.get_weights()
    finally:
        pynn.set_num_threads(before)


def test_seeded_run_is_bit_identical_and_thread_independent():
    one, again, two = _seeded_run(1), _seeded_run(1), _seeded_run(2)
    for a, b, c in zip(one, again, two):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    other = _seeded_run(1, seed=1)
    assert not np.array_equal(one[0], other[0])
    fixed_key = _seeded_run(2, dp_seed=7)
    np.testing.assert_array_equal(fixed_key[0], _seeded_run(1, dp_seed=7)[0])
    assert not np.array_equal(fixed_key[0], one[0])


# ------------------------------------------------------------------ learning and epsilon
@pytest.fixture(scope="module")
def breast_cancer():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(xtr)
    return (scaler.transform(xtr).astype(np.float32), scaler.transform(xte).astype(np.float32),
            ytr.astype(np.float32), yte.astype(np.float32))


def test_private_model_learns_breast_cancer(breast_cancer, capsys):
    xtr, xte, ytr, yte = breast_cancer
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(30,)), Dense(16, activation="relu"),
                             Dense(1, activation="sigmoid")])
    model.compile(optimizer=DPSGD(l2_norm_clip=1.0, noise_multiplier=1.5, learning_rate=0.2),
                  loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(xtr, ytr, batch_size=32, epochs=10, verbose=2)
    assert "epsilon: " in capsys.readouterr().out  # on the progress bar
    eps = history.history["epsilon"]
    assert len(eps) == 10 and all(a < b for a, b in zip(eps, eps[1:]))
    n = len(xtr)
    steps = 10 * math.ceil(n / 32)
    ref, _ = get_privacy_spent(DEFAULT_ORDERS, compute_rdp(32 / n, 1.5, steps), 1e-5)
    assert eps[-1] == pytest.approx(ref, rel=1e-12)
    assert eps[-1] < 3.5  # a modest budget
    assert model.evaluate(xte, yte, verbose=0)[1] >= 0.9


def test_target_epsilon_chooses_the_noise(breast_cancer):
    xtr, _, ytr, _ = breast_cancer
    opt = DPSGD(l2_norm_clip=1.0, target_epsilon=2.0, learning_rate=0.1, delta=1e-4)
    history = _mlp(opt).fit(xtr, ytr, batch_size=64, epochs=4, verbose=0)
    assert 1.98 <= history.history["epsilon"][-1] <= 2.0
    assert opt.noise_multiplier > 0.5 and opt.get_epsilon(1e-4) == history.history["epsilon"][-1]


def test_make_private_is_the_same_training():
    x, y = _data(100)
    a = _mlp(DPSGD(l2_norm_clip=0.5, noise_multiplier=0.8, optimizer=pynn.optimizers.Adam(0.01), seed=4))
    b = make_private(_mlp(pynn.optimizers.Adam(0.01)), l2_norm_clip=0.5, noise_multiplier=0.8, seed=4)
    assert isinstance(b.optimizer, DPSGD)
    for m in (a, b):
        m.fit(x, y, batch_size=10, epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_save_and_load_keep_the_budget(tmp_path):
    x, y = _data(100)
    model = _mlp(DPSGD(l2_norm_clip=1.0, noise_multiplier=1.0, optimizer="adam", seed=2))
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    path = str(tmp_path / "dp.pynn")
    model.save(path)
    loaded = pynn.load_model(path)
    assert isinstance(loaded.optimizer, DPSGD)
    assert isinstance(loaded.optimizer.optimizer, pynn.optimizers.Adam)
    assert loaded.optimizer.get_epsilon() == model.optimizer.get_epsilon()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 20
    history = loaded.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert history.history["epsilon"][-1] > model.optimizer.get_epsilon()


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs, name", [
    ({"l2_norm_clip": -1.0, "noise_multiplier": 1.0}, "l2_norm_clip"),
    ({"l2_norm_clip": 0.0, "noise_multiplier": 1.0}, "l2_norm_clip"),
    ({"l2_norm_clip": float("inf"), "noise_multiplier": 1.0}, "l2_norm_clip"),
    ({"noise_multiplier": -0.5}, "noise_multiplier"),
    ({"noise_multiplier": "1"}, "noise_multiplier"),
    ({}, "noise_multiplier"),
    ({"noise_multiplier": 1.0, "target_epsilon": 3.0}, "target_epsilon"),
    ({"target_epsilon": -3.0}, "target_epsilon"),
    ({"noise_multiplier": 1.0, "delta": 1.0}, "delta"),
    ({"noise_multiplier": 1.0, "delta": 0.0}, "delta"),
    ({"noise_multiplier": 1.0, "poisson_sampling": "yes"}, "poisson_sampling"),
    ({"noise_multiplier": 1.0, "secure_mode": True, "seed": 3}, "seed"),
    ({"noise_multiplier": 1.0, "seed": 1.5}, "seed"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DPSGD(**kwargs)


@pytest.mark.parametrize("field, value", [("sample_rate", 0.0), ("sample_rate", 1.5),
                                          ("l2_norm_clip", -1.0), ("noise_multiplier", -1.0)])
def test_engine_state_checks_its_arguments(field, value):
    args = dict(n_params=10, n_samples=5, l2_norm_clip=1.0, noise_multiplier=1.0, sample_rate=0.5,
                divisor=2.5)
    args[field] = value
    with pytest.raises(ValueError, match=field):
        _C.DPState(**args)


def test_layers_that_mix_examples_are_refused():
    x, y = _data(20)
    model = pynn.Sequential([pynn.Input(shape=(30,)), Dense(4), pynn.layers.BatchNormalization(),
                             Dense(1, activation="sigmoid")])
    model.compile(optimizer=DPSGD(noise_multiplier=1.0), loss="binary_crossentropy")
    with pytest.raises(ValueError, match="BatchNormalization"):
        model.fit(x, y, epochs=1, verbose=0)


def test_misuse_is_an_error():
    with pytest.raises(TypeError, match="model.fit"):
        DPSGD(noise_multiplier=1.0).apply([np.zeros(3, np.float32)], [np.zeros(3, np.float32)])
    uncompiled = pynn.Sequential([pynn.Input(shape=(3,)), Dense(1)])
    with pytest.raises(ValueError, match="compile"):
        make_private(uncompiled, noise_multiplier=1.0)
    with pytest.raises(ValueError, match="DPSGD"):
        DPSGD(noise_multiplier=1.0, optimizer=DPSGD(noise_multiplier=1.0))
    with pytest.warns(UserWarning, match="delta"):
        x, y = _data(20)
        _mlp(DPSGD(noise_multiplier=1.0, delta=0.1)).fit(x, y, batch_size=5, epochs=1, verbose=0)


# ------------------------------------------------------------------ Opacus on the same model
def test_one_epoch_matches_opacus_on_torch():
    torch = pytest.importorskip("torch")
    opacus = pytest.importorskip("opacus")
    x, y = _data(64)
    clip, lr = 0.2, 0.3
    model = _mlp(DPSGD(l2_norm_clip=clip, noise_multiplier=0.0, learning_rate=lr,
                       poisson_sampling=False))
    k1, b1, k2, b2 = model.get_weights()
    net = torch.nn.Sequential(torch.nn.Linear(30, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1),
                              torch.nn.Sigmoid())
    with torch.no_grad():
        for layer, k, b in ((net[0], k1, b1), (net[2], k2, b2)):
            layer.weight.copy_(torch.from_numpy(k.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y[:, None])),
        batch_size=16, shuffle=False)
    engine = opacus.PrivacyEngine()
    net, optimizer, loader = engine.make_private(module=net, optimizer=torch.optim.SGD(net.parameters(), lr=lr),
                                                 data_loader=loader, noise_multiplier=0.0,
                                                 max_grad_norm=clip, poisson_sampling=False)
    loss_fn = torch.nn.BCELoss()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss_fn(net(xb), yb).backward()
        optimizer.step()
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    k1, b1, k2, b2 = model.get_weights()
    inner = net._module
    np.testing.assert_allclose(k1, inner[0].weight.detach().numpy().T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b1, inner[0].bias.detach().numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(k2, inner[2].weight.detach().numpy().T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b2, inner[2].bias.detach().numpy(), rtol=1e-4, atol=1e-6)
