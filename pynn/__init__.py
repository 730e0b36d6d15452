"""pynn: a small, fast deep-learning library for the CPU.

A pure-C autograd engine (reverse mode, our own GEMM, fused kernels, C
optimizers) under a Keras-like API.
"""
import os as _os

from . import _C
from .tensor import Tensor, no_grad, is_grad_enabled
from . import ops
from . import (activations, callbacks, initializers, layers, losses, metrics, optimizers,
               regularizers, schedules, datasets)
from .functional import Input
from .layers import *  # noqa: F401,F403  (Dense, Dropout, ... at top level too)
from .models import Model, Sequential
from .layers.base import Variable  # keras.Variable
from . import backend, data, saving, text, utils  # noqa: E402,F401
from . import federated, footprint, privacy  # noqa: E402,F401
from .saving import load_model, save_model  # noqa: E402

__version__ = "0.1.0"


def set_seed(seed):
    """Makes initialisation, shuffling, dropout and DP noise bit-identical from
    run to run (seeds the engine's generator and pynn's NumPy generator)."""
    if not isinstance(seed, (int,)) or isinstance(seed, bool):
        raise TypeError(f"set_seed expects an int, got {type(seed).__name__}")
    _C.set_seed(seed & 0xFFFFFFFFFFFFFFFF)
    from . import random as _random
    _random.seed(seed)


def set_num_threads(n):
    """Sets the size of the engine's worker pool (also PYNN_NUM_THREADS)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads():
    return _C.get_num_threads()


def __getattr__(name):
    # the trust tools load on first use: `pynn.explain`, `pynn.fairness`
    if name in ("explain", "fairness"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pynn' has no attribute {name!r}")
