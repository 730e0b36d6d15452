"""`keras.utils` for ported programs: to_categorical, normalize, pad_sequences,
set_random_seed (NumPy in, NumPy out, as in Keras), plot_model, Progbar, and the
dataset functions (pynn/dataset_utils.py: split_dataset, timeseries_dataset_from_array,
image_dataset_from_directory, text_dataset_from_directory, get_file)."""
import numpy as np

from .data import to_categorical
from .dataset_utils import (get_file, image_dataset_from_directory, split_dataset,  # noqa: F401
                            text_dataset_from_directory, timeseries_dataset_from_array)
from .plot_model import plot_model
from .progbar import Progbar
from .text import pad_sequences

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed", "plot_model",
           "Progbar", "split_dataset", "timeseries_dataset_from_array",
           "image_dataset_from_directory", "text_dataset_from_directory", "get_file"]


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
