"""`keras.utils` for ported programs: to_categorical, normalize, pad_sequences,
set_random_seed (NumPy in, NumPy out, as in Keras)."""
import numpy as np

from .data import to_categorical
from .text import pad_sequences

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed"]


def set_random_seed(seed):
    """keras.utils.set_random_seed: seeds everything pynn draws (pynn.set_seed)."""
    from . import set_seed
    set_seed(seed)


def normalize(x, axis=-1, order=2):
    """Scales x to unit `order`-norm along `axis` (zero vectors are left zero)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"normalize expects a numeric array, got dtype {x.dtype}")
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
