"""keras.utils' image file helpers: load_img, img_to_array, array_to_img, save_img
(keras/src/utils/image_utils.py, https://keras.io/api/data_loading/image/).

Images are PIL images, as in Keras; Pillow is an optional extra (``pip install
pynn[image]``), imported when one of these is called."""
import io
import pathlib
import warnings

import numpy as np

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil(fn):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{fn} needs Pillow to read and write images: pip install pillow "
                          f"(or pip install pynn[image])") from None
    return Image


def _data_format(fn, data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{fn}: data_format must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}")
    return data_format


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Loads an image file as a PIL image (Keras' ``utils.load_img``).

    Parameters
    ----------
    path : str, pathlib.Path, bytes or io.BytesIO
        The image file (any format Pillow reads).
    color_mode : {"rgb", "rgba", "grayscale"}, default "rgb"
    target_size : (int, int), optional
        ``(height, width)`` to resize to.
    interpolation : {"nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"}
        The resampling filter of the resize.
    keep_aspect_ratio : bool, default False
        Crop the centre to the target's aspect ratio before resizing.

    Returns
    -------
    PIL.Image.Image

    Raises
    ------
    ImportError
        Pillow is not installed.
    TypeError
        ``path`` is not a path or a BytesIO.
    ValueError
        An unknown color_mode or interpolation.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO()
    >>> pynn.utils.save_img(buf, np.zeros((4, 6, 3)), file_format="png")
    >>> img = pynn.utils.load_img(buf, target_size=(2, 3))
    >>> img.size, img.mode  # PIL sizes are (width, height)
    ((3, 2), 'RGB')
    """
    Image = _pil("load_img")
    if color_mode not in ("rgb", "rgba", "grayscale"):
        raise ValueError(f"load_img: color_mode must be 'grayscale', 'rgb' or 'rgba', got "
                         f"{color_mode!r}")
    if isinstance(path, io.BytesIO):
        path.seek(0)
        img = Image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path should be path-like or io.BytesIO, not "
                        f"{type(path).__name__}")
    keep = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}[color_mode]
    if img.mode not in keep:
        img = img.convert(keep[0])
    if target_size is None:
        return img
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"load_img: invalid interpolation {interpolation!r}; supported: "
                         f"{', '.join(_INTERPOLATIONS)}")
    size = (int(target_size[1]), int(target_size[0]))
    if img.size == size:
        return img
    resample = getattr(Image.Resampling, interpolation.upper())
    box = None
    if keep_aspect_ratio:  # Keras' centre crop box (integer arithmetic as Keras)
        width, height = img.size
        crop_h = min(height, (width * size[1]) // size[0])
        crop_w = min(width, (height * size[0]) // size[1])
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        box = [left, top, left + crop_w, top + crop_h]
    return img.resize(size, resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL image (or any 2D / 3D array) to a float32 array ``(h, w, c)``.

    Parameters
    ----------
    img : PIL.Image.Image or array_like
        The image.
    data_format : {"channels_last", "channels_first"}, optional
        Default channels_last; channels_first gives ``(c, h, w)``.
    dtype : str, optional
        Default float32.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        An image that is neither 2D nor 3D, or an unknown data_format.

    Examples
    --------
    >>> pynn.utils.img_to_array(np.zeros((4, 6))).shape
    (4, 6, 1)
    >>> pynn.utils.img_to_array(np.zeros((4, 6, 3)), data_format="channels_first").shape
    (3, 4, 6)
    """
    data_format = _data_format("img_to_array", data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[:, :, None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape} (expected 2D or 3D)")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts an array ``(h, w, c)`` with 1, 3 or 4 channels to a PIL image.

    Parameters
    ----------
    x : array_like
        One image.
    data_format : {"channels_last", "channels_first"}, optional
    scale : bool, default True
        Rescale the values to [0, 255] (min to 0, max to 255) first.
    dtype : str, optional
        The dtype the array is read as (default float32).

    Returns
    -------
    PIL.Image.Image

    Raises
    ------
    ImportError
        Pillow is not installed.
    ValueError
        Not rank 3, or a channel count other than 1, 3 or 4.

    Examples
    --------
    >>> img = pynn.utils.array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]]))
    >>> img.mode, np.asarray(img).tolist()
    ('L', [[0, 127], [255, 63]])
    """
    Image = _pil("array_to_img")
    data_format = _data_format("array_to_img", data_format)
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3 (one image), got "
                         f"shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGBA" if channels == 4 else "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 32-bit grayscale, as Keras
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported channel number {channels} (expected 1, 3 or 4)")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image array to a file (Keras' ``utils.save_img``).

    Parameters
    ----------
    path : str, pathlib.Path or file object
        Where to write.
    x : array_like
        One image ``(h, w, c)``.
    data_format : {"channels_last", "channels_first"}, optional
    file_format : str, optional
        Default: from the file name's suffix ("jpg" is JPEG).
    scale : bool, default True
        As in `array_to_img`.
    **kwargs
        Passed to ``PIL.Image.save``.

    Raises
    ------
    ImportError
        Pillow is not installed.
    ValueError
        As `array_to_img`.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "zeros.png")
    >>> pynn.utils.save_img(path, np.zeros((2, 2, 3)))
    >>> pynn.utils.img_to_array(pynn.utils.load_img(path)).shape
    (2, 2, 3)
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)
