"""keras.io's "Image Super-Resolution using an Efficient Sub-Pixel CNN"
(https://keras.io/examples/vision/super_resolution_sub_pixel/, source
https://github.com/keras-team/keras-io/blob/master/examples/vision/super_resolution_sub_pixel.py).

Kept as published: the image helpers imported from keras.preprocessing.image
(load_img, array_to_img, img_to_array), the luminance (Y of YUV) targets and their
area-downscaled inputs, get_model (Conv2D 64/5, 64/3, 32/3 and
channels * upscale_factor**2 / 3, relu, kernel_initializer="Orthogonal",
padding="same", then the sub-pixel shuffle), the ESPCNCallback measuring PSNR from
each validation batch's logs["loss"] and upscaling a test picture with PIL at the end
of every epoch (get_lowres_image with BICUBIC, upscale_image through YCbCr), EarlyStopping
and ModelCheckpoint(save_weights_only=True, monitor="loss", mode="min",
save_best_only=True) then load_weights, Adam(0.001) / MeanSquaredError, fit with
verbose=2, and the PSNR of the reconstructions against the bicubic baseline.

Changed: the sub-pixel shuffle tf.nn.depth_to_space(x, upscale_factor) is
keras.ops.depth_to_space (Keras 3's name for it); the BSDS500 download is replaced by
16 synthetic 48x48 RGB pictures (smooth gradients and discs) written as PNG into the
run's directory, crop_size 300 -> 48, epochs 50 -> 3; the tf.data pipeline
(image_dataset_from_directory, tf.image.rgb_to_yuv, tf.image.resize(method="area")) is
replaced by the same arithmetic in NumPy (TensorFlow's RGB->YUV matrix; an area resize
by an integer factor is the mean of each block), first 12 pictures for training, 4 for
validation, shuffle=False; the checkpoint path ends in ".weights.h5" (Keras 3 requires
it with save_weights_only) under the run's directory; tf.image.psnr is computed in
NumPy; the plots are left out (plot_results is a no-op)."""
import math
import os

import numpy as np
import PIL

import keras
from keras import layers
from keras.preprocessing.image import load_img
from keras.preprocessing.image import array_to_img
from keras.preprocessing.image import img_to_array

crop_size = 48
upscale_factor = 3
batch_size = 4
input_img_size = (crop_size // upscale_factor, crop_size // upscale_factor)
target_img_size = (crop_size, crop_size)
channels = 1

PARITY_TOL = (1e-3, 1e-4)  # PSNR of PIL-rounded uint8 pictures after three epochs


def data():
    rng = np.random.default_rng(500)
    yy, xx = np.mgrid[:crop_size, :crop_size] / crop_size
    images = []
    for _ in range(16):
        a, b, c = rng.uniform(-1, 1, 3)
        base = 0.5 + 0.25 * np.sin(3 * a * xx + 2 * b * yy + c)
        cy, cx, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.3)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        img = np.stack([base, base[::-1], base[:, ::-1]], -1)
        img[disc] = rng.uniform(0, 1, 3)
        images.append((255 * img).astype(np.uint8))
    return np.stack(images)


def rgb_to_yuv(images):
    # tf.image.rgb_to_yuv's matrix
    m = np.array([[0.299, -0.14714119, 0.61497538],
                  [0.587, -0.28886916, -0.51496512],
                  [0.114, 0.43601035, -0.10001026]], np.float32)
    return images @ m


def process_input(input, crop_size, upscale_factor):
    y = rgb_to_yuv(input)[..., :1]
    f = upscale_factor
    n, h, w, c = y.shape
    return y.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))


def process_target(input):
    return rgb_to_yuv(input)[..., :1]


def get_model(upscale_factor=3, channels=1):
    conv_args = {
        "activation": "relu",
        "kernel_initializer": "Orthogonal",
        "padding": "same",
    }
    inputs = keras.Input(shape=input_img_size + (channels,))
    x = layers.Conv2D(64, 5, **conv_args)(inputs)
    x = layers.Conv2D(64, 3, **conv_args)(x)
    x = layers.Conv2D(32, 3, **conv_args)(x)
    x = layers.Conv2D(channels * (upscale_factor ** 2), 3, **conv_args)(x)
    outputs = keras.ops.depth_to_space(x, upscale_factor)

    return keras.Model(inputs, outputs)


def plot_results(img, prefix, title):
    """Plot the result with zoom-in area (no plots in a test)."""


