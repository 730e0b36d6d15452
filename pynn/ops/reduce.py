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

__all__ = ["sum", "mean", "max", "min", "var", "std"]


def _ndim(x):
    nd = getattr(x, "ndim", None)
    return nd if isinstance(nd, int) else np.ndim(x)


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _attrs(op, x, axis, keepdims):
    """(iattr, iv) for the C op, after checking axis against the rank."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be a bool, got {type(keepdims).__name__}")
    if axis is None:
        return [int(keepdims), 0], []
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
    return [int(keepdims), 1], norm


def sum(x, axis=None, keepdims=False):
    if isinstance(x, (list, tuple)):  # keras.ops.sum(model.losses): a list of scalars
        from .shape import stack
        x = stack(list(x)) if x else np.zeros(1, np.float32)
    iattr, iv = _attrs("sum", x, axis, keepdims)
    return _C.apply("sum", [x], iattr=iattr, iv=iv)


def mean(x, axis=None, keepdims=False):
    """Mean over axis; NaN over zero elements, as NumPy and torch."""
    iattr, iv = _attrs("mean", x, axis, keepdims)
    return _C.apply("mean", [x], iattr=iattr, iv=iv)


def max(x, axis=None, keepdims=False):
    """Largest value over axis (NaN if the slice holds one); the gradient is
    split evenly between ties (torch.amax). Raises ValueError over zero elements."""
    iattr, iv = _attrs("max", x, axis, keepdims)
    return _C.apply("max", [x], iattr=iattr, iv=iv)


def min(x, axis=None, keepdims=False):
    """Smallest value over axis; see max."""
    iattr, iv = _attrs("min", x, axis, keepdims)
    return _C.apply("min", [x], iattr=iattr, iv=iv)


def _ddof(op, ddof):
    if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (numbers.Real, np.integer,
                                                                  np.floating)):
        raise TypeError(f"{op}: ddof must be a number, got {type(ddof).__name__}")
    if not ddof >= 0:
        raise ValueError(f"{op}: ddof must be >= 0, got {ddof}")
    return float(ddof)


def var(x, axis=None, keepdims=False, ddof=0):
    """sum((x - mean)^2) / (N - ddof) over axis (two-pass, in double)."""
    iattr, iv = _attrs("var", x, axis, keepdims)
    return _C.apply("var", [x], fattr=[_ddof("var", ddof)], iattr=iattr, iv=iv)


def std(x, axis=None, keepdims=False, ddof=0):
    """sqrt(var(x)); its gradient is taken as 0 where std is 0 (torch does too)."""
    iattr, iv = _attrs("std", x, axis, keepdims)
    return _C.apply("std", [x], fattr=[_ddof("std", ddof)], iattr=iattr, iv=iv)
