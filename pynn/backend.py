"""`keras.backend` for ported programs: clear_session, epsilon, floatx,
image_data_format, backend."""
from .layers.base import clear_session  # noqa: F401

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "backend"]


def epsilon():
    """Returns the fuzz factor of Keras' formulas, 1e-7 (losses' clipping, Normalization).

    Returns
    -------
    float

    Examples
    --------
    >>> pynn.backend.epsilon()
    1e-07
    """
    return 1e-7


def floatx():
    """Returns the float type pynn computes in: always ``"float32"``.

    Returns
    -------
    str

    Examples
    --------
    >>> pynn.backend.floatx()
    'float32'
    """
    return "float32"


def image_data_format():
    """Returns the image layout of pynn's conv and pooling layers: always ``"channels_last"``.

    Returns
    -------
    str

    Examples
    --------
    >>> pynn.backend.image_data_format()
    'channels_last'
    """
    return "channels_last"


def backend():
    """Returns the backend's name, ``"pynn"`` (what ``keras.backend.backend()`` reports).

    Returns
    -------
    str

    Examples
    --------
    >>> pynn.backend.backend()
    'pynn'
    """
    return "pynn"
