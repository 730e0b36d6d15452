"""pynn.ops.activations: Keras 3 activations (names, defaults and formulas of
``keras.activations``), forward and backward in C (csrc/core/ops/unary.c).

All are numerically stable for large |x|: sigmoid, softplus, silu and
log_softmax stay finite and correct at +-100."""
import numbers

import numpy as np

from .. import _C
from .elementwise import _scalar

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "sigmoid",
           "tanh", "softplus", "softsign", "hard_sigmoid", "hard_silu", "hard_swish",
           "softmax", "log_softmax"]


def relu(x):
    """max(x, 0); gradient 0 at x = 0. NaN propagates."""
    return _C.apply("relu", [x])


def relu6(x):
    """min(max(x, 0), 6)."""
    return _C.apply("relu6", [x])


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise (Keras 3 default 0.2; the
    ``LeakyReLU`` layer's default is 0.3)."""
    return _C.apply("leaky_relu", [x], fattr=[_scalar("leaky_relu", "negative_slope",
                                                      negative_slope)])


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _C.apply("elu", [x], fattr=[_scalar("elu", "alpha", alpha)])


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants
    (alpha = 1.67326..., scale = 1.05070...)."""
    return _C.apply("selu", [x])


def gelu(x, approximate=False):
    """Gaussian error linear unit. approximate=False (Keras 3 and torch default)
    is the exact 0.5 x (1 + erf(x / sqrt 2)); True is the tanh approximation."""
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"gelu: approximate must be a bool, got {type(approximate).__name__}")
    return _C.apply("gelu", [x], iattr=[int(approximate)])


def silu(x):
    """x * sigmoid(x) (a.k.a. swish)."""
    return _C.apply("silu", [x])


swish = silu


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for any x."""
    return _C.apply("sigmoid", [x])


def tanh(x):
    return _C.apply("tanh", [x])


def softplus(x):
    """log(1 + exp(x)), as log1p(exp(-|x|)) + max(x, 0) so it never overflows."""
    return _C.apply("softplus", [x])


def softsign(x):
    """x / (1 + |x|)."""
    return _C.apply("softsign", [x])


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6 (same as torch's
    hardsigmoid; Keras 2 used 0.2 x + 0.5)."""
    return _C.apply("hard_sigmoid", [x])


def hard_silu(x):
    """x * hard_sigmoid(x) (a.k.a. hard_swish)."""
    return _C.apply("hard_silu", [x])


hard_swish = hard_silu


def _axis(op, x, axis):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (numbers.Integral,)):
        raise TypeError(f"{op}: axis must be an int, got {type(axis).__name__}")
    axis = int(axis)
    ndim = _ndim(x)
    # a 0-d tensor is one row of length 1 (torch accepts axis 0 / -1 there)
    limit = max(ndim, 1)
    if not -limit <= axis < limit:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis


def _ndim(x):
    nd = getattr(x, "ndim", None)
    return nd if isinstance(nd, int) else np.ndim(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis, with max subtraction (never overflows)."""
    return _C.apply("softmax", [x], iattr=[_axis("softmax", x, axis)])


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along axis; finite for any finite input."""
    return _C.apply("log_softmax", [x], iattr=[_axis("log_softmax", x, axis)])
