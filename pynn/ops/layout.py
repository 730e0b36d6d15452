"""pynn.ops.layout: keras.ops that rearrange values along axes — split, tile,
repeat, pad, flip, roll, take_along_axis, triu, tril — composed of engine ops
(slices, gathers, broadcasts, reshapes, where), so they differentiate and trace
into a compiled model like any op.

The compiled driver traces a model with a batch of one and replays it at other
batch sizes. An op whose constants depend on the length of the axis it works
along (the indices of a pad, the cut of a roll) would bake in that length, so
along the batch axis of a model being traced these raise instead of answering
wrong at the next batch size."""
import numbers

import numpy as np

from .. import _C
from .batch_dim import follows, refuse, zeros_along
from .compare import where
from .shape import (_axis_attr, _is_int, _tensor, broadcast_to, concatenate, expand_dims,
                    reshape, slice_axis, take, transpose)

__all__ = ["split", "tile", "repeat", "pad", "flip", "roll", "take_along_axis", "triu", "tril"]


def _fixed_axis(op, x, axis):
    """axis in [0, ndim), refused along the batch axis of a model being traced (see above)."""
    axis = _axis_attr(op, axis, x.ndim)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    axis %= x.ndim
    if axis == 0 and _C.is_tracing():
        raise ValueError(f"{op} along axis 0 inside a model: that is the batch axis, whose length "
                         "changes from batch to batch; use it on the other axes, or eagerly")
    return axis


def _merge(x, axis):
    """Merges axes axis and axis + 1 of x into one (the batch axis stays -1)."""
    shape = list(x.shape)
    shape[axis:axis + 2] = [shape[axis] * shape[axis + 1]]
    shape[0] = -1
    return reshape(x, shape)


