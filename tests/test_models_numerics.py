"""Model.fit on the compiled driver vs a float64 NumPy transcription of the same
training: forward, Keras' losses (sum_over_batch_size with sample / class
weights), L2 kernel penalties, backward, and the Keras 3 optimizer formulas
(spec: /work/shared/specs/keras-parity.md, section Optimizers).

From fixed weights and data, 20 optimizer steps (shuffle=False) must give the
same per-epoch History losses (Keras' running mean weighted by batch size) and
the same final weights as the reference, within rtol 1e-4."""
import numpy as np
import pytest

import pynn
from pynn.layers import Dense

EPS = 1e-7  # Keras' backend epsilon
N = 20      # samples; 20 steps = 5 epochs of 4 batches (batch 5: full; batch 6: 6, 6, 6, 2)
STEPS = 20


# ---------------------------------------------------------------- reference
def _relu(z):
    return np.maximum(z, 0.0)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_forward(params, x, acts):
    """params = [W1, b1, W2, b2, ...]; returns the pre-activations and activations."""
    a, cache = x, []
    for i, act in enumerate(acts):
        W, b = params[2 * i], params[2 * i + 1]
        z = a @ W + b
        out = {"relu": _relu, "softmax": _softmax, "sigmoid": _sigmoid}[act](z)
        cache.append((a, z, out))
        a = out
    return a, cache


def ref_loss_and_dpred(kind, y, p, w):
    """Keras' per-sample losses reduced with sum_over_batch_size (Σ w·l / B) and
    the gradient of that scalar with respect to the prediction p."""
    B = p.shape[0]
    if kind == "categorical_crossentropy":
        # Keras: p / Σp, clip to [ε, 1 − ε], −Σ y log p
        s = p.sum(axis=-1, keepdims=True)
        q = p / s
        qc = np.clip(q, EPS, 1 - EPS)
        per = -(y * np.log(qc)).sum(axis=-1)
        dq = -y / qc * ((q >= EPS) & (q <= 1 - EPS))
        # q = p / s: dL/dp_j = dq_j / s − Σ_k dq_k p_k / s²
        dp = dq / s - (dq * p).sum(axis=-1, keepdims=True) / s ** 2
    elif kind == "binary_crossentropy":
        pc = np.clip(p, EPS, 1 - EPS)
        per_el = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        per = per_el.mean(axis=-1)
        dp = (-(y / pc) + (1 - y) / (1 - pc)) * ((p >= EPS) & (p <= 1 - EPS)) / p.shape[-1]
    else:
        raise AssertionError(kind)
    loss = float((per * w).sum() / B)
    dp = dp * (w / B)[:, None]
    return loss, dp


def ref_backward(params, cache, acts, dout):
    grads = [None] * len(params)
    d = dout
    for i in reversed(range(len(acts))):
        a_in, z, out = cache[i]
        if acts[i] == "relu":
            dz = d * (z > 0)
        elif acts[i] == "sigmoid":
            dz = d * out * (1 - out)
        elif acts[i] == "softmax":
            dz = out * (d - (d * out).sum(axis=-1, keepdims=True))
        grads[2 * i] = a_in.T @ dz
        grads[2 * i + 1] = dz.sum(axis=0)
        d = dz @ params[2 * i].T
    return grads


class RefSGD:
    """Keras 3 SGD with momentum: m = μm − lr·g; w += m."""

    def __init__(self, lr, momentum):
        self.lr, self.mu, self.m = lr, momentum, None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
        for p, g, m in zip(params, grads, self.m):
            m[...] = self.mu * m - self.lr * g
            p += m


class RefRMSprop:
    """Keras 3 RMSprop: v = ρv + (1−ρ)g²; w −= lr·g / sqrt(v + ε)."""

    def __init__(self, lr, rho, eps=1e-7):
        self.lr, self.rho, self.eps, self.v = lr, rho, eps, None

    def step(self, params, grads):
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v[...] = self.rho * v + (1 - self.rho) * g * g
            p -= self.lr * g / np.sqrt(v + self.eps)


