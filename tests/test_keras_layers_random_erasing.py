"""RandomErasing against Keras 3 (keras/src/layers/preprocessing/image_preprocessing/
random_erasing.py and random_erasing_test.py): fixed draws give Keras' exact outputs
(factor 0: nothing erased); random draws keep Keras' invariants — one axis-aligned
rectangle per erased image, of the drawn size, filled as asked — and the same
statistics as Keras' own layer on the same images (erasing rate, erased area,
noise scale)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(61)
X = RNG.uniform(1, 255, size=(400, 12, 10, 3)).astype(np.float32)


def _keras(keras, layer, x):
    import torch
    return keras.ops.convert_to_numpy(layer(torch.tensor(x), training=True))


def _rectangles(out, x):
    """Per image: the erased mask, checked to be one rectangle over all channels."""
    masks = []
    for o, i in zip(out, x):
        m = ~np.isclose(o, i)
        assert (m == m[..., :1]).all()                    # every channel alike
        m = m[..., 0]
        if m.any():
            rows, cols = np.where(m.any(axis=1))[0], np.where(m.any(axis=0))[0]
            assert m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()
            assert m.sum() == len(rows) * len(cols)       # nothing outside the box
        masks.append(m)
    return np.array(masks)


def test_no_erasing_matches_keras_exactly():
    keras = keras_or_skip()
    kw = {"factor": (0.0, 0.0)}
    want = _keras(keras, keras.layers.RandomErasing(**kw), X[:4])
    np.testing.assert_array_equal(layers.RandomErasing(**kw)(X[:4], training=True).numpy(), want)
    np.testing.assert_array_equal(want, X[:4])


@pytest.mark.parametrize("fill", [0.0, (10.0, 20.0, 30.0), None])
def test_rectangles_and_statistics_as_keras(fill):
    keras = keras_or_skip()
    pynn.set_seed(7)
    kw = {"factor": 0.8, "scale": (0.1, 0.4), "fill_value": fill}
    ours = layers.RandomErasing(**kw)(X, training=True).numpy()
    theirs = _keras(keras, keras.layers.RandomErasing(**kw), X)
    stats, stats_noise = [], []
    for out in (ours, theirs):
        m = _rectangles(out, X)
        erased = m.any(axis=(1, 2))
        rows = m.any(axis=2).sum(axis=1)[erased]
        cols = m.any(axis=1).sum(axis=1)[erased]
        # each side: the integer points of [start, start + sqrt(s) * L), s in [0.1, 0.4)
        assert rows.min() >= np.floor(np.sqrt(0.1) * 12) and rows.max() <= np.ceil(np.sqrt(0.4) * 12)
        assert cols.min() >= np.floor(np.sqrt(0.1) * 10) and cols.max() <= np.ceil(np.sqrt(0.4) * 10)
        values = out[np.repeat(m[..., None], 3, axis=3)].reshape(-1, 3)
        if fill is None:  # normal(0, 1) * 255 clipped to [0, 255]: half zeros
            assert values.min() >= 0 and values.max() <= 255
            assert 0.45 < (values == 0).mean() < 0.55
            stats_noise.append(values.std())
        else:
            np.testing.assert_array_equal(values, np.broadcast_to(np.float32(fill), values.shape))
        stats.append((erased.mean(), m[erased].mean()))
    # factor 0.8: p ~ U[0, 0.8), erased when U[0, 1) < p: rate 0.4; the same in both
    for (rate, area), (k_rate, k_area) in zip([stats[0]], [stats[1]]):
        assert abs(rate - 0.4) < 0.08 and abs(k_rate - 0.4) < 0.08
        assert abs(area - k_area) < 0.05
    if fill is None:
        assert abs(stats_noise[0] / stats_noise[1] - 1) < 0.1


def test_every_image_with_factor_one_and_inference_identity():
    pynn.set_seed(8)
    layer = layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0.0)
    out = layer(X[:50], training=True).numpy()
    m = _rectangles(out, X[:50])
    assert m.any(axis=(1, 2)).all()
    np.testing.assert_array_equal(m.any(axis=2).sum(axis=1), 6)   # sqrt(0.25) * 12 rows
    np.testing.assert_array_equal(m.any(axis=1).sum(axis=1), 5)   # sqrt(0.25) * 10 columns
    assert len({tuple(np.argwhere(mm)[0]) for mm in m}) > 10      # corners vary
    np.testing.assert_array_equal(layer(X[:5], training=False).numpy(), X[:5])
    np.testing.assert_array_equal(layer(X[0], training=True).numpy().shape, X[0].shape)


def test_config_matches_keras_and_round_trip():
    keras = keras_or_skip()
    from keras_layer_pair import config_keys_match, round_trip
    kw = {"factor": 0.5, "scale": (0.1, 0.2), "fill_value": 3.0}
    theirs, ours = keras.layers.RandomErasing(**kw), layers.RandomErasing(**kw)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "data_format"})
    for k in ("factor", "scale", "fill_value", "value_range", "seed"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, k
    round_trip(ours, X[:3])


def test_bad_arguments_and_inputs():
    for kw, msg in (({"factor": 1.5}, "factor"), ({"scale": (0.1, 2.0, 3.0)}, "factor"),
                    ({"fill_value": (1, 2)}, "fill_value"), ({"fill_value": "red"}, "fill_value")):
        with pytest.raises(ValueError, match=msg):
            layers.RandomErasing(**kw)
    with pytest.raises(ValueError, match="three numbers needs RGB images"):
        layers.RandomErasing(fill_value=(1, 2, 3))(np.zeros((1, 4, 4, 1), np.float32),
                                                   training=True)
