"""Weight initializers with Keras 3's names, defaults and definitions.

All draw from pynn's generator (pynn.set_seed makes them reproducible)."""
import math

import numpy as np

from . import random as _random
from ._names import unknown_name

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "Identity", "get",
           "serialize", "deserialize"]


def _fans(shape):
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))  # conv kernels: (..., in, out), Keras layout
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, np.float32)


class Constant(Initializer):
    """Fills with `value`: a number, or an array broadcast to the shape (as in
    Keras, e.g. Embedding(..., embeddings_initializer=Constant(matrix)))."""

    def __init__(self, value=0.0):
        array = np.asarray(value, dtype=np.float32)
        self.value = float(value) if array.ndim == 0 else array

    def __call__(self, shape, dtype=None):
        try:
            return np.array(np.broadcast_to(self.value, shape), np.float32)
        except ValueError:
            raise ValueError(f"Constant initializer: a value of shape {np.shape(self.value)} cannot "
                             f"fill a weight of shape {tuple(shape)}") from None

    def get_config(self):
        return {"value": self.value if isinstance(self.value, float) else self.value.tolist()}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _rng(self):
        return np.random.default_rng(self.seed) if self.seed is not None else _random.generator()

    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, shape).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomNormal):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal truncated to two standard deviations (redrawn outside)."""

    def __call__(self, shape, dtype=None):
        return self.mean + _tn(self._rng(), shape, self.stddev)


class VarianceScaling(RandomNormal):
    """Keras' VarianceScaling: scale / fan, truncated normal stddev divided by
    0.87962566103423978 (the stddev of a unit normal truncated to [-2, 2])."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return self._rng().uniform(-limit, limit, shape).astype(np.float32)
        if self.distribution == "truncated_normal":
            return _tn(self._rng(), shape, math.sqrt(scale) / 0.87962566103423978)
        return self._rng().normal(0.0, math.sqrt(scale), shape).astype(np.float32)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _tn(rng, shape, stddev):
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return (stddev * out).astype(np.float32)


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomNormal):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank >= 2, got {tuple(shape)}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain}


_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity, "uniform": RandomUniform, "normal": RandomNormal,
}
_CLASSES = {c.__name__: c for c in set(_ALIASES.values())}


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _ALIASES:
            return _ALIASES[key]()
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        raise unknown_name("initializer", identifier, _ALIASES)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer {identifier!r}")


def serialize(init):
    if init is None:
        return None
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise ValueError(f"Cannot serialize initializer {init!r} (a plain function); use a class")


def deserialize(config):
    name = config.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"Unknown initializer class {name!r}")
    return _CLASSES[name].from_config(config.get("config", {}))
