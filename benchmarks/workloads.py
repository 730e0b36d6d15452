"""The benchmark cases, one function per case, one branch per framework (pynn,
torch, keras, onnxruntime for inference, sklearn for the tabular case). Each
returns {"median": seconds per unit of work, "peak_mb": process peak RSS}."""
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

REPEATS = 5


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, repeats=REPEATS, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ort_session(model, threads):
    """onnxruntime session of a pynn model (pynn.export's graph, the same weights),
    `threads` intra-op threads, spinning off (a spinning pool would take the core
    from the next sample's framework)."""
    import onnxruntime as ort

    from pynn.export.onnx import build_onnx
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(build_onnx(model).SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return lambda x: sess.run(None, {name: x})[0]


# ------------------------------------------------------------------ shared data / weights
def mlp_weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    ws = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lim = np.sqrt(6.0 / (a + b))
        ws += [rng.uniform(-lim, lim, (a, b)).astype(np.float32), np.zeros(b, np.float32)]
    return ws


def data_a(n_steps):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32 * n_steps, 10)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] * x[:, 2:3] > 0).astype(np.float32)
    return x, y


def data_fmnist(limit=None):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from pynn.datasets import fashion_mnist
    (x, y), _ = fashion_mnist.load_data()
    if limit:
        x, y = x[:limit], y[:limit]
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)


# ------------------------------------------------------------------ model builders
def pynn_mlp(sizes, acts, weights):
    import pynn
    layers = [pynn.Input(shape=(sizes[0],))] + [pynn.layers.Dense(u, activation=a)
                                                for u, a in zip(sizes[1:], acts)]
    m = pynn.Sequential(layers)
    m.set_weights(weights)
    return m


def torch_mlp(sizes, acts, weights):
    import torch
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(weights[2 * i].T.copy()))
            lin.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
        mods.append(lin)
        if acts[i] == "relu":
            mods.append(torch.nn.ReLU())
        elif acts[i] == "sigmoid":
            mods.append(torch.nn.Sigmoid())
    return torch.nn.Sequential(*mods)


def keras_mlp(sizes, acts, weights):
    import keras
    m = keras.Sequential([keras.Input(shape=(sizes[0],))] +
                         [keras.layers.Dense(u, activation=a) for u, a in zip(sizes[1:], acts)])
    m.set_weights(weights)
    return m


A_SIZES, A_ACTS = [10, 128, 64, 1], ["relu", "relu", "sigmoid"]
B_SIZES, B_ACTS = [784, 256, 128, 10], ["relu", "relu", None]


# ------------------------------------------------------------------ cases
def case_a(fw, quick):
    steps = 50 if quick else 300
    x, y = data_a(steps)
    w = mlp_weights(A_SIZES)
    if fw == "pynn":
        import pynn
        m = pynn_mlp(A_SIZES, A_ACTS, w)
        m.compile(optimizer=pynn.optimizers.Adam(1e-3), loss="binary_crossentropy")
        t = timed(lambda: m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0))
    elif fw == "torch":
        import torch
        m = torch_mlp(A_SIZES, A_ACTS, w)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        lossf = torch.nn.BCELoss()

        def epoch():
            for i in range(steps):
                xb, yb = xt[i * 32:(i + 1) * 32], yt[i * 32:(i + 1) * 32]
                opt.zero_grad()
                loss = lossf(m(xb), yb)
                loss.backward()
                opt.step()
        t = timed(epoch)
    else:
        import keras
        m = keras_mlp(A_SIZES, A_ACTS, w)
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        t = timed(lambda: m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0),
                  repeats=3)
    return t / steps


def case_b(fw, quick):
    x, y = data_fmnist(10000 if quick else None)
    w = mlp_weights(B_SIZES)
    n = len(x)
    if fw == "pynn":
        import pynn
        m = pynn_mlp(B_SIZES, B_ACTS[:2] + ["linear"], w)
        m.compile(optimizer=pynn.optimizers.SGD(0.01, momentum=0.9),
                  loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        yf = y.astype(np.float32)
        return timed(lambda: m.fit(x, yf, batch_size=128, epochs=1, shuffle=False, verbose=0),
                     repeats=3)
    if fw == "torch":
        import torch
        m = torch_mlp(B_SIZES, B_ACTS, w)
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        lossf = torch.nn.CrossEntropyLoss()

        def epoch():
            for i in range(0, n, 128):
                opt.zero_grad()
                loss = lossf(m(xt[i:i + 128]), yt[i:i + 128])
                loss.backward()
                opt.step()
        return timed(epoch, repeats=3)
    import keras
    m = keras_mlp(B_SIZES, B_ACTS[:2] + ["linear"], w)
    m.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return timed(lambda: m.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0),
                 repeats=2)


def cnn_weights():
    rng = np.random.default_rng(2)

    def glorot(shape, fan_in, fan_out):
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-lim, lim, shape).astype(np.float32)
    return [glorot((3, 3, 1, 32), 9, 9 * 32), np.zeros(32, np.float32),
            glorot((3, 3, 32, 64), 9 * 32, 9 * 64), np.zeros(64, np.float32),
            glorot((1600, 128), 1600, 128), np.zeros(128, np.float32),
            glorot((128, 10), 128, 10), np.zeros(10, np.float32)]


