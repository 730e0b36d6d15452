"""The fused dense op (csrc/core/ops/dense.c) and its use by layers.Dense:
bit-identical to the unfused graph activation(matmul(x, W) + b), forward and
every gradient; gradients against central differences of a float64 reference;
N-D inputs, no bias, repeated backward, thread counts and bad input."""
import zlib

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from test_ops_elementwise import OPS as UNARY_REFS

ACTS = ops.fused_activations()
# pre-activation points where an activation's derivative jumps: finite
# differences are only valid away from them
KINKS = {"relu": [0], "relu6": [0, 6], "leaky_relu": [0], "elu": [0], "selu": [0],
         "hard_sigmoid": [-3, 3], "hard_silu": [-3, 3]}


def _ref(name):
    if name == "linear":
        return lambda z: z
    return UNARY_REFS[name][1]


def _unfused(name, x, w, b):
    y = ops.matmul(x, w)
    if b is not None:
        y = y + b
    return pynn.activations.get(name)(y)


def _run(fn, arrays, seed):
    """Output and the gradients of sum(seed * fn(...)) for every input."""
    ts = [pynn.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(seed)
    return [out.numpy().copy()] + [t.grad.copy() for t in ts]


def _data(rng, m, k, n, bias=True, scale=1.0):
    arrays = [rng.standard_normal((m, k)).astype(np.float32),
              (rng.standard_normal((k, n)) * scale / np.sqrt(k)).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(n).astype(np.float32))
    return arrays


# (m, k, n): tiny, odd, and big enough for GEMM's packed, multi-block path
SIZES = [(1, 1, 1), (7, 5, 3), (32, 10, 128), (70, 300, 130), (129, 600, 33)]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("name", ACTS)
def test_fused_equals_unfused_bit_for_bit(name, size, bias):
    rng = np.random.default_rng(zlib.crc32(f"{name}{size}{bias}".encode()))
    arrays = _data(rng, *size, bias=bias, scale=3.0)
    seed = rng.standard_normal((size[0], size[2])).astype(np.float32)
    fused = _run(lambda x, w, b=None: ops.dense(x, w, b, activation=name), arrays, seed)
    plain = _run(lambda x, w, b=None: _unfused(name, x, w, b), arrays, seed)
    for what, f, p in zip(["output", "dx", "dkernel", "dbias"], fused, plain):
        assert np.array_equal(f, p), f"{name}: {what} differs from the unfused graph"


@pytest.mark.parametrize("name", ACTS)
def test_gradients_match_central_differences(name):
    ref = _ref(name)
    for attempt in range(200):  # pre-activations away from the kinks
        rng = np.random.default_rng(zlib.crc32(f"{name}{attempt}".encode()))
        x, w, b = (a.astype(np.float64) for a in _data(rng, 4, 3, 5, scale=2.0))
        pre = x @ w + b
        if all(np.abs(pre - k).min() > 0.05 for k in KINKS.get(name, [])):
            break
    check_grad(lambda x, w, b: ops.dense(x, w, b, activation=name),
               lambda x, w, b: ref(x @ w + b), [x, w, b])


def test_parameters_of_activations():
    rng = np.random.default_rng(3)
    x, w, b = (a.astype(np.float64) for a in _data(rng, 4, 3, 5))
    check_grad(lambda x, w, b: ops.dense(x, w, b, activation="leaky_relu", alpha=0.3),
               lambda x, w, b: np.where(x @ w + b > 0, x @ w + b, 0.3 * (x @ w + b)), [x, w, b])
    check_grad(lambda x, w, b: ops.dense(x, w, b, activation="elu", alpha=0.5),
               lambda x, w, b: np.where(x @ w + b > 0, x @ w + b, 0.5 * np.expm1(x @ w + b)),
               [x, w, b])
    check_grad(lambda x, w, b: ops.dense(x, w, b, activation="gelu", approximate=True),
               lambda x, w, b: UNARY_REFS["gelu_tanh"][1](x @ w + b), [x, w, b])


def test_nd_input_is_one_batch_of_rows():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal((4, 5)) * 0.5, rng.standard_normal(5)
    check_grad(lambda x, w, b: ops.dense(x, w, b, activation="tanh"),
               lambda x, w, b: np.tanh(x @ w + b), [x, w, b])
    xf, wf, bf = (a.astype(np.float32) for a in (x, w, b))
    seed = rng.standard_normal((2, 3, 5)).astype(np.float32)
    fused = _run(lambda x, w, b: ops.dense(x, w, b, activation="sigmoid"), [xf, wf, bf], seed)
    plain = _run(lambda x, w, b: _unfused("sigmoid", x, w, b), [xf, wf, bf], seed)
    for f, p in zip(fused, plain):
        np.testing.assert_allclose(f, p, rtol=1e-6, atol=1e-6)


def test_backward_twice_accumulates_the_same_gradient():
    rng = np.random.default_rng(5)
    arrays = _data(rng, 6, 4, 3)
    ts = [pynn.Tensor(a, requires_grad=True) for a in arrays]
    y = ops.dense(*ts, activation="gelu")
    seed = rng.standard_normal((6, 3)).astype(np.float32)
    y.backward(seed)
    first = [t.grad.copy() for t in ts]
    y.backward(seed)  # the kept pre-activation must be intact
    for t, g in zip(ts, first):
        np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-6, atol=1e-7)


