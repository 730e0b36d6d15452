"""pynn.ops.nn_more: the rest of ``keras.ops.nn``'s functional forms —
dot_product_attention, depth_to_space, space_to_depth, multi_hot, psnr,
sparse_sigmoid, sparsemax — composed of engine ops (attention is the engine's
fused op where its mask layout allows), so they differentiate and trace into a
model.

sparsemax follows its definition (Martins & Astudillo, 2016): the output sums
to 1 along the axis. Keras 3's backends sum the cumulative sums over the support
instead of taking the last one, which is the same only when the support has one
element; tests/test_keras_ops_nn.py shows the difference."""
import math
import numbers

import numpy as np

from .. import _C
from .attention import scaled_dot_product_attention
from .compare import where
from .conv import _shape
from .convert import one_hot
from .cumulative import cumsum
from .layout import repeat
from .reduce import max as _max, mean, sum as _sum
from .shape import _tensor, expand_dims, reshape, transpose
from .sorting import sort

__all__ = ["dot_product_attention", "depth_to_space", "space_to_depth", "multi_hot", "psnr",
           "sparse_sigmoid", "sparsemax"]

_F = np.float32


def sparse_sigmoid(x):
    """0 below -1, ``(x + 1) / 2`` between, 1 above 1 (``keras.ops.sparse_sigmoid``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor
        Elementwise; the gradient is 1/2 on [-1, 1], 0 outside.

    Examples
    --------
    >>> pynn.ops.sparse_sigmoid(np.array([-6.0, -1.0, 0.0, 1.0, 6.0], np.float32)).numpy()
    array([0. , 0. , 0.5, 1. , 1. ], dtype=float32)
    """
    half = _C.apply("mul", [_C.apply("add", [_tensor(x), _F(1)]), _F(0.5)])
    return _C.apply("clip", [half], x_min=0.0, x_max=1.0)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``
    (``keras.ops.sparsemax``; Martins & Astudillo, 2016).

    ``max(x - tau, 0)`` with ``tau`` chosen so that each slice sums to 1; unlike
    softmax, small entries become exactly 0.

    Parameters
    ----------
    x : Tensor or array_like
        Logits.
    axis : int, default -1

    Returns
    -------
    Tensor
        Sums to 1 along ``axis``.

    Raises
    ------
    ValueError
        An axis out of range.

    Examples
    --------
    >>> pynn.ops.sparsemax(np.array([0.5, 0.4, -1.0], np.float32)).numpy().round(4)
    array([0.55, 0.45, 0.  ], dtype=float32)
    """
    x = _tensor(x)
    nd = len(x.shape)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -nd <= axis < nd:
        raise ValueError(f"sparsemax: axis {axis!r} is out of range for an input of rank {nd}")
    axis = int(axis) % nd
    z = _C.apply("neg", [sort(_C.apply("neg", [x]), axis=axis)])  # descending
    n = int(x.shape[axis])
    k = np.arange(1, n + 1, dtype=np.float32).reshape([n if a == axis else 1 for a in range(nd)])
    # the support: the k largest with 1 + k z_k > sum of the k largest (a step: no gradient)
    support = _C.apply("greater", [_C.apply("add", [_C.apply("mul", [z, k]), _F(1)]),
                                   cumsum(z, axis=axis)])
    size = _sum(support, axis=axis, keepdims=True)
    tau = _C.apply("div", [_C.apply("sub", [_sum(_C.apply("mul", [z, support]), axis=axis,
                                                 keepdims=True), _F(1)]), size])
    return _C.apply("relu", [_C.apply("sub", [x, tau])])


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``
    over all elements (``keras.ops.psnr``).

    Parameters
    ----------
    x1, x2 : Tensor or array_like
        Signals of the same shape.
    max_val : float
        The largest possible value of the signals.

    Returns
    -------
    Tensor
        A scalar, in decibels (inf for identical signals).

    Raises
    ------
    ValueError
        Shapes that differ.

    Examples
    --------
    >>> float(pynn.ops.psnr(np.zeros(4, np.float32), np.full(4, 0.1, np.float32), 1.0))
    20.0
    """
    a, b = _tensor(x1), _tensor(x2)
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"psnr: x1 and x2 must have the same shape, received {tuple(a.shape)} "
                         f"and {tuple(b.shape)}")
    if not isinstance(max_val, numbers.Real) or isinstance(max_val, bool) or not max_val > 0:
        raise ValueError(f"psnr: `max_val` must be a positive number, received {max_val!r}")
    mse = mean(_C.apply("square", [_C.apply("sub", [a, b])]))
    with np.errstate(divide="ignore"):
        noise = _C.apply("mul", [_C.apply("log", [mse]), _F(10 / math.log(10))])
    return _C.apply("sub", [_F(20 * math.log10(max_val)), noise])


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Integer labels to multi-hot vectors: 1 at every class a row names
    (``keras.ops.multi_hot``).

    Parameters
    ----------
    inputs : array_like of int
        ``(n,)`` labels of one sample, or ``(batch, n)``; negative ids (padding)
        set no class.
    num_classes : int
        The number of classes (Keras' older ``num_tokens`` is accepted).
    axis : int, default -1
        Where the class axis goes in the one-hot encoding before the labels'
        axis is reduced.
    dtype : optional
        float32 only.
    sparse : bool, default False
        Sparse output is not supported.

    Returns
    -------
    Tensor
        ``(num_classes,)`` or ``(batch, num_classes)``; no gradient (labels).

    Raises
    ------
    ValueError
        A missing num_classes, or sparse=True.

    Examples
    --------
    >>> pynn.ops.multi_hot(np.array([0, 4]), num_classes=5).numpy()
    array([1., 0., 0., 0., 1.], dtype=float32)
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("multi_hot: `num_classes` must be specified")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported (dense output only)")
    # negative ids (padding) name no class, as in Keras: encoded as id 0, then zeroed
    ids = _tensor(inputs)
    valid = _C.apply("greater_equal", [ids, _F(0)])
    encoded = one_hot(_C.apply("maximum", [ids, _F(0)]), num_classes, axis=axis, dtype=dtype)
    encoded = _C.apply("mul", [encoded, expand_dims(valid, -1)])
    return _max(encoded, axis=1 if len(ids.shape) > 1 else 0)


def _block(op, block_size, data_format):
    if not isinstance(block_size, (int, np.integer)) or isinstance(block_size, bool) \
            or block_size < 2:
        raise ValueError(f"{op}: `block_size` must be an int >= 2, received "
                         f"block_size={block_size!r}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}")
    return int(block_size), data_format or "channels_last"


def _four_d(op, x):
    x = _tensor(x)
    if len(x.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (batch, height, width, channels), or "
                         f"(batch, channels, height, width) with data_format='channels_first', "
                         f"received shape {tuple(x.shape)}")
    return x


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves blocks of channels into space (pixel shuffle): ``(N, H, W, C*r*r) ->
    (N, H*r, W*r, C)`` (``keras.ops.depth_to_space``).

    Channels-last takes channel ``(i*r + j)*C + c`` to offset ``(i, j)`` of channel
    ``c`` (TensorFlow's order); channels-first takes channel ``c*r*r + i*r + j``
    there (PyTorch's pixel_shuffle), as every Keras backend does.

    Parameters
    ----------
    x : Tensor or array_like
        4-D.
    block_size : int
        ``r``, at least 2; the channels must be divisible by ``r*r``.
    data_format : {"channels_last", "channels_first"}, default "channels_last"

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A block size below 2, an input that is not 4-D, or channels not divisible.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    >>> pynn.ops.depth_to_space(x, 2).numpy()[0, :, :, 0]
    array([[0., 1.],
           [2., 3.]], dtype=float32)
    """
    op = "depth_to_space"
    r, fmt = _block(op, block_size, data_format)
    x = _four_d(op, x)
    shape = tuple(int(d) for d in x.shape)
    c = shape[3] if fmt == "channels_last" else shape[1]
    if c % (r * r):
        raise ValueError(f"{op}: the channels ({c}) must be divisible by block_size**2 = {r * r}")
    if fmt == "channels_last":
        _, h, w, _ = shape
        y = transpose(reshape(x, (-1, h, w, r, r, c // (r * r))), (0, 1, 3, 2, 4, 5))
        return reshape(y, (-1, h * r, w * r, c // (r * r)))
    _, _, h, w = shape
    y = transpose(reshape(x, (-1, c // (r * r), r, r, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (-1, c // (r * r), h * r, w * r))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves blocks of space into channels: ``(N, H*r, W*r, C) -> (N, H, W, C*r*r)``
    (``keras.ops.space_to_depth``, the inverse of `depth_to_space` in each format).

    Parameters
    ----------
    x : Tensor or array_like
        4-D.
    block_size : int
        ``r``, at least 2; height and width must be divisible by it.
    data_format : {"channels_last", "channels_first"}, default "channels_last"

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A block size below 2, an input that is not 4-D, or sizes not divisible.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    >>> pynn.ops.space_to_depth(x, 2).numpy()[0, 0, 0]
    array([0., 1., 2., 3.], dtype=float32)
    """
    op = "space_to_depth"
    r, fmt = _block(op, block_size, data_format)
    x = _four_d(op, x)
    shape = tuple(int(d) for d in x.shape)
    (h, w, c) = shape[1:] if fmt == "channels_last" else (shape[2], shape[3], shape[1])
    if h % r or w % r:
        raise ValueError(f"{op}: height and width ({h}, {w}) must be divisible by "
                         f"block_size = {r}")
    if fmt == "channels_last":
        y = transpose(reshape(x, (-1, h // r, r, w // r, r, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (-1, h // r, w // r, r * r * c))
    y = transpose(reshape(x, (-1, c, h // r, r, w // r, r)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (-1, c * r * r, h // r, w // r))


def _mask_for_fused(mask, b, t, s):
    """The (B or 1, S) or (B or 1, T, S) form of a boolean mask broadcastable to
    (B, N, T, S) that does not vary over the heads, for the fused op; None when the
    mask needs the composed path."""
    ms = (1,) * (4 - len(_shape(mask))) + tuple(_shape(mask))
    if ms[1] != 1 or ms[3] != s or ms[0] not in (1, b):
        return None
    if ms[2] not in (1, t):
        return None
    # (-1 for the batch: a mask that is a model's input follows the replayed batch size)
    m = _C.apply("not_equal", [reshape(_tensor(mask), (-1,) + ms[1:]), _F(0)])
    return reshape(m, (-1, s)) if ms[2] == 1 else reshape(m, (-1, t, s))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention ``softmax(q k^T * scale + bias, masked) v``
    (``keras.ops.dot_product_attention``).

    Heads of the key and value may be fewer than the query's (grouped-query
    attention: query head ``n`` uses key head ``n // (N // K)``). A query whose
    keys are all masked gets uniform weights (Keras' large-negative masking).

    Parameters
    ----------
    query : Tensor or array_like
        ``(B, T, N, H)``.
    key, value : Tensor or array_like
        ``(B, S, K, H)``, ``N`` a multiple of ``K``.
    bias : Tensor or array_like, optional
        Added to the logits; broadcastable to ``(B, N, T, S)``.
    mask : array_like of bool, optional
        True where attending is allowed; broadcastable to ``(B, N, T, S)``.
    scale : float, optional
        Default ``1 / sqrt(H)``.
    is_causal : bool, default False
        Query ``i`` sees keys ``j <= i`` only.
    flash_attention : None or False
        No flash kernel on the CPU; True is refused.
    attn_logits_soft_cap : None
        JAX-on-TPU only in Keras; refused.

    Returns
    -------
    Tensor
        ``(B, T, N, H)``.

    Raises
    ------
    ValueError
        Inputs that are not 4-D, heads that do not group, or the unsupported options.

    Examples
    --------
    >>> q = np.zeros((1, 2, 1, 4), np.float32)
    >>> v = np.array([[[[1.0] * 4], [[3.0] * 4]]], np.float32)
    >>> pynn.ops.dot_product_attention(q, q, v, is_causal=True).numpy()[0, :, 0, 0]
    array([1., 2.], dtype=float32)
    """
    op = "dot_product_attention"
    if flash_attention:
        raise ValueError(f"{op}: flash_attention=True is not available on the CPU")
    if attn_logits_soft_cap is not None:
        raise ValueError(f"{op}: attn_logits_soft_cap is only supported for JAX on TPU (as in "
                         f"Keras); pass None")
    q, k, v = (_tensor(a) for a in (query, key, value))
    qs, ks, vs = (tuple(int(d) for d in a.shape) for a in (q, k, v))
    if len(qs) != 4 or len(ks) != 4 or ks != vs:
        raise ValueError(f"{op}: query must be (B, T, N, H) and key, value both (B, S, K, H); "
                         f"received {qs}, {ks}, {vs}")
    (b, t, n, h), (_, s, kh, _) = qs, ks
    if qs[3] != ks[3] or n % kh:
        raise ValueError(f"{op}: the heads' depth must agree and the query's heads be a "
                         f"multiple of the key's; received query {qs} and key {ks}")
    if scale is not None and not (isinstance(scale, numbers.Real) and scale > 0):
        raise ValueError(f"{op}: `scale` must be a positive number, received {scale!r}")
    scale = 1.0 / math.sqrt(h) if scale is None else float(scale)
    fused_mask = None if mask is None else _mask_for_fused(mask, b, t, s)
    if bias is None and kh == n and (mask is None or fused_mask is not None):
        return scaled_dot_product_attention(q, k, v, fused_mask, causal=bool(is_causal),
                                            scale=scale)
    if kh != n:  # grouped-query: each key/value head serves N // K query heads
        k, v = repeat(k, n // kh, axis=2), repeat(v, n // kh, axis=2)
    qt, kt, vt = (transpose(a, (0, 2, 1, 3)) for a in (q, k, v))  # (B, N, ., H)
    logits = _C.apply("mul", [_C.apply("matmul", [qt, kt], transpose_a=False, transpose_b=True),
                              _F(scale)])
    if bias is not None:
        logits = _C.apply("add", [logits, _tensor(bias)])
    allowed = None if mask is None else _C.apply("not_equal", [_tensor(mask), _F(0)])
    if is_causal:
        causal = np.tril(np.ones((t, s), np.float32))
        allowed = causal if allowed is None else _C.apply("mul", [allowed, causal])
    if allowed is not None:
        logits = where(allowed, logits, _F(-1e9))
    weights = _C.apply("softmax", [logits], axis=-1)
    return transpose(_C.apply("matmul", [weights, vt]), (0, 2, 1, 3))
