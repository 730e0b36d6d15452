"""pynn.ops.unfold: ``keras.ops.unfold`` (im2col) and ``keras.ops.fold`` (col2im), on
channels-first ``(N, C, H, W)`` images as torch.nn.functional.unfold / fold.

Both are one gather (``take``) with index tables computed here from the geometry:
unfold reads every window's pixels; fold reads, for every pixel and every kernel
offset, the one block that covers it there (or a zero column), then sums over the
offsets, so overlapping blocks add. Differentiable (the gather's gradient is a
scatter-add) and traceable; the batch axis may change between calls."""
import numbers

import numpy as np

from .layout import pad
from .reduce import sum as _sum
from .shape import _tensor, reshape, take

__all__ = ["unfold", "fold"]


def _pair(op, name, v, low):
    if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool):
        v = (int(v), int(v))
    if (not isinstance(v, (tuple, list)) or len(v) != 2
            or not all(isinstance(i, (numbers.Integral, np.integer)) and not isinstance(i, bool)
                       for i in v) or min(v) < low):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints >= {low}, got {v!r}")
    return int(v[0]), int(v[1])


def _geometry(op, size, kernel_size, dilation, padding, stride):
    """(padded size, window offsets (K,), block origins (L,)) in the flattened padded image."""
    k = _pair(op, "kernel_size", kernel_size, 1)
    d = _pair(op, "dilation", dilation, 1)
    p = _pair(op, "padding", padding, 0)
    s = _pair(op, "stride", stride, 1)
    hp, wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    blocks = [(n - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, ss in zip((hp, wp), k, d, s)]
    if min(blocks) < 1:
        raise ValueError(f"{op}: a kernel of {k} with dilation {d} does not fit a padded image of "
                         f"({hp}, {wp}) (padding {p})")
    offsets = (np.arange(k[0])[:, None] * d[0] * wp + np.arange(k[1])[None, :] * d[1]).ravel()
    origins = (np.arange(blocks[0])[:, None] * s[0] * wp
               + np.arange(blocks[1])[None, :] * s[1]).ravel()
    return (hp, wp), p, offsets, origins


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of a batch of images as columns (``keras.ops.unfold``, im2col).

    Parameters
    ----------
    x : Tensor or array_like
        ``(N, C, H, W)``, channels first.
    kernel_size : int or tuple of 2 ints
    dilation : int or tuple of 2 ints, default 1
    padding : int or tuple of 2 ints, default 0
        Zeros added on both sides of H and W.
    stride : int or tuple of 2 ints, default 1

    Returns
    -------
    Tensor
        ``(N, C * kH * kW, L)``, L the number of blocks; row ``c * kH * kW + i * kW +
        j`` holds pixel (i, j) of the window of channel c, as torch's.

    Raises
    ------
    ValueError
        An input not 4-D, sizes that are not positive ints (padding >= 0), or a
        kernel larger than the padded image.

    Examples
    --------
    >>> pynn.ops.unfold(np.ones((1, 2, 4, 4), np.float32), kernel_size=2, stride=2).shape
    (1, 8, 4)
    """
    x = _tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: input must be a 4D tensor (N, C, H, W); received input.shape="
                         f"{tuple(x.shape)}")
    c = x.shape[1]
    (hp, wp), p, offsets, origins = _geometry("unfold", x.shape[2:], kernel_size, dilation,
                                              padding, stride)
    if p != (0, 0):
        x = pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    index = (offsets[:, None] + origins[None, :]).astype(np.float32)  # (K, L)
    cols = take(reshape(x, (-1, c, hp * wp)), index, axis=2)  # (N, C, K, L)
    return reshape(cols, (-1, c * len(offsets), len(origins)))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns of blocks back into images (``keras.ops.fold``, col2im): the
    adjoint of `unfold`, overlapping blocks added.

    Parameters
    ----------
    x : Tensor or array_like
        ``(N, C * kH * kW, L)``, as `unfold` returns.
    output_size : int or tuple of 2 ints
        ``(H, W)`` of the images.
    kernel_size : int or tuple of 2 ints
    dilation : int or tuple of 2 ints, default 1
    padding : int or tuple of 2 ints, default 0
        The padding `unfold` applied (cropped off here).
    stride : int or tuple of 2 ints, default 1

    Returns
    -------
    Tensor
        ``(N, C, H, W)``.

    Raises
    ------
    ValueError
        An input not 3-D, a second axis that is not a multiple of kH * kW, a number
        of blocks L that does not match the geometry, or bad sizes.

    Examples
    --------
    >>> cols = pynn.ops.unfold(np.ones((1, 2, 4, 4), np.float32), kernel_size=3)
    >>> pynn.ops.fold(cols, (4, 4), kernel_size=3).numpy()[0, 0]  # windows per pixel
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]], dtype=float32)
    """
    x = _tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: input must be a 3D tensor (N, C * kH * kW, L); received "
                         f"input.shape={tuple(x.shape)}")
    out = _pair("fold", "output_size", output_size, 1)
    (hp, wp), p, offsets, origins = _geometry("fold", out, kernel_size, dilation, padding, stride)
    K, L = len(offsets), len(origins)
    if x.shape[1] % K or x.shape[2] != L:
        raise ValueError(f"fold: expected input (N, C * {K}, {L}) for output_size {out}, "
                         f"kernel_size {kernel_size}, dilation {dilation}, padding {padding} and "
                         f"stride {stride}; received input.shape={tuple(x.shape)}")
    c = x.shape[1] // K
    # source[k, q]: the block whose offset k lands on pixel q, else L (a zero column)
    source = np.full((K, hp * wp), L, np.int64)
    for k in range(K):
        source[k, offsets[k] + origins] = np.arange(L)
    flat = source + (L + 1) * np.arange(K)[:, None]  # into the (K, L + 1) columns
    cols = pad(reshape(x, (-1, c, K, L)), [(0, 0), (0, 0), (0, 0), (0, 1)])
    picked = take(reshape(cols, (-1, c, K * (L + 1))), flat.astype(np.float32), axis=2)
    images = reshape(_sum(picked, axis=2), (-1, c, hp, wp))  # (N, C, hp, wp)
    return images[:, :, p[0]:p[0] + out[0], p[1]:p[1] + out[1]]
