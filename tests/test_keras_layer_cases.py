"""Keras 3's own layer test cases, ported (session 8). Each test cites the Keras file it
comes from (keras-team/keras, keras/src/layers/...); where pynn differed it was a pynn
bug, fixed here, and the case failed before:

- reshaping/reshape_test.py: Reshape((-2, 5)) was accepted (now Keras' ValueError);
  Reshape((-1, 8)) after an input with a None dimension raised numpy's TypeError
- reshaping/cropping1d_test.py, cropping2d_test.py: cropping as large as the input was
  accepted on symbolic inputs (output length 0 or negative, e.g. (None, -2, 9, 5))
- reshaping/repeat_vector_test.py: a non-integer n is a TypeError in Keras (was ValueError)
- reshaping/flatten_test.py: Flatten(data_format=...) was refused; Flatten of a None
  dimension raised numpy's TypeError
- activations/softmax_test.py: Softmax(mask=...) was refused
- activations/relu_test.py: ReLU with a threshold, or max_value and negative_slope
  together, was refused
- functional Input(batch_shape=...) (used throughout Keras' tests) was a TypeError
"""
import numpy as np
import pytest

import pynn
from pynn import layers

from gradcheck import check_grad
from keras_ref import keras_or_skip


# ------------------------------------------------------------ reshaping/reshape_test.py
def test_reshape_rejects_invalid_target_shape():
    # test_reshape_rejects_invalid_target_shape
    with pytest.raises(ValueError, match="non-negative integer.*-1.*target_shape=\\(-2, 5\\)"):
        layers.Reshape(target_shape=(-2, 5))
    with pytest.raises(ValueError, match="at most one unknown dimension.*target_shape=\\(-1, -1, 5\\)"):
        layers.Reshape(target_shape=(-1, -1, 5))
    with pytest.raises(ValueError, match="non-negative integer"):
        layers.Reshape(target_shape=(2.5, 2))  # was truncated to (2, 2)


def test_reshape_with_varying_input_size_and_minus_one():
    # test_reshape_layer_with_varying_input_size_and_minus_one
    layer = layers.Reshape((-1, 8))
    assert layer(np.ones((1, 6, 4), np.float32)).shape == (1, 3, 8)
    assert layer(np.ones((1, 10, 4), np.float32)).shape == (1, 5, 8)
    # test_reshape_with_dynamic_batch_size
    assert layers.Reshape((8,))(pynn.Input(shape=(2, 4))).shape == (None, 8)


@pytest.mark.filterwarnings("ignore:Model .* has no trainable weights")
def test_reshape_model_with_a_none_dimension_and_minus_one():
    # test_reshape_with_dynamic_dim_and_minus_one,
    # test_reshape_model_fit_with_varying_input_size_and_minus_one
    inp = pynn.Input(shape=(None, 2))
    assert layers.Reshape((-1, 8))(inp).shape == (None, None, 8)
    model = pynn.Sequential([pynn.Input(shape=(None, 2)), layers.Reshape((-1, 8))])
    model.compile(loss="mean_squared_error")
    model.fit(np.ones((1, 12, 2), np.float32), np.zeros((1, 3, 8), np.float32), verbose=0)
    for seq_len, first in [(12, 3), (20, 5), (24, 6)]:
        x = np.random.default_rng(seq_len).standard_normal((1, seq_len, 2)).astype(np.float32)
        out = np.asarray(model(x))
        assert out.shape == (1, first, 8)
        np.testing.assert_array_equal(out, x.reshape(1, first, 8))
    with pytest.raises(ValueError, match="cannot reshape per-sample shape \\(5, 2\\)"):
        model(np.ones((1, 5, 2), np.float32))


# ------------------------------------------------------------ cropping1d/2d_test.py
def test_cropping_1d_errors_if_cropping_argument_invalid():
    for cropping in [(1,), (1, 2, 3), "1"]:
        with pytest.raises(ValueError):
            layers.Cropping1D(cropping=cropping)


