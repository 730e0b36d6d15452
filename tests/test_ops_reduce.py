"""Reductions (csrc/core/ops/reduce.c): sum, mean, max, min, var, std over axis
sets with keepdims, against float64 NumPy references and central differences;
softmax / log_softmax over every axis; edge shapes; determinism; bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


def _distinct(rng, shape):
    """Values far apart (>= 0.01) so max/min have no ties under a finite difference."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.05 - n * 0.025 + rng.uniform(0, 0.01, n)).reshape(shape)


REDUCERS = {
    "sum": (ops.sum, lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims)),
    "mean": (ops.mean, lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims)),
    "max": (ops.max, lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims)),
    "min": (ops.min, lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims)),
    "var": (ops.var, lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims)),
    "std": (ops.std, lambda x, axis, keepdims: np.std(x, axis=axis, keepdims=keepdims)),
}

AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, -3), (0, 1, 2), (2, 0), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_reductions_over_axis_sets(name, axis, keepdims):
    fn, ref = REDUCERS[name]
    rng = np.random.default_rng(11)
    x = _distinct(rng, (3, 4, 5))
    check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims),
               lambda a: ref(a, axis, keepdims), [x])
    assert fn(pynn.Tensor(x), axis=axis, keepdims=keepdims).shape == \
        np.sum(x, axis=axis, keepdims=keepdims).shape


@pytest.mark.parametrize("shape,axis", [
    ((), None), ((), ()), ((1,), None), ((1,), 0), ((6,), -1), ((4, 1), 1), ((1, 4), 0),
    ((2, 1, 3), (0, 2)), ((2, 3, 1, 2), (1, 3)), ((0, 4), 1), ((2, 0, 3), 0),
])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_reductions_on_edge_shapes(name, shape, axis, keepdims):
    fn, ref = REDUCERS[name]
    rng = np.random.default_rng(12)
    x = _distinct(rng, shape) if shape else np.array(rng.uniform(-1, 1))
    check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims),
               lambda a: ref(a, axis, keepdims), [x])


def test_reducing_zero_elements():
    z = pynn.Tensor(np.zeros((0, 3), np.float32))
    np.testing.assert_array_equal(ops.sum(z).numpy(), 0)
    np.testing.assert_array_equal(ops.sum(z, axis=0).numpy(), [0, 0, 0])
    assert np.all(np.isnan(ops.mean(z, axis=0).numpy()))
    assert ops.max(z, axis=1).shape == (0,)  # nothing to reduce into: fine
    with pytest.raises(ValueError, match=r"max: cannot reduce over zero elements.*\(0, 3\)"):
        ops.max(z, axis=0)
    with pytest.raises(ValueError, match="min: cannot reduce over zero elements"):
        ops.min(z)


def test_max_min_ties_share_the_gradient_like_amax():
    t = pynn.Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32), requires_grad=True)
    ops.max(t, axis=1).backward(np.array([1.0, 3.0], np.float32))
    np.testing.assert_allclose(t.grad, [[0, 0.5, 0.5], [1, 1, 1]])
    u = pynn.Tensor(np.array([[1.0, 3.0, 1.0], [2.0, 1.0, 2.0]], np.float32), requires_grad=True)
    ops.min(u).backward()
    np.testing.assert_allclose(u.grad, [[1 / 3, 0, 1 / 3], [0, 1 / 3, 0]])


def test_max_min_propagate_nan():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0], [np.nan, -1.0, 0.0]], np.float32)
    for fn in (ops.max, ops.min):
        y = fn(pynn.Tensor(x), axis=1).numpy()
        assert np.isnan(y[0]) and np.isnan(y[2]) and not np.isnan(y[1])
        np.testing.assert_array_equal(fn(pynn.Tensor(x), axis=0).numpy(),
                                      [np.nan, np.nan, 6.0 if fn is ops.max else 0.0])
    y = ops.max(pynn.Tensor(np.array([-np.inf, -np.inf], np.float32))).numpy()
    assert y == -np.inf


