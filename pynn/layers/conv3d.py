"""Conv3D (channels-last, Keras' kernel layout (kd, kh, kw, in, filters)).

A 3-D convolution is a sum over the kernel's depth taps of 2-D convolutions:
output depth t takes input depth t*stride + i*dilation through kernel slice i.
So each tap is one engine conv2d over the (batch x output depth) images picked by
a strided slice, and the taps are summed: the same GEMM work as a direct 3-D
kernel, on the engine's packed conv2d, differentiable through slice and conv."""
from .. import ops
from .conv import _Conv


class Conv3D(_Conv):
    """3D convolution over volumes: inputs ``(batch, depth, height, width, channels)``.

    The kernel has Keras' layout ``(kernel_d, kernel_h, kernel_w, in_channels,
    filters)``, so weights port from Keras as they are.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 3 int
        Depth, height and width of the window.
    strides : int or tuple of 3 int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        "valid": no padding; "same": zero-pad so that the output size is
        ``ceil(input / strides)`` (the odd one after, as Keras).
    dilation_rate : int or tuple of 3 int, default 1
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
    data_format : None or "channels_last"
        Only channels-last.
    groups : int, default 1
        Only 1.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 5-D or smaller than the window.

    Examples
    --------
    >>> layer = pynn.layers.Conv3D(4, 3, padding="same")
    >>> layer(np.zeros((2, 5, 6, 7, 1), np.float32)).shape, layer.kernel.shape
    ((2, 5, 6, 7, 4), (3, 3, 3, 1, 4))
    >>> ones = pynn.layers.Conv3D(1, 2, kernel_initializer="ones", use_bias=False)
    >>> ones(np.ones((1, 2, 2, 2, 1), np.float32)).numpy().ravel()  # the sum of 8 ones
    array([8.], dtype=float32)
    """

    rank = 3

    def call(self, inputs, training=False):
        y = conv3d(inputs, self.tensor(self.kernel), self.strides, self.padding,
                   self.dilation_rate)
        if self.use_bias:
            y = y + self.tensor(self.bias)
        return self.activation(y) if self.activation is not None else y


def conv3d(x, kernel, strides, padding, dilation_rate):
    """The 3-D convolution of (N, D, H, W, C) by a (kd, kh, kw, C, F) kernel as the sum
    of its depth taps' conv2d (see the module's docstring); also ConvLSTM3D's."""
    (kd, _, _), (sd, sh, sw) = tuple(kernel.shape[:3]), strides
    dd, dh, dw = dilation_rate
    if padding == "same":  # the depth axis here; height and width by conv2d
        n = int(x.shape[1])
        total = max(((n - 1) // sd) * sd + (kd - 1) * dd + 1 - n, 0)
        x = ops.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0), (0, 0), (0, 0)))
    n, h, w, c = (int(d) for d in x.shape[1:])
    out_d = (n - dd * (kd - 1) - 1) // sd + 1
    y = None
    for i in range(kd):
        start = i * dd
        planes = x[:, start:start + (out_d - 1) * sd + 1:sd]       # (N, out_d, H, W, C)
        yi = ops.conv2d(ops.reshape(planes, (-1, h, w, c)), kernel[i], None,
                        strides=(sh, sw), padding=padding, dilation_rate=(dh, dw))
        y = yi if y is None else y + yi
    return ops.reshape(y, (-1, out_d) + tuple(int(d) for d in y.shape[1:]))


# Keras' alias
Convolution3D = Conv3D
