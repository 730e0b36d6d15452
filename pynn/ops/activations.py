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
    """Rectified linear unit ``max(x, 0)``.

    Its gradient at 0 is 0; NaN propagates. Fused into Dense / Conv when used as
    their activation.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.relu(x).numpy().round(4)
    array([0., 0., 2.], dtype=float32)
    """
    return _C.apply("relu", [x])


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.relu6(x).numpy().round(4)
    array([0., 0., 2.], dtype=float32)
    """
    return _C.apply("relu6", [x])


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Keras 3's function default is 0.2; the `LeakyReLU` layer's is 0.3.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    negative_slope : float, default 0.2
        Slope below zero.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``negative_slope`` is not a real number.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.leaky_relu(x).numpy().round(4)
    array([-0.2,  0. ,  2. ], dtype=float32)
    """
    return _C.apply("leaky_relu", [x], negative_slope=_scalar("leaky_relu", "negative_slope",
                                                              negative_slope))


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    alpha : float, default 1.0
        Scale of the negative part.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.elu(x).numpy().round(4)
    array([-0.6321,  0.    ,  2.    ], dtype=float32)
    """
    return _C.apply("elu", [x], alpha=_scalar("elu", "alpha", alpha))


def selu(x):
    """Scaled ELU, ``scale * elu(x, alpha)`` with the self-normalising constants.

    ``alpha = 1.67326...``, ``scale = 1.05070...`` (Klambauer et al.); use with
    ``lecun_normal`` initialisation.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.selu(x).numpy().round(4)
    array([-1.1113,  0.    ,  2.1014], dtype=float32)
    """
    return _C.apply("selu", [x])


def gelu(x, approximate=True):
    """Gaussian error linear unit: ``x * Phi(x)`` (``keras.ops.gelu``).

    ``approximate=True`` (``keras.ops.gelu``'s default) uses the tanh
    approximation ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))``;
    False is the exact ``0.5 * x * (1 + erf(x / sqrt(2)))``, the default of
    ``keras.activations.gelu`` (`pynn.activations.gelu`) and so of layers'
    ``activation="gelu"``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    approximate : bool, default True
        Use the tanh approximation.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``approximate`` is not a bool.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.gelu(x).numpy().round(4)
    array([-0.1588,  0.    ,  1.9546], dtype=float32)
    >>> pynn.ops.gelu(x, approximate=False).numpy().round(4)
    array([-0.1587,  0.    ,  1.9545], dtype=float32)
    """
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"gelu: approximate must be a bool, got {type(approximate).__name__}")
    return _C.apply("gelu", [x], approximate=bool(approximate))


def silu(x):
    """SiLU (swish): ``x * sigmoid(x)`` (also ``swish``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.silu(x).numpy().round(4)
    array([-0.2689,  0.    ,  1.7616], dtype=float32)
    """
    return _C.apply("silu", [x])


swish = silu


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for any x.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.sigmoid(x).numpy().round(4)
    array([0.2689, 0.5   , 0.8808], dtype=float32)
    """
    return _C.apply("sigmoid", [x])


def tanh(x):
    """Hyperbolic tangent.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.tanh(x).numpy().round(4)
    array([-0.7616,  0.    ,  0.964 ], dtype=float32)
    """
    return _C.apply("tanh", [x])


def softplus(x):
    """Softplus ``log(1 + exp(x))``, computed so that it never overflows.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.softplus(x).numpy().round(4)
    array([0.3133, 0.6931, 2.1269], dtype=float32)
    """
    return _C.apply("softplus", [x])


def softsign(x):
    """Softsign ``x / (1 + |x|)``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.softsign(x).numpy().round(4)
    array([-0.5   ,  0.    ,  0.6667], dtype=float32)
    """
    return _C.apply("softsign", [x])


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: ``relu6(x + 3) / 6``.

    The same as torch's hardsigmoid (Keras 2 used ``0.2 * x + 0.5``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.hard_sigmoid(x).numpy().round(4)
    array([0.3333, 0.5   , 0.8333], dtype=float32)
    """
    return _C.apply("hard_sigmoid", [x])


def hard_silu(x):
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)`` (also ``hard_swish``).

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.hard_silu(x).numpy().round(4)
    array([-0.3333,  0.    ,  1.6667], dtype=float32)
    """
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
    """Softmax along an axis: ``exp(x) / sum(exp(x))``, with the maximum subtracted first.

    Never overflows. With ``categorical_crossentropy`` after a softmax layer, the
    two are fused into one stable op.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : int, default -1
        The axis to normalise.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` is not an int.
    ValueError
        ``axis`` is out of range.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.softmax(x).numpy().round(4)
    array([0.042 , 0.1142, 0.8438], dtype=float32)
    """
    return _C.apply("softmax", [x], axis=_axis("softmax", x, axis))


def log_softmax(x, axis=-1):
    """Log of the softmax along an axis: ``x - logsumexp(x)``, finite for any finite input.

    Parameters
    ----------
    x : Tensor or array_like
        Input (arrays are wrapped without copying when float32).
    axis : int, default -1
        The axis to normalise.

    Returns
    -------
    Tensor

    Raises
    ------
    TypeError
        ``axis`` is not an int.
    ValueError
        ``axis`` is out of range.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 2.0], np.float32)
    >>> pynn.ops.log_softmax(x).numpy().round(4)
    array([-3.1698, -2.1698, -0.1698], dtype=float32)
    """
    return _C.apply("log_softmax", [x], axis=_axis("log_softmax", x, axis))
