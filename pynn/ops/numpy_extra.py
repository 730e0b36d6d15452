"""pynn.ops.numpy_extra: more of ``keras.ops`` — argpartition, cdist, corrcoef,
logspace, geomspace, vander, unravel_index, nonzero, in_top_k, saturate_cast, gcd,
lcm, ldexp.

The real-valued ones (cdist, corrcoef, vander, ldexp in its mantissa) are composed
of engine ops, so they differentiate and trace into a model. The integer-valued
ones (argpartition, unravel_index, nonzero, in_top_k, gcd, lcm) have no gradient
in Keras either; nonzero, unravel_index, gcd and lcm are eager (NumPy on the
values: nonzero's size depends on the data). Integers are float32 Tensors holding
whole numbers, as everywhere in pynn.ops."""
import numbers

import numpy as np

from .. import _C
from .compare import where
from .numeric import cast
from .creation import _made
from .reduce import mean, sum as _sum
from .layout import take_along_axis
from .shape import _tensor, concatenate, expand_dims, reshape
from .sorting import argsort, top_k

__all__ = ["argpartition", "cdist", "corrcoef", "logspace", "geomspace", "vander",
           "unravel_index", "nonzero", "in_top_k", "saturate_cast", "gcd", "lcm", "ldexp"]

_F = np.float32


def _values(op, x):
    """x's values as a NumPy array (the eager, integer-valued ops)."""
    if isinstance(x, _C.Tensor):
        if _C.is_tracing():
            raise ValueError(f"{op} is eager only: its result is computed from the values")
        return x.numpy()
    return np.asarray(x)


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` around its ``kth`` smallest element along ``axis``
    (``keras.ops.argpartition``).

    Position ``kth`` holds the index of the kth smallest element, smaller ones
    come before, larger ones after. The order within each side is unspecified in
    NumPy; here both sides are in ascending order (a stable argsort, which is one
    valid partition).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    kth : int
        The pivot's rank, in ``[-n, n)``.
    axis : int, default -1

    Returns
    -------
    Tensor
        Indices as float32 whole numbers; no gradient.

    Raises
    ------
    ValueError
        A kth out of range.

    Examples
    --------
    >>> idx = pynn.ops.argpartition(np.array([3.0, 4.0, 2.0, 1.0], np.float32), 2).numpy()
    >>> float(idx[2])
    0.0
    """
    x = _tensor(x)
    n = int(x.shape[axis]) if x.shape else 1
    if not isinstance(kth, numbers.Integral) or not -n <= kth < n:
        raise ValueError(f"argpartition: kth={kth!r} is out of range for an axis of {n}")
    return argsort(x, axis=axis)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` and of ``y`` (``keras.ops.cdist``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., M, D)``.
    y : Tensor or array_like
        ``(..., N, D)``.

    Returns
    -------
    Tensor
        ``(..., M, N)``. The gradient of a zero distance is 0 (as torch.cdist's).

    Raises
    ------
    ValueError
        Inputs below rank 2, or last axes that differ.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    >>> pynn.ops.cdist(x, np.array([[1.0, 0.0]], np.float32)).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    x, y = _tensor(x), _tensor(y)
    if len(x.shape) < 2 or len(y.shape) < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"cdist: x and y must be (..., M, D) and (..., N, D) with the same D; "
                         f"received {tuple(x.shape)} and {tuple(y.shape)}")
    d = _C.apply("sub", [expand_dims(x, -2), expand_dims(y, -3)])
    d2 = _sum(_C.apply("square", [d]), axis=-1)
    positive = _C.apply("greater", [d2, _F(0)])
    return where(positive, _C.apply("sqrt", [where(positive, d2, _F(1))]), _F(0))


