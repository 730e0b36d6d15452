"""pynn.ops.quantile: quantile, percentile, median and their NaN-skipping forms
(``keras.ops``), composed of engine ops: the reduced axes are sorted (`sort`,
whose gradient reaches the element each value came from) and the order
statistics are picked and interpolated as torch.quantile does (Keras' torch
backend), so they differentiate and trace into a model (not over the batch axis).

The plain forms give NaN for a slice holding a NaN (as torch and NumPy); the
nan forms skip NaN, so where a slice's order statistics sit depends on how many
NaN it holds: they are picked by comparing positions (no constant from the data)."""
import numbers

import numpy as np

from .. import _C
from .compare import where
from .layout import _one_hot_gather
from .reduce import max as _max, sum as _sum
from .shape import _tensor, expand_dims, reshape, take, transpose
from .sorting import sort

__all__ = ["quantile", "percentile", "median", "nanquantile", "nanpercentile", "nanmedian"]

_F = np.float32
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_values(op, q, scale):
    if isinstance(q, _C.Tensor):
        if _C.is_tracing():
            raise ValueError(f"{op} inside a model: q must be a constant (numbers), not a tensor")
        q = q.numpy()
    try:
        qv = np.asarray(q, np.float64) / scale
    except (TypeError, ValueError):
        raise TypeError(f"{op}: q must be a number or an array of numbers, got {q!r}") from None
    if qv.ndim > 1 or not np.all((qv >= 0) & (qv <= 1)):
        raise ValueError(f"{op}: q must be a scalar or 1-D, in [0, {scale:g}], got {q!r}")
    if qv.ndim == 1 and _C.is_tracing():
        raise ValueError(f"{op} inside a model: several q put their axis first, before the batch "
                         "axis; take one q per call")
    return qv


def _flatten_axes(op, x, axis):
    """x with the reduced axes moved last and merged: (y, other axes' sizes, axes)."""
    if axis is None:
        axes = list(range(x.ndim))
    else:
        axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
        if not all(isinstance(a, numbers.Integral) and -x.ndim <= a < x.ndim for a in axes):
            raise ValueError(f"{op}: axis {axis!r} is out of range for shape {x.shape}")
        axes = sorted({a % x.ndim for a in axes})
    if _C.is_tracing() and 0 in axes:
        raise ValueError(f"{op} over axis 0 inside a model: that is the batch axis; reduce the "
                         "other axes, or call it eagerly")
    other = [i for i in range(x.ndim) if i not in axes]
    n = int(np.prod([x.shape[a] for a in axes]))
    if n == 0:
        raise ValueError(f"{op}: cannot take a quantile of an empty slice (shape {x.shape}, axis "
                         f"{axis!r})")
    sizes = [x.shape[i] for i in other]
    y = transpose(x, other + axes) if other + axes != list(range(x.ndim)) else x
    lead = [-1] + sizes[1:] if sizes and _C.is_tracing() else sizes
    return reshape(y, lead + [n]), axes, n


def _interpolate(method, lo_v, hi_v, frac):
    if method == "lower":
        return lo_v
    if method == "higher":
        return hi_v
    if method == "midpoint":
        return _C.apply("mul", [_C.apply("add", [lo_v, hi_v]), _F(0.5)])
    if method == "nearest":  # lo and hi are both the rounded position
        return lo_v
    return _C.apply("add", [lo_v, _C.apply("mul", [_C.apply("sub", [hi_v, lo_v]), frac])])


