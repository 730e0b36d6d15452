"""The cheap paths of one-sample inference (model(x), predict, predict_on_batch):
what they skip must not change what they check or return. The speed itself is
measured in benchmarks/ (case e1/e2), never here."""
import re

import numpy as np
import pytest

import pynn
from pynn import _C
from pynn.data_adapter import check_finite


def _mlp():
    pynn.set_seed(3)
    return pynn.Sequential([pynn.Input(shape=(37,)), pynn.layers.Dense(19, activation="relu"),
                            pynn.layers.Dense(5)])


@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 37, 100, 1000])
def test_all_finite_finds_every_bad_value_anywhere(n):
    """The C scan ORs x - x over the array: a NaN, +inf or -inf in any position
    (vector body or scalar tail) must be found; huge, tiny and -0 values are finite."""
    good = np.array([0.0, -0.0, 3e38, -3e38, 1e-45, -1.5] * (n // 6 + 1), np.float32)[:n]
    assert _C.all_finite(good)
    for bad in (np.nan, np.inf, -np.inf):
        for i in sorted({0, n // 2, n - 1}):
            x = good.copy()
            x[i] = bad
            assert not _C.all_finite(x), (n, bad, i)
            assert not _C.all_finite(x.reshape(1, n)), (n, bad, i)


def test_all_finite_reads_unaligned_arrays():
    """A float32 view at an odd byte offset is legal NumPy (the fuzzer's 'unaligned'
    arrays); reading it as float * was undefined behaviour that UBSan stopped on."""
    buf = np.zeros(4 * 37 + 1, np.uint8)
    x = np.ndarray((37,), np.float32, buffer=buf.data, offset=1)
    assert not x.flags.aligned and x.flags.c_contiguous
    x[:] = np.arange(37, dtype=np.float32)
    assert _C.all_finite(x)
    x[36] = np.nan
    assert not _C.all_finite(x)
    model = pynn.Sequential([pynn.Input(shape=(37,)), pynn.layers.Dense(2)])
    with pytest.raises(ValueError, match="NaN"):
        model.predict(x.reshape(1, 37), verbose=0)


def test_all_finite_refuses_what_it_cannot_scan():
    with pytest.raises(TypeError, match="float32 C-contiguous"):
        _C.all_finite(np.zeros(4, np.float64))
    with pytest.raises(TypeError, match="float32 C-contiguous"):
        _C.all_finite(np.zeros((4, 4), np.float32)[:, ::2])
    assert _C.all_finite(np.zeros((0, 3), np.float32))


def test_check_finite_names_the_first_bad_index_for_every_layout():
    for a in (np.ones((3, 5), np.float32), np.ones((3, 5), np.float64),
              np.asfortranarray(np.ones((3, 5), np.float32)), np.ones((3, 10), np.float32)[:, ::2]):
        check_finite(a, "x")  # finite: no error
        a[2, 3] = np.inf
        with pytest.raises(ValueError, match=re.escape("x contains NaN or infinite values "
                                                       "(first at index (2, 3))")):
            check_finite(a, "x")


def test_one_sample_predict_still_refuses_nan():
    model = _mlp()
    x = np.ones((1, 37), np.float32)
    model.predict(x, verbose=0)  # the fast path is now cached
    x[0, 36] = np.nan
    with pytest.raises(ValueError, match=re.escape("x contains NaN or infinite values (first at "
                                                   "index (0, 36))")):
        model.predict(x, verbose=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict_on_batch(x)


def test_batch_predict_finds_bad_values_while_copying_the_batch_in():
    """predict's one-batch path checks x while copying it into the program
    (_C.Program.run with check_finite, in chunks of 2048 floats): a NaN or
    infinity in any chunk, the last partial one included, must be refused with
    the first bad index, and the model must then predict clean data as before."""
    model = _mlp()
    x = np.random.default_rng(0).standard_normal((150, 37)).astype(np.float32)  # 5550 floats
    want = model.predict(x, batch_size=150, verbose=0)
    w = model.get_weights()
    ref = np.maximum(x.astype(np.float64) @ w[0] + w[1], 0) @ w[2] + w[3]
    np.testing.assert_allclose(want, ref, rtol=1e-4, atol=1e-5)
    for (i, j), bad in (((0, 0), np.nan), ((55, 13), np.inf), ((149, 36), -np.inf)):
        y = x.copy()
        y[i, j] = bad
        with pytest.raises(ValueError, match=re.escape(f"x contains NaN or infinite values (first "
                                                       f"at index ({i}, {j}))")):
            model.predict(y, batch_size=150, verbose=0)
        assert model.predict(x, batch_size=150, verbose=0).tobytes() == want.tobytes()


def test_cached_call_path_still_checks_shape_and_converts():
    """model(x) finds its cached program by the array's per-sample shape: a shape
    never seen (wrong) is still refused with the layer's message, and float64 or
    strided data still converts, after the cache holds the right shape."""
    model = _mlp()
    x = np.random.default_rng(0).standard_normal((1, 37)).astype(np.float32)
    want = model(x).numpy()
    for bad in (np.ones((1, 36), np.float32), np.ones((37,), np.float32),
                np.ones((1, 37, 2), np.float32)):  # (1, 37, 1) is squeezed, as Keras
        with pytest.raises(ValueError, match=r"per-sample shape \(37,\)"):
            model(bad)
    np.testing.assert_array_equal(model(x.astype(np.float64)).numpy(), want)
    wide = np.zeros((1, 74), np.float32)
    wide[:, ::2] = x
    np.testing.assert_array_equal(model(wide[:, ::2]).numpy(), want)


def test_one_sample_results_agree_across_entry_points_and_batches():
    """A sample's output is the same bits from model(x), predict, predict_on_batch
    and inside a batch (the one-row GEMV sums as the tiled kernels do)."""
    model = _mlp()
    xs = np.random.default_rng(1).standard_normal((40, 37)).astype(np.float32)
    batch = model.predict(xs, verbose=0)
    for i in (0, 17, 39):
        one = xs[i:i + 1]
        for got in (model(one).numpy(), model.predict(one, verbose=0), model.predict_on_batch(one)):
            assert got.tobytes() == batch[i:i + 1].tobytes()
    assert model.predict_on_batch(xs).tobytes() == batch.tobytes()
    assert model.predict_on_batch(xs.tolist()).tobytes() == batch.tobytes()  # not an array
