"""keras.ops.nn's functional forms (pynn/ops/nn_conv.py, nn_norm.py, nn_more.py):
depthwise_conv, separable_conv, conv_transpose, max_pool, average_pool, the
adaptive pools, batch_normalization, layer_normalization, rms_normalization,
normalize, dot_product_attention, depth_to_space, space_to_depth, multi_hot, psnr,
sparse_sigmoid, sparsemax — https://keras.io/api/ops/nn/.

Values against float64 NumPy references (Keras' own cases from
keras/src/ops/nn_test.py where it has values: NNOpsCorrectnessTest's
test_batch_normalization, test_normalize, test_psnr, test_multi_hot,
test_sparse_sigmoid, test_sparsemax); side by side with keras.ops on Keras 3's torch
backend; gradients against central differences; each op traced into a compiled
model and replayed at several batch sizes; bad input named."""
import math

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(17)


def f32(*shape):
    return RNG.normal(size=shape).astype(np.float32)


# ------------------------------------------------------------ float64 references
def _same_pads(n, k, s, d=1):
    """TensorFlow's 'same' padding (before, after) of one axis."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def np_depthwise1d(x, k, s=1, padding="valid", d=1):
    n, w, c = x.shape
    kw, _, m = k.shape
    lo, hi = _same_pads(w, kw, s, d) if padding == "same" else (0, 0)
    xp = np.pad(x, ((0, 0), (lo, hi), (0, 0)))
    ow = (xp.shape[1] - d * (kw - 1) - 1) // s + 1
    y = np.zeros((n, ow, c, m))
    for o in range(ow):
        for t in range(kw):
            y[:, o] += xp[:, o * s + t * d, :, None] * k[t]
    return y.reshape(n, ow, c * m)


def np_separable1d(x, dk, pk, s=1, padding="valid"):
    return np.einsum("nwc,cf->nwf", np_depthwise1d(x, dk, s, padding), pk[0])


def np_avg_pool1d_same(x, k, s):
    """TensorFlow's (and Keras') average over the cells inside the input."""
    w = x.shape[1]
    lo, _ = _same_pads(w, k, s)
    return np.stack([x[:, max(o * s - lo, 0):min(o * s - lo + k, w)].mean(axis=1)
                     for o in range(-(-w // s))], axis=1)


def np_adaptive(x, size, reduce):
    for axis, o in enumerate(size, start=1):
        n = x.shape[axis]
        cells = [reduce(np.take(x, range((i * n) // o, math.ceil((i + 1) * n / o)), axis=axis),
                        axis=axis, keepdims=True) for i in range(o)]
        x = np.concatenate(cells, axis=axis)
    return x


def np_layer_norm(x, g=None, b=None, axis=-1, eps=1e-7):
    mu, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    return y * (1 if g is None else g) + (0 if b is None else b)


def np_rms_norm(x, scale=None, axis=-1, eps=1e-7):
    y = x / np.sqrt(np.mean(x * x, axis=axis, keepdims=True) + eps)
    return y if scale is None else y * scale


def np_normalize(x, axis=-1, order=2, eps=1e-7):
    n = np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1 / order)
    return x / np.maximum(n, eps)


def np_attention(q, k, v, bias=None, mask=None, scale=None, causal=False):
    n, kh = q.shape[2], k.shape[2]
    k, v = np.repeat(k, n // kh, axis=2), np.repeat(v, n // kh, axis=2)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    if bias is not None:
        logits = logits + bias
    allowed = np.ones(logits.shape, bool)
    if mask is not None:
        allowed = allowed & mask
    if causal:
        allowed = allowed & np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(allowed, logits, -1e9)
    w = np.exp(logits - logits.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", w, v)


def np_depth_to_space(x, r):
    n, h, w, c = x.shape
    return x.reshape(n, h, w, r, r, c // r // r).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, h * r, w * r, c // r // r)


def np_space_to_depth(x, r):
    n, h, w, c = x.shape
    return x.reshape(n, h // r, r, w // r, r, c).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, h // r, w // r, r * r * c)


def np_depth_to_space_cf(x, r):
    """Channels-first: channel c*r*r + i*r + j to offset (i, j), Keras' (and PyTorch's
    pixel_shuffle) order."""
    n, c, h, w = x.shape
    return x.reshape(n, c // r // r, r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(
        n, c // r // r, h * r, w * r)


def np_space_to_depth_cf(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4).reshape(
        n, c * r * r, h // r, w // r)


def np_sparsemax(x, axis=-1):
    """Martins & Astudillo (2016), Algorithm 1, slice by slice."""
    x = np.moveaxis(np.asarray(x, float), axis, -1)
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        z = np.sort(x[idx])[::-1]
        k = np.arange(1, len(z) + 1)
        kz = k[1 + k * z > np.cumsum(z)].max()
        tau = (z[:kz].sum() - 1) / kz
        out[idx] = np.maximum(x[idx] - tau, 0)
    return np.moveaxis(out, -1, axis)


def np_psnr(a, b, max_val):
    return 20 * np.log10(max_val) - 10 * np.log10(np.mean((a - b) ** 2))


# ------------------------------------------------------------ values
X1, X2 = f32(2, 9, 3), f32(2, 7, 6, 3)
DK1, PK1 = f32(3, 3, 2), f32(1, 6, 4)
Q, KEY, VAL = f32(2, 5, 4, 8), f32(2, 6, 4, 8), f32(2, 6, 4, 8)
MASK = RNG.random((2, 1, 5, 6)) > 0.3
HEAD_MASK = RNG.random((2, 4, 5, 6)) > 0.3

VALUES = {  # name -> (pynn result, float64 reference)
    "depthwise_conv_1d_same_stride": (
        lambda: ops.depthwise_conv(X1, DK1, 2, "same"),
        lambda: np_depthwise1d(X1.astype(float), DK1, 2, "same")),
    "depthwise_conv_1d_dilated": (
        lambda: ops.depthwise_conv(X1, DK1, dilation_rate=2),
        lambda: np_depthwise1d(X1.astype(float), DK1, d=2)),
    "separable_conv_1d": (
        lambda: ops.separable_conv(X1, DK1, PK1, padding="same"),
        lambda: np_separable1d(X1.astype(float), DK1, PK1, 1, "same")),
    "average_pool_1d_same_uneven": (
        lambda: ops.average_pool(X1, 4, 3, "same"),
        lambda: np_avg_pool1d_same(X1.astype(float), 4, 3)),
    "adaptive_average_pool_2d": (
        lambda: ops.adaptive_average_pool(X2, (3, 4)),
        lambda: np_adaptive(X2.astype(float), (3, 4), np.mean)),
    "adaptive_max_pool_1d": (
        lambda: ops.adaptive_max_pool(X1, 4),
        lambda: np_adaptive(X1.astype(float), (4,), np.max)),
    "adaptive_average_pool_3d": (
        lambda: ops.adaptive_average_pool(X2[..., None].repeat(2, -1), (2, 3, 2)),
        lambda: np_adaptive(X2[..., None].repeat(2, -1).astype(float), (2, 3, 2), np.mean)),
    "layer_normalization_last": (
        lambda: ops.layer_normalization(X1, X1[0, 0], X1[1, 1]),
        lambda: np_layer_norm(X1.astype(float), X1[0, 0], X1[1, 1])),
    "layer_normalization_axes": (
        lambda: ops.layer_normalization(X1, X1[0], X1[1], axis=(1, 2), epsilon=1e-3),
        lambda: np_layer_norm(X1.astype(float), X1[0], X1[1], axis=(1, 2), eps=1e-3)),
    "layer_normalization_middle": (
        lambda: ops.layer_normalization(X2, axis=1),
        lambda: np_layer_norm(X2.astype(float), axis=1)),
    "rms_normalization": (
        lambda: ops.rms_normalization(X1, X1[0, 0]),
        lambda: np_rms_norm(X1.astype(float), X1[0, 0])),
    "rms_normalization_axes": (
        lambda: ops.rms_normalization(X2, axis=(1, 2)),
        lambda: np_rms_norm(X2.astype(float), axis=(1, 2))),
    "normalize_l1_axis1": (
        lambda: ops.normalize(X1, axis=1, order=1),
        lambda: np_normalize(X1.astype(float), axis=1, order=1)),
    "normalize_l3": (
        lambda: ops.normalize(X1, order=3),
        lambda: np_normalize(X1.astype(float), order=3)),
    "attention_plain": (lambda: ops.dot_product_attention(Q, KEY, VAL),
                        lambda: np_attention(Q.astype(float), KEY, VAL)),
    "attention_causal_scaled": (
        lambda: ops.dot_product_attention(Q, KEY, VAL, is_causal=True, scale=0.5),
        lambda: np_attention(Q.astype(float), KEY, VAL, scale=0.5, causal=True)),
    "attention_mask_shared_by_heads": (
        lambda: ops.dot_product_attention(Q, KEY, VAL, mask=MASK),
        lambda: np_attention(Q.astype(float), KEY, VAL, mask=MASK)),
    "attention_mask_per_head_and_causal": (
        lambda: ops.dot_product_attention(Q, KEY, VAL, mask=HEAD_MASK, is_causal=True),
        lambda: np_attention(Q.astype(float), KEY, VAL, mask=HEAD_MASK, causal=True)),
    "attention_bias": (
        lambda: ops.dot_product_attention(Q, KEY, VAL, bias=Q[:1, :, :, :6].transpose(0, 2, 1, 3)),
        lambda: np_attention(Q.astype(float), KEY, VAL, bias=Q[:1, :, :, :6].transpose(0, 2, 1, 3))),
    "attention_grouped_query": (
        lambda: ops.dot_product_attention(Q, KEY[:, :, :2], VAL[:, :, :2]),
        lambda: np_attention(Q.astype(float), KEY[:, :, :2], VAL[:, :, :2])),
    "depth_to_space": (lambda: ops.depth_to_space(D2S, 2),
                       lambda: np_depth_to_space(D2S.astype(float), 2)),
    "depth_to_space_channels_first": (
        lambda: ops.depth_to_space(D2S.transpose(0, 3, 1, 2), 2, "channels_first"),
        lambda: np_depth_to_space_cf(D2S.transpose(0, 3, 1, 2).astype(float), 2)),
    "space_to_depth": (lambda: ops.space_to_depth(S2D, 2),
                       lambda: np_space_to_depth(S2D.astype(float), 2)),
    "space_to_depth_channels_first": (
        lambda: ops.space_to_depth(S2D.transpose(0, 3, 1, 2), 2, data_format="channels_first"),
        lambda: np_space_to_depth_cf(S2D.transpose(0, 3, 1, 2).astype(float), 2)),
    "sparsemax": (lambda: ops.sparsemax(X2 * 2, axis=2), lambda: np_sparsemax(X2 * 2.0, axis=2)),
    "sparse_sigmoid": (lambda: ops.sparse_sigmoid(X1 * 2),
                       lambda: np.clip((X1 * 2.0 + 1) / 2, 0, 1)),
    "psnr": (lambda: ops.psnr(X1, X1 * 1.1, 2.0), lambda: np_psnr(X1.astype(float), X1 * 1.1, 2.0)),
    "max_pool_channels_first": (
        lambda: ops.max_pool(X2.transpose(0, 3, 1, 2), 2, data_format="channels_first"),
        lambda: ops.max_pool(X2, 2).numpy().transpose(0, 3, 1, 2)),
}
D2S, S2D = f32(2, 3, 4, 12), f32(2, 4, 6, 3)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_float64_references(name):
    got, want = (fn() for fn in VALUES[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=2e-6)


def test_keras_own_cases():
    # keras/src/ops/nn_test.py::NNOpsCorrectnessTest
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], np.float32)
    got = ops.batch_normalization(x, [0.2, 0.3, 0.4], [4.0, 16.0, 64.0], axis=-1,
                                  offset=[5.0, 10.0, 15.0], scale=[10.0, 20.0, 30.0],
                                  epsilon=1e-7).numpy()
    np.testing.assert_allclose(got, [[4.5, 9.5, 14.625], [6.0, 11.0, 15.75]], rtol=1e-6)
    got = ops.batch_normalization(x, [0.2, 0.3, 0.4], [4.0, 16.0, 64.0], axis=1,
                                  epsilon=1e-7).numpy()
    np.testing.assert_allclose(got, [[-0.05, -0.025, -0.0125], [0.1, 0.05, 0.025]], rtol=1e-5)
    x = np.array([[1, 2, 3], [1, 2, 3]], np.float32)
    for axis, row in ((None, [0.18898225, 0.3779645, 0.56694674]),
                      (0, [0.70710677, 0.70710677, 0.70710677]),
                      (-1, [0.26726124, 0.53452247, 0.8017837])):
        np.testing.assert_allclose(ops.normalize(x, axis=axis).numpy(), [row, row], rtol=1e-6)
    np.testing.assert_allclose(ops.normalize(x, order=3).numpy(),
                               [[0.30285344, 0.6057069, 0.9085603]] * 2, rtol=1e-6)
    np.testing.assert_allclose(
        ops.normalize(np.array([[1e-6, 1e-8]], np.float32), epsilon=1e-5).numpy(),
        [[1e-1, 1e-3]], rtol=1e-5)
    a = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], np.float32)
    b = np.array([[0.2, 0.2, 0.3], [0.4, 0.6, 0.6]], np.float32)
    assert float(ops.psnr(a, b, 1.0)) == pytest.approx(np_psnr(a.astype(float), b, 1.0), rel=1e-5)
    assert float(ops.psnr(a, a, 1.0)) == np.inf  # identical signals: Keras' second case
    np.testing.assert_array_equal(ops.multi_hot(np.array([0, 1, 2, 3]), 4).numpy(), [1, 1, 1, 1])
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 1], [2, 3]]), 4).numpy(),
                                  [[1, 1, 0, 0], [0, 0, 1, 1]])
    np.testing.assert_array_equal(ops.multi_hot(np.array([0, -1, -1, 3]), 4).numpy(), [1, 0, 0, 1])
    np.testing.assert_array_equal(
        ops.sparse_sigmoid(np.array([-1, 0, 1, 2, 3], np.float32)).numpy(), [0, 0.5, 1, 1, 1])
    np.testing.assert_allclose(
        ops.sparsemax(np.array([-0.5, 0, 1, 2, 3], np.float32)).numpy(), [0, 0, 0, 0, 1])
    # test_depth_to_space / test_space_to_depth / ..._roundtrip
    a = np.arange(48, dtype=np.float32)
    np.testing.assert_array_equal(ops.depth_to_space(a.reshape(1, 2, 2, 12), 2).numpy()[0, 0],
                                  [[0, 1, 2], [3, 4, 5], [12, 13, 14], [15, 16, 17]])
    np.testing.assert_array_equal(ops.space_to_depth(a.reshape(1, 4, 4, 3), 2).numpy()[0, 1, 1],
                                  [30, 31, 32, 33, 34, 35, 42, 43, 44, 45, 46, 47])
    for fmt, shape in (("channels_last", (1, 2, 2, 12)), ("channels_first", (1, 12, 2, 2))):
        y = ops.depth_to_space(a.reshape(shape), 2, data_format=fmt)
        np.testing.assert_array_equal(ops.space_to_depth(y, 2, fmt).numpy(), a.reshape(shape))


def test_sparsemax_is_a_distribution_where_keras_is_not():
    # Keras 3's sparsemax (every backend) sums the cumulative sums over the support
    # instead of taking the last, so its rows do not sum to 1 once two entries stay
    z = np.array([0.5, 0.4, -1.0], np.float32)
    got = ops.sparsemax(z).numpy()
    np.testing.assert_allclose(got, [0.55, 0.45, 0.0], rtol=1e-6)
    assert got.sum() == pytest.approx(1.0)
    keras = keras_or_skip()
    theirs = keras.ops.convert_to_numpy(keras.ops.sparsemax(z))
    np.testing.assert_allclose(theirs, [0.3, 0.2, 0.0], rtol=1e-5)  # sums to 0.5


def test_gradients_against_central_differences():
    # (check_grad perturbs its arrays in place: parameters are copies, not views of x1)
    x1, x2 = X1.astype(float)[:1, :6], X2.astype(float)[:1, :5, :4]
    check_grad(lambda t, k: ops.depthwise_conv(t, k, 2, "same"),
               lambda t, k: np_depthwise1d(t, k, 2, "same"), [x1, DK1])
    check_grad(lambda t, d, p: ops.separable_conv(t, d, p), np_separable1d, [x1, DK1, PK1])
    check_grad(lambda t: ops.adaptive_average_pool(t, (2, 3)),
               lambda t: np_adaptive(t, (2, 3), np.mean), [x2])
    check_grad(lambda t: ops.adaptive_max_pool(t, (2, 3)),
               lambda t: np_adaptive(t, (2, 3), np.max), [x2])
    check_grad(lambda t: ops.average_pool(t, 4, 3, "same"),
               lambda t: np_avg_pool1d_same(t, 4, 3), [X1.astype(float)])
    m, v, o, s = X1[0, 0], np.abs(X1[1, 0]) + 0.5, X1[0, 1], X1[1, 1]
    check_grad(lambda t, m_, v_, o_, s_: ops.batch_normalization(t, m_, v_, -1, o_, s_),
               lambda t, m_, v_, o_, s_: (t - m_) / np.sqrt(v_ + 1e-3) * s_ + o_,
               [x1, m, v, o, s])
    check_grad(lambda t, g, b: ops.layer_normalization(t, g, b, axis=(1, 2)),
               lambda t, g, b: np_layer_norm(t, g, b, axis=(1, 2)), [x1, x1[0].copy(), x1[0] + 1])
    check_grad(lambda t, g, b: ops.layer_normalization(t, g, b),
               lambda t, g, b: np_layer_norm(t, g, b), [x1, x1[0, 0].copy(), x1[0, 1].copy()])
    check_grad(lambda t, g: ops.rms_normalization(t, g), np_rms_norm, [x1, x1[0, 0].copy()])
    check_grad(lambda t: ops.normalize(t, axis=1), lambda t: np_normalize(t, axis=1), [x1])
    check_grad(lambda t: ops.normalize(t, order=1), lambda t: np_normalize(t, order=1), [x1])
    q, k, v = (a.astype(float)[:1, :3, :2, :4] for a in (Q, KEY, VAL))
    mask = HEAD_MASK[:1, :2, :3, :3]
    check_grad(lambda a, b, c: ops.dot_product_attention(a, b, c, is_causal=True),
               lambda a, b, c: np_attention(a, b, c, causal=True), [q, k, v])
    check_grad(lambda a, b, c, d: ops.dot_product_attention(a, b, c, bias=d, mask=mask),
               lambda a, b, c, d: np_attention(a, b, c, bias=d, mask=mask),
               [q, k, v, RNG.normal(size=(1, 2, 3, 3))])
    check_grad(lambda a, b, c: ops.dot_product_attention(a, b, c), np_attention,
               [q, k[:, :, :1], v[:, :, :1]])
    check_grad(lambda t: ops.depth_to_space(t, 2), lambda t: np_depth_to_space(t, 2),
               [D2S.astype(float)[:1, :2, :2]])
    check_grad(lambda t: ops.space_to_depth(t, 2), lambda t: np_space_to_depth(t, 2),
               [S2D.astype(float)[:1]])
    check_grad(lambda t: ops.sparsemax(t, axis=1), lambda t: np_sparsemax(t, axis=1),
               [X2.astype(float)[0, :, :, 0] * 2])
    check_grad(ops.sparse_sigmoid, lambda t: np.clip((t + 1) / 2, 0, 1), [x1 * 0.9])
    check_grad(lambda a, b: ops.psnr(a, b, 2.0), lambda a, b: np_psnr(a, b, 2.0), [x1, x1 * 0.5])


def test_normalize_zero_vector_has_a_finite_gradient():
    # keras/src/ops/nn_test.py::test_normalize_l2_zero_vector_gradients: 1 / epsilon
    t = pynn.Tensor(np.zeros(3, np.float32), requires_grad=True)
    ops.sum(ops.normalize(t, epsilon=1e-3)).backward()
    np.testing.assert_allclose(t.grad, np.full(3, 1e3), rtol=1e-5)


KERAS = {  # name -> function of (ops module) computed by both libraries
    "depthwise_conv_1d": lambda o: o.depthwise_conv(X1, DK1, 2, "same"),
    "depthwise_conv_2d": lambda o: o.depthwise_conv(X2, X2[0, :3, :2, :, None], (1, 2)),
    "separable_conv_2d": lambda o: o.separable_conv(X2, X2[0, :3, :2, :, None], X1[:1, None, :3],
                                                    2, "same"),
    "conv_transpose_1d": lambda o: o.conv_transpose(X1, X2[0, :3, :4], 2, "same"),
    "conv_transpose_2d": lambda o: o.conv_transpose(X2, X2[0, :3, :3, :, None].repeat(4, -1)
                                                    .transpose(0, 1, 3, 2), 2, output_padding=1),
    "conv": lambda o: o.conv(X2, X2[0, :2, :2, :, None], padding="same"),
    "max_pool_1d": lambda o: o.max_pool(X1, 2, 2, "same"),
    "max_pool_2d": lambda o: o.max_pool(X2, 3),
    "average_pool_2d": lambda o: o.average_pool(X2, (3, 2), (2, 2), "same"),
    "average_pool_channels_first": lambda o: o.average_pool(X2.transpose(0, 3, 1, 2), 2,
                                                            data_format="channels_first"),
    "adaptive_average_pool": lambda o: o.adaptive_average_pool(X2, (3, 4)),
    "adaptive_max_pool": lambda o: o.adaptive_max_pool(X2, (4, 5)),
    "batch_normalization": lambda o: o.batch_normalization(X1, X1[0, 0], X1[0, 1] ** 2, -1,
                                                           X1[1, 0], X1[1, 1]),
    "layer_normalization": lambda o: o.layer_normalization(X1, X1[0], X1[1], axis=(1, 2)),
    "rms_normalization": lambda o: o.rms_normalization(X1, X1[0, 0]),
    "normalize": lambda o: o.normalize(X1, axis=1),
    "dot_product_attention": lambda o: o.dot_product_attention(Q, KEY, VAL, mask=MASK),
    "dot_product_attention_causal": lambda o: o.dot_product_attention(Q, Q, Q, is_causal=True),
    "dot_product_attention_gqa": lambda o: o.dot_product_attention(Q, KEY[:, :, :2],
                                                                   VAL[:, :, :2]),
    "dot_product_attention_bias": lambda o: o.dot_product_attention(
        Q, KEY, VAL, bias=Q[:1, :, :, :6].transpose(0, 2, 1, 3), scale=0.3),
    "depth_to_space": lambda o: o.depth_to_space(D2S, 2),
    "depth_to_space_channels_first": lambda o: o.depth_to_space(D2S.transpose(0, 3, 1, 2), 2,
                                                                "channels_first"),
    "space_to_depth": lambda o: o.space_to_depth(S2D.transpose(0, 3, 1, 2), 2, "channels_first"),
    "multi_hot": lambda o: o.multi_hot(np.array([[0, 3, 3], [1, 2, 4]]), 5),
    "psnr": lambda o: o.psnr(X1, X1 * 1.1, 2.0),
    "sparse_sigmoid": lambda o: o.sparse_sigmoid(X1 * 2),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops_nn(name):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(KERAS[name](keras.ops.nn))
    got = KERAS[name](ops.nn).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


SYMBOLIC = {  # name -> (op on a (batch, 6, 4, 4) tensor, NumPy reference of the same)
    "depthwise_conv": (lambda t: ops.depthwise_conv(t, np.ones((2, 2, 4, 1), np.float32)),
                       None),
    "separable_conv": (lambda t: ops.separable_conv(t, np.ones((2, 2, 4, 1), np.float32),
                                                    np.ones((1, 1, 4, 2), np.float32)), None),
    "conv_transpose": (lambda t: ops.conv_transpose(t, np.ones((2, 2, 3, 4), np.float32), 2),
                       None),
    "max_pool": (lambda t: ops.max_pool(t, 2), None),
    "average_pool_channels_first": (
        lambda t: ops.average_pool(t, 2, data_format="channels_first"), None),
    "adaptive_average_pool": (lambda t: ops.adaptive_average_pool(t, (4, 3)),
                              lambda x: np_adaptive(x, (4, 3), np.mean)),
    "adaptive_max_pool": (lambda t: ops.adaptive_max_pool(t, 2),
                          lambda x: np_adaptive(x, (2, 2), np.max)),
    "batch_normalization": (lambda t: ops.batch_normalization(
        t, np.arange(4, dtype=np.float32), np.ones(4, np.float32) * 2, 3),
        lambda x: (x - np.arange(4)) / np.sqrt(2 + 1e-3)),
    "layer_normalization": (lambda t: ops.layer_normalization(t, axis=(1, 2, 3)),
                            lambda x: np_layer_norm(x, axis=(1, 2, 3))),
    "layer_normalization_last": (lambda t: ops.layer_normalization(t), np_layer_norm),
    "rms_normalization": (lambda t: ops.rms_normalization(t, axis=(2, 3)),
                          lambda x: np_rms_norm(x, axis=(2, 3))),
    "normalize": (lambda t: ops.normalize(t, axis=1), lambda x: np_normalize(x, axis=1)),
    "dot_product_attention": (lambda t: ops.dot_product_attention(t, t, t, is_causal=True),
                              lambda x: np_attention(x, x, x, causal=True)),
    "dot_product_attention_bias": (
        lambda t: ops.dot_product_attention(t, t, t, bias=np.eye(6, dtype=np.float32)),
        lambda x: np_attention(x, x, x, bias=np.eye(6))),
    "depth_to_space": (lambda t: ops.depth_to_space(t, 2), lambda x: np_depth_to_space(x, 2)),
    "space_to_depth": (lambda t: ops.space_to_depth(t, 2), lambda x: np_space_to_depth(x, 2)),
    "sparsemax": (lambda t: ops.sparsemax(t, axis=1), lambda x: np_sparsemax(x, axis=1)),
    "sparse_sigmoid": (ops.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_traced_into_a_model_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    x = f32(5, 6, 4, 4)
    ref = ref or (lambda a: fn(a.astype(np.float32)).numpy())  # the eager op, checked above
    inp = pynn.Input(shape=(6, 4, 4))
    model = pynn.Model(inp, fn(inp))
    for bs in (1, 2, 5):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-5, err_msg=f"{name} at batch size {bs}")


def test_attention_mask_as_a_model_input_follows_the_batch():
    q_in, m_in = pynn.Input(shape=(5, 4, 8)), pynn.Input(shape=(1, 5, 5))
    model = pynn.Model([q_in, m_in], ops.dot_product_attention(q_in, q_in, q_in, mask=m_in))
    q = f32(4, 5, 4, 8)
    mask = RNG.random((4, 1, 5, 5)) > 0.4
    mask[..., 0] = True
    want = np_attention(q.astype(float), q, q, mask=mask)
    for bs in (1, 4):
        np.testing.assert_allclose(model.predict([q, mask.astype(np.float32)], batch_size=bs,
                                                 verbose=0), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: ops.depthwise_conv(X1[0], DK1), ValueError, "depthwise_conv: expected an input of rank"),
    (lambda: ops.max_pool(X2, 2, data_format="NCHW"), ValueError, "max_pool: `data_format`"),
    (lambda: ops.adaptive_average_pool(X2, (0, 2)), TypeError, "adaptive_average_pool: .*output_size"),
    (lambda: ops.batch_normalization(X1, np.zeros(4), np.ones(3), -1), ValueError,
     r"batch_normalization: `mean` must have shape \(3,\)"),
    (lambda: ops.layer_normalization(X1, axis=3), ValueError, "layer_normalization: axis 3 is out"),
    (lambda: ops.layer_normalization(X1, rms_scaling=True), ValueError, "deprecated"),
    (lambda: ops.rms_normalization(X1, np.ones(4)), ValueError, "rms_normalization: `scale`"),
    (lambda: ops.normalize(X1, order=0), ValueError, "normalize: `order` must be an int >= 1"),
    (lambda: ops.dot_product_attention(Q[0], KEY, VAL), ValueError, "dot_product_attention: query"),
    (lambda: ops.dot_product_attention(Q, KEY[:, :, :3], VAL[:, :, :3]), ValueError,
     "dot_product_attention: .*multiple"),
    (lambda: ops.dot_product_attention(Q, KEY, VAL, flash_attention=True), ValueError, "flash"),
    (lambda: ops.depth_to_space(D2S, 1), ValueError, "depth_to_space: `block_size`"),
    (lambda: ops.depth_to_space(D2S, 3), ValueError, "depth_to_space: the channels"),
    (lambda: ops.space_to_depth(D2S, 2), ValueError, "space_to_depth: height and width"),
    (lambda: ops.multi_hot(np.array([1, 2])), ValueError, "multi_hot: `num_classes`"),
    (lambda: ops.psnr(X1, X2, 1.0), ValueError, "psnr: x1 and x2 must have the same shape"),
    (lambda: ops.sparsemax(X1, axis=3), ValueError, "sparsemax: axis 3"),
])
def test_bad_input_names_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
