"""`keras.backend` for ported programs: clear_session, epsilon, floatx,
image_data_format, backend."""
from .layers.base import clear_session  # noqa: F401

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "backend"]


def epsilon():
    """The fuzz factor of Keras' formulas (losses' clipping, Normalization)."""
    return 1e-7


def floatx():
    return "float32"


def image_data_format():
    return "channels_last"


def backend():
    return "pynn"
