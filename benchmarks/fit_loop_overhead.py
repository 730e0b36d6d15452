"""Per-epoch setup cost of fit: many tiny epochs (one batch each), where the cost of
entering the compiled loop is not hidden behind compute.

A/B between two source trees (each built in place), interleaved round by round so
the load of a shared machine falls on both alike:

    python benchmarks/fit_loop_overhead.py --a /path/to/main --b . --rounds 9

prints, per tree, the median time per epoch (and the min..max over the rounds).
One tree alone: ``python benchmarks/fit_loop_overhead.py --worker`` prints its
microseconds per epoch (JSON). ``--engine`` (this tree, which has `_C.Loop`) times
one epoch of one batch through the engine alone: a Loop built, run and closed per
epoch (`_C.run_loop`, what fit did before) against one run of a Loop built once."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

EPOCHS = 1000
REPEATS = 5  # fits per worker; the worker reports their median


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
        times = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0)
            times.append((time.perf_counter() - t0) / EPOCHS * 1e6)
        out[name] = statistics.median(times)
    print(json.dumps(out))


def engine(rounds=9, calls=2000):
    import numpy as np
    import pynn
    from pynn import _C
    x = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    y = x[:, :1].copy()
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(4, activation="relu"),
                             pynn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    e = next(v for k, v in model._programs.items() if k[0] == "train")
    data = [x, y, np.ones(16, np.float32)]
    acc = np.zeros(max(1, sum(s.size for s in e["stats"])), np.float64)
    args = (e["prog"], e["loss"], e["slots"], data, None, 16, 0, 1, True, model.optimizer,
            model._grads, e["stats"], acc, [], [], False)
    per_call = {"run_loop (build+run+close)": [], "Loop.run (built once)": []}
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            _C.run_loop(*args)
        per_call["run_loop (build+run+close)"].append((time.perf_counter() - t0) / calls * 1e6)
        with model._open_loop(e, train=True) as loop:
            t0 = time.perf_counter()
            for _ in range(calls):
                loop.run(data, 16, 0, 1, acc=acc)
            per_call["Loop.run (built once)"].append((time.perf_counter() - t0) / calls * 1e6)
    for name, us in per_call.items():
        print(f"{name:28s} median {statistics.median(us):7.2f} us/epoch "
              f"(min {min(us):.2f}, max {max(us):.2f}, {rounds} rounds of {calls})")


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
    p.add_argument("--engine", action="store_true")
    p.add_argument("--a")
    p.add_argument("--b")
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args()
    if args.worker:
        worker()
    elif args.engine:
        engine(args.rounds)
    else:
        driver([args.a, args.b], args.rounds)
