"""Saliency (Simonyan et al. 2014), as Captum's: the gradient of the target
output with respect to the inputs, its absolute value by default."""
import numpy as np

from ._model import gradients, prepare


class Saliency:
    """Saliency(model).attribute(inputs, target=None, abs=True) -> float64 array of
    the inputs' shape. The whole batch is one forward and one backward."""

    def __init__(self, model):
        self.model = model

    def attribute(self, inputs, target=None, abs=True):
        forward, x, flat_targets = prepare(self.model, inputs, target, "Saliency.attribute")
        grads = gradients(self.model, forward, x, flat_targets, max(len(x), 1)).astype(np.float64)
        return np.abs(grads) if abs else grads
