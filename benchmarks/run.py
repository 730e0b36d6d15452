"""pynn against its peers on identical work, in one run.

    python benchmarks/run.py [--cases a,b,...] [--threads 2] [--rounds 3] [--quick] [--readme]

Every (case, framework) runs in its own subprocess (so peak memory is that
framework's alone) with the same architecture, initial weights, data, batch size,
optimizer, step count and thread count. The frameworks of a case run in
alternation, `--rounds` times (pynn, torch, ..., pynn, torch, ...), so a drift in
the machine's load hits all of them alike; each round's figure is that process's
median, and the table gives the median over rounds with the min-max spread.
Ratios are peer time / pynn time (above 1: pynn is faster), from the medians.
The load average is recorded before and after, with a warning above 0.5 per core.

Peers: PyTorch CPU eager, Keras 3 on the torch backend, onnxruntime (inference:
pynn.export's ONNX graph of the same model and weights, spinning off),
scikit-learn's MLPClassifier (the tabular case t), each skipped when absent;
NumPy's BLAS and onnxruntime's MatMul for the GEMM: benchmarks/bench_gemm.py.

--readme rewrites the table in README.md between the speed-table markers (run it
on a quiet machine: the README's claims are those figures). Writes
benchmarks/results/latest.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

from machine_load import CoreSharingProbe, MachineLoad

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

CASES = {
    "a": "MLP 10-128-64-1, Adam, batch 32, BCE (time per training step)",
    "b": "Fashion-MNIST MLP 784-256-128-10, SGD momentum, batch 128, one epoch",
    "c": "CNN Conv(32,3)-Pool-Conv(64,3)-Pool-Dense(128)-Dense(10), batch 64 (per step)",
    "d": "Embedding(10000,64)-LSTM(128)-Dense(2), seq 64, batch 32 (per step)",
    "t": "tabular MLP 20-128-64-1, Adam, batch 64, one epoch of 10,000 rows",
    "e1": "inference latency, one sample, model a",
    "e2": "inference latency, one sample, model b",
    "e3": "inference, batch of 1024, model a",
    "e4": "inference, batch of 1024, model b",
    "e5": "inference latency, one sample, CNN of c",
    "e6": "inference, batch of 1024, CNN of c",
    "e7": "inference latency, one sample, LSTM of d",
    "e8": "inference, batch of 1024, LSTM of d",
    "g": "import time",
}
FRAMEWORKS = ("pynn", "torch", "keras", "onnxruntime", "sklearn")
NAMES = {"pynn": "pynn", "torch": "PyTorch", "keras": "Keras", "onnxruntime": "onnxruntime",
         "sklearn": "scikit-learn"}
MODULE = {"torch": "torch", "keras": "keras", "onnxruntime": "onnxruntime", "sklearn": "sklearn"}
MAX_RETAKES = 3  # per sample, when the CPUs shared a core during it
START, END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"


def runs_case(fw, case):
    """Which peer takes part in which case."""
    if fw in ("pynn", "torch"):
        return True
    if fw == "keras":
        return case in ("a", "b", "c", "d", "g")
    if fw == "onnxruntime":
        return case.startswith("e")
    return case == "t"  # sklearn


def spawn(case, framework, threads, quick):
    env = dict(os.environ, PYNN_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               KERAS_BACKEND="torch",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, os.path.join(HERE, "run.py"), "--worker", case, framework,
           "--threads", str(threads)] + (["--quick"] if quick else [])
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:200]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def available(framework):
    if framework == "pynn":
        return True
    p = subprocess.run([sys.executable, "-c", f"import {MODULE[framework]}"], capture_output=True,
                       env=dict(os.environ, KERAS_BACKEND="torch"))
    return p.returncode == 0


def versions(frameworks):
    code = ("import importlib, json, sys; out = {}\n"
            "for m in sys.argv[1:]:\n"
            "    try: out[m] = importlib.import_module(m).__version__\n"
            "    except Exception: pass\n"
            "print(json.dumps(out))")
    mods = ["numpy"] + [MODULE[f] for f in frameworks if f != "pynn"]
    p = subprocess.run([sys.executable, "-c", code] + mods, capture_output=True, text=True,
                       env=dict(os.environ, KERAS_BACKEND="torch"))
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def machine():
    """CPU model, core count and the SIMD flags that choose pynn's kernels."""
    cpu, flags = "unknown CPU", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown CPU":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    have = set(line.split(":", 1)[1].split())
                    flags = [x for x in ("avx2", "fma", "avx512f", "avx512_bf16") if x in have]
    except OSError:
        pass
    return cpu, flags


def fmt_time(s):
    if s is None:
        return "n/a"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def summary(samples):
    """median, min, max of one (case, framework)'s per-round figures, or Nones."""
    xs = [s["median"] for s in samples if "median" in s]
    if not xs:
        return None, None, None
    return statistics.median(xs), min(xs), max(xs)


