"""pynn.ops.depthwise: depthwise 2-D convolution, channels-last (Keras layout).

``depthwise_conv2d(x, kernel)`` convolves each input channel with its own
``depth_multiplier`` filters: kernel ``(KH, KW, C, M)``, exactly Keras'
``DepthwiseConv2D.kernel``; output channel ``c * M + m``. Output sizes and the
"same" split are `conv2d`'s."""
from .. import _C
from .conv import _check_input_rank, _check_window, _describe, _padding, _shape, _tuple

__all__ = ["depthwise_conv2d"]


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D convolution: ``(N, H, W, C) * (KH, KW, C, M) -> (N, OH, OW, C*M)``.

    What `pynn.layers.DepthwiseConv2D` runs, and the first step of
    `pynn.layers.SeparableConv2D`.

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    kernel : Tensor or array_like
        ``(KH, KW, C, depth_multiplier)`` (Keras' layout).
    bias : Tensor, optional
        ``(C * depth_multiplier,)``.
    strides : int or tuple of 2 int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        As `conv2d`.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the kernel taps.

    Returns
    -------
    Tensor
        ``(N, OH, OW, C * depth_multiplier)``.

    Raises
    ------
    ValueError
        Shapes that do not fit (named), a window larger than the input with
        "valid", or bad arguments.

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2), np.float32)
    >>> x[..., 1] = 2.0
    >>> kernel = np.ones((3, 3, 2, 1), np.float32)
    >>> pynn.ops.depthwise_conv2d(x, kernel).numpy()[0, 0, 0]
    array([ 9., 18.], dtype=float32)
    """
    op = "depthwise_conv2d"
    xs, ks = _shape(x), _shape(kernel)
    _check_input_rank(op, xs, 2)
    if len(ks) != 4:
        raise ValueError(f"{op}: the kernel must be 4-D (kernel_h, kernel_w, in_channels, "
                         f"depth_multiplier) (Keras layout), received kernel shape {ks}")
    if ks[2] != xs[-1]:
        raise ValueError(f"{op}: the kernel {ks} expects {ks[2]} input channels but the input has "
                         f"{xs[-1]} (channels are the last axis); received input shape "
                         f"{_describe(xs)}")
    if bias is not None and _shape(bias) != (ks[2] * ks[3],):
        raise ValueError(f"{op}: bias must have shape ({ks[2] * ks[3]},) (in_channels * "
                         f"depth_multiplier), received {_shape(bias)}")
    s = _tuple(strides, 2, "strides", op)
    d = _tuple(dilation_rate, 2, "dilation_rate", op)
    p = _padding(padding, op)
    _check_window(op, ("height", "width"), xs, (1, 2), ks[:2], d, p)
    inputs = [x, kernel] + ([] if bias is None else [bias])
    return _C.apply(op, inputs, strides=s, dilation_rate=d, padding=p)
