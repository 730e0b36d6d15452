"""SGEMM (pynn._C.sgemm) against a float64 NumPy product, on every kernel path
this CPU can run, plus the worker pool's thread-count independence."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pynn
from pynn import _C

TESTS = os.path.dirname(os.path.abspath(__file__))
# Subprocesses import the same pynn this process imported (installed or in-place
# build), and run from tests/ so a source checkout without _C never shadows it.
PYNN_PARENT = os.path.dirname(os.path.dirname(pynn.__file__))
EPS32 = np.finfo(np.float32).eps

# (M, N, K): ones, primes, non-multiples of the micro-tiles (6x16, 12x32, 4x8), and
# sizes past the cache blocks (KC=256, MC=144, NC=4080, 2304-row A super-block).
SHAPES = [
    (1, 1, 1), (1, 7, 13), (7, 1, 13), (13, 7, 1), (2, 3, 4), (6, 16, 5), (7, 17, 9),
    (32, 128, 10), (97, 13, 7), (13, 97, 31), (97, 97, 97), (145, 33, 257),
    (128, 256, 784), (300, 150, 600), (5, 4100, 40), (2400, 20, 30),
    # the AVX-512 tile (12 x 32) and its packers: one past, one short, 8-row groups
    (12, 32, 8), (13, 33, 17), (25, 95, 9), (241, 65, 390),
    # the packed path's block sequence: two row super-blocks x two K blocks, and
    # two column blocks (each pass packs the next block into the other buffer)
    (2400, 40, 600), (40, 4200, 300),
]


def operands(rng, M, N, K, ta, tb):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a, b


def check(a, b, ta, tb, alpha=1.0, beta=0.0, out=None):
    """Runs sgemm and asserts it matches float64 within a float32 error bound."""
    at = (a.T if ta else a).astype(np.float64)
    bt = (b.T if tb else b).astype(np.float64)
    c0 = None if out is None else out.astype(np.float64)
    got = _C.sgemm(a, b, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta, out=out)
    ref = alpha * (at @ bt)
    # Rounding error of a K-term float32 dot product is bounded by ~K eps sum|a||b|.
    bound = (at.shape[1] + 4) * EPS32 * abs(alpha) * (np.abs(at) @ np.abs(bt))
    if c0 is not None and beta != 0.0:
        ref += beta * c0
        bound += 4 * EPS32 * np.abs(beta * c0)
    assert got.shape == ref.shape and got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - ref)
    assert np.all(err <= bound + 1e-30), (a.shape, b.shape, ta, tb, float(err.max()))
    return got


def check_all(shapes=SHAPES):
    rng = np.random.default_rng(1)
    for M, N, K in shapes:
        for ta in (False, True):
            for tb in (False, True):
                a, b = operands(rng, M, N, K, ta, tb)
                check(a, b, ta, tb)
    # alpha/beta through the out= path; beta == 0 must ignore NaN garbage in out.
    for M, N, K in [(7, 17, 9), (97, 97, 97), (145, 33, 300)]:
        a, b = operands(rng, M, N, K, False, True)
        check(a, b, False, True, alpha=-0.5, beta=1.5,
              out=rng.standard_normal((M, N)).astype(np.float32))
        got = check(a, b, False, True, alpha=2.0, beta=0.0,
                    out=np.full((M, N), np.nan, np.float32))
        assert np.isfinite(got).all()


def run_forced(isa, code):
    env = dict(os.environ, PYNN_GEMM_ISA=isa, PYTHONPATH=PYNN_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=TESTS,
                          capture_output=True, text=True, timeout=600)


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":")[1].split())
    except OSError:
        pass
    return set()


# CPU flags each kernel needs (the driver's own detection, gemm.c cpu_has).
ISA_FLAGS = {"generic": set(), "avx2": {"avx2", "fma"}, "avx512": {"avx512f", "avx2", "fma"}}


def skip_unless_cpu_runs(isa):
    missing = ISA_FLAGS[isa] - cpu_flags()
    if missing:
        pytest.skip(f"this CPU lacks {', '.join(sorted(missing))}: the {isa} kernel cannot run here")


# ------------------------------------------------------------ correctness
@pytest.mark.parametrize("M,N,K", SHAPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matches_float64(M, N, K, ta, tb):
    a, b = operands(np.random.default_rng(M * 1000 + N + K), M, N, K, ta, tb)
    check(a, b, ta, tb)


@pytest.mark.parametrize("isa", sorted(ISA_FLAGS))
def test_every_kernel_path(isa):
    skip_unless_cpu_runs(isa)
    code = ("import sys; import test_gemm as t\n"
            "from pynn import _C\n"
            f"assert _C.gemm_isa() == {isa!r}, _C.gemm_isa()\n"
            "t.check_all(); print('ok')")
    r = run_forced(isa, code)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr


def test_default_kernel_is_the_widest_the_cpu_runs():
    r = run_forced("", "from pynn import _C; print(_C.gemm_isa())")
    assert r.returncode == 0, r.stderr
    flags = cpu_flags()
    if not flags:
        pytest.skip("no /proc/cpuinfo flags to compare with")
    want = [isa for isa in ("avx512", "avx2", "generic") if ISA_FLAGS[isa] <= flags][0]
    assert r.stdout.strip() == want


@pytest.mark.parametrize("isa", ["avx512", "nonsense", ""])
def test_forced_isa_falls_back(isa):
    r = run_forced(isa, "from pynn import _C; import numpy as np\n"
                        "a = np.ones((40, 50), np.float32)\n"
                        "assert (_C.sgemm(a, a, trans_b=True) == 50).all()\n"
                        "print(_C.gemm_isa())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in ("avx512", "avx2", "generic")


def test_alpha_beta_and_nan_garbage():
    check_all(shapes=[])


@pytest.mark.parametrize("M,N,K", [(0, 5, 3), (4, 0, 3), (0, 0, 0), (4, 5, 0)])
def test_empty_dims(M, N, K):
    a = np.ones((M, K), np.float32)
    b = np.ones((K, N), np.float32)
    c = _C.sgemm(a, b)
    assert c.shape == (M, N)
    np.testing.assert_array_equal(c, np.zeros((M, N), np.float32))
    # K == 0: C = beta * C
    out = np.full((M, N), 3.0, np.float32)
    _C.sgemm(a, b, alpha=1.0, beta=0.5, out=out)
    np.testing.assert_array_equal(out, np.full((M, N), 1.5, np.float32))


# ------------------------------------------------------------ a row alone and in a batch
def rows_alone_match_batch():
    """Each row of op(A) @ op(B), computed alone (the one-row kernels), in small
    batches (the unpacked path, short tiles) and in the whole batch (packed),
    must be the same bits: a sample's output does not depend on its batch."""
    rng = np.random.default_rng(5)
    for K in (1, 7, 255, 256, 257, 300, 513, 784, 1024):
        for N in (1, 10, 33, 130, 1024):
            for ta in (False, True):
                for tb in (False, True):
                    M = 40
                    a, b = operands(rng, M, N, K, ta, tb)
                    full = _C.sgemm(a, b, trans_a=ta, trans_b=tb)
                    for i0, rows in ((0, 1), (17, 1), (39, 1), (3, 2), (5, 7), (20, 13)):
                        part = np.ascontiguousarray(a[:, i0:i0 + rows] if ta else a[i0:i0 + rows])
                        got = _C.sgemm(part, b, trans_a=ta, trans_b=tb)
                        assert got.tobytes() == full[i0:i0 + rows].tobytes(), (M, N, K, ta, tb, i0, rows)


