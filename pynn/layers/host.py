"""Preprocessing layers that compute in NumPy, on a model's raw inputs, before the
engine: TextVectorization, StringLookup, IntegerLookup, Hashing, CategoryEncoding,
Discretization.

The engine computes float32 tensors; strings and vocabularies never enter its
graph. So these layers are a *host stage*: in a model they must sit on the
model's inputs (or on other host layers), and the model runs them on the data
before handing the numeric result to the compiled program (pynn/host_stage.py).
Called on arrays they return NumPy arrays. They hold no trainable weights; what
they learn with ``adapt`` (vocabularies, bin boundaries, idf weights) is part of
their config, so it is saved with the model as JSON data."""
import numpy as np

from .base import Layer

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class HostLayer(Layer):
    """Base of the preprocessing layers that run in NumPy on a model's inputs."""

    _one_input = True
    _host = True          # the model runs it in its host stage, not in the engine
    _output_dtype = "int64"

    def __call__(self, inputs, *args, training=None, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__} '{self.name}' takes one input, got extra "
                            f"arguments {list(args) + sorted(kwargs)}")
        if getattr(inputs, "_is_symbolic", False):
            from ..functional import symbolic_call
            out = symbolic_call(self, inputs)
            out.dtype = self._output_dtype
            return out
        if hasattr(inputs, "numpy") and not isinstance(inputs, np.ndarray):
            inputs = inputs.numpy()  # a pynn Tensor (numbers) given eagerly
        return self.host_call(inputs)

    def host_call(self, inputs):
        """Runs the preprocessing on data: what ``layer(x)`` does on arrays, and what a
        model's host stage calls before the engine.

        Parameters
        ----------
        inputs : array_like
            A batch of raw values (strings, integers or numbers, as the layer takes).

        Returns
        -------
        numpy.ndarray
            int64 indices, or float32 encodings (strings for an inverted lookup).

        Raises
        ------
        TypeError
            Values of a kind the layer does not take (named).
        ValueError
            Values the layer cannot map (e.g. unknown tokens without OOV indices).

        Examples
        --------
        >>> pynn.layers.StringLookup(vocabulary=["a", "b"]).host_call(np.array(["b", "x"]))
        array([2, 0])
        """
        raise NotImplementedError

    def call(self, inputs, training=False):
        raise ValueError(
            f"{type(self).__name__} '{self.name}' is preprocessing: it runs in NumPy on a "
            f"model's inputs (or on other preprocessing layers), not inside the computed graph. "
            f"Call it on pynn.Input(...) or on data, not on the output of a computing layer")

    def build(self, input_shape):
        self.built = True

    def _fail_type(self, what, got):
        raise TypeError(f"{type(self).__name__} '{self.name}': expected {what}, got {got}")


def check_output_mode(who, output_mode, allowed=OUTPUT_MODES, binary_alias=False):
    """output_mode in Keras' spelling; binary_alias: the layer takes tf.keras' "binary" for
    "multi_hot", as Keras 3's IndexLookup and CategoryEncoding still do."""
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    if binary_alias and output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode not in allowed:
        raise ValueError(f"{who}: output_mode must be one of {list(allowed)}, got {output_mode!r}")
    return output_mode


def encoded_shape(input_shape, output_mode, depth):
    """Keras' output shapes for the encoded modes: one_hot appends the depth (or
    replaces a last axis of size 1); multi_hot / count / tf_idf treat the last axis
    as the sample's tokens and replace it with the depth."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def encode(who, indices, output_mode, depth, idf_weights=None, count_weights=None):
    """int64 indices -> float32 one_hot / multi_hot / count / tf_idf, as Keras'
    encode_categorical_inputs: one_hot adds a depth axis (replacing a last axis of
    size 1); the others read the last axis as one sample's tokens (a 1-D input is
    one sample). Indices < 0 (dropped mask tokens) count nowhere."""
    indices = np.asarray(indices, np.int64)
    if output_mode == "int":
        return indices
    if indices.ndim == 0:
        indices = indices[None]
    if indices.size and indices.max() >= depth:
        raise ValueError(f"{who}: input values must be in [0, {depth}) to encode into {depth} "
                         f"bins; got {int(indices.max())}")
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        indices = indices[..., None]  # one token per "sample"
    rows = indices.reshape(-1, indices.shape[-1])
    out = np.zeros((rows.shape[0], depth), np.float32)
    weights = None if count_weights is None else \
        np.broadcast_to(np.asarray(count_weights, np.float32), indices.shape).reshape(rows.shape)
    row = np.broadcast_to(np.arange(rows.shape[0])[:, None], rows.shape)
    keep = rows >= 0
    if output_mode in ("one_hot", "multi_hot"):
        out[row[keep], rows[keep]] = 1.0
    else:
        np.add.at(out, (row[keep], rows[keep]), 1.0 if weights is None else weights[keep])
    if output_mode == "tf_idf":
        out *= np.asarray(idf_weights, np.float32)[:depth]
    return out.reshape(indices.shape[:-1] + (depth,))


def is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
