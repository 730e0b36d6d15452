"""pynn.ops.realvalued: keras.ops' complex-number functions, the array constructors
and small NumPy functions of ``keras.ops`` that pynn lacked — real, imag, conj,
conjugate, angle, isreal, polar, copy, array, empty, empty_like, get_item, dtype,
i0, nextafter, view, view_as_real, view_as_complex, eig.

pynn computes in float32 and has no complex tensors. The complex functions
follow NumPy's definitions on real inputs (real(x) = x, imag(x) = 0, conj(x) = x,
angle(x) = pi for x < 0 else 0, isreal(x) true), and differentiate as those
(identity or zero). A complex NumPy array is accepted where the result is real
(real, imag, angle, isreal, computed by NumPy, a constant); where the result
would be complex (conj of a complex array, polar) they refuse with a ValueError
saying what to compute instead."""
import math

import numpy as np

from .. import _C
from .compare import where
from .numeric import zeros_like
from .shape import _tensor

__all__ = ["real", "imag", "conj", "conjugate", "angle", "isreal", "polar", "copy", "array",
           "empty", "empty_like", "get_item", "dtype", "i0", "nextafter", "view", "view_as_real", "view_as_complex", "eig"]

_F = np.float32


def _made(values):
    """A constant Tensor of values in float32 (0-d stays 0-d, unlike ascontiguousarray)."""
    from ..tensor import Tensor
    return Tensor(np.array(values, dtype=_F))


def _complex(x):
    """x as a complex NumPy array, or None when x is real (a Tensor, or real values)."""
    if isinstance(x, _C.Tensor):
        return None
    if np.iscomplexobj(x):
        return np.asarray(x)
    return None


def real(x):
    """The real part (``keras.ops.real``): ``x`` itself for real input.

    Parameters
    ----------
    x : Tensor or array_like
        Real values, or a complex NumPy array (its real part, a constant).

    Returns
    -------
    Tensor
        ``x``'s values; the gradient passes unchanged.

    Examples
    --------
    >>> pynn.ops.real(np.array([1.5, -2.0], np.float32)).numpy()
    array([ 1.5, -2. ], dtype=float32)
    >>> pynn.ops.real(np.array([1 + 2j, -3j])).numpy()
    array([ 1., -0.], dtype=float32)
    """
    c = _complex(x)
    return _made(np.real(c)) if c is not None else _tensor(x)


def imag(x):
    """The imaginary part (``keras.ops.imag``): zeros for real input.

    Parameters
    ----------
    x : Tensor or array_like
        Real values, or a complex NumPy array (its imaginary part, a constant).

    Returns
    -------
    Tensor
        Zeros of ``x``'s shape (no gradient) for real input, as NumPy (Keras'
        torch backend raises for real input).

    Examples
    --------
    >>> pynn.ops.imag(np.array([1.5, -2.0], np.float32)).numpy()
    array([0., 0.], dtype=float32)
    >>> pynn.ops.imag(np.array([1 + 2j, -3j])).numpy()
    array([ 2., -3.], dtype=float32)
    """
    c = _complex(x)
    return _made(np.imag(c)) if c is not None else zeros_like(_tensor(x))


def conj(x):
    """The complex conjugate (``keras.ops.conj``): ``x`` itself for real input.

    Parameters
    ----------
    x : Tensor or array_like
        Real values.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A complex array (its conjugate is complex: pynn has float32 tensors only).

    Examples
    --------
    >>> pynn.ops.conj(np.array([1.5, -2.0], np.float32)).numpy()
    array([ 1.5, -2. ], dtype=float32)
    """
    if _complex(x) is not None:
        raise ValueError("conj: pynn tensors are float32; the conjugate of a complex array is "
                         "complex. Keep real and imaginary parts as two real tensors (the "
                         "conjugate negates the imaginary one)")
    return _tensor(x)


def conjugate(x):
    """The complex conjugate (``keras.ops.conjugate``), the same as `conj`.

    Parameters
    ----------
    x : Tensor or array_like
        Real values.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A complex array.

    Examples
    --------
    >>> pynn.ops.conjugate(np.array([3.0], np.float32)).numpy()
    array([3.], dtype=float32)
    """
    try:
        return conj(x)
    except ValueError as e:
        raise ValueError(str(e).replace("conj:", "conjugate:", 1)) from None