class RefAdam:
    """Keras 3 Adam: α = lr·sqrt(1−β₂ᵗ)/(1−β₁ᵗ); m += (g−m)(1−β₁);
    v += (g²−v)(1−β₂); w −= m·α/(sqrt(v) + ε)."""

    def __init__(self, lr, b1=0.9, b2=0.999, eps=1e-7):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = self.v = None
        self.iterations = 0

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        t = self.iterations + 1
        alpha = self.lr * np.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m += (g - m) * (1 - self.b1)
            v += (g * g - v) * (1 - self.b2)
            p -= m * alpha / (np.sqrt(v) + self.eps)
        self.iterations += 1


def ref_fit(params, acts, kind, x, y, w, batch_size, epochs, opt, l2):
    """Keras' fit loop with shuffle=False. Returns (per-epoch losses, params)."""
    params = [np.array(p, np.float64) for p in params]
    x, y, w = (np.asarray(a, np.float64) for a in (x, y, w))
    history = []
    n = x.shape[0]
    for _ in range(epochs):
        total = count = 0.0
        for start in range(0, n, batch_size):
            xb, yb, wb = x[start:start + batch_size], y[start:start + batch_size], w[start:start + batch_size]
            p, cache = ref_forward(params, xb, acts)
            loss, dp = ref_loss_and_dpred(kind, yb, p, wb)
            grads = ref_backward(params, cache, acts, dp)
            if l2:  # L2(l2) on every kernel: loss += l2·Σw², grad += 2·l2·w
                for i in range(0, len(params), 2):
                    loss += l2 * float((params[i] ** 2).sum())
                    grads[i] = grads[i] + 2 * l2 * params[i]
            opt.step(params, grads)
            total += loss * xb.shape[0]   # Keras' loss tracker: mean weighted by batch size
            count += xb.shape[0]
        history.append(total / count)
    return history, params


# ---------------------------------------------------------------- fixtures
def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 5)).astype(np.float32)
    if kind == "categorical_crossentropy":
        labels = (np.arange(N) * 7) % 3
        y = np.eye(3, dtype=np.float32)[labels]
    else:
        y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)[:, None]
    return x, y


def _initial_weights(sizes, seed=1):
    rng = np.random.default_rng(seed)
    ws = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        ws.append(rng.uniform(-0.7, 0.7, size=(fan_in, fan_out)).astype(np.float32))
        ws.append(rng.uniform(-0.1, 0.3, size=(fan_out,)).astype(np.float32))
    return ws


ARCHS = {
    # name: (layer sizes, activations, loss)
    "mlp_softmax": ((5, 8, 3), ("relu", "softmax"), "categorical_crossentropy"),
    "mlp_sigmoid": ((5, 4, 1), ("relu", "sigmoid"), "binary_crossentropy"),
}

OPTIMIZERS = {
    "sgd_momentum": (lambda: pynn.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                     lambda: RefSGD(0.05, 0.9)),
    "rmsprop": (lambda: pynn.optimizers.RMSprop(learning_rate=0.01, rho=0.8),
                lambda: RefRMSprop(0.01, 0.8)),
    "adam": (lambda: pynn.optimizers.Adam(learning_rate=0.02, beta_1=0.8, beta_2=0.95),
             lambda: RefAdam(0.02, 0.8, 0.95)),
}


def _build(arch, l2, opt):
    sizes, acts, kind = ARCHS[arch]
    reg = pynn.regularizers.L2(l2) if l2 else None
    model = pynn.Sequential([pynn.Input(shape=(sizes[0],))] +
                            [Dense(u, activation=a, kernel_regularizer=reg)
                             for u, a in zip(sizes[1:], acts)])
    model.compile(optimizer=opt, loss=kind)
    return model