def _quantile(op, x, q, axis, method, keepdims, skip_nan, scale=1.0):
    if method not in _METHODS:
        raise ValueError(f"{op}: method must be one of {', '.join(_METHODS)}, got {method!r}")
    x = _tensor(x)
    qv = _q_values(op, q, scale)
    y, axes, n = _flatten_axes(op, x, axis)
    v = sort(y, axis=-1)  # NaN last
    qf = qv.reshape(-1)
    nan = _C.apply("not_equal", [y, y])
    if not skip_nan:
        pos = qf * (n - 1)
        lo, hi = np.floor(pos), np.ceil(pos)
        frac = pos - lo
        if method == "nearest":  # half to even: an exact .5 goes to the even index
            lo = hi = np.where(frac == 0.5, np.where(lo % 2 == 0, lo, hi), np.round(pos))
        lo_v, hi_v = (take(v, i.astype(_F), axis=v.ndim - 1) for i in (lo, hi))
        out = _interpolate(method, lo_v, hi_v, frac.astype(_F))
        out = where(_max(nan, axis=-1, keepdims=True), _F(np.nan), out)
    else:
        count = _sum(_C.apply("equal", [y, y]), axis=-1, keepdims=True)           # (.., 1)
        pos = _C.apply("mul", [_C.apply("sub", [count, _F(1)]), qf.astype(_F)])   # (.., nq)
        lo = _C.apply("floor", [pos])
        hi = _C.apply("ceil", [pos])
        frac = _C.apply("sub", [pos, lo])
        if method == "nearest":
            lo = hi = _C.apply("round", [pos])  # the engine's round: half to even
        clip = dict(x_min=0.0, x_max=float(n - 1))
        lo_v = _one_hot_gather(v, _C.apply("clip", [lo], **clip), v.ndim - 1)
        hi_v = _one_hot_gather(v, _C.apply("clip", [hi], **clip), v.ndim - 1)
        out = _interpolate(method, lo_v, hi_v, frac)
        out = where(_C.apply("equal", [count, _F(0)]), _F(np.nan), out)
    # (other..., nq) -> (q..., other...) [with the reduced axes kept as 1]
    if keepdims:
        shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
        if _C.is_tracing():
            shape[0] = -1
        out = reshape(transpose(out, [out.ndim - 1] + list(range(out.ndim - 1))),
                      [len(qf)] + shape)
    else:
        out = transpose(out, [out.ndim - 1] + list(range(out.ndim - 1)))
    if qv.ndim == 0:
        out = reshape(out, list(out.shape[1:]) if not _C.is_tracing() or out.ndim < 2 else
                      [-1] + list(out.shape[2:]))
    return out


_DOC = """{what} (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.{q}
    axis : None, int or tuple of int, optional
        The axes reduced; None: all.{method}
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor
        {returns}Differentiable (the gradient reaches the order statistics picked).

    Raises
    ------
    ValueError
        q out of range or of more than 1 dimension, an unknown method, an
        empty slice, an axis out of range; axis 0 inside a model being traced.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0, 4.0], [np.nan, 5.0, 6.0, 7.0]], np.float32)
    >>> pynn.ops.{call}.numpy()
    array({result}, dtype=float32)
    """
_Q = """
    q : float or 1-D array_like
        The {what}, in [0, {top}]; a 1-D q puts its axis first in the result."""
_M = """
    method : {"linear", "lower", "higher", "midpoint", "nearest"}, default "linear"
        Between two order statistics: interpolate, the lower, the higher, their
        mean, the nearest (half to even)."""


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("quantile", x, q, axis, method, keepdims, False)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("percentile", x, q, axis, method, keepdims, False, scale=100.0)


def median(x, axis=None, keepdims=False):
    return _quantile("median", x, 0.5, axis, "linear", keepdims, False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanquantile", x, q, axis, method, keepdims, True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanpercentile", x, q, axis, method, keepdims, True, scale=100.0)


def nanmedian(x, axis=None, keepdims=False):
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, True)


for _fn, _what, _call, _result, _ret in (
        (quantile, "The q-th quantiles along the axes", "quantile(x, [0.25, 0.5], axis=1)",
         "[[1.75,  nan],\n           [2.5 ,  nan]]", "NaN where a slice holds a NaN. "),
        (percentile, "The q-th percentiles along the axes", "percentile(x, 50, axis=1)",
         "[2.5, nan]", "NaN where a slice holds a NaN. "),
        (median, "The median along the axes", "median(x, axis=1)", "[2.5, nan]",
         "NaN where a slice holds a NaN. "),
        (nanquantile, "The q-th quantiles along the axes, NaN skipped",
         "nanquantile(x, 0.5, axis=1)", "[2.5, 6. ]", "NaN where a slice is all NaN. "),
        (nanpercentile, "The q-th percentiles along the axes, NaN skipped",
         "nanpercentile(x, 100, axis=1)", "[4., 7.]", "NaN where a slice is all NaN. "),
        (nanmedian, "The median along the axes, NaN skipped", "nanmedian(x, axis=1)",
         "[2.5, 6. ]", "NaN where a slice is all NaN. ")):
    _pct = "percentile" in _fn.__name__
    _fn.__doc__ = _DOC.format(
        what=_what, name=_fn.__name__, call=_call, result=_result, returns=_ret,
        q="" if "median" in _fn.__name__ else _Q.format(what="percentiles" if _pct else "quantiles",
                                                         top=100 if _pct else 1),
        method="" if "median" in _fn.__name__ else _M)
del _fn, _what, _call, _result, _ret, _pct
