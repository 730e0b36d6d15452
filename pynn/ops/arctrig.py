"""pynn.ops.arctrig: the inverse trigonometric functions of ``keras.ops`` — arctan,
arcsin, arccos, arctan2 — and the complementary / inverse error functions erfc,
erfinv. Each is one engine op (csrc/core/ops/arctrig.c, erf_more.c) with its
backward next to its forward, so they differentiate and trace into a model."""
from .. import _C
from .shape import _tensor

__all__ = ["arctan", "arcsin", "arccos", "arctan2", "erfc", "erfinv"]


def arctan(x):
    return _C.apply("arctan", [_tensor(x)])


def arcsin(x):
    return _C.apply("arcsin", [_tensor(x)])


def arccos(x):
    return _C.apply("arccos", [_tensor(x)])


def erfc(x):
    return _C.apply("erfc", [_tensor(x)])


def erfinv(x):
    return _C.apply("erfinv", [_tensor(x)])


_UNARY = """{what} (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        Elementwise; {domain}

    Examples
    --------
    >>> pynn.ops.{name}(np.array({example}, np.float32)).numpy().round(4)
    array({result}, dtype=float32)
    """
for _fn, _what, _domain, _ex, _res in (
        (arctan, "Inverse tangent, in (-pi/2, pi/2)", "gradient ``1 / (1 + x**2)``.",
         "[0.0, 1.0]", "[0.    , 0.7854]"),
        (arcsin, "Inverse sine, in [-pi/2, pi/2]",
         "NaN outside [-1, 1]; gradient ``1 / sqrt(1 - x**2)`` (inf at +-1).",
         "[0.0, 1.0]", "[0.    , 1.5708]"),
        (arccos, "Inverse cosine, in [0, pi]",
         "NaN outside [-1, 1]; gradient ``-1 / sqrt(1 - x**2)`` (-inf at +-1).",
         "[1.0, -1.0]", "[0.    , 3.1416]"),
        (erfc, "Complementary error function ``1 - erf(x)``, precise in the right tail",
         "gradient ``-2 / sqrt(pi) * exp(-x**2)``.", "[0.0, 3.0]", "[1.    , 0.    ]"),
        (erfinv, "Inverse error function, ``erf(erfinv(x)) == x``",
         "+-inf at +-1, NaN outside [-1, 1]; gradient ``sqrt(pi) / 2 * exp(erfinv(x)**2)``.",
         "[0.0, 0.5]", "[0.    , 0.4769]")):
    _fn.__doc__ = _UNARY.format(what=_what, name=_fn.__name__, domain=_domain, example=_ex,
                                result=_res)
del _fn, _what, _domain, _ex, _res


def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)``, ``atan(x1 / x2)`` in the right quadrant
    (``keras.ops.arctan2``).

    Parameters
    ----------
    x1 : Tensor or array_like
        The y coordinates.
    x2 : Tensor or array_like
        The x coordinates (broadcast against ``x1``, NumPy rules).

    Returns
    -------
    Tensor
        In [-pi, pi]. The gradient is ``(x2, -x1) / (x1**2 + x2**2)``, 0 at the origin
        (as torch's).

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> y = np.array([1.0, 1.0, -1.0], np.float32)
    >>> pynn.ops.arctan2(y, np.array([1.0, -1.0, -1.0], np.float32)).numpy().round(4)
    array([ 0.7854,  2.3562, -2.3562], dtype=float32)
    """
    return _C.apply("arctan2", [_tensor(x1), _tensor(x2)])
