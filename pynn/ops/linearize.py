"""Ops computed by NumPy whose gradient is exact: the result is the NumPy value
plus the op's differential applied to the inputs' zero change.

For ``y = f(x)`` computed eagerly in float64, ``x - stop_gradient(x)`` is a
tensor of zeros that carries ``x``'s gradient; ``df(dx)``, the op's differential
(linear in ``dx``, with constants taken from the forward: the inverse, the
eigenvectors, ...), written with engine ops, is then zeros too, and
``y + df(x - stop_gradient(x))`` has the value ``y`` and the gradient
``df^T(g)``: the op's exact vector-Jacobian product, with nothing new in C.

The constants come from one input's values, so a model being traced (at batch
size 1, then replayed at every size) cannot hold them: such ops refuse there.
A functional graph finds their output shapes by a dry run (pynn/layers/operation.py),
whose zeros would be singular: under `shape_only` they compute on identity
matrices instead, which have every property these ops require."""
import contextlib
import threading

import numpy as np

from .. import _C

__all__ = []

_F = np.float32
_state = threading.local()


@contextlib.contextmanager
def shape_only():
    """Within: eager ops compute on stand-in values (only the shapes are wanted)."""
    was = getattr(_state, "shape_only", False)
    _state.shape_only = True
    try:
        yield
    finally:
        _state.shape_only = was


def _stand_in(shape):
    if len(shape) < 2:
        return np.ones(shape)
    return np.broadcast_to(np.eye(shape[-2], shape[-1]), shape).copy()


def eager(op, *xs):
    """The inputs' values as float64 arrays; refuses inside a model being traced."""
    if _C.is_tracing():
        raise ValueError(f"{op} inside a model: it is computed eagerly (NumPy) from the values of "
                         "its input, which a compiled model does not have; call it on eager "
                         "tensors (model(x), or a custom train_step)")
    from .shape import _tensor
    ts = [_tensor(x) for x in xs]
    if getattr(_state, "shape_only", False):
        return ts, [_stand_in(t.shape) for t in ts]
    return ts, [t.numpy().astype(np.float64) for t in ts]


def needs_grad(tensors):
    return _C.is_grad_enabled() and any(t.requires_grad for t in tensors)


def linearized(op, values, tensors, differential):
    """Tensors of ``values`` (float64 arrays) carrying the gradient of ``differential``.

    ``differential(*deltas)`` returns one Tensor (or None: no gradient) per value,
    linear in the deltas (one per input tensor, zeros that carry its gradient)."""
    from ..tensor import Tensor
    outs = [Tensor(np.array(v, dtype=_F, order="C")) for v in values]
    if not needs_grad(tensors):
        return outs
    deltas = [_C.apply("sub", [t, _C.apply("stop_gradient", [t])]) for t in tensors]
    result = []
    for out, d in zip(outs, differential(*deltas)):
        if d is None:
            result.append(out)
            continue
        if not np.all(d.numpy() == 0):  # a non-finite constant: inf * 0
            raise ValueError(f"{op}: the gradient is not defined at this input (the forward's "
                             "constants are not finite, e.g. a singular matrix)")
        result.append(_C.apply("add", [out, d]))
    return result


def mT(x):
    """The transpose of the last two axes."""
    n = x.ndim
    return _C.apply("transpose", [x], axes=tuple(range(n - 2)) + (n - 1, n - 2))


def mm(a, b):
    return _C.apply("matmul", [a, b], transpose_a=False, transpose_b=False)


def c(a):
    """A float32 constant."""
    return np.array(a, dtype=_F, order="C")
