"""keras.io's "Timeseries anomaly detection using an Autoencoder"
(https://keras.io/examples/timeseries/timeseries_anomaly_detection/), shrunk: the
convolutional reconstruction autoencoder (two strided Conv1D "same" + Dropout, then
three Conv1DTranspose "same" back to the input length), trained on windows of a
normalized anomaly-free series with EarlyStopping on val_loss, the threshold taken as
the largest training MAE, then test windows flagged as anomalies and mapped back to the
data points (the tutorial's loop). The NAB csv files (downloaded in the tutorial) are
replaced by offline series of the same kind: a daily pattern with small noise for
training, the same pattern with a jump up for testing. TIME_STEPS is 32 (288 in the
tutorial) and the day has 32 steps; plots and pandas are left out."""
import numpy as np

import keras
from keras import layers

TIME_STEPS = 32
PARITY_KEYS = ["params", "output_shape", "untrained_reconstruction"]  # Dropout masks differ


def _series(n, rng):
    t = np.arange(n)
    day = np.where((t % TIME_STEPS) < TIME_STEPS // 2, 20.0, 80.0)  # art_daily-like plateaus
    return day + rng.normal(0, 2.0, n)


def data():
    rng = np.random.default_rng(7)
    train = _series(32 * 14, rng)
    test = _series(32 * 14, rng)
    test[200:216] += 60.0  # the jump up of art_daily_jumpsup
    training_mean = train.mean()
    training_std = train.std()
    df_training_value = ((train - training_mean) / training_std)[:, None]
    df_test_value = ((test - training_mean) / training_std)[:, None]
    return df_training_value.astype("float32"), df_test_value.astype("float32")


# Generated training sequences for use in the model.
def create_sequences(values, time_steps=TIME_STEPS):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i : (i + time_steps)])
    return np.stack(output)


def build():
    model = keras.Sequential(
        [
            layers.Input(shape=(TIME_STEPS, 1)),
            layers.Conv1D(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1D(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model


def run(model, data, tmpdir):
    df_training_value, df_test_value = data
    x_train = create_sequences(df_training_value)
    out = {"params": model.count_params(), "output_shape": list(model.output_shape[1:]),
           "untrained_reconstruction": model.predict(x_train[:8], verbose=0)}
    history = model.fit(
        x_train,
        x_train,
        epochs=50,
        batch_size=32,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
        ],
        verbose=0,
    )
    out["history"] = history.history

    # Get train MAE loss.
    x_train_pred = model.predict(x_train, verbose=0)
    train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
    # Get reconstruction loss threshold.
    threshold = np.max(train_mae_loss)

    # Create sequences from test values.
    x_test = create_sequences(df_test_value)
    # Get test MAE loss.
    x_test_pred = model.predict(x_test, verbose=0)
    test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1)
    test_mae_loss = test_mae_loss.reshape((-1))
    # Detect all the samples which are anomalies.
    anomalies = test_mae_loss > threshold

    # data i is an anomaly if samples [(i - timesteps + 1) to (i)] are anomalies
    anomalous_data_indices = []
    for data_idx in range(TIME_STEPS - 1, len(df_test_value) - TIME_STEPS + 1):
        if np.all(anomalies[data_idx - TIME_STEPS + 1 : data_idx]):
            anomalous_data_indices.append(data_idx)
    out.update(threshold=float(threshold), anomalies=anomalies,
               anomalous_data_indices=anomalous_data_indices)
    return out


def check(out):
    # 32 steps -> 16 -> 8 -> 16 -> 32 -> 32: the shapes and the Keras parameter count
    assert out["output_shape"] == [TIME_STEPS, 1]
    assert out["params"] == (7 * 1 * 32 + 32) + (7 * 32 * 16 + 16) + (7 * 16 * 16 + 16) \
        + (7 * 16 * 32 + 32) + (7 * 32 * 1 + 1)
    h = out["history"]
    assert h["loss"][-1] < 0.3 * h["loss"][0]  # it learns to reconstruct the daily pattern
    flagged = np.flatnonzero(out["anomalies"])
    # every window that holds the whole jump (points 200..215) is flagged, and nearly all
    # flagged windows overlap it (the threshold is the largest training error, so a noisy
    # test window may pass it now and then)
    assert np.all(out["anomalies"][216 - TIME_STEPS:201]), flagged
    assert np.mean((flagged + TIME_STEPS > 200) & (flagged < 216)) > 0.9, flagged
    # every data point the tutorial's loop reports lies in the jump
    assert out["anomalous_data_indices"]
    assert all(200 <= i <= 231 for i in out["anomalous_data_indices"]), out["anomalous_data_indices"]
