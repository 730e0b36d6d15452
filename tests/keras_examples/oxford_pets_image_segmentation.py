"""keras.io's "Image segmentation with a U-Net-like architecture"
(https://keras.io/examples/vision/oxford_pets_image_segmentation/, source
https://github.com/keras-team/keras-io/blob/master/examples/vision/oxford_pets_image_segmentation.py,
the version with the `keras.utils.Sequence` loader), run on files it writes itself:
the Oxford Pets download is replaced by 40 synthetic 40x40 pictures (a coloured disc,
the "pet", on a noisy background) saved as PNG under images/ and their trimaps
(1 pet, 2 background, 3 border, as in the dataset) under annotations/trimaps/.

Kept as published: the sorted path lists, the OxfordPets Sequence reading each batch
with `load_img(path, target_size=img_size)` (and color_mode="grayscale" for the
masks, minus one), get_model (Conv2D / BatchNormalization entry block, SeparableConv2D
+ MaxPooling2D residual blocks of 64/128/256 filters, Conv2DTranspose + UpSampling2D
blocks of 256/128/64/32 with Conv2D-projected residuals, a per-pixel softmax Conv2D),
keras.backend.clear_session(), the random.Random(1337) split, compile("rmsprop",
"sparse_categorical_crossentropy"), a ModelCheckpoint with save_best_only, predict on
the validation Sequence and the argmax masks.

Changed: img_size 160x160 -> 32x32, batch_size 32 -> 8, val_samples 1000 -> 8,
epochs 15 -> 2; the .jpg inputs are .png (lossless, so both libraries read the same
pixels); the checkpoint "oxford_segmentation.h5" is written under the run's directory
(and read back with keras.models.load_model); `load_img` is imported from
keras.utils (its Keras 3 home) instead of tensorflow.keras.preprocessing.image; fit()
gets shuffle=False so that both libraries see the batches in the same order; the
IPython display calls are left out."""
import os
import random

import numpy as np

import keras
from keras import layers
from keras.utils import load_img

# Keras 3.15 on torch 2.13 (CPU): the backward of its per-pixel sparse_categorical_crossentropy
# (log_softmax moved to axis 1, then torch's nll_loss) raises this in fit's first step
KERAS_TORCH_BUG = "grad_input must be contiguous"

img_size = (32, 32)
num_classes = 3
batch_size = 8


def data():
    """40 pictures (40x40 RGB uint8) and trimaps (uint8, 1 pet / 2 background / 3 border)."""
    rng = np.random.default_rng(7)
    n, size = 40, 40
    yy, xx = np.mgrid[:size, :size]
    images, trimaps = [], []
    for _ in range(n):
        cy, cx = rng.uniform(12, 28, 2)
        r = rng.uniform(6, 12)
        d = np.hypot(yy - cy, xx - cx)
        trimap = np.full((size, size), 2, np.uint8)
        trimap[d < r + 1.5] = 3
        trimap[d < r - 1.5] = 1
        img = rng.integers(0, 90, (size, size, 3))
        img[d < r] = rng.integers(120, 256, 3) + rng.integers(-20, 0, (size, size, 3))[d < r]
        images.append(np.clip(img, 0, 255).astype(np.uint8))
        trimaps.append(trimap)
    return np.stack(images), np.stack(trimaps)


def write_files(arrays, root):
    """The download step: the dataset's two directories, one file per picture."""
    from PIL import Image
    images, trimaps = arrays
    os.makedirs(os.path.join(root, "images"))
    os.makedirs(os.path.join(root, "annotations", "trimaps"))
    for i, (img, trimap) in enumerate(zip(images, trimaps)):
        Image.fromarray(img).save(os.path.join(root, "images", f"pet_{i:03d}.png"))
        Image.fromarray(trimap).save(os.path.join(root, "annotations", "trimaps", f"pet_{i:03d}.png"))


class OxfordPets(keras.utils.Sequence):
    """Helper to iterate over the data (as Numpy arrays)."""

    def __init__(self, batch_size, img_size, input_img_paths, target_img_paths):
        self.batch_size = batch_size
        self.img_size = img_size
        self.input_img_paths = input_img_paths
        self.target_img_paths = target_img_paths

    def __len__(self):
        return len(self.target_img_paths) // self.batch_size

    def __getitem__(self, idx):
        """Returns tuple (input, target) correspond to batch #idx."""
        i = idx * self.batch_size
        batch_input_img_paths = self.input_img_paths[i : i + self.batch_size]
        batch_target_img_paths = self.target_img_paths[i : i + self.batch_size]
        x = np.zeros((self.batch_size,) + self.img_size + (3,), dtype="float32")
        for j, path in enumerate(batch_input_img_paths):
            img = load_img(path, target_size=self.img_size)
            x[j] = img
        y = np.zeros((self.batch_size,) + self.img_size + (1,), dtype="uint8")
        for j, path in enumerate(batch_target_img_paths):
            img = load_img(path, target_size=self.img_size, color_mode="grayscale")
            y[j] = np.expand_dims(img, 2)
            # Ground truth labels are 1, 2, 3. Subtract one to make them 0, 1, 2:
            y[j] -= 1
        return x, y


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))

    ### [First half of the network: downsampling inputs] ###

    # Entry block
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    # Blocks 1, 2, 3 are identical apart from the feature depth.
    for filters in [64, 128, 256]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    ### [Second half of the network: upsampling inputs] ###

    for filters in [256, 128, 64, 32]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.UpSampling2D(2)(x)

        # Project residual
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    # Add a per-pixel classification layer
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)

    # Define the model
    model = keras.Model(inputs, outputs)
    return model


