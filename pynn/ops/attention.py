"""pynn.ops.attention: fused scaled dot-product attention."""
import numpy as np

from .. import _C

__all__ = ["scaled_dot_product_attention"]


def _shape(a):
    s = getattr(a, "shape", None)
    return tuple(s) if s is not None else np.shape(a)


def scaled_dot_product_attention(query, key, value, mask=None, *, causal=False, scale=None,
                                 num_heads=None):
    """softmax(q kᵀ · scale + masks) v, per head.

    Layouts: (batch, T, heads, depth) for all three, or (batch, T, heads*depth)
    with ``num_heads`` given (what a Dense projection produces). ``mask`` is
    (batch, Tk) (key padding) or (batch, Tq, Tk), true/nonzero where attending
    is allowed; ``causal`` lets query i see keys j <= i. ``scale`` defaults to
    1/sqrt(depth). A query that may attend to nothing gets uniform weights, as
    with Keras' additive -1e9 masking."""
    qs = _shape(query)
    if len(qs) not in (3, 4):
        raise ValueError("scaled_dot_product_attention: query must be (batch, T, heads, depth) "
                         f"or (batch, T, heads*depth) with num_heads=..., got shape {qs}")
    if len(qs) == 3 and num_heads is None:
        raise ValueError("scaled_dot_product_attention: rank-3 inputs (batch, T, heads*depth) "
                         "need num_heads")
    if scale is not None and not scale > 0:
        raise ValueError(f"scaled_dot_product_attention: scale must be positive, got {scale}")
    inputs = [query, key, value] + ([mask] if mask is not None else [])
    return _C.apply("attention", inputs,
                    iattr=[int(num_heads or 0), int(bool(causal)), int(mask is not None)],
                    fattr=[float(scale) if scale is not None else 0.0])
