"""pynn.random: Keras 3's ``keras.random`` — seeded random tensors.

``seed`` is, as in Keras: ``None`` (draw from pynn's generator, which
`pynn.set_seed` seeds), an int (the same int gives the same values every time)
or a `SeedGenerator` (each draw advances it, so successive draws differ yet a
re-created generator repeats them). Values are float32 `Tensor`s; integer results
(``randint``, ``categorical``) hold whole numbers in float32, as pynn computes in
float32.

These draw eagerly with NumPy. Inside a model being traced for fit / predict a
drawn constant would repeat at every batch, so there ``normal`` and ``uniform``
with a shape that starts with ``ops.shape(x)[0]`` (the batch, as Keras' VAE
samples ``normal(shape=(batch, dim), seed=seed_generator)``) become engine ops
that draw afresh at every batch (seeded by `pynn.set_seed`, not by ``seed``);
``dropout`` is the engine's dropout op; anything else raises."""
import numbers

import numpy as np

from . import _C

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
           "gamma", "beta", "binomial", "dropout", "shuffle"]

_rng = np.random.default_rng(0)


def seed(s):
    """Re-seeds pynn's NumPy generator (pynn.set_seed calls it)."""
    global _rng
    _rng = np.random.default_rng(s)


def generator():
    """pynn's NumPy generator (initialisers, shuffling in fit, unseeded draws here)."""
    return _rng


