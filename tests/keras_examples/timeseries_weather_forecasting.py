"""keras.io's "Timeseries forecasting for weather prediction"
(https://keras.io/examples/timeseries/timeseries_weather_forecasting/), Keras 3
version, on a synthetic hourly "climate" table instead of the Jena file (7 features
with daily and yearly cycles, noise and a temperature that follows them; NumPy arrays
instead of the pandas frame): normalisation by the training split's statistics,
`keras.utils.timeseries_dataset_from_array` with a sampling rate (the past 120 hours
every 6th, predicting 12 hours ahead), `dataset.take(1)` to read the input shape,
LSTM(32) -> Dense(1) with mse, EarlyStopping and a save_best_only ModelCheckpoint of
the weights, 4 epochs. Keras 3 builds these datasets with tf.data, so the side-by-side
run needs TensorFlow."""
import os

import numpy as np

import keras

KERAS_NEEDS_TENSORFLOW = True

split_fraction = 0.715
step = 6
past = 120
future = 12
learning_rate = 0.001
batch_size = 64
epochs = 4


def data():
    rng = np.random.default_rng(0)
    hours = np.arange(6000)
    day = np.sin(2 * np.pi * hours / 24)
    year = np.sin(2 * np.pi * hours / (24 * 365 / 8))
    pressure = 990 + 5 * year + rng.normal(0, 1, len(hours)).cumsum() * 0.05
    temp = 10 + 8 * year + 4 * day + rng.normal(0, 0.5, len(hours))
    features = np.stack([pressure, temp, temp - 3 + rng.normal(0, 0.3, len(hours)),
                         60 - 2 * day + rng.normal(0, 2, len(hours)),
                         5 + day + rng.normal(0, 0.2, len(hours)),
                         1.2 - 0.01 * temp, rng.gamma(2, 1, len(hours))], 1)
    return features.astype("float32")


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


def build():
    return None  # the model is built from the dataset's shape in run()


def run(model, features, tmpdir):
    train_split = int(split_fraction * int(features.shape[0]))
    features = normalize(features, train_split)
    train_data = features[0: train_split - 1]
    val_data = features[train_split:]

    start = past + future
    end = start + train_split
    x_train = train_data[:, :7]
    y_train = features[start:end][:, [1]]
    sequence_length = int(past / step)

    dataset_train = keras.utils.timeseries_dataset_from_array(
        x_train,
        y_train,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )

    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data[:x_end][:, :7]
    y_val = features[label_start:][:, [1]]

    dataset_val = keras.utils.timeseries_dataset_from_array(
        x_val,
        y_val,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )

    for batch in dataset_train.take(1):
        inputs, targets = batch

    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")

    path_checkpoint = os.path.join(tmpdir, "model_checkpoint.weights.h5")
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss",
        filepath=path_checkpoint,
        verbose=0,
        save_weights_only=True,
        save_best_only=True,
    )
    history = model.fit(
        dataset_train,
        epochs=epochs,
        validation_data=dataset_val,
        callbacks=[es_callback, modelckpt_callback],
        verbose=0,
    )
    model.load_weights(path_checkpoint)
    preds, truth = [], []
    for x, y in dataset_val.take(3):
        preds.append(keras.ops.convert_to_numpy(model.predict(x, verbose=0)))
        truth.append(keras.ops.convert_to_numpy(y))
    return {"history": history.history, "input_shape": [int(d) for d in inputs.shape[1:]],
            "val_mse": float(np.mean((np.concatenate(preds) - np.concatenate(truth)) ** 2)),
            "val_var": float(np.var(np.concatenate(truth)))}


def check(out):
    assert out["input_shape"] == [20, 7]
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert out["val_mse"] < 0.5 * out["val_var"]  # better than predicting the mean
