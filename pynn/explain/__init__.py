"""pynn.explain: why did the model decide this?

Gradient attributions computed by the C engine in batches (IntegratedGradients,
Saliency, InputXGradient, with Captum's interface and numbers), model-agnostic
explanations (KernelSHAP as SHAP's KernelExplainer, LIME for tables and text,
permutation importance as scikit-learn's) and plots (matplotlib, optional)."""
from .integrated_gradients import IntegratedGradients
from .saliency import Saliency
from .input_x_gradient import InputXGradient
from .kernel_shap import KernelSHAP
from .lime_tabular import LimeTabularExplainer
from .lime_text import LimeTextExplainer
from .permutation import permutation_importance
from .plots import plot_attributions, plot_image_attributions, plot_text_attributions

__all__ = ["IntegratedGradients", "Saliency", "InputXGradient", "KernelSHAP", "LimeTabularExplainer",
           "LimeTextExplainer", "permutation_importance",
           "plot_attributions", "plot_image_attributions", "plot_text_attributions"]


def __dir__():
    return sorted(__all__)
