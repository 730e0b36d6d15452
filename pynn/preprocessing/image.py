"""`keras.preprocessing.image`: the image file helpers of pynn.utils (load_img,
img_to_array, array_to_img, save_img) and smart_resize, the names Keras 3 keeps
there (keras/preprocessing/image/__init__.py)."""
import numpy as np

from ..image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resizes an image or a batch of images to ``size`` without distorting them:
    the largest centred window with the target's aspect ratio is cropped, then
    resized (Keras' ``keras.preprocessing.image.smart_resize``, its crop box in its
    integer arithmetic).

    Parameters
    ----------
    x : array_like
        One image ``(height, width, channels)`` or a batch ``(n, height, width,
        channels)`` (channels first with ``data_format="channels_first"``).
    size : (int, int)
        The target ``(height, width)``.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        Keras 3's resampling (half-pixel centres, no antialiasing).
    data_format : {"channels_last", "channels_first"}, default "channels_last"

    Returns
    -------
    numpy.ndarray
        float32, ``size`` in place of the input's height and width.

    Raises
    ------
    ValueError
        ``size`` is not two positive ints, ``x`` is not 3-D or 4-D, or an unknown
        interpolation or data_format.

    Examples
    --------
    >>> img = np.arange(2 * 4 * 1, dtype=np.float32).reshape(2, 4, 1)
    >>> pynn.preprocessing.image.smart_resize(img, (2, 2))[..., 0]  # centre 2x2, kept
    array([[1., 2.],
           [5., 6.]], dtype=float32)
    """
    from ..layers.image_preprocessing import smart_resize as crop_and_resize
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
                       for s in size)):
        raise ValueError(f"smart_resize: size must be (height, width), two positive ints, "
                         f"got {size!r}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"smart_resize: interpolation must be 'bilinear' or 'nearest', got "
                         f"{interpolation!r}")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"smart_resize: data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    img = np.asarray(x, dtype=np.float32)
    if img.ndim not in (3, 4):
        raise ValueError(f"smart_resize: expected an image (height, width, channels) or a "
                         f"batch (n, height, width, channels), got shape {img.shape}")
    single = img.ndim == 3
    if single:
        img = img[None]
    if data_format == "channels_first":
        img = img.transpose(0, 2, 3, 1)
    out = crop_and_resize(np.ascontiguousarray(img), int(size[0]), int(size[1]),
                          interpolation)
    out = np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=np.float32)
    if data_format == "channels_first":
        out = out.transpose(0, 3, 1, 2)
    return out[0] if single else out
