"""Keras 3's wrappers of another framework's code as a layer -- TorchModuleWrapper,
JaxLayer, FlaxLayer, TFSMLayer -- which pynn refuses by name.

Each of them runs the foreign framework's forward (and, in training, its
autodiff) inside the layer. pynn's models run as one program of engine ops in
C, differentiated by the engine: a torch module, a JAX function or a
TensorFlow SavedModel is opaque to it, so it could neither be differentiated
nor run inside a compiled fit, and calling it eagerly from Python alone would
train nothing. Rather than a layer that silently does less than Keras', the
constructors raise NotImplementedError saying so and what to do instead."""
from .base import Layer


class _ForeignLayer(Layer):
    _framework = None
    _instead = None

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} runs {self._framework} code inside a layer; pynn computes "
            f"and differentiates its models in its own C engine, which cannot run or train "
            f"{self._framework} code, so pynn does not offer {type(self).__name__}. "
            f"{self._instead}")


class TorchModuleWrapper(_ForeignLayer):
    """Refused: Keras' wrapper of a ``torch.nn.Module`` as a layer.

    pynn cannot run or train a torch module inside its engine. Write the module
    with pynn layers (their weights have Keras' layouts, so a trained module's
    tensors can be copied in with ``set_weights``), or run it in torch.

    Parameters
    ----------
    module : torch.nn.Module
        Keras' argument; refused.
    *args, **kwargs
        Keras' other arguments (name, output_shape); refused.

    Raises
    ------
    NotImplementedError
        Always.

    Examples
    --------
    >>> pynn.layers.TorchModuleWrapper(None)
    Traceback (most recent call last):
    ...
    NotImplementedError: TorchModuleWrapper runs PyTorch code inside a layer; ...
    """
    _framework = "PyTorch"
    _instead = ("Rebuild the module with pynn layers and copy its tensors in with "
                "layer.set_weights (pynn keeps Keras' weight layouts).")


class JaxLayer(_ForeignLayer):
    """Refused: Keras' layer made of a JAX ``call_fn`` / ``init_fn``.

    Parameters
    ----------
    call_fn, init_fn, params, state, seed
        Keras' arguments; refused.
    **kwargs
        Base layer arguments; refused.

    Raises
    ------
    NotImplementedError
        Always.

    Examples
    --------
    >>> pynn.layers.JaxLayer(lambda x: x)
    Traceback (most recent call last):
    ...
    NotImplementedError: JaxLayer runs JAX code inside a layer; ...
    """
    _framework = "JAX"
    _instead = ("Write the computation with pynn.ops in a custom pynn.layers.Layer "
                "(build / call); the engine then differentiates it.")


class FlaxLayer(_ForeignLayer):
    """Refused: Keras' wrapper of a Flax ``nn.Module``.

    Parameters
    ----------
    module, method, variables
        Keras' arguments; refused.
    **kwargs
        Base layer arguments; refused.

    Raises
    ------
    NotImplementedError
        Always.

    Examples
    --------
    >>> pynn.layers.FlaxLayer(None)
    Traceback (most recent call last):
    ...
    NotImplementedError: FlaxLayer runs Flax (JAX) code inside a layer; ...
    """
    _framework = "Flax (JAX)"
    _instead = ("Rebuild the module with pynn layers and copy its parameters in with "
                "layer.set_weights.")


class TFSMLayer(_ForeignLayer):
    """Refused: Keras' layer that calls a TensorFlow SavedModel's endpoint.

    Parameters
    ----------
    filepath, call_endpoint, call_training_endpoint, trainable, name, dtype
        Keras' arguments; refused.

    Raises
    ------
    NotImplementedError
        Always.

    Examples
    --------
    >>> pynn.layers.TFSMLayer("saved_model_dir")
    Traceback (most recent call last):
    ...
    NotImplementedError: TFSMLayer runs TensorFlow code inside a layer; ...
    """
    _framework = "TensorFlow"
    _instead = ("Load a Keras model saved as a .keras file with pynn.load_model instead, or "
                "serve the SavedModel with TensorFlow.")
