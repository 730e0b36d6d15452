"""Embedding: integer token ids -> rows of a (input_dim, output_dim) table."""
import numpy as np

from .. import initializers, ops, regularizers
from .base import Layer


class Embedding(Layer):
    """Keras Embedding. With mask_zero=True id 0 is padding: the output carries a
    (batch, T) mask (``_keras_mask``) that the recurrent layers consume.
    ``weights`` sets the table at once (e.g. from pynn.text.load_word_vectors)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, weights=None, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {v!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:  # Keras 3: a (input_dim, output_dim) matrix, or [matrix]
            self.build(None)
            self.built = True
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer)

    def call(self, inputs, training=False):
        out = ops.embedding(inputs, self.tensor(self.embeddings))
        if self.mask_zero:
            out._keras_mask = ops.embedding_mask(inputs)
        return out

    def compute_mask(self, inputs, mask=None):
        return ops.embedding_mask(inputs) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(input_dim=self.input_dim, output_dim=self.output_dim,
                   embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                   embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                   mask_zero=self.mask_zero)
        return cfg