def angle(x):
    """The argument of a complex number (``keras.ops.angle``): for real input pi
    where ``x < 0`` and 0 elsewhere (``+0``, ``-0`` and positives), NaN for NaN.

    Parameters
    ----------
    x : Tensor or array_like
        Real values, or a complex NumPy array (``numpy.angle`` of it, a constant).

    Returns
    -------
    Tensor
        No gradient (the function is piecewise constant).

    Examples
    --------
    >>> pynn.ops.angle(np.array([-2.0, 0.0, 3.0], np.float32)).numpy()
    array([3.1415927, 0.       , 0.       ], dtype=float32)
    """
    c = _complex(x)
    if c is not None:
        return _made(np.angle(c))
    x = _tensor(x)
    pi_or_0 = where(_C.apply("less", [x, _F(0)]), _F(math.pi), _F(0))
    return where(_C.apply("equal", [x, x]), pi_or_0, _F(np.nan))


def isreal(x):
    """Whether each element is real (``keras.ops.isreal``): 1 everywhere for real
    input (NaN and inf included, as NumPy); for a complex array, where the
    imaginary part is 0.

    Parameters
    ----------
    x : Tensor or array_like

    Returns
    -------
    Tensor
        1.0 / 0.0 (booleans as float32, as pynn's comparisons).

    Examples
    --------
    >>> pynn.ops.isreal(np.array([1.0, np.nan], np.float32)).numpy()
    array([1., 1.], dtype=float32)
    >>> pynn.ops.isreal(np.array([1 + 0j, 2j])).numpy()
    array([1., 0.], dtype=float32)
    """
    c = _complex(x)
    if c is not None:
        return _made(np.isreal(c))
    x = _tensor(x)
    return _C.apply("add", [zeros_like(x), _F(1)])


def polar(abs_, angle):
    """``keras.ops.polar``, the complex number ``abs * exp(1j * angle)``: refused.

    pynn has float32 tensors only, so this always raises; compute the two parts
    as real tensors, ``abs * cos(angle)`` and ``abs * sin(angle)``.

    Parameters
    ----------
    abs_ : Tensor or array_like
    angle : Tensor or array_like

    Raises
    ------
    ValueError
        Always (its result is complex).

    Examples
    --------
    >>> pynn.ops.polar(np.ones(2), np.zeros(2))
    Traceback (most recent call last):
    ...
    ValueError: polar: its result is complex and pynn tensors are float32; compute the real and imaginary parts as abs * ops.cos(angle) and abs * ops.sin(angle)
    """
    raise ValueError("polar: its result is complex and pynn tensors are float32; compute the "
                     "real and imaginary parts as abs * ops.cos(angle) and abs * ops.sin(angle)")


def copy(x):
    """A copy of ``x`` (``keras.ops.copy``): new memory, the same values bit for bit
    (NaN and -0 included); the gradient passes unchanged.

    Parameters
    ----------
    x : Tensor or array_like

    Returns
    -------
    Tensor

    Examples
    --------
    >>> a = np.array([1.0, -0.0], np.float32)
    >>> c = pynn.ops.copy(a)
    >>> c.numpy(), np.shares_memory(c.numpy(), a)
    (array([ 1., -0.], dtype=float32), False)
    """
    return _C.apply("mul", [_tensor(x), _F(1)])  # x * 1 is x exactly, in a new buffer


