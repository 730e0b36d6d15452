"""Optimizers and learning-rate schedules against float64 NumPy transcriptions of
the Keras 3 formulas (keras/src/optimizers/*.py, written out again below), plus
torch.optim cross-checks where torch is installed, and bad-input tests."""
import json
import math
import zlib

import numpy as np
import pytest

import pynn
from pynn import _C
from pynn import optimizers as O
from pynn import schedules as S

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
N_STEPS = 5


# --------------------------------------------------------------------------- reference

def ref_schedule(cfg, step):
    """Keras 3 learning_rate_schedule.py, float64."""
    kind, c = cfg["class_name"], cfg["config"]
    if kind == "ExponentialDecay":
        p = step / c["decay_steps"]
        if c["staircase"]:
            p = math.floor(p)
        return c["initial_learning_rate"] * c["decay_rate"] ** p
    if kind == "PiecewiseConstantDecay":
        b, v = c["boundaries"], c["values"]
        if step <= b[0]:
            return v[0]
        if step > b[-1]:
            return v[-1]
        for lo, hi, val in zip(b[:-1], b[1:], v[1:-1]):
            if lo < step <= hi:
                return val
    if kind == "PolynomialDecay":
        ds = c["decay_steps"]
        if c["cycle"]:
            ds = ds * (1.0 if step == 0 else math.ceil(step / ds))
        else:
            step = min(step, ds)
        p = step / ds
        return (c["initial_learning_rate"] - c["end_learning_rate"]) * (1 - p) ** c["power"] + c["end_learning_rate"]
    if kind == "InverseTimeDecay":
        p = step / c["decay_steps"]
        if c["staircase"]:
            p = math.floor(p)
        return c["initial_learning_rate"] / (1 + c["decay_rate"] * p)
    if kind == "CosineDecay":
        ds, a = c["decay_steps"], c["alpha"]

        def decayed(frac, lr0):
            return lr0 * ((1 - a) * 0.5 * (1 + math.cos(math.pi * frac)) + a)

        if c["warmup_target"] is None:
            return decayed(min(step, ds) / ds, c["initial_learning_rate"])
        ws = c["warmup_steps"]
        step = min(step, ds + ws)
        if step < ws:
            return (c["warmup_target"] - c["initial_learning_rate"]) * (step / ws) + c["initial_learning_rate"]
        return decayed((step - ws) / ds, c["warmup_target"])
    raise AssertionError(kind)


