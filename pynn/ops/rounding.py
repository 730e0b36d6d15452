"""pynn.ops.rounding: floor, ceil, round, trunc and sign (engine ops in
csrc/core/ops/unary.c), and floor_divide / mod composed of them. Piecewise constant: their gradient is 0, as in torch and
TensorFlow."""
import numbers

import numpy as np

from .. import _C

__all__ = ["floor", "ceil", "round", "trunc", "sign", "floor_divide", "mod"]

_DOC = """{what}

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        float32 values; gradient 0.

    Examples
    --------
    >>> pynn.ops.{name}(np.array([-1.5, -0.5, 0.5, 2.5], np.float32)).numpy()
    array({result}, dtype=float32)
    """


def _unary(name, what, result):
    def op(x):
        return _C.apply(name, [x])
    op.__name__ = op.__qualname__ = name
    op.__doc__ = _DOC.format(what=what, name=name, result=result)
    return op


floor = _unary("floor", "Elementwise largest integer not above ``x``.", "[-2., -1.,  0.,  2.]")
ceil = _unary("ceil", "Elementwise smallest integer not below ``x``.", "[-1., -0.,  1.,  3.]")
trunc = _unary("trunc", "Elementwise ``x`` rounded toward zero.", "[-1., -0.,  0.,  2.]")
sign = _unary("sign", "Elementwise sign: -1, 0 or 1 (NaN stays NaN, the sign of 0 is kept).",
              "[-1., -1.,  1.,  1.]")


def round(x, decimals=0):
    """Elementwise rounding to ``decimals`` places, halves to even (NumPy and Keras).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    decimals : int, default 0
        Places after the point (negative: before it); other than 0, ``x`` is scaled by
        ``10**decimals``, rounded and scaled back, as Keras does.

    Returns
    -------
    Tensor
        float32 values; gradient 0.

    Raises
    ------
    TypeError
        ``decimals`` is not an int.

    Examples
    --------
    >>> pynn.ops.round(np.array([-1.5, -0.5, 0.5, 2.5], np.float32)).numpy()
    array([-2., -0.,  0.,  2.], dtype=float32)
    >>> pynn.ops.round(np.array([1.234], np.float32), decimals=2).numpy()
    array([1.23], dtype=float32)
    """
    if isinstance(decimals, (bool, np.bool_)) or not isinstance(decimals, (numbers.Integral,
                                                                          np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    if decimals == 0:
        return _C.apply("round", [x])
    if decimals < -38:  # every finite float32 is below half of 10**39: it rounds to 0
        return _C.apply("mul", [x, np.float32(0.0)])
    # past 38 the float32 scale is inf and the result NaN, as NumPy's float32 round;
    # the clip keeps 10 ** decimals from raising OverflowError
    with np.errstate(over="ignore"):
        scale = np.float32(np.float64(10.0) ** min(400, int(decimals)))
    return _C.apply("div", [_C.apply("round", [_C.apply("mul", [x, scale])]), scale])


def floor_divide(x1, x2):
    """Elementwise ``floor(x1 / x2)`` with broadcasting (``keras.ops.floor_divide``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Dividend.
    x2 : Tensor or array_like
        Divisor.

    Returns
    -------
    Tensor
        float32 whole numbers; gradient 0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.floor_divide(np.array([7.0, -7.0], np.float32), 2.0).numpy()
    array([ 3., -4.], dtype=float32)
    """
    return _C.apply("floor", [_C.apply("div", [x1, x2])])


def mod(x1, x2):
    """Elementwise remainder ``x1 - x2 * floor(x1 / x2)``, with the divisor's sign
    (``keras.ops.mod``, NumPy's ``mod``, torch's ``remainder``).

    Its gradient is 1 for ``x1`` and ``-floor(x1 / x2)`` for ``x2``.

    Parameters
    ----------
    x1 : Tensor or array_like
        Dividend.
    x2 : Tensor or array_like
        Divisor.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.mod(np.array([7.0, -7.0], np.float32), 3.0).numpy()
    array([1., 2.], dtype=float32)
    """
    return _C.apply("sub", [x1, _C.apply("mul", [x2, floor_divide(x1, x2)])])
