"""The CNN of case c, single-thread CPU time per call, fair under load.

    python benchmarks/cnn_cpu_time.py [--cases e5,e6,c] [--rounds 9]
                                      [--baseline /path/to/another/pynn/tree] [--torch]

Why CPU time: on a shared machine wall-clock time measures the other users as
much as the code. Every contestant runs one thread (pynn PYNN_NUM_THREADS=1,
onnxruntime intra_op_num_threads=1 with spinning off, PyTorch set_num_threads(1))
in a persistent worker process of its own, and reports `time.process_time()` per
call (all of its threads' CPU time, so a helper thread cannot hide work). The
contestants of a case are timed in alternation, round after round, so a drift
of the machine (caches, frequency, a neighbour's FMA load on the shared core)
reaches all of them alike; the table gives the median over rounds and the
min-max spread, the ratio of medians, and the median and range of the
round-by-round ratios.

Contestants: pynn from this tree; pynn from --baseline (another source tree
with its extension built in place, e.g. `git archive main | tar -x -C /tmp/base`,
then `python setup.py build_ext --inplace` there) for A/B of a change;
onnxruntime on pynn.export's ONNX graph of the same weights (inference cases);
PyTorch with --torch (same architecture and weights; its own layouts).

Cases: e5 one-sample inference (`model(x)`), e6 inference on a batch of 1024
(`predict`), c one training step (Adam, batch 64, Fashion-MNIST; measured over
an epoch of 10 steps and divided).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES = {"e5": "one sample", "e6": "batch of 1024", "c": "training step, batch 64"}
CALLS = {"e5": 400, "e6": 3, "c": 1}  # calls per round and contestant (c: one epoch of 10 steps)
C_STEPS = 10


# ------------------------------------------------------------------ worker side
def _worker(kind, root):
    import numpy as np
    if kind in ("pynn", "onnxruntime"):
        sys.path.insert(0, root)
        import pynn  # this tree's or the baseline's: imported before workloads can add ROOT
        assert os.path.dirname(os.path.dirname(pynn.__file__)) == root, pynn.__file__
        pynn.set_num_threads(1)
    sys.path.insert(0, HERE)
    import workloads as wl
    if kind == "torch":
        import torch
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    fns = {}
    for case in ("e5", "e6"):
        x = wl._infer_inputs("cnn", 1 if case == "e5" else 1024)
        if kind == "pynn":
            m = wl.pynn_cnn(wl.cnn_weights())
            fns[case] = (lambda m=m, x=x: m(x)) if case == "e5" else \
                (lambda m=m, x=x: m.predict(x, batch_size=1024, verbose=0))
        elif kind == "onnxruntime":
            run = wl.ort_session(wl.pynn_cnn(wl.cnn_weights()), 1)
            fns[case] = lambda run=run, x=x: run(x)
        else:
            m = wl.torch_cnn(wl.cnn_weights()).eval()
            xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())

            def fn(m=m, xt=xt):
                with torch.no_grad():
                    return m(xt).numpy()
            fns[case] = fn
    if kind in ("pynn", "torch"):
        fns["c"] = _train_step(kind, wl, np)
    for line in sys.stdin:
        case = line.strip()
        fn = fns.get(case)
        if fn is None:
            print(json.dumps(None), flush=True)
            continue
        fn()  # warm: plans, caches
        t0 = time.process_time()
        for _ in range(CALLS[case]):
            fn()
        per = (time.process_time() - t0) / CALLS[case] / (C_STEPS if case == "c" else 1)
        print(json.dumps(per), flush=True)


def _train_step(kind, wl, np):
    """One epoch of C_STEPS Adam steps at batch 64 (case c of run.py)."""
    import pynn
    (x, y), _ = pynn.datasets.fashion_mnist.load_data()
    x = (x[:64 * C_STEPS].astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    y = y[:64 * C_STEPS].astype(np.int64)
    w = wl.cnn_weights()
    if kind == "pynn":
        m = wl.pynn_cnn(w)
        m.compile(optimizer="adam", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        yf = y.astype(np.float32)
        return lambda: m.fit(x, yf, batch_size=64, epochs=1, shuffle=False, verbose=0)
    import torch
    m = wl.torch_cnn(w)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)
    lossf = torch.nn.CrossEntropyLoss()

    def epoch():
        for i in range(C_STEPS):
            opt.zero_grad()
            lossf(m(xt[i * 64:(i + 1) * 64]), yt[i * 64:(i + 1) * 64]).backward()
            opt.step()
    return epoch


# ------------------------------------------------------------------ driver side
class Worker:
    def __init__(self, label, kind, root):
        env = dict(os.environ, PYNN_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", PYTHONPATH=root)
        self.label = label
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", kind, root],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)

    def time(self, case):
        self.p.stdin.write(case + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def fmt(s):
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="e5,e6,c")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--baseline", help="another pynn source tree, built in place")
    ap.add_argument("--torch", action="store_true", help="PyTorch as a contestant too")
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--json", help="write the per-round figures here")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return _worker(*args.worker)
    specs = [("pynn", "pynn", ROOT)]
    if args.baseline:
        specs.append(("pynn baseline", "pynn", os.path.abspath(args.baseline)))
    if not args.no_ort:
        specs.append(("onnxruntime", "onnxruntime", ROOT))
    if args.torch:
        specs.append(("PyTorch", "torch", ROOT))
    load0 = os.getloadavg()[0]
    workers = [Worker(*s) for s in specs]
    cases = args.cases.split(",")
    times = {c: {w.label: [] for w in workers} for c in cases}
    for r in range(args.rounds):
        for c in cases:
            order = workers if r % 2 == 0 else workers[::-1]
            for w in order:
                t = w.time(c)
                if t is not None:
                    times[c][w.label].append(t)
    for w in workers:
        w.close()
    load1 = os.getloadavg()[0]
    print(f"single-thread CPU time per call, {args.rounds} alternating rounds (median, min-max); "
          f"load average (1 min) {load0:.2f} before, {load1:.2f} after on {os.cpu_count()} CPUs")
    for c in cases:
        print(f"\n{c} ({CASES[c]})")
        base = times[c]["pynn"]
        for label, ts in times[c].items():
            if not ts:
                continue
            med = statistics.median(ts)
            ratio = ""
            if label != "pynn":  # also round by round: both timed moments apart
                per = [t / p for p, t in zip(base, ts)]
                ratio = (f"  {med / statistics.median(base):.2f}x pynn's time (per round "
                         f"{statistics.median(per):.2f}x, {min(per):.2f}-{max(per):.2f})")
            print(f"  {label:14s} {fmt(med):>10s} ({fmt(min(ts))} - {fmt(max(ts))}){ratio}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load0, "load_after": load1, "times": times}, f, indent=1)


if __name__ == "__main__":
    main()
