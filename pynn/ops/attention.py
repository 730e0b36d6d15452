"""pynn.ops.attention: fused scaled dot-product attention."""
import numpy as np

from .. import _C

__all__ = ["scaled_dot_product_attention"]


def _shape(a):
    s = getattr(a, "shape", None)
    return tuple(s) if s is not None else np.shape(a)


def scaled_dot_product_attention(query, key, value, mask=None, *, causal=False, scale=None,
                                 num_heads=None):
    """Attention ``softmax(q @ k.T * scale + masks) @ v``, per head, as one fused op.

    A query that may attend to nothing gets uniform weights, as with Keras'
    additive -1e9 masking.

    Parameters
    ----------
    query : Tensor
        ``(batch, Tq, heads, depth)``, or ``(batch, Tq, heads*depth)`` with ``num_heads``.
    key : Tensor
        ``(batch, Tk, ...)``, the same layout.
    value : Tensor
        ``(batch, Tk, ...)``, the same layout.
    mask : Tensor, optional
        ``(batch, Tk)`` (key padding) or ``(batch, Tq, Tk)``, or either with a batch of
        1 that holds for every sample; nonzero where attending is allowed.
    causal : bool, default False
        Query i sees keys j <= i only.
    scale : float, optional
        Multiplies the scores (default ``1 / sqrt(depth)``).
    num_heads : int, optional
        The number of heads, for rank-3 inputs.

    Returns
    -------
    Tensor
        The query's shape.

    Raises
    ------
    ValueError
        Inputs of the wrong rank, rank 3 without num_heads, or a scale <= 0.

    Examples
    --------
    >>> q = np.zeros((1, 2, 1, 4), np.float32)
    >>> v = np.array([[[[1.0, 1, 1, 1]], [[3.0, 3, 3, 3]]]], np.float32)
    >>> pynn.ops.scaled_dot_product_attention(q, q, v).numpy()[0, :, 0, 0]  # equal scores: the mean
    array([2., 2.], dtype=float32)
    >>> pynn.ops.scaled_dot_product_attention(q, q, v, causal=True).numpy()[0, :, 0, 0]
    array([1., 2.], dtype=float32)
    """
    qs = _shape(query)
    if len(qs) not in (3, 4):
        raise ValueError("scaled_dot_product_attention: query must be (batch, T, heads, depth) "
                         f"or (batch, T, heads*depth) with num_heads=..., got shape {qs}")
    if num_heads is not None and (isinstance(num_heads, (bool, np.bool_))
                                  or not isinstance(num_heads, (int, np.integer))
                                  or not 1 <= num_heads <= 2 ** 31):
        raise ValueError("scaled_dot_product_attention: num_heads must be None or an int in "
                         f"[1, 2**31], got {num_heads!r}")
    if len(qs) == 3 and num_heads is None:
        raise ValueError("scaled_dot_product_attention: rank-3 inputs (batch, T, heads*depth) "
                         "need num_heads")
    if scale is not None and not scale > 0:
        raise ValueError(f"scaled_dot_product_attention: scale must be positive, got {scale}")
    inputs = [query, key, value] + ([mask] if mask is not None else [])
    return _C.apply("attention", inputs, num_heads=int(num_heads or 0), causal=bool(causal),
                    has_mask=mask is not None, scale=float(scale) if scale is not None else 0.0)
