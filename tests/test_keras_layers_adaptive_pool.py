"""AdaptiveAverage/MaxPooling1D/2D/3D side by side with Keras 3 (keras/src/layers/
pooling/adaptive_*_pooling*d.py; keras.layers.AdaptiveAveragePooling2D etc.): outputs
and input gradients at float32 tolerance for sizes that divide, do not divide and
exceed the input, configs, save/load, bad input."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(12)
INPUTS = {1: RNG.normal(size=(2, 11, 3)).astype(np.float32),
          2: RNG.normal(size=(2, 7, 10, 3)).astype(np.float32),
          3: RNG.normal(size=(2, 5, 6, 7, 2)).astype(np.float32)}
SIZES = {1: [1, 4, 11, 13], 2: [1, 3, (4, 5), (7, 12)], 3: [2, (3, 4, 5), (5, 6, 7)]}


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("rank,size", [(r, s) for r in SIZES for s in SIZES[r]])
def test_matches_keras(kind, rank, size):
    keras = keras_or_skip()
    name = f"Adaptive{kind}Pooling{rank}D"
    x = INPUTS[rank]
    theirs, ours = getattr(keras.layers, name)(size), getattr(layers, name)(size)
    compare(keras, theirs, ours, x)
    want = tuple(theirs.compute_output_shape((None,) + x.shape[1:]))
    assert ours.compute_output_shape((None,) + x.shape[1:]) == want
    kc, pc = config_keys_match(theirs, ours)
    assert pc["output_size"] == list(kc["output_size"]) and pc["data_format"] == kc["data_format"]
    round_trip(ours, x)


def test_average_is_the_mean_of_pytorch_windows():
    x = np.arange(10, dtype=np.float32).reshape(1, 10, 1)
    out = layers.AdaptiveAveragePooling1D(3)(x).numpy().ravel()
    # windows [0, 4), [3, 7), [6, 10)
    np.testing.assert_allclose(out, [1.5, 4.5, 7.5])


def test_in_a_model_any_input_size_gives_the_same_output_shape():
    model = pynn.Sequential([pynn.Input(shape=(None, None, 2)), layers.Conv2D(3, 3),
                             layers.AdaptiveMaxPooling2D((2, 2)), layers.Flatten(),
                             layers.Dense(1)])
    for h, w in ((8, 8), (11, 6)):
        assert model.predict(np.zeros((2, h, w, 2), np.float32), verbose=0).shape == (2, 1)


def test_bad_arguments_and_inputs():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match="at most 65536"):  # the fuzz's 2**62 hung the loop
        layers.AdaptiveMaxPooling2D(2 ** 62)
    with pytest.raises(ValueError, match="channels_last"):
        layers.AdaptiveMaxPooling1D(2, data_format="channels_first")
    with pytest.raises(ValueError, match="AdaptiveAveragePooling2D 'adaptive_average_pooling2d"):
        layers.AdaptiveAveragePooling2D(2)(np.zeros((2, 5, 3), np.float32))