@pytest.mark.parametrize("ddof", [0, 1, 2.5])
def test_var_std_ddof(ddof):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((4, 6))
    check_grad(lambda t: ops.var(t, axis=1, ddof=ddof), lambda a: np.var(a, axis=1, ddof=ddof), [x])
    check_grad(lambda t: ops.std(t, axis=0, ddof=ddof), lambda a: np.std(a, axis=0, ddof=ddof), [x])


def test_std_of_constant_has_zero_gradient_not_nan():
    t = pynn.Tensor(np.full((2, 3), 4.0, np.float32), requires_grad=True)
    y = ops.std(t, axis=1)
    np.testing.assert_array_equal(y.numpy(), [0, 0])
    y.backward(np.ones(2, np.float32))
    np.testing.assert_array_equal(t.grad, 0)


def test_var_no_degrees_of_freedom_is_nan():
    assert np.isnan(ops.var(pynn.Tensor([1.0, 2.0]), ddof=2).numpy())


def test_var_is_two_pass_and_accurate_with_a_large_mean():
    # E[x^2] - E[x]^2 in float32 would return garbage (even negative) here
    x = (1e4 + np.arange(10) * 1e-2).astype(np.float32)
    np.testing.assert_allclose(ops.var(pynn.Tensor(x)).numpy(),
                               np.var(x.astype(np.float64)), rtol=1e-5)


def test_sum_accumulates_in_double():
    # a float32 running sum of 2**24 + many ones stalls; a double accumulator does not
    x = np.concatenate([[2.0 ** 24], np.ones(100_000)]).astype(np.float32)
    assert ops.sum(pynn.Tensor(x)).item() == 2.0 ** 24 + 100_000
    rng = np.random.default_rng(14)
    y = rng.standard_normal((1000, 700)).astype(np.float32)
    for axis in (None, 0, 1):
        np.testing.assert_allclose(ops.sum(pynn.Tensor(y), axis=axis).numpy(),
                                   y.astype(np.float64).sum(axis=axis), rtol=1e-6, atol=1e-4)


def test_results_do_not_depend_on_thread_count():
    if not hasattr(pynn._C, "set_num_threads"):
        pytest.skip("the engine's thread pool is not built yet")
    rng = np.random.default_rng(15)
    x = rng.standard_normal((257, 129, 7)).astype(np.float32)
    prev = pynn.get_num_threads()
    outs = []
    try:
        for n in (1, 2):
            pynn.set_num_threads(n)
            t = pynn.Tensor(x, requires_grad=True)
            ops.sum(ops.log_softmax(t, axis=1) * ops.mean(t, axis=(0, 2), keepdims=True)).backward()
            outs.append((ops.sum(pynn.Tensor(x), axis=(0, 2)).numpy(), t.grad.copy()))
    finally:
        pynn.set_num_threads(prev)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_tensor_methods():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = pynn.Tensor(x)
    assert t.sum().item() == 66
    np.testing.assert_array_equal(t.sum(axis=1, keepdims=True).numpy(), x.sum(1, keepdims=True))
    np.testing.assert_array_equal(t.mean(0).numpy(), x.mean(0))
    np.testing.assert_array_equal(t.max(axis=-1).numpy(), [3, 7, 11])
    np.testing.assert_array_equal(t.min(axis=(0, 1)).numpy(), 0)
    np.testing.assert_allclose(t.var(1).numpy(), x.var(1))
    np.testing.assert_allclose(t.std(ddof=1).numpy(), x.std(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(t.softmax().numpy().sum(-1), 1, rtol=1e-6)


def test_default_attributes_reduce_everything():
    # an op applied from C or _C.apply with no attributes is a full reduction
    x = pynn.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert pynn._C.apply("sum", [x]).shape == ()
    assert pynn._C.apply("sum", [x]).item() == 15


# ---------------------------------------------------------------- softmax / log_softmax

def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    with np.errstate(divide="ignore"):  # log(0) of an empty slice's sum
        return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("shape,axis", [
    ((3, 4, 5), -1), ((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), -2), ((3, 4, 5), 2),
    ((7,), 0), ((1,), -1), ((4, 1), 1), ((4, 1), 0), ((0, 4), -1), ((0, 4), 0), ((), -1), ((), 0),
    ((2, 3, 1, 4), 2),
])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradients(name, shape, axis):
    fn = getattr(ops, name)
    ref = _softmax if name == "softmax" else _log_softmax
    rng = np.random.default_rng(16)
    x = rng.standard_normal(shape) * 2
    check_grad(lambda t: fn(t, axis=axis), lambda a: ref(a, axis if a.ndim else None), [x])


@pytest.mark.parametrize("scale", [100.0, 1000.0, 1e30])
def test_softmax_is_stable_for_huge_logits(scale):
    x = np.array([[1.0, -1.0, 0.5, 0.0], [-1.0, -1.0, -1.0, 1.0]]) * scale
    for fn, ref in ((ops.softmax, _softmax), (ops.log_softmax, _log_softmax)):
        t = pynn.Tensor(x.astype(np.float32), requires_grad=True)
        y = fn(t, axis=-1)
        assert np.all(np.isfinite(y.numpy()))
        np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float32).astype(np.float64), -1),
                                   rtol=1e-6, atol=1e-6)
        y.backward(np.ones(x.shape, np.float32))
        assert np.all(np.isfinite(t.grad))


