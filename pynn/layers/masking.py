"""Masking: marks the steps whose features all equal mask_value as padding."""
from .. import ops
from .base import Layer


class Masking(Layer):
    """Masks the steps of a sequence whose features all equal ``mask_value``.

    The output is the input with those steps set to 0, and it carries the mask
    (``_keras_mask``, ``(batch, steps)``, 1 at the steps to use) that recurrent
    layers, GlobalAveragePooling1D and custom ``call(inputs, mask=None)``
    layers downstream use, as Keras' ``Masking`` does.

    Parameters
    ----------
    mask_value : float, default 0.0
        The padding value.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        An input of rank below 2 (no steps to mask), named with the layer.

    Examples
    --------
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    >>> out = pynn.layers.Masking()(x)
    >>> out._keras_mask.numpy()
    array([[1., 0., 1.]], dtype=float32)
    """
    _one_input = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def _check_input(self, shape):
        if len(shape) < 3:
            raise ValueError(f"Masking '{self.name}' expects (batch, steps, features) inputs, got "
                             f"per-sample shape {tuple(shape[1:])}")

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs, training=False):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        out = inputs * keep
        out._keras_mask = ops.squeeze(keep, axis=-1)  # computed once with the output
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
