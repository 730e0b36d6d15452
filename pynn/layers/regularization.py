"""Noise and dropout variants (Keras 3's regularization layers): GaussianNoise,
GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D, ActivityRegularization.

Like Dropout they act only in training and pass their input through otherwise.
The noise is drawn by the engine's random ops (random_normal, dropout_mask) at
every forward pass, so a compiled fit draws afresh for each batch and
`pynn.set_seed` makes runs repeat; Keras' ``seed`` argument is accepted and saved.
The noise is a constant of the graph: gradients flow through the product or sum."""
import math

import numpy as np

from .. import _C, ops, regularizers
from .base import Layer


def _rate(cls, name, value, upper_open=False):
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool) \
        and 0 <= value and (value < 1 if upper_open else value <= 1)
    if not ok:
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{cls}: `{name}` must be a number in {bound}, received {name}={value!r}")
    return float(value)


class _Noise(Layer):
    _one_input = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True  # the steps' mask passes through (Keras)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _normal(self, x, mean, stddev):
        """Fresh N(mean, stddev) of x's shape; -1: the batch, which changes from plan to plan."""
        return _C.apply("random_normal", [x], shape=(-1,) + tuple(x.shape[1:]), mean=float(mean),
                        stddev=float(stddev))


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise in training (Keras' GaussianNoise).

    ``inputs + N(0, stddev)`` drawn afresh per element and forward pass in
    training; the identity at inference.

    Parameters
    ----------
    stddev : float
        Standard deviation of the noise, in [0, 1] (Keras' bound).
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``stddev`` outside [0, 1].

    Examples
    --------
    >>> layer = pynn.layers.GaussianNoise(0.1)
    >>> x = np.zeros((2, 1000), np.float32)
    >>> float(layer(x).numpy().std())  # inference: no noise
    0.0
    >>> bool(abs(layer(x, training=True).numpy().std() - 0.1) < 0.01)
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _rate("GaussianNoise", "stddev", stddev)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + self._normal(inputs, 0.0, self.stddev)
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 in training (Keras' GaussianDropout).

    ``inputs * N(1, sqrt(rate / (1 - rate)))`` in training; the identity at
    inference.

    Parameters
    ----------
    rate : float
        Drop probability the noise's variance stands for, in [0, 1).
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1) (Keras' own check lets 1 through, to divide by zero).

    Examples
    --------
    >>> layer = pynn.layers.GaussianDropout(0.5)
    >>> x = np.ones((2, 2000), np.float32)
    >>> out = layer(x, training=True).numpy()
    >>> bool(abs(out.mean() - 1) < 0.05), bool(abs(out.std() - 1) < 0.05)  # sqrt(0.5/0.5) = 1
    (True, True)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("GaussianDropout", "rate", rate, upper_open=True)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return inputs * self._normal(inputs, 1.0, math.sqrt(self.rate / (1.0 - self.rate)))
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Dropout that keeps the mean and variance of SELU activations (Keras' AlphaDropout).

    In training each value is kept with probability ``1 - rate`` and otherwise set
    to SELU's negative saturation ``alpha' = -1.7581``; then ``a * x + b`` with
    ``a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5`` and ``b = -a * alpha' * rate``
    restores zero mean and unit variance (Klambauer et al. 2017). The identity at
    inference.

    Parameters
    ----------
    rate : float
        Drop probability, in [0, 1).
    noise_shape : None
        Only the default (an independent draw per element) is supported.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1), or a ``noise_shape``.

    Examples
    --------
    >>> layer = pynn.layers.AlphaDropout(0.2)
    >>> x = np.random.default_rng(0).standard_normal((4, 5000)).astype(np.float32)
    >>> out = layer(x, training=True).numpy()
    >>> bool(abs(out.mean()) < 0.05), bool(abs(out.std() - 1) < 0.05)
    (True, True)
    """

    _ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("AlphaDropout", "rate", rate, upper_open=True)
        if noise_shape is not None:
            raise ValueError(f"AlphaDropout: only noise_shape=None (one draw per element) is "
                             f"supported, received noise_shape={noise_shape!r}")
        self.noise_shape = None

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        r, ap = self.rate, self._ALPHA_P
        a = ((1 - r) * (1 + r * ap ** 2)) ** -0.5
        b = -a * ap * r
        # dropout_mask draws 0 or 1/(1-rate) per entry: (1 - rate) * mask is Keras' kept_idx
        n = int(np.prod(inputs.shape[1:]))
        kept = ops.reshape(_C.apply("dropout_mask", [inputs], rate=r, count=1, width=n),
                           (-1,) + tuple(inputs.shape[1:])) * np.float32(1 - r)
        # a * (x * kept + alpha' * (1 - kept)) + b, folded into one product and one sum
        return (inputs * kept) * np.float32(a) + (kept * np.float32(-a * ap) + np.float32(a * ap + b))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class _SpatialDropout(_Noise):
    _rank = None  # the input's rank, batch included

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(seed=seed, name=name, dtype=dtype)
        cls = type(self).__name__
        self.rate = _rate(cls, "rate", rate, upper_open=True)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, received "
                             f"data_format={data_format!r}")
        self.data_format = "channels_last"

    def _check_input(self, shape):
        if len(shape) != self._rank:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank "
                             f"{self._rank} (batch, {'..., ' * (self._rank - 2)}channels); got "
                             f"shape {tuple(shape)}")

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        # one draw per (sample, channel), broadcast over the steps / pixels / voxels
        c = int(inputs.shape[-1])
        mask = _C.apply("dropout_mask", [inputs], rate=self.rate, count=1, width=c)
        return inputs * ops.reshape(mask, (-1,) + (1,) * (self._rank - 2) + (c,))

    def get_config(self):
        cfg = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": "float32"}
        if self._rank > 3:  # Keras' SpatialDropout1D has no data_format
            cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of a sequence in training (Keras' SpatialDropout1D).

    Each (sample, channel) is zeroed for all time steps with probability
    ``rate``; the kept ones are scaled by ``1 / (1 - rate)``. The identity at inference.

    Parameters
    ----------
    rate : float
        Drop probability, in [0, 1).
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    name : str, optional
        The layer's name.
    dtype : None
        Only float32.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1), or inputs that are not (batch, steps, channels).

    Examples
    --------
    >>> x = np.ones((1, 4, 3), np.float32)
    >>> out = pynn.layers.SpatialDropout1D(0.5)(x, training=True).numpy()
    >>> bool((out == out[:, :1]).all())  # the same for every step
    True
    """

    _rank = 3

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of images in training (Keras' SpatialDropout2D).

    Each (sample, channel) is zeroed at every pixel with probability ``rate``; the
    kept ones are scaled by ``1 / (1 - rate)``. The identity at inference.

    Parameters
    ----------
    rate : float
        Drop probability, in [0, 1).
    data_format : str, optional
        Only ``"channels_last"``.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    name : str, optional
        The layer's name.
    dtype : None
        Only float32.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1), channels-first, or inputs that are not
        (batch, height, width, channels).

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2), np.float32)
    >>> out = pynn.layers.SpatialDropout2D(0.5)(x, training=True).numpy()
    >>> bool((out == out[:, :1, :1]).all())  # the same at every pixel
    True
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Drops whole 3-D feature maps in training (Keras' SpatialDropout3D).

    Each (sample, channel) is zeroed at every voxel with probability ``rate``; the
    kept ones are scaled by ``1 / (1 - rate)``. The identity at inference.

    Parameters
    ----------
    rate : float
        Drop probability, in [0, 1).
    data_format : str, optional
        Only ``"channels_last"``.
    seed : int, optional
        Saved for Keras compatibility; the draws follow `pynn.set_seed`.
    name : str, optional
        The layer's name.
    dtype : None
        Only float32.

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1), channels-first, or inputs that are not
        (batch, d1, d2, d3, channels).

    Examples
    --------
    >>> x = np.ones((1, 2, 2, 2, 3), np.float32)
    >>> out = pynn.layers.SpatialDropout3D(0.5)(x, training=True).numpy()
    >>> bool((out == out[:, :1, :1, :1]).all())
    True
    """

    _rank = 5


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum|x| + l2 * sum x^2`` (divided by the
    batch size, as Keras 3) to the training loss (Keras' ActivityRegularization).

    Parameters
    ----------
    l1 : float, default 0.0
        L1 factor.
    l2 : float, default 0.0
        L2 factor.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> layer = pynn.layers.ActivityRegularization(l1=0.1)
    >>> out = layer(np.array([[1.0, -2.0], [3.0, 0.0]], np.float32))
    >>> out.numpy().tolist(), round(float(layer.losses[0].numpy()), 4)  # 0.1 * 6 / 2
    ([[1.0, -2.0], [3.0, 0.0]], 0.3)
    """

    _one_input = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1, self.l2 = float(l1), float(l2)
        self._regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def call(self, inputs, training=False):
        # the batch size counted from the tensor: a compiled program replays at other sizes
        batch = ops.sum(ops.ones_like(inputs)) / int(np.prod(inputs.shape[1:]))
        self.add_loss(self._regularizer(inputs) / batch)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
