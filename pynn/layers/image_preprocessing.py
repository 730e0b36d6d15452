"""Image preprocessing layers: Resizing and the random augmentations RandomFlip,
RandomRotation, RandomZoom, RandomTranslation, RandomContrast (Keras 3's names,
arguments and numbers; channels-last).

The random layers act only in training (``fit``, or ``training=True``) and are
the identity otherwise, as in Keras; called on their own (a batch of a data pipeline,
not inside a model) they augment, as Keras' do (their call's ``training`` defaults to
True). Their parameters are drawn per image in the engine (pynn.ops.image) from its
seeded generator: `pynn.set_seed` makes runs repeat; the Keras ``seed`` argument is
accepted and saved."""
import numpy as np

from .. import ops
from .base import Layer

_INTERPOLATIONS = ("bilinear", "nearest")
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _choice(cls, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{cls}: `{name}` must be one of {', '.join(repr(a) for a in allowed)}, "
                         f"received {name}={value!r}")
    return value


def _number(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not np.isfinite(value):
        raise ValueError(f"{cls}: `{name}` must be a finite number, received {name}={value!r}")
    return float(value)


def _range(cls, name, factor, bound=None):
    """Keras' factor: a number f is (-f, f); a pair is (lower, upper), lower <= upper."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{cls}: `{name}` must be a number or a pair (lower, upper), "
                             f"received {name}={factor!r}")
        lo, hi = (_number(cls, name, f) for f in factor)
    else:
        f = _number(cls, name, factor)
        lo, hi = -abs(f), abs(f)
    if lo > hi:
        raise ValueError(f"{cls}: `{name}` needs lower <= upper, received {name}={factor!r}")
    if bound is not None and (lo < bound[0] or hi > bound[1]):
        raise ValueError(f"{cls}: `{name}` must lie in [{bound[0]}, {bound[1]}], received "
                         f"{name}={factor!r}")
    return lo, hi


class _ImageLayer(Layer):
    _one_input = True
    _standalone_training = True  # Keras' image preprocessing call(data, training=True)

    def _check_input(self, shape):
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images (batch, height, "
                             f"width, channels) or one image (height, width, channels), got shape "
                             f"{tuple(shape)}")

    def _batched(self, fn, inputs):
        """Keras takes one image (3-D) as well as a batch."""
        if len(inputs.shape) == 3:
            return ops.squeeze(fn(ops.expand_dims(inputs, 0)), 0)
        return fn(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _RandomLayer(_ImageLayer):
    """A random augmentation: the op in training, the identity otherwise."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is "
                             f"supported, received data_format={data_format!r}")
        self.seed = seed

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return self._batched(self._augment, inputs)

    def get_config(self):
        cfg = super().get_config()
        cfg["seed"] = self.seed
        return cfg


def smart_resize(x, height, width, interpolation="bilinear"):
    """The largest centred window of a batch of images with the aspect ratio of
    (height, width), resized to it (Keras' crop box, in its integer arithmetic)."""
    h, w = x.shape[1], x.shape[2]
    ch = max(min(h, int(float(w * height) / width)), 1)
    cw = max(min(w, int(float(h * width) / height)), 1)
    top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
    if (ch, cw) != (h, w):
        x = x[:, top:top + ch, left:left + cw, :]
    return ops.resize(x, (height, width), interpolation)