def corrcoef(x):
    """Pearson correlation coefficients between the rows of ``x``
    (``keras.ops.corrcoef``, NumPy's ``corrcoef``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(variables, observations)``, or one variable ``(observations,)``.

    Returns
    -------
    Tensor
        ``(variables, variables)`` (a scalar for one variable), clipped to
        [-1, 1]; NaN for a constant row.

    Raises
    ------
    ValueError
        An input of rank other than 1 or 2.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], np.float32)
    >>> pynn.ops.corrcoef(x).numpy().round(4)
    array([[ 1. , -0.5],
           [-0.5,  1. ]], dtype=float32)
    """
    x = _tensor(x)
    if len(x.shape) not in (1, 2):
        raise ValueError(f"corrcoef: expected a 1-D or 2-D input (variables, observations), "
                         f"received shape {tuple(x.shape)}")
    one = len(x.shape) == 1
    x = expand_dims(x, 0) if one else x
    centred = _C.apply("sub", [x, mean(x, axis=1, keepdims=True)])
    cov = _C.apply("matmul", [centred, centred], transpose_a=False, transpose_b=True)
    scale = _C.apply("sqrt", [_sum(_C.apply("square", [centred]), axis=1, keepdims=True)])
    with np.errstate(invalid="ignore", divide="ignore"):
        r = _C.apply("div", [cov, _C.apply("matmul", [scale, scale], transpose_a=False,
                                                      transpose_b=True)])
    r = _C.apply("clip", [r], x_min=-1.0, x_max=1.0)
    return reshape(r, ()) if one else r


