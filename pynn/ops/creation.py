"""pynn.ops.creation: keras.ops that make tensors from numbers — full, eye, linspace —
and meshgrid, which broadcasts its inputs (so it is differentiable)."""
import numbers

import numpy as np

from .. import _C
from .batch_dim import follow_shape, follows, refuse
from .shape import BatchDim, _is_int, _tensor, broadcast_to, reshape

__all__ = ["full", "eye", "linspace", "meshgrid"]


def _made(values):
    from ..tensor import Tensor
    return Tensor(np.asarray(values, dtype=np.float32, order="C"))  # ascontiguousarray makes a scalar 1-D


def full(shape, fill_value, dtype=None):
    """A float32 tensor of ``shape`` holding ``fill_value`` (``keras.ops.full``).

    Parameters
    ----------
    shape : int or tuple of int
        The shape.
        In a compiled model's call(), a size computed from ``ops.shape(x)[0]``
        follows the batch (see pynn.ops.batch_dim).
    fill_value : float or array_like
        The value (or values broadcast to ``shape``).
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A negative dimension, or values that do not broadcast to ``shape``.

    Examples
    --------
    >>> pynn.ops.full((2, 2), 7).numpy()
    array([[7., 7.],
           [7., 7.]], dtype=float32)
    """
    return filled("full", shape, fill_value)


def filled(op, shape, fill_value):
    """np.full as a Tensor for full / ones / zeros. In a traced model a shape holding
    ops.shape(x)[0] (or n + k, n * k, ...) follows the batch: the constant is made with 1
    on those axes and broadcast-added to zeros of the batch's length there."""
    dims = (shape,) if _is_int(shape) else shape
    if isinstance(dims, (tuple, list)):
        refuse(op, dims)
        if any(follows(d) for d in dims):
            for d in dims:
                if not _is_int(d) or d < 0:
                    raise ValueError(f"{op}: shape must hold non-negative ints, got {tuple(dims)!r}")
            ones_there = [1 if isinstance(d, BatchDim) else int(d) for d in dims]
            return follow_shape(filled(op, ones_there, fill_value), tuple(dims))
    try:
        return _made(np.full(shape, fill_value, np.float32))
    except (ValueError, TypeError) as e:
        raise ValueError(f"{op}: cannot make shape {shape!r} from {fill_value!r}: {e}") from None


def eye(N, M=None, k=0, dtype=None):
    """The ``(N, M)`` matrix with ones on diagonal ``k`` (``keras.ops.eye``).

    Parameters
    ----------
    N : int
        Rows.
    M : int, optional
        Columns (default ``N``).
    k : int, default 0
        The diagonal (>0 above the main one).
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
    >>> pynn.ops.eye(2, 3, k=1).numpy()
    array([[0., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    refuse("eye", (N, M, k))
    for what, v in (("N", N), ("M", M if M is not None else N)):
        if not _is_int(v) or v < 0:
            raise ValueError(f"eye: {what} must be a non-negative int, got {v!r}")
    if not _is_int(k):
        raise ValueError(f"eye: k must be an int, got {k!r}")
    M = N if M is None else M
    if _C.is_tracing() and (isinstance(N, BatchDim) or isinstance(M, BatchDim)):
        # ops.eye(ops.shape(x)[0]) in a traced model: sized by the batch of every replay
        rows = _C.apply("reshape", [_positions(N)], shape=(-1, 1))
        cols = _C.apply("reshape", [_positions(M)], shape=(1, -1))
        return _C.apply("equal", [_C.apply("add", [rows, np.float32(k)]), cols])
    return _made(np.eye(int(N), int(M), int(k)))


def _positions(n):
    """0, 1, ..., n-1 as a float32 Tensor; for ops.shape(x)[0] in a traced model, the
    engine op that counts the rows of x at every replay (not the traced batch of 1)."""
    if _C.is_tracing() and isinstance(n, BatchDim):
        return _C.apply("arange_like", [n.tensor])
    return _made(np.arange(int(n)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (``keras.ops.linspace``).

    Parameters
    ----------
    start, stop : float or array_like
        The ends (arrays give one sequence per element, along ``axis``).
    num : int, default 50
        How many values.
    endpoint : bool, default True
        Whether ``stop`` is the last value.
    retstep : bool, default False
        Also return the spacing.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).
    axis : int, default 0
        Where the new axis goes, for array ends.

    Returns
    -------
    Tensor, or (Tensor, float) with ``retstep``

    Raises
    ------
    ValueError
        A negative ``num``.

    Examples
    --------
    >>> pynn.ops.linspace(0, 1, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    if not _is_int(num) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    ndim = max(np.ndim(start), np.ndim(stop)) + 1
    if not _is_int(axis) or not -ndim <= axis < ndim:  # (NumPy: OverflowError past C int)
        raise ValueError(f"linspace: axis={axis!r} is out of range for a result of rank {ndim}")
    values, step = np.linspace(np.asarray(start, np.float64), np.asarray(stop, np.float64),
                               int(num), endpoint=bool(endpoint), retstep=True, axis=axis)
    return (_made(values), step) if retstep else _made(values)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors (``keras.ops.meshgrid``, NumPy's).

    Parameters
    ----------
    *x : Tensor or array_like
        1-D vectors.
    indexing : {"xy", "ij"}, default "xy"
        Cartesian (the first two outputs' axes swapped) or matrix indexing.

    Returns
    -------
    list of Tensor
        One grid per input; gradients sum back over the broadcast axes.

    Raises
    ------
    ValueError
        An input that is not 1-D, or another ``indexing``.

    Examples
    --------
    >>> gx, gy = pynn.ops.meshgrid(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0]))
    >>> gx.numpy()
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ts = [_tensor(v if not isinstance(v, numbers.Number) else np.float32(v)) for v in x]
    for t in ts:
        if t.ndim != 1:
            raise ValueError(f"meshgrid: every input must be 1-D, got shape {t.shape}")
    sizes = [t.shape[0] for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        where = (1 - i if i < 2 else i) if indexing == "xy" and len(ts) >= 2 else i
        shape = [1] * len(ts)
        shape[where] = t.shape[0]
        out.append(broadcast_to(reshape(t, shape), sizes))
    return out
