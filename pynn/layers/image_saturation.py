"""RandomSaturation and RandomHue (keras/src/layers/preprocessing/image_preprocessing/
random_saturation.py, random_hue.py) and the RGB <-> HSV planes they work in, written in engine
ops after Keras' torch backend (keras/src/backend/torch/image.py rgb_to_hsv,
hsv_to_rgb): hue and saturation in [0, 1], value the channel maximum."""
import numpy as np

from .. import ops
from .image_color import _factor, _value_range
from .image_preprocessing import _RandomLayer
from .image_tone import _uniform

_EPS = float(np.finfo(np.float32).eps)


def _planes(x):
    return [ops.slice_axis(x, -1, i, i + 1) for i in range(3)]


def rgb_to_hsv(x):
    """(N, H, W, 3) RGB -> HSV, as Keras' torch backend computes it."""
    x = ops.where(ops.less(ops.abs(x), _EPS), np.float32(0.0), x)
    r, g, b = _planes(x)
    value = ops.maximum(ops.maximum(r, g), b)
    span = value - ops.minimum(ops.minimum(r, g), b)
    safe_value = ops.where(ops.greater(value, 0.0), value, np.float32(1.0))
    safe_span = ops.where(ops.greater(span, 0.0), span, np.float32(1.0))
    saturation = ops.where(ops.greater(value, 0.0), span / safe_value, np.float32(0.0))
    norm = 1.0 / (6.0 * safe_span)
    hue = ops.where(ops.equal(value, g), norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = ops.where(ops.equal(value, r), norm * (g - b), hue)
    hue = ops.where(ops.greater(span, 0.0), hue, np.float32(0.0)) + ops.less(hue, 0.0)
    return hue, saturation, value


def hsv_to_rgb(hue, saturation, value):
    """HSV planes -> (N, H, W, 3) RGB, as Keras' torch backend computes it."""
    dh = ops.mod(hue, 1.0) * 6.0
    dr = ops.clip(ops.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = ops.clip(2.0 - ops.abs(dh - 2.0), 0.0, 1.0)
    db = ops.clip(2.0 - ops.abs(dh - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    return ops.concatenate([value * (grey + saturation * d) for d in (dr, dg, db)], axis=-1)


class RandomSaturation(_RandomLayer):
    """Scales each RGB image's saturation by a random amount in training (Keras' layer).

    As Keras: each image draws ``u`` uniform in the factor's range; its HSV
    saturation is multiplied by ``u / (1 - u + 1e-7)`` and clipped to
    ``value_range`` (so ``u <= 0`` gives a grey image, ``u = 0.5`` keeps it, ``u``
    near 1 saturates fully). The identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [-1, 1] (Keras' bounds): f is the range (-f, f); (a, b) is [a, b].
    value_range : tuple of 2 float, default (0, 255)
        The clip of the scaled saturation, as Keras applies it.
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [-1, 1], a bad value_range, or images without 3 channels.

    Examples
    --------
    >>> x = np.array([[[[200.0, 100.0, 50.0]]]], np.float32)
    >>> np.round(pynn.layers.RandomSaturation((0.5, 0.5))(x, training=True).numpy().ravel(), 3)
    array([200., 100.,  50.], dtype=float32)
    >>> pynn.layers.RandomSaturation((0.0, 0.0))(x, training=True).numpy().ravel()  # grey
    array([200., 200., 200.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomSaturation", factor, (-1, 1))
        self.value_range = sorted(_value_range("RandomSaturation", value_range))

    def _augment(self, x):
        if int(x.shape[-1]) != 3:
            raise ValueError(f"RandomSaturation '{self.name}' needs RGB images (3 channels, last "
                             f"axis); got shape {tuple(x.shape)}")
        u = _uniform(x, *self.factor)
        scale = u / (1.0 - u + 1e-7)
        hue, saturation, value = rgb_to_hsv(x)
        saturation = ops.clip(saturation * scale, float(self.value_range[0]),
                              float(self.value_range[1]))
        return hsv_to_rgb(hue, saturation, value)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}


class RandomHue(_RandomLayer):
    """Rotates each RGB image's hue by a random amount in training (Keras' RandomHue).

    As Keras: the image is mapped to [0, 1]; each image draws ``d = ±u / 2`` (the
    sign a fair coin, ``u`` uniform in the factor's range) and its HSV hue
    becomes ``h + d`` wrapped into [0, 1]; the result is clipped to [0, 1] and
    mapped back to ``value_range``. The identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [0, 1]: f is the range (0, f); (a, b) is [a, b]. 1 can turn a hue
        half way round the colour wheel.
    value_range : tuple of 2 float, default (0, 255)
        The images' range.
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1], a bad value_range, or images without 3 channels.

    Examples
    --------
    >>> red = np.array([[[[255.0, 0.0, 0.0]]]], np.float32)
    >>> out = pynn.layers.RandomHue((2 / 3, 2 / 3))(red, training=True).numpy().ravel()
    >>> np.round(out, 3).tolist() in ([0.0, 0.0, 255.0], [0.0, 255.0, 0.0])  # a third round
    True
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomHue", factor, (0, 1))
        self.value_range = sorted(_value_range("RandomHue", value_range))

    def _augment(self, x):
        if int(x.shape[-1]) != 3:
            raise ValueError(f"RandomHue '{self.name}' needs RGB images (3 channels, last axis); "
                             f"got shape {tuple(x.shape)}")
        lo, hi = (float(v) for v in self.value_range)
        unit = (x - lo) / (hi - lo)
        sign = ops.where(ops.greater(_uniform(x, 0.0, 1.0), 0.5), np.float32(-1.0),
                         np.float32(1.0))
        shift = sign * _uniform(x, *self.factor) * 0.5
        hue, saturation, value = rgb_to_hsv(unit)
        hue = hue + shift
        hue = ops.where(ops.greater(hue, 1.0), hue - 1.0, hue)
        hue = ops.where(ops.less(hue, 0.0), hue + 1.0, hue)
        rgb = ops.clip(hsv_to_rgb(hue, saturation, value), 0.0, 1.0)
        return rgb * (hi - lo) + lo

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}
