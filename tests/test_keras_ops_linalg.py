"""keras.ops.linalg (issue #13): inv, solve, solve_triangular, det, slogdet, logdet,
cholesky, cholesky_inverse, qr, svd, eigh, lu_factor, lstsq, pinv, matrix_rank and
the singular-value norms — https://keras.io/api/ops/linalg/ (and
https://keras.io/api/ops/numpy/ for logdet, slogdet, pinv, matrix_rank).

Values against NumPy in float64; gradients against central differences of the
float64 NumPy function (tests/gradcheck.py); side by side with keras.ops on Keras
3's torch backend where installed, gradients included (torch differentiates them
all); decompositions checked by what defines them where signs are free."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(5)
M = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)       # well conditioned
BM = (RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)).astype(np.float32)   # a batch
SPD = (M @ M.T + np.eye(3)).astype(np.float32)
R = RNG.normal(size=(4, 3)).astype(np.float32)                          # tall
W = RNG.normal(size=(2, 4)).astype(np.float32)                          # wide
V = RNG.normal(size=(3,)).astype(np.float32)
K = RNG.normal(size=(3, 2)).astype(np.float32)


def _spd(a):
    return a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])


VALUES = {  # name -> (pynn result, float64 reference)
    "inv": (lambda: ops.inv(M), lambda: np.linalg.inv(M.astype(float))),
    "inv_batch": (lambda: ops.linalg.inv(BM), lambda: np.linalg.inv(BM.astype(float))),
    "solve_matrix": (lambda: ops.solve(M, K), lambda: np.linalg.solve(M.astype(float), K)),
    "solve_vector": (lambda: ops.solve(M, V), lambda: np.linalg.solve(M.astype(float), V)),
    "solve_batch_vectors": (lambda: ops.solve(BM, K.T),
                            lambda: np.linalg.solve(BM.astype(float), K.T[..., None])[..., 0]),
    "solve_triangular_lower": (lambda: ops.solve_triangular(M, K, lower=True),
                               lambda: np.linalg.solve(np.tril(M.astype(float)), K)),
    "solve_triangular_upper": (lambda: ops.solve_triangular(M, V),
                               lambda: np.linalg.solve(np.triu(M.astype(float)), V)),
    "det": (lambda: ops.det(BM), lambda: np.linalg.det(BM.astype(float))),
    "slogdet_sign": (lambda: ops.slogdet(BM - 3 * np.eye(3, dtype=np.float32))[0],
                     lambda: np.linalg.slogdet(BM.astype(float) - 3 * np.eye(3))[0]),
    "slogdet_log": (lambda: ops.slogdet(BM)[1], lambda: np.linalg.slogdet(BM.astype(float))[1]),
    "logdet": (lambda: ops.logdet(SPD), lambda: np.log(np.linalg.det(SPD.astype(float)))),
    "cholesky": (lambda: ops.cholesky(SPD), lambda: np.linalg.cholesky(SPD.astype(float))),
    "cholesky_upper": (lambda: ops.cholesky(SPD, upper=True),
                       lambda: np.linalg.cholesky(SPD.astype(float)).T),
    "cholesky_inverse": (lambda: ops.cholesky_inverse(np.linalg.cholesky(SPD)),
                         lambda: np.linalg.inv(SPD.astype(float))),
    "cholesky_inverse_upper": (lambda: ops.cholesky_inverse(np.linalg.cholesky(SPD).T, upper=True),
                               lambda: np.linalg.inv(SPD.astype(float))),
    "svd_values": (lambda: ops.svd(R, compute_uv=False),
                   lambda: np.linalg.svd(R.astype(float), compute_uv=False)),
    "eigh_values": (lambda: ops.eigh(SPD)[0], lambda: np.linalg.eigh(SPD.astype(float))[0]),
    "lstsq": (lambda: ops.lstsq(R, K[:, 0].repeat(2)[:4]),
              lambda: np.linalg.lstsq(R.astype(float), K[:, 0].repeat(2)[:4], rcond=None)[0]),
    "lstsq_matrix": (lambda: ops.lstsq(R, np.ones((4, 2))),
                     lambda: np.linalg.lstsq(R.astype(float), np.ones((4, 2)), rcond=None)[0]),
    "pinv": (lambda: ops.pinv(W), lambda: np.linalg.pinv(W.astype(float))),
    "matrix_rank": (lambda: ops.matrix_rank(np.outer(V, V)), lambda: np.array(1.0)),
    "matrix_rank_tol": (lambda: ops.matrix_rank(np.diag([3.0, 1e-3, 0.5]), tol=0.01),
                        lambda: np.array(2.0)),
    "norm_2": (lambda: ops.norm(R, ord=2), lambda: np.linalg.norm(R.astype(float), 2)),
    "norm_-2": (lambda: ops.norm(R, ord=-2), lambda: np.linalg.norm(R.astype(float), -2)),
    "norm_nuc": (lambda: ops.norm(BM, ord="nuc", axis=(2, 0), keepdims=True),
                 lambda: np.linalg.norm(BM.astype(float), "nuc", axis=(2, 0), keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    got, want = (f() for f in VALUES[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape, f"{name}: {got.numpy().shape} != {want.shape}"
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def _check_recomposes(q, r, a):
    np.testing.assert_allclose(q @ r, a, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2), atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 3, 2)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_recomposes(shape, mode):
    a = RNG.normal(size=shape).astype(np.float32)
    q, r = (t.numpy() for t in ops.qr(a, mode=mode))
    want_q, want_r = np.linalg.qr(a, mode=mode)
    assert q.shape == want_q.shape and r.shape == want_r.shape
    _check_recomposes(q, r, a)
    np.testing.assert_array_equal(r, np.triu(r))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 3, 2)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_recomposes(shape, full):
    a = RNG.normal(size=shape).astype(np.float32)
    u, s, vh = (t.numpy() for t in ops.svd(a, full_matrices=full))
    want = np.linalg.svd(a, full_matrices=full)
    assert (u.shape, s.shape, vh.shape) == tuple(w.shape for w in want)
    k = s.shape[-1]
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=1e-5)
    np.testing.assert_allclose(s, want[1], rtol=1e-5)


def test_eigh_and_lu_recompose():
    w, v = (t.numpy() for t in ops.eigh(SPD))
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, SPD, rtol=1e-5, atol=1e-4)
    lu, piv = (t.numpy() for t in ops.lu_factor(BM))
    for b in range(2):
        L, U = np.tril(lu[b], -1) + np.eye(3), np.triu(lu[b])
        pa = BM[b].astype(float).copy()
        for i, p in enumerate(piv[b].astype(int)):
            pa[[i, p]] = pa[[p, i]]
        np.testing.assert_allclose(L @ U, pa, rtol=1e-5, atol=1e-5)
    scipy = pytest.importorskip("scipy.linalg", reason="scipy gives the LAPACK reference")
    want_lu, want_piv = scipy.lu_factor(M.astype(float))
    got_lu, got_piv = ops.lu_factor(M)
    np.testing.assert_allclose(got_lu.numpy(), want_lu, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_piv.numpy(), want_piv)


# ------------------------------------------------------------------ gradients
def _sym(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def test_gradients_of_solvers():
    m, bm, k, v = (x.astype(float) for x in (M, BM, K, V))
    check_grad(ops.inv, np.linalg.inv, [bm])
    check_grad(ops.solve, np.linalg.solve, [m, k])
    check_grad(ops.solve, lambda a, b: np.linalg.solve(a, b[:, None])[:, 0], [m, v])
    check_grad(lambda a, b: ops.solve_triangular(a, b, lower=True),
               lambda a, b: np.linalg.solve(np.tril(a), b), [m, k])
    check_grad(ops.det, np.linalg.det, [bm])
    check_grad(lambda a: ops.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], [bm - 3 * np.eye(3)])
    check_grad(ops.logdet, lambda a: np.log(np.linalg.det(a)), [SPD.astype(float)])
    check_grad(ops.cholesky_inverse, lambda f: np.linalg.inv(np.tril(f) @ np.tril(f).T), [m])
    check_grad(ops.pinv, np.linalg.pinv, [W.astype(float)])
    check_grad(ops.pinv, np.linalg.pinv, [R.astype(float)])
    check_grad(ops.lstsq, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
               [R.astype(float), np.arange(8.0).reshape(4, 2) / 4])


def test_gradients_of_factorizations():
    spd = SPD.astype(float)
    check_grad(lambda a: ops.cholesky(a), lambda a: np.linalg.cholesky(_sym(a)), [spd])
    check_grad(lambda a: ops.cholesky(a, upper=True), lambda a: np.linalg.cholesky(_sym(a)).T,
               [spd])
    check_grad(lambda a: ops.eigh(a)[0], lambda a: np.linalg.eigh(_sym(a))[0], [spd])
    w, v = np.linalg.eigh(spd)  # eigenvectors with the signs of the unperturbed ones

    def eigvecs(a):
        vv = np.linalg.eigh(_sym(a))[1]
        return vv * np.sign(np.sum(vv * v, axis=0))
    check_grad(lambda a: ops.eigh(a)[1], eigvecs, [spd])
    for a in (R.astype(float), W.astype(float), BM.astype(float)):
        check_grad(lambda x: ops.svd(x, compute_uv=False),
                   lambda x: np.linalg.svd(x, compute_uv=False), [a])
        u0, _, vh0 = np.linalg.svd(a, full_matrices=False)

        def svd_aligned(x, i):
            u, s, vh = np.linalg.svd(x, full_matrices=False)
            sg = np.sign(np.sum(u * u0, axis=-2))
            return [u * sg[..., None, :], s, vh * sg[..., :, None]][i]
        for i in (0, 2):
            check_grad(lambda x: ops.svd(x, full_matrices=False)[i], lambda x: svd_aligned(x, i),
                       [a])
        check_grad(lambda x: ops.norm(x, ord="nuc", axis=(-2, -1)),
                   lambda x: np.linalg.norm(x, "nuc", axis=(-2, -1)), [a])
    for a in (R.astype(float), M.astype(float), W.astype(float)):
        for i in (0, 1):
            check_grad(lambda x: ops.qr(x)[i], lambda x: np.linalg.qr(x)[i], [a])
    scipy = pytest.importorskip("scipy.linalg", reason="scipy gives the LAPACK reference")
    check_grad(lambda a: ops.lu_factor(a)[0], lambda a: scipy.lu_factor(a)[0], [M.astype(float)])


def test_no_gradient_where_torch_has_none():
    x = pynn.Tensor(R, requires_grad=True)
    with pytest.raises(ValueError, match="qr: mode='complete' with more rows than columns has no "
                                         "gradient"):
        ops.qr(x, mode="complete")
    with pytest.raises(ValueError, match="svd: full_matrices=True on a non-square matrix"):
        ops.svd(x)
    with pynn.no_grad():
        assert ops.svd(x)[0].shape == (4, 4)
    sing = pynn.Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="det: the gradient is not defined at this input"):
        ops.det(sing)


# ------------------------------------------------------------------ Keras 3 side by side
KERAS = {  # name -> function of (ops module, a square (3, 3) well-conditioned x), both libraries
    "inv": lambda o, x: o.linalg.inv(x),
    "solve": lambda o, x: o.linalg.solve(x, x[:, :2] * 2),
    "solve_vector": lambda o, x: o.linalg.solve(x, x[0]),
    "solve_triangular": lambda o, x: o.linalg.solve_triangular(x, x[:, :1], lower=True),
    "solve_triangular_upper": lambda o, x: o.linalg.solve_triangular(x, x[1]),
    "det": lambda o, x: o.linalg.det(x),
    "slogdet": lambda o, x: o.slogdet(x)[1],
    "logdet": lambda o, x: o.logdet(o.matmul(x, o.transpose(x))),
    "cholesky": lambda o, x: o.linalg.cholesky(o.matmul(x, o.transpose(x))),
    "cholesky_upper": lambda o, x: o.linalg.cholesky(o.matmul(x, o.transpose(x)), upper=True),
    "cholesky_inverse": lambda o, x: o.linalg.cholesky_inverse(o.tril(x) + 3 * o.eye(3)),
    "svd_s": lambda o, x: o.linalg.svd(x, compute_uv=False),
    "svd_abs_u": lambda o, x: o.abs(o.linalg.svd(x)[0]),
    "eigh_w": lambda o, x: o.linalg.eigh(x + o.transpose(x))[0],
    "qr_abs_r": lambda o, x: o.abs(o.linalg.qr(x)[1]),
    "lu": lambda o, x: o.linalg.lu_factor(x)[0],
    "lu_pivots": lambda o, x: o.linalg.lu_factor(x)[1],
    "lstsq": lambda o, x: o.linalg.lstsq(o.concatenate([x, x * x]), o.ones((6, 2))),
    "pinv": lambda o, x: o.pinv(x[:2]),
    "matrix_rank": lambda o, x: o.matrix_rank(x),
    "norm_2": lambda o, x: o.norm(x, ord=2),
    "norm_nuc": lambda o, x: o.linalg.norm(x, ord="nuc"),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS[name]
    x = (np.random.default_rng(3).normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
    want = keras.ops.convert_to_numpy(fn(keras.ops, keras.ops.convert_to_tensor(x)))
    got = fn(ops, x).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["inv", "solve", "det", "cholesky", "svd_s", "eigh_w", "lu",
                                  "pinv", "lstsq", "norm_nuc", "logdet", "cholesky_inverse"])
def test_gradients_match_torch(name):
    keras_or_skip()
    import torch
    fn = KERAS[name]
    x = (np.random.default_rng(4).normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    import keras
    keras.ops.sum(fn(keras.ops, xt) ** 2).backward()
    xp = pynn.Tensor(x, requires_grad=True)
    ops.sum(ops.square(fn(ops, xp))).backward()
    np.testing.assert_allclose(xp.grad, xt.grad.numpy(), rtol=2e-3, atol=2e-4)


# ------------------------------------------------------------------ models and bad input
def test_functional_model_runs_eagerly_and_refuses_compiled():
    inp = pynn.Input(shape=(2, 2))
    w, v = ops.eigh(inp)
    model = pynn.Model(inp, [ops.inv(inp), w])
    assert [tuple(o.shape) for o in model.outputs] == [(None, 2, 2), (None, 2)]
    x = (RNG.normal(size=(3, 2, 2)) + 2 * np.eye(2)).astype(np.float32)
    got = model(pynn.Tensor(x))  # a Tensor: the eager path, which records gradients
    np.testing.assert_allclose(got[0].numpy(), np.linalg.inv(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1].numpy(), np.linalg.eigh(x)[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="inv inside a model: it is computed eagerly"):
        model.predict(x, verbose=0)


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="inv: x must be a square matrix .* got shape \\(4, 3\\)"):
        ops.inv(R)
    with pytest.raises(ValueError, match="inv: the matrix is singular"):
        ops.inv(np.ones((2, 2)))
    with pytest.raises(ValueError, match="solve: b must be \\(..., 3\\) or \\(..., 3, k\\)"):
        ops.solve(M, np.ones((4, 2)))
    with pytest.raises(ValueError, match="cholesky: the matrix is not positive definite"):
        ops.cholesky(-SPD)
    with pytest.raises(ValueError, match="qr: mode must be 'reduced' or 'complete'"):
        ops.qr(M, mode="r")
    with pytest.raises(ValueError, match="svd: x must be a matrix"):
        ops.svd(V)
    with pytest.raises(ValueError, match="lstsq: a must be \\(m, n\\) and b"):
        ops.lstsq(R, np.ones(3))
    with pytest.raises(ValueError, match="pinv: rcond must be a number >= 0"):
        ops.pinv(R, rcond=-1)
    with pytest.raises(ValueError, match="matrix_rank: tol must be a number >= 0"):
        ops.matrix_rank(R, tol="x")
    with pytest.raises(ValueError, match="lu_factor: x must be a square matrix"):
        ops.lu_factor(R)
