"""RandomPerspective (keras/src/layers/preprocessing/image_preprocessing/
random_perspective.py): a random homography per image, drawn, solved and sampled
by the engine's random_affine op (kind "perspective", csrc/core/ops/image.c)."""
from .. import ops
from .image_color import _factor
from .image_preprocessing import _AffineLayer, _number


class RandomPerspective(_AffineLayer):
    """Applies a random perspective warp to some images in training (Keras' RandomPerspective).

    As Keras: per image a probability ``p`` uniform in the factor's range and a
    threshold ``t`` uniform in [0, 1); when ``t < p`` each corner of the image
    moves by itself times a draw uniform in ``[-scale / 2, scale / 2]`` per
    coordinate, and output pixel (x, y) reads the input through the homography
    taking the moved corners back to the corners (constant fill outside). The
    identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range (0, f) of the probability.
    scale : float, default 1.0
        In [0, 1]: how far the corners move.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    fill_value : float, default 0.0
        The value outside the image.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor or scale outside [0, 1], an unknown interpolation.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.layers.RandomPerspective(factor=0.0)(x).numpy().ravel().tolist() == x.ravel().tolist()
    True
    >>> out = pynn.layers.RandomPerspective(factor=(1.0, 1.0), scale=0.5)(x, training=True)
    >>> out.shape, bool((out.numpy() != x).any())
    ((1, 4, 4, 1), True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomPerspective", factor, (0, 1))
        scale = _number("RandomPerspective", "scale", scale)
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f"RandomPerspective: The `scale` argument should be a number in the "
                             f"range [0,1]. Received: scale={scale!r}")
        self.scale = scale
        self._affine_args("constant", interpolation, fill_value)

    def _augment(self, x):
        return ops.random_affine(x, "perspective", *self.factor, width_lower=-0.5 * self.scale,
                                 width_upper=0.5 * self.scale, **self._affine_config())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(factor=list(self.factor), scale=self.scale, interpolation=self.interpolation,
                   fill_value=self.fill_value, data_format="channels_last")
        return cfg
