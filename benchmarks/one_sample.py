"""One-sample inference per entry point -- model(x) (what case e1/e2 of run.py times),
predict and predict_on_batch (what a Keras user calls) -- on the MLPs of cases a and b,
as wall time and as the calling thread's CPU time, which a loaded machine disturbs
far less (the thread pool's workers are not counted: use --threads 1 to compare CPU).

A/B between two source trees (each built in place), interleaved round by round:

    python benchmarks/one_sample.py --a /path/to/main --b . --rounds 5 --threads 1

One tree alone: ``python benchmarks/one_sample.py --worker`` prints JSON."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(threads, reps=2000):
    sys.path.insert(0, HERE)
    import numpy as np
    import pynn
    from workloads import A_ACTS, A_SIZES, B_ACTS, B_SIZES, mlp_weights, pynn_mlp
    pynn.set_num_threads(threads)
    out = {}
    for name, sizes, acts in (("a", A_SIZES, A_ACTS), ("b", B_SIZES, B_ACTS)):
        m = pynn_mlp(sizes, [a or "linear" for a in acts], mlp_weights(sizes))
        x = np.random.default_rng(4).standard_normal((1, sizes[0])).astype(np.float32)
        for call, fn in (("model(x)", lambda: m(x)), ("predict", lambda: m.predict(x, verbose=0)),
                         ("predict_on_batch", lambda: m.predict_on_batch(x))):
            for _ in range(200):
                fn()
            walls, cpus = [], []
            for _ in range(5):
                t0, c0 = time.perf_counter(), time.thread_time()
                for _ in range(reps // 5):
                    fn()
                walls.append((time.perf_counter() - t0) / (reps // 5) * 1e6)
                cpus.append((time.thread_time() - c0) / (reps // 5) * 1e6)
            out[f"{name} {call}"] = [statistics.median(walls), statistics.median(cpus)]
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker", action="store_true")
    p.add_argument("--a")
    p.add_argument("--b")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.worker:
        worker(args.threads)
        return
    trees = [os.path.abspath(t) for t in (args.a, args.b) if t] or [os.path.dirname(HERE)]
    results = {t: [] for t in trees}
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    for _ in range(args.rounds):
        for tree in trees:
            env = dict(os.environ, PYTHONPATH=tree)
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                                  "--threads", str(args.threads)], env=env, cwd=tree,
                                 capture_output=True, text=True, check=True).stdout
            results[tree].append(json.loads(out))
    for key in results[trees[0]][0]:
        for tree in trees:
            wall = [r[key][0] for r in results[tree]]
            cpu = [r[key][1] for r in results[tree]]
            print(f"{tree:28.28s} {key:20s} wall median {statistics.median(wall):7.2f} us "
                  f"({min(wall):.2f}-{max(wall):.2f}), thread CPU median "
                  f"{statistics.median(cpu):7.2f} us ({min(cpu):.2f}-{max(cpu):.2f})")
    print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
