"""pynn.ops.decomp: ``keras.ops.linalg``'s factorizations — cholesky, qr, svd, eigh,
lu_factor — computed by NumPy in float64, with exact gradients from their
differentials (pynn/ops/linearize.py; the formulas are the standard ones, e.g.
Murray 2016 for Cholesky, Townsend 2016 for the SVD). Eager only.

Eigenvectors and singular vectors are determined up to sign (and, for equal
eigenvalues, up to rotation); they are NumPy's (LAPACK's) choice, which is also
what Keras' torch backend returns on the CPU."""
import numpy as np

from .. import _C
from .linearize import c, eager, linearized, mm, mT
from .shape import slice_axis

__all__ = ["cholesky", "qr", "svd", "eigh", "lu_factor"]


def _matrix(op, a, square=False):
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        what = "a square matrix or a batch of them (..., n, n)" if square else \
            "a matrix or a batch of them (..., m, n)"
        raise ValueError(f"{op}: x must be {what}, got shape {a.shape}")


def _sym(d):
    return _C.apply("mul", [_C.apply("add", [d, mT(d)]), np.float32(0.5)])


def _tri(n, k, lower):
    return np.tril(np.ones((n, n)), k) if lower else np.triu(np.ones((n, n)), k)


def _pairs(w):
    """F[..., i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it (inf where they tie)."""
    with np.errstate(divide="ignore"):
        f = 1.0 / (w[..., None, :] - w[..., :, None])
    n = w.shape[-1]
    f[..., np.arange(n), np.arange(n)] = 0.0
    return f


