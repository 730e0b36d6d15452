"""The batch size of a traced model as a size: ops.shape(x)[0] and arithmetic on it.

A compiled model is traced once with a batch of 1 and replayed with other batch
sizes, so ``ops.shape(x)[0]`` cannot be a plain int there: an op given it would bake
in 1 (``ops.ones((ops.shape(x)[0], 4))`` made one row at every batch; broadcasting
sometimes hid it). It is a `BatchDim`: an int (the traced value) that also holds a
tensor whose first axis has that length at every replay. Creation and shape ops
build their result from that tensor instead of from the int.

Arithmetic keeps following the batch where the length can be built from engine ops
(``n + k``, ``n - k``, ``n * k``, ``n // k``, ``n + m``, ``n * m``); anything else
(``n % 2``, ``n ** 2``, ``k - n``, ``n / 2``) gives a `BatchDependent`, which the size
taking ops refuse by name rather than use its traced value.
"""
import numbers

import numpy as np

from .. import _C


def _plain_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_)) \
        and not isinstance(v, (BatchDim, BatchDependent))


class _Dependent:
    """Arithmetic on a batch-dependent number stays batch-dependent (``-n + 4`` must not
    become the plain int 3)."""

    def __new__(cls, value, how):
        obj = super().__new__(cls, value)
        obj.how = how
        return obj


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
            "pow": "**"}


def _propagating(name, symbol, reflected):
    def method(self, other):
        value = getattr(super(_Dependent, self), name)(other)
        left, right = (_how(other), self.how) if reflected else (self.how, _how(other))
        return _dependent(value, f"({left} {symbol} {right})")
    return method


for _name, _symbol in _SYMBOLS.items():
    setattr(_Dependent, f"__{_name}__", _propagating(f"__{_name}__", _symbol, False))
    setattr(_Dependent, f"__r{_name}__", _propagating(f"__r{_name}__", _symbol, True))
_Dependent.__neg__ = lambda self: _dependent(-self.real, f"-{self.how}")


def _refused_operand(self):
    if not _C.is_tracing():
        raise AttributeError("_tensor")
    raise ValueError(f"the value {self.how} is computed from ops.shape(x)[0] (the batch size), "
                     "which is not supported inside a compiled model: its value changes from "
                     "batch to batch and this arithmetic cannot follow it; compute it from "
                     "ops.cast(ops.shape(x)[0], 'float32') instead")


# a tensor operand (h / (n % 2)): the engine asks for _tensor and gets this refusal
_Dependent._tensor = property(_refused_operand)


class BatchDependent(_Dependent, int):
    """A size computed from ops.shape(x)[0] that engine ops cannot follow from batch to
    batch: its int is the traced value, which no op may use (`refuse` names the op)."""


class BatchDependentFloat(_Dependent, float):
    """``ops.shape(x)[0] / k`` in a traced model: the traced value, refused as a size."""