def test_rows_alone_match_batch():
    rows_alone_match_batch()


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_rows_alone_match_batch_and_isas_agree(isa):
    """The same property on every x86 kernel, and the two give the same bits."""
    skip_unless_cpu_runs(isa)
    code = ("import numpy as np, test_gemm as t\nfrom pynn import _C\n"
            "t.rows_alone_match_batch()\n"
            "rng = np.random.default_rng(9)\n"
            "a, b = t.operands(rng, 37, 300, 784, False, True)\n"
            "print(_C.gemm_isa(), _C.sgemm(a, b, trans_b=True).tobytes().hex())")
    r = run_forced(isa, code)
    assert r.returncode == 0, r.stderr[-2000:]
    got_isa, got = r.stdout.split()
    assert got_isa == isa
    a, b = operands(np.random.default_rng(9), 37, 300, 784, False, True)
    assert got == _C.sgemm(a, b, trans_b=True).tobytes().hex(), f"{isa} and {_C.gemm_isa()} differ"


def gemv_widths_match_batch():
    """The one-row kernels cover N in strips of 16/8/4/2/1 vectors and a masked
    tail (onerow_avx512.c): every mix of them, and K split into kc blocks, keeps
    each row's bits equal to the same row inside a tiled batch product."""
    rng = np.random.default_rng(13)
    for K in (3, 256, 600):
        for N in (15, 16, 17, 48, 64, 100, 128, 255, 256, 257, 496, 600):
            a, b = operands(rng, 24, N, K, False, False)
            full = _C.sgemm(a, b)
            check(a, b, False, False)
            for i in (0, 11, 23):
                got = _C.sgemm(np.ascontiguousarray(a[i:i + 1]), b)
                assert got.tobytes() == full[i:i + 1].tobytes(), (N, K, i)
            out = rng.standard_normal((1, N)).astype(np.float32)  # beta: accumulates onto C
            ref = _C.sgemm(np.ascontiguousarray(a[:2]), b, alpha=0.5, beta=-2.0,
                           out=np.concatenate([out, out]))
            got = _C.sgemm(np.ascontiguousarray(a[:1]), b, alpha=0.5, beta=-2.0, out=out.copy())
            assert got.tobytes() == ref[:1].tobytes(), (N, K, "beta")


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_gemv_widths_match_batch(isa):
    skip_unless_cpu_runs(isa)
    r = run_forced(isa, "import test_gemm as t\nfrom pynn import _C\n"
                        f"assert _C.gemm_isa() == {isa!r}\nt.gemv_widths_match_batch()")
    assert r.returncode == 0, r.stderr[-2000:]


