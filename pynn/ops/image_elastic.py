"""pynn.ops.image_elastic: ``keras.ops.image.elastic_transform`` (Simard, Steinkraus and
Platt, ICDAR 2003), as Keras 3 does it: a random displacement field per image, drawn
normal, scaled by sigma and smoothed by a Gaussian blur of kernel ``int(6 sigma) | 1``,
moves every pixel by ``alpha`` times it; the images are sampled there by
`map_coordinates` (engine ops, differentiable in the images)."""
import numbers

import numpy as np

from .image_geometry import _images, gaussian_blur
from .image_sampling import _INTERPOLATIONS, map_coordinates
from .shape import _tensor, expand_dims, squeeze, transpose

__all__ = ["elastic_transform"]

_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _displaced(x, dx, dy, alpha, sigma, interpolation, fill_mode, fill_value):
    """x (N, H, W, C) sampled at (y + alpha blur(dy), x + alpha blur(dx)) for the noise
    fields dx, dy (N, H, W) (Keras scales them by sigma before the blur)."""
    n, h, w, c = x.shape
    size = int(6 * sigma) | 1
    fields = []
    for d in (dx, dy):
        d = np.asarray(d, np.float32) * np.float32(sigma)
        d = gaussian_blur(d[..., None], kernel_size=(size, size), sigma=(sigma, sigma)).numpy()
        fields.append(d[..., 0].astype(np.float64))
    cols = np.arange(w)[None, None, :] + alpha * fields[0]
    rows = np.arange(h)[None, :, None] + alpha * fields[1]
    shape = (n, h, w, c)
    coords = [np.broadcast_to(np.arange(n)[:, None, None, None], shape),
              np.broadcast_to(rows[..., None], shape), np.broadcast_to(cols[..., None], shape),
              np.broadcast_to(np.arange(c)[None, None, None, :], shape)]
    return map_coordinates(x, [np.ascontiguousarray(v, np.float32) for v in coords],
                           _INTERPOLATIONS[interpolation], fill_mode, fill_value)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Elastic distortion of images (``keras.ops.image.elastic_transform``).

    Eager (it draws its field with `pynn.random`, which refuses inside a model being
    traced): use it on data, or in a data pipeline.

    Parameters
    ----------
    images : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    alpha : float, default 20.0
        The displacement's scale, in pixels.
    sigma : float, default 5.0
        The smoothness of the field (the Gaussian's standard deviation), > 0.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_mode : {"reflect", "constant", "nearest", "wrap", "mirror"}, default "reflect"
    fill_value : float, default 0.0
    seed : int or pynn.random.SeedGenerator, optional
        As `pynn.random.normal`'s (the same int gives the same field).
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        The images' shape; differentiable in the images.

    Raises
    ------
    ValueError
        A bad rank, interpolation, fill_mode, data_format, alpha or sigma.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((1, 16, 16, 1)).astype(np.float32)
    >>> y = pynn.ops.image.elastic_transform(x, alpha=0.0, sigma=2.0, seed=1)
    >>> bool(np.allclose(y.numpy(), x))  # no displacement: the image itself
    True
    """
    from .. import random
    x, _ = _images("elastic_transform", images, data_format)
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"elastic_transform: `interpolation` must be one of "
                         f"{sorted(_INTERPOLATIONS)}, received interpolation={interpolation!r}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"elastic_transform: `fill_mode` must be one of {_FILL_MODES}, received "
                         f"fill_mode={fill_mode!r}")
    for name, v in (("alpha", alpha), ("sigma", sigma)):
        if not isinstance(v, numbers.Real) or not np.isfinite(v) or (name == "sigma" and v <= 0):
            raise ValueError(f"elastic_transform: `{name}` must be a finite number"
                             f"{' > 0' if name == 'sigma' else ''}, received {name}={v!r}")
    unbatched = x.ndim == 3
    if unbatched:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))
    n, h, w, _ = x.shape
    if isinstance(seed, numbers.Integral):  # one generator for both fields, as Keras' draws
        seed = random.SeedGenerator(int(seed))
    dx = random.normal((n, h, w), seed=seed).numpy()
    dy = random.normal((n, h, w), seed=seed).numpy()
    out = _displaced(_tensor(x), dx, dy, float(alpha), float(sigma), interpolation, fill_mode,
                     fill_value)
    if data_format == "channels_first":
        out = transpose(out, (0, 3, 1, 2))
    return squeeze(out, 0) if unbatched else out
