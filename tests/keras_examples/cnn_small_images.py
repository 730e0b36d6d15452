"""A small convnet on colour images, after the TensorFlow CNN tutorial
(https://www.tensorflow.org/tutorials/images/cnn: Conv2D / MaxPooling2D stacks,
Adam) shrunk to 12x12x3 inputs, with the BatchNormalization + GlobalAveragePooling2D
head of https://keras.io/examples/vision/image_classification_from_scratch/ and
one-hot labels with categorical_crossentropy."""
import numpy as np

import keras
from keras import layers


def data():
    rng = np.random.default_rng(1)
    # zero-mean pixels: with all-positive images a ReLU channel can stay linear everywhere,
    # and then its bias feeds BatchNormalization a constant, whose gradient is exactly zero
    # (float noise that Adam would amplify into different steps in any two libraries)
    x = rng.normal(size=(64, 12, 12, 3)).astype("float32")
    labels = (x[:, :6, :, 0].mean(axis=(1, 2)) > x[:, 6:, :, 1].mean(axis=(1, 2))).astype(int)
    labels = labels + (x[..., 2].mean(axis=(1, 2)) > 0.0)
    y = keras.utils.to_categorical(labels, 3)
    return x, y


def build():
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 3)),
        layers.Conv2D(8, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, (3, 3), strides=1, padding="valid", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x, y = data
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=16, verbose=0),
            "predict": model.predict(x[:8], verbose=0),
            "weights": model.get_weights()}


def check(out):
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["predict"].shape == (8, 3)
    np.testing.assert_allclose(out["predict"].sum(axis=1), 1.0, rtol=1e-5)
    # BatchNormalization's moving statistics moved away from their initial 0 / 1
    moving_mean, moving_var = out["weights"][5], out["weights"][6]
    assert np.abs(moving_mean).max() > 1e-3 and np.abs(moving_var - 1).max() > 1e-3