def columns_match_wider_products():
    """A column of C has the same bits whether A was read in place (N <= 512 on
    the AVX-512 kernel) or packed (wider N; or a row stride of 4 KB): the tiled
    path's two ways of feeding the kernel sum identically, K blocks included."""
    rng = np.random.default_rng(11)
    for M, N, K in ((301, 300, 784), (1030, 256, 784), (97, 500, 600), (260, 40, 1024)):
        a = rng.standard_normal((M, K)).astype(np.float32)
        b = rng.standard_normal((K, 1100)).astype(np.float32)
        wide = _C.sgemm(a, b)
        narrow = _C.sgemm(a, np.ascontiguousarray(b[:, :N]))
        assert narrow.tobytes() == np.ascontiguousarray(wide[:, :N]).tobytes(), (M, N, K)
        check(a, np.ascontiguousarray(b[:, :N]), False, False)


def test_columns_match_wider_products():
    columns_match_wider_products()


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_columns_match_wider_products_on_every_x86_kernel(isa):
    skip_unless_cpu_runs(isa)
    r = run_forced(isa, "import test_gemm as t\nfrom pynn import _C\n"
                        f"assert _C.gemm_isa() == {isa!r}\nt.columns_match_wider_products()")
    assert r.returncode == 0, r.stderr[-2000:]


def one_column_matches_wider_products():
    """N == 1 (a Dense(1) head; its weight gradient dW = X^T dY) runs as the
    one-row product C^T = op(B)^T op(A)^T through the GEMV: each element must keep
    the bits the tiles give it as column 0 of a wider product, alpha, beta and K
    blocks included, whatever the layouts."""
    rng = np.random.default_rng(21)
    for M, K in ((2, 3), (40, 1), (1024, 64), (1024, 10), (333, 257), (64, 1024), (5000, 784)):
        for ta in (False, True):
            for tb in (False, True):
                a, b = operands(rng, M, 3, K, ta, tb)
                b1 = np.ascontiguousarray(b[:1] if tb else b[:, :1])
                wide = _C.sgemm(a, b, trans_a=ta, trans_b=tb)
                got = _C.sgemm(a, b1, trans_a=ta, trans_b=tb)
                assert got.tobytes() == np.ascontiguousarray(wide[:, :1]).tobytes(), (M, K, ta, tb)
                c0 = rng.standard_normal((M, 3)).astype(np.float32)
                wide = _C.sgemm(a, b, trans_a=ta, trans_b=tb, alpha=0.5, beta=-2.0, out=c0.copy())
                got = _C.sgemm(a, b1, trans_a=ta, trans_b=tb, alpha=0.5, beta=-2.0,
                               out=np.ascontiguousarray(c0[:, :1]))
                assert got.tobytes() == np.ascontiguousarray(wide[:, :1]).tobytes(), (M, K, ta, tb, "beta")
                check(a, b1, ta, tb)


def test_one_column_matches_wider_products():
    one_column_matches_wider_products()


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("threads", [1, 3])
def test_one_column_matches_wider_products_on_every_kernel(isa, threads):
    skip_unless_cpu_runs(isa)
    r = run_forced(isa, "import test_gemm as t, pynn\nfrom pynn import _C\n"
                        f"pynn.set_num_threads({threads})\n"
                        f"assert _C.gemm_isa() == {isa!r}\nt.one_column_matches_wider_products()")
    assert r.returncode == 0, r.stderr[-2000:]


def test_rank1_is_the_rounded_product():
    """K == 1 (a one-row batch's weight gradient): each element is a*b rounded once."""
    rng = np.random.default_rng(3)
    for M, N in ((1, 1), (5, 37), (784, 1024), (3, 8)):
        a = rng.standard_normal((M, 1)).astype(np.float32)
        b = rng.standard_normal((1, N)).astype(np.float32)
        np.testing.assert_array_equal(_C.sgemm(a, b), a * b)
        at = np.ascontiguousarray(a.T)  # the dW = x^T dy layout: trans_a
        np.testing.assert_array_equal(_C.sgemm(at, b, trans_a=True), a * b)


