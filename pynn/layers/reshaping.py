"""Spatial reshaping layers: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D (nearest)."""
from .. import ops
from ..ops.conv import _check_input_rank, _tuple
from ..ops.pool import _pairs2d
from .base import Layer


class _Spatial(Layer):
    _one_input = True

    rank = None

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), self.rank)


def _check_cropping(layer, shape, pairs):
    """Keras' rule (cropping1d/2d_test.py): each axis' cropping must be smaller than the
    axis. Checked at build too: a symbolic input got a negative or zero length before."""
    _Spatial._check_input(layer, shape)
    for axis, (n, (a, b)) in enumerate(zip(shape[1:], pairs), start=1):
        if n is not None and a + b >= n:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': cropping {(a, b)} of axis "
                             f"{axis} must be smaller than its {n} entries (it would leave "
                             f"{n - a - b}); received input shape {tuple(shape)}")


class ZeroPadding2D(_Spatial):
    """Pads images ``(batch, height, width, channels)`` with zero rows and columns.

    Parameters
    ----------
    padding : int, tuple of 2 int, or tuple of 2 tuples, default (1, 1)
        ``n``: n on every side; ``(h, w)``: h rows at top and bottom, w columns
        left and right; ``((top, bottom), (left, right))``.
    data_format : None or "channels_last"
        Only channels-last is supported.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> pynn.layers.ZeroPadding2D(1)(np.ones((1, 2, 2, 1), np.float32)).numpy()[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    """
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs2d(padding, "padding", "ZeroPadding2D")

    def call(self, inputs, training=False):
        t, b, l, r = self.padding
        return ops.zero_padding2d(inputs, ((t, b), (l, r)))

    def compute_output_shape(self, s):
        t, b, l, r = self.padding
        grow = lambda n, k: None if n is None else n + k
        return (s[0], grow(s[1], t + b), grow(s[2], l + r), s[3])

    def get_config(self):
        t, b, l, r = self.padding
        return {**super().get_config(), "padding": [[t, b], [l, r]]}


class ZeroPadding1D(_Spatial):
    """Pads sequences ``(batch, steps, channels)`` with zero steps at the start and end.

    Parameters
    ----------
    padding : int or tuple of 2 int, default 1
        Steps added at both ends, or ``(at_start, at_end)``.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> pynn.layers.ZeroPadding1D((1, 2))(np.ones((1, 2, 1), np.float32)).numpy().ravel()
    array([0., 1., 1., 0., 0.], dtype=float32)
    """
    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _tuple(padding, 2, "padding", "ZeroPadding1D", minimum=0)

    def call(self, inputs, training=False):
        return ops.zero_padding1d(inputs, self.padding)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] + sum(self.padding), s[2])

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding)}


class Cropping2D(_Spatial):
    """Crops rows and columns from the borders of images ``(batch, height, width, channels)``.

    Parameters
    ----------
    cropping : int, tuple of 2 int, or tuple of 2 tuples, default ((0, 0), (0, 0))
        ``n``: n from every side; ``(h, w)``: symmetric; ``((top, bottom), (left, right))``.
    data_format : None or "channels_last"
        Only channels-last is supported.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> pynn.layers.Cropping2D(((1, 0), (0, 2)))(np.zeros((1, 5, 5, 3), np.float32)).shape
    (1, 4, 3, 3)
    """
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs2d(cropping, "cropping", "Cropping2D")

    def _check_input(self, shape):
        t, b, l, r = self.cropping
        _check_cropping(self, shape, ((t, b), (l, r)))

    def call(self, inputs, training=False):
        t, b, l, r = self.cropping
        return ops.cropping2d(inputs, ((t, b), (l, r)))

    def compute_output_shape(self, s):
        t, b, l, r = self.cropping
        shrink = lambda n, k: None if n is None else n - k
        return (s[0], shrink(s[1], t + b), shrink(s[2], l + r), s[3])

    def get_config(self):
        t, b, l, r = self.cropping
        return {**super().get_config(), "cropping": [[t, b], [l, r]]}


class Cropping1D(_Spatial):
    """Crops steps from the start and end of sequences ``(batch, steps, channels)``.

    Parameters
    ----------
    cropping : int or tuple of 2 int, default (1, 1)
        Steps removed at both ends, or ``(at_start, at_end)``.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    >>> pynn.layers.Cropping1D((1, 2))(x).numpy().ravel()
    array([1., 2.], dtype=float32)
    """
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _tuple(cropping, 2, "cropping", "Cropping1D", minimum=0)

    def _check_input(self, shape):
        _check_cropping(self, shape, (self.cropping,))

    def call(self, inputs, training=False):
        return ops.cropping1d(inputs, self.cropping)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] - sum(self.cropping), s[2])

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class UpSampling2D(_Spatial):
    """Repeats rows and columns of images (nearest-neighbour upsampling).

    Parameters
    ----------
    size : int or tuple of 2 int, default (2, 2)
        Repetition factors for height and width.
    data_format : None or "channels_last"
        Only channels-last is supported.
    interpolation : "nearest"
        Only nearest-neighbour (Keras' default) is supported.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape(1, 2, 2, 1)
    >>> pynn.layers.UpSampling2D()(x).numpy()[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]], dtype=float32)
    """
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported, "
                             f"got {interpolation!r}")
        self.size = _tuple(size, 2, "size", "UpSampling2D")

    def call(self, inputs, training=False):
        return ops.upsampling2d(inputs, self.size)

    def compute_output_shape(self, s):
        mul = lambda n, k: None if n is None else n * k
        return (s[0], mul(s[1], self.size[0]), mul(s[2], self.size[1]), s[3])

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "interpolation": "nearest"}


class UpSampling1D(_Spatial):
    """Repeats each step of sequences ``(batch, steps, channels)`` ``size`` times.

    Parameters
    ----------
    size : int, default 2
        Repetition factor.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> pynn.layers.UpSampling1D(2)(np.array([[[1.0], [2.0]]], np.float32)).numpy().ravel()
    array([1., 1., 2., 2.], dtype=float32)
    """
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        (self.size,) = _tuple(size, 1, "size", "UpSampling1D")

    def call(self, inputs, training=False):
        return ops.upsampling1d(inputs, self.size)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] * self.size, s[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
