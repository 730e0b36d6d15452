"""keras.ops.nn: the neural-network functions of ``keras.ops`` under their Keras
namespace (``ops.nn.relu(x)``); the same functions as ``pynn.ops.relu`` etc.

``gelu`` here is ``keras.ops.gelu``: the tanh approximation by default
(``approximate=True``), as in Keras; ``pynn.activations.gelu`` is exact by
default, as ``keras.activations.gelu``."""
from . import (elu, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu, log_softmax,  # noqa: F401
               moments, one_hot, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign,
               swish)

__all__ = ["elu", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "log_softmax",
           "moments", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
           "softsign", "swish"]
