"""keras.ops.image.extract_patches_3d (pynn/ops/image_patches.py): against a float64
NumPy loop over patches (valid and same padding, strides, dilation), Keras' own
docstring cases (keras/src/ops/image.py: (2, 10, 10, 10, 3) with size 3 -> (2, 3, 3,
3, 81); one volume -> (3, 3, 3, 81)) and keras.ops side by side, the gradient
against central differences, a traced model, bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(23)
V = RNG.normal(size=(2, 5, 6, 7, 2)).astype(np.float32)


def np_patches(v, size, strides, dilation=(1, 1, 1), same=False):
    v = np.asarray(v, np.float64)
    span = [d * (k - 1) + 1 for k, d in zip(size, dilation)]
    dims = v.shape[1:4]
    if same:
        out = [-(-n // s) for n, s in zip(dims, strides)]
        tot = [max((o - 1) * s + sp - n, 0) for o, s, sp, n in zip(out, strides, span, dims)]
        v = np.pad(v, [(0, 0)] + [(t // 2, t - t // 2) for t in tot] + [(0, 0)])
        dims = v.shape[1:4]
    out = [(n - sp) // s + 1 for n, sp, s in zip(dims, span, strides)]
    res = np.zeros((v.shape[0], *out, np.prod(size) * v.shape[4]))
    for a in range(out[0]):
        for b in range(out[1]):
            for c in range(out[2]):
                block = v[:, a * strides[0]:a * strides[0] + span[0]:dilation[0],
                          b * strides[1]:b * strides[1] + span[1]:dilation[1],
                          c * strides[2]:c * strides[2] + span[2]:dilation[2], :]
                res[:, a, b, c] = block.reshape(v.shape[0], -1)
    return res


CASES = [((2, 2, 2), None, 1, "valid"), ((3, 2, 3), (1, 2, 2), 1, "valid"),
         ((2, 3, 2), (2, 1, 3), (2, 1, 2), "valid"), ((3, 3, 3), (2, 2, 2), 1, "same"),
         ((2, 2, 3), 1, (1, 2, 1), "same")]


@pytest.mark.parametrize("size, strides, dilation, padding", CASES, ids=str)
def test_values_match_numpy(size, strides, dilation, padding):
    got = ops.image.extract_patches_3d(V, size, strides, dilation, padding).numpy()
    s = size if strides is None else (strides,) * 3 if isinstance(strides, int) else strides
    d = (dilation,) * 3 if isinstance(dilation, int) else dilation
    want = np_patches(V, size, s, d, padding == "same")
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_keras_own_cases_and_side_by_side():
    volumes = RNG.random((2, 10, 10, 10, 3)).astype("float32")
    assert ops.image.extract_patches_3d(volumes, (3, 3, 3)).shape == (2, 3, 3, 3, 81)
    assert ops.image.extract_patches_3d(volumes[0], (3, 3, 3)).shape == (3, 3, 3, 81)
    keras = keras_or_skip()
    for args in (((2, 2, 2),), ((3, 2, 3), (1, 2, 2)), ((3, 3, 3), (2, 2, 2), 1, "same")):
        want = keras.ops.convert_to_numpy(keras.ops.image.extract_patches_3d(V, *args))
        np.testing.assert_allclose(ops.image.extract_patches_3d(V, *args).numpy(), want,
                                   rtol=1e-6, atol=1e-6)
    vf = V.transpose(0, 4, 1, 2, 3)
    want = keras.ops.convert_to_numpy(keras.ops.image.extract_patches_3d(
        vf, 2, data_format="channels_first"))
    got = ops.image.extract_patches_3d(vf, 2, data_format="channels_first").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_gradients_against_central_differences():
    v = RNG.normal(size=(1, 3, 4, 3, 1))
    check_grad(lambda t: ops.image.extract_patches_3d(t, 2, strides=1),
               lambda a: np_patches(a, (2, 2, 2), (1, 1, 1)), [v])


def test_traced_into_a_model_at_every_batch_size():
    x = RNG.normal(size=(3, 5, 6, 7, 2)).astype(np.float32)
    inp = pynn.Input(shape=(5, 6, 7, 2))
    model = pynn.Model(inp, ops.image.extract_patches_3d(inp, (2, 3, 2), (1, 2, 2)))
    want = np_patches(x, (2, 3, 2), (1, 2, 2))
    for bs in (1, 3):
        np.testing.assert_array_equal(model.predict(x, batch_size=bs, verbose=0), want)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.extract_patches_3d(V[0, 0], 2), "expected volumes of rank 4"),
    (lambda: ops.image.extract_patches_3d(V, (2, 2)), "size must be a positive int or a tuple"),
    (lambda: ops.image.extract_patches_3d(V, 2, strides=0), "strides must be"),
    (lambda: ops.image.extract_patches_3d(V, 6), "is larger than the volume"),
    (lambda: ops.image.extract_patches_3d(V, 2, padding="full"), "padding must be"),
    (lambda: ops.image.extract_patches_3d(V, 2, data_format="ndhwc"), "data_format"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
