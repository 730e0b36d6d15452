"""cumsum / cumprod as engine ops (csrc/core/ops/cumulative.c).

They used to be composed: cumsum as a GEMM with a triangle of ones, which made
cumsum([1, inf, 2]) = [nan, inf, inf] (0 * inf from the zeros of the triangle) and
allocated n^2 floats (20,000 values took 39 s, a million could not run); cumprod as n
graph nodes (a million values hung the fuzzer, seed 913). Now each runs along its axis
in order, as NumPy's add/multiply.accumulate do, so the float32 bits are NumPy's."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad

RNG = np.random.default_rng(17)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
def test_bits_equal_numpy_float32(name, axis):
    x = RNG.uniform(0.5, 1.5, size=(4, 5, 6)).astype(np.float32)
    got = getattr(ops, name)(x, axis=axis).numpy()
    want = getattr(np, name)(x, axis=axis)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_inf_and_nan_reach_only_what_follows_them():
    x = np.array([1.0, np.inf, 2.0, -np.inf, 3.0], np.float32)
    np.testing.assert_array_equal(ops.cumsum(x).numpy(), np.cumsum(x))  # [1, inf, inf, nan, nan]
    y = np.array([[1.0, 2.0, np.nan, 4.0]], np.float32)
    np.testing.assert_array_equal(ops.cumsum(y, axis=1).numpy(), [[1.0, 3.0, np.nan, np.nan]])
    np.testing.assert_array_equal(ops.cumprod(y, axis=1).numpy(), [[1.0, 2.0, np.nan, np.nan]])


def test_long_axis_is_linear():
    """A million values (the old cumsum needed 4 TB for this, the old cumprod hung)."""
    x = RNG.standard_normal(1 << 20).astype(np.float32)
    assert ops.cumsum(x).numpy().tobytes() == np.cumsum(x).tobytes()
    z = np.ones(1 << 20, np.float32)
    z[1000] = 0.0
    got = ops.cumprod(z).numpy()
    assert got[999] == 1.0 and not got[1000:].any()


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_cumsum_gradient(axis):
    a = RNG.standard_normal((3, 4, 5))
    check_grad(lambda t: ops.cumsum(t, axis=axis), lambda t: np.cumsum(t, axis=axis), [a])


@pytest.mark.parametrize("zeros", [[], [0], [3], [6], [2, 4], [0, 6], [1, 2]])
def test_cumprod_gradient_with_zeros(zeros):
    """No zero, one (first, middle, last) and two zeros in a line of 7: the gradient
    at the first zero is not 0 (it is the product of the others that follow), and
    after it every gradient is 0; no division by the zero."""
    a = RNG.uniform(0.5, 2.0, size=(2, 7)) * RNG.choice([-1.0, 1.0], size=(2, 7))
    a[0, zeros] = 0.0
    check_grad(lambda t: ops.cumprod(t, axis=1), lambda t: np.cumprod(t, axis=1), [a])
    check_grad(lambda t: ops.cumprod(t, axis=0), lambda t: np.cumprod(t, axis=0), [a.T.copy()])


def test_cumprod_gradient_at_the_zero_is_the_product_of_what_follows():
    x = pynn.Tensor(np.array([2.0, 0.0, 3.0, 4.0], np.float32), requires_grad=True)
    ops.sum(ops.cumprod(x)).backward()
    # d/dx1 of 2 + 2 x1 + 2 x1 3 + 2 x1 3 4 = 2 + 6 + 24
    np.testing.assert_array_equal(x.grad, [1.0, 32.0, 0.0, 0.0])


def test_in_a_model_follows_the_batch():
    inp = pynn.Input(shape=(6, 3))
    model = pynn.Model(inp, ops.cumprod(ops.cumsum(inp, axis=1), axis=2))
    for n in (1, 5):
        x = RNG.standard_normal((n, 6, 3)).astype(np.float32)
        np.testing.assert_array_equal(model.predict(x, verbose=0),
                                      np.cumprod(np.cumsum(x, axis=1), axis=2))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_bad_axis_and_scalar(name):
    with pytest.raises(ValueError, match="axis"):
        getattr(ops, name)(np.ones((2, 3), np.float32), axis=2)
    np.testing.assert_array_equal(getattr(ops, name)(np.float32(4.0)).numpy(), [4.0])
    assert getattr(ops, name)(np.ones((0, 3), np.float32), axis=0).shape == (0, 3)
