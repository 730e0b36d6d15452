"""pynn.ops.pool: channels-last pooling and spatial resampling.

Pooling follows Keras/TF: ``strides=None`` means ``pool_size``; "same" padding
pads the smaller half before; padded positions never win a max and are not
counted in an average. Global pooling reduces every axis between the batch and
the channel axis. Zero padding, cropping and nearest-neighbour upsampling take
Keras' argument forms.
"""
from .. import _C
from .conv import _check_input_rank, _check_window, _padding, _shape, _tuple

__all__ = [
    "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d",
    "global_avg_pool1d", "global_avg_pool2d", "global_max_pool1d", "global_max_pool2d",
    "zero_padding1d", "zero_padding2d", "cropping1d", "cropping2d",
    "upsampling1d", "upsampling2d",
]


def _pool(op, spatial, x, pool_size, strides, padding):
    xs = _shape(x)
    _check_input_rank(op, xs, spatial)
    k = _tuple(pool_size, spatial, "pool_size", op)
    s = k if strides is None else _tuple(strides, spatial, "strides", op)
    p = _padding(padding, op)
    what = ("steps",) if spatial == 1 else ("height", "width")
    _check_window(op, what, xs, range(1, spatial + 1), k, (1,) * spatial, p)
    if spatial == 1:
        k, s = k[0], s[0]
    return _C.apply(op, [x], pool_size=k, strides=s, padding=p)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """2-D max pooling: ``(N, H, W, C) -> (N, OH, OW, C)``, the maximum of each window.

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    pool_size : int or tuple of 2 int, default (2, 2)
        Window size.
    strides : int or tuple of 2 int, optional
        Window step (default: pool_size).
    padding : str, default "valid"
        "valid" or "same".

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.ops.max_pool2d(x).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    return _pool("max_pool2d", 2, x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """2-D average pooling: ``(N, H, W, C) -> (N, OH, OW, C)``.

    Each window's mean over its real (unpadded) positions.

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    pool_size : int or tuple of 2 int, default (2, 2)
        Window size.
    strides : int or tuple of 2 int, optional
        Window step (default: pool_size).
    padding : str, default "valid"
        "valid" or "same".

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> pynn.ops.avg_pool2d(x).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    return _pool("avg_pool2d", 2, x, pool_size, strides, padding)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """1-D max pooling: ``(N, W, C) -> (N, OW, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    pool_size : int, default 2
        Window size.
    strides : int, optional
        Window step (default: pool_size).
    padding : str, default "valid"
        "valid" or "same".

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.array([1, 3, 2, 5, 4, 0], np.float32).reshape(1, 6, 1)
    >>> pynn.ops.max_pool1d(x).numpy().ravel()
    array([3., 5., 4.], dtype=float32)
    """
    return _pool("max_pool1d", 1, x, pool_size, strides, padding)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """1-D average pooling: ``(N, W, C) -> (N, OW, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    pool_size : int, default 2
        Window size.
    strides : int, optional
        Window step (default: pool_size).
    padding : str, default "valid"
        "valid" or "same".

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs of the wrong rank or smaller than the window.

    Examples
    --------
    >>> x = np.array([1, 3, 2, 5, 4, 0], np.float32).reshape(1, 6, 1)
    >>> pynn.ops.avg_pool1d(x, pool_size=3).numpy().ravel()
    array([2., 3.], dtype=float32)
    """
    return _pool("avg_pool1d", 1, x, pool_size, strides, padding)


def _global(op, name, spatial, x, keepdims):
    _check_input_rank(name, _shape(x), spatial)
    return _C.apply(op, [x], keepdims=bool(keepdims))


def global_avg_pool1d(x, keepdims=False):
    """Mean over the steps: ``(N, W, C) -> (N, C)`` (``(N, 1, C)`` with keepdims).

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    keepdims : bool, default False
        Keep the pooled axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs that are not 3-D.

    Examples
    --------
    >>> pynn.ops.global_avg_pool1d(np.array([[[1.0], [2.0], [6.0]]], np.float32)).numpy()
    array([[3.]], dtype=float32)
    """
    return _global("global_avg_pool", "global_avg_pool1d", 1, x, keepdims)


def global_avg_pool2d(x, keepdims=False):
    """Mean over height and width: ``(N, H, W, C) -> (N, C)`` (``(N, 1, 1, C)`` with keepdims).

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    keepdims : bool, default False
        Keep the pooled axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs that are not 4-D.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    >>> pynn.ops.global_avg_pool2d(x).numpy()
    array([[3., 4.]], dtype=float32)
    """
    return _global("global_avg_pool", "global_avg_pool2d", 2, x, keepdims)


def global_max_pool1d(x, keepdims=False):
    """Maximum over the steps: ``(N, W, C) -> (N, C)`` (``(N, 1, C)`` with keepdims).

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, W, C)``.
    keepdims : bool, default False
        Keep the pooled axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs that are not 3-D.

    Examples
    --------
    >>> pynn.ops.global_max_pool1d(np.array([[[1.0], [2.0], [6.0]]], np.float32)).numpy()
    array([[6.]], dtype=float32)
    """
    return _global("global_max_pool", "global_max_pool1d", 1, x, keepdims)


def global_max_pool2d(x, keepdims=False):
    """Maximum over height and width: ``(N, H, W, C) -> (N, C)`` (``(N, 1, 1, C)`` with keepdims).

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    keepdims : bool, default False
        Keep the pooled axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inputs that are not 4-D.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    >>> pynn.ops.global_max_pool2d(x, keepdims=True).shape
    (1, 1, 1, 2)
    """
    return _global("global_max_pool", "global_max_pool2d", 2, x, keepdims)


