"""Turning user data (NumPy, lists, pandas, anything with __array__) into the
float32 C-contiguous arrays the engine reads, once, at the boundary."""
import collections.abc
import inspect
import numbers

import numpy as np

from . import _C

ACCEPTED = ("NumPy arrays, lists of numbers, pandas DataFrames / Series, pynn or torch tensors, "
            "or for a model with several inputs a list or a dict {input name: array} of those")


def _reject_streams(x, what):
    """Generators, iterators and dataset objects (tf.data, torch DataLoader, Keras
    PyDataset, ...) hold no array: np.asarray would make a 0-d object array of them,
    reported as "dtype object", which tells the user nothing. Name what is accepted."""
    if (isinstance(x, (np.ndarray, numbers.Number, str, bytes, list, tuple, dict, range))
            or any(hasattr(x, a) for a in ("__array__", "__array_interface__", "to_numpy",
                                           "numpy"))):
        return
    try:
        memoryview(x)  # the buffer protocol (array.array, ...) converts as it is
        return
    except TypeError:
        pass
    if not (isinstance(x, collections.abc.Iterable) or hasattr(x, "__getitem__")):
        return  # any other object: np.asarray's dtype check below words it
    kind = ("a generator" if inspect.isgenerator(x) else
            f"an iterator ({type(x).__name__})" if isinstance(x, collections.abc.Iterator) else
            f"a {type(x).__name__}" if type(x).__module__ == "builtins" else
            f"a {type(x).__module__.split('.')[0]}.{type(x).__name__} object")
    raise TypeError(
        f"{what} is {kind}: pynn's fit / evaluate / predict take the whole data in memory "
        f"({ACCEPTED}) and batch it themselves (batch_size=). Streamed batches are not supported: "
        f"collect them first (e.g. np.concatenate(list(batches))), or loop over your batches "
        f"with train_on_batch / test_on_batch / predict_on_batch.")


def as_float_array(x, what):
    """float32 C-contiguous (no copy when x already is one). Strings and objects
    raise TypeError naming `what`."""
    _reject_streams(x, what)
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):  # pandas
        x = x.to_numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):  # pynn / torch tensors
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{what} must be a numeric array; could not convert "
                        f"{type(x).__name__}: {e}") from None
    if arr.dtype.kind not in "biuf":  # ValueError, as Keras for string / object arrays
        raise ValueError(f"{what} must be numeric (bool, int or float); got dtype {arr.dtype}"
                        + (" — encode text/categories as numbers first" if arr.dtype.kind in "OUS"
                           else ""))
    if not (arr.dtype == np.float32 and arr.flags.c_contiguous):
        _C.check_copy_fits(arr, what)  # a huge broadcast view: MemoryError before the malloc
    return np.ascontiguousarray(arr, dtype=np.float32)


def check_finite(a, what):
    if a.dtype == np.float32 and a.flags.c_contiguous:
        finite = _C.all_finite(a)  # one pass in C: no temporary, ~0.1 us for one sample
    else:
        finite = not a.size or np.isfinite(a).all()
    if not finite:
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{what} contains NaN or infinite values (first at index "
                         f"{tuple(int(i) for i in bad)}); clean or impute them before training")


def class_weights_to_sample_weights(y, class_weight):
    """Keras' rule: the class of a sample is argmax(y) for one-hot targets, else
    round(y)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class: weight}}, got "
                        f"{type(class_weight).__name__}")
    y2 = y.reshape(y.shape[0], -1)
    cls = np.argmax(y2, axis=1) if y2.shape[1] > 1 else np.round(y2[:, 0]).astype(np.int64)
    w = np.ones(y.shape[0], np.float32)
    for c, weight in class_weight.items():
        w[cls == _class_key(c)] = _class_weight_value(c, weight)
    return w


def _class_key(c):
    try:
        key = int(c)  # ints, and "3" (keys that went through JSON)
    except (TypeError, ValueError, OverflowError):
        key = None
    if key is None or isinstance(c, (bool, np.bool_)) or (isinstance(c, float) and key != c):
        raise TypeError(f"class_weight: keys must be class indices (ints), got {c!r:.50} of type "
                        f"{type(c).__name__}")
    return key


def _class_weight_value(c, weight):
    # NaN would silently turn the loss of a whole class (and then every weight) NaN
    try:
        value = float(weight)
    except (TypeError, ValueError):
        raise TypeError(f"class_weight[{c!r}] must be a number, got {weight!r:.50} of type "
                        f"{type(weight).__name__}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"class_weight[{c!r}] must be a finite number >= 0, got {value}")
    return value