class Ref:
    """One Keras 3 optimizer step in float64: clip -> weight decay -> update -> it += 1."""

    def __init__(self, kind, cfg, shapes):
        self.kind, self.c, self.it = kind, cfg, 0
        z = [np.zeros(s) for s in shapes]
        self.m = [x.copy() for x in z]
        self.v = [x.copy() for x in z]
        self.vh = [x.copy() for x in z]
        self.a = [x.copy() for x in z]
        self.mom = [x.copy() for x in z]
        self.acc = [np.full(s, cfg.get("initial_accumulator_value", 0.1)) for s in shapes]
        self.u_product = 1.0

    def lr(self):
        lr = self.c["learning_rate"]
        return ref_schedule(lr, self.it) if isinstance(lr, dict) else lr

    def step(self, ws, gs):
        c, lr, t = self.c, self.lr(), self.it + 1
        gs = [np.asarray(g, np.float64) for g in gs]
        if c.get("clipnorm"):
            cn = c["clipnorm"]
            gs = [g * cn / max(np.sqrt(np.sum(g * g)), cn) for g in gs]
        elif c.get("global_clipnorm"):
            cn = c["global_clipnorm"]
            norm = np.sqrt(sum(np.sum(g * g) for g in gs))
            gs = [g * cn * min(1 / norm, 1 / cn) for g in gs]
        elif c.get("clipvalue"):
            gs = [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in gs]
        if c.get("weight_decay"):
            ws = [w - w * c["weight_decay"] * lr for w in ws]
        if self.kind == "nadam":
            self.u_product *= c["beta_1"] * (1 - 0.5 * 0.96 ** t)
        out = [self.update(i, w, g, lr, t) for i, (w, g) in enumerate(zip(ws, gs))]
        self.it += 1
        return out

    def update(self, i, w, g, lr, t):
        c, k = self.c, self.kind
        if k == "sgd":
            mu = c["momentum"]
            if mu == 0:
                return w - lr * g
            self.m[i] = mu * self.m[i] - lr * g
            return w + (mu * self.m[i] - lr * g if c["nesterov"] else self.m[i])
        if k == "rmsprop":
            rho, eps = c["rho"], c["epsilon"]
            self.v[i] = rho * self.v[i] + (1 - rho) * g * g
            if c["centered"]:
                self.a[i] = rho * self.a[i] + (1 - rho) * g
                den = self.v[i] - self.a[i] ** 2 + eps
            else:
                den = self.v[i] + eps
            inc = lr * g / np.sqrt(den)
            if c["momentum"] > 0:
                self.mom[i] = c["momentum"] * self.mom[i] + inc
                return w - self.mom[i]
            return w - inc
        if k == "adam":
            b1, b2 = c["beta_1"], c["beta_2"]
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            self.m[i] += (g - self.m[i]) * (1 - b1)
            self.v[i] += (g * g - self.v[i]) * (1 - b2)
            v = self.v[i]
            if c["amsgrad"]:
                self.vh[i] = np.maximum(self.vh[i], self.v[i])
                v = self.vh[i]
            return w - self.m[i] * alpha / (np.sqrt(v) + c["epsilon"])
        if k == "adagrad":
            self.acc[i] += g * g
            return w - lr * g / np.sqrt(self.acc[i] + c["epsilon"])
        if k == "adamax":
            b1, b2 = c["beta_1"], c["beta_2"]
            self.m[i] += (g - self.m[i]) * (1 - b1)
            self.v[i] = np.maximum(b2 * self.v[i], np.abs(g))
            return w - lr * self.m[i] / ((1 - b1 ** t) * (self.v[i] + c["epsilon"]))
        if k == "nadam":
            b1, b2 = c["beta_1"], c["beta_2"]
            u_t = b1 * (1 - 0.5 * 0.96 ** t)
            u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            up_t = self.u_product
            up_t1 = up_t * u_t1
            self.m[i] += (g - self.m[i]) * (1 - b1)
            self.v[i] += (g * g - self.v[i]) * (1 - b2)
            m_hat = u_t1 * self.m[i] / (1 - up_t1) + (1 - u_t) * g / (1 - up_t)
            v_hat = self.v[i] / (1 - b2 ** t)
            return w - m_hat * lr / (np.sqrt(v_hat) + c["epsilon"])
        if k == "nsgd":
            beta = c["beta"]
            self.m[i] = beta * self.m[i] + (1 - beta) * g
            norm = np.sqrt(np.sum(self.m[i] ** 2))
            return w - lr * self.m[i] / norm if norm > 0 else w
        raise AssertionError(k)

    def states(self):
        """Reference state in the optimizer's slot order (Keras' variable order)."""
        k, c = self.kind, self.c
        if k == "sgd":
            return [self.m] if c["momentum"] != 0 else []
        if k == "rmsprop":
            return [self.v] + ([self.mom] if c["momentum"] > 0 else []) + ([self.a] if c["centered"] else [])
        if k == "adam":
            return [self.m, self.v] + ([self.vh] if c["amsgrad"] else [])
        if k == "adagrad":
            return [self.acc]
        if k in ("adamax", "nadam"):
            return [self.m, self.v]
        if k == "nsgd":
            return [self.m]
        raise AssertionError(k)


# --------------------------------------------------------------------------- helpers

def make_problem(seed, gscale=1.0, n_steps=N_STEPS):
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[(gscale * rng.standard_normal(s)).astype(np.float32) for s in SHAPES] for _ in range(n_steps)]
    return ws, grads


def run_both(opt, seed=0, gscale=1.0, n_steps=N_STEPS):
    ws, grads = make_problem(seed, gscale, n_steps)
    w0 = [w.copy() for w in ws]
    cfg = opt.get_config()
    ref = Ref(opt._kind, cfg, SHAPES)
    rw = [w.astype(np.float64) for w in ws]
    for gs in grads:
        opt.apply(gs, ws)
        rw = ref.step(rw, gs)
    return w0, ws, rw, ref


def check_close(opt, w0, ws, rw, ref):
    for w, r, a in zip(ws, rw, w0):
        np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
        # the displacement too, so a wrong formula cannot hide behind a small lr
        d, dr = w.astype(np.float64) - a, r - a
        np.testing.assert_allclose(d, dr, rtol=2e-4, atol=2e-5 * np.abs(dr).max() + 1e-7)
    got = opt.variables
    want = [s for slot in ref.states() for s in slot]
    assert len(got) == len(want)
    for s, r in zip(got, want):
        assert s.shape == r.shape
        np.testing.assert_allclose(s, r, rtol=1e-4, atol=1e-7)
    assert opt.iterations == ref.it


