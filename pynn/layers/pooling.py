"""Pooling layers (channels-last): Max/AveragePooling1D/2D, Global{Average,Max}Pooling1D/2D."""
from .. import ops
from ..ops.conv import _check_input_rank, _check_window, _padding, _tuple
from .base import Layer


class _Pool(Layer):
    _one_input = True

    rank = None
    fn = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, got {data_format!r}")
        self.pool_size = _tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _tuple(strides, self.rank, "strides", cls)
        _padding(padding, cls)
        self.padding = padding.lower()

    def _check_input(self, shape):
        cls = f"{type(self).__name__} '{self.name}'"
        shape = tuple(shape)
        _check_input_rank(cls, shape, self.rank)
        what = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}[self.rank]
        _check_window(cls, what, shape, range(1, self.rank + 1), self.pool_size, (1,) * self.rank,
                      self.padding)

    def call(self, inputs, training=False):
        return type(self).fn(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        out = []
        for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides):
            if n is None:
                out.append(None)
            else:
                out.append((n - k) // s + 1 if self.padding == "valid" else ((n - 1) // s + 1 if n else 0))
        return (input_shape[0],) + tuple(out) + (input_shape[-1],)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(pool_size=tuple(self.pool_size), strides=tuple(self.strides), padding=self.padding)
        return cfg


class MaxPooling2D(_Pool):
    """Max pooling over images ``(batch, height, width, channels)``: the maximum of each window, per
    channel.

    Parameters
    ----------
    pool_size : int or tuple of 2 int, default (2, 2)
        Size of the window.
    strides : int or tuple of 2 int, optional
        Step of the window (default: ``pool_size``, non-overlapping windows).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)``.
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.layers.MaxPooling2D()(x).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    rank, fn = 2, staticmethod(ops.max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class AveragePooling2D(_Pool):
    """Average pooling over images ``(batch, height, width, channels)``: the mean of each window,
    per channel.

    Parameters
    ----------
    pool_size : int or tuple of 2 int, default (2, 2)
        Size of the window.
    strides : int or tuple of 2 int, optional
        Step of the window (default: ``pool_size``, non-overlapping windows).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)`` (padding is not counted in the mean).
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.layers.AveragePooling2D()(x).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    rank, fn = 2, staticmethod(ops.avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class MaxPooling1D(_Pool):
    """Max pooling over sequences ``(batch, steps, channels)``: the maximum of each window, per
    channel.

    Parameters
    ----------
    pool_size : int, default 2
        Size of the window.
    strides : int, optional
        Step of the window (default: ``pool_size``, non-overlapping windows).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)``.
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.array([1, 3, 2, 5, 4, 0], np.float32).reshape(1, 6, 1)
    >>> pynn.layers.MaxPooling1D()(x).numpy().ravel()
    array([3., 5., 4.], dtype=float32)
    """
    rank, fn = 1, staticmethod(ops.max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class AveragePooling1D(_Pool):
    """Average pooling over sequences ``(batch, steps, channels)``: the mean of each window, per
    channel.

    Parameters
    ----------
    pool_size : int, default 2
        Size of the window.
    strides : int, optional
        Step of the window (default: ``pool_size``, non-overlapping windows).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)`` (padding is not counted in the mean).
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.array([1, 3, 2, 5, 4, 0], np.float32).reshape(1, 6, 1)
    >>> pynn.layers.AveragePooling1D(pool_size=3)(x).numpy().ravel()
    array([2., 3.], dtype=float32)
    """
    rank, fn = 1, staticmethod(ops.avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)


class _GlobalPool(Layer):
    _one_input = True

    rank = None
    fn = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")
        self.data_format = data_format or "channels_last"
        self.keepdims = bool(keepdims)

    def _check_input(self, shape):
        _check_input_rank(f"{type(self).__name__} '{self.name}'", tuple(shape), self.rank)

    def call(self, inputs, training=False):
        if self.data_format == "channels_first":  # (batch, channels, *spatial): pool the last axes
            reduce = ops.max if type(self).__name__.startswith("GlobalMax") else ops.mean
            axes = tuple(range(2, 2 + self.rank))
            return reduce(inputs, axis=axes, keepdims=self.keepdims)
        return type(self).fn(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        channels_first = self.data_format == "channels_first"
        channels = input_shape[1] if channels_first else input_shape[-1]
        if self.keepdims:
            ones = (1,) * self.rank
            return (input_shape[0],) + ((channels,) + ones if channels_first else ones + (channels,))
        return (input_shape[0], channels)

    def get_config(self):
        cfg = super().get_config()
        cfg["keepdims"] = self.keepdims
        if self.data_format != "channels_last":
            cfg["data_format"] = self.data_format
        return cfg


class GlobalAveragePooling2D(_GlobalPool):
    """Global mean over the height and width of images ``(batch, height, width, channels)``: one
    value per channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    >>> pynn.layers.GlobalAveragePooling2D()(x).numpy()
    array([[3., 4.]], dtype=float32)
    >>> pynn.layers.GlobalAveragePooling2D(keepdims=True)(x).shape
    (1, 1, 1, 2)
    """
    rank, fn = 2, staticmethod(ops.global_avg_pool2d)


class GlobalAveragePooling1D(_GlobalPool):
    """Global mean over the steps of sequences ``(batch, steps, channels)``: one value per channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.array([[[1.0], [2.0], [6.0]]], np.float32)
    >>> pynn.layers.GlobalAveragePooling1D()(x).numpy()
    array([[3.]], dtype=float32)

    Behind ``Embedding(mask_zero=True)`` (or ``Masking``) it averages the unmasked
    steps only, as in Keras:

    >>> padded = pynn.layers.Masking()(np.array([[[4.0], [0.0], [0.0]]], np.float32))
    >>> pynn.layers.GlobalAveragePooling1D()(padded).numpy()
    array([[4.]], dtype=float32)
    """
    rank, fn = 1, staticmethod(ops.global_avg_pool1d)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are gone

    def call(self, inputs, training=False):
        mask = getattr(inputs, "_keras_mask", None)
        if mask is None:
            return super().call(inputs, training)
        steps = 2 if self.data_format == "channels_first" else 1
        weights = ops.expand_dims(mask, 1 if steps == 2 else 2)
        return (ops.sum(inputs * weights, axis=steps, keepdims=self.keepdims)
                / ops.sum(weights, axis=steps, keepdims=self.keepdims))


class GlobalMaxPooling2D(_GlobalPool):
    """Global maximum over the height and width of images ``(batch, height, width, channels)``: one
    value per channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    >>> pynn.layers.GlobalMaxPooling2D()(x).numpy()
    array([[6., 7.]], dtype=float32)
    """
    rank, fn = 2, staticmethod(ops.global_max_pool2d)


class GlobalMaxPooling1D(_GlobalPool):
    """Global maximum over the steps of sequences ``(batch, steps, channels)``: one value per
    channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.array([[[1.0], [2.0], [6.0]]], np.float32)
    >>> pynn.layers.GlobalMaxPooling1D()(x).numpy()
    array([[6.]], dtype=float32)
    """
    rank, fn = 1, staticmethod(ops.global_max_pool1d)


# Keras' aliases
MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D
GlobalAvgPool2D, GlobalAvgPool1D = GlobalAveragePooling2D, GlobalAveragePooling1D
GlobalMaxPool2D, GlobalMaxPool1D = GlobalMaxPooling2D, GlobalMaxPooling1D
