"""pynn.ops.linalg: ``keras.ops.linalg`` — the vector and matrix norms (``norm``),
composed of engine ops (abs, powers, sums, max / min), so they differentiate.

The matrix norms of singular values (``ord`` 2, -2, "nuc") go through `svd`
(NumPy, eager only, with its exact gradient); the others trace into models.
The decompositions and solvers (pynn/ops/decomp.py, pynn/ops/solvers.py) are
this namespace's too."""
import math
import numbers

from .. import _C
from .shape import _is_int, _tensor
from .decomp import svd

from .decomp import *  # noqa: F401,F403
from .decomp import __all__ as _decomp
from .solvers import *  # noqa: F401,F403
from .solvers import __all__ as _solvers
from .realvalued import eig  # noqa: F401  (keras.ops.linalg.eig)

__all__ = ["norm", "eig"] + _decomp + _solvers


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
    if ord in (2, -2, "nuc"):  # the largest / smallest / sum of the singular values
        rest = [i for i in range(x.ndim) if i not in (r, c)]
        s = svd(_C.apply("transpose", [x], axes=tuple(rest + [r, c])), compute_uv=False)
        out = _reduce({2: "max", -2: "min", "nuc": "sum"}[ord], s, [s.ndim - 1], False)
        if keepdims:
            out = _C.apply("reshape", [out], shape=tuple(
                1 if i in (r, c) else d for i, d in enumerate(x.shape)))
        return out
    raise ValueError(f"norm: matrix ord must be None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, "
                     f"got {ord!r}")


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm (``keras.ops.norm``, ``keras.ops.linalg.norm``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    ord : {None, int, float, inf, -inf, "fro"}, optional
        Vector norms: None / 2 (Euclidean), 1, inf, -inf, 0 (count of
        nonzeros), any p. Matrix norms (two axes): None / "fro", 1, -1, inf,
        -inf, 2, -2, "nuc" (the last three from singular values, eager only).
        NumPy's meanings.
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
        An unknown ``ord``, a string ord for vectors, more than two axes, a
        singular-value norm inside a model being traced.

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
