"""pynn.ops.numeric: the rest of ``keras.ops``' NumPy-like functions that Keras
programs call — cast, tensordot, dot, zeros_like, ones_like, full_like,
logsumexp — each composed of engine ops, so they differentiate and trace into
a compiled model like any op.

Shapes that depend on the batch are never taken from a traced tensor: the
compiled driver replays a model's graph with other batch sizes, so reshapes
put -1 on the batch axis and the *_like functions derive their result from the
tensor itself."""
import math

import numpy as np

from .. import _C
from .shape import _tensor

__all__ = ["cast", "tensordot", "dot", "zeros_like", "ones_like", "full_like", "logsumexp"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _dtype_name(dtype):
    if dtype is None:
        return None
    name = dtype if isinstance(dtype, str) else getattr(np.dtype(dtype), "name", str(dtype))
    return str(name)


def cast(x, dtype):
    """Casts ``x`` to ``dtype`` (``keras.ops.cast``), keeping float32 storage.

    pynn computes in float32: a cast to a float type returns ``x`` as a float32
    Tensor; a cast to an integer type truncates toward zero (as NumPy's
    ``astype`` and torch do) and a cast to ``bool`` gives 1.0 for nonzero, 0.0
    otherwise — the values the cast produces, held as float32. Casts to integer or
    bool have no gradient (Keras: none either).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    dtype : str or numpy dtype
        ``"float16"``, ``"float32"``, ``"float64"``, ``"int8"`` ... ``"uint64"`` or
        ``"bool"``.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Another dtype (``"string"``, ``"complex64"`` ...).

    Examples
    --------
    >>> x = np.array([-1.7, 0.2, 2.9], np.float32)
    >>> pynn.ops.cast(x, "int32").numpy()
    array([-1.,  0.,  2.], dtype=float32)
    >>> pynn.ops.cast(x, "bool").numpy()
    array([1., 1., 1.], dtype=float32)
    """
    name = _dtype_name(dtype)
    if name in _FLOATS:
        return _tensor(x)
    if name in _INTS:
        return _C.apply("trunc", [x])
    if name == "bool":
        return _C.apply("not_equal", [x, np.float32(0)])
    raise ValueError(f"cast: dtype {dtype!r} is not supported (one of {', '.join(_FLOATS)}, "
                     f"{', '.join(_INTS)}, bool; pynn computes in float32)")


def _axes_list(axes, ndim, which):
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"tensordot: axes must hold ints, got {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"tensordot: axis {a} is out of range for {which} of rank {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: repeated axis in {axes} for {which}")
    return out


def tensordot(x1, x2, axes=2):
    """Sums products over the given axes of ``x1`` and ``x2`` (NumPy's ``tensordot``).

    Computed as one matrix product of the two operands transposed and folded to
    2-D; the result's axes are ``x1``'s free axes, then ``x2``'s. Inside a model,
    the batch axis must belong to ``x1`` (its first free axis).

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand.
    axes : int or (sequence, sequence), default 2
        An int ``n``: the last ``n`` axes of ``x1`` with the first ``n`` of ``x2``;
        or two sequences of axes, paired in order.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Paired axes of different lengths, an axis out of range, or a bad ``axes``.

    Examples
    --------
    >>> a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    >>> b = np.ones((4, 5), np.float32)
    >>> pynn.ops.tensordot(a, b, axes=1).shape
    (2, 3, 5)
    >>> pynn.ops.tensordot(a, np.ones((3, 4), np.float32), axes=[[1, 2], [0, 1]]).numpy()
    array([ 66., 210.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    na, nb = len(a.shape), len(b.shape)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if not 0 <= axes <= min(na, nb):
            raise ValueError(f"tensordot: axes={axes} needs both ranks >= {axes}, got {na} and {nb}")
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or two sequences of axes, got "
                             f"{axes!r}") from None
        ax_a, ax_b = _axes_list(first, na, "x1"), _axes_list(second, nb, "x2")
    if len(ax_a) != len(ax_b):
        raise ValueError(f"tensordot: {len(ax_a)} axes of x1 paired with {len(ax_b)} of x2")
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: x1 axis {i} (length {a.shape[i]}) and x2 axis {j} "
                             f"(length {b.shape[j]}) differ; shapes {tuple(a.shape)} and "
                             f"{tuple(b.shape)}")
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [j for j in range(nb) if j not in ax_b]
    if _C.is_tracing() and (any(b.shape[j] == 1 for j in free_b)
                            or any(a.shape[i] == 1 for i in free_a[1:])):
        # a traced model's batch (length 1 while tracing) may sit on one of these axes, as in
        # PointNet's tensordot(x, x, axes=(2, 2)) -> (batch, k, batch, k): the 2-D fold below
        # would bake it in, the broadcasting einsum replays with any batch size
        return _einsum_tensordot(a, b, ax_a, ax_b)
    k = math.prod(a.shape[i] for i in ax_a)
    if free_a + ax_a != list(range(na)):
        a = _C.apply("transpose", [a], axes=tuple(free_a + ax_a))
    if ax_b + free_b != list(range(nb)):
        b = _C.apply("transpose", [b], axes=tuple(ax_b + free_b))
    # -1 on the fold that holds x1's axis 0, a traced model's batch axis: the compiled
    # driver replays the graph with other batch sizes, so that size is not baked in
    n_free_a, n_free_b = math.prod(a.shape[:len(free_a)]), math.prod(b.shape[len(ax_b):])
    if 0 in ax_a:  # the batch is summed over (user·movie over the whole batch, axes=2)
        a2 = _C.apply("reshape", [a], shape=(n_free_a, -1))
        b2 = _C.apply("reshape", [b], shape=(-1, n_free_b))
    else:
        a2 = _C.apply("reshape", [a], shape=(-1 if free_a else 1, k))
        b2 = _C.apply("reshape", [b], shape=(k, n_free_b))
    out = _C.apply("matmul", [a2, b2])
    shape = [a.shape[i] for i in range(len(free_a))] + [b.shape[len(ax_b) + j]
                                                          for j in range(len(free_b))]
    if free_a:
        shape[0] = -1
    return _C.apply("reshape", [out], shape=tuple(shape))


def _einsum_tensordot(a, b, ax_a, ax_b):
    from .contraction import einsum
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    ta = [next(letters) for _ in a.shape]
    tb = [ta[ax_a[ax_b.index(j)]] if j in ax_b else next(letters) for j in range(len(b.shape))]
    out = [c for i, c in enumerate(ta) if i not in ax_a] + \
        [c for j, c in enumerate(tb) if j not in ax_b]
    return einsum("".join(ta) + "," + "".join(tb) + "->" + "".join(out), a, b)


def dot(x1, x2):
    """NumPy's ``dot``: a matrix product for 2-D operands; for N-D, sums over the last
    axis of ``x1`` and the second-to-last of ``x2`` (the last for a 1-D ``x2``);
    a product for scalars.

    Parameters
    ----------
    x1 : Tensor or array_like
        First operand.
    x2 : Tensor or array_like
        Second operand.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        The summed axes differ in length.

    Examples
    --------
    >>> pynn.ops.dot(np.array([[1.0, 2.0]], np.float32), np.array([[3.0], [4.0]], np.float32)).numpy()
    array([[11.]], dtype=float32)
    >>> float(pynn.ops.dot(np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)).numpy())
    11.0
    """
    a, b = _tensor(x1), _tensor(x2)
    if len(a.shape) == 0 or len(b.shape) == 0:
        return _C.apply("mul", [a, b])
    return tensordot(a, b, axes=([len(a.shape) - 1], [max(len(b.shape) - 2, 0)]))


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape (float32).

    Computed from ``x`` itself as ``equal(x, nan)`` (0 everywhere, inf and NaN
    included, where ``0 * x`` would give NaN), so inside a model it follows the
    batch size.

    Parameters
    ----------
    x : Tensor or array_like
        The tensor whose shape to take.
    dtype : None or str
        Accepted for Keras compatibility (the values are float32).

    Returns
    -------
    Tensor
        No gradient.

    Examples
    --------
    >>> pynn.ops.zeros_like(np.array([[np.inf, np.nan]], np.float32)).numpy()
    array([[0., 0.]], dtype=float32)
    """
    return _C.apply("equal", [x, np.float32(np.nan)])


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape (float32), following the batch size inside a model.

    Parameters
    ----------
    x : Tensor or array_like
        The tensor whose shape to take.
    dtype : None or str
        Accepted for Keras compatibility (the values are float32).

    Returns
    -------
    Tensor
        No gradient.

    Examples
    --------
    >>> pynn.ops.ones_like(np.array([[np.inf, np.nan]], np.float32)).numpy()
    array([[1., 1.]], dtype=float32)
    """
    return _C.apply("not_equal", [x, np.float32(np.nan)])


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape (float32), following the batch size inside a model.

    Parameters
    ----------
    x : Tensor or array_like
        The tensor whose shape to take.
    fill_value : float
        The value.
    dtype : None or str
        Accepted for Keras compatibility (the values are float32).

    Returns
    -------
    Tensor
        No gradient.

    Raises
    ------
    TypeError
        ``fill_value`` is not a number.

    Examples
    --------
    >>> pynn.ops.full_like(np.zeros((1, 2), np.float32), 7).numpy()
    array([[7., 7.]], dtype=float32)
    """
    if isinstance(fill_value, (bool, np.bool_)) or not isinstance(
            fill_value, (int, float, np.integer, np.floating)):
        raise TypeError(f"full_like: fill_value must be a number, got {fill_value!r}")
    return _C.apply("mul", [ones_like(x), np.float32(fill_value)])


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over axes, computed stably (the maximum is subtracted first).

    A slice of all ``-inf`` gives ``-inf`` (not NaN); the gradient is the softmax
    of ``x`` over the axes.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : None, int or tuple of int
        Axes to reduce (None: all).
    keepdims : bool, default False
        Keep the reduced axes with length 1.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [100.0, 100.0], [-np.inf, -np.inf]], np.float32)
    >>> [round(float(v), 3) for v in pynn.ops.logsumexp(x, axis=1).numpy()]
    [0.693, 100.693, -inf]
    """
    from . import reduce
    m = reduce.max(x, axis=axis, keepdims=True)
    # an all -inf slice has m = -inf and x - m = NaN: shift by 0 there instead
    # (m - m is 0 only where m is finite)
    finite = _C.apply("equal", [_C.apply("sub", [m, m]), np.float32(0)])
    m = _C.apply("where", [finite, m, zeros_like(m)])
    s = reduce.sum(_C.apply("exp", [_C.apply("sub", [x, m])]), axis=axis, keepdims=True)
    out = _C.apply("add", [_C.apply("log", [s]), m])
    if keepdims:
        return out
    if axis is None:
        return _C.apply("reshape", [out], shape=())
    axes = reduce._attrs("logsumexp", x, axis, False)["axis"]
    if not axes:
        return out
    from .shape import squeeze
    return squeeze(out, axis=tuple(axes))
