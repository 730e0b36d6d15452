"""pynn.ops.special: more of ``keras.ops``' elementwise functions — sinh, arcsinh,
arccosh, arctanh, expm1, log1p, exp2, cbrt, hypot, deg2rad, rad2deg, sinc,
logaddexp2, heaviside, signbit, isposinf, isneginf, fmax, fmin — composed of
engine ops, so they differentiate and trace into a model.

Where the textbook formula cancels (``exp(x) - 1``, ``log(1 + x)`` near 0) an
exact identity that does not is used instead, so small arguments keep float32's
relative precision, as the library functions torch calls do."""
import math

import numpy as np

from .. import _C
from .compare import where
from .shape import _tensor

__all__ = ["sinh", "arcsinh", "arccosh", "arctanh", "expm1", "log1p", "exp2", "cbrt", "hypot",
           "deg2rad", "rad2deg", "sinc", "logaddexp2", "heaviside", "signbit", "isposinf",
           "isneginf", "fmax", "fmin"]

_F = np.float32


def _a(name, *xs):
    return _C.apply(name, list(xs))


def expm1(x):
    # e^x - 1 = 2t / (1 - t) with t = tanh(x / 2): no cancellation for small x
    x = _tensor(x)
    t = _a("tanh", _a("mul", x, _F(0.5)))
    small = _a("div", _a("mul", t, _F(2)), _a("sub", _F(1), t))
    return where(_a("less", _a("abs", x), _F(0.5)), small, _a("sub", _a("exp", x), _F(1)))


def log1p(x):
    # log(u) * x / (u - 1) with u = 1 + x rounded: the rounding error of u cancels
    x = _tensor(x)
    u = _a("add", x, _F(1))
    d = _a("sub", u, _F(1))
    exact = _a("equal", d, _F(0))
    ratio = _a("div", x, where(exact, _F(1), d))
    return where(exact, x, where(_a("equal", u, _F(np.inf)), u, _a("mul", _a("log", u), ratio)))


def sinh(x):
    x = _tensor(x)
    return _a("mul", _a("sub", expm1(x), expm1(_a("neg", x))), _F(0.5))


def arcsinh(x):
    # sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2))); past 1e8, log(2 |x|) (x^2 would overflow)
    x = _tensor(x)
    a = _a("abs", x)
    big = _a("greater", a, _F(1e8))
    a_ = where(big, _F(1), a)
    s = _a("add", a_, _a("div", _a("square", a_), _a("add", _F(1), _a("sqrt", _a(
        "add", _F(1), _a("square", a_))))))
    return _a("mul", _a("sign", x), where(big, _a("add", _a("log", a), _F(math.log(2))), log1p(s)))


def arccosh(x):
    # log1p(t + sqrt(t (t + 2))) with t = x - 1 (exact near 1); past 1e8, log(2x)
    x = _tensor(x)
    big = _a("greater", x, _F(1e8))
    t = _a("sub", where(big, _F(1), x), _F(1))
    small = log1p(_a("add", t, _a("sqrt", _a("mul", t, _a("add", t, _F(2))))))
    return where(big, _a("add", _a("log", x), _F(math.log(2))), small)


def arctanh(x):
    # log1p(2x / (1 - x)) / 2
    x = _tensor(x)
    return _a("mul", log1p(_a("div", _a("mul", x, _F(2)), _a("sub", _F(1), x))), _F(0.5))


def exp2(x):
    return _a("exp", _a("mul", _tensor(x), _F(math.log(2))))


def cbrt(x):
    x = _tensor(x)
    return _a("mul", _a("sign", x), _C.apply("pow", [_a("abs", x)], exponent=1.0 / 3.0))


def deg2rad(x):
    return _a("mul", _tensor(x), _F(math.pi / 180))


def rad2deg(x):
    return _a("mul", _tensor(x), _F(180 / math.pi))


def sinc(x):
    x = _tensor(x)
    px = _a("mul", x, _F(math.pi))
    zero = _a("equal", x, _F(0))
    return where(zero, _F(1), _a("div", _a("sin", px), where(zero, _F(1), px)))


def signbit(x):
    x = _tensor(x)  # -0.0 too: 1 / -0.0 is -inf
    with np.errstate(divide="ignore"):
        neg_zero = _a("mul", _a("equal", x, _F(0)), _a("less", _a("div", _F(1), x), _F(0)))
    return _a("maximum", _a("less", x, _F(0)), neg_zero)


def isposinf(x):
    return _a("equal", _tensor(x), _F(np.inf))


def isneginf(x):
    return _a("equal", _tensor(x), _F(-np.inf))


_UNARY = """{what} (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        Elementwise{extra}.

    Examples
    --------
    >>> pynn.ops.{name}(np.array({example}, np.float32)).numpy().round(4)
    array({result}, dtype=float32)
    """