OPTIMIZERS = {
    "sgd": lambda **k: O.SGD(learning_rate=0.1, **k),
    "sgd_momentum": lambda **k: O.SGD(learning_rate=0.1, momentum=0.9, **k),
    "sgd_nesterov": lambda **k: O.SGD(learning_rate=0.1, momentum=0.8, nesterov=True, **k),
    "rmsprop": lambda **k: O.RMSprop(learning_rate=0.01, **k),
    "rmsprop_momentum": lambda **k: O.RMSprop(learning_rate=0.01, momentum=0.7, **k),
    "rmsprop_centered": lambda **k: O.RMSprop(learning_rate=0.01, centered=True, rho=0.8, **k),
    "rmsprop_centered_momentum": lambda **k: O.RMSprop(learning_rate=0.01, centered=True, momentum=0.5, **k),
    "adam": lambda **k: O.Adam(learning_rate=0.05, **k),
    "adam_amsgrad": lambda **k: O.Adam(learning_rate=0.05, amsgrad=True, beta_2=0.9, **k),
    "adamw": lambda **k: O.AdamW(learning_rate=0.05, **k),
    "adagrad": lambda **k: O.Adagrad(learning_rate=0.1, **k),
    "adagrad_custom": lambda **k: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3, **k),
    "adamax": lambda **k: O.Adamax(learning_rate=0.05, **k),
    "nadam": lambda **k: O.Nadam(learning_rate=0.05, **k),
    "nsgd": lambda **k: O.NSGD(learning_rate=0.1, **k),
    "nsgd_beta": lambda **k: O.NSGD(learning_rate=0.1, beta=0.5, **k),
}

# gradient scale 3 makes every clip option bite (tensor norms ~ 3-12 > 1.5)
OPTIONS = {
    "plain": ({}, 1.0),
    "weight_decay": ({"weight_decay": 0.3}, 1.0),
    "clipnorm": ({"clipnorm": 1.5}, 3.0),
    "clipvalue": ({"clipvalue": 0.7}, 3.0),
    "global_clipnorm": ({"global_clipnorm": 2.0}, 3.0),
}


# --------------------------------------------------------------------------- formulas

@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_matches_keras_formula(name, option):
    kwargs, gscale = OPTIONS[option]
    opt = OPTIMIZERS[name](**kwargs)  # AdamW's default weight_decay=0.004 is in its config
    w0, ws, rw, ref = run_both(opt, seed=zlib.crc32(f"{name}/{option}".encode()) % 1000, gscale=gscale)
    check_close(opt, w0, ws, rw, ref)


def test_clipping_actually_clips():
    # Guards the option tests above: with gscale=3 the clipped trajectory differs.
    for kw in ({"clipnorm": 1.5}, {"clipvalue": 0.7}, {"global_clipnorm": 2.0}):
        a, b = O.SGD(learning_rate=0.1, **kw), O.SGD(learning_rate=0.1)
        _, wa, _, _ = run_both(a, seed=1, gscale=3.0)
        _, wb, _, _ = run_both(b, seed=1, gscale=3.0)
        assert max(np.abs(x - y).max() for x, y in zip(wa, wb)) > 1e-3


def test_sgd_exact_first_step():
    w = np.array([1.0, -2.0, 3.0], np.float32)
    g = np.array([0.5, 0.25, -1.0], np.float32)
    O.SGD(learning_rate=0.1).apply([g], [w])
    np.testing.assert_array_equal(w, np.array([1.0, -2.0, 3.0], np.float32) - np.float32(0.1) * g)


def test_adamw_default_weight_decay():
    assert O.AdamW().weight_decay == 0.004
    assert O.AdamW().get_config()["weight_decay"] == 0.004


def test_defaults_match_keras():
    assert O.SGD().learning_rate == pytest.approx(0.01)
    for cls in (O.RMSprop, O.Adam, O.AdamW, O.Adagrad, O.Adamax, O.Nadam):
        assert cls().learning_rate == pytest.approx(0.001)
    r = O.RMSprop()
    assert (r.rho, r.momentum, r.epsilon, r.centered) == (0.9, 0.0, 1e-7, False)
    a = O.Adam()
    assert (a.beta_1, a.beta_2, a.epsilon, a.amsgrad) == (0.9, 0.999, 1e-7, False)
    g = O.Adagrad()
    assert (g.initial_accumulator_value, g.epsilon) == (0.1, 1e-7)
    assert O.NSGD().beta == 0.9
    assert O.SGD().name == "SGD" and O.Adam().name == "adam" and O.Adagrad().name == "adagrad"


