"""RandomShear (keras/src/layers/preprocessing/image_preprocessing/random_shear.py):
a random shear per image, drawn and sampled by the engine's random_affine op
(kind "shear", csrc/core/ops/image.c) like the other affine augmentations."""
from .. import ops
from .image_preprocessing import _AffineLayer, _number


def _shear_factor(name, factor):
    """Keras' _set_factor_with_name: f in [0, 1] -> (-f, f); a pair in [0, 1], sorted."""
    msg = (f"RandomShear: The `factor` argument should be a number (or a list of two numbers) in "
           f"the range [0, 1.0]. Received: {name}={factor!r}")
    values = list(factor) if isinstance(factor, (list, tuple)) else [factor]
    if len(values) not in (1, 2):
        raise ValueError(msg)
    try:
        values = [_number("RandomShear", name, v) for v in values]
    except ValueError:
        raise ValueError(msg) from None
    if any(not 0.0 <= v <= 1.0 for v in values):
        raise ValueError(msg)
    return (-values[0], values[0]) if len(values) == 1 else tuple(sorted(values))


class RandomShear(_AffineLayer):
    """Shears each image by a random amount in training (Keras' RandomShear).

    As Keras: per image a shear ``sx`` uniform in the x range and ``sy`` in the y
    range, both negated together with probability 1/2; output pixel ``(x, y)``
    reads the input at ``(x + sx y, sy x + y)`` (about the top-left corner),
    sampled with ``interpolation`` and ``fill_mode``. The identity at inference.

    Parameters
    ----------
    x_factor, y_factor : float or tuple of 2 float, default 0.0
        In [0, 1]: f is the range (-f, f); (a, b) is [a, b].
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        Points outside the image.
    fill_value : float, default 0.0
        With ``fill_mode="constant"``.
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1] or an unknown mode.

    Examples
    --------
    >>> x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    >>> layer = pynn.layers.RandomShear(x_factor=(1.0, 1.0), fill_mode="constant")
    >>> out = layer(x, training=True).numpy()[0, :, :, 0]
    >>> out.tolist() in ([[0, 1, 2], [4, 5, 0], [8, 0, 0]], [[0, 1, 2], [0, 3, 4], [0, 0, 6]])
    True
    >>> layer(x, training=False).numpy()[0, :, :, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _shear_factor("x_factor", x_factor)
        self.y_factor = _shear_factor("y_factor", y_factor)
        # the config keeps the factors as given: Keras saves the drawn ranges, (-f, f) for a
        # number f, which its own constructor then refuses (negative); f reloads in both
        self._factor_args = [list(f) if isinstance(f, tuple) else f for f in (x_factor, y_factor)]
        self._affine_args(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        return ops.random_affine(x, "shear", *self.x_factor, width_lower=self.y_factor[0],
                                 width_upper=self.y_factor[1], **self._affine_config())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(x_factor=self._factor_args[0], y_factor=self._factor_args[1],
                   data_format="channels_last", **self._affine_config())
        return cfg
