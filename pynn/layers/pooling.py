"""Pooling layers (channels-last): Max/AveragePooling1D/2D, Global{Average,Max}Pooling1D/2D."""
from .. import ops
from ..ops.conv import _check_input_rank, _check_window, _padding, _tuple
from .base import Layer


class _Pool(Layer):
    rank = None
    fn = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, got {data_format!r}")
        self.pool_size = _tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _tuple(strides, self.rank, "strides", cls)
        _padding(padding, cls)
        self.padding = padding.lower()

    def _check_input(self, shape):
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, self.rank)
        what = ("steps",) if self.rank == 1 else ("height", "width")
        _check_window(cls, what, shape, range(1, self.rank + 1), self.pool_size, (1,) * self.rank,
                      0 if self.padding == "valid" else 1)

    def call(self, inputs, training=False):
        return type(self).fn(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        out = []
        for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides):
            if n is None:
                out.append(None)
            else:
                out.append((n - k) // s + 1 if self.padding == "valid" else ((n - 1) // s + 1 if n else 0))
        return (input_shape[0],) + tuple(out) + (input_shape[-1],)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding)
        return cfg


class MaxPooling2D(_Pool):
    rank, fn = 2, staticmethod(ops.max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class AveragePooling2D(_Pool):
    rank, fn = 2, staticmethod(ops.avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class MaxPooling1D(_Pool):
    rank, fn = 1, staticmethod(ops.max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class AveragePooling1D(_Pool):
    rank, fn = 1, staticmethod(ops.avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class _GlobalPool(Layer):
    rank = None
    fn = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.keepdims = bool(keepdims)

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), self.rank)

    def call(self, inputs, training=False):
        return type(self).fn(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        cfg = super().get_config()
        cfg["keepdims"] = self.keepdims
        return cfg


class GlobalAveragePooling2D(_GlobalPool):
    rank, fn = 2, staticmethod(ops.global_avg_pool2d)


class GlobalAveragePooling1D(_GlobalPool):
    rank, fn = 1, staticmethod(ops.global_avg_pool1d)


class GlobalMaxPooling2D(_GlobalPool):
    rank, fn = 2, staticmethod(ops.global_max_pool2d)


class GlobalMaxPooling1D(_GlobalPool):
    rank, fn = 1, staticmethod(ops.global_max_pool1d)


# Keras' aliases
MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D
GlobalAvgPool2D, GlobalAvgPool1D = GlobalAveragePooling2D, GlobalAveragePooling1D
GlobalMaxPool2D, GlobalMaxPool1D = GlobalMaxPooling2D, GlobalMaxPooling1D
