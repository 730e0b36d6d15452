"""pynn.ops.shape: reshape, transpose, slicing, gathering and joining.

All of these only move values; forward and backward run in C (csrc/core/ops/
shape.c). Shapes are re-derived from the inputs whenever the compiled driver
changes the batch size, so pass ``-1`` for the batch axis in layer code
(``reshape(x, (-1, 8))``) and prefer open slices (``x[:, 1:]``) to bounds
computed from one batch.
"""
import math
import numbers
import sys
import types

import numpy as np

from .. import _C
from .batch_dim import BatchDim, count, follow_shape, follows, refuse, slice_key

__all__ = ["reshape", "transpose", "permute", "flatten", "expand_dims", "squeeze",
           "slice_axis", "getitem", "take", "concatenate", "stack", "broadcast_to"]

# Must match shape.c: an omitted slice bound and the index item kinds.
_NONE = -(2 ** 63)
_SLICE, _INDEX, _NEWAXIS = 0, 1, 2
_MAX_INPUTS = 8  # PN_MAX_INPUTS: longer joins are done in groups


def _tensor(x):
    """x as a Tensor. A layer weight (a Variable: an ndarray subclass holding its Tensor)
    stands for that Tensor, as in _C.apply, so that ops on a custom layer's self.w
    reach the weight's gradient; wrapping it afresh would make it a constant."""
    from ..tensor import Tensor
    if isinstance(x, _C.Tensor):
        return x
    if follows(x):  # the batch size as a value (ops.cast(ops.shape(x)[0], "float32"))
        return count(x)
    if isinstance(x, np.ndarray) and type(x) is not np.ndarray:
        t = getattr(x, "_tensor", None)
        if isinstance(t, _C.Tensor):
            return t
    return Tensor(x)


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


_INT64 = (-2 ** 63, 2 ** 63 - 1)


def _int_tuple(shape, what, valid="-1 or in [0, 9223372036854775807]", ndim=None):
    """Ints for a list attribute (shape, axes). The engine checks the values; one outside int64 could
    not even reach it (OverflowError naming nothing), so it is refused here with the
    attribute's valid range: ``valid``, or [-ndim, ndim - 1] for axes."""
    if _is_int(shape):
        shape = (shape,)
    try:
        out = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be an int or a sequence of ints, got {shape!r}") from None
    refuse(what.split(":")[0], out)
    for v in out:
        if not _is_int(v):
            raise TypeError(f"{what} must contain only ints, got {shape!r}")
        if not _INT64[0] <= v <= _INT64[1]:
            if ndim is not None:
                valid = f"in [{-ndim}, {ndim - 1}] (axes of a rank-{ndim} tensor)"
            raise ValueError(f"{what}: every entry must be {valid}, got {int(v)} in {shape!r}")
    return tuple(int(v) for v in out)


def _axis_attr(op, axis, ndim):
    """An int axis attribute: out-of-int64 values refused with the valid range (the
    engine reports in-range mistakes itself)."""
    if not _is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not _INT64[0] <= axis <= _INT64[1]:
        raise ValueError(f"{op}: axis must be in [{-ndim}, {ndim - 1}] for a tensor of rank "
                         f"{ndim}, got {int(axis)}")
    return int(axis)


def reshape(x, shape):
    """Returns ``x`` with a new shape of the same size.

    In layer code pass -1 for the batch axis (``reshape(x, (-1, 8))``): the
    compiled driver replays the graph with other batch sizes.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    shape : tuple of int
        The new shape; one entry may be -1 (inferred).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        The sizes differ, or more than one -1.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.reshape(x, (3, -1)).shape
    (3, 2)
    """
    x = _tensor(x)
    if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], BatchDim) \
            and len(x.shape) and x.shape[0] == int.__int__(shape[0]):  # (int() refuses it)
        shape = _batch_first(x, shape)
    elif isinstance(shape, (tuple, list)) and any(follows(d) for d in shape):
        shape = _batch_inferred(shape)
    return _C.apply("reshape", [x], shape=_int_tuple(shape, "reshape: shape"))


def _batch_inferred(shape):
    """A target holding one size that follows the batch (``(2 * n, d)``) and no -1: that
    entry becomes -1, which the engine infers from x's size at every replay."""
    batch = [i for i, d in enumerate(shape) if isinstance(d, BatchDim)]
    if len(batch) > 1 or any(not isinstance(d, BatchDim) and d == -1 for d in shape):
        raise ValueError(f"reshape: the shape {tuple(shape)!r} has sizes computed from "
                         "ops.shape(x)[0] (the batch size) besides another unknown one, which is "
                         "not supported inside a compiled model; give at most one such size and "
                         "no -1")
    return tuple(-1 if i == batch[0] else d for i, d in enumerate(shape))


