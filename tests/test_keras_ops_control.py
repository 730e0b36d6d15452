"""keras.ops control flow (issue #13): cond, switch, while_loop, fori_loop, scan, map,
associative_scan, vectorized_map, vectorize — https://keras.io/api/ops/core/
(keras.ops.cond, switch, while_loop, fori_loop, scan, map, associative_scan,
vectorized_map) and https://keras.io/api/ops/numpy/ (vectorize).

Eager values against plain Python / NumPy loops and side by side with keras.ops
on Keras 3's torch backend; gradients through what ran against central
differences; inside a compiled model: cond / switch computed as a selection,
while_loop with maximum_iterations masked, loops over the batch axis refused."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(23)
X = RNG.normal(size=(4, 3)).astype(np.float32)


def test_cond_and_switch_pick_a_branch():
    calls = []
    t = pynn.Tensor(X)
    out = ops.cond(ops.sum(t) > 100, lambda: calls.append("t") or t, lambda: calls.append("f") or -t)
    np.testing.assert_array_equal(out.numpy(), -X)
    assert calls == ["f"]  # eagerly only the chosen branch runs
    out = ops.cond(True, lambda: (t, {"a": t * 2}), lambda: None)
    np.testing.assert_array_equal(out[1]["a"].numpy(), X * 2)
    fns = [lambda v: v + 1, lambda v: v * 10, lambda v: -v]
    for index, want in ((-3, X + 1), (0, X + 1), (1, X * 10), (2, -X), (9, -X)):
        np.testing.assert_allclose(ops.switch(index, fns, t).numpy(), want)
    np.testing.assert_allclose(ops.switch(pynn.Tensor(np.float32(1)), fns, t).numpy(), X * 10)


def test_loops_match_python():
    i, s = ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 1.5), (0, 2.0))
    assert (float(i), float(s)) == (5.0, 2.0 * 1.5 ** 5)
    one = ops.while_loop(lambda v: ops.sum(v) < 100, lambda v: v * 2, X[0] ** 2 + 1)
    want = X[0] ** 2 + 1
    while want.sum() < 100:
        want = want * 2
    np.testing.assert_allclose(one.numpy(), want, rtol=1e-6)
    capped = ops.while_loop(lambda v: True, lambda v: v + 1, np.float32(0), maximum_iterations=7)
    assert float(capped) == 7.0
    assert float(ops.fori_loop(2, 6, lambda i, v: v * i, np.float32(1))) == 2 * 3 * 4 * 5
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), np.zeros(3, np.float32), X)
    c, want_ys = np.zeros(3), []
    for row in X.astype(float):
        want_ys.append(c * row)
        c = c + row
    np.testing.assert_allclose(carry.numpy(), c, rtol=1e-6)
    np.testing.assert_allclose(ys.numpy(), want_ys, rtol=1e-6, atol=1e-6)
    carry, ys = ops.scan(lambda c, x: (c * 2, None), np.float32(1), length=3, reverse=True)
    # f returned None: zeros like the carry, in a list (as Keras' torch backend)
    assert float(carry) == 8 and len(ys) == 1 and ys[0].shape == (3,) and not ys[0].numpy().any()
    carry, ys = ops.scan(lambda c, x: (c + x["a"], (x["a"], x["b"] * c)), np.float32(0),
                         {"a": X[:, 0], "b": X[:, 1]}, reverse=True)
    np.testing.assert_allclose(ys[0].numpy(), X[:, 0])
    np.testing.assert_allclose(ys[1].numpy(), X[:, 1] * (np.cumsum(X[::-1, 0])[::-1] - X[:, 0]),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.map(lambda r: ops.max(r), X).numpy(), X.max(axis=1))
    pair = ops.vectorized_map(lambda t: (t[0] * 2, t[1] + t[0]), (X, X[::-1].copy()))
    np.testing.assert_allclose(pair[1].numpy(), X + X[::-1])


def test_associative_scan_is_a_prefix_combination():
    np.testing.assert_allclose(ops.associative_scan(lambda a, b: a + b, X).numpy(),
                               np.cumsum(X, axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ops.associative_scan(lambda a, b: a * b, X, axis=1, reverse=True)
                               .numpy(), np.cumprod(X[:, ::-1], axis=1)[:, ::-1], rtol=1e-6)
    out = ops.associative_scan(lambda a, b: {"m": ops.maximum(a["m"], b["m"]), "s": a["s"] + b["s"]},
                               {"m": X[:, 0], "s": X[:, 1]})
    np.testing.assert_allclose(out["m"].numpy(), np.maximum.accumulate(X[:, 0]))
    np.testing.assert_allclose(out["s"].numpy(), np.cumsum(X[:, 1]), rtol=1e-6, atol=1e-6)


def test_vectorize_as_numpy():
    f = ops.vectorize(lambda a, b: a * 2 + b)
    np.testing.assert_allclose(f(X, X[0]).numpy(), X * 2 + X[0])
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(dot(X, X[1]).numpy(), X @ X[1], rtol=1e-6)
    mv = ops.vectorize(lambda m, v: (ops.matmul(m, v), ops.sum(v)), signature="(m,n),(n)->(m),()")
    stack = RNG.normal(size=(2, 1, 4, 3)).astype(np.float32)  # loop axes (2, 1) with X's (4,)
    y, s = mv(stack, X)
    np.testing.assert_allclose(y.numpy(), np.einsum("bmn,jn->bjm", stack[:, 0], X), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(s.numpy(), np.broadcast_to(X.sum(1), (2, 4)), rtol=1e-5)
    scaled = ops.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_allclose(scaled(X, 3.0).numpy(), X * 3)


# ------------------------------------------------------------------ gradients
def test_gradients_through_what_ran():
    a = RNG.normal(size=(4, 3))
    check_grad(lambda t: ops.cond(ops.sum(t) > -1e9, lambda: t * t, lambda: t), lambda t: t * t, [a])
    check_grad(lambda t: ops.switch(2, [ops.exp, ops.sin, ops.cos], t), np.cos, [a])
    check_grad(lambda t: ops.fori_loop(0, 3, lambda i, v: v * t + i, t),
               lambda t: ((t * t + 0) * t + 1) * t + 2, [a])
    check_grad(lambda t: ops.while_loop(lambda v, k: k < 3, lambda v, k: (ops.sin(v) * t, k + 1),
                                        (t, 0))[0],
               lambda t: np.sin(np.sin(np.sin(t) * t) * t) * t, [a])

    def np_scan(t):
        c, ys = np.ones(3), []
        for row in t:
            ys.append(c + row)
            c = c * row
        return np.concatenate([c, np.ravel(ys)])
    check_grad(lambda t: ops.concatenate([ops.reshape(v, (-1,)) for v in ops.scan(
        lambda c, x: (c * x, c + x), np.ones(3, np.float32), t)]), np_scan, [a])
    check_grad(lambda t: ops.associative_scan(lambda p, q: p * q, t), lambda t: np.cumprod(t, 0), [a])
    check_grad(ops.vectorize(lambda p, q: ops.sum(p * ops.sin(q)), signature="(n),(n)->()"),
               lambda p, q: np.sum(p * np.sin(q), axis=-1), [a, a[::-1].copy()])
    check_grad(lambda t: ops.map(lambda r: ops.sum(r * r), t), lambda t: np.sum(t * t, 1), [a])


# ------------------------------------------------------------------ inside a model
class _Branchy(pynn.layers.Layer):
    def call(self, x):
        pick = ops.cond(ops.mean(x) > 0, lambda: x * 2, lambda: -x)
        k = ops.clip(ops.round(ops.mean(x) * 10), -1, 5)
        chosen = ops.switch(k, [lambda v: v + 1, lambda v: v * 3, lambda v: ops.square(v)], x)
        grown = ops.while_loop(lambda v: ops.max(v) < 40, lambda v: v * 2, ops.abs(x) + 1,
                               maximum_iterations=6)
        looped = ops.fori_loop(0, 3, lambda i, v: v + i * x, x)
        return ops.concatenate([pick, chosen, grown, looped], axis=1)


def test_control_flow_in_a_compiled_model_matches_eager():
    model = pynn.Sequential([pynn.Input(shape=(3,)), _Branchy()])
    for x in (X, X + 1.0, -X - 1.0, X * 0.01 + 0.1):
        eager = _Branchy()(pynn.Tensor(x)).numpy()
        np.testing.assert_allclose(model.predict(x, batch_size=len(x), verbose=0), eager,
                                   rtol=1e-6, atol=1e-6)


class _Scanner(pynn.layers.Layer):
    def call(self, x):
        return ops.scan(lambda c, r: (c + r, c), ops.zeros((3,)), x)[1]


def test_loops_over_the_batch_are_refused_in_a_compiled_model():
    with pytest.raises(ValueError, match="scan inside a model: it loops over axis 0, the batch axis"):
        pynn.Sequential([pynn.Input(shape=(3,)), _Scanner()]).predict(X, verbose=0)

    class Unbounded(pynn.layers.Layer):
        def call(self, x):
            return ops.while_loop(lambda v: ops.max(v) < 40, lambda v: v * 2 + 1, x)
    with pytest.raises(ValueError, match="while_loop inside a model: the condition depends on the "
                                         "data.*pass maximum_iterations"):
        pynn.Sequential([pynn.Input(shape=(3,)), Unbounded()]).predict(X, verbose=0)


# ------------------------------------------------------------------ Keras 3 side by side
KERAS = {  # name -> function of (ops module, x (4, 3)), computed by both libraries
    "cond": lambda o, x: o.cond(o.sum(x) > 0, lambda: x * 2, lambda: x - 1),
    "switch": lambda o, x: o.switch(1, [lambda v: v + 1, lambda v: v * 10], x),
    "switch_clipped": lambda o, x: o.switch(-4, [lambda v: v + 1, lambda v: v * 10], x),
    "while_loop": lambda o, x: o.while_loop(lambda v: o.sum(v) < 50, lambda v: v * 1.5,
                                            o.abs(x) + 0.1),
    "while_loop_tuple": lambda o, x: o.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x),
                                                  (0, x))[1],
    "while_loop_max": lambda o, x: o.while_loop(lambda v: True, lambda v: v + x, x,
                                                maximum_iterations=4),
    "fori_loop": lambda o, x: o.fori_loop(1, 4, lambda i, v: v * i + x, x),
    "scan_carry": lambda o, x: o.scan(lambda c, r: (c * 0.5 + r, c), o.zeros((3,)), x)[0],
    "scan_ys": lambda o, x: o.scan(lambda c, r: (c * 0.5 + r, c), o.zeros((3,)), x)[1],
    "scan_reverse": lambda o, x: o.scan(lambda c, r: (c + r, c * r), o.ones((3,)), x,
                                        reverse=True)[1],
    "scan_length": lambda o, x: o.scan(lambda c, _: (c * 2, c + 1), x[0], length=3)[1],
    "map": lambda o, x: o.map(lambda r: o.sum(r) * r, x),
    "vectorized_map": lambda o, x: o.vectorized_map(lambda r: o.max(r) - r, x),
    "associative_scan": lambda o, x: o.associative_scan(lambda a, b: a + b, x),
    "associative_scan_rev": lambda o, x: o.associative_scan(lambda a, b: o.maximum(a, b), x,
                                                            reverse=True, axis=1),
    "vectorize": lambda o, x: o.vectorize(lambda a, b: o.sum(a * b), signature="(n),(n)->()")(
        x, x[0]),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS[name]
    want = keras.ops.convert_to_numpy(fn(keras.ops, keras.ops.convert_to_tensor(X)))
    got = fn(ops, pynn.Tensor(X)).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bad_input_names_the_op():
    with pytest.raises(TypeError, match="cond: true_fn must be callable"):
        ops.cond(True, 1, lambda: 0)
    with pytest.raises(ValueError, match="cond: pred must be a scalar, got shape \\(4, 3\\)"):
        ops.cond(X, lambda: 1, lambda: 0)
    with pytest.raises(ValueError, match="switch: branches must hold at least one function"):
        ops.switch(0, [], X)
    with pytest.raises(ValueError, match="while_loop: maximum_iterations must be an int >= 0"):
        ops.while_loop(lambda v: True, lambda v: v, X, maximum_iterations=-1)
    with pytest.raises(TypeError, match="fori_loop: upper must be an int, got 2.5"):
        ops.fori_loop(0, 2.5, lambda i, v: v, X)
    with pytest.raises(ValueError, match="scan: pass xs to scan over, or length"):
        ops.scan(lambda c, x: (c, x), X)
    with pytest.raises(ValueError, match="scan: the leaves of xs must have length 4"):
        ops.scan(lambda c, x: (c, None), 0.0, (X, X[:2]))
    with pytest.raises(ValueError, match="associative_scan: the leaves must have one length"):
        ops.associative_scan(lambda a, b: a, (X, X[:2]))
    with pytest.raises(ValueError, match="vectorize: signature must look like"):
        ops.vectorize(lambda a: a, signature="(n)")
    with pytest.raises(ValueError, match="vectorize: core dimension 'n' is 3 and 4"):
        ops.vectorize(lambda a, b: a, signature="(n),(n)->()")(X, X.T)
