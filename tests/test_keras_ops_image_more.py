"""keras.ops.image (pynn/ops/image_color.py, image_geometry.py, image_sampling.py):
rgb_to_grayscale, rgb_to_hsv, hsv_to_rgb, pad_images, crop_images, gaussian_blur,
sobel_edges, map_coordinates (orders 0 and 1), affine_transform (nearest /
bilinear, every fill mode) — https://keras.io/api/ops/image/.

Values against float64 references: Python's colorsys, NumPy's pad, SciPy's
ndimage (map_coordinates through Keras' own boundary fix,
keras/src/ops/image_test.py::_fixed_map_coordinates, and correlate); Keras' own
cases (image_test.py: test_crop_images' docstring example,
test_map_coordinates_constant_padding); side by side with keras.ops.image on
Keras 3's torch backend; gradients against central differences (all of them are
differentiable, as on the torch backend); traced into compiled models; bad
input named."""
import colorsys

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

ndimage = pytest.importorskip("scipy.ndimage")

RNG = np.random.default_rng(29)
IMG = RNG.random((2, 5, 6, 3)).astype(np.float32)
IMG[0, 0, 0] = 0.5   # a grey pixel (hue 0)
IMG[0, 0, 1] = 0.0   # a black one (saturation 0)
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
T2 = np.array([[0.9, 0.2, 0.5, -0.1, 1.1, 0.3, 0, 0], [1, 0, -1.5, 0, 1, 2.2, 0, 0]],
              np.float32)
T_OFF = np.array([0, 0, 0.013, 0, 0, 0.017, 0, 0], np.float32)


# ------------------------------------------------------------ float64 references
def np_hsv(x):
    return np.apply_along_axis(lambda p: colorsys.rgb_to_hsv(*p), -1, x)


def np_rgb(x):
    return np.apply_along_axis(lambda p: colorsys.hsv_to_rgb(p[0] % 1, p[1], p[2]), -1, x)


def fixed_map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """keras/src/ops/image_test.py::_fixed_map_coordinates: SciPy, padded first
    (scipy/scipy#2640: its boundaries are wrong except for mode='reflect'). Order 0
    rounds half-way points to even first, as torch.round (SciPy rounds them up)."""
    if order == 0:
        coordinates = [np.round(c) for c in coordinates]
    padding = [(max(-np.floor(c.min()).astype(int) + 1, 0),
                max(np.ceil(c.max()).astype(int) + 1 - size, 0))
               for c, size in zip(coordinates, inputs.shape)]
    shifted = [c + p[0] for p, c in zip(padding, coordinates)]
    pad_mode = {"nearest": "edge", "mirror": "reflect", "reflect": "symmetric"}.get(fill_mode,
                                                                                    fill_mode)
    kw = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(inputs, padding, mode=pad_mode, **kw)
    return ndimage.map_coordinates(padded, shifted, order=order, mode=fill_mode, cval=fill_value)


def np_affine(images, transform, order, fill_mode, fill_value):
    """TensorFlow's convention, image by image and channel by channel, sampled by
    the reference above."""
    out = np.empty(images.shape)
    n, h, w, c = images.shape
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = np.asarray(transform, float).reshape(-1, 8)[
            b if len(np.shape(transform)) == 2 else 0]
        k = c0 * xx + c1 * yy + 1
        rows, cols = (b0 * xx + b1 * yy + b2) / k, (a0 * xx + a1 * yy + a2) / k
        for ch in range(c):
            out[b, :, :, ch] = fixed_map_coordinates(images[b, :, :, ch].astype(float),
                                                     [rows, cols], order, fill_mode, fill_value)
    return out


def np_correlate_same(images, kernel, pad):
    """Each channel correlated with kernel after zero padding `pad` on every side."""
    x = np.pad(np.asarray(images, float), [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    kh, kw = kernel.shape
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * x[:, i:i + oh, j:j + ow]
    return out


def np_gauss(size, sigma):
    def g(n, s):
        t = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (t / s) ** 2)
        return k / k.sum()
    return np.outer(g(size[1], sigma[1]), g(size[0], sigma[0])).reshape(size)


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)


