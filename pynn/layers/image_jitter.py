"""RandomColorJitter (keras/src/layers/preprocessing/image_preprocessing/
random_color_jitter.py): RandomBrightness, RandomContrast, RandomSaturation and
RandomHue applied in that order, each present when its factor is given -- the
same layers pynn already has, so each step has their numbers and draws."""
from .image_color import _value_range
from .image_crop import RandomBrightness
from .image_preprocessing import RandomContrast, _RandomLayer
from .image_saturation import RandomHue, RandomSaturation


class RandomColorJitter(_RandomLayer):
    """Randomly changes brightness, contrast, saturation and hue in training (Keras' layer).

    Each image goes through `RandomBrightness`, `RandomContrast`,
    `RandomSaturation` and `RandomHue` (in that order), those whose factor is
    given, with ``value_range``; each draws per image as that layer does. The
    identity at inference.

    Parameters
    ----------
    value_range : tuple of 2 float, default (0, 255)
        The images' range, handed to every step.
    brightness_factor, contrast_factor, saturation_factor, hue_factor : optional
        The ``factor`` of the step; None leaves it out.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor a step refuses, or a bad value_range.

    Examples
    --------
    >>> x = np.full((1, 2, 2, 3), 100.0, np.float32)
    >>> jitter = pynn.layers.RandomColorJitter(brightness_factor=(0.1, 0.1))
    >>> jitter(x, training=True).numpy()[0, 0, 0]  # + 0.1 * 255
    array([125.5, 125.5, 125.5], dtype=float32)
    >>> jitter(x, training=False).numpy()[0, 0, 0]
    array([100., 100., 100.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = list(_value_range("RandomColorJitter", value_range))
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        steps = ((RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor))
        # held in a private list: the steps have no weights, and the config is the factors
        self._steps = [cls(factor=f, value_range=value_range, seed=seed)
                       for cls, f in steps if f is not None]

    def _augment(self, x):
        for step in self._steps:
            x = step._augment(x)
        return x

    def get_config(self):
        cfg = super().get_config()
        cfg.update(value_range=self.value_range, brightness_factor=_plain(self.brightness_factor),
                   contrast_factor=_plain(self.contrast_factor),
                   saturation_factor=_plain(self.saturation_factor),
                   hue_factor=_plain(self.hue_factor), data_format="channels_last")
        return cfg


def _plain(v):
    return list(v) if isinstance(v, tuple) else v
