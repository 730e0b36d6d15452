"""keras.io's "Image classification with modern MLP models"
(https://keras.io/examples/vision/mlp_image_classification/), Keras 3 version: the
MLP-Mixer and the gMLP models (the FNet one needs keras_hub's PositionEmbedding), on the
8x8 digits (one channel) instead of CIFAR-100, resized to 16x16 and cut into 4x4
patches by `keras.ops.image.extract_patches` (missing from pynn until this port),
embedding_dim 32, 2 blocks, 6 epochs of batches of 64. Kept: the Normalization adapted
on the training images / Resizing / RandomFlip / RandomZoom augmentation, the Patches
layer, AdamW, the top-5 metric, ReduceLROnPlateau and EarlyStopping with
restore_best_weights. The random augmentation and Dropout differ between libraries,
so the comparison with Keras covers the untrained logits (the random layers are off
at inference), the patches and the parameter counts."""
import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

num_classes = 10
input_shape = (8, 8, 1)

weight_decay = 0.0001
batch_size = 64
num_epochs = 6
dropout_rate = 0.2
image_size = 16  # We'll resize input images to this size.
patch_size = 4  # Size of the patches to be extracted from the input images.
num_patches = (image_size // patch_size) ** 2  # Size of the data array.
embedding_dim = 32  # Number of hidden units.
num_blocks = 2  # Number of blocks.

PARITY_KEYS = ["count_params", "untrained_logits", "patches", "gmlp_count_params"]


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = x_train[..., None].astype("float32")
    x_test = x_test[..., None].astype("float32")
    return (x_train, y_train), (x_test, y_test)


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = keras.ops.image.extract_patches(x, self.patch_size)
        batch_size = keras.ops.shape(patches)[0]
        num_patches = keras.ops.shape(patches)[1] * keras.ops.shape(patches)[2]
        patch_dim = keras.ops.shape(patches)[3]
        out = keras.ops.reshape(patches, (batch_size, num_patches, patch_dim))
        return out


class MLPMixerLayer(layers.Layer):
    def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.mlp1 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=num_patches),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.mlp2 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=hidden_units),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.normalize = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        return super().build(input_shape)

    def call(self, inputs):
        # Apply layer normalization.
        x = self.normalize(inputs)
        # Transpose inputs from [num_batches, num_patches, hidden_units] to [num_batches, hidden_units, num_patches].
        x_channels = keras.ops.transpose(x, axes=(0, 2, 1))
        # Apply mlp1 on each channel independently.
        mlp1_outputs = self.mlp1(x_channels)
        # Transpose mlp1_outputs from [num_batches, hidden_dim, num_patches] to [num_batches, num_patches, hidden_units].
        mlp1_outputs = keras.ops.transpose(mlp1_outputs, axes=(0, 2, 1))
        # Add skip connection.
        x = mlp1_outputs + inputs
        # Apply layer normalization.
        x_patches = self.normalize(x)
        # Apply mlp2 on each patch independtenly.
        mlp2_outputs = self.mlp2(x_patches)
        # Add skip connection.
        x = x + mlp2_outputs
        return x


