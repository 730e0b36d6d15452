"""keras.io's "Simple custom layer example: Antirectifier"
(https://keras.io/examples/keras_recipes/antirectifier/), Keras 3 version, on the 8x8
digits flattened to 64 values instead of MNIST's 784, Dense(64) instead of Dense(256),
3 epochs instead of 20. The layer's call() centres its input in place
(`inputs -= ops.mean(...)`): on a traced tensor that must rebind the name to a new
tensor, as in Keras, not write into the placeholder (the port once silently returned
relu(x) uncentred). The Dropout(0.5) masks differ between libraries, so the
comparison with Keras covers the untrained predictions, the parameter count and the
get_config round trip; pynn's own run must learn."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

PARITY_KEYS = ["count_params", "untrained_logits", "config_initializer"]


class Antirectifier(layers.Layer):
    def __init__(self, initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        output_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(output_dim * 2, output_dim),
            initializer=self.initializer,
            name="kernel",
            trainable=True,
        )

    def call(self, inputs):
        inputs -= ops.mean(inputs, axis=-1, keepdims=True)
        pos = ops.relu(inputs)
        neg = ops.relu(-inputs)
        concatenated = ops.concatenate([pos, neg], axis=-1)
        mixed = ops.matmul(concatenated, self.kernel)
        return mixed

    def get_config(self):
        # Implement get_config to enable serialization. This is optional.
        base_config = super().get_config()
        config = {"initializer": keras.initializers.serialize(self.initializer)}
        return dict(list(base_config.items()) + list(config.items()))


# Training parameters
batch_size = 128
num_classes = 10
epochs = 3


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = x_train.reshape(-1, 64)
    x_test = x_test.reshape(-1, 64)
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train /= 16
    x_test /= 16
    return (x_train, y_train), (x_test, y_test)


def build():
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            layers.Dense(64),
            Antirectifier(),
            layers.Dense(64),
            Antirectifier(),
            layers.Dropout(0.5),
            layers.Dense(10),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {"count_params": model.count_params(),
           "untrained_logits": model.predict(x_test[:16], verbose=0),
           "config_initializer": model.layers[1].get_config()["initializer"]["class_name"]}
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=0.15, verbose=0)
    out["history"] = history.history
    out["evaluate"] = model.evaluate(x_test, y_test, verbose=0)
    # the layer by hand: the centred input's positive and negative parts, mixed
    layer = model.layers[1]
    h = keras.Sequential(model.layers[:1]).predict(x_test[:4], verbose=0)
    c = h - h.mean(-1, keepdims=True)
    out["layer_ref"] = np.concatenate([np.maximum(c, 0), np.maximum(-c, 0)], -1) @ \
        ops.convert_to_numpy(layer.kernel)
    out["layer_out"] = ops.convert_to_numpy(layer(h.copy()))
    return out


def check(out):
    assert out["count_params"] == 64 * 64 + 64 + 128 * 64 + 64 * 64 + 64 + 128 * 64 + 64 * 10 + 10
    assert out["config_initializer"] == "HeNormal"
    np.testing.assert_allclose(out["layer_out"], out["layer_ref"], rtol=1e-4, atol=1e-4)
    h = out["history"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert out["evaluate"][1] > 0.7  # ten digits: chance is 0.1