def case_c(fw, quick):
    steps = 10 if quick else 40
    x, y = data_fmnist(64 * steps)
    x = x.reshape(-1, 28, 28, 1)
    w = cnn_weights()
    if fw == "pynn":
        import pynn
        L = pynn.layers
        m = pynn.Sequential([pynn.Input(shape=(28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                             L.MaxPooling2D(), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(),
                             L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10)])
        m.set_weights(w)
        m.compile(optimizer="adam", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        yf = y.astype(np.float32)
        return timed(lambda: m.fit(x, yf, batch_size=64, epochs=1, shuffle=False, verbose=0),
                     repeats=3) / steps
    if fw == "torch":
        import torch
        import torch.nn as nn
        m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(),
                          nn.Linear(128, 10))
        with torch.no_grad():  # Keras layouts -> torch (flatten order differs; timing only)
            m[0].weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))
            m[3].weight.copy_(torch.from_numpy(w[2].transpose(3, 2, 0, 1).copy()))
            m[7].weight.copy_(torch.from_numpy(w[4].T.copy()))
            m[9].weight.copy_(torch.from_numpy(w[6].T.copy()))
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        yt = torch.from_numpy(y)
        lossf = nn.CrossEntropyLoss()

        def epoch():
            for i in range(steps):
                opt.zero_grad()
                loss = lossf(m(xt[i * 64:(i + 1) * 64]), yt[i * 64:(i + 1) * 64])
                loss.backward()
                opt.step()
        return timed(epoch, repeats=3) / steps
    import keras
    L = keras.layers
    m = keras.Sequential([keras.Input(shape=(28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                          L.MaxPooling2D(), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(),
                          L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10)])
    m.set_weights(w)
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return timed(lambda: m.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0),
                 repeats=2) / steps


def case_d(fw, quick):
    steps = 5 if quick else 20
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10000, (32 * steps, 64))
    y = rng.integers(0, 2, 32 * steps)
    if fw == "pynn":
        import pynn
        L = pynn.layers
        m = pynn.Sequential([pynn.Input(shape=(64,)), L.Embedding(10000, 64), L.LSTM(128),
                             L.Dense(2)])
        m.compile(optimizer="adam", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
        xf, yf = x.astype(np.float32), y.astype(np.float32)
        return timed(lambda: m.fit(xf, yf, batch_size=32, epochs=1, shuffle=False, verbose=0),
                     repeats=3) / steps
    if fw == "torch":
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10000, 64)
                self.lstm = nn.LSTM(64, 128, batch_first=True)
                self.out = nn.Linear(128, 2)

            def forward(self, ids):
                h, _ = self.lstm(self.emb(ids))
                return self.out(h[:, -1])
        m = Net()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        lossf = nn.CrossEntropyLoss()

        def epoch():
            for i in range(steps):
                opt.zero_grad()
                loss = lossf(m(xt[i * 32:(i + 1) * 32]), yt[i * 32:(i + 1) * 32])
                loss.backward()
                opt.step()
        return timed(epoch, repeats=3) / steps
    import keras
    L = keras.layers
    m = keras.Sequential([keras.Input(shape=(64,)), L.Embedding(10000, 64), L.LSTM(128), L.Dense(2)])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return timed(lambda: m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0),
                 repeats=2) / steps


def pynn_cnn(w):
    import pynn
    L = pynn.layers
    m = pynn.Sequential([pynn.Input(shape=(28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                         L.MaxPooling2D(), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(),
                         L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10)])
    m.set_weights(w)
    return m


def torch_cnn(w):
    import torch
    import torch.nn as nn
    m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(),
                      nn.Linear(128, 10))
    with torch.no_grad():  # Keras layouts -> torch (flatten order differs; timing only)
        m[0].weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))
        m[3].weight.copy_(torch.from_numpy(w[2].transpose(3, 2, 0, 1).copy()))
        m[7].weight.copy_(torch.from_numpy(w[4].T.copy()))
        m[9].weight.copy_(torch.from_numpy(w[6].T.copy()))
    return m


def pynn_lstm():
    import pynn
    L = pynn.layers
    pynn.utils.set_random_seed(0)
    return pynn.Sequential([pynn.Input(shape=(64,)), L.Embedding(10000, 64), L.LSTM(128),
                            L.Dense(2)])


class TorchLSTM:
    """Embedding(10000, 64)-LSTM(128)-Dense(2) in torch (its own init; timing only)."""

    def __new__(cls):
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10000, 64)
                self.lstm = nn.LSTM(64, 128, batch_first=True)
                self.out = nn.Linear(128, 2)

            def forward(self, ids):
                h, _ = self.lstm(self.emb(ids))
                return self.out(h[:, -1])
        return Net()


# inference cases: model -> (pynn builder, torch builder, input maker)
def _infer_inputs(model, batch):
    rng = np.random.default_rng(4)
    if model == "cnn":
        return rng.random((batch, 28, 28, 1), dtype=np.float32)
    if model == "lstm":
        return rng.integers(1, 10000, (batch, 64)).astype(np.float32)
    sizes = A_SIZES if model == "a" else B_SIZES
    return rng.standard_normal((batch, sizes[0])).astype(np.float32)


