"""keras.io's "Training & evaluation with the built-in methods"
(https://keras.io/guides/training_with_built_in_methods/), on the 8x8 digits in
place of MNIST: the end-to-end example (a functional model, RMSprop,
SparseCategoricalCrossentropy and SparseCategoricalAccuracy objects,
validation_data, evaluate, predict), the string shortcuts, a custom loss function
on ops.one_hot targets, a keras.losses.Loss subclass, class_weight and
sample_weight. Every model starts from the first model's initial weights so the
runs can be compared."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    # Preprocess the data (these are NumPy arrays)
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16
    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")
    # Reserve 300 samples for validation
    return (x_train[:-300], y_train[:-300]), (x_train[-300:], y_train[-300:]), (x_test, y_test)


def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


def build():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    initial = model.get_weights()
    out = {}
    history = model.fit(x_train, y_train, batch_size=64, epochs=6, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    out["history"] = history.history
    out["results"] = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    out["predictions"] = model.predict(x_test[:3], verbose=0)

    model = get_compiled_model()
    model.set_weights(initial)
    out["shortcuts"] = model.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False,
                                 verbose=0).history

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    for name, loss in (("custom_function", custom_mean_squared_error),
                       ("custom_class", CustomMSE())):
        model = get_uncompiled_model()
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
        out[name] = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, shuffle=False,
                              verbose=0).history["loss"]

    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0  # Set weight "2" for class "5", making this class 2x more important
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    for name, kwargs in (("class_weight", {"class_weight": class_weight}),
                         ("sample_weight", {"sample_weight": sample_weight})):
        model = get_compiled_model()
        model.set_weights(initial)
        out[name] = model.fit(x_train, y_train, batch_size=64, epochs=1, shuffle=False,
                              verbose=0, **kwargs).history
        out[name + "_weights"] = model.get_weights()
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["loss", "sparse_categorical_accuracy", "val_loss",
                         "val_sparse_categorical_accuracy"]
    loss, acc = out["results"]
    assert acc > 0.85 and loss < 0.6                  # ten digits: chance is 0.1
    assert out["predictions"].shape == (3, 10)
    assert out["custom_class"][0] > out["custom_function"][0]   # + 0.1·mean((0.5 - p)²)
    # class_weight {5: 2} and sample_weight 2 on the fives are the same training
    assert out["class_weight"] == out["sample_weight"]
    for a, b in zip(out["class_weight_weights"], out["sample_weight_weights"]):
        np.testing.assert_array_equal(a, b)
