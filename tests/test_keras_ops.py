"""keras.ops as pynn.ops (issue #13): the functions Keras programs call, on eager tensors
and on the symbolic tensors of a functional model.

Values against NumPy (float64) and, where installed, against keras.ops on Keras 3's
torch backend; gradients against central differences (tests/gradcheck.py); ops in a
functional model replayed at other batch sizes, trained and saved."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4)).astype(np.float32) * 2
X[0, 1] = X[0, 2]  # a tie for argmax / argmin


# ------------------------------------------------------------------ eager values
def _np_lse(x, axis=None, keepdims=False):
    x = np.asarray(x, np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


CASES = {  # name -> (pynn call, NumPy reference)
    "equal": (lambda: ops.equal(X, X[0]), lambda: X == X[0]),
    "not_equal": (lambda: ops.not_equal(X, X[:, :1]), lambda: X != X[:, :1]),
    "greater": (lambda: ops.greater(X, 0.5), lambda: X > 0.5),
    "greater_equal": (lambda: ops.greater_equal(X, X[1]), lambda: X >= X[1]),
    "less": (lambda: ops.less(X, -0.5), lambda: X < -0.5),
    "less_equal": (lambda: ops.less_equal(X, X[2]), lambda: X <= X[2]),
    "logical_and": (lambda: ops.logical_and(X > 0, X < 1), lambda: (X > 0) & (X < 1)),
    "logical_or": (lambda: ops.logical_or(X > 1, X < -1), lambda: (X > 1) | (X < -1)),
    "logical_not": (lambda: ops.logical_not(X > 0), lambda: ~(X > 0)),
    "where": (lambda: ops.where(X > 0, X, X[0] * 10), lambda: np.where(X > 0, X, X[0] * 10)),
    "where_scalars": (lambda: ops.where(X[:, :1] > 0, 1.0, -1.0),
                      lambda: np.where(X[:, :1] > 0, 1.0, -1.0)),
    "argmax": (lambda: ops.argmax(X, axis=1), lambda: np.argmax(X, axis=1)),
    "argmax_flat": (lambda: ops.argmax(X), lambda: np.argmax(X)),
    "argmax_keep": (lambda: ops.argmax(X, axis=0, keepdims=True),
                    lambda: np.argmax(X, axis=0, keepdims=True)),
    "argmin": (lambda: ops.argmin(X, axis=-1), lambda: np.argmin(X, axis=-1)),
    "argmin_keep": (lambda: ops.argmin(X, axis=1, keepdims=True),
                    lambda: np.argmin(X, axis=1, keepdims=True)),
    "floor": (lambda: ops.floor(X), lambda: np.floor(X)),
    "ceil": (lambda: ops.ceil(X), lambda: np.ceil(X)),
    "trunc": (lambda: ops.trunc(X), lambda: np.trunc(X)),
    "sign": (lambda: ops.sign(X), lambda: np.sign(X)),
    "round_half_even": (lambda: ops.round(np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], np.float32)),
                        lambda: np.round([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])),
    "round_2": (lambda: ops.round(X, 2), lambda: np.round(X, 2)),
    "sin": (lambda: ops.sin(X), lambda: np.sin(X.astype(np.float64))),
    "cos": (lambda: ops.cos(X), lambda: np.cos(X.astype(np.float64))),
    "cast_int": (lambda: ops.cast(X, "int32"), lambda: X.astype(np.int32)),
    "cast_uint8": (lambda: ops.cast(np.abs(X), np.uint8), lambda: np.abs(X).astype(np.uint8)),
    "cast_bool": (lambda: ops.cast(np.round(X), "bool"), lambda: np.round(X).astype(bool)),
    "cast_float": (lambda: ops.cast(np.arange(3), "float32"), lambda: np.arange(3)),
    "tensordot_1": (lambda: ops.tensordot(X, X.T, axes=1), lambda: np.tensordot(X, X.T, 1)),
    "tensordot_2": (lambda: ops.tensordot(X.reshape(3, 2, 2), X.reshape(2, 2, 3), axes=2),
                    lambda: np.tensordot(X.reshape(3, 2, 2), X.reshape(2, 2, 3), 2)),
    "tensordot_pairs": (lambda: ops.tensordot(X.reshape(3, 2, 2), X.reshape(2, 3, 2),
                                              axes=([0, 2], [1, 0])),
                        lambda: np.tensordot(X.reshape(3, 2, 2), X.reshape(2, 3, 2),
                                             ([0, 2], [1, 0]))),
    "tensordot_0": (lambda: ops.tensordot(X[0], X[1], axes=0),
                    lambda: np.tensordot(X[0], X[1], 0)),
    "dot_2d": (lambda: ops.dot(X, X.T), lambda: np.dot(X, X.T)),
    "dot_nd": (lambda: ops.dot(X.reshape(3, 2, 2), X.reshape(2, 2, 3)),
               lambda: np.dot(X.reshape(3, 2, 2), X.reshape(2, 2, 3))),
    "dot_vec": (lambda: ops.dot(X, X[0]), lambda: np.dot(X, X[0])),
    "zeros_like": (lambda: ops.zeros_like(np.array([np.inf, np.nan, 1], np.float32)),
                   lambda: np.zeros(3)),
    "ones_like": (lambda: ops.ones_like(np.array([[np.inf, np.nan, 1]], np.float32)),
                  lambda: np.ones((1, 3))),
    "full_like": (lambda: ops.full_like(X, -3.5), lambda: np.full(X.shape, -3.5)),
    "logsumexp": (lambda: ops.logsumexp(X), lambda: _np_lse(X)),
    "logsumexp_axis": (lambda: ops.logsumexp(X * 300, axis=1), lambda: _np_lse(X * 300, 1)),
    "logsumexp_keep": (lambda: ops.logsumexp(X, axis=(0, 1), keepdims=True),
                       lambda: _np_lse(X, (0, 1), True)),
    "logsumexp_-inf": (lambda: ops.logsumexp(np.full((2, 3), -np.inf, np.float32), axis=-1),
                       lambda: np.full(2, -np.inf)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy(name):
    got, want = CASES[name]
    got = got()
    want = np.asarray(want(), np.float64)
    assert isinstance(got, pynn.Tensor) and got.dtype == np.float32
    assert got.shape == want.shape, f"{name}: shape {got.shape} != NumPy's {want.shape}"
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=2e-6)


def test_argmax_takes_the_first_tie_and_nan_wins():
    x = np.array([[1.0, 3.0, 3.0], [np.nan, 5.0, np.nan], [2.0, np.nan, 9.0]], np.float32)
    np.testing.assert_array_equal(ops.argmax(x, axis=1).numpy(), np.argmax(x, axis=1))
    np.testing.assert_array_equal(ops.argmin(x, axis=1).numpy(), np.argmin(x, axis=1))
    np.testing.assert_array_equal(ops.argmax(x, axis=0).numpy(), np.argmax(x, axis=0))


def test_where_ignores_the_branch_not_taken():
    # the inf / NaN of the other branch reach neither the value nor the gradient
    x = pynn.Tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    y = pynn.Tensor(np.array([np.inf, np.nan, np.inf], np.float32), requires_grad=True)
    out = ops.where(np.array([1, 0, 1], np.float32), x, y)
    np.testing.assert_array_equal(out.numpy(), [1.0, np.nan, 3.0])
    ops.sum(out * np.float32(2)).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(y.grad, [0.0, 2.0, 0.0])


# ------------------------------------------------------------------ gradients
def test_gradients_against_central_differences():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
    check_grad(lambda s, t: ops.tensordot(s, t, axes=1),
               lambda s, t: np.tensordot(s, t, 1), [a, b])
    c = rng.normal(size=(3, 2, 4))
    check_grad(lambda s, t: ops.tensordot(s, t, axes=([1, 2], [0, 2])),
               lambda s, t: np.tensordot(s, t, ([1, 2], [0, 2])), [a, c])
    check_grad(lambda s, t: ops.dot(s, t), lambda s, t: np.dot(s, t), [a, b])
    cond = (rng.normal(size=(2, 1, 4)) > 0).astype(np.float64)
    # where broadcasts condition (2, 1, 4), x (2, 3, 4) and y (4,): both gradients sum back
    check_grad(lambda c_, s, t: ops.where(c_, s, t), lambda c_, s, t: np.where(c_ != 0, s, t),
               [cond, a, rng.normal(size=(4,))], wrt=[1, 2])
    check_grad(lambda s: ops.logsumexp(s, axis=-1), lambda s: _np_lse(s, -1), [a])
    check_grad(lambda s: ops.logsumexp(s), lambda s: _np_lse(s), [b])
    check_grad(ops.sin, np.sin, [a])
    check_grad(ops.cos, np.cos, [a])
    # piecewise constant: zero gradient, as torch's
    x = np.linspace(-2.2, 2.3, 7)
    for fn in (ops.floor, ops.ceil, ops.round, ops.trunc, ops.sign):
        check_grad(fn, {ops.floor: np.floor, ops.ceil: np.ceil, ops.round: np.round,
                        ops.trunc: np.trunc, ops.sign: np.sign}[fn], [x])


def test_comparisons_and_argmax_carry_no_gradient():
    t = pynn.Tensor(X, requires_grad=True)
    for out in (ops.greater(t, 0.0), t > 0.0, t <= 1.0, ops.equal(t, t), ops.argmax(t, axis=1),
                ops.logical_not(t), ops.cast(t, "bool")):
        assert not out.requires_grad


# ------------------------------------------------------------------ errors
def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="where: pass both x1 and x2"):
        ops.where(X > 0)
    with pytest.raises(ValueError, match="where: condition, x1 and x2 of shapes"):
        ops.where(np.ones((2, 3)), np.ones((4,)), 0.0)
    with pytest.raises(ValueError, match=r"tensordot: x1 axis 1 \(length 4\) and x2 axis 0"):
        ops.tensordot(X, X, axes=1)
    with pytest.raises(ValueError, match="tensordot: 2 axes of x1 paired with 1"):
        ops.tensordot(X, X, axes=([0, 1], [0]))
    with pytest.raises(ValueError, match="out of range"):
        ops.tensordot(X, X, axes=([5], [0]))
    with pytest.raises(ValueError, match="cast: dtype 'string' is not supported"):
        ops.cast(X, "string")
    with pytest.raises(ValueError, match="argmax: needs a tensor of rank >= 1"):
        ops.argmax(np.float32(3), axis=0)
    with pytest.raises(ValueError, match="argmin.*out of range"):
        ops.argmin(X, axis=2)
    with pytest.raises(ValueError, match="argmax: axis 1 has length 0"):
        ops.argmax(np.zeros((2, 0), np.float32), axis=1)
    with pytest.raises(ValueError, match="greater: .*(3, 4).*(2,)"):
        ops.greater(X, np.ones(2, np.float32))
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        ops.round(X, 1.5)
    with pytest.raises(TypeError, match="full_like: fill_value must be a number"):
        ops.full_like(X, "a")


# ------------------------------------------------------------------ ops.nn, activations
def test_ops_nn_is_keras_namespace_of_the_same_functions():
    for name in ops.nn.__all__:
        assert getattr(ops.nn, name) is getattr(ops, name), name
    np.testing.assert_allclose(ops.nn.softmax(X).numpy(), np.exp(X) / np.exp(X).sum(-1, keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(pynn.activations.relu(X).numpy(), np.maximum(X, 0))


# ------------------------------------------------------------------ symbolic tensors
def _op_model():
    """A functional model whose head is keras.ops calls and KerasTensor operators only."""
    inp = pynn.Input(shape=(4,))
    h = layers.Dense(3, name="proj")(inp)
    w = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    t = ops.tensordot(h, w, axes=1)                      # (None, 2)
    gate = ops.where(t > 0.0, t, 0.1 * t)                # leaky, by where
    s = ops.sum(ops.square(gate), axis=-1, keepdims=True) / 2.0 - inp[:, :1]
    out = ops.expand_dims(ops.logsumexp(ops.concatenate([s, -s, gate], axis=-1), axis=-1), -1)
    return pynn.Model(inp, out), w


def _op_model_numpy(x, kernel, bias, w):
    h = x.astype(np.float64) @ kernel + bias
    t = h @ w
    gate = np.where(t > 0, t, 0.1 * t)
    s = (gate ** 2).sum(-1, keepdims=True) / 2 - x[:, :1]
    return _np_lse(np.concatenate([s, -s, gate], -1), -1)[:, None]


def test_ops_on_symbolic_tensors_build_a_model_that_replays_at_any_batch(tmp_path):
    pynn.set_seed(1)
    model, w = _op_model()
    inp = model.inputs[0]
    assert (inp + 1).shape == (None, 4) and inp.dtype == "float32"
    assert ops.argmax(inp, axis=-1).shape == (None,)
    assert ops.shape(inp) == (None, 4)
    # ops are operations, not layers; the InputLayer comes first, as in Keras 3
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense"]
    assert model.layers[1].name == "proj"
    x = np.random.default_rng(2).normal(size=(37, 4)).astype(np.float32)
    kernel, bias = model.get_layer("proj").get_weights()
    want = _op_model_numpy(x, kernel, bias, w)
    for bs in (1, 8, 37):  # traced at batch 1, replayed at other sizes
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), want,
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "ops.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # the InputLayer's name survives saving too
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.layers[1].name == "proj"


def test_gradients_flow_through_symbolic_ops_in_fit():
    pynn.set_seed(2)
    model, w = _op_model()
    x = np.random.default_rng(4).normal(size=(64, 4)).astype(np.float32)
    y = np.zeros((64, 1), np.float32)
    before = [v.copy() for v in model.get_weights()]
    model.compile(optimizer=pynn.optimizers.SGD(0.05), loss="mse")
    hist = model.fit(x, y, batch_size=16, epochs=5, verbose=0, shuffle=False)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # one SGD step by hand on the first batch: the gradient reaches Dense through
    # tensordot, where, logsumexp and concatenate
    pynn.set_seed(2)
    model2, _ = _op_model()
    model2.set_weights(before)
    kernel, bias = (pynn.Tensor(v, requires_grad=True) for v in before)
    xb = x[:16]
    h = ops.matmul(xb, kernel) + bias
    t = ops.tensordot(h, w, axes=1)
    gate = ops.where(t > 0.0, t, 0.1 * t)
    s = ops.sum(ops.square(gate), axis=-1, keepdims=True) / 2.0 - xb[:, :1]
    out = ops.logsumexp(ops.concatenate([s, -s, gate], axis=-1), axis=-1)
    ops.mean(ops.square(out)).backward()
    model2.compile(optimizer=pynn.optimizers.SGD(0.05), loss="mse")
    model2.train_on_batch(xb, y[:16])
    np.testing.assert_allclose(model2.get_weights()[0], before[0] - 0.05 * kernel.grad,
                               rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ Keras 3 side by side
KERAS_CASES = {  # name -> (function of (ops module, x, y)) computed by both libraries
    "equal": lambda o, x, y: o.equal(x, y),
    "greater": lambda o, x, y: o.greater(x, y),
    "less_equal": lambda o, x, y: o.less_equal(x, y),
    "where": lambda o, x, y: o.where(o.greater(x, 0.0), x, y),
    "argmax": lambda o, x, y: o.argmax(x, axis=-1),
    "argmin_flat": lambda o, x, y: o.argmin(x),
    "floor": lambda o, x, y: o.floor(x),
    "ceil": lambda o, x, y: o.ceil(x),
    "round": lambda o, x, y: o.round(x * 2),
    "sign": lambda o, x, y: o.sign(x),
    "sin": lambda o, x, y: o.sin(x),
    "cos": lambda o, x, y: o.cos(x),
    "cast": lambda o, x, y: o.cast(x * 3, "int32"),
    "tensordot": lambda o, x, y: o.tensordot(x, o.transpose(y), axes=1),
    "dot": lambda o, x, y: o.dot(x, o.transpose(y)),
    "zeros_like": lambda o, x, y: o.zeros_like(x),
    "ones_like": lambda o, x, y: o.ones_like(x),
    "full_like": lambda o, x, y: o.full_like(x, 2.5),
    "logsumexp": lambda o, x, y: o.logsumexp(x, axis=1),
    "expand_squeeze": lambda o, x, y: o.squeeze(o.expand_dims(x, 1), 1),
    "one_hot": lambda o, x, y: o.one_hot(o.argmax(x, axis=-1), 4),
    "stack": lambda o, x, y: o.stack([x, y], axis=1),
    "nn_softmax": lambda o, x, y: o.nn.softmax(x),
    "nn_relu": lambda o, x, y: o.nn.relu(x),
    "nn_silu": lambda o, x, y: o.nn.silu(x),
    "nn_sigmoid": lambda o, x, y: o.nn.sigmoid(x),
}


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS_CASES[name]
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    x[1, 0] = x[1, 3]  # a tie
    y = RNG.normal(size=(3, 4)).astype(np.float32)
    want = keras.ops.convert_to_numpy(fn(keras.ops, x, y))
    got = fn(ops, x, y).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=1e-5, atol=1e-6)


class _HeadSplit(layers.Layer):
    """Keras' attention-head pattern: reshape to (batch, -1, heads) with the batch
    taken from ops.shape inside call()."""

    def call(self, x):
        batch_size = ops.shape(x)[0]
        return ops.reshape(x, (batch_size, -1, 2))


def test_reshape_with_the_traced_batch_follows_the_replayed_batch():
    inp = pynn.Input(shape=(6,))
    model = pynn.Model(inp, ops.sum(_HeadSplit()(inp), axis=-1))
    x = np.arange(42, dtype=np.float32).reshape(7, 6)
    for bs in (1, 3, 7):  # traced with a batch of one, replayed with others
        np.testing.assert_array_equal(model.predict(x, batch_size=bs, verbose=0),
                                      x.reshape(7, 3, 2).sum(-1))


def test_global_pooling_channels_first():
    # keras.io's timeseries Transformer pools (batch, steps, 1) with data_format="channels_first"
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5)).astype(np.float32)
    for cls, ref in ((layers.GlobalAveragePooling2D, np.mean), (layers.GlobalMaxPooling2D, np.max)):
        layer = cls(data_format="channels_first")
        np.testing.assert_allclose(layer(x).numpy(), ref(x, axis=(2, 3)), rtol=1e-6)
        assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3)
        assert cls.from_config(layer.get_config()).data_format == "channels_first"
    seq = x[:, :, :, 0]
    np.testing.assert_allclose(layers.GlobalAveragePooling1D(data_format="channels_first")(seq)
                               .numpy(), seq.mean(axis=2), rtol=1e-6)
    keep = layers.GlobalMaxPooling1D(data_format="channels_first", keepdims=True)
    assert keep(seq).shape == (2, 3, 1) and keep.compute_output_shape((None, 3, 4)) == (None, 3, 1)
    with pytest.raises(ValueError, match="data_format must be 'channels_last' or 'channels_first'"):
        layers.GlobalAveragePooling1D(data_format="nhwc")
