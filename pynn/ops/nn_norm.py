"""pynn.ops.nn_norm: ``keras.ops.nn``'s functional normalisations —
batch_normalization (with given statistics), layer_normalization,
rms_normalization, normalize — on any axis or axes, with Keras' defaults
(epsilon ``keras.config.epsilon()`` = 1e-7 where Keras leaves it None, 1e-3 for
batch_normalization).

Layer normalisation over the last axis is the engine's fused ``layer_norm`` op;
every other case is composed of engine ops (means, rsqrt, products), so all of
them differentiate and trace into a model."""
import numbers

import numpy as np

from .. import _C
from .conv import _shape
from .linalg import norm as _norm
from .norm import _check_params
from .reduce import mean, sum as _sum
from .shape import _tensor, reshape

__all__ = ["batch_normalization", "layer_normalization", "rms_normalization", "normalize"]

_EPSILON = 1e-7  # keras.config.epsilon()
_F = np.float32


def _epsilon(op, epsilon, default=_EPSILON):
    if epsilon is None:
        return default
    if not isinstance(epsilon, numbers.Real) or isinstance(epsilon, bool) or not epsilon >= 0:
        raise ValueError(f"{op}: `epsilon` must be a number >= 0, received epsilon={epsilon!r}")
    return float(epsilon)


