"""Load test of `python -m pynn.serve`: concurrent TF Serving clients for a fixed
time against the pynn backend and, in the same server program, onnxruntime on
the model's ONNX export. Reports p50 / p99 latency and requests per second.

    python benchmarks/serve_load.py                       # 8 clients, 20 s per backend
    python benchmarks/serve_load.py --seconds 5 --clients 8 --backends pynn,onnxruntime
    python benchmarks/serve_load.py --model my_model.pynn --batch 16

Without --model it serves a Fashion-MNIST-sized MLP (784-256-128-10). Each
backend gets its own server process on 127.0.0.1 (a free port); the clients are
threads of this process using keep-alive connections, each sending
{"instances": [...]} of --batch random rows. Absolute numbers on a shared
machine are noise; compare the backends of one run."""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_model(path):
    import numpy as np
    import pynn
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(784,)), pynn.layers.Dense(256, activation="relu"),
                             pynn.layers.Dense(128, activation="relu"),
                             pynn.layers.Dense(10, activation="softmax")])
    model.predict(np.zeros((1, 784), np.float32), verbose=0)
    model.save(path)


def wait_ready(port, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start within {timeout} s")


def per_sample_shape(port, name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", f"/v1/models/{name}/metadata")
    sig = json.loads(c.getresponse().read())["metadata"]["signature_def"]["signature_def"]
    inputs = sig["serving_default"]["inputs"]
    if len(inputs) != 1:
        raise SystemExit("serve_load.py drives single-input models")
    dims = next(iter(inputs.values()))["tensor_shape"]["dim"][1:]
    if any(int(d["size"]) < 0 for d in dims):
        raise SystemExit("serve_load.py needs a model with a fully known per-sample shape")
    return [int(d["size"]) for d in dims]


def client(port, path, body, deadline, latencies, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except OSError:
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if ok:
            latencies.append(time.perf_counter() - t0)
        else:
            errors.append(1)
    conn.close()


def run_backend(model_path, name, backend, args):
    import numpy as np
    port = free_port()
    cmd = [sys.executable, "-m", "pynn.serve", model_path, "--port", str(port), "--name", name,
           "--backend", backend, "--max-body-bytes", str(64 * 1024 * 1024)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    import pynn  # the server imports the same pynn as this script
    home = os.path.dirname(os.path.dirname(os.path.abspath(pynn.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([home, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        shape = per_sample_shape(port, name)
        x = np.random.default_rng(0).normal(0, 1, [args.batch] + shape).astype(np.float32)
        body = json.dumps({"instances": x.tolist()}).encode()
        path = f"/v1/models/{name}:predict"
        client(port, path, body, time.monotonic() + min(1.0, args.seconds / 5), [], [])  # warm-up
        latencies, errors = [], []
        start = time.monotonic()
        threads = [threading.Thread(target=client, args=(port, path, body, start + args.seconds,
                                                         latencies, errors))
                   for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if not latencies:
        raise RuntimeError(f"{backend}: no successful request ({len(errors)} errors)")
    ms = sorted(1000 * v for v in latencies)
    return {"backend": backend, "requests": len(ms), "errors": len(errors),
            "rps": len(ms) / elapsed, "p50_ms": statistics.median(ms),
            "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", help="a saved pynn model (default: a 784-256-128-10 MLP)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--batch", type=int, default=1, help="instances per request")
    p.add_argument("--backends", default="pynn,onnxruntime")
    p.add_argument("--threads", type=int, default=None, help="the server's --threads")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model_path = args.model
        if model_path is None:
            model_path = os.path.join(tmp, "mlp.pynn")
            demo_model(model_path)
        name = "model"
        rows = [run_backend(model_path, name, b.strip(), args) for b in args.backends.split(",")]
    print(f"\n{args.clients} clients x {args.seconds:g} s, {args.batch} instance(s) per request, "
          f"model {args.model or 'MLP 784-256-128-10'}\n")
    print("| backend | requests/s | p50 ms | p99 ms | requests | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backend']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['requests']} | {r['errors']} |")
    if len(rows) == 2:
        print(f"\nrequests/s ratio {rows[0]['backend']} / {rows[1]['backend']}: "
              f"{rows[0]['rps'] / rows[1]['rps']:.2f}")


if __name__ == "__main__":
    main()
