"""`keras.utils` for ported programs: to_categorical, normalize, pad_sequences,
set_random_seed (NumPy in, NumPy out, as in Keras), plot_model, Progbar, and the
dataset functions (pynn/dataset_utils.py: split_dataset, timeseries_dataset_from_array,
image_dataset_from_directory, text_dataset_from_directory, get_file) and the image
file helpers (pynn/image_utils.py: load_img, img_to_array, array_to_img, save_img)."""
import numpy as np

from .config_dict import Config
from .data import to_categorical
from .image_utils import array_to_img, img_to_array, load_img, save_img
from .dataset_utils import (get_file, image_dataset_from_directory, split_dataset,  # noqa: F401
                            text_dataset_from_directory, timeseries_dataset_from_array)
from .layers.base import clear_session  # noqa: F401
from .plot_model import plot_model
from .progbar import Progbar
from .py_dataset import PyDataset, Sequence
from .serialization import (custom_object_scope, deserialize_keras_object,  # noqa: F401
                            get_custom_objects, get_registered_name, get_registered_object,
                            register_keras_serializable, serialize_keras_object)
from .text import pad_sequences

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed", "plot_model",
           "Progbar", "split_dataset", "timeseries_dataset_from_array",
           "image_dataset_from_directory", "text_dataset_from_directory", "get_file",
           # keras.utils also holds the saving registry (the same functions as pynn.saving)
           "register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
           "get_registered_object", "clear_session", "is_keras_tensor", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight", "array_to_img", "img_to_array", "load_img", "save_img",
           "PyDataset", "Sequence", "Config", "CustomObjectScope", "get_source_inputs",
           "standardize_dtype"]

# Keras' class name for the scope; custom_object_scope is its alias there
CustomObjectScope = custom_object_scope

# Keras' dtype names (keras/src/backend/common/dtypes.py ALLOWED_DTYPES)
_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
           "int16", "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn",
           "float8_e5m2", "complex64", "complex128")
# Python types by the name Keras gives them on its torch and jax backends
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                  complex: "complex64"}


def standardize_dtype(dtype):
    """Keras' canonical name of a dtype (``keras.utils.standardize_dtype``).

    Parameters
    ----------
    dtype : None, str, type, np.dtype or a torch dtype
        None is Keras' default float, "float32".

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A dtype Keras does not know (``Invalid dtype: ...``).

    Examples
    --------
    >>> pynn.utils.standardize_dtype(np.float64), pynn.utils.standardize_dtype(None)
    ('float64', 'float32')
    >>> pynn.utils.standardize_dtype(int), pynn.utils.standardize_dtype(np.dtype("uint8"))
    ('int32', 'uint8')
    """
    if dtype is None:
        return "float32"
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    elif "torch" in str(dtype) or "jax.numpy" in str(dtype):
        dtype = str(dtype).split(".")[-1]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def get_source_inputs(tensor):
    """The model inputs a symbolic tensor is computed from (``keras.utils.get_source_inputs``).

    Parameters
    ----------
    tensor : KerasTensor
        A tensor of a functional graph. Anything else is returned as it is, as Keras.

    Returns
    -------
    list of KerasTensor
        The `pynn.Input` tensors reached walking back, each once, in first-reached order.

    Examples
    --------
    >>> a, b = pynn.Input(shape=(2,), name="a"), pynn.Input(shape=(2,), name="b")
    >>> y = pynn.layers.Dense(1)(pynn.layers.Add()([a, pynn.layers.Dense(2)(b)]))
    >>> [t.name for t in pynn.utils.get_source_inputs(y)]
    ['a', 'b']
    """
    if not getattr(tensor, "_is_symbolic", False):
        return tensor
    if tensor.layer is None or not tensor.inputs:
        return [tensor]
    sources = []
    for t in tensor.inputs:
        for s in get_source_inputs(t):
            if all(s is not seen for seen in sources):
                sources.append(s)
    return sources


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of a functional graph (``keras.utils.is_keras_tensor``).

    Parameters
    ----------
    x : object
        Anything.

    Returns
    -------
    bool
        True for `pynn.Input` and what layers and ops return from it.

    Examples
    --------
    >>> inp = pynn.Input(shape=(3,))
    >>> pynn.utils.is_keras_tensor(inp), pynn.utils.is_keras_tensor(np.zeros(3))
    (True, False)
    """
    from .functional import KerasTensor
    return isinstance(x, KerasTensor)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs data as a custom ``train_step`` receives it (``keras.utils.pack_x_y_sample_weight``).

    Parameters
    ----------
    x : object
        Inputs.
    y : object, optional
        Targets.
    sample_weight : object, optional
        Sample weights.

    Returns
    -------
    object or tuple
        ``x`` alone (or ``(x,)`` when x is a tuple or list), ``(x, y)`` or
        ``(x, y, sample_weight)``, as Keras packs it.

    Examples
    --------
    >>> pynn.utils.pack_x_y_sample_weight(1, 2)
    (1, 2)
    >>> pynn.utils.pack_x_y_sample_weight([1, 2])
    ([1, 2],)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a step's data (``keras.utils.unpack_x_y_sample_weight``).

    Parameters
    ----------
    data : object
        ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list counts as a tuple).

    Returns
    -------
    tuple
        Three items, None for what is absent.

    Raises
    ------
    ValueError
        A tuple of another length.

    Examples
    --------
    >>> pynn.utils.unpack_x_y_sample_weight((1, 2))
    (1, 2, None)
    >>> pynn.utils.unpack_x_y_sample_weight(5)
    (5, None, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) not in (1, 2, 3):
        raise ValueError(f"unpack_x_y_sample_weight: data is x, (x,), (x, y) or "
                         f"(x, y, sample_weight); got a tuple of {len(data)}")
    return tuple(data) + (None,) * (3 - len(data))


def set_random_seed(seed):
    """Seeds everything pynn draws: ``keras.utils.set_random_seed`` (the same as `pynn.set_seed`).

    Parameters
    ----------
    seed : int
        The seed.

    Raises
    ------
    TypeError
        ``seed`` is not an int.

    Examples
    --------
    >>> pynn.utils.set_random_seed(1)
    >>> a = pynn.initializers.GlorotUniform()((2, 2))
    >>> pynn.utils.set_random_seed(1)
    >>> np.array_equal(a, pynn.initializers.GlorotUniform()((2, 2)))
    True
    """
    from . import set_seed
    set_seed(seed)


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit norm along an axis (``keras.utils.normalize``); zero vectors stay zero.

    Parameters
    ----------
    x : array_like
        Numeric values.
    axis : int, default -1
        The axis of the vectors.
    order : int, default 2
        The norm's order (2: Euclidean).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        A non-numeric array.

    Examples
    --------
    >>> pynn.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"normalize expects a numeric array, got dtype {x.dtype}")
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
