"""conv2d_transpose / conv1d_transpose / depthwise_conv2d: forward and gradients
against float64 NumPy references (direct loops over taps, independent of the C
im2col/GEMM path) by central differences, Keras 3's output lengths, and Keras 3's
own ops side by side (same inputs and kernels; skipped when Keras is absent)."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip


def deconv_len(n, k, s, d, padding, op):
    """keras/src/utils/conv_utils.py deconv_output_length."""
    ext = d * (k - 1) + 1
    if op is None:
        return n * s + max(ext - s, 0) if padding == "valid" else n * s
    pad = ext // 2 if padding == "same" else 0
    return (n - 1) * s + ext - 2 * pad + op


def tconv2d_ref(x, w, b=None, strides=(1, 1), padding="valid", op=(None, None), dilation=(1, 1)):
    """Scatter every input pixel through every tap, in float64."""
    N, H, W, C = x.shape
    KH, KW, F, _ = w.shape
    (sh, sw), (dh, dw) = strides, dilation
    OH = deconv_len(H, KH, sh, dh, padding, op[0])
    OW = deconv_len(W, KW, sw, dw, padding, op[1])

    def before(n, k, s, d, out):
        return 0 if padding == "valid" else max((n - 1) * s + d * (k - 1) + 1 - out, 0) // 2
    pt, pl = before(H, KH, sh, dh, OH), before(W, KW, sw, dw, OW)
    y = np.zeros((N, OH, OW, F))
    for iy in range(H):
        for ix in range(W):
            for ky in range(KH):
                for kx in range(KW):
                    oy, ox = iy * sh - pt + ky * dh, ix * sw - pl + kx * dw
                    if 0 <= oy < OH and 0 <= ox < OW:
                        y[:, oy, ox, :] += x[:, iy, ix, :] @ w[ky, kx].T
    return y if b is None else y + b


def depthwise_ref(x, w, b=None, strides=(1, 1), padding="valid", dilation=(1, 1)):
    N, H, W, C = x.shape
    KH, KW, _, M = w.shape
    (sh, sw), (dh, dw) = strides, dilation

    def geom(n, k, s, d):
        ext = d * (k - 1) + 1
        if padding == "valid":
            return (n - ext) // s + 1, 0
        out = (n - 1) // s + 1
        return out, max((out - 1) * s + ext - n, 0) // 2
    (OH, pt), (OW, pl) = geom(H, KH, sh, dh), geom(W, KW, sw, dw)
    y = np.zeros((N, OH, OW, C, M))
    for oy in range(OH):
        for ox in range(OW):
            for ky in range(KH):
                for kx in range(KW):
                    iy, ix = oy * sh - pt + ky * dh, ox * sw - pl + kx * dw
                    if 0 <= iy < H and 0 <= ix < W:
                        y[:, oy, ox] += x[:, iy, ix, :, None] * w[ky, kx]
    y = y.reshape(N, OH, OW, C * M)
    return y if b is None else y + b


TCASES = [
    # (N, H, W, C), (KH, KW, F), strides, padding, output_padding, dilation
    ((2, 3, 3, 2), (3, 3, 2), (1, 1), "valid", None, (1, 1)),
    ((2, 3, 4, 2), (3, 3, 3), (2, 2), "same", None, (1, 1)),
    ((1, 3, 3, 1), (3, 2, 2), (2, 3), "valid", None, (1, 1)),
    ((1, 3, 2, 2), (2, 2, 2), (3, 3), "valid", None, (1, 1)),   # kernel smaller than stride
    ((2, 2, 3, 2), (3, 3, 2), (2, 2), "same", (1, 0), (1, 1)),
    ((1, 3, 3, 2), (4, 4, 1), (2, 2), "same", (1, 1), (1, 1)),
    ((1, 3, 3, 2), (3, 3, 2), (1, 1), "same", None, (2, 2)),
    ((1, 2, 3, 1), (2, 3, 2), (1, 1), "valid", None, (2, 1)),
]


@pytest.mark.parametrize("xs,ks,strides,padding,opad,dil", TCASES)
def test_conv2d_transpose_matches_reference_and_gradients(xs, ks, strides, padding, opad, dil):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ks[0], ks[1], ks[2], xs[-1])) * 0.5
    b = rng.standard_normal(ks[2])
    op = (None, None) if opad is None else opad
    check_grad(lambda x, w, b: ops.conv2d_transpose(x, w, b, strides, padding, opad, dil),
               lambda x, w, b: tconv2d_ref(x, w, b, strides, padding, op, dil), [x, w, b])


@pytest.mark.parametrize("n,k,s,padding,opad,d", [(5, 3, 1, "valid", None, 1), (4, 3, 2, "same", None, 1),
                                                   (4, 4, 3, "same", 2, 1), (3, 2, 1, "valid", None, 3),
                                                   (4, 5, 2, "valid", 1, 1)])
def test_conv1d_transpose_is_the_2d_op_on_one_row(n, k, s, padding, opad, d):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, n, 3))
    w = rng.standard_normal((k, 2, 3)) * 0.5
    b = rng.standard_normal(2)

    def ref(x, w, b):
        return tconv2d_ref(x[:, None], w[None], b, (1, s), padding, (None, opad), (1, d))[:, 0]
    check_grad(lambda x, w, b: ops.conv1d_transpose(x, w, b, s, padding, opad, d), ref, [x, w, b])


DCASES = [
    ((2, 5, 5, 3), (3, 3, 1), (1, 1), "valid", (1, 1)),
    ((2, 5, 6, 2), (3, 3, 2), (2, 2), "same", (1, 1)),
    ((1, 6, 5, 2), (2, 3, 3), (1, 2), "same", (1, 1)),
    ((1, 7, 7, 2), (3, 3, 2), (1, 1), "valid", (2, 2)),
    ((1, 4, 4, 1), (4, 4, 2), (1, 1), "same", (1, 1)),
]


@pytest.mark.parametrize("xs,ks,strides,padding,dil", DCASES)
def test_depthwise_conv2d_matches_reference_and_gradients(xs, ks, strides, padding, dil):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ks[0], ks[1], xs[-1], ks[2])) * 0.5
    b = rng.standard_normal(xs[-1] * ks[2])
    check_grad(lambda x, w, b: ops.depthwise_conv2d(x, w, b, strides, padding, dil),
               lambda x, w, b: depthwise_ref(x, w, b, strides, padding, dil), [x, w, b])


def test_transpose_is_the_adjoint_of_conv2d():
    # <conv2d(x, w), y> == <x, conv2d_transpose(y, w)> for the same array w (Keras' two
    # layouts, (KH, KW, C, F) and (KH, KW, out=C, in=F), are one array): the
    # defining property, independent of any reference written here
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    y = ops.conv2d(x, w, strides=2, padding="same").numpy()
    g = rng.standard_normal(y.shape).astype(np.float32)
    back = ops.conv2d_transpose(g, w, strides=2, padding="same",
                                output_padding=(0, 1)).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y * g), np.sum(x * back), rtol=1e-4)


def test_bad_arguments_name_the_op():
    x = np.zeros((1, 3, 3, 2), np.float32)
    with pytest.raises(ValueError, match="conv2d_transpose.*2 input channels.*has 2|expects 3"):
        ops.conv2d_transpose(x, np.zeros((3, 3, 4, 3), np.float32))
    with pytest.raises(ValueError, match="output_padding.*smaller than `strides`"):
        ops.conv2d_transpose(x, np.zeros((3, 3, 4, 2), np.float32), strides=2, output_padding=2)
    with pytest.raises(ValueError, match="conv1d_transpose expects a 3-D input"):
        ops.conv1d_transpose(x, np.zeros((3, 4, 2), np.float32))
    with pytest.raises(ValueError, match="depthwise_conv2d.*expects 3 input channels"):
        ops.depthwise_conv2d(x, np.zeros((3, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match="depthwise_conv2d: the height of the input is 3"):
        ops.depthwise_conv2d(x, np.zeros((4, 4, 2, 1), np.float32))
    with pytest.raises(ValueError, match="padding"):
        ops.depthwise_conv2d(x, np.zeros((3, 3, 2, 1), np.float32), padding="causal")


def test_engine_checks_attributes_for_direct_callers():
    x = np.zeros((1, 3, 3, 2), np.float32)
    w = np.zeros((3, 3, 4, 2), np.float32)
    with pytest.raises(ValueError, match="conv2d_transpose.*strides"):
        pynn._C.apply("conv2d_transpose", [x, w], strides=(0, 1))
    with pytest.raises(ValueError, match="conv2d_transpose.*output_padding"):
        pynn._C.apply("conv2d_transpose", [x, w], strides=(2, 2), output_padding=(5, -1))
    with pytest.raises(ValueError, match="depthwise_conv2d.*padding"):
        pynn._C.apply("depthwise_conv2d", [x, np.zeros((3, 3, 2, 1), np.float32)],
                      padding="causal")


# ----------------------------------------------------------- Keras 3 side by side
@pytest.mark.parametrize("xs,ks,strides,padding,opad,dil", TCASES)
def test_conv2d_transpose_matches_keras_ops(xs, ks, strides, padding, opad, dil):
    keras = keras_or_skip()
    rng = np.random.default_rng(5)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal((ks[0], ks[1], ks[2], xs[-1])).astype(np.float32)
    want = np.asarray(keras.ops.conv_transpose(x, w, strides, padding, output_padding=opad,
                                               dilation_rate=dil))
    got = ops.conv2d_transpose(x, w, None, strides, padding, opad, dil).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("xs,ks,strides,padding,dil", DCASES)
def test_depthwise_conv2d_matches_keras_ops(xs, ks, strides, padding, dil):
    keras = keras_or_skip()
    rng = np.random.default_rng(6)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal((ks[0], ks[1], xs[-1], ks[2])).astype(np.float32)
    want = np.asarray(keras.ops.depthwise_conv(x, w, strides, padding, dilation_rate=dil))
    got = ops.depthwise_conv2d(x, w, None, strides, padding, dil).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


# ------------------------------------- the state ops of stateful RNNs (csrc/core/ops/state.c)
def test_store_states_passes_the_gradient():
    # y passes through (gradient 1 to y, none across batches into the states); the
    # side effect writes the states into the targets
    rng = np.random.default_rng(7)
    target = np.zeros((2, 3), np.float32)
    state = rng.standard_normal((2, 3))
    check_grad(lambda y: ops.store_states(y, [state.astype(np.float32)], [pynn.Tensor(target)]),
               lambda y: y, [rng.standard_normal((2, 4))])
    np.testing.assert_allclose(target, state, rtol=1e-6)


def test_read_states_checks_the_batch():
    assert ops.read_states(np.zeros((2, 5)), np.full((2, 3), 4.0, np.float32)).numpy().sum() == 24
    with pytest.raises(ValueError, match="keeps its states for batches of 2 but got a batch of 3"):
        ops.read_states(np.zeros((3, 5)), np.zeros((2, 3), np.float32))
    # a trainable leaf is a valid target since SpectralNormalization writes its kernel back;
    # a computed tensor is not
    computed = ops.multiply(pynn.Tensor(np.zeros((1, 2)), requires_grad=True), 2.0)
    with pytest.raises(ValueError, match="store_states: target 0 must be a writable leaf"):
        ops.store_states(np.zeros(2), [np.zeros((1, 2))], [computed])
