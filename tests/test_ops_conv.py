"""conv2d / conv1d: forward and gradients against a float64 NumPy reference,
Keras' output-shape rules, TF's 'same' split, and error messages."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


def keras_out(n, k, s, d, padding):
    """Keras' documented formulas (specs/keras-parity.md)."""
    if padding == "valid":
        return (n - d * (k - 1) - 1) // s + 1
    return (n - 1) // s + 1 if n else 0


def pads(n, k, s, d, padding):
    """(before, after) padding of one axis; TF puts the odd element after."""
    out = keras_out(n, k, s, d, padding)
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return d * (k - 1), 0
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def conv2d_ref(x, w, b=None, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Direct sum over kernel taps in float64 (no im2col, so independent of the C path)."""
    KH, KW, _, F = w.shape
    ps = taps(x, KH, KW, strides, padding, dilation)
    y = np.zeros(ps[0].shape[:3] + (F,))
    for t, patch in enumerate(ps):
        y += patch @ w[t // KW, t % KW]
    return y if b is None else y + b


def taps(x, kh, kw, strides, padding, dilation):
    """Per tap (ky, kx), row-major: the input positions it reads for every
    output, (N, OH, OW, C), zeros in the padding."""
    N, H, W, C = x.shape
    (sh, sw), (dh, dw) = strides, dilation
    OH, OW = keras_out(H, kh, sh, dh, padding), keras_out(W, kw, sw, dw, padding)
    pt, pb = pads(H, kh, sh, dh, padding)
    pl, pr = pads(W, kw, sw, dw, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    return [xp[:, ky * dh: ky * dh + (OH - 1) * sh + 1: sh, kx * dw: kx * dw + (OW - 1) * sw + 1: sw]
            for ky in range(kh) for kx in range(kw)]


def conv1d_ref(x, w, b=None, stride=1, padding="valid", dilation=1):
    N, W, C = x.shape
    K, _, F = w.shape
    OW = keras_out(W, K, stride, dilation, padding)
    pl, pr = pads(W, K, stride, dilation, padding)
    xp = np.pad(x, ((0, 0), (pl, pr), (0, 0)))
    y = np.zeros((N, OW, F))
    for k in range(K):
        y += xp[:, k * dilation: k * dilation + (OW - 1) * stride + 1: stride, :] @ w[k]
    return y if b is None else y + b


CASES_2D = [
    # (N, H, W, C), (KH, KW, F), strides, padding, dilation
    ((2, 5, 5, 3), (3, 3, 4), (1, 1), "valid", (1, 1)),
    ((2, 5, 5, 3), (3, 3, 4), (1, 1), "same", (1, 1)),
    ((1, 7, 6, 2), (3, 2, 3), (2, 2), "same", (1, 1)),
    ((1, 7, 6, 2), (3, 2, 3), (2, 3), "valid", (1, 1)),
    ((2, 7, 7, 2), (3, 3, 2), (1, 1), "valid", (2, 2)),
    ((1, 7, 8, 2), (2, 3, 2), (1, 1), "same", (2, 3)),
    ((1, 9, 9, 1), (3, 3, 2), (2, 2), "same", (2, 2)),
    ((3, 4, 4, 3), (1, 1, 5), (1, 1), "valid", (1, 1)),    # pointwise fast path
    ((2, 5, 5, 3), (1, 1, 2), (2, 2), "valid", (1, 1)),    # 1x1 but strided: im2col path
    ((1, 4, 4, 2), (4, 4, 3), (1, 1), "valid", (1, 1)),    # kernel covers the whole image
    ((1, 4, 5, 2), (2, 2, 2), (1, 1), "same", (1, 1)),     # even kernel: odd pad goes after
    ((0, 5, 5, 3), (3, 3, 2), (1, 1), "same", (1, 1)),     # empty batch
]


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("xs,ks,strides,padding,dil", CASES_2D)
def test_conv2d_gradients(xs, ks, strides, padding, dil, use_bias):
    rng = np.random.default_rng(10)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((ks[0], ks[1], xs[3], ks[2])) * 0.5
    b = rng.standard_normal(ks[2])
    if use_bias:
        fn = lambda x, w, b: ops.conv2d(x, w, b, strides=strides, padding=padding, dilation_rate=dil)
        ref = lambda x, w, b: conv2d_ref(x, w, b, strides, padding, dil)
        check_grad(fn, ref, [x, w, b])
    else:
        fn = lambda x, w: ops.conv2d(x, w, strides=strides, padding=padding, dilation_rate=dil)
        ref = lambda x, w: conv2d_ref(x, w, None, strides, padding, dil)
        check_grad(fn, ref, [x, w])


@pytest.mark.parametrize("xs,k,f,stride,padding,dil", [
    ((2, 9, 3), 3, 4, 1, "valid", 1),
    ((2, 9, 3), 3, 4, 2, "same", 1),
    ((1, 8, 2), 2, 3, 1, "same", 1),
    ((2, 10, 2), 3, 2, 1, "causal", 2),
    ((1, 11, 2), 3, 2, 3, "valid", 2),
    ((3, 6, 4), 1, 3, 1, "valid", 1),
    ((0, 6, 2), 3, 2, 1, "causal", 1),
])
def test_conv1d_gradients(xs, k, f, stride, padding, dil):
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal(xs), rng.standard_normal((k, xs[2], f)) * 0.5, rng.standard_normal(f)
    check_grad(lambda x, w, b: ops.conv1d(x, w, b, strides=stride, padding=padding, dilation_rate=dil),
               lambda x, w, b: conv1d_ref(x, w, b, stride, padding, dil), [x, w, b])


def test_conv2d_batches_many_images_across_gemm_chunks():
    """Enough rows that im2col runs in several chunks, some splitting an image,
    so chunk boundaries (forward, dW accumulation, col2im) are exercised."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 40, 40, 32)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 32, 4)) * 0.1).astype(np.float32)
    t, k = pynn.Tensor(x, requires_grad=True), pynn.Tensor(w, requires_grad=True)
    y = ops.conv2d(t, k, padding="same")
    ref = conv2d_ref(x.astype(np.float64), w.astype(np.float64), padding="same")
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(ref.shape)
    y.backward(g.astype(np.float32))
    # Exact adjoints: dW = Σ patches·g, dX = the transposed convolution of g.
    gw = np.zeros(w.shape)
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    for ky in range(3):
        for kx in range(3):
            gw[ky, kx] = np.einsum("nhwc,nhwf->cf", xp[:, ky:ky + 40, kx:kx + 40], g)
    np.testing.assert_allclose(k.grad, gw, rtol=1e-3, atol=1e-2)
    gx = np.zeros(xp.shape)
    for ky in range(3):
        for kx in range(3):
            gx[:, ky:ky + 40, kx:kx + 40] += g @ w[ky, kx].T.astype(np.float64)
    np.testing.assert_allclose(t.grad, gx[:, 1:-1, 1:-1], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("n,k,s,d,padding", [
    (28, 3, 1, 1, "valid"), (28, 3, 1, 1, "same"), (28, 5, 2, 1, "valid"), (28, 5, 2, 1, "same"),
    (27, 3, 2, 1, "same"), (27, 4, 3, 1, "valid"), (15, 3, 1, 2, "valid"), (15, 3, 1, 3, "same"),
    (1, 1, 1, 1, "valid"), (1, 3, 2, 1, "same"), (10, 10, 1, 1, "valid"),
])
def test_output_shapes_follow_keras(n, k, s, d, padding):
    x = np.zeros((2, n, n + 1, 1), np.float32)
    w = np.zeros((k, k, 1, 3), np.float32)
    y = ops.conv2d(x, w, strides=s, padding=padding, dilation_rate=d)
    expect_h = (n - d * (k - 1) - 1) // s + 1 if padding == "valid" else (n - 1) // s + 1
    expect_w = (n + 1 - d * (k - 1) - 1) // s + 1 if padding == "valid" else n // s + 1
    assert y.shape == (2, expect_h, expect_w, 3)
    y1 = ops.conv1d(x[:, 0], w[0], strides=s, padding=padding, dilation_rate=d)
    assert y1.shape == (2, expect_w, 3)


def test_same_padding_puts_the_extra_zero_after_like_tensorflow():
    """TF/Keras 'same' with an even kernel pads 0 before and 1 after, so
    y[t] = x[t] + x[t+1] and the last output sees one real input."""
    x = np.arange(1, 5, dtype=np.float32).reshape(1, 4, 1)
    y = ops.conv1d(x, np.ones((2, 1, 1), np.float32), padding="same").numpy().ravel()
    np.testing.assert_array_equal(y, [3, 5, 7, 4])
    # stride 2, kernel 3, n = 6: total padding 1, also after: windows [0..2], [2..4], [4..5]
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 6, 1)
    y = ops.conv1d(x, np.ones((3, 1, 1), np.float32), strides=2, padding="same").numpy().ravel()
    np.testing.assert_array_equal(y, [1 + 2 + 3, 3 + 4 + 5, 5 + 6])
    # causal: everything before, y[t] = x[t-1] + x[t]
    y = ops.conv1d(x, np.ones((2, 1, 1), np.float32), padding="causal").numpy().ravel()
    np.testing.assert_array_equal(y, [1, 3, 5, 7, 9, 11])


def test_conv2d_kernel_layout_is_keras():
    """kernel[ky, kx, c, f] multiplies x[oy+ky, ox+kx, c] into output filter f."""
    x = np.zeros((1, 3, 3, 2), np.float32)
    x[0, 2, 1, 1] = 1.0
    w = np.zeros((2, 2, 2, 3), np.float32)
    w[1, 0, 1, 2] = 5.0
    y = ops.conv2d(x, w).numpy()
    expect = np.zeros((1, 2, 2, 3), np.float32)
    expect[0, 1, 1, 2] = 5.0
    np.testing.assert_array_equal(y, expect)


def test_reuse_of_node_scratch_across_calls_gives_same_result():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    a = ops.conv2d(x, w, padding="same").numpy()
    b = ops.conv2d(x[:1], w, padding="same").numpy()
    np.testing.assert_allclose(a[:1], b, rtol=1e-6)


def test_empty_batch_backward_leaves_zero_gradients():
    w = pynn.Tensor(np.ones((3, 3, 2, 4), np.float32), requires_grad=True)
    x = pynn.Tensor(np.ones((0, 5, 5, 2), np.float32), requires_grad=True)
    y = ops.conv2d(x, w, np.ones(4, np.float32), padding="same")
    assert y.shape == (0, 5, 5, 4)
    y.backward(np.zeros((0, 5, 5, 4), np.float32))
    np.testing.assert_array_equal(w.grad, np.zeros((3, 3, 2, 4)))
    assert x.grad.shape == (0, 5, 5, 2)


# ---------------------------------------------------------------- errors

def test_missing_channel_axis_explains_per_sample_shape_and_fix():
    with pytest.raises(ValueError) as e:
        ops.conv2d(np.zeros((32, 28, 28), np.float32), np.zeros((3, 3, 1, 8), np.float32))
    msg = str(e.value)
    assert "4-D input (batch, height, width, channels)" in msg
    assert "(32, 28, 28)" in msg and "per-sample shape (28, 28)" in msg
    assert "channel axis" in msg and "(32, 28, 28, 1)" in msg
    with pytest.raises(ValueError, match=r"3-D input \(batch, steps, channels\).*channel axis"):
        ops.conv1d(np.zeros((4, 10), np.float32), np.zeros((3, 1, 2), np.float32))


def test_kernel_larger_than_input_is_a_value_error():
    with pytest.raises(ValueError, match=r"height of the input is 4 but the window needs 5.*padding='same'"):
        ops.conv2d(np.zeros((1, 4, 9, 1), np.float32), np.zeros((5, 5, 1, 1), np.float32))
    with pytest.raises(ValueError, match=r"needs 7 \(kernel size 3 with dilation 3"):
        ops.conv1d(np.zeros((1, 6, 1), np.float32), np.zeros((3, 1, 1), np.float32), dilation_rate=3)
    # same padding makes it legal
    assert ops.conv2d(np.zeros((1, 4, 9, 1), np.float32), np.zeros((5, 5, 1, 1), np.float32),
                      padding="same").shape == (1, 4, 9, 1)


def test_channel_mismatch_names_both():
    with pytest.raises(ValueError, match=r"expects 3 input channels but the input has 1.*\(28, 28, 1\)"):
        ops.conv2d(np.zeros((2, 28, 28, 1), np.float32), np.zeros((3, 3, 3, 8), np.float32))


@pytest.mark.parametrize("kw,match", [
    (dict(strides=0), "strides"), (dict(strides=(1, 2, 3)), "tuple of 2"),
    (dict(dilation_rate=-1), "dilation_rate"), (dict(padding="full"), "padding"),
    (dict(padding="causal"), "padding"), (dict(strides=1.5), "strides"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        ops.conv2d(np.zeros((1, 5, 5, 1), np.float32), np.zeros((3, 3, 1, 1), np.float32), **kw)


def test_bad_bias_and_kernel_rank():
    x = np.zeros((1, 5, 5, 2), np.float32)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        ops.conv2d(x, np.zeros((3, 3, 2, 4), np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="kernel must be 4-D"):
        ops.conv2d(x, np.zeros((3, 2, 4), np.float32))


def test_engine_rejects_bad_shapes_without_the_python_checks():
    """Direct _C.apply calls hit the C checks: errors, never a crash."""
    x = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match=r"conv2d: .*kernel.*larger|conv2d: the kernel spans 5"):
        pynn._C.apply("conv2d", [x, np.zeros((5, 5, 2, 1), np.float32)], strides=(1, 1), dilation_rate=(1, 1), padding="valid")
    with pytest.raises(ValueError, match="expects 3 input channels"):
        pynn._C.apply("conv2d", [x, np.zeros((1, 1, 3, 1), np.float32)], strides=(1, 1), dilation_rate=(1, 1), padding="valid")
    with pytest.raises(ValueError, match="strides and dilation"):
        pynn._C.apply("conv2d", [x, np.zeros((1, 1, 2, 1), np.float32)], strides=(0, 0))
    with pytest.raises(ValueError, match="takes"):
        pynn._C.apply("conv2d", [x])
    with pytest.raises(ValueError, match="4-D input"):
        pynn._C.apply("conv2d", [x[0], np.zeros((1, 1, 2, 1), np.float32)], strides=(1, 1), dilation_rate=(1, 1), padding="valid")


# ------------------------------------------------------------------ fused activation
FUSED_CASES = [  # (op, x shape, kernel shape, keyword arguments)
    ("conv2d", (2, 7, 6, 3), (3, 3, 3, 5), dict(strides=2, padding="same")),
    ("conv2d", (3, 5, 5, 4), (1, 1, 4, 6), {}),  # pointwise: no im2col
    ("conv2d", (2, 9, 8, 2), (2, 3, 2, 4), dict(dilation_rate=(2, 1), padding="valid")),
    ("conv1d", (2, 11, 3), (3, 3, 4), dict(padding="causal", dilation_rate=2)),
]


def _conv_run(fn, arrays, seed):
    ts = [pynn.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(seed)
    return [out.numpy().copy()] + [t.grad.copy() for t in ts]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("case", range(len(FUSED_CASES)))
@pytest.mark.parametrize("act", ["relu", "sigmoid", "gelu", "leaky_relu", "hard_silu", "linear"])
def test_fused_activation_equals_conv_then_activation_bit_for_bit(act, case, bias):
    op, xs, ks, kw = FUSED_CASES[case]
    fn = getattr(ops, op)
    rng = np.random.default_rng(case * 7 + len(act))
    arrays = [rng.standard_normal(xs).astype(np.float32),
              rng.standard_normal(ks).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(ks[-1]).astype(np.float32))
    shape = fn(*arrays, **kw).shape
    seed = rng.standard_normal(shape).astype(np.float32)
    fused = _conv_run(lambda x, k, b=None: fn(x, k, b, activation=act, **kw), arrays, seed)
    plain = _conv_run(lambda x, k, b=None: pynn.activations.get(act)(fn(x, k, b, **kw)), arrays,
                      seed)
    for what, f, p in zip(["output", "dx", "dkernel", "dbias"], fused, plain):
        assert np.array_equal(f, p), f"{op} {act}: {what} differs from conv then activation"


def test_fused_activation_gradients_match_central_differences():
    rng = np.random.default_rng(21)
    x, w, b = rng.standard_normal((2, 5, 4, 2)), rng.standard_normal((2, 2, 2, 3)) * 0.5, \
        rng.standard_normal(3)
    check_grad(lambda x, w, b: ops.conv2d(x, w, b, padding="same", activation="tanh"),
               lambda x, w, b: np.tanh(conv2d_ref(x, w, b, padding="same")), [x, w, b])
    check_grad(lambda x, w, b: ops.conv2d(x, w, b, activation="elu", alpha=0.5),
               lambda x, w, b: (lambda z: np.where(z > 0, z, 0.5 * np.expm1(z)))(conv2d_ref(x, w, b)),
               [x, w, b])


def test_conv_layer_with_an_activation_is_one_node():
    model = pynn.Sequential([pynn.Input(shape=(6, 6, 1)), pynn.layers.Conv2D(2, 3, activation="relu")])
    assert model._program("predict")["prog"].n_nodes() == 4  # x, kernel, bias, conv2d
    softmax = pynn.Sequential([pynn.Input(shape=(6, 6, 1)),
                               pynn.layers.Conv2D(2, 3, activation="softmax")])
    assert softmax._program("predict")["prog"].n_nodes() == 5  # not fusable: a softmax node


def test_fused_activation_bad_arguments():
    x, w = np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32)
    with pytest.raises(ValueError, match="conv2d: activation must be one of"):
        ops.conv2d(x, w, activation="softmax")
    with pytest.raises(ValueError, match="conv1d: alpha applies to"):
        ops.conv1d(x[0], w[0], activation="tanh", alpha=0.3)
    with pytest.raises(ValueError, match="conv2d: activation must be one of"):
        pynn._C.apply("conv2d", [x, w], activation="softmax")


def _im2col(x, kh, kw, strides, padding, dilation):
    """The im2col matrix (rows (image, oy, ox), columns (ky, kx, c)) of NHWC x,
    copied exactly (float32): what the engine multiplies by the kernel."""
    t = np.stack(taps(x, kh, kw, strides, padding, dilation), axis=3)  # (N, OH, OW, taps, C)
    return t.reshape(-1, kh * kw * x.shape[3]), t.shape[:3]


@pytest.mark.parametrize("xs,ks,strides,padding,dil", [
    ((9, 28, 28, 1), (3, 3, 1, 32), (1, 1), "valid", (1, 1)),   # the benchmark CNN's first layer
    ((5, 13, 13, 32), (3, 3, 32, 64), (1, 1), "valid", (1, 1)),  # its second (K = 288)
    ((2, 12, 11, 64), (3, 3, 64, 40), (2, 1), "same", (1, 1)),  # K = 576: two depth blocks, F ragged
    ((2, 10, 9, 64), (3, 3, 64, 128), (1, 1), "same", (1, 1)),  # kernel too large for the tiles
    ((3, 9, 10, 3), (3, 2, 3, 7), (1, 2), "same", (2, 1)),      # dilation, padding, rows % MR != 0
    ((1, 5, 5, 2), (5, 5, 2, 3), (1, 1), "valid", (1, 1)),      # one output row
    # tiles read in place (window_rows): crossing output lines and images, odd widths
    ((3, 7, 9, 3), (3, 2, 3, 20), (1, 1), "valid", (1, 1)),
    ((2, 15, 13, 5), (3, 3, 5, 33), (2, 2), "valid", (1, 1)),   # strides, F ragged past NR
    ((2, 11, 10, 4), (3, 3, 4, 16), (1, 1), "valid", (2, 1)),   # height dilation: window rows 2 apart
    ((2, 30, 30, 1), (3, 3, 1, 8), (1, 1), "same", (1, 1)),     # interior tiles in place, border im2col'd
    ((1, 9, 9, 2), (3, 3, 2, 4), (1, 1), "valid", (1, 2)),      # width dilation: always im2col
])
def test_conv2d_forward_has_the_bits_of_im2col_times_kernel(xs, ks, strides, padding, dil):
    """The forward runs tiles through the GEMM's micro-kernel, reading A where
    it lies in x (wkernel) or from an im2col'd tile, or im2col chunks through
    pn_sgemm for large kernels; every way each output must be bit for bit
    matmul(im2col(x), kernel) (pn_sgemm), then + bias, then relu: what the
    seeded training fixtures recorded before the tiles. And near the float64
    reference, so that the bits compared are right ones."""
    rng = np.random.default_rng(sum(xs) + sum(ks))
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ks) / np.sqrt(np.prod(ks[:3]))).astype(np.float32)
    b = rng.standard_normal(ks[3]).astype(np.float32)
    cols, (N, OH, OW) = _im2col(x, ks[0], ks[1], strides, padding, dil)
    pre = ops.matmul(np.ascontiguousarray(cols), w.reshape(-1, ks[3])).numpy()
    want = np.maximum(pre + b, np.float32(0)).reshape(N, OH, OW, ks[3])
    ref = np.maximum(conv2d_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                                strides, padding, dil), 0)
    np.testing.assert_allclose(want, ref, rtol=1e-5, atol=1e-5)
    before = pynn.get_num_threads()
    for threads in (1, 2, 3):
        pynn.set_num_threads(threads)
        try:
            got = ops.conv2d(x, w, b, strides=strides, padding=padding, dilation_rate=dil,
                             activation="relu").numpy()
        finally:
            pynn.set_num_threads(before)
        assert got.shape == want.shape
        assert np.array_equal(got, want), f"{threads} threads: max diff {np.abs(got - want).max()}"


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_conv2d_forward_bits_under_every_gemm_kernel(isa):
    """The bits test above under each micro-kernel the CPU runs (forced by
    PYNN_GEMM_ISA in a subprocess): generic im2cols every tile, avx2 and
    avx512 read most tiles in place through their own wkernel."""
    import test_gemm as tg
    tg.skip_unless_cpu_runs(isa)
    code = ("import pytest, sys\n"
            "from pynn import _C\n"
            f"assert _C.gemm_isa() == {isa!r}, _C.gemm_isa()\n"
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'test_ops_conv.py', '-k', "
            "'forward_has_the_bits']))")
    r = tg.run_forced(isa, code)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " passed" in r.stdout and "skipped" not in r.stdout, r.stdout[-2000:]


def _col2im_sequential(dcols, xshape, kh, kw, strides, padding, dilation):
    """dX by scattering each im2col row's gradient back in row order and,
    within a row, tap order, in float32: the order col2im adds in."""
    N, H, W, C = xshape
    (sh, sw), (dh, dw) = strides, dilation
    OH, OW = keras_out(H, kh, sh, dh, padding), keras_out(W, kw, sw, dw, padding)
    pt, pl = pads(H, kh, sh, dh, padding)[0], pads(W, kw, sw, dw, padding)[0]
    dx = np.zeros(xshape, np.float32)
    d = dcols.reshape(N, OH, OW, kh, kw, C)
    for n in range(N):
        for oy in range(OH):
            for ox in range(OW):
                for ky in range(kh):
                    iy = oy * sh - pt + ky * dh
                    if not 0 <= iy < H:
                        continue
                    for kx in range(kw):
                        ix = ox * sw - pl + kx * dw
                        if 0 <= ix < W:
                            dx[n, iy, ix] += d[n, oy, ox, ky, kx]
    return dx


@pytest.mark.parametrize("xs,ks,strides,padding,dil,x_grad", [
    ((9, 28, 28, 1), (3, 3, 1, 32), (1, 1), "valid", (1, 1), False),  # first layer: 24 depth blocks, 3 groups
    ((5, 13, 13, 32), (3, 3, 32, 64), (1, 1), "valid", (1, 1), True),  # the benchmark's second layer
    ((2, 12, 11, 64), (3, 3, 64, 40), (2, 1), "same", (1, 1), True),   # F ragged: dY panels packed
    ((3, 9, 10, 3), (3, 2, 3, 7), (1, 2), "same", (2, 1), True),       # dilation, padding
    ((3, 9, 10, 3), (3, 2, 3, 7), (1, 2), "same", (2, 1), False),
    ((2, 10, 9, 64), (3, 3, 64, 128), (1, 1), "same", (1, 1), True),  # too large for tiles: chunked path
])
def test_conv2d_backward_has_the_bits_of_im2col_gemms(xs, ks, strides, padding, dil, x_grad):
    """Backward runs by tiles (no im2col matrix, partial sums per depth block,
    dX per tile), yet must keep the bits the seeded training fixtures were
    recorded with: dY = g * relu'(y); dW = matmul(im2col(x)ᵀ, dY) (pn_sgemm, one
    chunk here); db = Σ dY summed row by row in double; dX = matmul(dY, Wᵀ)
    scattered in row order -- with 1 and 2 threads alike."""
    rng = np.random.default_rng(sum(xs) + sum(ks) + x_grad)
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ks) / np.sqrt(np.prod(ks[:3]))).astype(np.float32)
    b = rng.standard_normal(ks[3]).astype(np.float32)
    cols, (N, OH, OW) = _im2col(x, ks[0], ks[1], strides, padding, dil)
    y = np.maximum(ops.matmul(np.ascontiguousarray(cols), w.reshape(-1, ks[3])).numpy() + b, 0)
    g = rng.standard_normal((N * OH * OW, ks[3])).astype(np.float32)
    dy = g * (y > 0).astype(np.float32)
    want_w = ops.matmul(np.ascontiguousarray(cols.T), dy).numpy().reshape(ks)
    want_b = np.cumsum(dy.astype(np.float64), axis=0)[-1].astype(np.float32)
    dcols = ops.matmul(dy, np.ascontiguousarray(w.reshape(-1, ks[3]).T)).numpy()
    want_x = _col2im_sequential(dcols, xs, ks[0], ks[1], strides, padding, dil)
    before = pynn.get_num_threads()
    for threads in (1, 2):
        pynn.set_num_threads(threads)
        try:
            tx = pynn.Tensor(x, requires_grad=x_grad)
            tw, tb = pynn.Tensor(w, requires_grad=True), pynn.Tensor(b, requires_grad=True)
            out = ops.conv2d(tx, tw, tb, strides=strides, padding=padding, dilation_rate=dil,
                             activation="relu")
            out.backward(g.reshape(out.shape))
        finally:
            pynn.set_num_threads(before)
        assert np.array_equal(tw.grad, want_w), f"{threads} threads: dW off by {np.abs(tw.grad - want_w).max()}"
        assert np.array_equal(tb.grad, want_b), f"{threads} threads: db"
        if x_grad:
            assert np.array_equal(tx.grad, want_x), f"{threads} threads: dX off by {np.abs(tx.grad - want_x).max()}"
