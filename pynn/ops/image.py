"""pynn.ops.image: the image ops of Keras' preprocessing layers (channels-last).

``resize`` is Keras 3's ``ops.image.resize`` (bilinear with half-pixel centres,
or nearest); ``random_affine`` and ``random_contrast`` draw their parameters per
image from the engine's generator (`pynn.set_seed`) each time they run, and
sample as Keras' ``affine_transform`` does. See csrc/core/ops/image.c.
``extract_patches`` is a convolution with an identity kernel, as in Keras."""
import numpy as np

from .. import _C

__all__ = ["resize", "random_affine", "random_contrast", "extract_patches"]


def _check_images(op, x):
    shape = tuple(getattr(x, "shape", ()))
    if len(shape) != 4:
        raise ValueError(f"{op}: expected images of shape (batch, height, width, channels), got "
                         f"shape {shape}")


def resize(images, size, interpolation="bilinear"):
    """Resizes images ``(N, H, W, C)`` to ``size = (height, width)``.

    Parameters
    ----------
    images : Tensor or array_like
        ``(N, H, W, C)``.
    size : tuple of 2 int
        Output height and width.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        Keras 3's methods (half-pixel centres, no antialiasing).

    Returns
    -------
    Tensor
        ``(N, height, width, C)``.

    Raises
    ------
    ValueError
        Not 4-D images, or a bad size or method.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    >>> pynn.ops.resize(x, (4, 4)).numpy()[0, :, :, 0]
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]], dtype=float32)
    """
    _check_images("resize", images)
    return _C.apply("resize", [images], size=tuple(size), interpolation=interpolation)


def random_affine(images, kind, lower=0.0, upper=0.0, width_lower=None, width_upper=None,
                  interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """A random flip, rotation, zoom, translation or shear per image, as Keras' layers draw them.

    Parameters
    ----------
    images : Tensor or array_like
        ``(N, H, W, C)``.
    kind : {"flip_horizontal", "flip_vertical", "flip_both", "rotation", "zoom", "translation", \
"shear", "perspective"}
        The transformation (flips: each image with probability 1/2).
    lower, upper : float
        Rotation in turns, zoom minus 1, translation as a fraction of the
        height, or the x shear: drawn uniformly in [lower, upper].
    width_lower, width_upper : float, optional
        Zoom / translation along the width (zoom: the height's when omitted), or
        the y shear (shear: both shears change sign together with probability 1/2,
        about the origin, as Keras' RandomShear). perspective: [lower, upper] is the
        range of the probability to warp an image, [width_lower, width_upper] that of
        each corner coordinate's relative move (Keras' RandomPerspective).
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    fill_mode : {"reflect", "wrap", "constant", "nearest", "mirror"}, default "reflect"
        Keras' rule for points outside the image.
    fill_value : float, default 0.0
        The value outside with ``fill_mode="constant"``.

    Returns
    -------
    Tensor
        Images of the input's shape.

    Raises
    ------
    ValueError
        Not 4-D images, a range with lower > upper, or an unknown name.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    >>> pynn.ops.random_affine(x, "rotation", 0.5, 0.5).numpy()[0, :, :, 0]  # half a turn
    array([[5., 4., 3.],
           [2., 1., 0.]], dtype=float32)
    """
    _check_images("random_affine", images)
    has_width = width_lower is not None
    return _C.apply("random_affine", [images], kind=kind, lower=float(lower), upper=float(upper),
                    width_lower=float(width_lower if has_width else 0.0),
                    width_upper=float(width_upper if has_width else 0.0), has_width=has_width,
                    interpolation=interpolation, fill_mode=fill_mode, fill_value=float(fill_value))


def random_contrast(images, lower, upper, value_range=(0.0, 255.0)):
    """Scales each image's contrast by a factor drawn uniformly in [lower, upper].

    Per image and channel, ``clip((x - mean) * factor + mean, *value_range)``
    with the mean over height and width (Keras' RandomContrast).

    Parameters
    ----------
    images : Tensor or array_like
        ``(N, H, W, C)``.
    lower, upper : float
        The range of the factor.
    value_range : tuple of 2 float, default (0, 255)
        The outputs are clipped to it.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Not 4-D images, or lower > upper.

    Examples
    --------
    >>> x = np.array([0.0, 10.0], np.float32).reshape(1, 1, 2, 1)
    >>> pynn.ops.random_contrast(x, 2.0, 2.0).numpy().ravel()  # mean 5: 5 -/+ 2 * 5, clipped
    array([ 0., 15.], dtype=float32)
    >>> pynn.ops.random_contrast(x, 0.5, 0.5).numpy().ravel()
    array([2.5, 7.5], dtype=float32)
    """
    _check_images("random_contrast", images)
    return _C.apply("random_contrast", [images], lower=float(lower), upper=float(upper),
                    value_min=float(value_range[0]), value_max=float(value_range[1]))


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Cuts images into patches, each flattened to a vector (``keras.ops.image.extract_patches``).

    Patch ``(i, j)`` of ``size = (ph, pw)`` becomes the vector of its pixels in
    ``(row, column, channel)`` order, as in Keras (and ``tf.image.extract_patches``).
    Computed as Keras does, as a convolution with an identity kernel of shape
    ``(ph, pw, C, ph * pw * C)``: exact (each output is one input value times 1),
    differentiable, and it traces into a model like any convolution.

    Parameters
    ----------
    images : Tensor or array_like
        ``(N, H, W, C)``, or one image ``(H, W, C)``.
    size : int or tuple of 2 int
        The patch height and width.
    strides : int or tuple of 2 int, optional
        Step between patches; the patch size when omitted (patches do not overlap).
    dilation_rate : int or tuple of 2 int, default 1
        Spacing of the pixels within a patch.
    padding : {"valid", "same"}, default "valid"
        As for a convolution.
    data_format : {"channels_last", "channels_first"}, optional
        ``"channels_first"`` takes and returns ``(N, C, H, W)`` / ``(N, ph*pw*C, nh, nw)``.

    Returns
    -------
    Tensor
        ``(N, nh, nw, ph * pw * C)`` (without ``N`` for one image).

    Raises
    ------
    ValueError
        Images that are not 3-D or 4-D, a patch larger than the padded image, or
        bad arguments (named).

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> p = pynn.ops.image.extract_patches(x, 2)
    >>> p.shape
    (1, 2, 2, 4)
    >>> p.numpy()[0, 0, 1]
    array([2., 3., 6., 7.], dtype=float32)
    """
    from .conv import conv2d
    from .shape import _tensor, expand_dims, squeeze, transpose
    x = _tensor(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(f"extract_patches: expected images of shape (batch, height, width, "
                         f"channels) or (height, width, channels), got shape {tuple(x.shape)}")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"extract_patches: data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if not (isinstance(size, (tuple, list)) and len(size) == 2
            and all(isinstance(s, (int, np.integer)) and s > 0 for s in size)):
        raise ValueError(f"extract_patches: size must be a positive int or a tuple of 2, got "
                         f"{size!r}")
    unbatched = len(x.shape) == 3
    if unbatched:
        x = expand_dims(x, 0)
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))
    ph, pw = int(size[0]), int(size[1])
    c = int(x.shape[-1])
    kernel = np.eye(ph * pw * c, dtype=np.float32).reshape(ph, pw, c, ph * pw * c)
    out = conv2d(x, kernel, strides=strides or (ph, pw), padding=padding,
                 dilation_rate=dilation_rate)
    if data_format == "channels_first":
        out = transpose(out, (0, 3, 1, 2))
    return squeeze(out, 0) if unbatched else out
