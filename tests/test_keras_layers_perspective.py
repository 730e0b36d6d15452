"""RandomPerspective (keras/src/layers/preprocessing/image_preprocessing/
random_perspective.py, random_perspective_test.py) against Keras 3.

Each image carries two extra channels holding its pixels' x and y: the warp moves
them as it moves the picture, so the homography pynn drew is read back from the
output (a least-squares fit), the moved corners follow from it, and Keras' own
perspective_transform of the picture with those corners must give pynn's numbers.
The corners must move within Keras' bounds ((0, 0) stays), the warp must happen
with Keras' probability; factor 0 and scale 0 are the identity; inference too."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(83)
H, W = 12, 10
PICTURES = RNG.uniform(0, 255, (16, H, W, 2)).astype(np.float32)


def _with_coordinates(pictures):
    yy, xx = np.meshgrid(np.arange(H, dtype=np.float32), np.arange(W, dtype=np.float32),
                         indexing="ij")
    coords = np.broadcast_to(np.stack([xx, yy], -1), pictures.shape[:3] + (2,))
    return np.concatenate([pictures, coords], -1).astype(np.float32)


def _fit_homography(out):
    """h with output (x, y) reading input ((h0 x + h1 y + h2) / k, (h3 x + h4 y + h5) / k),
    k = h6 x + h7 y + 1, from the sampled coordinates of pixels that read inside."""
    xin, yin = out[..., -2].ravel(), out[..., -1].ravel()
    yy, xx = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    x, y = xx.ravel().astype(np.float64), yy.ravel().astype(np.float64)
    inside = (xin > 0.5) & (xin < W - 1.5) & (yin > 0.5) & (yin < H - 1.5)
    x, y, xin, yin = x[inside], y[inside], xin[inside], yin[inside]
    zero, one = np.zeros_like(x), np.ones_like(x)
    a = np.concatenate([np.stack([x, y, one, zero, zero, zero, -xin * x, -xin * y], 1),
                        np.stack([zero, zero, zero, x, y, one, -yin * x, -yin * y], 1)])
    return np.linalg.lstsq(a, np.concatenate([xin, yin]), rcond=None)[0]


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_warps_are_keras_homographies(interpolation):
    keras = keras_or_skip()
    import torch
    scale, fill = 0.6, 1e4  # a far fill value: pixels that mix it in are not fitted
    pynn.set_seed(12)
    out = layers.RandomPerspective(factor=(1.0, 1.0), scale=scale, fill_value=fill)(
        _with_coordinates(PICTURES)).numpy()  # bilinear: the coordinates come out exact
    pynn.set_seed(12)  # the same draws, sampled as asked
    got = layers.RandomPerspective(factor=(1.0, 1.0), scale=scale, fill_value=fill,
                                   interpolation=interpolation)(PICTURES).numpy()
    start = np.array([[0, 0], [W - 1, 0], [0, H - 1], [W - 1, H - 1]], np.float64)
    for i in range(len(PICTURES)):
        h = _fit_homography(out[i])
        m = np.array([[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]])
        ends = np.linalg.solve(m, np.concatenate([start, np.ones((4, 1))], 1).T).T
        ends = ends[:, :2] / ends[:, 2:]
        np.testing.assert_allclose(ends[0], 0.0, atol=1e-3)  # (0, 0) * f stays put
        move = (ends - start)[1:] / start[1:].clip(min=1)
        assert np.all(np.abs(move[start[1:] > 0]) <= scale / 2 + 1e-3)
        # Keras' warp of the picture with these corners gives pynn's numbers
        want = keras.ops.convert_to_numpy(keras.ops.image.perspective_transform(
            torch.tensor(PICTURES[i:i + 1]), torch.tensor(start[None], dtype=torch.float32),
            torch.tensor(ends[None], dtype=torch.float32), interpolation=interpolation,
            fill_value=fill))[0]
        if interpolation == "bilinear":
            np.testing.assert_allclose(got[i], want, rtol=1e-3, atol=0.05)
        else:  # rounding ties of a refitted transform may pick the neighbour on a few pixels
            assert np.mean(np.isclose(got[i], want, rtol=1e-5, atol=1e-3)) > 0.97


def test_keras_basic_case_and_probability():
    # random_perspective_test.py test_random_perspective_basic: corners pulled to (1, 1)
    keras = keras_or_skip()
    import torch
    from keras.src.backend.torch.image import compute_homography_matrix
    from pynn.ops.image_sampling import affine_transform
    start = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], np.float32)
    end = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], np.float32)
    m = keras.ops.convert_to_numpy(compute_homography_matrix(
        torch.tensor(start[None]), torch.tensor(end[None])))[0]
    got = affine_transform(np.ones((4, 4, 1), np.float32), m).numpy()
    want = np.zeros((4, 4, 1), np.float32)
    want[:2, :2] = 1.0
    np.testing.assert_allclose(got, want, atol=1e-4)
    # the warp happens when uniform < uniform(factor): factor 1 -> one image in two
    pynn.set_seed(13)
    x = np.repeat(PICTURES[:1], 400, axis=0)
    out = layers.RandomPerspective(factor=1.0, scale=0.8)(x).numpy()
    warped = ~np.isclose(out, x).all(axis=(1, 2, 3))
    assert 0.4 < warped.mean() < 0.6


def test_identity_cases_config_and_errors():
    keras = keras_or_skip()
    x = PICTURES[:3]
    # random_perspective_test.py test_random_perspective_no_op / _inference
    np.testing.assert_array_equal(layers.RandomPerspective(factor=0)(x).numpy(), x)
    np.testing.assert_allclose(layers.RandomPerspective(factor=(1.0, 1.0), scale=0.0)(x).numpy(),
                               x, atol=1e-4)
    np.testing.assert_array_equal(layers.RandomPerspective()(x, training=False).numpy(), x)
    kw = dict(factor=0.4, scale=0.3, interpolation="nearest", fill_value=2.0)
    theirs, ours = keras.layers.RandomPerspective(**kw), layers.RandomPerspective(**kw)
    kc, pc = config_keys_match(theirs, ours, {"dtype"})
    for k in ("factor", "scale", "interpolation", "fill_value"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    round_trip(ours, x)
    xt = pynn.Tensor(x, requires_grad=True)
    layers.RandomPerspective(factor=(1.0, 1.0), scale=0.2)(xt).sum().backward()
    assert np.abs(xt.grad).sum() > 0
    for bad, msg in (({"factor": 1.5}, "factor"), ({"scale": 2.0}, "scale"),
                     ({"interpolation": "cubic"}, "interpolation")):
        with pytest.raises(ValueError, match=msg):
            layers.RandomPerspective(**bad)
