"""Resizing and the random augmentation layers (RandomFlip, RandomRotation,
RandomZoom, RandomTranslation, RandomContrast): Keras 3 side by side in inference
and, with degenerate ranges (where Keras' draw is certain), in training; the ops'
gradients against float64 NumPy references by central differences; flips and
contrast factors checked against their formula per image; seeding; a compiled fit
that augments. Sources: keras.io/api/layers/preprocessing_layers/image_preprocessing/
and image_augmentation/ (each layer's page)."""
import numpy as np
import pytest

import pynn
from pynn import layers as L, ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

rng0 = np.random.default_rng(0)
IMAGES = rng0.uniform(0, 255, (3, 7, 6, 2)).astype(np.float32)


def keras_out(layer, x, training):
    return np.asarray(layer(x, training=training).detach().cpu())


# --------------------------------------------------------------- Keras side by side
@pytest.mark.parametrize("kw", [dict(height=4, width=9), dict(height=14, width=3),
                                dict(height=5, width=5, interpolation="nearest"),
                                dict(height=3, width=11, interpolation="nearest"),
                                dict(height=4, width=4, crop_to_aspect_ratio=True),
                                dict(height=2, width=6, crop_to_aspect_ratio=True)])
def test_resizing_matches_keras(kw):
    keras = keras_or_skip()
    got = L.Resizing(**kw)(IMAGES).numpy()
    want = keras_out(keras.layers.Resizing(**kw), IMAGES, False)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


DEGENERATE = [
    ("RandomRotation", dict(factor=(0.1, 0.1))),
    ("RandomRotation", dict(factor=(-0.3, -0.3), fill_mode="constant", fill_value=7.0)),
    ("RandomRotation", dict(factor=(0.2, 0.2), fill_mode="wrap", interpolation="nearest")),
    ("RandomRotation", dict(factor=(0.15, 0.15), fill_mode="nearest")),
    ("RandomZoom", dict(height_factor=(-0.4, -0.4))),
    ("RandomZoom", dict(height_factor=(0.5, 0.5), width_factor=(-0.2, -0.2),
                        fill_mode="constant")),
    ("RandomZoom", dict(height_factor=(0.3, 0.3), fill_mode="wrap", interpolation="nearest")),
    ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3))),
    ("RandomTranslation", dict(height_factor=(-0.25, -0.25), width_factor=(0.1, 0.1),
                               fill_mode="constant", interpolation="nearest")),
    ("RandomTranslation", dict(height_factor=(0.45, 0.45), width_factor=(0.0, 0.0),
                               fill_mode="nearest")),
]


@pytest.mark.parametrize("name,kw", DEGENERATE)
def test_training_transform_matches_keras_where_the_draw_is_certain(name, kw):
    keras = keras_or_skip()
    got = getattr(L, name)(**kw)(IMAGES, training=True).numpy()
    want = keras_out(getattr(keras.layers, name)(**kw), IMAGES, True)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-2)
    assert np.abs(got - IMAGES).max() > 1.0  # it did transform


@pytest.mark.parametrize("name,kw", [("RandomFlip", {}), ("RandomRotation", dict(factor=0.3)),
                                     ("RandomZoom", dict(height_factor=0.3)),
                                     ("RandomTranslation", dict(height_factor=0.2, width_factor=0.2)),
                                     ("RandomContrast", dict(factor=0.5))])
def test_inference_is_the_identity_as_in_keras(name, kw):
    keras = keras_or_skip()
    got = getattr(L, name)(**kw)(IMAGES, training=False).numpy()
    np.testing.assert_array_equal(got, IMAGES)
    np.testing.assert_array_equal(keras_out(getattr(keras.layers, name)(**kw), IMAGES, False),
                                  IMAGES)


def test_contrast_bounds_are_keras():
    keras = keras_or_skip()
    for factor in ((0.6, -0.6), (1.2, 0.5)):
        with pytest.raises(ValueError):
            keras.layers.RandomContrast(factor)
        with pytest.raises(ValueError, match="in \\[0, 1\\]"):
            L.RandomContrast(factor)


