"""Conv3DTranspose (channels-last, Keras' kernel layout (kd, kh, kw, filters, in)).

As Conv3D is a sum of conv2d over its depth taps, its transpose is a sum of
conv2d_transpose over them: depth tap i sends input plane t to output plane
``t * stride + i * dilation``. Each tap is one engine conv2d_transpose over the
(batch x depth) images; the planes are spread along depth by zero padding and a
reshape (stride - 1 empty planes after each), shifted by the tap's offset, and
summed; the result is then cropped to Keras' output length, exactly as the
engine's conv2d_transpose crops height and width. Everything is differentiable
through pad, reshape, slice and conv2d_transpose: no new C."""
from .. import ops
from ..ops.conv_transpose import deconv_length
from .conv_transpose import _ConvTranspose


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution: upsamples ``(batch, depth, height, width, channels)``.

    Keras' layer: the kernel has Keras' layout ``(kernel_d, kernel_h, kernel_w,
    filters, in_channels)``, so ``set_weights`` takes a Keras layer's weights;
    output sizes follow Keras' ``deconv_output_length``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 3 int
        Depth, height and width of the window.
    strides : int or tuple of 3 int, default 1
        Upsampling factor.
    padding : {"valid", "same"}, default "valid"
        As Keras ("same": output ``input * strides``).
    output_padding : int or tuple of 3 int, optional
        Extra planes/rows/columns at the end, each smaller than its stride.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
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
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments (``output_padding`` not below ``strides``, ...) or inputs
        that are not 5-D.

    Examples
    --------
    >>> layer = pynn.layers.Conv3DTranspose(4, 3, strides=2, padding="same")
    >>> layer(np.zeros((2, 3, 4, 5, 1), np.float32)).shape, layer.kernel.shape
    ((2, 6, 8, 10, 4), (3, 3, 3, 4, 1))
    >>> ones = pynn.layers.Conv3DTranspose(1, 2, kernel_initializer="ones", use_bias=False)
    >>> ones(np.ones((1, 1, 1, 1, 1), np.float32)).numpy().ravel()  # one voxel spread over 2x2x2
    array([1., 1., 1., 1., 1., 1., 1., 1.], dtype=float32)
    """

    rank = 3

    def call(self, inputs, training=False):
        (kd, _, _), (sd, sh, sw) = self.kernel_size, self.strides
        dd, dh, dw = self.dilation_rate
        opad = self.output_padding or (None,) * 3
        n, depth, h, w, c = (int(d) if i else d for i, d in enumerate(inputs.shape))
        out_d = deconv_length(depth, kd, sd, dd, self.padding, opad[0])
        full = (depth - 1) * sd + dd * (kd - 1) + 1   # every tap's reach, before cropping
        # the engine's rule (conv_geom.c transpose_axis): "same" crops half the excess first
        before = 0 if self.padding == "valid" else max(full - out_d, 0) // 2
        length = max(full, before + out_d)
        kernel = self.tensor(self.kernel)
        images = ops.reshape(inputs, (-1, h, w, c))
        y = None
        for i in range(kd):
            yi = ops.conv2d_transpose(images, kernel[i], None, strides=(sh, sw),
                                      padding=self.padding, output_padding=opad[1:] if
                                      self.output_padding else None, dilation_rate=(dh, dw))
            oh, ow, f = (int(d) for d in yi.shape[1:])
            yi = ops.reshape(yi, (-1, depth, 1, oh, ow, f))
            if sd > 1:  # stride - 1 empty planes after each input plane
                yi = ops.pad(yi, ((0, 0), (0, 0), (0, sd - 1), (0, 0), (0, 0), (0, 0)))
            yi = ops.reshape(yi, (-1, depth * sd, oh, ow, f))
            shift = i * dd
            tail = length - depth * sd - shift
            yi = ops.pad(yi, ((0, 0), (shift, max(tail, 0)), (0, 0), (0, 0), (0, 0)))
            if tail < 0:
                yi = yi[:, :length]
            y = yi if y is None else y + yi
        if before or length != out_d:
            y = y[:, before:before + out_d]
        if self.use_bias:
            y = y + self.tensor(self.bias)
        return self.activation(y)


# Keras' alias
Convolution3DTranspose = Conv3DTranspose