@pytest.mark.parametrize("symbolic", [True, False])
def test_cropping_1d_errors_if_cropping_more_than_available(symbolic):
    # test_cropping_1d_errors_if_cropping_more_than_available (symbolic, crop == length),
    # test_cropping_1d_error_on_excessive_cropping (eager)
    x = pynn.Input(shape=(5, 7)) if symbolic else np.random.rand(3, 5, 7)
    for cropping in [(2, 3), (3, 3)]:
        with pytest.raises(ValueError, match="must be smaller than"):
            layers.Cropping1D(cropping=cropping)(x)
    assert layers.Cropping1D((2, 2))(x).shape[1] == 1
    assert layers.Cropping1D((2, 3))(pynn.Input(shape=(None, 7))).shape == (None, None, 7)


@pytest.mark.parametrize("cropping", [((3, 6), (0, 0)), ((0, 0), (5, 4))])
def test_cropping_2d_errors_if_cropping_more_than_available(cropping):
    with pytest.raises(ValueError, match="must be smaller than"):
        layers.Cropping2D(cropping=cropping)(pynn.Input(shape=(7, 9, 5)))


@pytest.mark.parametrize("cropping", [((4, 5), (0, 0)), ((0, 0), (5, 5)), ((6, 3), (0, 0)),
                                      ((0, 0), (7, 3))])
def test_cropping_2d_error_on_excessive_cropping(cropping):
    with pytest.raises(ValueError, match="smaller than"):
        layers.Cropping2D(cropping=cropping)(np.random.rand(3, 8, 9, 5))


def test_cropping_and_padding_2d_errors_if_argument_invalid():
    for bad in [(1,), (1, 2, 3), "1", ((1, 2), (3, 4, 5)), ((1, 2), (3, -4)), ((1, 2), "3")]:
        with pytest.raises(ValueError):
            layers.Cropping2D(cropping=bad)
        with pytest.raises(ValueError):  # zero_padding2d_test.py
            layers.ZeroPadding2D(bad)


# ------------------------------------------------------------ repeat_vector_test.py
def test_repeat_vector_with_invalid_n():
    for n in ["3", 3.5, [3]]:
        with pytest.raises(TypeError, match="integer value for `n`"):
            layers.RepeatVector(n=n)
    for n in (0, -3):
        with pytest.raises(ValueError, match="positive integer"):
            layers.RepeatVector(n=n)
    assert layers.RepeatVector(n=3)(pynn.Input(batch_shape=(None, 5))).shape == (None, 3, 5)


# ------------------------------------------------------------ flatten_test.py
def test_flatten_channels_first_is_channels_last_order():
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    # Keras' test_flatten: channels_first transposes to channels-last before flattening
    want = np.reshape(np.transpose(x, (0, 2, 3, 1)), (-1, 24))
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(x).numpy(), want)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, 24))
    # test_flatten_with_scalar_channels
    assert layers.Flatten()(np.ones((2,), np.float32)).shape == (2, 1)
    with pytest.raises(ValueError, match="data_format"):
        layers.Flatten(data_format="channels_middle")
    cfg = layers.Flatten(data_format="channels_first").get_config()
    assert cfg["data_format"] == "channels_first"
    assert layers.Flatten.from_config(cfg).data_format == "channels_first"


def test_flatten_symbolic_with_dynamic_dimension():
    # test_flatten_symbolic_with_dynamic_batch_size / _dimension
    assert layers.Flatten()(pynn.Input(batch_shape=(None, 2, 3))).shape == (None, 6)
    assert layers.Flatten()(pynn.Input(shape=(2, None))).shape == (None, None)
    model = pynn.Sequential([pynn.Input(shape=(None, 3)), layers.Flatten()])
    assert model(np.ones((2, 4, 3), np.float32)).shape == (2, 12)


def test_input_batch_shape():
    assert pynn.Input(batch_shape=(None, 5, 3)).shape == (None, 5, 3)
    assert pynn.Input(batch_shape=(4, 2)).batch_size == 4
    with pytest.raises(ValueError, match="shape or batch_shape, not both"):
        pynn.Input(shape=(2,), batch_shape=(None, 2))
    with pytest.raises(ValueError, match="disagree"):
        pynn.Input(batch_shape=(3, 2), batch_size=4)


