"""pynn.ops.elementwise: elementwise math on Tensors (forward and backward in C,
csrc/core/ops/unary.c).

Derivatives at kinks follow PyTorch: ``abs'(0) = 0``; ``clip`` passes the
gradient where ``x_min <= x <= x_max`` (closed interval, as Keras and torch);
``pow(x, 0)`` has gradient 0 everywhere."""
import numbers

import numpy as np

from .. import _C

__all__ = ["neg", "negative", "pow", "power", "exp", "log", "sqrt", "abs", "absolute",
           "square", "clip", "sin", "cos", "erf", "stop_gradient"]


def _scalar(op, name, v):
    """A real Python/NumPy scalar as float; TypeError naming the op otherwise."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating,
                                                             np.integer)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(v).__name__}")
    return float(v)


def neg(x):
    """Elementwise negation ``-x`` (also ``negative``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-2.0, 0.0, 3.0], np.float32)
    >>> pynn.ops.neg(x).numpy()
    array([ 2., -0., -3.], dtype=float32)
    """
    return _C.apply("neg", [x])


negative = neg


def pow(x, exponent):
    """Elementwise power ``x ** exponent`` for a scalar exponent (also ``power``).

    The gradient is taken with respect to ``x`` only. Negative ``x`` with a
    non-integer exponent gives NaN, as in NumPy and torch; ``pow(x, 0)`` has
    gradient 0.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    exponent : float
        The exponent (a real number).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``exponent`` is not a real number.

    Examples
    --------
    >>> pynn.ops.pow(np.array([2.0, 3.0], np.float32), 2).numpy()
    array([4., 9.], dtype=float32)
    """
    return _C.apply("pow", [x], exponent=_scalar("pow", "exponent", exponent))


power = pow


def exp(x):
    """Elementwise exponential ``e ** x``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.exp(np.array([0.0, 1.0], np.float32)).numpy().round(4)
    array([1.    , 2.7183], dtype=float32)
    """
    return _C.apply("exp", [x])


def log(x):
    """Elementwise natural logarithm (``-inf`` at 0 and NaN below, as NumPy).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.log(np.array([1.0, np.e], np.float32)).numpy().round(4)
    array([0., 1.], dtype=float32)
    """
    return _C.apply("log", [x])


def sqrt(x):
    """Elementwise square root (NaN below 0, as NumPy).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.sqrt(np.array([4.0, 9.0], np.float32)).numpy()
    array([2., 3.], dtype=float32)
    """
    return _C.apply("sqrt", [x])


def abs(x):
    """Elementwise absolute value ``|x|`` (also ``absolute``); its gradient at 0 is 0, as PyTorch.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-2.0, 0.0, 3.0], np.float32)
    >>> pynn.ops.abs(x).numpy()
    array([2., 0., 3.], dtype=float32)
    """
    return _C.apply("abs", [x])


absolute = abs


def square(x):
    """Elementwise square ``x * x``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-2.0, 0.0, 3.0], np.float32)
    >>> pynn.ops.square(x).numpy()
    array([4., 0., 9.], dtype=float32)
    """
    return _C.apply("square", [x])


def clip(x, x_min, x_max):
    """Limits values to ``[x_min, x_max]``.

    The gradient is 1 inside the closed interval and 0 outside (Keras, torch).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    x_min : float
        Lower bound.
    x_max : float
        Upper bound (>= x_min).

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        A bound that is not a real number.
    ValueError
        ``x_min > x_max`` or a NaN bound.

    Examples
    --------
    >>> x = np.array([-2.0, 0.0, 3.0], np.float32)
    >>> pynn.ops.clip(x, -1.0, 1.0).numpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    lo = _scalar("clip", "x_min", x_min)
    hi = _scalar("clip", "x_max", x_max)
    if np.isnan(lo) or np.isnan(hi) or lo > hi:
        raise ValueError(f"clip: x_min ({lo}) must be <= x_max ({hi})")
    return _C.apply("clip", [x], x_min=lo, x_max=hi)


def sin(x):
    """Elementwise sine (radians).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.sin(np.array([0.0, np.pi / 2], np.float32)).numpy()
    array([0., 1.], dtype=float32)
    """
    return _C.apply("sin", [x])


def cos(x):
    """Elementwise cosine (radians).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.cos(np.array([0.0, np.pi], np.float32)).numpy()
    array([ 1., -1.], dtype=float32)
    """
    return _C.apply("cos", [x])


def erf(x):
    """Elementwise error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x``.

    Its gradient is ``2/sqrt(pi) * exp(-x**2)``.

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.erf(np.array([0.0, 1.0], np.float32)).numpy()
    array([0.       , 0.8427008], dtype=float32)
    """
    return _C.apply("erf", [x])


def stop_gradient(variable):
    """``variable``'s values, through which no gradient flows (``keras.ops.stop_gradient``).

    An engine op with no backward: in the eager tape and in a compiled model the
    result is a constant to everything computed from it.

    Parameters
    ----------
    variable : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        The same values; ``requires_grad`` is False.

    Examples
    --------
    >>> x = pynn.Tensor(np.array([2.0], np.float32), requires_grad=True)
    >>> (x * pynn.ops.stop_gradient(x)).sum().backward()
    >>> x.grad
    array([2.], dtype=float32)
    """
    return _C.apply("stop_gradient", [variable])
