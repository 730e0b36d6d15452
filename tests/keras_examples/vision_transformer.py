"""keras.io's "Image classification with Vision Transformer"
(https://keras.io/examples/vision/image_classification_with_vision_transformer/),
Keras 3 version, on the 8x8 digits (one channel) instead of CIFAR-100: resized to 16x16,
4x4 patches cut by `keras.ops.image.extract_patches` (missing from pynn until this
port), projection_dim 16, 2 heads, 2 transformer layers, MLP head (32, 16), 12 epochs.
Kept: the augmentation (Normalization adapted on the training images, Resizing,
RandomFlip, RandomRotation, RandomZoom), the Patches layer reading its sizes from
ops.shape, the PatchEncoder's position Embedding over ops.arange, MultiHeadAttention
with dropout, AdamW, the top-5 metric and the ModelCheckpoint of the best
val_accuracy weights (.weights.h5) reloaded before evaluate(). The random layers and
Dropout differ between libraries, so the comparison with Keras covers the untrained
logits (inference mode) and the parameter count."""
import os

import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

num_classes = 10
input_shape = (8, 8, 1)

learning_rate = 0.003
weight_decay = 0.0001
batch_size = 64
num_epochs = 12
image_size = 16  # We'll resize input images to this size
patch_size = 4  # Size of the patches to be extract from the input images
num_patches = (image_size // patch_size) ** 2
projection_dim = 16
num_heads = 2
transformer_units = [
    projection_dim * 2,
    projection_dim,
]  # Size of the transformer layers
transformer_layers = 2
mlp_head_units = [32, 16]  # Size of the dense layers of the final classifier

PARITY_KEYS = ["count_params", "untrained_logits"]


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    return (x_train[..., None].astype("float32"), y_train), \
        (x_test[..., None].astype("float32"), y_test)


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


class Patches(layers.Layer):
    def __init__(self, patch_size):
        super().__init__()
        self.patch_size = patch_size

    def call(self, images):
        input_shape = ops.shape(images)
        batch_size = input_shape[0]
        height = input_shape[1]
        width = input_shape[2]
        channels = input_shape[3]
        num_patches_h = height // self.patch_size
        num_patches_w = width // self.patch_size
        patches = keras.ops.image.extract_patches(images, size=self.patch_size)
        patches = ops.reshape(
            patches,
            (
                batch_size,
                num_patches_h * num_patches_w,
                self.patch_size * self.patch_size * channels,
            ),
        )
        return patches

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size})
        return config


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim):
        super().__init__()
        self.num_patches = num_patches
        self.projection = layers.Dense(units=projection_dim)
        self.position_embedding = layers.Embedding(
            input_dim=num_patches, output_dim=projection_dim
        )

    def call(self, patch):
        positions = ops.expand_dims(
            ops.arange(start=0, stop=self.num_patches, step=1), axis=0
        )
        projected_patches = self.projection(patch)
        encoded = projected_patches + self.position_embedding(positions)
        return encoded

    def get_config(self):
        config = super().get_config()
        config.update({"num_patches": self.num_patches})
        return config


def create_vit_classifier(data_augmentation):
    inputs = keras.Input(shape=input_shape)
    # Augment data.
    augmented = data_augmentation(inputs)
    # Create patches.
    patches = Patches(patch_size)(augmented)
    # Encode patches.
    encoded_patches = PatchEncoder(num_patches, projection_dim)(patches)

    # Create multiple layers of the Transformer block.
    for _ in range(transformer_layers):
        # Layer normalization 1.
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        # Create a multi-head attention layer.
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        # Skip connection 1.
        x2 = layers.Add()([attention_output, encoded_patches])
        # Layer normalization 2.
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        # MLP.
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)
        # Skip connection 2.
        encoded_patches = layers.Add()([x3, x2])

    # Create a [batch_size, projection_dim] tensor.
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = layers.Flatten()(representation)
    representation = layers.Dropout(0.5)(representation)
    # Add MLP.
    features = mlp(representation, hidden_units=mlp_head_units, dropout_rate=0.5)
    # Classify outputs.
    logits = layers.Dense(num_classes)(features)
    # Create the Keras model.
    model = keras.Model(inputs=inputs, outputs=logits)
    return model


def build():
    (x_train, _), _ = data()
    data_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.02),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    # Compute the mean and the variance of the training data for normalization.
    data_augmentation.layers[0].adapt(x_train)
    return create_vit_classifier(data_augmentation)


def run_experiment(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate, weight_decay=weight_decay
    )

    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )

    checkpoint_filepath = os.path.join(tmpdir, "checkpoint.weights.h5")
    checkpoint_callback = keras.callbacks.ModelCheckpoint(
        checkpoint_filepath,
        monitor="val_accuracy",
        save_best_only=True,
        save_weights_only=True,
    )

    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=0.1,
        callbacks=[checkpoint_callback],
        verbose=0,
    )

    model.load_weights(checkpoint_filepath)
    _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return history, accuracy, top_5_accuracy


def run(vit_classifier, data, tmpdir):
    out = {"count_params": vit_classifier.count_params(),
           "untrained_logits": vit_classifier.predict(data[1][0][:16], verbose=0)}
    history, out["accuracy"], out["top5"] = run_experiment(vit_classifier, data, tmpdir)
    out["history"] = history.history
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["accuracy", "loss", "top-5-accuracy", "val_accuracy", "val_loss",
                         "val_top-5-accuracy"]
    assert h["loss"][-1] < 0.7 * h["loss"][0]
    # the reloaded checkpoint is the best epoch's
    assert out["accuracy"] > 0.5 and out["top5"] > out["accuracy"]  # chance is 0.1
