"""keras.ops.image.ssim (pynn/ops/image_quality.py): against a float64 NumPy
transcription of Wang et al. 2004 with Keras' Gaussian window and 'valid' filtering
(scipy.signal-free: the window applied by explicit sums), Keras' own cases
(keras/src/ops/image.py docstring: identical images give > 0.99, a batch gives one
value per image) and keras.ops.image.ssim side by side (channels last and first,
unbatched, 8-bit range), central differences, a traced model, bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(19)


def np_ssim(a, b, max_val=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """a, b: (N, H, W, C) float64."""
    x = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-x * x / (2 * sigma * sigma))
    g /= g.sum()
    win = np.outer(g, g)

    def local(v):
        H, W = v.shape[1] - size + 1, v.shape[2] - size + 1
        out = np.zeros((v.shape[0], H, W, v.shape[3]))
        for i in range(size):
            for j in range(size):
                out += win[i, j] * v[:, i:i + H, j:j + W, :]
        return out

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    m1, m2 = local(a), local(b)
    s1, s2, s12 = local(a * a) - m1 ** 2, local(b * b) - m2 ** 2, local(a * b) - m1 * m2
    smap = (2 * m1 * m2 + c1) * (2 * s12 + c2) / ((m1 ** 2 + m2 ** 2 + c1) * (s1 + s2 + c2))
    return smap.mean(axis=(1, 2, 3))


A = RNG.random((3, 16, 14, 2)).astype(np.float32)
B = np.clip(A + RNG.normal(scale=0.2, size=A.shape), 0, 1).astype(np.float32)


def test_values_match_the_float64_formula():
    np.testing.assert_allclose(ops.image.ssim(A, B).numpy(), np_ssim(A.astype(float), B),
                               rtol=1e-5, atol=1e-6)
    got = ops.image.ssim(A * 255, B * 255, max_val=255.0, filter_size=5, filter_sigma=0.8,
                         k1=0.02, k2=0.05).numpy()
    want = np_ssim(A * 255.0, B * 255.0, 255.0, 5, 0.8, 0.02, 0.05)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_keras_own_cases():
    image = RNG.random((32, 32, 3)).astype("float32")
    assert float(ops.image.ssim(image, image, max_val=1.0).numpy()) > 0.99
    images1 = RNG.random((2, 32, 32, 3)).astype("float32")
    images2 = RNG.random((2, 32, 32, 3)).astype("float32")
    assert ops.image.ssim(images1, images2, max_val=1.0).shape == (2,)


@pytest.mark.parametrize("kw", [{}, dict(data_format="channels_first"), dict(unbatched=True),
                                dict(max_val=255.0, filter_size=7)], ids=str)
def test_matches_keras(kw):
    keras = keras_or_skip()
    kw = dict(kw)
    a, b = A, B
    if kw.pop("unbatched", False):
        a, b = A[0], B[0]
    if kw.get("data_format") == "channels_first":
        a, b = a.transpose(0, 3, 1, 2), b.transpose(0, 3, 1, 2)
    if kw.get("max_val"):
        a, b = a * 255, b * 255
    want = keras.ops.convert_to_numpy(keras.ops.image.ssim(a, b, **kw))
    got = ops.image.ssim(a, b, **kw).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_gradients_against_central_differences():
    a = RNG.random((1, 6, 5, 1))
    b = RNG.random((1, 6, 5, 1))
    check_grad(lambda x, y: ops.image.ssim(x, y, filter_size=3),
               lambda x, y: np_ssim(x, y, size=3), [a, b])


def test_traced_into_a_model_at_every_batch_size():
    inp1, inp2 = pynn.Input(shape=(16, 14, 2)), pynn.Input(shape=(16, 14, 2))
    model = pynn.Model([inp1, inp2], ops.image.ssim(inp1, inp2))
    want = np_ssim(A.astype(float), B)
    for bs in (1, 2, 3):
        np.testing.assert_allclose(model.predict([A, B], batch_size=bs, verbose=0), want,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.ssim(A[0, 0], B[0, 0]), "ssim: expected images of rank 3"),
    (lambda: ops.image.ssim(A, B[:2]), "ssim: image1 and image2 must have the same shape"),
    (lambda: ops.image.ssim(A, B, filter_size=15), "filter_size=15 is larger than the images"),
    (lambda: ops.image.ssim(A, B, filter_size=0), "filter_size must be a positive int"),
    (lambda: ops.image.ssim(A, B, filter_sigma=0.0), "filter_sigma must be > 0"),
    (lambda: ops.image.ssim(A, B, data_format="nhwc"), "data_format"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
