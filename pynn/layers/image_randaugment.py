"""RandAugment (keras/src/layers/preprocessing/image_preprocessing/rand_augment.py):
``num_ops`` times, one of eleven augmentations chosen at random for the batch,
built from pynn's own layers with Keras' arguments; the choice is an engine draw
and a ``where`` over the candidates (as Keras computes every candidate and
selects), so a compiled fit chooses afresh at every batch."""
import numpy as np

from .. import ops
from .image_color import RandomColorDegeneration, _factor, _per_image, _value_range
from .image_crop import RandomBrightness
from .image_equalization import Equalization
from .image_preprocessing import (RandomContrast, RandomRotation, RandomTranslation,
                                  _INTERPOLATIONS, _choice, _RandomLayer)
from .image_shear import RandomShear
from .image_tone import AutoContrast, RandomPosterization, RandomSharpness, Solarization


class RandAugment(_RandomLayer):
    """Applies ``num_ops`` randomly chosen augmentations in training (Keras' RandAugment).

    As Keras: the candidates are RandomShear, RandomTranslation, RandomRotation,
    RandomBrightness, RandomColorDegeneration, RandomContrast, RandomSharpness,
    RandomPosterization, Solarization, AutoContrast and Equalization, made with
    ``factor`` (posterization with ``max(1, int(8 * factor[1]))`` bits) and
    ``value_range``; for each of the ``num_ops`` rounds one of them, drawn
    uniformly for the whole batch, transforms the images. Each round draws its
    own parameters (Keras reuses one draw per candidate across rounds, which
    differs only when a candidate is chosen twice). The identity at inference.

    Parameters
    ----------
    value_range : tuple of 2 float, default (0, 255)
        The images' range.
    num_ops : int, default 2
        Augmentations applied in a row.
    factor : float or tuple of 2 float, default 0.5
        In [0, 1]: f is the range (0, f) handed to the candidates.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        Of the geometric candidates.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad factor, num_ops, interpolation or value_range; images without 3
        channels (the colour candidates need RGB).

    Examples
    --------
    >>> x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    >>> layer = pynn.layers.RandAugment(num_ops=2, factor=0.5)
    >>> layer(x).shape, bool((layer(x, training=False).numpy() == x).all())
    ((2, 8, 8, 3), True)
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        cls = "RandAugment"
        self.value_range = list(_value_range(cls, value_range))
        if isinstance(num_ops, bool) or not isinstance(num_ops, (int, np.integer)) or num_ops < 0:
            raise ValueError(f"{cls}: `num_ops` must be an int >= 0, received num_ops={num_ops!r}")
        self.num_ops = int(num_ops)
        self.factor = _factor(cls, factor, (0, 1))
        self.interpolation = _choice(cls, "interpolation", interpolation, _INTERPOLATIONS)
        f, vr = list(self.factor), self.value_range
        geo = dict(interpolation=self.interpolation, seed=seed)
        # Keras' _AUGMENT_LAYERS, in its order (the draw picks by position)
        self._candidates = [
            RandomShear(x_factor=f, y_factor=f, **geo),
            RandomTranslation(height_factor=f, width_factor=f, **geo),
            RandomRotation(factor=f, **geo),
            RandomBrightness(factor=f, value_range=vr, seed=seed),
            RandomColorDegeneration(factor=f, value_range=vr, seed=seed),
            RandomContrast(factor=f, value_range=vr, seed=seed),
            RandomSharpness(factor=f, value_range=vr, seed=seed),
            RandomPosterization(factor=max(1, int(8 * self.factor[1])), value_range=vr,
                                seed=seed),
            Solarization(addition_factor=f, threshold_factor=f, value_range=vr, seed=seed),
            AutoContrast(value_range=vr),
            Equalization(value_range=vr),
        ]

    def _transform(self, layer, x):
        return layer._stretch(x) if isinstance(layer, AutoContrast) else layer._augment(x)

    def _augment(self, x):
        k = len(self._candidates)
        for _ in range(self.num_ops):
            # one choice for the batch (Keras' layer_idxes[i]): the first image's draw
            u = ops.reshape(ops.slice_axis(_per_image(x, 0.0, float(k)), 0, 0, 1), ())
            choice = ops.minimum(ops.floor(u), float(k - 1))
            out = x
            for j, layer in enumerate(self._candidates):
                out = ops.where(ops.equal(choice, float(j)), self._transform(layer, x), out)
            x = out
        return x

    def get_config(self):
        cfg = super().get_config()
        cfg.update(value_range=self.value_range, num_ops=self.num_ops, factor=list(self.factor),
                   interpolation=self.interpolation, data_format="channels_last")
        return cfg
