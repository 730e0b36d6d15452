"""keras.io's "PixelCNN" (https://keras.io/examples/generative/pixelcnn/), Keras 3
version, shrunk: PixelConvLayer wraps a Conv2D, builds it in its own build() and
makes the type-A / type-B mask from the kernel's shape, then in call() re-masks the
kernel with `self.conv.kernel.assign(self.conv.kernel * self.mask)` before convolving
(so the weights that training moves at masked places are zeroed again at every
step); the ResidualBlock (1x1 conv, masked 3x3 conv, 1x1 conv, layers.add); the
functional model with Adam(5e-4) and binary_crossentropy, fit with
validation_split=0.1; the pixel-by-pixel sampling loop with ops.ceil(probs -
keras.random.uniform(...)). Changes: MNIST (downloaded) is replaced by the bundled
8x8 digits binarized at a third of their range as the tutorial does; input 8x8
(28x28), 32 filters (128), 2 residual blocks (5), batch 64 (128), 3 epochs (50),
verbose=0 (2), 2 sampled images (4) without the PNG files; `probs -
keras.random.uniform(...)` is written ops.subtract (a NumPy array minus a torch tensor
fails on the torch backend). No dropout: the training
run is compared with Keras (losses, trained weights, predictions)."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

PARITY_TOL = (5e-3, 1e-3)  # 27 Adam steps: the near-zero gradients of edge taps drift

# Model / data parameters
input_shape = (8, 8, 1)
n_residual_blocks = 2


class PixelConvLayer(layers.Layer):
    def __init__(self, mask_type, **kwargs):
        super().__init__()
        self.mask_type = mask_type
        self.conv = layers.Conv2D(**kwargs)

    def build(self, input_shape):
        # Build the conv2d layer to initialize kernel variables
        self.conv.build(input_shape)
        # Use the initialized kernel to create the mask
        kernel_shape = ops.shape(self.conv.kernel)
        self.mask = np.zeros(shape=kernel_shape)
        self.mask[: kernel_shape[0] // 2, ...] = 1.0
        self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
        if self.mask_type == "B":
            self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)


class ResidualBlock(keras.layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = keras.layers.Conv2D(
            filters=filters, kernel_size=1, activation="relu"
        )
        self.pixel_conv = PixelConvLayer(
            mask_type="B",
            filters=filters // 2,
            kernel_size=3,
            activation="relu",
            padding="same",
        )
        self.conv2 = keras.layers.Conv2D(
            filters=filters, kernel_size=1, activation="relu"
        )

    def call(self, inputs):
        x = self.conv1(inputs)
        x = self.pixel_conv(x)
        x = self.conv2(x)
        return keras.layers.add([inputs, x])


def data():
    (x, _), (y, _) = digits()
    # Concatenate all of the images together
    data = np.concatenate((x, y), axis=0)[:640]
    # Round all pixel values less than 33% of the max value to 0, anything above to 1
    data = np.where(data < (0.33 * 16), 0, 1)
    data = data.astype(np.float32)[..., None]
    return data


def build():
    inputs = keras.Input(shape=input_shape)
    x = PixelConvLayer(
        mask_type="A", filters=32, kernel_size=7, activation="relu", padding="same"
    )(inputs)

    for _ in range(n_residual_blocks):
        x = ResidualBlock(filters=32)(x)

    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B",
            filters=32,
            kernel_size=1,
            strides=1,
            activation="relu",
            padding="valid",
        )(x)

    out = keras.layers.Conv2D(
        filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid"
    )(x)

    pixel_cnn = keras.Model(inputs, out)
    adam = keras.optimizers.Adam(learning_rate=0.0005)
    pixel_cnn.compile(optimizer=adam, loss="binary_crossentropy")
    return pixel_cnn


def _future_leak(model, images):
    """Largest change of the prediction at a pixel when that pixel and every later one
    (raster order) change: 0 for a PixelCNN whose masks hold."""
    worst = 0.0
    base = model.predict(images, verbose=0)
    for r, c in [(0, 0), (2, 5), (4, 3), (7, 7)]:
        changed = images.copy()
        flat = changed.reshape(len(changed), -1)
        flat[:, r * 8 + c:] = 1.0 - flat[:, r * 8 + c:]
        moved = model.predict(changed, verbose=0)
        worst = max(worst, float(np.abs(moved[:, r, c] - base[:, r, c]).max()))
    return worst


def run(pixel_cnn, data, tmpdir):
    out = {"untrained": pixel_cnn.predict(data[:16], verbose=0)}
    history = pixel_cnn.fit(
        x=data, y=data, batch_size=64, epochs=3, validation_split=0.1, verbose=0,
        shuffle=False,
    )
    out["history"] = history.history
    out["trained"] = pixel_cnn.predict(data[:16], verbose=0)
    out["weights"] = pixel_cnn.get_weights()
    out["future_leak"] = _future_leak(pixel_cnn, data[:16])

    # Create an empty array of pixels.
    batch = 2
    pixels = np.zeros(shape=(batch,) + (pixel_cnn.input_shape)[1:])
    batch, rows, cols, channels = pixels.shape

    # Iterate over the pixels because generation has to be done sequentially pixel by pixel.
    for row in range(rows):
        for col in range(cols):
            for channel in range(channels):
                # Feed the whole array and retrieving the pixel value probabilities for the
                # next pixel.
                probs = pixel_cnn.predict(pixels, verbose=0)[:, row, col, channel]
                # Use the probabilities to pick pixel values and append the values to the
                # image frame.
                pixels[:, row, col, channel] = ops.ceil(
                    ops.subtract(probs, keras.random.uniform(probs.shape))
                )
    out["generated"] = pixels
    return out


PARITY_KEYS = ["untrained", "history", "trained", "weights"]


def check(out):
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"]
    assert h["loss"][-1] < h["loss"][0]
    # the masks hold after training: no pixel's prediction sees itself or what follows
    assert out["future_leak"] < 1e-6, out["future_leak"]
    g = out["generated"]
    assert g.shape == (2, 8, 8, 1) and set(np.unique(g)) <= {0.0, 1.0}
