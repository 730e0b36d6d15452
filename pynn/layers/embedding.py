"""Embedding: integer token ids -> rows of a (input_dim, output_dim) table."""
import numpy as np

from .. import initializers, ops, regularizers
from .base import Layer, refuse_unsupported


class Embedding(Layer):
    """Turns integer ids into dense vectors: row ``i`` of a trainable table for id ``i``.

    Inputs are integer ids ``(batch, steps)`` (any integer or float dtype holding
    integers); the output is ``(batch, steps, output_dim)``.

    Parameters
    ----------
    input_dim : int
        Vocabulary size: ids must be in ``[0, input_dim)``.
    output_dim : int
        Size of each vector.
    embeddings_initializer : str or Initializer, default "uniform"
        Initializer of the table (Keras: uniform in [-0.05, 0.05]).
    embeddings_regularizer : str or Regularizer, optional
        Penalty on the table added to the training loss.
    embeddings_constraint : None
        Not supported (a value raises).
    mask_zero : bool, default False
        Treat id 0 as padding: the output carries a mask that the recurrent
        layers (SimpleRNN, LSTM, GRU) use to skip padded steps and
        MultiHeadAttention to ignore padded keys.
    input_length : int, optional
        Accepted for tf.keras compatibility.
    weights : array_like or list of one array, optional
        An initial ``(input_dim, output_dim)`` table, e.g. from
        `pynn.text.load_word_vectors`.
    **kwargs
        Base layer arguments (``trainable=False`` freezes pretrained vectors).

    Raises
    ------
    ValueError
        ``input_dim`` / ``output_dim`` not positive integers, or ids out of range.

    Examples
    --------
    >>> layer = pynn.layers.Embedding(10, 4)
    >>> layer(np.array([[1, 2, 0]])).shape
    (1, 3, 4)
    >>> table = np.arange(6, dtype=np.float32).reshape(3, 2)
    >>> pynn.layers.Embedding(3, 2, weights=table)(np.array([[2, 0]])).numpy()
    array([[[4., 5.],
            [0., 1.]]], dtype=float32)
    """

    _one_input = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, weights=None, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {v!r}")
        refuse_unsupported("Embedding", embeddings_constraint=embeddings_constraint)
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
        """Returns the padding mask for ``inputs`` (``ids != 0``), or None without ``mask_zero``.

        Parameters
        ----------
        inputs : array_like
            Integer ids ``(batch, steps)``.
        mask : ignored
            Accepted for Keras compatibility.

        Returns
        -------
        Tensor or None
            1.0 at real steps, 0.0 at padding.

        Examples
        --------
        >>> layer = pynn.layers.Embedding(10, 4, mask_zero=True)
        >>> layer.compute_mask(np.array([[5, 3, 0]])).numpy()
        array([[1., 1., 0.]], dtype=float32)
        """
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
