"""pynn.Tensor: the eager face of the C engine (see ``help(pynn.Tensor)``)."""
import numpy as np

from . import _C


class Tensor(_C.Tensor):
    """A float32 array that records the ops applied to it, for gradients.

    ``pynn.Tensor(data, requires_grad=False)`` wraps ``data``; every pynn op on
    tensors runs at once in C (eager mode) and, while grad mode is on and an
    input requires grad, records itself so that ``loss.backward()`` can fill
    the ``.grad`` of every leaf tensor that requires grad.

    Parameters
    ----------
    data : array_like or Tensor
        Converted by the conversion rule below. ``Tensor(t)`` is a new leaf
        sharing ``t``'s memory, outside ``t``'s graph.
    requires_grad : bool, default False
        Whether ``backward()`` accumulates a gradient into this leaf's ``.grad``.

    Conversion rule
    ---------------
    Applied once, at the boundary, whenever an array-like meets the engine:

    * a ``pynn.Tensor`` is used as it is;
    * a NumPy ``float32`` array that is C-contiguous and aligned is used **in
      place** (no copy: ``np.shares_memory(t.numpy(), a)`` holds and writes to
      ``a`` are seen by ``t``);
    * any other bool, integer or floating array, a nested list, a Python
      number, a pandas object or anything with ``__array__`` is converted to a
      new float32 C-contiguous array (float64 is rounded to float32; integers
      are exact up to 2**24);
    * strings, bytes, objects and complex numbers raise ``TypeError``.

    Read-only memory
    ----------------
    An array whose owner declared it read-only (``a.flags.writeable`` is
    False: a ``mode="r"`` memmap, ``np.frombuffer(some_bytes)``, an array you
    locked) is used in place like any other, and the tensor is **read-only**:
    ``t.numpy()`` is a read-only view, and nothing writes its values. In-place
    ops (``t += x``), optimizers (``opt.apply``), BatchNormalization's moving
    statistics in training and every other writer raise ``ValueError`` instead.
    Reading (any op, ``backward`` into other leaves) works as usual. Tensors
    made from it (``Tensor(t)``, ``t.detach()``) are read-only too; op results
    are new, writable memory. To train such data, wrap a writable copy:
    ``pynn.Tensor(np.array(a))``. The mark is taken when the array is wrapped.

    Eager training
    --------------
    * ``loss.backward()`` (a one-element ``loss``) **adds** d loss / d leaf into
      ``leaf.grad``, a NumPy view. Reset it between steps, as in PyTorch:
      ``W.grad = None`` (dropped; the next backward starts from zero) or
      ``W.grad[...] = 0``.
    * ``with pynn.no_grad():`` (also a decorator) records nothing; results do
      not require grad. Grad mode is per thread: ``no_grad`` in one thread does
      not affect another.
    * In-place ``t += x``, ``-=``, ``*=``, ``/=`` keep the object, its
      ``requires_grad`` and every NumPy view of it (``t.numpy()`` sees the new
      values); ``x`` broadcasts to ``t``'s shape, never the other way. As in
      PyTorch, a leaf that requires grad may be updated in place only under
      ``no_grad()`` -- that is the eager SGD step ``W -= lr * W.grad`` --
      and is refused with ``RuntimeError`` outside it. Also refused with
      ``RuntimeError``: in-place on a tensor made by an op of a graph that
      requires grad (backward needs its old value; write ``t = t + x``), and
      in-place with an ``x`` that requires grad while grad mode is on.
    * Each in-place op moves the tensor's version on; ``backward()`` through an
      op recorded before that raises ``ValueError`` rather than return a wrong
      gradient. Writes through NumPy views (``t.numpy()[...] = v``) or
      through the original array are not tracked: do them between steps.
    * ``float(t)``, ``int(t)`` (truncates) and ``bool(t)`` need a one-element
      tensor and raise ``ValueError`` otherwise, like ``t.item()``.

    NumPy functions
    ---------------
    NumPy ufuncs and functions that have a pynn op run that op and keep the
    graph: ``np.add``, ``np.subtract``, ``np.multiply``, ``np.divide``,
    ``np.matmul``, ``np.maximum``, ``np.minimum``, ``np.negative``,
    ``np.power`` (scalar exponent), ``np.exp``, ``np.log``, ``np.sqrt``,
    ``np.abs``, ``np.square``, ``np.tanh``, ``np.sum``, ``np.mean``,
    ``np.max``, ``np.min``, ``np.var``, ``np.std``, ``np.clip``,
    ``np.reshape``, ``np.transpose``, ``np.ravel``, ``np.squeeze``,
    ``np.expand_dims``, ``np.broadcast_to``, ``np.concatenate``, ``np.stack``,
    ``np.dot`` (1-D and 2-D). Comparisons and queries whose result has no
    gradient (``np.equal``, ``np.isnan``, ``np.allclose``, ``np.argmax``,
    ``np.shape``, ...) return NumPy values. Anything else raises ``TypeError``
    naming the pynn op to use: there is no silent exit from the graph. The
    explicit exit is ``np.asarray(t)`` (or ``t.numpy()``): the values, as a
    NumPy array sharing the tensor's memory, outside the graph.

    Examples
    --------
    Gradient descent on a least-squares fit, written the PyTorch way:

    >>> import numpy as np, pynn
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    >>> y = np.array([5.0, 11.0], np.float32)
    >>> W = pynn.Tensor(np.zeros(2, np.float32), requires_grad=True)
    >>> for step in range(1000):
    ...     loss = ((x @ W - y) ** 2).mean()
    ...     loss.backward()
    ...     with pynn.no_grad():
    ...         W -= 0.05 * W.grad
    ...     W.grad = None
    >>> np.round(W.numpy(), 2)
    array([1., 2.], dtype=float32)
    >>> round(float(loss), 4)
    0.0
    >>> W.requires_grad, W.is_leaf
    (True, True)

    Outside ``no_grad`` the same update is refused:

    >>> W -= 0.1
    Traceback (most recent call last):
    ...
    RuntimeError: a leaf tensor that requires grad is being used in an in-place operation (t -= x); update parameters inside `with pynn.no_grad():`, or use the out-of-place form t = t - x

    NumPy functions keep the graph:

    >>> t = pynn.Tensor([0.0, 1.0], requires_grad=True)
    >>> s = np.sum(np.tanh(t))
    >>> s.backward()
    >>> np.round(t.grad, 4)
    array([1.   , 0.42], dtype=float32)
    >>> np.sin(t)
    Traceback (most recent call last):
    ...
    TypeError: np.sin has no pynn op that keeps the graph. To leave the graph on purpose, call it on np.asarray(t) (or t.numpy()).

    Read-only memory is used in place but never written:

    >>> a = np.arange(3, dtype=np.float32)
    >>> a.flags.writeable = False
    >>> r = pynn.Tensor(a)
    >>> r.numpy().flags.writeable
    False
    >>> r += 1
    Traceback (most recent call last):
    ...
    ValueError: in-place t += x: the tensor is read-only (it wraps memory whose owner declared it read-only, e.g. a mode='r' memmap or np.frombuffer(bytes)); use t = t + x, or wrap a writable copy
    """

    __array_priority__ = 1000  # so ndarray op Tensor defers to Tensor

    def __repr__(self):
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.numpy(), precision=4, separator=', ')}{extra})"

    # numeric hooks the C number protocol calls
    def _neg(self):
        return _C.apply("neg", [self])

    def _pow(self, exponent):
        if isinstance(exponent, (int, float, np.floating, np.integer)):
            return _C.apply("pow", [self], exponent=float(exponent))
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

    # t > 0 as keras.ops.greater: an engine op giving 1.0 / 0.0 (no gradient), so a
    # comparison inside a layer's call or a metric's update_state is traced into the
    # model. == and != are elementwise too, as on Keras' (torch's) tensors; hashing stays
    # by identity, so tensors still work as dict keys.
    __hash__ = _C.Tensor.__hash__

    def __eq__(self, other):
        try:
            return _C.apply("equal", [self, other])
        except TypeError:  # not numbers (None, a string...): unequal, as Python compares
            return NotImplemented

    def __ne__(self, other):
        try:
            return _C.apply("not_equal", [self, other])
        except TypeError:
            return NotImplemented

    def __lt__(self, other):
        return _C.apply("less", [self, other])

    def __le__(self, other):
        return _C.apply("less_equal", [self, other])

    def __gt__(self, other):
        return _C.apply("greater", [self, other])

    def __ge__(self, other):
        return _C.apply("greater_equal", [self, other])

    # reductions and activations as methods (thin forwards to pynn.ops)
    def sum(self, axis=None, keepdims=False):
        """Sum of the elements over the given axes (``pynn.ops.sum``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.sum(axis=0).numpy()
        array([4., 8.], dtype=float32)
        """
        from . import ops
        return ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        """Mean of the elements over the given axes (``pynn.ops.mean``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.mean(axis=1).numpy()
        array([1.5, 4.5], dtype=float32)
        """
        from . import ops
        return ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest element over the given axes (``pynn.ops.max``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.max(axis=0).numpy()
        array([3., 6.], dtype=float32)
        """
        from . import ops
        return ops.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Smallest element over the given axes (``pynn.ops.min``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.min(axis=0).numpy()
        array([1., 2.], dtype=float32)
        """
        from . import ops
        return ops.min(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        """Variance over the given axes (``pynn.ops.var``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.
        ddof : int, default 0
            Delta degrees of freedom: the divisor is ``N - ddof``.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.var(axis=1).numpy()
        array([0.25, 2.25], dtype=float32)
        """
        from . import ops
        return ops.var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        """Standard deviation over the given axes (``pynn.ops.std``; differentiable).

        Parameters
        ----------
        axis : int, tuple of int or None, default None
            Axes to reduce; None reduces all of them.
        keepdims : bool, default False
            Keep the reduced axes with length 1, as NumPy does.
        ddof : int, default 0
            Delta degrees of freedom: the divisor is ``N - ddof``.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> t = pynn.Tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> t.std(axis=1).numpy()
        array([0.5, 1.5], dtype=float32)
        """
        from . import ops
        return ops.std(self, axis, keepdims, ddof)

    def exp(self):
        """Element-wise e**x (``pynn.ops.exp``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([0.0, 1.0]).exp().numpy()
        array([1.       , 2.7182817], dtype=float32)
        """
        return _C.apply("exp", [self])

    def log(self):
        """Element-wise natural logarithm (``pynn.ops.log``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([1.0, 4.0]).log().numpy()
        array([0.       , 1.3862944], dtype=float32)
        """
        return _C.apply("log", [self])

    def sqrt(self):
        """Element-wise square root (``pynn.ops.sqrt``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([4.0, 9.0]).sqrt().numpy()
        array([2., 3.], dtype=float32)
        """
        return _C.apply("sqrt", [self])

    def abs(self):
        """Element-wise absolute value (also ``abs(t)``) (``pynn.ops.abs``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([-2.0, 3.0]).abs().numpy()
        array([2., 3.], dtype=float32)
        """
        return _C.apply("abs", [self])

    __abs__ = abs

    def relu(self):
        """Element-wise max(x, 0) (``pynn.ops.relu``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([-2.0, 3.0]).relu().numpy()
        array([0., 3.], dtype=float32)
        """
        return _C.apply("relu", [self])

    def sigmoid(self):
        """Element-wise logistic function 1 / (1 + e**-x) (``pynn.ops.sigmoid``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([0.0, 2.0]).sigmoid().numpy()
        array([0.5     , 0.880797], dtype=float32)
        """
        return _C.apply("sigmoid", [self])

    def tanh(self):
        """Element-wise hyperbolic tangent (``pynn.ops.tanh``; differentiable).

        Returns
        -------
        Tensor
            A new tensor of the same shape.

        Examples
        --------
        >>> pynn.Tensor([0.0, 1.0]).tanh().numpy()
        array([0.       , 0.7615942], dtype=float32)
        """
        return _C.apply("tanh", [self])

    def clip(self, x_min, x_max):
        """Limits every element to [x_min, x_max] (``pynn.ops.clip``; the gradient is 0
        where an element was clipped).

        Parameters
        ----------
        x_min, x_max : float
            The bounds.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.Tensor([-2.0, 0.5, 3.0]).clip(0.0, 1.0).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
        """
        from . import ops
        return ops.clip(self, x_min, x_max)

    def softmax(self, axis=-1):
        """Softmax along one axis (``pynn.ops.softmax``, computed stably).

        Parameters
        ----------
        axis : int, default -1
            The axis whose entries sum to 1.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.Tensor([[0.0, 0.0], [0.0, 2.0]]).softmax().numpy().round(4)
        array([[0.5   , 0.5   ],
               [0.1192, 0.8808]], dtype=float32)
        """
        from . import ops
        return ops.softmax(self, axis)

    @property
    def dtype(self):
        """Always ``numpy.float32``: the engine computes in float32.

        Examples
        --------
        >>> pynn.Tensor([1, 2]).dtype
        dtype('float32')
        """
        return np.dtype(np.float32)

    @property
    def T(self):
        """The tensor with its axes reversed (``pynn.ops.transpose``).

        Examples
        --------
        >>> pynn.Tensor([[1.0, 2.0, 3.0]]).T.shape
        (3, 1)
        """
        from . import ops
        return ops.transpose(self)

    # shape methods: thin forwards to pynn.ops.shape (C ops with gradients)
    def __getitem__(self, key):
        from .ops import shape
        return shape.getitem(self, key)

    def reshape(self, *shape):
        """The same elements in a new shape (``pynn.ops.reshape``; one entry may be -1).

        Parameters
        ----------
        *shape : ints or one tuple of ints
            The new shape, as ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.Tensor(np.arange(6)).reshape(2, -1).shape
        (2, 3)
        """
        from .ops import shape as _shape
        return _shape.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        """Permutes the axes (``pynn.ops.transpose``); no axes reverses them.

        Parameters
        ----------
        *axes : ints or one tuple of ints, optional
            The new order of the axes.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.Tensor(np.zeros((2, 3, 4))).transpose(0, 2, 1).shape
        (2, 4, 3)
        """
        from .ops import shape as _shape
        return _shape.transpose(self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)

    def flatten(self):
        """All elements in one axis, in C order (``pynn.ops.flatten``).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> pynn.Tensor(np.zeros((2, 3))).flatten().shape
        (6,)
        """
        from .ops import shape as _shape
        return _shape.flatten(self)

    # ---- NumPy protocols: np.f(t) runs the pynn op (graph kept) or refuses.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if method != "__call__":
            hint = _REDUCE_HINTS.get(name, "the pynn op")
            raise TypeError(f"np.{name}.{method} on a pynn.Tensor is not supported; use "
                            f"{hint}, or call it on np.asarray(t) to leave the graph on purpose")
        if name in _QUERY_UFUNCS:  # no gradient to lose: answer on the values
            return ufunc(*_values(inputs), **_values(kwargs))
        if kwargs.get("out") is not None:
            raise TypeError(f"np.{name}(..., out=...) on a pynn.Tensor is not supported; use "
                            f"the in-place operators (t += x, t *= x, ...) or t = np.{name}(...)")
        extra = sorted(k for k, v in kwargs.items() if k != "out" and v is not None)
        if extra:
            raise TypeError(f"np.{name} on a pynn.Tensor takes no {', '.join(extra)} argument")
        op = _UFUNC_OPS.get(name)
        if op is None:
            raise TypeError(_no_op_message(f"np.{name}"))
        return op(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (_C.Tensor, np.ndarray)) for t in types):
            return NotImplemented
        name = func.__name__
        if name in _QUERY_FUNCS:
            return func(*_values(args), **_values(kwargs))
        handler = _FUNC_OPS.get(name)
        if handler is None:
            raise TypeError(_no_op_message(f"np.{name}"))
        return handler(*args, **kwargs)


_C._set_tensor_class(Tensor)


# ---------------------------------------------------------------- NumPy tables
def _values(obj):
    """obj with every Tensor replaced by its values (for answers without gradient)."""
    if isinstance(obj, _C.Tensor):
        return obj.numpy()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_values(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _values(v) for k, v in obj.items()}
    return obj


def _no_op_message(what):
    hint = _HINTS.get(what)
    return (f"{what} has no pynn op that keeps the graph" + (f"; use {hint}" if hint else "") +
            ". To leave the graph on purpose, call it on np.asarray(t) (or t.numpy()).")


def _apply(op):
    return lambda *xs: _C.apply(op, list(xs))


def _power(x, exponent):
    if isinstance(exponent, _C.Tensor) or np.ndim(exponent) != 0:
        raise TypeError("np.power on a pynn.Tensor supports a scalar exponent only; for a "
                        "tensor exponent use pynn.ops.exp(e * pynn.ops.log(x))")
    if not isinstance(x, _C.Tensor):
        raise TypeError("np.power(x, t) with a tensor exponent is not supported; use "
                        "pynn.ops.exp(t * pynn.ops.log(x))")
    return _C.apply("pow", [x], exponent=float(exponent))


_UFUNC_OPS = {
    "add": _apply("add"), "subtract": _apply("sub"), "multiply": _apply("mul"),
    "divide": _apply("div"), "true_divide": _apply("div"), "matmul": _apply("matmul"),
    "maximum": _apply("maximum"), "minimum": _apply("minimum"), "negative": _apply("neg"),
    "positive": lambda x: x, "power": _power, "exp": _apply("exp"), "log": _apply("log"),
    "sqrt": _apply("sqrt"), "absolute": _apply("abs"), "square": _apply("square"),
    "tanh": _apply("tanh"),
}

# Answers that carry no gradient (booleans, indices, shapes): NumPy computes them.
_QUERY_UFUNCS = {
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isnan",
    "isinf", "isfinite", "signbit", "logical_and", "logical_or", "logical_xor", "logical_not",
}
_QUERY_FUNCS = {
    "shape", "ndim", "size", "allclose", "isclose", "array_equal", "array_equiv", "argmax",
    "argmin", "argsort", "any", "all", "count_nonzero", "nonzero", "flatnonzero",
    "array2string", "array_repr", "array_str", "result_type", "iscomplexobj", "isrealobj",
    "isreal", "iscomplex", "may_share_memory", "shares_memory",
}

_HINTS = {
    "np.log1p": "pynn.ops.log(1 + t)", "np.expm1": "pynn.ops.exp(t) - 1",
    "np.exp2": "pynn.ops.exp(t * np.log(2))", "np.log2": "pynn.ops.log(t) / np.log(2)",
    "np.log10": "pynn.ops.log(t) / np.log(10)", "np.reciprocal": "1 / t",
    "np.fmax": "pynn.ops.maximum", "np.fmin": "pynn.ops.minimum",
    "np.copy": "t + 0 (a copy in the graph) or pynn.Tensor(np.array(t)) (outside it)",
    "np.dot": "pynn.ops.matmul (np.dot of tensors is mapped for 1-D and 2-D only)",
    "np.tensordot": "pynn.ops.tensordot",
    "np.einsum": "pynn.ops.matmul with reshape/transpose",
    "np.take": "pynn.ops.take", "np.where": "pynn.ops.where",
    "np.prod": "pynn.ops.exp(pynn.ops.sum(pynn.ops.log(t)))  (positive t)",
    "np.average": "pynn.ops.mean or pynn.ops.sum(w * t) / w.sum()",
    "np.norm": "pynn.ops.sqrt(pynn.ops.sum(t * t))",
}
_REDUCE_HINTS = {"add": "pynn.ops.sum", "multiply": "pynn.ops.sum of pynn.ops.log",
                 "maximum": "pynn.ops.max", "minimum": "pynn.ops.min"}


def _defaults_only(fname, **given):
    """NumPy keyword arguments pynn cannot honour must keep their defaults."""
    for k, v in given.items():
        if v is not None:
            raise TypeError(f"np.{fname} on a pynn.Tensor does not support {k}=; got {v!r} "
                            "(the pynn op keeps the graph without it; or call it on "
                            "np.asarray(t) to leave the graph on purpose)")


def _np_reduction(fname, opname, has_ddof=False):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, *args, ddof=0, initial=None,
               where=None, **rest):
        from . import ops
        if args or rest:
            raise TypeError(f"np.{fname} on a pynn.Tensor: unsupported arguments "
                            f"{list(args) + sorted(rest)}")
        _defaults_only(fname, dtype=dtype, out=out, initial=initial,
                       where=None if where is True else where)
        if ddof and not has_ddof:
            raise TypeError(f"np.{fname} takes no ddof")
        f = getattr(ops, opname)
        return f(a, axis, bool(keepdims), ddof) if has_ddof else f(a, axis, bool(keepdims))
    return reduce


