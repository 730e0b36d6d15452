"""Keras-style layers, with Keras 3's names, arguments, defaults and weight layouts.

Every layer is configured by its constructor, creates its weights the first
time it is called (from the input's shape) and computes with pynn.ops, whose
forward and backward run in C. Use them in a Sequential, on the tensors of a
functional graph (``pynn.Input``), or call them eagerly on arrays:

>>> layer = pynn.layers.Dense(3, activation="relu")
>>> layer(np.ones((2, 4), np.float32)).shape
(2, 3)

Write your own by subclassing `Layer` (``build`` and ``call``) and register it
with `register` so that `pynn.load_model` can rebuild it. The layers are also
available at the top level (``pynn.Dense``), as ``keras.layers`` are.
"""
from .base import Layer, Variable, clear_session  # noqa: F401
from ..functional import Input  # noqa: F401  (keras.layers.Input, as keras.Input)
from .core import Activation, Dense, Dropout, Flatten, Identity, InputLayer, Reshape  # noqa: F401
from .conv import Conv1D, Conv2D, Convolution1D, Convolution2D  # noqa: F401
from .conv3d import Conv3D, Convolution3D  # noqa: F401
from .conv_transpose import (Conv1DTranspose, Conv2DTranspose, Convolution1DTranspose,  # noqa: F401
                             Convolution2DTranspose)
from .conv_depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D  # noqa: F401
from .conv_depthwise1d import (DepthwiseConv1D, SeparableConv1D,  # noqa: F401
                               SeparableConvolution1D)
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,  # noqa: F401
                      GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D,
                      GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from .pooling_adaptive import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,  # noqa: F401
                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                               AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
from .pooling3d import (AveragePooling3D, AvgPool3D, GlobalAveragePooling3D,  # noqa: F401
                        GlobalAvgPool3D, GlobalMaxPool3D, GlobalMaxPooling3D, MaxPool3D,
                        MaxPooling3D)
from .normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .normalization_more import (GroupNormalization, RMSNormalization,  # noqa: F401
                                 UnitNormalization)
from .regularization import (ActivityRegularization, AlphaDropout, GaussianDropout,  # noqa: F401
                             GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from .reshaping import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D,  # noqa: F401
                        ZeroPadding1D, ZeroPadding2D)
from .reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .einsum_dense import EinsumDense  # noqa: F401
from .masking import Masking  # noqa: F401
from .attention import MultiHeadAttention  # noqa: F401
from .attention_score import AdditiveAttention, Attention  # noqa: F401
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN  # noqa: F401
from .rnn_cells import (RNN, GRUCell, LSTMCell, SimpleRNNCell,  # noqa: F401
                        StackedRNNCells)
from .merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: F401
                      Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                      subtract)
from .text_vectorization import TextVectorization  # noqa: F401  (also pynn.text.TextVectorization)
from .activation import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from .preprocessing import Normalization, Rescaling  # noqa: F401
from .lookup import IntegerLookup, StringLookup  # noqa: F401
from .categorical import CategoryEncoding, Discretization, Hashing  # noqa: F401
from .image_preprocessing import (RandomContrast, RandomFlip, RandomRotation,  # noqa: F401
                                  RandomTranslation, RandomZoom, Resizing)
