"""Conv3DTranspose side by side with Keras 3 (keras/src/layers/convolutional/
conv3d_transpose.py; the configurations of conv_transpose_test.py's 3-D cases):
the same weights, outputs, input and weight gradients at float32 tolerance,
output shapes, configs and a save/load round trip."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(11)
X = RNG.normal(size=(2, 3, 4, 5, 3)).astype(np.float32)

CASES = {
    "k3": {"kernel_size": 3},
    "k1": {"kernel_size": 1},
    "s2_same": {"kernel_size": 3, "strides": 2, "padding": "same"},
    "s2_valid": {"kernel_size": (2, 3, 1), "strides": (2, 1, 2)},
    "s3_k2_valid": {"kernel_size": 2, "strides": 3},          # stride > kernel: zero planes
    "s2_outpad": {"kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
    "s3_outpad_valid": {"kernel_size": (3, 2, 2), "strides": (3, 2, 2),
                        "output_padding": (2, 1, 0)},
    "dilated_same": {"kernel_size": (3, 2, 2), "dilation_rate": (2, 1, 2), "padding": "same"},
    "dilated": {"kernel_size": 2, "dilation_rate": (1, 2, 1), "activation": "relu"},
    "even_same": {"kernel_size": (4, 2, 2), "strides": 1, "padding": "same"},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv3d_transpose_matches_keras(name):
    keras = keras_or_skip()
    kw = CASES[name]
    theirs, ours = keras.layers.Conv3DTranspose(4, **kw), layers.Conv3DTranspose(4, **kw)
    import torch
    theirs(torch.tensor(X))
    theirs.weights[1].assign(RNG.normal(size=(4,)).astype(np.float32))  # a non-zero bias
    out = compare(keras, theirs, ours, X, rtol=1e-4, atol=3e-5)
    assert ours.kernel.shape == tuple(theirs.kernel.shape)
    assert out.shape == ours.compute_output_shape(X.shape) == \
        tuple(theirs.compute_output_shape(X.shape))
    assert ours.compute_output_shape((None, None, 4, 5, 3))[:2] == (None, None)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "activity_regularizer",
                                              "kernel_constraint", "bias_constraint",
                                              "data_format", "groups"})
    for k in ("kernel_size", "strides", "padding", "dilation_rate", "activation", "filters"):
        assert pc[k] == kc[k], k
    round_trip(ours, X)


def test_numpy_reference_scatter():
    """Every input voxel adds x * kernel into the output window at t*stride (float64 NumPy)."""
    x = RNG.normal(size=(1, 2, 3, 2, 2))
    layer = layers.Conv3DTranspose(3, (2, 3, 2), strides=(2, 1, 3), use_bias=False)
    out = layer(x.astype(np.float32)).numpy()
    k = layer.kernel.astype(np.float64)                      # (kd, kh, kw, filters, in)
    ref = np.zeros((1, (2 - 1) * 2 + 2, 3 + 2, 2 * 3, 3))     # valid: n*s + max(k - s, 0)
    for t, i, j in np.ndindex(2, 3, 2):
        ref[0, t * 2:t * 2 + 2, i:i + 3, j * 3:j * 3 + 2] += np.einsum("abcfz,z->abcf", k,
                                                                         x[0, t, i, j])
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_alias_and_top_level():
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose is pynn.Conv3DTranspose


def test_trains_in_a_compiled_model():
    pynn.set_seed(1)
    x = RNG.normal(size=(32, 2, 3, 3, 2)).astype(np.float32)
    y = np.repeat(np.repeat(np.repeat(x, 2, 1), 2, 2), 2, 3)[..., :1]   # learn 2x upsampling
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]),
                             layers.Conv3DTranspose(1, 2, strides=2)])
    model.compile(pynn.optimizers.Adam(0.05), "mse")
    hist = model.fit(x, y, epochs=40, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]


@pytest.mark.parametrize("make,shape,message", [
    (lambda: layers.Conv3DTranspose(2, 3), (2, 6, 6, 3), "expects a 5-D input"),
    (lambda: layers.Conv3DTranspose(2, 3), (2, 3, 3, 3, 3, 1), "expects a 5-D input"),
])
def test_bad_inputs_name_the_layer(make, shape, message):
    layer = make()
    with pytest.raises(ValueError, match=f"'{layer.name}'.*{message}|{message}"):
        layer(np.zeros(shape, np.float32))


def test_bad_arguments():
    for make, msg in ((lambda: layers.Conv3DTranspose(2, (3, 3)), "kernel_size"),
                      (lambda: layers.Conv3DTranspose(2, 3, strides=2, output_padding=2),
                       "output_padding"),
                      (lambda: layers.Conv3DTranspose(2, 3, padding="causal"), "padding"),
                      (lambda: layers.Conv3DTranspose(2, 3, strides=2, dilation_rate=2), "strides")):
        with pytest.raises(ValueError, match=msg):
            make()
