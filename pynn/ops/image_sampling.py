"""pynn.ops.image_sampling: ``keras.ops.image``'s map_coordinates (order 0 and 1)
and affine_transform (nearest / bilinear), with Keras' fill modes (constant,
nearest, wrap, mirror, reflect).

Sampling is one gather (the engine's ``take``) per corner of the interpolation
cell, weighted and summed by engine ops: the gradient reaches the sampled array
and, for order 1, the coordinates through the weights (as on Keras' torch
backend). The corner indices are integers computed from the coordinates' values
in NumPy — a step function, with no gradient anywhere — so a coordinate array
must be concrete (not a symbolic KerasTensor) when the op is traced."""
import itertools
import numbers

import numpy as np

from .. import _C
from .image_geometry import _images
from .shape import _tensor, reshape, take, transpose

__all__ = ["map_coordinates", "affine_transform"]

_F = np.float32
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _mirror(i, n):
    s = n - 1  # half-wavelength of the triangular wave
    return np.zeros_like(i) if s == 0 else np.abs((i + s) % (2 * s) - s)


_FIX = {  # fill mode -> index inside [0, n) that an out-of-range index reads
    "constant": lambda i, n: np.clip(i, 0, n - 1),
    "nearest": lambda i, n: np.clip(i, 0, n - 1),
    "wrap": lambda i, n: i % n,
    "mirror": _mirror,
    "reflect": lambda i, n: (_mirror(2 * i + 1, 2 * n + 1) - 1) // 2,
}


def _nodes(coord, order):
    """[(integer index array, weight)] of one axis: the nearest cell (order 0,
    half to even as torch.round), or the two cells around (order 1) with the
    weights as engine ops of the coordinate (so they carry its gradient)."""
    values = np.asarray(coord.numpy(), np.float64)
    if order == 0:
        return [(np.round(values).astype(np.int64), None)]
    lower = np.floor(values)
    upper_w = _C.apply("sub", [coord, lower.astype(np.float32)])
    return [(lower.astype(np.int64), _C.apply("sub", [_F(1), upper_w])),
            (lower.astype(np.int64) + 1, upper_w)]


def _sample(flat, axis, shape, coords, orders, fill_mode, fill_value):
    """Sum over the interpolation cell's corners of weight * value at the corner (or
    the fill value outside, in constant mode). flat holds the sampled axes (sizes
    shape) flattened into its axis `axis`; the axes before it (a batch) and after it
    (channels) are gathered whole, so the indices do not depend on the batch size."""
    out = None
    for corner in itertools.product(*(_nodes(c, o) for c, o in zip(coords, orders))):
        idx = [i for i, _ in corner]
        fixed = [_FIX[fill_mode](i, n) for i, n in zip(idx, shape)]
        value = take(flat, np.ravel_multi_index(fixed, shape), axis=axis)
        extra = len(flat.shape) - axis - 1  # trailing axes gathered whole
        if fill_mode == "constant":
            inside = np.logical_and.reduce([(i >= 0) & (i < n) for i, n in zip(idx, shape)])
            inside = inside.reshape(inside.shape + (1,) * extra).astype(np.float32)
            value = _C.apply("add", [_C.apply("mul", [value, inside]),
                                     (_F(fill_value) * (1 - inside)).astype(np.float32)])
        for _, w in corner:
            if w is not None:
                w = reshape(w, tuple(w.shape) + (1,) * extra) if extra else w
                value = _C.apply("mul", [value, w])
        out = value if out is None else _C.apply("add", [out, value])
    return out


