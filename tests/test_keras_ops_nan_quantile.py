"""keras.ops NaN-skipping reductions and quantiles (issue #13): nansum, nanmean, nanmax,
nanmin, nanprod, nanvar, nanstd, nanargmax, nanargmin, nancumsum, nancumprod,
quantile, percentile, median, nanquantile, nanpercentile, nanmedian —
https://keras.io/api/ops/numpy/.

Values against NumPy's functions of the same names (float64); side by side with
keras.ops on Keras 3's torch backend (every method, axis and keepdims);
gradients against central differences; in a compiled model at several batch sizes."""
import contextlib
import itertools
import warnings

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(31)
X = RNG.normal(size=(3, 4, 5)).astype(np.float32)
X[0, 1, 2] = np.nan
X[1, :, 3] = np.nan  # an all-NaN slice along axis 1
CLEAN = np.nan_to_num(X)

NAN_OPS = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"]
AXES = [None, 1, (0, 2), -1]


@pytest.mark.parametrize("name,axis,keepdims", list(itertools.product(NAN_OPS, AXES, (False, True))))
def test_nan_reductions_match_numpy(name, axis, keepdims):
    with _quiet():
        want = getattr(np, name)(X.astype(float), axis=axis, keepdims=keepdims)
    got = getattr(ops, name)(X, axis=axis, keepdims=keepdims).numpy()
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@contextlib.contextmanager
def _quiet():
    """NumPy's all-NaN-slice warnings off (the values are what is checked)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def test_nan_args_and_cumulatives_match_numpy():
    for name, fill in (("nanargmax", -np.inf), ("nanargmin", np.inf)):
        want = getattr(np, name.replace("nan", ""))(np.where(np.isnan(X), fill, X), axis=1)
        want = np.where(np.isnan(X).all(axis=1), -1, want)  # NumPy raises there; Keras gives -1
        np.testing.assert_array_equal(getattr(ops, name)(X, axis=1).numpy(), want)
    for name in ("nancumsum", "nancumprod"):
        for axis in (None, 2):
            np.testing.assert_allclose(getattr(ops, name)(X, axis=axis).numpy(),
                                       getattr(np, name)(X.astype(float), axis=axis), rtol=1e-5,
                                       atol=1e-6)


METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]
QS = [0.3, [0.0, 0.5, 0.77, 1.0]]


@pytest.mark.parametrize("method,q,axis,keepdims",
                         list(itertools.product(METHODS, QS, [None, 1, (0, 2)], (False, True))))
def test_quantiles_match_numpy(method, q, axis, keepdims):
    for name, data in (("quantile", CLEAN), ("nanquantile", X)):
        with _quiet():
            want = getattr(np, name)(data.astype(float), q, axis=axis, method=method,
                                     keepdims=keepdims)
        got = getattr(ops, name)(data, q, axis=axis, method=method, keepdims=keepdims).numpy()
        assert got.shape == np.shape(want), name
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(ops.percentile(CLEAN, np.asarray(q) * 100, axis=axis).numpy(),
                               np.percentile(CLEAN.astype(float), np.asarray(q) * 100, axis=axis),
                               rtol=1e-5, atol=1e-6)


def test_median_and_nan_propagation():
    np.testing.assert_allclose(ops.median(CLEAN, axis=(0, 1)).numpy(),
                               np.median(CLEAN, axis=(0, 1)), rtol=1e-6)
    assert np.isnan(ops.median(X).numpy())  # a NaN in the slice
    with _quiet():
        np.testing.assert_allclose(ops.nanmedian(X, axis=2).numpy(), np.nanmedian(X, axis=2))
        np.testing.assert_allclose(ops.nanpercentile(X, 90, axis=1).numpy(),
                                   np.nanpercentile(X.astype(float), 90, axis=1), rtol=1e-5)


def test_gradients_against_central_differences():
    a = RNG.normal(size=(3, 6))
    nan = a.copy()
    nan[0, 2] = nan[2, 0] = np.nan
    for name in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd"):
        # NaN entries stay NaN under the perturbation: their gradient is 0 on both sides
        check_grad(lambda t, n=name: getattr(ops, n)(t, axis=1),
                   lambda t, n=name: getattr(np, n)(t, axis=1), [nan])
    check_grad(lambda t: ops.nancumsum(t, axis=1), lambda t: np.nancumsum(t, axis=1), [nan])
    check_grad(lambda t: ops.quantile(t, [0.2, 0.5, 0.9], axis=1),
               lambda t: np.quantile(t, [0.2, 0.5, 0.9], axis=1), [a])
    check_grad(lambda t: ops.median(t, axis=0), lambda t: np.median(t, axis=0), [a])
    check_grad(lambda t: ops.nanquantile(t, 0.4, axis=1, method="midpoint"),
               lambda t: np.nanquantile(t, 0.4, axis=1, method="midpoint"), [nan])


# ------------------------------------------------------------------ Keras 3 side by side
@pytest.mark.parametrize("name", NAN_OPS + ["nanargmax", "nanargmin", "nancumsum", "nancumprod",
                                            "median", "nanmedian"])
def test_nan_ops_match_keras(name):
    keras = keras_or_skip()
    for axis, keepdims in itertools.product([None, 1, (0, 2)], (False, True)):
        if "cum" in name or "arg" in name:
            if keepdims or isinstance(axis, tuple) or axis is None and "arg" in name:
                continue
            args = dict(axis=axis)
        else:
            args = dict(axis=axis, keepdims=keepdims)
        if name == "nanprod" and axis is None and keepdims:
            continue  # Keras' torch backend drops keepdims here (shape ()); pynn keeps NumPy's
        want = keras.ops.convert_to_numpy(getattr(keras.ops, name)(X, **args))
        got = getattr(ops, name)(X, **args).numpy()
        assert got.shape == want.shape, (name, args)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=str(args))


@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
@pytest.mark.parametrize("method", METHODS)
def test_quantiles_match_keras(name, method):
    keras = keras_or_skip()
    data = X if name.startswith("nan") else CLEAN
    for q, axis, keepdims in itertools.product(QS, [None, 1, (0, 2)], (False, True)):
        q = np.asarray(q) * (100 if "percentile" in name else 1)
        want = keras.ops.convert_to_numpy(getattr(keras.ops, name)(
            data, q, axis=axis, method=method, keepdims=keepdims))
        got = getattr(ops, name)(data, q, axis=axis, method=method, keepdims=keepdims).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ models and bad input
SYMBOLIC = {  # name -> (op on a (batch, 4, 3) tensor, NumPy reference)
    "nanmean": (lambda t: ops.nanmean(ops.log(t), axis=2), lambda x: np.nanmean(np.log(x), axis=2)),
    "nanmax": (lambda t: ops.nanmax(ops.log(t), axis=(1, 2)),
               lambda x: np.nanmax(np.log(x), axis=(1, 2))),
    "quantile": (lambda t: ops.quantile(t, 0.1, axis=1), lambda x: np.quantile(x, 0.1, axis=1)),
    "median_keep": (lambda t: ops.median(t, axis=-1, keepdims=True),
                    lambda x: np.median(x, axis=-1, keepdims=True)),
    "nanquantile": (lambda t: ops.nanquantile(ops.log(t), 0.6, axis=2),
                    lambda x: np.nanquantile(np.log(x), 0.6, axis=2)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    inp = pynn.Input(shape=(4, 3))
    model = pynn.Model(inp, fn(inp))
    x = RNG.normal(size=(7, 4, 3)).astype(np.float32)
    with _quiet():
        want = ref(x.astype(np.float64))
    for bs in (1, 3, 7):
        got = model.predict(x, batch_size=bs, verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"{name} at {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="quantile: q must be a scalar or 1-D, in \\[0, 1\\]"):
        ops.quantile(X, 1.5)
    with pytest.raises(ValueError, match="percentile: q must be a scalar or 1-D, in \\[0, 100\\]"):
        ops.percentile(X, [[50]])
    with pytest.raises(ValueError, match="quantile: method must be one of linear"):
        ops.quantile(X, 0.5, method="cubic")
    with pytest.raises(ValueError, match="median: axis 3 is out of range"):
        ops.median(X, axis=3)
    with pytest.raises(ValueError, match="median: cannot take a quantile of an empty slice"):
        ops.median(np.zeros((2, 0)), axis=1)
    with pytest.raises(TypeError, match="quantile: q must be a number"):
        ops.quantile(X, "half")
    inp = pynn.Input(shape=(5,))
    with pytest.raises(ValueError, match="quantile inside a model: several q put their axis first"):
        pynn.Model(inp, ops.quantile(inp, [0.2, 0.4], axis=1)).predict(X[0], verbose=0)
    with pytest.raises(ValueError, match="median over axis 0 inside a model: that is the batch axis"):
        pynn.Model(inp, ops.median(inp)).predict(X[0], verbose=0)
