"""Keras' small data utilities (keras.utils)."""
import numpy as np


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels: (n,) or (n, 1) -> (n, num_classes)
    float32 (keras.utils.to_categorical)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical expects integer class labels, got dtype {x.dtype}")
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
            raise ValueError("to_categorical expects integer class labels; got non-integer values")
    x = x.astype(np.int64)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(x.min())}")
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    elif x.size and x.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(x.max())} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(x.shape + (int(num_classes),), np.float32)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return out
