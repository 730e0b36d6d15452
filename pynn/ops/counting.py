"""pynn.ops.counting: ``keras.ops`` that place values among others or count them —
searchsorted, digitize (engine comparisons, summed: they trace into a model),
histogram, bincount and unique (NumPy, eagerly: their output's length or edges
depend on the data). Positions and counts are whole numbers as float32; none
has a gradient (nor has it in Keras' torch backend)."""
import numbers

import numpy as np

from .. import _C
from .shape import _tensor, expand_dims

__all__ = ["searchsorted", "digitize", "histogram", "bincount", "unique"]

_F = np.float32


def _constant_1d(op, name, v):
    if isinstance(v, _C.Tensor) and _C.is_tracing():
        raise ValueError(f"{op} inside a model: {name} must be a constant (an array), not a tensor "
                         "of the model")
    t = _tensor(v)
    if t.ndim != 1:
        raise ValueError(f"{op}: {name} must be 1-D, got shape {t.shape}")
    return t


def _count_before(seq, values, cmp):
    """For each value: how many entries of seq satisfy cmp(entry, value)."""
    v = expand_dims(_tensor(values), -1)
    return _C.apply("sum", [_C.apply(cmp, [seq, v])], axis=(-1,), keepdims=False, reduce_all=False)


def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would be inserted into a sorted 1-D sequence (``keras.ops.searchsorted``).

    Parameters
    ----------
    sorted_sequence : Tensor or array_like
        1-D, ascending.
    values : Tensor or array_like
        Any shape.
    side : {"left", "right"}, default "left"
        left: the first position that keeps the order (before equal
        entries); right: the last (after them).

    Returns
    -------
    Tensor
        Positions, shaped like ``values`` (whole numbers as float32).

    Raises
    ------
    ValueError
        A sequence that is not 1-D, an unknown side, a sequence that is a
        tensor of a model being traced.

    Examples
    --------
    >>> seq = np.array([1.0, 2.0, 2.0, 5.0], np.float32)
    >>> pynn.ops.searchsorted(seq, np.array([2.0, 6.0], np.float32)).numpy()
    array([1., 4.], dtype=float32)
    >>> pynn.ops.searchsorted(seq, np.array([2.0], np.float32), side="right").numpy()
    array([3.], dtype=float32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    seq = _constant_1d("searchsorted", "sorted_sequence", sorted_sequence)
    return _count_before(seq, values, "less" if side == "left" else "less_equal")


def digitize(x, bins):
    """The index of the bin each value falls in (``keras.ops.digitize``).

    Parameters
    ----------
    x : Tensor or array_like
        Values.
    bins : Tensor or array_like
        1-D, ascending edges.

    Returns
    -------
    Tensor
        ``i`` with ``bins[i - 1] <= x < bins[i]`` (0 below the first edge,
        ``len(bins)`` from the last), shaped like ``x``.

    Raises
    ------
    ValueError
        Bins that are not 1-D, or a tensor of a model being traced.

    Examples
    --------
    >>> pynn.ops.digitize(np.array([0.5, 1.0, 3.0], np.float32), np.array([1.0, 2.0], np.float32)).numpy()
    array([0., 1., 2.], dtype=float32)
    """
    return _count_before(_constant_1d("digitize", "bins", bins), x, "less_equal")


def _eager(op, x):
    if _C.is_tracing():
        raise ValueError(f"{op} inside a model: the length of its result depends on the data; "
                         "call it eagerly")
    return _tensor(x).numpy()


def histogram(x, bins=10, range=None):
    """Counts of values in equal-width bins (``keras.ops.histogram``).

    Parameters
    ----------
    x : Tensor or array_like
        1-D values.
    bins : int, default 10
        The number of bins.
    range : tuple of 2 float, optional
        The lower and upper edges (default the smallest and largest value);
        values outside are not counted. The last bin includes its upper edge.

    Returns
    -------
    tuple of Tensor
        ``(counts, edges)``: ``(bins,)`` and ``(bins + 1,)``.

    Raises
    ------
    ValueError
        ``x`` not 1-D, a bad ``bins`` or ``range``, a call inside a model being traced.

    Examples
    --------
    >>> counts, edges = pynn.ops.histogram(np.array([0.0, 1.0, 1.5, 4.0], np.float32), bins=4)
    >>> counts.numpy(), edges.numpy()
    (array([1., 2., 0., 1.], dtype=float32), array([0., 1., 2., 3., 4.], dtype=float32))
    """
    from ..tensor import Tensor
    v = _eager("histogram", x)
    if v.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D, got shape {v.shape}")
    if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"histogram: bins must be a positive int, got {bins!r}")
    if range is not None:
        if len(range) != 2 or not range[0] <= range[1]:
            raise ValueError(f"histogram: range must be (lower, upper) with lower <= upper, got "
                             f"{range!r}")
    counts, edges = np.histogram(v.astype(np.float64), bins=int(bins), range=range)
    return Tensor(counts.astype(_F)), Tensor(edges.astype(_F))


