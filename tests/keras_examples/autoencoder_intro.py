"""TensorFlow's "Intro to Autoencoders" tutorial
(https://www.tensorflow.org/tutorials/generative/autoencoder), its three models with
`tf.keras` written as `keras` (and `tf.math.reduce_prod(shape)` as `math.prod(shape)`,
`tf.clip_by_value` / `tf.random.normal` as their NumPy forms on the data, and
`losses.mae` as Keras 3's `losses.mean_absolute_error`): the Dense
Autoencoder(Model) subclass with encoder/decoder Sequentials, the Conv2D /
Conv2DTranspose Denoise model on noisy images, and the AnomalyDetector thresholding
the reconstruction error, on Fashion-MNIST (1000 training and 200 test images instead of
60000 / 10000) and synthetic heartbeat-like signals instead of the ECG5000 file.
Deterministic models and data: the comparison with Keras covers the losses and
reconstructions, from the same initial weights (the detector's first epochs)."""
import math

import numpy as np

import keras
from keras import layers, losses
from keras.models import Model

from keras_examples._data import fashion_mnist

PARITY_TOL = (2e-3, 1e-4)
# the detector's MAE loss has a kink at every sample: after ~20 epochs the two libraries'
# float32 sums, taken in another order, have drifted apart by ~0.5 % (then the decisions
# at the threshold may differ), so its first 10 epochs are compared
PARITY_KEYS = ["autoencoder", "encoded_shape", "decoded", "denoise", "encoder_out", "denoised",
               "detector_first"]


def data():
    (x_train, _), (x_test, _) = fashion_mnist(1000, 200)
    x_train = x_train.astype('float32') / 255.
    x_test = x_test.astype('float32') / 255.
    rng = np.random.default_rng(0)
    noise_factor = 0.2
    x_train_noisy = np.clip(x_train + noise_factor * rng.normal(size=x_train.shape), 0., 1.)
    x_test_noisy = np.clip(x_test + noise_factor * rng.normal(size=x_test.shape), 0., 1.)
    # heartbeats: a normal rhythm (label 1) and a distorted one (label 0), 140 samples
    t = np.linspace(0, 1, 140)
    n = 400
    labels = (np.arange(n) % 4 != 0).astype(bool)
    phase = rng.uniform(-0.05, 0.05, size=(n, 1))
    normal = np.exp(-((t - 0.3 - phase) / 0.03) ** 2) + 0.3 * np.sin(2 * np.pi * (t - phase))
    odd = np.exp(-((t - 0.6 - phase) / 0.08) ** 2) - 0.3 * np.sin(4 * np.pi * (t - phase))
    ecg = np.where(labels[:, None], normal, odd) + 0.05 * rng.normal(size=(n, 140))
    return ((x_train, x_test), (x_train_noisy.astype('float32'), x_test_noisy.astype('float32')),
            (ecg.astype('float32'), labels))


class Autoencoder(Model):
    def __init__(self, latent_dim, shape):
        super(Autoencoder, self).__init__()
        self.latent_dim = latent_dim
        self.shape = shape
        self.encoder = keras.Sequential([
            layers.Flatten(),
            layers.Dense(latent_dim, activation='relu'),
        ])
        self.decoder = keras.Sequential([
            layers.Dense(math.prod(shape), activation='sigmoid'),
            layers.Reshape(shape)
        ])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


class Denoise(Model):
    def __init__(self):
        super(Denoise, self).__init__()
        self.encoder = keras.Sequential([
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), activation='relu', padding='same', strides=2),
            layers.Conv2D(8, (3, 3), activation='relu', padding='same', strides=2)])

        self.decoder = keras.Sequential([
            layers.Conv2DTranspose(8, kernel_size=3, strides=2, activation='relu', padding='same'),
            layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation='relu', padding='same'),
            layers.Conv2D(1, kernel_size=(3, 3), activation='sigmoid', padding='same')])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


