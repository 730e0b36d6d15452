"""keras.io's "Making new layers and models via subclassing"
(https://keras.io/guides/making_new_layers_and_models_via_subclassing/), Keras 3
version, the cells subclassing_layers.py and vae_subclassing.py do not run: "You can
optionally enable serialization on your layers" (Linear(units=32, **kwargs) passing
name / dtype to the parent, get_config = super().get_config() + units, and
Linear.from_config(config)) and "Privileged training argument in the call() method"
(CustomDropout calling keras.random.dropout only when training). The guide defines
these without training them; here the two are used in a small classifier on the 8x8
digits, so that fit runs CustomDropout with training=True and evaluate / predict with
training=False. The dropout masks are each library's own draws: Keras and pynn are
compared on the configs, on the untrained predictions and evaluation (no dropout),
and on the layer's behaviour in training (what is kept is scaled by 1 / (1 - rate))."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

PARITY_KEYS = ["config", "from_config", "untrained", "untrained_eval", "dropout_inference",
               "dropout_training_scale"]


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate)
        return inputs


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    return (x_train.reshape(-1, 64).astype("float32") / 16, y_train,
            x_test.reshape(-1, 64).astype("float32") / 16, y_test)


def build():
    inputs = keras.Input(shape=(64,))
    x = Linear(32, name="hidden")(inputs)
    x = layers.Activation("relu")(x)
    x = CustomDropout(0.3)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    out = {}
    layer = Linear(64, name="linear_64")
    config = layer.get_config()
    out["config"] = {k: config[k] for k in sorted(config) if k != "dtype"}
    new_layer = Linear.from_config(config)
    out["from_config"] = [new_layer.units, new_layer.name, type(new_layer).__name__]

    out["untrained"] = model.predict(x_test[:5], verbose=0)
    out["untrained_eval"] = model.evaluate(x_test, y_test, verbose=0)

    dropout = CustomDropout(0.5)
    ones = np.ones((200, 50), "float32")
    out["dropout_inference"] = ops.convert_to_numpy(dropout(ones))
    dropped = ops.convert_to_numpy(dropout(ones, training=True))
    # what is kept is scaled by 1 / (1 - rate): every value is 0 or 2
    out["dropout_training_scale"] = sorted(set(np.round(dropped.ravel(), 5).tolist()))
    out["dropout_training_kept"] = float((dropped != 0).mean())

    history = model.fit(x_train, y_train, batch_size=32, epochs=8, shuffle=False, verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(x_test, y_test, verbose=0)
    # inference: no dropout, the same output twice
    out["deterministic"] = np.array_equal(model.predict(x_test[:8], verbose=0),
                                          model.predict(x_test[:8], verbose=0))
    return out


def check(out):
    assert out["config"]["units"] == 64 and out["config"]["name"] == "linear_64"
    assert out["config"]["trainable"] is True
    assert out["from_config"] == [64, "linear_64", "Linear"]
    np.testing.assert_array_equal(out["dropout_inference"], 1.0)
    assert out["dropout_training_scale"] == [0.0, 2.0]
    assert 0.45 < out["dropout_training_kept"] < 0.55
    assert out["deterministic"]
    assert out["history"]["loss"][-1] < 0.5 * out["history"]["loss"][0]
    assert out["score"][1] > 0.9
