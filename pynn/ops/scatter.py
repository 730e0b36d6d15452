"""pynn.ops.scatter: ``keras.ops`` that write into parts of a tensor — scatter,
scatter_update, slice, slice_update — and select (``np.select``), composed of
engine ops (gathers, segment sums, masks and `where`), so gradients reach both
the tensor and what is written into it.

Their indices address every axis, the batch axis included, so inside a model
being traced (replayed at every batch size) they refuse to index a tensor computed
from the model's inputs (use ``x[:, a:b]`` indexing there); weights and constants,
which have no batch axis, slice there as anywhere."""
import builtins
import numbers

import numpy as np

from .. import _C
from .compare import where
from .segment import segment_sum
from .layout import pad
from .shape import _tensor, getitem, reshape, take

__all__ = ["scatter", "scatter_update", "slice", "slice_update", "select"]

_F = np.float32


def _batch_free(*tensors):
    """Whether none of these (Tensors or arrays) holds the batch axis of a traced model."""
    return not any(isinstance(t, _C.Tensor) and _C.is_batched(t) for t in tensors)


def _eager_indices(op, indices, batch_free=False):
    if _C.is_tracing() and not (batch_free and _batch_free(indices)):
        raise ValueError(f"{op} inside a model: its indices address the batch axis too, whose "
                         "length changes from batch to batch; use x[:, a:b] indexing, or call "
                         "it eagerly")
    v = indices.numpy() if isinstance(indices, _C.Tensor) else np.asarray(indices)
    if v.size and (v.dtype.kind not in "iuf" or np.any(v != np.round(v))):
        raise ValueError(f"{op}: indices must be whole numbers, got {v.ravel()[:4]!r}")
    return v.astype(np.int64)


def _flat_positions(op, idx, shape):
    """Rows of idx (k, d) as positions in the first d axes of shape, checked."""
    d = idx.shape[-1]
    if d > len(shape):
        raise ValueError(f"{op}: indices of depth {d} for a shape of rank {len(shape)}")
    lead = shape[:d]
    rows = idx.reshape(-1, d)
    bad = (rows < 0) | (rows >= np.asarray(lead, np.int64))
    if np.any(bad):
        raise ValueError(f"{op}: index {rows[np.any(bad, axis=1)][0].tolist()} is out of range "
                         f"for shape {tuple(shape)}")
    return np.ravel_multi_index(rows.T, lead) if rows.size else np.zeros(0, np.int64), \
        int(np.prod(lead))