def test_nsgd_moves_each_tensor_by_lr():
    opt = O.NSGD(learning_rate=0.25, beta=0.0)
    ws, grads = make_problem(3)
    w0 = [w.copy() for w in ws]
    opt.apply(grads[0], ws)
    for w, a in zip(ws, w0):
        assert np.linalg.norm(w.astype(np.float64) - a) == pytest.approx(0.25, rel=1e-5)


def test_nsgd_zero_gradient_leaves_weights():
    w = np.ones(4, np.float32)
    O.NSGD().apply([np.zeros(4, np.float32)], [w])
    np.testing.assert_array_equal(w, 1.0)


# --------------------------------------------------------------------------- schedules

SCHEDULES = {
    "exponential": S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5),
    "exponential_staircase": S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    "piecewise": S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
    "polynomial": S.PolynomialDecay(0.1, decay_steps=3, end_learning_rate=0.01, power=2.0),
    "polynomial_default": S.PolynomialDecay(0.1, decay_steps=4),
    "polynomial_cycle": S.PolynomialDecay(0.1, decay_steps=2, end_learning_rate=0.01, cycle=True),
    "inverse_time": S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5),
    "inverse_time_staircase": S.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    "cosine": S.CosineDecay(0.1, decay_steps=4, alpha=0.1),
    "cosine_warmup": S.CosineDecay(0.0, decay_steps=3, warmup_target=0.2, warmup_steps=2),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_values(name):
    sched = SCHEDULES[name]
    cfg = S.serialize(sched)
    for step in range(0, 12):
        assert sched(step) == pytest.approx(ref_schedule(cfg, step), rel=1e-12, abs=1e-15), step


