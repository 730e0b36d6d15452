"""The compiled loop's gradient hook (Model._gradient_hook): called on every
training batch between backward and the optimizer step with a writable zero-copy
view of the gradient the step applies, and the batch's row count.

Checked against a float64 NumPy reference of the model differentiated by central
differences (the batch gradient, and under DP-SGD the sum of the clipped
per-example gradients, before noise), and by what the optimizer then applies."""
import numpy as np
import pytest

import pynn
from pynn import _C
from pynn.layers import Dense
from pynn.privacy import DPSGD

N, D, H = 12, 4, 3


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)).astype(np.float32)
    y = rng.standard_normal((N, 1)).astype(np.float32)
    return x, y


def _model(optimizer, seed=0):
    pynn.set_seed(seed)
    model = pynn.Sequential([pynn.Input(shape=(D,)), Dense(H, activation="tanh"), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _unpack(flat):
    """The arena (kernel1, bias1, kernel2, bias2) as float64 arrays."""
    sizes = [D * H, H, H, 1]
    parts = np.split(np.asarray(flat, np.float64), np.cumsum(sizes)[:-1])
    return parts[0].reshape(D, H), parts[1], parts[2].reshape(H, 1), parts[3]


def _loss(flat, x, y):
    """float64 reference of the model's MSE on rows x, y."""
    w1, b1, w2, b2 = _unpack(flat)
    pred = np.tanh(x.astype(np.float64) @ w1 + b1) @ w2 + b2
    return np.mean((pred - y) ** 2)


def _numeric_grad(flat, x, y, eps=1e-6):
    flat = np.asarray(flat, np.float64).copy()
    g = np.zeros_like(flat)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = _loss(flat, x, y)
        flat[j] = old - eps
        fm = _loss(flat, x, y)
        flat[j] = old
        g[j] = (fp - fm) / (2 * eps)
    return g


def _flat_params(model):
    """The trainable weights end to end, in the gradient arena's layout."""
    return np.concatenate([w.ravel() for w in model.trainable_weights])


def test_layout_describes_the_arena_in_weight_order():
    model = _model("sgd")
    layout = model._gradient_arena_layout()
    assert [name for name, _, _ in layout] == [w.path for w in model.trainable_weights]
    assert [size for _, _, size in layout] == [D * H, H, H, 1]
    assert [off for _, off, _ in layout] == [0, D * H, D * H + H, D * H + 2 * H]
    for (_, off, size), w in zip(layout, model.trainable_weights):  # the same memory
        assert np.shares_memory(model._grads[off:off + size], w.value.grad)


def test_the_hook_sees_the_batch_gradient_and_the_step_applies_it():
    x, y = _data()
    lr = 0.1
    model = _model(pynn.optimizers.SGD(learning_rate=lr))
    before = _flat_params(model)
    seen = []

    def hook(grads, rows):
        assert grads.dtype == np.float32 and grads.ndim == 1 and grads.flags.writeable
        assert np.shares_memory(grads, model._grads)  # zero copy: the gradient arena itself
        seen.append((grads.copy(), rows))

    model._gradient_hook = hook
    model.fit(x, y, batch_size=N, epochs=1, shuffle=False, verbose=0)
    assert len(seen) == 1 and seen[0][1] == N
    grads = seen[0][0]
    np.testing.assert_allclose(grads, _numeric_grad(before, x, y), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_flat_params(model), before - lr * grads, rtol=1e-6, atol=1e-7)


def test_rows_follow_the_batches_including_the_last_short_one():
    x, y = _data()
    model = _model("sgd")
    rows = []
    model._gradient_hook = lambda grads, n: rows.append(n)
    model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    assert rows == [5, 5, 2, 5, 5, 2]


def test_zeroing_the_gradient_freezes_the_weights():
    x, y = _data()
    model = _model(pynn.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    before = model.get_weights()

    def hook(grads, rows):
        grads[:] = 0.0

    model._gradient_hook = hook
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    losses = history.history["loss"]  # nothing learned (shuffling only reorders the sums)
    assert losses[0] == pytest.approx(losses[-1], rel=1e-6)


def test_doubling_the_gradient_equals_doubling_sgds_learning_rate():
    x, y = _data()
    doubled = _model(pynn.optimizers.SGD(learning_rate=0.05))

    def hook(grads, rows):
        grads *= 2.0

    doubled._gradient_hook = hook
    doubled.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    plain = _model(pynn.optimizers.SGD(learning_rate=0.1))
    plain.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    half = _model(pynn.optimizers.SGD(learning_rate=0.05))
    half.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    for a, b, c in zip(doubled.get_weights(), plain.get_weights(), half.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert not np.allclose(a, c, rtol=1e-3, atol=1e-4)  # the hook did change the training


class _HookError(Exception):
    pass


def test_an_exception_in_the_hook_stops_fit_and_propagates_unchanged():
    x, y = _data()
    model = _model("sgd")
    before = model.get_weights()
    raised = _HookError("from the hook")
    calls = []

    def hook(grads, rows):
        calls.append(rows)
        if len(calls) == 2:
            raise raised

    model._gradient_hook = hook
    with pytest.raises(_HookError) as info:
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert info.value is raised
    assert calls == [4, 4]  # stopped at the second batch
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    # the model is usable afterwards: a fit without the hook trains normally
    model._gradient_hook = None
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)


def test_a_non_callable_hook_is_refused():
    x, y = _data()
    model = _model("sgd")
    model._gradient_hook = 3
    with pytest.raises(TypeError, match="gradient_hook must be callable"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)


@pytest.mark.parametrize("mode", ["ghost", "replay"])
def test_under_dp_the_hook_sees_the_clipped_sum_before_noise(mode):
    x, y = _data()
    clip, sigma, lr, batch = 0.05, 0.7, 0.1, 6
    opt = DPSGD(l2_norm_clip=clip, noise_multiplier=sigma, poisson_sampling=False, seed=11,
                clipping_mode=mode, optimizer=pynn.optimizers.SGD(learning_rate=lr))
    model = _model(opt)
    seen = []
    params = [_flat_params(model)]

    def hook(grads, rows):
        seen.append((grads.copy(), rows, params[-1]))

    model._gradient_hook = hook
    record = []
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0,
              callbacks=[pynn.callbacks.LambdaCallback(
                  on_train_batch_end=lambda b, logs: params.append(_flat_params(model)))])
    assert opt.clipping_path == mode
    assert [rows for _, rows, _ in seen] == [batch, batch]
    for step, (grads, rows, before) in enumerate(seen):
        rows_x, rows_y = x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch]
        ref = np.zeros_like(before, dtype=np.float64)
        for i in range(rows):
            g = _numeric_grad(before, rows_x[i:i + 1], rows_y[i:i + 1])
            norm = np.linalg.norm(g)
            ref += g * min(1.0, clip / (norm + 1e-6))
            record.append(norm)
        np.testing.assert_allclose(grads, ref, rtol=1e-3, atol=1e-6)
        assert np.linalg.norm(grads) <= rows * clip * (1 + 1e-5)
        # the step applied (sum + seeded noise) / rows: the hook came before both
        noise = np.array([_C.dp_seeded_normal(opt._key, step, j) for j in range(grads.size)])
        applied = (grads + sigma * clip * noise) / rows
        np.testing.assert_allclose(params[step + 1], before - lr * applied, rtol=1e-5, atol=1e-6)
    assert sum(norm > 2 * clip for norm in record) >= len(record) // 2  # clipping matters here


# ------------------------------------------------------------------ the strategy seam (Python)
def test_plain_optimizers_have_no_strategy_and_dpsgd_composes_one():
    x, y = _data()
    model = _model("sgd")
    assert model.optimizer._fit_strategy(model, N, 4, 1, None) is None
    inner = pynn.optimizers.SGD(learning_rate=0.1)
    opt = DPSGD(optimizer=inner, l2_norm_clip=1.0, noise_multiplier=0.5, seed=1)
    assert pynn.optimizers.Optimizer not in DPSGD.__mro__  # composes, does not inherit
    assert isinstance(opt, pynn.optimizers.Optimizer)  # registered: compile, serialize, save
    opt.learning_rate = 0.05  # as LR callbacks do: the wrapped optimizer's
    assert inner.learning_rate == opt.learning_rate == pytest.approx(0.05)
    import copy
    twin = copy.deepcopy(opt)  # (a built optimizer's C state does not copy, DPSGD or not)
    assert twin.optimizer is not inner and twin.learning_rate == pytest.approx(0.05)
    model = _model(opt)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert inner.iterations == opt.iterations > 0  # the wrapped optimizer took the steps
    opt.iterations = 2
    assert inner.iterations == 2
