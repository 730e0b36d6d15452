"""pynn.ops.nn_conv: ``keras.ops.nn``'s rank-generic convolution and pooling
functions — depthwise_conv, separable_conv, conv_transpose, max_pool, average_pool,
adaptive_average_pool, adaptive_max_pool — with Keras' argument names and
defaults, over the engine's 1-D / 2-D kernels (pynn/ops/conv*.py, depthwise.py,
pool.py).

The rank comes from the input (1-D: ``(N, W, C)``, 2-D: ``(N, H, W, C)``);
``data_format="channels_first"`` is served by moving the channel axis last and
back (two transposes, which differentiate and trace like the rest). A 1-D
depthwise convolution is the 2-D kernel on a height of one, as Keras' own
DepthwiseConv1D is. Kernels keep Keras' layouts whatever the data format."""
import math

from .arrange import moveaxis
from .conv import _shape, conv1d, conv2d, _tuple
from .conv_transpose import conv1d_transpose, conv2d_transpose
from .depthwise import depthwise_conv2d
from .pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .reduce import max as _max, mean as _mean
from .shape import concatenate, expand_dims, slice_axis, squeeze

__all__ = ["depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool",
           "adaptive_average_pool", "adaptive_max_pool"]


def _data_format(op, data_format):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}")
    return data_format or "channels_last"


def _spatial(op, inputs, ranks=(1, 2)):
    rank = len(_shape(inputs)) - 2
    if rank not in ranks:
        raise ValueError(f"{op}: expected an input of rank {' or '.join(str(r + 2) for r in ranks)} "
                         f"(batch, {'spatial axes' if len(ranks) > 1 else 'spatial axis'}..., "
                         f"channels), received shape {tuple(_shape(inputs))}")
    return rank


def _channels_last(op, inputs, data_format, body):
    """body(x) on channels-last x; inputs moved there and the result moved back when
    the data is channels-first."""
    if _data_format(op, data_format) == "channels_last":
        return body(inputs)
    return moveaxis(body(moveaxis(inputs, 1, -1)), -1, 1)


