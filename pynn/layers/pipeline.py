"""Pipeline (keras/src/layers/preprocessing/pipeline.py): a plain layer that calls
a list of layers one after the other -- an augmentation or preprocessing chain
that is not a Model. Its layers are its children: their weights are its
weights, saved with it, and their configs are saved inside its config."""
from .. import ops
from .base import Layer, _attach_masks


class Pipeline(Layer):
    """Applies a series of layers to an input (Keras' ``keras.layers.Pipeline``).

    Unlike a `Sequential`, it is a layer: use it on a batch of a data pipeline
    (called on its own it augments, as Keras' default ``training=True``) or
    inside a model (where its augmentations act in ``fit`` only). Each layer
    receives the output of the one before, with its mask and ``training``.

    Parameters
    ----------
    layers : list of Layer
        The layers, in order.
    name : str, optional
        The layer's name.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``layers`` is not a list of layers.

    Examples
    --------
    >>> pipe = pynn.layers.Pipeline([pynn.layers.Rescaling(2.0), pynn.layers.Rescaling(0.5,
    ...                              offset=1.0)])
    >>> pipe(np.array([[1.0, 3.0]], np.float32)).numpy()
    array([[2., 4.]], dtype=float32)
    >>> [type(la).__name__ for la in pipe.layers]
    ['Rescaling', 'Rescaling']
    """

    def __init__(self, layers, name=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or not all(isinstance(la, Layer)
                                                            for la in layers):
            raise ValueError(f"Pipeline: `layers` must be a list of layers, received "
                             f"layers={layers!r:.200}")
        self._pipeline_layers = list(layers)  # first: the base's trainable setter reads it
        super().__init__(name=name, **kwargs)

    @property
    def layers(self):
        """The layers of the pipeline, in order."""
        return self._pipeline_layers

    @property
    def _standalone_training(self):
        # Keras' call(inputs, training=True): on its own the pipeline augments; a
        # pipeline of deterministic layers does the same either way
        return any(la._standalone_training for la in self._pipeline_layers)

    def _child_layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=False, mask=None):
        if mask is not None:
            # an explicit mask goes on as pynn hands masks on, attached to the tensor (a
            # new view, so the caller's tensor keeps its own)
            inputs = ops.reshape(inputs, (-1,) + tuple(inputs.shape[1:]))
            _attach_masks(inputs, mask)
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_mask(self, inputs, mask=None):
        return None  # each layer's call attaches its own output mask

    def get_config(self):
        from ..saving import layer_to_config
        cfg = super().get_config()
        cfg["layers"] = [layer_to_config(la) for la in self._pipeline_layers]
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the pipeline and its layers (fresh weights) from ``get_config``.

        Parameters
        ----------
        config : dict
            As ``get_config`` returns.
        custom_objects : dict, optional
            Classes of custom layers in the pipeline.

        Raises
        ------
        ValueError
            A config without a list of layers.

        Examples
        --------
        >>> pipe = pynn.layers.Pipeline([pynn.layers.RandomFlip()])
        >>> type(pynn.layers.Pipeline.from_config(pipe.get_config()).layers[0]).__name__
        'RandomFlip'
        """
        from ..saving import layer_from_config
        config = dict(config)
        layers = config.pop("layers", None)
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers!r:.200}")
        return cls([layer_from_config(la, custom_objects) for la in layers], **config)
