"""Spatial reshaping layers: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D (nearest)."""
from .. import ops
from ..ops.conv import _check_input_rank, _tuple
from ..ops.pool import _pairs2d
from .base import Layer


class _Spatial(Layer):
    rank = None

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), self.rank)


class ZeroPadding2D(_Spatial):
    """padding: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
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
    """cropping: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs2d(cropping, "cropping", "Cropping2D")

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
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _tuple(cropping, 2, "cropping", "Cropping1D", minimum=0)

    def call(self, inputs, training=False):
        return ops.cropping1d(inputs, self.cropping)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] - sum(self.cropping), s[2])

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class UpSampling2D(_Spatial):
    """Nearest-neighbour upsampling (Keras' default interpolation)."""
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
