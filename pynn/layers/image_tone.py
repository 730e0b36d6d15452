"""Tone augmentations of Keras 3: Solarization, RandomPosterization, RandomSharpness
(training only, drawn per image in the engine) and AutoContrast (always applied), channels-last,
one image or a batch. Each works on the [0, 255] scale as Keras does: the images
are mapped from ``value_range`` to it and back."""
import numpy as np

from .. import ops
from .image_color import _factor, _per_image, _value_range
from .image_preprocessing import _ImageLayer, _RandomLayer, _number


def _to_255(x, value_range):
    lo, hi = (float(v) for v in value_range)
    return x if (lo, hi) == (0.0, 255.0) else (x - lo) / (hi - lo) * 255.0


def _from_255(x, value_range):
    lo, hi = (float(v) for v in value_range)
    return x if (lo, hi) == (0.0, 255.0) else x / 255.0 * (hi - lo) + lo


def _uniform(x, lo, hi):
    """One draw per image in [lo, hi), or the constant when the range is one value."""
    return _per_image(x, lo, hi) if lo != hi else np.float32(lo)


def _unit_factor(cls, name, factor):
    """Solarization's factors: f -> (0, f); (a, b) sorted; each in [0, 1]."""
    msg = (f"{cls}: The `addition_factor` and `threshold_factor` arguments should be a number "
           f"(or a list of two numbers) in the range [0, 1]. Received: {name}={factor!r}")
    values = list(factor) if isinstance(factor, (list, tuple)) else [factor]
    if len(values) not in (1, 2) or any(
            isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not 0 <= v <= 1
            for v in values):
        raise ValueError(msg)
    return (0.0, float(values[0])) if len(values) == 1 else tuple(sorted(map(float, values)))


