"""pynn.Tensor: the eager face of the C engine.

Conversion rule (applied once, at the boundary, whenever an array-like meets
the engine):

* a ``pynn.Tensor`` is used as it is;
* a NumPy ``float32`` array that is C-contiguous and aligned is used **in place**
  (no copy: ``np.shares_memory(t.numpy(), a)`` holds and writes to ``a`` are
  seen by ``t``);
* any other bool, integer or floating array, a nested list, a Python number, a
  pandas object or anything with ``__array__`` is converted to a new float32
  C-contiguous array (float64 is rounded to float32; integers are exact up to
  2**24);
* strings, objects and complex numbers raise ``TypeError``.
"""
import numpy as np

from . import _C


class Tensor(_C.Tensor):
    __doc__ = __doc__
    __array_priority__ = 1000  # so ndarray op Tensor defers to Tensor

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.numpy(), precision=4, separator=', ')}{extra})"

    # numeric hooks the C number protocol calls
    def _neg(self):
        return _C.apply("neg", [self])

    def _pow(self, exponent):
        if isinstance(exponent, (int, float, np.floating, np.integer)):
            return _C.apply("pow", [self], fattr=[float(exponent)])
        raise TypeError("Tensor ** x supports a scalar exponent only; got "
                        f"{type(exponent).__name__}")

    def __radd__(self, other):
        return _C.apply("add", [other, self])

    def __rsub__(self, other):
        return _C.apply("sub", [other, self])

    def __rmul__(self, other):
        return _C.apply("mul", [other, self])

    def __rtruediv__(self, other):
        return _C.apply("div", [other, self])

    def __rmatmul__(self, other):
        return _C.apply("matmul", [other, self])

    # reductions and activations as methods (thin forwards to pynn.ops)
    def sum(self, axis=None, keepdims=False):
        from . import ops
        return ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        from . import ops
        return ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        from . import ops
        return ops.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        from . import ops
        return ops.min(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        from . import ops
        return ops.var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        from . import ops
        return ops.std(self, axis, keepdims, ddof)

    def exp(self):
        return _C.apply("exp", [self])

    def log(self):
        return _C.apply("log", [self])

    def sqrt(self):
        return _C.apply("sqrt", [self])

    def abs(self):
        return _C.apply("abs", [self])

    __abs__ = abs

    def relu(self):
        return _C.apply("relu", [self])

    def sigmoid(self):
        return _C.apply("sigmoid", [self])

    def tanh(self):
        return _C.apply("tanh", [self])

    def clip(self, x_min, x_max):
        from . import ops
        return ops.clip(self, x_min, x_max)

    def softmax(self, axis=-1):
        from . import ops
        return ops.softmax(self, axis)

    @property
    def dtype(self):
        return np.dtype(np.float32)

    @property
    def T(self):
        from . import ops
        return ops.transpose(self)

    # shape methods: thin forwards to pynn.ops.shape (C ops with gradients)
    def __getitem__(self, key):
        from .ops import shape
        return shape.getitem(self, key)

    def reshape(self, *shape):
        from .ops import shape as _shape
        return _shape.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        from .ops import shape as _shape
        return _shape.transpose(self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)

    def flatten(self):
        from .ops import shape as _shape
        return _shape.flatten(self)


_C._set_tensor_class(Tensor)


class no_grad:
    """Context manager (and decorator) that records no graph inside it."""

    def __enter__(self):
        self._prev = _C.set_grad_enabled(False)
        return self

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with no_grad():
                return fn(*a, **k)

        return wrapper


def is_grad_enabled():
    return _C.is_grad_enabled()
