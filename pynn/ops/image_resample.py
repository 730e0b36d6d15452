"""pynn.ops.image_resample: ``keras.ops.image.scale_and_translate`` (JAX's
jax.image.scale_and_translate, which Keras 3 follows on every backend): each
spatial axis resampled by a matrix of kernel weights (linear, Keys cubic, Lanczos
3 / 5), antialiased when shrinking. The weights are computed here from the scale
and translation values (float64, rounded once); applying them is a tensordot of
engine ops, so the result differentiates in the images and traces into a model."""
import numbers

import numpy as np

from .. import _C
from .numeric import tensordot
from .arrange import moveaxis
from .shape import _tensor

__all__ = ["scale_and_translate"]

_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
            "triangle": "linear", "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
            "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _kernel(method, x):
    """The resampling kernel at distances x >= 0."""
    if method == "linear":
        return np.maximum(0.0, 1.0 - x)
    if method == "cubic":  # Keys, a = -0.5
        out = ((1.5 * x - 2.5) * x) * x + 1.0
        out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
        return np.where(x >= 2.0, 0.0, out)
    radius = 3.0 if method == "lanczos3" else 5.0
    with np.errstate(invalid="ignore", divide="ignore"):
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi * np.pi * x * x)
    return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))


def _weights(n_in, n_out, scale, translation, method, antialias):
    """(n_in, n_out): output sample j as a combination of the input samples."""
    inv = 1.0 / scale
    kernel_scale = max(inv, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv - translation * inv - 0.5
    w = _kernel(method, np.abs(sample[None, :] - np.arange(n_in)[:, None]) / kernel_scale)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                 w / np.where(total != 0, total, 1), 0.0)
    inside = (sample >= -0.5) & (sample <= n_in - 0.5)  # samples outside the image are 0
    return np.where(inside[None, :], w, 0.0).astype(np.float32)


def _values(name, v, k):
    v = np.asarray(v.numpy() if isinstance(v, _C.Tensor) else v, np.float64).reshape(-1)
    if v.shape != (k,) or not np.all(np.isfinite(v)):
        raise ValueError(f"scale_and_translate: {name} must hold {k} finite values (one per "
                         f"spatial dimension), received {v}")
    return v


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resamples images so that input point ``x`` lands at ``x * scale + translation``
    along each spatial dimension (``keras.ops.image.scale_and_translate``).

    Parameters
    ----------
    images : Tensor or array_like
        Any rank.
    output_shape : tuple of int
        The full output shape (the non-spatial dimensions as the input's).
    scale : array_like
        ``(K,)`` scales of the spatial dimensions (positive).
    translation : array_like
        ``(K,)`` translations, in output pixels.
    spatial_dims : tuple of int
        The K dimensions resampled.
    method : {"linear", "bilinear", "trilinear", "triangle", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5"}
    antialias : bool, default True
        When shrinking (scale < 1), widen the kernel by 1 / scale.

    Returns
    -------
    Tensor
        ``output_shape``; output samples that map outside the input are 0.
        Differentiable in the images (scale and translation are used by value).

    Raises
    ------
    ValueError
        An unknown method, scale or translation not one finite value per spatial
        dimension (scale > 0), a spatial dimension out of range or repeated, or an
        output shape of another rank or other non-spatial sizes.

    Examples
    --------
    >>> images = np.arange(9, dtype="float32").reshape((3, 3))
    >>> scale = np.array([2.0, 2.0], "float32")
    >>> pynn.ops.image.scale_and_translate(images, (5, 5), scale, -(scale / 2.0 - 0.5),
    ...                                    (0, 1), "linear").numpy()
    array([[0. , 0.5, 1. , 1.5, 2. ],
           [1.5, 2. , 2.5, 3. , 3.5],
           [3. , 3.5, 4. , 4.5, 5. ],
           [4.5, 5. , 5.5, 6. , 6.5],
           [6. , 6.5, 7. , 7.5, 8. ]], dtype=float32)
    """
    if method not in _METHODS:
        raise ValueError(f"scale_and_translate: invalid value for argument `method`. Expected "
                         f"one of {sorted(_METHODS)}. Received: method={method!r}")
    x = _tensor(images)
    dims = [d for d in spatial_dims] if isinstance(spatial_dims, (tuple, list)) else None
    if dims is None or not all(isinstance(d, numbers.Integral) and -x.ndim <= d < x.ndim
                               for d in dims) or len({d % x.ndim for d in dims}) != len(dims):
        raise ValueError(f"scale_and_translate: spatial_dims must be distinct axes of an input "
                         f"of rank {x.ndim}, received {spatial_dims!r}")
    dims = [d % x.ndim for d in dims]
    out_shape = tuple(int(v) for v in output_shape)
    if len(out_shape) != x.ndim or any(out_shape[i] != x.shape[i] for i in range(x.ndim)
                                       if i not in dims) or min(out_shape, default=1) < 0:
        raise ValueError(f"scale_and_translate: output_shape {tuple(output_shape)} must have the "
                         f"input's rank and its sizes outside spatial_dims {tuple(dims)}; input "
                         f"shape {tuple(x.shape)}")
    s = _values("scale", scale, len(dims))
    t = _values("translation", translation, len(dims))
    if np.any(s <= 0):
        raise ValueError(f"scale_and_translate: scale must be > 0, received {s}")
    for i, d in enumerate(dims):
        w = _weights(x.shape[d], out_shape[d], s[i], t[i], _METHODS[method], bool(antialias))
        x = moveaxis(tensordot(x, w, axes=([d], [0])), -1, d)
    return x
