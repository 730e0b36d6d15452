"""pynn.ops.stacking: more of ``keras.ops``' NumPy array arrangers — append, dstack,
hsplit, vsplit, dsplit, array_split, rot90, kron, cross, fmod — and the symmetric
windows bartlett, blackman, hamming, hanning. Composed of engine ops (slices,
concatenations, reshapes, products), so they differentiate and trace (off the
batch axis, as `split` and `flip`)."""
import numbers

import numpy as np

from .. import _C
from .layout import flip, split
from .shape import _tensor, concatenate, reshape, slice_axis, squeeze, stack, transpose

__all__ = ["append", "dstack", "hsplit", "vsplit", "dsplit", "array_split", "rot90", "kron",
           "cross", "fmod", "bartlett", "blackman", "hamming", "hanning", "kaiser"]

_F = np.float32


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` (``keras.ops.append``, NumPy's ``append``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First part.
    x2 : Tensor or array_like
        Second part.
    axis : int, optional
        Join along this axis (shapes must agree elsewhere); None: both flattened.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not join.

    Examples
    --------
    >>> pynn.ops.append(np.array([[1.0, 2.0]], np.float32), np.array([3.0], np.float32)).numpy()
    array([1., 2., 3.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    if axis is None:
        return concatenate([reshape(a, (-1,)), reshape(b, (-1,))], axis=0)
    return concatenate([a, b], axis=axis)


def _at_least_3d(t):
    t = _tensor(t)
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, t.shape[0], 1))
    if t.ndim == 2:
        return reshape(t, t.shape + (1,))
    return t


def dstack(xs):
    """Stacks along axis 2, making 1-D and 2-D inputs 3-D first (``keras.ops.dstack``).

    Parameters
    ----------
    xs : sequence of (Tensor or array_like)
        Inputs.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not join.

    Examples
    --------
    >>> pynn.ops.dstack([np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)]).numpy()
    array([[[1., 3.],
            [2., 4.]]], dtype=float32)
    """
    return concatenate([_at_least_3d(t) for t in xs], axis=2)


def _split_on(op, x, sections, axis, least):
    x = _tensor(x)
    if x.ndim < least:
        raise ValueError(f"{op}: x must be at least {least}-D, got shape {x.shape}")
    return split(x, sections, axis=axis)


def hsplit(x, indices_or_sections):
    """Splits along axis 1 (axis 0 of a 1-D x) (``keras.ops.hsplit``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    indices_or_sections : int or sequence of int
        Equal pieces, or the cut indices.

    Returns
    -------
    list of Tensor

    Raises
    ------
    ValueError
        Pieces that do not divide the axis, a scalar.

    Examples
    --------
    >>> [p.numpy() for p in pynn.ops.hsplit(np.array([[1.0, 2.0]], np.float32), 2)]
    [array([[1.]], dtype=float32), array([[2.]], dtype=float32)]
    """
    x = _tensor(x)
    return _split_on("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, 1)


def vsplit(x, indices_or_sections):
    """Splits along axis 0 (``keras.ops.vsplit``).

    Parameters
    ----------
    x : Tensor or array_like
        At least 2-D.
    indices_or_sections : int or sequence of int
        Equal pieces, or the cut indices.

    Returns
    -------
    list of Tensor

    Raises
    ------
    ValueError
        Pieces that do not divide the axis, fewer than 2 axes.

    Examples
    --------
    >>> [p.shape for p in pynn.ops.vsplit(np.zeros((4, 2), np.float32), [1])]
    [(1, 2), (3, 2)]
    """
    return _split_on("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x, indices_or_sections):
    """Splits along axis 2 (``keras.ops.dsplit``).

    Parameters
    ----------
    x : Tensor or array_like
        At least 3-D.
    indices_or_sections : int or sequence of int
        Equal pieces, or the cut indices.

    Returns
    -------
    list of Tensor

    Raises
    ------
    ValueError
        Pieces that do not divide the axis, fewer than 3 axes.

    Examples
    --------
    >>> [p.shape for p in pynn.ops.dsplit(np.zeros((1, 2, 4), np.float32), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    return _split_on("dsplit", x, indices_or_sections, 2, 3)


_MAX_PIECES = 1 << 24


def array_split(x, indices_or_sections, axis=0):
    """Splits into pieces that may differ by one in length (``keras.ops.array_split``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    indices_or_sections : int or sequence of int
        n pieces (the first ``length % n`` one longer), or the cut indices.
    axis : int, default 0
        The axis.

    Returns
    -------
    list of Tensor

    Raises
    ------
    ValueError
        A number of pieces < 1 or above 2**24, an axis out of range.

    Examples
    --------
    >>> [p.numpy() for p in pynn.ops.array_split(np.arange(5, dtype=np.float32), 3)]
    [array([0., 1.], dtype=float32), array([2., 3.], dtype=float32), array([4.], dtype=float32)]
    """
    x = _tensor(x)
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        if n < 1:
            raise ValueError(f"array_split: the number of pieces must be >= 1, got {n}")
        if n > _MAX_PIECES:  # one Tensor per piece: a count like 2**63 would never end
            raise ValueError(f"array_split: at most {_MAX_PIECES} pieces, got {n}")
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"array_split: axis {axis} is out of range for shape {x.shape}")
        length = x.shape[axis]
        sizes = [length // n + (1 if i < length % n else 0) for i in range(n)]
        indices_or_sections = list(np.cumsum(sizes)[:-1])
    return split(x, [int(i) for i in indices_or_sections], axis=axis)


def rot90(array, k=1, axes=(0, 1)):
    """Rotates by 90 degrees ``k`` times in the plane of ``axes`` (``keras.ops.rot90``).

    Parameters
    ----------
    array : Tensor or array_like
        At least 2-D.
    k : int, default 1
        Quarter turns, from the first axis towards the second.
    axes : tuple of 2 int, default (0, 1)
        The plane.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Fewer than 2 axes, axes that are equal or out of range.

    Examples
    --------
    >>> pynn.ops.rot90(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)).numpy()
    array([[2., 4.],
           [1., 3.]], dtype=float32)
    """
    m = _tensor(array)
    if m.ndim < 2 or len(axes) != 2 or not all(-m.ndim <= a < m.ndim for a in axes) or \
            axes[0] % m.ndim == axes[1] % m.ndim:
        raise ValueError(f"rot90: axes must be two different axes of an at least 2-D array, got "
                         f"{axes!r} for shape {m.shape}")
    a0, a1 = axes[0] % m.ndim, axes[1] % m.ndim
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    return transpose(flip(m, a1), perm) if k == 1 else flip(transpose(m, perm), a1)


def kron(x1, x2):
    """The Kronecker product (``keras.ops.kron``).

    Parameters
    ----------
    x1 : Tensor or array_like
        First factor.
    x2 : Tensor or array_like
        Second factor (the lower rank gets leading axes of 1).

    Returns
    -------
    Tensor
        Each axis of length ``x1``'s times ``x2``'s; differentiable.

    Examples
    --------
    >>> pynn.ops.kron(np.array([1.0, 10.0], np.float32), np.array([1.0, 2.0], np.float32)).numpy()
    array([ 1.,  2., 10., 20.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    ea = reshape(a, tuple(v for d in sa for v in (d, 1)))  # (a0, 1, a1, 1, ...)
    eb = reshape(b, tuple(v for d in sb for v in (1, d)))  # (1, b0, 1, b1, ...)
    return reshape(_C.apply("mul", [ea, eb]), tuple(p * q for p, q in zip(sa, sb)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (``keras.ops.cross``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Vectors along ``axisa`` (length 3).
    x2 : Tensor or array_like
        Vectors along ``axisb`` (length 3); the other axes broadcast.
    axisa : int, default -1
        The vector axis of ``x1``.
    axisb : int, default -1
        The vector axis of ``x2``.
    axisc : int, default -1
        The vector axis of the result.
    axis : int, optional
        Overrides all three.

    Returns
    -------
    Tensor
        Differentiable.

    Raises
    ------
    ValueError
        Vector axes whose length is not 3.

    Examples
    --------
    >>> pynn.ops.cross(np.array([1.0, 0.0, 0.0], np.float32), np.array([0.0, 1.0, 0.0], np.float32)).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _tensor(x1), _tensor(x2)
    if a.shape[axisa] != 3 or b.shape[axisb] != 3:
        raise ValueError(f"cross: the vector axes must have length 3, got {a.shape[axisa]} and "
                         f"{b.shape[axisb]} (2-vectors are not supported)")
    u = [slice_axis(a, axisa % a.ndim, i, i + 1) for i in range(3)]
    v = [slice_axis(b, axisb % b.ndim, i, i + 1) for i in range(3)]
    u = [squeeze(t, axisa % a.ndim) for t in u]  # squeeze keeps a traced batch axis free
    v = [squeeze(t, axisb % b.ndim) for t in v]

    def det(i, j):
        return _C.apply("sub", [_C.apply("mul", [u[i], v[j]]), _C.apply("mul", [u[j], v[i]])])
    comps = [det(1, 2), det(2, 0), det(0, 1)]
    nd = comps[0].ndim + 1
    return stack(comps, axis=axisc % nd)


def fmod(x1, x2):
    """The remainder of truncated division, with the sign of ``x1`` (``keras.ops.fmod``).

    Parameters
    ----------
    x1 : Tensor or array_like
        Dividend.
    x2 : Tensor or array_like
        Divisor (broadcast).

    Returns
    -------
    Tensor
        ``x1 - trunc(x1 / x2) * x2``; NaN where ``x2`` is 0.

    Raises
    ------
    ValueError
        Shapes that do not broadcast.

    Examples
    --------
    >>> pynn.ops.fmod(np.array([7.0, -7.0], np.float32), np.float32(3)).numpy()
    array([ 1., -1.], dtype=float32)
    """
    a, b = _tensor(x1), _tensor(x2)
    q = _C.apply("trunc", [_C.apply("div", [a, b])])
    return _C.apply("sub", [a, _C.apply("mul", [q, b])])


def _window(op, m, formula):
    from ..tensor import Tensor
    if not isinstance(m, numbers.Integral) or isinstance(m, bool):
        raise ValueError(f"{op}: x must be an int (the window length), got {m!r}")
    m = int(m)
    if m < 1:
        return Tensor(np.zeros(0, _F))
    if m == 1:
        return Tensor(np.ones(1, _F))
    n = np.arange(m)
    return Tensor(formula(n, m).astype(_F))


_WIN = """The symmetric {what} window of ``x`` points (``keras.ops.{name}``, NumPy's ``{name}``).

    Parameters
    ----------
    x : int
        The window length (0 or less: empty; 1: ``[1.]``).

    Returns
    -------
    Tensor
        ``(x,)``.

    Raises
    ------
    ValueError
        A length that is not an int.

    Examples
    --------
    >>> pynn.ops.{name}(5).numpy().round(4) + 0
    array({result}, dtype=float32)
    """


def bartlett(x):
    return _window("bartlett", x, lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1))


def blackman(x):
    return _window("blackman", x, lambda n, m: 0.42 - 0.5 * np.cos(2 * np.pi * n / (m - 1))
                   + 0.08 * np.cos(4 * np.pi * n / (m - 1)))


def hamming(x):
    return _window("hamming", x, lambda n, m: 0.54 - 0.46 * np.cos(2 * np.pi * n / (m - 1)))


def hanning(x):
    return _window("hanning", x, lambda n, m: 0.5 - 0.5 * np.cos(2 * np.pi * n / (m - 1)))


for _fn, _what, _res in ((bartlett, "triangular (Bartlett)", "[0. , 0.5, 1. , 0.5, 0. ]"),
                         (blackman, "Blackman", "[0.  , 0.34, 1.  , 0.34, 0.  ]"),
                         (hamming, "Hamming", "[0.08, 0.54, 1.  , 0.54, 0.08]"),
                         (hanning, "Hann", "[0. , 0.5, 1. , 0.5, 0. ]")):
    _fn.__doc__ = _WIN.format(what=_what, name=_fn.__name__, result=_res)
del _fn, _what, _res


def kaiser(x, beta):
    """The Kaiser window of ``x`` points, ``I0(beta sqrt(1 - (2n/(x-1) - 1)**2)) / I0(beta)``
    (``keras.ops.kaiser``, NumPy's ``kaiser``).

    Parameters
    ----------
    x : int
        The window length (0 or less: empty; 1: ``[1.]``).
    beta : float
        The shape: 0 is rectangular, larger is narrower.

    Returns
    -------
    Tensor
        ``(x,)``.

    Raises
    ------
    ValueError
        A length that is not an int, or a beta that is not a number.

    Examples
    --------
    >>> pynn.ops.kaiser(5, 6.0).numpy().round(4)
    array([0.0149, 0.4812, 1.    , 0.4812, 0.0149], dtype=float32)
    """
    if not isinstance(beta, numbers.Real) or isinstance(beta, bool):
        raise ValueError(f"kaiser: beta must be a number, got {beta!r}")
    return _window("kaiser", x, lambda n, m: np.i0(beta * np.sqrt(1 - (2 * n / (m - 1) - 1) ** 2))
                   / np.i0(beta))