def test_only_some_inputs_need_gradients():
    rng = np.random.default_rng(6)
    x, w, b = _data(rng, 5, 4, 3)
    tx, tw, tb = pynn.Tensor(x), pynn.Tensor(w, requires_grad=True), pynn.Tensor(b)
    ops.dense(tx, tw, tb, activation="silu").backward(np.ones((5, 3), np.float32))
    assert tx.grad is None and tb.grad is None
    ux, uw, ub = pynn.Tensor(x), pynn.Tensor(w, requires_grad=True), pynn.Tensor(b)
    _unfused("silu", ux, uw, ub).backward(np.ones((5, 3), np.float32))
    assert np.array_equal(tw.grad, uw.grad)


def test_one_and_two_threads_agree():
    rng = np.random.default_rng(7)
    arrays = _data(rng, 300, 200, 257)
    seed = rng.standard_normal((300, 257)).astype(np.float32)
    before = pynn.get_num_threads()
    try:
        out = []
        for t in (1, 2):
            pynn.set_num_threads(t)
            out.append(_run(lambda x, w, b: ops.dense(x, w, b, activation="tanh"), arrays, seed))
    finally:
        pynn.set_num_threads(before)
    for a, b in zip(*out):
        assert np.array_equal(a, b)


def test_bad_input_names_the_op():
    x, w, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError, match=r"dense: kernel must have shape \(3, units\)"):
        ops.dense(x, np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"dense: bias must have shape \(4,\)"):
        ops.dense(x, w, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="dense: x must have at least 2 dimensions"):
        ops.dense(np.ones(3, np.float32), w, b)
    with pytest.raises(ValueError, match="dense: activation must be one of"):
        ops.dense(x, w, b, activation="softmax")
    with pytest.raises(ValueError, match="dense: alpha applies to"):
        ops.dense(x, w, b, activation="relu", alpha=0.1)
    with pytest.raises(TypeError, match="dense: alpha must be a real number"):
        ops.dense(x, w, b, activation="elu", alpha="big")


# ------------------------------------------------------------------ layers.Dense
def test_dense_layer_runs_one_node_per_layer():
    layer = pynn.layers.Dense(8, activation="relu")
    model = pynn.Sequential([pynn.Input(shape=(5,)), layer])
    prog = model._program("predict")["prog"]
    # x, kernel, bias and the fused node (unfused: matmul, add and relu)
    assert prog.n_nodes() == 4


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "gelu", "swish", "leaky_relu", None])
def test_dense_layer_equals_the_unfused_formula(activation):
    rng = np.random.default_rng(8)
    layer = pynn.layers.Dense(6, activation=activation)
    x = rng.standard_normal((9, 4)).astype(np.float32)
    y = layer(x).numpy()
    name = pynn.activations.serialize(layer.activation)
    expected = _unfused(name, pynn.Tensor(x), pynn.Tensor(np.asarray(layer.kernel)),
                        pynn.Tensor(np.asarray(layer.bias))).numpy()
    assert np.array_equal(y, expected)


def test_dense_layer_with_a_custom_activation_stays_unfused():
    layer = pynn.layers.Dense(3, activation=lambda z: z * 2.0, use_bias=False)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(layer(x).numpy(), 2.0 * x @ np.asarray(layer.kernel), rtol=1e-6)
