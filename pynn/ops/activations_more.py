"""pynn.ops.activations_more: the rest of ``keras.ops.nn``'s activations, composed of
engine ops (Keras 3's formulas, keras/src/backend/*/nn.py), so they differentiate
and trace into a compiled model."""
import numbers

import numpy as np

from .. import _C
from .compare import where
from .layout import split

__all__ = ["log_sigmoid", "hard_tanh", "celu", "glu", "squareplus", "soft_shrink",
           "hard_shrink", "tanh_shrink", "threshold", "sparse_plus"]


def _number(op, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {v!r}")
    return float(v)


_DOC = """{what}

    Parameters
    ----------
    x : Tensor or array_like
        Input.{extra}

    Returns
    -------
    Tensor
{raises}
    Examples
    --------
    >>> pynn.ops.{name}(np.array([-2.0, -0.25, 0.0, 0.25, 2.0], np.float32){call}).numpy().round(4)
    array({result}, dtype=float32)
    """


def _doc(fn, what, result, extra="", call="", raises=""):
    fn.__doc__ = _DOC.format(what=what, name=fn.__name__, result=result, extra=extra, call=call,
                             raises=raises)
    return fn


def log_sigmoid(x):
    return _C.apply("neg", [_C.apply("softplus", [_C.apply("neg", [x])])])


def hard_tanh(x):
    return _C.apply("clip", [x], x_min=-1.0, x_max=1.0)


def celu(x, alpha=1.0):
    alpha = _number("celu", "alpha", alpha)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    # alpha * elu(x / alpha): the engine's elu keeps exp from overflowing for large x
    return _C.apply("mul", [_C.apply("elu", [_C.apply("mul", [x, np.float32(1 / alpha)])]),
                            np.float32(alpha)])


def glu(x, axis=-1):
    a, b = split(x, 2, axis=axis)
    return a * _C.apply("sigmoid", [b])


def squareplus(x, b=4):
    b = _number("squareplus", "b", b)
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0, got {b}")
    root = _C.apply("sqrt", [_C.apply("add", [_C.apply("square", [x]), np.float32(b)])])
    return _C.apply("mul", [_C.apply("add", [x, root]), np.float32(0.5)])


def soft_shrink(x, threshold=0.5):
    t = np.float32(_number("soft_shrink", "threshold", threshold))
    return where(_C.apply("greater", [x, t]), _C.apply("sub", [x, t]),
                 where(_C.apply("less", [x, -t]), _C.apply("add", [x, t]), np.float32(0)))


def hard_shrink(x, threshold=0.5):
    t = np.float32(_number("hard_shrink", "threshold", threshold))
    return where(_C.apply("greater", [_C.apply("abs", [x]), t]), x, np.float32(0))


def tanh_shrink(x):
    return _C.apply("sub", [x, _C.apply("tanh", [x])])


def threshold(x, threshold, default_value):
    t = np.float32(_number("threshold", "threshold", threshold))
    d = np.float32(_number("threshold", "default_value", default_value))
    return where(_C.apply("greater", [x, t]), x, d)


def sparse_plus(x):
    quad = _C.apply("mul", [_C.apply("square", [_C.apply("add", [x, np.float32(1)])]),
                            np.float32(0.25)])
    return where(_C.apply("less_equal", [x, np.float32(-1)]), np.float32(0),
                 where(_C.apply("greater_equal", [x, np.float32(1)]), x, quad))


_RAISES_NUM = """
    Raises
    ------
    TypeError
        A parameter that is not a number.
"""
_doc(log_sigmoid, "Elementwise ``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.",
     "[-2.1269, -0.8259, -0.6931, -0.5759, -0.1269]")
_doc(hard_tanh, "Elementwise ``clip(x, -1, 1)``.", "[-1.  , -0.25,  0.  ,  0.25,  1.  ]")
_doc(celu, "Continuously differentiable ELU: ``x`` for x > 0, else ``alpha * (exp(x / alpha) - 1)``.",
     "[-0.8647, -0.2212,  0.    ,  0.25  ,  2.    ]",
     extra="\n    alpha : float, default 1.0\n        The scale of the negative part (not 0).",
     raises=_RAISES_NUM.replace("number.", "number.\n    ValueError\n        ``alpha`` is 0."))
_doc(squareplus, "Squareplus ``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.",
     "[0.4142, 0.8828, 1.    , 1.1328, 2.4142]",
     extra="\n    b : float, default 4\n        Smoothness (>= 0).",
     raises=_RAISES_NUM.replace("number.", "number.\n    ValueError\n        ``b`` < 0."))
_doc(soft_shrink, "Soft shrinkage: ``x - t`` above ``t``, ``x + t`` below ``-t``, else 0.",
     "[-1.5,  0. ,  0. ,  0. ,  1.5]",
     extra="\n    threshold : float, default 0.5\n        ``t``.", raises=_RAISES_NUM)
_doc(hard_shrink, "Hard shrinkage: ``x`` where ``|x| > threshold``, else 0.",
     "[-2.,  0.,  0.,  0.,  2.]",
     extra="\n    threshold : float, default 0.5\n        The cut.", raises=_RAISES_NUM)
_doc(tanh_shrink, "Elementwise ``x - tanh(x)``.", "[-1.036 , -0.0051,  0.    ,  0.0051,  1.036 ]")
_doc(threshold, "``x`` where ``x > threshold``, else ``default_value``.",
     "[-1.  , -1.  , -1.  ,  0.25,  2.  ]",
     extra="\n    threshold : float\n        The cut.\n    default_value : float\n        The value at or below it.",
     call=", 0.0, -1.0", raises=_RAISES_NUM)
_doc(sparse_plus, "SparsePlus: 0 for x <= -1, ``x`` for x >= 1, ``(x + 1)**2 / 4`` between.",
     "[0.    , 0.1406, 0.25  , 0.3906, 2.    ]")
glu.__doc__ = """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the two halves of ``x`` along ``axis``.

    Parameters
    ----------
    x : Tensor or array_like
        Input whose ``axis`` has even length.
    axis : int, default -1
        The axis to halve.

    Returns
    -------
    Tensor
        Half as long along ``axis``.

    Raises
    ------
    ValueError
        An odd length along ``axis``.

    Examples
    --------
    >>> pynn.ops.glu(np.array([[1.0, 2.0, 0.0, 100.0]], np.float32)).numpy()
    array([[0.5, 2. ]], dtype=float32)
    """
