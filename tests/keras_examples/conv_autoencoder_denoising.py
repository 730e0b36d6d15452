"""keras.io's "Convolutional autoencoder for image denoising"
(https://keras.io/examples/vision/autoencoder/) on the 8x8 digits: the same
program (scale to [0, 1], add noise_factor * normal noise and clip, the Conv2D /
MaxPooling2D encoder and the Conv2DTranspose(strides=2) decoder with a sigmoid
Conv2D, binary_crossentropy with Adam, autoencoder.fit(x, x), then fit on noisy
inputs against clean targets, predict). Epochs and batch sizes shrunk; the noise
is drawn with a seeded NumPy generator so both libraries see the same data."""
import numpy as np

import keras
from keras import layers
from keras.models import Model

from keras_examples._data import digits


def preprocess(array):
    """Normalizes the supplied array and reshapes it."""
    array = array.astype("float32") / 16.0
    array = np.reshape(array, (len(array), 8, 8, 1))
    return array


def noise(array, rng):
    """Adds random noise to each image in the supplied array."""
    noise_factor = 0.4
    noisy_array = array + noise_factor * rng.normal(loc=0.0, scale=1.0, size=array.shape)
    return np.clip(noisy_array, 0.0, 1.0).astype("float32")


def data():
    (train_data, _), (test_data, _) = digits()
    train_data = preprocess(train_data)
    test_data = preprocess(test_data)
    rng = np.random.default_rng(0)
    noisy_train_data = noise(train_data, rng)
    noisy_test_data = noise(test_data, rng)
    return train_data, test_data, noisy_train_data, noisy_test_data


def build():
    input = layers.Input(shape=(8, 8, 1))

    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)

    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

    # Autoencoder
    autoencoder = Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def run(autoencoder, data, tmpdir):
    train_data, test_data, noisy_train_data, noisy_test_data = data
    out = {"params": autoencoder.count_params(),
           "untrained": autoencoder.predict(test_data[:3], verbose=0)}
    h1 = autoencoder.fit(x=train_data, y=train_data, epochs=3, batch_size=64, shuffle=False,
                         validation_data=(test_data, test_data), verbose=0)
    h2 = autoencoder.fit(x=noisy_train_data, y=train_data, epochs=8, batch_size=32,
                         shuffle=False, validation_data=(noisy_test_data, test_data), verbose=0)
    predictions = autoencoder.predict(noisy_test_data, verbose=0)
    out.update(history=h1.history, denoise_history=h2.history, predictions=predictions[:8],
               denoised_mse=float(np.mean((predictions - test_data) ** 2)),
               noisy_mse=float(np.mean((noisy_test_data - test_data) ** 2)))
    return out


# Compared with Keras: the untrained outputs and the first fit (3 epochs, 63 Adam steps),
# within the float32 rounding those steps carry along. The denoising fit that follows
# (328 more steps) drifts by a few % per pixel between any two summation orders, so it
# is held to what the tutorial shows instead (check below).
PARITY_KEYS = ["params", "untrained", "history"]
PARITY_TOL = (2e-3, 2e-4)


def check(out):
    # Conv 3·3·1·32+32, Conv 3·3·32·32+32, two Conv2DTranspose 3·3·32·32+32, Conv 3·3·32·1+1
    assert out["params"] == 320 + 9248 + 9248 + 9248 + 289
    h, d = out["history"]["loss"], out["denoise_history"]["val_loss"]
    assert h[-1] < h[0] and d[-1] < d[0]
    # the denoised test images are closer to the clean ones than the noisy inputs were
    assert out["denoised_mse"] < 0.6 * out["noisy_mse"]