def _run(arch, opt_name, batch_size, l2=0.0, class_weight=None, sample_weight=None):
    sizes, acts, kind = ARCHS[arch]
    x, y = _data(kind)
    w0 = _initial_weights(sizes)
    make_opt, make_ref = OPTIMIZERS[opt_name]
    model = _build(arch, l2, make_opt())
    model.set_weights(w0)
    epochs = STEPS // ((N + batch_size - 1) // batch_size)
    hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                     class_weight=class_weight, sample_weight=sample_weight)

    w = np.ones(N)
    if sample_weight is not None:
        w = w * sample_weight
    if class_weight is not None:
        cls = y.argmax(axis=1) if y.shape[1] > 1 else np.round(y[:, 0]).astype(int)
        w = w * np.array([class_weight[int(c)] for c in cls])
    ref_hist, ref_params = ref_fit(w0, acts, kind, x, y, w, batch_size, epochs, make_ref(), l2)
    return hist, model, ref_hist, ref_params, w0


def _check(hist, model, ref_hist, ref_params, w0):
    got_hist = np.array(hist.history["loss"])
    assert got_hist.shape == (len(ref_hist),)
    np.testing.assert_allclose(got_hist, ref_hist, rtol=1e-4, atol=1e-7)
    got = model.get_weights()
    assert len(got) == len(ref_params)
    for g, r in zip(got, ref_params):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6)
    # the run really trained (else a no-op fit would pass against a no-op reference)
    assert not np.allclose(got[0], w0[0], atol=1e-3)


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [5, 6], ids=["full_batches", "partial_last_batch"])
def test_fit_matches_numpy_reference(arch, opt_name, batch_size):
    _check(*_run(arch, opt_name, batch_size))


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_fit_with_l2_kernel_regularizer(arch, opt_name):
    run = _run(arch, opt_name, 6, l2=0.01)
    _check(*run)
    ref_hist = run[2]
    # and the penalty does change the run (else the test above would prove nothing)
    _, _, plain_hist, _, _ = _run(arch, opt_name, 6, l2=0.0)
    assert abs(plain_hist[0] - ref_hist[0]) > 1e-3


@pytest.mark.parametrize("arch, class_weight", [("mlp_softmax", {0: 1.0, 1: 3.0, 2: 0.5}),
                                                 ("mlp_sigmoid", {0: 0.25, 1: 2.0})])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_fit_with_class_weight(arch, class_weight, opt_name):
    _check(*_run(arch, opt_name, 6, class_weight=class_weight))


@pytest.mark.parametrize("opt_name", ["adam"])
def test_fit_with_sample_weight_and_class_weight(opt_name):
    sw = np.linspace(0.2, 2.0, N)
    _check(*_run("mlp_softmax", opt_name, 6, class_weight={0: 2.0, 1: 1.0, 2: 0.5},
                 sample_weight=sw))


def test_evaluate_loss_is_the_weighted_batch_mean():
    """evaluate() reports Σ_b loss_b·|b| / N, the same running mean as fit (Keras)."""
    sizes, acts, kind = ARCHS["mlp_softmax"]
    x, y = _data(kind)
    w0 = _initial_weights(sizes)
    model = _build("mlp_softmax", 0.0, "sgd")
    model.set_weights(w0)
    params = [np.asarray(p, np.float64) for p in w0]
    total = 0.0
    for start in range(0, N, 6):
        p, _ = ref_forward(params, x[start:start + 6].astype(np.float64), acts)
        loss, _ = ref_loss_and_dpred(kind, y[start:start + 6].astype(np.float64), p,
                                     np.ones(len(p)))
        total += loss * len(p)
    got = model.evaluate(x, y, batch_size=6, verbose=0)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, total / N, rtol=1e-5)
    # the weights did not move
    for a, b in zip(model.get_weights(), w0):
        np.testing.assert_array_equal(a, b)
