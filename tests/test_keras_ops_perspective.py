"""keras.ops.image.perspective_transform (pynn/ops/image_perspective.py): the
homography takes every end point to its start point (float64), integer shifts move
pixels exactly, Keras' docstring-style cases and keras.ops.image.perspective_transform
side by side (bilinear and nearest, batched points, channels first, fill value), the
gradient reaches the images (central differences), a traced model, bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip
from pynn.ops.image_perspective import _homography

RNG = np.random.default_rng(29)
IMG = RNG.random((2, 12, 10, 3)).astype(np.float32)
START = np.array([[0, 0], [9, 0], [0, 11], [9, 11]], np.float32)
END = np.array([[1, 2], [8, 0], [0, 10], [9, 9]], np.float32)


def test_homography_maps_end_points_to_start_points():
    for s, e in ((START, END), (END, START), (START, START + [2, -1])):
        a = _homography(s[None].astype(float), e[None].astype(float))[0].astype(np.float64)
        k = a[6] * e[:, 0] + a[7] * e[:, 1] + 1
        np.testing.assert_allclose((a[0] * e[:, 0] + a[1] * e[:, 1] + a[2]) / k, s[:, 0], atol=1e-4)
        np.testing.assert_allclose((a[3] * e[:, 0] + a[4] * e[:, 1] + a[5]) / k, s[:, 1], atol=1e-4)


def test_integer_shift_moves_pixels_exactly():
    got = ops.image.perspective_transform(IMG, START, START + [2, 1], fill_value=-1.0).numpy()
    want = np.full_like(IMG, -1.0)
    want[:, 1:, 2:] = IMG[:, :-1, :-2]
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("kw", [{}, dict(interpolation="nearest"), dict(fill_value=0.5),
                                dict(batched=True), dict(data_format="channels_first")], ids=str)
def test_matches_keras(kw):
    keras = keras_or_skip()
    kw = dict(kw)
    img, s, e = IMG, START, END
    if kw.pop("batched", False):
        s, e = np.stack([START, END]), np.stack([END, START + 0.5])
    if kw.get("data_format") == "channels_first":
        img = IMG.transpose(0, 3, 1, 2)
    want = keras.ops.convert_to_numpy(keras.ops.image.perspective_transform(img, s, e, **kw))
    got = ops.image.perspective_transform(img, s, e, **kw).numpy()
    assert got.shape == want.shape
    # Keras solves the homography in float32: coordinates agree to ~1e-5 pixel
    tol = 1e-4 if kw.get("interpolation") != "nearest" else 0
    close = np.isclose(got, want, atol=tol + 1e-6)
    assert close.mean() > (0.999 if tol == 0 else 1.0 - 1e-12), close.mean()


def test_gradient_reaches_the_images():
    img = RNG.random((1, 5, 4, 1))
    s = np.array([[0, 0], [3, 0], [0, 4], [3, 4]], np.float64)
    e = s + [[0.3, 0.2], [-0.2, 0.1], [0.1, -0.3], [-0.1, -0.2]]

    def ref(a):
        return ops.image.perspective_transform(a.astype(np.float32), s, e).numpy().astype(float)

    # the warp is linear in the image, so central differences are exact at any step: a
    # large one keeps the float32 rounding of the reference out of the comparison
    check_grad(lambda t: ops.image.perspective_transform(t, s, e), ref, [img], rtol=1e-4,
               atol=1e-5, eps=0.25)


def test_traced_into_a_model_at_every_batch_size():
    inp = pynn.Input(shape=(12, 10, 3))
    model = pynn.Model(inp, ops.image.perspective_transform(inp, START, END))
    want = ops.image.perspective_transform(IMG, START, END).numpy()
    for bs in (1, 2):
        np.testing.assert_allclose(model.predict(IMG, batch_size=bs, verbose=0), want, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.perspective_transform(IMG, START[:3], END[:3]), "must be \\(4, 2\\)"),
    (lambda: ops.image.perspective_transform(IMG, START, np.stack([END, END])),
     "must have the same shape"),
    (lambda: ops.image.perspective_transform(IMG, START, np.zeros((4, 2))), "no homography"),
    (lambda: ops.image.perspective_transform(IMG, START, END, interpolation="cubic"),
     "interpolation"),
    (lambda: ops.image.perspective_transform(IMG[0, 0], START, END), "rank"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
