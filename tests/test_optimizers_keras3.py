"""The optimizer table proven by five more Keras 3 optimizers (Lion, Lamb,
Adafactor, Ftrl, Adadelta) and by Keras' `gradient_accumulation_steps` for every optimizer:
each against a float64 NumPy transcription of keras/src/optimizers/*.py and side
by side with the installed Keras 3 (torch backend) on the same weights and
gradients. The Keras cases skip cleanly where Keras is not usable."""
import inspect
import zlib

import numpy as np
import pytest

from pynn import _C
from pynn import optimizers as O
from pynn import schedules as S

from keras_ref import keras_or_skip

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
N_STEPS = 5
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore:__array__ implementation:DeprecationWarning")


def problem(seed, gscale=1.0, n_steps=N_STEPS, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[(gscale * rng.standard_normal(s)).astype(np.float32) for s in shapes] for _ in range(n_steps)]
    return ws, grads


# --------------------------------------------------------------------------- NumPy transcriptions

class Ref:
    """Keras 3 BaseOptimizer.apply in float64: clip -> weight decay -> update_step ->
    iterations += 1, for the four optimizers added through the table."""

    def __init__(self, kind, cfg, shapes):
        self.kind, self.c, self.it = kind, cfg, 0
        z = [np.zeros(s) for s in shapes]
        self.m, self.v = [x.copy() for x in z], [x.copy() for x in z]
        self.r = [np.zeros(s[:-1]) if len(s) >= 2 else None for s in shapes]
        self.col = [np.zeros(s[:-2] + s[-1:]) if len(s) >= 2 else None for s in shapes]
        self.acc = [np.full(s, cfg.get("initial_accumulator_value", 0.0)) for s in shapes]
        self.lin = [x.copy() for x in z]

    def step(self, ws, gs):
        c, lr = self.c, self.c["learning_rate"]
        gs = [np.asarray(g, np.float64) for g in gs]
        if c.get("clipnorm"):
            cn = c["clipnorm"]
            gs = [g * cn / max(np.sqrt(np.sum(g * g)), cn) for g in gs]
        elif c.get("global_clipnorm"):
            cn = c["global_clipnorm"]
            norm = np.sqrt(sum(np.sum(g * g) for g in gs))
            gs = [g * cn / max(norm, cn) for g in gs]
        elif c.get("clipvalue"):
            gs = [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in gs]
        if c.get("weight_decay"):
            ws = [w - w * c["weight_decay"] * lr for w in ws]
        out = [getattr(self, self.kind)(i, w, g, lr, self.it + 1.0) for i, (w, g) in enumerate(zip(ws, gs))]
        self.it += 1
        return out

    def lion(self, i, w, g, lr, t):
        b1, b2 = self.c["beta_1"], self.c["beta_2"]
        w = w - lr * np.sign(self.m[i] * b1 + g * (1 - b1))
        self.m[i] = self.m[i] * b2 + g * (1 - b2)
        return w

    def lamb(self, i, w, g, lr, t):
        b1, b2, eps = self.c["beta_1"], self.c["beta_2"], self.c["epsilon"]
        self.m[i] += (g - self.m[i]) * (1 - b1)
        self.v[i] += (g * g - self.v[i]) * (1 - b2)
        update = (self.m[i] / (1 - b1 ** t)) / (np.sqrt(self.v[i] / (1 - b2 ** t)) + eps)
        w_norm, g_norm = np.sqrt(np.sum(w * w)), np.sqrt(np.sum(update * update))
        ratio = w_norm / g_norm if w_norm > 0 and g_norm > 0 else 1.0
        return w - ratio * lr * update

    def adafactor(self, i, w, g, lr, t):
        c = self.c
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(c["epsilon_2"], np.sqrt(np.mean(w * w))) * rho
        q = g * g + c["epsilon_1"]
        b = 1 - t ** c["beta_2_decay"]
        if w.ndim >= 2:
            self.r[i] = b * self.r[i] + (1 - b) * q.mean(axis=-1)
            self.col[i] = b * self.col[i] + (1 - b) * q.mean(axis=-2)
            self.v[i] = (self.r[i] / self.r[i].mean(axis=-1, keepdims=True))[..., None] * self.col[i][..., None, :]
        else:
            self.v[i] = b * self.v[i] + (1 - b) * q
        u = g / np.sqrt(self.v[i])
        u = u / max(1.0, np.sqrt(np.mean(u * u)) / c["clip_threshold"])
        return w - alpha * u

    def ftrl(self, i, w, g, lr, t):
        c = self.c
        p = c["learning_rate_power"]
        l2 = c["l2_regularization_strength"] + c["beta"] / (2 * lr)
        g2 = g + 2 * c["l2_shrinkage_regularization_strength"] * w
        new_acc = self.acc[i] + g * g
        self.lin[i] += g2 - (new_acc ** -p - self.acc[i] ** -p) / lr * w
        quadratic = new_acc ** -p / lr + 2 * l2
        l1 = c["l1_regularization_strength"]
        w = (np.clip(self.lin[i], -l1, l1) - self.lin[i]) / quadratic
        self.acc[i] = new_acc
        return w

    def adadelta(self, i, w, g, lr, t):
        rho, eps = self.c["rho"], self.c["epsilon"]
        self.m[i] = rho * self.m[i] + (1 - rho) * g * g  # accumulated_grad
        delta = -np.sqrt(self.v[i] + eps) * g / np.sqrt(self.m[i] + eps)
        self.v[i] = rho * self.v[i] + (1 - rho) * delta * delta  # accumulated_delta_var
        return w + lr * delta

    def states(self):
        if self.kind == "adadelta":
            return [self.m, self.v]
        if self.kind == "lion":
            return [self.m]
        if self.kind == "lamb":
            return [self.m, self.v]
        if self.kind == "ftrl":
            return [self.acc, self.lin]
        return [self.v]  # adafactor: r and c are checked through v


