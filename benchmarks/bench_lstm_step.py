"""CPU time of case d's training step (Embedding(10000, 64)-LSTM(128)-Dense(2),
sequence 64, batch 32, Adam), one thread, A/B between pynn builds.

Each build runs in its own process (PYTHONPATH=<build dir>) with PYNN_NUM_THREADS=1
and OPENBLAS_NUM_THREADS=1 (NumPy's BLAS threads would otherwise spin in the
process's CPU time after the initialisers); the builds alternate for --rounds
rounds, and each process reports the median over --epochs epochs of
time.process_time() per step. CPU time, not wall clock, so that a shared,
loaded machine measures the work and not the queue; the load average is printed
before and after.

    python benchmarks/bench_lstm_step.py                        # this checkout alone
    python benchmarks/bench_lstm_step.py --other /path/to/main  # A/B, in-place builds
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, statistics, sys, time
import numpy as np
import pynn
L = pynn.layers
steps, epochs = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(3)  # the data of benchmarks/workloads.py case_d
x = rng.integers(1, 10000, (32 * steps, 64)).astype(np.float32)
y = rng.integers(0, 2, 32 * steps).astype(np.float32)
pynn.utils.set_random_seed(0)
m = pynn.Sequential([pynn.Input(shape=(64,)), L.Embedding(10000, 64), L.LSTM(128), L.Dense(2)])
m.compile(optimizer="adam", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)  # plan, pack, warm up
per_step = []
for _ in range(epochs):
    t0 = time.process_time()
    m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    per_step.append((time.process_time() - t0) / steps)
print(json.dumps({"median": statistics.median(per_step), "min": min(per_step),
                  "pynn": pynn.__file__}))
"""


def run_build(path, steps, epochs):
    env = dict(os.environ, PYTHONPATH=path, PYNN_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1")
    # run from the build's directory: `python -c` puts the working directory first
    # on sys.path, which would otherwise import whichever pynn the caller stands in
    out = subprocess.run([sys.executable, "-c", CHILD, str(steps), str(epochs)], env=env, cwd=path,
                         capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if not res["pynn"].startswith(os.path.join(path, "")):
        raise RuntimeError(f"{path}: the child imported {res['pynn']}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", help="another in-place pynn build to compare against (e.g. main)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20, help="steps per epoch")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per process")
    args = ap.parse_args()
    builds = {"this": HERE}
    if args.other:
        builds["other"] = os.path.abspath(args.other)
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    res = {k: [] for k in builds}
    for r in range(args.rounds):
        order = list(builds) if r % 2 == 0 else list(builds)[::-1]
        for k in order:
            res[k].append(run_build(builds[k], args.steps, args.epochs)["median"] * 1e3)
        print(f"round {r + 1}: " + ", ".join(f"{k} {res[k][-1]:.2f} ms" for k in builds), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for k, v in res.items():
        print(f"{k:5s} ({builds[k]}): CPU ms per step, median {statistics.median(v):.2f} "
              f"(min {min(v):.2f}, max {max(v):.2f}) over {len(v)} rounds")
    if args.other:
        ratios = [o / t for t, o in zip(res["this"], res["other"])]
        print(f"other / this per round: median {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()
