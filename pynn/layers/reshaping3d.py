"""3-D spatial reshaping (channels-last volumes (batch, d1, d2, d3, channels)):
ZeroPadding3D, Cropping3D, UpSampling3D (nearest), as Keras 3; each composed of
the engine's differentiable pad, slice and repeat."""
import numpy as np

from .. import ops
from ..ops.conv import _check_input_rank
from .base import Layer


def _triple_pairs(value, name, cls):
    """Keras' forms: n, (a, b, c) (symmetric), or ((a1, a2), (b1, b2), (c1, c2))."""
    def count(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
    if count(value):
        return ((int(value),) * 2,) * 3
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) == 3 and all(count(v) for v in items):
        return tuple((int(v), int(v)) for v in items)
    if len(items) == 3 and all(isinstance(v, (list, tuple)) and len(v) == 2
                               and all(count(u) for u in v) for v in items):
        return tuple((int(a), int(b)) for a, b in items)
    raise ValueError(f"{cls}: `{name}` must be an int, a tuple of 3 ints or a tuple of 3 pairs "
                     f"of non-negative ints, received {name}={value!r}")


class _Spatial3D(Layer):
    _one_input = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is "
                             f"supported, received data_format={data_format!r}")
        self.data_format = "channels_last"

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), 3)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class ZeroPadding3D(_Spatial3D):
    """Pads volumes ``(batch, d1, d2, d3, channels)`` with zeros along the three spatial axes.

    Parameters
    ----------
    padding : int, tuple of 3 int, or tuple of 3 pairs, default ((1, 1), (1, 1), (1, 1))
        ``n`` on every side; ``(a, b, c)`` symmetric per axis; or (before, after) per axis.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad padding, or inputs that are not 5-D.

    Examples
    --------
    >>> pynn.layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(np.ones((1, 2, 2, 2, 1))).shape
    (1, 3, 4, 4, 1)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _triple_pairs(padding, "padding", "ZeroPadding3D")

    def call(self, inputs, training=False):
        return ops.pad(inputs, ((0, 0),) + self.padding + ((0, 0),))

    def compute_output_shape(self, s):
        return (s[0],) + tuple(None if n is None else n + a + b
                               for n, (a, b) in zip(s[1:4], self.padding)) + (s[4],)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping3D(_Spatial3D):
    """Crops volumes ``(batch, d1, d2, d3, channels)`` along the three spatial axes.

    Parameters
    ----------
    cropping : int, tuple of 3 int, or tuple of 3 pairs, default ((1, 1), (1, 1), (1, 1))
        ``n`` from every side; ``(a, b, c)`` symmetric per axis; or (before, after) per axis.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad cropping, inputs that are not 5-D, or a crop that leaves nothing.

    Examples
    --------
    >>> pynn.layers.Cropping3D((1, 0, 2))(np.ones((1, 4, 4, 6, 1))).shape
    (1, 2, 4, 2, 1)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _triple_pairs(cropping, "cropping", "Cropping3D")

    def _check_input(self, shape):
        super()._check_input(shape)
        for axis, (n, (a, b)) in enumerate(zip(shape[1:4], self.cropping), start=1):
            if n is not None and a + b >= n:
                raise ValueError(f"Cropping3D '{self.name}': cropping {(a, b)} of axis {axis} "
                                 f"leaves nothing of its {n} entries; received input shape "
                                 f"{tuple(shape)}")

    def call(self, inputs, training=False):
        (a1, b1), (a2, b2), (a3, b3) = self.cropping
        n1, n2, n3 = inputs.shape[1:4]
        return inputs[:, a1:n1 - b1, a2:n2 - b2, a3:n3 - b3, :]

    def compute_output_shape(self, s):
        return (s[0],) + tuple(None if n is None else n - a - b
                               for n, (a, b) in zip(s[1:4], self.cropping)) + (s[4],)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(c) for c in self.cropping]}


class UpSampling3D(_Spatial3D):
    """Repeats each voxel ``size`` times along the three spatial axes (nearest neighbour).

    Parameters
    ----------
    size : int or tuple of 3 int, default (2, 2, 2)
        The factors.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor that is not a positive int, or inputs that are not 5-D.

    Examples
    --------
    >>> x = np.array([1.0, 2.0], np.float32).reshape(1, 2, 1, 1, 1)
    >>> pynn.layers.UpSampling3D((2, 1, 3))(x).numpy()[0, :, 0, :, 0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        sizes = (size,) * 3 if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != 3 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                                      and s >= 1 for s in sizes):
            raise ValueError(f"UpSampling3D: `size` must be a positive int or a tuple of 3, "
                             f"received size={size!r}")
        self.size = tuple(int(s) for s in sizes)

    def call(self, inputs, training=False):
        y = inputs
        for axis, k in enumerate(self.size, start=1):
            if k > 1:
                y = ops.repeat(y, k, axis=axis)
        return y

    def compute_output_shape(self, s):
        return (s[0],) + tuple(None if n is None else n * k for n, k in zip(s[1:4], self.size)) \
            + (s[4],)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size)}