def _spacing_args(op, start, stop, num, dtype, axis):
    """num as an int, after the checks NumPy would make only once it has computed
    every value (so a bad axis fails at once, whatever num is)."""
    if not isinstance(num, numbers.Integral) or isinstance(num, bool) or num < 0:
        raise ValueError(f"{op}: num must be a non-negative int, received num={num!r}")
    ndim = max(np.ndim(start), np.ndim(stop)) + 1
    if not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis={axis!r} is out of range for a result of rank {ndim}")
    if dtype not in (None, "float32", np.float32):
        raise ValueError(f"{op}: only float32 is supported, received dtype={dtype!r}")
    return int(num)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)`` (``keras.ops.logspace``, NumPy's).

    Parameters
    ----------
    start, stop : float or array_like
        Exponents of the first and last values.
    num : int, default 50
    endpoint : bool, default True
    base : float, default 10
    dtype : optional
        float32 only.
    axis : int, default 0
        Where the samples go when start / stop are arrays.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A negative num, an axis out of range, or another dtype.

    Examples
    --------
    >>> pynn.ops.logspace(0.0, 3.0, num=4).numpy()
    array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    num = _spacing_args("logspace", start, stop, num, dtype, axis)
    if not isinstance(base, numbers.Real) or not base > 0:  # NumPy's power (integer powers)
        return _made(np.logspace(start, stop, num, endpoint, base, axis=axis))
    # exp(y ln base) in float64: NumPy's power is ~25x slower where it overflows, and
    # the difference (|y ln base| * 1e-16 relative) is far below float32's rounding
    y = np.linspace(np.asarray(start, np.float64), np.asarray(stop, np.float64), num,
                    endpoint=bool(endpoint), axis=axis)
    with np.errstate(over="ignore"):
        return _made(np.exp(y * np.log(float(base))))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop``
    (``keras.ops.geomspace``, NumPy's).

    Parameters
    ----------
    start, stop : float or array_like
        First and last values (same sign, nonzero).
    num : int, default 50
    endpoint : bool, default True
    dtype : optional
        float32 only.
    axis : int, default 0

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A zero start or stop, a negative num, an axis out of range, or another dtype.

    Examples
    --------
    >>> pynn.ops.geomspace(1.0, 1000.0, num=4).numpy()
    array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    num = _spacing_args("geomspace", start, stop, num, dtype, axis)
    if np.any(np.asarray(start) == 0) or np.any(np.asarray(stop) == 0):
        raise ValueError("geomspace: start and stop must be nonzero")
    return _made(np.geomspace(start, stop, num, endpoint, axis=axis))


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a vector: column ``j`` is ``x ** (N - 1 - j)``
    (``x ** j`` with ``increasing``) (``keras.ops.vander``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(n,)``.
    N : int, optional
        Columns (default n).
    increasing : bool, default False

    Returns
    -------
    Tensor
        ``(n, N)``; differentiable in x.

    Raises
    ------
    ValueError
        An x that is not 1-D, or N < 0.

    Examples
    --------
    >>> pynn.ops.vander(np.array([2.0, 3.0], np.float32)).numpy()
    array([[2., 1.],
           [3., 1.]], dtype=float32)
    """
    x = _tensor(x)
    if len(x.shape) != 1:
        raise ValueError(f"vander: x must be 1-D, received shape {tuple(x.shape)}")
    n = int(x.shape[0]) if N is None else N
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"vander: N must be an int >= 0, received N={N!r}")
    powers = range(n) if increasing else range(n - 1, -1, -1)
    col = expand_dims(x, 1)
    cols = [_C.apply("pow", [col], exponent=float(p)) for p in powers]
    if not cols:
        return _made(np.zeros((int(x.shape[0]), 0)))
    return cols[0] if len(cols) == 1 else concatenate(cols, axis=1)


def unravel_index(indices, shape):
    """Flat indices to one coordinate array per axis of ``shape``
    (``keras.ops.unravel_index``, NumPy's).

    Parameters
    ----------
    indices : Tensor or array_like of int
    shape : tuple of int

    Returns
    -------
    tuple of Tensor
        Whole numbers, each shaped as ``indices``; eager, no gradient.

    Raises
    ------
    ValueError
        An index outside ``[0, prod(shape))``.

    Examples
    --------
    >>> [t.numpy() for t in pynn.ops.unravel_index(np.array([5, 7]), (2, 4))]
    [array([1., 1.], dtype=float32), array([1., 3.], dtype=float32)]
    """
    idx = _values("unravel_index", indices)
    if not np.all(np.equal(np.mod(idx, 1), 0)):
        raise ValueError("unravel_index: indices must be whole numbers")
    try:
        coords = np.unravel_index(idx.astype(np.int64), tuple(int(s) for s in shape))
    except ValueError as e:
        raise ValueError(f"unravel_index: {e} (shape {tuple(shape)})") from None
    return tuple(_made(c) for c in coords)


def nonzero(x):
    """The indices of the nonzero elements, one array per axis (``keras.ops.nonzero``).

    Parameters
    ----------
    x : Tensor or array_like

    Returns
    -------
    tuple of Tensor
        Whole numbers; eager (the size depends on the data), no gradient.

    Examples
    --------
    >>> [t.numpy() for t in pynn.ops.nonzero(np.array([[0.0, 2.0], [3.0, 0.0]], np.float32))]
    [array([0., 1.], dtype=float32), array([1., 0.], dtype=float32)]
    """
    return tuple(_made(i) for i in np.nonzero(_values("nonzero", x)))


def in_top_k(targets, predictions, k):
    """Whether each target class scores among the top ``k`` predictions
    (``keras.ops.in_top_k``): its score is at least the k-th largest, so ties at
    the boundary count as in, as in Keras.

    Parameters
    ----------
    targets : Tensor or array_like of int
        ``(batch,)`` class ids.
    predictions : Tensor or array_like
        ``(batch, classes)`` scores.
    k : int
        At least 1.

    Returns
    -------
    Tensor
        ``(batch,)`` of 1.0 / 0.0; no gradient.

    Raises
    ------
    ValueError
        Shapes that do not fit or a bad k.

    Examples
    --------
    >>> p = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], np.float32)
    >>> pynn.ops.in_top_k(np.array([2, 2]), p, 2).numpy()
    array([1., 0.], dtype=float32)
    """
    p = _tensor(predictions)
    t = _tensor(targets)
    if len(p.shape) != 2 or tuple(t.shape) != tuple(p.shape[:1]):
        raise ValueError(f"in_top_k: expected targets (batch,) and predictions (batch, classes), "
                         f"received {tuple(t.shape)} and {tuple(p.shape)}")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k:
        raise ValueError(f"in_top_k: k must be an int >= 1, received k={k!r}")
    kth = top_k(p, min(int(k), int(p.shape[1])))[0][:, -1:]  # the k-th largest score
    target_score = take_along_axis(p, expand_dims(t, 1), axis=1)
    return reshape(_C.apply("greater_equal", [target_score, kth]), (-1,))


_RANGES = {np.dtype(d): (np.iinfo(d).min, np.iinfo(d).max)
           for d in ("int8", "uint8", "int16", "uint16", "int32")}


def saturate_cast(x, dtype):
    """Casts to ``dtype`` after clipping to its range, so values out of range become
    its bounds instead of wrapping (``keras.ops.saturate_cast``).

    Parameters
    ----------
    x : Tensor or array_like
    dtype : {"int8", "uint8", "int16", "uint16", "int32", "float32"}

    Returns
    -------
    Tensor
        Whole numbers for the integer types (float32 Tensors, as pynn's casts).

    Raises
    ------
    ValueError
        Another dtype.

    Examples
    --------
    >>> pynn.ops.saturate_cast(np.array([-300.0, 2.7, 300.0], np.float32), "uint8").numpy()
    array([  0.,   2., 255.], dtype=float32)
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt == np.float32:
        return cast(x, "float32")
    if dt not in _RANGES:
        raise ValueError(f"saturate_cast: dtype must be one of int8, uint8, int16, uint16, int32 "
                         f"or float32, received dtype={dtype!r}")
    lo, hi = _RANGES[dt]
    # float32 holds int32's bounds as +-2**31 (2**31 - 1 rounds up): clip to the
    # largest float32 below it, so the cast stays in range
    hi = float(np.nextafter(np.float32(hi), np.float32(0))) if hi >= 2 ** 24 else float(hi)
    return cast(_C.apply("clip", [_tensor(x)], x_min=float(lo), x_max=hi), dt.name)


def _integer_pair(op, x1, x2):
    pair = []
    for v in (x1, x2):
        try:
            a = _values(op, v)
        except OverflowError:  # a Python int past int64 (NumPy cannot hold it either)
            a = np.asarray(np.inf)
        if a.dtype.kind in "iub":
            pair.append(a.astype(np.int64))
            continue
        a = np.asarray(a, np.float64)
        if not np.all(np.mod(a, 1) == 0):
            raise ValueError(f"{op}: expected whole numbers")
        if not np.all(np.abs(a) < 2.0 ** 63):  # the cast would wrap: a wrong answer
            raise ValueError(f"{op}: values must lie within int64's range, received up to "
                             f"{np.max(np.abs(a)):g}")
        pair.append(a.astype(np.int64))
    return pair


def gcd(x1, x2):
    """Greatest common divisor, elementwise with broadcasting (``keras.ops.gcd``).

    Parameters
    ----------
    x1, x2 : Tensor or array_like of whole numbers

    Returns
    -------
    Tensor
        Eager; no gradient.

    Raises
    ------
    ValueError
        Values that are not whole numbers.

    Examples
    --------
    >>> pynn.ops.gcd(np.array([12, 18]), np.array([8, 27])).numpy()
    array([4., 9.], dtype=float32)
    """
    return _made(np.gcd(*_integer_pair("gcd", x1, x2)))


def lcm(x1, x2):
    """Least common multiple, elementwise with broadcasting (``keras.ops.lcm``).

    Parameters
    ----------
    x1, x2 : Tensor or array_like of whole numbers

    Returns
    -------
    Tensor
        Eager; no gradient.

    Raises
    ------
    ValueError
        Values that are not whole numbers.

    Examples
    --------
    >>> pynn.ops.lcm(np.array([4, 6]), np.array([6, 4])).numpy()
    array([12., 12.], dtype=float32)
    """
    return _made(np.lcm(*_integer_pair("lcm", x1, x2)))


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` with integer exponents (``keras.ops.ldexp``).

    The powers of two are exact (NumPy's ldexp of 1), so only the product rounds.

    Parameters
    ----------
    x1 : Tensor or array_like
        Mantissas; the gradient flows to them.
    x2 : array_like of int
        Exponents (concrete values; an exponent has no gradient).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Exponents that are not whole numbers.

    Examples
    --------
    >>> pynn.ops.ldexp(np.array([3.0, 1.0], np.float32), np.array([2, -1])).numpy()
    array([12. ,  0.5], dtype=float32)
    """
    try:
        e = np.asarray(_values("ldexp", x2), np.float64)
    except OverflowError:  # a Python int past int64: saturates as any |e| > 300 does
        e = np.asarray(np.copysign(np.inf, x2) if isinstance(x2, int) else np.inf)
    if not np.all(np.mod(e[np.isfinite(e)], 1) == 0) or np.isnan(e).any():
        raise ValueError("ldexp: the exponents x2 must be whole numbers")
    # x * 2**e as three exact power-of-two factors of at most 2**100 each: one factor
    # 2**e overflows float32 past e = 127 (ldexp(1e-30, 200) was inf, not 1.6e30), and
    # |e| > 300 takes any float32 past its range, so e is clipped there (also before the
    # int cast, which wrapped 2**32 to 0)
    e = np.clip(e, -300, 300).astype(np.int32)
    first = e // 3
    second = (e - first) // 2
    out = _tensor(x1)
    for part in (first, second, e - first - second):
        out = _C.apply("mul", [out, np.ldexp(np.float32(1), part)])
    return out