def array(x, dtype=None):
    """A Tensor of ``x``'s values (``keras.ops.array``, Keras' convert_to_tensor).

    Parameters
    ----------
    x : array_like or Tensor
    dtype : None or "float32"
        pynn tensors are float32 (another dtype raises).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A dtype other than float32.

    Examples
    --------
    >>> pynn.ops.array([[1, 2], [3, 4]]).numpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    if dtype not in (None, "float32", np.float32):
        raise ValueError(f"array: pynn tensors are float32, got dtype={dtype!r}")
    return _tensor(x)


def empty(shape, dtype=None):
    """A float32 Tensor of ``shape`` (``keras.ops.empty``). Its values are zeros:
    never uninitialised memory (torch's empty leaves what was there).

    Parameters
    ----------
    shape : int or tuple of int
    dtype : optional
        Accepted for Keras compatibility (the values are float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.empty((2, 3)).shape
    (2, 3)
    """
    from .convert import zeros
    return zeros(shape)


def empty_like(x, dtype=None):
    """A float32 Tensor of ``x``'s shape (``keras.ops.empty_like``), holding zeros
    (see `empty`).

    Parameters
    ----------
    x : Tensor or array_like
    dtype : optional
        Accepted for Keras compatibility (the values are float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.empty_like(np.ones((2, 1))).shape
    (2, 1)
    """
    return zeros_like(_tensor(x))


def get_item(x, key):
    """``x[key]`` (``keras.ops.get_item``): NumPy basic and integer-array indexing.

    Parameters
    ----------
    x : Tensor or array_like
    key : int, slice, tuple, Ellipsis, None or array of indices

    Returns
    -------
    Tensor
        Differentiable in ``x``.

    Raises
    ------
    IndexError
        An index out of range.

    Examples
    --------
    >>> pynn.ops.get_item(np.arange(6.0).reshape(2, 3), (1, slice(None, None, 2))).numpy()
    array([3., 5.], dtype=float32)
    """
    return _tensor(x)[key]


def dtype(x):
    """The dtype name of ``x`` (``keras.ops.dtype``): "float32" for a pynn Tensor,
    Keras' name of the dtype of anything else (a NumPy array keeps its own).

    Parameters
    ----------
    x : Tensor or array_like

    Returns
    -------
    str

    Examples
    --------
    >>> pynn.ops.dtype(pynn.ops.zeros((8, 12))), pynn.ops.dtype(np.arange(3, dtype=np.int8))
    ('float32', 'int8')
    """
    from ..utils import standardize_dtype
    if isinstance(x, _C.Tensor):
        return "float32"
    return standardize_dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def i0(x):
    """The modified Bessel function of the first kind, order 0 (``keras.ops.i0``,
    ``numpy.i0``), an engine op (csrc/core/ops/bessel.c).

    Parameters
    ----------
    x : Tensor or array_like

    Returns
    -------
    Tensor
        ``inf`` from ``|x| = 92`` on (beyond float32); gradient ``i1(x)``.

    Examples
    --------
    >>> pynn.ops.i0(np.array([0.0, 1.0, -2.0], np.float32)).numpy()
    array([1.       , 1.2660658, 2.2795854], dtype=float32)
    """
    return _C.apply("i0", [_tensor(x)])


def nextafter(x1, x2):
    """The next float32 after ``x1`` towards ``x2`` (``keras.ops.nextafter``,
    ``numpy.nextafter`` in float32), with broadcasting. Eager, on the values.

    Keras' torch backend computes this in float64 and rounds back to float32,
    which gives ``x1`` itself; pynn gives the float32 neighbour NumPy gives.

    Parameters
    ----------
    x1 : Tensor or array_like
    x2 : Tensor or array_like

    Returns
    -------
    Tensor
        No gradient.

    Raises
    ------
    ValueError
        Shapes that do not broadcast, or a call inside a traced model.

    Examples
    --------
    >>> float(pynn.ops.nextafter(np.float32(1), np.float32(2)).numpy()) - 1
    1.1920928955078125e-07
    """
    def values(v):
        if isinstance(v, _C.Tensor):
            if _C.is_tracing():
                raise ValueError("nextafter is eager only: its result is computed from the values")
            return v.numpy()
        return np.asarray(v, dtype=_F)
    a, b = values(x1), values(x2)
    try:
        return _made(np.nextafter(a.astype(_F), b.astype(_F)))
    except ValueError as e:
        raise ValueError(f"nextafter: shapes {a.shape} and {b.shape} do not broadcast ({e})") from None


def view(x, dtype=None):
    """``x``'s bytes seen as another dtype (``keras.ops.view``): pynn tensors are float32,
    so only float32 (or None) is a view; another dtype is refused, since its values
    (integers up to 2**32, or halves of floats) are not float32 values.

    Parameters
    ----------
    x : Tensor or array_like
    dtype : None or "float32"

    Returns
    -------
    Tensor
        ``x`` itself.

    Raises
    ------
    ValueError
        Any other dtype (reinterpret the bits with NumPy: ``x.numpy().view(dtype)``).

    Examples
    --------
    >>> pynn.ops.view(np.array([1.5], np.float32)).numpy()
    array([1.5], dtype=float32)
    """
    from ..utils import standardize_dtype
    if dtype is not None and standardize_dtype(dtype) != "float32":
        raise ValueError(f"view: pynn tensors are float32, so their bits viewed as {dtype!r} are "
                         f"not tensor values; use NumPy: x.numpy().view({dtype!r})")
    return _tensor(x)


def view_as_real(x):
    """A complex array as its real and imaginary parts on a last axis of 2
    (``keras.ops.view_as_real``); a constant (pynn tensors are real, so the input
    is a complex NumPy array).

    Parameters
    ----------
    x : array_like
        Complex values (real ones count as complex with imaginary part 0).

    Returns
    -------
    Tensor
        ``x.shape + (2,)``: ``[..., 0]`` the real parts, ``[..., 1]`` the imaginary.

    Examples
    --------
    >>> pynn.ops.view_as_real(np.array([1 + 2j, 3 + 4j])).numpy()
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    c = np.asarray(x.numpy() if isinstance(x, _C.Tensor) else x)
    return _made(np.stack([np.real(c), np.imag(c)], axis=-1))


def view_as_complex(x):
    """``keras.ops.view_as_complex``, pairs of reals as complex numbers: refused.

    Its result is complex and pynn tensors are float32: keep ``x[..., 0]`` and
    ``x[..., 1]`` as the real and imaginary parts (as pynn's FFTs do).

    Parameters
    ----------
    x : Tensor or array_like

    Raises
    ------
    ValueError
        Always (its result is complex).

    Examples
    --------
    >>> pynn.ops.view_as_complex(np.ones((2, 2)))
    Traceback (most recent call last):
    ...
    ValueError: view_as_complex: its result is complex and pynn tensors are float32; keep x[..., 0] and x[..., 1] as the real and imaginary parts
    """
    raise ValueError("view_as_complex: its result is complex and pynn tensors are float32; keep "
                     "x[..., 0] and x[..., 1] as the real and imaginary parts")


def eig(x):
    """Eigenvalues and right eigenvectors of square matrices (``keras.ops.eig``), when
    they are real. Eager (NumPy's LAPACK geev on the values, in float64; no gradient).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., M, M)``.

    Returns
    -------
    tuple of Tensor
        ``(w, v)``: ``w`` ``(..., M)``, ``v`` ``(..., M, M)`` with unit columns,
        ``x @ v[..., :, i] = w[..., i] * v[..., :, i]``.

    Raises
    ------
    ValueError
        Matrices that are not square, or whose eigenvalues are complex (their
        eigen-decomposition is complex and pynn tensors are float32; for a
        symmetric matrix use `pynn.ops.eigh`, whose values are always real).

    Examples
    --------
    >>> w, v = pynn.ops.eig(np.array([[2.0, 0.0], [0.0, 3.0]]))
    >>> w.numpy()
    array([2., 3.], dtype=float32)
    """
    if isinstance(x, _C.Tensor) and _C.is_tracing():
        raise ValueError("eig is eager only: its result is computed from the values")
    a = np.asarray(x.numpy() if isinstance(x, _C.Tensor) else x, np.float64)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"eig: expected square matrices (..., M, M), received shape {a.shape}")
    w, v = np.linalg.eig(a)
    if np.iscomplexobj(w):
        raise ValueError("eig: the eigenvalues are complex and pynn tensors are float32; for a "
                         "symmetric matrix use ops.eigh (real eigenvalues)")
    return _made(w), _made(v)