@pytest.mark.parametrize("opt_name", ["sgd_momentum", "adam", "rmsprop_centered", "nadam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_drives_optimizer(name, opt_name):
    opt = {
        "sgd_momentum": lambda s: O.SGD(learning_rate=s, momentum=0.9, weight_decay=0.1),
        "adam": lambda s: O.Adam(learning_rate=s),
        "rmsprop_centered": lambda s: O.RMSprop(learning_rate=s, centered=True),
        "nadam": lambda s: O.Nadam(learning_rate=s),
    }[opt_name](SCHEDULES[name])
    w0, ws, rw, ref = run_both(opt, seed=7)
    check_close(opt, w0, ws, rw, ref)
    # the learning rate reported now is the schedule at the current iteration
    assert opt.learning_rate == pytest.approx(ref_schedule(S.serialize(SCHEDULES[name]), N_STEPS))


def test_schedule_evaluated_before_increment():
    # PiecewiseConstant [0.1 at step 0, 0.0 afterwards]: only the first step moves w
    opt = O.SGD(learning_rate=S.PiecewiseConstantDecay([0], [0.1, 0.0]))
    w = np.zeros(2, np.float32)
    g = np.ones(2, np.float32)
    opt.apply([g], [w])
    np.testing.assert_allclose(w, -0.1)
    opt.apply([g], [w])
    np.testing.assert_allclose(w, -0.1)


def test_custom_python_schedule():
    class Halving(S.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 / 2 ** step

    opt = O.SGD(learning_rate=Halving())
    assert opt.needs_python_lr
    w = np.zeros(1, np.float32)
    for _ in range(3):
        opt.apply([np.ones(1, np.float32)], [w])
    np.testing.assert_allclose(w, [-(0.1 + 0.05 + 0.025)], rtol=1e-6)
    assert opt.learning_rate == pytest.approx(0.0125)


# --------------------------------------------------------------------------- arena / eager

@pytest.mark.parametrize("name", ["sgd_nesterov", "rmsprop_centered_momentum", "adam_amsgrad", "nadam", "nsgd"])
@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm", "weight_decay"])
def test_arena_equals_eager_bitwise(name, option):
    kwargs, gscale = OPTIONS[option]
    eager, arena = OPTIMIZERS[name](**kwargs), OPTIMIZERS[name](**kwargs)
    ws, grads = make_problem(11, gscale)
    sizes = [int(np.prod(s)) for s in SHAPES]
    arena.build(sum(sizes), sizes)
    W = np.concatenate([w.ravel() for w in ws])
    for gs in grads:
        eager.apply(gs, ws)
        arena._c.step(W, np.concatenate([g.ravel() for g in gs]))
    np.testing.assert_array_equal(W, np.concatenate([w.ravel() for w in ws]))
    for a, b in zip(eager.get_state()[1], arena.get_state()[1]):
        np.testing.assert_array_equal(a, b)
    assert arena.iterations == eager.iterations == N_STEPS
    # arena-mode variables are 1-D views per segment
    assert [v.shape for v in arena.variables][: len(sizes)] == [(s,) for s in sizes]


@pytest.mark.parametrize("name", ["rmsprop_centered_momentum", "adam_amsgrad", "nsgd"])
def test_large_arena_threads_bitwise_and_correct(name):
    # Segments above the parallel grain run on the thread pool: the result must not
    # depend on the thread count, and must still be the Keras formula.
    sizes = [70001, 1, 50000]
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal(sum(sizes)).astype(np.float32)
    grads = [rng.standard_normal(sum(sizes)).astype(np.float32) for _ in range(3)]
    before = pynn.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            pynn.set_num_threads(threads)
            opt = OPTIMIZERS[name](clipnorm=50.0)
            opt.build(sum(sizes), sizes)
            W = w0.copy()
            for g in grads:
                opt._c.step(W, g)
            results.append(W)
    finally:
        pynn.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    splits = np.cumsum(sizes)[:-1]
    ref = Ref(opt._kind, opt.get_config(), [(s,) for s in sizes])
    rw = [x.astype(np.float64) for x in np.split(w0, splits)]
    for g in grads:
        rw = ref.step(rw, np.split(g, splits))
    np.testing.assert_allclose(results[0], np.concatenate(rw), rtol=1e-5, atol=1e-6)


def test_tensor_params_updated_in_place():
    a = np.ones((2, 3), np.float32)
    t = pynn.Tensor(a)
    opt = O.Adam(learning_rate=0.1)
    opt.apply([np.full((2, 3), 0.5, np.float32)], [t])
    assert np.all(t.numpy() < 1.0)
    assert np.shares_memory(t.numpy(), a) and np.all(a < 1.0)


def test_non_float32_param_written_back():
    w64 = np.ones(3)
    w32 = np.ones(3, np.float32)
    g = np.array([1.0, 2.0, 3.0])
    O.Adam(learning_rate=0.1).apply([g], [w64])
    O.Adam(learning_rate=0.1).apply([g], [w32])
    assert w64.dtype == np.float64
    np.testing.assert_allclose(w64, w32)


def test_apply_gradients_and_apply_without_vars():
    ws, grads = make_problem(5)
    a, b = O.RMSprop(learning_rate=0.01), O.RMSprop(learning_rate=0.01)
    wa = [w.copy() for w in ws]
    assert a.apply_gradients(zip(grads[0], ws)) == 1
    b.build(wa)
    b.apply(grads[0])
    for x, y in zip(ws, wa):
        np.testing.assert_array_equal(x, y)


def test_missing_gradient_skips_variable():
    ws, grads = make_problem(6, gscale=3.0)
    w1_before = ws[1].copy()
    opt = O.SGD(learning_rate=0.1, global_clipnorm=1.0)
    gs = list(grads[0])
    gs[1] = None
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply(gs, ws)
    np.testing.assert_array_equal(ws[1], w1_before)
    assert opt.iterations == 1
    # the global norm is over the gradients given only (as Keras)
    present = [g.astype(np.float64) for i, g in enumerate(grads[0]) if i != 1]
    norm = np.sqrt(sum(np.sum(g * g) for g in present))
    w0, _ = make_problem(6, gscale=3.0)
    np.testing.assert_allclose(ws[0], w0[0] - 0.1 * grads[0][0] / norm, rtol=1e-5, atol=1e-6)


def test_same_variable_different_handle_is_known():
    w = np.zeros((2, 2), np.float32)
    opt = O.SGD(learning_rate=1.0)
    opt.apply([np.ones((2, 2))], [w])
    opt.apply([np.ones((2, 2))], [w.view()])  # another ndarray over the same memory
    np.testing.assert_array_equal(w, -2.0)


# --------------------------------------------------------------------------- lr, iterations, state

def test_learning_rate_settable_after_build():
    opt = O.SGD(learning_rate=0.1)
    w = np.zeros(2, np.float32)
    opt.apply([np.ones(2, np.float32)], [w])
    opt.learning_rate = 0.5  # what ReduceLROnPlateau does
    assert opt.learning_rate == 0.5
    opt.apply([np.ones(2, np.float32)], [w])
    np.testing.assert_allclose(w, -0.6)
    assert opt.get_config()["learning_rate"] == 0.5


def test_learning_rate_not_settable_with_schedule():
    opt = O.SGD(learning_rate=S.ExponentialDecay(0.1, 10, 0.9))
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_learning_rate_can_switch_to_schedule_after_build():
    opt = O.SGD(learning_rate=0.1)
    opt.build(2, [2])
    opt.learning_rate = S.PiecewiseConstantDecay([0], [0.3, 0.2])
    assert opt.learning_rate == pytest.approx(0.3)
    W = np.zeros(2, np.float32)
    opt._c.step(W, np.ones(2, np.float32))
    assert opt.learning_rate == pytest.approx(0.2)
    np.testing.assert_allclose(W, -0.3)


def test_iterations_drive_bias_correction():
    opt = O.Adam(learning_rate=0.05)
    ws, grads = make_problem(8)
    opt.build(ws)
    opt.iterations = 10
    ref = Ref("adam", opt.get_config(), SHAPES)
    ref.it = 10
    rw = ref.step([w.astype(np.float64) for w in ws], grads[0])
    opt.apply(grads[0], ws)
    for w, r in zip(ws, rw):
        np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
    assert opt.iterations == 11


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_from_state_is_exact(name):
    ws, grads = make_problem(9, n_steps=6)
    a = OPTIMIZERS[name](weight_decay=0.01) if name != "adamw" else OPTIMIZERS[name]()
    for gs in grads[:3]:
        a.apply(gs, ws)
    iters, arrays = a.get_state()
    saved = [w.copy() for w in ws]
    snapshot = json.loads(json.dumps(a.get_config()))
    for gs in grads[3:]:
        a.apply(gs, ws)

    b = type(a).from_config(snapshot)
    b.build(saved)
    b.set_state((iters, arrays))
    assert b.iterations == 3
    for gs in grads[3:]:
        b.apply(gs, saved)
    for x, y in zip(ws, saved):
        np.testing.assert_array_equal(x, y)


def test_get_state_returns_copies_and_variables_are_live():
    opt = O.Adam()
    ws, grads = make_problem(10)
    opt.apply(grads[0], ws)
    it, arrays = opt.get_state()
    arrays[0][:] = 123.0
    assert not np.any(opt.get_state()[1][0] == 123.0)
    opt.variables[0][...] = 7.0  # a live view into the C state
    assert np.all(opt.get_state()[1][0][: ws[0].size] == 7.0)
    assert len(opt.variables()) == len(opt.variables) == 2 * len(SHAPES)  # callable and Keras-style


def test_nadam_u_product_rebuilt_from_iterations():
    a = O.Nadam()
    ws, grads = make_problem(12)
    for gs in grads:
        a.apply(gs, ws)
    b = O.Nadam()
    b.build(ws)
    b.iterations = N_STEPS
    assert b._c.u_product == pytest.approx(a._c.u_product, rel=1e-14)


# --------------------------------------------------------------------------- config, lookup

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_config_roundtrip(name):
    opt = OPTIMIZERS[name](clipnorm=2.0)
    cfg = json.loads(json.dumps(O.serialize(opt)))
    new = O.deserialize(cfg)
    assert type(new) is type(opt)
    assert new.get_config() == opt.get_config()


def test_config_roundtrip_with_schedule():
    opt = O.Adam(learning_rate=S.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10))
    cfg = json.loads(json.dumps(opt.get_config()))
    new = O.Adam.from_config(cfg)
    assert isinstance(new._lr_schedule, S.CosineDecay)
    assert new.get_config() == opt.get_config()


@pytest.mark.parametrize("ident,cls", [("adam", O.Adam), ("ADAM", O.Adam), ("RMSprop", O.RMSprop),
                                       ("rmsprop", O.RMSprop), ("sgd", O.SGD), ("AdamW", O.AdamW),
                                       ("adagrad", O.Adagrad), ("adamax", O.Adamax), ("Nadam", O.Nadam),
                                       ("nsgd", O.NSGD), ("normalized_sgd", O.NSGD)])
def test_get_by_name(ident, cls):
    opt = O.get(ident)
    assert type(opt) is cls


def test_get_passes_instances_and_dicts():
    opt = O.SGD()
    assert O.get(opt) is opt
    assert isinstance(O.get({"class_name": "Adam", "config": {"learning_rate": 0.1}}), O.Adam)


# --------------------------------------------------------------------------- bad input

def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="Known: .*adam.*rmsprop"):
        O.get("adamm")
    with pytest.raises(ValueError):
        O.get(42)


@pytest.mark.parametrize("lr", [-0.1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="learning_rate"):
        O.Adam(learning_rate=lr)


def test_bad_learning_rate_set():
    opt = O.Adam()
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0
    assert opt.learning_rate == pytest.approx(0.001)
    opt.build(3, [3])
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0
    assert opt.learning_rate == pytest.approx(0.001)


@pytest.mark.parametrize("kw", [{"clipnorm": 1.0, "clipvalue": 1.0}, {"clipnorm": 1.0, "global_clipnorm": 1.0},
                                {"clipvalue": 0.5, "global_clipnorm": 1.0}])
def test_more_than_one_clip(kw):
    with pytest.raises(ValueError, match="Only one of"):
        O.SGD(**kw)


@pytest.mark.parametrize("make,match", [
    (lambda: O.SGD(clipnorm=-1.0), "clipnorm"),
    (lambda: O.SGD(weight_decay=-0.1), "weight_decay"),
    (lambda: O.SGD(momentum=1.5), "momentum"),
    (lambda: O.SGD(momentum=-0.1), "momentum"),
    (lambda: O.RMSprop(rho=2.0), "rho"),
    (lambda: O.Adam(beta_1=1.0), "beta_1"),
    (lambda: O.Adam(beta_2=-0.5), "beta_2"),
    (lambda: O.Adam(epsilon=-1e-7), "epsilon"),
    (lambda: O.Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: O.NSGD(beta=1.0), "beta"),
    (lambda: O.AdamW(weight_decay=None), "weight_decay"),
    (lambda: O.Adam(foo=1), "not recognized"),
    (lambda: O.Adam(use_ema=True, ema_momentum=-0.5), "ema_momentum"),
    (lambda: O.SGD(nesterov="yes"), "nesterov"),
    (lambda: O.SGD(clipvalue="1"), "clipvalue"),
])
def test_bad_hyper_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_schedules():
    with pytest.raises(ValueError, match="decay_steps"):
        S.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        S.CosineDecay(0.1, -3)
    with pytest.raises(ValueError, match="1 less than"):
        S.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="strictly increasing"):
        S.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        S.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="learning rate schedule gave"):
        opt = O.SGD(learning_rate=S.PolynomialDecay(0.1, 10, end_learning_rate=-1.0))
        w = np.zeros(1, np.float32)
        for _ in range(11):
            opt.apply([np.ones(1, np.float32)], [w])