def _pairs2d(value, name, op):
    """Keras' forms: int; (sym_h, sym_w); ((top, bottom), (left, right))."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (tuple, list)) for v in value):
        tb = _tuple(value[0], 2, name, op, minimum=0)
        lr = _tuple(value[1], 2, name, op, minimum=0)
        return [tb[0], tb[1], lr[0], lr[1]]
    h, w = _tuple(value, 2, name, op, minimum=0)
    return [h, h, w, w]


def zero_padding2d(x, padding=(1, 1)):
    """Adds rows and columns of zeros around images ``(N, H, W, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Images.
    padding : int, (h, w) or ((top, bottom), (left, right)), default (1, 1)
        Amounts to add.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A malformed or negative padding.

    Examples
    --------
    >>> pynn.ops.zero_padding2d(np.ones((1, 2, 2, 1), np.float32), ((1, 0), (0, 2))).shape
    (1, 3, 4, 1)
    """
    _check_input_rank("zero_padding2d", _shape(x), 2)
    return _C.apply("zero_padding", [x], padding=_pairs2d(padding, "padding", "zero_padding2d"))


def zero_padding1d(x, padding=1):
    """Adds zero steps at both ends of sequences ``(N, W, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences.
    padding : int or (left, right), default 1
        Steps to add.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A malformed or negative padding.

    Examples
    --------
    >>> pynn.ops.zero_padding1d(np.ones((1, 2, 1), np.float32), (1, 2)).numpy().ravel()
    array([0., 1., 1., 0., 0.], dtype=float32)
    """
    _check_input_rank("zero_padding1d", _shape(x), 1)
    lr = _tuple(padding, 2, "padding", "zero_padding1d", minimum=0)
    return _C.apply("zero_padding", [x], padding=[0, 0, lr[0], lr[1]])


def _check_crop(op, xs, amounts):
    spatial = xs[1:-1]
    sides = [(amounts[0] + amounts[1], "height"), (amounts[2] + amounts[3], "width")]
    if len(spatial) == 1:
        sides = sides[1:]
    for (total, name), n in zip(sides, spatial):
        if total >= n:
            raise ValueError(f"{op}: cropping {total} from a {name} of {n} leaves nothing; the "
                             f"cropping must be smaller than the input size. Received input shape "
                             f"{xs} (per-sample {xs[1:]}) and cropping {tuple(amounts)}")


def cropping2d(x, cropping=((0, 0), (0, 0))):
    """Removes rows and columns at the edges of images ``(N, H, W, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Images.
    cropping : int, (h, w) or ((top, bottom), (left, right)), default ((0, 0), (0, 0))
        Amounts to remove.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Cropping that removes everything, or a malformed value.

    Examples
    --------
    >>> pynn.ops.cropping2d(np.zeros((1, 5, 5, 3), np.float32), ((1, 0), (0, 2))).shape
    (1, 4, 3, 3)
    """
    xs = _shape(x)
    _check_input_rank("cropping2d", xs, 2)
    amounts = _pairs2d(cropping, "cropping", "cropping2d")
    _check_crop("cropping2d", xs, amounts)
    return _C.apply("cropping", [x], cropping=amounts)


def cropping1d(x, cropping=(1, 1)):
    """Removes steps at both ends of sequences ``(N, W, C)``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences.
    cropping : int or (left, right), default (1, 1)
        Steps to remove.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Cropping that removes everything, or a malformed value.

    Examples
    --------
    >>> pynn.ops.cropping1d(np.arange(5, dtype=np.float32).reshape(1, 5, 1), (1, 2)).numpy().ravel()
    array([1., 2.], dtype=float32)
    """
    xs = _shape(x)
    _check_input_rank("cropping1d", xs, 1)
    lr = _tuple(cropping, 2, "cropping", "cropping1d", minimum=0)
    amounts = [0, 0, lr[0], lr[1]]
    _check_crop("cropping1d", xs, amounts)
    return _C.apply("cropping", [x], cropping=amounts)


def upsampling2d(x, size=(2, 2)):
    """Repeats every pixel ``size[0]`` times down and ``size[1]`` times across (nearest neighbour).

    Parameters
    ----------
    x : Tensor or array_like
        Images ``(N, H, W, C)``.
    size : int or tuple of 2 int, default (2, 2)
        Repetition factors.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A size below 1.

    Examples
    --------
    >>> pynn.ops.upsampling2d(np.ones((1, 2, 3, 1), np.float32), (2, 3)).shape
    (1, 4, 9, 1)
    """
    _check_input_rank("upsampling2d", _shape(x), 2)
    return _C.apply("upsampling", [x], size=_tuple(size, 2, "size", "upsampling2d"))


def upsampling1d(x, size=2):
    """Repeats every step of sequences ``(N, W, C)`` ``size`` times.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences.
    size : int, default 2
        Repetition factor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A size below 1.

    Examples
    --------
    >>> pynn.ops.upsampling1d(np.array([[[1.0], [2.0]]], np.float32)).numpy().ravel()
    array([1., 1., 2., 2.], dtype=float32)
    """
    _check_input_rank("upsampling1d", _shape(x), 1)
    (s,) = _tuple(size, 1, "size", "upsampling1d")
    return _C.apply("upsampling", [x], size=[1, s])
