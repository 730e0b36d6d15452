"""Regression with a custom loss function written with keras.ops (a per-sample
pseudo-Huber loss, as in the custom-loss section of
https://keras.io/guides/training_with_built_in_methods/), per-sample
sample_weight, an L2 kernel regularizer
(https://keras.io/api/layers/regularizers/) and Adam on an ExponentialDecay
schedule (https://keras.io/api/optimizers/learning_rate_schedules/exponential_decay/)."""
import numpy as np

import keras
from keras import layers


def pseudo_huber(y_true, y_pred):
    d = keras.ops.subtract(y_pred, y_true)
    sq = keras.ops.square(d)
    return keras.ops.mean(keras.ops.sqrt(sq + 1.0) - 1.0, axis=-1)  # per sample


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 2)) + 0.1 * rng.normal(size=(80, 2))).astype("float32")
    sw = rng.uniform(0.2, 2.0, size=80).astype("float32")
    return x, y, sw


def build():
    model = keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(8, activation="elu", kernel_regularizer=keras.regularizers.L2(0.01)),
        layers.Dense(2),
    ])
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=0.05, decay_steps=3, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss=pseudo_huber,
                  metrics=["mae"])
    return model


def run(model, data, tmpdir):
    x, y, sw = data
    history = model.fit(x, y, sample_weight=sw, batch_size=16, epochs=3, shuffle=False,
                        verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, sample_weight=sw, verbose=0),
            "predict": model.predict(x, verbose=0),
            "weights": model.get_weights()}


def check(out):
    x, y, sw = data()
    p = out["predict"]
    per_sample = np.mean(np.sqrt((p - y) ** 2 + 1.0) - 1.0, axis=-1)
    penalty = 0.01 * np.sum(out["weights"][0].astype(np.float64) ** 2)
    loss, mae = out["evaluate"]
    # Keras: Σ w·l / number of samples, plus the regularization penalty; plain metrics unweighted
    np.testing.assert_allclose(loss, np.mean(sw * per_sample) + penalty, rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(p - y)), rtol=1e-5)
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
