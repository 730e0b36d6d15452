"""TensorFlow's "Overfit and underfit" tutorial
(https://www.tensorflow.org/tutorials/keras/overfit_and_underfit), its Keras parts, on
synthetic data instead of the 11-million-row Higgs file: 28 features, a binary label
from a noisy nonlinear rule, 1000 training and 500 validation rows, batches of 100,
a few epochs instead of thousands. Kept: the InverseTimeDecay schedule given to Adam,
BinaryCrossentropy(from_logits=True) as loss and as a named metric, EarlyStopping on
val_binary_crossentropy, and the tiny, small, L2-regularised, dropout and combined
models (tf.data and tfdocs' plots left out). The models without Dropout are compared
with Keras epoch by epoch, from the same initial weights; the Dropout ones in
parameter counts and logged keys."""
import numpy as np

import keras
from keras import layers
from keras import regularizers

FEATURES = 28
N_VALIDATION = 500
N_TRAIN = 1000
BATCH_SIZE = 100
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE
MAX_EPOCHS = 25

PARITY_TOL = (1e-3, 1e-5)
PARITY_KEYS = ["tiny", "small", "l2", "dropout_params", "combined_params", "dropout_keys"]


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + N_VALIDATION, FEATURES)).astype("float32")
    w = rng.normal(size=(FEATURES,))
    score = x @ w / np.sqrt(FEATURES) + np.sin(2 * x[:, 0]) + 0.5 * rng.normal(size=len(x))
    y = (score > 0).astype("float32")[:, None]  # (Keras 3's metric wants (N, 1) labels)
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


lr_schedule = keras.optimizers.schedules.InverseTimeDecay(
    0.001,
    decay_steps=STEPS_PER_EPOCH * 1000,
    decay_rate=1,
    staircase=False)


def get_optimizer():
    return keras.optimizers.Adam(lr_schedule)


def get_callbacks(name):
    return [
        keras.callbacks.EarlyStopping(monitor='val_binary_crossentropy', patience=200),
    ]


def compile_and_fit(model, name, data, optimizer=None, max_epochs=MAX_EPOCHS):
    (x_train, y_train), validate = data
    if optimizer is None:
        optimizer = get_optimizer()
    model.compile(optimizer=optimizer,
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[
                      keras.metrics.BinaryCrossentropy(
                          from_logits=True, name='binary_crossentropy'),
                      'accuracy'])
    history = model.fit(
        x_train, y_train,
        batch_size=BATCH_SIZE,
        epochs=max_epochs,
        validation_data=validate,
        callbacks=get_callbacks(name),
        shuffle=False,  # (both libraries see the batches in the same order)
        verbose=0)
    return history


def tiny():
    return keras.Sequential([
        layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
        layers.Dense(1)
    ])


def small():
    return keras.Sequential([
        # `input_shape` is only required here so that `.summary` works.
        layers.Dense(16, activation='elu', input_shape=(FEATURES,)),
        layers.Dense(16, activation='elu'),
        layers.Dense(1)
    ])


def l2():
    return keras.Sequential([
        layers.Dense(64, activation='elu',
                     kernel_regularizer=regularizers.l2(0.001),
                     input_shape=(FEATURES,)),
        layers.Dense(64, activation='elu',
                     kernel_regularizer=regularizers.l2(0.001)),
        layers.Dense(1)
    ])


def dropout():
    return keras.Sequential([
        layers.Dense(64, activation='elu', input_shape=(FEATURES,)),
        layers.Dropout(0.5),
        layers.Dense(64, activation='elu'),
        layers.Dropout(0.5),
        layers.Dense(1)
    ])


def combined():
    return keras.Sequential([
        layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001),
                     activation='elu', input_shape=(FEATURES,)),
        layers.Dropout(0.5),
        layers.Dense(64, kernel_regularizer=regularizers.l2(0.0001),
                     activation='elu'),
        layers.Dropout(0.5),
        layers.Dense(1)
    ])


def build():
    # the models whose training is compared, in one list (their weights set together)
    return _Models([tiny(), small(), l2()])


class _Models:
    def __init__(self, models):
        self.models = models

    def get_weights(self):
        return [w for m in self.models for w in m.get_weights()]

    def set_weights(self, weights):
        for m in self.models:
            n = len(m.get_weights())
            m.set_weights(weights[:n])
            weights = weights[n:]


def run(models, data, tmpdir):
    size_histories = {}
    for name, model in zip(["tiny", "small", "l2"], models.models):
        size_histories[name] = compile_and_fit(model, name, data).history
    dropout_model = dropout()
    combined_model = combined()
    size_histories["dropout"] = compile_and_fit(dropout_model, "regularizers/dropout",
                                                data).history
    size_histories["combined"] = compile_and_fit(combined_model, "regularizers/combined",
                                                 data).history
    out = dict(size_histories)
    out["dropout_params"] = dropout_model.count_params()
    out["combined_params"] = combined_model.count_params()
    out["dropout_keys"] = sorted(size_histories["dropout"])
    out["l2_penalty"] = float(sum(0.001 * np.sum(np.square(w)) for w in
                                  models.models[2].get_weights()[0:4:2]))
    return out


def check(out):
    assert out["dropout_keys"] == ["accuracy", "binary_crossentropy", "loss", "val_accuracy",
                                   "val_binary_crossentropy", "val_loss"]
    for name in ("tiny", "small", "l2", "dropout", "combined"):
        h = out[name]
        assert h["val_binary_crossentropy"][-1] < h["val_binary_crossentropy"][0], name
        assert h["val_accuracy"][-1] > 0.65, name  # balanced classes: chance is 0.5
    # without regularisers the loss is the metric; with L2 it is the metric plus the penalty
    np.testing.assert_allclose(out["tiny"]["val_loss"], out["tiny"]["val_binary_crossentropy"],
                               rtol=1e-5)
    gap = out["l2"]["val_loss"][-1] - out["l2"]["val_binary_crossentropy"][-1]
    assert abs(gap - out["l2_penalty"]) < 1e-4
