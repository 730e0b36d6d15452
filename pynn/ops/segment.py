"""pynn.ops.segment: segment_sum, segment_max, segment_min and segment_prod
(``keras.ops``), composed of engine ops.

Row i of ``data`` belongs to segment ``segment_ids[i]``; each segment's rows are
summed (or maxed, minned, multiplied) by a select of the rows whose id matches, so it differentiates,
and traces into a model even when the ids come from the data. Rows with an id
outside [0, num_segments) belong to no segment (TensorFlow drops them too)."""
import numpy as np

from .. import _C
from .compare import where
from .mathfuncs import prod
from .shape import _is_int, _tensor, expand_dims, reshape, transpose

__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod"]


def _membership(op, data, segment_ids, num_segments):
    """(data, (S, N) 0/1 matrix: row n in segment s)."""
    data = _tensor(data)
    ids = segment_ids if isinstance(segment_ids, _C.Tensor) else np.asarray(segment_ids)
    if data.ndim == 0 or len(ids.shape) != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"{op}: segment_ids must be 1-D with one id per row of data; got ids of "
                         f"shape {tuple(ids.shape)} for data of shape {data.shape}")
    if num_segments is None:
        if isinstance(ids, _C.Tensor) and _C.is_tracing():
            raise ValueError(f"{op} inside a model needs num_segments (the ids change per batch)")
        values = ids.numpy() if isinstance(ids, _C.Tensor) else ids
        num_segments = int(values.max()) + 1 if values.size else 0
    if not _is_int(num_segments) or num_segments < 0:
        raise ValueError(f"{op}: num_segments must be a non-negative int, got {num_segments!r}")
    ids = _tensor(ids if isinstance(ids, _C.Tensor) else ids.astype(np.float32))
    segments = np.arange(int(num_segments), dtype=np.float32).reshape(-1, 1)
    return data, _C.apply("equal", [segments, expand_dims(ids, 0)])


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums the rows of ``data`` per segment (``keras.ops.segment_sum``).

    Parameters
    ----------
    data : Tensor or array_like
        ``(N, ...)``.
    segment_ids : Tensor or array_like of int
        ``(N,)``: each row's segment.
    num_segments : int, optional
        How many segments (default: the largest id + 1; needed inside a model).
    sorted : bool, default False
        Accepted for Keras compatibility (the ids need not be sorted).

    Returns
    -------
    Tensor
        ``(num_segments, ...)``; an empty segment sums to 0.

    Raises
    ------
    ValueError
        Ids that do not match data's rows, or a bad ``num_segments``.

    Examples
    --------
    >>> data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    >>> pynn.ops.segment_sum(data, [0, 0, 1]).numpy()
    array([[4., 6.],
           [5., 6.]], dtype=float32)
    """
    data, member = _membership("segment_sum", data, segment_ids, num_segments)
    if data.ndim == 1:
        return reshape(_C.apply("matmul", [member, reshape(data, (-1, 1))]), (member.shape[0],))
    # contract the rows with member: (..., N) @ (N, S), the other axes left in place. Flattening
    # them to (N, prod) baked their traced sizes into the model, so a layer summing over graph
    # nodes of (nodes, batch, ...) data broke on the first batch of another size
    # (keras.io's timeseries_traffic_forecasting)
    rows_last = transpose(data, tuple(range(1, data.ndim)) + (0,))
    summed = _C.apply("matmul", [rows_last, transpose(member, (1, 0))])
    return transpose(summed, (data.ndim - 1,) + tuple(range(data.ndim - 1)))


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The largest row of ``data`` per segment, elementwise (``keras.ops.segment_max``).

    Parameters
    ----------
    data : Tensor or array_like
        ``(N, ...)``.
    segment_ids : Tensor or array_like of int
        ``(N,)``: each row's segment.
    num_segments : int, optional
        How many segments (default: the largest id + 1; needed inside a model).
    sorted : bool, default False
        Accepted for Keras compatibility (the ids need not be sorted).

    Returns
    -------
    Tensor
        ``(num_segments, ...)``; an empty segment gives the lowest float32 (as
        TensorFlow's and Keras' torch backend do). The gradient goes to the rows
        holding each maximum.

    Raises
    ------
    ValueError
        Ids that do not match data's rows, or a bad ``num_segments``.

    Examples
    --------
    >>> data = np.array([[1.0, 8.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    >>> pynn.ops.segment_max(data, [0, 0, 1]).numpy()
    array([[3., 8.],
           [5., 6.]], dtype=float32)
    """
    picked = _picked("segment_max", data, segment_ids, num_segments, np.finfo(np.float32).min)
    return _C.apply("max", [picked], axis=(1,), reduce_all=False)


def _picked(op, data, segment_ids, num_segments, filler):
    """(S, N, ...): row n where it belongs to segment s, else filler."""
    data, member = _membership(op, data, segment_ids, num_segments)
    member = reshape(member, tuple(member.shape) + (1,) * (data.ndim - 1))
    return where(member, expand_dims(data, 0), np.float32(filler))


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The smallest row of ``data`` per segment, elementwise (``keras.ops.segment_min``).

    Parameters
    ----------
    data : Tensor or array_like
        ``(N, ...)``.
    segment_ids : Tensor or array_like of int
        ``(N,)``: each row's segment.
    num_segments : int, optional
        How many segments (default: the largest id + 1; needed inside a model).
    sorted : bool, default False
        Accepted for Keras compatibility (the ids need not be sorted).

    Returns
    -------
    Tensor
        ``(num_segments, ...)``; an empty segment gives the largest float32 (as
        TensorFlow does). The gradient goes to the rows holding each minimum.

    Raises
    ------
    ValueError
        Ids that do not match data's rows, or a bad ``num_segments``.

    Examples
    --------
    >>> data = np.array([[1.0, 8.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    >>> pynn.ops.segment_min(data, [0, 0, 1]).numpy()
    array([[1., 4.],
           [5., 6.]], dtype=float32)
    """
    picked = _picked("segment_min", data, segment_ids, num_segments, np.finfo(np.float32).max)
    return _C.apply("min", [picked], axis=(1,), reduce_all=False)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of the rows of ``data`` per segment (``keras.ops.segment_prod``).

    Parameters
    ----------
    data : Tensor or array_like
        ``(N, ...)``.
    segment_ids : Tensor or array_like of int
        ``(N,)``: each row's segment.
    num_segments : int, optional
        How many segments (default: the largest id + 1; needed inside a model).
    sorted : bool, default False
        Accepted for Keras compatibility (the ids need not be sorted).

    Returns
    -------
    Tensor
        ``(num_segments, ...)``; an empty segment gives 1. The gradient of each
        row is the product of the others in its segment.

    Raises
    ------
    ValueError
        Ids that do not match data's rows, or a bad ``num_segments``.

    Examples
    --------
    >>> data = np.array([[1.0, 8.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    >>> pynn.ops.segment_prod(data, [0, 0, 1]).numpy()
    array([[ 3., 32.],
           [ 5.,  6.]], dtype=float32)
    """
    return prod(_picked("segment_prod", data, segment_ids, num_segments, 1.0), axis=1)