def _np_clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **rest):
    from . import ops
    _defaults_only("clip", out=out, **rest)
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    return ops.clip(a, lo, hi)


def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    from . import ops
    if order != "C":
        raise TypeError("np.reshape on a pynn.Tensor supports order='C' only")
    return ops.reshape(a, shape if shape is not None else newshape)


def _np_transpose(a, axes=None):
    from . import ops
    return ops.transpose(a, axes)


def _np_ravel(a, order="C"):
    from . import ops
    if order != "C":
        raise TypeError("np.ravel on a pynn.Tensor supports order='C' only")
    return ops.flatten(a)


def _np_squeeze(a, axis=None):
    from . import ops
    return ops.squeeze(a, axis)


def _np_expand_dims(a, axis):
    from . import ops
    return ops.expand_dims(a, axis)


def _np_broadcast_to(array, shape, subok=False):
    from . import ops
    return ops.broadcast_to(array, shape)


def _np_join(fname):
    def join(arrays, axis=0, out=None, *, dtype=None, casting=None):
        from . import ops
        _defaults_only(fname, out=out, dtype=dtype)
        if axis is None:
            raise TypeError(f"np.{fname}(..., axis=None) on tensors is not supported; flatten "
                            "them first (pynn.ops.flatten)")
        return getattr(ops, fname)(list(arrays), axis)
    return join


