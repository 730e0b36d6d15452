"""CenterCrop, RandomCrop and RandomBrightness against Keras 3
(https://keras.io/api/layers/preprocessing_layers/image_preprocessing/center_crop/,
.../image_augmentation/random_crop/, .../image_augmentation/random_brightness/):
deterministic outputs equal to Keras', configs with Keras' keys; the random ones by
what they must satisfy (a window of the input, one offset per image, the range,
training only, seeded, fresh per batch in a compiled fit, gradients)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(4)
IMAGES = RNG.uniform(0, 255, size=(3, 6, 8, 2)).astype(np.float32)


@pytest.mark.parametrize("size", [(4, 4), (6, 8), (8, 4), (3, 10), (1, 1)])
def test_center_crop_matches_keras(size):
    keras = keras_or_skip()
    theirs, ours = keras.layers.CenterCrop(*size), layers.CenterCrop(*size)
    want = keras.ops.convert_to_numpy(theirs(IMAGES))
    np.testing.assert_allclose(ours(IMAGES).numpy(), want, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(ours(IMAGES[0]).numpy(), want[0], rtol=1e-5, atol=1e-3)  # one image
    kc, pc = config_keys_match(theirs, ours)
    assert {k: pc[k] for k in ("height", "width", "data_format")} == \
        {k: kc[k] for k in ("height", "width", "data_format")}
    round_trip(ours, IMAGES)


def test_configs_match_keras():
    keras = keras_or_skip()
    for theirs, ours in [(keras.layers.RandomCrop(4, 4, seed=3), layers.RandomCrop(4, 4, seed=3)),
                         (keras.layers.RandomBrightness(0.2, seed=1),
                          layers.RandomBrightness(0.2, seed=1)),
                         (keras.layers.RandomBrightness((-0.1, 0.3), value_range=(0, 1)),
                          layers.RandomBrightness((-0.1, 0.3), value_range=(0, 1)))]:
        kc, pc = config_keys_match(theirs, ours)
        for k in set(kc) - {"name", "dtype"}:
            want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
            assert pc[k] == want, (k, pc[k], kc[k])


def test_random_crop_inference_is_the_documented_centred_window():
    keras = keras_or_skip()
    # keras.io: "At inference time ... resized and cropped so as to return the largest
    # possible window in the image that matches the target aspect ratio"
    want = keras.ops.convert_to_numpy(
        keras.layers.Resizing(4, 4, crop_to_aspect_ratio=True)(IMAGES))
    np.testing.assert_allclose(layers.RandomCrop(4, 4)(IMAGES, training=False).numpy(), want, rtol=1e-5,
                               atol=1e-3)


def _window_of(out, image):
    h, w = out.shape[:2]
    return [(i, j) for i in range(image.shape[0] - h + 1) for j in range(image.shape[1] - w + 1)
            if np.array_equal(image[i:i + h, j:j + w], out)]


def test_random_crop_takes_a_window_per_image_uniformly():
    pynn.set_seed(0)
    x = np.tile(np.arange(48, dtype=np.float32).reshape(1, 6, 8, 1), (200, 1, 1, 2))
    out = layers.RandomCrop(4, 5)(x, training=True).numpy()
    assert out.shape == (200, 4, 5, 2)
    starts = [_window_of(o, x[0]) for o in out]
    assert all(len(s) == 1 for s in starts)
    rows = np.bincount([s[0][0] for s in starts], minlength=3)
    cols = np.bincount([s[0][1] for s in starts], minlength=4)
    assert rows.min() > 40 and cols.min() > 30  # 3 x 4 positions, all used


def test_random_crop_gradient_lands_on_the_window():
    x = pynn.Tensor(IMAGES, requires_grad=True)
    out = layers.RandomCrop(4, 4)(x, training=True)
    seed = RNG.normal(size=out.shape).astype(np.float32)
    (out * seed).sum().backward()
    for n in range(3):
        (i, j), = _window_of(out.numpy()[n], IMAGES[n])
        want = np.zeros(IMAGES.shape[1:], np.float32)
        want[i:i + 4, j:j + 4] = seed[n]
        np.testing.assert_allclose(x.grad[n], want, rtol=1e-6)


def test_random_crop_small_images_use_the_centred_window_in_training():
    out = layers.RandomCrop(8, 8)(IMAGES, training=True).numpy()
    want = layers.CenterCrop(8, 8)(IMAGES).numpy()
    np.testing.assert_allclose(out, want)


def test_random_brightness_offsets_and_clip():
    pynn.set_seed(1)
    x = np.full((300, 2, 2, 3), 100.0, np.float32)
    out = layers.RandomBrightness((-0.2, 0.4))(x, training=True).numpy()
    per_image = out.reshape(300, -1)
    assert np.all(per_image == per_image[:, :1])
    delta = per_image[:, 0] - 100
    assert delta.min() >= -0.2 * 255 - 1e-3 and delta.max() <= 0.4 * 255 + 1e-3
    assert delta.min() < -0.15 * 255 and delta.max() > 0.35 * 255
    assert abs(delta.mean() - 0.1 * 255) < 5
    bright = layers.RandomBrightness((0.9, 1.0))(x, training=True).numpy()
    assert np.all(bright == 255)  # clipped to value_range
    np.testing.assert_array_equal(layers.RandomBrightness(0.5)(x, training=False).numpy(), x)


@pytest.mark.parametrize("make", [lambda: layers.RandomCrop(4, 4),
                                  lambda: layers.RandomBrightness(0.3)])
def test_seeded_and_fresh_per_batch_in_fit(make):
    x = RNG.uniform(0, 1, size=(8, 6, 8, 1)).astype(np.float32)
    layer = make()
    pynn.set_seed(2)
    a, b = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    pynn.set_seed(2)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), a)
    assert not np.array_equal(a, b)

    def run():
        pynn.set_seed(3)
        model = pynn.Sequential([pynn.Input(shape=(6, 8, 1)), make(), layers.Flatten(),
                                 layers.Dense(1)])
        model.compile("sgd", "mse")
        return model.fit(x, x[:, 0, :1, 0], epochs=2, batch_size=4, verbose=0).history["loss"]
    assert run() == run()


@pytest.mark.parametrize("make,message", [
    (lambda: layers.CenterCrop(0, 2), "height"),
    (lambda: layers.RandomCrop(2, 2, data_format="channels_first"), "channels_last"),
    (lambda: layers.RandomBrightness(1.5), "factor"),
    (lambda: layers.RandomBrightness((0.3, 0.1)), "factor"),
    (lambda: layers.RandomBrightness(0.1, value_range=(1, 0)), "value_range"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="CenterCrop 'center_crop.*expects images"):
        layers.CenterCrop(2, 2)(np.ones((2, 3), np.float32))


# ---------------------------------------------- RandomInvert, RandomGrayscale, RandomColorDegeneration
# https://keras.io/api/layers/preprocessing_layers/image_augmentation/random_invert/,
# .../random_grayscale/, .../random_color_degeneration/
RGB = RNG.uniform(0, 255, size=(4, 3, 5, 3)).astype(np.float32)


def test_colour_configs_match_keras():
    keras = keras_or_skip()
    for name, args, kw in [("RandomInvert", (), {}), ("RandomInvert", (0.6,), {"seed": 2}),
                           ("RandomGrayscale", (), {}), ("RandomGrayscale", (0.3,), {}),
                           ("RandomColorDegeneration", (0.4,), {}),
                           ("RandomColorDegeneration", ((0.2, 0.5),), {"value_range": (0, 1)})]:
        theirs, ours = getattr(keras.layers, name)(*args, **kw), getattr(layers, name)(*args, **kw)
        kc, pc = config_keys_match(theirs, ours)
        for k in set(kc) - {"name", "dtype"}:
            want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
            assert pc[k] == want, (name, k, pc[k], kc[k])


def test_grayscale_and_full_degeneration_equal_keras_grayscale():
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(keras.layers.RandomGrayscale(1.0)(RGB, training=True))
    np.testing.assert_allclose(layers.RandomGrayscale(1.0)(RGB, training=True).numpy(), want,
                               rtol=1e-5, atol=1e-4)
    theirs = keras.layers.RandomColorDegeneration((1.0, 1.0))(RGB, training=True)
    np.testing.assert_allclose(
        layers.RandomColorDegeneration((1.0, 1.0))(RGB, training=True).numpy(),
        keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-3)


def test_invert_probability_follows_keras_rule():
    pynn.set_seed(4)
    x = np.full((2000, 1, 1, 1), 5.0, np.float32)
    for factor, p in ((1.0, 0.5), (0.6, 0.3), ((0.4, 0.8), 0.6)):  # P(t < p), p ~ U(range)
        out = layers.RandomInvert(factor, value_range=(0, 1))(x, training=True).numpy()
        inverted = out == np.float32(1 - 5.0)
        assert np.all(inverted | (out == 5.0))
        assert abs(inverted.mean() - p) < 0.04, (factor, inverted.mean())


def test_grayscale_probability_and_images_kept_whole():
    pynn.set_seed(5)
    x = np.tile(RGB[:1], (1000, 1, 1, 1))
    out = layers.RandomGrayscale(0.3)(x, training=True).numpy()
    gray = np.all(out == out[..., :1], axis=(1, 2, 3))
    same = np.all(out == x, axis=(1, 2, 3))
    assert np.all(gray ^ same) and abs(gray.mean() - 0.3) < 0.04


def test_degeneration_factor_range_and_clip():
    pynn.set_seed(6)
    x = np.tile(RGB[:1], (500, 1, 1, 1))
    gray = (x * np.array([0.2989, 0.587, 0.114], np.float32)).sum(-1, keepdims=True)
    out = layers.RandomColorDegeneration((0.2, 0.5))(x, training=True).numpy()
    f = ((out - x) / (gray - x))[:, 0, 0, 0]  # one factor per image
    np.testing.assert_allclose(((out - x) / (gray - x)), f[:, None, None, None] * np.ones_like(x),
                               rtol=1e-3, atol=1e-3)
    assert f.min() >= 0.2 - 1e-3 and f.max() <= 0.5 + 1e-3 and f.max() - f.min() > 0.25
    strong = layers.RandomColorDegeneration((-1.0, -1.0))(x, training=True).numpy()
    assert strong.min() >= 0 and strong.max() <= 255


@pytest.mark.parametrize("make", [lambda: layers.RandomInvert(), lambda: layers.RandomGrayscale(),
                                  lambda: layers.RandomColorDegeneration(0.5)])
def test_colour_layers_are_identity_at_inference_seeded_in_training(make):
    layer = make()
    np.testing.assert_array_equal(layer(RGB, training=False).numpy(), RGB)
    pynn.set_seed(8)
    a = layer(RGB, training=True).numpy()
    pynn.set_seed(8)
    np.testing.assert_array_equal(layer(RGB, training=True).numpy(), a)
    loaded = round_trip(layer, RGB)
    assert type(loaded.layers[-1]) is type(layer)


def test_colour_bad_arguments_and_inputs():
    for make in (lambda: layers.RandomInvert(1.5), lambda: layers.RandomGrayscale(-0.1),
                 lambda: layers.RandomColorDegeneration((0.1, 0.2, 0.3)),
                 lambda: layers.RandomInvert(value_range=5)):
        with pytest.raises(ValueError):
            make()
    with pytest.raises(ValueError, match="RandomGrayscale 'random_grayscale.*needs RGB images"):
        layers.RandomGrayscale(1.0)(np.zeros((1, 2, 2, 4), np.float32), training=True)
