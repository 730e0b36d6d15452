"""The trainer half of a model (compile, fit, evaluate, predict), apart from the
layer graph in `pynn.models`, as Keras 3 splits them."""
from .trainer import Trainer

__all__ = ["Trainer"]