class BatchDim(int):
    """ops.shape(x)[0] while a model is traced: the int the trace sees (1), which also
    remembers a tensor whose first axis has this length at every replay (``tensor``),
    so that creation ops, reshape and pynn.random follow the batch size the compiled
    model is replayed with instead of baking in the traced one."""

    def __new__(cls, value, tensor, how="ops.shape(x)[0]", offset=None):
        obj = super().__new__(cls, value)
        obj.tensor = tensor
        obj.how = how
        # k when this is the batch size plus k (ops.shape(x)[0] itself: 0), else None
        # (n // 2, 2 * n): what a slice bound on the batch axis can say relative to its end
        obj.offset = 0 if offset is None and how == "ops.shape(x)[0]" else offset
        return obj

    # int(n) / float(n) of the batch size in a traced model: a Python number, which no
    # op can follow from batch to batch; refused rather than baked in (Keras, eager on
    # torch, gives the real batch size)
    def __int__(self):
        if _C.is_tracing():
            raise ValueError(
                f"int({self.how}): the batch size is a Python int only while the model is "
                "traced (with a batch of 1); the compiled model replays every batch size, so "
                "int() of it would bake 1 in. Pass ops.shape(x)[0] itself to the ops (ones, "
                "reshape, arange, tile, slices x[:n] ...), or ops.cast(ops.shape(x)[0], "
                "'float32') where a number is needed")
        return int.__int__(self)

    def __float__(self):
        if _C.is_tracing():
            raise ValueError(
                f"float({self.how}): the batch size is a Python number only while the model "
                "is traced (with a batch of 1), so float() of it would bake 1 into the "
                "compiled model; use ops.cast(ops.shape(x)[0], 'float32'), a tensor that "
                "follows the batch")
        return float(int.__int__(self))

    @property
    def _tensor(self):
        """As a tensor operand (``h / n``): the batch size at every replay."""
        if not _C.is_tracing():
            raise AttributeError("_tensor")
        return count(self)

    # -- arithmetic that stays a length built from the batch
    def __add__(self, other):
        if isinstance(other, BatchDim):
            return BatchDim(_value(self) + _value(other), _C.apply("concatenate", [_zeros(self), _zeros(other)],
                                                             axis=0), f"({self.how} + {other.how})")
        if not _plain_int(other):
            return _dependent(int.__add__(self, other), f"{self.how} + {other!r}")
        k = int(other)
        if k == 0:
            return self
        if k > 0:  # k more rows than the batch
            from ..tensor import Tensor
            ref = _C.apply("concatenate", [_zeros(self), Tensor(np.zeros(k, np.float32))], axis=0)
        else:  # all but the last -k (NumPy's slice: none when the batch is smaller)
            ref = _zeros(self)[:k]
        return BatchDim(_value(self) + k, ref, f"{self.how} {'+' if k > 0 else '-'} {abs(k)}",
                        offset=None if self.offset is None else self.offset + k)

    __radd__ = __add__

    def __sub__(self, other):
        if _plain_int(other):
            return self + (-int(other))
        return _dependent(int.__sub__(self, other), f"{self.how} - {_how(other)}")

    def __rsub__(self, other):
        return _dependent(int.__rsub__(self, other), f"{_how(other)} - {self.how}")

    def __mul__(self, other):
        if isinstance(other, BatchDim):  # every pair of rows: an outer sum, flattened
            grid = _C.apply("add", [_C.apply("reshape", [_zeros(self)], shape=(-1, 1)),
                                    _C.apply("reshape", [_zeros(other)], shape=(1, -1))])
            return BatchDim(_value(self) * _value(other), _C.apply("reshape", [grid], shape=(-1,)),
                            f"{self.how} * {other.how}")
        if not _plain_int(other) or other < 0:
            return _dependent(int.__mul__(self, other), f"{self.how} * {other!r}")
        k = int(other)
        if k == 1:
            return self
        column = _C.apply("reshape", [_zeros(self)], shape=(-1, 1))
        ref = _C.apply("reshape", [_C.apply("broadcast_to", [column], shape=(-1, k))], shape=(-1,))
        return BatchDim(_value(self) * k, ref, f"{self.how} * {k}")

    __rmul__ = __mul__

    def __floordiv__(self, other):
        if not _plain_int(other) or other <= 0:
            return _dependent(int.__floordiv__(self, other), f"{self.how} // {_how(other)}")
        k = int(other)
        if k == 1:
            return self
        # rows k-1, 2k-1, ...: floor(n / k) of them
        return BatchDim(_value(self) // k, _zeros(self)[k - 1::k], f"{self.how} // {k}")

    # -- the rest cannot be built as a length
    def __rfloordiv__(self, other):
        return _dependent(int.__rfloordiv__(self, other), f"{_how(other)} // {self.how}")

    def __mod__(self, other):
        return _dependent(int.__mod__(self, other), f"{self.how} % {_how(other)}")

    def __rmod__(self, other):
        return _dependent(int.__rmod__(self, other), f"{_how(other)} % {self.how}")

    def __pow__(self, other, mod=None):
        return _dependent(int.__pow__(self, other, mod), f"{self.how} ** {_how(other)}")

    def __rpow__(self, other, mod=None):
        return _dependent(int.__rpow__(self, other, mod), f"{_how(other)} ** {self.how}")

    def __truediv__(self, other):
        return _dependent(int.__truediv__(self, other), f"{self.how} / {_how(other)}")

    def __rtruediv__(self, other):
        return _dependent(int.__rtruediv__(self, other), f"{_how(other)} / {self.how}")

    def __neg__(self):
        return _dependent(-_value(self), f"-{self.how}")

    def __divmod__(self, other):
        return self // other, self % other


def _how(v):
    return getattr(v, "how", repr(v))


def _value(v):
    """The traced int of a BatchDim (int() of it refuses while tracing), or v."""
    return int.__int__(v) if isinstance(v, BatchDim) else v


def slice_key(x, key):
    """A getitem key whose slice bounds hold sizes computed from ops.shape(x)[0], as the
    engine's static slice and a gather can follow them at every batch size: (key, gathers),
    gathers [(output axis, index tensor)] to take after slicing with key.

    On the batch axis (axis 0, of the traced batch's length), ``n + k`` is a bound
    relative to the end: ``x[:n]`` is ``x[:]``, ``x[:n - 1]`` is ``x[:-1]``, ``x[n - 2:]``
    is ``x[-2:]``. Elsewhere, or for ``n // 2``, ``2 * n``, a stop with no start is a
    gather of the first rows (``x[:n // 2]``, ``z[:n]`` of a (2n, ...) tensor). Other
    forms are refused by name: their traced value would be baked into the model."""
    gathers, out, ax, out_axis = [], [], 0, 0
    for k in key:
        if isinstance(k, slice) and any(isinstance(b, (BatchDim, BatchDependent,
                                                       BatchDependentFloat))
                                        for b in (k.start, k.stop, k.step)):
            refuse("getitem", (k.start, k.stop, k.step))
            start, stop, step = k.start, k.stop, k.step
            if isinstance(step, BatchDim):
                _refuse_slice(k, "a step")
            rows = int(x.shape[ax])
            relative = lambda b: ax == 0 and isinstance(b, BatchDim) and b.offset is not None \
                and _value(b) - b.offset == rows  # noqa: E731
            if all(b is None or not isinstance(b, BatchDim) or relative(b) for b in (start, stop)):
                if isinstance(start, BatchDim):  # n + k from the start: -|k| from the end
                    start = start.offset if start.offset < 0 else 2 ** 62
                if isinstance(stop, BatchDim):
                    stop = stop.offset if stop.offset < 0 else None
                out.append(slice(start, stop, step))
            elif isinstance(stop, BatchDim) and start in (None, 0) and step in (None, 1):
                out.append(slice(None))
                gathers.append((out_axis, _C.apply("arange_like", [stop.tensor])))
            else:
                _refuse_slice(k, "a start" if isinstance(start, BatchDim) else "a bound")
        elif isinstance(k, BatchDim) and ax == 0 and k.offset is not None and k.offset < 0 \
                and _value(k) - k.offset == int(x.shape[0]):
            out.append(k.offset)  # x[n - 1]: the last row
        else:
            refuse("getitem", (k,))
            out.append(k)
        if k is None:
            out_axis += 1
        elif isinstance(k, slice):
            out_axis += 1
            ax += 1
        elif k is not Ellipsis:
            ax += 1
    return tuple(out), gathers


def _refuse_slice(k, what):
    b = next(b for b in (k.start, k.stop, k.step) if isinstance(b, BatchDim))
    raise ValueError(
        f"getitem: the slice [{k.start}:{k.stop}{'' if k.step is None else f':{k.step}'}] has "
        f"{what} computed from ops.shape(x)[0] ({b.how}) that pynn's compiled model cannot "
        "follow from batch to batch (it can: x[:n], x[:n - k], x[n - k:] on the batch axis, "
        "and x[:m] for any m computed from n). Slice with constants, or split the batch "
        "with ops.split / outside the model")


def _dependent(value, how):
    if value is NotImplemented:
        return value
    if isinstance(value, float):
        return BatchDependentFloat(value, how)
    return BatchDependent(value, how)


def _zeros(n):
    """A 1-D float32 tensor of zeros whose length is n at every replay."""
    return _C.apply("mul", [_C.apply("arange_like", [n.tensor]), np.float32(0.0)])


def count(n):
    """n as a float32 scalar tensor that is n at every replay (ops.cast(ops.shape(x)[0],
    "float32") dividing a sum by the batch size)."""
    return _C.apply("sum", [_C.apply("add", [_zeros(n), np.float32(1.0)])])


def follows(v):
    """Whether v is a size that follows the batch of a model being traced."""
    return isinstance(v, BatchDim) and _C.is_tracing()


def refuse(op, values):
    """ValueError naming op when a size in values was computed from the batch size in a
    way the engine cannot follow (its traced value would be baked into the model)."""
    for v in values:
        if isinstance(v, (BatchDependent, BatchDependentFloat)):
            raise ValueError(
                f"{op}: the size {v.how} is computed from ops.shape(x)[0] (the batch size), which "
                "is not supported inside a compiled model: its value changes from batch to batch "
                "and this arithmetic cannot follow it (n + k, n - k, n * k, n // k can). Use -1 in "
                "a reshape, or compute the size outside the model")


def zeros_along(n, axis, ndim):
    """Zeros of rank ndim, length n on axis and 1 elsewhere: added to a tensor of length
    1 (or n) on that axis, it broadcasts it to n rows at every replay."""
    shape = [1] * ndim
    shape[axis] = -1
    return _C.apply("reshape", [_zeros(n)], shape=tuple(shape))


def follow_shape(base, shape):
    """base broadcast to shape, whose BatchDim entries follow the batch: base is first
    broadcast with 1 there (-1, i.e. its own length, where base has that axis), then the
    zeros of every such axis are added (gradients reach base through both)."""
    nd = len(shape)
    lead = nd - base.ndim
    fixed = [(-1 if i >= lead else 1) if isinstance(d, BatchDim) else int(d)
             for i, d in enumerate(shape)]
    out = _C.apply("broadcast_to", [base], shape=tuple(fixed))
    for i, d in enumerate(shape):
        if isinstance(d, BatchDim):
            out = _C.apply("add", [out, zeros_along(d, i, nd)])
    return out
