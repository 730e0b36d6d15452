"""Activation functions by Keras name; each maps a Tensor to a Tensor through
one engine op."""
from . import ops
from ._names import unknown_name


def linear(x):
    return x


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope)


_BY_NAME = {
    "linear": linear, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax, "elu": ops.elu, "selu": ops.selu,
    "gelu": ops.gelu, "silu": ops.silu, "swish": ops.silu, "softplus": ops.softplus,
    "leaky_relu": leaky_relu,
}
for _name in ("hard_sigmoid", "relu6", "softsign", "hard_silu", "hard_swish"):
    if hasattr(ops, _name):
        _BY_NAME[_name] = getattr(ops, _name)


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
    return _FUSED.get(fn)


def get(identifier):
    """An activation from a name (case-insensitive), a callable or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise unknown_name("activation", identifier, _BY_NAME)
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation {identifier!r}")


def serialize(fn):
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    raise ValueError(f"Cannot serialize activation {fn!r}; pass it by name")