def test_bad_build():
    with pytest.raises(ValueError, match="add up to"):
        O.Adam().build(10, [3, 4])
    with pytest.raises(ValueError, match="segment sizes"):
        O.Adam().build(3, [-1, 4])
    opt = O.Adam()
    opt.build(7, [3, 4])
    opt.build(7, [3, 4])  # same layout: no-op
    with pytest.raises(ValueError, match="Create a new optimizer"):
        opt.build(8, [4, 4])


def test_bad_state():
    opt = O.Adam()
    with pytest.raises(ValueError, match="not built"):
        opt.set_state((0, [np.zeros(3)]))
    opt.build(7, [3, 4])
    with pytest.raises(ValueError, match="has 2 state arrays"):
        opt.set_state((1, [np.zeros(7)]))
    with pytest.raises(ValueError, match=r"shape \(7,\)"):
        opt.set_state((1, [np.zeros(7), np.zeros(6)]))
    with pytest.raises(ValueError, match="iterations"):
        opt.set_state((-1, [np.zeros(7), np.zeros(7)]))
    assert opt.iterations == 0  # nothing changed by the failed calls
    with pytest.raises(ValueError, match="iterations"):
        opt.iterations = -3


def test_bad_apply():
    ws, grads = make_problem(13)
    opt = O.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply(grads[0])
    opt.apply(grads[0], ws)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.ones(3)], [np.ones(3, np.float32)])
    with pytest.raises(ValueError, match="shape"):
        opt.apply([np.ones((4, 3))], [ws[0]])
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply([None] * len(ws), ws)
    with pytest.raises(ValueError, match="gradients for"):
        opt.apply(grads[0][:2], ws)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.ones(2, np.float32)
        ro.flags.writeable = False
        O.SGD().apply([np.ones(2)], [ro])