# ------------------------------------------------------------ activations
SOFTMAX_X = np.linspace(-3, 8, 45).astype(np.float32).reshape(5, 9)


def test_softmax_with_a_mask_is_keras_formula():
    # softmax_test.py test_softmax_masked: masked positions -1e9 before, 0 after
    mask = np.array([[1, 1, 0, 1, 0, 0, 1, 1, 1]] * 5, bool)
    mask[2] = False  # a fully masked row is zeros, not uniform
    x = SOFTMAX_X.astype(np.float64)
    e = np.where(mask, np.exp(x - np.where(mask, x, -np.inf).max(1, keepdims=True)), 0.0)
    with np.errstate(invalid="ignore"):
        want = np.nan_to_num(e / e.sum(1, keepdims=True))
    got = layers.Softmax()(SOFTMAX_X, mask=mask).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.all(got[2] == 0)
    # a float mask is kept where > 0.5, and broadcasts (one value per row)
    rows = np.array([[1.0], [0.0], [0.7], [1.0], [0.2]], np.float32)
    got = layers.Softmax()(SOFTMAX_X, mask=rows).numpy()
    np.testing.assert_allclose(got[[0, 2, 3]], layers.Softmax()(SOFTMAX_X).numpy()[[0, 2, 3]],
                               rtol=1e-6)
    assert np.all(got[[1, 4]] == 0)
    with pytest.raises(ValueError, match="mask must broadcast"):
        layers.Softmax()(SOFTMAX_X, mask=np.ones((5, 4), bool))


def test_softmax_mask_gradient():
    mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1]], bool)

    def ref(a):
        e = np.where(mask, np.exp(a - a.max(1, keepdims=True)), 0.0)
        return e / e.sum(1, keepdims=True)

    x = np.random.default_rng(4).standard_normal((3, 4))
    check_grad(lambda t: layers.Softmax()(t, mask=mask), ref, [x])


RELU_CASES = [dict(max_value=6.0, negative_slope=0.1, threshold=1.0), dict(threshold=1.5),
              dict(negative_slope=0.2, threshold=2.0), dict(max_value=4.0, negative_slope=0.3),
              dict(max_value=0.5, threshold=1.0)]


def _relu_ref(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras 3's ReLU.static_call in float64."""
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize("kw", RELU_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_relu_threshold_and_capped_leaky_are_keras_formula(kw):
    # relu_test.py test_relu_correctness / test_normal_relu_correctness
    np.testing.assert_allclose(layers.ReLU(**kw)(SOFTMAX_X).numpy(), _relu_ref(SOFTMAX_X, **kw),
                               rtol=1e-6, atol=1e-6)
    # gradients away from the kinks (threshold, 0, max_value)
    x = np.array([[-2.3, -0.4, 0.7, 1.3, 2.6, 3.4, 5.2, 7.1]])
    check_grad(lambda t: layers.ReLU(**kw)(t), lambda a: _relu_ref(a, **kw), [x])


def test_relu_invalid_arguments():
    # relu_test.py test_invalid_usage
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-10)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.ReLU(negative_slope=-10)
    with pytest.raises(ValueError, match="threshold"):
        layers.ReLU(threshold=-10)


def test_new_options_match_keras_side_by_side():
    keras = keras_or_skip()
    for kw in RELU_CASES:
        np.testing.assert_array_equal(layers.ReLU(**kw)(SOFTMAX_X).numpy(),
                                      np.asarray(keras.layers.ReLU(**kw)(SOFTMAX_X)))
    mask = SOFTMAX_X > 1.0
    np.testing.assert_allclose(layers.Softmax()(SOFTMAX_X, mask=mask).numpy(),
                               np.asarray(keras.layers.Softmax()(SOFTMAX_X, mask=mask)),
                               rtol=1e-6, atol=1e-7)
    x = np.arange(48, dtype=np.float32).reshape(2, 3, 4, 2)
    np.testing.assert_array_equal(
        layers.Flatten(data_format="channels_first")(x).numpy(),
        np.asarray(keras.layers.Flatten(data_format="channels_first")(x)))
    with pytest.raises(ValueError):
        keras.layers.Reshape((-2, 5))
