"""Callbacks: EarlyStopping(restore_best_weights=True) and ModelCheckpoint
(save_best_only) on val_loss, then model.save / keras.models.load_model and
predictions from the reloaded model."""
import os

import numpy as np


def data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(120, 5)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.2 * x[:, 1:2] + 0.3 * rng.normal(size=(120, 1))).astype("float32")
    return x, y


def build(keras):
    model = keras.Sequential([
        keras.Input(shape=(5,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    # a large learning rate on little data: val_loss turns up and EarlyStopping fires
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.03), loss="mse",
                  metrics=["mae"])
    return model


def run(keras, model, data, tmpdir):
    x, y = data
    ckpt = os.path.join(tmpdir, "best.keras")
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                               restore_best_weights=True),
                 keras.callbacks.ModelCheckpoint(ckpt, monitor="val_loss", save_best_only=True)]
    history = model.fit(x[:90], y[:90], validation_data=(x[90:], y[90:]), batch_size=10,
                        epochs=30, shuffle=False, verbose=0, callbacks=callbacks)
    path = os.path.join(tmpdir, "model.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    best = keras.models.load_model(ckpt)
    return {"history": history.history, "epochs_run": len(history.epoch),
            "stopped_epoch": callbacks[0].stopped_epoch,
            "weights": model.get_weights(),
            "predict": model.predict(x[90:], verbose=0),
            "reloaded_predict": reloaded.predict(x[90:], verbose=0),
            "best_predict": best.predict(x[90:], verbose=0),
            "evaluate": model.evaluate(x[90:], y[90:], verbose=0)}


if __name__ == "__main__":
    from tests.keras_examples._main import main
    main(__name__)
