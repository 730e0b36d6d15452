"""pynn.Tensor: zero-copy wrapping, lifetime, conversion rule, autograd basics."""
import gc
import sys

import numpy as np
import pytest

import pynn
from gradcheck import check_grad


def test_zero_copy_and_writes_visible():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = pynn.Tensor(a)
    assert np.shares_memory(t.numpy(), a)
    a[1, 2] = 42.0
    assert t.numpy()[1, 2] == 42.0
    t.numpy()[0, 0] = -1.0
    assert a[0, 0] == -1.0


def test_view_outlives_tensor_and_array():
    a = np.arange(4, dtype=np.float32)
    t = pynn.Tensor(a)
    v = t.numpy()
    del t, a
    gc.collect()
    np.testing.assert_array_equal(v, [0, 1, 2, 3])
    x = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * x
    y.backward(np.ones(3, np.float32))
    g = x.grad
    del x, y
    gc.collect()
    np.testing.assert_array_equal(g, [2, 2, 2])


@pytest.mark.parametrize("src", [
    np.arange(6, dtype=np.float64).reshape(2, 3),
    np.arange(6, dtype=np.int64).reshape(2, 3),
    np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
    np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2],
    [[0, 1, 2], [3, 4, 5]],
])
def test_conversion_rule_copies_other_layouts(src):
    t = pynn.Tensor(src)
    assert t.numpy().dtype == np.float32 and t.numpy().flags.c_contiguous
    np.testing.assert_array_equal(t.numpy(), np.asarray(src, dtype=np.float32))


def test_strings_and_objects_raise_type_error():
    with pytest.raises(TypeError, match="numeric"):
        pynn.Tensor("abc")
    with pytest.raises(TypeError):
        pynn.Tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        pynn.Tensor(np.array([object(), object()]))
    with pytest.raises(TypeError):
        pynn.Tensor(np.ones(2, dtype=np.complex64))


def test_no_reference_leaks_over_10000_cycles():
    a = np.ones((4, 4), np.float32)
    base = sys.getrefcount(a)
    for _ in range(10000):
        t = pynn.Tensor(a, requires_grad=True)
        u = (t * t + t) @ t
        u.backward(np.ones((4, 4), np.float32))
        _ = t.grad, t.numpy(), u.numpy()
        del t, u, _
    gc.collect()
    assert sys.getrefcount(a) == base


def test_backward_requires_scalar_or_gradient():
    x = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match="scalar"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(4, np.float32))


def test_backward_without_grad_raises():
    y = pynn.Tensor(np.ones(3, np.float32)) * 2
    with pytest.raises(ValueError, match="does not require grad"):
        y.backward(np.ones(3, np.float32))


def test_no_grad_records_nothing():
    x = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    with pynn.no_grad():
        y = x * 3
    assert not y.requires_grad
    assert (x * 3).requires_grad


def test_leaf_gradients_accumulate_and_reset():
    x = pynn.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    for _ in range(2):
        (x * x).backward(np.ones(2, np.float32))
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    x.grad = None
    assert x.grad is None


def test_detach_shares_memory_and_cuts_graph():
    x = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [2, 2, 2])


@pytest.mark.parametrize("name,np_fn", [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide),
    ("maximum", np.maximum), ("minimum", np.minimum),
])
@pytest.mark.parametrize("sa,sb", [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
    ((), (2, 3)), ((1,), (5,)), ((0, 3), (3,)), ((2, 1, 3), (2, 4, 1)),
])
def test_binary_ops_gradients_with_broadcasting(name, np_fn, sa, sb):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb) * np.where(rng.random(sb) < 0.5, -1, 1)
    if name in ("maximum", "minimum"):  # keep operands apart: no ties under the finite difference
        a = np.where(rng.random(sa) < 0.5, rng.uniform(0.5, 1.0, sa), rng.uniform(1.5, 2.0, sa))
        b = rng.choice([0.0, 1.25, 3.0], size=sb)
    check_grad(lambda x, y: pynn._C.apply(name, [x, y]), np_fn, [a, b])


def test_operators_match_numpy():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    check_grad(lambda x, y: x @ y, lambda x, y: x @ y, [a, b])
    check_grad(lambda x: 2.0 - x / 3.0 + 1.0 * x, lambda x: 2.0 - x / 3.0 + x, [a])


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5,\)"):
        pynn.Tensor(np.ones((3, 4))) + pynn.Tensor(np.ones(5))


@pytest.mark.parametrize("sa,sb", [
    ((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)),
    ((0, 4), (4, 5)), ((3, 0), (0, 5)),
])
def test_matmul_gradients(sa, sb):
    rng = np.random.default_rng(3)
    check_grad(lambda x, y: x @ y, np.matmul, [rng.standard_normal(sa), rng.standard_normal(sb)])


@pytest.mark.parametrize("ta,tb", [(0, 1), (1, 0), (1, 1)])
def test_matmul_transposed_operands(ta, tb):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 3) if ta else (3, 4))
    b = rng.standard_normal((5, 4) if tb else (4, 5))
    ref = lambda x, y: (x.T if ta else x) @ (y.T if tb else y)
    check_grad(lambda x, y: pynn._C.apply("matmul", [x, y], transpose_a=ta, transpose_b=tb), ref, [a, b])


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 6\)"):
        pynn.Tensor(np.ones((3, 4))) @ pynn.Tensor(np.ones((5, 6)))
