"""keras.ops real, imag, conj, conjugate, angle, isreal, polar, copy, array, empty,
empty_like, get_item, dtype, i0, nextafter (pynn/ops/realvalued.py, i0 an engine op
in csrc/core/ops/bessel.c).

Values against NumPy in float64 (numpy.i0 for i0, numpy.nextafter in float32),
Keras' own cases (keras/src/ops/numpy_test.py::NumpyOneInputOpsCorrectnessTest::
test_i0, test_angle, test_isreal, test_real, test_imag, test_copy;
NumpyTwoInputOpsCorrectnessTest::test_nextafter), side by side with keras.ops on
the torch backend, gradients against central differences, traced models, and
the refusals of complex results."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(5)
X = np.array([[-2.5, -0.0, 0.0, 0.7], [3.0, -1e-30, 91.0, -91.5]], np.float32)
Z = np.array([[1 + 2j, -3j, 4.5], [2 + 0j, -1 - 1j, 0j]])


VALUES = {  # name -> (pynn result, NumPy reference)
    "real": (lambda: ops.real(X), lambda: np.real(X)),
    "real_complex": (lambda: ops.real(Z), lambda: np.real(Z)),
    "imag": (lambda: ops.imag(X), lambda: np.imag(X)),
    "imag_complex": (lambda: ops.imag(Z), lambda: np.imag(Z)),
    "conj": (lambda: ops.conj(X), lambda: np.conj(X)),
    "conjugate": (lambda: ops.conjugate(X), lambda: np.conjugate(X)),
    "angle": (lambda: ops.angle(X[:, [0, 2, 3]]), lambda: np.angle(X[:, [0, 2, 3]])),
    "angle_nan": (lambda: ops.angle(np.array([np.nan, -np.inf], np.float32)),
                  lambda: np.angle(np.array([np.nan, -np.inf]))),
    "angle_complex": (lambda: ops.angle(Z), lambda: np.angle(Z)),
    "isreal": (lambda: ops.isreal(np.array([1.0, np.nan, np.inf], np.float32)),
               lambda: np.isreal(np.array([1.0, np.nan, np.inf]))),
    "isreal_complex": (lambda: ops.isreal(Z), lambda: np.isreal(Z)),
    "copy": (lambda: ops.copy(X), lambda: np.copy(X)),
    "array": (lambda: ops.array([[1, 2], [3, 4]]), lambda: np.array([[1, 2], [3, 4]])),
    "empty": (lambda: ops.empty((2, 3)), lambda: np.zeros((2, 3))),
    "empty_like": (lambda: ops.empty_like(X), lambda: np.zeros_like(X)),
    "get_item": (lambda: ops.get_item(X, (1, slice(None, None, 2))), lambda: X[1, ::2]),
    "get_item_array": (lambda: ops.get_item(X, np.array([1, 0, 1])), lambda: X[[1, 0, 1]]),
    "i0": (lambda: ops.i0(X[:, :3]), lambda: np.i0(X[:, :3].astype(np.float64))),
    "i0_grid": (lambda: ops.i0(np.linspace(-91, 91, 365).astype(np.float32)),
                lambda: np.i0(np.linspace(-91, 91, 365).astype(np.float32).astype(np.float64))),
    "nextafter": (lambda: ops.nextafter(X, np.float32(1)), lambda: np.nextafter(X, np.float32(1))),
    "nextafter_broadcast": (lambda: ops.nextafter(np.float32(0), X),
                            lambda: np.nextafter(np.float32(0), X)),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    got, want = (fn() for fn in VALUES[name])
    want = np.asarray(want)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want.astype(np.float64), rtol=2e-7, atol=0)


def test_bits_and_memory():
    c = ops.copy(X).numpy()
    assert not np.shares_memory(c, X)
    np.testing.assert_array_equal(np.signbit(c), np.signbit(X))  # -0 stays -0
    assert ops.nextafter(np.float32(1), np.float32(2)).numpy() == np.float32(1 + 2 ** -23)
    # scalars stay 0-d
    assert ops.nextafter(np.float32(1), np.float32(2)).shape == () == ops.real(np.complex64(2j)).shape
    assert ops.nextafter(np.float32(0), np.float32(-1)).numpy() == -np.float32(1e-45)
    # i0 is inf beyond float32, even, NaN for NaN
    big = ops.i0(np.array([-92.0, 92.0, 1e30, np.inf, np.nan], np.float32)).numpy()
    assert np.all(np.isinf(big[:4]) & (big[:4] > 0)) and np.isnan(big[4])
    assert ops.dtype(pynn.ops.zeros((8, 12))) == "float32"
    assert ops.dtype(np.arange(3)) == "int64" and ops.dtype(np.ones(2, np.float16)) == "float16"
    t = pynn.Tensor(X)
    assert ops.view(t) is t and ops.view(t, "float32") is t


def test_view_as_real_and_eig():
    # keras/src/ops/math.py docstring of view_as_real
    np.testing.assert_array_equal(ops.view_as_real(np.array([1 + 2j, 3 + 4j])).numpy(),
                                  [[1, 2], [3, 4]])
    np.testing.assert_array_equal(ops.view_as_real(Z).numpy(), np.stack([Z.real, Z.imag], -1))
    a = RNG.normal(size=(3, 4, 4))
    a = a @ np.swapaxes(a, -1, -2) + np.eye(4)  # symmetric: real eigenvalues
    a[:, 0, 1] += 0.3  # no longer symmetric, eigenvalues still real here
    w, v = ops.eig(a.astype(np.float32))
    assert np.isrealobj(np.linalg.eigvals(a))
    np.testing.assert_allclose(np.sort(w.numpy(), -1), np.sort(np.linalg.eigvals(a).real, -1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a @ v.numpy(), v.numpy() * w.numpy()[:, None, :], rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(v.numpy(), axis=-2), 1, rtol=1e-5)
    assert ops.linalg.eig is ops.eig
    keras = keras_or_skip()
    kw = keras.ops.convert_to_numpy(keras.ops.eig(a[0].astype(np.float32))[0])
    np.testing.assert_allclose(np.sort(w.numpy()[0]), np.sort(kw.real), rtol=1e-5)


def test_numpy_namespace_is_keras_ops_numpy():
    keras = keras_or_skip()
    names = [n for n in dir(keras.ops.numpy) if not n.startswith("_")]
    assert sorted(ops.numpy.__all__) == sorted(names)
    for n in names:  # the same (symbolic-aware) functions as pynn.ops
        assert getattr(ops.numpy, n) is getattr(ops, n), n


def test_keras_own_cases():
    # numpy_test.py::NumpyOneInputOpsCorrectnessTest::test_i0
    for x in (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([-1.0, -2.0, 0.5])):
        np.testing.assert_allclose(ops.i0(x).numpy(), np.i0(x), rtol=1e-6)
    # test_angle, test_isreal (real and complex), test_real, test_imag, test_copy
    x = np.array([[1, 0.5, -0.7], [0.9, 0.2, -1]])
    np.testing.assert_allclose(ops.angle(x).numpy(), np.angle(x), rtol=1e-7)
    z = np.array([1 + 1j, 1 + 0j, 4.5, 3, 2, 2j], dtype=complex)
    np.testing.assert_array_equal(ops.isreal(z).numpy(), np.isreal(z))
    np.testing.assert_array_equal(ops.isreal(np.array([1.0, 2.0, 3.0])).numpy(), [1, 1, 1])
    z = np.array([[1, 2, 3 - 3j], [3, 2, 1 + 5j]])
    np.testing.assert_array_equal(ops.real(z).numpy(), np.real(z))
    z = np.array([[1 + 1j, 2 + 2j, 3 + 3j], [3 + 3j, 2 + 2j, 1 + 1j]])
    np.testing.assert_array_equal(ops.imag(z).numpy(), np.imag(z))
    x = np.array([[1, 2, 3], [3, 2, 1]])
    np.testing.assert_array_equal(ops.copy(x).numpy(), np.copy(x))
    # NumpyTwoInputOpsCorrectnessTest::test_nextafter (integers, here as float32)
    x, y = np.array([[1, 2, 3], [3, 2, 1]]), np.array([[4, 5, 6], [3, 2, 1]])
    np.testing.assert_allclose(ops.nextafter(x, y).numpy(), np.nextafter(x, y), rtol=1e-6)


KERAS = {  # (not imag: Keras' torch backend raises for real input, NumPy gives zeros, as pynn)
    "real": lambda o: o.real(X), "conj": lambda o: o.conj(X),
    "conjugate": lambda o: o.conjugate(X), "angle": lambda o: o.angle(X[:, [0, 2, 3]]),
    "isreal": lambda o: o.isreal(X), "copy": lambda o: o.copy(X),
    "array": lambda o: o.array(X), "empty_like_shape": lambda o: o.zeros_like(o.empty_like(X)),  # its values are garbage (NaN * 0 is NaN)
    "get_item": lambda o: o.get_item(X, 1), "i0": lambda o: o.i0(X[:, :3] * 10),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    want = np.asarray(keras.ops.convert_to_numpy(KERAS[name](keras.ops)))
    got = KERAS[name](ops).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=2e-6)
    assert ops.dtype(X) == keras.ops.dtype(X)


def test_gradients_against_central_differences():
    x = (RNG.normal(size=(2, 4)) * 4).astype(np.float64)
    check_grad(ops.i0, np.i0, [x], rtol=1e-4)
    check_grad(ops.real, np.real, [x])
    check_grad(ops.conj, np.conj, [x])
    check_grad(ops.copy, np.copy, [x])
    check_grad(lambda t: ops.get_item(t, (slice(None), np.array([3, 0, 3]))),
               lambda a: a[:, [3, 0, 3]], [x])
    # imag, angle and isreal are constant on the reals: zero gradient
    for fn in (ops.imag, ops.angle, ops.isreal):
        t = pynn.Tensor(x.astype(np.float32), requires_grad=True)
        ops.sum(fn(t) + t).backward()
        np.testing.assert_array_equal(t.grad, np.ones_like(x))


@pytest.mark.parametrize("name, fn, ref", [
    ("i0", ops.i0, np.i0),
    ("angle", ops.angle, np.angle),
    ("copy", ops.copy, np.copy),
    ("real", lambda t: ops.real(t) * 2.0, lambda x: 2 * x),
    ("imag", lambda t: ops.imag(t) + t, lambda x: x),
    ("isreal", lambda t: ops.isreal(t) - t, lambda x: 1 - x),
])
def test_traced_into_a_model_at_every_batch_size(name, fn, ref):
    x = (RNG.normal(size=(5, 3)) * 3).astype(np.float32)
    inp = pynn.Input(shape=(3,))
    model = pynn.Model(inp, fn(inp))
    for bs in (1, 2, 5):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0),
                                   ref(x.astype(np.float64)), rtol=2e-6, atol=1e-7,
                                   err_msg=f"{name} at batch size {bs}")


@pytest.mark.parametrize("call, match", [
    (lambda: ops.conj(Z), "conj: pynn tensors are float32"),
    (lambda: ops.conjugate(Z), "conjugate: pynn tensors are float32"),
    (lambda: ops.polar(np.ones(2), np.zeros(2)), "polar: its result is complex"),
    (lambda: ops.array(X, dtype="int32"), "array: pynn tensors are float32"),
    (lambda: ops.view_as_complex(X), "view_as_complex: its result is complex"),
    (lambda: ops.eig(np.array([[0.0, -1.0], [1.0, 0.0]])), "eig: the eigenvalues are complex"),
    (lambda: ops.eig(X), r"eig: expected square matrices"),
    (lambda: ops.view(X, "int32"), r"view: .* x.numpy\(\).view\('int32'\)"),
    (lambda: ops.nextafter(X, np.ones(3)), r"nextafter: shapes \(2, 4\) and \(3,\)"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nextafter_refuses_inside_a_traced_model():
    inp = pynn.Input(shape=(3,))
    with pytest.raises(ValueError, match="nextafter is eager only"):
        pynn.Model(inp, ops.nextafter(inp, 1.0)).predict(np.ones((2, 3), np.float32), verbose=0)
