"""Depthwise and separable convolution layers: DepthwiseConv2D, SeparableConv2D
(channels-last, Keras' weight layouts)."""
import numpy as np

from .. import activations, initializers, ops, regularizers
from ..ops.conv import _padding, _tuple
from .base import Layer


def _positive_int(value, name, cls):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{cls}: `{name}` must be a positive integer, received {name}={value!r}")
    return int(value)


class _Depthwise(Layer):
    """What DepthwiseConv2D and SeparableConv2D share: the window, the depthwise
    kernel (KH, KW, C, depth_multiplier) and its checks."""
    _one_input = True

    def _window_args(self, kernel_size, strides, padding, data_format, dilation_rate,
                     depth_multiplier, activation, use_bias, unsupported):
        cls = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported (Keras' default), "
                             f"got {data_format!r}; move the channel axis last, e.g. "
                             f"np.moveaxis(x, 1, -1)")
        for name, value in unsupported:
            if value is not None:
                raise ValueError(f"{cls}: {name} is not supported yet, got {value!r}")
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size", cls)
        self.strides = _tuple(strides, 2, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate", cls)
        _padding(padding, cls)
        self.padding = padding.lower()
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    def _check_input(self, shape):
        from ..ops.conv import _check_input_rank, _check_window, _describe
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, 2)
        if self.built and shape[-1] != self._depthwise.shape[2]:
            raise ValueError(f"{cls} was built for inputs with {self._depthwise.shape[2]} channels "
                             f"(last axis) but got a batch of shape {_describe(shape)}")
        _check_window(cls, ("height", "width"), shape, (1, 2), self.kernel_size,
                      self.dilation_rate, self.padding)

    def _depthwise_out(self, inputs, bias=None):
        return ops.depthwise_conv2d(inputs, self.tensor(self._depthwise), bias,
                                    strides=self.strides, padding=self.padding,
                                    dilation_rate=self.dilation_rate)

    def _spatial_out(self, input_shape):
        out = []
        for n, k, s, d in zip(input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate):
            if n is None:
                out.append(None)
            elif self.padding == "valid":
                out.append((n - d * (k - 1) - 1) // s + 1)
            else:
                out.append((n - 1) // s + 1 if n else 0)
        return (input_shape[0],) + tuple(out)

    def _window_config(self):
        return dict(kernel_size=tuple(self.kernel_size), strides=tuple(self.strides),
                    padding=self.padding, dilation_rate=tuple(self.dilation_rate),
                    depth_multiplier=self.depth_multiplier,
                    activation=activations.serialize(self.activation), use_bias=self.use_bias)


class DepthwiseConv2D(_Depthwise):
    """Depthwise 2D convolution: each input channel convolved with its own filters.

    Output channel ``c * depth_multiplier + m`` is input channel ``c`` through
    filter ``m``, as Keras orders them. The kernel has Keras' layout
    ``(kernel_h, kernel_w, in_channels, depth_multiplier)``.

    Parameters
    ----------
    kernel_size : int or tuple of 2 int
        Height and width of the window.
    strides : int or tuple of 2 int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        As `Conv2D`.
    depth_multiplier : int, default 1
        Filters per input channel.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the kernel's taps.
    activation : str or callable, optional
        Activation applied to the output.
    use_bias : bool, default True
        Whether to add a bias per output channel.
    depthwise_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    depthwise_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, depthwise_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 4-D or smaller than the window.

    Examples
    --------
    >>> layer = pynn.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    >>> layer(np.zeros((2, 8, 8, 3), np.float32)).shape
    (2, 8, 8, 6)
    >>> layer.kernel.shape, layer.bias.shape
    ((3, 3, 3, 2), (6,))
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate,
                          depth_multiplier, activation, use_bias,
                          (("activity_regularizer", activity_regularizer),
                           ("depthwise_constraint", depthwise_constraint),
                           ("bias_constraint", bias_constraint)))
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def _depthwise(self):
        return self.kernel

    def build(self, input_shape):
        c = int(input_shape[-1])
        self.kernel = self.add_weight("kernel", self.kernel_size + (c, self.depth_multiplier),
                                      self.depthwise_initializer, self.depthwise_regularizer)
        self.bias = (self.add_weight("bias", (c * self.depth_multiplier,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        return self.activation(self._depthwise_out(
            inputs, self.tensor(self.bias) if self.use_bias else None))

    def compute_output_shape(self, input_shape):
        c = input_shape[-1]
        return self._spatial_out(input_shape) + (None if c is None else c * self.depth_multiplier,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._window_config(),
                   depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


class SeparableConv2D(_Depthwise):
    """Depthwise separable 2D convolution: a depthwise convolution, then a 1x1 one.

    Keras' weights and layouts: ``depthwise_kernel`` ``(kernel_h, kernel_w,
    in_channels, depth_multiplier)``, ``pointwise_kernel`` ``(1, 1, in_channels *
    depth_multiplier, filters)`` and ``bias`` ``(filters,)``; the pointwise step
    is `Conv2D`'s op (with the bias and activation fused into it).

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 2 int
        Height and width of the depthwise window.
    strides : int or tuple of 2 int, default 1
        Step of the depthwise window.
    padding : {"valid", "same"}, default "valid"
        As `Conv2D`.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the depthwise taps.
    depth_multiplier : int, default 1
        Depthwise filters per input channel.
    activation : str or callable, optional
        Activation applied to the output.
    use_bias : bool, default True
        Whether to add a bias per filter.
    depthwise_initializer, pointwise_initializer : str or Initializer, default "glorot_uniform"
        Initializers of the two kernels.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    depthwise_regularizer, pointwise_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 4-D or smaller than the window.

    Examples
    --------
    >>> layer = pynn.layers.SeparableConv2D(16, 3, depth_multiplier=2, activation="relu")
    >>> layer(np.zeros((2, 8, 8, 3), np.float32)).shape
    (2, 6, 6, 16)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (1, 1, 6, 16), (16,)]
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _positive_int(filters, "filters", type(self).__name__)
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate,
                          depth_multiplier, activation, use_bias,
                          (("activity_regularizer", activity_regularizer),
                           ("depthwise_constraint", depthwise_constraint),
                           ("pointwise_constraint", pointwise_constraint),
                           ("bias_constraint", bias_constraint)))
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def _depthwise(self):
        return self.depthwise_kernel

    def build(self, input_shape):
        c = int(input_shape[-1])
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (c, m),
                                                self.depthwise_initializer,
                                                self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, 1, c * m, self.filters),
                                                self.pointwise_initializer,
                                                self.pointwise_regularizer)
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        fused = activations.fused_name(self.activation)  # applied inside the pointwise conv op
        y = ops.conv2d(self._depthwise_out(inputs), self.tensor(self.pointwise_kernel),
                       self.tensor(self.bias) if self.use_bias else None, activation=fused)
        return y if fused is not None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return self._spatial_out(input_shape) + (self.filters,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._window_config(), filters=self.filters,
                   depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                   pointwise_initializer=initializers.serialize(self.pointwise_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                   pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


# Keras' alias
SeparableConvolution2D = SeparableConv2D
