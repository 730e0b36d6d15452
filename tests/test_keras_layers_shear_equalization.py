"""RandomShear and Equalization against Keras 3 (keras/src/layers/preprocessing/
image_preprocessing/random_shear.py, equalization.py and their _test.py files).

RandomShear: with fixed factors each image equals Keras' affine_transform of one of
the two shears Keras can draw (its sign is a fair coin per image), in every fill
mode and both interpolations; the coin is fair; factor 0 is the identity; the
gradient reaches the images; identity at inference. Equalization is deterministic:
Keras' numbers on random images, other value ranges and bin counts, a constant
channel, values outside the range; identity at inference; a compiled fit uses it."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(37)
X = RNG.uniform(0, 255, (6, 7, 8, 3)).astype(np.float32)


def _keras_affine(keras, x, transform, **kw):
    import torch
    t = torch.tensor(np.tile(np.asarray(transform, np.float32), (len(x), 1)))
    return keras.ops.convert_to_numpy(keras.ops.image.affine_transform(torch.tensor(x), t, **kw))


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_shear_matches_keras_up_to_the_coin(fill_mode, interpolation):
    keras = keras_or_skip()
    sx, sy = 0.3, -0.2
    kw = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=7.0)
    layer = layers.RandomShear(x_factor=(sx, sx), y_factor=(0.2, 0.2), **kw)
    layer.y_factor = (sy, sy)  # a negative y shear too (Keras' factors are >= 0; signs flip)
    pynn.set_seed(5)
    got = layer(X, training=True).numpy()
    plus = _keras_affine(keras, X, [1, sx, 0, sy, 1, 0, 0, 0], **kw)
    minus = _keras_affine(keras, X, [1, -sx, 0, -sy, 1, 0, 0, 0], **kw)
    signs = []
    for i in range(len(X)):
        if np.allclose(got[i], plus[i], rtol=1e-4, atol=1e-2):
            signs.append(1)
        else:
            np.testing.assert_allclose(got[i], minus[i], rtol=1e-4, atol=1e-2)
            signs.append(-1)
    # one image alone, as Keras takes it
    one = layer(X[0], training=True).numpy()
    assert np.allclose(one, plus[0], atol=1e-2) or np.allclose(one, minus[0], atol=1e-2)


def test_shear_draws_fair_coin_ranges_and_identity():
    # a vertical line shows the x shear: row y moves by sx * y
    x = np.zeros((400, 9, 9, 1), np.float32)
    x[:, :, 4, 0] = 1.0
    pynn.set_seed(11)
    out = layers.RandomShear(x_factor=(0.25, 0.25), fill_mode="constant",
                             interpolation="nearest")(x, training=True).numpy()
    col = out[:, 8, :, 0].argmax(-1)  # the line's column in the last row: 4 - sx * 8
    assert set(col.tolist()) == {2, 6}
    assert 0.4 < np.mean(col == 2) < 0.6
    ranged = layers.RandomShear(x_factor=(0.0, 0.25), fill_mode="constant",
                                interpolation="nearest")(x, training=True).numpy()
    cols = ranged[:, 8, :, 0].argmax(-1)
    assert cols.min() >= 2 and cols.max() <= 6 and len(set(cols.tolist())) >= 4
    # factor 0: the identity even in training; inference: the identity
    np.testing.assert_array_equal(layers.RandomShear()(X, training=True).numpy(), X)
    np.testing.assert_array_equal(layers.RandomShear(0.5, 0.5)(X, training=False).numpy(), X)


def test_shear_gradient_config_and_errors():
    keras = keras_or_skip()
    xt = pynn.Tensor(X, requires_grad=True)
    out = layers.RandomShear(0.3, 0.3, fill_mode="constant")(xt, training=True)
    (out * out).sum().backward()
    assert np.abs(xt.grad).sum() > 0
    kw = dict(x_factor=0.3, y_factor=(0.1, 0.4), fill_mode="nearest", interpolation="nearest")
    theirs, ours = keras.layers.RandomShear(**kw), layers.RandomShear(**kw)
    kc, pc = config_keys_match(theirs, ours, {"dtype"})
    for k in ("fill_mode", "interpolation", "fill_value"):
        assert pc[k] == kc[k], (k, pc[k], kc[k])
    # the factors as given (Keras saves its ranges, (-0.3, 0.3) for 0.3, which it refuses to
    # load); both libraries rebuild the same ranges from them
    assert (pc["x_factor"], pc["y_factor"]) == (0.3, [0.1, 0.4])
    assert tuple(keras.layers.RandomShear.from_config(pc).x_factor) == tuple(kc["x_factor"]) \
        == layers.RandomShear.from_config(pc).x_factor
    round_trip(ours, X)
    for bad in (1.5, -0.2, (0.1, 2.0), (0.1, 0.2, 0.3), "x"):
        with pytest.raises(ValueError, match="should be a number"):
            layers.RandomShear(x_factor=bad)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.RandomShear(0.1, fill_mode="mirror2")


EQ_CASES = {  # after equalization_test.py: default, value ranges, bins
    "default": ({}, X),
    "unit_range": ({"value_range": (0, 1)}, X / 255.0),
    "bins_64": ({"bins": 64}, X),
    "reversed_range_16_bins": ({"value_range": (1, -1), "bins": 16}, X / 127.5 - 1.0),
    "integers": ({}, np.round(X / 32.0) * 32.0),
    "outside_range": ({}, X * 1.4 - 40.0),
}


@pytest.mark.parametrize("name", sorted(EQ_CASES))
def test_equalization_matches_keras(name):
    keras = keras_or_skip()
    import torch
    kw, x = EQ_CASES[name]
    x = np.ascontiguousarray(x, np.float32)
    want = keras.ops.convert_to_numpy(keras.layers.Equalization(**kw)(torch.tensor(x)))
    got = layers.Equalization(**kw)(x).numpy()
    span = abs(kw.get("value_range", (0, 255))[1] - kw.get("value_range", (0, 255))[0])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * span)
    assert not np.allclose(got, x)  # it did something


def test_equalization_constant_channel_and_one_image():
    keras = keras_or_skip()
    import torch
    x = X.copy()
    x[..., 1] = 77.0  # one level: kept
    want = keras.ops.convert_to_numpy(keras.layers.Equalization()(torch.tensor(x)))
    got = layers.Equalization()(x).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_array_equal(got[..., 1], 77.0)
    one = layers.Equalization()(x[0]).numpy()
    np.testing.assert_allclose(one, keras.ops.convert_to_numpy(
        keras.layers.Equalization()(torch.tensor(x[0]))), atol=1e-4)
    # equalized levels spread over [0, 255]
    assert got[..., 0].min() == 0.0 and got[..., 0].max() == 255.0


def test_equalization_in_a_model_config_and_errors(tmp_path):
    keras = keras_or_skip()
    ours = layers.Equalization(value_range=(0, 1), bins=128)
    kc, pc = config_keys_match(keras.layers.Equalization(value_range=(0, 1), bins=128), ours,
                               {"dtype"})
    assert pc["value_range"] == list(kc["value_range"]) and pc["bins"] == kc["bins"] == 128
    round_trip(ours, X / 255.0)
    # compiled fit: the layer runs in training; predict passes the images through
    pynn.set_seed(0)
    x = (X[:, :, :, :1] / 255.0).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.float32)[:, None]
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]), layers.Equalization((0, 1)),
                             layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, batch_size=3, verbose=0)
    np.testing.assert_array_equal(model.layers[0](x, training=False).numpy(), x)
    for kw, msg in (({"value_range": (1, 1)}, "value_range"), ({"value_range": 5}, "value_range"),
                    ({"bins": 0}, "bins"), ({"bins": 2.5}, "bins")):
        with pytest.raises(ValueError, match=msg):
            layers.Equalization(**kw)
    with pytest.raises(ValueError, match="expects images"):
        layers.Equalization()(np.zeros((2, 3), np.float32))
