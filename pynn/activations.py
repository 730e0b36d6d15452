"""Activation functions by Keras name; each maps a Tensor to a Tensor through
one engine op."""
from . import ops
from ._names import unknown_name

__all__ = ["linear", "relu", "leaky_relu", "gelu", "exponential", "mish", "get", "serialize"]


def linear(x):
    """The identity activation (what ``activation=None`` means): returns ``x`` unchanged.

    Parameters
    ----------
    x : Tensor
        Input.

    Returns
    -------
    Tensor
        ``x`` itself.

    Examples
    --------
    >>> t = pynn.Tensor(np.array([-1.0, 2.0], np.float32))
    >>> pynn.activations.linear(t) is t
    True
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras' options (``keras.activations.relu``).

    ``max(x, 0)`` by default; ``negative_slope`` gives ``negative_slope * (x - threshold)``
    below ``threshold``, ``max_value`` caps the output and ``threshold`` zeroes the
    values at or below it. With the defaults this is ``pynn.ops.relu`` (and layers
    fuse it into their GEMM).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    negative_slope : float, default 0.0
        Slope below the threshold.
    max_value : float, optional
        The largest output.
    threshold : float, default 0.0
        Values at or below it are not passed on.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> x = np.array([-2.0, 0.5, 3.0, 8.0], np.float32)
    >>> pynn.activations.relu(x, max_value=6.0).numpy()
    array([0. , 0.5, 3. , 6. ], dtype=float32)
    >>> pynn.activations.relu(x, negative_slope=0.5, threshold=1.0).numpy()
    array([-1.5 , -0.25,  3.  ,  8.  ], dtype=float32)
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope)
    # Keras' ReLU.static_call, term by term
    negative = ops.relu(threshold - x) if negative_slope != 0.0 else None
    if threshold != 0.0:
        out = x * ops.cast(ops.greater(x, threshold), "float32")
    else:
        out = ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, float(max_value))
    if negative is not None:
        out = out - negative * negative_slope
    return out


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras' function default 0.2).

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    negative_slope : float, default 0.2
        Slope below zero.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.activations.leaky_relu(np.array([-1.0, 2.0], np.float32)).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    return ops.leaky_relu(x, negative_slope)


def gelu(x, approximate=False):
    """Gaussian error linear unit, exact by default (``keras.activations.gelu``).

    Keras 3 gives its activation the exact form (``approximate=False``) while
    ``keras.ops.gelu`` defaults to the tanh approximation; layers'
    ``activation="gelu"`` is this function, so it is exact, as in Keras.

    Parameters
    ----------
    x : Tensor or array_like
        Input.
    approximate : bool, default False
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
    >>> pynn.activations.gelu(np.array([-1.0, 2.0], np.float32)).numpy().round(4)
    array([-0.1587,  1.9545], dtype=float32)
    """
    return ops.gelu(x, approximate=approximate)


_BY_NAME = {
    "linear": linear, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax, "elu": ops.elu, "selu": ops.selu,
    "gelu": gelu, "silu": ops.silu, "swish": ops.silu, "softplus": ops.softplus,
    "leaky_relu": leaky_relu,
}
for _name in ("hard_sigmoid", "relu6", "softsign", "hard_silu", "hard_swish",
              # keras.activations' further functions, with the same defaults in pynn.ops
              "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink",
              "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink",
              "threshold"):
    if hasattr(ops, _name):
        _BY_NAME[_name] = getattr(ops, _name)


def exponential(x):
    """The exponential activation ``exp(x)`` (``keras.activations.exponential``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.activations.exponential(np.array([0.0, 1.0], np.float32)).numpy().round(4)
    array([1.    , 2.7183], dtype=float32)
    """
    return ops.exp(x)


def mish(x):
    """Mish, ``x * tanh(softplus(x))`` (Misra 2019; ``keras.activations.mish``).

    Parameters
    ----------
    x : Tensor or array_like
        Input.

    Returns
    -------
    Tensor

    Examples
    --------
    >>> pynn.activations.mish(np.array([-1.0, 0.0, 1.0], np.float32)).numpy().round(4)
    array([-0.3034,  0.    ,  0.8651], dtype=float32)
    """
    return x * ops.tanh(ops.softplus(x))


_BY_NAME.update({"exponential": exponential, "mish": mish})


# keras.activations.relu(x) & co.: the same functions as attributes of this module
for _name, _fn in _BY_NAME.items():
    globals().setdefault(_name, _fn)

_FUSED = None


def fused_name(fn):
    """The name under which the fused layer ops (ops.dense, ops.conv1d/2d) apply
    activation fn with its Keras defaults, or None when they cannot (a custom
    callable, softmax): the layer then applies fn as a separate op."""
    global _FUSED
    if _FUSED is None:
        _FUSED = {_BY_NAME[name]: name for name in ops.fused_activations()}
        if "relu" in _FUSED.values():  # activations.relu with its defaults is ops.relu
            _FUSED[relu] = "relu"
    return _FUSED.get(fn)


def get(identifier):
    """Returns an activation function from a Keras name (case-insensitive), a callable or None.

    Names: ``linear``, ``relu``, ``relu6``, ``sigmoid``, ``hard_sigmoid``,
    ``tanh``, ``softmax``, ``log_softmax``, ``elu``, ``selu``, ``gelu``,
    ``silu`` / ``swish``, ``hard_silu`` / ``hard_swish``, ``softplus``,
    ``softsign``, ``leaky_relu`` (the functions of `pynn.ops`). Layers fuse the
    built-in ones into their GEMM.

    Parameters
    ----------
    identifier : str, callable or None
        The name, a function of one Tensor (returned as is), or None (linear).

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        An unknown name (with a "did you mean").
    TypeError
        Anything else.

    Examples
    --------
    >>> pynn.activations.get("relu") is pynn.ops.relu
    True
    >>> pynn.activations.get("relu")(np.array([-1.0, 2.0], np.float32)).numpy()
    array([0., 2.], dtype=float32)
    >>> pynn.activations.get(None) is pynn.activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:  # a custom function known by name (registered, or custom_objects)
            from .serialization import get_registered_object
            fn = get_registered_object(identifier)
        if fn is None or not callable(fn):
            raise unknown_name("activation", identifier, _BY_NAME)
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation {identifier!r}")


def serialize(fn):
    """Returns the name an activation function is saved under.

    A built-in's Keras name; a custom function's registered name
    (`pynn.saving.register_keras_serializable`) or else its ``__name__`` — loading
    then finds it by that name in the registry or in ``custom_objects`` (a file
    holds no code).

    Parameters
    ----------
    fn : callable
        A built-in activation or a named custom function.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        An anonymous function (a ``lambda``: it has no name to be found by).

    Examples
    --------
    >>> pynn.activations.serialize(pynn.ops.tanh)
    'tanh'
    """
    if fn is relu:
        return "relu"
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    from .serialization import get_registered_name
    name = get_registered_name(fn) if callable(fn) else None
    if not name or name == "<lambda>" or not isinstance(name, str):
        raise ValueError(f"Cannot serialize activation {fn!r}: an anonymous function has no "
                         "name to be loaded by; define it with `def` (and register it with "
                         "pynn.saving.register_keras_serializable)")
    return name
