"""RandomErasing (keras/src/layers/preprocessing/image_preprocessing/random_erasing.py):
in training, some images get a random rectangle overwritten (noise or a fixed
value). Every draw is per image in the engine's random ops, so a compiled fit
draws afresh for each batch; the rectangle is a mask built from pixel-coordinate
grids compared with the drawn corners (no gather, no Python per image)."""
import numpy as np

from .. import _C, ops
from .image_color import _factor, _per_image, _value_range
from .image_preprocessing import _RandomLayer
from .image_tone import _uniform


class RandomErasing(_RandomLayer):
    """Erases a random rectangle of some images in training (Keras' RandomErasing).

    As Keras, per image: the rectangle's width and height are ``sqrt(s) * W`` and
    ``sqrt(s') * H`` with ``s, s'`` uniform in ``scale``, its corner uniform inside
    the image; a probability ``p`` is drawn uniform in the factor's range and the
    image is erased when another uniform draw is below ``p``. Erased pixels take
    ``fill_value``, or, by default, ``normal(0, 1) * value_range[1]`` noise, clipped
    to ``value_range`` (as Keras). The identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range (0, f) of the erasing probability; ``(1, 1)``
        erases every image.
    scale : float or tuple of 2 float, default (0.02, 0.33)
        In [0, 1]: the range of each side's squared fraction.
    fill_value : None, float or tuple of 3 float
        What erased pixels become (a tuple: one value per RGB channel).
    value_range : tuple of 2 float, default (0, 255)
        Scales the default noise.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Factors outside [0, 1], a bad fill_value or value_range, or a 3-value
        fill for images without 3 channels.

    Examples
    --------
    >>> x = np.ones((1, 10, 10, 1), np.float32)
    >>> layer = pynn.layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0.0)
    >>> int((layer(x, training=True).numpy() == 0).sum())  # a 5 x 5 square
    25
    >>> bool((layer(x, training=False).numpy() == 1).all())  # inference: unchanged
    True
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomErasing", factor, (0, 1))
        self.scale = _factor("RandomErasing", scale, (0, 1))
        if fill_value is not None:
            values = list(fill_value) if isinstance(fill_value, (list, tuple)) else [fill_value]
            if len(values) not in (1, 3) or any(
                    isinstance(v, bool) or not isinstance(v, (int, float, np.number))
                    for v in values):
                raise ValueError(f"RandomErasing: The `fill_value` argument should be a number "
                                 f"(or a list of three numbers). Received: "
                                 f"fill_value={fill_value!r}")
            fill_value = float(values[0]) if len(values) == 1 else [float(v) for v in values]
        self.fill_value = fill_value
        self.value_range = list(_value_range("RandomErasing", value_range))

    def _sides(self, x, length):
        """(start, end) of the rectangle along an axis of ``length`` pixels."""
        lo, hi = self.scale
        ratio = ops.sqrt(_uniform(x, lo, hi))
        crop = ratio * float(length)
        start = _per_image(x, 0.0, 1.0) * (float(length) - crop)
        return start, start + crop

    def _augment(self, x):
        h, w, c = (int(d) for d in x.shape[1:])
        x0, x1 = self._sides(x, w)
        y0, y1 = self._sides(x, h)
        gx = np.arange(w, dtype=np.float32)[None, None, :, None]
        gy = np.arange(h, dtype=np.float32)[None, :, None, None]
        inside = (ops.greater_equal(gx, x0) * ops.less(gx, x1) *
                  ops.greater_equal(gy, y0) * ops.less(gy, y1))
        p = _uniform(x, *self.factor)
        erase = inside * ops.less(_per_image(x, 0.0, 1.0), p)
        if self.fill_value is None:
            fill = _C.apply("random_normal", [x], shape=(-1, h, w, c)) * \
                float(self.value_range[1])
        elif isinstance(self.fill_value, list):
            if c != 3:
                raise ValueError(f"RandomErasing '{self.name}': a fill_value of three numbers "
                                 f"needs RGB images (3 channels), got shape {tuple(x.shape)}")
            fill = np.asarray(self.fill_value, np.float32)
        else:
            fill = np.float32(self.fill_value)
        fill = ops.clip(fill, float(self.value_range[0]), float(self.value_range[1]))  # as Keras
        return ops.where(ops.greater(erase * np.ones((1, 1, 1, c), np.float32), 0.5), fill, x)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