NEW = {
    "lion": lambda **k: O.Lion(learning_rate=0.02, **k),
    "lion_betas": lambda **k: O.Lion(learning_rate=0.02, beta_1=0.5, beta_2=0.7, **k),
    "lamb": lambda **k: O.Lamb(learning_rate=0.05, **k),
    "lamb_betas": lambda **k: O.Lamb(learning_rate=0.05, beta_1=0.8, beta_2=0.9, epsilon=1e-3, **k),
    "adafactor": lambda **k: O.Adafactor(learning_rate=0.5, **k),
    "adafactor_small_lr": lambda **k: O.Adafactor(learning_rate=0.02, clip_threshold=0.5, beta_2_decay=-0.5,
                                                  epsilon_2=0.1, **k),
    "ftrl": lambda **k: O.Ftrl(learning_rate=0.1, **k),
    "ftrl_regularized": lambda **k: O.Ftrl(learning_rate=0.1, learning_rate_power=-0.3,
                                           l1_regularization_strength=0.05, l2_regularization_strength=0.1,
                                           l2_shrinkage_regularization_strength=0.2, beta=0.5, **k),
    # Adadelta's first steps are ~lr * sqrt(eps): a large lr makes them visible
    "adadelta": lambda **k: O.Adadelta(learning_rate=50.0, **k),
    "adadelta_rho": lambda **k: O.Adadelta(learning_rate=5.0, rho=0.5, epsilon=1e-3, **k),
}
OPTIONS = {
    "plain": ({}, 1.0),
    "weight_decay": ({"weight_decay": 0.3}, 1.0),
    "clipnorm": ({"clipnorm": 1.5}, 3.0),
    "global_clipnorm": ({"global_clipnorm": 2.0}, 3.0),
    "clipvalue": ({"clipvalue": 0.7}, 3.0),
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(NEW))
def test_new_optimizers_match_keras_formula(name, option):
    kwargs, gscale = OPTIONS[option]
    opt = NEW[name](**kwargs)
    ws, grads = problem(zlib.crc32(f"{name}/{option}".encode()) % 1000, gscale)
    w0 = [w.copy() for w in ws]
    ref = Ref(opt._kind, opt.get_config(), SHAPES)
    rw = [w.astype(np.float64) for w in ws]
    for gs in grads:
        opt.apply(gs, ws)
        rw = ref.step(rw, gs)
    for w, r, a in zip(ws, rw, w0):
        np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
        d, dr = w.astype(np.float64) - a, r - a  # the displacement too: a small lr cannot hide a bug
        assert np.abs(dr).max() > 1e-4
        np.testing.assert_allclose(d, dr, rtol=2e-4, atol=2e-5 * np.abs(dr).max() + 1e-7)
    slot = {"lion": "momentum", "lamb": "velocity", "ftrl": "linear", "adafactor": "velocity",
            "adadelta": "accumulated_delta_var"}[opt._kind]
    k = opt.state_names.index(slot)
    got = opt.variables[k * len(SHAPES):(k + 1) * len(SHAPES)]
    want = ref.states()[-1]
    for s, r in zip(got, want):
        np.testing.assert_allclose(s, r, rtol=1e-4, atol=1e-7)
    assert opt.iterations == N_STEPS


