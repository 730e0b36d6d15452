"""CenterCrop, RandomCrop and RandomBrightness (Keras 3's names, arguments and
numbers; channels-last; one image (H, W, C) or a batch).

RandomCrop and RandomBrightness act only in training; their draws come from the
engine's random_uniform op, so a compiled fit draws afresh for each batch and
`pynn.set_seed` makes runs repeat. A random crop is two constant 0/1 selection
matrices per image (rows, then columns) applied by matmul: the offsets stay
engine tensors (nothing is read back into Python) and gradients reach the input."""
import numpy as np

from .. import _C, ops
from .image_preprocessing import _ImageLayer, _RandomLayer, _number, smart_resize


def _size(cls, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{cls}: `{name}` must be a positive int, received {name}={v!r}")
    return int(v)


def _channels_last(cls, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{cls}: only data_format='channels_last' is supported, received "
                         f"data_format={data_format!r}")
    return "channels_last"


class _CropLayer(_ImageLayer):
    def _init_size(self, height, width, data_format):
        cls = type(self).__name__
        self.height, self.width = _size(cls, "height", height), _size(cls, "width", width)
        self.data_format = _channels_last(cls, data_format)

    def _centre(self, x):
        h, w = x.shape[1], x.shape[2]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return x[:, top:top + self.height, left:left + self.width, :]
        return smart_resize(x, self.height, self.width)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return shape[:-3] + (self.height, self.width, shape[-1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width}


class CenterCrop(_CropLayer):
    """Crops the centre ``(height, width)`` of each image (Keras' CenterCrop).

    An image smaller than the target along an axis is instead cropped to the
    largest centred window of the target's aspect ratio and resized (bilinear),
    as Keras does. The same in training and inference.

    Parameters
    ----------
    height, width : int
        The output size.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A size that is not a positive int, channels-first, or inputs that are not images.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.layers.CenterCrop(2, 2)(x).numpy()[0, :, :, 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._init_size(height, width, data_format)

    def call(self, inputs, training=False):
        return self._batched(self._centre, inputs)


class RandomCrop(_CropLayer):
    """Crops a random ``(height, width)`` window of each image in training (Keras' RandomCrop).

    In training each image gets its own window, uniformly placed (Keras draws one
    per batch); an image smaller than the target is handled as at inference. At
    inference the layer does what keras.io documents: the largest centred window
    of the target's aspect ratio, resized to ``(height, width)`` (Keras 3.15's
    code returns the input unchanged there, of another shape than in training).

    Parameters
    ----------
    height, width : int
        The output size.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    data_format : None or "channels_last"
        Only channels-last.
    name : str, optional
        The layer's name.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A size that is not a positive int, channels-first, or inputs that are not images.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> layer = pynn.layers.RandomCrop(2, 2)
    >>> layer(x, training=False).numpy()[0, :, :, 0]  # inference: the image resized to 2 x 2
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    >>> out = layer(x, training=True).numpy()[0, :, :, 0]
    >>> bool(out[0, 1] - out[0, 0] == 1 and out[1, 0] - out[0, 0] == 4)  # a window of x
    True
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._init_size(height, width, data_format)
        self.seed = seed

    def _select(self, x, axis, size):
        """(N, size, n) rows of the identity, starting at a random offset per image."""
        n = int(x.shape[axis])
        r = _C.apply("random_uniform", [x], shape=(-1, 1, 1), minval=0.0, maxval=1.0)
        # floor(r * (n - size + 1)) is uniform on 0..n-size; r < 1, so never n - size + 1
        off = ops.minimum(ops.floor(r * np.float32(n - size + 1)), np.float32(n - size))
        want = np.arange(size, dtype=np.float32).reshape(1, size, 1) + off
        return ops.equal(np.arange(n, dtype=np.float32).reshape(1, 1, n), want)

    def _random(self, x):
        h, w = x.shape[1], x.shape[2]
        if h < self.height or w < self.width:
            return smart_resize(x, self.height, self.width)
        c = int(x.shape[3])
        rows = self._select(x, 1, self.height)                        # (N, height, H)
        cols = self._select(x, 2, self.width)                         # (N, width, W)
        y = ops.matmul(rows, ops.reshape(x, (-1, h, w * c)))          # (N, height, W*C)
        y = ops.transpose(ops.reshape(y, (-1, self.height, w, c)), (0, 3, 1, 2))
        y = ops.matmul(y, ops.expand_dims(ops.transpose(cols, (0, 2, 1)), 1))
        return ops.transpose(y, (0, 2, 3, 1))                         # (N, height, width, C)

    def call(self, inputs, training=False):
        return self._batched(self._random if training else self._centre, inputs)

    def _centre(self, x):  # Keras documents the aspect-ratio window at inference, always
        if (x.shape[1], x.shape[2]) == (self.height, self.width):
            return x
        return smart_resize(x, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomBrightness(_RandomLayer):
    """Adds a random brightness offset to each image in training (Keras' RandomBrightness).

    Each image gets one offset ``u * (value_range[1] - value_range[0])``, ``u``
    uniform in the factor's range, added to every pixel and channel; the result is
    clipped to ``value_range``. The identity at inference.

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [-1, 1]: f draws ``u`` from [-f, f]; (a, b) from [a, b].
    value_range : tuple of 2 float, default (0, 255)
        The images' range (and the clip).
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [-1, 1] or with lower > upper, or a bad value_range.

    Examples
    --------
    >>> x = np.full((1, 2, 2, 3), 100.0, np.float32)
    >>> out = pynn.layers.RandomBrightness(0.2)(x, training=True).numpy()
    >>> bool(np.all(out == out.flat[0]) and 49 <= out.flat[0] <= 151)  # one offset per image
    True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        if isinstance(factor, (list, tuple)):
            if len(factor) != 2:
                raise ValueError(f"{cls}: `factor` must be a number or a pair, received "
                                 f"factor={factor!r}")
            lo, hi = (_number(cls, "factor", f) for f in factor)
        else:
            f = _number(cls, "factor", factor)
            lo, hi = -abs(f), abs(f)
        if not (-1 <= lo <= hi <= 1):
            raise ValueError(f"{cls}: `factor` must lie in [-1, 1] with lower <= upper, received "
                             f"factor={factor!r}")
        if len(tuple(value_range)) != 2 or not value_range[0] < value_range[1]:
            raise ValueError(f"{cls}: `value_range` must be (min, max) with min < max, received "
                             f"value_range={value_range!r}")
        self.factor = (lo, hi)
        self.value_range = [float(v) for v in value_range]
        self.data_format = "channels_last"

    def _augment(self, x):
        lo, hi = self.factor
        span = self.value_range[1] - self.value_range[0]
        delta = _C.apply("random_uniform", [x], shape=(-1, 1, 1, 1), minval=lo * span,
                         maxval=hi * span)
        return ops.clip(x + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "factor": list(self.factor), "value_range": self.value_range}
