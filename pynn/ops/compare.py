"""pynn.ops.compare: comparisons, ``where`` and ``argmax`` / ``argmin`` (Keras'
``keras.ops`` names; engine ops in csrc/core/ops/binary.c and select.c).

pynn computes in float32, so a comparison returns 1.0 where it holds and 0.0
elsewhere (NumPy's bools cast to float32), and argmax returns indices as
float32 values. None of these has a gradient, as in Keras; ``where`` passes
the gradient to the branch it picked."""
import numpy as np

from .. import _C
from .shape import _axis_attr, _tensor

__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
           "logical_not", "logical_and", "logical_or", "logical_xor", "any", "all", "where",
           "argmax", "argmin"]

_CMP_DOC = """Elementwise ``x1 {sym} x2`` with broadcasting, as 1.0 (true) / 0.0 (false).

    NaN compares unequal to everything, as in NumPy. No gradient.

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand (broadcast against ``x1``, NumPy rules).

    Returns
    -------
    Tensor
        float32 0.0 / 1.0 of the broadcast shape.

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> pynn.ops.{name}(np.array([1.0, 2.0, 3.0], np.float32), 2.0).numpy()
    array({result}, dtype=float32)
    """


def _comparison(name, sym, result):
    def compare(x1, x2):
        return _C.apply(name, [x1, x2])
    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = _CMP_DOC.format(sym=sym, name=name, result=result)
    return compare


equal = _comparison("equal", "==", "[0., 1., 0.]")
not_equal = _comparison("not_equal", "!=", "[1., 0., 1.]")
greater = _comparison("greater", ">", "[0., 0., 1.]")
greater_equal = _comparison("greater_equal", ">=", "[0., 1., 1.]")
less = _comparison("less", "<", "[1., 0., 0.]")
less_equal = _comparison("less_equal", "<=", "[1., 1., 0.]")


def logical_not(x):
    """Elementwise logical NOT: 1.0 where ``x`` is 0, else 0.0 (NaN counts as true).

    Parameters
    ----------
    x : Tensor or array_like
        Input (any nonzero value is true).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.logical_not(np.array([0.0, 2.0], np.float32)).numpy()
    array([1., 0.], dtype=float32)
    """
    return _C.apply("equal", [x, np.float32(0)])


def logical_and(x1, x2):
    """Elementwise logical AND of two truth arrays (nonzero is true), with broadcasting.

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand.

    Returns
    -------
    Tensor
        1.0 where both are nonzero, else 0.0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.logical_and(np.array([0.0, 1.0, 3.0], np.float32), 1.0).numpy()
    array([0., 1., 1.], dtype=float32)
    """
    return _C.apply("mul", [_C.apply("not_equal", [x1, np.float32(0)]),
                            _C.apply("not_equal", [x2, np.float32(0)])])


def logical_or(x1, x2):
    """Elementwise logical OR of two truth arrays (nonzero is true), with broadcasting.

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand.

    Returns
    -------
    Tensor
        1.0 where either is nonzero, else 0.0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.logical_or(np.array([0.0, 0.0, 3.0], np.float32), np.float32(0)).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    return _C.apply("maximum", [_C.apply("not_equal", [x1, np.float32(0)]),
                                _C.apply("not_equal", [x2, np.float32(0)])])


def logical_xor(x1, x2):
    """Elementwise logical XOR of two truth arrays (nonzero is true), with broadcasting.

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand.

    Returns
    -------
    Tensor
        1.0 where exactly one is nonzero, else 0.0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.logical_xor(np.array([0.0, 1.0, 3.0], np.float32), np.array([1.0, 1.0, 0.0])).numpy()
    array([1., 0., 1.], dtype=float32)
    """
    return _C.apply("not_equal", [_C.apply("not_equal", [x1, np.float32(0)]),
                                  _C.apply("not_equal", [x2, np.float32(0)])])


def _truth_reduce(op, name, x, axis, keepdims):
    from .reduce import _attrs
    truth = _C.apply("not_equal", [x, np.float32(0)])
    if truth.ndim == 0:
        return truth
    return _C.apply(op, [truth], **_attrs(name, truth, axis, keepdims))


def any(x, axis=None, keepdims=False):
    """Whether any element is nonzero, over axes (``keras.ops.any``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (nonzero, NaN included, is true).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all).
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor
        1.0 / 0.0.

    Raises
    ------
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> pynn.ops.any(np.array([[0.0, 2.0], [0.0, 0.0]], np.float32), axis=1).numpy()
    array([1., 0.], dtype=float32)
    """
    return _truth_reduce("max", "any", x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every element is nonzero, over axes (``keras.ops.all``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (nonzero, NaN included, is true).
    axis : None, int or tuple of int, default None
        Axes to reduce (None: all).
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor
        1.0 / 0.0.

    Raises
    ------
    ValueError
        An axis out of range or repeated.

    Examples
    --------
    >>> pynn.ops.all(np.array([[1.0, 2.0], [0.0, 3.0]], np.float32), axis=1).numpy()
    array([1., 0.], dtype=float32)
    """
    return _truth_reduce("min", "all", x, axis, keepdims)