def test_adafactor_factors_rows_and_columns():
    # r and c hold the row / column means of the squared gradient in the first
    # part of each tensor's slot; a rank-1 tensor leaves them zero.
    opt = O.Adafactor(learning_rate=0.1)
    ws, grads = problem(3, n_steps=1)
    opt.apply(grads[0], ws)
    n = [int(np.prod(s)) for s in SHAPES]
    r, c = opt._c.state[0], opt._c.state[1]
    g = grads[0][0].astype(np.float64)  # (3, 4), t = 1: beta_2_t = 0, so r = mean(g^2 + eps_1)
    np.testing.assert_allclose(r[:3], (g * g).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(c[:4], (g * g).mean(axis=0), rtol=1e-6)
    assert not r[3:n[0]].any() and not c[4:n[0]].any()
    off = n[0]
    assert not r[off:off + 5].any()  # rank 1: unfactored
    g3 = grads[0][2].astype(np.float64)  # (2, 3, 2)
    off += 5
    np.testing.assert_allclose(r[off:off + 6], (g3 * g3).mean(axis=-1).ravel(), rtol=1e-6)
    np.testing.assert_allclose(c[off:off + 4], (g3 * g3).mean(axis=-2).ravel(), rtol=1e-6)


# --------------------------------------------------------------------------- Keras 3 side by side

def keras_run(keras, make, ws, grads):
    kvars = [keras.Variable(w.copy()) for w in ws]
    kopt = make(keras.optimizers)
    for gs in grads:
        kopt.apply([keras.ops.convert_to_tensor(g) for g in gs], kvars)
    return [np.asarray(v.numpy(), np.float64) for v in kvars], kopt


KERAS_NEW = {
    "lion": lambda O_: O_.Lion(learning_rate=0.02, beta_1=0.8, beta_2=0.95),
    "lion_weight_decay": lambda O_: O_.Lion(learning_rate=0.02, weight_decay=0.5),
    "lamb": lambda O_: O_.Lamb(learning_rate=0.05),
    "lamb_clipnorm": lambda O_: O_.Lamb(learning_rate=0.05, beta_2=0.9, clipnorm=1.0),
    "adafactor": lambda O_: O_.Adafactor(learning_rate=0.5),
    "adafactor_options": lambda O_: O_.Adafactor(learning_rate=0.05, clip_threshold=0.5, beta_2_decay=-0.5,
                                                 epsilon_2=0.1, weight_decay=0.1),
    "ftrl": lambda O_: O_.Ftrl(learning_rate=0.1),
    "ftrl_regularized": lambda O_: O_.Ftrl(learning_rate=0.1, learning_rate_power=-0.3,
                                           l1_regularization_strength=0.05, l2_regularization_strength=0.1,
                                           l2_shrinkage_regularization_strength=0.2, beta=0.5),
    "adadelta": lambda O_: O_.Adadelta(learning_rate=50.0),
    "adadelta_options": lambda O_: O_.Adadelta(learning_rate=5.0, rho=0.6, epsilon=1e-4,
                                               weight_decay=0.01, clipvalue=0.5),
}


@pytest.mark.parametrize("name", list(KERAS_NEW))
def test_new_optimizers_step_as_keras(name):
    keras = keras_or_skip()
    ws, grads = problem(zlib.crc32(name.encode()) % 1000)
    want, kopt = keras_run(keras, KERAS_NEW[name], ws, grads)
    popt = KERAS_NEW[name](O)
    for gs in grads:
        popt.apply(gs, ws)
    for i, (a, b) in enumerate(zip(ws, want)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"{name}: weight {i}")
    assert popt.iterations == int(kopt.iterations) == N_STEPS


@pytest.mark.parametrize("cls", ["Lion", "Lamb", "Adafactor", "Ftrl", "Adadelta"])
def test_new_optimizers_have_keras_signature(cls):
    keras = keras_or_skip()
    ksig = inspect.signature(getattr(keras.optimizers, cls).__init__).parameters
    psig = inspect.signature(getattr(O, cls).__init__).parameters
    assert list(psig) == list(ksig)
    for name, p in ksig.items():
        if name not in ("self", "name", "kwargs"):
            assert psig[name].default == p.default, name
    # and the same config keys (name aside: Keras auto-numbers it)
    kcfg = getattr(keras.optimizers, cls)().get_config()
    pcfg = getattr(O, cls)().get_config()
    assert set(kcfg) == set(pcfg)
    for k, v in kcfg.items():
        if k != "name":
            assert pcfg[k] == pytest.approx(v), k


# --------------------------------------------------------------------------- gradient accumulation

ALL = {
    "sgd_momentum": lambda O_, **k: O_.SGD(0.1, momentum=0.9, **k),
    "rmsprop_centered": lambda O_, **k: O_.RMSprop(0.01, centered=True, momentum=0.5, **k),
    "adam": lambda O_, **k: O_.Adam(0.05, **k),
    "adamw": lambda O_, **k: O_.AdamW(0.05, **k),
    "adagrad": lambda O_, **k: O_.Adagrad(0.1, **k),
    "adamax": lambda O_, **k: O_.Adamax(0.05, **k),
    "nadam": lambda O_, **k: O_.Nadam(0.05, **k),
    "lion": lambda O_, **k: O_.Lion(0.02, **k),
    "lamb": lambda O_, **k: O_.Lamb(0.05, **k),
    "adafactor": lambda O_, **k: O_.Adafactor(0.5, **k),
    "ftrl": lambda O_, **k: O_.Ftrl(0.1, **k),
    "adadelta": lambda O_, **k: O_.Adadelta(5.0, **k),
}


@pytest.mark.parametrize("name", list(ALL) + ["nsgd"])
def test_accumulation_is_the_mean_gradient_bitwise(name):
    make = (lambda O_, **k: O_.NSGD(0.1, **k)) if name == "nsgd" else ALL[name]
    acc, plain = make(O, gradient_accumulation_steps=3, clipnorm=2.0), make(O, clipnorm=2.0)
    ws, grads = problem(21, gscale=2.0, n_steps=7)
    wp = [w.copy() for w in ws]
    for k, gs in enumerate(grads):
        before = [w.copy() for w in ws]
        acc.apply(gs, ws)
        if (k + 1) % 3:
            for a, b in zip(ws, before):  # in-between calls only accumulate
                np.testing.assert_array_equal(a, b)
        else:
            # Keras' order: acc = g1; acc = g2 + acc; g = (g3 + acc) / 3, in float32
            mean = [(g3 + (g2 + g1)) / np.float32(3) for g1, g2, g3 in zip(*grads[k - 2:k + 1])]
            plain.apply(mean, wp)
            for a, b in zip(ws, wp):
                np.testing.assert_array_equal(a, b)
        assert acc.iterations == (k + 1) // 3
    assert plain.iterations == 2
    assert acc.get_state()[0] == 7  # the raw call count, as Keras' _iterations
    assert acc.state_names[0] == "gradient_accumulator"
    # the 7th gradient waits in the accumulator
    np.testing.assert_array_equal(acc.variables[0], grads[6][0])
    np.testing.assert_array_equal(acc.variables[len(SHAPES)], wp_state(plain, 0))


def wp_state(opt, slot):
    return opt.variables[slot * len(SHAPES)]


@pytest.mark.parametrize("name", list(ALL))
def test_accumulation_steps_as_keras(name):
    keras = keras_or_skip()
    ws, grads = problem(zlib.crc32(name.encode()) % 1000, n_steps=7)
    want, kopt = keras_run(keras, lambda O_: ALL[name](O_, gradient_accumulation_steps=3), ws, grads)
    popt = ALL[name](O, gradient_accumulation_steps=3)
    for gs in grads:
        popt.apply(gs, ws)
    for i, (a, b) in enumerate(zip(ws, want)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6, err_msg=f"{name}: weight {i}")
    assert popt.iterations == int(kopt.iterations) == 2
    # the accumulator holds the 7th gradient in both
    np.testing.assert_allclose(popt.variables[0], np.asarray(kopt._accumulated_gradients[0].numpy()))


def test_accumulation_schedule_sees_every_call_as_keras():
    # Keras evaluates a schedule at `_iterations` (every call), while the bias
    # corrections use `iterations` (updates).
    keras = keras_or_skip()
    ws, grads = problem(5, n_steps=8)

    def make(O_):
        return O_.Adam(O_.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5),
                       gradient_accumulation_steps=2, weight_decay=0.2)

    want, kopt = keras_run(keras, make, ws, grads)
    popt = make(O)
    for gs in grads:
        popt.apply(gs, ws)
    for a, b in zip(ws, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert popt.iterations == int(kopt.iterations) == 4
    assert popt.learning_rate == pytest.approx(float(np.asarray(kopt.learning_rate)), rel=1e-6)
    assert popt.learning_rate == pytest.approx(0.1 * 0.5 ** 8)


@pytest.mark.parametrize("make", [
    lambda O_: O_.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2),
    lambda O_: O_.Adam(0.01, gradient_accumulation_steps=3),
    lambda O_: O_.Adafactor(0.05, gradient_accumulation_steps=2),
])
def test_accumulation_in_compiled_fit_as_keras(make):
    keras = keras_or_skip()
    import pynn

    def build(lib):
        m = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(2)])
        m.compile(optimizer=make(lib.optimizers), loss="mse")
        return m

    kmodel, pmodel = build(keras), build(pynn)
    pmodel.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((48, 5)).astype(np.float32), rng.standard_normal((48, 2)).astype(np.float32)
    kmodel.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    pmodel.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    steps = pmodel.optimizer.gradient_accumulation_steps
    assert int(pmodel.optimizer.iterations) == int(kmodel.optimizer.iterations) == 12 // steps
    for i, (a, b) in enumerate(zip(pmodel.get_weights(), kmodel.get_weights())):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5, err_msg=f"weight {i}")
    # and the weights moved: the updates were applied, not only accumulated
    fresh = build(keras)
    assert not np.allclose(pmodel.get_weights()[0], fresh.get_weights()[0])