def test_c_handle_bad_input():
    c = _C.Optim("adam", [3, 4])
    with pytest.raises(ValueError, match="elements"):
        c.step(np.zeros(6, np.float32), np.zeros(7, np.float32))
    with pytest.raises(TypeError, match="float32"):
        c.step(np.zeros(7), np.zeros(7, np.float32))
    with pytest.raises(TypeError, match="float32"):
        c.step(np.zeros(14, np.float32)[::2], np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="expected 2"):
        c.step_list([np.zeros(3, np.float32)], [np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="unknown optimizer kind"):
        _C.Optim("adamm", [1])
    with pytest.raises(TypeError, match="unexpected keyword"):
        _C.Optim("adam", [1], bogus=1.0)
    with pytest.raises(ValueError, match="segment size"):
        _C.Optim("adam", [1, -2])
    with pytest.raises(ValueError, match="unknown schedule"):
        _C.Optim("adam", [1], schedule=("nope", {}))
    assert c.iterations == 0  # failed steps do not count


def test_resized_state_array_is_refused_not_crashing():
    c = _C.Optim("adam", [1000])
    st = c.state[0]
    st.resize(10, refcheck=False)
    with pytest.raises(RuntimeError, match="resized"):
        c.step(np.zeros(1000, np.float32), np.ones(1000, np.float32))


# --------------------------------------------------------------------------- torch cross-check

def _torch():
    return pytest.importorskip("torch")


def _run_torch(make_opt, seed=21, n_steps=N_STEPS):
    torch = _torch()
    ws, grads = make_problem(seed, n_steps=n_steps)
    params = [torch.nn.Parameter(torch.tensor(w.astype(np.float64))) for w in ws]
    opt = make_opt(params)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g.astype(np.float64))
        opt.step()
    return [p.detach().numpy() for p in params]


