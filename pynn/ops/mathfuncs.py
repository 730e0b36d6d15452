"""pynn.ops.mathfuncs: more of ``keras.ops``' NumPy functions, composed of engine ops
— reciprocal, rsqrt, log2, log10, tan, cosh, logaddexp, true_divide, fabs, amax,
amin, prod, ptp, average, divide_no_nan, nan_to_num, isnan, isinf, isfinite,
count_nonzero — so they differentiate (where Keras does) and trace into a model."""
import math
import numbers

import numpy as np

from .. import _C
from .compare import where
from .reduce import _attrs
from .shape import _tensor, concatenate, reshape, slice_axis, transpose

__all__ = ["reciprocal", "rsqrt", "log2", "log10", "tan", "cosh", "logaddexp", "true_divide",
           "fabs", "amax", "amin", "prod", "ptp", "average", "divide_no_nan", "nan_to_num",
           "isnan", "isinf", "isfinite", "count_nonzero"]

_F = np.float32
_UNARY_DOC = """{what}

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        {returns}

    Examples
    --------
    >>> pynn.ops.{name}(np.array({example}, np.float32)).numpy().round(4)
    array({result}, dtype=float32)
    """


def _unary(fn, what, example, result, returns="Elementwise."):
    fn.__doc__ = _UNARY_DOC.format(what=what, name=fn.__name__, example=example, result=result,
                                   returns=returns)
    return fn


def reciprocal(x):
    return _C.apply("div", [_F(1), x])


def rsqrt(x):
    return _C.apply("div", [_F(1), _C.apply("sqrt", [x])])


def log2(x):
    return _C.apply("mul", [_C.apply("log", [x]), _F(1 / math.log(2))])


def log10(x):
    return _C.apply("mul", [_C.apply("log", [x]), _F(1 / math.log(10))])


def tan(x):
    return _C.apply("div", [_C.apply("sin", [x]), _C.apply("cos", [x])])


def cosh(x):
    return _C.apply("mul", [_C.apply("add", [_C.apply("exp", [x]),
                                             _C.apply("exp", [_C.apply("neg", [x])])]), _F(0.5)])


def fabs(x):
    return _C.apply("abs", [x])


def isnan(x):
    return _C.apply("not_equal", [x, x])


def isinf(x):
    return _C.apply("equal", [_C.apply("abs", [x]), _F(np.inf)])


def isfinite(x):
    return _C.apply("less", [_C.apply("abs", [x]), _F(np.inf)])  # NaN < inf is false


_unary(reciprocal, "Elementwise ``1 / x``.", "[2.0, -0.5]", "[ 0.5, -2. ]")
_unary(rsqrt, "Elementwise ``1 / sqrt(x)``.", "[4.0, 0.25]", "[0.5, 2. ]")
_unary(log2, "Elementwise base-2 logarithm.", "[8.0, 0.5]", "[ 3., -1.]")
_unary(log10, "Elementwise base-10 logarithm.", "[100.0, 0.1]", "[ 2., -1.]")
_unary(tan, "Elementwise tangent (radians), ``sin(x) / cos(x)``.", "[0.0, 0.7853982]", "[0., 1.]")
_unary(cosh, "Elementwise hyperbolic cosine.", "[0.0, 1.0]", "[1.    , 1.5431]")
_unary(fabs, "Elementwise absolute value (``keras.ops.fabs``, as `abs`).", "[-1.5, 2.0]",
       "[1.5, 2. ]")
_unary(isnan, "Elementwise: whether ``x`` is NaN.", "[np.nan, 1.0, np.inf]", "[1., 0., 0.]",
       "1.0 / 0.0; no gradient.")
_unary(isinf, "Elementwise: whether ``x`` is +inf or -inf.", "[np.nan, 1.0, -np.inf]",
       "[0., 0., 1.]", "1.0 / 0.0; no gradient.")
_unary(isfinite, "Elementwise: whether ``x`` is neither infinite nor NaN.",
       "[np.nan, 1.0, np.inf]", "[0., 1., 0.]", "1.0 / 0.0; no gradient.")


