"""keras.ops.nn: the neural-network functions of ``keras.ops`` under their Keras
namespace (``ops.nn.relu(x)``); the same functions as ``pynn.ops.relu`` etc.

``gelu`` here is ``keras.ops.gelu``: the tanh approximation by default
(``approximate=True``), as in Keras; ``pynn.activations.gelu`` is exact by
default, as ``keras.activations.gelu``."""
from . import (binary_crossentropy, categorical_crossentropy,  # noqa: F401
               sparse_categorical_crossentropy, celu, elu, gelu, glu, hard_shrink, hard_sigmoid, hard_silu,  # noqa: F401
               hard_swish, hard_tanh, leaky_relu, log_sigmoid, log_softmax, moments, one_hot, relu,
               relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign, sparse_plus,
               squareplus, swish, tanh_shrink, threshold,
               # the functional forms of the layers (nn_conv.py, nn_norm.py, nn_more.py)
               adaptive_average_pool, adaptive_max_pool, average_pool, batch_normalization,
               conv, conv_transpose, depth_to_space, depthwise_conv, dot_product_attention,
               layer_normalization, max_pool, multi_hot, normalize, psnr, rms_normalization,
               separable_conv, space_to_depth, sparse_sigmoid, sparsemax,
               ctc_decode, ctc_loss, polar, fold, unfold)

__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
           "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "moments", "one_hot", "relu",
           "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
           "sparse_plus", "squareplus", "swish", "tanh_shrink", "threshold",
           "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
           "conv", "conv_transpose", "depth_to_space", "depthwise_conv", "dot_product_attention",
           "layer_normalization", "max_pool", "multi_hot", "normalize", "psnr",
           "rms_normalization", "separable_conv", "space_to_depth", "sparse_sigmoid", "sparsemax",
           "ctc_decode", "ctc_loss", "polar", "fold", "unfold"]