def _run_pynn(opt, seed=21, n_steps=N_STEPS):
    ws, grads = make_problem(seed, n_steps=n_steps)
    for gs in grads:
        opt.apply(gs, ws)
    return ws


# Epsilon conventions differ (Keras: sqrt(v + eps) for RMSprop/Adagrad and an eps
# that is not bias-corrected for Adam; torch: sqrt(v) + eps); with eps ~ 1e-10 on
# both sides the trajectories agree to float32 precision.
TORCH_CASES = {
    "sgd": (lambda: O.SGD(learning_rate=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    "sgd_momentum": (lambda: O.SGD(learning_rate=0.1, momentum=0.9),
                     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd_nesterov": (lambda: O.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                     lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "adam": (lambda: O.Adam(learning_rate=0.05, epsilon=1e-10),
             lambda t, p: t.optim.Adam(p, lr=0.05, eps=1e-10)),
    "adam_amsgrad": (lambda: O.Adam(learning_rate=0.05, epsilon=1e-10, amsgrad=True),
                     lambda t, p: t.optim.Adam(p, lr=0.05, eps=1e-10, amsgrad=True)),
    "adamw": (lambda: O.AdamW(learning_rate=0.05, weight_decay=0.1, epsilon=1e-10),
              lambda t, p: t.optim.AdamW(p, lr=0.05, weight_decay=0.1, eps=1e-10)),
    "rmsprop": (lambda: O.RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-10),
                lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-10)),
    "rmsprop_centered_momentum": (
        lambda: O.RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-10, centered=True, momentum=0.5),
        lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-10, centered=True, momentum=0.5)),
    "adagrad": (lambda: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-10),
                lambda t, p: t.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=1e-10)),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_torch_trajectory(name):
    torch = _torch()
    ours, theirs = TORCH_CASES[name]
    got = _run_pynn(ours())
    want = _run_torch(lambda p: theirs(torch, p))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_torch_clip_grad_norm_matches_global_clipnorm():
    torch = _torch()
    ws, grads = make_problem(22, gscale=3.0)
    params = [torch.nn.Parameter(torch.tensor(w.astype(np.float64))) for w in ws]
    topt = torch.optim.SGD(params, lr=0.1)
    ours = O.SGD(learning_rate=0.1, global_clipnorm=2.0)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g.astype(np.float64))
        torch.nn.utils.clip_grad_norm_(params, 2.0)
        topt.step()
        ours.apply(gs, ws)
    for a, p in zip(ws, params):
        np.testing.assert_allclose(a, p.detach().numpy(), rtol=1e-5, atol=1e-6)
