"""pynn.ops.cumulative: cumsum and cumprod (``keras.ops``), each one engine op
(csrc/core/ops/cumulative.c) that runs along the axis in order, as NumPy does: an inf or
NaN reaches only the outputs at and after it, zeros stay exact, and the cost is linear
in the length (the gradient of cumprod divides by no zero)."""
from .. import _C
from .layout import _fixed_axis
from .shape import _tensor, reshape

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
    return _C.apply("cumsum", [x], axis=axis)

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
    return _C.apply("cumprod", [x], axis=axis)
