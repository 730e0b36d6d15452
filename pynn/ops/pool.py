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
    iattr = [k[0], s[0], p] if spatial == 1 else [k[0], k[1], s[0], s[1], p]
    return _C.apply(op, [x], iattr=iattr)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """(N, H, W, C) -> (N, OH, OW, C), the maximum of each window."""
    return _pool("max_pool2d", 2, x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """(N, H, W, C) -> (N, OH, OW, C), the mean of each window's real (unpadded) positions."""
    return _pool("avg_pool2d", 2, x, pool_size, strides, padding)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """(N, W, C) -> (N, OW, C)."""
    return _pool("max_pool1d", 1, x, pool_size, strides, padding)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """(N, W, C) -> (N, OW, C)."""
    return _pool("avg_pool1d", 1, x, pool_size, strides, padding)


def _global(op, name, spatial, x, keepdims):
    _check_input_rank(name, _shape(x), spatial)
    return _C.apply(op, [x], iattr=[int(bool(keepdims))])


def global_avg_pool1d(x, keepdims=False):
    """(N, W, C) -> (N, C) (or (N, 1, C) with keepdims)."""
    return _global("global_avg_pool", "global_avg_pool1d", 1, x, keepdims)


def global_avg_pool2d(x, keepdims=False):
    """(N, H, W, C) -> (N, C) (or (N, 1, 1, C) with keepdims)."""
    return _global("global_avg_pool", "global_avg_pool2d", 2, x, keepdims)


def global_max_pool1d(x, keepdims=False):
    return _global("global_max_pool", "global_max_pool1d", 1, x, keepdims)


def global_max_pool2d(x, keepdims=False):
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
    """Adds rows and columns of zeros: padding is an int, (sym_h, sym_w) or
    ((top, bottom), (left, right))."""
    _check_input_rank("zero_padding2d", _shape(x), 2)
    return _C.apply("zero_padding", [x], iattr=_pairs2d(padding, "padding", "zero_padding2d"))


def zero_padding1d(x, padding=1):
    """padding: an int or (left, right)."""
    _check_input_rank("zero_padding1d", _shape(x), 1)
    lr = _tuple(padding, 2, "padding", "zero_padding1d", minimum=0)
    return _C.apply("zero_padding", [x], iattr=[0, 0, lr[0], lr[1]])


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
    """Removes rows and columns at the edges: an int, (sym_h, sym_w) or
    ((top, bottom), (left, right))."""
    xs = _shape(x)
    _check_input_rank("cropping2d", xs, 2)
    amounts = _pairs2d(cropping, "cropping", "cropping2d")
    _check_crop("cropping2d", xs, amounts)
    return _C.apply("cropping", [x], iattr=amounts)


def cropping1d(x, cropping=(1, 1)):
    """cropping: an int or (left, right)."""
    xs = _shape(x)
    _check_input_rank("cropping1d", xs, 1)
    lr = _tuple(cropping, 2, "cropping", "cropping1d", minimum=0)
    amounts = [0, 0, lr[0], lr[1]]
    _check_crop("cropping1d", xs, amounts)
    return _C.apply("cropping", [x], iattr=amounts)


def upsampling2d(x, size=(2, 2)):
    """Repeats every pixel size[0] times down and size[1] times across (nearest)."""
    _check_input_rank("upsampling2d", _shape(x), 2)
    return _C.apply("upsampling", [x], iattr=list(_tuple(size, 2, "size", "upsampling2d")))


def upsampling1d(x, size=2):
    """Repeats every step size times."""
    _check_input_rank("upsampling1d", _shape(x), 1)
    (s,) = _tuple(size, 1, "size", "upsampling1d")
    return _C.apply("upsampling", [x], iattr=[1, s])