# ------------------------------------------------------------ the formula, per image
def test_flips_are_whole_flips_with_both_outcomes():
    x = np.random.default_rng(1).uniform(0, 1, (64, 4, 5, 1)).astype(np.float32)
    for mode, flip in (("horizontal", lambda a: a[:, ::-1]), ("vertical", lambda a: a[::-1]),
                       ("horizontal_and_vertical", lambda a: a[::-1, ::-1])):
        out = L.RandomFlip(mode)(x, training=True).numpy()
        flipped = [bool(np.array_equal(o, flip(a))) for o, a in zip(out, x)]
        kept = [bool(np.array_equal(o, a)) for o, a in zip(out, x)]
        assert all(f or k for f, k in zip(flipped, kept)), mode
        assert 16 < sum(flipped) < 48, mode  # probability 1/2 over 64 images


def test_contrast_factors_follow_the_formula_and_the_range():
    x = np.random.default_rng(2).uniform(50, 200, (32, 5, 4, 3)).astype(np.float32)
    out = L.RandomContrast(0.4)(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    factors = []
    for o, a, m in zip(out, x, mean):
        f = ((o - m) / (a - m)).ravel()
        f = f[np.abs((a - m).ravel()) > 5]
        assert np.ptp(f) < 1e-3  # one factor for the whole image
        factors.append(f.mean())
        np.testing.assert_allclose(o, np.clip((a - m) * f.mean() + m, 0, 255), rtol=1e-4, atol=1e-2)
    assert 0.6 <= min(factors) and max(factors) <= 1.4 and np.ptp(factors) > 0.2


def test_rotation_by_a_quarter_turn_is_rot90():
    x = np.random.default_rng(3).uniform(0, 1, (2, 5, 5, 2)).astype(np.float32)
    out = L.RandomRotation((0.25, 0.25))(x, training=True).numpy()
    np.testing.assert_allclose(out, np.rot90(x, k=1, axes=(1, 2)), atol=1e-5)


def test_seeded_draws_repeat():
    layer = L.RandomRotation(0.2)
    pynn.set_seed(5)
    a = layer(IMAGES, training=True).numpy()
    b = layer(IMAGES, training=True).numpy()
    pynn.set_seed(5)
    np.testing.assert_array_equal(layer(IMAGES, training=True).numpy(), a)
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------ gradients of the ops
def _bilinear_ref(x, oh, ow):
    """torch's interpolate(bilinear, align_corners=False) in float64."""
    N, H, W, C = x.shape

    def taps(n, o):
        src = np.maximum((np.arange(o) + 0.5) * n / o - 0.5, 0)
        i0 = np.minimum(np.floor(src).astype(int), n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        return i0, i1, src - i0
    y0, y1, wy = taps(H, oh)
    x0, x1, wx = taps(W, ow)
    top = x[:, y0][:, :, x0] * (1 - wx)[None, None, :, None] + x[:, y0][:, :, x1] * wx[None, None, :, None]
    bot = x[:, y1][:, :, x0] * (1 - wx)[None, None, :, None] + x[:, y1][:, :, x1] * wx[None, None, :, None]
    return top * (1 - wy)[None, :, None, None] + bot * wy[None, :, None, None]


@pytest.mark.parametrize("size", [(5, 7), (2, 3), (4, 4)])
def test_resize_gradients(size):
    x = np.random.default_rng(4).standard_normal((2, 4, 5, 2))
    check_grad(lambda t: ops.resize(t, size), lambda a: _bilinear_ref(a, *size), [x])


def _zoom_ref(x, z):
    """RandomZoom's transform for zoom z (both axes), bilinear, fill 'constant' 0."""
    N, H, W, C = x.shape
    out = np.zeros_like(x)
    for oy in range(H):
        for ox in range(W):
            cy, cx = z * oy + (H - 1) / 2 * (1 - z), z * ox + (W - 1) / 2 * (1 - z)
            fy, fx = int(np.floor(cy)), int(np.floor(cx))
            for iy, wy in ((fy, 1 - (cy - fy)), (fy + 1, cy - fy)):
                for ix, wx in ((fx, 1 - (cx - fx)), (fx + 1, cx - fx)):
                    if 0 <= iy < H and 0 <= ix < W:
                        out[:, oy, ox] += wy * wx * x[:, iy, ix]
    return out


def test_random_affine_gradients():
    x = np.random.default_rng(5).standard_normal((2, 5, 4, 2))
    check_grad(lambda t: ops.random_affine(t, "zoom", 0.3, 0.3, fill_mode="constant"),
               lambda a: _zoom_ref(a, 1.3), [x])
    check_grad(lambda t: ops.random_affine(t, "zoom", -0.35, -0.35, fill_mode="constant"),
               lambda a: _zoom_ref(a, 0.65), [x])


def test_random_contrast_gradients():
    x = np.random.default_rng(6).uniform(0, 10, (2, 3, 4, 2))

    def ref(a, f=1.7, hi=12.0):
        m = a.mean(axis=(1, 2), keepdims=True)
        return np.clip((a - m) * f + m, 0.0, hi)
    check_grad(lambda t: ops.random_contrast(t, 1.7, 1.7, (0.0, 12.0)), ref, [x], atol=2e-3)


# ------------------------------------------------------------------ in models
def test_augmentation_in_compiled_fit_and_identity_in_predict():
    x = np.random.default_rng(7).uniform(0, 1, (16, 6, 6, 1)).astype(np.float32)
    aug = pynn.Sequential([pynn.Input(shape=(6, 6, 1)), L.RandomFlip("horizontal"),
                           L.RandomRotation(0.1), L.RandomZoom(0.2), L.RandomTranslation(0.1, 0.1),
                           L.RandomContrast(0.2, value_range=(0, 1)), L.Resizing(4, 4)])
    model = pynn.Sequential([aug, L.Flatten(), L.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((16, 1), np.float32), epochs=2, verbose=0)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(p, model.predict(x, verbose=0))  # inference: no randomness
    resized = L.Resizing(4, 4)(x).numpy()
    np.testing.assert_allclose(aug.predict(x, verbose=0), resized, rtol=1e-6)


def test_save_load_and_summary(tmp_path, capsys):
    model = pynn.Sequential([pynn.Input(shape=(8, 8, 3)), L.Resizing(4, 6, interpolation="nearest"),
                             L.RandomFlip("vertical", seed=3), L.RandomRotation((-0.2, 0.3)),
                             L.RandomZoom(0.1, (-0.2, 0.2), fill_mode="constant", fill_value=1.0),
                             L.RandomTranslation(0.1, 0.2, interpolation="nearest"),
                             L.RandomContrast(0.3, value_range=(0, 1))])
    model.save(tmp_path / "m.keras")
    loaded = pynn.load_model(tmp_path / "m.keras")
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()
    loaded.summary()
    assert "(None, 4, 6, 3)" in capsys.readouterr().out


@pytest.mark.parametrize("make,match", [
    (lambda: L.RandomFlip("diagonal"), "mode"),
    (lambda: L.RandomRotation((0.3, 0.1)), "lower <= upper"),
    (lambda: L.RandomZoom(-1.5), "height_factor"),
    (lambda: L.RandomTranslation(0.1, 1.5), "width_factor"),
    (lambda: L.RandomContrast(-0.1), "factor"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirrored"), "fill_mode"),
    (lambda: L.Resizing(0, 3), "height"),
    (lambda: L.Resizing(3, 3, pad_to_aspect_ratio=True), "pad_to_aspect_ratio"),
    (lambda: L.RandomZoom(0.1, data_format="channels_first"), "channels_last"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match="RandomFlip 'f' expects images"):
        L.RandomFlip(name="f")(np.zeros((2, 3)), training=True)
    one = L.RandomRotation((0.5, 0.5))(IMAGES[0], training=True)  # one image, as Keras takes
    assert one.shape == IMAGES[0].shape
