"""Equalization (keras/src/layers/preprocessing/image_preprocessing/equalization.py):
histogram equalization, the engine's equalize op (csrc/core/ops/equalize.c)."""
import numpy as np

from .. import _C
from .image_color import _value_range
from .image_preprocessing import _RandomLayer


class Equalization(_RandomLayer):
    """Equalizes the histogram of each channel in training (Keras' Equalization).

    As Keras: per channel, over the whole batch at once (Keras equalizes
    ``images[..., c]`` of every image together), the values on the [0, 255]
    scale are binned into ``bins`` bins and replaced by their rounded cumulative
    share of the pixels, times 255; a channel with one level is kept. Applied
    when training (``fit``, or a call on its own, as Keras' default
    ``training=True``); the identity at inference, as Keras'. No gradient
    flows through it (a table lookup, as in Keras).

    Parameters
    ----------
    value_range : tuple of 2 float, default (0, 255)
        The images' range (sorted, as Keras).
    bins : int, default 256
        Histogram bins.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad value_range or bins, or inputs that are not images.

    Examples
    --------
    >>> x = np.array([0.0, 50.0, 50.0, 100.0], np.float32).reshape(1, 2, 2, 1)
    >>> pynn.layers.Equalization()(x).numpy().ravel()  # cdf 1, 3, 4 of 4 -> 0, 170, 255
    array([  0., 170., 170., 255.], dtype=float32)
    >>> pynn.layers.Equalization()(x, training=False).numpy().ravel()
    array([  0.,  50.,  50., 100.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        value_range = sorted(_value_range("Equalization", value_range))
        if not value_range[0] < value_range[1]:
            raise ValueError(f"Equalization: `value_range` needs min < max, received "
                             f"value_range={value_range!r}")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) \
                or not 1 <= bins <= 65536:
            raise ValueError(f"Equalization: `bins` must be an int in [1, 65536], received "
                             f"bins={bins!r}")
        self.value_range, self.bins = value_range, int(bins)

    def _augment(self, x):
        return _C.apply("equalize", [x], bins=self.bins, value_min=float(self.value_range[0]),
                        value_max=float(self.value_range[1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(value_range=list(self.value_range), bins=self.bins,
                   data_format="channels_last")
        cfg.pop("seed", None)  # Keras' Equalization takes no seed
        return cfg
