"""Keras layers that wrap a function or another layer, or move axes: Lambda,
TimeDistributed, RepeatVector, Permute. They compose engine ops (reshape,
broadcast, transpose), so forward and backward run in C like any other layer."""
import inspect

import numpy as np

from .. import ops
from .base import Layer
from .wrapper import Wrapper


class Lambda(Layer):
    """A layer that calls ``function(inputs, **arguments)`` (pynn ops inside).

    Saving keeps the function's *name* only: pynn never stores or runs code from a
    file, so ``load_model(..., custom_objects={name: function})`` supplies it again
    (an anonymous ``lambda`` cannot be saved).

    Parameters
    ----------
    function : callable
        ``function(inputs, **arguments)`` -> Tensor; gets ``training=`` when it
        takes that argument.
    output_shape : tuple or callable, optional
        Per-sample output shape, or ``f(input_shape) -> batch shape``; default:
        found by running the function on one zero sample.
    mask : None
        Not supported (a value raises).
    arguments : dict, optional
        Extra keyword arguments for ``function``.
    **kwargs
        Base layer arguments (``name``, ...).

    Examples
    --------
    >>> layer = pynn.layers.Lambda(lambda x: x ** 2)
    >>> layer(np.array([[1.0, -2.0]], np.float32)).numpy()
    array([[1., 4.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, got "
                            f"{type(function).__name__}")
        if mask is not None:
            raise ValueError(f"Lambda '{self.name}': mask= is not supported")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape_arg = output_shape
        params = inspect.signature(function).parameters if _has_signature(function) else {}
        self._fn_takes_training = "training" in params

    def call(self, inputs, training=False):
        kwargs = dict(self.arguments)
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        spec = self._output_shape_arg
        if spec is None:
            return super().compute_output_shape(input_shape)  # run on one zero sample
        if callable(spec):
            return tuple(spec(input_shape))
        return (None,) + tuple(spec)

    def get_config(self):
        name = getattr(self.function, "__name__", None)
        if name is None or name == "<lambda>":
            raise ValueError(f"Lambda '{self.name}' wraps an anonymous function, which cannot be "
                             f"saved (pynn stores no code): define it with `def` and pass it to "
                             f"load_model(..., custom_objects={{name: function}})")
        cfg = super().get_config()
        cfg.update(function=name, arguments=self.arguments)
        if self._output_shape_arg is not None and not callable(self._output_shape_arg):
            cfg["output_shape"] = list(self._output_shape_arg)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("function")
        fn = (custom_objects or {}).get(name)
        if fn is None:
            raise ValueError(f"Lambda layer {config.get('name')!r} calls a function named "
                             f"{name!r}, which a file cannot supply (pynn runs no code from "
                             f"files): pass custom_objects={{{name!r}: function}}")
        return cls(fn, **config)


def _has_signature(fn):
    try:
        inspect.signature(fn)
        return True
    except (TypeError, ValueError):
        return False


class RepeatVector(Layer):
    """Repeats the input ``n`` times: (batch, features) -> (batch, n, features).

    Parameters
    ----------
    n : int
        How many times (positive).
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        ``n`` is not a positive integer, or the input is not (batch, features).

    Examples
    --------
    >>> pynn.layers.RepeatVector(2)(np.array([[1.0, 2.0]], np.float32)).numpy()
    array([[[1., 2.],
            [1., 2.]]], dtype=float32)
    """

    _one_input = True

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        # Keras' types (repeat_vector_test.py): TypeError for a non-integer, ValueError below 1
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"RepeatVector: expected an integer value for `n`, got {n!r} of type "
                            f"{type(n).__name__}")
        if n < 1:
            raise ValueError(f"RepeatVector: n must be a positive integer, got {n!r}")
        self.n = int(n)

    def _check_input(self, shape):
        if len(shape) != 2:
            raise ValueError(f"RepeatVector '{self.name}' expects inputs of shape (batch, features); "
                             f"got a batch of shape {tuple(shape)}")

    def call(self, inputs, training=False):
        # -1 for the batch axis: the compiled driver replays this with other batch sizes
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (-1, self.n, inputs.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


class Permute(Layer):
    """Reorders the per-sample axes; the batch axis stays first.

    Parameters
    ----------
    dims : tuple of int
        A permutation of 1 .. rank-1 (axes numbered from 1): ``Permute((2, 1))``
        swaps the two axes of (batch, a, b).
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        ``dims`` is not such a permutation, or the input's rank does not match.

    Examples
    --------
    >>> x = np.zeros((1, 10, 64), np.float32)
    >>> pynn.layers.Permute((2, 1))(x).shape
    (1, 64, 10)
    """

    _one_input = True

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)} (the batch "
                             f"axis 0 is not included), got {dims!r}")
        self.dims = tuple(int(d) for d in dims)

    def _check_input(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}' with dims={self.dims} expects inputs of rank "
                             f"{len(self.dims) + 1} (batch + {len(self.dims)} axes); got a batch of "
                             f"shape {tuple(shape)}")

    def call(self, inputs, training=False):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of (batch, time, ...), with one set of weights.

    The steps are folded into the batch axis, so the wrapped layer runs once on
    (batch*time, ...); its weights are this layer's weights (Keras' numbers).

    Parameters
    ----------
    layer : Layer
        The layer to apply to each step.
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        ``layer`` is not a layer, or the input has no known time axis.

    Examples
    --------
    >>> td = pynn.layers.TimeDistributed(pynn.layers.Dense(2))
    >>> td(np.zeros((4, 10, 3), np.float32)).shape
    (4, 10, 2)
    >>> [w.shape for w in td.weights]
    [(3, 2), (2,)]
    """

    def _check_input(self, shape):
        if len(shape) < 3 or shape[1] is None:
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs of shape (batch, time, "
                             f"...) with a known number of time steps; got a batch of shape "
                             f"{tuple(shape)}")

    def build(self, input_shape):
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=False):
        steps = inputs.shape[1]
        folded = ops.reshape(inputs, (-1,) + tuple(inputs.shape[2:]))
        out = self.layer.call(folded, training=training)
        return ops.reshape(out, (-1, steps) + tuple(out.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])
