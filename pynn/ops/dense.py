"""pynn.ops.dense: activation(x · kernel + bias) as one engine op
(csrc/core/ops/dense.c): one GEMM, then the bias and the activation in one pass
over the output; backward forms the activation's derivative once and runs the
kernel, bias and input gradients from it. Values and gradients are those of
``activation(matmul(x, kernel) + bias)`` (bit for bit for 2-D x).

The same activations can be fused into conv1d / conv2d (pynn.ops.conv)."""
from .. import _C
from .elementwise import _scalar

__all__ = ["dense", "fused_activations"]

# the activations that take a parameter (the engine's default is Keras': 0.2, 1.0)
_TAKES_ALPHA = ("elu", "leaky_relu")


def fused_activations():
    """Returns the names of the activations that dense and conv apply inside their own op.

    A Dense or Conv layer whose activation is one of these runs GEMM, bias and
    activation as one op; others (softmax, custom functions) run as a separate op.

    Returns
    -------
    list of str

    Examples
    --------
    >>> "relu" in pynn.ops.fused_activations()
    True
    """
    return list(_ACTIVATIONS)


_ACTIVATIONS = tuple(_C.describe("dense")["attrs"]["activation"]["choices"])


def _activation_attrs(op, activation, alpha, approximate):
    """The fused op's activation attributes by name, checked and named after op."""
    name = "linear" if activation is None else activation
    if name not in _ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    attrs = dict(activation=name, approximate=bool(approximate))
    if alpha is not None:
        if name not in _TAKES_ALPHA:
            raise ValueError(f"{op}: alpha applies to {list(_TAKES_ALPHA)}, not to {name!r}")
        attrs["alpha"] = _scalar(op, "alpha", alpha)
    return attrs


def dense(x, kernel, bias=None, activation=None, alpha=None, approximate=False):
    """Fused ``activation(x @ kernel + bias)`` in one engine op (what `pynn.layers.Dense` runs).

    One GEMM, then bias and activation in one pass; values and gradients equal
    those of the separate ops.

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., in)``.
    kernel : Tensor or array_like
        ``(in, units)``.
    bias : Tensor or array_like, optional
        ``(units,)``.
    activation : str, optional
        None or one of `fused_activations`.
    alpha : float, optional
        leaky_relu's negative_slope (default 0.2) or elu's alpha (default 1.0).
    approximate : bool, default False
        The tanh form of gelu.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not fit, or an activation that cannot be fused.

    Examples
    --------
    >>> x = np.array([[1.0, -2.0]], np.float32)
    >>> kernel = np.array([[1.0, 1.0], [1.0, 0.0]], np.float32)
    >>> pynn.ops.dense(x, kernel, np.array([0.0, 0.5], np.float32), activation="relu").numpy()
    array([[0. , 1.5]], dtype=float32)
    """
    inputs = [x, kernel] if bias is None else [x, kernel, bias]
    return _C.apply("dense", inputs, **_activation_attrs("dense", activation, alpha, approximate))
