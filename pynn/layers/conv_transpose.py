"""Transposed convolution layers: Conv1DTranspose, Conv2DTranspose (channels-last,
Keras' kernel layout ``kernel_size + (filters, in_channels)``)."""
from .. import activations, ops
from ..ops.conv_transpose import _output_padding, deconv_length
from .conv import _Conv


class _ConvTranspose(_Conv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        if self.padding == "causal":
            raise ValueError(f"{type(self).__name__}: `padding` must be 'valid' or 'same', "
                             f"received padding='causal'")
        self.output_padding = _output_padding(output_padding, self.rank, self.strides,
                                              type(self).__name__)

    def _check_input(self, shape):
        from ..ops.conv import _check_input_rank, _describe
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, self.rank)
        if self.built and shape[-1] != self.kernel.shape[-1]:
            raise ValueError(f"{cls} was built for inputs with {self.kernel.shape[-1]} channels "
                             f"(last axis) but got a batch of shape {_describe(shape)}")

    def build(self, input_shape):
        shape = self.kernel_size + (self.filters, int(input_shape[-1]))
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)

    def call(self, inputs, training=False):
        fn = ops.conv1d_transpose if self.rank == 1 else ops.conv2d_transpose
        y = fn(inputs, self.tensor(self.kernel), self.tensor(self.bias) if self.use_bias else None,
               strides=self.strides, padding=self.padding, output_padding=self.output_padding,
               dilation_rate=self.dilation_rate)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        opad = self.output_padding or (None,) * self.rank
        out = tuple(deconv_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                    zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate, opad))
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self):
        cfg = super().get_config()
        cfg["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return cfg


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution ("deconvolution"): upsamples ``(batch, h, w, channels)``.

    Keras' layer: the kernel has Keras' layout ``(kernel_h, kernel_w, filters,
    in_channels)``, so ``set_weights`` takes a Keras layer's weights; output sizes
    follow Keras' ``deconv_output_length`` (``h * strides`` with "same").

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 2 int
        Height and width of the window.
    strides : int or tuple of 2 int, default 1
        Upsampling factor.
    padding : {"valid", "same"}, default "valid"
        As Keras.
    output_padding : int or tuple of 2 int, optional
        Extra rows/columns at the end, each smaller than its stride.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the kernel's taps (not combined with strides > 1, as Keras).
    activation : str or callable, optional
        Activation applied to the output.
    use_bias : bool, default True
        Whether to add a bias per filter.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments (``output_padding`` not below ``strides``, ...) or inputs
        that are not 4-D.

    Examples
    --------
    >>> layer = pynn.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
    >>> layer(np.zeros((2, 7, 7, 4), np.float32)).shape
    (2, 14, 14, 8)
    >>> layer.kernel.shape
    (3, 3, 8, 4)
    >>> pynn.layers.Conv2DTranspose(2, 3)(np.zeros((1, 5, 5, 1), np.float32)).shape
    (1, 7, 7, 2)
    """
    rank = 2


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution: upsamples ``(batch, steps, channels)``.

    The kernel has Keras' layout ``(kernel_size, filters, in_channels)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 1 int
        Length of the window.
    strides : int, default 1
        Upsampling factor.
    padding : {"valid", "same"}, default "valid"
        As Keras.
    output_padding : int, optional
        Extra steps at the end, smaller than the stride.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    dilation_rate : int, default 1
        Spacing of the kernel's taps.
    activation : str or callable, optional
        Activation applied to the output.
    use_bias : bool, default True
        Whether to add a bias per filter.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments or inputs that are not 3-D.

    Examples
    --------
    >>> pynn.layers.Conv1DTranspose(4, 3, strides=2, padding="same")(
    ...     np.zeros((2, 10, 3), np.float32)).shape
    (2, 20, 4)
    """
    rank = 1


# Keras' aliases
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
