"""The pre-packed-B SGEMM (csrc/core/gemm/prepacked.c, _C.sgemm_prepacked): B packed
once and reused for many A, as the recurrent layers reuse their recurrent kernel at
every time step. It must give exactly pn_sgemm's bits (the recurrent layers' seeded
training stays bit-identical), on every kernel this CPU runs, whatever block of
rows it is handed."""
import numpy as np
import pytest

from pynn import _C
from test_gemm import check, run_forced, skip_unless_cpu_runs

# (M, N, K): one row, tile edges of both x86 kernels (6x16, 12x32), the recurrent
# shapes (batch x 4u x u forward, batch x u x 4u backward), K past one depth block
# (K > 512 is summed in blocks of at most kc), N not a multiple of the panel.
SHAPES = [(1, 1, 1), (1, 512, 128), (7, 17, 9), (12, 32, 8), (13, 33, 17), (32, 512, 128),
          (32, 128, 512), (25, 95, 600), (64, 1024, 1100), (1, 100, 1030), (5, 7, 0)]


def prepacked_matches_sgemm():
    rng = np.random.default_rng(5)
    for M, N, K in SHAPES:
        for tb in (False, True):
            a = rng.standard_normal((M, K)).astype(np.float32)
            b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
            want = _C.sgemm(a, b, trans_b=tb)
            for rows in (0, 1, 5, 12):
                got = _C.sgemm_prepacked(a, b, trans_b=tb, rows=rows)
                assert got.tobytes() == want.tobytes(), (M, N, K, tb, rows)
            # accumulation (beta 1: the backward sweep adds onto dh) and garbage out
            c0 = rng.standard_normal((M, N)).astype(np.float32)
            want = _C.sgemm(a, b, trans_b=tb, beta=1.0, out=c0.copy())
            got = _C.sgemm_prepacked(a, b, trans_b=tb, beta=1.0, out=c0.copy(), rows=3)
            assert got.tobytes() == want.tobytes(), (M, N, K, tb, "beta")
            got = _C.sgemm_prepacked(a, b, trans_b=tb, out=np.full((M, N), np.nan, np.float32))
            assert np.isfinite(got).all() and got.tobytes() == _C.sgemm(a, b, trans_b=tb).tobytes()


def test_prepacked_matches_sgemm_bits():
    prepacked_matches_sgemm()


def test_prepacked_is_the_product():
    """Not only sgemm's bits: the float64 product within a float32 error bound."""
    rng = np.random.default_rng(6)
    for M, N, K in [(32, 512, 128), (13, 33, 600)]:
        a = rng.standard_normal((M, K)).astype(np.float32)
        b = rng.standard_normal((K, N)).astype(np.float32)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        got = _C.sgemm_prepacked(a, b, rows=7)
        bound = (K + 4) * np.finfo(np.float32).eps * (np.abs(a) @ np.abs(b)).astype(np.float64)
        assert np.all(np.abs(got - ref) <= bound)
        check(a, b, False, False)  # and sgemm itself agrees (the test above pins the bits)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_prepacked_matches_sgemm_on_every_kernel(isa):
    skip_unless_cpu_runs(isa)
    r = run_forced(isa, "import test_gemm_prepacked as t\nfrom pynn import _C\n"
                        f"assert _C.gemm_isa() == {isa!r}\nt.prepacked_matches_sgemm()")
    assert r.returncode == 0, r.stderr[-2000:]


def test_prepacked_bad_input():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="inner dimensions 4 != 5"):
        _C.sgemm_prepacked(a, np.ones((5, 2), np.float32))
    with pytest.raises(TypeError, match="float32"):
        _C.sgemm_prepacked(a, np.ones((4, 2)))
    with pytest.raises(ValueError, match="rows must be >= 0"):
        _C.sgemm_prepacked(a, np.ones((4, 2), np.float32), rows=-1)
    with pytest.raises(ValueError, match="writable"):
        _C.sgemm_prepacked(a, np.ones((4, 2), np.float32), out=np.ones((2, 2), np.float32))
