"""pynn.ops.conv: channels-last convolutions (Keras layout).

``conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1)``
takes x of shape (batch, height, width, channels) and a kernel of shape
(kernel_h, kernel_w, in_channels, filters), exactly Keras' ``Conv2D.kernel``;
``conv1d`` takes (batch, steps, channels) and (kernel_size, in_channels, filters)
and also accepts ``padding="causal"``.

Output sizes follow Keras: valid ``floor((n - d(k-1) - 1)/s) + 1``, same and
causal ``ceil(n/s)``; "same" pads the smaller half before, as TF does.
Arguments are checked here so that errors can talk about per-sample and batch
shapes; the engine checks again for callers that go straight to ``_C.apply``.
"""
import numpy as np

from .. import _C
from .dense import _activation_attrs

__all__ = ["conv2d", "conv1d"]



def _shape(x):
    s = getattr(x, "shape", None)
    return tuple(int(d) for d in (s if s is not None else np.shape(x)))


def _tuple(value, n, name, op, minimum=1):
    """An int or a sequence of n ints, each >= minimum, as a tuple of n ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            out = None
        if (out is None or len(out) != n or
                not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out)):
            raise ValueError(f"{op}: `{name}` must be an int or a tuple of {n} ints, "
                             f"received {name}={value!r}")
        out = tuple(int(v) for v in out)
    if any(v < minimum for v in out):
        raise ValueError(f"{op}: every value of `{name}` must be >= {minimum}, received {name}={value!r}")
    # int64's bound: the engine bounds sizes itself, a larger Python int could not
    # reach it (OverflowError naming nothing)
    if any(v > 2 ** 63 - 1 for v in out):
        raise ValueError(f"{op}: every value of `{name}` must be in [{minimum}, 2**63 - 1], "
                         f"received {name}={value!r}")
    return out


def _padding(padding, op, allowed=("valid", "same")):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"{op}: `padding` must be one of {', '.join(repr(a) for a in allowed)}, "
                         f"received padding={padding!r}")
    return p


def _describe(shape):
    """'(32, 28, 28) (batch of 32, per-sample shape (28, 28))'."""
    if len(shape) == 0:
        return "() (a scalar)"
    if shape[0] is None:  # a layer's symbolic shape: the batch size is not known yet
        return f"{shape} (per-sample shape {shape[1:]})"
    return f"{shape} (batch of {shape[0]}, per-sample shape {shape[1:]})"


def _check_input_rank(op, shape, spatial):
    """A channels-last input of rank spatial + 2, or an error that says which axis is
    missing and how to add it."""
    want = spatial + 2
    if len(shape) == want:
        return
    names = {1: "steps, channels", 2: "height, width, channels",
             3: "depth, height, width, channels"}[spatial]
    msg = (f"{op} expects a {want}-D input (batch, {names}), i.e. per-sample shape "
           f"({names}); received shape {_describe(shape)}.")
    if len(shape) == want - 1:
        msg += (f" The channel axis seems to be missing: for single-channel data add one, e.g. "
                f"x[..., None] or x.reshape{tuple(-1 if d is None else d for d in shape) + (1,)}.")
    raise ValueError(msg)


def _check_window(op, what, shape, axes, window, dilation, padding):
    """With 'valid' padding the (dilated) window must fit in the input (axes of
    unknown length, None, are checked when data arrives)."""
    if padding != "valid":
        return
    for ax, name, k, d in zip(axes, what, window, dilation):
        ext = d * (k - 1) + 1
        if shape[ax] is not None and shape[ax] < ext:
            span = f"kernel size {k}" + (f" with dilation {d}, i.e. {ext} positions" if d > 1 else "")
            raise ValueError(
                f"{op}: the {name} of the input is {shape[ax]} but the window needs {ext} "
                f"({span}) with padding='valid'; received input shape {_describe(shape)}. "
                f"Use padding='same', a smaller window or a larger input.")


def _conv(op, spatial, x, kernel, bias, strides, padding, dilation_rate, pad_choices,
          activation, alpha, approximate):
    xs, ks = _shape(x), _shape(kernel)
    _check_input_rank(op, xs, spatial)
    klayout = "(kernel_size, in_channels, filters)" if spatial == 1 else \
        "(kernel_h, kernel_w, in_channels, filters)"
    if len(ks) != spatial + 2:
        raise ValueError(f"{op}: the kernel must be {spatial + 2}-D {klayout} (Keras layout), "
                         f"received kernel shape {ks}")
    if ks[-2] != xs[-1]:
        raise ValueError(f"{op}: the kernel {ks} expects {ks[-2]} input channels but the input has "
                         f"{xs[-1]} (channels are the last axis); received input shape "
                         f"{_describe(xs)}")
    if bias is not None and _shape(bias) != (ks[-1],):
        raise ValueError(f"{op}: bias must have shape ({ks[-1]},), one value per filter, "
                         f"received {_shape(bias)}")
    s = _tuple(strides, spatial, "strides", op)
    d = _tuple(dilation_rate, spatial, "dilation_rate", op)
    p = _padding(padding, op, pad_choices)
    what = ("steps",) if spatial == 1 else ("height", "width")
    _check_window(op, what, xs, range(1, spatial + 1), ks[:spatial], d, p)
    inputs = [x, kernel] + ([] if bias is None else [bias])
    if spatial == 1:
        s, d = s[0], d[0]
    return _C.apply(op, inputs, strides=s, dilation_rate=d, padding=p,
                    **_activation_attrs(op, activation, alpha, approximate))


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, activation=None,
           alpha=None, approximate=False):
    """2-D convolution, channels-last: ``(N, H, W, C) * (KH, KW, C, F) -> (N, OH, OW, F)``.

    Computed as GEMM over packed patches; what `pynn.layers.Conv2D` runs.

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    kernel : Tensor or array_like
        ``(KH, KW, C, F)`` (Keras' layout).
    bias : Tensor, optional
        ``(filters,)``, added to each output position.
    strides : int or tuple, default 1
        Step of the window.
    padding : str, default "valid"
        "valid" or "same" (conv1d also "causal").
    dilation_rate : int or tuple, default 1
        Spacing of the kernel taps.
    activation : str, optional
        One of `fused_activations`, applied in the same op after the bias.
    alpha : float, optional
        leaky_relu's negative_slope (0.2) or elu's alpha (1.0).
    approximate : bool, default False
        The tanh form of gelu.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not fit (named), a window larger than the padded input,
        or bad arguments.

    Examples
    --------
    >>> x = np.ones((1, 4, 4, 1), np.float32)
    >>> kernel = np.ones((3, 3, 1, 1), np.float32)
    >>> pynn.ops.conv2d(x, kernel).numpy()[0, :, :, 0]
    array([[9., 9.],
           [9., 9.]], dtype=float32)
    >>> pynn.ops.conv2d(x, kernel, padding="same").numpy()[0, 0, :, 0]
    array([4., 6., 6., 4.], dtype=float32)
    """
    return _conv("conv2d", 2, x, kernel, bias, strides, padding, dilation_rate, ("valid", "same"),
                 activation, alpha, approximate)


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, activation=None,
           alpha=None, approximate=False):
    """1-D convolution, channels-last: ``(N, W, C) * (K, C, F) -> (N, OW, F)``.

    ``padding="causal"`` pads ``dilation * (K - 1)`` on the left only, so output t
    sees inputs up to t.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    kernel : Tensor or array_like
        ``(K, C, F)`` (Keras' layout).
    bias : Tensor, optional
        ``(filters,)``, added to each output position.
    strides : int or tuple, default 1
        Step of the window.
    padding : str, default "valid"
        "valid" or "same" (conv1d also "causal").
    dilation_rate : int or tuple, default 1
        Spacing of the kernel taps.
    activation : str, optional
        One of `fused_activations`, applied in the same op after the bias.
    alpha : float, optional
        leaky_relu's negative_slope (0.2) or elu's alpha (1.0).
    approximate : bool, default False
        The tanh form of gelu.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not fit (named), a window larger than the padded input,
        or bad arguments.

    Examples
    --------
    >>> x = np.arange(1, 5, dtype=np.float32).reshape(1, 4, 1)
    >>> kernel = np.ones((2, 1, 1), np.float32)
    >>> pynn.ops.conv1d(x, kernel).numpy().ravel()
    array([3., 5., 7.], dtype=float32)
    >>> pynn.ops.conv1d(x, kernel, padding="causal").numpy().ravel()
    array([1., 3., 5., 7.], dtype=float32)
    """
    return _conv("conv1d", 1, x, kernel, bias, strides, padding, dilation_rate,
                 ("valid", "same", "causal"), activation, alpha, approximate)
