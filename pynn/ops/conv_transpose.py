"""pynn.ops.conv_transpose: transposed convolutions, channels-last (Keras layout).

``conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid",
output_padding=None, dilation_rate=1)`` takes x ``(N, H, W, C)`` and a kernel
``(KH, KW, filters, C)``, exactly Keras' ``Conv2DTranspose.kernel`` (output
channels before input channels); ``conv1d_transpose`` takes ``(N, W, C)`` and
``(K, filters, C)``. Output lengths follow Keras' ``deconv_output_length``.
"""
from .. import _C
from .conv import _check_input_rank, _describe, _padding, _shape, _tuple

__all__ = ["conv2d_transpose", "conv1d_transpose"]


def deconv_length(n, k, s, d, padding, output_padding):
    """Keras' conv_utils.deconv_output_length (None stays None)."""
    if n is None:
        return None
    ext = d * (k - 1) + 1
    if output_padding is None:
        return n * s + max(ext - s, 0) if padding == "valid" else n * s
    pad = ext // 2 if padding == "same" else 0
    return (n - 1) * s + ext - 2 * pad + output_padding


def _output_padding(value, n, strides, op):
    """None, or n ints each in [0, stride) as Keras requires."""
    if value is None:
        return None
    out = _tuple(value, n, "output_padding", op, minimum=0)
    for p, s in zip(out, strides):
        if p >= s:
            raise ValueError(f"{op}: `output_padding` must be smaller than `strides` along every "
                             f"axis, received output_padding={value!r} and strides={strides}")
    return out


def _conv_transpose(op, spatial, x, kernel, bias, strides, padding, output_padding,
                    dilation_rate):
    xs, ks = _shape(x), _shape(kernel)
    _check_input_rank(op, xs, spatial)
    klayout = "(kernel_size, filters, in_channels)" if spatial == 1 else \
        "(kernel_h, kernel_w, filters, in_channels)"
    if len(ks) != spatial + 2:
        raise ValueError(f"{op}: the kernel must be {spatial + 2}-D {klayout} (Keras layout), "
                         f"received kernel shape {ks}")
    if ks[-1] != xs[-1]:
        raise ValueError(f"{op}: the kernel {ks} expects {ks[-1]} input channels (its last axis) "
                         f"but the input has {xs[-1]} (channels are the last axis); received input "
                         f"shape {_describe(xs)}")
    if bias is not None and _shape(bias) != (ks[-2],):
        raise ValueError(f"{op}: bias must have shape ({ks[-2]},), one value per filter, "
                         f"received {_shape(bias)}")
    s = _tuple(strides, spatial, "strides", op)
    d = _tuple(dilation_rate, spatial, "dilation_rate", op)
    p = _padding(padding, op)
    op_pad = _output_padding(output_padding, spatial, s, op)
    op_pad = (-1,) * spatial if op_pad is None else op_pad  # the engine's None
    inputs = [x, kernel] + ([] if bias is None else [bias])
    if spatial == 1:
        s, d, op_pad = s[0], d[0], op_pad[0]
    return _C.apply(op, inputs, strides=s, dilation_rate=d, padding=p, output_padding=op_pad)


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 2-D convolution, channels-last: ``(N, H, W, C) -> (N, OH, OW, filters)``.

    The gradient of `conv2d` with respect to its input, as an op: every input
    pixel adds ``x · kernel`` into a window of the output. What
    `pynn.layers.Conv2DTranspose` runs.

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    kernel : Tensor or array_like
        ``(KH, KW, filters, C)`` (Keras' layout).
    bias : Tensor, optional
        ``(filters,)``, added to each output position.
    strides : int or tuple of 2 int, default 1
        Upsampling factor.
    padding : {"valid", "same"}, default "valid"
        "same": output ``H * strides`` (without ``output_padding``).
    output_padding : int or tuple of 2 int, optional
        Extra rows/columns at the end; each smaller than its stride.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the kernel taps.

    Returns
    -------
    Tensor
        ``(N, OH, OW, filters)`` with Keras' output lengths.

    Raises
    ------
    ValueError
        Shapes that do not fit (named) or bad arguments.

    Examples
    --------
    >>> x = np.ones((1, 2, 2, 1), np.float32)
    >>> kernel = np.ones((2, 2, 1, 1), np.float32)
    >>> pynn.ops.conv2d_transpose(x, kernel, strides=2).numpy()[0, :, :, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]], dtype=float32)
    >>> pynn.ops.conv2d_transpose(x, kernel).numpy()[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """
    return _conv_transpose("conv2d_transpose", 2, x, kernel, bias, strides, padding,
                           output_padding, dilation_rate)


def conv1d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 1-D convolution, channels-last: ``(N, W, C) -> (N, OW, filters)``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    kernel : Tensor or array_like
        ``(K, filters, C)`` (Keras' layout).
    bias : Tensor, optional
        ``(filters,)``.
    strides : int, default 1
        Upsampling factor.
    padding : {"valid", "same"}, default "valid"
        "same": output ``W * strides`` (without ``output_padding``).
    output_padding : int, optional
        Extra steps at the end; smaller than the stride.
    dilation_rate : int, default 1
        Spacing of the kernel taps.

    Returns
    -------
    Tensor
        ``(N, OW, filters)``.

    Raises
    ------
    ValueError
        Shapes that do not fit (named) or bad arguments.

    Examples
    --------
    >>> x = np.array([[[1.0], [2.0]]], np.float32)
    >>> kernel = np.ones((3, 1, 1), np.float32)
    >>> pynn.ops.conv1d_transpose(x, kernel).numpy()[0, :, 0]
    array([1., 3., 3., 2.], dtype=float32)
    """
    return _conv_transpose("conv1d_transpose", 1, x, kernel, bias, strides, padding,
                           output_padding, dilation_rate)