def case_e(fw, model, batch, threads):
    x = _infer_inputs(model, batch)
    reps = 2000 if batch == 1 else 50
    if model in ("cnn", "lstm"):
        reps = 500 if batch == 1 else 5
    if fw in ("pynn", "onnxruntime"):
        if model in ("a", "b"):
            sizes, acts = (A_SIZES, A_ACTS) if model == "a" else (B_SIZES, B_ACTS)
            m = pynn_mlp(sizes, [a or "linear" for a in acts], mlp_weights(sizes))
        else:
            m = pynn_cnn(cnn_weights()) if model == "cnn" else pynn_lstm()
        if fw == "onnxruntime":
            run = ort_session(m, threads)
            fn = lambda: run(x)  # noqa: E731
        elif batch == 1:
            fn = lambda: m(x)  # noqa: E731  the cheap path
        else:
            fn = lambda: m.predict(x, batch_size=batch, verbose=0)  # noqa: E731
    else:
        import torch
        if model in ("a", "b"):
            sizes, acts = (A_SIZES, A_ACTS) if model == "a" else (B_SIZES, B_ACTS)
            m = torch_mlp(sizes, acts, mlp_weights(sizes))
            xt = torch.from_numpy(x)
        elif model == "cnn":
            m = torch_cnn(cnn_weights())
            xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        else:
            m = TorchLSTM()
            xt = torch.from_numpy(x.astype(np.int64))
        m.eval()

        def fn():
            with torch.no_grad():
                return m(xt).numpy()
    for _ in range(min(20, reps)):
        fn()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps // 5):
            fn()
        times.append((time.perf_counter() - t0) / (reps // 5))
    return statistics.median(times)


def data_tabular(n=10000, d=20):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = ((x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * x[:, 3]) > 0).astype(np.float32)
    return x, y


def case_t(fw, quick):
    """One epoch of MLP 20-128-64-1 (relu, sigmoid output, BCE), Adam 1e-3, batch 64, no
    shuffling, no weight penalty: scikit-learn's MLPClassifier(hidden_layer_sizes=(128, 64),
    solver="adam", batch_size=64, alpha=0) trains exactly this network."""
    x, y = data_tabular(2000 if quick else 10000)
    sizes, acts = [20, 128, 64, 1], ["relu", "relu", "sigmoid"]
    w = mlp_weights(sizes)
    if fw == "pynn":
        import pynn
        m = pynn_mlp(sizes, acts, w)
        m.compile(optimizer=pynn.optimizers.Adam(1e-3), loss="binary_crossentropy")
        return timed(lambda: m.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0))
    if fw == "torch":
        import torch
        m = torch_mlp(sizes, acts, w)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y[:, None])
        lossf = torch.nn.BCELoss()

        def epoch():
            for i in range(0, len(x), 64):
                opt.zero_grad()
                loss = lossf(m(xt[i:i + 64]), yt[i:i + 64])
                loss.backward()
                opt.step()
        return timed(epoch)
    from sklearn.neural_network import MLPClassifier
    m = MLPClassifier(hidden_layer_sizes=(128, 64), activation="relu", solver="adam",
                      learning_rate_init=1e-3, batch_size=64, alpha=0.0, shuffle=False,
                      random_state=0)
    m.partial_fit(x, y, classes=[0.0, 1.0])  # builds the network; then one epoch per call
    m.coefs_ = [w[0].astype(np.float64), w[2].astype(np.float64), w[4].astype(np.float64)]
    m.intercepts_ = [w[1].astype(np.float64), w[3].astype(np.float64), w[5].astype(np.float64)]
    return timed(lambda: m.partial_fit(x, y))


def case_g(fw):
    mod = {"pynn": "pynn", "torch": "torch", "keras": "keras"}[fw]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {mod}"], check=True,
                       env=dict(os.environ, KERAS_BACKEND="torch"))
        times.append(time.perf_counter() - t0)
    base = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - t0)
    return statistics.median(times) - statistics.median(base)


# inference cases: (model, batch)
INFER = {"e1": ("a", 1), "e2": ("b", 1), "e3": ("a", 1024), "e4": ("b", 1024),
         "e5": ("cnn", 1), "e6": ("cnn", 1024), "e7": ("lstm", 1), "e8": ("lstm", 1024)}


def run(case, fw, threads, quick):
    if fw == "torch":
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
    if fw == "pynn":
        import pynn
        pynn.set_num_threads(threads)
    if case == "a":
        t = case_a(fw, quick)
    elif case == "b":
        t = case_b(fw, quick)
    elif case == "c":
        t = case_c(fw, quick)
    elif case == "d":
        t = case_d(fw, quick)
    elif case in INFER:
        t = case_e(fw, *INFER[case], threads)
    elif case == "t":
        t = case_t(fw, quick)
    elif case == "g":
        t = case_g(fw)
    else:
        raise ValueError(f"unknown case {case}")
    return {"median": t, "peak_mb": peak_mb()}
