"""Keras-style layers."""
from .base import Layer, Variable, clear_session  # noqa: F401
from .core import Activation, Dense, Dropout, Flatten, InputLayer, Reshape  # noqa: F401

_REGISTRY = {}


def register(cls):
    """Makes a layer class known to from_config / load_model (by class name)."""
    _REGISTRY[cls.__name__] = cls
    return cls


for _cls in (Activation, Dense, Dropout, Flatten, InputLayer, Reshape):
    register(_cls)


def get_class(name):
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown layer class {name!r}; known: {sorted(_REGISTRY)}. Custom layers "
                         f"must be registered with pynn.layers.register") from None
