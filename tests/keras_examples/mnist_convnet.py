"""keras.io's "Simple MNIST convnet" (https://keras.io/examples/vision/mnist_convnet/)
on the 8x8 digits: the same program (scale to [0, 1], np.expand_dims to (h, w, 1),
keras.utils.to_categorical, Conv2D / MaxPooling2D / Flatten / Dropout(0.5) / Dense
softmax, model.summary(), categorical_crossentropy with Adam, validation_split=0.1,
evaluate), with the second convolution padded "same" so that 8x8 images survive two
poolings. Dropout's masks are random, so only what precedes training is compared
with Keras; the trained model must reach a stated test accuracy."""
import io
from contextlib import redirect_stdout

import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

# Model / data parameters
num_classes = 10
input_shape = (8, 8, 1)

PARITY_KEYS = ["x_train_shape", "y_train", "summary_params", "untrained_score",
               "untrained_predict"]


def data():
    # Load the data and split it between train and test sets
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
    return x_train, y_train, x_test, y_test


def build():
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu", padding="same"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    screen = io.StringIO()
    with redirect_stdout(screen):
        model.summary()
    batch_size = 32   # the tutorial's 128 on 54,000 images; 1,294 images need smaller batches
    epochs = 6
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    out = {"x_train_shape": x_train.shape, "y_train": y_train[:5],
           "summary": screen.getvalue(), "summary_params": model.count_params(),
           "untrained_score": model.evaluate(x_test, y_test, verbose=0),
           "untrained_predict": model.predict(x_test[:4], verbose=0)}
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=0.1, verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(x_test, y_test, verbose=0)
    return out


def check(out):
    assert out["x_train_shape"][1:] == (8, 8, 1)
    # conv 3·3·1·32+32, conv 3·3·32·64+64, dense (1·1·64)·10+10
    assert out["summary_params"] == 320 + 18496 + 650
    assert "Total params: 19,466 (76.04 KB)" in out["summary"]
    assert 0.05 < out["untrained_score"][1] < 0.3     # chance before training
    test_loss, test_accuracy = out["score"]
    assert test_accuracy > 0.85 and test_loss < 0.5   # ten classes: chance is 0.1
    assert len(out["history"]["val_accuracy"]) == 6
