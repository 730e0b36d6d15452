"""pynn.ops.arrange: keras.ops that reorder or regroup axes — ravel, moveaxis,
swapaxes, hstack, vstack, unstack, outer, diagonal, trace, identity, tri —
composed of engine ops (transposes, reshapes, joins, selects), so they
differentiate and trace into a model."""
import numpy as np

from .. import _C
from .compare import where
from .creation import eye
from .shape import (_axis_attr, _is_int, _tensor, concatenate, expand_dims, getitem, reshape,
                    slice_axis, transpose)

__all__ = ["ravel", "moveaxis", "swapaxes", "hstack", "vstack", "unstack", "outer", "diagonal",
           "trace", "identity", "tri"]


def _axis(op, x, a):
    a = _axis_attr(op, a, x.ndim)
    if not -x.ndim <= a < x.ndim:
        raise ValueError(f"{op}: axis {a} is out of range for a tensor of shape {x.shape}")
    return a % x.ndim


def ravel(x):
    """``x`` flattened to 1-D (``keras.ops.ravel``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.ravel(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)).numpy()
    array([1., 2., 3., 4.], dtype=float32)
    """
    return reshape(x, (-1,))


def moveaxis(x, source, destination):
    """Moves axes to new positions, the others keeping their order (NumPy's ``moveaxis``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    source : int or sequence of int
        The axes to move.
    destination : int or sequence of int
        Where they go.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Axes out of range, repeated, or source and destination of different lengths.

    Examples
    --------
    >>> pynn.ops.moveaxis(np.zeros((2, 3, 4), np.float32), 0, -1).shape
    (3, 4, 2)
    """
    x = _tensor(x)
    src = [source] if _is_int(source) else list(source)
    dst = [destination] if _is_int(destination) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must have "
                         "the same length")
    src = [_axis("moveaxis", x, a) for a in src]
    dst = [_axis("moveaxis", x, a) for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axes in {source!r} or {destination!r}")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged (``keras.ops.swapaxes``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis1, axis2 : int
        The axes.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range.

    Examples
    --------
    >>> pynn.ops.swapaxes(np.zeros((2, 3, 4), np.float32), 0, 2).shape
    (4, 3, 2)
    """
    x = _tensor(x)
    order = list(range(x.ndim))
    a, b = _axis("swapaxes", x, axis1), _axis("swapaxes", x, axis2)
    order[a], order[b] = order[b], order[a]
    return transpose(x, order)


def hstack(xs):
    """Joins tensors column-wise: along axis 1, or axis 0 for 1-D ones (NumPy's ``hstack``).

    Parameters
    ----------
    xs : list of Tensor or array_like
        The tensors.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that differ off the joined axis.

    Examples
    --------
    >>> pynn.ops.hstack([np.ones((2, 1), np.float32), np.zeros((2, 2), np.float32)]).numpy()
    array([[1., 0., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    ts = [_tensor(t) for t in xs]
    return concatenate(ts, axis=0 if ts and ts[0].ndim == 1 else 1)


def vstack(xs):
    """Joins tensors row-wise, 1-D ones as rows (NumPy's ``vstack``).

    Parameters
    ----------
    xs : list of Tensor or array_like
        The tensors.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that differ off axis 0.

    Examples
    --------
    >>> pynn.ops.vstack([np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)]).numpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    ts = [_tensor(t) for t in xs]
    return concatenate([expand_dims(t, 0) if t.ndim == 1 else t for t in ts], axis=0)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along an axis, as a list (``keras.ops.unstack``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    num : int, optional
        The axis' length, checked when given.
    axis : int, default 0
        The axis.

    Returns
    -------
    list of Tensor
        Each without that axis; each passes its gradient back to its slice.

    Raises
    ------
    ValueError
        ``num`` that is not the axis' length, or the batch axis of a model being traced.

    Examples
    --------
    >>> [t.tolist() for t in map(lambda t: t.numpy(), pynn.ops.unstack(np.eye(2, dtype=np.float32)))]
    [[1.0, 0.0], [0.0, 1.0]]
    """
    x = _tensor(x)
    a = _axis("unstack", x, axis)
    if a == 0 and _C.is_tracing():
        raise ValueError("unstack along axis 0 inside a model: that is the batch axis")
    n = x.shape[a]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num!r} but axis {axis} has length {n}")
    return [getitem(x, (slice(None),) * a + (i,)) for i in range(n)]


def outer(x1, x2):
    """Outer product of the flattened inputs (``keras.ops.outer``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First vector (flattened).
    x2 : Tensor or array_like
        Second vector (flattened).

    Returns
    -------
    Tensor
        ``(x1.size, x2.size)``.

    Examples
    --------
    >>> pynn.ops.outer(np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0, 5.0], np.float32)).numpy()
    array([[ 3.,  4.,  5.],
           [ 6.,  8., 10.]], dtype=float32)
    """
    return reshape(x1, (-1, 1)) * reshape(x2, (1, -1))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the ``(axis1, axis2)`` planes, as a new last axis (NumPy's ``diagonal``).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank 2 or more.
    offset : int, default 0
        The diagonal (>0 above the main one).
    axis1, axis2 : int, default 0, 1
        The plane's axes.

    Returns
    -------
    Tensor
        The other axes, then the diagonal.

    Raises
    ------
    ValueError
        Rank below 2, equal axes, or the batch axis of a model being traced.

    Examples
    --------
    >>> x = np.arange(9, dtype=np.float32).reshape(3, 3)
    >>> pynn.ops.diagonal(x).numpy(), pynn.ops.diagonal(x, offset=1).numpy()
    (array([0., 4., 8.], dtype=float32), array([1., 5.], dtype=float32))
    """
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: x must have at least 2 dimensions, got shape {x.shape}")
    a, b = _axis("diagonal", x, axis1), _axis("diagonal", x, axis2)
    if a == b:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, got {axis1} and {axis2}")
    if 0 in (a, b) and _C.is_tracing():
        raise ValueError("diagonal over axis 0 inside a model: that is the batch axis")
    y = transpose(x, [i for i in range(x.ndim) if i not in (a, b)] + [a, b])
    n, m = y.shape[-2:]
    k = int(offset)
    kept = where(np.eye(n, m, k, dtype=np.float32), y, np.float32(0))
    rows = _C.apply("sum", [kept], axis=(-1,), reduce_all=False)  # row i: x[i, i + k] or 0
    return slice_axis(rows, -1, max(0, -k), max(max(0, -k), min(n, m - k)))


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal of the ``(axis1, axis2)`` planes (``keras.ops.trace``).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank 2 or more.
    offset : int, default 0
        The diagonal (>0 above the main one).
    axis1, axis2 : int, default 0, 1
        The plane's axes.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Rank below 2, or equal axes.

    Examples
    --------
    >>> pynn.ops.trace(np.arange(9, dtype=np.float32).reshape(3, 3)).numpy()
    array(12., dtype=float32)
    """
    d = diagonal(x, offset, axis1, axis2)
    return _C.apply("sum", [d], axis=(-1,), reduce_all=False)


def identity(n, dtype=None):
    """The ``(n, n)`` identity matrix (``keras.ops.identity``).

    Parameters
    ----------
    n : int
        Its size.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``n`` that is not a non-negative int.

    Examples
    --------
    >>> pynn.ops.identity(2).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return eye(n)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal ``k``, zeros above (``keras.ops.tri``, NumPy's).

    Parameters
    ----------
    N : int
        Rows.
    M : int, optional
        Columns (default ``N``).
    k : int, default 0
        The diagonal.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Sizes that are not non-negative ints.

    Examples
    --------
    >>> pynn.ops.tri(2, 3).numpy()
    array([[1., 0., 0.],
           [1., 1., 0.]], dtype=float32)
    """
    for what, v in (("N", N), ("M", N if M is None else M), ("k", 0 if k is None else abs(k))):
        if not _is_int(v) or v < 0:
            raise ValueError(f"tri: {what} must be a non-negative int, got {v!r}")
    from ..tensor import Tensor
    return Tensor(np.tri(int(N), None if M is None else int(M), int(k), dtype=np.float32))
