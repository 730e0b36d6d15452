"""keras.io's "Introduction to Keras for engineers"
(https://keras.io/getting_started/intro_to_keras_for_engineers/), on the 8x8 digits
with fewer filters: the MNIST convnet built from keras.layers.Input, Conv2D,
MaxPooling2D, GlobalAveragePooling2D and Dropout; SparseCategoricalCrossentropy,
Adam(1e-3) and SparseCategoricalAccuracy(name="acc"); ModelCheckpoint with an
{epoch} file name and EarlyStopping; validation_split=0.15; model.save and
keras.saving.load_model; predict. Then the guide's custom MyDense layer
(add_weight, keras.activations.get, keras.ops.matmul) in a functional model, and
its subclassed MyModel (a Sequential conv base, dropout, MyDense) — with
keras.layers.Dropout for the guide's MyDropout, as pynn has no keras.random.
The convnets have Dropout, so only their untrained outputs are compared with
Keras; the MyDense model is compared whole."""
import os

import numpy as np

import keras

from keras_examples._data import digits

# Model parameters
num_classes = 10
input_shape = (8, 8, 1)

PARITY_KEYS = ["untrained_predict", "untrained_score", "my_dense_history",
               "my_dense_weights", "my_dense_predict", "my_model_shapes", "my_model_untrained"]


class MyDense(keras.layers.Layer):
    def __init__(self, units, activation=None, name=None):
        super().__init__(name=name)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.w = self.add_weight(
            shape=(input_dim, self.units),
            initializer=keras.initializers.GlorotNormal(),
            name="kernel",
            trainable=True,
        )

        self.b = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Zeros(),
            name="bias",
            trainable=True,
        )

    def call(self, inputs):
        # Use Keras ops to create backend-agnostic layers/metrics/etc.
        x = keras.ops.matmul(inputs, self.w) + self.b
        return self.activation(x)


class MyModel(keras.Model):
    def __init__(self, num_classes):
        super().__init__()
        self.conv_base = keras.Sequential(
            [
                keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
                keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
                keras.layers.MaxPooling2D(pool_size=(2, 2)),
                keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
                keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
                keras.layers.GlobalAveragePooling2D(),
            ]
        )
        self.dp = keras.layers.Dropout(0.5)
        self.dense = MyDense(num_classes, activation="softmax")

    def call(self, x):
        x = self.conv_base(x)
        x = self.dp(x)
        return self.dense(x)


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 16
    x_test = x_test.astype("float32") / 16
    # Make sure images have shape (8, 8, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    return x_train, y_train, x_test, y_test


def build():
    model = keras.Sequential(
        [
            keras.layers.Input(shape=input_shape),
            keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
            keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
        ],
    )
    return model


def build_my_dense():
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs)
    x = MyDense(32, activation="relu")(x)
    outputs = MyDense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    out = {"untrained_predict": model.predict(x_test[:4], verbose=0),
           "untrained_score": model.evaluate(x_test, y_test, verbose=0)}
    batch_size = 32
    epochs = 8
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            filepath=os.path.join(tmpdir, "model_at_epoch_{epoch}.keras")),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=2),
    ]
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=0.15, callbacks=callbacks, verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(x_test, y_test, verbose=0)
    out["checkpoints"] = sorted(f for f in os.listdir(tmpdir) if f.startswith("model_at"))
    model.save(os.path.join(tmpdir, "final_model.keras"))
    predictions = model.predict(x_test, verbose=0)
    model = keras.saving.load_model(os.path.join(tmpdir, "final_model.keras"))
    out["predictions"] = predictions
    out["reloaded_predictions"] = model.predict(x_test, verbose=0)

    # The guide's custom layer, from the same seeded weights in both libraries
    my_dense = build_my_dense()
    rng = np.random.default_rng(7)
    my_dense.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                          for w in my_dense.get_weights()])
    out["my_dense_history"] = my_dense.fit(x_train, y_train, batch_size=batch_size, epochs=3,
                                           shuffle=False, verbose=0).history
    out["my_dense_weights"] = my_dense.get_weights()
    out["my_dense_predict"] = my_dense.predict(x_test[:5], verbose=0)
    out["my_dense_names"] = [w.name.split("/")[-1] for w in my_dense.weights]

    model = MyModel(num_classes=10)
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
        ],
    )
    model.predict(x_test[:1], verbose=0)  # builds it, so that seeded weights can be set
    out["my_model_shapes"] = [tuple(w.shape) for w in model.get_weights()]
    model.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    out["my_model_untrained"] = model.predict(x_test[:4], verbose=0)
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=2, validation_split=0.15,
                        verbose=0)
    out["my_model_history"] = history.history
    return out


def check(out):
    assert 0.03 < out["untrained_score"][1] < 0.3        # chance before training
    h = out["history"]
    assert sorted(h) == ["acc", "loss", "val_acc", "val_loss"]
    assert out["checkpoints"] == [f"model_at_epoch_{e}.keras" for e in range(1, len(h["loss"]) + 1)]
    assert out["score"][1] > 0.6
    np.testing.assert_array_equal(out["reloaded_predictions"], out["predictions"])
    assert out["my_dense_names"] == ["kernel", "bias", "kernel", "bias"]
    h = out["my_dense_history"]
    assert h["loss"][2] < h["loss"][1] < h["loss"][0] and h["acc"][-1] > 0.6
    assert len(out["my_model_shapes"]) == 10 and out["my_model_shapes"][-2:] == [(32, 10), (10,)]
    h = out["my_model_history"]
    assert sorted(h) == ["acc", "loss", "val_acc", "val_loss"] and h["loss"][1] < h["loss"][0]
