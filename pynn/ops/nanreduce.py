"""pynn.ops.nanreduce: ``keras.ops``' reductions that skip NaN — nansum, nanmean,
nanmax, nanmin, nanprod, nanvar, nanstd, nanargmax, nanargmin, nancumsum,
nancumprod — composed of engine ops (NaN replaced by the reduction's neutral
value with `where`), so they differentiate (no gradient reaches a NaN) and
trace into a model. As Keras' torch backend: all-NaN gives NaN for mean, max,
min, var and std, 0 for sum, 1 for prod, -1 for the arg-reductions."""
import numpy as np

from .. import _C
from .compare import argmax, argmin, where
from .cumulative import cumprod, cumsum
from .mathfuncs import prod
from .reduce import max as _max, min as _min, sum as _sum
from .shape import _tensor

__all__ = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nanargmax",
           "nanargmin", "nancumsum", "nancumprod"]

_F = np.float32
_DOC = """{what} (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : None, int or tuple of int, optional
        Reduced axes; None: all.
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor
        {returns}

    Raises
    ------
    ValueError
        An axis out of range.

    Examples
    --------
    >>> x = np.array([[1.0, np.nan], [3.0, 4.0]], np.float32)
    >>> pynn.ops.{name}(x, axis=1).numpy()
    array({result}, dtype=float32)
    """


def _doc(fn, what, result, returns="NaN entries skipped; differentiable in the others."):
    fn.__doc__ = _DOC.format(what=what, name=fn.__name__, result=result, returns=returns)
    return fn


def _nan(x):
    return _C.apply("not_equal", [x, x])


def _clean(x, fill):
    x = _tensor(x)
    return x, where(_nan(x), _F(fill), x)


def _count(x, axis, keepdims):
    return _sum(_C.apply("equal", [x, x]), axis=axis, keepdims=keepdims)


def _all_nan(x, axis, keepdims):
    return _C.apply("equal", [_count(x, axis, keepdims), _F(0)])


def nansum(x, axis=None, keepdims=False):
    x, c = _clean(x, 0)
    return _sum(c, axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    x, c = _clean(x, 0)
    return _C.apply("div", [_sum(c, axis=axis, keepdims=keepdims), _count(x, axis, keepdims)])


def nanmax(x, axis=None, keepdims=False):
    x, c = _clean(x, -np.inf)
    return where(_all_nan(x, axis, keepdims), _F(np.nan), _max(c, axis=axis, keepdims=keepdims))


def nanmin(x, axis=None, keepdims=False):
    x, c = _clean(x, np.inf)
    return where(_all_nan(x, axis, keepdims), _F(np.nan), _min(c, axis=axis, keepdims=keepdims))


def nanprod(x, axis=None, keepdims=False):
    x, c = _clean(x, 1)
    return prod(c, axis=axis, keepdims=keepdims)


def nanvar(x, axis=None, keepdims=False):
    x, c = _clean(x, 0)
    m = nanmean(x, axis=axis, keepdims=True)
    d = where(_nan(x), _F(0), _C.apply("sub", [c, m]))
    return _C.apply("div", [_sum(_C.apply("square", [d]), axis=axis, keepdims=keepdims),
                            _count(x, axis, keepdims)])


def nanstd(x, axis=None, keepdims=False):
    return _C.apply("sqrt", [nanvar(x, axis=axis, keepdims=keepdims)])


def nanargmax(x, axis=None, keepdims=False):
    x, c = _clean(x, -np.inf)
    return where(_all_nan(x, axis, keepdims), _F(-1), argmax(c, axis=axis, keepdims=keepdims))


def nanargmin(x, axis=None, keepdims=False):
    x, c = _clean(x, np.inf)
    return where(_all_nan(x, axis, keepdims), _F(-1), argmin(c, axis=axis, keepdims=keepdims))


_doc(nansum, "Sum, NaN counted as 0", "[1., 7.]")
_doc(nanmean, "Mean of the entries that are not NaN", "[1. , 3.5]")
_doc(nanmax, "Maximum of the entries that are not NaN", "[1., 4.]")
_doc(nanmin, "Minimum of the entries that are not NaN", "[1., 3.]")
_doc(nanprod, "Product, NaN counted as 1", "[ 1., 12.]")
_doc(nanvar, "Variance (ddof 0) of the entries that are not NaN", "[0.  , 0.25]")
_doc(nanstd, "Standard deviation (ddof 0) of the entries that are not NaN", "[0. , 0.5]")
_doc(nanargmax, "Index of the maximum, NaN skipped", "[0., 1.]",
     "Indices as float32 (-1 where all are NaN); no gradient.")
_doc(nanargmin, "Index of the minimum, NaN skipped", "[0., 0.]",
     "Indices as float32 (-1 where all are NaN); no gradient.")


_CUM_DOC = """{what} (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, optional
        The axis; None: the flattened ``x``.
    dtype : None or "float32", optional
        Tensors are float32.

    Returns
    -------
    Tensor
        Differentiable in the entries that are not NaN.

    Raises
    ------
    ValueError
        An axis out of range, another dtype.

    Examples
    --------
    >>> pynn.ops.{name}(np.array([2.0, np.nan, 3.0], np.float32)).numpy()
    array({result}, dtype=float32)
    """


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_clean(x, 0)[1], axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_clean(x, 1)[1], axis=axis, dtype=dtype)


nancumsum.__doc__ = _CUM_DOC.format(what="Cumulative sum, NaN counted as 0", name="nancumsum",
                                    result="[2., 2., 5.]")
nancumprod.__doc__ = _CUM_DOC.format(what="Cumulative product, NaN counted as 1",
                                     name="nancumprod", result="[2., 2., 6.]")