from .image_crop import CenterCrop, RandomBrightness, RandomCrop  # noqa: F401
from .image_color import RandomColorDegeneration, RandomGrayscale, RandomInvert  # noqa: F401
from .wrappers import Lambda, Permute, RepeatVector, TimeDistributed  # noqa: F401
from .conv3d_transpose import Conv3DTranspose, Convolution3DTranspose  # noqa: F401
from .input_spec import InputSpec  # noqa: F401
from .wrapper import Wrapper  # noqa: F401
from .reversible_embedding import ReversibleEmbedding  # noqa: F401
from .image_tone import (AutoContrast, RandomPosterization, RandomSharpness,  # noqa: F401
                         Solarization)
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: F401
from .image_erasing import RandomErasing  # noqa: F401
from .image_saturation import RandomHue, RandomSaturation  # noqa: F401
from .spectral_normalization import SpectralNormalization  # noqa: F401
from .grouped_query_attention import GroupQueryAttention, GroupedQueryAttention  # noqa: F401
from .pipeline import Pipeline  # noqa: F401
from .backend_wrappers import FlaxLayer, JaxLayer, TFSMLayer, TorchModuleWrapper  # noqa: F401
from .image_jitter import RandomColorJitter  # noqa: F401
from .image_shear import RandomShear  # noqa: F401
from .image_equalization import Equalization  # noqa: F401
from .image_mix import CutMix, MixUp  # noqa: F401
from .image_blur import RandomGaussianBlur  # noqa: F401
from .image_perspective import RandomPerspective  # noqa: F401
from .image_randaugment import RandAugment  # noqa: F401
from .bounding_boxes import MaxNumBoundingBoxes  # noqa: F401
from .hashed_crossing import HashedCrossing  # noqa: F401
from .audio import MelSpectrogram, STFTSpectrogram  # noqa: F401
from .operation import OpLayer  # noqa: F401  (pynn.ops calls in a graph; not public)

# The public names (the submodules base, core, conv, ... are implementation)
__all__ = [
    "Layer", "Variable", "clear_session", "Input", "register", "serialize", "deserialize",
    "Activation", "Dense", "Dropout", "Flatten", "InputLayer", "Reshape", "Conv1D", "Conv2D",
    "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D",
    "MaxPooling1D", "MaxPooling2D", "BatchNormalization", "LayerNormalization", "Cropping1D",
    "Cropping2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Embedding",
    "MultiHeadAttention", "Masking", "GRU", "LSTM", "Bidirectional", "SimpleRNN", "Add", "Average",
    "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
    "concatenate", "dot", "maximum", "minimum", "multiply", "subtract", "TextVectorization",
    "ELU", "LeakyReLU", "ReLU", "Softmax", "Normalization", "Rescaling",
    "StringLookup", "IntegerLookup", "CategoryEncoding", "Hashing", "Discretization",
    "Lambda", "Permute", "RepeatVector", "TimeDistributed",
    "Conv1DTranspose", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
    "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
    "Resizing", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
    # Keras 3 layers added for issue #13
    "ActivityRegularization", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D", "AdditiveAttention", "AlphaDropout", "Attention", "AveragePooling3D",
    "AvgPool3D", "CenterCrop", "Conv3D", "Convolution1D", "Convolution1DTranspose",
    "Convolution2D", "Convolution2DTranspose", "Convolution3D", "Cropping3D", "DepthwiseConv1D",
    "EinsumDense", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling3D", "GlobalAvgPool3D",
    "GlobalMaxPool3D", "GlobalMaxPooling3D", "GroupNormalization", "Identity", "MaxPool3D",
    "MaxPooling3D", "PReLU", "RMSNormalization", "RandomBrightness", "RandomColorDegeneration",
    "RandomCrop", "RandomGrayscale", "RandomInvert", "SeparableConv1D", "SeparableConvolution1D",
    "SeparableConvolution2D", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "UnitNormalization", "UpSampling3D", "ZeroPadding3D",
    # Keras 3 layers added in session 8
    "Conv3DTranspose", "Convolution3DTranspose", "InputSpec", "Wrapper", "ReversibleEmbedding",
    "GroupQueryAttention", "Solarization", "RandomPosterization", "AutoContrast",
    "RandomSharpness", "ConvLSTM1D", "ConvLSTM2D", "RandomErasing",
    "SpectralNormalization", "RandomSaturation", "RandomHue",
    # Keras 3 layers added in session 9 (the backend wrappers refuse by name)
    "ConvLSTM3D", "Pipeline", "RandomColorJitter", "HashedCrossing", "MelSpectrogram",
    "STFTSpectrogram", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "TFSMLayer",
    "RandomShear", "Equalization", "MixUp", "CutMix", "RandomGaussianBlur",
    "RandomPerspective", "RandAugment", "MaxNumBoundingBoxes",
]


def __dir__():
    return sorted(__all__)