class SeedGenerator:
    """A seed state that advances at every draw (Keras' ``keras.random.SeedGenerator``).

    Give one to a layer and pass it as ``seed=`` to the functions of this module:
    every call then draws new values, and the sequence is the same for the same
    initial ``seed``.

    Parameters
    ----------
    seed : int, optional
        The initial seed (default: drawn from pynn's generator, which `pynn.set_seed`
        seeds).
    name : str, optional
        Accepted for Keras compatibility.
    **kwargs
        ``backend`` (Keras): must be None.

    Raises
    ------
    TypeError
        ``seed`` is not an int.

    Examples
    --------
    >>> gen = pynn.random.SeedGenerator(42)
    >>> a = pynn.random.normal((2,), seed=gen).numpy()
    >>> b = pynn.random.normal((2,), seed=gen).numpy()
    >>> bool(np.any(a != b))
    True
    >>> gen2 = pynn.random.SeedGenerator(42)
    >>> np.array_equal(pynn.random.normal((2,), seed=gen2).numpy(), a)
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs.get("backend") is not None or set(kwargs) - {"backend"}:
            raise TypeError(f"SeedGenerator: unexpected argument(s) {sorted(kwargs)}")
        if seed is None:
            seed = int(_rng.integers(0, 2 ** 31))
        if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
            raise TypeError(f"SeedGenerator: seed must be an int, got {seed!r}")
        self.name = name or "seed_generator"
        self._initial = int(seed)
        self._counter = 0

    @property
    def state(self):
        """The state ``[seed, number of draws so far]`` (Keras keeps the same pair)."""
        return np.array([self._initial, self._counter], np.int64)

    def next(self, ordered=True):
        """Returns the generator for the next draw and advances the state.

        Parameters
        ----------
        ordered : bool, default True
            Accepted for Keras compatibility.

        Returns
        -------
        numpy.random.Generator
            Seeded from ``(seed, counter)``.

        Examples
        --------
        >>> gen = pynn.random.SeedGenerator(1)
        >>> _ = gen.next()
        >>> gen.state.tolist()
        [1, 1]
        """
        out = np.random.default_rng([self._initial & 0xFFFFFFFFFFFFFFFF, self._counter])
        self._counter += 1
        return out

    def get_config(self):
        """Returns ``{"seed": initial seed}``.

        Returns
        -------
        dict

        Examples
        --------
        >>> pynn.random.SeedGenerator(7).get_config()
        {'seed': 7}
        """
        return {"seed": self._initial}

    @classmethod
    def from_config(cls, config):
        """Creates a generator from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            ``{"seed": int}``.

        Returns
        -------
        SeedGenerator

        Examples
        --------
        >>> pynn.random.SeedGenerator.from_config({"seed": 7}).state.tolist()
        [7, 0]
        """
        return cls(**config)


def _generator(what, seed):
    if _C.is_tracing():
        raise RuntimeError(
            f"pynn.random.{what} was called while a model is traced for fit/predict: the "
            "value drawn now would be replayed unchanged at every batch. Draw noise with a "
            "layer (Dropout, or pynn.random.dropout) or outside the model")
    if seed is None:
        return _rng
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(f"pynn.random.{what}: seed must be None, an int or a SeedGenerator, "
                        f"got {seed!r}")
    return np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)


def _traced_draw(op, shape, seed, a, b):
    """In a traced model, a shape holding ops.shape(x)[0]: the engine op that draws
    that many rows afresh at every batch. None otherwise (drawn eagerly, or refused)."""
    from .ops.shape import BatchDim
    if not _C.is_tracing() or not isinstance(shape, (tuple, list)):
        return None
    batch = [i for i, d in enumerate(shape) if isinstance(d, BatchDim)]
    if len(batch) != 1:
        return None
    if seed is not None and not isinstance(seed, SeedGenerator):
        raise ValueError(f"pynn.random.{op[7:]} in a traced model with the int seed {seed!r}: the "
                         "same draw at every batch is not what the engine does; pass a "
                         "SeedGenerator or None (pynn.set_seed seeds the engine)")
    dims = tuple(-1 if i == batch[0] else _shape(op[7:], [d])[0] for i, d in enumerate(shape))
    names = ("mean", "stddev") if op == "random_normal" else ("minval", "maxval")
    return _C.apply(op, [shape[batch[0]].tensor], shape=dims, **dict(zip(names, (a, b))))


def _shape(what, shape):
    from .ops.batch_dim import refuse
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"pynn.random.{what}: shape must be a tuple of ints, got {shape!r}") from None
    refuse(f"pynn.random.{what}", shape)
    if not all(isinstance(d, (numbers.Integral, np.integer)) and not isinstance(d, bool) and d >= 0
               for d in shape):
        raise ValueError(f"pynn.random.{what}: shape must hold non-negative ints, got {shape!r}")
    return tuple(int(d) for d in shape)


def _dtype(what, dtype, allowed):
    name = None if dtype is None else np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name is not None and name not in allowed:
        raise ValueError(f"pynn.random.{what}: dtype {dtype!r} is not supported (pynn computes in "
                         f"float32; one of {sorted(allowed)})")


_FLOAT_DTYPES = {"float16", "float32", "float64", "bfloat16"}
_INT_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def _tensor(values):
    from .tensor import Tensor
    return Tensor(np.ascontiguousarray(values, dtype=np.float32))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution.

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    mean : float, default 0.0
        The mean.
    stddev : float, default 1.0
        The standard deviation.
    dtype : None or a float dtype
        The values are float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A bad shape or dtype.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> a = pynn.random.normal((2, 3), seed=1)
    >>> a.shape, np.array_equal(a.numpy(), pynn.random.normal((2, 3), seed=1).numpy())
    ((2, 3), True)
    """
    _dtype("normal", dtype, _FLOAT_DTYPES)
    traced = _traced_draw("random_normal", shape, seed, float(mean), float(stddev))
    if traced is not None:
        return traced
    shape = _shape("normal", shape)
    return _tensor(_generator("normal", seed).normal(mean, stddev, shape))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws uniformly from ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    minval : float, default 0.0
        Lower bound (included).
    maxval : float, default 1.0
        Upper bound (excluded).
    dtype : None or a float dtype
        The values are float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A bad shape or dtype, or ``maxval < minval``.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> u = pynn.random.uniform((1000,), minval=2.0, maxval=3.0, seed=0).numpy()
    >>> bool(u.min() >= 2.0 and u.max() < 3.0)
    True
    """
    _dtype("uniform", dtype, _FLOAT_DTYPES)
    if maxval < minval:
        raise ValueError(f"pynn.random.uniform: maxval {maxval} is below minval {minval}")
    traced = _traced_draw("random_uniform", shape, seed, float(minval), float(maxval))
    if traced is not None:
        return traced
    shape = _shape("uniform", shape)
    return _tensor(_generator("uniform", seed).uniform(minval, maxval, shape))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution truncated to two standard deviations around the
    mean (values beyond are drawn again, as Keras).

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    mean : float, default 0.0
        The mean of the untruncated distribution.
    stddev : float, default 1.0
        Its standard deviation.
    dtype : None or a float dtype
        The values are float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A bad shape or dtype.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> t = pynn.random.truncated_normal((1000,), stddev=0.5, seed=0).numpy()
    >>> bool(np.abs(t).max() <= 1.0)
    True
    """
    shape = _shape("truncated_normal", shape)
    _dtype("truncated_normal", dtype, _FLOAT_DTYPES)
    rng = _generator("truncated_normal", seed)
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return _tensor(mean + stddev * z)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from ``[minval, maxval)``.

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    minval : int
        Lower bound (included).
    maxval : int
        Upper bound (excluded).
    dtype : str, default "int32"
        An integer dtype; the whole numbers are held in float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        A bad shape or dtype, or ``maxval <= minval``.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> r = pynn.random.randint((1000,), 3, 6, seed=0).numpy()
    >>> sorted(set(r.tolist()))
    [3.0, 4.0, 5.0]
    """
    shape = _shape("randint", shape)
    _dtype("randint", dtype, _INT_DTYPES)
    if not maxval > minval:
        raise ValueError(f"pynn.random.randint: maxval {maxval} must exceed minval {minval}")
    return _tensor(_generator("randint", seed).integers(int(minval), int(maxval), shape))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws class indices from the categorical distributions ``softmax(logits)`` row by row.

    Parameters
    ----------
    logits : array_like or Tensor
        ``(batch, num_classes)`` unnormalised log-probabilities.
    num_samples : int
        Draws per row.
    dtype : str, default "int32"
        An integer dtype; the indices are held in float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor
        ``(batch, num_samples)``.

    Raises
    ------
    ValueError
        ``logits`` not 2-D, or a bad ``num_samples`` or dtype.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> logits = np.log(np.array([[0.0, 1.0], [1.0, 0.0]]) + 1e-30)
    >>> pynn.random.categorical(logits, 3, seed=0).numpy()
    array([[1., 1., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    _dtype("categorical", dtype, _INT_DTYPES)
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] == 0:
        raise ValueError(f"pynn.random.categorical: logits must be (batch, num_classes), got shape "
                         f"{z.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (numbers.Integral, np.integer)) \
            or num_samples < 0:
        raise ValueError(f"pynn.random.categorical: num_samples must be a non-negative int, got "
                         f"{num_samples!r}")
    rng = _generator("categorical", seed)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = rng.random((z.shape[0], int(num_samples)))
    idx = np.stack([np.searchsorted(cdf[i], u[i], side="right") for i in range(z.shape[0])]) \
        if z.shape[0] else np.zeros((0, int(num_samples)))
    return _tensor(np.minimum(idx, z.shape[1] - 1))


def _parameter(what, name, value, shape, positive=True, upper=None):
    """A distribution parameter as float64 broadcast to shape, checked (NaN refused too)."""
    v = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    ok = v > 0 if positive else v >= 0
    if upper is not None:
        ok = ok & (v <= upper)
    if not np.all(ok):
        bound = f"in [0, {upper}]" if upper is not None else ("> 0" if positive else ">= 0")
        raise ValueError(f"pynn.random.{what}: {name} must be {bound}, got {value!r}")
    try:
        return np.broadcast_to(v, shape)
    except ValueError:
        raise ValueError(f"pynn.random.{what}: {name} of shape {v.shape} does not broadcast to "
                         f"shape {shape}") from None


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from a gamma distribution of shape ``alpha`` and scale 1 (``keras.random.gamma``).

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    alpha : float or array_like
        The shape parameter (> 0), broadcast to ``shape``.
    dtype : None or a float dtype
        The values are float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor
        Mean ``alpha``, variance ``alpha``.

    Raises
    ------
    ValueError
        A bad shape or dtype, or ``alpha`` not positive.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> g = pynn.random.gamma((20000,), alpha=3.0, seed=0).numpy()
    >>> bool(abs(g.mean() - 3.0) < 0.05), bool(g.min() > 0)
    (True, True)
    """
    _dtype("gamma", dtype, _FLOAT_DTYPES)
    shape = _shape("gamma", shape)
    a = _parameter("gamma", "alpha", alpha, shape)
    return _tensor(_generator("gamma", seed).gamma(a, 1.0, shape))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from a beta distribution (``keras.random.beta``).

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    alpha : float or array_like
        The first concentration (> 0), broadcast to ``shape``.
    beta : float or array_like
        The second concentration (> 0), broadcast to ``shape``.
    dtype : None or a float dtype
        The values are float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor
        Values in [0, 1] with mean ``alpha / (alpha + beta)``.

    Raises
    ------
    ValueError
        A bad shape or dtype, or a concentration not positive.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> b = pynn.random.beta((20000,), alpha=2.0, beta=6.0, seed=0).numpy()
    >>> bool(abs(b.mean() - 0.25) < 0.01), bool(0 <= b.min() and b.max() <= 1)
    (True, True)
    """
    _dtype("beta", dtype, _FLOAT_DTYPES)
    shape = _shape("beta", shape)
    a = _parameter("beta", "alpha", alpha, shape)
    b = _parameter("beta", "beta", beta, shape)
    return _tensor(_generator("beta", seed).beta(a, b, shape))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws the number of successes in ``counts`` trials of probability
    ``probabilities`` (``keras.random.binomial``).

    Parameters
    ----------
    shape : tuple of int
        The result's shape.
    counts : int or array_like
        Trials (whole numbers >= 0), broadcast to ``shape``.
    probabilities : float or array_like
        Success probability in [0, 1], broadcast to ``shape``.
    dtype : None or a float dtype
        The whole numbers are held in float32.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor
        Mean ``counts * p``, variance ``counts * p * (1 - p)``.

    Raises
    ------
    ValueError
        A bad shape or dtype, counts that are negative or not whole, or a
        probability outside [0, 1].
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> k = pynn.random.binomial((20000,), counts=10, probabilities=0.3, seed=0).numpy()
    >>> bool(abs(k.mean() - 3.0) < 0.05), sorted(set(k.tolist())) == list(range(int(k.max()) + 1))
    (True, True)
    """
    _dtype("binomial", dtype, _FLOAT_DTYPES | _INT_DTYPES)
    shape = _shape("binomial", shape)
    n = _parameter("binomial", "counts", counts, shape, positive=False)
    if np.any(n != np.round(n)):
        raise ValueError(f"pynn.random.binomial: counts must be whole numbers, got {counts!r}")
    p = _parameter("binomial", "probabilities", probabilities, shape, positive=False, upper=1.0)
    return _tensor(_generator("binomial", seed).binomial(n.astype(np.int64), p, shape))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout: zeroes each value with probability ``rate`` and scales the rest by
    ``1 / (1 - rate)`` (always active: it is the function, not the layer).

    Differentiable (the gradient passes through the kept values). Inside a model being
    traced it is the engine's dropout op, with a new mask per batch (seeded by
    `pynn.set_seed`; ``seed`` and ``noise_shape`` then must be None).

    Parameters
    ----------
    inputs : Tensor or array_like
        Input.
    rate : float
        Drop probability in ``[0, 1)``.
    noise_shape : tuple of int, optional
        The mask's shape, broadcast against ``inputs`` (e.g. ``(batch, 1, features)``
        to drop the same features at every step).
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``rate`` outside ``[0, 1)``, or a ``noise_shape`` that does not broadcast.

    Examples
    --------
    >>> y = pynn.random.dropout(np.ones((1, 1000), np.float32), 0.5, seed=0).numpy()
    >>> sorted(set(y.ravel().tolist()))
    [0.0, 2.0]
    """
    if not isinstance(rate, (numbers.Real, np.floating)) or not 0 <= rate < 1:
        raise ValueError(f"pynn.random.dropout: rate must be in [0, 1), got {rate!r}")
    from .tensor import Tensor
    x = inputs if isinstance(inputs, _C.Tensor) else Tensor(inputs)
    if _C.is_tracing():
        if noise_shape is not None or seed is not None:
            raise ValueError("pynn.random.dropout inside a traced model draws from the engine "
                             "(seeded by pynn.set_seed): noise_shape and seed must be None there")
        return _C.apply("dropout", [x], rate=float(rate), training=True)
    shape = tuple(x.shape) if noise_shape is None else _shape("dropout", noise_shape)
    try:
        np.broadcast_shapes(shape, tuple(x.shape))
    except ValueError:
        raise ValueError(f"pynn.random.dropout: noise_shape {shape} does not broadcast against "
                         f"the input's shape {tuple(x.shape)}") from None
    keep = _generator("dropout", seed).random(shape) >= rate
    mask = np.where(keep, 1.0 / (1.0 - rate), 0.0).astype(np.float32)
    return _C.apply("mul", [x, mask])


def shuffle(x, axis=0, seed=None):
    """Shuffles ``x`` along an axis (a random permutation of its slices).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int, default 0
        The axis to permute.
    seed : None, int or SeedGenerator
        See the module's description.

    Returns
    -------
    Tensor
        Differentiable (the gradient goes back to each slice's origin).

    Raises
    ------
    ValueError
        An axis out of range.
    RuntimeError
        Called inside a model being traced.

    Examples
    --------
    >>> s = pynn.random.shuffle(np.arange(5, dtype=np.float32), seed=0).numpy()
    >>> sorted(s.tolist())
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    from . import ops
    from .tensor import Tensor
    x = x if isinstance(x, _C.Tensor) else Tensor(x)
    nd = len(x.shape)
    if isinstance(axis, bool) or not isinstance(axis, (numbers.Integral, np.integer)) \
            or not -nd <= axis < max(nd, 1) or nd == 0:
        raise ValueError(f"pynn.random.shuffle: axis {axis!r} is out of range for a tensor of "
                         f"rank {nd}")
    perm = _generator("shuffle", seed).permutation(x.shape[axis])
    return ops.take(x, perm.astype(np.float32), axis=int(axis))
