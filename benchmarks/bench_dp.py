"""DP-SGD overhead: pynn plain fit vs pynn DPSGD, and PyTorch plain vs Opacus, on
the same MLP, data, batch size, learning rate and thread count, in one run.

    python benchmarks/bench_dp.py [--threads N] [--repeats R] [--epochs E]

Model: Dense 30-64-32-1 (ReLU, sigmoid output), binary cross-entropy, SGD lr 0.05,
batch 64 on 4096 synthetic examples. DP: l2_norm_clip 1.0, noise_multiplier 1.0,
Poisson sampling (q = 64 / 4096) in both libraries. The figures are seconds per
epoch (median of the repeats, runs interleaved) and the ratios DP / plain within
each library; absolute times on a shared machine are noise, ratios less so.
pynn DPSGD runs three times: with its defaults (ghost clipping for this MLP, noise
from the ziggurat stream v2), with the Box-Muller stream v1 of earlier releases
(stream_version=1), and forced to replay every example at batch size 1
(clipping_mode="replay"). The two headline figures are the DP overheads, pynn's
(DPSGD / plain) and Opacus' (Opacus / torch plain); runners are interleaved
round by round, min / median / max are reported and the load average is
recorded before and after (a warning past 0.5 per core). Opacus
(`pip install --no-deps opacus==1.5.2 opt_einsum` next to NumPy 2; see the
`bench` extra) and torch are skipped when absent. Writes
benchmarks/results/dp.json.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

N, D, BATCH, LR, CLIP, SIGMA = 4096, 30, 64, 0.05, 1.0, 1.0


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) + 0.5 * rng.standard_normal(N) > 0).astype(np.float32)
    return x, y


def init_weights():
    rng = np.random.default_rng(1)
    shapes = [(D, 64), (64,), (64, 32), (32,), (32, 1), (1,)]
    return [(rng.standard_normal(s) * (0.1 if len(s) == 2 else 0.0)).astype(np.float32) for s in shapes]


# ------------------------------------------------------------------ pynn
def pynn_runner(private, epochs, clipping_mode="auto", stream_version=2):
    import pynn
    x, y = data()
    model = pynn.Sequential([pynn.Input(shape=(D,)), pynn.layers.Dense(64, activation="relu"),
                             pynn.layers.Dense(32, activation="relu"),
                             pynn.layers.Dense(1, activation="sigmoid")])
    model.set_weights(init_weights())
    opt = pynn.privacy.DPSGD(l2_norm_clip=CLIP, noise_multiplier=SIGMA, learning_rate=LR, seed=0,
                             clipping_mode=clipping_mode, stream_version=stream_version) if private else pynn.optimizers.SGD(LR)
    model.compile(optimizer=opt, loss="binary_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # warm-up: traces the program

    def run():
        model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    run.path = getattr(opt, "clipping_path", None)
    return run


# ------------------------------------------------------------------ torch / Opacus
def torch_runner(private, epochs):
    import torch
    x, y = data()
    net = torch.nn.Sequential(torch.nn.Linear(D, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32),
                              torch.nn.ReLU(), torch.nn.Linear(32, 1), torch.nn.Sigmoid())
    w = init_weights()
    with torch.no_grad():
        for layer, (k, b) in zip((net[0], net[2], net[4]), zip(w[::2], w[1::2])):
            layer.weight.copy_(torch.from_numpy(k.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y[:, None])),
        batch_size=BATCH, shuffle=True)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    if private:
        import opacus
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net, optimizer, loader = opacus.PrivacyEngine().make_private(
                module=net, optimizer=optimizer, data_loader=loader, noise_multiplier=SIGMA,
                max_grad_norm=CLIP, poisson_sampling=True)
    loss_fn = torch.nn.BCELoss()

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(epochs):
                for xb, yb in loader:
                    optimizer.zero_grad()
                    loss_fn(net(xb), yb).backward()
                    optimizer.step()
    run()  # warm-up
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()

    import pynn
    pynn.set_num_threads(args.threads)
    runners = {"pynn plain": pynn_runner(False, args.epochs), "pynn DPSGD": pynn_runner(True, args.epochs),
               "pynn DPSGD stream v1": pynn_runner(True, args.epochs, stream_version=1),
               "pynn DPSGD replay": pynn_runner(True, args.epochs, "replay")}
    versions = {"pynn": pynn.__version__}
    try:
        import torch
        torch.set_num_threads(args.threads)
        versions["torch"] = torch.__version__
        runners["torch plain"] = torch_runner(False, args.epochs)
        try:
            import opacus
            versions["opacus"] = opacus.__version__
            runners["torch + Opacus"] = torch_runner(True, args.epochs)
        except ImportError:
            print("opacus is not installed: skipped")
    except ImportError:
        print("torch is not installed: skipped")

    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    times = {k: [] for k in runners}
    for _ in range(args.repeats):  # interleaved, so load changes hit every runner alike
        for name, run in runners.items():
            t = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - t) / args.epochs)
    med = {k: statistics.median(v) for k, v in times.items()}
    load_after = os.getloadavg()[0]

    paths = {k: r.path for k, r in runners.items() if getattr(r, "path", None)}
    print(f"\nDP clipping paths: {paths}")
    print(f"\nMLP {D}-64-32-1, batch {BATCH}, {N} examples, {args.threads} thread(s), "
          f"median of {args.repeats} (seconds per epoch)\n")
    print("| runner | s/epoch | min | max |")
    print("|---|---|---|---|")
    for k in runners:
        print(f"| {k} | {med[k]:.4f} | {min(times[k]):.4f} | {max(times[k]):.4f} |")
    ratios = {"pynn DP overhead (DPSGD / plain)": med["pynn DPSGD"] / med["pynn plain"],
              "pynn DP overhead, noise stream v1 (v1 / plain)": med["pynn DPSGD stream v1"] / med["pynn plain"],
              "pynn DP overhead, replay path (replay / plain)": med["pynn DPSGD replay"] / med["pynn plain"]}
    if "torch + Opacus" in med:
        ratios["Opacus overhead (Opacus / torch plain)"] = med["torch + Opacus"] / med["torch plain"]
        ratios["Opacus / pynn DPSGD (time)"] = med["torch + Opacus"] / med["pynn DPSGD"]
    if "torch plain" in med:
        ratios["torch plain / pynn plain (time)"] = med["torch plain"] / med["pynn plain"]
    print()
    for k, v in ratios.items():
        print(f"- {k}: {v:.2f}x")
    # the overheads' spread: each round's DP / plain, same round (interleaved)
    spread = {}
    for dp, plain in (("pynn DPSGD", "pynn plain"), ("torch + Opacus", "torch plain")):
        if dp in times:
            r = sorted(a / b for a, b in zip(times[dp], times[plain]))
            spread[f"{dp} / {plain}"] = r
            print(f"- per-round {dp} / {plain}: min {r[0]:.2f}x, median {statistics.median(r):.2f}x, "
                  f"max {r[-1]:.2f}x")
    print(f"\nload average: {load_before:.2f} before, {load_after:.2f} after, on {cores} cores")
    if max(load_before, load_after) > 0.5 * cores:
        print("warning: the machine was loaded (> 0.5 per core): the figures are noisy")

    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "dp.json"), "w") as f:
        json.dump({"machine": platform.machine(), "python": platform.python_version(),
                   "threads": args.threads, "repeats": args.repeats, "epochs": args.epochs,
                   "versions": versions, "clipping_paths": paths, "seconds_per_epoch": times, "median": med,
                   "ratios": ratios, "per_round_ratios": spread, "load_average": [load_before, load_after],
                   "cores": cores}, f, indent=1)


if __name__ == "__main__":
    main()
