"""Solarization, RandomPosterization, RandomSharpness and AutoContrast against Keras 3
(keras/src/layers/preprocessing/image_preprocessing/{solarization,random_posterization,
random_sharpness,auto_contrast}.py and their *_test.py cases): exact outputs where the draws are fixed
(fixed factors; AutoContrast is deterministic), and invariants of the random draws
(each image is its NumPy transform for one drawn parameter inside the factor's
range; draws differ between images; identity at inference; pynn.set_seed repeats)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(41)
IMAGES = RNG.uniform(0, 255, size=(6, 5, 4, 3)).astype(np.float32)


def _keras(keras, layer, x):
    import torch
    return keras.ops.convert_to_numpy(layer(torch.tensor(x), training=True))


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1), (-1, 1)])
def test_auto_contrast_matches_keras(value_range):
    keras = keras_or_skip()
    lo, hi = value_range
    x = IMAGES / 255.0 * (hi - lo) + lo
    x[0, :, :, 1] = x[0, 0, 0, 1]                         # a flat channel stays as it is
    ours = layers.AutoContrast(value_range=value_range)
    want = _keras(keras, keras.layers.AutoContrast(value_range=value_range), x)
    np.testing.assert_allclose(ours(x).numpy(), want, rtol=1e-5, atol=1e-4 * (hi - lo))
    np.testing.assert_allclose(ours(x, training=True).numpy(), want, rtol=1e-5,
                               atol=1e-4 * (hi - lo))
    np.testing.assert_allclose(ours(x[1]).numpy(), want[1], rtol=1e-5, atol=1e-4 * (hi - lo))
    assert ours.get_config()["value_range"] == list(value_range)


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_posterization_fixed_bits_matches_keras(bits, value_range):
    keras = keras_or_skip()
    x = IMAGES / 255.0 * value_range[1]
    kw = dict(factor=(bits, bits), value_range=value_range)
    want = _keras(keras, keras.layers.RandomPosterization(**kw), x)
    np.testing.assert_allclose(layers.RandomPosterization(**kw)(x, training=True).numpy(), want,
                               rtol=1e-6, atol=1e-5)


def _posterize(x255, bits):
    step = 2.0 ** (8 - bits)
    return np.floor(np.floor(x255) / step) * step


def test_posterization_random_bits_are_per_image_and_in_range():
    pynn.set_seed(4)
    x = np.repeat(IMAGES[:1], 200, axis=0)
    out = layers.RandomPosterization(factor=(2, 7))(x, training=True).numpy()
    seen = []
    for img in out:
        matches = [b for b in range(1, 9) if np.array_equal(img, _posterize(x[0], b))]
        assert matches, "an image that is no posterization of its input"
        seen.append(min(matches))
    assert set(seen) == {2, 3, 4, 5, 6}          # randint's [2, 7): every value, never 7
    np.testing.assert_array_equal(layers.RandomPosterization(4)(x, training=False).numpy(), x)   # inference
    assert layers.RandomPosterization(4).factor == (1.0, 4.0)   # Keras: f -> (1, f)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_solarization_fixed_factors_match_keras(value_range):
    keras = keras_or_skip()
    x = IMAGES / 255.0 * value_range[1]
    for kw in ({}, {"addition_factor": 0.0, "threshold_factor": (0.0, 0.0)}):
        want = _keras(keras, keras.layers.Solarization(value_range=value_range, **kw), x)
        got = layers.Solarization(value_range=value_range, **kw)(x, training=True).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4 * value_range[1])


def test_solarization_random_threshold_and_addition():
    pynn.set_seed(5)
    x = np.repeat(IMAGES[:1], 300, axis=0)
    # threshold U[0, 255) per image, no addition: a pixel is inverted iff x >= t
    out = layers.Solarization(threshold_factor=(0.0, 1.0))(x, training=True).numpy()
    fractions = []
    for img in out:
        flipped = ~np.isclose(img, x[0], atol=1e-3)
        np.testing.assert_allclose(img[flipped], 255 - x[0][flipped], atol=1e-3)
        if flipped.any() and (~flipped).any():
            assert x[0][~flipped].max() < x[0][flipped].min()   # one threshold per image
        fractions.append(flipped.mean())
    assert 0.4 < np.mean(fractions) < 0.6 and len(set(fractions)) > 20
    # addition U[0.2, 0.2 * 255) per image (Keras' bounds), threshold 0: all inverted
    out = layers.Solarization(addition_factor=(0.2, 0.2))(x, training=True).numpy()
    unclipped = x[0] < 200
    adds = (255 - out - x[0])[:, unclipped]
    np.testing.assert_allclose(adds, adds[:, :1] * np.ones_like(adds), atol=1e-3)
    assert adds.min() >= 0.2 - 1e-3 and adds.max() < 51.0
    assert np.std(adds[:, 0]) > 10                          # ~ 14.6 for U[0.2, 51)
    np.testing.assert_array_equal(layers.Solarization()(x, training=False).numpy(), x)   # inference


@pytest.mark.parametrize("f", [0.0, 0.25, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_sharpness_fixed_factor_matches_keras(f, value_range):
    keras = keras_or_skip()
    x = IMAGES / 255.0 * value_range[1]
    kw = dict(factor=(f, f), value_range=value_range)
    want = _keras(keras, keras.layers.RandomSharpness(**kw), x)
    np.testing.assert_allclose(layers.RandomSharpness(**kw)(x, training=True).numpy(), want,
                               rtol=1e-5, atol=1e-4 * value_range[1])


def test_sharpness_random_factor_per_image():
    keras = keras_or_skip()
    pynn.set_seed(6)
    x = np.repeat(IMAGES[:1], 200, axis=0)
    out = layers.RandomSharpness((0.2, 0.9), value_range=(-1e6, 1e6))(x, training=True).numpy()
    blur = _keras(keras, keras.layers.RandomSharpness((0.0, 0.0), value_range=(-1e6, 1e6)),
                  x[:1])[0]
    # out = x + (1 - 2 f) (blur - x): recover f per image by least squares
    d = (blur - x[0]).ravel()
    fs = [(1 - float(np.dot((img - x[0]).ravel(), d) / np.dot(d, d))) / 2 for img in out]
    for img, f in zip(out, fs):
        np.testing.assert_allclose(img, x[0] + (1 - 2 * f) * (blur - x[0]), atol=1e-2)
    assert min(fs) >= 0.2 - 1e-4 and max(fs) < 0.9 + 1e-4
    assert abs(np.mean(fs) - 0.55) < 0.05
    np.testing.assert_array_equal(layers.RandomSharpness(0.5)(x, training=False).numpy(), x)   # inference


def test_configs_match_keras_and_round_trip():
    keras = keras_or_skip()
    from keras_layer_pair import config_keys_match, round_trip
    for name, kw in (("Solarization", {"addition_factor": 0.3, "threshold_factor": (0.1, 0.6)}),
                     ("RandomPosterization", {"factor": (2, 5)}), ("AutoContrast", {}),
                     ("RandomSharpness", {"factor": 0.4})):
        theirs, ours = getattr(keras.layers, name)(**kw), getattr(layers, name)(**kw)
        kc, pc = config_keys_match(theirs, ours, {"dtype", "data_format"})
        for k in set(kc) & set(pc) - {"name", "dtype"}:
            want = list(kc[k]) if isinstance(kc[k], (tuple, list)) else kc[k]
            assert pc[k] == want, (name, k, pc[k], kc[k])
        round_trip(ours, IMAGES)


def test_in_a_model_augments_only_in_fit():
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(5, 4, 3)), layers.Solarization(),
                             layers.RandomPosterization(3), layers.AutoContrast(),
                             layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(IMAGES, np.zeros((6, 1), np.float32), epochs=1, verbose=0)
    plain = pynn.Sequential([pynn.Input(shape=(5, 4, 3)), layers.AutoContrast(),
                             layers.Flatten(), layers.Dense(1)])
    plain.layers[-1].set_weights(model.layers[-1].get_weights())
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), plain.predict(IMAGES, verbose=0),
                               rtol=1e-5)


def test_bad_arguments_and_inputs():
    for make, msg in ((lambda: layers.Solarization(addition_factor=1.5), "range \\[0, 1\\]"),
                      (lambda: layers.Solarization(threshold_factor=(0.1, 0.2, 0.3)), "[0, 1]"),
                      (lambda: layers.RandomPosterization(9), "range \\[1, 8\\]"),
                      (lambda: layers.RandomPosterization((0, 0)), "range \\[1, 8\\]"),
                      (lambda: layers.AutoContrast(value_range=5), "value_range"),
                      (lambda: layers.RandomSharpness(1.5), "factor")):
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(ValueError, match="AutoContrast '.*' expects images"):
        layers.AutoContrast()(np.zeros((2, 3), np.float32))