# ------------------------------------------------------------ threads
@pytest.mark.parametrize("M,N,K,ta,tb", [(2048, 64, 300, False, False), (128, 784, 256, False, True),
                                         (784, 256, 128, True, False), (500, 500, 500, True, True),
                                         (97, 1000, 13, False, False), (1, 5000, 300, False, False),
                                         (1, 3000, 700, False, True), (3000, 700, 1, True, False),
                                         (2310, 4100, 520, False, False),
                                         # an MLP's first layer at batch 1030: rows split into
                                         # tiles before columns (gemm.c plan_tiles)
                                         (1030, 256, 784, False, False)])
def test_thread_count_does_not_change_bits(M, N, K, ta, tb):
    a, b = operands(np.random.default_rng(7), M, N, K, ta, tb)
    saved = _C.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3, 1):
            _C.set_num_threads(n)
            assert _C.get_num_threads() == n
            results.append(_C.sgemm(a, b, trans_a=ta, trans_b=tb).tobytes())
    finally:
        _C.set_num_threads(saved)
    assert all(r == results[0] for r in results)
    if M * N * K > 10**9:  # the block sequence of every loop level at once
        got = np.frombuffer(results[0], np.float32).reshape(M, N)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        err = np.abs(got - a64 @ b64)
        assert np.all(err <= (K + 4) * EPS32 * (np.abs(a64) @ np.abs(b64))), float(err.max())


def test_num_threads_env_and_fork():
    code = ("import os, numpy as np\nfrom pynn import _C\n"
            "assert _C.get_num_threads() == 3, _C.get_num_threads()\n"
            "a = np.ones((300, 300), np.float32); ref = _C.sgemm(a, a)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    ok = (_C.sgemm(a, a) == ref).all()\n"
            "    os._exit(0 if ok else 1)\n"
            "_, st = os.waitpid(pid, 0)\n"
            "assert os.waitstatus_to_exitcode(st) == 0\n"
            "assert (_C.sgemm(a, a) == ref).all(); print('ok')")
    env = dict(os.environ, PYNN_NUM_THREADS="3",
               PYTHONPATH=PYNN_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=TESTS,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


# ------------------------------------------------------------ bad input
def test_shape_mismatch_names_both_shapes():
    a = np.ones((3, 4), np.float32)
    b = np.ones((5, 6), np.float32)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 6\)"):
        _C.sgemm(a, b)
    with pytest.raises(ValueError, match=r"\(3, 4\) transposed"):
        _C.sgemm(a, b, trans_a=True)


@pytest.mark.parametrize("bad", [np.ones((3, 3)), np.ones((3, 3), np.int32), [[1.0]]])
def test_non_float32_is_type_error(bad):
    good = np.ones((3, 3), np.float32)
    with pytest.raises(TypeError, match="float32|ndarray"):
        _C.sgemm(bad, good)
    with pytest.raises(TypeError, match="float32|ndarray"):
        _C.sgemm(good, bad)


def test_layout_and_out_errors():
    a = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="2-D"):
        _C.sgemm(np.ones(4, np.float32), a)
    with pytest.raises(ValueError, match="contiguous"):
        _C.sgemm(np.ones((4, 8), np.float32)[:, ::2], a)
    with pytest.raises(ValueError, match=r"out has shape"):
        _C.sgemm(a, a, out=np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match="overlap"):
        _C.sgemm(a, a, out=a)


def test_set_num_threads_rejects_nonpositive():
    for n in (0, -3):
        with pytest.raises(ValueError, match=">= 1"):
            _C.set_num_threads(n)
    assert _C.get_num_threads() >= 1
    assert _C.gemm_isa() in ("avx512", "avx2", "generic")


# ------------------------------------------------------------ peak FMA (benchmarks' yardstick)
@pytest.mark.parametrize("isa", sorted(ISA_FLAGS))
def test_fma_peak_measures_what_the_cpu_runs(isa):
    g = _C.fma_peak(isa, threads=1, seconds=0.03)
    if ISA_FLAGS[isa] - cpu_flags():
        assert g is None  # the CPU lacks the ISA: no figure rather than a crash
    else:
        # positive and at least 10 MFLOP/s (the ASan build's scalar loop runs at
        # ~0.5 GFLOP/s), at most 64 flop/cycle at 10 GHz
        assert isinstance(g, float) and 0.01 < g < 640.0, g


@pytest.mark.parametrize("kwargs,match", [
    (dict(isa="sse9"), "isa must be 'avx512', 'avx2' or 'generic', got 'sse9'"),
    (dict(isa="avx2", threads=0), "threads must be in 1..64, got 0"),
    (dict(isa="avx2", seconds=-1.0), r"seconds must be in \(0, 60\], got -1"),
    (dict(isa="avx2", seconds=float("nan")), "seconds must be in"),
])
def test_fma_peak_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=f"fma_peak: {match}"):
        _C.fma_peak(**kwargs)
