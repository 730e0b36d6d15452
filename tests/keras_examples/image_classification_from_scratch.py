"""keras.io's "Image classification from scratch"
(https://keras.io/examples/vision/image_classification_from_scratch/) on the 8x8
digits as a two-class problem (digit >= 5, as the tutorial's cats vs dogs): the
same data_augmentation layers (RandomFlip("horizontal"), RandomRotation(0.1))
applied inside the model ("Option 1: Make it part of the model"), the same
make_model (Rescaling, Conv2D / BatchNormalization / Activation entry block,
residual blocks of SeparableConv2D with a strided 1x1 Conv2D projection and
layers.add, GlobalAveragePooling2D, Dropout, a logit Dense), compiled with
BinaryCrossentropy(from_logits=True) and accuracy. Widths, epochs and the
optimizer's step are shrunk for 8x8 images. Augmentation and dropout are random
in training, so only what precedes training is compared with Keras; inference
(augmentation is the identity there) must agree."""
import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

image_size = (8, 8)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = (x_train[..., None] * 255.0 / 16).astype("float32")
    x_test = (x_test[..., None] * 255.0 / 16).astype("float32")
    return (x_train, (y_train >= 5).astype("float32")[:, None],
            x_test, (y_test >= 5).astype("float32")[:, None])


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(128, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def build():
    model = make_model(input_shape=image_size + (1,), num_classes=2)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    out = {"params": model.count_params(),
           "untrained_predict": model.predict(x_test[:6], verbose=0),
           "untrained_score": model.evaluate(x_test, y_test, verbose=0)}
    history = model.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(x_test, y_test, verbose=0)
    out["augmented"] = [np.asarray(data_augmentation_layers[1](x_test[:4], training=True))
                        for _ in range(2)]
    return out


PARITY_KEYS = ["params", "untrained_predict", "untrained_score"]


def check(out):
    # entry 3·3·1·16+16, BN 4·16; two blocks of two SeparableConv2D + BN and a 1x1 projection;
    # SeparableConv2D(128) + BN; Dense 128+1
    blocks = (9 * 16 + 16 * 32 + 32 + 4 * 32 + 9 * 32 + 32 * 32 + 32 + 4 * 32 + 16 * 32 + 32
              + 9 * 32 + 32 * 64 + 64 + 4 * 64 + 9 * 64 + 64 * 64 + 64 + 4 * 64 + 32 * 64 + 64)
    assert out["params"] == 160 + 64 + blocks + 9 * 64 + 64 * 128 + 128 + 4 * 128 + 129
    assert out["history"]["loss"][-1] < 0.6 * out["history"]["loss"][0]
    assert out["score"][1] > 0.85
    a, b = out["augmented"]  # training-mode rotations: random, and different from call to call
    assert a.shape == (4, 8, 8, 1) and not np.allclose(a, b)
