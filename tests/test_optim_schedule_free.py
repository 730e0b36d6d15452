"""ScheduleFreeAdamW (csrc/core/optim/schedule_free_adamw.c, pynn.optimizers): against a
float64 NumPy transcription of keras/src/optimizers/schedule_free_adamw.py over 25
steps, side by side with the installed Keras 3 (torch backend) on the same weights
and gradients (warmup, weight decay, clipping), the inputs of Keras' own
keras/src/optimizers/schedule_free_adamw_test.py::test_single_step, Keras'
signature and config, gradient accumulation as the mean gradient, a compiled fit
that learns, and bad hyper-parameters."""
import inspect

import numpy as np
import pytest

import pynn
from pynn import optimizers as O

from keras_ref import keras_or_skip

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore:__array__ implementation:DeprecationWarning")


def problem(seed, n_steps, gscale=1.0):
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[(gscale * rng.standard_normal(s)).astype(np.float32) for s in SHAPES]
             for _ in range(n_steps)]
    return ws, grads


def reference(ws, grads, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
              warmup_steps=0, weight_decay=None, clipnorm=None, torch_alias=False):
    """Keras 3's apply (clip -> decoupled decay -> update_step) in float64.

    torch_alias: as Keras 3.15 on its torch backend, where ``momentum_old =
    momentum.value`` is the tensor that ``assign_sub`` then updates in place, so the
    "old" momentum is the new one (TensorFlow's and JAX's values are immutable)."""
    ws = [np.asarray(w, np.float64) for w in ws]
    beta_1, beta_2 = float(np.float32(beta_1)), float(np.float32(beta_2))  # Keras casts them
    z = [w.copy() for w in ws]  # build: momentum = the variable
    v = [np.zeros_like(w) for w in ws]
    for it, gs in enumerate(grads):
        t = it + 1.0
        gs = [np.asarray(g, np.float64) for g in gs]
        if clipnorm:
            gs = [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in gs]
        lr = learning_rate
        if weight_decay:
            ws = [w - w * weight_decay * lr for w in ws]
        if warmup_steps > 0:
            lr = lr * min(t / warmup_steps, 1.0)
        for i, g in enumerate(gs):
            z_old = z[i]
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            z[i] = z[i] - lr * g / (np.sqrt(v[i] / (1 - beta_2 ** t)) + epsilon)
            if torch_alias:
                z_old = z[i]
            x_old = (ws[i] - (1 - beta_1) * z_old) / beta_1
            x = (1 - 1 / t) * x_old + z[i] / t
            ws[i] = (1 - beta_1) * z[i] + beta_1 * x
    return ws, z, v


