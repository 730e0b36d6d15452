"""Keras-style conversions and constants: one_hot, convert_to_tensor,
convert_to_numpy, ones, zeros, arange (what ported keras.ops code uses besides the math)."""
import numpy as np

from .. import _C
from ..tensor import Tensor

__all__ = ["one_hot", "convert_to_tensor", "convert_to_numpy", "ones", "zeros", "arange"]


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """keras.ops.one_hot: integer class ids of any shape -> x.shape + (num_classes,)
    float32. A row lookup in the identity matrix, so it also works on the labels
    inside a traced loss function; an id outside [0, num_classes) raises ValueError."""
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
    """A Tensor over x (no copy for float32 C-contiguous arrays)."""
    if dtype not in (None, "float32", np.float32):
        raise ValueError(f"convert_to_tensor: pynn tensors are float32, got dtype={dtype!r}")
    return x if isinstance(x, Tensor) else Tensor(x)


def convert_to_numpy(x):
    """A NumPy array of x's values (Tensors, Variables, arrays, numbers)."""
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def ones(shape, dtype=None):
    return Tensor(np.ones(shape, np.float32))


def zeros(shape, dtype=None):
    return Tensor(np.zeros(shape, np.float32))


def arange(start, stop=None, step=1, dtype=None):
    """keras.ops.arange as a float32 constant Tensor (pynn computes in float32; an
    integer-valued float is a valid index for Embedding and one_hot)."""
    if dtype not in (None, "float32", "int32", "int64", np.float32):
        raise ValueError(f"arange: dtype must be float32, int32 or int64, got {dtype!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if stop is None:  # arange(n): 0 .. n-1, as NumPy
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=np.float32))
