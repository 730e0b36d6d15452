"""Colour augmentations of Keras 3: RandomInvert, RandomGrayscale,
RandomColorDegeneration (channels-last; one image or a batch; training only).

Each image gets its own draw from the engine's random_uniform op (fresh per
batch in a compiled fit, repeatable under `pynn.set_seed`); the choice is a 0/1
engine tensor, applied with `where`, so nothing is read back into Python."""
import numpy as np

from .. import _C, ops
from .image_preprocessing import _RandomLayer, _number

# Keras' rgb_to_grayscale weights (ITU-R 601)
_GRAY = np.array([0.2989, 0.587, 0.114], np.float32)


def _per_image(x, lo, hi):
    """One uniform draw in [lo, hi) per image, shaped (N, 1, 1, 1)."""
    return _C.apply("random_uniform", [x], shape=(-1, 1, 1, 1), minval=float(lo), maxval=float(hi))


def _factor(cls, factor, bounds):
    """Keras' _set_factor: f -> (max(-|f|, lower bound), |f|); a pair, sorted."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{cls}: `factor` must be a number or a pair, received "
                             f"factor={factor!r}")
        lo, hi = sorted(_number(cls, "factor", f) for f in factor)
        if lo > bounds[1] or hi < bounds[0]:
            raise ValueError(f"{cls}: `factor` must lie in [{bounds[0]}, {bounds[1]}], received "
                             f"factor={factor!r}")
        return lo, hi
    f = _number(cls, "factor", factor)
    if not bounds[0] <= f <= bounds[1]:
        raise ValueError(f"{cls}: `factor` must lie in [{bounds[0]}, {bounds[1]}], received "
                         f"factor={factor!r}")
    return max(-abs(f), bounds[0]), abs(f)


def _value_range(cls, value_range):
    v = tuple(value_range) if isinstance(value_range, (list, tuple)) else ()
    if len(v) != 2 or not all(isinstance(a, (int, float, np.number)) for a in v):
        raise ValueError(f"{cls}: `value_range` must be a pair (min, max), received "
                         f"value_range={value_range!r}")
    return v


def _gray(cls, x):
    if int(x.shape[-1]) != 3:
        raise ValueError(f"{cls} needs RGB images (3 channels, last axis); got shape "
                         f"{tuple(x.shape)}")
    return ops.sum(x * _GRAY, axis=-1, keepdims=True)


class RandomInvert(_RandomLayer):
    """Inverts some images (``value_range[1] - x``) in training (Keras' RandomInvert).

    As Keras: each image draws ``p`` uniform in the factor's range and ``t``
    uniform in [0, 1), and is inverted when ``t < p`` (so factor 1 inverts half
    the images on average).

    Parameters
    ----------
    factor : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range [0, f]; (a, b) is [a, b].
    value_range : tuple of 2 float, default (0, 255)
        The images' range; inverted pixels are ``value_range[1] - x``.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1] or a bad value_range.

    Examples
    --------
    >>> x = np.full((400, 1, 1, 1), 55.0, np.float32)
    >>> out = pynn.layers.RandomInvert()(x, training=True).numpy().ravel()
    >>> sorted(set(out.tolist())), bool(0.4 < (out == 200).mean() < 0.6)
    ([55.0, 200.0], True)
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomInvert", factor, (0, 1))
        self.value_range = _value_range("RandomInvert", value_range)

    def _augment(self, x):
        apply = ops.less(_per_image(x, 0.0, 1.0), _per_image(x, *self.factor))
        return ops.where(apply, np.float32(self.value_range[1]) - x, x)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}


class RandomGrayscale(_RandomLayer):
    """Turns some RGB images grey in training (Keras' RandomGrayscale).

    Each image becomes grey with probability ``factor``: every channel is set to
    ``0.2989 R + 0.587 G + 0.114 B`` (the channels are kept).

    Parameters
    ----------
    factor : float, default 0.5
        The probability, in [0, 1].
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Accepted for Keras compatibility (not saved, as Keras); the draws follow
        `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1], or images without 3 channels.

    Examples
    --------
    >>> x = np.array([[[[10.0, 20.0, 30.0]]]], np.float32)
    >>> np.round(pynn.layers.RandomGrayscale(1.0)(x, training=True).numpy().ravel(), 3)
    array([18.149, 18.149, 18.149], dtype=float32)
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        f = _number("RandomGrayscale", "factor", factor)
        if not 0 <= f <= 1:
            raise ValueError(f"RandomGrayscale: `factor` must lie in [0, 1], received "
                             f"factor={factor!r}")
        self.factor = f

    def _augment(self, x):
        gray = _gray(f"RandomGrayscale '{self.name}'", x)
        apply = ops.less(_per_image(x, 0.0, 1.0), np.float32(self.factor))
        return ops.where(apply, gray * np.ones((1, 1, 1, 3), np.float32), x)

    def get_config(self):
        cfg = super().get_config()
        del cfg["seed"]  # as Keras' config
        return {**cfg, "data_format": "channels_last", "factor": self.factor}


class RandomColorDegeneration(_RandomLayer):
    """Moves each RGB image towards (or away from) its grey version by a random amount in
    training (Keras' RandomColorDegeneration).

    ``clip(x + f * (gray(x) - x), value_range)`` with ``f`` uniform per image in
    the factor's range (negative: more saturated).

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [-1, 1]: f is the range [-f, f]; (a, b) is [a, b].
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
        A factor outside [-1, 1], a bad value_range, or images without 3 channels.

    Examples
    --------
    >>> x = np.array([[[[10.0, 20.0, 30.0]]]], np.float32)
    >>> np.round(pynn.layers.RandomColorDegeneration((1.0, 1.0))(x, training=True).numpy(), 3)
    array([[[[18.149, 18.149, 18.149]]]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomColorDegeneration", factor, (-1, 1))
        self.value_range = sorted(_value_range("RandomColorDegeneration", value_range))

    def _augment(self, x):
        gray = _gray(f"RandomColorDegeneration '{self.name}'", x)
        f = _per_image(x, *self.factor) if self.factor[0] != self.factor[1] \
            else np.float32(self.factor[0])
        return ops.clip(x + f * (gray - x), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "value_range": list(self.value_range)}
