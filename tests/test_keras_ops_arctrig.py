"""keras.ops' inverse trigonometric functions (arctan, arcsin, arccos, arctan2) and
erfc, erfinv: engine ops (csrc/core/ops/arctrig.c, erf_more.c).

Values against float64 NumPy / SciPy, including Keras' own cases
(keras/src/ops/numpy_test.py::NumpyDtypeTest... test_arctan2's quadrant table,
keras/src/ops/math_test.py::test_erfc_operation_basic / test_erfinv_operation_*);
side by side with keras.ops on Keras 3's torch backend; gradients against central
differences; the ops traced into a compiled model; bad input named."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

scipy_special = pytest.importorskip("scipy.special")

RNG = np.random.default_rng(71)
UNIT = np.array([-1.0, -0.999, -0.5, -1e-6, 0.0, 3e-7, 0.25, 0.9, 1.0], np.float32)
WIDE = np.array([-1e30, -50.0, -1.0, -1e-7, 0.0, 1e-7, 2.0, 1e20, np.inf, -np.inf], np.float32)

REFERENCE = {  # name -> (arguments, float64 reference)
    "arctan": (WIDE, np.arctan),
    "arcsin": (np.append(UNIT, [1.5, -2.0]).astype(np.float32), np.arcsin),
    "arccos": (np.append(UNIT, [1.5, -2.0]).astype(np.float32), np.arccos),
    "erfc": (np.array([-30, -3, -1, -1e-5, 0, 1e-5, 1, 3, 5, 9, np.inf], np.float32),
             scipy_special.erfc),
    "erfinv": (np.append(UNIT, [0.9999999, -0.99999994, 1.5, np.nan]).astype(np.float32),
               scipy_special.erfinv),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_float64_reference_to_float32_precision(name):
    x, ref = REFERENCE[name]
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    got = getattr(ops, name)(x).numpy()
    assert got.dtype == np.float32 and got.shape == x.shape
    # relative precision everywhere, the right tail of erfc (1.4e-36 at 9) included
    np.testing.assert_allclose(got, want, rtol=3e-7 if name != "erfc" else 2e-6, atol=0)


def test_keras_erf_cases():
    # keras/src/ops/math_test.py: erfc and erfinv on [-3 .. 3] and 1e5 / 1e-5 edges,
    # against scipy at atol 1e-4 (erfinv outside [-1, 1] is NaN on both sides)
    basic = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], np.float32)
    edge = np.array([1e5, -1e5, 1e-5, -1e-5], np.float32)
    for x in (basic, edge):
        np.testing.assert_allclose(ops.erfc(x).numpy(), scipy_special.erfc(x.astype(float)),
                                   atol=1e-4)
        np.testing.assert_allclose(ops.erfinv(x).numpy(), scipy_special.erfinv(x.astype(float)),
                                   atol=1e-4)


def test_arctan2_quadrants_and_broadcasting():
    # keras/src/ops/numpy_test.py::test_arctan2: every quadrant, the axes and the origin
    a = np.array([0.0, 0.0, 0.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0], np.float32)
    b = np.array([0.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.0, 0.0], np.float32)
    np.testing.assert_allclose(ops.arctan2(a, b).numpy(), np.arctan2(a, b.astype(float)),
                               rtol=1e-7)
    # signed zeros pick the half-plane, as in NumPy: atan2(+-0, -1) = +-pi
    z = np.array([0.0, -0.0], np.float32)
    np.testing.assert_array_equal(ops.arctan2(z, np.float32(-1)).numpy(),
                                  np.arctan2(z, np.float32(-1)))
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32)
    y = np.array([[4.0, 5.0, 6.0], [3.0, 2.0, 1.0]], np.float32)
    np.testing.assert_allclose(ops.arctan2(x, y).numpy(), np.arctan2(x, y.astype(float)),
                               rtol=1e-7)
    col, row = RNG.normal(size=(3, 1)), RNG.normal(size=(2, 1, 4))
    got = ops.arctan2(col.astype(np.float32), row.astype(np.float32)).numpy()
    assert got.shape == (2, 3, 4)
    np.testing.assert_allclose(got, np.arctan2(np.float32(col), np.float32(row)), rtol=1e-6)


def test_gradients_against_central_differences():
    u = RNG.uniform(-0.9, 0.9, size=(3, 4))
    check_grad(ops.arctan, np.arctan, [RNG.normal(size=(3, 4)) * 3])
    check_grad(ops.arcsin, np.arcsin, [u])
    check_grad(ops.arccos, np.arccos, [u])
    check_grad(ops.erfc, scipy_special.erfc, [RNG.normal(size=(3, 4))])
    check_grad(ops.erfinv, scipy_special.erfinv, [u])
    # arctan2 with both operands broadcast: the gradients sum over the repeated axes
    check_grad(ops.arctan2, np.arctan2, [RNG.normal(size=(3, 1)), RNG.normal(size=(2, 1, 4))])
    check_grad(ops.arctan2, np.arctan2, [RNG.normal(size=(3, 4)), RNG.normal(size=(4,)) + 2])


def test_gradient_edges_follow_torch():
    t = pynn.Tensor(np.array([1e10, -1e18], np.float32), requires_grad=True)
    ops.sum(ops.arctan(t)).backward()
    np.testing.assert_allclose(t.grad, 1 / (1 + np.float32([1e10, -1e18]).astype(float) ** 2),
                               rtol=1e-6)
    # at 3e30 and 4e30 the float32 squares would overflow (gradient 0); the double ones do not
    y = pynn.Tensor(np.array([0.0, 3e30], np.float32), requires_grad=True)
    x = pynn.Tensor(np.array([0.0, 4e30], np.float32), requires_grad=True)
    ops.sum(ops.arctan2(y, x)).backward()
    # the origin has no derivative: 0 there, as torch.atan2's backward gives
    np.testing.assert_allclose(y.grad, [0.0, 4e30 / 25e60], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [0.0, -3e30 / 25e60], rtol=1e-6)
    s = pynn.Tensor(np.array([1.0, -1.0], np.float32), requires_grad=True)
    ops.sum(ops.arcsin(s)).backward()
    assert np.all(s.grad == np.inf)  # torch.asin's gradient at +-1


KERAS = {  # name -> function of (ops module, x, y) computed by both libraries
    "arctan": lambda o, x, y: o.arctan(x * 3),
    "arcsin": lambda o, x, y: o.arcsin(o.tanh(x)),
    "arccos": lambda o, x, y: o.arccos(o.tanh(x)),
    "arctan2": lambda o, x, y: o.arctan2(x, y[:1]),
    "erfc": lambda o, x, y: o.erfc(x * 2),
    "erfinv": lambda o, x, y: o.erfinv(o.tanh(x)),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    y = RNG.normal(size=(3, 4)).astype(np.float32)
    k = keras.ops.convert_to_tensor
    want = keras.ops.convert_to_numpy(KERAS[name](keras.ops, k(x), k(y)))
    got = KERAS[name](ops, x, y).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFERENCE) + ["arctan2"])
def test_traced_into_a_model_at_every_batch_size(name):
    inp = pynn.Input(shape=(4,))
    if name == "arctan2":
        out, ref = ops.arctan2(inp, np.float32([1.0, -1.0, 2.0, -0.5])), \
            lambda v: np.arctan2(v, [1.0, -1.0, 2.0, -0.5])
    else:
        out, ref = getattr(ops, name)(ops.tanh(inp)), \
            lambda v: REFERENCE[name][1](np.tanh(v))
    model = pynn.Model(inp, out)
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    for bs in (1, 3, 7):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{name} at batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="arctan2: .*"):
        ops.arctan2(np.ones((2, 3), np.float32), np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"arctan2: .*\(2,\) and \(3,\)"):
        ops.arctan2([1.0, 2.0], [1.0, 2.0, 3.0])
