"""Input × gradient (Shrikumar et al. 2016), as Captum's InputXGradient."""
import numpy as np

from ._model import gradients, prepare


class InputXGradient:
    """InputXGradient(model).attribute(inputs, target=None) = x · ∂F/∂x (float64)."""

    def __init__(self, model):
        self.model = model

    def attribute(self, inputs, target=None):
        forward, x, flat_targets = prepare(self.model, inputs, target, "InputXGradient.attribute")
        grads = gradients(self.model, forward, x, flat_targets, max(len(x), 1))
        return x.astype(np.float64) * grads
