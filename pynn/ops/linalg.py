"""pynn.ops.linalg: ``keras.ops.linalg`` — the vector and matrix norms (``norm``),
composed of engine ops (abs, powers, sums, max / min), so they differentiate.

Norms that need a singular value decomposition (matrix ``ord`` 2, -2, "nuc")
are not provided: pynn has no SVD op, and they raise saying so."""
import math
import numbers

from .. import _C
from .shape import _is_int, _tensor

__all__ = ["norm"]


def _reduce(op, x, axes, keepdims):
    return _C.apply(op, [x], axis=tuple(axes), keepdims=bool(keepdims), reduce_all=False)


def _vector_norm(x, ord, axis, keepdims):
    a = _C.apply("abs", [x])
    if ord is None or ord == 2:
        return _C.apply("sqrt", [_reduce("sum", _C.apply("square", [x]), axis, keepdims)])
    if ord == math.inf:
        return _reduce("max", a, axis, keepdims)
    if ord == -math.inf:
        return _reduce("min", a, axis, keepdims)
    if ord == 0:
        return _reduce("sum", _C.apply("not_equal", [x, 0.0]), axis, keepdims)
    if ord == 1:
        return _reduce("sum", a, axis, keepdims)
    p = float(ord)
    s = _reduce("sum", _C.apply("pow", [a], exponent=p), axis, keepdims)
    return _C.apply("pow", [s], exponent=1.0 / p)


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    a = _C.apply("abs", [x])
    if ord in (None, "fro"):
        return _vector_norm(x, None, axes, keepdims)
    if ord in (1, -1, math.inf, -math.inf):
        # 1: the largest column sum (over rows r); inf: the largest row sum (over columns c)
        inner, outer = (r, c) if ord in (1, -1) else (c, r)
        sums = _reduce("sum", a, [inner], keepdims)
        if not keepdims and outer > inner:
            outer -= 1  # the summed axis is gone
        return _reduce("max" if ord > 0 else "min", sums, [outer], keepdims)
    raise ValueError(f"norm: matrix ord {ord!r} needs singular values, which pynn does not "
                     "compute; use ord in (None, 'fro', 1, -1, inf, -inf)")


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm (``keras.ops.norm``, ``keras.ops.linalg.norm``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    ord : {None, int, float, inf, -inf, "fro"}, optional
        Vector norms: None / 2 (Euclidean), 1, inf, -inf, 0 (count of
        nonzeros), any p. Matrix norms (two axes): None / "fro", 1, -1, inf,
        -inf. NumPy's meanings.
    axis : None, int or tuple of 2 int, optional
        The vector axis, or the two matrix axes. None: the whole of ``x`` as a
        vector (a 2-D ``x`` with a matrix ``ord``: the matrix).
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An ``ord`` that needs singular values (2, -2, "nuc" for matrices), a
        string ord for vectors, or more than two axes.

    Examples
    --------
    >>> pynn.ops.norm(np.array([3.0, 4.0], np.float32)).numpy()
    array(5., dtype=float32)
    >>> pynn.ops.norm(np.array([[1.0, -2.0], [3.0, 4.0]], np.float32), ord=1).numpy()
    array(6., dtype=float32)
    """
    x = _tensor(x)
    if axis is None:
        if ord is not None and x.ndim == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        if ord is not None and x.ndim != 1:
            raise ValueError(f"norm: ord {ord!r} without an axis needs a 1-D or 2-D x, got shape "
                             f"{x.shape}")
        axes = list(range(x.ndim))
        return _vector_norm(x, ord, axes, keepdims) if axes else _C.apply("abs", [x])
    axes = [axis] if _is_int(axis) else list(axis)
    if not all(_is_int(a) and -x.ndim <= a < x.ndim for a in axes) or len(set(
            a % x.ndim for a in axes)) != len(axes):
        raise ValueError(f"norm: axis {axis!r} is not one or two distinct axes of shape {x.shape}")
    axes = [a % x.ndim for a in axes]
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: ord {ord!r} is a matrix norm; a vector norm takes a number")
        if ord is not None and not isinstance(ord, numbers.Real):
            raise ValueError(f"norm: ord must be a number, got {ord!r}")
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must name one or two axes, got {axis!r}")
