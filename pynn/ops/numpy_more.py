"""pynn.ops.numpy_more: more of ``keras.ops``' NumPy array functions — diff, fliplr,
flipud, inner, vdot, diag, diagflat, trapezoid, isclose, allclose, isin, ndim,
size, is_tensor — composed of engine ops (slices, products, masks), so the
numeric ones differentiate and trace into a model (off the batch axis)."""
import numbers

import numpy as np

from .. import _C
from .compare import where
from .layout import flip
from .reduce import sum as _sum
from .shape import _tensor, reshape, slice_axis, take

__all__ = ["diff", "fliplr", "flipud", "inner", "vdot", "diag", "diagflat", "trapezoid",
           "isclose", "allclose", "isin", "ndim", "size", "is_tensor"]

_F = np.float32


def _axis(op, x, axis):
    if not isinstance(axis, numbers.Integral) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis!r} is out of range for shape {x.shape}")
    axis %= x.ndim
    if axis == 0 and _C.is_tracing():
        raise ValueError(f"{op} along axis 0 inside a model: that is the batch axis; use another")
    return axis


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along an axis (``keras.ops.diff``).

    Parameters
    ----------
    a : Tensor or array_like
        Input, at least 1-D.
    n : int, default 1
        How many times to difference.
    axis : int, default -1
        The axis.

    Returns
    -------
    Tensor
        The axis shortened by ``n``; differentiable.

    Raises
    ------
    ValueError
        A negative ``n``, a scalar, an axis out of range (or the batch axis of a
        model being traced).

    Examples
    --------
    >>> pynn.ops.diff(np.array([1.0, 4.0, 9.0, 16.0], np.float32), n=2).numpy()
    array([2., 2.], dtype=float32)
    """
    a = _tensor(a)
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"diff: n must be an int >= 0, got {n!r}")
    if a.ndim == 0:
        raise ValueError("diff: a must be at least 1-D, got a scalar")
    axis = _axis("diff", a, axis)
    for _ in range(min(n, a.shape[axis])):
        a = _C.apply("sub", [slice_axis(a, axis, 1), slice_axis(a, axis, 0, a.shape[axis] - 1)])
    return a


def fliplr(x):
    """Reverses axis 1 (``keras.ops.fliplr``).

    Parameters
    ----------
    x : Tensor or array_like
        At least 2-D.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Fewer than 2 axes.

    Examples
    --------
    >>> pynn.ops.fliplr(np.array([[1.0, 2.0]], np.float32)).numpy()
    array([[2., 1.]], dtype=float32)
    """
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr: x must be at least 2-D, got shape {x.shape}")
    return flip(x, 1)


def flipud(x):
    """Reverses axis 0 (``keras.ops.flipud``).

    Parameters
    ----------
    x : Tensor or array_like
        At least 1-D.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A scalar; inside a model being traced (axis 0 is the batch axis).

    Examples
    --------
    >>> pynn.ops.flipud(np.array([1.0, 2.0, 3.0], np.float32)).numpy()
    array([3., 2., 1.], dtype=float32)
    """
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud: x must be at least 1-D, got a scalar")
    return flip(x, 0)


def inner(x1, x2):
    """Inner product over the last axes (``keras.ops.inner``, NumPy's ``inner``).

    Parameters
    ----------
    x1 : Tensor or array_like
        ``(..., n)`` or a scalar.
    x2 : Tensor or array_like
        ``(..., n)`` or a scalar.

    Returns
    -------
    Tensor
        ``x1.shape[:-1] + x2.shape[:-1]``; a scalar operand multiplies.

    Raises
    ------
    ValueError
        Last axes of different lengths.

    Examples
    --------
    >>> pynn.ops.inner(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([1.0, 1.0], np.float32)).numpy()
    array([3., 7.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    if a.ndim == 0 or b.ndim == 0:
        return _C.apply("mul", [a, b])
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last axes differ: {a.shape} and {b.shape}")
    n = a.shape[-1]
    am = reshape(a, (-1, n)) if not (_C.is_tracing() and a.ndim > 1) else a
    bm = reshape(b, (-1, n))
    out = _C.apply("matmul", [am, bm], transpose_a=False, transpose_b=True)
    shape = a.shape[:-1] + b.shape[:-1]
    if _C.is_tracing() and a.ndim > 1:
        shape = (-1,) + shape[1:]
    return reshape(out, shape)


def vdot(x1, x2):
    """The dot product of the flattened inputs (``keras.ops.vdot``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Any shape.
    x2 : Tensor or array_like
        As many elements as ``x1``.

    Returns
    -------
    Tensor
        A scalar; differentiable.

    Raises
    ------
    ValueError
        Different numbers of elements.

    Examples
    --------
    >>> pynn.ops.vdot(np.array([[1.0, 2.0]], np.float32), np.array([3.0, 4.0], np.float32)).numpy()
    array(11., dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    if a.size != b.size:
        raise ValueError(f"vdot: {a.size} and {b.size} elements (shapes {a.shape}, {b.shape})")
    return _sum(_C.apply("mul", [reshape(a, (-1,)), reshape(b, (-1,))]))


def diag(x, k=0):
    """A diagonal: the matrix with ``x`` on it, or the one of a matrix (``keras.ops.diag``).

    Parameters
    ----------
    x : Tensor or array_like
        1-D: placed on diagonal ``k`` of a square matrix; 2-D: its diagonal ``k`` is taken.
    k : int, default 0
        Above the main diagonal for k > 0, below for k < 0.

    Returns
    -------
    Tensor
        Differentiable.

    Raises
    ------
    ValueError
        ``x`` not 1-D or 2-D, a non-int ``k``.

    Examples
    --------
    >>> pynn.ops.diag(np.array([1.0, 2.0], np.float32), k=1).numpy()
    array([[0., 1., 0.],
           [0., 0., 2.],
           [0., 0., 0.]], dtype=float32)
    """
    from .arrange import diagonal
    x = _tensor(x)
    if not isinstance(k, numbers.Integral):
        raise ValueError(f"diag: k must be an int, got {k!r}")
    if x.ndim == 2:
        return diagonal(x, offset=int(k))
    if x.ndim != 1:
        raise ValueError(f"diag: x must be 1-D or 2-D, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    i, j = np.indices((n, n))
    on = (j - i) == k
    src = np.where(on, np.minimum(i, j), 0)  # row i (k >= 0) or column j (k < 0) on the diagonal
    return where(on.astype(_F), take(x, src.astype(_F), axis=0), _F(0))


def diagflat(x, k=0):
    """The matrix with the flattened ``x`` on diagonal ``k`` (``keras.ops.diagflat``).

    Parameters
    ----------
    x : Tensor or array_like
        Any shape (flattened).
    k : int, default 0
        The diagonal.

    Returns
    -------
    Tensor
        Square, differentiable.

    Raises
    ------
    ValueError
        A non-int ``k``.

    Examples
    --------
    >>> pynn.ops.diagflat(np.array([[1.0], [2.0]], np.float32)).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    """
    return diag(reshape(_tensor(x), (-1,)), k)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` by the trapezoidal rule (``keras.ops.trapezoid``).

    Parameters
    ----------
    y : Tensor or array_like
        Values.
    x : Tensor or array_like, optional
        Sample points along the axis (1-D, or shaped like ``y``); default
        spacing ``dx``.
    dx : float, default 1.0
        The spacing when ``x`` is None.
    axis : int, default -1
        The integration axis.

    Returns
    -------
    Tensor
        ``y`` without the axis; differentiable in ``y`` and ``x``.

    Raises
    ------
    ValueError
        An axis out of range, ``x`` of the wrong shape.

    Examples
    --------
    >>> pynn.ops.trapezoid(np.array([1.0, 2.0, 3.0], np.float32)).numpy()
    array(4., dtype=float32)
    """
    y = _tensor(y)
    if y.ndim == 0:
        raise ValueError("trapezoid: y must be at least 1-D, got a scalar")
    axis = _axis("trapezoid", y, axis)
    n = y.shape[axis]
    mid = _C.apply("mul", [_C.apply("add", [slice_axis(y, axis, 1), slice_axis(y, axis, 0, n - 1)]),
                           _F(0.5)])
    if x is None:
        d = _F(dx)
    else:
        xt = _tensor(x)
        if xt.ndim == 1:
            if xt.shape[0] != n:
                raise ValueError(f"trapezoid: x has {xt.shape[0]} points for an axis of {n}")
            d = _C.apply("sub", [slice_axis(xt, 0, 1), slice_axis(xt, 0, 0, n - 1)])
            d = reshape(d, [n - 1 if i == axis else 1 for i in range(y.ndim)])
        elif xt.shape == y.shape:
            d = _C.apply("sub", [slice_axis(xt, axis, 1), slice_axis(xt, axis, 0, n - 1)])
        else:
            raise ValueError(f"trapezoid: x must be 1-D or shaped like y {y.shape}, got {xt.shape}")
    return _sum(_C.apply("mul", [mid, d]), axis=axis)


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``|x1 - x2| <= atol + rtol * |x2|``, elementwise (``keras.ops.isclose``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast).
    rtol : float, default 1e-05
        Relative tolerance.
    atol : float, default 1e-08
        Absolute tolerance.
    equal_nan : bool, default False
        Whether two NaN count as close.

    Returns
    -------
    Tensor
        1.0 / 0.0; equal infinities are close; no gradient.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.isclose(np.array([1.0, 1.1, np.inf], np.float32), np.array([1.0000001, 1.0, np.inf], np.float32)).numpy()
    array([1., 0., 1.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    tol = _C.apply("add", [_F(atol), _C.apply("mul", [_F(rtol), _C.apply("abs", [b])])])
    close = _C.apply("less_equal", [_C.apply("abs", [_C.apply("sub", [a, b])]), tol])
    close = _C.apply("maximum", [close, _C.apply("equal", [a, b])])  # inf == inf
    if equal_nan:
        both = _C.apply("mul", [_C.apply("not_equal", [a, a]), _C.apply("not_equal", [b, b])])
        close = _C.apply("maximum", [close, both])
    return _C.apply("stop_gradient", [close])


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element is close (``keras.ops.allclose``; see `isclose`).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast).
    rtol : float, default 1e-05
        Relative tolerance.
    atol : float, default 1e-08
        Absolute tolerance.
    equal_nan : bool, default False
        Whether two NaN count as close.

    Returns
    -------
    Tensor
        A scalar 1.0 / 0.0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> bool(pynn.ops.allclose(np.array([1.0, 2.0], np.float32), np.array([1.0, 2.000001], np.float32)))
    True
    """
    return _C.apply("min", [isclose(x1, x2, rtol, atol, equal_nan)], axis=(), keepdims=False,
                    reduce_all=True)


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2`` (``keras.ops.isin``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Elements to test.
    x2 : Tensor or array_like
        The values (flattened).
    assume_unique : bool, default False
        Accepted for NumPy's signature.
    invert : bool, default False
        Whether it does not occur instead.

    Returns
    -------
    Tensor
        Shaped like ``x1``, 1.0 / 0.0; no gradient.

    Examples
    --------
    >>> pynn.ops.isin(np.array([1.0, 2.0, 5.0], np.float32), np.array([5.0, 1.0], np.float32)).numpy()
    array([1., 0., 1.], dtype=float32)
    """
    a, b = _tensor(x1), reshape(_tensor(x2), (-1,))
    hit = _C.apply("max", [_C.apply("equal", [_C.apply("reshape", [a], shape=(
        (-1,) + a.shape[1:] if _C.is_tracing() and a.ndim else a.shape) + (1,)), b])],
        axis=(-1,), keepdims=False, reduce_all=False) if b.shape[0] else \
        _C.apply("mul", [a, _F(0)])
    if invert:
        hit = _C.apply("sub", [_F(1), hit])
    return _C.apply("stop_gradient", [hit])


def ndim(x):
    """The number of axes of ``x`` (``keras.ops.ndim``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.ops.ndim(np.zeros((2, 3)))
    2
    """
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)  # KerasTensors too


def size(x):
    """The number of elements of ``x`` (``keras.ops.size``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.ops.size(np.zeros((2, 3)))
    6
    """
    return x.size if isinstance(x, _C.Tensor) else int(np.size(x))


def is_tensor(x):
    """Whether ``x`` is a pynn Tensor (``keras.ops.is_tensor``).

    Parameters
    ----------
    x : object
        Anything.

    Returns
    -------
    bool
        NumPy arrays are not tensors (as in Keras).

    Examples
    --------
    >>> pynn.ops.is_tensor(pynn.Tensor([1.0])), pynn.ops.is_tensor(np.ones(1))
    (True, False)
    """
    return isinstance(x, _C.Tensor)