def _check_fill(op, fill_mode, fill_value):
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"{op}: `fill_mode` must be one of {', '.join(_FILL_MODES)}, received "
                         f"fill_mode={fill_mode!r}")
    if not isinstance(fill_value, numbers.Real) or isinstance(fill_value, bool):
        raise ValueError(f"{op}: `fill_value` must be a number, received {fill_value!r}")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """Samples ``inputs`` at the given coordinates (``keras.ops.image.map_coordinates``,
    SciPy's ``ndimage.map_coordinates`` for orders 0 and 1).

    Parameters
    ----------
    inputs : Tensor or array_like
        Any rank ``d >= 1``.
    coordinates : array_like or sequence of d Tensors
        ``(d, ...)``: for each output position, its coordinate along every axis.
    order : {0, 1}
        Nearest (0) or linear (1) interpolation.
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}, default "constant"
        How positions outside are read; "constant" reads ``fill_value``.
    fill_value : float, default 0.0

    Returns
    -------
    Tensor
        The coordinates' shape without their first axis.

    Raises
    ------
    ValueError
        Coordinates that do not have one entry per axis of ``inputs``, an order
        other than 0 or 1, or an unknown fill mode.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32)
    >>> pynn.ops.image.map_coordinates(x, [[0.5, 2.25, 5.0]], order=1).numpy()
    array([0.5 , 2.25, 0.  ], dtype=float32)
    >>> pynn.ops.image.map_coordinates(x, [[-1.0, 4.0]], order=0, fill_mode="wrap").numpy()
    array([3., 0.], dtype=float32)
    """
    op = "map_coordinates"
    x = _tensor(inputs)
    coords = [_tensor(c) for c in (coordinates if isinstance(coordinates, (list, tuple))
                                   else list(np.asarray(coordinates)))]
    if len(coords) != len(x.shape):
        raise ValueError(f"{op}: `coordinates` must have one entry per axis of the input "
                         f"({len(x.shape)}), received {len(coords)}")
    if any(tuple(c.shape) != tuple(coords[0].shape) for c in coords) or not coords[0].shape:
        raise ValueError(f"{op}: every coordinate array must have the same shape, of rank >= 1; "
                         f"received {[tuple(c.shape) for c in coords]}")
    if order not in (0, 1):
        raise ValueError(f"{op}: `order` must be 0 or 1, received order={order!r}")
    _check_fill(op, fill_mode, fill_value)
    shape = tuple(int(d) for d in x.shape)
    return _sample(reshape(x, (-1,)), 0, shape, coords, [order] * len(shape), fill_mode,
                   fill_value)


_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Applies projective transforms to images (``keras.ops.image.affine_transform``).

    ``transform = [a0, a1, a2, b0, b1, b2, c0, c1]`` maps each output pixel
    ``(x, y)`` to the input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``
    with ``k = c0 x + c1 y + 1`` (TensorFlow's convention, which Keras documents).

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)``.
    transform : array_like
        ``(8,)`` or ``(N, 8)``, one per image.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}, default "constant"
    fill_value : float, default 0
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        The images' shape. The gradient reaches the images (the transform is used
        by value).

    Raises
    ------
    ValueError
        A bad rank, a transform not of 8 values per image, or unknown modes.

    Examples
    --------
    >>> x = np.arange(9, dtype=np.float32).reshape(3, 3, 1)
    >>> shift_right = [1, 0, -1, 0, 1, 0, 0, 0]  # output (x, y) reads input (x - 1, y)
    >>> pynn.ops.image.affine_transform(x, shift_right)[..., 0].numpy()
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]], dtype=float32)
    """
    op = "affine_transform"
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}: `interpolation` must be 'bilinear' or 'nearest', received "
                         f"interpolation={interpolation!r}")
    _check_fill(op, fill_mode, fill_value)
    x, _ = _images(op, images, data_format)
    single = len(x.shape) == 3
    if single:
        x = reshape(x, (1,) + tuple(x.shape))
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))
    n, h, w, c = (int(d) for d in x.shape)
    # float32 arithmetic in Keras' order (y b1 + x b0 + b2), so that coordinates on a
    # half-way point round as Keras' nearest sampling rounds them
    t = np.asarray(transform.numpy() if isinstance(transform, _C.Tensor) else transform,
                   np.float32)
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != 8 or t.shape[0] not in (1, n):
        raise ValueError(f"{op}: `transform` must be (8,) or (batch, 8) with batch {n}, "
                         f"received shape {t.shape}")
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))
    k = c0 * xx + c1 * yy + _F(1)
    rows = (yy * b1 + xx * b0 + b2) / k
    cols = (yy * a1 + xx * a0 + a2) / k
    order = _INTERPOLATIONS[interpolation]
    if len(t) == 1:  # one transform for every image: gathers along the pixels of each
        y = _sample(reshape(x, (-1, h * w, c)), 1, (h, w), [_tensor(rows[0]), _tensor(cols[0])],
                    [order, order], fill_mode, fill_value)
    else:  # one per image: the image index is a (exact) coordinate too
        batch = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None], rows.shape)
        y = _sample(reshape(x, (n * h * w, c)), 0, (n, h, w),
                    [_tensor(batch), _tensor(rows), _tensor(cols)], [0, order, order], fill_mode,
                    fill_value)
    if data_format == "channels_first":
        y = transpose(y, (0, 3, 1, 2))
    return reshape(y, tuple(y.shape)[1:]) if single else y
