"""pynn.ops.norm: batch and layer normalisation over the last (channel) axis.

``batch_norm`` follows Keras 3: with ``training=True`` it normalises with the
batch mean and biased variance over every axis but the last, and updates
``moving_mean`` / ``moving_variance`` **in place** as
``m = m * momentum + batch * (1 - momentum)`` (so pass Tensors, or float32
C-contiguous arrays, which the engine uses without copying); with
``training=False`` it uses the moving statistics. ``layer_norm`` normalises each
vector along the last axis (Keras' LayerNormalization with axis=-1).
"""
import numbers

from .. import _C
from .conv import _describe, _shape

__all__ = ["batch_norm", "layer_norm"]


def _check_params(op, x, named):
    xs = _shape(x)
    if len(xs) < 1:
        raise ValueError(f"{op}: the input needs a channel (last) axis, received a scalar")
    c = xs[-1]
    for name, p in named:
        if _shape(p) != (c,):
            raise ValueError(f"{op}: `{name}` must have shape ({c},), one value per channel of "
                             f"the last axis, received {_shape(p)} for an input of shape "
                             f"{_describe(xs)}")


def _float(value, name, op):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{op}: `{name}` must be a number, received {value!r}")
    return float(value)


def batch_norm(x, gamma, beta, moving_mean, moving_variance, training=False, momentum=0.99,
               epsilon=1e-3):
    """y = (x - mean) / sqrt(var + epsilon) * gamma + beta, per channel (last axis)."""
    _check_params("batch_norm", x, [("gamma", gamma), ("beta", beta),
                                    ("moving_mean", moving_mean),
                                    ("moving_variance", moving_variance)])
    f = [_float(momentum, "momentum", "batch_norm"), _float(epsilon, "epsilon", "batch_norm")]
    return _C.apply("batch_norm", [x, gamma, beta, moving_mean, moving_variance], fattr=f,
                    iattr=[int(bool(training))])


def layer_norm(x, gamma, beta, epsilon=1e-3):
    """y = (x - mean) / sqrt(var + epsilon) * gamma + beta over the last axis of each sample."""
    _check_params("layer_norm", x, [("gamma", gamma), ("beta", beta)])
    return _C.apply("layer_norm", [x, gamma, beta], fattr=[_float(epsilon, "epsilon", "layer_norm")])
