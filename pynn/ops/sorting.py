"""pynn.ops.sorting: sort, argsort and top_k (``keras.ops``), composed of engine ops.

Eagerly the order is found by NumPy's stable argsort and the values are one
gather of ``x`` (so the gradient reaches the element each output came from). In
a model being traced the order changes from batch to batch, so it is computed by
engine ops: each element's rank is the number of elements that sort before it
(comparisons, summed), and output r selects the element of rank r. That costs
``n * n`` per sorted row (n the length of the axis): fine for the short axes
models sort, not for a vocabulary (sort those eagerly).

NaN sorts last, as in NumPy (top_k too: a NaN is never among the largest);
ties keep their order (stable)."""
import numbers

import numpy as np

from .. import _C
from .layout import _one_hot_gather, take_along_axis
from .shape import _axis_attr, _tensor, expand_dims, slice_axis, transpose

__all__ = ["sort", "argsort", "top_k"]


def _axis(op, x, axis):
    if x.ndim == 0:
        raise ValueError(f"{op}: x must have at least 1 dimension, got a scalar")
    axis = _axis_attr(op, axis, x.ndim)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    axis %= x.ndim
    if axis == 0 and _C.is_tracing():
        raise ValueError(f"{op} along axis 0 inside a model: that is the batch axis; sort along "
                         "the other axes, or eagerly")
    return axis


def _traced_order(x, axis, descending):
    """argsort of x along axis with engine ops (see the module's description)."""
    key = _C.apply("neg", [x]) if descending else x
    last = transpose(key, [i for i in range(x.ndim) if i != axis] + [axis])
    n = last.shape[-1]
    nan = _C.apply("not_equal", [last, last])
    xi, xj = expand_dims(last, -1), expand_dims(last, -2)          # (.., i, 1), (.., 1, j)
    ni, nj = expand_dims(nan, -1), expand_dims(nan, -2)
    before_i = np.tril(np.ones((n, n), np.float32), -1)            # j < i
    # j sorts before i: x_j < x_i, or x_i is NaN and x_j is not, or a tie (NaNs too) with j < i
    smaller = _C.apply("less", [xj, xi]) + ni * (1.0 - nj)
    ties = _C.apply("equal", [xj, xi]) + ni * nj
    rank = _C.apply("sum", [smaller + ties * before_i], axis=(-1,), reduce_all=False)  # (.., i)
    at = _C.apply("equal", [expand_dims(rank, -1), np.arange(n, dtype=np.float32)])  # (.., i, r)
    order = _C.apply("sum", [at * np.arange(n, dtype=np.float32).reshape(n, 1)],
                     axis=(-2,), reduce_all=False)                  # (.., r): the i of rank r
    back = list(range(axis)) + [order.ndim - 1] + list(range(axis, order.ndim - 1))
    return transpose(order, back)


def _order(x, axis, descending):
    if _C.is_tracing():
        return _traced_order(x, axis, descending)
    v = x.numpy()
    return np.argsort(-v if descending else v, axis=axis, kind="stable")


def sort(x, axis=-1):
    """Sorts ``x`` along an axis, ascending (``keras.ops.sort``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, default -1
        The axis to sort along.

    Returns
    -------
    Tensor
        The sorted values; the gradient of each goes to the element it came from.

    Raises
    ------
    ValueError
        A scalar, an axis out of range, or the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.sort(np.array([[3.0, 1.0, 2.0]], np.float32)).numpy()
    array([[1., 2., 3.]], dtype=float32)
    """
    x = _tensor(x)
    axis = _axis("sort", x, axis)
    order = _order(x, axis, descending=False)
    if _C.is_tracing():
        return _one_hot_gather(x, order, axis)
    return take_along_axis(x, order, axis)


def argsort(x, axis=-1):
    """The indices that sort ``x`` along an axis, ascending (``keras.ops.argsort``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, default -1
        The axis to sort along.

    Returns
    -------
    Tensor
        Indices as float32 whole numbers (no gradient).

    Raises
    ------
    ValueError
        A scalar, an axis out of range, or the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.argsort(np.array([3.0, 1.0, 2.0], np.float32)).numpy()
    array([1., 2., 0.], dtype=float32)
    """
    x = _tensor(x)
    order = _order(x, _axis("argsort", x, axis), descending=False)
    return order if isinstance(order, _C.Tensor) else _tensor(order.astype(np.float32))


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their indices (``keras.ops.top_k``).

    Parameters
    ----------
    x : Tensor or array_like
        Input ``(..., n)``.
    k : int
        How many, at most ``n``.
    sorted : bool, default True
        Accepted for Keras compatibility: the values always come largest first
        (ties: the lower index first).

    Returns
    -------
    tuple of Tensor
        ``(values, indices)``, each ``(..., k)``; indices as float32 whole
        numbers. The gradient of each value goes to the element it came from.

    Raises
    ------
    ValueError
        ``k`` not in [0, n], or a scalar ``x``.

    Examples
    --------
    >>> values, indices = pynn.ops.top_k(np.array([1.0, 5.0, 3.0, 4.0], np.float32), 2)
    >>> values.numpy(), indices.numpy()
    (array([5., 4.], dtype=float32), array([1., 3.], dtype=float32))
    """
    x = _tensor(x)
    axis = _axis("top_k", x, -1)
    n = x.shape[axis]
    if isinstance(k, bool) or not isinstance(k, (numbers.Integral, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"top_k: k must be an int in [0, {n}] for x of shape {x.shape}, got {k!r}")
    order = _order(x, axis, descending=True)
    if _C.is_tracing():
        order = slice_axis(order, axis, 0, int(k))
        return _one_hot_gather(x, order, axis), order
    order = order[..., :int(k)]
    return take_along_axis(x, order, axis), _tensor(order.astype(np.float32))