def logaddexp(x1, x2):
    """Elementwise ``log(exp(x1) + exp(x2))``, computed stably (the larger one factored out).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast against ``x1``).

    Returns
    -------
    Tensor
        Its gradients are ``sigmoid(x1 - x2)`` and ``sigmoid(x2 - x1)``.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.logaddexp(np.array([0.0, 100.0], np.float32), np.float32(0)).numpy()
    array([  0.6931472, 100.       ], dtype=float32)
    """
    m = _C.apply("maximum", [x1, x2])
    m = where(isfinite(m), m, _F(0))  # both -inf: log(0 + 0) = -inf, not NaN
    s = _C.apply("add", [_C.apply("exp", [_C.apply("sub", [x1, m])]),
                         _C.apply("exp", [_C.apply("sub", [x2, m])])])
    return _C.apply("add", [_C.apply("log", [s]), m])


def true_divide(x1, x2):
    """Elementwise ``x1 / x2`` (``keras.ops.true_divide``, as `divide`).

    Parameters
    ----------
    x1 : Tensor or array_like
        Dividend.
    x2 : Tensor or array_like
        Divisor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.true_divide(np.array([3.0], np.float32), 2.0).numpy()
    array([1.5], dtype=float32)
    """
    return _C.apply("div", [x1, x2])


