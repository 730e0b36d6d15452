"""A short workout of the engine (MLP, CNN with BatchNorm, masked LSTM, eager
gradients, DP-SGD, a shape error) used by the memory checkers in test_valgrind.py."""
import numpy as np, pynn
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 6)).astype(np.float32); y = (x[:, 0] > 0).astype(np.float32)
m = pynn.Sequential([pynn.Input(shape=(6,)), pynn.layers.Dense(8, activation="relu"), pynn.layers.Dropout(0.2), pynn.layers.Dense(1, activation="sigmoid")])
m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", pynn.metrics.AUC()])
m.fit(x, y, epochs=2, batch_size=10, verbose=0, validation_split=0.2)
m.predict(x, verbose=0); m(x[:1])
t = pynn.Tensor(x, requires_grad=True); out = m(t); out.backward(np.ones(out.shape, np.float32))
c = pynn.Sequential([pynn.Input(shape=(8, 8, 1)), pynn.layers.Conv2D(4, 3, padding="same"), pynn.layers.MaxPooling2D(), pynn.layers.BatchNormalization(), pynn.layers.Flatten(), pynn.layers.Dense(2)])
c.compile(optimizer="sgd", loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
c.fit(rng.standard_normal((20, 8, 8, 1)).astype(np.float32), rng.integers(0, 2, 20).astype(np.float32), epochs=1, batch_size=7, verbose=0)
r = pynn.Sequential([pynn.Input(shape=(5,)), pynn.layers.Embedding(20, 4, mask_zero=True), pynn.layers.LSTM(3), pynn.layers.Dense(1)])
r.compile(optimizer="rmsprop", loss="mse")
r.fit(rng.integers(0, 20, (12, 5)).astype(np.float32), rng.standard_normal(12).astype(np.float32), epochs=1, batch_size=5, verbose=0)
for dp in (pynn.privacy.DPSGD(noise_multiplier=1.0, seed=1), pynn.privacy.DPSGD(noise_multiplier=1.0, secure_mode=True, poisson_sampling=False, optimizer="adam")):
    d = pynn.Sequential([pynn.Input(shape=(6,)), pynn.layers.Dense(8, activation="relu"), pynn.layers.Dense(1, activation="sigmoid")])
    d.compile(optimizer=dp, loss="binary_crossentropy", metrics=["accuracy"]); d.fit(x, y, epochs=1, batch_size=9, verbose=0)
try:
    m.fit(x[:, :5], y, verbose=0)
except ValueError as e:
    pass
print("done")