class gMLPLayer(layers.Layer):
    def __init__(self, num_patches, embedding_dim, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.channel_projection1 = keras.Sequential(
            [
                layers.Dense(units=embedding_dim * 2, activation="gelu"),
                layers.Dropout(rate=dropout_rate),
            ]
        )

        self.channel_projection2 = layers.Dense(units=embedding_dim)

        self.spatial_projection = layers.Dense(
            units=num_patches, bias_initializer="Ones"
        )

        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def spatial_gating_unit(self, x):
        # Split x along the channel dimensions.
        # Tensors u and v will in the shape of [batch_size, num_patchs, embedding_dim].
        u, v = keras.ops.split(x, indices_or_sections=2, axis=2)
        # Apply layer normalization.
        v = self.normalize2(v)
        # Apply spatial projection.
        v_channels = keras.ops.transpose(v, axes=(0, 2, 1))
        v_projected = self.spatial_projection(v_channels)
        v_projected = keras.ops.transpose(v_projected, axes=(0, 2, 1))
        # Apply element-wise multiplication.
        return u * v_projected

    def call(self, inputs):
        # Apply layer normalization.
        x = self.normalize1(inputs)
        # Apply the first channel projection. x_projected shape: [batch_size, num_patches, embedding_dim * 2].
        x_projected = self.channel_projection1(x)
        # Apply the spatial gating unit. x_spatial shape: [batch_size, num_patches, embedding_dim].
        x_spatial = self.spatial_gating_unit(x_projected)
        # Apply the second channel projection. x_projected shape: [batch_size, num_patches, embedding_dim].
        x_projected = self.channel_projection2(x_spatial)
        # Add skip connection.
        return x + x_projected


def make_augmentation(x_train):
    data_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    # Compute the mean and the variance of the training data for normalization.
    data_augmentation.layers[0].adapt(x_train)
    return data_augmentation


def build_classifier(blocks, data_augmentation):
    inputs = layers.Input(shape=input_shape)
    # Augment data.
    augmented = data_augmentation(inputs)
    # Create patches.
    patches = Patches(patch_size)(augmented)
    # Encode patches to generate a [batch_size, num_patches, embedding_dim] tensor.
    x = layers.Dense(units=embedding_dim)(patches)
    # Process x using the module blocks.
    x = blocks(x)
    # Apply global average pooling to generate a [batch_size, embedding_dim] representation tensor.
    representation = layers.GlobalAveragePooling1D()(x)
    # Apply dropout.
    representation = layers.Dropout(rate=dropout_rate)(representation)
    # Compute logits outputs.
    logits = layers.Dense(num_classes)(representation)
    # Create the Keras model.
    return keras.Model(inputs=inputs, outputs=logits)


def run_experiment(model, x_train, y_train, x_test, y_test, learning_rate):
    # Create Adam optimizer with weight decay.
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate,
        weight_decay=weight_decay,
    )
    # Compile the model.
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5-acc"),
        ],
    )
    # Create a learning rate scheduler callback.
    reduce_lr = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=5
    )
    # Create an early stopping callback.
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=10, restore_best_weights=True
    )
    # Fit the model.
    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=0.1,
        callbacks=[early_stopping, reduce_lr],
        verbose=0,
    )
    _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    # Return history to plot learning curves.
    return history, accuracy, top_5_accuracy


def build():
    (x_train, _), _ = data()
    mlpmixer_blocks = keras.Sequential(
        [MLPMixerLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
    )
    return build_classifier(mlpmixer_blocks, make_augmentation(x_train))


def run(mlpmixer_classifier, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {"count_params": mlpmixer_classifier.count_params(),
           "untrained_logits": mlpmixer_classifier.predict(x_test[:16], verbose=0),
           "patches": keras.ops.convert_to_numpy(Patches(patch_size)(
               np.arange(2 * 16 * 16 * 1, dtype="float32").reshape(2, 16, 16, 1)))}
    history, out["accuracy"], out["top5"] = run_experiment(
        mlpmixer_classifier, x_train, y_train, x_test, y_test, learning_rate=0.005)
    out["history"] = history.history

    gmlp_blocks = keras.Sequential(
        [gMLPLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
    )
    gmlp_classifier = build_classifier(gmlp_blocks, make_augmentation(x_train))
    out["gmlp_count_params"] = gmlp_classifier.count_params()
    history, out["gmlp_accuracy"], _ = run_experiment(
        gmlp_classifier, x_train, y_train, x_test, y_test, learning_rate=0.003)
    out["gmlp_history"] = history.history
    return out


def check(out):
    # patch (0, 1) of image 0: rows 0..3, columns 4..7 of the 16x16 ramp, row-major
    np.testing.assert_array_equal(out["patches"][0, 1],
                                  (np.arange(4)[:, None] * 16 + np.arange(4, 8)).ravel())
    assert out["patches"].shape == (2, 16, 16)
    h = out["history"]
    assert sorted(h) == ["acc", "learning_rate", "loss", "top5-acc", "val_acc", "val_loss",
                         "val_top5-acc"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert out["accuracy"] > 0.7 and out["top5"] > out["accuracy"]  # chance is 0.1
    assert out["gmlp_history"]["loss"][-1] < 0.7 * out["gmlp_history"]["loss"][0]
    assert out["gmlp_accuracy"] > 0.5