for _fn, _what, _ex, _res, _extra in (
        (expm1, "``exp(x) - 1``, precise for small x", "[1e-6, 1.0]", "[0.    , 1.7183]", ""),
        (log1p, "``log(1 + x)``, precise for small x", "[1e-6, 1.0]", "[0.    , 0.6931]", ""),
        (sinh, "Hyperbolic sine", "[0.0, 1.0]", "[0.    , 1.1752]", ""),
        (arcsinh, "Inverse hyperbolic sine", "[0.0, 1.0]", "[0.    , 0.8814]", ""),
        (arccosh, "Inverse hyperbolic cosine (NaN below 1)", "[1.0, 2.0]", "[0.   , 1.317]",
         ""),
        (arctanh, "Inverse hyperbolic tangent", "[0.0, 0.5]", "[0.    , 0.5493]", ""),
        (exp2, "``2 ** x``", "[3.0, -1.0]", "[8. , 0.5]", ""),
        (cbrt, "Cube root (negative for negative x)", "[8.0, -27.0]", "[ 2., -3.]", ""),
        (deg2rad, "Degrees to radians", "[180.0, 90.0]", "[3.1416, 1.5708]", ""),
        (rad2deg, "Radians to degrees", "[3.1415927, 1.0]", "[180.    ,  57.2958]", ""),
        (sinc, "Normalized sinc, ``sin(pi x) / (pi x)``, 1 at 0", "[0.0, 0.5]",
         "[1.    , 0.6366]", ""),
        (signbit, "Whether the sign bit is set (-0.0 included)", "[-1.0, -0.0, 2.0]",
         "[1., 1., 0.]", ", 1.0 / 0.0; no gradient"),
        (isposinf, "Whether x is +inf", "[np.inf, -np.inf, 1.0]", "[1., 0., 0.]",
         ", 1.0 / 0.0; no gradient"),
        (isneginf, "Whether x is -inf", "[np.inf, -np.inf, 1.0]", "[0., 1., 0.]",
         ", 1.0 / 0.0; no gradient")):
    _fn.__doc__ = _UNARY.format(what=_what, name=_fn.__name__, example=_ex, result=_res,
                                extra=_extra)
del _fn, _what, _ex, _res, _extra


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)`` without overflow for large values (``keras.ops.hypot``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First leg.
    x2 : Tensor or array_like
        Second leg (broadcast).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.hypot(np.array([3.0, 3e30], np.float32), np.array([4.0, 4e30], np.float32)).numpy()
    array([5.e+00, 5.e+30], dtype=float32)
    """
    a, b = _a("abs", _tensor(x1)), _a("abs", _tensor(x2))
    m = _a("maximum", a, b)
    safe = where(_a("equal", m, _F(0)), _F(1), m)
    r = _a("mul", m, _a("sqrt", _a("add", _a("square", _a("div", a, safe)),
                                   _a("square", _a("div", b, safe)))))
    return where(_a("equal", m, _F(np.inf)), _F(np.inf), r)


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)``, computed stably (``keras.ops.logaddexp2``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.logaddexp2(np.array([1.0, 100.0], np.float32), np.float32(1)).numpy()
    array([  2., 100.], dtype=float32)
    """
    from .mathfuncs import logaddexp
    ln2 = _F(math.log(2))
    return _a("div", logaddexp(_a("mul", _tensor(x1), ln2), _a("mul", _tensor(x2), ln2)), ln2)


def heaviside(x1, x2):
    """The step function: 0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0`` (``keras.ops.heaviside``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Input.
    x2 : Tensor or array_like
        The value at 0 (broadcast).

    Returns
    -------
    Tensor
        0 where ``x1`` is NaN (as Keras' torch backend; NumPy gives NaN); a
        gradient reaches ``x2`` only.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.heaviside(np.array([-1.0, 0.0, 2.0], np.float32), np.float32(0.5)).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x1 = _tensor(x1)
    step = where(_a("greater", x1, _F(0)), _F(1), _F(0))
    return where(_a("equal", x1, _F(0)), x2, step)


def _nan_ignoring(op, x1, x2):
    a, b = _tensor(x1), _tensor(x2)
    both = _a(op, a, b)
    return where(_a("not_equal", a, a), b, where(_a("not_equal", b, b), a, both))


def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (``keras.ops.fmax``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast).

    Returns
    -------
    Tensor
        The other value where one is NaN; NaN only where both are.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.fmax(np.array([1.0, np.nan], np.float32), np.array([2.0, 3.0], np.float32)).numpy()
    array([2., 3.], dtype=float32)
    """
    return _nan_ignoring("maximum", x1, x2)


def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (``keras.ops.fmin``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast).

    Returns
    -------
    Tensor
        The other value where one is NaN; NaN only where both are.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.fmin(np.array([1.0, np.nan], np.float32), np.array([2.0, 3.0], np.float32)).numpy()
    array([1., 3.], dtype=float32)
    """
    return _nan_ignoring("minimum", x1, x2)