def split(x, indices_or_sections, axis=0):
    """Splits ``x`` into pieces along an axis (``keras.ops.split``, NumPy's ``split``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    indices_or_sections : int or sequence of int
        A number of equal pieces, or the indices where the cuts go.
    axis : int, default 0
        The axis to split.

    Returns
    -------
    list of Tensor
        The pieces; each passes its gradient back to its part of ``x``.

    Raises
    ------
    ValueError
        A number of pieces that does not divide the axis, or the batch axis of a
        model being traced.

    Examples
    --------
    >>> a, b = pynn.ops.split(np.arange(6, dtype=np.float32).reshape(2, 3), [1], axis=1)
    >>> a.shape, b.shape
    ((2, 1), (2, 2))
    """
    x = _tensor(x)
    axis = _fixed_axis("split", x, axis)
    n = x.shape[axis]
    if _is_int(indices_or_sections):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"split: {k} equal pieces do not divide axis {axis} of length {n} "
                             f"(shape {x.shape})")
        cuts = [n // k * i for i in range(1, k)]
    else:
        try:
            cuts = [int(c) for c in indices_or_sections]
        except (TypeError, ValueError):
            raise TypeError("split: indices_or_sections must be an int or a sequence of ints, got "
                            f"{indices_or_sections!r}") from None
    bounds = [0] + [c % n if c < 0 else min(c, n) for c in cuts] + [n]
    return [slice_axis(x, axis, lo, max(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _repeats(op, repeats):
    if isinstance(repeats, (tuple, list)):
        refuse(op, repeats)
        if any(follows(r) for r in repeats):  # np.asarray would drop the batch it follows
            return list(repeats)
    refuse(op, (repeats,))
    if follows(repeats):
        return [repeats]
    reps = [repeats] if _is_int(repeats) else list(np.asarray(repeats).reshape(-1))
    # a Tensor of counts (keras.ops.concatenate of shapes, as Keras code builds them)
    # holds whole floats
    reps = [int(r) if isinstance(r, np.floating) and float(r).is_integer() else r for r in reps]
    if not all(_is_int(r) and r >= 0 for r in reps):
        raise ValueError(f"{op}: repeats must be non-negative ints, got {repeats!r}")
    return [r if follows(r) else int(r) for r in reps]


def _batch_copies(op, x, axis, copies):
    """x with a new axis before ``axis`` holding ``copies`` (ops.shape(y)[0] of a traced
    model) copies of it, merged into ``axis``: only on axis 0, where the merged length
    can be left to the engine (-1) at every replay."""
    if axis != 0:
        raise ValueError(f"{op}: a count computed from ops.shape(x)[0] (the batch size) is only "
                         f"supported on axis 0 inside a compiled model, got it for axis {axis}")
    y = _C.apply("add", [expand_dims(x, axis), zeros_along(copies, axis, x.ndim + 1)])
    return reshape(y, (-1,) + tuple(x.shape[1:]))


def tile(x, repeats):
    """Repeats the whole of ``x`` along each axis (``keras.ops.tile``, NumPy's ``tile``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    repeats : int or sequence of int
        Copies per axis, aligned to the last axes (leading axes are added when it
        is longer than ``x.ndim``).
        In a compiled model's call(), a count computed from ``ops.shape(x)[0]``
        follows the batch on axis 0 (see pynn.ops.batch_dim).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Negative repeats.

    Examples
    --------
    >>> pynn.ops.tile(np.array([[1.0, 2.0]], np.float32), (2, 2)).numpy()
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]], dtype=float32)
    """
    x = _tensor(x)
    reps = _repeats("tile", repeats)
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.shape))
    reps = [1] * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if follows(r):  # (n, ..) -> (batch, n, ..) -> (batch * n, ..)
            x = _batch_copies("tile", x, axis, r)
        elif r != 1:  # (.., n, ..) -> (.., r, n, ..) -> (.., r * n, ..)
            y = expand_dims(x, axis)
            y = broadcast_to(y, [-1] * axis + [r] + list(x.shape[axis:]))
            x = _merge(y, axis)
    return x


def repeat(x, repeats, axis=None):
    """Repeats each element of ``x`` (``keras.ops.repeat``, NumPy's ``repeat``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    repeats : int or sequence of int
        Copies of every element, or one count per element along ``axis``.
        In a compiled model's call(), a count computed from ``ops.shape(x)[0]``
        follows the batch on axis 0 (see pynn.ops.batch_dim).
    axis : int, optional
        The axis to repeat along; None flattens ``x`` first.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Negative repeats, or as many counts as there are elements along the axis.

    Examples
    --------
    >>> pynn.ops.repeat(np.array([[1.0, 2.0]], np.float32), 2, axis=1).numpy()
    array([[1., 1., 2., 2.]], dtype=float32)
    >>> pynn.ops.repeat(np.array([1.0, 2.0], np.float32), [1, 3]).numpy()
    array([1., 2., 2., 2.], dtype=float32)
    """
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis_attr("repeat", axis, x.ndim) % max(x.ndim, 1)
    reps = _repeats("repeat", repeats)
    if len(reps) == 1 and follows(reps[0]):  # (n, ..) -> (n, batch, ..) -> (n * batch, ..)
        if axis != 0:
            _batch_copies("repeat", x, axis, reps[0])  # refuses
        return reshape(_C.apply("add", [expand_dims(x, 1), zeros_along(reps[0], 1, x.ndim + 1)]),
                       (-1,) + tuple(x.shape[1:]))
    if len(reps) == 1:  # (.., n, ..) -> (.., n, r, ..) -> (.., n * r, ..)
        y = expand_dims(x, axis + 1)
        y = broadcast_to(y, [-1] * (axis + 1) + reps + list(x.shape[axis + 1:]))
        return _merge(y, axis)
    axis = _fixed_axis("repeat", x, axis)
    if len(reps) != x.shape[axis]:
        raise ValueError(f"repeat: {len(reps)} counts for axis {axis} of length {x.shape[axis]}")
    return take(x, np.repeat(np.arange(len(reps)), reps), axis=axis)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_width(pad_width, ndim):
    w = np.asarray(pad_width)
    if w.dtype.kind not in "iu" or (w < 0).any():
        raise ValueError(f"pad: pad_width must hold non-negative ints, got {pad_width!r}")
    try:
        return np.broadcast_to(w, (ndim, 2)).tolist()
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of rank {ndim} "
                         "(give (before, after) per axis)") from None


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads ``x`` (``keras.ops.pad``, NumPy's ``pad``).

    Each padded axis is one gather of ``x`` at the indices NumPy's ``pad`` gives
    ``arange(n)``, and for ``"constant"`` a select of the value, so the gradient
    reaches every element the padding copied.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    pad_width : int or sequence
        ``(before, after)`` per axis, one pair for all axes, or one int.
    mode : {"constant", "edge", "reflect", "symmetric", "wrap"}, default "constant"
        NumPy's modes of those names.
    constant_values : float, optional
        The fill for ``"constant"`` (0 by default).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An unknown mode, a bad ``pad_width``, ``constant_values`` with another
        mode, an empty axis padded by copying, or padding the batch axis of a
        model being traced.

    Examples
    --------
    >>> pynn.ops.pad(np.array([[1.0, 2.0]], np.float32), ((0, 0), (1, 2)), constant_values=9).numpy()
    array([[9., 1., 2., 9., 9.]], dtype=float32)
    >>> pynn.ops.pad(np.array([1.0, 2.0, 3.0], np.float32), 2, mode="reflect").numpy()
    array([3., 2., 1., 2., 3., 2., 1.], dtype=float32)
    """
    x = _tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: constant_values is only for mode='constant', got mode={mode!r}")
    if constant_values is not None and not isinstance(constant_values, numbers.Real):
        raise TypeError(f"pad: constant_values must be a number, got {constant_values!r}")
    for axis, (before, after) in enumerate(_pad_width(pad_width, x.ndim)):
        if not before and not after:
            continue
        axis = _fixed_axis("pad", x, axis)
        n = x.shape[axis]
        try:
            index = np.pad(np.arange(n), (before, after),
                           mode="edge" if mode == "constant" else mode)
        except ValueError:
            raise ValueError(f"pad: mode {mode!r} cannot pad axis {axis} of length {n} by "
                             f"{(before, after)}") from None
        y = take(x, index, axis=axis)
        if mode == "constant":
            keep = np.zeros(n + before + after, np.float32)
            keep[before:before + n] = 1
            keep = keep.reshape((-1,) + (1,) * (x.ndim - axis - 1))
            y = where(keep, y, np.float32(constant_values or 0))
        x = y
    return x


def flip(x, axis=None):
    """Reverses the order of elements along axes (``keras.ops.flip``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int or tuple of int, optional
        The axes to reverse; None reverses all.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range.

    Examples
    --------
    >>> pynn.ops.flip(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), axis=1).numpy()
    array([[2., 1.],
           [4., 3.]], dtype=float32)
    """
    x = _tensor(x)
    axes = range(x.ndim) if axis is None else ([axis] if _is_int(axis) else list(axis))
    for a in axes:
        a = _axis_attr("flip", a, x.ndim)
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"flip: axis {a} is out of range for a tensor of shape {x.shape}")
        x = slice_axis(x, a, None, None, -1)  # an open slice: follows the batch size
    return x


def roll(x, shift, axis=None):
    """Rolls elements along an axis; those pushed off one end come back at the other.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    shift : int or tuple of int
        Places to move (positive: toward higher indices).
    axis : int or tuple of int, optional
        The axes (one per shift); None rolls the flattened tensor and restores
        the shape.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shifts and axes of different lengths, or the batch axis of a model being
        traced.

    Examples
    --------
    >>> pynn.ops.roll(np.array([1.0, 2.0, 3.0, 4.0], np.float32), 1).numpy()
    array([4., 1., 2., 3.], dtype=float32)
    """
    x = _tensor(x)
    if axis is None:
        if _C.is_tracing():
            raise ValueError("roll without an axis inside a model: the flattened tensor includes "
                             "the batch axis; give the axis")
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    shifts = [shift] if _is_int(shift) else list(shift)
    axes = [axis] if _is_int(axis) else list(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes) or not all(_is_int(s) for s in shifts):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must pair up (ints)")
    for s, a in zip(shifts, axes):
        a = _fixed_axis("roll", x, a)
        n = x.shape[a]
        s = int(s) % n if n else 0
        if s:
            x = concatenate([slice_axis(x, a, n - s, None), slice_axis(x, a, None, n - s)], axis=a)
    return x


def _one_hot_gather(x, index, axis):
    """x gathered along axis at a traced tensor of indices: a select of the position
    that equals each index, summed (differentiable in x, no constant from the batch)."""
    x_last = transpose(x, [i for i in range(x.ndim) if i != axis] + [axis])
    i_last = transpose(index, [i for i in range(index.ndim) if i != axis] + [axis])
    n = x.shape[axis]
    i_last = i_last + _C.apply("less", [i_last, np.float32(0)]) * float(n)  # negatives from the end
    hit = _C.apply("equal", [expand_dims(i_last, -1), np.arange(n, dtype=np.float32)])
    picked = where(hit, expand_dims(x_last, -2), np.float32(0))
    out = _C.apply("sum", [picked], axis=(-1,), reduce_all=False)
    back = list(range(axis)) + [out.ndim - 1] + list(range(axis, out.ndim - 1))
    return transpose(out, back)


def take_along_axis(x, indices, axis=None):
    """Picks values of ``x`` at ``indices`` along an axis (NumPy's ``take_along_axis``).

    Eagerly this is one gather of the flattened ``x``; in a model being traced,
    whose indices change from batch to batch, each pick is a select of the
    matching position (memory ``len(axis)`` times the result's).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    indices : Tensor or array_like of int
        Indices of ``x``'s rank (axes other than ``axis`` broadcast); negatives
        count from the end.
    axis : int, optional
        The axis to pick along; None uses the flattened ``x``.

    Returns
    -------
    Tensor
        The picked values; the gradient reaches ``x`` only.

    Raises
    ------
    ValueError
        Indices of another rank, out of range, or not whole numbers.

    Examples
    --------
    >>> x = np.array([[10.0, 30.0, 20.0]], np.float32)
    >>> pynn.ops.take_along_axis(x, np.array([[1, 2]]), axis=1).numpy()
    array([[30., 20.]], dtype=float32)
    """
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis_attr("take_along_axis", axis, x.ndim)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"take_along_axis: axis {axis} is out of range for shape {x.shape}")
    axis %= x.ndim
    if _C.is_tracing():
        indices = _tensor(indices if isinstance(indices, _C.Tensor)
                          else np.asarray(indices, np.float32))
        if indices.ndim != x.ndim:
            raise ValueError(f"take_along_axis: indices of rank {indices.ndim} for x of shape "
                             f"{x.shape} (the same rank is needed)")
        return _one_hot_gather(x, indices, axis)
    idx = np.asarray(indices.numpy() if isinstance(indices, _C.Tensor) else indices)
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} for x of shape {x.shape} "
                         "(the same rank is needed)")
    n = x.shape[axis]
    if idx.size and (np.any(idx != np.round(idx)) or idx.min() < -n or idx.max() >= n):
        raise ValueError(f"take_along_axis: indices must be whole numbers in [{-n}, {n - 1}] for "
                         f"axis {axis} of shape {x.shape}")
    idx = idx.astype(np.int64) % max(n, 1)
    shape = [max(a, b) if a == 1 or b == 1 else a for a, b in zip(idx.shape, x.shape)]
    shape[axis] = idx.shape[axis]
    try:
        idx = np.broadcast_to(idx, shape)
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast against "
                         f"x of shape {x.shape} off axis {axis}") from None
    full = list(shape)
    full[axis] = n
    x = broadcast_to(x, full)
    flat = np.ravel_multi_index(tuple(np.indices(shape)[:axis]) + (idx,) +
                                tuple(np.indices(shape)[axis + 1:]), full) if idx.size else idx
    return reshape(take(reshape(x, (-1,)), flat.reshape(-1)), shape)


def _triangle(op, x, k, lower):
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{op}: x must have at least 2 dimensions, got shape {x.shape}")
    if not _is_int(k):
        raise TypeError(f"{op}: k must be an int, got {k!r}")
    if x.ndim == 2 and _C.is_tracing():
        raise ValueError(f"{op} of a (batch, n) tensor inside a model: its rows are the batch; "
                         "use it on (batch, m, n) tensors")
    m, n = x.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((m, n), np.float32), int(k))
    return where(keep, x, np.float32(0))


def triu(x, k=0):
    """The upper triangle of the last two axes of ``x`` (below it: zeros).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank 2 or more.
    k : int, default 0
        The diagonal above which zeros stop (0: main, >0 above it).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Rank below 2.

    Examples
    --------
    >>> pynn.ops.triu(np.ones((2, 3), np.float32)).numpy()
    array([[1., 1., 1.],
           [0., 1., 1.]], dtype=float32)
    """
    return _triangle("triu", x, k, lower=False)


def tril(x, k=0):
    """The lower triangle of the last two axes of ``x`` (above it: zeros).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank 2 or more.
    k : int, default 0
        The diagonal below which values are kept (0: main, >0 above it).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Rank below 2.

    Examples
    --------
    >>> pynn.ops.tril(np.ones((2, 3), np.float32)).numpy()
    array([[1., 0., 0.],
           [1., 1., 0.]], dtype=float32)
    """
    return _triangle("tril", x, k, lower=True)