def _axes(op, axis, ndim):
    """axis (an int or a sequence of ints) as sorted non-negative ints."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in axes):
        raise ValueError(f"{op}: `axis` must be an int or a sequence of ints, received "
                         f"axis={axis!r}")
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"{op}: axis {axis!r} is out of range for an input of rank {ndim}")
    out = sorted({int(a) % ndim for a in axes})
    if len(out) != len(axes):
        raise ValueError(f"{op}: repeated axis in axis={axis!r}")
    return out


def _along(op, name, v, xs, axes):
    """Parameter v (one value per position of the normalised axes) shaped to
    broadcast against an input of shape xs."""
    if v is None:
        return None
    want = tuple(xs[a] for a in axes)
    vs = tuple(_shape(v))
    if vs != want:
        raise ValueError(f"{op}: `{name}` must have shape {want} (the input's axes {axes}), "
                         f"received {vs} for an input of shape {tuple(xs)}")
    if axes == [len(xs) - 1]:
        return _tensor(v)
    return reshape(v, tuple(xs[a] if a in axes else 1 for a in range(len(xs))))


def _rsqrt(t):
    return _C.apply("div", [_F(1), _C.apply("sqrt", [t])])


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """Normalises ``x`` by given statistics along one axis (``keras.ops.batch_normalization``).

    ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    mean, variance : Tensor or array_like
        One value per position of ``axis``.
    axis : int
        The feature axis.
    offset, scale : Tensor or array_like, optional
        One value per position of ``axis``.
    epsilon : float, default 1e-3

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range, or statistics of the wrong length.

    Examples
    --------
    >>> x = np.array([[0.1, 0.2], [0.7, 0.8]], np.float32)
    >>> pynn.ops.batch_normalization(x, [0.4, 0.5], [0.09, 0.09], axis=-1, epsilon=0.0).numpy().round(4)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    """
    op = "batch_normalization"
    x = _tensor(x)
    xs = tuple(x.shape)
    if isinstance(axis, (list, tuple)):
        raise ValueError(f"{op}: `axis` must be one int, received axis={axis!r}")
    axes = _axes(op, axis, len(xs))
    mean_, var_ = (_along(op, n, _tensor(v), xs, axes) for n, v in (("mean", mean),
                                                                        ("variance", variance)))
    inv = _rsqrt(_C.apply("add", [var_, _F(_epsilon(op, epsilon, 1e-3))]))
    scale_ = _along(op, "scale", scale, xs, axes)
    if scale_ is not None:
        inv = _C.apply("mul", [inv, scale_])
    y = _C.apply("mul", [_C.apply("sub", [x, mean_]), inv])
    offset_ = _along(op, "offset", offset, xs, axes)
    return y if offset_ is None else _C.apply("add", [y, offset_])


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalisation over the given axes of each sample (``keras.ops.layer_normalization``).

    ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with the mean and the
    (biased) variance over ``axis``.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    gamma, beta : Tensor or array_like, optional
        Scale and offset, shaped as the normalised axes.
    axis : int or sequence of int, default -1
    epsilon : float, optional
        Default ``keras.config.epsilon()`` (1e-7).
    **kwargs
        Keras' deprecated ``rms_scaling`` is refused (use `rms_normalization`).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range, parameters of the wrong shape, or rms_scaling.

    Examples
    --------
    >>> pynn.ops.layer_normalization(np.arange(5, dtype=np.float32)).numpy().round(4)
    array([-1.4142, -0.7071,  0.    ,  0.7071,  1.4142], dtype=float32)
    """
    op = "layer_normalization"
    if kwargs.pop("rms_scaling", False):
        raise ValueError(f"{op}: rms_scaling=True is deprecated in Keras (it scales by the "
                         f"variance); use pynn.ops.rms_normalization")
    if kwargs:
        raise TypeError(f"{op}: unexpected arguments {sorted(kwargs)}")
    x = _tensor(x)
    xs = tuple(x.shape)
    if not xs:
        x, xs = reshape(x, (1,)), (1,)
    axes = _axes(op, axis, len(xs))
    eps = _epsilon(op, epsilon)
    if axes == [len(xs) - 1]:  # the engine's fused op
        ones = np.ones(xs[-1], np.float32)
        g = ones if gamma is None else gamma
        b = ones * 0 if beta is None else beta
        _check_params(op, x, [("gamma", g), ("beta", b)])
        return _C.apply("layer_norm", [x, g, b], epsilon=eps)
    mu = mean(x, axis=tuple(axes), keepdims=True)
    d = _C.apply("sub", [x, mu])
    var = mean(_C.apply("square", [d]), axis=tuple(axes), keepdims=True)
    y = _C.apply("mul", [d, _rsqrt(_C.apply("add", [var, _F(eps)]))])
    g, b = _along(op, "gamma", gamma, xs, axes), _along(op, "beta", beta, xs, axes)
    y = y if g is None else _C.apply("mul", [y, g])
    return y if b is None else _C.apply("add", [y, b])


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalisation (``keras.ops.rms_normalization``).

    ``x / sqrt(mean(x**2) + epsilon) * scale``, the mean over ``axis`` (Zhang &
    Sennrich, 2019).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    scale : Tensor or array_like, optional
        Shaped as the normalised axes.
    axis : int or sequence of int, default -1
    epsilon : float, optional
        Default ``keras.config.epsilon()`` (1e-7).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An axis out of range or a scale of the wrong shape.

    Examples
    --------
    >>> pynn.ops.rms_normalization(np.array([3.0, 4.0], np.float32)).numpy().round(4)
    array([0.8485, 1.1314], dtype=float32)
    """
    op = "rms_normalization"
    x = _tensor(x)
    xs = tuple(x.shape)
    if not xs:
        x, xs = reshape(x, (1,)), (1,)
    axes = _axes(op, axis, len(xs))
    ms = mean(_C.apply("square", [x]), axis=tuple(axes), keepdims=True)
    y = _C.apply("mul", [x, _rsqrt(_C.apply("add", [ms, _F(_epsilon(op, epsilon))]))])
    s = _along(op, "scale", scale, xs, axes)
    return y if s is None else _C.apply("mul", [y, s])


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(norm(x), epsilon)`` over ``axis`` (``keras.ops.normalize``).

    Order 2 is ``x * rsqrt(max(sum(x**2), epsilon**2))`` as in Keras, so a zero
    vector maps to zeros with a finite gradient.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    axis : int or sequence of int, default -1
    order : int, default 2
        The norm's exponent, an int >= 1.
    epsilon : float, optional
        Lower bound of the norm; default ``keras.config.epsilon()`` (1e-7).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        An order that is not an int >= 1, or an axis out of range.

    Examples
    --------
    >>> pynn.ops.normalize(np.array([[3.0, 4.0]], np.float32)).numpy()
    array([[0.6, 0.8]], dtype=float32)
    >>> pynn.ops.normalize(np.array([[3.0, -1.0]], np.float32), order=1).numpy()
    array([[ 0.75, -0.25]], dtype=float32)
    """
    op = "normalize"
    if not isinstance(order, int) or isinstance(order, bool) or not order >= 1:
        raise ValueError(f"{op}: `order` must be an int >= 1, received order={order!r}")
    x = _tensor(x)
    if not tuple(x.shape):
        x = reshape(x, (1,))
    rank = len(tuple(x.shape))
    if isinstance(axis, int) and not isinstance(axis, bool) and not -rank <= axis < rank:
        raise ValueError(f"{op}: axis {axis!r} is out of range for a tensor of shape "
                         f"{tuple(x.shape)}")
    eps = _epsilon(op, epsilon)
    if order == 2:
        ss = _sum(_C.apply("square", [x]), axis=axis, keepdims=True)
        return _C.apply("mul", [x, _rsqrt(_C.apply("maximum", [ss, _F(eps * eps)]))])
    n = _norm(x, ord=order, axis=axis, keepdims=True)
    return _C.apply("div", [x, _C.apply("maximum", [n, _F(eps)])])

