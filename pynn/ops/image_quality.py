"""pynn.ops.image_quality: ``keras.ops.image.ssim``, the structural similarity index
(Wang, Bovik, Sheikh and Simoncelli, IEEE TIP 2004) as Keras 3 computes it: local
means, variances and covariance under a Gaussian window (a 'valid' depthwise
convolution of engine ops), the SSIM map averaged over pixels and channels.
Differentiable (a training loss ``1 - ssim``) and traceable."""
import numbers

import numpy as np

from .image_geometry import _images
from .nn_conv import depthwise_conv
from .reduce import mean
from .shape import expand_dims, squeeze, transpose

__all__ = ["ssim"]


def _gaussian(size, sigma):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    g /= g.sum()
    return np.outer(g, g)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two images or batches (``keras.ops.image.ssim``).

    Parameters
    ----------
    image1 : Tensor or array_like
        ``(H, W, C)`` or ``(N, H, W, C)`` (channels first with ``data_format``).
    image2 : Tensor or array_like
        The same shape.
    max_val : float, default 1.0
        The range of the pixel values (255.0 for 8-bit images).
    filter_size : int, default 11
        The Gaussian window's size, at most H and W.
    filter_sigma : float, default 1.5
    k1 : float, default 0.01
    k2 : float, default 0.03
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor
        One value per image ``(N,)``, or a scalar for unbatched input; 1 for
        identical images.

    Raises
    ------
    ValueError
        Images not of rank 3 or 4, shapes that differ, a window larger than the
        images, or a filter_size / filter_sigma that is not positive.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((32, 32, 3)).astype("float32")
    >>> round(float(pynn.ops.image.ssim(image, image).numpy()), 4)
    1.0
    >>> pynn.ops.image.ssim(np.zeros((2, 16, 16, 1)), np.ones((2, 16, 16, 1))).shape
    (2,)
    """
    x, _ = _images("ssim", image1, data_format)
    y, _ = _images("ssim", image2, data_format)
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"ssim: image1 and image2 must have the same shape; received "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    if not isinstance(filter_size, numbers.Integral) or isinstance(filter_size, bool) \
            or filter_size < 1:
        raise ValueError(f"ssim: filter_size must be a positive int, got {filter_size!r}")
    if not filter_sigma > 0:
        raise ValueError(f"ssim: filter_sigma must be > 0, got {filter_sigma!r}")
    unbatched = x.ndim == 3
    if unbatched:
        x, y = expand_dims(x, 0), expand_dims(y, 0)
    if data_format == "channels_first":
        x, y = transpose(x, (0, 2, 3, 1)), transpose(y, (0, 2, 3, 1))
    h, w, c = x.shape[1:]
    if filter_size > min(h, w):
        raise ValueError(f"ssim: filter_size={filter_size} is larger than the images ({h} x {w})")
    kernel = np.repeat(_gaussian(int(filter_size), float(filter_sigma))[:, :, None, None], c,
                       axis=2).astype(np.float32)

    def local(v):
        return depthwise_conv(v, kernel, padding="valid")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = local(x), local(y)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1 = local(x * x) - mu1_sq
    s2 = local(y * y) - mu2_sq
    s12 = local(x * y) - mu12
    ssim_map = (mu12 * 2.0 + c1) * (s12 * 2.0 + c2) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))
    out = mean(ssim_map, axis=(1, 2, 3))
    return squeeze(out, 0) if unbatched else out
