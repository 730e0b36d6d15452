"""DepthwiseConv1D and SeparableConv1D (channels-last sequences, Keras' weight
layouts). A sequence is an image of height 1: the depthwise step is the engine's
depthwise_conv2d on (batch, 1, steps, channels) with the kernel viewed as
(1, k, channels, multiplier), the pointwise step its conv1d with a 1-wide kernel."""
from .. import activations, initializers, ops, regularizers
from ..ops.conv import _check_input_rank, _check_window, _describe, _padding, _tuple
from .base import Layer, refuse_unsupported
from .conv_depthwise import _positive_int


class _Depthwise1D(Layer):
    _one_input = True

    def _window_args(self, kernel_size, strides, padding, data_format, dilation_rate,
                     depth_multiplier, activation, use_bias):
        cls = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, received "
                             f"data_format={data_format!r}")
        self.data_format = "channels_last"
        self.kernel_size = _tuple(kernel_size, 1, "kernel_size", cls)
        self.strides = _tuple(strides, 1, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, 1, "dilation_rate", cls)
        self.padding = _padding(padding, cls)
        if self.strides[0] > 1 and self.dilation_rate[0] > 1:  # as Keras
            raise ValueError(f"{cls}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`; received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    def _check_input(self, shape):
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, 1)
        if self.built and shape[-1] != self._depthwise.shape[1]:
            raise ValueError(f"{cls} was built for inputs with {self._depthwise.shape[1]} "
                             f"channels (last axis) but got a batch of shape {_describe(shape)}")
        _check_window(cls, ("steps",), shape, (1,), self.kernel_size, self.dilation_rate,
                      self.padding)

    def _depthwise_out(self, inputs, bias=None):
        k = self.tensor(self._depthwise)
        y = ops.depthwise_conv2d(ops.expand_dims(inputs, 1), ops.reshape(k, (1,) + tuple(k.shape)),
                                 bias, strides=(1, self.strides[0]), padding=self.padding,
                                 dilation_rate=(1, self.dilation_rate[0]))
        return ops.squeeze(y, 1)

    def _steps_out(self, input_shape):
        n, (k,), (s,), (d,) = input_shape[1], self.kernel_size, self.strides, self.dilation_rate
        if n is None:
            return (input_shape[0], None)
        if self.padding == "valid":
            return (input_shape[0], (n - d * (k - 1) - 1) // s + 1)
        return (input_shape[0], (n - 1) // s + 1 if n else 0)

    def _window_config(self):
        return dict(kernel_size=tuple(self.kernel_size), strides=tuple(self.strides),
                    padding=self.padding, data_format=self.data_format,
                    dilation_rate=tuple(self.dilation_rate),
                    depth_multiplier=self.depth_multiplier,
                    activation=activations.serialize(self.activation), use_bias=self.use_bias)


class DepthwiseConv1D(_Depthwise1D):
    """Depthwise 1D convolution: each input channel convolved with its own
    ``depth_multiplier`` filters (Keras' DepthwiseConv1D).

    Weights as Keras: ``kernel`` ``(kernel_size, in_channels, depth_multiplier)``,
    ``bias`` ``(in_channels * depth_multiplier,)``; output channel ``c * m + j``
    is filter ``j`` of input channel ``c``.

    Parameters
    ----------
    kernel_size : int or tuple of 1 int
        Length of the window.
    strides : int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        No padding, or zero-pad so that the output length is ``ceil(steps / strides)``.
    depth_multiplier : int, default 1
        Filters per input channel.
    data_format : None or "channels_last"
        Only channels-last.
    dilation_rate : int, default 1
        Spacing of the taps (not with strides > 1).
    activation : str or callable, optional
        Applied to the output.
    use_bias : bool, default True
        Whether to add a bias.
    depthwise_initializer, bias_initializer : str or Initializer
        Default "glorot_uniform" and "zeros".
    depthwise_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, depthwise_constraint, bias_constraint : None
        Not supported: a value raises.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not (batch, steps, channels) or shorter than the window.

    Examples
    --------
    >>> layer = pynn.layers.DepthwiseConv1D(3, depth_multiplier=2)
    >>> layer(np.zeros((4, 10, 3), np.float32)).shape, layer.kernel.shape
    ((4, 8, 6), (3, 3, 2))
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        refuse_unsupported("DepthwiseConv1D", activity_regularizer=activity_regularizer,
                           depthwise_constraint=depthwise_constraint,
                           bias_constraint=bias_constraint)
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate,
                          depth_multiplier, activation, use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def _depthwise(self):
        return self.kernel

    def build(self, input_shape):
        c, m = int(input_shape[-1]), self.depth_multiplier
        self.kernel = self.add_weight("kernel", self.kernel_size + (c, m),
                                      self.depthwise_initializer, self.depthwise_regularizer)
        self.bias = (self.add_weight("bias", (c * m,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        y = self._depthwise_out(inputs, self.tensor(self.bias) if self.use_bias else None)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return self._steps_out(input_shape) + (input_shape[-1] * self.depth_multiplier,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._window_config(),
                   depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


class SeparableConv1D(_Depthwise1D):
    """Depthwise separable 1D convolution: a depthwise convolution, then a pointwise
    (width-1) one (Keras' SeparableConv1D).

    Weights as Keras: ``depthwise_kernel`` ``(kernel_size, in_channels,
    depth_multiplier)``, ``pointwise_kernel`` ``(1, in_channels * depth_multiplier,
    filters)``, ``bias`` ``(filters,)``.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or tuple of 1 int
        Length of the depthwise window.
    strides : int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        No padding, or zero-pad so that the output length is ``ceil(steps / strides)``.
    data_format : None or "channels_last"
        Only channels-last.
    dilation_rate : int, default 1
        Spacing of the taps (not with strides > 1).
    depth_multiplier : int, default 1
        Depthwise filters per input channel.
    activation : str or callable, optional
        Applied to the output.
    use_bias : bool, default True
        Whether to add a bias.
    depthwise_initializer, pointwise_initializer, bias_initializer : str or Initializer
        Default "glorot_uniform", "glorot_uniform" and "zeros".
    depthwise_regularizer, pointwise_regularizer, bias_regularizer : str or Regularizer
        Penalties added to the training loss.
    activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint : None
        Not supported: a value raises.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not (batch, steps, channels) or shorter than the window.

    Examples
    --------
    >>> layer = pynn.layers.SeparableConv1D(8, 3, padding="same")
    >>> layer(np.zeros((2, 10, 4), np.float32)).shape
    (2, 10, 8)
    >>> layer.depthwise_kernel.shape, layer.pointwise_kernel.shape
    ((3, 4, 1), (1, 4, 8))
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        refuse_unsupported("SeparableConv1D", activity_regularizer=activity_regularizer,
                           depthwise_constraint=depthwise_constraint,
                           pointwise_constraint=pointwise_constraint,
                           bias_constraint=bias_constraint)
        self.filters = _positive_int(filters, "filters", "SeparableConv1D")
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate,
                          depth_multiplier, activation, use_bias)
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
        c, m = int(input_shape[-1]), self.depth_multiplier
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (c, m),
                                                self.depthwise_initializer,
                                                self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, c * m, self.filters),
                                                self.pointwise_initializer,
                                                self.pointwise_regularizer)
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        fused = activations.fused_name(self.activation)  # applied inside the pointwise conv op
        y = ops.conv1d(self._depthwise_out(inputs), self.tensor(self.pointwise_kernel),
                       self.tensor(self.bias) if self.use_bias else None, activation=fused)
        return y if fused is not None else self.activation(y)

    def compute_output_shape(self, input_shape):
        return self._steps_out(input_shape) + (self.filters,)

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
SeparableConvolution1D = SeparableConv1D
