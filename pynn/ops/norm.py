"""pynn.ops.norm: batch, layer and group normalisation over the last (channel) axis.

``batch_norm`` follows Keras 3: with ``training=True`` it normalises with the
batch mean and biased variance over every axis but the last, and updates
``moving_mean`` / ``moving_variance`` **in place** as
``m = m * momentum + batch * (1 - momentum)`` (so pass Tensors, or float32
C-contiguous arrays, which the engine uses without copying); with
``training=False`` it uses the moving statistics. ``layer_norm`` normalises each
vector along the last axis (Keras' LayerNormalization with axis=-1);
``group_norm`` each sample's groups of neighbouring channels over all positions
(Keras' GroupNormalization).
"""
import numbers

from .. import _C
from .conv import _describe, _shape

__all__ = ["batch_norm", "layer_norm", "group_norm"]


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
    """Batch normalisation over the last (channel) axis:
    ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    With ``training=True`` it uses the batch mean and biased variance over every
    axis but the last, and updates ``moving_mean`` / ``moving_variance`` **in
    place** as ``m * momentum + batch * (1 - momentum)`` (so pass Tensors or
    float32 C-contiguous arrays); otherwise it uses the moving statistics.

    Parameters
    ----------
    x : Tensor or array_like
        Input ``(..., C)``.
    gamma : Tensor or array_like
        Scale ``(C,)``.
    beta : Tensor or array_like
        Offset ``(C,)``.
    moving_mean : Tensor or array_like
        ``(C,)``, updated in training.
    moving_variance : Tensor or array_like
        ``(C,)``, updated in training.
    training : bool, default False
        Use (and update from) batch statistics.
    momentum : float, default 0.99
        Momentum of the moving averages.
    epsilon : float, default 1e-3
        Added to the variance.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Parameters whose shape is not ``(C,)``.

    Examples
    --------
    >>> x = np.array([[0.0], [2.0]], np.float32)
    >>> ones, zeros = np.ones(1, np.float32), np.zeros(1, np.float32)
    >>> mean, var = np.zeros(1, np.float32), np.ones(1, np.float32)
    >>> pynn.ops.batch_norm(x, ones, zeros, mean, var, training=True).numpy().round(3).ravel()
    array([-1.,  1.], dtype=float32)
    >>> mean  # updated in place: 0.99 * 0 + 0.01 * 1
    array([0.01], dtype=float32)
    """
    _check_params("batch_norm", x, [("gamma", gamma), ("beta", beta),
                                    ("moving_mean", moving_mean),
                                    ("moving_variance", moving_variance)])
    return _C.apply("batch_norm", [x, gamma, beta, moving_mean, moving_variance],
                    momentum=_float(momentum, "momentum", "batch_norm"),
                    epsilon=_float(epsilon, "epsilon", "batch_norm"), training=bool(training))


def layer_norm(x, gamma, beta, epsilon=1e-3):
    """Layer normalisation over the last axis of each sample:
    ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Parameters
    ----------
    x : Tensor or array_like
        Input ``(..., C)``.
    gamma : Tensor or array_like
        Scale ``(C,)``.
    beta : Tensor or array_like
        Offset ``(C,)``.
    epsilon : float, default 1e-3
        Added to the variance.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Parameters whose shape is not ``(C,)``.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0, 3.0]], np.float32)
    >>> pynn.ops.layer_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32)).numpy().round(3)
    array([[-1.224,  0.   ,  1.224]], dtype=float32)
    """
    _check_params("layer_norm", x, [("gamma", gamma), ("beta", beta)])
    return _C.apply("layer_norm", [x, gamma, beta], epsilon=_float(epsilon, "epsilon", "layer_norm"))


def group_norm(x, gamma, beta, groups, epsilon=1e-3):
    """Group normalisation (Wu & He 2018) over the last (channel) axis: the
    channels are split into ``groups`` groups of neighbours, and each sample's
    group is normalised with its mean and biased variance over its channels and
    all positions, ``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Parameters
    ----------
    x : Tensor or array_like
        Input ``(batch, ..., C)``.
    gamma : Tensor or array_like
        Scale ``(C,)``.
    beta : Tensor or array_like
        Offset ``(C,)``.
    groups : int
        Number of groups; must divide ``C``.
    epsilon : float, default 1e-3
        Added to the variance.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``x`` without a batch and a channel axis, ``groups`` not dividing ``C``, or
        parameters whose shape is not ``(C,)``.
    TypeError
        ``groups`` not an int.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0, 10.0, 30.0]], np.float32)
    >>> y = pynn.ops.group_norm(x, np.ones(4, np.float32), np.zeros(4, np.float32), groups=2)
    >>> y.numpy().round(2)  # groups (1, 3) and (10, 30), each to (-1, 1)
    array([[-1.,  1., -1.,  1.]], dtype=float32)
    """
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"group_norm: `groups` must be an int, received {groups!r}")
    _check_params("group_norm", x, [("gamma", gamma), ("beta", beta)])
    return _C.apply("group_norm", [x, gamma, beta], groups=int(groups),
                    epsilon=_float(epsilon, "epsilon", "group_norm"))