class AnomalyDetector(Model):
    def __init__(self):
        super(AnomalyDetector, self).__init__()
        self.encoder = keras.Sequential([
            layers.Dense(32, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(8, activation="relu")])

        self.decoder = keras.Sequential([
            layers.Dense(16, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(140, activation="sigmoid")])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


class _Models:
    """The tutorial's three models, built, as one object for the comparison harness."""

    def __init__(self):
        # built by a first call, as in the tutorial (fit's first batch would do it)
        self.autoencoder = Autoencoder(64, (28, 28))
        self.autoencoder(np.zeros((1, 28, 28), "float32"))
        self.denoise = Denoise()
        self.denoise(np.zeros((1, 28, 28, 1), "float32"))
        self.detector = AnomalyDetector()
        self.detector(np.zeros((1, 140), "float32"))
        self.models = [self.autoencoder, self.denoise, self.detector]

    def get_weights(self):
        return [w for m in self.models for w in m.get_weights()]

    def set_weights(self, weights):
        for m in self.models:
            n = len(m.get_weights())
            m.set_weights(weights[:n])
            weights = weights[n:]


def build():
    return _Models()


def predict(model, data, threshold):
    reconstructions = model(data)
    loss = losses.mean_absolute_error(reconstructions, data)
    return keras.ops.less(loss, threshold)


def run(models, data, tmpdir):
    (x_train, x_test), (x_train_noisy, x_test_noisy), (ecg, labels) = data
    out = {}
    autoencoder = models.autoencoder
    autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())
    h = autoencoder.fit(x_train, x_train, epochs=3, shuffle=False,
                        validation_data=(x_test, x_test), verbose=0)
    out["autoencoder"] = h.history
    encoded_imgs = keras.ops.convert_to_numpy(autoencoder.encoder(x_test))
    decoded_imgs = keras.ops.convert_to_numpy(autoencoder.decoder(encoded_imgs))
    out["encoded_shape"] = list(encoded_imgs.shape)
    out["decoded"] = decoded_imgs[:4]

    x_train_noisy = x_train_noisy[..., None]
    x_test_noisy = x_test_noisy[..., None]
    autoencoder = models.denoise
    autoencoder.compile(optimizer='adam', loss=losses.MeanSquaredError())
    h = autoencoder.fit(x_train_noisy, x_train[..., None], epochs=3, shuffle=False,
                        validation_data=(x_test_noisy, x_test[..., None]), verbose=0)
    out["denoise"] = h.history
    out["encoder_out"] = list(autoencoder.encoder.output_shape)
    encoded_imgs = keras.ops.convert_to_numpy(autoencoder.encoder(x_test_noisy))
    out["denoised"] = keras.ops.convert_to_numpy(autoencoder.decoder(encoded_imgs))[:2, ..., 0]

    # anomaly detection: train on normal rhythms only, min-max scaled as in the tutorial
    train_data, test_data = ecg[:300], ecg[300:]
    train_labels, test_labels = labels[:300], labels[300:]
    min_val, max_val = train_data.min(), train_data.max()
    train_data = (train_data - min_val) / (max_val - min_val)
    test_data = (test_data - min_val) / (max_val - min_val)
    normal_train_data = train_data[train_labels]
    autoencoder = models.detector
    autoencoder.compile(optimizer='adam', loss='mae')
    h = autoencoder.fit(normal_train_data, normal_train_data, epochs=40, batch_size=32,
                        validation_data=(test_data, test_data), shuffle=False, verbose=0)
    out["detector"] = h.history
    out["detector_first"] = h.history["loss"][:10]
    reconstructions = autoencoder.predict(normal_train_data, verbose=0)
    train_loss = keras.ops.convert_to_numpy(losses.mean_absolute_error(reconstructions, normal_train_data))
    threshold = np.mean(train_loss) + np.std(train_loss)
    out["threshold"] = threshold
    preds = keras.ops.convert_to_numpy(predict(autoencoder, test_data, threshold)).astype(bool)
    out["preds"] = preds.astype("float32")
    out["test_accuracy"] = float(np.mean(preds == test_labels))
    out["anomalies_found"] = float(np.mean(~preds[~test_labels]))
    return out


def check(out):
    assert out["encoded_shape"] == [200, 64]
    assert out["decoded"].shape == (4, 28, 28)
    assert out["encoder_out"] == [None, 7, 7, 8]
    for name in ("autoencoder", "denoise", "detector"):
        assert out[name]["loss"][-1] < 0.8 * out[name]["loss"][0], name
    # a quarter of the test rhythms are abnormal: calling all normal scores 0.75
    assert out["test_accuracy"] > 0.8 and out["anomalies_found"] > 0.9
