"""Preprocessing layers that live inside the model, as keras.layers: Rescaling
(x·scale + offset) and Normalization (feature-wise standardisation, learned from
data with adapt())."""
import numpy as np

from .. import ops
from .base import Layer

_EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation divided by


class Rescaling(Layer):
    """x * scale + offset, e.g. Rescaling(1.0 / 255) for pixel values."""

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
    """(x - mean) / max(sqrt(variance), 1e-7) along the kept `axis` (Keras'
    formula). mean and variance are given, or learned by adapt(data); they are
    non-trainable weights [mean, variance, count], as in Keras 3 — where count is a
    slot kept for old saved models that adapt() leaves at 0, so here too."""

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
        """Learns the mean and variance of `data` (an array with the batch axis first)."""
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
