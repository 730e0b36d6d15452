"""`keras.backend` for ported programs: clear_session, epsilon, floatx,
image_data_format, set_image_data_format, backend."""
from .layers.base import clear_session  # noqa: F401

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "set_image_data_format",
           "backend"]


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


def set_image_data_format(data_format):
    """Keras' switch of the default image layout; pynn's layers are channels-last only.

    ``"channels_last"`` (what pynn always uses) is accepted and changes nothing.
    ``"channels_first"`` is refused rather than recorded and ignored: a program
    that sets it lays its arrays out as (batch, channels, ...) and would otherwise
    get numbers computed along the wrong axis.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}

    Raises
    ------
    ValueError
        ``"channels_first"``, or a value Keras does not know.

    Examples
    --------
    >>> pynn.backend.set_image_data_format("channels_last")
    >>> pynn.backend.image_data_format()
    'channels_last'
    """
    if data_format == "channels_last":
        return
    if data_format == "channels_first":
        raise ValueError("set_image_data_format('channels_first'): pynn's conv and pooling "
                         "layers compute channels-last only (Keras' default); keep the "
                         "channel axis last, e.g. transpose (batch, channels, steps) arrays "
                         "to (batch, steps, channels)")
    raise ValueError(f"set_image_data_format: data_format must be 'channels_last' or "
                     f"'channels_first', got {data_format!r}")


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
