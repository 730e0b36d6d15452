"""pynn.ops.bitwise: ``keras.ops``' bitwise ops on integers — bitwise_and, _or, _xor,
_not / _invert, _left_shift / left_shift, _right_shift / right_shift.

pynn tensors are float32, so an integer is a float32 holding a whole number
(exact up to 2**24). These ops check that their inputs are whole numbers,
compute on int32 (two's complement, Keras' default integer type) and refuse a
result float32 cannot hold exactly, rather than round it. Integers carry no
gradient; the ops compute eagerly (NumPy) and refuse inside a model being traced."""
import numpy as np

from .. import _C
from .shape import _tensor

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert",
           "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift"]

_EXACT = 2 ** 24


def _ints(op, *xs):
    if _C.is_tracing():
        raise ValueError(f"{op} inside a model: bitwise ops compute eagerly on integers; call it "
                         "on eager tensors")
    out = []
    for x in xs:
        raw = x if isinstance(x, np.ndarray) and x.dtype.kind in "iub" else _tensor(x).numpy()
        if raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw))):
            raise ValueError(f"{op}: inputs must be whole numbers, got {raw.ravel()[:4]!r}...")
        if np.any(np.abs(raw.astype(np.float64)) > 2 ** 31):
            raise ValueError(f"{op}: inputs must fit in int32")
        out.append(raw.astype(np.int64).astype(np.int32))
    return out


def _result(op, r):
    from ..tensor import Tensor
    if np.any(np.abs(r.astype(np.int64)) > _EXACT):
        raise ValueError(f"{op}: a result ({int(r.ravel()[np.argmax(np.abs(r.ravel()))]):d}) is "
                         "beyond 2**24, which float32 tensors cannot hold exactly")
    return Tensor(r.astype(np.float32))


_DOC = """Elementwise bitwise {what} of integers (``keras.ops.{name}``).

    Parameters
    ----------
    x : Tensor or array_like
        Whole numbers (int32 range).{y}

    Returns
    -------
    Tensor
        Whole numbers as float32 (no gradient).

    Raises
    ------
    ValueError
        Inputs that are not whole numbers or do not fit int32, shapes that do
        not broadcast, a result beyond 2**24, {extra}a call inside a model being traced.

    Examples
    --------
    >>> pynn.ops.{name}({args}).numpy()
    array({result}, dtype=float32)
    """
_Y = """
    y : Tensor or array_like
        Whole numbers, broadcast against ``x``.{more}"""


def _binary(name, fn, what, args, result, extra="", shift=False):
    def op(x, y):
        a, b = _ints(name, x, y)
        if shift and np.any((b < 0) | (b > 31)):
            raise ValueError(f"{name}: shift counts must be in [0, 31], got {b.ravel()[:4]!r}")
        try:
            return _result(name, fn(a, b))
        except ValueError as e:
            if "broadcast" in str(e):
                raise ValueError(f"{name}: shapes {a.shape} and {b.shape} do not broadcast") \
                    from None
            raise
    op.__name__ = op.__qualname__ = name
    more = " Shift counts, in [0, 31]." if shift else ""
    op.__doc__ = _DOC.format(what=what, name=name, y=_Y.format(more=more), extra=extra, args=args,
                             result=result)
    return op


bitwise_and = _binary("bitwise_and", np.bitwise_and, "AND", "[12, 10], [6, 3]", "[4., 2.]")
bitwise_or = _binary("bitwise_or", np.bitwise_or, "OR", "[12, 10], [6, 3]", "[14., 11.]")
bitwise_xor = _binary("bitwise_xor", np.bitwise_xor, "exclusive OR", "[12, 10], [6, 3]",
                      "[10.,  9.]")
bitwise_left_shift = _binary("bitwise_left_shift", np.left_shift, "left shift", "[1, 3], [4, 2]",
                             "[16., 12.]", "a shift count outside [0, 31], ", shift=True)
bitwise_right_shift = _binary("bitwise_right_shift", np.right_shift, "right shift (arithmetic)",
                              "[16, -8], [2, 1]", "[ 4., -4.]", "a shift count outside [0, 31], ",
                              shift=True)
left_shift = _binary("left_shift", np.left_shift, "left shift (as `bitwise_left_shift`)",
                     "[1, 3], [4, 2]", "[16., 12.]", "a shift count outside [0, 31], ", shift=True)
right_shift = _binary("right_shift", np.right_shift, "right shift (as `bitwise_right_shift`)",
                      "[16, -8], [2, 1]", "[ 4., -4.]", "a shift count outside [0, 31], ",
                      shift=True)


def _unary(name):
    def op(x):
        (a,) = _ints(name, x)
        return _result(name, np.invert(a))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = _DOC.format(what="NOT (two's complement: ``-x - 1``)", name=name, y="", extra="",
                             args="[0, 5, -3]", result="[-1., -6.,  2.]")
    return op


bitwise_not = _unary("bitwise_not")
bitwise_invert = _unary("bitwise_invert")
