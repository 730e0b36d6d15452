"""keras.io's "Timeseries classification from scratch"
(https://keras.io/examples/timeseries/timeseries_classification_from_scratch/),
shrunk: the fully convolutional network (three Conv1D(64, 3, "same") +
BatchNormalization + ReLU blocks, GlobalAveragePooling1D, a softmax Dense), labels
-1/1 standardised to 0/1, ModelCheckpoint(save_best_only) + ReduceLROnPlateau +
EarlyStopping on val_loss with validation_split=0.2, then the best checkpoint
reloaded with keras.models.load_model and scored on the test set. FordA (downloaded
in the example) is replaced by offline univariate series: two noisy sine frequencies.
The example's plot_model call is left out (it needs Graphviz in Keras too)."""
import os

import numpy as np

import keras


def data():
    rng = np.random.default_rng(5)

    def series(n):
        y = rng.choice([-1, 1], size=n)
        t = np.linspace(0, 1, 48)
        freq = np.where(y == 1, 3.0, 5.0)[:, None]
        x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        return (x + 0.4 * rng.normal(size=x.shape)).astype("float32"), y.astype("float32")

    x_train, y_train = series(640)
    x_test, y_test = series(160)
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0
    return x_train, y_train, x_test, y_test


num_classes = 2


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


def build():
    model = make_model(input_shape=(48, 1))
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


PARITY_TOL = (1e-2, 1e-4)  # 240 Adam steps through three BatchNormalizations


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    epochs = 15
    batch_size = 32
    best = os.path.join(tmpdir, "best_model.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(best, save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=2, min_lr=0.0001
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, verbose=0),
    ]
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=0,
        shuffle=False,
    )
    out = {"history": history.history}
    model = keras.models.load_model(best)
    y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
    out["test_accuracy"] = float(np.mean(y_pred == y_test))
    n_val = int(0.2 * len(x_train))  # validation_split takes the last 20%
    out["best_val_loss"] = float(model.evaluate(x_train[-n_val:], y_train[-n_val:], verbose=0)[0])
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert h["accuracy"][-1] > 0.8 and out["test_accuracy"] > 0.75  # two classes: chance 0.5
    # the checkpoint kept the epoch with the lowest val_loss (the last 20% of x_train)
    np.testing.assert_allclose(out["best_val_loss"], min(h["val_loss"]), rtol=1e-5)
