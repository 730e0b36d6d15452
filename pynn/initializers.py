"""Weight initializers with Keras 3's names, defaults and definitions.

All draw from pynn's generator (pynn.set_seed makes them reproducible)."""
import math

import numpy as np

from . import random as _random
from ._names import unknown_name

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "Identity", "get",
           "serialize", "deserialize",
           # Keras 3's lowercase aliases (keras.initializers.zeros() is Zeros())
           "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
           "variance_scaling", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
           "lecun_normal", "lecun_uniform", "orthogonal", "identity"]


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
    """The base class of initializers: ``initializer(shape) -> Tensor`` (float32).

    Pass one (or its name, e.g. ``"he_normal"``) as a layer's
    ``kernel_initializer`` / ``bias_initializer``. A custom initializer
    subclasses this class and implements ``__call__(shape, dtype=None)``; a plain
    function of the shape works too (but cannot be saved in a config).

    Examples
    --------
    >>> class Halves(pynn.initializers.Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 0.5, np.float32)
    >>> layer = pynn.layers.Dense(2, kernel_initializer=Halves())
    >>> layer.build((None, 3))
    >>> layer.kernel
    Variable([[0.5, 0.5],
              [0.5, 0.5],
              [0.5, 0.5]], dtype=float32)
    """
    def __call__(self, shape, dtype=None):
        """Returns a new weight value of the given shape, as a ``pynn.Tensor`` (Keras
        returns a backend tensor: ``.numpy()``, ``.shape``, ``float()`` and ops work on it).

        Parameters
        ----------
        shape : tuple of int
            The weight's shape.
        dtype : str, optional
            ``None`` or ``"float32"`` (pynn's weights are float32).

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            Another dtype.

        Examples
        --------
        >>> w = pynn.initializers.GlorotNormal(seed=42)(shape=(3, 5))
        >>> w.shape, w.dtype, np.allclose(w.numpy(), pynn.initializers.GlorotNormal(seed=42)((3, 5)))
        ((3, 5), dtype('float32'), True)
        """
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"{type(self).__name__}: pynn's weights are float32, got "
                             f"dtype={dtype!r}")
        from .tensor import Tensor
        return Tensor(self._array(tuple(int(d) for d in shape)))

    def _array(self, shape):
        """The value as a float32 NumPy array (what built-in initializers define)."""
        raise NotImplementedError(f"{type(self).__name__} defines no __call__(shape, dtype=None)")

    def get_config(self):
        """Returns the initializer's constructor arguments as a dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.initializers.RandomNormal(stddev=0.1).get_config()
        {'mean': 0.0, 'stddev': 0.1, 'seed': None}
        """
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates an initializer from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The constructor arguments.

        Returns
        -------
        Initializer

        Examples
        --------
        >>> pynn.initializers.Constant.from_config({"value": 2.0})((2,))
        Tensor([2., 2.])
        """
        return cls(**config)


class Zeros(Initializer):
    """Fills with zeros (Keras' default bias initializer).

    Examples
    --------
    >>> pynn.initializers.Zeros()((2, 2))
    Tensor([[0., 0.],
           [0., 0.]])
    """
    def _array(self, shape):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    """Fills with ones (e.g. BatchNormalization's gamma).

    Examples
    --------
    >>> pynn.initializers.Ones()((3,))
    Tensor([1., 1., 1.])
    """
    def _array(self, shape):
        return np.ones(shape, np.float32)


class Constant(Initializer):
    """Fills with a value: a number, or an array broadcast to the shape.

    Parameters
    ----------
    value : float or array_like, default 0.0
        The value, e.g. a pretrained embedding matrix.

    Raises
    ------
    ValueError
        An array value that does not broadcast to the weight's shape.

    Examples
    --------
    >>> pynn.initializers.Constant(0.5)((2,))
    Tensor([0.5, 0.5])
    >>> pynn.initializers.Constant([1.0, 2.0])((2, 2))
    Tensor([[1., 2.],
           [1., 2.]])
    """

    def __init__(self, value=0.0):
        array = np.asarray(value, dtype=np.float32)
        self.value = float(value) if array.ndim == 0 else array

    def _array(self, shape):
        try:
            return np.array(np.broadcast_to(self.value, shape), np.float32)
        except ValueError:
            raise ValueError(f"Constant initializer: a value of shape {np.shape(self.value)} cannot "
                             f"fill a weight of shape {tuple(shape)}") from None

    def get_config(self):
        return {"value": self.value if isinstance(self.value, float) else self.value.tolist()}


class RandomNormal(Initializer):
    """Draws from a normal distribution.

    Parameters
    ----------
    mean : float, default 0.0
        The mean.
    stddev : float, default 0.05
        The standard deviation.
    seed : int, optional
        Makes this initializer draw the same values on every call; by default
        values come from pynn's generator (reproducible with `pynn.set_seed`).

    Examples
    --------
    >>> w = pynn.initializers.RandomNormal(mean=1.0, stddev=0.01, seed=0)((1000,))
    >>> round(float(w.mean()), 2)
    1.0
    """
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _rng(self):
        return np.random.default_rng(self.seed) if self.seed is not None else _random.generator()

    def _array(self, shape):
        return self._rng().normal(self.mean, self.stddev, shape).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomNormal):
    """Draws from a uniform distribution on ``[minval, maxval)``.

    ``"uniform"`` by name (Embedding's default).

    Parameters
    ----------
    minval : float, default -0.05
        The lower bound.
    maxval : float, default 0.05
        The upper bound.
    seed : int, optional
        Makes this initializer draw the same values on every call.

    Examples
    --------
    >>> w = pynn.initializers.RandomUniform(0.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= 0.0 and w.max() < 1.0)
    True
    """
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def _array(self, shape):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Draws from a normal distribution, redrawing values beyond two standard deviations.

    Parameters
    ----------
    mean : float, default 0.0
        The mean.
    stddev : float, default 0.05
        The standard deviation before truncation.
    seed : int, optional
        Makes this initializer draw the same values on every call.

    Examples
    --------
    >>> w = pynn.initializers.TruncatedNormal(stddev=1.0, seed=0)((10000,))
    >>> bool(np.abs(w).max() <= 2.0)
    True
    """

    def _array(self, shape):
        return self.mean + _tn(self._rng(), shape, self.stddev)


class VarianceScaling(RandomNormal):
    """Scales the spread to the weight's fan: variance ``scale / fan``.

    The base of Glorot, He and LeCun initializers. Fans follow Keras: for a conv
    kernel ``(..., in, out)`` they include the receptive field. The truncated
    normal's stddev is divided by 0.8796 (the stddev of a unit normal
    truncated to [-2, 2]), as Keras.

    Parameters
    ----------
    scale : float, default 1.0
        The scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides the scale.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        The distribution drawn from.
    seed : int, optional
        Makes this initializer draw the same values on every call.

    Raises
    ------
    ValueError
        An unknown mode or distribution.

    Examples
    --------
    >>> init = pynn.initializers.VarianceScaling(scale=2.0, distribution="untruncated_normal",
    ...                                          seed=0)
    >>> round(float(init((500, 100)).std()), 3)  # sqrt(2 / 500)
    0.063
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def _array(self, shape):
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


def _scaling(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        """Returns the initializer's constructor arguments (only ``seed``).

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.initializers.GlorotUniform(seed=3).get_config()
        {'seed': 3}
        """
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": doc})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform", """Glorot (Xavier) uniform:
uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

Keras' default kernel initializer (Dense, Conv); keeps activations' variance
steady for tanh / sigmoid layers. For conv kernels the fans include the
receptive field.

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.GlorotUniform(seed=0)((100, 50))
>>> w.shape, w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / 150))
((100, 50), dtype('float32'), True)
""")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal", """Glorot (Xavier)
normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

Values beyond two standard deviations are redrawn (the stddev is corrected
for the truncation, as Keras).

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.GlorotNormal(seed=0)((400, 400))
>>> round(float(w.std()), 2)  # sqrt(2 / 800)
0.05
""")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform", """He uniform: uniform in
``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

Suited to ReLU layers (He et al., 2015).

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.HeUniform(seed=0)((24, 10))
>>> bool(np.abs(w).max() <= 0.5)  # sqrt(6 / 24)
True
""")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal", """He normal: truncated normal
with ``stddev = sqrt(2 / fan_in)``.

Suited to ReLU layers (He et al., 2015).

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.HeNormal(seed=0)((800, 200))
>>> round(float(w.std()), 2)  # sqrt(2 / 800)
0.05
""")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform", """LeCun uniform: uniform in
``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

Suited to SELU layers (self-normalising networks).

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.LecunUniform(seed=0)((12, 10))
>>> bool(np.abs(w).max() <= 0.5)  # sqrt(3 / 12)
True
""")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal", """LeCun normal: truncated
normal with ``stddev = sqrt(1 / fan_in)``.

Suited to SELU layers (self-normalising networks).

Parameters
----------
seed : int, optional
    Makes this initializer draw the same values on every call; by default
    values come from pynn's generator (reproducible with `pynn.set_seed`).

Examples
--------
>>> w = pynn.initializers.LecunNormal(seed=0)((400, 400))
>>> round(float(w.std()), 2)  # sqrt(1 / 400)
0.05
""")


class Orthogonal(RandomNormal):
    """Draws a random orthogonal matrix (Saxe et al.), Keras' recurrent-kernel default.

    Shapes of rank above 2 are flattened to ``(prod(shape[:-1]), shape[-1])``.

    Parameters
    ----------
    gain : float, default 1.0
        Multiplies the matrix.
    seed : int, optional
        Makes this initializer draw the same values on every call.

    Raises
    ------
    ValueError
        A shape of rank below 2.

    Examples
    --------
    >>> w = pynn.initializers.Orthogonal(seed=0)((4, 4))
    >>> np.allclose(w @ w.T, np.eye(4), atol=1e-5)
    True
    """
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def _array(self, shape):
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
    """Fills a 2-D weight with the identity matrix (times ``gain``).

    Parameters
    ----------
    gain : float, default 1.0
        Multiplies the matrix.

    Raises
    ------
    ValueError
        A shape that is not 2-D.

    Examples
    --------
    >>> pynn.initializers.Identity()((2, 3))
    Tensor([[1., 0., 0.],
           [0., 1., 0.]])
    """
    def __init__(self, gain=1.0):
        self.gain = gain

    def _array(self, shape):
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
    """Returns an initializer from a name, a dict, a callable or an instance.

    Parameters
    ----------
    identifier : str, dict, Initializer, callable or None
        A Keras name (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``,
        ``"orthogonal"``, ...), a class name, a ``serialize`` dict, an
        initializer (returned as is) or a function of the shape.

    Returns
    -------
    Initializer, callable or None

    Raises
    ------
    ValueError
        An unknown name (with a "did you mean").
    TypeError
        Anything else.

    Examples
    --------
    >>> type(pynn.initializers.get("he_normal")).__name__
    'HeNormal'
    >>> pynn.initializers.get("zeros")((2,))
    Tensor([0., 0.])
    """
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
    """Returns ``{"class_name": ..., "config": {...}}`` for an initializer.

    Parameters
    ----------
    init : Initializer or None
        The initializer.

    Returns
    -------
    dict or None

    Raises
    ------
    ValueError
        A plain function (not serialisable; use a class).

    Examples
    --------
    >>> pynn.initializers.serialize(pynn.initializers.HeNormal())
    {'class_name': 'HeNormal', 'config': {'seed': None}}
    """
    if init is None:
        return None
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise ValueError(f"Cannot serialize initializer {init!r} (a plain function); use a class")


def deserialize(config):
    """Creates an initializer from ``serialize``'s dict.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> init = pynn.initializers.deserialize({"class_name": "Constant", "config": {"value": 3.0}})
    >>> init((2,))
    Tensor([3., 3.])
    """
    name = config.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"Unknown initializer class {name!r}")
    return _CLASSES[name].from_config(config.get("config", {}))


# Keras 3's lowercase aliases of the classes
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform
