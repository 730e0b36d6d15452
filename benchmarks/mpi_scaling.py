"""Data-parallel scaling on MPI: examples per second at 1, 2 and 4 processes of
one thread each, the scaling efficiency, and the time spent in the gradient
allreduce per step; then what the allreduce would cost on N machines.

    python benchmarks/mpi_scaling.py [--procs 1 2 4] [--epochs 3] [--batch 256]

Model: Dense 784-256-256-10 (ReLU, softmax), Adam, sparse categorical
cross-entropy, global batch 256, on 12,288 Fashion-MNIST training images (random
images of the same shape when /usr/share/datasets/fashion-mnist is absent).
Every run is `mpiexec -n P --oversubscribe python mpi_scaling.py --worker` with
PYNN_NUM_THREADS=OMP_NUM_THREADS=1; the first epoch is a warm-up, the others are
timed by process 0; the arena's allreduce is also timed alone. More processes than cores are oversubscribed: the processes
then share cores and the figures show the cost of that, not a speed-up (the
machine's core count is printed). Writes benchmarks/results/mpi_scaling.json.
"""
import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

N = 12288
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def data():
    if os.path.exists(FASHION):
        with gzip.open(FASHION) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:N]
        with gzip.open(FASHION.replace("images-idx3", "labels-idx1")) as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)[:N]
        return (x / 255.0).astype(np.float32), y.astype(np.int64), "fashion-mnist"
    rng = np.random.default_rng(0)
    return rng.random((N, 784), np.float32), rng.integers(0, 10, N), "random"


def worker(args):
    import pynn
    from pynn.distribution import _world
    pynn.set_num_threads(1)
    pynn.distribution.initialize()
    pynn.distribution.set_distribution(pynn.distribution.DataParallel())
    x, y, source = data()
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(784,)), pynn.layers.Dense(256, activation="relu"),
                             pynn.layers.Dense(256, activation="relu"),
                             pynn.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    n_params = model.count_params()
    spent = {"seconds": 0.0, "calls": 0}
    plain = _world.World.allreduce_

    def timed(self, arr, op="sum"):  # only the gradient arena's allreduce is counted
        t0 = time.perf_counter()
        out = plain(self, arr, op)
        if arr.size == n_params:
            spent["seconds"] += time.perf_counter() - t0
            spent["calls"] += 1
        return out

    _world.World.allreduce_ = timed
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)  # warm-up
    spent.update(seconds=0.0, calls=0)
    t0 = time.perf_counter()
    h = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - t0
    _world.World.allreduce_ = plain
    # the allreduce alone: all processes start it together (a barrier first), so the
    # time is the communication's, not waiting for a slower process
    isolated = []
    world = pynn.distribution.distribution()._world
    if world is not None:
        buf = np.ones(n_params, np.float32)
        for _ in range(30):
            world.barrier()
            t1 = time.perf_counter()
            world.allreduce_(buf)
            isolated.append(time.perf_counter() - t1)
    if pynn.distribution.process_id() == 0:
        steps = args.epochs * ((N + args.batch - 1) // args.batch)
        print("RESULT " + json.dumps({
            "processes": pynn.distribution.num_processes(), "seconds": seconds,
            "examples_per_second": N * args.epochs / seconds,
            "allreduce_ms_per_step": 1e3 * spent["seconds"] / steps if spent["calls"] else 0.0,
            "allreduce_calls": spent["calls"],
            "isolated_allreduce_ms": 1e3 * float(np.median(isolated)) if isolated else 0.0, "steps": steps, "params": n_params,
            "loss": h.history["loss"][-1], "data": source}), flush=True)


def ring_paragraph(n_params, per_step_compute_s, batch):
    """The allreduce of an N-machine job, from the ring algorithm's cost model."""
    nbytes = 4 * n_params
    lines = [f"Gradient arena: {n_params:,} float32 = {nbytes / 1e6:.2f} MB allreduced per step.",
             "A ring allreduce over N machines sends and receives 2 (N - 1) / N of it per "
             "machine, in 2 (N - 1) messages: time = 2 (N - 1) alpha + 2 (N - 1) / N * bytes / bandwidth.",
             "With alpha = 50 us (TCP) and 10 Gbit/s Ethernet (1.25 GB/s):"]
    for n in (2, 4, 8, 16, 64):
        t = 2 * (n - 1) * 50e-6 + 2 * (n - 1) / n * nbytes / 1.25e9
        share = t / (t + per_step_compute_s / n)
        lines.append(f"  N = {n:>2}: {1e3 * t:6.2f} ms per step, {2 * (n - 1) / n * nbytes / 1e6:.2f} MB "
                     f"per machine; with the measured one-process compute of "
                     f"{1e3 * per_step_compute_s:.1f} ms per global batch of {batch} split N ways, "
                     f"communication is {100 * share:.0f}% of the step")
    lines.append("The bandwidth term stays below 2 x bytes / bandwidth however large N is; the "
                 "latency term grows with N, which is why Horovod fuses all gradients into one "
                 "buffer (pynn's arena is one already) and large jobs use larger global batches.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpi_scaling: no mpiexec; pip install 'pynn-dl[mpi]'")
    env = dict(os.environ, PYNN_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows = []
    for p in args.procs:
        cmd = [mpiexec, "-n", str(p), "--oversubscribe", sys.executable, os.path.abspath(__file__),
               "--worker", "--epochs", str(args.epochs), "--batch", str(args.batch)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
        rows.append(json.loads(line[7:]))
    base = rows[0]["examples_per_second"] / rows[0]["processes"]
    cores = os.cpu_count()
    print(f"mpi_scaling: {rows[0]['params']:,} parameters, global batch {args.batch}, "
          f"{args.epochs} timed epochs of {N} {rows[0]['data']} examples, 1 thread per process, "
          f"{cores} cores")
    print(f"{'processes':>9} {'examples/s':>11} {'speed-up':>9} {'efficiency':>10} "
          f"{'allreduce ms/step':>18} {'alone ms':>9} {'loss':>7}")
    for r in rows:
        r["speedup"] = r["examples_per_second"] / rows[0]["examples_per_second"]
        r["efficiency"] = r["examples_per_second"] / (base * r["processes"])
        print(f"{r['processes']:>9} {r['examples_per_second']:>11.0f} {r['speedup']:>9.2f} "
              f"{r['efficiency']:>10.0%} {r['allreduce_ms_per_step']:>18.2f} "
              f"{r['isolated_allreduce_ms']:>9.2f} {r['loss']:>7.4f}"
              + ("  (oversubscribed)" if r["processes"] > cores else ""))
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {cores} cores (other work "
          f"on the machine slows the processes unevenly; 'allreduce ms/step' includes waiting "
          f"for the slowest, 'alone ms' is the median of 30 allreduces started together)")
    per_step = rows[0]["seconds"] / rows[0]["steps"]
    paragraph = ring_paragraph(rows[0]["params"], per_step, args.batch)
    print()
    print(paragraph)
    with open(os.path.join(HERE, "results", "mpi_scaling.json"), "w") as f:
        json.dump({"rows": rows, "cores": cores, "batch": args.batch, "epochs": args.epochs,
                   "machine": platform.processor() or platform.machine(),
                   "command": "python benchmarks/mpi_scaling.py", "n_machines": paragraph}, f,
                  indent=1)


if __name__ == "__main__":
    main()