_REGISTRY = {}


def register(cls):
    """Makes a custom layer class known to ``from_config`` and `pynn.load_model` by its class name.

    Use it as a class decorator. A registered layer needs a ``get_config`` that
    returns its constructor arguments. Loading never imports or runs code from
    the file: only registered classes (or ``custom_objects``) can be rebuilt.

    Parameters
    ----------
    cls : type
        A subclass of `pynn.layers.Layer`.

    Returns
    -------
    type
        ``cls`` itself, so that it works as a decorator.

    Examples
    --------
    >>> @pynn.layers.register
    ... class Double(pynn.layers.Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2.0
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "double.keras")
    >>> pynn.Sequential([pynn.Input(shape=(2,)), Double()]).save(path)
    >>> pynn.load_model(path).predict(np.array([[1.0, 2.0]]), verbose=0)
    array([[2., 4.]], dtype=float32)
    """
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
for _cls in (Softmax, ReLU, LeakyReLU, ELU, Rescaling, Normalization, Masking):
    register(_cls)
for _cls in (Lambda, Permute, RepeatVector, TimeDistributed, OpLayer):
    register(_cls)
for _cls in (TextVectorization, StringLookup, IntegerLookup, CategoryEncoding, Hashing,
             Discretization):
    register(_cls)
for _cls in (Conv1DTranspose, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, RNN,
             SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, Resizing, RandomFlip,
             RandomRotation, RandomZoom, RandomTranslation, RandomContrast):
    register(_cls)
for _cls in (ActivityRegularization, AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
             AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
             AdaptiveMaxPooling3D, AdditiveAttention, AlphaDropout, Attention, AveragePooling3D,
             CenterCrop, Conv3D, Cropping3D, DepthwiseConv1D, EinsumDense, GaussianDropout,
             GaussianNoise, GlobalAveragePooling3D, GlobalMaxPooling3D, GroupNormalization,
             Identity, MaxPooling3D, PReLU, RMSNormalization, RandomBrightness,
             RandomColorDegeneration, RandomCrop, RandomGrayscale, RandomInvert, SeparableConv1D,
             SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, UnitNormalization,
             UpSampling3D, ZeroPadding3D):
    register(_cls)
for _cls in (Conv3DTranspose, ReversibleEmbedding, GroupQueryAttention, Solarization,
             RandomPosterization, AutoContrast, RandomSharpness, ConvLSTM1D, ConvLSTM2D,
             RandomErasing, SpectralNormalization, RandomSaturation, RandomHue):
    register(_cls)
for _cls in (ConvLSTM3D, Pipeline, RandomColorJitter, HashedCrossing, MelSpectrogram,
             STFTSpectrogram, RandomShear, Equalization, MixUp, CutMix, RandomGaussianBlur,
             RandomPerspective, RandAugment, MaxNumBoundingBoxes):
    register(_cls)


def serialize(layer):
    """Returns a layer's description for `deserialize` (Keras' ``keras.layers.serialize``):
    ``{"module", "class_name", "config", "registered_name"}``.

    Parameters
    ----------
    layer : Layer
        The layer (its configuration, not its weights).

    Returns
    -------
    dict

    Examples
    --------
    >>> cfg = pynn.layers.serialize(pynn.layers.Dense(4, activation="relu"))
    >>> cfg["class_name"], cfg["config"]["activation"]
    ('Dense', 'relu')
    """
    from ..serialization import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Creates a new layer (fresh weights) from what `serialize` returned.

    Parameters
    ----------
    config : dict
        A serialized layer.
    custom_objects : dict, optional
        Custom layer classes by name (registered ones are found anyway).

    Returns
    -------
    Layer

    Raises
    ------
    ValueError
        An unknown class.

    Examples
    --------
    >>> layer = pynn.layers.deserialize(pynn.layers.serialize(pynn.layers.Dense(4)))
    >>> layer.units
    4
    """
    from ..serialization import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects)


def get_class(name):
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown layer class {name!r}; known: {sorted(_REGISTRY)}. Custom layers "
                         f"must be registered with pynn.layers.register") from None