class Resizing(_ImageLayer):
    """Resizes images to ``(height, width)`` (Keras 3's numbers: half-pixel centres).

    Parameters
    ----------
    height, width : int
        The output size.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        The method.
    crop_to_aspect_ratio : bool, default False
        First crop the largest centred window of the output's aspect ratio.
    pad_to_aspect_ratio : bool, default False
        Only False is supported.
    fill_mode, fill_value, antialias :
        Keras' defaults ("constant", 0.0, False) only.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not images.

    Examples
    --------
    >>> pynn.layers.Resizing(4, 6)(np.zeros((2, 8, 8, 3), np.float32)).shape
    (2, 4, 6, 3)
    >>> pynn.layers.Resizing(2, 2, crop_to_aspect_ratio=True)(np.zeros((1, 4, 8, 1))).shape
    (1, 2, 2, 1)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        for name, v in (("height", height), ("width", width)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{cls}: `{name}` must be a positive int, received {name}={v!r}")
        for name, value, default in (("pad_to_aspect_ratio", pad_to_aspect_ratio, False),
                                     ("fill_mode", fill_mode, "constant"),
                                     ("fill_value", fill_value, 0.0), ("antialias", antialias, False),
                                     ("data_format", data_format, None)):
            if value != default and not (name == "data_format" and value == "channels_last"):
                raise ValueError(f"{cls}: `{name}` is only supported at Keras' default "
                                 f"({default!r}), received {name}={value!r}")
        self.height, self.width = int(height), int(width)
        self.interpolation = _choice(cls, "interpolation", interpolation, _INTERPOLATIONS)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def _resize(self, x):
        if self.crop_to_aspect_ratio:
            return smart_resize(x, self.height, self.width, self.interpolation)
        return ops.resize(x, (self.height, self.width), self.interpolation)

    def call(self, inputs, training=False):
        return self._batched(self._resize, inputs)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        return shape[:-3] + (self.height, self.width, shape[-1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(height=self.height, width=self.width, interpolation=self.interpolation,
                   crop_to_aspect_ratio=self.crop_to_aspect_ratio)
        return cfg


class RandomFlip(_RandomLayer):
    """Flips each image with probability 1/2 in training (Keras' RandomFlip).

    Parameters
    ----------
    mode : {"horizontal", "vertical", "horizontal_and_vertical"}, default "horizontal_and_vertical"
        The axes; with both, one draw flips an image along both, as Keras.
    seed : int, optional
        Accepted and saved; use `pynn.set_seed` for repeatable draws.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        An unknown mode.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    >>> layer = pynn.layers.RandomFlip("horizontal")
    >>> bool((layer(x, training=False).numpy() == x).all())  # inference: the identity
    True
    >>> out = layer(x, training=True).numpy()
    >>> bool((out == x).all() or (out == x[:, :, ::-1]).all())
    True
    """

    _KINDS = {"horizontal": "flip_horizontal", "vertical": "flip_vertical",
              "horizontal_and_vertical": "flip_both"}

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = _choice(type(self).__name__, "mode", mode, tuple(self._KINDS))

    def _augment(self, x):
        return ops.random_affine(x, self._KINDS[self.mode])

    def get_config(self):
        cfg = super().get_config()
        cfg["mode"] = self.mode
        return cfg


class _AffineLayer(_RandomLayer):
    def _affine_args(self, fill_mode, interpolation, fill_value):
        cls = type(self).__name__
        self.fill_mode = _choice(cls, "fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = _choice(cls, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_value = _number(cls, "fill_value", fill_value)

    def _affine_config(self):
        return dict(fill_mode=self.fill_mode, interpolation=self.interpolation,
                    fill_value=self.fill_value)


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle in training (Keras' RandomRotation).

    Parameters
    ----------
    factor : float or tuple of 2 float
        In turns (fractions of 2 pi): f draws from [-f, f], (a, b) from [a, b].
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        Points outside the image.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    seed : int, optional
        Accepted and saved; use `pynn.set_seed`.
    fill_value : float, default 0.0
        With ``fill_mode="constant"``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    >>> pynn.layers.RandomRotation((0.5, 0.5))(x, training=True).numpy()[0, :, :, 0]
    array([[3., 2.],
           [1., 0.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, value_range=(0, 255), **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = _range(type(self).__name__, "factor", factor)
        self._affine_args(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        return ops.random_affine(x, "rotation", self.lower, self.upper, **self._affine_config())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(factor=list(self.factor) if isinstance(self.factor, tuple) else self.factor,
                   **self._affine_config())
        return cfg


class RandomZoom(_AffineLayer):
    """Zooms each image by a random factor in training (Keras' RandomZoom).

    Parameters
    ----------
    height_factor : float or tuple of 2 float
        f draws the height's zoom from 1 + [-f, f]; (a, b) from 1 + [a, b].
        Positive values zoom out, negative zoom in.
    width_factor : float or tuple of 2 float, optional
        The same for the width; omitted, the height's zoom keeps the aspect.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        Points outside the image.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    seed : int, optional
        Accepted and saved; use `pynn.set_seed`.
    fill_value : float, default 0.0
        With ``fill_mode="constant"``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments (factors below -1).

    Examples
    --------
    >>> x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    >>> pynn.layers.RandomZoom((-0.5, -0.5))(x, training=True).numpy()[0, :, :, 0]  # zoom in 2x
    array([[2. , 2.5, 3. ],
           [3.5, 4. , 4.5],
           [5. , 5.5, 6. ]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _range(cls, "height_factor", height_factor, (-1.0, np.inf))
        self.width_range = (None if width_factor is None else
                            _range(cls, "width_factor", width_factor, (-1.0, np.inf)))
        self._affine_args(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        wl, wu = self.width_range or (None, None)
        return ops.random_affine(x, "zoom", *self.height_range, width_lower=wl, width_upper=wu,
                                 **self._affine_config())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(height_factor=_plain(self.height_factor), width_factor=_plain(self.width_factor),
                   **self._affine_config())
        return cfg


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random offset in training (Keras' RandomTranslation).

    Parameters
    ----------
    height_factor : float or tuple of 2 float
        As a fraction of the height: f draws from [-f, f], (a, b) from [a, b].
    width_factor : float or tuple of 2 float
        The same for the width.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
        Points outside the image.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        How pixels are sampled.
    seed : int, optional
        Accepted and saved; use `pynn.set_seed`.
    fill_value : float, default 0.0
        With ``fill_mode="constant"``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments (factors outside [-1, 1]).

    Examples
    --------
    >>> x = np.arange(3, dtype=np.float32).reshape(1, 1, 3, 1)
    >>> layer = pynn.layers.RandomTranslation(0.0, (1 / 3, 1 / 3), fill_mode="constant")
    >>> layer(x, training=True).numpy().ravel()  # one pixel to the right
    array([0., 0., 1.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _range(cls, "height_factor", height_factor, (-1.0, 1.0))
        self.width_range = _range(cls, "width_factor", width_factor, (-1.0, 1.0))
        self._affine_args(fill_mode, interpolation, fill_value)

    def _augment(self, x):
        return ops.random_affine(x, "translation", *self.height_range,
                                 width_lower=self.width_range[0], width_upper=self.width_range[1],
                                 **self._affine_config())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(height_factor=_plain(self.height_factor), width_factor=_plain(self.width_factor),
                   **self._affine_config())
        return cfg


class RandomContrast(_RandomLayer):
    """Scales each image's contrast by a random factor in training (Keras' RandomContrast).

    Per channel ``(x - mean) * factor + mean`` with the image's mean, clipped to
    ``value_range``.

    Parameters
    ----------
    factor : float or tuple of 2 float
        In [0, 1]: f draws the factor from [1 - f, 1 + f]; (a, b) from
        [1 - a, 1 + b].
    value_range : tuple of 2 float, default (0, 255)
        The outputs are clipped to it.
    seed : int, optional
        Accepted and saved; use `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments (a factor outside [0, 1]).

    Examples
    --------
    >>> x = np.array([0.0, 10.0], np.float32).reshape(1, 1, 2, 1)
    >>> out = pynn.layers.RandomContrast(0.5)(x, training=True).numpy().ravel()
    >>> bool(out[0] + out[1] == 10.0 and 0.0 <= out[0] <= 2.5)  # factor in [0.5, 1.5], mean 5
    True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        pair = factor if isinstance(factor, (list, tuple)) else (factor, factor)
        if len(pair) != 2:
            raise ValueError(f"{cls}: `factor` must be a number or a pair, received "
                             f"factor={factor!r}")
        lo, hi = (_number(cls, "factor", f) for f in pair)
        if not (0 <= lo <= 1 and 0 <= hi <= 1):  # Keras' bounds
            raise ValueError(f"{cls}: `factor` must be a number or a pair of numbers in [0, 1], "
                             f"received factor={factor!r}")
        if len(tuple(value_range)) != 2 or value_range[0] > value_range[1]:
            raise ValueError(f"{cls}: `value_range` must be (min, max) with min <= max, received "
                             f"value_range={value_range!r}")
        self.factor = factor
        self.lower, self.upper = 1.0 - lo, 1.0 + hi
        self.value_range = tuple(float(v) for v in value_range)

    def _augment(self, x):
        return ops.random_contrast(x, self.lower, self.upper, self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(factor=_plain(self.factor), value_range=list(self.value_range))
        return cfg


def _plain(v):
    return list(v) if isinstance(v, tuple) else v
