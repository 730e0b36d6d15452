"""keras.io's "Gradient Centralization for Better Training Performance"
(https://keras.io/examples/vision/gradient_centralization/), Keras 3 version, with
Fashion-MNIST sandals and sneakers (512 training, 256 test images; Debian's package)
in place of the Horses or Humans download: 28x28 gray images enlarged to 96x96 RGB, the
smallest size the tutorial's five Conv2D / MaxPooling2D stages take (its 300x300 input
and Conv2D(input_shape=...) resized to match). Kept: a Rescaling layer and the
RandomFlip / RandomRotation / RandomZoom augmentations called on their own on each
training batch (the tutorial's tf.data .map; here drawn once, before fit, instead of
every epoch — Keras' image layers augment when called outside a model, which pynn did
not do before this port), the Sequential CNN with Dropout, the GCRMSprop subclass of
RMSprop (whose get_gradients Keras 3 never calls: it trains as RMSprop), the
TimeHistory callback and the same model compiled and fitted twice. 3 epochs instead of
10. The augmentations and Dropout draw random numbers each library draws its own way,
so the comparison with Keras covers the untrained model (its predictions and
evaluation on the un-augmented test images) and the parameter count."""
from time import time

import numpy as np

import keras
from keras import layers
from keras.optimizers import RMSprop
from keras import ops

from keras_examples._data import fashion_mnist

PARITY_KEYS = ["count_params", "untrained_predict", "untrained_evaluate"]

num_classes = 2
input_shape = (96, 96, 3)  # the tutorial's (300, 300, 3)
batch_size = 128


def _images(n_train, n_test):
    # sandals (5) and sneakers (7), enlarged 28 -> 96 (nearest, then padded by 6) as RGB
    (x_train, y_train), (x_test, y_test) = fashion_mnist(4000, 1000)

    def pick(x, y, n):
        keep = np.flatnonzero((y == 5) | (y == 7))[:n]
        big = np.kron(x[keep], np.ones((3, 3), np.uint8))              # 84x84
        big = np.pad(big, ((0, 0), (6, 6), (6, 6)))                     # 96x96
        return np.repeat(big[..., None], 3, -1), (y[keep] == 7).astype("float32")
    return pick(x_train, y_train, n_train), pick(x_test, y_test, n_test)


rescale = layers.Rescaling(1.0 / 255)

data_augmentation = [
    layers.RandomFlip("horizontal_and_vertical"),
    layers.RandomRotation(0.3),
    layers.RandomZoom(0.2),
]


# Helper to apply augmentation
def apply_aug(x):
    for aug in data_augmentation:
        x = aug(x)
    return x


def prepare(ds, shuffle=False, augment=False):
    # the tutorial's tf.data pipeline on arrays: rescale, shuffle, batch, augment batches
    x, y = ds
    x = np.asarray(rescale(x))
    if shuffle:
        order = np.random.default_rng(1024).permutation(len(x))
        x, y = x[order], y[order]
    if augment:
        x = np.concatenate([np.asarray(apply_aug(x[i:i + batch_size]))
                            for i in range(0, len(x), batch_size)])
    return x, y


def data():
    train_ds, test_ds = _images(512, 256)
    return prepare(train_ds, shuffle=True, augment=True), prepare(test_ds), test_ds


def build():
    model = keras.Sequential(
        [
            layers.Conv2D(16, (3, 3), activation="relu", input_shape=(96, 96, 3)),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Dropout(0.5),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.Dropout(0.5),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(2, 2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(512, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    return model


class GCRMSprop(RMSprop):
    def get_gradients(self, loss, params):
        # We here just provide a modified get_gradients() function since we are
        # trying to just compute the centralized gradients.

        grads = []
        gradients = super().get_gradients()
        for grad in gradients:
            grad_len = len(grad.shape)
            if grad_len > 1:
                axis = list(range(grad_len - 1))
                grad -= ops.mean(grad, axis=axis, keep_dims=True)
            grads.append(grad)

        return grads


class TimeHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs={}):
        self.times = []

    def on_epoch_begin(self, batch, logs={}):
        self.epoch_time_start = time()

    def on_epoch_end(self, batch, logs={}):
        self.times.append(time() - self.epoch_time_start)


def run(model, data, tmpdir):
    train_ds, test_ds, raw = data
    optimizer = GCRMSprop(learning_rate=1e-4)
    time_callback_no_gc = TimeHistory()
    model.compile(
        loss="binary_crossentropy",
        optimizer=RMSprop(learning_rate=1e-4),
        metrics=["accuracy"],
    )
    out = {"count_params": model.count_params(),
           "untrained_predict": model.predict(test_ds[0][:8], verbose=0),
           "untrained_evaluate": model.evaluate(*test_ds, verbose=0),
           # the training batches went through the augmentations (flips, rotations, zooms)
           "augmented_changed": float(np.abs(
               train_ds[0] - prepare(_images(512, 256)[0], shuffle=True)[0]).max())}

    history_no_gc = model.fit(
        *train_ds, batch_size=batch_size, epochs=3, verbose=0, callbacks=[time_callback_no_gc]
    )

    time_callback_gc = TimeHistory()
    model.compile(
        loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"]
    )
    history_gc = model.fit(
        *train_ds, batch_size=batch_size, epochs=3, verbose=0, callbacks=[time_callback_gc]
    )
    out.update(history_no_gc=history_no_gc.history, history_gc=history_gc.history,
               times=[len(time_callback_no_gc.times), len(time_callback_gc.times)],
               evaluate=model.evaluate(*test_ds, verbose=0))
    return out


def check(out):
    assert out["augmented_changed"] > 0.1
    assert out["times"] == [3, 3]
    for key in ("history_no_gc", "history_gc"):
        assert sorted(out[key]) == ["accuracy", "loss"]
    h = out["history_no_gc"]["loss"] + out["history_gc"]["loss"]
    assert h[-1] < h[0]
    # sandals or sneakers, chance is 0.5, after 24 steps at the tutorial's learning rate 1e-4
    assert out["evaluate"][1] > 0.65, out["evaluate"]
