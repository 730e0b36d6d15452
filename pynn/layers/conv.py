"""Convolution layers: Conv1D, Conv2D (channels-last, Keras' kernel layout)."""
import numpy as np

from .. import activations, initializers, ops, regularizers
from ..ops.conv import _padding, _tuple
from .base import Layer


class _Conv(Layer):
    _one_input = True

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
        what = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}[self.rank]
        _check_window(cls, what, shape, range(1, self.rank + 1), self.kernel_size,
                      self.dilation_rate, self.padding)

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
        cfg.update(filters=self.filters, kernel_size=tuple(self.kernel_size), strides=tuple(self.strides),
                   padding=self.padding, dilation_rate=tuple(self.dilation_rate),
                   activation=activations.serialize(self.activation), use_bias=self.use_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


class Conv2D(_Conv):
    """2D convolution over images: inputs ``(batch, height, width, channels)``.

    Channels-last, as Keras' default; the kernel has Keras' layout
    ``(kernel_h, kernel_w, in_channels, filters)``. The engine computes it as
    GEMM over packed image patches.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 2 int
        Height and width of the window.
    strides : int or tuple of 2 int, default 1
        Step of the window.
    padding : {"valid", "same"}, default "valid"
        "valid": no padding; "same": zero-pad so that the output size is
        ``ceil(input / strides)``.
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the kernel's taps (not combined with strides > 1, as Keras).
    activation : str or callable, optional
        Activation applied to the output (none by default).
    use_bias : bool, default True
        Whether to add a bias per filter.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    groups : int, default 1
        Only 1 (grouped convolution is not supported).
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 4-D or smaller than the window.

    Examples
    --------
    >>> layer = pynn.layers.Conv2D(8, 3, padding="same", activation="relu")
    >>> layer(np.zeros((2, 28, 28, 1), np.float32)).shape
    (2, 28, 28, 8)
    >>> layer.kernel.shape
    (3, 3, 1, 8)
    >>> pynn.layers.Conv2D(4, (3, 3), strides=2)(np.zeros((1, 9, 9, 3), np.float32)).shape
    (1, 4, 4, 4)
    """
    rank = 2


class Conv1D(_Conv):
    """1D convolution over sequences: inputs ``(batch, steps, channels)``.

    The kernel has Keras' layout ``(kernel_size, in_channels, filters)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or tuple of 1 int
        Length of the window.
    strides : int, default 1
        Step of the window.
    padding : {"valid", "same", "causal"}, default "valid"
        "causal" pads on the left only, so output step t sees inputs up to t
        (for autoregressive models).
    dilation_rate : int, default 1
        Spacing of the kernel's taps.
    activation : str or callable, optional
        Activation applied to the output (none by default).
    use_bias : bool, default True
        Whether to add a bias per filter.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    data_format : None or "channels_last"
        Only channels-last (Keras' default) is supported.
    groups : int, default 1
        Only 1 (grouped convolution is not supported).
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``input_shape``, ...).

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 3-D or shorter than the window.

    Examples
    --------
    >>> pynn.layers.Conv1D(4, 3)(np.zeros((2, 10, 3), np.float32)).shape
    (2, 8, 4)
    >>> pynn.layers.Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3), np.float32)).shape
    (2, 10, 4)
    """
    rank = 1


# Keras' aliases
Convolution1D, Convolution2D = Conv1D, Conv2D
