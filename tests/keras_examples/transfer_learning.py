"""keras.io's "Transfer learning & fine-tuning"
(https://keras.io/guides/transfer_learning/), shrunk: the recursive setting of
`trainable` (model.trainable = False freezes a nested model and its layers), then
the typical workflow — a pre-trained base (a small conv base with
BatchNormalization, trained here on digits 0-4 in place of Xception on ImageNet)
frozen with base_model.trainable = False, called with training=False under a new
head (Rescaling, GlobalAveragePooling2D, Dropout, Dense(1) logits), trained with
BinaryCrossentropy(from_logits=True); the frozen BatchNormalization runs in
inference mode, so its moving statistics do not move. Then fine-tuning with the
base unfrozen and Adam(1e-5). Dropout makes training random, so Keras is compared
on the freezing bookkeeping and the untrained outputs."""
import numpy as np

import keras
from keras_examples._data import digits

PARITY_KEYS = ["recursive", "counts", "untrained"]


def data():
    (x, y), _ = digits()
    x = x[:600, :, :, None].astype("float32") * (255.0 / 16.0)  # pixel values 0..255
    return x, (y[:600] % 2).astype("float32")  # odd or even digit


def make_base():
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
    ])


def build():
    base_model = make_base()
    base_model.trainable = False
    inputs = keras.Input(shape=(8, 8, 1))
    scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
    x = scale_layer(inputs)
    # The base model contains batchnorm layers. We want to keep them in inference mode
    # when we unfreeze the base model for fine-tuning, so we make sure that the
    # base_model is running in inference mode here.
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)  # Regularize with dropout
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


def recursive_trainable():
    inner_model = keras.Sequential([
        keras.Input(shape=(3,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(3, activation="relu"),
    ])
    model = keras.Sequential([keras.Input(shape=(3,)), inner_model,
                              keras.layers.Dense(3, activation="sigmoid")])
    model.trainable = False  # Freeze the outer model
    return [inner_model.trainable, inner_model.layers[0].trainable,
            len(model.trainable_weights), len(model.non_trainable_weights)]


def run(model, data, tmpdir):
    x, y = data
    base_model = next(l for l in model.layers if isinstance(l, keras.Sequential))
    bn = base_model.layers[1]
    out = {"recursive": recursive_trainable(), "untrained": model.predict(x[:8], verbose=0),
           "counts": [len(model.trainable_weights), len(model.non_trainable_weights)]}
    stats_before = [np.array(bn.moving_mean), np.array(bn.moving_variance)]
    frozen_before = [np.array(w) for w in base_model.weights]
    history = model.fit(x, y, batch_size=32, epochs=8, validation_split=0.2, verbose=0)
    out["frozen_unchanged"] = all(np.array_equal(a, np.asarray(b))
                                  for a, b in zip(frozen_before, base_model.weights))
    out["stats_unchanged"] = all(np.array_equal(a, np.asarray(b)) for a, b in
                                 zip(stats_before, [bn.moving_mean, bn.moving_variance]))
    out["history"] = history.history
    # Fine-tuning: unfreeze the base model, recompile with a very low learning rate
    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    out["fine_tune_counts"] = [len(model.trainable_weights), len(model.non_trainable_weights)]
    out["fine_tune"] = model.fit(x, y, batch_size=32, epochs=1, validation_split=0.2,
                                 verbose=0).history
    return out


def check(out):
    assert out["recursive"] == [False, False, 0, 6]
    assert out["counts"] == [2, 8]  # the head's Dense; the base's 2 convs (4) and BN (4)
    assert out["frozen_unchanged"] and out["stats_unchanged"]
    assert out["fine_tune_counts"] == [8, 2]  # only the moving statistics stay non-trainable
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
