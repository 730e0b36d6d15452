"""keras.io's "Multivariate Time Series Forecasting using LSTM"
(https://keras.io/examples/timeseries/multivariate_timeseries_forecasting_using_lstm/,
source https://github.com/keras-team/keras-io/blob/master/examples/timeseries/multivariate_timeseries_forecasting_using_lstm.py).

Kept as published: StandardScaler on the five price columns (Open, High, Low, Close,
Adj Close), target = the scaled Open, train_test_split(test_size=0.25,
random_state=123, shuffle=False), windows of win_length days predicting the next
day's Open in batches of 62, the Sequential model built with `input_shape=` on its
first layer (LSTM(return_sequences=True), LeakyReLU(alpha=0.5), LSTM, LeakyReLU(alpha=0.5),
Dropout(0.3), LSTM, Dropout(0.3), Dense(1)), MeanSquaredError / Adam /
MeanAbsoluteError, fit(..., shuffle=False), evaluate, predict and the
inverse_transform of the predictions.

Changed: the GOOG csv (a download) is replaced by 400 days of a synthetic random-walk
price whose High / Low / Close / Adj Close follow the Open; win_length 60 -> 20 and
the LSTM units 128/128/64 -> 16/16/8 (CPU-sized), epochs 50 -> 3; the tf.keras
TimeseriesGenerator (absent from Keras 3's public API: `keras.preprocessing.sequence`
has pad_sequences only) is replaced by the same windows cut in NumPy
(x[i - win_length:i] -> y[i]) and passed as arrays with batch_size=62, which gives the
generator's batches in its order; tf.losses / tf.optimizers / tf.metrics are spelled
keras.losses / keras.optimizers / keras.metrics; the plots and DataFrames are left out.
Dropout is random in training, so Keras is compared on what precedes training."""
import numpy as np

import keras
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

win_length = 20  # window length
batch_size = 62
num_features = 5

PARITY_KEYS = ["untrained_predict", "untrained_evaluate", "count_params"]


def data():
    rng = np.random.default_rng(2004)
    open_ = 100 + np.cumsum(rng.normal(0.1, 2.0, 400))
    close = open_ + rng.normal(0, 1.0, 400)
    high = np.maximum(open_, close) + rng.uniform(0, 2, 400)
    low = np.minimum(open_, close) - rng.uniform(0, 2, 400)
    adj_close = close * 0.98
    return np.stack([open_, high, low, close, adj_close], axis=1)


def windows(features, target, length):
    """What TimeseriesGenerator(features, target, length=length, sampling_rate=1) yields."""
    x = np.stack([features[i - length:i] for i in range(length, len(features))])
    return x.astype("float32"), target[length:].astype("float32")


def build():
    model = keras.Sequential()
    model.add(
        keras.layers.LSTM(
            16, input_shape=(win_length, num_features), return_sequences=True
        )
    )
    model.add(keras.layers.LeakyReLU(alpha=0.5))
    model.add(keras.layers.LSTM(16, return_sequences=True))
    model.add(keras.layers.LeakyReLU(alpha=0.5))
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.LSTM(8, return_sequences=False))
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.Dense(1))
    model.summary()
    return model


def run(model, df_input, tmpdir):
    scaler = StandardScaler()
    data_scaled = scaler.fit_transform(df_input)
    features = data_scaled
    target = data_scaled[:, 0]  # Target Column - Open Price
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=123, shuffle=False
    )
    train_x, train_y = windows(x_train, y_train, win_length)
    test_x, test_y = windows(x_test, y_test, win_length)

    model.compile(
        loss=keras.losses.MeanSquaredError(),
        optimizer=keras.optimizers.Adam(),
        metrics=[keras.metrics.MeanAbsoluteError()],
    )
    untrained_predict = model.predict(test_x, batch_size=batch_size, verbose=0)
    untrained_evaluate = model.evaluate(test_x, test_y, batch_size=batch_size, verbose=0)

    history = model.fit(
        train_x, train_y, batch_size=batch_size, epochs=3,
        validation_data=(test_x, test_y), shuffle=False, verbose=0
    )

    test_loss, test_mae = model.evaluate(test_x, test_y, batch_size=batch_size, verbose=0)
    predictions = model.predict(test_x, batch_size=batch_size, verbose=0)

    # To get the original values, the inverse_transform has to be performed.
    df_pred = np.concatenate([predictions, x_test[:, 1:][win_length:]], axis=1)
    in_trans = scaler.inverse_transform(df_pred)
    return {"untrained_predict": untrained_predict,
            "untrained_evaluate": untrained_evaluate,
            "count_params": model.count_params(),
            "history": history.history,
            "test": [test_loss, test_mae],
            "predictions": predictions, "test_y": test_y,
            "predicted_open": in_trans[:, 0],
            "negative_slopes": [l.get_config().get("negative_slope")
                                for l in model.layers if type(l).__name__ == "LeakyReLU"]}


def check(out):
    h = out["history"]
    assert sorted(h) == ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["predictions"].shape == (80, 1)  # 100 test days - 20 of history
    # evaluate's numbers are those of predict's output
    err = out["predictions"][:, 0] - out["test_y"]
    np.testing.assert_allclose(out["test"], [np.mean(err ** 2), np.mean(np.abs(err))], rtol=1e-5)
    assert out["negative_slopes"] == [0.5, 0.5]
