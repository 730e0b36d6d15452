"""Wrapper (keras/src/layers/core/wrapper.py): the base of the layers that hold
another layer and change what it does (TimeDistributed, SpectralNormalization)."""
from .base import Layer


class Wrapper(Layer):
    """Abstract base of the layers that wrap another layer (Keras' ``keras.layers.Wrapper``).

    Holds ``self.layer``, builds it on the wrapper's input shape unless it is
    built, and saves it inside the wrapper's config. Subclass it and write
    ``call``.

    Parameters
    ----------
    layer : Layer
        The wrapped layer.
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        ``layer`` is not a layer.

    Examples
    --------
    >>> class Doubled(pynn.layers.Wrapper):
    ...     def call(self, x):
    ...         return self.layer(x) * 2.0
    >>> layer = Doubled(pynn.layers.Dense(2, kernel_initializer="ones"))
    >>> layer(np.ones((1, 3), np.float32)).numpy()
    array([[6., 6.]], dtype=float32)
    >>> [w.shape for w in layer.weights], layer.get_config()["layer"]["class_name"]
    ([(3, 2), (2,)], 'Dense')
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to {type(self).__name__} isn't a supported "
                             f"layer type. Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)

    def get_config(self):
        from ..saving import layer_to_config
        cfg = super().get_config()
        cfg["layer"] = layer_to_config(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the wrapper and the layer it holds (fresh weights).

        Parameters
        ----------
        config : dict
            As ``get_config`` returns.
        custom_objects : dict, optional
            Classes of custom wrapped layers.

        Examples
        --------
        >>> td = pynn.layers.TimeDistributed(pynn.layers.Dense(2))
        >>> type(pynn.layers.TimeDistributed.from_config(td.get_config()).layer).__name__
        'Dense'
        """
        from ..saving import layer_from_config
        config = dict(config)
        return cls(layer_from_config(config.pop("layer"), custom_objects), **config)
