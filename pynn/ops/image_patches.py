"""pynn.ops.image_patches: ``keras.ops.image.extract_patches_3d``, the patches of volumes
flattened to vectors, as one gather of engine ops (differentiable, traceable).

Keras computes it as a 3-D convolution with an identity kernel; the gather reads
the same values (each output is one input value), in the same (depth, row,
column, channel) order, with the convolution's 'valid' / 'same' geometry."""
import numbers

import numpy as np

from .layout import pad
from .shape import _tensor, expand_dims, reshape, squeeze, take, transpose

__all__ = ["extract_patches_3d"]


def _triple(name, v):
    if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool):
        v = (int(v),) * 3
    if (not isinstance(v, (tuple, list)) or len(v) != 3 or not all(
            isinstance(i, (numbers.Integral, np.integer)) and not isinstance(i, bool) and i > 0
            for i in v)):
        raise ValueError(f"extract_patches_3d: {name} must be a positive int or a tuple of 3, got "
                         f"{v!r}")
    return tuple(int(i) for i in v)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """Cuts volumes into patches, each flattened to a vector
    (``keras.ops.image.extract_patches_3d``).

    Parameters
    ----------
    volumes : Tensor or array_like
        ``(N, D, H, W, C)``, or one volume ``(D, H, W, C)`` (channels first with
        ``data_format``).
    size : int or tuple of 3 int
        The patch's depth, height and width.
    strides : int or tuple of 3 int, optional
        Step between patches; the patch size when omitted.
    dilation_rate : int or tuple of 3 int, default 1
        Spacing of the voxels within a patch.
    padding : {"valid", "same"}, default "valid"
        As for a convolution ("same": ``ceil(n / stride)`` patches, zeros added
        as evenly as possible, the extra one after).
    data_format : {"channels_last", "channels_first"}, optional
        ``"channels_first"`` takes ``(N, C, D, H, W)`` and returns ``(N, pd*ph*pw*C,
        nd, nh, nw)``.

    Returns
    -------
    Tensor
        ``(N, nd, nh, nw, pd * ph * pw * C)`` (without ``N`` for one volume), each
        vector in (depth, row, column, channel) order.

    Raises
    ------
    ValueError
        Volumes not of rank 4 or 5, bad sizes, strides, dilation or padding, or a
        patch larger than the (padded) volume.

    Examples
    --------
    >>> v = np.random.default_rng(0).random((2, 10, 10, 10, 3)).astype("float32")
    >>> pynn.ops.image.extract_patches_3d(v, (3, 3, 3)).shape
    (2, 3, 3, 3, 81)
    """
    x = _tensor(volumes)
    if x.ndim not in (4, 5):
        raise ValueError(f"extract_patches_3d: expected volumes of rank 4 (depth, height, width, "
                         f"channels) or 5 (batch, ...), received shape {tuple(x.shape)}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"extract_patches_3d: data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"extract_patches_3d: padding must be 'valid' or 'same', got {padding!r}")
    k = _triple("size", size)
    s = _triple("strides", k if strides is None else strides)
    d = _triple("dilation_rate", dilation_rate)
    unbatched = x.ndim == 4
    if unbatched:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 4, 1))
    dims, c = tuple(x.shape[1:4]), x.shape[4]
    span = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    if padding.lower() == "same":
        out = [-(-n // ss) for n, ss in zip(dims, s)]
        total = [max((o - 1) * ss + sp - n, 0) for o, ss, sp, n in zip(out, s, span, dims)]
        x = pad(x, [(0, 0)] + [(t // 2, t - t // 2) for t in total] + [(0, 0)])
        dims = tuple(n + t for n, t in zip(dims, total))
    out = [(n - sp) // ss + 1 for n, sp, ss in zip(dims, span, s)]
    if min(out) < 1:
        raise ValueError(f"extract_patches_3d: a patch of {k} (dilation {d}) is larger than the "
                         f"volume {dims}")
    D, H, W = dims
    offsets = ((np.arange(k[0]) * d[0])[:, None, None] * H * W
               + (np.arange(k[1]) * d[1])[None, :, None] * W
               + (np.arange(k[2]) * d[2])[None, None, :]).ravel()
    origins = ((np.arange(out[0]) * s[0])[:, None, None] * H * W
               + (np.arange(out[1]) * s[1])[None, :, None] * W
               + (np.arange(out[2]) * s[2])[None, None, :]).ravel()
    index = (origins[:, None] + offsets[None, :]).astype(np.float32)  # (L, K)
    patches = take(reshape(x, (-1, D * H * W, c)), index, axis=1)  # (N, L, K, C)
    patches = reshape(patches, (-1, *out, len(offsets) * c))
    if data_format == "channels_first":
        patches = transpose(patches, (0, 4, 1, 2, 3))
    return squeeze(patches, 0) if unbatched else patches
