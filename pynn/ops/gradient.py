"""keras.ops.custom_gradient for the gradients published programs write by hand:
straight-through estimators, gradient reversal, a stable log1pexp, clipped or scaled
gradients. Those gradients are elementwise: ``grad_fn(upstream)`` is ``upstream`` times
a factor computed in the forward pass, per element. pynn builds them from engine ops,
so they run in the eager tape and in compiled models alike:

    out = stop_gradient(y) + sum_i (x_i - stop_gradient(x_i)) * stop_gradient(c_i)

has the value y (the added terms are exactly 0) and the gradient ``upstream * c_i``
to each input x_i, with c_i = grad_fn(ones) read once in the forward pass. Before it
is used, grad_fn is called once more on an upstream of mixed signs and sizes: a
gradient that is not elementwise and linear in upstream (a sum over an axis, a
clip of upstream, a matmul) does not give upstream * c_i there and is refused by
name rather than differentiated wrongly. (The engine calls no Python in backward:
compiled models run their backward in C without the GIL.)"""
import functools
import inspect

import numpy as np

from .. import _C
from ..tensor import Tensor

__all__ = ["custom_gradient"]


def _call_grad(grad_fn, args, upstream):
    """grad_fn called as Keras' torch backend does (``grad_fn(*args, upstream=...)``)
    when it takes an ``upstream`` argument, else as TensorFlow / JAX do
    (``grad_fn(upstream)``)."""
    try:
        params = inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        params = {}
    if "upstream" in params:
        grads = grad_fn(*args, upstream=upstream)
    else:
        grads = grad_fn(upstream)
    return list(grads) if isinstance(grads, (tuple, list)) else [grads]


def _probe(shape):
    """An upstream of mixed signs and sizes (never 0 or 1), the same at every call."""
    n = int(np.prod(shape, dtype=np.int64))
    v = 0.5 + (np.arange(n) * 0.6180339887) % 1.0          # in [0.5, 1.5)
    v = np.where(np.arange(n) % 3 == 1, -v, v)
    return v.reshape(shape).astype(np.float32)


def custom_gradient(f):
    """Decorator for a function with its own gradient (``keras.ops.custom_gradient``).

    ``f(*args)`` returns ``(output, grad_fn)``; the decorated function returns
    ``output``, and the gradient that reaches each tensor argument is what
    ``grad_fn`` returns for it (one value per argument, in order; None for none).
    ``grad_fn`` is called as Keras' torch backend calls it,
    ``grad_fn(*args, upstream=upstream)``, when it has an ``upstream`` parameter
    (Keras' portable form ``def grad(*args, upstream=None)``), else as
    ``grad_fn(upstream)`` (the TensorFlow / JAX form).

    It works in eager code (``loss.backward()``) and in a layer's ``call`` in a
    compiled model (``fit``). The gradient must be elementwise: ``upstream``
    times a factor of each argument's shape (straight-through estimators,
    gradient reversal, scaled or masked gradients); others raise.

    Parameters
    ----------
    f : callable
        ``f(*args) -> (output, grad_fn)``, ``output`` one Tensor.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        ``f`` does not return ``(output, grad_fn)``, the output is not one
        tensor, or ``grad_fn`` is not elementwise in ``upstream`` (checked on
        the first call of every call site).

    Examples
    --------
    >>> @pynn.ops.custom_gradient
    ... def reverse_gradient(x):
    ...     def grad(*args, upstream=None):
    ...         if upstream is None:
    ...             (upstream,) = args
    ...         return -upstream
    ...     return x * 1.0, grad
    >>> x = pynn.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    >>> (reverse_gradient(x) * 3.0).sum().backward()
    >>> x.grad
    array([-3., -3.], dtype=float32)
    """
    name = getattr(f, "__name__", "function")

    @functools.wraps(f)
    def wrapper(*args):
        was = _C.set_grad_enabled(False)  # the forward's own graph is not differentiated
        try:
            result = f(*args)
            if not (isinstance(result, (tuple, list)) and len(result) == 2
                    and callable(result[1])):
                raise ValueError(f"custom_gradient: {name}() must return (output, grad_fn), "
                                 f"got {type(result).__name__}")
            y, grad_fn = result
            if not isinstance(y, Tensor):
                if isinstance(y, (tuple, list, dict)):
                    raise ValueError(f"custom_gradient: {name}() returns {len(y)} outputs; "
                                     f"pynn supports one output tensor")
                y = Tensor(np.asarray(y, np.float32))
            ones = Tensor(np.ones(y.shape, np.float32))
            factors = _call_grad(grad_fn, args, ones)
            probe = _probe(y.shape)
            probed = _call_grad(grad_fn, args, Tensor(probe))
        finally:
            _C.set_grad_enabled(was)
        if len(factors) > len(args):
            raise ValueError(f"custom_gradient: the grad_fn of {name}() returns {len(factors)} "
                             f"gradients for {len(args)} arguments")
        out = _C.apply("stop_gradient", [y])
        for i, (x, c) in enumerate(zip(args, factors)):
            if c is None or not isinstance(x, Tensor) or not x.requires_grad:
                continue
            c = c if isinstance(c, Tensor) else Tensor(np.asarray(c, np.float32))
            g = probed[i] if i < len(probed) else None
            g = None if g is None else np.asarray(g.numpy() if isinstance(g, Tensor) else g)
            if tuple(c.shape) != tuple(x.shape) or tuple(x.shape) != tuple(y.shape) \
                    or g is None or g.shape != tuple(x.shape) \
                    or not np.allclose(g, probe * c.numpy(), rtol=1e-5, atol=1e-6,
                                       equal_nan=True):
                raise ValueError(
                    f"custom_gradient: the gradient {name}() gives to argument {i} is not "
                    f"upstream times a factor of its shape {tuple(x.shape)} (the output is "
                    f"{tuple(y.shape)}); pynn supports elementwise custom gradients (a "
                    f"straight-through estimator, gradient reversal, a scaled or masked "
                    f"upstream). Write the rest with differentiable pynn.ops and "
                    f"ops.stop_gradient instead")
            x_minus_x = _C.apply("sub", [x, _C.apply("stop_gradient", [x])])  # 0, slope 1
            out = _C.apply("add", [out, _C.apply("mul", [x_minus_x,
                                                         _C.apply("stop_gradient", [c])])])
        return out

    return wrapper
