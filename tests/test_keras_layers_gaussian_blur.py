"""RandomGaussianBlur (keras/src/layers/preprocessing/image_preprocessing/
random_gaussian_blur.py, random_gaussian_blur_test.py) against Keras 3: with a
fixed probability and sigma the layer is deterministic and gives Keras' numbers
(value ranges, kernel sizes, one image); factor 0 is the identity; the sigmas are
one draw per batch and the blur a fair coin per image for factor 1; gradient to
the images; identity at inference; config, save/load and bad arguments."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(71)
X = RNG.uniform(0, 255, (3, 9, 8, 3)).astype(np.float32)


@pytest.mark.parametrize("kw", [
    {"sigma": (0.6, 0.6)},
    {"sigma": (1.0, 1.0), "kernel_size": 5},
    {"sigma": (0.3, 0.3), "kernel_size": (7, 7), "value_range": (0, 1)},
])
def test_fixed_blur_matches_keras(kw):
    keras = keras_or_skip()
    import torch
    x = X if "value_range" not in kw else X / 255.0
    kw = {**kw, "factor": (1.0, 1.0)}
    want = keras.ops.convert_to_numpy(keras.layers.RandomGaussianBlur(**kw)(torch.tensor(x)))
    got = layers.RandomGaussianBlur(**kw)(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(layers.RandomGaussianBlur(**kw)(x[1]).numpy(), want[1],
                               rtol=1e-5, atol=1e-4)


def test_draws_coin_sigma_per_batch_and_identity():
    pynn.set_seed(6)
    x = np.repeat(X[:1], 400, axis=0)
    out = layers.RandomGaussianBlur()(x).numpy()  # factor 1: p ~ U(0, 1), t ~ U(0, 1)
    blurred = ~np.isclose(out, x).all(axis=(1, 2, 3))
    assert 0.4 < blurred.mean() < 0.6
    first = out[blurred][0]
    assert all(np.allclose(o, first) for o in out[blurred])  # one sigma pair per batch
    second = layers.RandomGaussianBlur(factor=(1.0, 1.0))(x[:2]).numpy()
    assert not np.allclose(second[0], first, atol=1e-3)  # another batch, another sigma
    np.testing.assert_array_equal(layers.RandomGaussianBlur(factor=0.0)(x[:4]).numpy(), x[:4])
    np.testing.assert_array_equal(layers.RandomGaussianBlur()(X, training=False).numpy(), X)
    xt = pynn.Tensor(X, requires_grad=True)
    layers.RandomGaussianBlur(factor=(1.0, 1.0), value_range=(-1e9, 1e9))(xt).sum().backward()
    interior = xt.grad[:, 1:-1, 1:-1]  # each interior pixel feeds a whole normalised kernel
    np.testing.assert_allclose(interior, 1.0, rtol=1e-4)


def test_config_save_and_errors():
    keras = keras_or_skip()
    kw = dict(factor=0.7, kernel_size=5, sigma=(0.2, 0.9), value_range=(0, 1))
    theirs, ours = keras.layers.RandomGaussianBlur(**kw), layers.RandomGaussianBlur(**kw)
    kc, pc = config_keys_match(theirs, ours, {"dtype"})
    for k in ("factor", "kernel_size", "sigma", "value_range"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    round_trip(ours, X / 255.0)
    for bad, msg in (({"factor": 1.5}, "factor"), ({"kernel_size": 4}, "odd"),
                     ({"kernel_size": (3, 5)}, "square"), ({"sigma": -2.0}, "factor"),
                     ({"value_range": 3}, "value_range")):
        with pytest.raises(ValueError, match=msg):
            layers.RandomGaussianBlur(**bad)
