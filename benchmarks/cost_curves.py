"""Cost curves: how the time of one epoch grows with the work, pynn and PyTorch.

    python benchmarks/cost_curves.py [--quick] [--repeats 3] [--threads 1,2]

Three sweeps, each at every thread count given:
- batch size 1..4096: MLP 784-256-256-10, SGD momentum, one epoch of 4096 rows;
- width 64..4096: MLP 784-W-W-10, batch 128, one epoch of 2048 rows;
- sequence length 16..512: Embedding(10000, 64)-LSTM(128)-Dense(2), Adam, batch 32,
  one epoch of 128 sequences.
Both frameworks run in this one process, in alternation point by point (pynn,
torch, pynn, torch, ...), same data, initial weights, optimizer and threads; each
point gives min/median/max over the repeats. The load average is recorded
before and after (a warning above 0.5 per core). Writes
benchmarks/results/cost_curves.json and one PNG per sweep (matplotlib; skipped
with a message when it is absent). PyTorch absent: pynn's curves alone.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

SWEEPS = {
    "batch": dict(values=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
                  quick=[1, 8, 64, 512], xlabel="batch size",
                  title="MLP 784-256-256-10, SGD momentum: one epoch of 4096 rows"),
    "width": dict(values=[64, 128, 256, 512, 1024, 2048, 4096], quick=[64, 256, 1024],
                  xlabel="hidden width W",
                  title="MLP 784-W-W-10, batch 128: one epoch of 2048 rows"),
    "seq_len": dict(values=[16, 32, 64, 128, 256, 512], quick=[16, 64],
                    xlabel="sequence length",
                    title="Embedding-LSTM(128)-Dense(2), batch 32: one epoch of 128 sequences"),
}


def mlp_setup(width, batch, rows, fw):
    import workloads
    sizes = [784, width, width, 10]
    w = workloads.mlp_weights(sizes)
    rng = np.random.default_rng(0)
    x = rng.random((rows, 784), dtype=np.float32)
    y = rng.integers(0, 10, rows)
    if fw == "pynn":
        import pynn
        m = workloads.pynn_mlp(sizes, ["relu", "relu", "linear"], w)
        m.compile(optimizer=pynn.optimizers.SGD(0.01, momentum=0.9),
                  loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        yf = y.astype(np.float32)
        return lambda: m.fit(x, yf, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    import torch
    m = workloads.torch_mlp(sizes, ["relu", "relu", None], w)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lossf = torch.nn.CrossEntropyLoss()

    def epoch():
        for i in range(0, rows, batch):
            opt.zero_grad()
            lossf(m(xt[i:i + batch]), yt[i:i + batch]).backward()
            opt.step()
    return epoch


def lstm_setup(seq_len, fw):
    import workloads
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10000, (128, seq_len))
    y = rng.integers(0, 2, 128)
    if fw == "pynn":
        import pynn
        L = pynn.layers
        pynn.utils.set_random_seed(0)
        m = pynn.Sequential([pynn.Input(shape=(seq_len,)), L.Embedding(10000, 64), L.LSTM(128),
                             L.Dense(2)])
        m.compile(optimizer="adam",
                  loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        xf, yf = x.astype(np.float32), y.astype(np.float32)
        return lambda: m.fit(xf, yf, batch_size=32, epochs=1, shuffle=False, verbose=0)
    import torch
    m = workloads.TorchLSTM()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lossf = torch.nn.CrossEntropyLoss()

    def epoch():
        for i in range(0, 128, 32):
            opt.zero_grad()
            lossf(m(xt[i:i + 32]), yt[i:i + 32]).backward()
            opt.step()
    return epoch


def setup(sweep, value, fw):
    if sweep == "batch":
        return mlp_setup(256, value, 4096, fw)
    if sweep == "width":
        return mlp_setup(value, 128, 2048, fw)
    return lstm_setup(value, fw)


def set_threads(n, frameworks):
    import pynn
    pynn.set_num_threads(n)
    if "torch" in frameworks:
        import torch
        torch.set_num_threads(n)


def measure(sweep, values, threads, frameworks, repeats):
    points = []
    for value in values:
        fns = {}
        for fw in frameworks:
            fns[fw] = setup(sweep, value, fw)
            fns[fw]()  # warm-up: plans, allocations, lazy imports
        times = {fw: [] for fw in frameworks}
        for _ in range(repeats):
            for fw in frameworks:  # alternated so drifts hit both alike
                t0 = time.perf_counter()
                fns[fw]()
                times[fw].append(time.perf_counter() - t0)
        point = {"x": value}
        for fw, ts in times.items():
            point[fw] = dict(median=statistics.median(ts), min=min(ts), max=max(ts))
        if "torch" in point:
            point["torch_over_pynn"] = point["torch"]["median"] / point["pynn"]["median"]
        print(f"{sweep}={value} threads={threads}: " + ", ".join(
            f"{fw} {point[fw]['median'] * 1e3:.1f} ms" for fw in frameworks)
            + (f", torch/pynn {point['torch_over_pynn']:.2f}x" if "torch" in point else ""),
            flush=True)
        points.append(point)
    return points


def plot(results, frameworks, outdir, note):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: JSON written, no PNG (pip install matplotlib)")
        return []
    paths = []
    for sweep, by_threads in results.items():
        fig, (ax, ax_r) = plt.subplots(1, 2, figsize=(11, 4))
        for threads, points in by_threads.items():
            xs = [p["x"] for p in points]
            for fw, style in (("pynn", "-o"), ("torch", "--s")):
                if fw not in frameworks:
                    continue
                med = [p[fw]["median"] for p in points]
                lo = [p[fw]["min"] for p in points]
                hi = [p[fw]["max"] for p in points]
                line, = ax.plot(xs, med, style, label=f"{fw}, {threads} thread(s)")
                ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2)
            if "torch" in frameworks:
                ax_r.plot(xs, [p["torch_over_pynn"] for p in points], "-o",
                          label=f"{threads} thread(s)")
        for a in (ax, ax_r):
            a.set_xscale("log", base=2)
            a.set_xlabel(SWEEPS[sweep]["xlabel"])
            a.grid(True, which="both", alpha=0.3)
        ax.set_yscale("log")
        ax.set_ylabel("seconds per epoch (median, min-max band)")
        ax.legend(fontsize=8)
        ax_r.axhline(1.0, color="k", lw=0.8)
        ax_r.set_ylabel("PyTorch time / pynn time (above 1: pynn faster)")
        ax_r.legend(fontsize=8)
        fig.suptitle(f"{SWEEPS[sweep]['title']}\n{note}", fontsize=9)
        fig.tight_layout()
        path = os.path.join(outdir, f"cost_{sweep}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few points per sweep (smoke run)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--sweeps", default=",".join(SWEEPS))
    args = ap.parse_args()
    frameworks = ["pynn"]
    try:
        import torch  # noqa: F401
        frameworks.append("torch")
    except ImportError:
        print("PyTorch is not installed: pynn's curves alone")
    load_before = os.getloadavg()[0]
    results = {}
    for sweep in args.sweeps.split(","):
        values = SWEEPS[sweep]["quick" if args.quick else "values"]
        results[sweep] = {}
        for threads in (int(t) for t in args.threads.split(",")):
            set_threads(threads, frameworks)
            results[sweep][threads] = measure(sweep, values, threads, frameworks, args.repeats)
    load_after = os.getloadavg()[0]
    per_core = max(load_before, load_after) / (os.cpu_count() or 1)
    if per_core > 0.5:
        print(f"WARNING: load average {per_core:.2f} per core > 0.5 during the run: the machine "
              "was shared, the curves are noisy")
    from pynn import _C
    outdir = os.path.join(HERE, "results")
    os.makedirs(outdir, exist_ok=True)
    out = dict(frameworks=frameworks, gemm_isa=_C.gemm_isa(), cpu_count=os.cpu_count(),
               load_before=load_before, load_after=load_after, repeats=args.repeats,
               sweeps={k: dict(SWEEPS[k], points=v) for k, v in results.items()})
    path = os.path.join(outdir, "cost_curves.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {os.path.relpath(path, ROOT)}")
    note = (f"{os.cpu_count()} cores, GEMM kernel {_C.gemm_isa()}, load average "
            f"{load_before:.2f} before / {load_after:.2f} after"
            + (" (shared machine: noisy)" if per_core > 0.5 else ""))
    for p in plot(results, frameworks, outdir, note):
        print(f"wrote {os.path.relpath(p, ROOT)}")


if __name__ == "__main__":
    main()
