"""MixUp and CutMix (keras/src/layers/preprocessing/image_preprocessing/mix_up.py,
cut_mix.py): augmentations that mix each image of a batch with another image of
the same batch (a random permutation), and mix the labels alike.

They act on a data pipeline's batches -- ``layer(images)`` or ``layer({"images":
..., "labels": ...})``, as Keras' examples use them -- where the draws (Beta
weights, permutation, boxes) are made in NumPy for the batch in hand: from the
layer's own generator when a ``seed`` is given (the same seed repeats the same
sequence), else from pynn's (`pynn.set_seed`). The mixing itself is engine ops,
so gradients reach the images. Inside a model they are the identity at
inference; training a model through them is refused, because a compiled fit
would need these draws inside the engine afresh at every batch."""
import numpy as np

from .. import _C, ops
from .. import random as _random
from ..tensor import Tensor
from .base import Layer
from .image_color import _factor
from .image_preprocessing import _number


class _MixLayer(Layer):
    _standalone_training = True  # Keras' call(data, training=True)

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is "
                             f"supported, received data_format={data_format!r}")
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _generator(self):
        return self._rng if self._rng is not None else _random.generator()

    def call(self, inputs, training=False):
        if not training:
            return inputs
        who = f"{type(self).__name__} '{self.name}'"
        if _C.is_tracing():
            raise ValueError(
                f"{who} mixes the images of a batch with draws made for that batch in Python, "
                f"which a compiled fit cannot repeat at every batch: apply it to the data "
                f"instead (e.g. dataset.map(layer) or layer(batch) before fit); in a model it "
                f"is the identity at inference only")
        data = dict(inputs) if isinstance(inputs, dict) else {"images": inputs}
        if "images" not in data:
            raise ValueError(f"{who}: a dict input needs an 'images' entry, got keys "
                             f"{sorted(data)}")
        images = data["images"] if isinstance(data["images"], Tensor) else Tensor(
            np.asarray(data["images"], np.float32))
        if images.ndim == 3:  # one image: nothing to mix with (Keras leaves it as it is)
            return inputs
        if images.ndim != 4:
            raise ValueError(f"{who} expects images (batch, height, width, channels) or one "
                             f"image, got shape {tuple(images.shape)}")
        n = int(images.shape[0])
        rng = self._generator()
        permutation, weight, mixed = self._mix(images, n, rng)
        data["images"] = mixed
        if "labels" in data:
            labels = data["labels"] if isinstance(data["labels"], Tensor) else Tensor(
                np.asarray(data["labels"], np.float32))
            if labels.ndim < 1 or int(labels.shape[0]) != n:
                raise ValueError(f"{who}: labels must have one row per image ({n}), got shape "
                                 f"{tuple(labels.shape)}")
            w = weight.reshape((n,) + (1,) * (labels.ndim - 1))
            data["labels"] = labels * w + ops.take(labels, permutation, axis=0) * (1.0 - w)
        return data if isinstance(inputs, dict) else data["images"]

    def compute_output_shape(self, input_shape):
        return input_shape


class MixUp(_MixLayer):
    """Mixes each image (and its label) with another of the batch in training (Keras' MixUp).

    As Keras: per batch a random permutation, per image a weight ``w ~
    Beta(alpha, alpha)``; ``image = w * image + (1 - w) * image[perm]``, and the
    same for ``labels`` when the input is a dict ``{"images", "labels"}``. A call
    on its own augments (Keras' default ``training=True``); the identity at
    inference. See the module docstring for where it can run.

    Parameters
    ----------
    alpha : float, default 0.2
        The Beta distribution's parameters (> 0).
    data_format : None or "channels_last"
        Only channels-last.
    seed : int, optional
        Seeds the layer's own generator: the same seed gives the same mixes.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad alpha; inputs that are not images; labels of another batch size;
        a compiled fit through the layer.

    Examples
    --------
    >>> images = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype(np.float32)
    >>> labels = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    >>> out = pynn.layers.MixUp(alpha=0.5, seed=1)({"images": images, "labels": labels})
    >>> w = out["images"].numpy()[:, 0, 0, 0]  # each image is w of one and 1 - w of the other
    >>> bool(np.allclose(out["labels"].numpy().sum(1), 1.0)), bool((0 <= w).all() and (w <= 1).all())
    (True, True)
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = _number("MixUp", "alpha", alpha)
        if self.alpha <= 0:
            raise ValueError(f"MixUp: `alpha` must be > 0, received alpha={alpha!r}")

    def _mix(self, images, n, rng):
        permutation = rng.permutation(n).astype(np.float32)
        weight = rng.beta(self.alpha, self.alpha, n).astype(np.float32)
        w = weight.reshape(n, 1, 1, 1)
        return permutation, weight, images * w + ops.take(images, permutation, axis=0) * (1.0 - w)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(alpha=self.alpha, seed=self.seed, data_format="channels_last")
        return cfg


class CutMix(_MixLayer):
    """Pastes a box of another image of the batch into each image in training (Keras' CutMix).

    As Keras: per batch ``alpha`` uniform in the factor's range (+1e-6) and a
    random permutation; per image ``w ~ Beta(alpha, alpha)``, a box of
    ``sqrt(1 - w)`` of the width and height at a uniform position, whose pixels
    come from ``image[perm]``; labels (in a dict input) mix with the weight ``1 -
    box area / image area``. One image alone is left as it is. A call on its own
    augments; the identity at inference. See the module docstring for where it
    can run.

    Parameters
    ----------
    factor : float or tuple of 2 float, default 1.0
        In [0, 1]: f is the range (0, f) of ``alpha``; (a, b) is [a, b].
    seed : int, optional
        Seeds the layer's own generator: the same seed gives the same boxes.
    data_format : None or "channels_last"
        Only channels-last.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A factor outside [0, 1]; inputs that are not images; labels of another
        batch size; a compiled fit through the layer.

    Examples
    --------
    >>> images = np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))]).astype(np.float32)
    >>> labels = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    >>> out = pynn.layers.CutMix(seed=3)({"images": images, "labels": labels})
    >>> bool(set(np.unique(out["images"].numpy())) <= {0.0, 1.0})  # pixels moved, not blended
    True
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor("CutMix", factor, (0, 1))

    def _mix(self, images, n, rng):
        h, w = int(images.shape[1]), int(images.shape[2])
        alpha = np.float32(rng.uniform(*self.factor)) + np.float32(1e-6)
        mix = rng.beta(alpha, alpha, n).astype(np.float32)
        ratio = np.sqrt(np.float32(1.0) - mix)

        def bounds(length):
            crop = ratio * np.float32(length)
            start = rng.uniform(0.0, 1.0, n).astype(np.float32) * (np.float32(length) - crop)
            return start, start + crop

        x0, x1 = bounds(w)
        y0, y1 = bounds(h)
        gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")
        inside = ((gx >= x0[:, None, None]) & (gx < x1[:, None, None])
                  & (gy >= y0[:, None, None]) & (gy < y1[:, None, None]))[..., None]
        weight = (np.float32(1.0) - (x1 - x0) * (y1 - y0) / np.float32(w * h)).astype(np.float32)
        permutation = rng.permutation(n).astype(np.float32)
        mixed = ops.where(inside, ops.take(images, permutation, axis=0), images)
        return permutation, weight, mixed

    def get_config(self):
        cfg = super().get_config()
        cfg.update(factor=list(self.factor), seed=self.seed, data_format="channels_last")
        return cfg
