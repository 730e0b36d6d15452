"""pynn.ops.elementwise: elementwise math on Tensors (forward and backward in C,
csrc/core/ops/unary.c).

Derivatives at kinks follow PyTorch: ``abs'(0) = 0``; ``clip`` passes the
gradient where ``x_min <= x <= x_max`` (closed interval, as Keras and torch);
``pow(x, 0)`` has gradient 0 everywhere."""
import numbers

import numpy as np

from .. import _C

__all__ = ["neg", "negative", "pow", "power", "exp", "log", "sqrt", "abs", "absolute",
           "square", "clip"]


def _scalar(op, name, v):
    """A real Python/NumPy scalar as float; TypeError naming the op otherwise."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating,
                                                             np.integer)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(v).__name__}")
    return float(v)


def neg(x):
    """-x."""
    return _C.apply("neg", [x])


negative = neg


def pow(x, exponent):
    """x ** exponent for a scalar exponent (the gradient is taken w.r.t. x only).

    Negative x with a non-integer exponent gives NaN, as in NumPy and torch."""
    return _C.apply("pow", [x], fattr=[_scalar("pow", "exponent", exponent)])


power = pow


def exp(x):
    return _C.apply("exp", [x])


def log(x):
    """Natural logarithm (-inf at 0, NaN below, as NumPy)."""
    return _C.apply("log", [x])


def sqrt(x):
    return _C.apply("sqrt", [x])


def abs(x):
    return _C.apply("abs", [x])


absolute = abs


def square(x):
    return _C.apply("square", [x])


def clip(x, x_min, x_max):
    """Limits x to [x_min, x_max]; the gradient is 1 inside the closed interval
    and 0 outside (Keras / torch)."""
    lo = _scalar("clip", "x_min", x_min)
    hi = _scalar("clip", "x_max", x_max)
    if np.isnan(lo) or np.isnan(hi) or lo > hi:
        raise ValueError(f"clip: x_min ({lo}) must be <= x_max ({hi})")
    return _C.apply("clip", [x], fattr=[lo, hi])
