"""keras.io's "Customizing the convolution operation of a Conv2D layer"
(https://keras.io/examples/keras_recipes/subclassing_conv_layers/), Keras 3 version, on
the 8x8 digits instead of MNIST (the second convolution 2x2, one pooling less), 5
epochs. Both ways of the `Conv.convolution_op()` API (missing from pynn until this
port): a subclass overriding convolution_op() to standardise its kernel, and one whose
call() runs convolution_op() on a standardised kernel (and, as published, adds the
bias but drops the relu). The Dropout masks differ between libraries, so the
comparison with Keras covers the untrained predictions and the parameter count."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

PARITY_KEYS = ["count_params", "untrained_predict", "standardized_out"]


class StandardizedConv2DWithOverride(layers.Conv2D):
    def convolution_op(self, inputs, kernel):
        mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
        return ops.conv(
            inputs,
            (kernel - mean) / ops.sqrt(var + 1e-10),
            padding="valid",
            strides=list(self.strides),
        )


class StandardizedConv2DWithCall(layers.Conv2D):
    def call(self, inputs):
        mean, var = ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
        result = self.convolution_op(
            inputs, (self.kernel - mean) / ops.sqrt(var + 1e-10)
        )
        if self.use_bias:
            result = result + self.bias
        return result


# Model / data parameters
num_classes = 10
input_shape = (8, 8, 1)


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 16
    x_test = x_test.astype("float32") / 16
    # Make sure images have shape (8, 8, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)
    return (x_train, y_train), (x_test, y_test)


def build():
    model = keras.Sequential(
        [
            keras.layers.InputLayer(shape=input_shape),
            StandardizedConv2DWithCall(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            StandardizedConv2DWithOverride(64, kernel_size=(2, 2), activation="relu"),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {"count_params": model.count_params(),
           "untrained_predict": model.predict(x_test[:16], verbose=0)}
    # the override on its own: a 2x2 ones image through a standardised 2x2 kernel
    layer = StandardizedConv2DWithOverride(1, kernel_size=2, use_bias=False)
    layer.build((None, 2, 2, 1))
    layer.set_weights([np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(2, 2, 1, 1)])
    out["standardized_out"] = ops.convert_to_numpy(
        layer(np.array([1.0, 0.0, 0.0, 0.0], "float32").reshape(1, 2, 2, 1)))
    batch_size = 128
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=5,
                        validation_split=0.1, verbose=0)
    out["history"] = history.history
    out["evaluate"] = model.evaluate(x_test, y_test, verbose=0)
    return out


def check(out):
    # the kernel (1, 2, 3, 4) standardised: (1 - 2.5) / sqrt(1.25), times the one pixel
    np.testing.assert_allclose(out["standardized_out"].ravel(), [-1.5 / np.sqrt(1.25)],
                               rtol=1e-5)
    assert out["count_params"] == (9 * 32 + 32) + (4 * 32 * 64 + 64) + (2 * 2 * 64 * 10 + 10)
    h = out["history"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert out["evaluate"][1] > 0.7  # ten digits: chance is 0.1
