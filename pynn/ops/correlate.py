"""pynn.ops.correlate: ``keras.ops.correlate``, the cross-correlation of two signals,
as Keras' torch backend computes it (a full correlation cut to the mode),
composed of a gather and a product, so it differentiates in both signals."""
import numpy as np

from .. import _C
from .layout import pad
from .shape import _tensor, expand_dims, take

__all__ = ["correlate"]


def correlate(x1, x2, mode="valid"):
    """Cross-correlation ``c[k] = sum_n x1[n + k] * x2[n]`` (``keras.ops.correlate``).

    Parameters
    ----------
    x1 : Tensor or array_like
        A 1-D signal ``(n1,)``.
    x2 : Tensor or array_like
        A 1-D signal ``(n2,)``.
    mode : {"valid", "same", "full"}, default "valid"
        full: every overlap, ``n1 + n2 - 1`` values; valid:
        ``|n1 - n2| + 1`` central values; same: ``n1`` central values.

    Returns
    -------
    Tensor
        1-D, or a scalar when one value remains (squeezed, as Keras' torch
        backend); differentiable.

    Raises
    ------
    ValueError
        An unknown mode, inputs that are not 1-D, a call inside a model being
        traced (a 1-D tensor there is the batch axis).

    Examples
    --------
    >>> pynn.ops.correlate(np.array([1.0, 2.0, 3.0], np.float32), np.array([0.0, 1.0, 0.5], np.float32)).numpy()
    array(3.5, dtype=float32)
    >>> pynn.ops.correlate(np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 0.5], np.float32), "full").numpy()
    array([0.5, 2. , 3.5, 3. ], dtype=float32)
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    if _C.is_tracing():
        raise ValueError("correlate inside a model: its 1-D inputs would be the batch axis; call "
                         "it eagerly")
    a, b = _tensor(x1), _tensor(x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"correlate: x1 and x2 must be 1-D, got shapes {a.shape} and {b.shape}")
    n1, n2 = a.shape[0], b.shape[0]
    full = n1 + n2 - 1
    keep = {"full": full, "valid": max(n1, n2) - min(n1, n2) + 1, "same": n1}[mode]
    start = (full - keep) // 2
    # output k of the full correlation is window k of x1 padded by n2 - 1 zeros each side
    idx = np.arange(start, start + keep)[:, None] + np.arange(n2)[None, :]
    windows = take(pad(a, [(n2 - 1, n2 - 1)]), idx.astype(np.float32), axis=0)  # (keep, n2)
    out = _C.apply("matmul", [windows, expand_dims(b, -1)], transpose_a=False, transpose_b=False)
    return _C.apply("reshape", [out], shape=(keep,) if keep != 1 else ())
