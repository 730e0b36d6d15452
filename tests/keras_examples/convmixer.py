"""keras.io's "Image classification with ConvMixer"
(https://keras.io/examples/vision/convmixer/), Keras 3 version, shrunk to the 8x8
digits drawn as 3-channel 0..255 images (the tutorial's CIFAR-10 shape, smaller),
ConvMixer-32/2 with 5x5 depthwise kernels and patch size 2, batches of 16 and 8 epochs: Rescaling,
a strided Conv2D stem, blocks of DepthwiseConv2D / Activation("gelu") /
BatchNormalization / Add residual / pointwise Conv2D, GlobalAvgPool2D, a softmax
Dense; AdamW with weight decay; a ModelCheckpoint keeping the best val_accuracy
(.keras file) that load_weights() then restores before evaluate(). The tutorial's
tf.data pipeline (and its augmentation) is replaced by the arrays themselves. As
in the tutorial, model.layers[2] is the patch embedding and the DepthwiseConv2D
layers whose config says kernel_size == (5, 5) are found at indices 5 and 12
(Keras 3 lists the InputLayer first)."""
import os

import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

learning_rate = 0.001
weight_decay = 0.0001
batch_size = 16
num_epochs = 8

PARITY_TOL = (2e-3, 1e-4)  # ~640 AdamW steps through GELU and BatchNormalization


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    # 0..16 gray levels as 0..255 RGB, the tutorial's input
    to_rgb = lambda x: np.repeat((x.astype("float32") * 255 / 16)[..., None], 3, axis=-1)
    x_train, x_test = to_rgb(x_train), to_rgb(x_test)
    val_split = 0.1
    val_indices = int(len(x_train) * val_split)
    new_x_train, new_y_train = x_train[val_indices:], y_train[val_indices:]
    x_val, y_val = x_train[:val_indices], y_train[:val_indices]
    return (new_x_train, new_y_train), (x_val, y_val), (x_test, y_test)


def activation_block(x):
    x = layers.Activation("gelu")(x)
    return layers.BatchNormalization()(x)


def conv_stem(x, filters: int, patch_size: int):
    x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    return activation_block(x)


def conv_mixer_block(x, filters: int, kernel_size: int):
    # Depthwise convolution.
    x0 = x
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = layers.Add()([activation_block(x), x0])  # Residual.

    # Pointwise convolution.
    x = layers.Conv2D(filters, kernel_size=1)(x)
    x = activation_block(x)

    return x


def get_conv_mixer_256_8(
    image_size=8, filters=32, depth=2, kernel_size=5, patch_size=2, num_classes=10
):
    """ConvMixer-256/8: https://openreview.net/pdf?id=TVHS5Y4dNvM.
    The hyperparameter values are taken from the paper.
    """
    inputs = keras.Input((image_size, image_size, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)

    # Extract patch embeddings.
    x = conv_stem(x, filters, patch_size)

    # ConvMixer blocks.
    for _ in range(depth):
        x = conv_mixer_block(x, filters, kernel_size)

    # Classification block.
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)

    return keras.Model(inputs, outputs)


def build():
    return get_conv_mixer_256_8()


def run_experiment(model, data, tmpdir):
    (new_x_train, new_y_train), (x_val, y_val), (x_test, y_test) = data
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate, weight_decay=weight_decay
    )

    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    checkpoint_filepath = os.path.join(tmpdir, "checkpoint.keras")
    checkpoint_callback = keras.callbacks.ModelCheckpoint(
        checkpoint_filepath,
        monitor="val_accuracy",
        save_best_only=True,
        save_weights_only=False,
    )

    history = model.fit(
        new_x_train, new_y_train,
        batch_size=batch_size,
        validation_data=(x_val, y_val),
        epochs=num_epochs,
        callbacks=[checkpoint_callback],
        verbose=0,
    )

    model.load_weights(checkpoint_filepath)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return history, model, accuracy


def run(conv_mixer_model, data, tmpdir):
    out = {"count_params": conv_mixer_model.count_params()}
    history, conv_mixer_model, accuracy = run_experiment(conv_mixer_model, data, tmpdir)
    out["history"] = history.history
    out["accuracy"] = accuracy
    # We first visualize the learned patch embeddings.
    out["patch_embeddings"] = conv_mixer_model.layers[2].get_weights()[0]
    # the indices of the convolution layers that are not pointwise convolutions
    out["depthwise_at"] = [i for i, layer in enumerate(conv_mixer_model.layers)
                           if isinstance(layer, layers.DepthwiseConv2D)
                           and layer.get_config()["kernel_size"] == (5, 5)]
    idx = out["depthwise_at"][-1]
    out["kernel"] = conv_mixer_model.layers[idx].get_weights()[0]
    out["best_val_accuracy"] = max(history.history["val_accuracy"])
    return out


def check(out):
    assert out["depthwise_at"] == [5, 12]
    assert out["patch_embeddings"].shape == (2, 2, 3, 32)
    assert out["kernel"].shape == (5, 5, 32, 1)
    h = out["history"]
    assert sorted(h) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert out["accuracy"] > 0.6  # ten digits: chance is 0.1
