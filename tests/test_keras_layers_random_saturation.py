"""RandomSaturation against Keras 3 (keras/src/layers/preprocessing/image_preprocessing/
random_saturation.py, random_saturation_test.py; its HSV planes after
keras/src/backend/torch/image.py): exact outputs for fixed factors (grey, kept,
boosted, fully saturated), on colours that hit every branch of the hue formula;
random factors per image within Keras' bounds; identity at inference."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(81)
X = RNG.uniform(0, 255, size=(4, 6, 5, 3)).astype(np.float32)
X[0, 0, :, :] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [80, 80, 80], [0, 0, 0]]  # edge hues


def _keras(keras, layer, x):
    import torch
    return keras.ops.convert_to_numpy(layer(torch.tensor(x), training=True))


@pytest.mark.parametrize("u", [-0.5, 0.0, 0.3, 0.5, 0.8, 0.99])
def test_fixed_factor_matches_keras(u):
    keras = keras_or_skip()
    kw = {"factor": (u, u)}
    want = _keras(keras, keras.layers.RandomSaturation(**kw), X)
    got = layers.RandomSaturation(**kw)(X, training=True).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(layers.RandomSaturation(**kw)(X[1], training=True).numpy(),
                               want[1], rtol=1e-4, atol=1e-3)


def test_hsv_round_trip_and_keras_planes():
    keras = keras_or_skip()
    from pynn.layers.image_saturation import hsv_to_rgb, rgb_to_hsv
    h, s, v = rgb_to_hsv(pynn.Tensor(X))
    hsv = np.concatenate([h.numpy(), s.numpy(), v.numpy()], axis=-1)
    np.testing.assert_allclose(hsv, keras.ops.convert_to_numpy(keras.ops.image.rgb_to_hsv(X)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hsv_to_rgb(h, s, v).numpy(), X, rtol=1e-5, atol=1e-3)


def test_random_factor_per_image():
    pynn.set_seed(9)
    x = np.repeat(X[1:2], 300, axis=0)
    out = layers.RandomSaturation((0.2, 0.7))(x, training=True).numpy()
    from pynn.layers.image_saturation import rgb_to_hsv
    s_in = rgb_to_hsv(pynn.Tensor(x[:1]))[1].numpy()
    s_out = rgb_to_hsv(pynn.Tensor(out))[1].numpy()
    ratios = (s_out / s_in).reshape(300, -1)
    np.testing.assert_allclose(ratios, ratios[:, :1] * np.ones_like(ratios), rtol=1e-3)
    u = ratios[:, 0] / (1 + ratios[:, 0])                     # ratio = u / (1 - u)
    assert u.min() >= 0.2 - 1e-3 and u.max() < 0.7 + 1e-3 and abs(u.mean() - 0.45) < 0.03
    np.testing.assert_array_equal(layers.RandomSaturation(0.5)(x, training=False).numpy(), x)   # inference


def test_config_and_errors():
    keras = keras_or_skip()
    from keras_layer_pair import config_keys_match, round_trip
    theirs, ours = keras.layers.RandomSaturation(0.4), layers.RandomSaturation(0.4)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "data_format"})
    assert pc["factor"] == list(kc["factor"]) == [-0.4, 0.4]
    round_trip(ours, X)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomSaturation(1.5)
    with pytest.raises(ValueError, match="needs RGB images"):
        layers.RandomSaturation(0.5)(np.zeros((1, 2, 2, 1), np.float32), training=True)


@pytest.mark.parametrize("u", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_hue_matches_keras_up_to_the_coin(u, value_range):
    """Keras' sign is a fair coin per image: each of our images equals Keras' output
    for a shift of +u/2 or -u/2 (both computed by Keras with a fixed coin)."""
    keras = keras_or_skip()
    import torch
    x = X / 255.0 * value_range[1]
    theirs = keras.layers.RandomHue((u, u), value_range=value_range)
    batch = torch.tensor(x)
    plus = {"factor": torch.full((len(x),), u * 0.5)}
    minus = {"factor": torch.full((len(x),), -u * 0.5)}
    want_plus = keras.ops.convert_to_numpy(theirs.transform_images(batch, plus))
    want_minus = keras.ops.convert_to_numpy(theirs.transform_images(batch, minus))
    pynn.set_seed(10)
    got = layers.RandomHue((u, u), value_range=value_range)(np.repeat(x, 8, axis=0),
                                                           training=True).numpy()
    tol = 1e-3 * value_range[1]
    signs = []
    for i, img in enumerate(got):
        j = i // 8   # np.repeat: each image 8 times in a row
        if np.allclose(img, want_plus[j], atol=tol):
            signs.append(1)
        else:
            np.testing.assert_allclose(img, want_minus[j], atol=tol)
            signs.append(-1)
    if 0 < u < 1:  # (a shift of +1/2 and one of -1/2 are the same turn)
        assert 0.2 < np.mean(np.array(signs) > 0) < 0.8


def test_hue_config_and_errors():
    keras = keras_or_skip()
    from keras_layer_pair import config_keys_match, round_trip
    theirs, ours = keras.layers.RandomHue(0.4), layers.RandomHue(0.4)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "data_format"})
    assert pc["factor"] == list(kc["factor"])
    round_trip(ours, X)
    np.testing.assert_array_equal(ours(X, training=False).numpy(), X)   # inference
    with pytest.raises(ValueError, match="factor"):
        layers.RandomHue(-0.5)
    with pytest.raises(ValueError, match="needs RGB images"):
        layers.RandomHue(0.5)(np.zeros((1, 2, 2, 4), np.float32), training=True)
