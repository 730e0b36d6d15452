"""TensorFlow's "TensorFlow 2 quickstart for beginners"
(https://www.tensorflow.org/tutorials/quickstart/beginner), its Keras program with
`tf.keras` written as `keras` and `tf.nn.softmax` as `keras.ops.softmax`, on
Fashion-MNIST's first 2000 / 500 images (the tutorial's MNIST shape, 28x28 uint8)
instead of MNIST, 3 epochs instead of 5: Flatten / Dense / Dropout / Dense logits,
the untrained model called on one image, the loss function called by hand on it, compile with that loss object, fit, evaluate,
and the probability model wrapping the trained one in a Sequential with Softmax. The
Dropout masks differ between libraries, so the comparison with Keras covers the
untrained values."""
import numpy as np

import keras

from keras_examples._data import fashion_mnist

PARITY_KEYS = ["predictions", "softmax", "loss_by_hand", "count_params"]


def data():
    (x_train, y_train), (x_test, y_test) = fashion_mnist(2000, 500)
    x_train, x_test = x_train / 255.0, x_test / 255.0
    return (x_train.astype("float32"), y_train), (x_test.astype("float32"), y_test)


def build():
    model = keras.models.Sequential([
        keras.layers.Input((28, 28)),
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10)
    ])
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {"count_params": model.count_params(), "label0": int(y_train[0])}
    predictions = keras.ops.convert_to_numpy(model(x_train[:1]))
    out["predictions"] = predictions
    out["softmax"] = keras.ops.convert_to_numpy(keras.ops.softmax(predictions))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    out["loss_by_hand"] = float(keras.ops.convert_to_numpy(loss_fn(y_train[:1], predictions)))
    model.compile(optimizer='adam',
                  loss=loss_fn,
                  metrics=['accuracy'])
    out["history"] = model.fit(x_train, y_train, epochs=3, verbose=0).history
    out["evaluate"] = model.evaluate(x_test, y_test, verbose=0)
    probability_model = keras.Sequential([
        model,
        keras.layers.Softmax()
    ])
    out["probabilities"] = keras.ops.convert_to_numpy(probability_model(x_test[:5]))
    out["logits"] = keras.ops.convert_to_numpy(model(x_test[:5]))
    return out


def check(out):
    assert out["predictions"].shape == (1, 10)
    np.testing.assert_allclose(out["softmax"].sum(), 1.0, rtol=1e-6)
    # the loss object called by hand: -log of the softmax at the label
    np.testing.assert_allclose(out["loss_by_hand"], -np.log(out["softmax"][0][out["label0"]]),
                               rtol=1e-5)
    e = np.exp(out["logits"] - out["logits"].max(1, keepdims=True))
    np.testing.assert_allclose(out["probabilities"], e / e.sum(1, keepdims=True), rtol=1e-5)
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
    assert out["evaluate"][1] > 0.7  # ten classes: chance is 0.1
