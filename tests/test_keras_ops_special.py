"""More keras.ops NumPy functions (issue #13): sinh, arcsinh, arccosh, arctanh, expm1,
log1p, exp2, cbrt, hypot, deg2rad, rad2deg, sinc, logaddexp2, heaviside, signbit,
isposinf, isneginf, fmax, fmin, diff, fliplr, flipud, inner, vdot, diag, diagflat,
trapezoid, isclose, allclose, isin, ndim, size, is_tensor —
https://keras.io/api/ops/numpy/.

Values against NumPy (float64; small arguments keep their relative precision);
side by side with keras.ops on Keras 3's torch backend; gradients against
central differences; replay in a compiled model."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(53)
X = (RNG.normal(size=(3, 4)) * 2).astype(np.float32)
Y = (RNG.normal(size=(3, 4)) * 2).astype(np.float32)
SMALL = np.array([1e-7, -1e-6, 1e-3, -0.3, 0.7, 5.0, -20.0, 0.0], np.float32)

UNARY = ["sinh", "arcsinh", "expm1", "log1p", "exp2", "cbrt", "deg2rad", "rad2deg", "sinc",
         "signbit", "isposinf", "isneginf"]


@pytest.mark.parametrize("name", UNARY + ["arccosh", "arctanh"])
def test_unary_match_numpy_with_relative_precision(name):
    arg = {"arccosh": np.abs(SMALL) + 1, "arctanh": SMALL / 21,
           "log1p": np.abs(SMALL) - 0.5}.get(name, SMALL)
    arg = np.append(arg, [np.inf, -np.inf, -0.0]).astype(np.float32)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(arg.astype(np.float64))
    # sinc: sin(pi x) at whole x is float32's rounding of pi x away from 0
    np.testing.assert_allclose(ops.__dict__[name](arg).numpy(), want, rtol=3e-6,
                               atol=1e-7 if name == "sinc" else 0)


BINARY = {  # name -> (pynn result, NumPy reference)
    "hypot": (lambda: ops.hypot(X * 1e30, Y * 1e30), lambda: np.hypot(X * 1e30, Y * 1e30)),
    "logaddexp2": (lambda: ops.logaddexp2(X * 40, Y * 40), lambda: np.logaddexp2(X * 40., Y * 40.)),
    "heaviside": (lambda: ops.heaviside(np.round(X), 0.5), lambda: np.heaviside(np.round(X), 0.5)),
    "fmax": (lambda: ops.fmax(np.where(X > 1, np.nan, X), Y),
             lambda: np.fmax(np.where(X > 1, np.nan, X), Y)),
    "fmin": (lambda: ops.fmin(X, np.where(Y > 0, np.nan, Y)),
             lambda: np.fmin(X, np.where(Y > 0, np.nan, Y))),
    "diff": (lambda: ops.diff(X, 2, axis=0), lambda: np.diff(X.astype(float), 2, axis=0)),
    "fliplr": (lambda: ops.fliplr(X), lambda: np.fliplr(X)),
    "flipud": (lambda: ops.flipud(X), lambda: np.flipud(X)),
    "inner": (lambda: ops.inner(X, Y), lambda: np.inner(X.astype(float), Y)),
    "vdot": (lambda: ops.vdot(X, Y), lambda: np.vdot(X.astype(float), Y)),
    "diag_k": (lambda: ops.diag(X[0], -2), lambda: np.diag(X[0], -2)),
    "diag_of": (lambda: ops.diag(X, 1), lambda: np.diag(X, 1)),
    "diagflat": (lambda: ops.diagflat(X[:2, :2], 1), lambda: np.diagflat(X[:2, :2], 1)),
    "trapezoid": (lambda: ops.trapezoid(X, x=np.array([0.0, 1, 3, 6])),
                  lambda: np.trapezoid(X.astype(float), x=[0, 1, 3, 6])),
    "isclose": (lambda: ops.isclose(X, X + 1e-5 * (Y > 0)),
                lambda: np.isclose(X, X + np.float32(1e-5) * (Y > 0))),
    "isin": (lambda: ops.isin(np.round(X), np.round(Y), invert=True),
             lambda: np.isin(np.round(X), np.round(Y), invert=True)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_values_match_numpy(name):
    got, want = (f() for f in BINARY[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=1e-6)


def test_answers_about_tensors():
    assert (ops.ndim(X), ops.size(X), ops.is_tensor(X), ops.is_tensor(pynn.Tensor(X))) == \
        (2, 12, False, True)
    assert bool(ops.allclose(X, X + 1e-9)) and not bool(ops.allclose(X, X + 1))
    assert ops.ndim(pynn.Input(shape=(3, 2))) == 3


def test_gradients_against_central_differences():
    a, b = X.astype(float) / 2, Y.astype(float) / 2
    for name in ("sinh", "arcsinh", "expm1", "exp2", "sinc", "deg2rad"):
        check_grad(getattr(ops, name), getattr(np, name), [a])
    check_grad(ops.log1p, np.log1p, [np.abs(a)])
    check_grad(ops.arccosh, np.arccosh, [np.abs(a) + 1.5])
    check_grad(ops.arctanh, np.arctanh, [np.tanh(a)])
    check_grad(ops.cbrt, np.cbrt, [a + np.sign(a)])
    check_grad(ops.hypot, np.hypot, [a, b])
    check_grad(ops.logaddexp2, np.logaddexp2, [a, b])
    check_grad(ops.fmax, np.fmax, [a, b])
    check_grad(lambda t: ops.diff(t, 2), lambda t: np.diff(t, 2), [a])
    check_grad(ops.inner, np.inner, [a, b])
    check_grad(ops.vdot, np.vdot, [a, b])
    check_grad(lambda t: ops.diag(t, 1), lambda t: np.diag(t, 1), [a[0]])
    check_grad(lambda t, u: ops.trapezoid(t, x=u, axis=0), lambda t, u: np.trapezoid(t, x=u, axis=0),
               [a, np.cumsum(np.abs(b), axis=0)])
    check_grad(lambda t: ops.heaviside(np.round(X), t), lambda t: np.heaviside(np.round(X), t), [a])


KERAS = {  # name -> function of (ops module, x, y), computed by both libraries
    **{n: (lambda n: lambda o, x, y: getattr(o, n)(x))(n) for n in UNARY},
    "arccosh": lambda o, x, y: o.arccosh(o.abs(x) + 1),
    "arctanh": lambda o, x, y: o.arctanh(x / 10),
    "log1p_small": lambda o, x, y: o.log1p(x * 1e-6),
    "expm1_small": lambda o, x, y: o.expm1(x * 1e-6),
    **{n: (lambda n: lambda o, x, y: getattr(o, n)(x, y))(n)
       for n in ("hypot", "logaddexp2", "fmax", "fmin", "inner", "isclose", "allclose")},
    "heaviside": lambda o, x, y: o.heaviside(o.round(x), y),
    "vdot": lambda o, x, y: o.vdot(x[0], y[1]),
    "diff": lambda o, x, y: o.diff(x, 2, axis=0),
    "fliplr": lambda o, x, y: o.fliplr(x),
    "flipud": lambda o, x, y: o.flipud(x),
    "diag": lambda o, x, y: o.diag(x[0], k=-1),
    "diag_of": lambda o, x, y: o.diag(x, k=1),
    "diagflat": lambda o, x, y: o.diagflat(x[:2, :2]),
    "trapezoid": lambda o, x, y: o.trapezoid(x, dx=0.5, axis=0),
    "isin": lambda o, x, y: o.isin(o.round(x), o.round(y)),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS[name]
    k = keras.ops.convert_to_tensor
    want = keras.ops.convert_to_numpy(fn(keras.ops, k(X), k(Y)))
    got = fn(ops, X, Y).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=2e-6, atol=1e-12)


SYMBOLIC = {  # name -> (op on a (batch, 4) tensor, NumPy reference)
    "expm1": (ops.expm1, np.expm1),
    "hypot": (lambda t: ops.hypot(t, 2.0), lambda x: np.hypot(x, 2.0)),
    "diff": (lambda t: ops.diff(t), lambda x: np.diff(x)),
    "inner": (lambda t: ops.inner(t, np.arange(4.0, dtype=np.float32)),
              lambda x: np.inner(x, np.arange(4.0))),
    "trapezoid": (lambda t: ops.trapezoid(t), lambda x: np.trapezoid(x)),
    "isin": (lambda t: ops.isin(ops.round(t), np.array([0.0, 1.0], np.float32)),
             lambda x: np.isin(np.round(x), [0.0, 1.0])),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    inp = pynn.Input(shape=(4,))
    model = pynn.Model(inp, fn(inp))
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    for bs in (1, 3, 7):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{name} at batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="diff: n must be an int >= 0"):
        ops.diff(X, -1)
    with pytest.raises(ValueError, match="fliplr: x must be at least 2-D"):
        ops.fliplr(X[0])
    with pytest.raises(ValueError, match="inner: the last axes differ"):
        ops.inner(X, X.T)
    with pytest.raises(ValueError, match="vdot: 12 and 4 elements"):
        ops.vdot(X, X[0])
    with pytest.raises(ValueError, match="diag: x must be 1-D or 2-D"):
        ops.diag(X[None])
    with pytest.raises(ValueError, match="trapezoid: x has 3 points for an axis of 4"):
        ops.trapezoid(X, x=[0.0, 1.0, 2.0])
    inp = pynn.Input(shape=(4,))
    with pytest.raises(ValueError, match="diff along axis 0 inside a model"):
        pynn.Model(inp, ops.diff(inp, axis=0)).predict(X, verbose=0)
