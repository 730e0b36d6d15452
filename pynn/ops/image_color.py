"""pynn.ops.image_color: ``keras.ops.image``'s colour conversions —
rgb_to_grayscale, rgb_to_hsv, hsv_to_rgb — composed of engine ops, so they
differentiate (as on Keras' torch backend) and trace into a model.

Formulas are Keras' (torchvision's luma weights 0.2989, 0.587, 0.114; dm_pix's
HSV planes, hue in [0, 1)). Images are ``(H, W, 3)`` or ``(N, H, W, 3)``,
channels-first with ``data_format="channels_first"``."""
import numpy as np

from .. import _C
from .arrange import unstack
from .compare import where
from .image_geometry import _images
from .rounding import mod
from .shape import expand_dims, stack

__all__ = ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb"]

_F = np.float32


def _channel_axis(op, images, data_format, channels=(3,)):
    """images as a Tensor and its channel axis, after Keras' checks."""
    x, _ = _images(op, images, data_format)
    axis = len(x.shape) - (3 if data_format == "channels_first" else 1)
    if int(x.shape[axis]) not in channels:
        raise ValueError(f"{op}: expected {' or '.join(map(str, channels))} channels on axis "
                         f"{axis}, received images of shape {tuple(x.shape)}")
    return x, axis


def _a(name, *xs, **attrs):
    return _C.apply(name, list(xs), **attrs)


def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, keeping a channel axis of 1
    (``keras.ops.image.rgb_to_grayscale``).

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, 3)`` or ``(N, H, W, 3)`` (or 1 channel, returned unchanged).
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        One channel.

    Raises
    ------
    ValueError
        A rank other than 3 or 4, or channels other than 1 or 3.

    Examples
    --------
    >>> pynn.ops.image.rgb_to_grayscale(np.array([[[1.0, 1.0, 1.0]]], np.float32)).numpy().round(4)
    array([[[0.9999]]], dtype=float32)
    """
    x, axis = _channel_axis("rgb_to_grayscale", images, data_format, (1, 3))
    if int(x.shape[axis]) == 1:
        return _a("mul", x, _F(1))  # a new tensor, as Keras' clone
    r, g, b = unstack(x, axis=axis)
    y = _a("add", _a("add", _a("mul", r, _F(0.2989)), _a("mul", g, _F(0.587))),
           _a("mul", b, _F(0.114)))
    return expand_dims(y, axis)


def rgb_to_hsv(images, data_format=None):
    """RGB to hue, saturation, value, each in [0, 1] (``keras.ops.image.rgb_to_hsv``).

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, 3)`` or ``(N, H, W, 3)``, values in [0, 1].
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        Hue 0 where the pixel is grey; saturation 0 where it is black.

    Raises
    ------
    ValueError
        A rank other than 3 or 4, or channels other than 3.

    Examples
    --------
    >>> pynn.ops.image.rgb_to_hsv(np.array([[[0.0, 0.5, 1.0]]], np.float32)).numpy().round(4)
    array([[[0.5833, 1.    , 1.    ]]], dtype=float32)
    """
    x, axis = _channel_axis("rgb_to_hsv", images, data_format)
    eps = _F(np.finfo(np.float32).eps)
    x = where(_a("less", _a("abs", x), eps), _F(0), x)  # Keras zeroes |x| < eps
    r, g, b = unstack(x, axis=axis)
    value = _a("maximum", _a("maximum", r, g), b)
    range_ = _a("sub", value, _a("minimum", _a("minimum", r, g), b))
    has_value, has_range = _a("greater", value, _F(0)), _a("greater", range_, _F(0))
    saturation = where(has_value, _a("div", range_, where(has_value, value, _F(1))), _F(0))
    norm = _a("div", _F(1), _a("mul", where(has_range, range_, _F(1)), _F(6)))
    hue = where(_a("equal", value, g), _a("add", _a("mul", norm, _a("sub", b, r)), _F(2 / 6)),
                _a("add", _a("mul", norm, _a("sub", r, g)), _F(4 / 6)))
    hue = where(_a("equal", value, r), _a("mul", norm, _a("sub", g, b)), hue)
    hue = _a("add", where(has_range, hue, _F(0)), _a("less", hue, _F(0)))
    return stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation, value to RGB (``keras.ops.image.hsv_to_rgb``); hue wraps
    modulo 1.

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, 3)`` or ``(N, H, W, 3)``.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A rank other than 3 or 4, or channels other than 3.

    Examples
    --------
    >>> pynn.ops.image.hsv_to_rgb(np.array([[[7 / 12, 1.0, 1.0]]], np.float32)).numpy().round(4)
    array([[[0. , 0.5, 1. ]]], dtype=float32)
    """
    x, axis = _channel_axis("hsv_to_rgb", images, data_format)
    h, s, v = unstack(x, axis=axis)
    dh = _a("mul", mod(h, _F(1)), _F(6))

    def ramp(center, sign):  # clip(sign * (|dh - center| - 1) + (sign < 0), 0, 1)
        d = _a("sub", _a("abs", _a("sub", dh, _F(center))), _F(1))
        d = d if sign > 0 else _a("sub", _F(1), d)
        return _a("clip", d, x_min=0.0, x_max=1.0)
    one_minus_s = _a("sub", _F(1), s)
    planes = [_a("mul", v, _a("add", one_minus_s, _a("mul", s, ramp(c, sign))))
              for c, sign in ((3.0, 1), (2.0, -1), (4.0, -1))]
    return stack(planes, axis=axis)
