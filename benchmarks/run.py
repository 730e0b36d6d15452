"""pynn against its peers on identical work, in one run.

    python benchmarks/run.py [--cases a,b,c,d,e,g] [--threads 2] [--quick]

Every (case, framework) runs in its own subprocess (so peak memory is that
framework's alone) with the same architecture, initial weights, data, batch size,
optimizer, step count and thread count. Prints a markdown table of medians and
ratios (peer time / pynn time: above 1 means pynn is faster), each framework's
peak memory (ru_maxrss of its subprocess, imports included) and writes
benchmarks/results/latest.json. Peers: PyTorch CPU eager, Keras 3 on the torch
backend (where installed), NumPy's BLAS (GEMM case: benchmarks/bench_gemm.py).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CASES = {
    "a": "MLP 10-128-64-1, Adam, batch 32, BCE (time per training step)",
    "b": "Fashion-MNIST MLP 784-256-128-10, SGD momentum, batch 128, one epoch",
    "c": "CNN Conv(32,3)-Pool-Conv(64,3)-Pool-Dense(128)-Dense(10), batch 64 (per step)",
    "d": "Embedding(10000,64)-LSTM(128)-Dense(2), seq 64, batch 32 (per step)",
    "e1": "inference latency, one sample, model a",
    "e2": "inference latency, one sample, model b",
    "e3": "inference, batch of 1024, model a",
    "e4": "inference, batch of 1024, model b",
    "g": "import time",
}


def worker(case, framework, threads, quick):
    import workloads
    return workloads.run(case, framework, threads, quick)


def spawn(case, framework, threads, quick):
    env = dict(os.environ, PYNN_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               KERAS_BACKEND="torch",
               PYTHONPATH=os.pathsep.join(filter(None, [os.path.dirname(HERE),
                                                         os.environ.get("PYTHONPATH")])))
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
    mod = {"torch": "torch", "keras": "keras"}[framework]
    p = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True,
                       env=dict(os.environ, KERAS_BACKEND="torch"))
    return p.returncode == 0


def fmt_time(s):
    if s is None:
        return "n/a"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=2)
    ap.add_argument("--cases", default="a,b,c,d,e1,e2,e3,e4,g")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    args = ap.parse_args()
    if args.worker:
        res = worker(args.worker[0], args.worker[1], args.threads, args.quick)
        print(json.dumps(res))
        return
    frameworks = [f for f in ("pynn", "torch", "keras") if available(f)]
    results = {}
    for case in args.cases.split(","):
        results[case] = {}
        for fw in frameworks:
            if fw == "keras" and case not in ("a", "b", "c", "d", "g"):
                continue
            print(f"running {case} on {fw} ...", file=sys.stderr, flush=True)
            results[case][fw] = spawn(case, fw, args.threads, args.quick)
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    header = (f"Machine: {cpu}, {os.cpu_count()} cores, {args.threads} threads for every "
              f"framework; Python {platform.python_version()}")
    lines = [header, "",
             "| case | work | pynn | PyTorch | Keras | PyTorch / pynn | Keras / pynn | "
             "peak MB pynn / torch / keras |",
             "|---|---|---|---|---|---|---|---|"]
    for case, by_fw in results.items():
        p = by_fw.get("pynn", {}).get("median")
        t = by_fw.get("torch", {}).get("median")
        k = by_fw.get("keras", {}).get("median")
        r_t = f"{t / p:.1f}×" if p and t else "n/a"
        r_k = f"{k / p:.1f}×" if p and k else "n/a"
        mem = "/".join(f"{by_fw.get(fw, {}).get('peak_mb', 0):.0f}" if by_fw.get(fw, {}).get("peak_mb")
                       else "n/a" for fw in ("pynn", "torch", "keras"))
        errs = "; ".join(f"{fw}: {v['error']}" for fw, v in by_fw.items() if "error" in v)
        lines.append(f"| {case} | {CASES.get(case, case)} | {fmt_time(p)} | {fmt_time(t)} | "
                     f"{fmt_time(k)} | {r_t} | {r_k} | {mem} |" + (f" {errs}" if errs else ""))
    table = "\n".join(lines)
    print(table)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as f:
        json.dump({"header": header, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
