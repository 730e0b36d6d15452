"""pynn.ops.solvers: ``keras.ops.linalg``'s inverses, solves and determinants —
inv, solve, solve_triangular, det, slogdet, logdet, cholesky_inverse, lstsq,
pinv, matrix_rank — computed by NumPy in float64, with exact gradients from
their differentials (pynn/ops/linearize.py). Eager only (they refuse inside a
model being traced). Results are float32 Tensors, integer counts included."""
import numbers

import numpy as np

from .. import _C
from .linearize import c, eager, linearized, mm, mT

__all__ = ["inv", "solve", "solve_triangular", "det", "slogdet", "logdet", "cholesky_inverse",
           "lstsq", "pinv", "matrix_rank"]

_EPS32 = float(np.finfo(np.float32).eps)


def _square(op, a, what="x"):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: {what} must be a square matrix or a batch of them (..., n, n), "
                         f"got shape {a.shape}")


def _inverse(op, a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{op}: the matrix is singular") from None


def _sum_last2(x):
    return _C.apply("sum", [x], axis=(-2, -1), keepdims=False, reduce_all=False)


def inv(x):
    """The inverse of a square matrix, or of each of a batch (``keras.ops.linalg.inv``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    Tensor
        ``(..., n, n)``; its gradient is ``-Y^T g Y^T`` (``Y`` the inverse).

    Raises
    ------
    ValueError
        A non-square or singular matrix; a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]], np.float32)).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    (t,), (a,) = eager("inv", x)
    _square("inv", a)
    y = _inverse("inv", a)
    return linearized("inv", [y], [t], lambda d: [mm(mm(c(-y), d), c(y))])[0]


def _solve(op, ts, a, b, masked=None):
    """X = a^-1 b for b (..., n, k), and its differential a^-1 (db - da X); ``masked``
    restricts da to a triangle (solve_triangular reads one)."""
    y = _inverse(op, a)
    xv = y @ b

    def differential(da, db):
        if masked is not None:
            da = _C.apply("mul", [da, c(masked)])
        return [mm(c(y), _C.apply("sub", [db, mm(da, c(xv))]))]
    return linearized(op, [xv], ts, differential)[0]


def _vector_b(op, a, b):
    """Whether b is a vector per matrix of a (b.ndim == a.ndim - 1, as torch), and b checked."""
    vec = b.ndim == a.ndim - 1
    if b.ndim < 1 or (b.shape[-1] if vec else b.shape[-2] if b.ndim >= 2 else -1) != a.shape[-1]:
        raise ValueError(f"{op}: b must be (..., {a.shape[-1]}) or (..., {a.shape[-1]}, k) for a "
                         f"of shape {a.shape}, got shape {b.shape}")
    return vec


def solve(a, b):
    """Solves ``a @ x = b`` (``keras.ops.linalg.solve``).

    Parameters
    ----------
    a : Tensor or array_like
        ``(..., n, n)``, nonsingular.
    b : Tensor or array_like
        ``(..., n, k)``, or ``(..., n)`` when it has one axis fewer than ``a``
        (one vector per matrix, as Keras' torch backend).

    Returns
    -------
    Tensor
        ``x``, shaped like ``b``; gradients flow to both ``a`` and ``b``.

    Raises
    ------
    ValueError
        Shapes that do not fit, a singular ``a``, a call inside a model being traced.

    Examples
    --------
    >>> a = np.array([[3.0, 1.0], [1.0, 2.0]], np.float32)
    >>> pynn.ops.linalg.solve(a, np.array([9.0, 8.0], np.float32)).numpy().round(4)
    array([2., 3.], dtype=float32)
    """
    ts, (av, bv) = eager("solve", a, b)
    _square("solve", av, "a")
    if _vector_b("solve", av, bv):
        return _C.apply("reshape", [solve(ts[0], _C.apply("reshape", [ts[1]], shape=bv.shape + (1,)))],
                        shape=bv.shape)
    return _solve("solve", ts, av, bv)


def solve_triangular(a, b, lower=False):
    """Solves ``a @ x = b`` for a triangular ``a`` (``keras.ops.linalg.solve_triangular``).

    Only the triangle named by ``lower`` is read (the other is taken as zeros),
    and only it receives a gradient.

    Parameters
    ----------
    a : Tensor or array_like
        ``(..., n, n)``.
    b : Tensor or array_like
        ``(..., n, k)``, or ``(..., n)`` (one vector per matrix).
    lower : bool, default False
        Use the lower triangle of ``a`` (else the upper).

    Returns
    -------
    Tensor
        ``x``, shaped like ``b``.

    Raises
    ------
    ValueError
        Shapes that do not fit, a zero on the diagonal, a call inside a model being traced.

    Examples
    --------
    >>> a = np.array([[2.0, 7.0], [1.0, 4.0]], np.float32)
    >>> pynn.ops.linalg.solve_triangular(a, np.array([[2.0], [8.0]], np.float32), lower=True).numpy()
    array([[1.  ],
           [1.75]], dtype=float32)
    """
    ts, (av, bv) = eager("solve_triangular", a, b)
    _square("solve_triangular", av, "a")
    n = av.shape[-1]
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    if _vector_b("solve_triangular", av, bv):
        x = solve_triangular(ts[0], _C.apply("reshape", [ts[1]], shape=bv.shape + (1,)), lower)
        return _C.apply("reshape", [x], shape=bv.shape)
    return _solve("solve_triangular", ts, av * mask, bv, masked=mask)


def _logdet_parts(op, x):
    (t,), (a,) = eager(op, x)
    _square(op, a)
    sign, logabs = np.linalg.slogdet(a)
    return t, a, sign, logabs


def _d_logabsdet(a):
    """d log|det a| = sum(a^-T * da): the differential's constant (a singular a: inf)."""
    with np.errstate(all="ignore"):
        try:
            return np.swapaxes(np.linalg.inv(a), -1, -2)
        except np.linalg.LinAlgError:
            return np.full(a.shape, np.inf)


def det(x):
    """The determinant of a square matrix, or of each of a batch (``keras.ops.linalg.det``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    Tensor
        ``(...)``; its gradient is ``det * x^-T`` (not defined, and refused, at a
        singular ``x``).

    Raises
    ------
    ValueError
        A non-square matrix; a call inside a model being traced.

    Examples
    --------
    >>> round(float(pynn.ops.linalg.det(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))), 4)
    -2.0
    """
    t, a, sign, logabs = _logdet_parts("det", x)
    d = np.linalg.det(a)
    with np.errstate(invalid="ignore"):  # 0 * inf at a singular matrix: no gradient
        k = d[..., None, None] * _d_logabsdet(a)
    return linearized("det", [d], [t], lambda da: [_sum_last2(_C.apply("mul", [da, c(k)]))])[0]


def slogdet(x):
    """The sign and the log of the absolute value of the determinant (``keras.ops.slogdet``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    tuple of Tensor
        ``(sign, logabsdet)``, each ``(...)``: sign is 1, -1 or 0 (no
        gradient); logabsdet's gradient is ``x^-T``.

    Raises
    ------
    ValueError
        A non-square matrix; a call inside a model being traced.

    Examples
    --------
    >>> sign, logabs = pynn.ops.slogdet(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    >>> float(sign), round(float(logabs), 4)
    (-1.0, 0.6931)
    """
    t, a, sign, logabs = _logdet_parts("slogdet", x)
    k = _d_logabsdet(a)
    return tuple(linearized("slogdet", [sign, logabs], [t],
                            lambda da: [None, _sum_last2(_C.apply("mul", [da, c(k)]))]))


def logdet(x):
    """The natural log of the determinant (``keras.ops.logdet``, as ``torch.logdet``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    Tensor
        ``(...)``: ``log(det x)``; NaN where the determinant is negative, -inf
        where it is 0. Its gradient is ``x^-T``.

    Raises
    ------
    ValueError
        A non-square matrix; a call inside a model being traced.

    Examples
    --------
    >>> round(float(pynn.ops.logdet(np.array([[2.0, 0.0], [0.0, 3.0]], np.float32))), 4)
    1.7918
    """
    t, a, sign, logabs = _logdet_parts("logdet", x)
    value = np.where(sign > 0, logabs, np.where(sign < 0, np.nan, -np.inf))
    k = _d_logabsdet(a)
    return linearized("logdet", [value], [t],
                      lambda da: [_sum_last2(_C.apply("mul", [da, c(k)]))])[0]


def cholesky_inverse(x, upper=False):
    """The inverse of ``a`` from its Cholesky factor (``keras.ops.linalg.cholesky_inverse``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``: the factor ``L`` of ``a = L L^T`` (lower), or ``U`` of
        ``a = U^T U`` (``upper=True``). Only that triangle is read.
    upper : bool, default False
        Whether ``x`` is the upper factor.

    Returns
    -------
    Tensor
        ``a^-1``, ``(..., n, n)``; differentiable in ``x``.

    Raises
    ------
    ValueError
        A non-square ``x``, a zero on its diagonal, a call inside a model being traced.

    Examples
    --------
    >>> L = np.array([[2.0, 0.0], [1.0, 1.0]], np.float32)
    >>> pynn.ops.linalg.cholesky_inverse(L).numpy()
    array([[ 0.5, -0.5],
           [-0.5,  1. ]], dtype=float32)
    """
    (t,), (f,) = eager("cholesky_inverse", x)
    _square("cholesky_inverse", f)
    n = f.shape[-1]
    t = _C.apply("mul", [t, c(np.triu(np.ones((n, n))) if upper else np.tril(np.ones((n, n))))])
    a = mm(mT(t), t) if upper else mm(t, mT(t))
    return inv(a)


def _pinv_values(op, a, rcond):
    """pinv(a) in float64 with torch's relative cutoff (rcond, default eps32 * max(m, n))."""
    if a.ndim < 2:
        raise ValueError(f"{op}: needs a matrix or a batch of them (..., m, n), got shape {a.shape}")
    if rcond is None:
        rcond = _EPS32 * max(a.shape[-2:])
    if not isinstance(rcond, numbers.Real) or not rcond >= 0:
        raise ValueError(f"{op}: rcond must be a number >= 0, got {rcond!r}")
    return np.linalg.pinv(a, rcond=rcond)


def _d_pinv(da, a, p):
    """d(a^+) for a of constant rank (Golub and Pereyra):
    -P da P + P P^T da^T (I - A P) + (I - P A) da^T P^T P."""
    m, n = a.shape[-2:]
    left = np.eye(m) - a @ p
    right = np.eye(n) - p @ a
    pt = np.swapaxes(p, -1, -2)
    dat = mT(da)
    return _C.apply("add", [_C.apply("add", [
        mm(mm(c(-p), da), c(p)), mm(mm(c(p @ pt), dat), c(left))]),
        mm(mm(c(right), dat), c(pt @ p))])


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (``keras.ops.linalg.pinv``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., m, n)``.
    rcond : float, optional
        Singular values below ``rcond`` times the largest count as zero;
        default ``eps * max(m, n)`` (float32's eps, as Keras' torch backend).

    Returns
    -------
    Tensor
        ``(..., n, m)``; differentiable where the rank does not change.

    Raises
    ------
    ValueError
        Fewer than 2 axes, a negative ``rcond``, a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.pinv(np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]], np.float32)).numpy()
    array([[1. , 0. , 0. ],
           [0. , 0.5, 0. ]], dtype=float32)
    """
    (t,), (a,) = eager("pinv", x)
    p = _pinv_values("pinv", a, rcond)
    return linearized("pinv", [p], [t], lambda da: [_d_pinv(da, a, p)])[0]


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b`` (``keras.ops.linalg.lstsq``).

    Parameters
    ----------
    a : Tensor or array_like
        ``(m, n)``.
    b : Tensor or array_like
        ``(m,)`` or ``(m, k)``.
    rcond : float, optional
        Relative cutoff for small singular values of ``a`` (as `pinv`).

    Returns
    -------
    Tensor
        ``x``: ``(n,)`` or ``(n, k)``, the minimum-norm solution ``pinv(a) @ b``;
        differentiable in ``a`` (where its rank does not change) and ``b``.

    Raises
    ------
    ValueError
        Shapes that do not fit, a call inside a model being traced.

    Examples
    --------
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], np.float32)
    >>> pynn.ops.linalg.lstsq(a, np.array([1.0, 2.0, 3.0], np.float32)).numpy().round(4)
    array([1., 1.], dtype=float32)
    """
    ts, (av, bv) = eager("lstsq", a, b)
    if av.ndim != 2 or bv.ndim not in (1, 2) or bv.shape[0] != av.shape[0]:
        raise ValueError(f"lstsq: a must be (m, n) and b (m,) or (m, k) with the same m, got "
                         f"shapes {av.shape} and {bv.shape}")
    p = _pinv_values("lstsq", av, rcond)
    bm = bv.reshape(bv.shape[0], -1)
    xv = (p @ bm).reshape((av.shape[1],) + bv.shape[1:])

    def differential(da, db):
        db = _C.apply("reshape", [db], shape=bm.shape)
        dx = _C.apply("add", [mm(_d_pinv(da, av, p), c(bm)), mm(c(p), db)])
        return [_C.apply("reshape", [dx], shape=xv.shape)]
    return linearized("lstsq", [xv], ts, differential)[0]


def matrix_rank(x, tol=None):
    """The rank of a matrix: its singular values above a threshold (``keras.ops.matrix_rank``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., m, n)``.
    tol : float, optional
        The threshold; default ``largest singular value * max(m, n) * eps``
        (float32's eps, as Keras' torch backend).

    Returns
    -------
    Tensor
        ``(...)``, integer counts as float32 (no gradient).

    Raises
    ------
    ValueError
        Fewer than 2 axes, a negative ``tol``, a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)).numpy()
    array(1., dtype=float32)
    """
    (t,), (a,) = eager("matrix_rank", x)
    if a.ndim < 2:
        raise ValueError(f"matrix_rank: needs a matrix or a batch of them (..., m, n), got shape "
                         f"{a.shape}")
    if tol is not None and (not isinstance(tol, numbers.Real) or not tol >= 0):
        raise ValueError(f"matrix_rank: tol must be a number >= 0, got {tol!r}")
    s = np.linalg.svd(a, compute_uv=False)
    if tol is None:
        smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
        tol = smax * _EPS32 * max(a.shape[-2:])
    return linearized("matrix_rank", [np.sum(s > tol, axis=-1)], [], None)[0]