CONFIGS = {
    "defaults": {},
    "lr_betas": dict(learning_rate=0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-6),
    "warmup": dict(learning_rate=0.05, warmup_steps=10),
    "weight_decay_clipnorm": dict(learning_rate=0.02, weight_decay=0.1, clipnorm=1.0),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_the_numpy_transcription_over_25_steps(name):
    cfg = CONFIGS[name]
    ws, grads = problem(3, 25, gscale=2.0)
    want_w, want_z, want_v = reference(ws, grads, **cfg)
    opt = O.ScheduleFreeAdamW(**cfg)
    for gs in grads:
        opt.apply(gs, ws)
    for i in range(len(SHAPES)):
        np.testing.assert_allclose(ws[i], want_w[i], rtol=1e-5, atol=1e-6, err_msg=f"weight {i}")
    assert tuple(opt.state_names[:2]) == ("momentum", "velocity"), opt.state_names
    k = len(SHAPES)
    for i in range(k):
        np.testing.assert_allclose(opt.variables[i], want_z[i], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(opt.variables[k + i], want_v[i], rtol=1e-5, atol=1e-9)
    assert opt.iterations == 25


@pytest.mark.parametrize("name", list(CONFIGS))
def test_steps_as_keras_up_to_its_torch_aliasing(name):
    """Side by side with Keras 3 on its torch backend, which reads the old momentum
    after updating it in place: Keras equals the transcription with that aliasing,
    pynn the one without (Keras' formula as written, what its TensorFlow and JAX
    backends compute); on the first step, where x = z whatever the old momentum,
    all three agree."""
    keras = keras_or_skip()
    cfg = CONFIGS[name]
    ws, grads = problem(8, 25)
    kvars = [keras.Variable(w.copy()) for w in ws]
    kopt = keras.optimizers.ScheduleFreeAdamW(**cfg)
    opt = O.ScheduleFreeAdamW(**cfg)
    mine = [w.copy() for w in ws]
    for k, gs in enumerate(grads):
        kopt.apply([keras.ops.convert_to_tensor(g) for g in gs], kvars)
        opt.apply(gs, mine)
        if k == 0:
            for a, kv in zip(mine, kvars):
                np.testing.assert_allclose(a, kv.numpy(), rtol=2e-6, atol=2e-7)
    aliased, _, _ = reference(ws, grads, torch_alias=True, **cfg)
    honest, _, _ = reference(ws, grads, **cfg)
    for i, kv in enumerate(kvars):
        np.testing.assert_allclose(kv.numpy(), aliased[i], rtol=2e-5, atol=2e-6,
                                   err_msg=f"Keras, weight {i}")
        np.testing.assert_allclose(mine[i], honest[i], rtol=2e-5, atol=2e-6,
                                   err_msg=f"pynn, weight {i}")
    assert not np.allclose(aliased[0], honest[0], rtol=1e-4)  # the aliasing matters


def test_keras_own_single_step():
    # the inputs of schedule_free_adamw_test.py::ScheduleFreeAdamWTest::test_single_step
    # (Keras asserts only that the weights moved); at t = 1, x = z, so y = z =
    # w - lr * g / |g| (v / (1 - beta_2) = g**2)
    opt = O.ScheduleFreeAdamW(learning_rate=0.5)
    w = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    opt.apply([np.array([1.0, 6.0, 7.0, 2.0], np.float32)], [w])
    np.testing.assert_allclose(w, [0.5, 1.5, 2.5, 3.5], rtol=1e-4, atol=1e-4)


def test_keras_signature_and_config():
    keras = keras_or_skip()
    ksig = inspect.signature(keras.optimizers.ScheduleFreeAdamW.__init__).parameters
    psig = inspect.signature(O.ScheduleFreeAdamW.__init__).parameters
    assert list(psig) == list(ksig)
    for name, p in ksig.items():
        if name not in ("self", "name", "kwargs"):
            assert psig[name].default == p.default, name
    kcfg = keras.optimizers.ScheduleFreeAdamW().get_config()
    pcfg = O.ScheduleFreeAdamW().get_config()
    assert set(kcfg) == set(pcfg)
    for k, v in kcfg.items():
        if k != "name":
            assert pcfg[k] == pytest.approx(v), k
    assert isinstance(O.get("schedulefreeadamw"), O.ScheduleFreeAdamW)


def test_accumulation_is_the_mean_gradient_bitwise():
    acc = O.ScheduleFreeAdamW(0.05, gradient_accumulation_steps=3)
    plain = O.ScheduleFreeAdamW(0.05)
    ws, grads = problem(21, 6)
    wp = [w.copy() for w in ws]
    for k, gs in enumerate(grads):
        acc.apply(gs, ws)
        if (k + 1) % 3 == 0:
            mean = [(g3 + (g2 + g1)) / np.float32(3) for g1, g2, g3 in zip(*grads[k - 2:k + 1])]
            plain.apply(mean, wp)
            for a, b in zip(ws, wp):
                np.testing.assert_array_equal(a, b)
    assert acc.iterations == plain.iterations == 2


def test_compiled_fit_learns_and_matches_eager_steps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.3).astype(np.float32)

    def model():
        pynn.set_seed(2)
        m = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(1)])
        m.compile(optimizer=O.ScheduleFreeAdamW(0.05), loss="mse")
        return m

    m = model()
    before = float(m.evaluate(x, y, verbose=0))
    m.fit(x, y, batch_size=64, epochs=150, verbose=0, shuffle=False)
    assert float(m.evaluate(x, y, verbose=0)) < 0.05 * before
    # the compiled loop's steps are the eager optimizer's steps
    m2 = model()
    w = [np.array(v) for v in m2.get_weights()]
    opt = O.ScheduleFreeAdamW(0.05)
    for _ in range(3):
        pred = x @ w[0] + w[1]
        g = 2 * (pred - y) / len(x)
        opt.apply([(x.T @ g).astype(np.float32), g.sum(0).astype(np.float32)], w)
    m2.fit(x, y, batch_size=64, epochs=3, verbose=0, shuffle=False)
    for a, b in zip(m2.get_weights(), w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, match", [
    (lambda: O.ScheduleFreeAdamW(beta_1=0.0), "beta_1"),
    (lambda: O.ScheduleFreeAdamW(beta_1=1.5), "beta_1"),
    (lambda: O.ScheduleFreeAdamW(beta_2=1.0), "beta_2"),
    (lambda: O.ScheduleFreeAdamW(epsilon=-1.0), "epsilon"),
    (lambda: O.ScheduleFreeAdamW(warmup_steps=2.5), "warmup_steps"),
    (lambda: O.ScheduleFreeAdamW(warmup_steps=-1), "warmup_steps"),
    (lambda: O.ScheduleFreeAdamW(lr=0.1), "learning_rate"),
])
def test_bad_hyper_parameters_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()