class Solarization(_RandomLayer):
    """Solarizes images in training (Keras' Solarization): pixels above a threshold are inverted.

    On the [0, 255] scale each image draws an addition ``a`` uniform in
    ``[addition_factor[0], addition_factor[1] * 255)`` and a threshold ``t`` uniform
    in ``[threshold_factor[0], threshold_factor[1] * 255)`` (Keras scales only the
    upper bounds); then ``y = clip(x + a, 0, 255)`` and pixels with ``y >= t``
    become ``255 - y``. With the default factors (0, 0) every pixel is inverted,
    as in Keras. The identity at inference.

    Parameters
    ----------
    addition_factor : float or tuple of 2 float, default 0.0
        In [0, 1]: f is the range (0, f).
    threshold_factor : float or tuple of 2 float, default 0.0
        In [0, 1]: f is the range (0, f).
    value_range : tuple of 2 float, default (0, 255)
        The images' range.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Factors outside [0, 1] or a bad value_range.

    Examples
    --------
    >>> x = np.array([[[[10.0], [200.0]]]], np.float32)
    >>> layer = pynn.layers.Solarization()  # factors (0, 0): threshold 0, every pixel inverted
    >>> layer(x, training=True).numpy().ravel()
    array([245.,  55.], dtype=float32)
    >>> layer(x, training=False).numpy().ravel()  # inference: unchanged
    array([ 10., 200.], dtype=float32)
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor("Solarization", "addition_factor", addition_factor)
        self.threshold_factor = _unit_factor("Solarization", "threshold_factor",
                                             threshold_factor)
        self.value_range = sorted(_value_range("Solarization", value_range))

    def _augment(self, x):
        a = _uniform(x, self.addition_factor[0], self.addition_factor[1] * 255)
        t = _uniform(x, self.threshold_factor[0], self.threshold_factor[1] * 255)
        y = ops.clip(_to_255(x, self.value_range) + a, 0.0, 255.0)
        return _from_255(ops.where(ops.less(y, t), y, 255.0 - y), self.value_range)

    def get_config(self):
        return {**super().get_config(), "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor),
                "value_range": list(self.value_range)}


class RandomPosterization(_RandomLayer):
    """Keeps only the top bits of every pixel in training (Keras' RandomPosterization).

    On the [0, 255] scale each image draws a number of bits ``b`` (an integer in
    ``[factor[0], factor[1])``, or ``factor[0]`` when the two are equal) and every
    pixel ``v`` becomes ``floor(v / 2**(8 - b)) * 2**(8 - b)``, as Keras' uint8
    shifts. The identity at inference.

    Parameters
    ----------
    factor : int or tuple of 2 int
        In [1, 8]: f is the range ``(1, f)`` (Keras' rule); ``(b, b)`` fixes the bits.
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
        A factor outside [1, 8] or a bad value_range.

    Examples
    --------
    >>> x = np.array([[[[0.0, 37.0, 200.0, 255.0]]]], np.float32)
    >>> pynn.layers.RandomPosterization((2, 2))(x, training=True).numpy().ravel()  # 2 bits
    array([  0.,   0., 192., 192.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        msg = (f"RandomPosterization: The `factor` argument should be a number (or a list of two "
               f"numbers) in the range [1, 8]. Received: factor={factor!r}")
        if isinstance(factor, (list, tuple)):
            if len(factor) != 2 or factor[0] > 8 or factor[1] < 1:
                raise ValueError(msg)
            lo, hi = sorted(_number("RandomPosterization", "factor", f) for f in factor)
        else:
            f = _number("RandomPosterization", "factor", factor)
            if not 1 <= f <= 8:
                raise ValueError(msg)
            lo, hi = max(-abs(f), 1.0), abs(f)
        self.factor = (lo, hi)
        self.value_range = sorted(_value_range("RandomPosterization", value_range))

    def _augment(self, x):
        lo, hi = self.factor
        bits = ops.floor(_per_image(x, lo, hi)) if lo != hi else np.float32(lo)
        step = ops.exp2(8.0 - bits)
        v = ops.floor(_to_255(x, self.value_range))   # Keras' cast to uint8
        return _from_255(ops.floor(v / step) * step, self.value_range)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}


class AutoContrast(_ImageLayer):
    """Stretches each image's channels to the full value range (Keras' AutoContrast).

    Per image and channel, the lowest value becomes ``value_range[0]`` and the
    highest ``value_range[1]`` (linearly in between); a flat channel, whose
    stretch is undefined, is left as it is. Applied in training and inference,
    as Keras does.

    Parameters
    ----------
    value_range : tuple of 2 float, default (0, 255)
        The images' range.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad value_range, or inputs that are not images.

    Examples
    --------
    >>> x = np.array([[[[50.0], [100.0]], [[75.0], [150.0]]]], np.float32)
    >>> pynn.layers.AutoContrast()(x).numpy().ravel()
    array([  0.  , 127.5 ,  63.75, 255.  ], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = sorted(_value_range("AutoContrast", value_range))

    def call(self, inputs, training=False):
        return self._batched(self._stretch, inputs)

    def _stretch(self, x):
        v = _to_255(x, self.value_range)
        low = ops.min(v, axis=(1, 2), keepdims=True)
        high = ops.max(v, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        out = _from_255(ops.clip(v * scale + (-low * scale), 0.0, 255.0), self.value_range)
        return ops.where(ops.isnan(out), x, out)      # a flat channel: 0/0

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}


# Keras' smoothing kernel of RandomSharpness (PIL's SMOOTH filter)
_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13.0


class RandomSharpness(_RandomLayer):
    """Sharpens or blurs each image by a random amount in training (Keras' RandomSharpness).

    Each image draws ``f`` uniform in the factor's range and becomes
    ``clip(x + (1 - 2 f) * (smooth(x) - x), value_range)``, where ``smooth`` is
    Keras' 3x3 smoothing filter per channel (zero padding at the borders): ``f =
    0.5`` keeps the image, below blurs, above sharpens. The identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [0, 1]: f is the range (0, f); (a, b) is [a, b].
    value_range : tuple of 2 float, default (0, 255)
        The outputs are clipped to it.
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1] or a bad value_range.

    Examples
    --------
    >>> x = np.zeros((1, 3, 3, 1), np.float32)
    >>> x[0, 1, 1, 0] = 130.0
    >>> blur = pynn.layers.RandomSharpness((0.0, 0.0))(x, training=True).numpy()[0, :, :, 0]
    >>> blur  # f = 0: the smoothed image
    array([[10., 10., 10.],
           [10., 50., 10.],
           [10., 10., 10.]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomSharpness", factor, (0, 1))
        self.value_range = sorted(_value_range("RandomSharpness", value_range))

    def _augment(self, x):
        channels = int(x.shape[-1])
        kernel = np.repeat(_SMOOTH[:, :, None, None], channels, axis=2)   # (3, 3, C, 1)
        smooth = ops.depthwise_conv2d(x, kernel, padding="same")
        f = _uniform(x, *self.factor)
        return ops.clip(x + (1.0 - 2.0 * f) * (smooth - x), self.value_range[0],
                        self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}