def table(results, frameworks):
    peers = [f for f in frameworks if f != "pynn"]
    head = ["case", "work", "pynn (min-max)"] + [f"{NAMES[f]} (min-max)" for f in peers] + \
           [f"{NAMES[f]} / pynn" for f in peers] + ["peak MB " + " / ".join(NAMES[f] for f in frameworks)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, by_fw in results.items():
        stats = {fw: summary(by_fw.get(fw, [])) for fw in frameworks}
        cells = [case, CASES.get(case, case)]
        for fw in frameworks:
            med, lo, hi = stats[fw]
            cells.append("n/a" if med is None else f"{fmt_time(med)} ({fmt_time(lo)}-{fmt_time(hi)})")
        p = stats["pynn"][0]
        for fw in peers:
            t = stats[fw][0]
            cells.append(f"{t / p:.2f}×" if p and t else "n/a")
        mem = []
        for fw in frameworks:
            mb = [s["peak_mb"] for s in by_fw.get(fw, []) if "peak_mb" in s]
            mem.append(f"{max(mb):.0f}" if mb else "n/a")
        cells.append("/".join(mem))
        errs = "; ".join(f"{fw}: {s['error']}" for fw, ss in by_fw.items() for s in ss[:1]
                         if "error" in s)
        lines.append("| " + " | ".join(cells) + " |" + (f" {errs}" if errs else ""))
    return "\n".join(lines)


def write_readme(text):
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        readme = f.read()
    if START not in readme or END not in readme:
        raise SystemExit(f"README.md has no {START} ... {END} markers to replace")
    a, rest = readme.split(START, 1)
    _, b = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(a + START + "\n" + text + "\n" + END + b)
    print(f"rewrote the speed table in {os.path.relpath(path)}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=2)
    ap.add_argument("--cases", default="a,b,c,d,t,e1,e2,e3,e4,e5,e6,e7,e8,g")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="alternations per case")
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    ap.add_argument("--readme", action="store_true", help="rewrite README.md's speed table")
    args = ap.parse_args()
    if args.worker:
        import workloads
        print(json.dumps(workloads.run(args.worker[0], args.worker[1], args.threads, args.quick)))
        return
    frameworks = [f for f in FRAMEWORKS if available(f)]
    missing = [NAMES[f] for f in FRAMEWORKS if f not in frameworks]
    if missing:
        print(f"skipped (not installed): {', '.join(missing)}", file=sys.stderr)
    sys.path.insert(0, ROOT)
    probe = CoreSharingProbe(args.threads)
    load = MachineLoad()
    results, retaken, still_shared = {}, 0, 0
    for case in args.cases.split(","):
        results[case] = {}
        for r in range(args.rounds):
            for fw in frameworks:
                if not runs_case(fw, case):
                    continue
                print(f"{case} round {r + 1}/{args.rounds}: {fw} ...", file=sys.stderr, flush=True)
                for attempt in range(1 + MAX_RETAKES):
                    ok = probe.full()
                    sample = spawn(case, fw, args.threads, args.quick)
                    ok = probe.full() and ok
                    if ok:
                        break
                    retaken += attempt < MAX_RETAKES
                    still_shared += attempt == MAX_RETAKES
                    print(f"  {args.threads} threads lacked {args.threads} cores' FMA rate during the sample: "
                          + ("retaking it" if attempt < MAX_RETAKES else "kept"), file=sys.stderr)
                results[case].setdefault(fw, []).append(sample)
    load.stop()
    cpu, flags = machine()
    vers = versions(frameworks)
    from pynn import _C
    sharing = (f"; {retaken} samples retaken because {args.threads} threads lacked {args.threads} "
               f"cores' FMA rate during them (a 0.1 s FMA probe before and after each sample; on "
               f"a quiet machine, the cloud host placing both CPUs on one physical core)" + (f", {still_shared} kept after {MAX_RETAKES} retakes"
                                  if still_shared else "")) if probe.one else ""
    header = (f"Machine: {cpu}, {os.cpu_count()} cores ({', '.join(flags) or 'no AVX'}), "
              f"{args.threads} threads for every framework, pynn GEMM kernel {_C.gemm_isa()}; "
              f"Python {platform.python_version()}, "
              + ", ".join(f"{k} {v}" for k, v in vers.items())
              + f"; {args.rounds} alternating rounds per case (median, min-max); "
              + load.note() + sharing + ".")
    text = header + "\n\n" + table(results, frameworks)
    print(text)
    if "WARNING" in header:
        print(header[header.index("WARNING"):], file=sys.stderr)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as f:
        json.dump({"header": header, **load.record(), "samples_retaken": retaken,
               "samples_kept_shared": still_shared,
                   "results": results}, f, indent=1)
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