def test_accumulation_in_fit_equals_eager_apply_bitwise():
    # the compiled loop and apply run the same C step: same bits
    import pynn

    def build():
        m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
        m.compile(optimizer=O.Adam(0.01, gradient_accumulation_steps=2), loss="mse")
        return m

    m = build()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 3)).astype(np.float32), rng.standard_normal((16, 2)).astype(np.float32)
    w0 = [w.copy() for w in m.get_weights()]
    m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    kernel, bias = w0
    opt = O.Adam(0.01, gradient_accumulation_steps=2)
    for i in range(0, 16, 4):
        xb, yb = x[i:i + 4].astype(np.float64), y[i:i + 4].astype(np.float64)
        err = xb @ kernel + bias - yb  # mse gradient, mean over batch and outputs
        g = 2 * err / err.size
        opt.apply([(xb.T @ g).astype(np.float32), g.sum(0).astype(np.float32)], [kernel, bias])
    assert m.optimizer.iterations == opt.iterations == 2
    for a, b in zip(m.get_weights(), (kernel, bias)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_accumulation_state_round_trip_is_exact():
    ws, grads = problem(8, n_steps=5)
    a = O.Lamb(0.05, gradient_accumulation_steps=2)
    for gs in grads[:3]:
        a.apply(gs, ws)
    state = a.get_state()
    ws_b = [w.copy() for w in ws]
    b = O.Lamb(0.05, gradient_accumulation_steps=2)
    b.build(ws_b)
    b.set_state(state)
    assert b.iterations == a.iterations == 1 and b.get_state()[0] == 3
    for gs in grads[3:]:
        a.apply(gs, ws)
        b.apply(gs, ws_b)
    for x, y in zip(ws, ws_b):
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------------------- the table itself

def test_every_table_entry_has_a_python_class_with_its_defaults():
    table = _C.optimizers()
    by_kind = {cls._kind: cls for cls in O._ALL.values() if cls is not O.AdamW}
    assert set(table) == set(by_kind)
    for kind, entry in table.items():
        params = inspect.signature(by_kind[kind].__init__).parameters
        assert params["learning_rate"].default == entry["default_learning_rate"], kind
        for arg, (typ, default) in entry["hyper"].items():
            assert params[arg].default == default, (kind, arg)
            assert isinstance(params[arg].default, bool) == (typ == "bool"), (kind, arg)
        # and every class argument that is not a common one is in the table
        common = set(inspect.signature(O.Optimizer.__init__).parameters) | {"self", "name", "kwargs"}
        assert set(params) - common == set(entry["hyper"]), kind


def test_c_handle_takes_hyper_parameters_by_name():
    c = _C.Optim("ftrl", [2], l1_regularization_strength=0.5, learning_rate=0.2)
    w = np.zeros(2, np.float32)
    c.step(w, np.array([0.1, -2.0], np.float32))
    # |z| <= l1 keeps the first weight at 0 (FTRL's sparsity), the second moves
    assert w[0] == 0 and w[1] > 0
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentum'.*l1_regularization_strength"):
        _C.Optim("ftrl", [1], momentum=0.9)
    with pytest.raises(ValueError, match="known: sgd, .*ftrl"):
        _C.Optim("adamm", [1])


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, err, match", [
    (lambda: O.Lion(beta_1=0.0), ValueError, "beta_1.*SignSGD"),
    (lambda: O.Lion(beta_2=1.5), ValueError, "beta_2"),
    (lambda: O.Lamb(beta_1=1.0), ValueError, "beta_1"),
    (lambda: O.Lamb(epsilon=-1.0), ValueError, "epsilon"),
    (lambda: O.Adafactor(clip_threshold=0.0), ValueError, "clip_threshold"),
    (lambda: O.Adafactor(relative_step=1), ValueError, "relative_step"),
    (lambda: O.Ftrl(learning_rate_power=0.5), ValueError, "learning_rate_power.*negative or zero"),
    (lambda: O.Ftrl(l1_regularization_strength=-1.0), ValueError, "l1_regularization_strength"),
    (lambda: O.Ftrl(initial_accumulator_value=-0.1), ValueError, "initial_accumulator_value"),
    (lambda: O.Adadelta(rho=1.5), ValueError, "rho"),
    (lambda: O.Adadelta(epsilon=-1e-7), ValueError, "epsilon"),
    (lambda: O.Adam(gradient_accumulation_steps=1), ValueError, "integer >= 2.*=1"),
    (lambda: O.SGD(gradient_accumulation_steps=2.5), ValueError, "integer >= 2"),
    (lambda: O.Lion(gradient_accumulation_steps=True), ValueError, "integer >= 2"),
])
def test_bad_hyper_parameters(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_ftrl_zero_learning_rate_refused_at_step():
    opt = O.Ftrl(learning_rate=0.0)
    w = [np.ones(2, np.float32)]
    with pytest.raises(ValueError, match="Ftrl: the learning rate must be > 0"):
        opt.apply([np.ones(2, np.float32)], w)
    assert opt.iterations == 0 and np.all(w[0] == 1)


def test_adafactor_needs_shapes_in_arena_mode():
    opt = O.Adafactor()
    with pytest.raises(ValueError, match="adafactor needs the shapes"):
        opt.build(12, [12])
    with pytest.raises(ValueError, match="do not match"):
        O.Adafactor().build(12, [12], [(3, 5)])
    ok = O.Adafactor()
    ok.build(12, [12], [(3, 4)])
    assert ok.state_names == ("r", "c", "velocity")


def test_save_load_mid_accumulation_cycle_resumes_bit_identical(tmp_path):
    # 5 batches per epoch, 3 calls per update: the save falls inside a cycle, so
    # the accumulator (and Adafactor's factored state) must travel with the model
    import pynn

    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 5)).astype(np.float32)
    y = rng.normal(size=(80, 2)).astype(np.float32)

    def model():
        pynn.set_seed(3)
        m = pynn.Sequential([pynn.Input(shape=(5,)), pynn.layers.Dense(4, activation="tanh"),
                             pynn.layers.Dense(2)])
        m.compile(O.Adafactor(0.05, gradient_accumulation_steps=3), "mse")
        return m

    ref = model()
    ref.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    m = model()
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert m.optimizer.iterations == 10 // 3 and m.optimizer.get_state()[0] == 10
    assert np.any(m.optimizer.variables[0])  # the 10th batch's gradient is waiting
    m.save(tmp_path / "m.pynn")
    loaded = pynn.load_model(tmp_path / "m.pynn")
    assert loaded.optimizer.gradient_accumulation_steps == 3
    assert loaded.optimizer.get_state()[0] == 10
    loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert ref.optimizer.iterations == loaded.optimizer.iterations == 5
    for a, b in zip(loaded.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_adadelta_bitwise_against_a_float32_transcription():
    # the same float32 operations in the same order as keras/src/optimizers/adadelta.py
    # (and optim/adadelta.c): equal to the bit, also on segments the thread pool splits
    f = np.float32
    for shapes in (SHAPES, [(70001,), (3,)]):
        ws, grads = problem(11, gscale=2.0, n_steps=6, shapes=shapes)
        opt = O.Adadelta(learning_rate=3.0, rho=0.9, epsilon=1e-6, weight_decay=0.1)
        ref_w = [w.copy() for w in ws]
        acc_g = [np.zeros_like(w) for w in ws]
        acc_d = [np.zeros_like(w) for w in ws]
        lr, rho, eps, wdlr = f(3.0), f(0.9), f(1e-6), f(0.1) * f(3.0)
        for gs in grads:
            opt.apply(gs, ws)
            for i, g in enumerate(gs):
                w = ref_w[i] - ref_w[i] * wdlr
                acc_g[i] = rho * acc_g[i] + f(1 - 0.9) * (g * g)
                delta = -(np.sqrt(acc_d[i] + eps) * g) / np.sqrt(acc_g[i] + eps)
                acc_d[i] = rho * acc_d[i] + f(1 - 0.9) * (delta * delta)
                ref_w[i] = w + lr * delta
        for a, b in zip(ws, ref_w):
            np.testing.assert_array_equal(a, b)
        state = opt.variables
        for a, b in zip(state, acc_g + acc_d):
            np.testing.assert_array_equal(a, b)