def _np_dot(a, b, out=None):
    _defaults_only("dot", out=out)
    if np.ndim(a) > 2 or np.ndim(b) > 2 or np.ndim(a) == 0 or np.ndim(b) == 0:
        raise TypeError("np.dot of a pynn.Tensor is mapped to pynn.ops.matmul for 1-D and 2-D "
                        "operands only; use pynn.ops.matmul (or * for scalars)")
    return _C.apply("matmul", [a, b])


def _np_matmul(a, b, out=None, **rest):
    _defaults_only("matmul", out=out, **rest)
    return _C.apply("matmul", [a, b])


_FUNC_OPS = {
    "sum": _np_reduction("sum", "sum"), "mean": _np_reduction("mean", "mean"),
    "max": _np_reduction("max", "max"), "amax": _np_reduction("amax", "max"),
    "min": _np_reduction("min", "min"), "amin": _np_reduction("amin", "min"),
    "var": _np_reduction("var", "var", has_ddof=True),
    "std": _np_reduction("std", "std", has_ddof=True),
    "clip": _np_clip, "reshape": _np_reshape, "transpose": _np_transpose, "ravel": _np_ravel,
    "squeeze": _np_squeeze, "expand_dims": _np_expand_dims, "broadcast_to": _np_broadcast_to,
    "concatenate": _np_join("concatenate"), "stack": _np_join("stack"), "dot": _np_dot,
    "matmul": _np_matmul,
}


class no_grad:
    """Context manager (and decorator) that records no graph inside it, in the
    calling thread only (grad mode is per thread; new threads start with it on).
    Leaves that require grad may be updated in place inside it (``W -= lr * W.grad``).

    Examples
    --------
    >>> w = pynn.Tensor([1.0, 2.0], requires_grad=True)
    >>> with pynn.no_grad():
    ...     y = w * 2
    ...     w -= 0.5
    >>> y.requires_grad, w.requires_grad, w.numpy()
    (False, True, array([0.5, 1.5], dtype=float32))
    >>> @pynn.no_grad()
    ... def evaluate(t):
    ...     return t * 3
    >>> evaluate(w).requires_grad
    False
    """

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
    """Whether ops record a graph in the calling thread (False inside ``no_grad``).

    Returns
    -------
    bool

    Examples
    --------
    >>> pynn.is_grad_enabled()
    True
    >>> with pynn.no_grad():
    ...     pynn.is_grad_enabled()
    False
    """
    return _C.is_grad_enabled()
