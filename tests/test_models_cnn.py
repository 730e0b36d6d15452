"""A CNN learns the bundled 8x8 digits to >= 0.97 test accuracy (issue #4) in a
CI-sized run, on the compiled driver."""
import numpy as np

import pynn
from pynn import layers


def test_digits_cnn_reaches_97_percent():
    (x, y), (xt, yt) = pynn.datasets.digits.load_data()
    x = (x.reshape(-1, 8, 8, 1) / 16.0).astype(np.float32)
    xt = (xt.reshape(-1, 8, 8, 1) / 16.0).astype(np.float32)
    pynn.set_seed(3)
    model = pynn.Sequential([
        pynn.Input(shape=(8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=25, verbose=0)
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    assert history.history["loss"][-1] < 0.1
    assert accuracy >= 0.97, accuracy
