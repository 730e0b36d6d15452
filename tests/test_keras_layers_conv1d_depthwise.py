"""DepthwiseConv1D and SeparableConv1D (and the alias SeparableConvolution1D) side by
side with Keras 3 (https://keras.io/api/layers/convolution_layers/depthwise_convolution1d/,
.../convolution_layers/separable_convolution1d/): the same weights, outputs and
gradients at float32 tolerance, weight shapes, configs, save/load, bad input."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(13)
X = RNG.normal(size=(2, 11, 3)).astype(np.float32)
OMIT = {"dtype", "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
        "bias_constraint"}
CASES = {
    "plain": {"kernel_size": 3},
    "same_multiplier": {"kernel_size": 4, "padding": "same", "depth_multiplier": 2},
    "strided": {"kernel_size": 3, "strides": 2, "activation": "relu"},
    "dilated_same": {"kernel_size": 3, "dilation_rate": 2, "padding": "same"},
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D"])
def test_matches_keras(name, case):
    keras = keras_or_skip()
    kw = CASES[case]
    args = (5,) if name == "SeparableConv1D" else ()
    theirs, ours = getattr(keras.layers, name)(*args, **kw), getattr(layers, name)(*args, **kw)
    import torch
    theirs(torch.tensor(X))
    theirs.weights[-1].assign(RNG.normal(size=tuple(theirs.weights[-1].shape)).astype(np.float32))
    compare(keras, theirs, ours, X)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.compute_output_shape(X.shape) == tuple(theirs.compute_output_shape(X.shape))
    kc, pc = config_keys_match(theirs, ours, OMIT)
    for k in set(kc) & set(pc) - {"name", "dtype"}:
        want, got = kc[k], pc[k]
        if isinstance(want, dict):
            assert got["class_name"] == want["class_name"], k
        else:
            assert got == want, (k, got, want)
    round_trip(ours, X)


def test_alias():
    assert layers.SeparableConvolution1D is layers.SeparableConv1D


def test_bad_input_and_arguments():
    layer = layers.DepthwiseConv1D(3)
    with pytest.raises(ValueError, match="DepthwiseConv1D 'depthwise_conv1d.*3-D input"):
        layer(np.zeros((2, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="window needs 5"):
        layers.SeparableConv1D(2, 5)(np.zeros((2, 4, 3), np.float32))
    layer(X)
    with pytest.raises(ValueError, match="built for inputs with 3 channels"):
        layer(np.zeros((2, 5, 4), np.float32))
    for make in (lambda: layers.DepthwiseConv1D(3, padding="causal"),
                 lambda: layers.SeparableConv1D(0, 3),
                 lambda: layers.SeparableConv1D(2, 3, strides=2, dilation_rate=2),
                 lambda: layers.DepthwiseConv1D(3, depth_multiplier=0)):
        with pytest.raises(ValueError):
            make()
