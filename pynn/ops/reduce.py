"""pynn.ops.reduce: reductions over axes (forward and backward in C,
csrc/core/ops/reduce.c).

``axis`` is None (all axes), an int or a tuple/list of ints (negative values
count from the end; an empty tuple reduces nothing, as in NumPy).
``keepdims`` keeps reduced axes with length 1.

max / min have ``torch.amax`` / ``amin`` gradient semantics: tied extremes
share the gradient evenly. var / std default to the population statistic
(ddof=0, as Keras and NumPy; torch's default is ddof=1).
Sums accumulate in double in a fixed order, so they are reproducible."""
import builtins
import numbers

import numpy as np

from .. import _C

__all__ = ["sum", "mean", "max", "min", "var", "std", "moments"]


def _ndim(x):
    nd = getattr(x, "ndim", None)
    return nd if isinstance(nd, int) else np.ndim(x)


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _attrs(op, x, axis, keepdims):
    """The C op's attributes by name, after checking axis against the rank."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be a bool, got {type(keepdims).__name__}")
    if axis is None:
        return dict(keepdims=bool(keepdims), reduce_all=True)
    axes = [axis] if _is_int(axis) else axis
    if not isinstance(axes, (tuple, list)) or not builtins.all(_is_int(a) for a in axes):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    ndim = _ndim(x)
    norm = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {ndim}")
        a %= ndim
        if a in norm:
            raise ValueError(f"{op}: axis {a} is repeated in {tuple(axes)}")
        norm.append(a)
    return dict(keepdims=bool(keepdims), reduce_all=False, axis=norm)


def sum(x, axis=None, keepdims=False):
    """Sum over axes.

    Accumulated in double in a fixed order, so results are reproducible
    whatever the thread count.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.sum(x).numpy()
    array(12., dtype=float32)
    >>> pynn.ops.sum(x, axis=0).numpy()
    array([4., 8.], dtype=float32)
    """
    if isinstance(x, (list, tuple)):  # keras.ops.sum(model.losses): a list of scalars
        from .shape import stack
        x = stack(list(x)) if x else np.zeros(1, np.float32)
    return _C.apply("sum", [x], **_attrs("sum", x, axis, keepdims))


def mean(x, axis=None, keepdims=False):
    """Mean over axes (NaN over zero elements, as NumPy and torch).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.mean(x, axis=1, keepdims=True).numpy()
    array([[1.5],
           [4.5]], dtype=float32)
    """
    return _C.apply("mean", [x], **_attrs("mean", x, axis, keepdims))


def max(x, axis=None, keepdims=False):
    """Largest value over axes.

    NaN if the slice holds one; the gradient is split evenly between tied
    maxima (``torch.amax``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.
        Also over zero elements.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.max(x, axis=1).numpy()
    array([2., 6.], dtype=float32)
    """
    return _C.apply("max", [x], **_attrs("max", x, axis, keepdims))


def min(x, axis=None, keepdims=False):
    """Smallest value over axes (see `max` for ties and NaN).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.
        Also over zero elements.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.min(x, axis=0).numpy()
    array([1., 2.], dtype=float32)
    """
    return _C.apply("min", [x], **_attrs("min", x, axis, keepdims))


def _ddof(op, ddof):
    if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (numbers.Real, np.integer,
                                                                  np.floating)):
        raise TypeError(f"{op}: ddof must be a number, got {type(ddof).__name__}")
    if not ddof >= 0:
        raise ValueError(f"{op}: ddof must be >= 0, got {ddof}")
    return float(ddof)


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over axes: ``sum((x - mean)**2) / (N - ddof)``.

    Population variance by default (ddof=0, as Keras and NumPy; torch's default
    is 1); computed in two passes in double.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.
    ddof : float, default 0
        Delta degrees of freedom.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.
        Also a negative ddof.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.var(x, axis=1).numpy()
    array([0.25, 2.25], dtype=float32)
    >>> pynn.ops.var(x, axis=1, ddof=1).numpy()
    array([0.5, 4.5], dtype=float32)
    """
    return _C.apply("var", [x], ddof=_ddof("var", ddof), **_attrs("var", x, axis, keepdims))


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation over axes: ``sqrt(var(x))``.

    Its gradient is taken as 0 where the deviation is 0 (as torch).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all; negative counts from the end).
    keepdims : bool, default False
        Keep reduced axes with length 1.
    ddof : float, default 0
        Delta degrees of freedom.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` or ``keepdims`` of the wrong type.
    ValueError
        An axis out of range or repeated.
        Also a negative ddof.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    >>> pynn.ops.std(x, axis=1).numpy()
    array([0.5, 1.5], dtype=float32)
    """
    return _C.apply("std", [x], ddof=_ddof("std", ddof), **_attrs("std", x, axis, keepdims))


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance over axes (``keras.ops.moments``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axes : int or tuple of int
        Axes to reduce.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    synchronized : bool, default False
        Accepted for Keras compatibility (one process: nothing to synchronise).

    Returns
    -------
    tuple of Tensor
        ``(mean, variance)``, the population variance (ddof 0).

    Raises
    ------
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> mean, variance = pynn.ops.moments(np.array([[1.0, 3.0], [5.0, 7.0]], np.float32), axes=0)
    >>> mean.numpy(), variance.numpy()
    (array([3., 5.], dtype=float32), array([4., 4.], dtype=float32))
    """
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)
