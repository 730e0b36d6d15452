"""gelu's defaults as Keras 3's (issue #13): ``keras.ops.gelu`` / ``keras.ops.nn.gelu``
use the tanh approximation by default, ``keras.activations.gelu`` — and so a layer's
``activation="gelu"`` — the exact erf form (keras/src/ops/nn.py and
keras/src/activations/activations.py; https://keras.io/api/ops/nn/#gelu-function,
https://keras.io/api/layers/activations/#gelu-function). Side by side with Keras 3
on its torch backend where installed."""
import math

import numpy as np
import pytest

import pynn
from pynn import layers, ops
from keras_ref import keras_or_skip

X = np.linspace(-4, 4, 33, dtype=np.float32).reshape(3, 11)
XD = X.astype(np.float64)
EXACT = 0.5 * XD * (1 + np.vectorize(math.erf)(XD / np.sqrt(2)))
TANH = 0.5 * XD * (1 + np.tanh(np.sqrt(2 / np.pi) * (XD + 0.044715 * XD ** 3)))


def test_defaults_follow_keras_3():
    np.testing.assert_allclose(ops.gelu(X).numpy(), TANH, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.nn.gelu(X).numpy(), TANH, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pynn.activations.gelu(X).numpy(), EXACT, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pynn.activations.get("gelu")(X).numpy(), EXACT, rtol=1e-5, atol=1e-6)
    assert np.abs(TANH - EXACT).max() > 1e-4  # the two forms are told apart at this tolerance
    # a layer's activation="gelu" (fused into Dense's GEMM, or applied by Activation) is exact
    dense = layers.Dense(11, activation="gelu", kernel_initializer="identity", bias_initializer="zeros")
    np.testing.assert_allclose(dense(X).numpy(), EXACT, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.Activation("gelu")(X).numpy(), EXACT, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call", ["ops", "ops_nn", "ops_exact", "activations", "activations_tanh",
                                  "dense", "activation_layer"])
def test_matches_keras(call):
    keras = keras_or_skip()

    def run(lib, x):
        return {
            "ops": lambda: lib.ops.gelu(x),
            "ops_nn": lambda: lib.ops.nn.gelu(x),
            "ops_exact": lambda: lib.ops.gelu(x, approximate=False),
            "activations": lambda: lib.activations.gelu(x),
            "activations_tanh": lambda: lib.activations.gelu(x, approximate=True),
            "dense": lambda: lib.layers.Dense(11, activation="gelu", kernel_initializer="identity")(x),
            "activation_layer": lambda: lib.layers.Activation("gelu")(x),
        }[call]()
    want = keras.ops.convert_to_numpy(run(keras, keras.ops.convert_to_tensor(X)))
    np.testing.assert_allclose(run(pynn, X).numpy(), want, rtol=1e-5, atol=1e-6)
