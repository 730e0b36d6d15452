"""pynn.ops.normalize: ``keras.ops.normalize`` (also ``keras.ops.nn.normalize``), each
vector along an axis divided by its norm, composed of engine ops so gradients flow."""
import numbers

import numpy as np

from .. import _C
from .elementwise import sqrt, square
from .linalg import norm
from .reduce import sum as _sum
from .shape import _tensor, reshape

_F = np.float32

__all__ = ["normalize"]


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (``keras.ops.normalize``).

    The L2 case is Keras 3's ``x * rsqrt(max(sum(x**2), epsilon**2))``, so a zero vector
    stays zero with a finite gradient; other orders divide by ``max(norm, epsilon)``.

    Parameters
    ----------
    x : Tensor or array_like
        Input (a scalar is taken as a vector of one).
    axis : int, default -1
        The axis the vectors lie along.
    order : int, default 2
        The norm's exponent, an int >= 1.
    epsilon : float, optional
        The smallest norm divided by; default ``pynn.backend.epsilon()`` (1e-7).

    Returns
    -------
    Tensor
        The shape of ``x``; differentiable.

    Raises
    ------
    ValueError
        ``order`` not an int >= 1, or ``axis`` out of range.

    Examples
    --------
    >>> x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    >>> pynn.ops.normalize(x).numpy()
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    >>> pynn.ops.normalize(x, order=1).numpy()[0].round(4)
    array([0.4286, 0.5714], dtype=float32)
    """
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, got order={order!r}")
    x = _tensor(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    if not isinstance(axis, numbers.Integral) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"normalize: axis {axis!r} is out of range for a tensor of shape "
                         f"{x.shape}")
    if epsilon is None:
        from ..backend import epsilon  # (pynn.backend imports the layers, which import ops)
        epsilon = epsilon()
    eps = float(epsilon)
    if order == 2:
        square_sum = _sum(square(x), axis=axis, keepdims=True)
        inv_norm = _C.apply("div", [_F(1), sqrt(_C.apply("maximum", [square_sum, _F(eps * eps)]))])
        return _C.apply("mul", [x, inv_norm])
    denom = _C.apply("maximum", [norm(x, ord=int(order), axis=axis, keepdims=True), _F(eps)])
    return _C.apply("div", [x, denom])

