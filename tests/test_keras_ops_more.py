"""More keras.ops (issue #13): ops.nn activations (log_sigmoid, hard_tanh, celu, glu,
squareplus, soft/hard/tanh_shrink, threshold, sparse_plus), NumPy functions
(reciprocal, rsqrt, log2, log10, tan, cosh, logaddexp, true_divide, fabs, amax,
amin, prod, ptp, average, divide_no_nan, nan_to_num, isnan, isinf, isfinite,
count_nonzero) and axis arrangement (ravel, moveaxis, swapaxes, hstack, vstack,
unstack, outer, diagonal, trace, identity, tri).

Values against NumPy / the formulas of keras/src/backend/numpy/nn.py (float64);
gradients against central differences; side by side with keras.ops on Keras 3's
torch backend where installed (https://keras.io/api/ops/); in functional models
replayed at other batch sizes."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(17)
X = RNG.normal(size=(3, 4)).astype(np.float32) * 2
P = np.abs(X) + 0.5  # positive
B = RNG.normal(size=(2, 3, 4)).astype(np.float32)
SPECIAL = np.array([np.nan, 1.0, np.inf, -np.inf, 0.0, -2.0], np.float32)


def _softplus(x):
    return np.logaddexp(0, x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = {  # name -> (pynn result, float64 reference)
    "log_sigmoid": (lambda: ops.log_sigmoid(X * 20), lambda: -_softplus(-(X * 20.0))),
    "hard_tanh": (lambda: ops.nn.hard_tanh(X), lambda: np.clip(X, -1, 1)),
    "celu": (lambda: ops.celu(X, alpha=0.7), lambda: np.where(X > 0, X, 0.7 * np.expm1(X / 0.7))),
    "glu": (lambda: ops.glu(X), lambda: X[:, :2] * _sigmoid(X[:, 2:])),
    "glu_axis0": (lambda: ops.glu(B, axis=0), lambda: B[:1] * _sigmoid(B[1:])),
    "squareplus": (lambda: ops.squareplus(X, b=2), lambda: (X + np.sqrt(X.astype(float) ** 2 + 2)) / 2),
    "soft_shrink": (lambda: ops.soft_shrink(X, 1.0),
                    lambda: np.where(X > 1, X - 1, np.where(X < -1, X + 1, 0))),
    "hard_shrink": (lambda: ops.hard_shrink(X), lambda: np.where(np.abs(X) > 0.5, X, 0)),
    "tanh_shrink": (lambda: ops.tanh_shrink(X), lambda: X - np.tanh(X.astype(float))),
    "threshold": (lambda: ops.threshold(X, 0.3, -5.0), lambda: np.where(X > 0.3, X, -5.0)),
    "sparse_plus": (lambda: ops.sparse_plus(X),
                    lambda: np.where(X <= -1, 0, np.where(X >= 1, X, (X.astype(float) + 1) ** 2 / 4))),
    "reciprocal": (lambda: ops.reciprocal(P), lambda: 1 / P.astype(float)),
    "rsqrt": (lambda: ops.rsqrt(P), lambda: 1 / np.sqrt(P.astype(float))),
    "log2": (lambda: ops.log2(P), lambda: np.log2(P.astype(float))),
    "log10": (lambda: ops.log10(P), lambda: np.log10(P.astype(float))),
    "tan": (lambda: ops.tan(X / 3), lambda: np.tan(X.astype(float) / 3)),
    "cosh": (lambda: ops.cosh(X), lambda: np.cosh(X.astype(float))),
    "logaddexp": (lambda: ops.logaddexp(X * 50, X[0] * 50), lambda: np.logaddexp(X * 50.0, X[0] * 50.0)),
    "logaddexp_inf": (lambda: ops.logaddexp(SPECIAL[3:4], SPECIAL[3:4]), lambda: np.array([-np.inf])),
    "true_divide": (lambda: ops.true_divide(X, P), lambda: X / P.astype(float)),
    "fabs": (lambda: ops.fabs(X), lambda: np.abs(X)),
    "amax": (lambda: ops.amax(B, axis=(0, 2)), lambda: B.max(axis=(0, 2))),
    "amin": (lambda: ops.amin(B, keepdims=True), lambda: B.min(keepdims=True)),
    "prod": (lambda: ops.prod(X, axis=1), lambda: X.astype(float).prod(axis=1)),
    "prod_axes": (lambda: ops.prod(B, axis=(0, 2), keepdims=True),
                  lambda: B.astype(float).prod(axis=(0, 2), keepdims=True)),
    "prod_all": (lambda: ops.prod(X[:2]), lambda: X[:2].astype(float).prod()),
    "prod_empty": (lambda: ops.prod(np.zeros((2, 0), np.float32), axis=1), lambda: np.ones(2)),
    "ptp": (lambda: ops.ptp(B, axis=1), lambda: np.ptp(B, axis=1)),
    "average": (lambda: ops.average(X, axis=1, weights=P[0]), lambda: np.average(X, 1, P[0])),
    "average_full": (lambda: ops.average(X, weights=P), lambda: np.average(X, weights=P)),
    "average_plain": (lambda: ops.average(X, axis=0), lambda: X.mean(0)),
    "divide_no_nan": (lambda: ops.divide_no_nan(X, np.round(X)),
                      lambda: np.where(np.round(X) == 0, 0, X / np.where(np.round(X) == 0, 1, np.round(X)))),
    "nan_to_num": (lambda: ops.nan_to_num(SPECIAL), lambda: np.nan_to_num(SPECIAL)),
    "nan_to_num_values": (lambda: ops.nan_to_num(SPECIAL, nan=7, posinf=8, neginf=-8),
                          lambda: np.nan_to_num(SPECIAL, nan=7, posinf=8, neginf=-8)),
    "isnan": (lambda: ops.isnan(SPECIAL), lambda: np.isnan(SPECIAL)),
    "isinf": (lambda: ops.isinf(SPECIAL), lambda: np.isinf(SPECIAL)),
    "isfinite": (lambda: ops.isfinite(SPECIAL), lambda: np.isfinite(SPECIAL)),
    "count_nonzero": (lambda: ops.count_nonzero(np.round(B), axis=(1, 2)),
                      lambda: np.count_nonzero(np.round(B), axis=(1, 2))),
    "ravel": (lambda: ops.ravel(B), lambda: B.ravel()),
    "moveaxis": (lambda: ops.moveaxis(B, [0, 1], [2, 0]), lambda: np.moveaxis(B, [0, 1], [2, 0])),
    "swapaxes": (lambda: ops.swapaxes(B, -1, 0), lambda: np.swapaxes(B, -1, 0)),
    "hstack": (lambda: ops.hstack([X, P]), lambda: np.hstack([X, P])),
    "hstack_1d": (lambda: ops.hstack([X[0], P[1]]), lambda: np.hstack([X[0], P[1]])),
    "vstack": (lambda: ops.vstack([X[0], P]), lambda: np.vstack([X[0], P])),
    "unstack": (lambda: ops.unstack(B, axis=2)[3], lambda: B[:, :, 3]),
    "outer": (lambda: ops.outer(X[0], B[0]), lambda: np.outer(X[0], B[0])),
    "diagonal": (lambda: ops.diagonal(B, 1, 1, 2), lambda: np.diagonal(B, 1, 1, 2)),
    "diagonal_neg": (lambda: ops.diagonal(B, -1, 2, 0), lambda: np.diagonal(B, -1, 2, 0)),
    "trace": (lambda: ops.trace(X, offset=1), lambda: np.trace(X, offset=1)),
    "trace_axes": (lambda: ops.trace(B, 0, 1, 2), lambda: np.trace(B, 0, 1, 2)),
    "identity": (lambda: ops.identity(3), lambda: np.identity(3)),
    "tri": (lambda: ops.tri(3, 4, k=1), lambda: np.tri(3, 4, k=1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy(name):
    got, want = (f() for f in CASES[name])
    want = np.asarray(want, np.float64)
    got = got.numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != {want.shape}"
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_gradients_against_central_differences():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 4))
    p = np.abs(a) + 0.5
    check_grad(ops.log_sigmoid, lambda s: -_softplus(-s), [a])
    check_grad(lambda s: ops.celu(s, 0.5), lambda s: np.where(s > 0, s, 0.5 * np.expm1(s / 0.5)), [a])
    check_grad(ops.glu, lambda s: s[:, :2] * _sigmoid(s[:, 2:]), [a])
    check_grad(ops.squareplus, lambda s: (s + np.sqrt(s ** 2 + 4)) / 2, [a])
    check_grad(ops.sparse_plus, lambda s: np.where(s <= -1, 0, np.where(s >= 1, s, (s + 1) ** 2 / 4)), [a])
    check_grad(ops.tanh_shrink, lambda s: s - np.tanh(s), [a])
    check_grad(ops.rsqrt, lambda s: 1 / np.sqrt(s), [p])
    check_grad(ops.log10, np.log10, [p])
    check_grad(ops.tan, np.tan, [a / 3])
    check_grad(ops.cosh, np.cosh, [a])
    check_grad(ops.logaddexp, np.logaddexp, [a, a[::-1].copy()])
    check_grad(lambda s: ops.prod(s, axis=1), lambda s: s.prod(axis=1), [a])
    check_grad(lambda s: ops.prod(s, axis=(0, 1)), lambda s: s.prod(), [a[:2, :3]])
    check_grad(lambda s, w: ops.average(s, axis=1, weights=w), lambda s, w: np.average(s, 1, w),
               [a, p[0]])
    check_grad(lambda s, t: ops.divide_no_nan(s, t),
               lambda s, t: np.where(t == 0, 0, s / np.where(t == 0, 1, t)),
               [a, np.where(np.abs(a) < 0.5, 0.0, a)], wrt=[0])
    check_grad(lambda s: ops.moveaxis(s, 0, 1), lambda s: np.moveaxis(s, 0, 1), [a])
    check_grad(lambda s: ops.diagonal(s, 1), lambda s: np.diagonal(s, 1), [a])
    check_grad(lambda s: ops.trace(s), np.trace, [a])
    check_grad(lambda s, t: ops.outer(s, t), np.outer, [a[0], p[1]])
    check_grad(lambda s: ops.unstack(s, axis=1)[2], lambda s: s[:, 2], [a])


def test_divide_no_nan_keeps_nan_out_of_the_gradient():
    x = pynn.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    d = pynn.Tensor(np.array([0.0, 4.0], np.float32), requires_grad=True)
    ops.sum(ops.divide_no_nan(x, d)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.25])
    np.testing.assert_array_equal(d.grad, [0.0, -2.0 / 16])


KERAS_CASES = {  # name -> function of (ops module, x (3, 4)), computed by both libraries
    **{n: (lambda n: lambda o, x: getattr(o, n)(x))(n)
       for n in ("log_sigmoid", "hard_tanh", "celu", "glu", "squareplus", "soft_shrink",
                 "hard_shrink", "tanh_shrink", "sparse_plus", "cosh", "fabs", "ravel",
                 "isnan", "isfinite")},
    "nn_celu": lambda o, x: o.nn.celu(x, alpha=0.5),
    "nn_glu_axis": lambda o, x: o.nn.glu(x, axis=0) if x.shape[0] % 2 == 0 else o.nn.glu(x),
    "threshold": lambda o, x: o.threshold(x, 0.2, -1.0),
    "reciprocal": lambda o, x: o.reciprocal(o.abs(x) + 1),
    "rsqrt": lambda o, x: o.rsqrt(o.abs(x) + 1),
    "log2": lambda o, x: o.log2(o.abs(x) + 1),
    "log10": lambda o, x: o.log10(o.abs(x) + 1),
    "tan": lambda o, x: o.tan(x / 3),
    "logaddexp": lambda o, x: o.logaddexp(x, o.flip(x, axis=1)),
    "amax": lambda o, x: o.amax(x, axis=1),
    "prod": lambda o, x: o.prod(x, axis=0),
    "ptp": lambda o, x: o.ptp(x, axis=1),
    "average": lambda o, x: o.average(x, axis=1, weights=o.abs(x[0]) + 1),
    "divide_no_nan": lambda o, x: o.divide_no_nan(x, o.round(x)),
    "count_nonzero": lambda o, x: o.count_nonzero(o.round(x), axis=1),
    "moveaxis": lambda o, x: o.moveaxis(o.reshape(x, (3, 2, 2)), 0, 2),
    "swapaxes": lambda o, x: o.swapaxes(x, 0, 1),
    "hstack": lambda o, x: o.hstack([x, x]),
    "vstack": lambda o, x: o.vstack([x, x]),
    "unstack": lambda o, x: o.unstack(x, axis=1)[1],
    "outer": lambda o, x: o.outer(x[0], x[1]),
    "diagonal": lambda o, x: o.diagonal(x, offset=1),
    "trace": lambda o, x: o.trace(x),
    "identity": lambda o, x: o.identity(3),
    "tri": lambda o, x: o.tri(3, 4, k=-1),
    "nan_to_num": lambda o, x: o.nan_to_num(o.log(x)),
}


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS_CASES[name]
    x = RNG.normal(size=(3, 4)).astype(np.float32) * 1.5
    want = keras.ops.convert_to_numpy(fn(keras.ops, keras.ops.convert_to_tensor(x)))
    with np.errstate(invalid="ignore", divide="ignore"):
        got = fn(ops, x).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=2e-5, atol=2e-6)


SYMBOLIC = {  # name -> (op on a (batch, 4) tensor, NumPy reference)
    "glu": (lambda t: ops.glu(t), lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
    "prod": (lambda t: ops.prod(t, axis=1, keepdims=True), lambda x: x.prod(1, keepdims=True)),
    "average": (lambda t: ops.average(t, axis=1, weights=np.arange(1.0, 5.0, dtype=np.float32)),
                lambda x: np.average(x, 1, np.arange(1.0, 5.0))),
    "diagonal": (lambda t: ops.diagonal(ops.reshape(t, (-1, 2, 2)), 0, 1, 2),
                 lambda x: np.diagonal(x.reshape(-1, 2, 2), 0, 1, 2)),
    "moveaxis": (lambda t: ops.moveaxis(ops.reshape(t, (-1, 2, 2)), 1, 2),
                 lambda x: np.moveaxis(x.reshape(-1, 2, 2), 1, 2)),
    "logaddexp": (lambda t: ops.logaddexp(t, 0.5), lambda x: np.logaddexp(x, 0.5)),
    "nan_to_num": (lambda t: ops.nan_to_num(ops.log(t)), lambda x: np.nan_to_num(np.log(x))),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    inp = pynn.Input(shape=(4,))
    model = pynn.Model(inp, fn(inp))
    x = np.random.default_rng(8).normal(size=(7, 4)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = ref(x.astype(np.float64))
    for bs in (1, 3, 7):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), want,
                                   rtol=1e-5, atol=1e-5, err_msg=f"{name} at batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="split: 2 equal pieces do not divide axis 1 of length 3"):
        ops.glu(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="celu: alpha must be a number"):
        ops.celu(X, alpha="a")
    with pytest.raises(ValueError, match="squareplus: b must be >= 0"):
        ops.squareplus(X, b=-1)
    with pytest.raises(TypeError, match="nan_to_num: posinf must be a number"):
        ops.nan_to_num(X, posinf="big")
    with pytest.raises(ValueError, match="average: 3 weights for axis 1 of length 4"):
        ops.average(X, axis=1, weights=np.ones(3))
    with pytest.raises(ValueError, match="average: weights of shape"):
        ops.average(X, weights=np.ones((4, 3)))
    with pytest.raises(ValueError, match="moveaxis: source .* must have the same length"):
        ops.moveaxis(B, [0, 1], [0])
    with pytest.raises(ValueError, match="diagonal: axis1 and axis2 must differ"):
        ops.diagonal(B, 0, 1, 1)
    with pytest.raises(ValueError, match="unstack: num=5 but axis 0 has length 3"):
        ops.unstack(X, num=5)
    with pytest.raises(ValueError, match="tri: N must be a non-negative int"):
        ops.tri(-1)
