"""`keras.utils` for ported programs: to_categorical, normalize, pad_sequences,
set_random_seed (NumPy in, NumPy out, as in Keras)."""
import numbers

import numpy as np

from .data import to_categorical

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


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Keras' pad_sequences: a list of sequences -> array (n, maxlen). Sequences
    longer than maxlen lose their start (truncating="pre") or end ("post");
    shorter ones get `value` before them (padding="pre") or after ("post")."""
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding must be "pre" or "post", got {padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating must be "pre" or "post", got {truncating!r}')
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral)
                               or maxlen < 0):
        raise ValueError(f"pad_sequences: maxlen must be a non-negative int or None, got {maxlen!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences")
    seqs = []
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; item {i} "
                             f"is {type(s).__name__}: {s!r}")
        seqs.append(np.asarray(s))
    # the shape of one step, from the first non-empty sequence (() for token ids)
    step_shape = next((s.shape[1:] for s in seqs if len(s)), ())
    if maxlen is None:
        maxlen = max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), maxlen) + step_shape, value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not len(s) or not maxlen:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if s.shape[1:] != step_shape:
            raise ValueError(f"pad_sequences: sequence {i} has steps of shape {s.shape[1:]}, "
                             f"expected {step_shape} like the first non-empty sequence")
        if padding == "post":
            out[i, :len(s)] = s
        else:
            out[i, maxlen - len(s):] = s
    return out
