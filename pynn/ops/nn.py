"""keras.ops.nn: the neural-network functions of ``keras.ops`` under their Keras
namespace (``ops.nn.relu(x)``); the same functions as ``pynn.ops.relu`` etc.

Note: pynn's ``gelu`` defaults to the exact form (``approximate=False``), as
``keras.activations.gelu``; ``keras.ops.gelu`` defaults to the tanh approximation,
so a ported ``ops.gelu(x)`` differs from Keras by up to ~1e-3 unless it passes
``approximate=True``."""
from . import (elu, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu, log_softmax,  # noqa: F401
               moments, one_hot, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign,
               swish)

__all__ = ["elu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "log_softmax",
           "moments", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
           "softsign", "swish"]
