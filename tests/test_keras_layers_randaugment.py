"""RandAugment (keras/src/layers/preprocessing/image_preprocessing/rand_augment.py,
rand_augment_test.py) against Keras 3. With factor (0, 0) every candidate is
deterministic, so each batch pynn returns must be one of Keras' own candidates'
outputs (its sublayers random_shear ... equalization, called by Keras), or for
two rounds one of the 121 compositions; the choice is uniform over the eleven;
identity at inference; a compiled fit runs it; config, save/load, bad arguments."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(29)
X = RNG.uniform(0, 255, (2, 8, 9, 3)).astype(np.float32)
NAMES = ["random_shear", "random_translation", "random_rotation", "random_brightness",
         "random_color_degeneration", "random_contrast", "random_sharpness",
         "random_posterization", "solarization", "auto_contrast", "equalization"]


def _keras_candidates(keras, x, **kw):
    import torch
    theirs = keras.layers.RandAugment(factor=(0.0, 0.0), **kw)
    return [keras.ops.convert_to_numpy(getattr(theirs, n)(torch.tensor(x), training=True))
            for n in NAMES]


def _which(out, candidates):
    return [j for j, c in enumerate(candidates) if np.allclose(out, c, rtol=1e-4, atol=0.02)]


def test_one_round_is_one_of_keras_candidates():
    keras = keras_or_skip()
    cands = _keras_candidates(keras, X)
    layer = layers.RandAugment(num_ops=1, factor=(0.0, 0.0))
    pynn.set_seed(3)
    chosen = []
    for _ in range(120):
        hits = _which(layer(X).numpy(), cands)
        assert hits, "an output that is none of Keras' candidates"
        chosen.append(hits[0])
    # identity candidates (shear, translation, rotation, brightness, contrast at 0) coincide
    distinct = {tuple(_which(c, cands)) for c in cands}
    counts = {d: sum(c in d for c in chosen) for d in distinct}
    for d, n in counts.items():  # each class of equal candidates: its share of 1/11 each
        assert abs(n / len(chosen) - len(d) / 11) < 0.12, (d, n)


def test_two_rounds_compose_keras_candidates():
    keras = keras_or_skip()
    first = _keras_candidates(keras, X, value_range=(0, 255))
    seconds = [_keras_candidates(keras, c) for c in first]
    layer = layers.RandAugment(num_ops=2, factor=(0.0, 0.0))
    pynn.set_seed(4)
    for _ in range(10):
        out = layer(X).numpy()
        assert any(_which(out, s) for s in seconds)


def test_inference_fit_config_and_errors():
    keras = keras_or_skip()
    layer = layers.RandAugment(num_ops=3, factor=0.3, interpolation="nearest")
    np.testing.assert_array_equal(layer(X, training=False).numpy(), X)
    out = layer(X).numpy()
    assert out.shape == X.shape and 0.0 <= out.min() and out.max() <= 255.0 + 1e-3
    model = pynn.Sequential([pynn.Input(shape=X.shape[1:]), layer, layers.Flatten(),
                             layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(X, np.zeros((2, 1), np.float32), epochs=2, verbose=0)
    np.testing.assert_array_equal(model.predict(X, verbose=0),
                                  layers.Dense.__call__(model.layers[-1], X.reshape(2, -1)).numpy())
    kw = dict(value_range=(0, 1), num_ops=3, factor=0.3, interpolation="nearest")
    kc, pc = config_keys_match(keras.layers.RandAugment(**kw), layers.RandAugment(**kw),
                               {"dtype"})
    for k in ("value_range", "num_ops", "factor", "interpolation"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    round_trip(layers.RandAugment(**kw), X / 255.0)
    for bad, msg in (({"factor": 2.0}, "factor"), ({"num_ops": -1}, "num_ops"),
                     ({"interpolation": "cubic"}, "interpolation")):
        with pytest.raises(ValueError, match=msg):
            layers.RandAugment(**bad)
