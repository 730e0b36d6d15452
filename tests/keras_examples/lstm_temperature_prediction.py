"""keras.io's "Timeseries forecasting with LSTM for temperature prediction"
(https://keras.io/examples/timeseries/timeseries_forecasting_with_lstm_for_temperature_prediction/),
its Keras code with `tensorflow.keras` written `keras` (Keras 3):
keras.utils.timeseries_dataset_from_array for 10-day windows of (TempAvgF, month,
day) with the next-day target, the validation set as one batch of
X_validation.shape[0] - 10 windows, the "sneak peek" of a batch (inputs.numpy(),
targets.numpy()), the model built from that batch's shape (Input, LSTM(20), Dense(1)),
Adam(0.01) and mse, fit with validation_data, then next(iter(dataset_validation))
predicted. The Austin weather csv (downloaded with wget, read with pandas) is replaced
by an offline daily series of three years with a seasonal cycle and noise (NumPy
arrays in place of the data frame; years 2014-2015 train, 2017 validates, as the
example's split). Keras 3 builds these datasets with tf.data, so
the side-by-side run needs TensorFlow."""
import numpy as np

import keras
from keras import layers

KERAS_NEEDS_TENSORFLOW = True


def data():
    rng = np.random.default_rng(8)
    days = np.arange(4 * 365)  # 2014-01-01 .. 2017-12-30
    year = 2014 + days // 365
    day_of_year = days % 365
    month = 1 + (day_of_year * 12) // 365
    day = 1 + (day_of_year % 30)
    temp = 70 + 15 * np.sin(2 * np.pi * (day_of_year - 100) / 365) + rng.normal(0, 3, len(days))
    target = np.roll(temp, -10)  # df["TempAvgF"].shift(-10), the last 10 rows dropped
    keep = slice(0, len(days) - 10)
    return (year[keep], np.stack([temp, month, day], 1)[keep].astype("float32"),
            target[keep].astype("float32"))


def build():
    return None  # the model is built from the dataset's shape in run(), as in the example


def run(model, data, tmpdir):
    year, features, target = data
    out = {}
    # Train and validation split
    train = year < 2016
    validation = year > 2016
    X_train, y_train = features[train], target[train]
    X_validation, y_validation = features[validation], target[validation]

    dataset_train = keras.utils.timeseries_dataset_from_array(
        X_train, y_train, sequence_length=10, sequence_stride=1
    )
    dataset_validation = keras.utils.timeseries_dataset_from_array(
        X_validation,
        y_validation,
        sequence_length=10,
        batch_size=X_validation.shape[0] - 10,
        sequence_stride=1,
    )

    # A sneak peek at the data
    for batch in dataset_train:
        inputs, targets = batch
        break
    inp_arr = inputs.numpy()
    out["peek"] = [list(inp_arr.shape), list(targets.numpy().shape)]
    # the second window starts one day after the first
    out["peek_windows"] = np.array_equal(inp_arr[0][1:], inp_arr[1][:-1])

    model = keras.Sequential(
        [
            layers.Input(shape=(inputs.shape[1], inputs.shape[2])),
            # Uncomment below line if you want to use intermediate layers.
            # layers.LSTM(20, return_sequences=True),
            layers.LSTM(20, return_sequences=False),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")

    history = model.fit(dataset_train, epochs=200, validation_data=dataset_validation,
                        verbose=0)
    out["history"] = history.history

    input_validation, target_validation = next(iter(dataset_validation))
    output_validation = model.predict(input_validation, verbose=0)
    out["validation_shapes"] = [list(input_validation.shape), list(output_validation.shape)]
    out["validation_mae"] = float(np.mean(np.abs(output_validation[:, 0] -
                                                 target_validation.numpy())))
    out["target_std"] = float(np.std(target_validation.numpy()))
    return out


def check(out):
    assert out["peek"] == [[128, 10, 3], [128]] and out["peek_windows"]
    assert out["validation_shapes"] == [[345, 10, 3], [345, 1]]
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"] and h["loss"][-1] < 0.1 * h["loss"][0]
    # the seasonal cycle is learned: the error is well below the spread of the targets
    assert out["validation_mae"] < 0.5 * out["target_std"], out
