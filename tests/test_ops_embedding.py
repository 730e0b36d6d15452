"""embedding op: lookup, scatter-add gradient, bad ids."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad


@pytest.mark.parametrize("ids_shape", [(3,), (2, 4), (2, 3, 2), ()])
def test_lookup_and_table_gradient(ids_shape):
    rng = np.random.default_rng(0)
    V, D = 5, 3
    ids = rng.integers(0, V, ids_shape).astype(np.float64)
    table = rng.standard_normal((V, D))
    check_grad(ops.embedding, lambda i, t: t[i.astype(int)], [ids, table], wrt=[1])


def test_repeated_ids_accumulate():
    table = pynn.Tensor(np.zeros((4, 2), np.float32), requires_grad=True)
    out = ops.embedding(np.array([[1, 1, 3], [1, 0, 3]]), table)
    assert out.shape == (2, 3, 2)
    out.backward(np.ones((2, 3, 2), np.float32))
    np.testing.assert_array_equal(table.grad, [[1, 1], [3, 3], [0, 0], [2, 2]])


def test_integer_ids_are_exact_and_zero_copy_table():
    table = np.arange(20, dtype=np.float32).reshape(10, 2)
    out = ops.embedding(np.array([9, 0, 4], np.int64), table).numpy()
    np.testing.assert_array_equal(out, table[[9, 0, 4]])


@pytest.mark.parametrize("bad,shown", [(10, "10"), (-1, "-1"), (2.5, "2.5"), (np.nan, "nan")])
def test_bad_ids_raise_value_error_naming_id_and_input_dim(bad, shown):
    table = np.zeros((10, 2), np.float32)
    ids = np.array([[1, 2], [3, bad]], np.float64)
    with pytest.raises(ValueError, match=rf"id {shown}.*position 3.*input_dim=10"):
        ops.embedding(ids, table)


def test_table_must_be_two_dimensional():
    with pytest.raises(ValueError, match=r"table must be \(input_dim, output_dim\), got \(10,\)"):
        ops.embedding(np.zeros(3), np.zeros(10))


def test_ids_at_or_above_2_24_are_refused_not_rounded():
    # float32 carries 2**24 + 1 as 2**24: the lookup returned the wrong row
    tab = np.zeros((2**24 + 2, 2), np.float32)
    tab[2**24] = 1.0
    with pytest.raises(ValueError, match="at or above 2\\^24"):
        pynn._C.apply("embedding", [np.array([[2**24 + 1]], np.float32), tab])
    tab[2**24 - 1] = 4.0
    np.testing.assert_array_equal(
        pynn._C.apply("embedding", [np.array([[2**24 - 1]], np.float32), tab]).numpy(),
        [[[4.0, 4.0]]])
