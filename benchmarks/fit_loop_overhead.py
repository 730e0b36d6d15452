"""Per-epoch setup cost of fit: many tiny epochs (one batch each), where the cost of
entering the compiled loop is not hidden behind compute.

A/B between two source trees (each built in place), interleaved round by round so
the load of a shared machine falls on both alike:

    python benchmarks/fit_loop_overhead.py --a /path/to/main --b . --rounds 9

prints, per tree, the median time per epoch (and the min..max over the rounds).
One tree alone: ``python benchmarks/fit_loop_overhead.py --worker`` prints its
microseconds per epoch (JSON)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

EPOCHS = 200


def worker():
    import numpy as np
    import pynn
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(4, activation="relu"),
                             pynn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)  # trace, build the optimizer
    out = {}
    for name, kw in (("fit", {}), ("fit+metric", {"metrics": ["mae"]})):
        if kw:
            model.compile(optimizer="adam", loss="mse", **kw)
            model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        t0 = time.perf_counter()
        model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0)
        out[name] = (time.perf_counter() - t0) / EPOCHS * 1e6
    print(json.dumps(out))


def driver(trees, rounds):
    times = {t: {} for t in trees}
    for r in range(rounds):
        for tree in (trees if r % 2 == 0 else trees[::-1]):
            env = dict(os.environ, PYTHONPATH=os.path.abspath(tree), PYNN_NUM_THREADS="1")
            res = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker"], env=env,
                                 capture_output=True, text=True, check=True, cwd="/")
            for case, us in json.loads(res.stdout).items():
                times[tree].setdefault(case, []).append(us)
    for tree in trees:
        for case, us in times[tree].items():
            print(f"{tree:40s} {case:12s} median {statistics.median(us):8.1f} us/epoch "
                  f"(min {min(us):.1f}, max {max(us):.1f}, {len(us)} rounds)")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true")
    p.add_argument("--a")
    p.add_argument("--b")
    p.add_argument("--rounds", type=int, default=9)
    args = p.parse_args()
    if args.worker:
        worker()
    else:
        driver([args.a, args.b], args.rounds)
