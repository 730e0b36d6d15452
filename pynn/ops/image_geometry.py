"""pynn.ops.image_geometry: ``keras.ops.image``'s pad_images and crop_images, and
the two filters gaussian_blur and sobel_edges — engine ops (pad's gathers,
slices, the depthwise convolution), so they differentiate and trace into a model.

Images are ``(H, W, C)`` or ``(N, H, W, C)``, or channels-first with
``data_format="channels_first"``; padding and cropping follow Keras' rule of
exactly two of (before, after, target) per axis."""
import numbers

import numpy as np

from .depthwise import depthwise_conv2d
from .layout import pad
from .shape import _tensor, expand_dims, slice_axis, squeeze, stack, transpose

__all__ = ["pad_images", "crop_images", "gaussian_blur", "sobel_edges"]


def _images(op, images, data_format):
    x = _tensor(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(f"{op}: expected images of rank 3 (height, width, channels) or 4 "
                         f"(batch, height, width, channels), received shape {tuple(x.shape)}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}")
    first = data_format == "channels_first"
    rank = len(x.shape)
    return x, (rank - 2, rank - 1) if first else (rank - 3, rank - 2)


def _two_of_three(op, names, values):
    """(before, kept) of one axis from exactly two of (before, after, target)."""
    before, after, target = values
    if [before, after, target].count(None) != 1:
        raise ValueError(f"{op}: specify exactly two of {', '.join(names)}; received "
                         + ", ".join(f"{n}={v!r}" for n, v in zip(names, values)))
    for n, v in zip(names, values):
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0):
            raise ValueError(f"{op}: `{n}` must be an int >= 0, received {n}={v!r}")
    return before, after, target


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pads images with zeros (``keras.ops.image.pad_images``).

    Per axis give exactly two of the padding before, the padding after and the
    target size.

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)``.
    top_padding, left_padding, bottom_padding, right_padding : int, optional
    target_height, target_width : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Not exactly two of three per axis, negative values, or a target smaller
        than the image plus the given padding.

    Examples
    --------
    >>> x = np.ones((1, 2, 1), np.float32)
    >>> pynn.ops.image.pad_images(x, 1, 0, target_height=3, target_width=3)[..., 0].numpy()
    array([[0., 0., 0.],
           [1., 1., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    op = "pad_images"
    x, (hax, wax) = _images(op, images, data_format)
    widths = [[0, 0] for _ in x.shape]
    for ax, names, values in (
            (hax, ("top_padding", "bottom_padding", "target_height"),
             (top_padding, bottom_padding, target_height)),
            (wax, ("left_padding", "right_padding", "target_width"),
             (left_padding, right_padding, target_width))):
        before, after, target = _two_of_three(op, names, values)
        n = int(x.shape[ax])
        before = target - after - n if before is None else before
        after = target - before - n if after is None else after
        if before < 0 or after < 0:
            raise ValueError(f"{op}: {names[2]}={target} is smaller than the image's {n} plus "
                             f"the padding given ({names[0]}={values[0]}, "
                             f"{names[1]}={values[1]})")
        widths[ax] = [before, after]
    return pad(x, widths)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crops images (``keras.ops.image.crop_images``).

    Per axis give exactly two of the cropping before, the cropping after and the
    target size.

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)``.
    top_cropping, left_cropping, bottom_cropping, right_cropping : int, optional
    target_height, target_width : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Not exactly two of three per axis, negative values, or a crop larger than
        the image.

    Examples
    --------
    >>> x = np.arange(1, 28, dtype=np.float32).reshape(3, 3, 3)
    >>> pynn.ops.image.crop_images(x, 0, 0, target_height=2, target_width=2)[..., 0].numpy()
    array([[ 1.,  4.],
           [10., 13.]], dtype=float32)
    """
    op = "crop_images"
    x, (hax, wax) = _images(op, images, data_format)
    for ax, names, values in (
            (hax, ("top_cropping", "bottom_cropping", "target_height"),
             (top_cropping, bottom_cropping, target_height)),
            (wax, ("left_cropping", "right_cropping", "target_width"),
             (left_cropping, right_cropping, target_width))):
        n = int(x.shape[ax])
        before, after, target = _two_of_three(op, names, values)
        before = n - target - after if before is None else before
        target = n - before - after if target is None else target
        if before < 0 or target < 0 or before + target > n:
            raise ValueError(f"{op}: cannot crop {names[0]}={before} and keep {target} of the "
                             f"image's {n} on that axis (received {names[0]}={values[0]}, "
                             f"{names[1]}={values[1]}, {names[2]}={values[2]})")
        x = slice_axis(x, ax, before, before + target)
    return x


def _depthwise_same(op, images, data_format, kernels, pads):
    """Each (KH, KW) kernel of kernels applied to every channel with zero padding
    pads = ((top, bottom), (left, right)); results stacked on a new last axis
    (one kernel: no new axis). Channels-last inside."""
    x, _ = _images(op, images, data_format)
    single = len(x.shape) == 3
    if single:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))
    c = int(x.shape[3])
    x = pad(x, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])
    outs = []
    for k in kernels:
        w = np.repeat(np.asarray(k, np.float32)[:, :, None, None], c, axis=2)
        y = depthwise_conv2d(x, w)
        outs.append(transpose(y, (0, 3, 1, 2)) if data_format == "channels_first" else y)
    y = outs[0] if len(outs) == 1 else stack(outs, axis=-1)
    return squeeze(y, 0) if single else y


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs each channel with a normalised Gaussian kernel
    (``keras.ops.image.gaussian_blur``), zero padding that keeps the size for odd
    kernels.

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)``.
    kernel_size : tuple of 2 int, default (3, 3)
        (height, width) of the kernel.
    sigma : tuple of 2 float, default (1.0, 1.0)
        Standard deviation along (height, width).
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A bad rank, kernel size or sigma.

    Examples
    --------
    >>> x = np.zeros((3, 3, 1), np.float32); x[1, 1] = 1
    >>> pynn.ops.image.gaussian_blur(x, (3, 3), (1.0, 1.0))[..., 0].numpy().round(4)
    array([[0.0751, 0.1238, 0.0751],
           [0.1238, 0.2042, 0.1238],
           [0.0751, 0.1238, 0.0751]], dtype=float32)
    """
    op = "gaussian_blur"
    size = tuple(kernel_size) if isinstance(kernel_size, (list, tuple)) else (kernel_size,) * 2
    sig = tuple(sigma) if isinstance(sigma, (list, tuple)) else (sigma,) * 2
    if len(size) != 2 or not all(isinstance(k, numbers.Integral) and k >= 1 for k in size):
        raise ValueError(f"{op}: `kernel_size` must be 2 positive ints, received {kernel_size!r}")
    if len(sig) != 2 or not all(isinstance(s, numbers.Real) and s > 0 for s in sig):
        raise ValueError(f"{op}: `sigma` must be 2 positive numbers, received {sigma!r}")

    def g(n, s):
        t = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (t / s) ** 2)
        return k / k.sum()
    # Keras' kernel, exactly: outer(g(size[1], sigma[1]), g(size[0], sigma[0])) read
    # as (size[0], size[1]) and padded by size[0] // 2 on every side (its torch
    # backend; the same as a centred kernel for square odd sizes)
    kernel = np.outer(g(size[1], sig[1]), g(size[0], sig[0])).reshape(size)
    p = size[0] // 2
    return _depthwise_same(op, images, data_format, [kernel], ((p, p), (p, p)))


def sobel_edges(images, data_format=None):
    """The Sobel gradients of each channel, ``(..., 2)`` holding (dy, dx)
    (``keras.ops.image.sobel_edges``), zero padding of 1.

    Parameters
    ----------
    images : Tensor or array_like
        ``(N, H, W, C)`` (or ``(H, W, C)``).
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        ``images.shape + (2,)``.

    Raises
    ------
    ValueError
        A bad rank.

    Examples
    --------
    >>> x = np.tile(np.arange(3, dtype=np.float32), (3, 1))[None, :, :, None]
    >>> pynn.ops.image.sobel_edges(x)[0, 1, 1, 0].numpy()
    array([0., 8.], dtype=float32)
    """
    dx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    return _depthwise_same("sobel_edges", images, data_format, [dx.T, dx], ((1, 1), (1, 1)))

