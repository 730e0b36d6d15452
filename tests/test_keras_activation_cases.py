"""keras.activations' functions on pynn, as keras/src/activations/activations_test.py
(keras-team/keras at 3422977a) checks them: each against the installed Keras 3 (torch
backend) on the same random input, through ``pynn.activations.<name>``, through
``pynn.activations.get(name)`` and as a Dense layer's ``activation=`` (skipped
cleanly where Keras is not usable)."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

X = np.random.default_rng(3).normal(scale=2.0, size=(2, 6)).astype(np.float32)  # glu halves it

# every name keras.activations exports, with a (x, **kwargs) case where the function
# needs arguments (ActivationsTest.test_threshold: threshold=0.5, default_value=-1)
NAMES = ["relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus",
         "softsign", "squareplus", "soft_shrink", "sparse_plus", "silu", "swish", "gelu",
         "glu", "tanh", "tanh_shrink", "sigmoid", "sparse_sigmoid", "exponential",
         "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink", "linear",
         "mish", "log_softmax", "log_sigmoid", "sparsemax"]


@pytest.mark.parametrize("name", NAMES)
def test_activation_matches_keras(name):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(keras.activations.get(name)(keras.ops.convert_to_tensor(X)))
    for fn in (getattr(pynn.activations, name), pynn.activations.get(name)):
        got = fn(pynn.Tensor(X))
        np.testing.assert_allclose(got.numpy() if hasattr(got, "numpy") else got, want,
                                   rtol=1e-5, atol=1e-6)


def test_threshold_matches_keras():
    # ActivationsTest.test_threshold
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(keras.activations.threshold(X, 0.5, -1.0))
    np.testing.assert_allclose(pynn.activations.threshold(pynn.Tensor(X), 0.5, -1.0).numpy(),
                               want, rtol=1e-6)


@pytest.mark.parametrize("name", ["mish", "celu", "log_sigmoid", "exponential", "hard_tanh"])
def test_dense_layer_takes_the_name(name):
    layer = pynn.layers.Dense(3, activation=name)
    out = layer(pynn.Tensor(X)).numpy()
    pre = X @ np.asarray(layer.kernel) + np.asarray(layer.bias)
    want = getattr(pynn.activations, name)(pynn.Tensor(pre.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert pynn.activations.serialize(layer.activation) == name


# ActivationsTest.test_relu_negative_slope / _max_value / _threshold /
# _combined_threshold_and_max_value / _combined_all_parameters / _to_trigger_relu6 /
# _to_trigger_leaky: keras.activations.relu's options
RELU_OPTIONS = [{"negative_slope": 0.5}, {"max_value": 5.0}, {"threshold": 0.5},
                {"threshold": 0.5, "max_value": 5.0},
                {"negative_slope": 0.5, "max_value": 5.0, "threshold": 0.5},
                {"max_value": 6.0}, {"negative_slope": 0.1}]


@pytest.mark.parametrize("kwargs", RELU_OPTIONS, ids=[str(k) for k in RELU_OPTIONS])
def test_relu_options_match_keras(kwargs):
    keras = keras_or_skip()
    x = np.random.default_rng(1).normal(scale=4.0, size=(3, 7)).astype(np.float32)
    want = keras.ops.convert_to_numpy(keras.activations.relu(keras.ops.convert_to_tensor(x),
                                                             **kwargs))
    np.testing.assert_allclose(pynn.activations.relu(pynn.Tensor(x), **kwargs).numpy(), want,
                               rtol=1e-6, atol=1e-6)


def test_relu_with_defaults_is_the_fused_relu():
    layer = pynn.layers.Dense(2, activation=pynn.activations.relu)
    assert pynn.activations.fused_name(layer.activation) == "relu"
    assert pynn.activations.serialize(pynn.activations.relu) == "relu"
    assert pynn.activations.get("relu") is pynn.ops.relu
