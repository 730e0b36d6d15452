"""batch_norm, layer_norm and group_norm against float64 NumPy transcriptions of Keras 3."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


def bn_train_ref(x, g, b, eps=1e-3):
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased, as Keras' ops.moments
    return (x - mean) / np.sqrt(var + eps) * g + b


def bn_infer_ref(x, g, b, mm, mv, eps=1e-3):
    return (x - mm) / np.sqrt(mv + eps) * g + b


def ln_ref(x, g, b, eps=1e-3):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


@pytest.mark.parametrize("shape", [(6, 3), (2, 4, 4, 3), (3, 5, 2), (1, 1, 1, 4), (5, 1)])
def test_batch_norm_training_gradients_through_batch_statistics(shape):
    rng = np.random.default_rng(30)
    x = rng.standard_normal(shape) * 2 + 0.5
    c = shape[-1]
    g, b = rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    mm, mv = np.zeros(c, np.float32), np.ones(c, np.float32)
    # stats are passed as fresh float32 leaves each call; not differentiated here
    check_grad(lambda x, g, b: ops.batch_norm(x, g, b, mm.copy(), mv.copy(), training=True),
               lambda x, g, b: bn_train_ref(x, g, b), [x, g, b], rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 3, 2), (0, 4, 2)])
def test_batch_norm_inference_gradients_including_moving_stats(shape):
    rng = np.random.default_rng(31)
    c = shape[-1]
    arrays = [rng.standard_normal(shape), rng.uniform(0.5, 1.5, c), rng.standard_normal(c),
              rng.standard_normal(c) * 0.3, rng.uniform(0.5, 2.0, c)]
    check_grad(lambda *t: ops.batch_norm(*t, training=False), bn_infer_ref, arrays)


def test_batch_norm_updates_moving_stats_in_place_like_keras():
    rng = np.random.default_rng(32)
    x = (rng.standard_normal((16, 3, 3, 4)) * 3 + 2).astype(np.float32)
    mm = rng.standard_normal(4).astype(np.float32)
    mv = rng.uniform(0.5, 2, 4).astype(np.float32)
    mm0, mv0 = mm.copy(), mv.copy()
    ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
    ops.batch_norm(x, ones, zeros, mm, mv, training=True, momentum=0.9)
    xd = x.astype(np.float64).reshape(-1, 4)
    np.testing.assert_allclose(mm, mm0 * 0.9 + xd.mean(0) * 0.1, rtol=1e-5)
    # Keras 3 uses the biased batch variance for the moving average too
    np.testing.assert_allclose(mv, mv0 * 0.9 + xd.var(0) * 0.1, rtol=1e-5)
    assert not np.allclose(mv, mv0 * 0.9 + xd.var(0, ddof=1) * 0.1, rtol=1e-5)
    # Tensors are updated in place as well, and inference leaves them alone
    tm, tv = pynn.Tensor(mm0.copy()), pynn.Tensor(mv0.copy())
    ops.batch_norm(x, ones, zeros, tm, tv, training=True, momentum=0.9)
    np.testing.assert_allclose(tm.numpy(), mm, rtol=1e-6)
    before = tm.numpy().copy()
    ops.batch_norm(x, ones, zeros, tm, tv, training=False)
    np.testing.assert_array_equal(tm.numpy(), before)


def test_batch_norm_inference_uses_moving_stats_and_epsilon():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    mm, mv = np.array([1.0, 2.0], np.float32), np.array([4.0, 0.0], np.float32)
    y = ops.batch_norm(x, np.ones(2), np.zeros(2), mm, mv, training=False, epsilon=0.5).numpy()
    np.testing.assert_allclose(y, [[0, 0], [2 / np.sqrt(4.5), 4 / np.sqrt(0.5)]], rtol=1e-6)


def test_batch_norm_large_offset_is_stable():
    """A one-pass E[x²] − E[x]² would lose the variance entirely at this offset."""
    rng = np.random.default_rng(33)
    x = (1e4 + rng.standard_normal((512, 2))).astype(np.float32)
    mv = np.ones(2, np.float32)
    y = ops.batch_norm(x, np.ones(2), np.zeros(2), np.zeros(2, np.float32), mv, training=True,
                       momentum=0.0).numpy()
    np.testing.assert_allclose(mv, x.astype(np.float64).var(0), rtol=1e-3)
    np.testing.assert_allclose(y.std(0), 1.0, atol=1e-2)


def test_batch_norm_empty_training_batch_keeps_moving_stats():
    mm, mv = np.full(3, 0.5, np.float32), np.full(3, 2.0, np.float32)
    y = ops.batch_norm(np.zeros((0, 3), np.float32), np.ones(3), np.zeros(3), mm, mv, training=True)
    assert y.shape == (0, 3)
    np.testing.assert_array_equal(mm, 0.5)
    np.testing.assert_array_equal(mv, 2.0)


def test_batch_norm_many_rows_spans_several_reduction_blocks():
    rng = np.random.default_rng(34)
    x = rng.standard_normal((1000, 5)) * 2 + 1
    g, b = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    xt = pynn.Tensor(x.astype(np.float32), requires_grad=True)
    gt = pynn.Tensor(g.astype(np.float32), requires_grad=True)
    y = ops.batch_norm(xt, gt, b, np.zeros(5, np.float32), np.ones(5, np.float32), training=True)
    np.testing.assert_allclose(y.numpy(), bn_train_ref(x, g, b), rtol=1e-4, atol=1e-4)
    seed = rng.standard_normal(x.shape)
    y.backward(seed.astype(np.float32))
    # analytic float64 gradient
    mean, var = x.mean(0), x.var(0)
    inv = 1 / np.sqrt(var + 1e-3)
    xhat = (x - mean) * inv
    dx = g * inv / len(x) * (len(x) * seed - seed.sum(0) - xhat * (seed * xhat).sum(0))
    np.testing.assert_allclose(xt.grad, dx, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(gt.grad, (seed * xhat).sum(0), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 6), (3, 1), (1, 7), (0, 4)])
def test_layer_norm_gradients(shape):
    rng = np.random.default_rng(35)
    c = shape[-1]
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 1.5, c), rng.standard_normal(c)]
    check_grad(lambda x, g, b: ops.layer_norm(x, g, b), ln_ref, arrays, rtol=2e-3, atol=2e-3)


def gn_ref(x, g, b, groups, eps=1e-3):
    """Keras 3's GroupNormalization call, transcribed: (batch, positions, groups,
    channels per group), moments over positions and channels of the group."""
    c = x.shape[-1]
    xr = x.reshape(len(x), int(np.prod(x.shape[1:-1])), groups, c // groups)
    mean, var = xr.mean(axis=(1, 3), keepdims=True), xr.var(axis=(1, 3), keepdims=True)
    return ((xr - mean) / np.sqrt(var + eps)).reshape(x.shape) * g + b


@pytest.mark.parametrize("shape,groups", [((2, 3, 4, 6), 3), ((3, 5, 4), 1), ((2, 8), 8),
                                          ((1, 2, 2, 4), 2), ((4, 6), 2), ((0, 3, 4), 2)])
def test_group_norm_gradients(shape, groups):
    rng = np.random.default_rng(36)
    c = shape[-1]
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.uniform(0.5, 1.5, c), rng.standard_normal(c)]
    check_grad(lambda x, g, b: ops.group_norm(x, g, b, groups),
               lambda x, g, b: gn_ref(x, g, b, groups), arrays, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_group_norm_threads_do_not_change_bits(threads):
    rng = np.random.default_rng(37)
    x = rng.standard_normal((7, 5, 5, 8)).astype(np.float32)
    g, b = rng.uniform(0.5, 1.5, 8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    seed = rng.standard_normal(x.shape).astype(np.float32)

    def run():
        ts = [pynn.Tensor(a, requires_grad=True) for a in (x, g, b)]
        y = ops.group_norm(*ts, groups=4)
        y.backward(seed)
        return [y.numpy().copy()] + [t.grad.copy() for t in ts]
    old = pynn.get_num_threads()
    try:
        pynn.set_num_threads(1)
        one = run()
        pynn.set_num_threads(threads)
        other = run()
    finally:
        pynn.set_num_threads(old)
    for a, o in zip(one, other):
        assert a.tobytes() == o.tobytes()


def test_group_norm_bad_input_names_the_op():
    x = np.zeros((2, 4, 6), np.float32)
    one, zero = np.ones(6, np.float32), np.zeros(6, np.float32)
    with pytest.raises(ValueError, match=r"group_norm: groups must be a positive divisor of the "
                                         r"channels \(6\), got groups=4"):
        ops.group_norm(x, one, zero, 4)
    with pytest.raises(ValueError, match="groups=0"):
        ops.group_norm(x, one, zero, 0)
    with pytest.raises(TypeError, match="`groups` must be an int"):
        ops.group_norm(x, one, zero, 2.0)
    with pytest.raises(ValueError, match=r"group_norm: .gamma. must have shape \(6,\)"):
        ops.group_norm(x, np.ones(3, np.float32), zero, 2)
    with pytest.raises(ValueError, match=r"group_norm: the input must be \(batch, \.\.\., channels\)"):
        pynn._C.apply("group_norm", [np.zeros(6, np.float32), one, zero], groups=2)


def test_layer_norm_epsilon_default_is_keras():
    x = np.array([[0.0, 0.1]], np.float32)  # var 0.0025: epsilon 1e-3 matters
    y = ops.layer_norm(x, np.ones(2), np.zeros(2)).numpy()
    np.testing.assert_allclose(y, [[-0.05, 0.05]] / np.sqrt(0.0025 + 1e-3), rtol=1e-5)


def test_errors_name_the_parameter_and_shapes():
    x = np.zeros((4, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match=r"gamma. must have shape \(3,\).*\(5,\).*per-sample shape \(8, 8, 3\)"):
        ops.batch_norm(x, np.ones(5), np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=r"moving_variance. must have shape \(3,\)"):
        ops.batch_norm(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"beta. must have shape \(3,\)"):
        ops.layer_norm(x, np.ones(3), np.zeros(4))
    with pytest.raises(TypeError, match="momentum"):
        ops.batch_norm(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), momentum="0.9")
    with pytest.raises(ValueError, match=r"layer_norm: beta must have shape \(3,\)"):
        pynn._C.apply("layer_norm", [x, np.ones(3, np.float32), np.zeros(2, np.float32)])
    with pytest.raises(ValueError, match="batch_norm takes 5 inputs"):
        pynn._C.apply("batch_norm", [x, np.ones(3, np.float32)])