def bincount(x, weights=None, minlength=0, sparse=False):
    """How many times each non-negative integer occurs (``keras.ops.bincount``).

    Parameters
    ----------
    x : Tensor or array_like
        Whole numbers >= 0, 1-D, or 2-D (counted row by row).
    weights : Tensor or array_like, optional
        Added instead of 1, shaped like ``x``.
    minlength : int, default 0
        At least this many bins.
    sparse : bool, default False
        Only False (dense) is supported.

    Returns
    -------
    Tensor
        ``(max(x) + 1,)`` bins at least ``minlength`` (one row per row of a 2-D ``x``).

    Raises
    ------
    ValueError
        Negative or fractional values, weights of another shape, ``sparse``,
        more than 2 dimensions, a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.bincount(np.array([0, 1, 1, 3])).numpy()
    array([1., 2., 0., 1.], dtype=float32)
    """
    from ..tensor import Tensor
    if sparse:
        raise ValueError("bincount: sparse=True is not supported (pynn tensors are dense)")
    v = _eager("bincount", x)
    if v.ndim not in (1, 2) or np.any(v < 0) or np.any(v != np.round(v)):
        raise ValueError(f"bincount: x must be 1-D or 2-D whole numbers >= 0, got shape {v.shape}")
    w = None if weights is None else _tensor(weights).numpy().astype(np.float64)
    if w is not None and w.shape != v.shape:
        raise ValueError(f"bincount: weights must have x's shape {v.shape}, got {w.shape}")
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise ValueError(f"bincount: minlength must be an int >= 0, got {minlength!r}")
    length = max(int(v.max()) + 1 if v.size else 0, int(minlength))
    rows = v.reshape(-1, v.shape[-1]).astype(np.int64)
    wr = None if w is None else w.reshape(rows.shape)
    out = np.stack([np.bincount(r, None if wr is None else wr[i], minlength=length)
                    for i, r in enumerate(rows)]) if rows.shape[0] else np.zeros((0, length))
    return Tensor(out.reshape(v.shape[:-1] + (length,)).astype(_F))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The distinct values of ``x``, ascending (``keras.ops.unique``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    sorted : bool, default True
        Accepted for Keras' signature; the values are always ascending.
    return_index : bool, default False
        Also return where each value first occurs.
    return_inverse : bool, default False
        Also return, for each element, the index of its value.
    return_counts : bool, default False
        Also return how many times each value occurs.
    axis : int, optional
        Distinct slices along this axis; None: of the flattened ``x``.
    size : int, optional
        Cut or pad the results to this many values (a static length).
    fill_value : float, optional
        Padding for the values (default 0; counts pad with 0, indices with 1, as Keras).

    Returns
    -------
    Tensor or tuple of Tensor
        The values, then the requested outputs in the order above.

    Raises
    ------
    ValueError
        An axis out of range, a bad ``size``, a call inside a model being traced.

    Examples
    --------
    >>> vals, counts = pynn.ops.unique(np.array([3.0, 1.0, 3.0, 2.0]), return_counts=True)
    >>> vals.numpy(), counts.numpy()
    (array([1., 2., 3.], dtype=float32), array([1., 1., 2.], dtype=float32))
    """
    from ..tensor import Tensor
    v = _eager("unique", x)
    if axis is not None and (not isinstance(axis, numbers.Integral) or not -v.ndim <= axis < v.ndim):
        raise ValueError(f"unique: axis {axis!r} is out of range for shape {v.shape}")
    if size is not None and (not isinstance(size, numbers.Integral) or size < 0):
        raise ValueError(f"unique: size must be an int >= 0, got {size!r}")
    vals, index, inverse, counts = np.unique(v, return_index=True, return_inverse=True,
                                             return_counts=True, axis=axis)
    dim = 0 if axis is None else axis % v.ndim
    if size is not None:
        n = vals.shape[dim]
        if n > size:
            vals = np.take(vals, np.arange(size), axis=dim)
            index, counts = index[:size], counts[:size]
        elif n < size:
            widths = [(0, 0)] * vals.ndim
            widths[dim] = (0, size - n)
            vals = np.pad(vals, widths, constant_values=0 if fill_value is None else fill_value)
            counts = np.pad(counts, (0, size - n))
            index = np.pad(index, (0, size - n), constant_values=1)
    out = [vals]
    if return_index:
        out.append(index)
    if return_inverse:
        out.append(inverse.reshape(v.shape) if axis is None else inverse.reshape(-1))
    if return_counts:
        out.append(counts)
    out = [Tensor(np.asarray(o).astype(_F)) for o in out]
    return out[0] if len(out) == 1 else tuple(out)
