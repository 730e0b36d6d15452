"""Keras-style conversions and constants: one_hot, convert_to_tensor,
convert_to_numpy, ones, zeros, arange (what ported keras.ops code uses besides the math)."""
import numpy as np

from .. import _C
from ..tensor import Tensor
from .batch_dim import refuse
from .creation import _positions, filled
from .shape import BatchDim, _is_int, _tensor

__all__ = ["one_hot", "convert_to_tensor", "convert_to_numpy", "ones", "zeros", "arange"]


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes integer class ids (``keras.ops.one_hot``).

    A row lookup in the identity matrix, so it also works on labels inside a
    traced loss function.

    Parameters
    ----------
    x : array_like or Tensor of int
        Class ids of any shape.
    num_classes : int
        The number of classes.
    axis : int, default -1
        Only -1 (the class axis last).
    dtype : None or "float32"
        The result is float32 (another dtype raises).
    sparse : bool, default False
        Only False.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An id outside ``[0, num_classes)``, a bad ``num_classes``, or another axis,
        sparse or dtype.

    Examples
    --------
    >>> pynn.ops.one_hot(np.array([0, 2]), 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    if axis != -1 or sparse or dtype not in (None, "float32", np.float32):
        raise ValueError("one_hot: only axis=-1, sparse=False and float32 are supported, got "
                         f"axis={axis!r}, sparse={sparse!r}, dtype={dtype!r}")
    try:
        return _C.apply("embedding", [x, np.eye(int(num_classes), dtype=np.float32)])
    except ValueError as e:  # the lookup's message, in one_hot's words
        msg = str(e).replace("embedding:", "one_hot:").replace("input_dim", "num_classes")
        raise ValueError(msg) from None


def convert_to_tensor(x, dtype=None, sparse=None):
    """Returns a Tensor over ``x`` (no copy for float32, C-contiguous arrays).

    Parameters
    ----------
    x : array_like or Tensor
        The values (a Tensor is returned as is).
    dtype : None or "float32"
        Tensors are float32 (another dtype raises).
    sparse : optional
        Accepted for Keras compatibility.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A dtype other than float32.

    Examples
    --------
    >>> a = np.ones(3, np.float32)
    >>> t = pynn.ops.convert_to_tensor(a)
    >>> t.shape, np.shares_memory(t.numpy(), a)
    ((3,), True)
    """
    if dtype not in (None, "float32", np.float32):
        raise ValueError(f"convert_to_tensor: pynn tensors are float32, got dtype={dtype!r}")
    return _tensor(x)  # a layer weight stands for its Tensor (Keras: the variable's value)


def convert_to_numpy(x):
    """Returns a NumPy array of ``x``'s values (Tensors, Variables, arrays, numbers).

    Parameters
    ----------
    x : Tensor, array_like or number
        The values.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> pynn.ops.convert_to_numpy(pynn.ops.ones((2,)))
    array([1., 1.], dtype=float32)
    """
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def ones(shape, dtype=None):
    """Returns a float32 Tensor of ones.

    Parameters
    ----------
    shape : tuple of int
        The shape.
        In a compiled model's call(), a size computed from ``ops.shape(x)[0]``
        follows the batch (see pynn.ops.batch_dim).
    dtype : optional
        Accepted; tensors are float32.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.ones((2, 2)).numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    return filled("ones", shape, 1.0)


def zeros(shape, dtype=None):
    """Returns a float32 Tensor of zeros.

    Parameters
    ----------
    shape : tuple of int
        The shape.
        In a compiled model's call(), a size computed from ``ops.shape(x)[0]``
        follows the batch (see pynn.ops.batch_dim).
    dtype : optional
        Accepted; tensors are float32.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.ops.zeros((3,)).numpy()
    array([0., 0., 0.], dtype=float32)
    """
    return filled("zeros", shape, 0.0)


def arange(start, stop=None, step=1, dtype=None):
    """keras.ops.arange: evenly spaced values as a float32 constant Tensor.

    pynn computes in float32; an integer-valued float is a valid index for
    Embedding and one_hot (positions in a custom layer's call, say).

    Parameters
    ----------
    start : number
        First value (or, alone, the stop: ``arange(n)`` is 0 .. n-1).
    stop : number, optional
        End (excluded).
    step : number, default 1
        Spacing; not 0.
    dtype : None, "float32", "int32" or "int64"
        Accepted for Keras compatibility; the values are float32.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        step is 0, or an unsupported dtype.

    Examples
    --------
    >>> pynn.ops.arange(3).numpy()
    array([0., 1., 2.], dtype=float32)
    >>> pynn.ops.arange(1, 7, 2).numpy()
    array([1., 3., 5.], dtype=float32)
    """
    refuse("arange", (start, stop, step))
    if dtype not in (None, "float32", "int32", "int64", np.float32):
        raise ValueError(f"arange: dtype must be float32, int32 or int64, got {dtype!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if stop is None:  # arange(n): 0 .. n-1, as NumPy
        start, stop = 0, start
    if any(isinstance(v, BatchDim) for v in (start, stop, step)) and _C.is_tracing():
        # ops.shape(x)[0] in a traced model: its value changes from batch to batch
        if isinstance(stop, BatchDim) and not isinstance(start, BatchDim) and start >= 0 \
                and not isinstance(step, BatchDim) and step > 0 and _is_int(start) and _is_int(step):
            # the positions are their own values: arange(a, n, s) is positions(n)[a::s]
            positions = _positions(stop)
            return positions if start == 0 and step == 1 else positions[int(start)::int(step)]
        raise ValueError(f"arange({start}, {stop}, {step}) inside a model with the batch size "
                         "ops.shape(x)[0]: only arange(start, batch_size, step) with int start >= 0 "
                         "and step > 0 follows the batch; call it eagerly, or build it from "
                         "arange(batch_size)")
    return Tensor(np.arange(start, stop, step, dtype=np.float32))