def _on_height_one(fn, x, kernel, strides, dilation_rate, **kw):
    """A 1-D depthwise convolution as the 2-D one on a height of one."""
    s = _tuple(strides, 1, "strides", "depthwise_conv")
    d = _tuple(dilation_rate, 1, "dilation_rate", "depthwise_conv")
    y = fn(expand_dims(x, 1), expand_dims(kernel, 0), strides=(1, s[0]),
           dilation_rate=(1, d[0]), **kw)
    return squeeze(y, 1)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution, 1-D or 2-D by the input's rank (``keras.ops.depthwise_conv``).

    Each input channel is convolved with its own ``M`` filters; output channel
    ``c * M + m``.

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    kernel : Tensor or array_like
        ``(K, C, M)`` or ``(KH, KW, C, M)``.
    strides : int or tuple of int, default 1
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional
        None is channels-last, Keras' default.
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor
        ``(N, OW, C*M)`` or ``(N, OH, OW, C*M)``.

    Raises
    ------
    ValueError
        An input that is not 3-D or 4-D, a kernel of another rank, or channels
        that differ.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 4, 2)
    >>> pynn.ops.depthwise_conv(x, np.ones((2, 2, 1), np.float32)).numpy()[0]
    array([[ 2.,  4.],
           [ 6.,  8.],
           [10., 12.]], dtype=float32)
    """
    rank = _spatial("depthwise_conv", inputs)

    def body(x):
        if rank == 2:
            return depthwise_conv2d(x, kernel, strides=strides, padding=padding,
                                    dilation_rate=dilation_rate)
        return _on_height_one(depthwise_conv2d, x, kernel, strides, dilation_rate,
                              padding=padding)
    return _channels_last("depthwise_conv", inputs, data_format, body)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise then pointwise (1x1) convolution, 1-D or 2-D (``keras.ops.separable_conv``).

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    depthwise_kernel : Tensor or array_like
        ``(K, C, M)`` or ``(KH, KW, C, M)``.
    pointwise_kernel : Tensor or array_like
        ``(1, C*M, F)`` or ``(1, 1, C*M, F)``.
    strides : int or tuple of int, default 1
        Of the depthwise step.
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor
        ``(N, OW, F)`` or ``(N, OH, OW, F)``.

    Raises
    ------
    ValueError
        Shapes that do not fit (named by the step that refuses them).

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2), np.float32)
    >>> dw, pw = np.ones((2, 2, 2, 1), np.float32), np.ones((1, 1, 2, 1), np.float32)
    >>> pynn.ops.separable_conv(x, dw, pw).numpy()[0, :, :, 0]
    array([[8., 8.],
           [8., 8.]], dtype=float32)
    """
    rank = _spatial("separable_conv", inputs)
    dw = lambda x: depthwise_conv(x, depthwise_kernel, strides, padding, None,  # noqa: E731
                                  dilation_rate)
    pw = conv1d if rank == 1 else conv2d
    return _channels_last("separable_conv", inputs, data_format,
                          lambda x: pw(dw(x), pointwise_kernel))


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution, 1-D or 2-D by the input's rank (``keras.ops.conv_transpose``).

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    kernel : Tensor or array_like
        ``(K, F, C)`` or ``(KH, KW, F, C)`` (Keras' layout: filters before in-channels).
    strides : int or tuple of int, default 1
    padding : {"valid", "same"}, default "valid"
    output_padding : int or tuple of int, optional
        Extra size on the far side of each axis, each less than its stride.
    data_format : {"channels_last", "channels_first"}, optional
    dilation_rate : int or tuple of int, default 1

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An input that is not 3-D or 4-D, or shapes that do not fit.

    Examples
    --------
    >>> x = np.ones((1, 2, 1), np.float32)
    >>> pynn.ops.conv_transpose(x, np.ones((2, 1, 1), np.float32), strides=2).numpy()[0, :, 0]
    array([1., 1., 1., 1.], dtype=float32)
    """
    rank = _spatial("conv_transpose", inputs)
    fn = conv1d_transpose if rank == 1 else conv2d_transpose
    return _channels_last("conv_transpose", inputs, data_format, lambda x: fn(
        x, kernel, strides=strides, padding=padding, output_padding=output_padding,
        dilation_rate=dilation_rate))


def _pool(op, fns, inputs, pool_size, strides, padding, data_format):
    rank = _spatial(op, inputs)
    return _channels_last(op, inputs, data_format, lambda x: fns[rank - 1](
        x, pool_size=pool_size, strides=strides, padding=padding))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling, 1-D or 2-D by the input's rank (``keras.ops.max_pool``).

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        The pool size by default.
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An input that is not 3-D or 4-D, or a window that does not fit.

    Examples
    --------
    >>> x = np.array([[[1.0], [5.0], [2.0], [3.0]]], np.float32)
    >>> pynn.ops.max_pool(x, 2).numpy()[0, :, 0]
    array([5., 3.], dtype=float32)
    """
    return _pool("max_pool", (max_pool1d, max_pool2d), inputs, pool_size, strides, padding,
                 data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling, 1-D or 2-D by the input's rank (``keras.ops.average_pool``).

    With ``padding="same"`` a window's mean is over its cells inside the input,
    as in Keras.

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    pool_size : int or tuple of int
    strides : int or tuple of int, optional
        The pool size by default.
    padding : {"valid", "same"}, default "valid"
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An input that is not 3-D or 4-D, or a window that does not fit.

    Examples
    --------
    >>> x = np.array([[[1.0], [5.0], [2.0], [3.0]]], np.float32)
    >>> pynn.ops.average_pool(x, 2).numpy()[0, :, 0]
    array([3. , 2.5], dtype=float32)
    """
    return _pool("average_pool", (avg_pool1d, avg_pool2d), inputs, pool_size, strides, padding,
                 data_format)


# one slice and one reduction per output cell: refuse sizes that would never end
_MAX_CELLS = 1 << 16


def _adaptive(op, reduce, inputs, output_size, data_format):
    rank = _spatial(op, inputs, (1, 2, 3))
    try:
        size = _tuple(output_size, rank, "output_size", op)
    except ValueError as e:
        raise TypeError(str(e)) from None
    if max(size) > _MAX_CELLS:
        raise ValueError(f"{op}: `output_size` may be at most {_MAX_CELLS} per axis, received "
                         f"output_size={output_size!r}")

    def body(y):
        # PyTorch's windows: output cell i of an axis of length n pools input cells
        # floor(i n / o) .. ceil((i + 1) n / o) - 1; the windows are a product over
        # the axes, so one axis at a time
        for axis, o in enumerate(size, start=1):
            n = int(_shape(y)[axis])
            cells = [reduce(slice_axis(y, axis, (i * n) // o, math.ceil((i + 1) * n / o)),
                            axis=axis, keepdims=True) for i in range(o)]
            y = cells[0] if o == 1 else concatenate(cells, axis=axis)
        return y
    return _channels_last(op, inputs, data_format, body)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed output size (``keras.ops.adaptive_average_pool``).

    Output cell ``i`` of an axis of length ``n`` averages input cells
    ``floor(i*n/o) .. ceil((i+1)*n/o) - 1``, as PyTorch's adaptive pools.

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)``, ``(N, H, W, C)`` or ``(N, D, H, W, C)`` (channels first with
        ``data_format``).
    output_size : int or tuple of int
        The output's spatial size.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        An output size that is not positive ints.
    ValueError
        An input of rank other than 3 to 5.

    Examples
    --------
    >>> x = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    >>> pynn.ops.adaptive_average_pool(x, 2).numpy()[0, :, 0]
    array([1., 3.], dtype=float32)
    """
    return _adaptive("adaptive_average_pool", _mean, inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed output size (``keras.ops.adaptive_max_pool``).

    Windows as in `adaptive_average_pool`.

    Parameters
    ----------
    inputs : Tensor or array_like
        ``(N, W, C)``, ``(N, H, W, C)`` or ``(N, D, H, W, C)`` (channels first with
        ``data_format``).
    output_size : int or tuple of int
        The output's spatial size.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        An output size that is not positive ints.
    ValueError
        An input of rank other than 3 to 5.

    Examples
    --------
    >>> x = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    >>> pynn.ops.adaptive_max_pool(x, 2).numpy()[0, :, 0]
    array([2., 4.], dtype=float32)
    """
    return _adaptive("adaptive_max_pool", _max, inputs, output_size, data_format)