def build():
    # Free up RAM in case the model definition cells were run multiple times
    keras.backend.clear_session()
    # Build model
    model = get_model(img_size, num_classes)
    model.summary()
    return model


def run(model, arrays, tmpdir):
    write_files(arrays, tmpdir)
    input_dir = os.path.join(tmpdir, "images/")
    target_dir = os.path.join(tmpdir, "annotations/trimaps/")

    input_img_paths = sorted(
        [
            os.path.join(input_dir, fname)
            for fname in os.listdir(input_dir)
            if fname.endswith(".png")
        ]
    )
    target_img_paths = sorted(
        [
            os.path.join(target_dir, fname)
            for fname in os.listdir(target_dir)
            if fname.endswith(".png") and not fname.startswith(".")
        ]
    )

    # Split our img paths into a training and a validation set
    val_samples = 8
    random.Random(1337).shuffle(input_img_paths)
    random.Random(1337).shuffle(target_img_paths)
    train_input_img_paths = input_img_paths[:-val_samples]
    train_target_img_paths = target_img_paths[:-val_samples]
    val_input_img_paths = input_img_paths[-val_samples:]
    val_target_img_paths = target_img_paths[-val_samples:]

    # Instantiate data Sequences for each split
    train_gen = OxfordPets(
        batch_size, img_size, train_input_img_paths, train_target_img_paths
    )
    val_gen = OxfordPets(batch_size, img_size, val_input_img_paths, val_target_img_paths)

    first_x, first_y = train_gen[0]
    untrained = model.predict(first_x, verbose=0)

    # Configure the model for training.
    # We use the "sparse" version of categorical_crossentropy
    # because our target data is integers.
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")

    checkpoint = os.path.join(tmpdir, "oxford_segmentation.h5")
    callbacks = [
        keras.callbacks.ModelCheckpoint(checkpoint, save_best_only=True)
    ]

    # Train the model, doing validation at the end of each epoch.
    epochs = 2
    history = model.fit(train_gen, epochs=epochs, validation_data=val_gen,
                        callbacks=callbacks, verbose=0, shuffle=False)

    # Generate predictions for all images in the validation set
    val_gen = OxfordPets(batch_size, img_size, val_input_img_paths, val_target_img_paths)
    val_preds = model.predict(val_gen, verbose=0)

    masks = np.argmax(val_preds, axis=-1)
    truth = np.concatenate([val_gen[i][1][..., 0] for i in range(len(val_gen))])
    reloaded = keras.models.load_model(checkpoint)
    # the checkpoint holds the epoch of the best val_loss: its cross-entropy, in NumPy
    probs = reloaded.predict(val_gen, verbose=0)
    picked = np.take_along_axis(probs, truth[..., None].astype("int64"), axis=-1)
    reloaded_val_loss = float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0))))
    return {"first_x": first_x, "first_y": first_y.astype("float32"),
            "untrained": untrained,
            "history": history.history,
            "val_preds": val_preds,
            "pixel_accuracy": float(np.mean(masks == truth)),
            "reloaded_val_loss": reloaded_val_loss,
            "count_params": model.count_params()}


def check(out):
    x, y = out["first_x"], out["first_y"]
    assert x.shape == (8, 32, 32, 3) and 0 <= x.min() and x.max() <= 255
    assert sorted(np.unique(y)) == [0.0, 1.0, 2.0]  # trimap 1..3 minus one
    assert out["val_preds"].shape == (8, 32, 32, 3)
    np.testing.assert_allclose(out["val_preds"].sum(-1), 1.0, atol=1e-5)
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"] and len(h["loss"]) == 2
    assert np.isfinite(h["loss"]).all()
    # ModelCheckpoint(save_best_only=True) kept the epoch of the lowest val_loss
    np.testing.assert_allclose(out["reloaded_val_loss"], min(h["val_loss"]), rtol=1e-4)