def divide_no_nan(x1, x2):
    """Elementwise ``x1 / x2``, and 0 where ``x2`` is 0 (``keras.ops.divide_no_nan``).

    Where ``x2`` is 0 the division is not even computed, so no NaN reaches the
    gradient either.

    Parameters
    ----------
    x1 : Tensor or array_like
        Dividend.
    x2 : Tensor or array_like
        Divisor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.divide_no_nan(np.array([3.0, 1.0], np.float32), np.array([2.0, 0.0])).numpy()
    array([1.5, 0. ], dtype=float32)
    """
    zero = _C.apply("equal", [x2, _F(0)])
    safe = where(zero, _F(1), x2)
    return where(zero, _F(0), _C.apply("div", [x1, safe]))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces NaN and infinities by numbers (``keras.ops.nan_to_num``, NumPy's).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    nan : float, default 0.0
        The value for NaN.
    posinf : float, optional
        The value for +inf (default: the largest float32).
    neginf : float, optional
        The value for -inf (default: the lowest float32).

    Returns
    -------
    Tensor
        The gradient passes where ``x`` was finite.

    Raises
    ------
    TypeError
        A replacement that is not a number.

    Examples
    --------
    >>> pynn.ops.nan_to_num(np.array([np.nan, 1.0, -np.inf], np.float32), neginf=-9).numpy()
    array([ 0.,  1., -9.], dtype=float32)
    """
    big = np.finfo(np.float32).max
    values = []
    for name, v, default in (("nan", nan, 0.0), ("posinf", posinf, big), ("neginf", neginf, -big)):
        v = default if v is None else v
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"nan_to_num: {name} must be a number, got {v!r}")
        values.append(_F(v))
    x = _tensor(x)
    out = where(isnan(x), values[0], x)
    out = where(_C.apply("equal", [x, _F(np.inf)]), values[1], out)
    return where(_C.apply("equal", [x, _F(-np.inf)]), values[2], out)


def _reduce_doc(what, example, result, extra_returns=""):
    return f"""{what}

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all).
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor{extra_returns}

    Raises
    ------
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> x = np.array([[1.0, -2.0, 3.0], [4.0, 0.0, -6.0]], np.float32)
    >>> {example}
    array({result}, dtype=float32)
    """


def amax(x, axis=None, keepdims=False):
    return _C.apply("max", [x], **_attrs("amax", x, axis, keepdims))


def amin(x, axis=None, keepdims=False):
    return _C.apply("min", [x], **_attrs("amin", x, axis, keepdims))


def ptp(x, axis=None, keepdims=False):
    return _C.apply("sub", [amax(x, axis, keepdims), amin(x, axis, keepdims)])


def count_nonzero(x, axis=None):
    nz = _C.apply("not_equal", [x, _F(0)])
    return _C.apply("sum", [nz], **_attrs("count_nonzero", nz, axis, False))


amax.__doc__ = _reduce_doc("The maximum over axes (``keras.ops.amax``, as `max`).",
                           "pynn.ops.amax(x, axis=1).numpy()", "[3., 4.]")
amin.__doc__ = _reduce_doc("The minimum over axes (``keras.ops.amin``, as `min`).",
                           "pynn.ops.amin(x, axis=0).numpy()", "[ 1., -2., -6.]")
ptp.__doc__ = _reduce_doc("Peak to peak, ``max - min``, over axes (``keras.ops.ptp``).",
                          "pynn.ops.ptp(x, axis=1).numpy()", "[ 5., 10.]")
count_nonzero.__doc__ = _reduce_doc(
    "How many elements are nonzero, over axes (``keras.ops.count_nonzero``).",
    "pynn.ops.count_nonzero(x, axis=1).numpy()", "[3., 2.]",
    "\n        Counts as float32; no gradient.").replace(
    "    keepdims : bool, default False\n        Keep the reduced axes with length 1.\n", "")


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product of elements over axes (``keras.ops.prod``).

    The reduced axes are gathered last and multiplied pairwise, half against
    half (log2(n) products), so zeros stay exact and the gradient of each
    element is the product of the others.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all).
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range or repeated, or the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.prod(np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 5.0]], np.float32), axis=1).numpy()
    array([6., 0.], dtype=float32)
    """
    x = _tensor(x)
    if x.ndim == 0:
        return x
    attrs = _attrs("prod", x, axis, keepdims)
    axes = list(range(x.ndim)) if attrs.get("reduce_all") else \
        sorted(a % x.ndim for a in attrs["axis"])
    if 0 in axes and _C.is_tracing():
        raise ValueError("prod over axis 0 inside a model: that is the batch axis; reduce the "
                         "other axes, or eagerly")
    kept = [i for i in range(x.ndim) if i not in axes]
    n = int(np.prod([x.shape[a] for a in axes]))
    if n == 0:  # the empty product: 1 (a sum over nothing, plus 1, has the result's shape)
        return _C.apply("add", [_C.apply("sum", [x], axis=tuple(axes), keepdims=bool(keepdims),
                                         reduce_all=False), _F(1)])
    y = transpose(x, kept + axes)
    y = reshape(y, ([-1] + [x.shape[i] for i in kept[1:]] if kept else []) + [n])
    while y.shape[-1] > 1:  # multiply halves: log2(n) steps
        m = y.shape[-1]
        if m % 2:
            y = concatenate([y, _C.apply("add", [slice_axis(y, -1, 0, 1) * _F(0), _F(1)])], -1)
            m += 1
        y = slice_axis(y, -1, 0, m // 2) * slice_axis(y, -1, m // 2, m)
    if keepdims:
        return reshape(y, [1 if i in axes else (-1 if i == 0 else x.shape[i])
                           for i in range(x.ndim)])
    return _C.apply("sum", [y], axis=(-1,), keepdims=False, reduce_all=False)  # drops the axis


def average(x, axis=None, weights=None):
    """Weighted average over an axis (``keras.ops.average``, NumPy's).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, optional
        The axis (None: all of ``x``).
    weights : Tensor or array_like, optional
        ``x``'s shape, or 1-D along ``axis`` (None: the plain mean).

    Returns
    -------
    Tensor
        ``sum(x * w) / sum(w)``; differentiable in ``x`` and ``weights``.

    Raises
    ------
    ValueError
        Weights of another shape.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.average(x, axis=1, weights=np.array([3.0, 1.0])).numpy()
    array([1.25, 3.75], dtype=float32)
    """
    x = _tensor(x)
    if weights is None:
        return _C.apply("mean", [x], **_attrs("average", x, axis, False))
    w = _tensor(weights)
    if w.ndim == 1 and x.ndim > 1:
        if axis is None:
            raise ValueError("average: 1-D weights need an axis")
        a = axis % x.ndim
        if w.shape[0] != x.shape[a]:
            raise ValueError(f"average: {w.shape[0]} weights for axis {axis} of length "
                             f"{x.shape[a]}")
        w = reshape(w, [-1] + [1] * (x.ndim - a - 1))
    elif tuple(w.shape) != tuple(x.shape):
        raise ValueError(f"average: weights of shape {w.shape} for x of shape {x.shape} (the same "
                         "shape, or 1-D along axis)")
    num = _C.apply("sum", [x * w], **_attrs("average", x, axis, False))
    wb = w * _C.apply("add", [_C.apply("mul", [x, _F(0)]), _F(1)]) if w.shape != x.shape else w
    den = _C.apply("sum", [wb], **_attrs("average", x, axis, False))
    return _C.apply("div", [num, den])
