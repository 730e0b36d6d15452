"""3-D pooling (channels-last volumes (batch, depth, height, width, channels)):
MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D, GlobalAveragePooling3D.

A pooling window is a box, the product of a depth interval and a (height, width)
rectangle, so pooling is separable: the engine's 2-D pool over each depth plane,
then its 1-D pool along the depth. For the maximum that is exact; for the mean
too, since the valid cells of a box (padding excluded, as Keras) are a product,
so the mean of the planes' means is the box's mean."""
from .. import ops
from .pooling import _GlobalPool, _Pool


def _pool3d(x, pool_size, strides, padding, pool1d, pool2d):
    d, h, w, c = (int(s) for s in x.shape[1:])
    y = pool2d(ops.reshape(x, (-1, h, w, c)), pool_size[1:], strides[1:], padding)
    h2, w2 = int(y.shape[1]), int(y.shape[2])
    y = pool1d(ops.reshape(y, (-1, d, h2 * w2 * c)), pool_size[0], strides[0], padding)
    return ops.reshape(y, (-1, int(y.shape[1]), h2, w2, c))


class MaxPooling3D(_Pool):
    """Max pooling over volumes ``(batch, depth, height, width, channels)``: the maximum of
    each window, per channel.

    Parameters
    ----------
    pool_size : int or tuple of 3 int, default (2, 2, 2)
        Size of the window.
    strides : int or tuple of 3 int, optional
        Step of the window (default: ``pool_size``).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)``.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    >>> pynn.layers.MaxPooling3D()(x).numpy().ravel()
    array([7.], dtype=float32)
    """
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def call(self, inputs, training=False):
        return _pool3d(inputs, self.pool_size, self.strides, self.padding, ops.max_pool1d,
                       ops.max_pool2d)


class AveragePooling3D(_Pool):
    """Average pooling over volumes ``(batch, depth, height, width, channels)``: the mean of
    each window, per channel.

    Parameters
    ----------
    pool_size : int or tuple of 3 int, default (2, 2, 2)
        Size of the window.
    strides : int or tuple of 3 int, optional
        Step of the window (default: ``pool_size``).
    padding : {"valid", "same"}, default "valid"
        "valid" drops windows that do not fit; "same" pads so that the output
        size is ``ceil(input / strides)`` (padding is not counted in the mean).
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    >>> pynn.layers.AveragePooling3D()(x).numpy().ravel()
    array([3.5], dtype=float32)
    """
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def call(self, inputs, training=False):
        return _pool3d(inputs, self.pool_size, self.strides, self.padding, ops.avg_pool1d,
                       ops.avg_pool2d)


def _global_mean(x, keepdims=False):
    return ops.mean(x, axis=(1, 2, 3), keepdims=keepdims)


def _global_max(x, keepdims=False):
    return ops.max(x, axis=(1, 2, 3), keepdims=keepdims)


class GlobalAveragePooling3D(_GlobalPool):
    """Global mean over the depth, height and width of volumes: one value per channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, 1, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 2, 2, 2, 2)
    >>> pynn.layers.GlobalAveragePooling3D()(x).numpy()
    array([[7., 8.]], dtype=float32)
    """
    rank, fn = 3, staticmethod(_global_mean)


class GlobalMaxPooling3D(_GlobalPool):
    """Global maximum over the depth, height and width of volumes: one value per channel.

    Parameters
    ----------
    data_format : None, "channels_last" or "channels_first"
        Where the channels are: last (the default) or right after the batch axis.
    keepdims : bool, default False
        Keep the pooled axes with size 1 (output ``(batch, 1, 1, 1, channels)``).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 2, 2, 2, 2)
    >>> pynn.layers.GlobalMaxPooling3D()(x).numpy()
    array([[14., 15.]], dtype=float32)
    """
    rank, fn = 3, staticmethod(_global_max)


# Keras' aliases
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D
