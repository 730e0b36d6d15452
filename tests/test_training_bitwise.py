"""Seeded training runs are pinned bit for bit across the engine refactors of #11.

tests/data/training_bitwise.npz was recorded from main *before* the seams work
(op descriptors, the loop object, DP-SGD as a strategy, the Model/trainer split,
weights in the arena): each model below is built and trained with a fixed seed,
and every weight after training, plus every History value, is stored. A refactor
that "changes no number" must reproduce them with array_equal, not allclose.

The models cover the README's Keras and trust examples (Dense + Adam with
validation_split; DP-SGD by ghost clipping), DP-SGD by per-example replay (a CNN),
a CNN with BatchNormalization and Dropout (SGD with Nesterov momentum), an
Embedding -> LSTM text model with masking and recurrent dropout (RMSprop), a GRU
regressor (AdamW with a schedule and clipnorm) and a functional two-input model
(Nadam). Regenerate only on purpose:
``PYTHONPATH=. python tests/test_training_bitwise.py --record``.
"""
import os
import sys

import numpy as np
import pytest

import pynn
from pynn import layers as L

DATA = os.path.join(os.path.dirname(__file__), "data", "training_bitwise.npz")


def _data(seed, shape, classes=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, shape).astype(np.float32)
    if classes is None:
        return x, None
    w = rng.normal(0, 1, (int(np.prod(shape[1:])),))
    score = x.reshape(len(x), -1) @ w
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return x, y.astype(np.int64)


def readme_keras():
    from sklearn.datasets import load_breast_cancer
    x, y = load_breast_cancer(return_X_y=True)
    x_train, _, y_train, _ = pynn.data.train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    x_train = (x_train - x_train.mean(0)) / x_train.std(0)
    model = pynn.Sequential([pynn.Input(shape=(30,)), L.Dense(64, activation="relu"),
                             L.Dense(32, activation="relu"), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x_train, y_train, epochs=3, validation_split=0.1, verbose=0)
    return model, h


def readme_trust_dp_ghost():
    x, y = _data(1, (600, 3), classes=2)
    model = pynn.Sequential([pynn.Input(shape=(3,)), L.Dense(16, activation="relu"),
                             L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.1, seed=3,
                                               stream_version=1),  # recorded before stream v2
                  loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    assert model.optimizer.clipping_path == "ghost"
    return model, h


def dp_replay_cnn():
    x, y = _data(2, (96, 8, 8, 1), classes=3)
    model = pynn.Sequential([pynn.Input(shape=(8, 8, 1)), L.Conv2D(4, 3, activation="relu"),
                             L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")])
    model.compile(optimizer=pynn.privacy.DPSGD(l2_norm_clip=0.5, noise_multiplier=0.8, seed=7, stream_version=1,
                                               optimizer=pynn.optimizers.SGD(0.05, momentum=0.9)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model.optimizer.clipping_path == "replay"
    return model, h


def cnn_batchnorm_dropout():
    x, y = _data(3, (128, 10, 10, 2), classes=4)
    model = pynn.Sequential([pynn.Input(shape=(10, 10, 2)), L.Conv2D(6, 3, padding="same"),
                             L.BatchNormalization(), L.Activation("relu"), L.AveragePooling2D(),
                             L.Conv2D(8, 3, activation="relu"), L.GlobalAveragePooling2D(),
                             L.Dropout(0.3), L.Dense(4, activation="softmax")])
    model.compile(optimizer=pynn.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    return model, h


def text_lstm_masked():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 30, (160, 12))
    lengths = rng.integers(3, 13, 160)
    x[np.arange(12)[None, :] >= lengths[:, None]] = 0
    y = (x[:, 0] > 15).astype(np.float32)
    model = pynn.Sequential([pynn.Input(shape=(12,)), L.Embedding(30, 8, mask_zero=True),
                             L.LSTM(10, recurrent_dropout=0.2, dropout=0.1),
                             L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    return model, h


def gru_regressor():
    x, _ = _data(5, (120, 9, 3))
    y = x.sum(axis=(1, 2))[:, None] * 0.1
    model = pynn.Sequential([pynn.Input(shape=(9, 3)), L.GRU(7, return_sequences=True),
                             L.SimpleRNN(5, go_backwards=True), L.Dense(1)])
    sched = pynn.schedules.ExponentialDecay(0.01, decay_steps=5, decay_rate=0.9)
    model.compile(optimizer=pynn.optimizers.AdamW(sched, weight_decay=0.01, clipnorm=1.0), loss="mse",
                  metrics=["mae"])
    h = model.fit(x, y, batch_size=24, epochs=3, verbose=0)
    return model, h


def functional_two_inputs():
    xa, y = _data(6, (100, 5), classes=2)
    xb, _ = _data(7, (100, 4))
    a = pynn.Input(shape=(5,))
    b = pynn.Input(shape=(4,))
    h = L.Concatenate()([L.Dense(6, activation="tanh")(a), L.Dense(3, activation="elu")(b)])
    h = L.LayerNormalization()(h)
    out = L.Dense(2, activation="softmax")(h)
    model = pynn.Model([a, b], out)
    model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit([xa, xb], y, batch_size=20, epochs=3, verbose=0)
    return model, hist


CASES = [readme_keras, readme_trust_dp_ghost, dp_replay_cnn, cnn_batchnorm_dropout, text_lstm_masked,
         gru_regressor, functional_two_inputs]


def _run(case):
    pynn.utils.set_random_seed(1234)
    model, history = case()
    out = {}
    for i, w in enumerate(model.get_weights()):
        out[f"{case.__name__}/w{i}"] = np.asarray(w)
    for key, values in history.history.items():
        out[f"{case.__name__}/h/{key}"] = np.asarray(values, np.float64)
    return out


def _recorded_isa():
    return str(np.load(DATA)["gemm_isa"])


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_seeded_training_is_bit_identical(case):
    """Bits depend on the GEMM kernel: compare under the kernel they were recorded with."""
    recorded = np.load(DATA)
    isa = _recorded_isa()
    if pynn._C.gemm_isa() != isa:
        if os.environ.get("PYNN_GEMM_ISA") == isa:
            pytest.skip(f"recorded with the {isa} GEMM kernel, which this CPU lacks")
        env = dict(os.environ, PYNN_GEMM_ISA=isa)
        import subprocess
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            f"{__file__}::test_seeded_training_is_bit_identical[{case.__name__}]"],
                           env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
        return
    got = _run(case)
    names = sorted(k for k in recorded.files if k.startswith(case.__name__ + "/"))
    names = [k for k in names if k != "gemm_isa"]
    assert sorted(got) == names, "the model's weights or History keys changed"
    for k in names:
        assert got[k].dtype == recorded[k].dtype and got[k].shape == recorded[k].shape, k
        assert np.array_equal(got[k], recorded[k]), (
            f"{k}: max |diff| {np.max(np.abs(got[k].astype(np.float64) - recorded[k])):.3g}")


if __name__ == "__main__":
    if "--record" in sys.argv:
        arrays = {"gemm_isa": np.array(pynn._C.gemm_isa())}
        for case in CASES:
            arrays.update(_run(case))
        np.savez_compressed(DATA, **arrays)
        print(f"recorded {len(arrays)} arrays to {DATA}")