def get_lowres_image(img, upscale_factor):
    """Return low-resolution image and will use it as input."""
    lowres_img = img.resize(
        (img.size[0] // upscale_factor, img.size[1] // upscale_factor),
        PIL.Image.BICUBIC,
    )
    return lowres_img


def upscale_image(model, img):
    """Predict the result based on input image and restore the image as RGB."""
    ycbcr = img.convert("YCbCr")
    y, cb, cr = ycbcr.split()
    y = img_to_array(y)
    y = y.astype("float32") / 255.0

    input = np.expand_dims(y, axis=0)
    out = model.predict(input, verbose=0)

    out_img_y = out[0]
    out_img_y *= 255.0

    # Restore the image in RGB color space.
    out_img_y = out_img_y.clip(0, 255)
    out_img_y = out_img_y.reshape((np.shape(out_img_y)[0], np.shape(out_img_y)[1]))
    out_img_y = PIL.Image.fromarray(np.uint8(out_img_y), mode="L")
    out_img_cb = cb.resize(out_img_y.size, PIL.Image.BICUBIC)
    out_img_cr = cr.resize(out_img_y.size, PIL.Image.BICUBIC)
    out_img = PIL.Image.merge("YCbCr", (out_img_y, out_img_cb, out_img_cr)).convert(
        "RGB"
    )
    return out_img


def psnr(a, b, max_val):
    return 10 * math.log10(max_val ** 2 / np.mean((a.astype("float64") - b) ** 2))


class ESPCNCallback(keras.callbacks.Callback):
    def __init__(self, test_img_paths):
        super(ESPCNCallback, self).__init__()
        self.test_img = get_lowres_image(load_img(test_img_paths[0]), upscale_factor)
        self.epoch_psnr = []

    # Store PSNR value in each epoch.
    def on_epoch_begin(self, epoch, logs=None):
        self.psnr = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_psnr.append(np.mean(self.psnr))
        prediction = upscale_image(self.model, self.test_img)
        plot_results(prediction, "epoch-" + str(epoch), "prediction")

    def on_test_batch_end(self, batch, logs=None):
        self.psnr.append(10 * math.log10(1 / logs["loss"]))


def build():
    model = get_model(upscale_factor=upscale_factor, channels=channels)
    model.summary()
    return model


def run(model, images, tmpdir):
    test_path = os.path.join(tmpdir, "test")
    os.makedirs(test_path)
    for i, img in enumerate(images):
        array_to_img(img).save(os.path.join(test_path, f"{i:03d}.png"))
    test_img_paths = sorted(
        [
            os.path.join(test_path, fname)
            for fname in os.listdir(test_path)
            if fname.endswith(".png")
        ]
    )
    scaled = images.astype("float32") / 255.0
    train, valid = scaled[:12], scaled[12:]
    x_train, y_train = process_input(train, crop_size, upscale_factor), process_target(train)
    x_valid, y_valid = process_input(valid, crop_size, upscale_factor), process_target(valid)

    early_stopping_callback = keras.callbacks.EarlyStopping(monitor="loss", patience=10)
    checkpoint_filepath = os.path.join(tmpdir, "checkpoint.weights.h5")
    model_checkpoint_callback = keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_filepath,
        save_weights_only=True,
        monitor="loss",
        mode="min",
        save_best_only=True,
    )
    espcn = ESPCNCallback(test_img_paths)
    callbacks = [espcn, early_stopping_callback, model_checkpoint_callback]
    loss_fn = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.Adam(learning_rate=0.001)

    epochs = 3
    model.compile(
        optimizer=optimizer, loss=loss_fn,
    )
    history = model.fit(
        x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=callbacks,
        validation_data=(x_valid, y_valid), verbose=2, shuffle=False,
    )

    # The model weights (that are considered the best) are loaded into the model.
    model.load_weights(checkpoint_filepath)

    total_bicubic_psnr = 0.0
    total_test_psnr = 0.0
    for index, test_img_path in enumerate(test_img_paths[12:16]):
        img = load_img(test_img_path)
        lowres_input = get_lowres_image(img, upscale_factor)
        w = lowres_input.size[0] * upscale_factor
        h = lowres_input.size[1] * upscale_factor
        highres_img = img.resize((w, h))
        prediction = upscale_image(model, lowres_input)
        lowres_img = lowres_input.resize((w, h))
        lowres_img_arr = img_to_array(lowres_img)
        highres_img_arr = img_to_array(highres_img)
        predict_img_arr = img_to_array(prediction)
        total_bicubic_psnr += psnr(lowres_img_arr, highres_img_arr, max_val=255)
        total_test_psnr += psnr(predict_img_arr, highres_img_arr, max_val=255)

    return {"history": history.history, "epoch_psnr": espcn.epoch_psnr,
            "val_loss_psnr": [10 * math.log10(1 / v) for v in history.history["val_loss"]],
            "bicubic_psnr": total_bicubic_psnr / 4, "test_psnr": total_test_psnr / 4,
            "output_shape": list(model.predict(x_valid[:1], verbose=0).shape),
            "weights": model.get_weights()}


def check(out):
    assert out["output_shape"] == [1, 48, 48, 1]
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"] and h["loss"][-1] < h["loss"][0]
    assert len(out["epoch_psnr"]) == 3 and np.isfinite(out["epoch_psnr"]).all()
    assert np.isfinite(out["test_psnr"]) and np.isfinite(out["bicubic_psnr"])
