"""keras.ops.image.scale_and_translate (pynn/ops/image_resample.py): Keras' own
docstring case (keras/src/ops/image.py: a 3x3 ramp scaled by 2 to 5x5), bilinear
resizes against torch.nn.functional.interpolate (align_corners=False, antialiased
shrinking; not bicubic: torch's cubic has a = -0.75, Keras/JAX use Keys' -0.5), identity and integer shifts, keras.ops.image side by side
for every method, central differences, a traced model, bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(31)
IMG = RNG.random((2, 9, 8, 3)).astype(np.float32)
SAT = ops.image.scale_and_translate


def test_keras_own_case():
    images = np.arange(9, dtype="float32").reshape((3, 3))
    scale = np.array([2.0, 2.0]).astype("float32")
    got = SAT(images, (5, 5), scale, -(scale / 2.0 - 0.5), (0, 1), "linear").numpy()
    np.testing.assert_allclose(got, np.arange(5)[None, :] * 0.5 + np.arange(5)[:, None] * 1.5,
                               rtol=1e-6)


@pytest.mark.parametrize("out, method, antialias", [
    ((17, 13), "bilinear", False), ((5, 4), "bilinear", True), ((14, 5), "bilinear", True)])
def test_resizes_match_torch_interpolate(out, method, antialias):
    torch = pytest.importorskip("torch")
    x = torch.tensor(IMG.transpose(0, 3, 1, 2).astype(np.float64))
    want = torch.nn.functional.interpolate(x, size=out, mode=method, align_corners=False,
                                           antialias=antialias).numpy().transpose(0, 2, 3, 1)
    scale = np.array(out) / np.array(IMG.shape[1:3])
    got = SAT(IMG, (2, *out, 3), scale, [0.0, 0.0], (1, 2), method, antialias=antialias).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_identity_and_integer_shift():
    for method in ("linear", "cubic", "lanczos3", "lanczos5"):
        np.testing.assert_allclose(SAT(IMG, IMG.shape, [1.0, 1.0], [0.0, 0.0], (1, 2), method)
                                   .numpy(), IMG, atol=1e-6)
    got = SAT(IMG, IMG.shape, [1.0, 1.0], [2.0, 1.0], (1, 2), "linear").numpy()
    np.testing.assert_allclose(got[:, 2:, 1:], IMG[:, :-2, :-1], atol=1e-6)
    assert np.all(got[:, :2] == 0) and np.all(got[:, :, :1] == 0)  # from outside: 0


@pytest.mark.parametrize("method", ["linear", "bilinear", "cubic", "tricubic", "lanczos3",
                                    "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_matches_keras(method, antialias):
    keras = keras_or_skip()
    for out, scale, trans in (((2, 13, 5, 3), [1.5, 0.7], [0.3, -0.8]),
                              ((2, 4, 11, 3), [0.45, 1.3], [0.0, 1.5])):
        want = keras.ops.convert_to_numpy(keras.ops.image.scale_and_translate(
            IMG, out, np.array(scale, np.float32), np.array(trans, np.float32), (1, 2), method,
            antialias=antialias))
        got = SAT(IMG, out, scale, trans, (1, 2), method, antialias=antialias).numpy()
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_gradients_against_central_differences():
    img = RNG.random((1, 4, 5, 1))

    def ref(a):  # linear in the image: exact differences at any step
        return SAT(a.astype(np.float32), (1, 6, 3, 1), [1.4, 0.6], [0.2, 0.1], (1, 2),
                   "cubic").numpy().astype(float)

    check_grad(lambda t: SAT(t, (1, 6, 3, 1), [1.4, 0.6], [0.2, 0.1], (1, 2), "cubic"), ref,
               [img], rtol=1e-4, atol=1e-5, eps=0.25)


def test_traced_into_a_model_at_every_batch_size():
    inp = pynn.Input(shape=(9, 8, 3))
    model = pynn.Model(inp, SAT(inp, (1, 12, 6, 3), [1.3, 0.75], [0.5, 0.0], (1, 2), "linear"))
    want = SAT(IMG, (2, 12, 6, 3), [1.3, 0.75], [0.5, 0.0], (1, 2), "linear").numpy()
    for bs in (1, 2):
        np.testing.assert_allclose(model.predict(IMG, batch_size=bs, verbose=0), want, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: SAT(IMG, IMG.shape, [1, 1], [0, 0], (1, 2), "area"), "invalid value for argument"),
    (lambda: SAT(IMG, IMG.shape, [1], [0, 0], (1, 2), "linear"), "scale must hold 2 finite"),
    (lambda: SAT(IMG, IMG.shape, [1, 0], [0, 0], (1, 2), "linear"), "scale must be > 0"),
    (lambda: SAT(IMG, IMG.shape, [1, 1], [0, np.nan], (1, 2), "linear"), "translation must hold"),
    (lambda: SAT(IMG, IMG.shape, [1, 1], [0, 0], (1, 7), "linear"), "spatial_dims must be"),
    (lambda: SAT(IMG, IMG.shape, [1, 1], [0, 0], (1, 1), "linear"), "spatial_dims must be"),
    (lambda: SAT(IMG, (3, 9, 8, 3), [1, 1], [0, 0], (1, 2), "linear"), "output_shape"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
