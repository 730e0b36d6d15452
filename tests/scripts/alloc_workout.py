"""Run under the count_alloc.c shim (see tests/test_no_alloc.py): trains and
predicts with models of each kind and prints, as JSON, how many heap
allocations pynn's C code made in calls that follow a first, planning call."""
import ctypes
import json

import numpy as np

import pynn

shim = ctypes.CDLL(None)
ranges = [[int(v, 16) for v in line.split()[0].split("-")]
          for line in open("/proc/self/maps") if pynn._C.__file__ in line]
shim.count_alloc_range(ctypes.c_size_t(min(r[0] for r in ranges)),
                       ctypes.c_size_t(max(r[1] for r in ranges)))
count = shim.count_alloc_get
count.restype = ctypes.c_long

L = pynn.layers
rng = np.random.default_rng(0)


def models():
    x = rng.standard_normal((330, 10)).astype(np.float32)
    # the regularised kernel (300 x 256) is big enough for a blocked full reduction
    mlp = pynn.Sequential([pynn.Input(shape=(10,)), L.Dense(300, activation="relu"),
                           L.Dense(256, activation="tanh", kernel_regularizer="l2"),
                           L.Dense(1, activation="sigmoid")])
    mlp.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    yield "mlp", mlp, x, (x[:, :1] > 0).astype(np.float32)
    x = rng.standard_normal((130, 10, 10, 1)).astype(np.float32)
    cnn = pynn.Sequential([pynn.Input(shape=(10, 10, 1)), L.Conv2D(4, 3, activation="relu"),
                           L.MaxPooling2D(), L.BatchNormalization(), L.Flatten(), L.Dropout(0.2),
                           L.Dense(3)])
    cnn.compile(optimizer="sgd", metrics=["accuracy"],
                loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
    yield "cnn", cnn, x, rng.integers(0, 3, len(x)).astype(np.float32)
    x = rng.integers(1, 50, (130, 7)).astype(np.float32)
    rnn = pynn.Sequential([pynn.Input(shape=(7,)), L.Embedding(50, 4), L.LSTM(5, return_sequences=True),
                           L.GRU(3), L.Dense(2)])
    rnn.compile(optimizer="rmsprop", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
    yield "rnn", rnn, x, rng.integers(0, 2, len(x)).astype(np.float32)


result = {}
for name, model, x, y in models():
    val = (x[:20], y[:20])
    # planning: buffers grow to the batch size, the short last batch reuses them
    model.fit(x[:45], y[:45], batch_size=10, epochs=1, verbose=0, validation_data=val)
    model.predict(x[:45], batch_size=10)
    model(x[:1])
    c0 = count()
    model.fit(x[:20], y[:20], batch_size=10, epochs=1, verbose=0, validation_data=val)
    c1 = count()
    model.fit(x, y, batch_size=10, epochs=3, verbose=0, validation_data=val)
    c2 = count()
    model.predict(x, batch_size=10)
    for _ in range(50):
        model.predict(x[:3])
    c3 = count()
    for _ in range(50):
        model(x[:1])
    c4 = count()
    result[name] = {"fit_2_batches": c1 - c0, "fit_39_batches": c2 - c1, "predict": c3 - c2,
                    "call_50": c4 - c3}
print(json.dumps(result))
