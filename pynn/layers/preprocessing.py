"""Preprocessing layers that live inside the model, as keras.layers: Rescaling
(x·scale + offset) and Normalization (feature-wise standardisation, learned from
data with adapt())."""
import numpy as np

from .. import ops
from .base import Layer

_EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation divided by


class Rescaling(Layer):
    """Rescales inputs: ``x * scale + offset`` (e.g. pixel values to [0, 1]).

    Parameters
    ----------
    scale : float or array_like
        Multiplier (broadcast over the last axes).
    offset : float or array_like, default 0.0
        Added after scaling.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``scale`` or ``offset`` is not finite numbers.

    Examples
    --------
    >>> pynn.layers.Rescaling(1.0 / 255)(np.array([[255.0, 0.0]], np.float32)).numpy()
    array([[1., 0.]], dtype=float32)
    >>> pynn.layers.Rescaling(2.0, offset=-1.0)(np.array([[0.0, 0.5]], np.float32)).numpy()
    array([[-1.,  0.]], dtype=float32)
    """

    _one_input = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = self._constant(scale, "scale"), self._constant(offset, "offset")

    @staticmethod
    def _constant(value, name):
        arr = np.asarray(value, dtype=np.float64)
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
            raise ValueError(f"Rescaling: {name} must be finite numbers, got {value!r}")
        return float(arr) if arr.ndim == 0 else arr.astype(np.float32)

    def call(self, inputs, training=False):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        for key in ("scale", "offset"):
            value = getattr(self, key)
            cfg[key] = value if isinstance(value, float) else value.tolist()
        return cfg


class Normalization(Layer):
    """Standardises features: ``(x - mean) / sqrt(variance)``, per feature.

    Give ``mean`` and ``variance``, or learn them from data with ``adapt``.
    They are stored as non-trainable weights, so they are saved with the model.

    Parameters
    ----------
    axis : int, tuple of int or None, default -1
        The axis (or axes) that keep separate statistics (-1: one mean per
        feature); None: one mean and variance for all values.
    mean : array_like, optional
        The mean to subtract (with ``variance``).
    variance : array_like, optional
        The variance to divide by (its square root, at least 1e-7).
    invert : bool, default False
        Apply the inverse: ``x * sqrt(variance) + mean``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Only one of ``mean`` and ``variance`` is given, or they do not broadcast
        to the input. (Used before ``adapt`` without them, the layer passes its
        input through: mean 0, variance 1.)

    Examples
    --------
    >>> layer = pynn.layers.Normalization()
    >>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> layer(np.array([[1.0, 10.0]], np.float32)).numpy()
    array([[-1., -1.]], dtype=float32)
    >>> fixed = pynn.layers.Normalization(mean=[2.0], variance=[4.0])
    >>> fixed(np.array([[6.0]], np.float32)).numpy()
    array([[2.]], dtype=float32)
    """

    _one_input = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and call "
                             "adapt())")
        self.input_mean = None if mean is None else np.asarray(mean, np.float32)
        self.input_variance = None if variance is None else np.asarray(variance, np.float32)
        self.invert = bool(invert)

    def _kept_axes(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim or a % ndim == 0 for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': axis={self.axis} must name feature "
                             f"axes of inputs of rank {ndim} (not the batch axis 0)")
        kept = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in kept):
            raise ValueError(f"Normalization '{self.name}': the kept axes {kept} must have a "
                             f"known size, got input shape {tuple(input_shape)}")
        return kept

    def _check_input(self, shape):
        # once built, the statistics have the kept axes' sizes: anything else would reach
        # the engine as a broadcast error that names neither the layer nor the statistics
        if self.built and (len(shape) != len(self._broadcast) or any(
                b != 1 and s != b for s, b in zip(shape[1:], self._broadcast[1:]))):
            want = tuple(None if b == 1 else b for b in self._broadcast[1:])
            raise ValueError(f"Normalization '{self.name}' was built for per-sample shape "
                             f"{want} (None: any size), got a batch of shape {tuple(shape)}")

    def build(self, input_shape):
        kept = self._kept_axes(input_shape)
        self._broadcast = tuple(input_shape[d] if d in kept else 1 for d in range(len(input_shape)))
        self._broadcast = (1,) + self._broadcast[1:]
        shape = tuple(input_shape[d] for d in kept)
        if self.input_mean is None:
            self.mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False)
        else:
            try:
                self._given = [np.broadcast_to(v, self._broadcast).astype(np.float32)
                               for v in (self.input_mean, self.input_variance)]
            except ValueError:
                raise ValueError(f"Normalization '{self.name}': mean/variance of shape "
                                 f"{self.input_mean.shape} do not broadcast to {self._broadcast}"
                                 ) from None

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of ``data`` (per kept axis) and stores them.

        Parameters
        ----------
        data : array_like
            Samples, batch axis first (NumPy array or anything array-like).
        batch_size, steps
            Accepted for Keras compatibility (the statistics are computed at once).

        Raises
        ------
        ValueError
            ``data`` is empty or does not match the layer's axes, or ``mean`` and
            ``variance`` were given to the constructor (adapt would overwrite them).

        Examples
        --------
        >>> layer = pynn.layers.Normalization(axis=None)
        >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0]))
        >>> float(layer.mean), float(layer.variance)
        (2.5, 1.25)
        """
        data = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data, np.float64)
        if data.ndim < 1 or data.shape[0] == 0:
            raise ValueError(f"Normalization '{self.name}'.adapt needs a non-empty array with a "
                             f"batch axis, got shape {data.shape}")
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}': mean and variance were given; adapt() "
                             f"would overwrite them")
        if data.ndim == 1:
            data = data[:, None]
        self._maybe_build((None,) + data.shape[1:])
        kept = self._kept_axes((None,) + data.shape[1:])
        reduce = tuple(d for d in range(data.ndim) if d not in kept)
        self.mean[...] = data.mean(axis=reduce)
        self.variance[...] = data.var(axis=reduce)

    def call(self, inputs, training=False):
        if self.input_mean is None:
            mean = ops.reshape(self.tensor(self.mean), self._broadcast)
            std = ops.maximum(ops.sqrt(ops.reshape(self.tensor(self.variance), self._broadcast)),
                              _EPSILON)
        else:
            mean, std = self._given[0], np.maximum(np.sqrt(self._given[1]), _EPSILON)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=list(self.axis), invert=self.invert,
                   mean=None if self.input_mean is None else self.input_mean.tolist(),
                   variance=None if self.input_variance is None else self.input_variance.tolist())
        return cfg