def test_log_softmax_at_100_is_exact():
    y = ops.log_softmax(pynn.Tensor([100.0, -100.0]), axis=0).numpy()
    np.testing.assert_allclose(y, [0.0, -200.0], atol=1e-6)


# ---------------------------------------------------------------- bad input

def test_bad_axis_raises_value_error_naming_op_axis_and_rank():
    t = pynn.Tensor(np.ones((2, 3)))
    for name in ("sum", "mean", "max", "min", "var", "std"):
        fn = getattr(ops, name)
        with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range for a tensor of rank 2"):
            fn(t, axis=2)
        with pytest.raises(ValueError, match=rf"{name}: axis -3 is out of range .* rank 2"):
            fn(t, axis=(0, -3))
        with pytest.raises(ValueError, match=rf"{name}: axis 1 is repeated"):
            fn(t, axis=(1, -1))
        with pytest.raises(TypeError, match=rf"{name}: axis must be"):
            fn(t, axis=1.0)
        with pytest.raises(TypeError, match=rf"{name}: keepdims must be a bool"):
            fn(t, axis=0, keepdims="yes")
    for name in ("softmax", "log_softmax"):
        with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range for a tensor of rank 2"):
            getattr(ops, name)(t, axis=2)
        with pytest.raises(ValueError, match=rf"{name}: axis 1 is out of range for a tensor of rank 0"):
            getattr(ops, name)(pynn.Tensor(1.0), axis=1)
        with pytest.raises(TypeError, match=rf"{name}: axis must be an int"):
            getattr(ops, name)(t, axis=None)
    with pytest.raises(ValueError, match="var: ddof must be >= 0"):
        ops.var(t, ddof=-1)


def test_engine_checks_axes_itself():
    # the C op validates too, for callers that bypass pynn.ops
    t = pynn.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="sum: axis 5 is out of range for a tensor of rank 2"):
        pynn._C.apply("sum", [t], reduce_all=False, axis=[5])
    with pytest.raises(ValueError, match="max: axis 1 is repeated"):
        pynn._C.apply("max", [t], reduce_all=False, axis=[1, -1])
    with pytest.raises(ValueError, match="softmax: axis -3 is out of range"):
        pynn._C.apply("softmax", [t], axis=-3)