def cholesky(x, upper=False):
    """The Cholesky factor of a symmetric positive-definite matrix (``keras.ops.linalg.cholesky``).

    Only the lower triangle of ``x`` is read (as LAPACK and Keras' torch
    backend); the gradient is symmetric, as torch's.

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.
    upper : bool, default False
        Return ``U`` with ``x = U^T U`` instead of ``L`` with ``x = L L^T``.

    Returns
    -------
    Tensor
        ``(..., n, n)``, triangular.

    Raises
    ------
    ValueError
        A non-square or not positive-definite matrix; a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 2.0]], np.float32)).numpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    (t,), (a,) = eager("cholesky", x)
    _matrix("cholesky", a, square=True)
    n = a.shape[-1]
    low = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    try:
        L = np.linalg.cholesky(low)
    except np.linalg.LinAlgError:
        raise ValueError("cholesky: the matrix is not positive definite") from None
    Li = np.linalg.inv(L)
    phi = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)  # the lower triangle, half the diagonal

    def differential(da):  # dL = L phi(L^-1 dA L^-T)
        dl = mm(c(L), _C.apply("mul", [mm(mm(c(Li), _sym(da)), c(np.swapaxes(Li, -1, -2))),
                                        c(phi)]))
        return [mT(dl) if upper else dl]
    return linearized("cholesky", [np.swapaxes(L, -1, -2) if upper else L], [t], differential)[0]


def qr(x, mode="reduced"):
    """The QR decomposition ``x = q @ r`` (``keras.ops.linalg.qr``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., m, n)``.
    mode : {"reduced", "complete"}, default "reduced"
        reduced: ``q`` ``(..., m, k)``, ``r`` ``(..., k, n)`` with k = min(m, n);
        complete: ``q`` ``(..., m, m)``, ``r`` ``(..., m, n)``.

    Returns
    -------
    tuple of Tensor
        ``(q, r)``: ``q`` with orthonormal columns, ``r`` upper triangular.
        Differentiable (for full-rank ``x``) except ``mode="complete"`` with
        m > n, which torch does not differentiate either (refused when a
        gradient is needed).

    Raises
    ------
    ValueError
        An unknown mode, fewer than 2 axes, a gradient that is not defined,
        a call inside a model being traced.

    Examples
    --------
    >>> q, r = pynn.ops.linalg.qr(np.array([[3.0, 1.0], [4.0, 2.0]], np.float32))
    >>> np.abs(r.numpy()).round(4)
    array([[5. , 2.2],
           [0. , 0.4]], dtype=float32)
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    (t,), (a,) = eager("qr", x)
    _matrix("qr", a)
    q, r = np.linalg.qr(a, mode=mode)
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        if t.requires_grad and _C.is_grad_enabled():
            raise ValueError("qr: mode='complete' with more rows than columns has no gradient "
                             "(as in torch); use mode='reduced'")
        return tuple(linearized("qr", [q, r], [], None))
    k = min(m, n)
    r1 = r[..., :, :k]  # square, upper triangular
    r1i = np.linalg.inv(r1)

    def differential(da):
        # A1 = Q R1 (the first k columns): M = Q^T dA1 R1^-1, Omega = its strictly lower part
        # made antisymmetric; dR1 = (M - Omega) R1, dQ = dA1 R1^-1 - Q (M - Omega).
        # The other columns (m < n): A2 = Q R2, dR2 = Q^T (dA2 - dQ R2).
        da1 = slice_axis(da, da.ndim - 1, 0, k) if n > k else da
        mtx = mm(mm(c(np.swapaxes(q, -1, -2)), da1), c(r1i))
        low = _C.apply("mul", [mtx, c(np.tril(np.ones((k, k)), -1))])
        up = _C.apply("sub", [mtx, _C.apply("sub", [low, mT(low)])])  # M - Omega
        dr = mm(up, c(r1))
        dq = _C.apply("sub", [mm(da1, c(r1i)), mm(c(q), up)])
        if n > k:
            da2 = slice_axis(da, da.ndim - 1, k)
            dr2 = mm(c(np.swapaxes(q, -1, -2)), _C.apply("sub", [da2, mm(dq, c(r[..., :, k:]))]))
            dr = _C.apply("concatenate", [dr, dr2], axis=da.ndim - 1)
        return [dq, dr]
    return tuple(linearized("qr", [q, r], [t], differential))


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition ``x = u @ diag(s) @ vh`` (``keras.ops.linalg.svd``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., m, n)``.
    full_matrices : bool, default True
        ``u`` ``(..., m, m)`` and ``vh`` ``(..., n, n)``; False: ``(..., m, k)``
        and ``(..., k, n)``, k = min(m, n).
    compute_uv : bool, default True
        False returns only ``s``.

    Returns
    -------
    tuple of Tensor or Tensor
        ``(u, s, vh)``, ``s`` ``(..., k)`` descending; or ``s``. ``s`` is
        differentiable; ``u`` and ``vh`` too for distinct singular values, except
        with ``full_matrices`` on a non-square ``x`` (as torch; refused when a
        gradient is needed).

    Raises
    ------
    ValueError
        Fewer than 2 axes, a gradient that is not defined, a call inside a
        model being traced.

    Examples
    --------
    >>> pynn.ops.linalg.svd(np.array([[3.0, 0.0], [0.0, -4.0]], np.float32), compute_uv=False).numpy()
    array([4., 3.], dtype=float32)
    """
    (t,), (a,) = eager("svd", x)
    _matrix("svd", a)
    m, n = a.shape[-2:]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    v = np.swapaxes(vh, -1, -2)
    ut = np.swapaxes(u, -1, -2)
    diag = np.eye(k)

    def d_s(da):  # ds = diag(U^T dA V)
        return _C.apply("sum", [_C.apply("mul", [mm(mm(c(ut), da), c(v)), c(diag)])],
                        axis=(-1,), keepdims=False, reduce_all=False)
    if not compute_uv:
        return linearized("svd", [s], [t], lambda da: [d_s(da)])[0]
    full = full_matrices and m != n
    if full:
        if t.requires_grad and _C.is_grad_enabled():
            raise ValueError("svd: full_matrices=True on a non-square matrix has no gradient for "
                             "u and vh (as in torch); use full_matrices=False")
        return tuple(linearized("svd", list(np.linalg.svd(a, full_matrices=True)), [], None))
    with np.errstate(divide="ignore"):
        f = _pairs(s ** 2)
        sinv = 1.0 / s
    sd = s[..., None, :] * diag  # diag(s), batched

    def differential(da):
        dp = mm(mm(c(ut), da), c(v))
        dpt = mT(dp)
        du = _C.apply("add", [
            mm(c(u), _C.apply("mul", [c(f), _C.apply("add", [mm(dp, c(sd)), mm(c(sd), dpt)])])),
            _C.apply("mul", [mm(mm(c(np.eye(m) - u @ ut), da), c(v)), c(sinv[..., None, :])])])
        dv = _C.apply("add", [
            mm(c(v), _C.apply("mul", [c(f), _C.apply("add", [mm(c(sd), dp), mm(dpt, c(sd))])])),
            _C.apply("mul", [mm(mm(c(np.eye(n) - v @ vh), mT(da)), c(u)), c(sinv[..., None, :])])])
        return [du, d_s(da), mT(dv)]
    return tuple(linearized("svd", [u, s, vh], [t], differential))


def eigh(x):
    """Eigenvalues and eigenvectors of a symmetric matrix (``keras.ops.linalg.eigh``).

    Only the lower triangle of ``x`` is read (as LAPACK and Keras' torch
    backend); the gradient is symmetric.

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    tuple of Tensor
        ``(w, v)``: eigenvalues ``(..., n)`` ascending, eigenvectors the
        columns of ``v`` ``(..., n, n)``. Differentiable (``v`` for distinct
        eigenvalues).

    Raises
    ------
    ValueError
        A non-square matrix; a call inside a model being traced.

    Examples
    --------
    >>> w, v = pynn.ops.linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]], np.float32))
    >>> w.numpy()
    array([1., 3.], dtype=float32)
    """
    (t,), (a,) = eager("eigh", x)
    _matrix("eigh", a, square=True)
    w, v = np.linalg.eigh(a)
    vt = np.swapaxes(v, -1, -2)
    f = _pairs(w)
    eye = np.eye(a.shape[-1])

    def differential(da):  # dP = V^T dA V; dw = diag(dP); dV = V (F * dP)
        dp = mm(mm(c(vt), _sym(da)), c(v))
        dw = _C.apply("sum", [_C.apply("mul", [dp, c(eye)])], axis=(-1,), keepdims=False,
                      reduce_all=False)
        return [dw, mm(c(v), _C.apply("mul", [dp, c(f)]))]
    return tuple(linearized("eigh", [w, v], [t], differential))


def _lu(a):
    """LU with partial pivoting of each matrix of a (..., n, n), in LAPACK's packed
    form: (lu, piv), row i swapped with row piv[i] (0-based), unit-lower L below the
    diagonal. Vectorised over the batch, one column at a time."""
    lu = np.array(a, dtype=np.float64)
    n = a.shape[-1]
    flat = lu.reshape(-1, n, n)
    piv = np.zeros(flat.shape[:1] + (n,), np.int64)
    rows = np.arange(flat.shape[0])
    for j in range(n):
        p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1)
        piv[:, j] = p
        flat[rows, j], flat[rows, p] = flat[rows, p].copy(), flat[rows, j].copy()
        pivot = flat[:, j, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            col = np.where(pivot[:, None] != 0, flat[:, j + 1:, j] / pivot[:, None], 0.0)
        flat[:, j + 1:, j] = col
        flat[:, j + 1:, j + 1:] -= col[:, :, None] * flat[:, j, None, j + 1:]
    return flat.reshape(a.shape), piv.reshape(a.shape[:-1])


def lu_factor(x):
    """LU factorization with partial pivoting (``keras.ops.linalg.lu_factor``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., n, n)``.

    Returns
    -------
    tuple of Tensor
        ``(lu, pivots)``: ``lu`` ``(..., n, n)`` holds ``U`` on and above the
        diagonal and the unit-lower ``L`` below it (``P x = L U``);
        ``pivots`` ``(..., n)``: row i was swapped with row ``pivots[i]``
        (0-based, as Keras; integers as float32, no gradient). ``lu`` is
        differentiable for a nonsingular ``x``.

    Raises
    ------
    ValueError
        A non-square matrix; a call inside a model being traced.

    Examples
    --------
    >>> lu, piv = pynn.ops.linalg.lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    >>> lu.numpy().round(4), piv.numpy()
    (array([[3.    , 4.    ],
           [0.3333, 0.6667]], dtype=float32), array([1., 1.], dtype=float32))
    """
    (t,), (a,) = eager("lu_factor", x)
    _matrix("lu_factor", a, square=True)
    lu, piv = _lu(a)
    n = a.shape[-1]
    L = np.tril(lu, -1) + np.eye(n)
    U = np.triu(lu)
    perm = np.broadcast_to(np.arange(n), piv.shape).copy()  # P: row i of P a is row perm[i] of a
    for i in range(n):
        pi = piv[..., i:i + 1]
        a_i, a_p = perm[..., i].copy(), np.take_along_axis(perm, pi, -1)[..., 0]
        perm[..., i] = a_p
        np.put_along_axis(perm, pi, a_i[..., None], -1)
    P = (perm[..., :, None] == np.arange(n)).astype(np.float64)

    def differential(da):  # X = L^-1 P dA U^-1; dlu = L tril(X, -1) + triu(X) U
        with np.errstate(all="ignore"):
            ui = np.linalg.inv(U) if np.all(np.diagonal(U, 0, -2, -1) != 0) else np.full(
                U.shape, np.inf)
        xm = mm(mm(c(np.linalg.inv(L) @ P), da), c(ui))
        return [_C.apply("add", [mm(c(L), _C.apply("mul", [xm, c(_tri(n, -1, True))])),
                                 mm(_C.apply("mul", [xm, c(_tri(n, 0, False))]), c(U))]), None]
    return tuple(linearized("lu_factor", [lu, piv], [t], differential))