def _batch_first(x, shape):
    """(batch, -1, h, d) with batch = ops.shape(x)[0] of a traced model: the batch
    becomes -1 (the model is replayed with other batch sizes) and another -1 is
    resolved from x's per-sample size, which does not change."""
    rest = [int(d) for d in shape[1:]]
    if rest.count(-1) == 1:
        per_sample = math.prod(x.shape[1:])
        known = math.prod(d for d in rest if d != -1)
        if known <= 0 or per_sample % known:
            return shape  # the engine names the mismatch
        rest[rest.index(-1)] = per_sample // known
    elif -1 in rest:
        return shape
    return (-1, *rest)


def transpose(x, axes=None):
    """Permutes the axes (NumPy semantics).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axes : tuple of int, optional
        The new order of the axes (default: reversed).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``axes`` is not a permutation of the axes.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.transpose(x).numpy()
    array([[0., 3.],
           [1., 4.],
           [2., 5.]], dtype=float32)
    """
    x = _tensor(x)
    iv = () if axes is None else _int_tuple(axes, "transpose: axes", ndim=x.ndim)
    return _C.apply("transpose", [x], axes=iv)


def permute(x, axes):
    """Permutes the axes in the given order (torch's ``permute``; `transpose` with explicit axes).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axes : tuple of int
        The new order of the axes.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.permute(np.zeros((2, 3, 4), np.float32), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return transpose(x, axes)


def flatten(x):
    """Returns ``x`` as a 1-D tensor (NumPy's ``ravel``).

    The `Flatten` layer keeps the batch axis instead.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.flatten(x).numpy()
    array([0., 1., 2., 3., 4., 5.], dtype=float32)
    """
    return reshape(x, (-1,))


def _batch_free(shape):
    # -1 on the leading axis lets a traced graph follow a new batch size; it is
    # only unambiguous when the other axes hold elements.
    shape = list(shape)
    if shape and int(np.prod(shape[1:])) > 0:
        shape[0] = -1
    return shape


def expand_dims(x, axis):
    """Inserts an axis of length 1.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : int
        Where the new axis goes (negative counts from the end).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``axis`` is out of range.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.expand_dims(x, -1).shape
    (2, 3, 1)
    """
    x = _tensor(x)
    nd = x.ndim + 1
    if not _is_int(axis) or not -nd <= axis < nd:
        raise ValueError(f"expand_dims: axis {axis!r} is out of range for a result of rank {nd}")
    # a stack of one tensor, not a reshape: its shape follows the input's when a traced
    # graph is replayed with another batch size wherever the batch axis is (a reshape
    # target names the batch by a -1 on axis 0 only: wrong for x of shape (3, batch, 3)
    # in einsum, or for a new axis 0)
    return _C.apply("stack", [x], axis=axis % nd)


def squeeze(x, axis=None):
    """Removes axes of length 1.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        The axes to remove (default: every axis of length 1).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A given axis whose length is not 1.

    Examples
    --------
    >>> pynn.ops.squeeze(np.zeros((2, 1, 3, 1), np.float32)).shape
    (2, 3)
    >>> pynn.ops.squeeze(np.zeros((2, 1, 3, 1), np.float32), axis=1).shape
    (2, 3, 1)
    """
    x = _tensor(x)
    if axis is None:
        axes = {i for i, d in enumerate(x.shape) if d == 1}
    else:
        axes = set()
        for a in _int_tuple(axis, "squeeze: axis", ndim=x.ndim):
            if not -x.ndim <= a < x.ndim:
                raise ValueError(f"squeeze: axis {a} is out of range for a tensor of shape {x.shape}")
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of a tensor of shape {x.shape}: "
                                 "its length is not 1")
            axes.add(a % x.ndim)
    shape = [d for i, d in enumerate(x.shape) if i not in axes]
    return reshape(x, _batch_free(shape) if 0 not in axes else shape)


def slice_axis(x, axis, start=None, stop=None, step=None):
    """Slices along one axis: ``x[..., start:stop:step, ...]`` (NumPy semantics).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : int
        The axis to slice.
    start, stop, step : int, optional
        The slice's bounds and step (None: open).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.slice_axis(x, 1, start=1).numpy()
    array([[1., 2.],
           [4., 5.]], dtype=float32)
    """
    x = _tensor(x)
    if not _is_int(axis) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"slice_axis: axis {axis!r} is out of range for a tensor of shape {x.shape}")
    key = [slice(None)] * (axis % x.ndim) + [slice(start, stop, step)]
    return getitem(x, tuple(key))


def _bound(v, what):
    if v is None:
        return _NONE
    if hasattr(v, "__index__") and not isinstance(v, (bool, np.bool_)):
        # NumPy clips slice bounds to the axis; clipping to +-2**62 first keeps
        # any Python int (t[10**20:]) representable in C without changing it.
        return max(-2 ** 62, min(2 ** 62, int(v.__index__())))
    raise TypeError(f"slice {what} must be an int or None, got {v!r}")


def _as_index_array(k):
    """An integer index array from a list/ndarray/Tensor key (None if k is not one)."""
    if isinstance(k, _C.Tensor):
        return k
    if isinstance(k, (list, np.ndarray)):
        a = np.asarray(k)
        if a.dtype == np.bool_:
            return a
        if a.size == 0:
            a = a.astype(np.int64)
        if not np.issubdtype(a.dtype, np.integer):
            raise IndexError("arrays used as indices must be of integer (or boolean) type, got "
                             f"{a.dtype}")
        return a
    return None


def getitem(x, key):
    """NumPy indexing of a Tensor (what ``tensor[key]`` does).

    Supports ints, slices, Ellipsis, None (new axis), negative indices, and one
    integer or boolean index array along one axis. Gradients flow back to the
    selected elements.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    key : int, slice, tuple, list or array
        The index, as for NumPy.

    Returns
    -------
    Tensor

    Raises
    ------
    IndexError
        An index out of range, or an unsupported key.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.getitem(x, (slice(None), -1)).numpy()
    array([2., 5.], dtype=float32)
    >>> pynn.ops.getitem(x, [1, 0]).numpy()
    array([[3., 4., 5.],
           [0., 1., 2.]], dtype=float32)
    """
    x = _tensor(x)
    if not isinstance(key, tuple):
        key = (key,)
    n_ell = sum(1 for k in key if k is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    arrays = [i for i, k in enumerate(key) if _as_index_array(k) is not None]
    if len(arrays) > 1:
        raise IndexError("only one integer or boolean array index is supported per indexing "
                         f"expression, got {len(arrays)}")
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor: tensor is {x.ndim}-dimensional, but "
                         f"{consumed} were indexed")
    if n_ell:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - consumed) + key[i + 1:]
    if _C.is_tracing() and any(isinstance(b, numbers.Real) and hasattr(b, "how")
                               for k in key for b in ((k.start, k.stop, k.step)
                                                      if isinstance(k, slice) else (k,))):
        # bounds computed from ops.shape(x)[0] (pynn.ops.batch_dim): follow the batch
        key, gathers = slice_key(x, key)
        if gathers:
            if arrays:
                raise IndexError("getitem: a slice bound computed from ops.shape(x)[0] and an "
                                 "index array in one key are not supported; index in two steps")
            y = getitem(x, key)
            for axis, idx in gathers:
                y = take(y, idx, axis=axis)
            return y
    # With an index array present, NumPy treats integers as index arrays too; if
    # these advanced indices are not adjacent, the array's axes go first.
    adv = [i for i, k in enumerate(key) if _is_int(k) or _as_index_array(k) is not None]
    to_front = bool(arrays) and adv[-1] - adv[0] + 1 != len(adv)
    iv, array_item, out_axis, ax = [], None, 0, 0
    for k in key:
        if k is None:
            iv += [_NEWAXIS, 0, 0, 0]
            out_axis += 1
        elif isinstance(k, slice):
            iv += [_SLICE, _bound(k.start, "start"), _bound(k.stop, "stop"), _bound(k.step, "step")]
            if k.step is not None and int(k.step) == 0:
                raise ValueError("slice step cannot be zero")
            out_axis += 1
            ax += 1
        elif _is_int(k):
            size = x.shape[ax]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for axis {ax} with size {size}")
            iv += [_INDEX, int(k), 0, 0]
            ax += 1
        elif _as_index_array(k) is not None:
            # the whole axis now, the take along it afterwards
            array_item = (_as_index_array(k), out_axis, ax)
            iv += [_SLICE, _NONE, _NONE, _NONE]
            out_axis += 1
            ax += 1
        else:
            raise IndexError("only integers, slices (':'), ellipsis ('...'), None (newaxis) and "
                             f"integer or boolean arrays are valid indices; got {type(k).__name__}")
    trivial = all(iv[i] == _SLICE and iv[i + 1:i + 4] == [_NONE] * 3 for i in range(0, len(iv), 4))
    y = x if trivial and array_item is not None else _C.apply("slice", [x], index=iv)
    if array_item is None:
        return y
    idx, axis, src_axis = array_item
    size = x.shape[src_axis]
    if isinstance(idx, np.ndarray):
        if idx.dtype == np.bool_:
            if idx.ndim != 1 or idx.shape[0] != size:
                raise IndexError(f"boolean index of shape {idx.shape} does not match axis "
                                 f"{src_axis} of size {size}")
            idx = np.flatnonzero(idx)
        bad = (idx < -size) | (idx >= size)
        if bad.any():
            raise IndexError(f"index {int(idx[bad].flat[0])} is out of bounds for axis "
                             f"{src_axis} with size {size}")
        if np.abs(idx).max(initial=0) >= 2 ** 24:
            raise IndexError("index arrays must stay below 2**24 (indices travel as float32)")
        idx = idx.astype(np.float32)
    out = take(y, idx, axis=axis)
    if to_front and axis:
        k = len(np.shape(idx)) if isinstance(idx, np.ndarray) else idx.ndim
        perm = list(range(axis, axis + k)) + [i for i in range(out.ndim)
                                              if not axis <= i < axis + k]
        out = transpose(out, perm)
    return out


def take(x, indices, axis=None):
    """Gathers elements along an axis at integer indices (NumPy's ``take``).

    Only ``x`` receives a gradient (accumulated at the gathered positions).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    indices : array_like of int
        Indices of any shape; negatives count from the end.
    axis : int or None, default None
        The axis to gather along; None gathers from the flattened ``x`` (as NumPy
        and Keras do).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An index out of range or not integer-valued (named with the bound).

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.take(x, [2, 0], axis=1).numpy()
    array([[2., 0.],
           [5., 3.]], dtype=float32)
    >>> pynn.ops.take(x, [[5, 0]]).numpy()
    array([[5., 0.]], dtype=float32)
    """
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis_attr("take", axis, x.ndim)
    return _C.apply("take", [x, _tensor(indices)], axis=axis)


def _join(op, tensors, axis):
    if isinstance(tensors, _C.Tensor) or not hasattr(tensors, "__len__"):
        raise TypeError(f"{op} expects a list or tuple of tensors")
    if not _is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    ts = [_tensor(t) for t in tensors]
    if not ts:
        raise ValueError(f"{op} needs at least one tensor")
    _axis_attr(op, axis, ts[0].ndim + (op == "stack"))
    return ts


def concatenate(tensors, axis=0):
    """Joins tensors along an existing axis (``keras.ops.concatenate``).

    Parameters
    ----------
    tensors : list of Tensor or array_like
        Tensors whose shapes match except along ``axis``.
    axis : int, default 0
        The axis to join along.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that differ off the axis.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.concatenate([x, x], axis=1).shape
    (2, 6)
    """
    ts = _join("concatenate", tensors, axis)
    while len(ts) > _MAX_INPUTS:  # the engine takes at most 8 inputs per op
        ts = [_C.apply("concatenate", ts[i:i + _MAX_INPUTS], axis=int(axis))
              for i in range(0, len(ts), _MAX_INPUTS)]
    return _C.apply("concatenate", ts, axis=int(axis))


def stack(tensors, axis=0):
    """Joins same-shaped tensors along a new axis.

    Parameters
    ----------
    tensors : list of Tensor or array_like
        Tensors of one shape.
    axis : int, default 0
        Where the new axis goes.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Tensors of different shapes.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> pynn.ops.stack([x, x, x]).shape
    (3, 2, 3)
    """
    ts = _join("stack", tensors, axis)
    if len(ts) <= _MAX_INPUTS:
        return _C.apply("stack", ts, axis=int(axis))
    nd = ts[0].ndim + 1
    if not -nd <= axis < nd:
        raise ValueError(f"stack: axis {axis} is out of range for a result of rank {nd}")
    return concatenate([expand_dims(t, axis % nd) for t in ts], axis=axis % nd)


def broadcast_to(x, shape):
    """Repeats ``x`` to a shape (NumPy's broadcasting rules).

    The gradient sums over the repeated axes.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    shape : tuple of int
        The target shape; -1 keeps x's size on that axis.
        In a compiled model's call(), a size computed from ``ops.shape(x)[0]``
        follows the batch (see pynn.ops.batch_dim).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.broadcast_to(np.array([1.0, 2.0], np.float32), (2, 2)).numpy()
    array([[1., 2.],
           [1., 2.]], dtype=float32)
    """
    if isinstance(shape, (tuple, list)) and any(follows(d) for d in shape):
        x = _tensor(x)
        if len(shape) < x.ndim:
            raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to "
                             f"the shorter shape {tuple(shape)!r}")
        return follow_shape(x, shape)
    return _C.apply("broadcast_to", [_tensor(x)], shape=_int_tuple(shape, "broadcast_to: shape"))


class _CallableModule(types.ModuleType):
    """keras.ops.shape(x) is a function, and pynn.ops.shape is this module of shape
    ops: the module is callable so that both spellings work."""

    def __call__(self, x):
        """keras.ops.shape: the shape of x as a tuple of ints."""
        if not isinstance(x, _C.Tensor):
            return tuple(np.shape(x))
        shape = tuple(x.shape)
        if shape and _C.is_tracing():
            shape = (BatchDim(shape[0], x),) + shape[1:]
        return shape


sys.modules[__name__].__class__ = _CallableModule
