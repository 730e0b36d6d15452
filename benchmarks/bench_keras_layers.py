"""Composed layers of issue #13 against PyTorch CPU: forward + backward of one batch,
same shapes and thread count, runners interleaved in one run.

    python benchmarks/bench_keras_layers.py [--threads N] [--repeats R] [--only NAME] [--cpu]

- Conv3D(16, 3, padding="same") on (8, 16, 32, 32, 8): pynn's depth taps of its
  conv2d vs torch.nn.functional.conv3d.
- EinsumDense("abc,cde->abde", (None, 8, 64)) on (32, 128, 256): pynn's one-matmul
  path, pynn's general einsum path (the layer with the plan removed) and torch.einsum.
- GroupNormalization(8) on (16, 32, 32, 64) vs torch.nn.functional.group_norm.

Seconds per step (median of the repeats) and the ratio pynn / torch; absolute times
on a shared machine are noise, the load average is printed before and after.
--cpu times process CPU time instead of wall clock (for a loaded machine, with
--threads 1); --only runs the layers whose name starts with NAME.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402


CLOCK = time.perf_counter


def _time(fn, repeats):
    fn()  # warm up (and build)
    out = []
    for _ in range(repeats):
        t = CLOCK()
        fn()
        out.append(CLOCK() - t)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", default="", help="layers whose name starts with this")
    ap.add_argument("--cpu", action="store_true", help="process CPU time, not wall clock")
    args = ap.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    os.environ["PYNN_NUM_THREADS"] = str(args.threads)
    import pynn
    import torch
    pynn.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"load before: {os.getloadavg()[0]:.2f}, threads {args.threads}")

    def pynn_step(layer, x):
        def run():
            t = pynn.Tensor(x, requires_grad=True)
            layer(t).sum().backward()
        return run

    def torch_step(fn, x, *w):
        def run():
            t = torch.tensor(x, requires_grad=True)
            ws = [torch.tensor(a, requires_grad=True) for a in w]
            fn(t, *ws).sum().backward()
        return run

    rows = []
    want = lambda name: name.startswith(args.only)  # noqa: E731
    if want("Conv3D"):
        x = rng.normal(size=(8, 16, 32, 32, 8)).astype(np.float32)
        conv = pynn.layers.Conv3D(16, 3, padding="same")
        conv(x)
        k = np.transpose(conv.kernel, (4, 3, 0, 1, 2)).copy()  # torch's (out, in, d, h, w)
        xt = np.transpose(x, (0, 4, 1, 2, 3)).copy()
        conv3d = lambda t, w: torch.nn.functional.conv3d(t, w, padding=1)  # noqa: E731
        rows.append(("Conv3D", _time(pynn_step(conv, x), args.repeats),
                     _time(torch_step(conv3d, xt, k), args.repeats)))

    if want("EinsumDense"):
        x = rng.normal(size=(32, 128, 256)).astype(np.float32)
        fast = pynn.layers.EinsumDense("abc,cde->abde", (None, 8, 64))
        fast(x)
        slow = pynn.layers.EinsumDense("abc,cde->abde", (None, 8, 64))
        slow(x)
        slow._plan = None  # the general pynn.ops.einsum path
        t_ein = _time(torch_step(lambda t, w: torch.einsum("abc,cde->abde", t, w), x,
                                 np.asarray(fast.kernel)), args.repeats)
        rows.append(("EinsumDense (matmul path)", _time(pynn_step(fast, x), args.repeats), t_ein))
        rows.append(("EinsumDense (einsum path)", _time(pynn_step(slow, x), args.repeats), t_ein))

    if want("GroupNormalization"):
        x = rng.normal(size=(16, 32, 32, 64)).astype(np.float32)
        gn = pynn.layers.GroupNormalization(8)
        xt = np.transpose(x, (0, 3, 1, 2)).copy()
        rows.append(("GroupNormalization", _time(pynn_step(gn, x), args.repeats),
                     _time(torch_step(lambda t: torch.nn.functional.group_norm(t, 8, eps=1e-3), xt),
                           args.repeats)))
    print(f"{'layer':28s} {'pynn s':>9s} {'torch s':>9s} {'pynn/torch':>10s}")
    for name, p, t in rows:
        print(f"{name:28s} {p:9.4f} {t:9.4f} {p / t:10.2f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