def _broadcast_all(tensors):
    """The tensors broadcast to their common shape by adding a zero tensor of that shape.
    A zero of the right shape is ``equal(t, nan)`` summed over the operands: adding it
    broadcasts at run time (a traced model replays with other batch sizes, so a
    broadcast_to with the trace's shape would not do), never turns inf into NaN as
    ``0 * t`` would, and the add's backward sums the gradient back to each shape."""
    shapes = [tuple(t.shape) for t in tensors]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError("where: condition, x1 and x2 of shapes "
                         f"{', '.join(map(str, shapes))} do not broadcast together") from None
    if len(set(shapes)) == 1 and not (_C.is_tracing() and shapes[0] and shapes[0][0] == 1):
        return tensors
    # (a traced model sees batches of 1: equal shapes there may be a constant of one row
    # beside a batch of any size at replay, as Attention's causal mask (1, Tq, Tk))
    nan = np.float32(np.nan)
    zero = _C.apply("equal", [tensors[0], nan])
    for t in tensors[1:]:
        zero = _C.apply("add", [zero, _C.apply("equal", [t, nan])])
    if len(set(shapes)) == 1:
        return [_C.apply("add", [t, zero]) for t in tensors]
    return [t if tuple(t.shape) == tuple(zero.shape) else _C.apply("add", [t, zero])
            for t in tensors]


def where(condition, x1=None, x2=None):
    """Elementwise ``x1 if condition else x2`` with broadcasting (``keras.ops.where``).

    The gradient flows to ``x1`` where the condition holds and to ``x2``
    elsewhere (a NaN or inf in the branch not taken does not leak into it).

    Parameters
    ----------
    condition : Tensor or array_like
        Nonzero (or NaN) is true.
    x1 : Tensor or array_like or float
        Values where ``condition`` is true.
    x2 : Tensor or array_like or float
        Values where it is false.

    Returns
    -------
    Tensor
        The broadcast shape of the three.

    Raises
    ------
    ValueError
        ``x1`` or ``x2`` missing (the one-argument form, NumPy's ``nonzero``, is
        not supported), or shapes that do not broadcast.

    Examples
    --------
    >>> x = np.array([-1.0, 0.5, 2.0], np.float32)
    >>> pynn.ops.where(x > 0, x, 0.0).numpy()
    array([0. , 0.5, 2. ], dtype=float32)
    """
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2 (where(condition) alone, NumPy's "
                         "nonzero, is not supported)")
    c, a, b = _broadcast_all([_tensor(np.float32(v) if isinstance(v, (int, float)) else v)
                              for v in (condition, x1, x2)])
    return _C.apply("where", [c, a, b])


def _arg(op, x, axis, keepdims):
    x = _tensor(x)
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be a bool, got {type(keepdims).__name__}")
    if axis is None:  # over all values, as NumPy and Keras
        out = _C.apply(op, [_C.apply("reshape", [x], shape=(-1,))], axis=0)
        return _C.apply("reshape", [out], shape=(1,) * len(x.shape)) if keepdims else out
    axis = _axis_attr(op, axis, len(x.shape))
    out = _C.apply(op, [x], axis=axis)
    if keepdims:
        out = _C.apply("reshape", [out], shape=tuple(
            1 if d == axis % max(len(x.shape), 1) else (-1 if d == 0 else s)
            for d, s in enumerate(x.shape)))
    return out


def argmax(x, axis=None, keepdims=False):
    """The index of the largest value along an axis (the first one on ties; a NaN wins).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank >= 1.
    axis : int, optional
        The axis (negative counts from the end); None: over all values, flattened.
    keepdims : bool, default False
        Keep the reduced axis with length 1.

    Returns
    -------
    Tensor
        Indices as float32 values (pynn computes in float32). No gradient.

    Raises
    ------
    ValueError
        An axis out of range or of length 0, or a scalar input.

    Examples
    --------
    >>> x = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 3.0]], np.float32)
    >>> pynn.ops.argmax(x, axis=-1).numpy()
    array([1., 0.], dtype=float32)
    >>> float(pynn.ops.argmax(x).numpy())
    3.0
    """
    return _arg("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest value along an axis (the first one on ties; a NaN wins).

    Parameters
    ----------
    x : Tensor or array_like
        Input of rank >= 1.
    axis : int, optional
        The axis (negative counts from the end); None: over all values, flattened.
    keepdims : bool, default False
        Keep the reduced axis with length 1.

    Returns
    -------
    Tensor
        Indices as float32 values. No gradient.

    Raises
    ------
    ValueError
        An axis out of range or of length 0, or a scalar input.

    Examples
    --------
    >>> x = np.array([[1.0, 5.0, 0.0], [7.0, 2.0, 3.0]], np.float32)
    >>> pynn.ops.argmin(x, axis=0).numpy()
    array([0., 1., 0.], dtype=float32)
    """
    return _arg("argmin", x, axis, keepdims)

