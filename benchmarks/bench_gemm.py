"""SGEMM speed: pynn._C.sgemm vs NumPy float32 matmul (its BLAS), side by side.

Both run in one process with the same thread count, interleaved shape by shape,
so the ratio is the figure (absolute times on shared machines are noise).

    python benchmarks/bench_gemm.py [--threads N] [--repeats R] [--quick]

Prints a markdown table and writes benchmarks/results/gemm.json.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (name, M, N, K, trans_a, trans_b); op(A) is M x K, op(B) is K x N.
SHAPES = [
    ("square 256", 256, 256, 256, False, False),
    ("square 512", 512, 512, 512, False, False),
    ("square 1024", 1024, 1024, 1024, False, False),
    ("square 2048", 2048, 2048, 2048, False, False),
    ("fwd X@W 128x784 @ 784x256", 128, 256, 784, False, False),
    ("dW = X^T dY 784x128 @ 128x256", 784, 256, 128, True, False),
    ("dX = dY W^T 128x256 @ 256x784", 128, 784, 256, False, True),
    ("tiny MLP 32x10 @ 10x128", 32, 128, 10, False, False),
]


# Idle OpenBLAS threads keep spinning (sched_yield) for ~2^28 cycles after a
# call, taking a core from whatever runs next; pynn's idle workers spin 0.2 ms.
# Pausing between samples measures each library without the other's leftovers.
SETTLE = 0.3


def cpu_ghz():
    """Nominal clock from /proc/cpuinfo (first 'cpu MHz'), else None."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1]) / 1000.0
    except OSError:
        pass
    return None


def timeit(fn, min_time=0.05):
    """Seconds per call: calls are batched so one sample lasts >= min_time."""
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt >= min_time:
            return dt / n
        n = max(n * 2, int(n * min_time / max(dt, 1e-9)) + 1)


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def run(threads, repeats, quick):
    import numpy as np

    sys.path.insert(0, ROOT)
    from pynn import _C

    _C.set_num_threads(threads)
    limited = None
    try:  # keeps NumPy's BLAS at the same thread count when available
        from threadpoolctl import threadpool_limits

        limited = threadpool_limits(limits=threads)
    except ImportError:
        pass

    ghz = cpu_ghz()
    peak = threads * ghz * 32 if ghz else None  # 2 FMA units x 8 lanes x 2 flops
    rng = np.random.default_rng(0)
    rows = []
    shapes = [s for s in SHAPES if not (quick and s[1] * s[2] * s[3] > 1024**3)]
    for name, M, N, K, ta, tb in shapes:
        a = rng.standard_normal((K, M) if ta else (M, K), dtype=np.float32)
        b = rng.standard_normal((N, K) if tb else (K, N), dtype=np.float32)
        at, bt = (a.T if ta else a), (b.T if tb else b)
        ref = at.astype(np.float64) @ bt.astype(np.float64)
        got = _C.sgemm(a, b, trans_a=ta, trans_b=tb)
        err = float(np.abs(got - ref).max() / max(1.0, np.abs(ref).max()))

        def f_pn():
            _C.sgemm(a, b, trans_a=ta, trans_b=tb)

        def f_np():
            np.matmul(at, bt)

        t_pn, t_np = [], []
        for _ in range(repeats):  # interleaved so drifts hit both alike
            t_pn.append(timeit(f_pn))
            time.sleep(SETTLE)
            t_np.append(timeit(f_np))
            time.sleep(SETTLE)
        flops = 2.0 * M * N * K
        g_pn, g_np = flops / median(t_pn) / 1e9, flops / median(t_np) / 1e9
        b_pn, b_np = flops / min(t_pn) / 1e9, flops / min(t_np) / 1e9
        rows.append(dict(shape=name, M=M, N=N, K=K, trans_a=ta, trans_b=tb,
                         pynn_gflops=g_pn, numpy_gflops=g_np, ratio=g_pn / g_np,
                         pynn_best_gflops=b_pn, numpy_best_gflops=b_np, best_ratio=b_pn / b_np,
                         pynn_peak_frac=g_pn / peak if peak else None,
                         numpy_peak_frac=g_np / peak if peak else None,
                         pynn_us=median(t_pn) * 1e6, numpy_us=median(t_np) * 1e6,
                         rel_err=err))

    print(f"\nSGEMM, {threads} thread(s), kernel {_C.gemm_isa()}, "
          f"peak {peak:.1f} GFLOP/s ({ghz:.2f} GHz x {threads} cores x 32 flop/cycle)\n"
          if peak else f"\nSGEMM, {threads} thread(s), kernel {_C.gemm_isa()}\n")
    print("Medians of interleaved samples; 'best' ratio uses each side's fastest sample "
          "(less sensitive to other load on a shared machine).\n")
    print("| shape | pynn GFLOP/s | NumPy GFLOP/s | pynn/NumPy | best pynn/NumPy "
          "| pynn % peak | NumPy % peak | pynn us |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        pp = f"{100 * r['pynn_peak_frac']:.0f}%" if peak else "-"
        npp = f"{100 * r['numpy_peak_frac']:.0f}%" if peak else "-"
        print(f"| {r['shape']} | {r['pynn_gflops']:.1f} | {r['numpy_gflops']:.1f} | "
              f"{r['ratio']:.2f}x | {r['best_ratio']:.2f}x | {pp} | {npp} | {r['pynn_us']:.1f} |")

    out = dict(threads=threads, isa=_C.gemm_isa(), cpu_ghz=ghz, peak_gflops=peak,
               numpy_version=np.__version__, machine=platform.machine(),
               threadpoolctl=limited is not None, repeats=repeats, results=rows)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", "gemm.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
    print(f"\nwrote {os.path.relpath(path, ROOT)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="skip 2048^3")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if not args.child:
        # OpenBLAS reads its thread count when NumPy is imported: set it (and
        # pynn's) in a fresh interpreter so both sides use the same count.
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads),
                   OMP_NUM_THREADS=str(args.threads), PYNN_NUM_THREADS=str(args.threads))
        cmd = [sys.executable, os.path.abspath(__file__), "--child",
               "--threads", str(args.threads), "--repeats", str(args.repeats)]
        if args.quick:
            cmd.append("--quick")
        sys.exit(subprocess.call(cmd, env=env))
    run(args.threads, args.repeats, args.quick)


if __name__ == "__main__":
    main()
