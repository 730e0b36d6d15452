"""RandomColorJitter (keras/src/layers/preprocessing/image_preprocessing/
random_color_jitter.py, random_color_jitter_test.py) against Keras 3: with fixed
factors (brightness and saturation pairs (a, a), contrast 0) the steps are
deterministic and equal Keras' numbers; random factors stay in their bounds per
image; identity at inference and in predict; config, save/load and bad factors."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(23)
X = RNG.uniform(0, 255, (3, 5, 6, 3)).astype(np.float32)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_fixed_factors_match_keras(value_range):
    keras = keras_or_skip()
    import torch
    x = X / 255.0 * value_range[1]
    kw = dict(value_range=value_range, brightness_factor=(0.1, 0.1), contrast_factor=0.0,
              saturation_factor=(0.7, 0.7))
    want = keras.ops.convert_to_numpy(keras.layers.RandomColorJitter(**kw)(torch.tensor(x)))
    got = layers.RandomColorJitter(**kw)(x).numpy()  # standalone: augments, as Keras
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3 * value_range[1])
    one = layers.RandomColorJitter(**kw)(x[0]).numpy()  # one image
    np.testing.assert_allclose(one, want[0], rtol=1e-4, atol=1e-3 * value_range[1])


def test_random_brightness_is_per_image_and_bounded():
    pynn.set_seed(4)
    x = np.full((400, 2, 2, 3), 100.0, np.float32)
    out = layers.RandomColorJitter(brightness_factor=0.2)(x, training=True).numpy()
    shift = out[:, 0, 0, 0] - 100.0
    assert (out == out[:, :1, :1, :1]).all()  # one draw per image
    assert shift.min() >= -0.2 * 255 - 1e-3 and shift.max() <= 0.2 * 255 + 1e-3
    assert shift.std() > 20 and abs(shift.mean()) < 5  # uniform on [-51, 51]: std 29.4
    # the four steps together keep the value range
    full = layers.RandomColorJitter(brightness_factor=0.5, contrast_factor=0.5,
                                    saturation_factor=0.5, hue_factor=0.5)
    y = full(X, training=True).numpy()
    assert y.min() >= 0.0 and y.max() <= 255.0 and not np.allclose(y, X)


def test_inference_config_and_save():
    keras = keras_or_skip()
    kw = dict(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.2, 0.8),
              hue_factor=0.1)
    ours = layers.RandomColorJitter(**kw)
    np.testing.assert_array_equal(ours(X, training=False).numpy(), X)
    model = pynn.Sequential([pynn.Input(shape=X.shape[1:]), ours])
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)
    kc, pc = config_keys_match(keras.layers.RandomColorJitter(**kw), ours, {"dtype"})
    for k in ("value_range", "brightness_factor", "contrast_factor", "saturation_factor",
              "hue_factor"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    loaded = round_trip(ours, X)
    assert loaded.layers[-1].get_config()["saturation_factor"] == [0.2, 0.8]
    with pytest.raises(ValueError, match="factor"):
        layers.RandomColorJitter(brightness_factor=1.5)
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomColorJitter(value_range=(0,))
    with pytest.raises(ValueError, match="needs RGB images"):
        layers.RandomColorJitter(hue_factor=0.2)(np.zeros((1, 2, 2, 1), np.float32))
