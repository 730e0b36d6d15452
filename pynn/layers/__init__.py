"""Keras-style layers."""
from .base import Layer, Variable, clear_session  # noqa: F401
from ..functional import Input  # noqa: F401  (keras.layers.Input, as keras.Input)
from .core import Activation, Dense, Dropout, Flatten, InputLayer, Reshape  # noqa: F401
from .conv import Conv1D, Conv2D  # noqa: F401
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,  # noqa: F401
                      GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D,
                      GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from .normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .reshaping import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D,  # noqa: F401
                        ZeroPadding1D, ZeroPadding2D)
from .embedding import Embedding  # noqa: F401
from .attention import MultiHeadAttention  # noqa: F401
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN  # noqa: F401
from .merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: F401
                      Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                      subtract)
from ..text import TextVectorization  # noqa: F401  (a preprocessing step, as keras.layers')
from .activation import ELU, LeakyReLU, ReLU, Softmax  # noqa: F401
from .preprocessing import Normalization, Rescaling  # noqa: F401
from .wrappers import Lambda, Permute, RepeatVector, TimeDistributed  # noqa: F401

_REGISTRY = {}


def register(cls):
    """Makes a layer class known to from_config / load_model (by class name)."""
    _REGISTRY[cls.__name__] = cls
    return cls


for _cls in (Activation, Dense, Dropout, Flatten, InputLayer, Reshape, Embedding, SimpleRNN, LSTM,
             GRU, Bidirectional, MultiHeadAttention):
    register(_cls)
for _cls in (Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
             GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
             BatchNormalization, LayerNormalization, ZeroPadding1D, ZeroPadding2D, Cropping1D,
             Cropping2D, UpSampling1D, UpSampling2D, Add, Subtract, Multiply, Average, Maximum,
             Minimum, Concatenate, Dot):
    register(_cls)
for _cls in (Softmax, ReLU, LeakyReLU, ELU, Rescaling, Normalization):
    register(_cls)
for _cls in (Lambda, Permute, RepeatVector, TimeDistributed):
    register(_cls)


def get_class(name):
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown layer class {name!r}; known: {sorted(_REGISTRY)}. Custom layers "
                         f"must be registered with pynn.layers.register") from None
