"""SGEMM speed: pynn._C.sgemm vs NumPy float32 matmul (its BLAS) and
onnxruntime's MatMul (MLAS; skipped when onnxruntime/onnx are absent).

All run in one process with the same thread count, in alternation sample by
sample, so the ratio is the figure (absolute times on shared machines are
noise). Every figure is also given as a fraction of the machine's measured FMA
peak for the active kernel's vectors and the thread count (_C.fma_peak: a
register-only FMA loop), with min/median/max over the samples and the load
average before and after (a warning above 0.5 per core).

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

from machine_load import CoreSharingProbe

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
    # the inference batch of case e4 (benchmarks/run.py): first and second Dense layer
    ("infer X@W 1024x784 @ 784x256", 1024, 256, 784, False, False),
    ("infer H@W 1024x256 @ 256x128", 1024, 128, 256, False, False),
]


# Idle OpenBLAS threads keep spinning (sched_yield) for ~2^28 cycles after a
# call, taking a core from whatever runs next; pynn's idle workers spin 0.2 ms.
# Pausing between samples measures each library without the other's leftovers.
SETTLE = 0.3
MAX_RETAKES = 3  # per alternated sample, when the threads lacked as many cores' FMA rate


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


def ort_matmul(threads):
    """A function (a, b) -> a @ b through an onnxruntime MatMul session, or None."""
    try:
        import onnxruntime as ort
        from onnx import TensorProto, helper
    except ImportError:
        return None
    sessions = {}

    def run(a, b):
        key = (a.shape, b.shape)
        if key not in sessions:
            A = helper.make_tensor_value_info("A", TensorProto.FLOAT, list(a.shape))
            B = helper.make_tensor_value_info("B", TensorProto.FLOAT, list(b.shape))
            Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [a.shape[0], b.shape[1]])
            g = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["Y"])], "mm", [A, B], [Y])
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
            m.ir_version = 8
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sessions[key] = ort.InferenceSession(m.SerializeToString(), so,
                                                 providers=["CPUExecutionProvider"])
        return sessions[key].run(None, {"A": a, "B": b})[0]
    return run


def load_note(before, after):
    per_core = max(before, after) / (os.cpu_count() or 1)
    note = f"load average (1 min) {before:.2f} before, {after:.2f} after"
    if per_core > 0.5:
        note += f" -- WARNING: {per_core:.2f} per core > 0.5, the machine was shared"
    return note


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

    load_before = os.getloadavg()[0]
    isa = _C.gemm_isa()
    peak1 = _C.fma_peak(isa, threads=1, seconds=0.5)
    probe = CoreSharingProbe(threads)
    # the best of a few: a window where the CPUs share a core would halve the reference
    peak = max(_C.fma_peak(isa, threads=threads, seconds=1.0) for _ in range(3))
    retaken = 0
    ort = ort_matmul(threads)
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
        # onnxruntime's MatMul takes op(A), op(B) as plain row-major arrays: transposes
        # are materialised once, outside the timing (its cost is not counted)
        ac, bc = np.ascontiguousarray(at), np.ascontiguousarray(bt)

        fns = {"pynn": lambda: _C.sgemm(a, b, trans_a=ta, trans_b=tb),
               "numpy": lambda: np.matmul(at, bt)}
        if ort is not None:
            fns["onnxruntime"] = lambda: ort(ac, bc)
        times = {k: [] for k in fns}
        for _ in range(repeats):  # alternated so drifts hit every side alike
            for attempt in range(1 + MAX_RETAKES):
                ok = probe.full()
                sample = {}
                for k, f in fns.items():
                    sample[k] = timeit(f)
                    time.sleep(SETTLE)
                if probe.full() and ok:
                    break
                retaken += attempt < MAX_RETAKES
            for k, t in sample.items():
                times[k].append(t)
        flops = 2.0 * M * N * K
        row = dict(shape=name, M=M, N=N, K=K, trans_a=ta, trans_b=tb, rel_err=err)
        for k, ts in times.items():
            g = [flops / t / 1e9 for t in ts]
            row[k] = dict(gflops_median=median(g), gflops_min=min(g), gflops_max=max(g),
                          peak_frac_median=median(g) / peak if peak else None,
                          us_median=median(ts) * 1e6)
        for k in fns:
            if k != "pynn":
                row[f"pynn_over_{k}"] = median(times[k]) / median(times["pynn"])
        rows.append(row)
    load_after = os.getloadavg()[0]

    sides = [k for k in ("pynn", "numpy", "onnxruntime") if k in rows[0]]
    print(f"\nSGEMM, {threads} thread(s), kernel {isa}; measured FMA peak ({isa} vectors) "
          f"{peak:.1f} GFLOP/s on {threads} thread(s), {peak1:.1f} on one; "
          f"{load_note(load_before, load_after)}\n" if peak else
          f"\nSGEMM, {threads} thread(s), kernel {isa}; {load_note(load_before, load_after)}\n")
    print(f"GFLOP/s median (min-max) of {repeats} alternated samples; % of the measured peak "
          "from the median; ratios pynn speed / peer speed from the medians; "
          f"{retaken} samples retaken because {threads} threads lacked {threads} cores' FMA rate "
          "during them.\n")
    head = ["shape"] + [f"{k} GFLOP/s" for k in sides] + [f"{k} % peak" for k in sides] + \
           [f"pynn/{k}" for k in sides[1:]]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for r in rows:
        cells = [r["shape"]]
        cells += [f"{r[k]['gflops_median']:.1f} ({r[k]['gflops_min']:.0f}-{r[k]['gflops_max']:.0f})"
                  for k in sides]
        cells += [f"{100 * r[k]['peak_frac_median']:.0f}%" if peak else "-" for k in sides]
        cells += [f"{r['pynn_over_' + k]:.2f}x" for k in sides[1:]]
        print("| " + " | ".join(cells) + " |")

    out = dict(threads=threads, isa=isa, fma_peak_gflops=peak, fma_peak_gflops_1thread=peak1,
               numpy_version=np.__version__, machine=platform.machine(),
               threadpoolctl=limited is not None, repeats=repeats, samples_retaken=retaken, load_before=load_before,
               load_after=load_after, results=rows)
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
