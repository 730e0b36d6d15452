"""keras.io's "Timeseries Classification with LSTM and CNN Models"
(https://keras.io/examples/timeseries/lstm_vs_cnn_timeseries_classification/),
shrunk: the two models of the example — two stacked LSTMs with dropout and
recurrent_dropout, and a Conv1D / BatchNormalization / MaxPooling1D / Dropout network
with GlobalAveragePooling1D — trained by the example's train_model (Adam,
sparse_categorical_crossentropy, "sparse_categorical_accuracy", validation_split=0.2,
ModelCheckpoint(save_best_only) and EarlyStopping(restore_best_weights=True)), the best
checkpoint reloaded with keras.models.load_model and evaluated. FordA (downloaded in
the example) is replaced by offline univariate series of two noisy sine frequencies,
40 steps long (500 in FordA); epochs 8 and patience 3 (100 and 20); plots left out."""
import os

import numpy as np

import keras
from keras import layers

PARITY_KEYS = ["params", "untrained"]  # Dropout masks differ between the libraries


def data():
    rng = np.random.default_rng(11)

    def readucr(n):  # stands in for the example's readucr(url): (x, y) with y in {-1, 1}
        y = rng.choice([-1, 1], size=n)
        t = np.linspace(0, 1, 40)
        freq = np.where(y == 1, 2.0, 4.0)[:, None]
        x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        return (x + 0.3 * rng.normal(size=x.shape)).astype(np.float32), y.astype(int)

    x_train, y_train = readucr(400)
    x_test, y_test = readucr(120)
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

    # Standardize labels: map {-1, 1} to {0, 1}
    y_train = np.where(y_train == -1, 0, y_train)
    y_test = np.where(y_test == -1, 0, y_test)

    # Shuffle training data for validation split
    idx = rng.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]
    return x_train, y_train, x_test, y_test


num_classes = 2
input_shape = (40, 1)


def build_lstm_model(input_shape, num_classes):
    """Build an LSTM-based model for timeseries classification."""
    model = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.LSTM(64, return_sequences=True, dropout=0.3, recurrent_dropout=0.3),
        layers.LSTM(32, dropout=0.3, recurrent_dropout=0.3),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return model


def build_cnn_model(input_shape, num_classes):
    """Build a 1D CNN-based model for timeseries classification."""
    model = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.Conv1D(filters=64, kernel_size=7, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(0.3),
        layers.Conv1D(filters=128, kernel_size=5, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(0.3),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return model


epochs = 8
batch_size = 32


def train_model(model, model_name, x_train, y_train, x_test, y_test, tmpdir):
    """Train and evaluate a model, return history and test metrics."""
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"]
    )

    best = os.path.join(tmpdir, f"best_{model_name}_model.keras")
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=0.2,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                best,
                save_best_only=True,
                monitor="val_loss"
            ),
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=3,
                restore_best_weights=True
            )
        ],
        verbose=0
    )

    # Load best model for evaluation
    best_model = keras.models.load_model(best)
    test_loss, test_acc = best_model.evaluate(x_test, y_test, verbose=0)
    # restore_best_weights left the model at the same best epoch as the checkpoint
    restored_loss = model.evaluate(x_test, y_test, verbose=0)[0]
    return history, test_acc, test_loss, restored_loss


def build():
    return build_lstm_model(input_shape, num_classes)


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    lstm_model = model
    cnn_model = build_cnn_model(input_shape, num_classes)
    out = {"params": [lstm_model.count_params(), cnn_model.count_params()],
           "untrained": lstm_model.predict(x_test[:8], verbose=0)}
    for name, m in [("LSTM", lstm_model), ("CNN", cnn_model)]:
        history, test_acc, test_loss, restored_loss = train_model(
            m, name, x_train, y_train, x_test, y_test, tmpdir)
        out[name] = {"history": history.history, "test_acc": test_acc,
                     "test_loss": test_loss, "restored_loss": restored_loss}
    return out


def check(out):
    lstm_params = 4 * (64 * (1 + 64) + 64) + 4 * (32 * (64 + 32) + 32) + (32 * 16 + 16) + 34
    cnn_params = (7 * 64 + 64) + 4 * 64 + (5 * 64 * 128 + 128) + 4 * 128 + (128 * 16 + 16) + 34
    assert out["params"] == [lstm_params, cnn_params]
    for name in ("LSTM", "CNN"):
        r = out[name]
        assert sorted(r["history"]) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                        "val_sparse_categorical_accuracy"]
        assert r["test_acc"] > 0.8, (name, r["test_acc"])  # two classes: chance 0.5
        # the checkpoint and restore_best_weights both hold the epoch of least val_loss
        np.testing.assert_allclose(r["restored_loss"], r["test_loss"], rtol=1e-5)