def scatter(indices, values, shape):
    """A tensor of zeros of ``shape`` with ``values`` added at ``indices`` (``keras.ops.scatter``).

    Parameters
    ----------
    indices : Tensor or array_like of int
        ``(..., d)``: each row indexes the first d axes of ``shape``.
    values : Tensor or array_like
        ``indices.shape[:-1] + shape[d:]``; repeated indices add up.
    shape : tuple of int
        The result's shape.

    Returns
    -------
    Tensor
        Differentiable in ``values``.

    Raises
    ------
    ValueError
        Indices out of range or not whole numbers, values of the wrong
        shape, a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.scatter([[0, 1], [2, 0], [0, 1]], np.array([1.0, 2.0, 3.0], np.float32), (3, 2)).numpy()
    array([[0., 4.],
           [0., 0.],
           [2., 0.]], dtype=float32)
    """
    idx = _eager_indices("scatter", indices)
    shape = tuple(int(s) for s in shape)
    if idx.ndim < 1:
        raise ValueError(f"scatter: indices must have at least 1 axis, got shape {idx.shape}")
    pos, n = _flat_positions("scatter", idx, shape)
    values = _tensor(values)
    want = idx.shape[:-1] + shape[idx.shape[-1]:]
    if values.shape != want:
        raise ValueError(f"scatter: values must have shape {want} for indices {idx.shape} and "
                         f"shape {shape}, got {values.shape}")
    rows = reshape(values, (len(pos),) + shape[idx.shape[-1]:])
    return reshape(segment_sum(rows, pos, num_segments=n), shape)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries at ``indices`` replaced (or combined) by ``updates`` (``keras.ops.scatter_update``).

    Parameters
    ----------
    inputs : Tensor or array_like
        The tensor written into.
    indices : Tensor or array_like of int
        ``(k, d)``: each row indexes the first d axes of ``inputs``.
    updates : Tensor or array_like
        ``(k,) + inputs.shape[d:]``.
    reduction : {None, "add", "max", "min", "mul"}, optional
        None: replace (the last of repeated indices wins); else combine the
        old value with each update.

    Returns
    -------
    Tensor
        Differentiable in ``inputs`` (where not replaced) and ``updates``.

    Raises
    ------
    ValueError
        Indices out of range or not whole numbers, updates of the wrong shape,
        an unknown reduction, a call inside a model being traced.

    Examples
    --------
    >>> x = np.zeros((2, 3), np.float32)
    >>> pynn.ops.scatter_update(x, [[0, 1], [1, 2]], np.array([5.0, 6.0], np.float32)).numpy()
    array([[0., 5., 0.],
           [0., 0., 6.]], dtype=float32)
    """
    if reduction not in (None, "add", "max", "min", "mul"):
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or 'mul', "
                         f"got {reduction!r}")
    idx = _eager_indices("scatter_update", indices)
    x = _tensor(inputs)
    if idx.ndim != 2:
        raise ValueError(f"scatter_update: indices must be (k, d), got shape {idx.shape}")
    pos, n = _flat_positions("scatter_update", idx, x.shape)
    rest = x.shape[idx.shape[1]:]
    updates = _tensor(updates)
    if updates.shape != (len(pos),) + rest:
        raise ValueError(f"scatter_update: updates must have shape {(len(pos),) + rest}, got "
                         f"{updates.shape}")
    flat = reshape(x, (n,) + rest)
    mask_shape = (n,) + (1,) * len(rest)
    if reduction == "add":
        out = _C.apply("add", [flat, segment_sum(updates, pos, num_segments=n)])
    elif reduction is None:
        last = np.full(n, -1)
        last[pos] = np.arange(len(pos))  # NumPy assigns in order: the last repeat wins
        hit = (last >= 0).reshape(mask_shape).astype(_F)
        picked = take(updates, np.maximum(last, 0).astype(_F), axis=0) if len(pos) else flat
        out = where(hit, picked, flat)
    else:
        combine = {"max": "maximum", "min": "minimum", "mul": "mul"}[reduction]
        out = flat
        for k, p in enumerate(pos):  # one masked step per update, in order
            row = np.zeros(mask_shape, _F)
            row[p] = 1
            out = where(row, _C.apply(combine, [out, getitem(updates, k)]), out)
    return reshape(out, x.shape)


def _starts(op, start_indices, ndim, batch_free):
    s = _eager_indices(op, start_indices, batch_free).reshape(-1)
    if s.shape != (ndim,):
        raise ValueError(f"{op}: start_indices must hold one start per axis ({ndim}), got {s.size}")
    return [int(v) for v in s]


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` at ``start_indices`` of size ``shape`` (``keras.ops.slice``).

    Parameters
    ----------
    inputs : Tensor or array_like
        Input.
    start_indices : sequence of int or Tensor
        One start per axis.
    shape : sequence of int
        The block's size per axis.

    Returns
    -------
    Tensor
        Differentiable.

    Raises
    ------
    ValueError
        Starts or sizes that do not fit ``inputs``, a call inside a model being
        traced on a tensor computed from its inputs (weights and constants slice
        there too).

    Examples
    --------
    >>> x = np.arange(12, dtype=np.float32).reshape(3, 4)
    >>> pynn.ops.slice(x, (1, 1), (2, 2)).numpy()
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """
    x = _tensor(inputs)
    starts = _starts("slice", start_indices, x.ndim, _batch_free(x))
    sizes = [int(v) for v in (shape.numpy() if isinstance(shape, _C.Tensor) else shape)]
    if len(sizes) != x.ndim or any(s < 0 or z < 0 or s + z > d
                                   for s, z, d in zip(starts, sizes, x.shape)):
        raise ValueError(f"slice: start {starts} and shape {sizes} do not fit inputs of shape "
                         f"{x.shape}")
    return getitem(x, tuple(builtins.slice(s, s + z) for s, z in zip(starts, sizes)))


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates`` (``keras.ops.slice_update``).

    Parameters
    ----------
    inputs : Tensor or array_like
        The tensor written into.
    start_indices : sequence of int or Tensor
        One start per axis.
    updates : Tensor or array_like
        The block (its shape is the block's size).

    Returns
    -------
    Tensor
        Differentiable in ``inputs`` (outside the block) and ``updates``.

    Raises
    ------
    ValueError
        A block that does not fit ``inputs``, a call inside a model being traced on
        tensors computed from its inputs.

    Examples
    --------
    >>> x = np.zeros((2, 3), np.float32)
    >>> pynn.ops.slice_update(x, (1, 1), np.array([[7.0, 8.0]], np.float32)).numpy()
    array([[0., 0., 0.],
           [0., 7., 8.]], dtype=float32)
    """
    x = _tensor(inputs)
    u = _tensor(updates)
    starts = _starts("slice_update", start_indices, x.ndim, _batch_free(x, u))
    if u.ndim != x.ndim or any(s < 0 or s + z > d for s, z, d in zip(starts, u.shape, x.shape)):
        raise ValueError(f"slice_update: updates of shape {u.shape} at {starts} do not fit inputs "
                         f"of shape {x.shape}")
    widths = [(s, d - s - z) for s, z, d in zip(starts, u.shape, x.shape)]
    mask = np.zeros(x.shape, _F)
    mask[tuple(builtins.slice(s, s + z) for s, z in zip(starts, u.shape))] = 1
    return where(mask, pad(u, widths), x)


def select(condlist, choicelist, default=0):
    """Per element, the choice of the first condition that holds (``keras.ops.select``).

    Parameters
    ----------
    condlist : sequence of (Tensor or array_like)
        Conditions (nonzero: holds).
    choicelist : sequence of (Tensor or array_like)
        One value per condition.
    default : float or Tensor, default 0
        Where no condition holds.

    Returns
    -------
    Tensor
        Broadcast of them all; differentiable in the choices and the default.

    Raises
    ------
    ValueError
        Lists of different lengths, or empty; shapes that do not broadcast.

    Examples
    --------
    >>> x = np.array([-2.0, 0.5, 3.0], np.float32)
    >>> pynn.ops.select([x < 0, x > 1], [-x, x * 10], default=7.0).numpy()
    array([ 2.,  7., 30.], dtype=float32)
    """
    condlist, choicelist = list(condlist), list(choicelist)
    if not condlist or len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have one length (> 0), got "
                         f"{len(condlist)} and {len(choicelist)}")
    out = _tensor(np.float32(default) if isinstance(default, numbers.Number) else default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(c, v, out)
    return out
