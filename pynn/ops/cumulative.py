"""pynn.ops.cumulative: cumsum and cumprod (``keras.ops``), composed of engine ops.

cumsum is one matrix product with a triangle of ones along the axis (GEMM, and its
gradient is the reversed running sum for free); cumprod multiplies step by step
(``n`` products for an axis of length n), which keeps zeros exact where a
log-space product could not."""
import numpy as np

from .. import _C
from .layout import _fixed_axis
from .shape import _tensor, concatenate, reshape, slice_axis, transpose

__all__ = ["cumsum", "cumprod"]


def _prepare(op, x, axis):
    x = _tensor(x)
    if axis is None:
        if _C.is_tracing():
            raise ValueError(f"{op} without an axis inside a model: the flattened tensor includes "
                             "the batch axis; give the axis")
        return reshape(x, (-1,)), 0
    if x.ndim == 0:
        return reshape(x, (1,)), 0
    return x, _fixed_axis(op, x, axis)


def cumsum(x, axis=None, dtype=None):
    """Running sum along an axis (``keras.ops.cumsum``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, optional
        The axis; None sums the flattened ``x``.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range, or the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.cumsum(np.array([[1.0, 2.0, 3.0]], np.float32), axis=1).numpy()
    array([[1., 3., 6.]], dtype=float32)
    """
    x, axis = _prepare("cumsum", x, axis)
    n = x.shape[axis]
    perm = [i for i in range(x.ndim) if i != axis] + [axis]
    upper = np.triu(np.ones((n, n), np.float32))  # out[j] = sum of x[i] for i <= j
    y = _C.apply("matmul", [transpose(x, perm), upper])
    return transpose(y, list(np.argsort(perm)))


def cumprod(x, axis=None, dtype=None):
    """Running product along an axis (``keras.ops.cumprod``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, optional
        The axis; None multiplies along the flattened ``x``.
    dtype : optional
        Accepted for Keras compatibility (pynn computes in float32).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range, or the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.cumprod(np.array([1.0, 2.0, 3.0, 0.0, 5.0], np.float32)).numpy()
    array([1., 2., 6., 0., 0.], dtype=float32)
    """
    x, axis = _prepare("cumprod", x, axis)
    n = x.shape[axis]
    if n == 0:
        return x
    run = slice_axis(x, axis, 0, 1)
    parts = [run]
    for i in range(1, n):
        run = run * slice_axis(x, axis, i, i + 1)
        parts.append(run)
    return concatenate(parts, axis=axis)
