"""RandomGaussianBlur (keras/src/layers/preprocessing/image_preprocessing/
random_gaussian_blur.py): blurs some images of a batch with a Gaussian whose
sigmas are drawn once per batch, as Keras draws them -- all in engine ops (the
draws are the engine's random_uniform, the kernel is computed from them and
applied by the depthwise convolution), so a compiled fit draws afresh per batch."""
import numpy as np

from .. import ops
from .image_color import _factor, _value_range
from .image_preprocessing import _RandomLayer
from .image_tone import _uniform


def _odd_size(size):
    msg = f"RandomGaussianBlur: kernel_size must be an odd number. Received: kernel_size={size!r}"
    values = list(size) if isinstance(size, (list, tuple)) else [size, size]
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                               or v < 1 or v % 2 == 0 for v in values):
        raise ValueError(msg)
    if values[0] != values[1]:
        # Keras pads kernel_size[0] // 2 on both axes, so a non-square kernel changes the
        # image's width and its where() against the input fails
        raise ValueError(f"RandomGaussianBlur: only square kernels are supported (as Keras "
                         f"pads both axes by kernel_size[0] // 2). Received: kernel_size={size!r}")
    return tuple(int(v) for v in values)


class RandomGaussianBlur(_RandomLayer):
    """Blurs some images with a random Gaussian in training (Keras' RandomGaussianBlur).

    As Keras: per batch two sigmas ``s0, s1`` uniform in the sigma range (+1e-6);
    per image a probability ``p`` uniform in the factor's range and a threshold
    ``t`` uniform in [0, 1), the image blurred when ``t < p`` (so factor 1 blurs
    half of them); the kernel is ``outer(g(s1), g(s0))`` of normalised 1-D
    Gaussians over ``kernel_size`` taps (s1 down the height, s0 across the
    width), with zero padding; the result is clipped to ``value_range``. The
    identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range (0, f) of the blur probability.
    kernel_size : int or tuple of 2 int, default 3
        Odd and square.
    sigma : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range (0, f) of the sigmas.
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
        Factors outside [0, 1], an even or non-square kernel, a bad value_range.

    Examples
    --------
    >>> x = np.zeros((1, 3, 3, 1), np.float32); x[0, 1, 1] = 100.0
    >>> blur = pynn.layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(1.0, 1.0))
    >>> blur(x).numpy()[0, :, :, 0].round(2)  # p = 1: every image, sigma 1 (+1e-6)
    array([[ 7.51, 12.38,  7.51],
           [12.38, 20.42, 12.38],
           [ 7.51, 12.38,  7.51]], dtype=float32)
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("RandomGaussianBlur", factor, (0, 1))
        self.kernel_size = _odd_size(kernel_size)
        self.sigma = _factor("RandomGaussianBlur", sigma, (0, 1))
        self.value_range = list(_value_range("RandomGaussianBlur", value_range))

    def _sigma(self, x):
        """One draw for the whole batch (Keras' blur_factor has shape (2,))."""
        u = _uniform(x, *self.sigma)
        if not isinstance(u, np.floating):  # (N, 1, 1, 1): the first image's draw
            u = ops.reshape(ops.slice_axis(u, 0, 0, 1), (1,))
        return u + np.float32(1e-6)

    def _augment(self, x):
        k = self.kernel_size[0]
        t = (np.arange(k, dtype=np.float32) - np.float32((k - 1) / 2))

        def gauss(sigma):
            g = ops.exp(ops.square((1.0 / sigma) * t) * -0.5)
            return g / ops.sum(g)

        s0, s1 = self._sigma(x), self._sigma(x)
        channels = int(x.shape[-1])
        kernel = (ops.reshape(gauss(s1), (k, 1, 1, 1)) * ops.reshape(gauss(s0), (1, k, 1, 1))
                  * np.ones((1, 1, channels, 1), np.float32))
        p = k // 2
        blurred = ops.depthwise_conv2d(ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0))), kernel)
        apply = ops.less(_uniform(x, 0.0, 1.0), _uniform(x, *self.factor))
        lo, hi = (float(v) for v in self.value_range)
        return ops.clip(ops.where(apply, blurred, x), lo, hi)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(factor=list(self.factor), kernel_size=list(self.kernel_size),
                   sigma=list(self.sigma), value_range=self.value_range,
                   data_format="channels_last")
        return cfg
