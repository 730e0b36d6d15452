"""TensorFlow's tutorial "Time series forecasting"
(https://www.tensorflow.org/tutorials/structured_data/time_series), its pure-Keras
models with `tf.keras` written `keras` (Keras 3): the Baseline model subclass,
linear, dense, multi_step_dense (Flatten ... Reshape([1, -1])), conv_model
(Conv1D(kernel_size=(CONV_WIDTH,))), lstm_model (LSTM(32, return_sequences=True)),
the ResidualWrapper model subclass around an LSTM with a zeros-initialized last
layer, and the multi-step multi_lstm_model (Dense(OUT_STEPS*num_features) then
Reshape), each trained by the tutorial's compile_and_fit (MeanSquaredError, Adam,
MeanAbsoluteError, EarlyStopping(patience=2)). The Jena climate csv (downloaded)
is replaced by an offline daily-cycle series of three features, normalized with
the training mean and std as in the tutorial; the WindowGenerator's tf.data
windows by the same windows cut with NumPy; MAX_EPOCHS 6 (20)."""
import numpy as np

import keras

PARITY_KEYS = ["params", "untrained"]  # fit shuffles the windows, in another order per library

MAX_EPOCHS = 6
CONV_WIDTH = 3
OUT_STEPS = 6
num_features = 3
column_indices = {"T": 0, "p": 1, "rh": 2}


def data():
    rng = np.random.default_rng(21)
    t = np.arange(24 * 90, dtype=np.float64)  # hourly, 90 days
    day = 2 * np.pi * t / 24
    temp = 10 + 6 * np.sin(day) + np.cumsum(rng.normal(0, 0.05, t.size))
    pressure = 1000 + 3 * np.cos(day / 7) + rng.normal(0, 0.3, t.size)
    rh = 70 - 2.5 * (temp - 10) + rng.normal(0, 1.0, t.size)
    df = np.stack([temp, pressure, rh], axis=1)
    n = len(df)
    train_df = df[0:int(n * 0.7)]
    val_df = df[int(n * 0.7):int(n * 0.9)]
    test_df = df[int(n * 0.9):]
    train_mean = train_df.mean(axis=0)
    train_std = train_df.std(axis=0)
    return [((d - train_mean) / train_std).astype("float32") for d in (train_df, val_df, test_df)]


def make_windows(series, input_width, label_width, shift, label_columns=("T",)):
    """The tutorial's WindowGenerator.split_window over every window of the series."""
    total = input_width + shift
    starts = range(len(series) - total + 1)
    inputs = np.stack([series[s:s + input_width] for s in starts])
    labels = np.stack([series[s + total - label_width:s + total] for s in starts])
    if label_columns is not None:
        labels = labels[:, :, [column_indices[c] for c in label_columns]]
    return inputs, labels


class Baseline(keras.Model):
    def __init__(self, label_index=None):
        super().__init__()
        self.label_index = label_index

    def call(self, inputs):
        if self.label_index is None:
            return inputs
        result = inputs[:, :, self.label_index]
        return result[:, :, None]


class ResidualWrapper(keras.Model):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def call(self, inputs, *args, **kwargs):
        delta = self.model(inputs, *args, **kwargs)

        # The prediction for each time step is the input
        # from the previous time step plus the delta
        # calculated by the model.
        return inputs + delta


def compile_and_fit(model, window, patience=2):
    early_stopping = keras.callbacks.EarlyStopping(monitor='val_loss',
                                                   patience=patience,
                                                   mode='min')

    model.compile(loss=keras.losses.MeanSquaredError(),
                  optimizer=keras.optimizers.Adam(),
                  metrics=[keras.metrics.MeanAbsoluteError()])

    (x, y), val = window
    history = model.fit(x, y, epochs=MAX_EPOCHS, batch_size=32,
                        validation_data=val,
                        callbacks=[early_stopping], verbose=0)
    return history


def build():
    lstm_model = keras.models.Sequential([
        # Shape [batch, time, features] => [batch, time, lstm_units]
        keras.layers.LSTM(32, return_sequences=True),
        # Shape => [batch, time, features]
        keras.layers.Dense(units=1)
    ])
    lstm_model.build((None, 24, num_features))
    return lstm_model