@pytest.mark.parametrize("n", [7, 8, 9, 33, 1000])
def test_max_min_long_rows_nan_and_inf(n):
    # rows long enough for the vector path, with NaN / inf in every position class
    rng = np.random.default_rng(n)
    x = rng.standard_normal((4, n)).astype(np.float32)
    for pos in (0, n // 2, n - 1):
        y = x.copy()
        y[1, pos] = np.nan
        y[2, :] = -np.inf
        y[3, pos] = np.inf
        for fn, npf in ((ops.max, np.max), (ops.min, np.min)):
            for axis in (1, None):
                np.testing.assert_array_equal(fn(pynn.Tensor(y), axis=axis).numpy(),
                                              npf(y, axis=axis))
            np.testing.assert_array_equal(fn(pynn.Tensor(y.T.copy()), axis=0).numpy(),
                                          npf(y, axis=1))


ALL_REDUCE_OPS = ["sum", "mean", "max", "min", "var", "std", "softmax", "log_softmax"]


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ALL_REDUCE_OPS)
def test_backward_accumulates(name, axis):
    # backward must add to an input's gradient (+=), not overwrite it
    x = _distinct(np.random.default_rng(17), (3, 9)).astype(np.float32)
    t = pynn.Tensor(x, requires_grad=True)
    fn = getattr(ops, name)
    y = fn(t, axis=axis)
    g = np.random.default_rng(18).standard_normal(y.shape).astype(np.float32)
    fn(t, axis=axis).backward(g)
    first = t.grad.copy()
    assert np.any(first != 0)
    fn(t, axis=axis).backward(g)
    np.testing.assert_allclose(t.grad, 2 * first, rtol=1e-6, atol=1e-7)


def test_random_shapes_and_axis_sets_match_numpy():
    # exercises the axis merging (runs of reduced / kept / length-1 axes) on
    # ranks up to 6, forward and backward, against NumPy
    rng = np.random.default_rng(21)
    for trial in range(150):
        nd = int(rng.integers(0, 7))
        shape = tuple(int(s) for s in rng.choice([1, 1, 2, 3, 4], size=nd))
        k = int(rng.integers(0, nd + 1))
        axes = tuple(int(a) for a in rng.permutation(nd)[:k])
        axes = tuple(a - nd if rng.random() < 0.3 else a for a in axes)
        keepdims = bool(rng.random() < 0.5)
        name = ["sum", "mean", "max", "min", "var", "std"][trial % 6]
        fn, ref = REDUCERS[name]
        x = _distinct(rng, shape) if nd else np.array(rng.standard_normal())
        check_grad(lambda t: fn(t, axis=axes, keepdims=keepdims),
                   lambda a: ref(a, axes, keepdims), [x], rng=rng)


@pytest.mark.parametrize("shape,axis", [
    ((300_001,), None),      # full reduction: fixed blocks, partials added in order
    ((2048, 300), 1),        # one output per row
    ((2048, 300), 0),        # tasks own column ranges
    ((64, 1, 5000), (0, 1)),  # length-1 axes merge into the 2-D cases
    ((40, 30, 50), (0, 2)),  # the general walk
])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
def test_threaded_paths_are_exact_and_thread_count_independent(name, shape, axis):
    rng = np.random.default_rng(22)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    fn, ref = REDUCERS[name]
    runs = []
    counts = (1, 2, 3) if hasattr(pynn._C, "set_num_threads") else (None,)
    prev = pynn.get_num_threads() if counts[0] else None
    try:
        for n in counts:
            if n:
                pynn.set_num_threads(n)
            t = pynn.Tensor(x, requires_grad=True)
            y = fn(t, axis=axis)
            y.backward(np.ones(y.shape, np.float32))
            runs.append((y.numpy().copy(), t.grad.copy()))
    finally:
        if prev:
            pynn.set_num_threads(prev)
    for y, g in runs[1:]:
        np.testing.assert_array_equal(y, runs[0][0])
        np.testing.assert_array_equal(g, runs[0][1])
    np.testing.assert_allclose(runs[0][0], ref(x.astype(np.float64), axis, False),
                               rtol=2e-6, atol=1e-6)
