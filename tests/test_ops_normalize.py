"""keras.ops.normalize (pynn.ops.normalize, also ops.nn.normalize): values against a float64
NumPy reference for several orders and axes, gradients by central differences, the zero
vector, bad arguments, inside a model, and Keras 3 side by side."""
import os

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


def _reference(x, axis=-1, order=2, eps=1e-7):
    if order == 2:  # Keras: x * rsqrt(max(sum(x**2), eps**2))
        return x / np.sqrt(np.maximum((x * x).sum(axis, keepdims=True), eps * eps))
    norm = (np.abs(x) ** order).sum(axis, keepdims=True) ** (1.0 / order)
    return x / np.maximum(norm, eps)


X = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_values_and_gradients_match_the_reference(order, axis):
    check_grad(lambda x: ops.normalize(x, axis=axis, order=order),
               lambda x: _reference(x, axis, order), [X])


def test_unit_norm_and_the_namespaces():
    y = ops.nn.normalize(X, axis=1).numpy()
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, rtol=1e-6)
    assert ops.nn.normalize is ops.normalize
    np.testing.assert_allclose(ops.normalize(np.float32(-2.0)).numpy(), [-1.0])  # a scalar: (1,)


def test_zero_vector_stays_zero_with_a_finite_gradient():
    x = pynn.Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    y = ops.normalize(x, axis=-1)
    assert not y.numpy().any()
    ops.sum(y).backward()
    assert np.isfinite(x.grad).all()
    # the floor is epsilon: tiny vectors are divided by it, not blown up to unit length
    tiny = np.array([[3e-8, 4e-8]], np.float32)
    np.testing.assert_allclose(ops.normalize(tiny).numpy(), tiny / 1e-7, rtol=1e-5)
    np.testing.assert_allclose(ops.normalize(tiny, epsilon=1e-9).numpy(), [[0.6, 0.8]], rtol=1e-5)


@pytest.mark.parametrize("order", [0, -1, 2.0, "fro", True])
def test_bad_order_names_the_op(order):
    with pytest.raises(ValueError, match="normalize: `order` must be an int >= 1"):
        ops.normalize(X, order=order)


def test_bad_axis_names_the_op():
    with pytest.raises(ValueError, match="normalize: axis 2 is out of range"):
        ops.normalize(X, axis=2)


def test_inside_a_model_it_trains():
    inp = pynn.Input((4,))
    out = pynn.layers.Lambda(lambda t: ops.normalize(t, axis=-1))(pynn.layers.Dense(3)(inp))
    model = pynn.Model(inp, out)
    k, b = model.get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), _reference(X @ k + b),
                               rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    target = _reference(np.ones((3, 3), np.float32))
    h = model.fit(X, target, epochs=20, verbose=0).history["loss"]
    assert h[-1] < h[0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("order, axis", [(2, -1), (2, 0), (1, -1), (3, 1)])
def test_matches_keras(order, axis):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("these comparisons use Keras' torch backend")
    x = np.concatenate([X, np.zeros((1, 4), np.float32)])  # a zero row too
    want = np.asarray(keras.ops.convert_to_numpy(keras.ops.normalize(x, axis=axis, order=order)))
    np.testing.assert_allclose(ops.normalize(x, axis=axis, order=order).numpy(), want,
                               rtol=1e-6, atol=1e-7)