def run(model, data, tmpdir):
    train_df, val_df, test_df = data
    wide = [make_windows(d, 24, 24, 1) for d in (train_df, val_df, test_df)]
    single = [make_windows(d, 1, 1, 1) for d in (train_df, val_df, test_df)]
    conv = [make_windows(d, CONV_WIDTH, 1, 1) for d in (train_df, val_df, test_df)]
    out = {"params": model.count_params(), "untrained": model.predict(wide[2][0][:4], verbose=0)}
    scores = {}

    baseline = Baseline(label_index=column_indices['T'])
    baseline.compile(loss=keras.losses.MeanSquaredError(),
                     metrics=[keras.metrics.MeanAbsoluteError()])
    scores["baseline"] = baseline.evaluate(*single[1], verbose=0)[1]

    linear = keras.Sequential([keras.layers.Dense(units=1)])
    compile_and_fit(linear, (single[0], single[1]))
    scores["linear"] = linear.evaluate(*single[1], verbose=0)[1]

    dense = keras.Sequential([
        keras.layers.Dense(units=64, activation='relu'),
        keras.layers.Dense(units=64, activation='relu'),
        keras.layers.Dense(units=1)
    ])
    compile_and_fit(dense, (single[0], single[1]))
    scores["dense"] = dense.evaluate(*single[1], verbose=0)[1]

    multi_step_dense = keras.Sequential([
        # Shape: (time, features) => (time*features)
        keras.layers.Flatten(),
        keras.layers.Dense(units=32, activation='relu'),
        keras.layers.Dense(units=32, activation='relu'),
        keras.layers.Dense(units=1),
        # Add back the time dimension.
        # Shape: (outputs) => (1, outputs)
        keras.layers.Reshape([1, -1]),
    ])
    compile_and_fit(multi_step_dense, (conv[0], conv[1]))
    scores["multi_step_dense"] = multi_step_dense.evaluate(*conv[1], verbose=0)[1]

    conv_model = keras.Sequential([
        keras.layers.Conv1D(filters=32,
                            kernel_size=(CONV_WIDTH,),
                            activation='relu'),
        keras.layers.Dense(units=32, activation='relu'),
        keras.layers.Dense(units=1),
    ])
    compile_and_fit(conv_model, (conv[0], conv[1]))
    scores["conv"] = conv_model.evaluate(*conv[1], verbose=0)[1]

    compile_and_fit(model, (wide[0], wide[1]))
    scores["lstm"] = model.evaluate(*wide[1], verbose=0)[1]

    # Residual connections: all features predicted, the last layer starts at zero
    wide_all = [make_windows(d, 24, 24, 1, label_columns=None)
                for d in (train_df, val_df, test_df)]
    residual_lstm = ResidualWrapper(
        keras.Sequential([
            keras.layers.LSTM(32, return_sequences=True),
            keras.layers.Dense(
                num_features,
                # The predicted deltas should start small.
                # Therefore, initialize the output layer with zeros.
                kernel_initializer=keras.initializers.zeros())
        ]))
    out["residual_untrained_is_identity"] = bool(np.allclose(
        residual_lstm.predict(wide_all[1][0][:4], verbose=0), wide_all[1][0][:4]))
    compile_and_fit(residual_lstm, (wide_all[0], wide_all[1]))
    scores["residual_lstm"] = residual_lstm.evaluate(*wide_all[1], verbose=0)[1]

    # Multi-step: OUT_STEPS predictions of every feature at once
    multi = [make_windows(d, 24, OUT_STEPS, OUT_STEPS, label_columns=None)
             for d in (train_df, val_df, test_df)]
    multi_lstm_model = keras.Sequential([
        # Shape [batch, time, features] => [batch, lstm_units].
        # Adding more `lstm_units` just overfits more quickly.
        keras.layers.LSTM(32, return_sequences=False),
        # Shape => [batch, out_steps*features].
        keras.layers.Dense(OUT_STEPS*num_features,
                           kernel_initializer=keras.initializers.zeros()),
        # Shape => [batch, out_steps, features].
        keras.layers.Reshape([OUT_STEPS, num_features])
    ])
    compile_and_fit(multi_lstm_model, (multi[0], multi[1]))
    out["multi_shape"] = list(multi_lstm_model.predict(multi[2][0][:2], verbose=0).shape)
    scores["multi_lstm"] = multi_lstm_model.evaluate(*multi[1], verbose=0)[1]
    # the tutorial's multi-step baseline: repeat the last input
    last = multi[1][0][:, -1:, :]
    scores["multi_last_baseline"] = float(np.abs(last - multi[1][1]).mean())
    out["scores"] = scores
    return out


def check(out):
    assert out["params"] == 4 * (32 * (num_features + 32) + 32) + 33
    assert out["untrained"].shape == (4, 24, 1)
    s = out["scores"]
    # one step ahead: the models that see several steps beat "no change" (val MAE,
    # normalized units); in 6 epochs the one-step dense model gets closer than linear
    for name in ("multi_step_dense", "conv", "lstm"):
        assert s[name] < 0.9 * s["baseline"], (name, s)
    assert s["dense"] < s["linear"], s
    assert out["residual_untrained_is_identity"] and s["residual_lstm"] < 0.5, s
    assert out["multi_shape"] == [2, OUT_STEPS, num_features]
    assert s["multi_lstm"] < s["multi_last_baseline"], s
