"""Callbacks and saving, as in https://keras.io/guides/writing_your_own_callbacks/
(a custom Callback reading `logs`, a learning-rate schedule set through
self.model.optimizer.learning_rate), https://keras.io/api/callbacks/early_stopping/
(restore_best_weights), https://keras.io/api/callbacks/model_checkpoint/
(save_best_only) and https://www.tensorflow.org/tutorials/keras/save_and_load
(model.save / keras.models.load_model, save_weights / load_weights)."""
import os

import numpy as np

import keras
from keras import layers


class LogKeys(keras.callbacks.Callback):
    """Records what a callback sees, like the guide's CustomCallback."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_begin(self, logs=None):
        self.seen.append(("train_begin", sorted(logs or {})))

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(("epoch_end", epoch, sorted(logs)))

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.seen.append(("batch_end", sorted(logs)))


class CustomLearningRateScheduler(keras.callbacks.Callback):
    """The guide's learning-rate scheduler: halves the rate every 3 epochs."""

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(np.array(self.model.optimizer.learning_rate))
        if epoch > 0 and epoch % 3 == 0:
            self.model.optimizer.learning_rate = lr / 2


def data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(120, 5)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.2 * x[:, 1:2] + 0.3 * rng.normal(size=(120, 1))).astype("float32")
    return x, y


def build():
    model = keras.Sequential([
        keras.Input(shape=(5,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    # a large learning rate on little data: val_loss turns up and EarlyStopping fires
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse",
                  metrics=["mae"])
    return model


def run(model, data, tmpdir):
    x, y = data
    ckpt = os.path.join(tmpdir, "best.keras")
    log = LogKeys()
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                               restore_best_weights=True),
                 keras.callbacks.ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True),
                 CustomLearningRateScheduler(), log]
    history = model.fit(x[:90], y[:90], validation_data=(x[90:], y[90:]), batch_size=10,
                        epochs=30, shuffle=False, verbose=0, callbacks=callbacks)
    path = os.path.join(tmpdir, "model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    best = keras.models.load_model(ckpt)
    weights_path = os.path.join(tmpdir, "ckpt.weights.h5")
    model.save_weights(weights_path)
    fresh = build()
    fresh.load_weights(weights_path)
    return {"history": history.history, "epochs_run": len(history.epoch),
            "stopped_epoch": callbacks[0].stopped_epoch,
            "learning_rate": float(np.array(model.optimizer.learning_rate)),
            "seen": log.seen,
            "weights": model.get_weights(),
            "predict": model.predict(x[90:], verbose=0),
            "reloaded_predict": reloaded.predict(x[90:], verbose=0),
            "best_predict": best.predict(x[90:], verbose=0),
            "load_weights_predict": fresh.predict(x[90:], verbose=0),
            "evaluate": model.evaluate(x[90:], y[90:], verbose=0)}


def check(out):
    h = out["history"]
    assert 2 < out["epochs_run"] < 30 and out["stopped_epoch"] == out["epochs_run"] - 1
    # the weights restored at the end are those of the best epoch, which is also what the
    # best-only checkpoint holds; saving and reloading keeps them exactly
    best = int(np.argmin(h["val_loss"]))
    assert out["epochs_run"] - 1 - best == 2          # patience=2
    np.testing.assert_allclose(out["evaluate"][0], h["val_loss"][best], rtol=1e-5)
    for key in ("reloaded_predict", "best_predict", "load_weights_predict"):
        np.testing.assert_array_equal(out[key], out["predict"])
    np.testing.assert_allclose(out["learning_rate"], 0.05 / 2 ** ((out["epochs_run"] - 1) // 3),
                               rtol=1e-6)
    assert out["seen"][0] == ("train_begin", [])
    assert out["seen"][1] == ("batch_end", ["loss", "mae"])
    assert ("epoch_end", 0, ["loss", "mae", "val_loss", "val_mae"]) in out["seen"]
