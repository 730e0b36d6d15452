"""Convolution layers: Conv1D, Conv2D (channels-last, Keras' kernel layout)."""
import numpy as np

from .. import activations, initializers, ops, regularizers
from ..ops.conv import _padding, _tuple
from .base import Layer


class _Conv(Layer):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{cls}: filters must be a positive integer, got {filters!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported (Keras' default), "
                             f"got {data_format!r}; move the channel axis last, e.g. "
                             f"np.moveaxis(x, 1, -1)")
        if groups != 1:
            raise ValueError(f"{cls}: grouped convolution (groups={groups!r}) is not supported")
        for name, value in (("activity_regularizer", activity_regularizer),
                            ("kernel_constraint", kernel_constraint),
                            ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(f"{cls}: {name} is not supported yet, got {value!r}")
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = _tuple(strides, self.rank, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", cls)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        _padding(padding, cls, allowed)
        self.padding = padding.lower()
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:  # as Keras
            raise ValueError(f"{cls}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, shape):
        from ..ops.conv import _check_input_rank, _check_window, _describe
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, self.rank)
        if self.built and shape[-1] != self.kernel.shape[-2]:
            raise ValueError(f"{cls} was built for inputs with {self.kernel.shape[-2]} channels "
                             f"(last axis) but got a batch of shape {_describe(shape)}")
        what = ("steps",) if self.rank == 1 else ("height", "width")
        code = {"valid": 0, "same": 1, "causal": 2}[self.padding]
        _check_window(cls, what, shape, range(1, self.rank + 1), self.kernel_size,
                      self.dilation_rate, code)

    def build(self, input_shape):
        shape = self.kernel_size + (int(input_shape[-1]), self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        fn = ops.conv1d if self.rank == 1 else ops.conv2d
        fused = activations.fused_name(self.activation)  # applied inside the conv op
        y = fn(inputs, self.tensor(self.kernel), self.tensor(self.bias) if self.use_bias else None,
               strides=self.strides, padding=self.padding, dilation_rate=self.dilation_rate,
               activation=fused)
        return y if fused is not None else self.activation(y)

    def compute_output_shape(self, input_shape):
        out = []
        for n, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate):
            if n is None:
                out.append(None)
            elif self.padding == "valid":
                out.append((n - d * (k - 1) - 1) // s + 1)
            else:
                out.append((n - 1) // s + 1 if n else 0)
        return (input_shape[0],) + tuple(out) + (self.filters,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
                   padding=self.padding, dilation_rate=list(self.dilation_rate),
                   activation=activations.serialize(self.activation), use_bias=self.use_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


class Conv2D(_Conv):
    """Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
    activation=None, use_bias=True): inputs (batch, height, width, channels),
    kernel (kh, kw, in_channels, filters)."""
    rank = 2


class Conv1D(_Conv):
    """Conv1D(filters, kernel_size, strides=1, padding="valid"|"same"|"causal",
    dilation_rate=1, ...): inputs (batch, steps, channels), kernel (k, in_channels, filters)."""
    rank = 1
