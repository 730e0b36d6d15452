"""Pooling, global pooling, zero padding, cropping and upsampling: forward and
gradients against float64 NumPy references, Keras shapes and padding rules."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


def pool_out(n, k, s, padding):
    return (n - k) // s + 1 if padding == "valid" else ((n - 1) // s + 1 if n else 0)


def pool_pads(n, k, s, padding):
    if padding == "valid":
        return 0, 0
    total = max((pool_out(n, k, s, padding) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def pool2d_ref(x, kind, pool, strides, padding):
    """Windows over the padded input; padding is -inf for max and excluded from the
    count for mean (Keras/TF)."""
    N, H, W, C = x.shape
    (ph, pw), (sh, sw) = pool, strides
    OH, OW = pool_out(H, ph, sh, padding), pool_out(W, pw, sw, padding)
    pt, pb = pool_pads(H, ph, sh, padding)
    pl, pr = pool_pads(W, pw, sw, padding)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    mask = np.pad(np.ones((1, H, W, 1)), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((N, OH, OW, C))
    for oy in range(OH):
        for ox in range(OW):
            win = xp[:, oy * sh: oy * sh + ph, ox * sw: ox * sw + pw]
            if kind == "max":
                y[:, oy, ox] = win.max(axis=(1, 2))
            else:
                cnt = mask[:, oy * sh: oy * sh + ph, ox * sw: ox * sw + pw].sum()
                y[:, oy, ox] = win.sum(axis=(1, 2)) / cnt
    return y


def distinct(shape, rng):
    """Values at least 0.01 apart, so no max ties under a 1e-4 finite difference."""
    n = int(np.prod(shape))
    return rng.permutation(n).reshape(shape) * 0.01 - n * 0.005


POOL_CASES = [
    ((2, 4, 4, 3), (2, 2), None, "valid"),
    ((1, 5, 5, 2), (2, 2), None, "valid"),      # odd input: last row/col dropped
    ((1, 5, 5, 2), (2, 2), None, "same"),       # padded after
    ((2, 7, 6, 1), (3, 3), (2, 2), "same"),
    ((1, 6, 7, 2), (3, 2), (1, 2), "valid"),    # overlapping windows
    ((1, 5, 4, 2), (3, 3), (1, 1), "same"),     # padding on both sides
    ((1, 3, 3, 1), (5, 5), (1, 1), "same"),     # window larger than the input
    ((0, 4, 4, 2), (2, 2), None, "valid"),      # empty batch
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,pool,strides,padding", POOL_CASES)
def test_pool2d_gradients(kind, xs, pool, strides, padding):
    x = distinct(xs, np.random.default_rng(20))
    fn = {"max": ops.max_pool2d, "avg": ops.avg_pool2d}[kind]
    s = strides or pool
    check_grad(lambda t: fn(t, pool_size=pool, strides=strides, padding=padding),
               lambda a: pool2d_ref(a, kind, pool, s, padding), [x])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,pool,strides,padding", [
    ((2, 7, 3), 2, None, "valid"), ((2, 7, 3), 3, 2, "same"), ((1, 6, 2), 3, 1, "same"),
    ((1, 9, 1), 4, 3, "valid"), ((0, 5, 2), 2, None, "same"),
])
def test_pool1d_gradients(kind, xs, pool, strides, padding):
    x = distinct(xs, np.random.default_rng(21))
    fn = {"max": ops.max_pool1d, "avg": ops.avg_pool1d}[kind]
    s = strides or pool
    ref = lambda a: pool2d_ref(a[:, None], kind, (1, pool), (1, s), padding)[:, 0]
    check_grad(lambda t: fn(t, pool_size=pool, strides=strides, padding=padding), ref, [x])


def test_same_average_excludes_padding_like_keras():
    x = np.arange(1, 6, dtype=np.float32).reshape(1, 5, 1)
    # n=5, pool 2, stride 2: 3 windows, the last holds only x[4] (pad after)
    np.testing.assert_allclose(ops.avg_pool1d(x, 2, padding="same").numpy().ravel(), [1.5, 3.5, 5.0])
    np.testing.assert_allclose(ops.max_pool1d(-x, 2, padding="same").numpy().ravel(), [-1, -3, -5])


def test_max_pool_ties_route_gradient_to_first_maximum():
    x = pynn.Tensor(np.ones((1, 2, 2, 1), np.float32), requires_grad=True)
    ops.max_pool2d(x).backward(np.ones((1, 1, 1, 1), np.float32))
    np.testing.assert_array_equal(x.grad.ravel(), [1, 0, 0, 0])


def test_max_pool_propagates_nan_and_handles_minus_infinity():
    x = np.array([[[1.0], [np.nan], [-np.inf], [-np.inf]]], np.float32)
    y = ops.max_pool1d(x, 2).numpy().ravel()
    assert np.isnan(y[0]) and y[1] == -np.inf
    t = pynn.Tensor(x, requires_grad=True)
    ops.max_pool1d(t, 2).backward(np.ones((1, 2, 1), np.float32))
    np.testing.assert_array_equal(t.grad.ravel(), [0, 1, 1, 0])


@pytest.mark.parametrize("rank,keepdims", [(3, False), (4, False), (3, True), (4, True)])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_global_pooling(rank, keepdims, kind):
    xs = (2, 5, 3) if rank == 3 else (2, 3, 4, 3)
    x = distinct(xs, np.random.default_rng(22))
    axes = tuple(range(1, rank - 1))
    name = f"global_{kind}_pool{rank - 2}d"
    red = np.mean if kind == "avg" else np.max
    check_grad(lambda t: getattr(ops, name)(t, keepdims=keepdims),
               lambda a: red(a, axis=axes, keepdims=keepdims), [x])


def test_global_pooling_empty_batch_and_rank_errors():
    y = ops.global_avg_pool2d(np.zeros((0, 3, 3, 4), np.float32))
    assert y.shape == (0, 4)
    with pytest.raises(ValueError, match=r"4-D input .*channel axis"):
        ops.global_max_pool2d(np.zeros((2, 3, 3), np.float32))


@pytest.mark.parametrize("padding,expect", [
    (1, (1, 1, 1, 1)), ((1, 2), (1, 1, 2, 2)), (((0, 2), (3, 1)), (0, 2, 3, 1)), (0, (0, 0, 0, 0)),
])
def test_zero_padding2d(padding, expect):
    x = np.random.default_rng(23).standard_normal((2, 3, 4, 2))
    t, b, l, r = expect
    check_grad(lambda a: ops.zero_padding2d(a, padding),
               lambda a: np.pad(a, ((0, 0), (t, b), (l, r), (0, 0))), [x])


@pytest.mark.parametrize("cropping,expect", [
    (1, (1, 1, 1, 1)), ((1, 0), (1, 1, 0, 0)), (((0, 2), (3, 1)), (0, 2, 3, 1)),
])
def test_cropping2d(cropping, expect):
    x = np.random.default_rng(24).standard_normal((2, 5, 6, 2))
    t, b, l, r = expect
    check_grad(lambda a: ops.cropping2d(a, cropping),
               lambda a: a[:, t:a.shape[1] - b, l:a.shape[2] - r], [x])


def test_1d_padding_cropping_upsampling():
    x = np.random.default_rng(25).standard_normal((2, 5, 3))
    check_grad(lambda a: ops.zero_padding1d(a, (2, 1)), lambda a: np.pad(a, ((0, 0), (2, 1), (0, 0))), [x])
    check_grad(lambda a: ops.cropping1d(a, (1, 2)), lambda a: a[:, 1:3], [x])
    check_grad(lambda a: ops.upsampling1d(a, 3), lambda a: np.repeat(a, 3, axis=1), [x])


@pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
def test_upsampling2d_nearest(size):
    x = np.random.default_rng(26).standard_normal((2, 3, 2, 2))
    sh, sw = (size, size) if isinstance(size, int) else size
    check_grad(lambda a: ops.upsampling2d(a, size),
               lambda a: np.repeat(np.repeat(a, sh, axis=1), sw, axis=2), [x])


@pytest.mark.parametrize("fn,args,match", [
    (ops.max_pool2d, dict(pool_size=(5, 5)), r"height of the input is 4 but the window needs 5"),
    (ops.avg_pool2d, dict(pool_size=0), "pool_size"),
    (ops.max_pool2d, dict(strides=(1,)), "tuple of 2"),
    (ops.max_pool2d, dict(padding="causal"), "padding"),
    (ops.cropping2d, dict(cropping=((2, 2), (0, 0))), "leaves nothing"),
    (ops.zero_padding2d, dict(padding=-1), ">= 0"),
    (ops.upsampling2d, dict(size=0), ">= 1"),
])
def test_bad_arguments(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(np.zeros((1, 4, 6, 2), np.float32), **args)


def test_missing_channel_axis_message():
    with pytest.raises(ValueError, match=r"per-sample shape \(28, 28\).*x\.reshape\(8, 28, 28, 1\)"):
        ops.max_pool2d(np.zeros((8, 28, 28), np.float32))


def test_engine_checks_without_python_wrappers():
    x = np.zeros((1, 3, 3, 1), np.float32)
    with pytest.raises(ValueError, match="pool size 4 is larger"):
        pynn._C.apply("max_pool2d", [x], pool_size=(4, 4), strides=(1, 1))
    with pytest.raises(ValueError, match="must be >= 1"):
        pynn._C.apply("avg_pool2d", [x], pool_size=(0, 0))
    with pytest.raises(ValueError, match="leaves nothing"):
        pynn._C.apply("cropping", [x], cropping=[2, 1, 0, 0])
    with pytest.raises(ValueError, match="no height axis"):
        pynn._C.apply("zero_padding", [x[0]], padding=[1, 0, 0, 0])


def test_max_pool_ties_go_to_the_first_position_and_nan_wins():
    # 2x2 windows, stride 2, with 'same' padding on a 3x3 input (padding after)
    x = np.array([[1, 1, 7], [1, 0, 7], [np.nan, 2, 3]], np.float32).reshape(1, 3, 3, 1)
    t = pynn.Tensor(x, requires_grad=True)
    y = ops.max_pool2d(t, 2, padding="same")
    out = y.numpy().reshape(2, 2)
    assert out[0, 0] == 1 and out[0, 1] == 7 and np.isnan(out[1, 0]) and out[1, 1] == 3
    y.backward(np.ones((1, 2, 2, 1), np.float32))
    expected = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1]], np.float32)  # first of each tie
    np.testing.assert_array_equal(t.grad.reshape(3, 3), expected)


def test_upsampling_and_padding_sizes_that_wrap_int64_are_refused():
    # W * size and H + top + bottom wrapped to small values: the output buffer
    # was planned small and written full (issue 10)
    x = np.ones((1, 4, 1), np.float32)
    with pytest.raises(ValueError, match="upsampled width is too large"):
        ops.upsampling1d(x, size=2**62)
    with pytest.raises(ValueError, match="padding must be in"):
        ops.zero_padding1d(x, padding=(2**63 - 1, 2**63 - 1))
    with pytest.raises(ValueError, match="padded width is too large"):
        ops.zero_padding1d(x, padding=(2**60, 2**60))
    with pytest.raises(ValueError, match="cropping must be in"):
        pynn._C.apply("cropping", [np.ones((1, 4, 4, 1), np.float32)], cropping=[0, 0, 2**63 - 1, 2**63 - 1])
    with pytest.raises(ValueError, match="at most"):
        pynn._C.apply("max_pool1d", [x], pool_size=2**63 - 1, strides=1, padding="same")