# ------------------------------------------------------------ values
VALUES = {  # name -> (pynn result, float64 reference)
    "rgb_to_grayscale": (lambda: ops.image.rgb_to_grayscale(IMG),
                         lambda: IMG.astype(float) @ np.array([[0.2989], [0.587], [0.114]])),
    "rgb_to_grayscale_one_channel": (lambda: ops.image.rgb_to_grayscale(IMG[..., :1]),
                                     lambda: IMG[..., :1]),
    "rgb_to_hsv": (lambda: ops.image.rgb_to_hsv(IMG), lambda: np_hsv(IMG.astype(float))),
    "rgb_to_hsv_channels_first": (
        lambda: ops.image.rgb_to_hsv(IMG[0].transpose(2, 0, 1), data_format="channels_first"),
        lambda: np_hsv(IMG[0].astype(float)).transpose(2, 0, 1)),
    "hsv_to_rgb": (lambda: ops.image.hsv_to_rgb(IMG * [3, 1, 1]),
                   lambda: np_rgb(IMG * np.array([3.0, 1, 1]))),
    "pad_images": (lambda: ops.image.pad_images(IMG, 1, 2, target_height=8, target_width=9),
                   lambda: np.pad(IMG, [(0, 0), (1, 2), (2, 1), (0, 0)])),
    "pad_images_channels_first": (
        lambda: ops.image.pad_images(IMG[0].transpose(2, 0, 1), None, None, 1, 3, 7, 10,
                                     data_format="channels_first"),
        lambda: np.pad(IMG[0].transpose(2, 0, 1), [(0, 0), (1, 1), (1, 3)])),
    "crop_images": (lambda: ops.image.crop_images(IMG, 1, None, 1, 2, None, 3),
                    lambda: IMG[:, 1:4, 1:4]),
    "gaussian_blur": (lambda: ops.image.gaussian_blur(IMG, (3, 3), (1.0, 0.7)),
                      lambda: np_correlate_same(IMG, np_gauss((3, 3), (1.0, 0.7)), 1)),
    "gaussian_blur_5": (lambda: ops.image.gaussian_blur(IMG, (5, 5), (2.0, 1.5)),
                        lambda: np_correlate_same(IMG, np_gauss((5, 5), (2.0, 1.5)), 2)),
    "sobel_edges": (lambda: ops.image.sobel_edges(IMG),
                    lambda: np.stack([np_correlate_same(IMG, SOBEL_X.T, 1),
                                      np_correlate_same(IMG, SOBEL_X, 1)], axis=-1)),
    # (nearest: off the half-way points, where float32 and float64 coordinates may round
    # to different pixels; tested on them side by side with Keras below)
    **{f"affine_transform_{interp}_{fm}": (
        (lambda i, m: lambda: ops.image.affine_transform(IMG, T2 + T_OFF, i, m, 0.25))(interp, fm),
        (lambda i, m: lambda: np_affine(IMG, T2 + T_OFF, {"nearest": 0, "bilinear": 1}[i], m,
                                        0.25))(interp, fm))
       for interp in ("nearest", "bilinear") for fm in FILL_MODES},
    "affine_transform_projective": (
        lambda: ops.image.affine_transform(IMG, [1.1, 0.1, 0.2, 0.05, 0.9, 0.4, 0.02, 0.03]),
        lambda: np_affine(IMG, [1.1, 0.1, 0.2, 0.05, 0.9, 0.4, 0.02, 0.03], 1, "constant", 0)),
}
MAP_IN = RNG.random((4, 5, 3)).astype(np.float32)
MAP_CO = (RNG.random((3, 7, 2)) * 9 - 2.5).astype(np.float32)
for _order in (0, 1):
    for _fm in FILL_MODES:
        VALUES[f"map_coordinates_{_order}_{_fm}"] = (
            (lambda o, m: lambda: ops.image.map_coordinates(MAP_IN, MAP_CO, o, m, 0.5))(_order, _fm),
            (lambda o, m: lambda: fixed_map_coordinates(MAP_IN.astype(float), MAP_CO.astype(float),
                                                        o, m, 0.5))(_order, _fm))


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_float64_references(name):
    got, want = (fn() for fn in VALUES[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=2e-6)


def test_keras_own_cases():
    # image.py's crop_images docstring example: crop_images(x, 0, 0, 2, 2) is shown
    # keeping [[1, 4], [10, 13]], but the arguments are (top, left, bottom, right),
    # and Keras itself returns [[1.]] for that call; the 2 x 2 crop is by target size
    x = np.arange(1, 28, dtype=np.float32).reshape(3, 3, 3)
    np.testing.assert_array_equal(ops.image.crop_images(x, 0, 0, 2, 2)[..., 0].numpy(), [[1]])
    np.testing.assert_array_equal(
        ops.image.crop_images(x, 0, 0, target_height=2, target_width=2)[..., 0].numpy(),
        [[1, 4], [10, 13]])
    # image_test.py::test_map_coordinates_constant_padding: one pixel outside reads 0
    grid = np.stack(np.meshgrid(np.arange(-1, 3.0), np.arange(-1, 3.0), indexing="ij"))
    out = ops.image.map_coordinates(np.ones((2, 2), np.float32), grid, order=0).numpy()
    assert np.all(out[[0, -1]] == 0) and np.all(out[:, [0, -1]] == 0)
    assert np.all(out[1:3, 1:3] == 1)
    # pad_images docstring: (15, 25, 3) padded 2 / 3 to 20 x 30
    assert ops.image.pad_images(np.zeros((2, 15, 25, 3), np.float32), 2, 3, target_height=20,
                                target_width=30).shape == (2, 20, 30, 3)


def test_gradients_against_central_differences():
    img = IMG.astype(float)[:1, :3, :4]
    check_grad(ops.image.rgb_to_grayscale,
               lambda x: x @ np.array([[0.2989], [0.587], [0.114]]), [img])
    # no ties between the channels, and no zero (Keras zeroes |x| < eps by a select,
    # which has no gradient there)
    distinct = img + np.array([0.05, 0.3, 0.6])
    check_grad(ops.image.rgb_to_hsv, np_hsv, [distinct / 2])
    check_grad(ops.image.hsv_to_rgb, np_rgb, [img * [0.9, 1, 1] + [0.03, 0, 0]])
    check_grad(lambda x: ops.image.pad_images(x, 1, 0, 2, 1),
               lambda x: np.pad(x, [(0, 0), (1, 2), (0, 1), (0, 0)]), [img])
    check_grad(lambda x: ops.image.crop_images(x, 1, 1, 1, 1),
               lambda x: x[:, 1:2, 1:3], [img])
    check_grad(lambda x: ops.image.gaussian_blur(x, (3, 3), (1.0, 0.5)),
               lambda x: np_correlate_same(x, np_gauss((3, 3), (1.0, 0.5)), 1), [img])
    check_grad(ops.image.sobel_edges,
               lambda x: np.stack([np_correlate_same(x, SOBEL_X.T, 1),
                                   np_correlate_same(x, SOBEL_X, 1)], axis=-1), [img])
    # order 1 differentiates in the sampled values and in the coordinates (kept off
    # the integer grid, where the weights are kinked)
    co = np.floor(MAP_CO.astype(float)[:, :3]) + 0.2 + 0.6 * RNG.random((3, 3, 2))
    for fm in ("constant", "reflect"):
        check_grad(lambda x, c: ops.image.map_coordinates(x, list(c), 1, fm),
                   lambda x, c: fixed_map_coordinates(x, c, 1, fm), [MAP_IN.astype(float), co])
    check_grad(lambda x: ops.image.affine_transform(x, T2, "bilinear", "wrap"),
               lambda x: np_affine(x, T2, 1, "wrap", 0), [IMG.astype(float)[:, :4, :3]])


KERAS = {  # name -> function of (ops.image module), computed by both libraries
    "rgb_to_grayscale": lambda o: o.rgb_to_grayscale(IMG),
    "rgb_to_hsv": lambda o: o.rgb_to_hsv(IMG),
    "hsv_to_rgb": lambda o: o.hsv_to_rgb(IMG * [3, 1, 1]),
    "hsv_to_rgb_channels_first": lambda o: o.hsv_to_rgb(IMG.transpose(0, 3, 1, 2),
                                                        data_format="channels_first"),
    "pad_images": lambda o: o.pad_images(IMG, None, 2, 1, 0, target_height=8),
    "crop_images": lambda o: o.crop_images(IMG[0], 1, 2, target_height=3, target_width=2),
    # (Keras' torch gaussian_blur reads data_format=None as channels-first: pass it)
    "gaussian_blur": lambda o: o.gaussian_blur(IMG, (5, 3), (1.5, 0.7),
                                               data_format="channels_last"),
    "gaussian_blur_channels_first": lambda o: o.gaussian_blur(
        IMG.transpose(0, 3, 1, 2), (3, 3), (1.0, 0.7), data_format="channels_first"),
    "sobel_edges": lambda o: o.sobel_edges(IMG),
    **{f"affine_transform_{interp}_{fm}": (lambda i, m: lambda o: o.affine_transform(
        IMG, T2, i, m, 0.25))(interp, fm)
       for interp in ("nearest", "bilinear") for fm in FILL_MODES},
    "affine_transform_single_channels_first": lambda o: o.affine_transform(
        IMG[0].transpose(2, 0, 1), T2[0], data_format="channels_first"),
    **{f"map_coordinates_{order}_{fm}": (lambda r, m: lambda o: o.map_coordinates(
        MAP_IN, MAP_CO, r, m, 0.5))(order, fm) for order in (0, 1) for fm in FILL_MODES},
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops_image(name):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(KERAS[name](keras.ops.image))
    got = KERAS[name](ops.image).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


SYMBOLIC = {  # name -> (op on a (batch, 5, 6, 3) tensor, float64 reference)
    "rgb_to_grayscale": (ops.image.rgb_to_grayscale,
                         lambda x: x @ np.array([[0.2989], [0.587], [0.114]])),
    "rgb_to_hsv": (ops.image.rgb_to_hsv, np_hsv),
    "hsv_to_rgb": (ops.image.hsv_to_rgb, np_rgb),
    "pad_images": (lambda t: ops.image.pad_images(t, 1, 2, 0, 0),
                   lambda x: np.pad(x, [(0, 0), (1, 0), (2, 0), (0, 0)])),
    "crop_images": (lambda t: ops.image.crop_images(t, 1, 2, 0, 1),
                    lambda x: x[:, 1:, 2:5]),
    "gaussian_blur": (ops.image.gaussian_blur,
                      lambda x: np_correlate_same(x, np_gauss((3, 3), (1.0, 1.0)), 1)),
    "sobel_edges": (ops.image.sobel_edges,
                    lambda x: np.stack([np_correlate_same(x, SOBEL_X.T, 1),
                                        np_correlate_same(x, SOBEL_X, 1)], axis=-1)),
    "affine_transform": (lambda t: ops.image.affine_transform(t, T2[0], fill_mode="reflect"),
                         lambda x: np_affine(x, T2[0], 1, "reflect", 0)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_traced_into_a_model_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    x = RNG.random((5, 5, 6, 3)).astype(np.float32)
    inp = pynn.Input(shape=(5, 6, 3))
    model = pynn.Model(inp, fn(inp))
    for bs in (1, 2, 5):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-5, err_msg=f"{name} at batch size {bs}")


@pytest.mark.parametrize("call, match", [
    (lambda: ops.image.rgb_to_grayscale(IMG[0, 0]), "rgb_to_grayscale: expected images of rank 3"),
    (lambda: ops.image.rgb_to_hsv(IMG[..., :2]), "rgb_to_hsv: expected 3 channels"),
    (lambda: ops.image.hsv_to_rgb(IMG, data_format="NHWC"), "hsv_to_rgb: `data_format`"),
    (lambda: ops.image.pad_images(IMG, 1, 1), "pad_images: specify exactly two of"),
    (lambda: ops.image.pad_images(IMG, 1, 1, target_height=3, target_width=9),
     "pad_images: target_height=3 is smaller"),
    (lambda: ops.image.crop_images(IMG, 4, 0, None, None, 3, 6), "crop_images: cannot crop"),
    (lambda: ops.image.crop_images(IMG, -1, 0, 1, 0), "crop_images: `top_cropping` must be"),
    (lambda: ops.image.gaussian_blur(IMG, (3, 0)), "gaussian_blur: `kernel_size`"),
    (lambda: ops.image.gaussian_blur(IMG, sigma=(1.0, -1.0)), "gaussian_blur: `sigma`"),
    (lambda: ops.image.map_coordinates(MAP_IN, MAP_CO[:2], 1), "map_coordinates: `coordinates` must have one"),
    (lambda: ops.image.map_coordinates(MAP_IN, MAP_CO, 3), "map_coordinates: `order` must be 0 or 1"),
    (lambda: ops.image.map_coordinates(MAP_IN, MAP_CO, 1, "edge"), "map_coordinates: `fill_mode`"),
    (lambda: ops.image.affine_transform(IMG, T2[:, :6]), r"affine_transform: `transform` must be \(8,\)"),
    (lambda: ops.image.affine_transform(IMG, T2, "bicubic"), "affine_transform: `interpolation`"),
    (lambda: ops.image.affine_transform(IMG[0, 0], T2[0]), "affine_transform: expected images"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
