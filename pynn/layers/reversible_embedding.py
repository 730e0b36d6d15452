"""ReversibleEmbedding (keras/src/layers/core/reversible_embedding.py): an Embedding
that also projects hidden states back to vocabulary logits, by default with the
transpose of its own table (tied weights, as in language models)."""
import numpy as np

from .. import ops
from .embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An Embedding that can be called in reverse: ``(..., output_dim) -> (..., input_dim)``.

    ``layer(ids)`` looks up vectors as `Embedding`; ``layer(hidden, reverse=True)``
    returns the logits ``hidden @ embeddings.T`` (or ``hidden @ reverse_embeddings``
    with ``tie_weights=False``), optionally soft-capped. No bias.

    Parameters
    ----------
    input_dim : int
        Vocabulary size.
    output_dim : int
        Size of each vector.
    tie_weights : bool, default True
        Reverse with the transpose of ``embeddings``; False: with a separate
        trainable ``reverse_embeddings`` of shape ``(output_dim, input_dim)``.
    embeddings_initializer : str or Initializer, default "uniform"
        Initializer of both tables.
    embeddings_regularizer : str or Regularizer, optional
        Penalty on ``embeddings``.
    embeddings_constraint : None
        Not supported: a value raises.
    mask_zero : bool, default False
        Id 0 is padding (forward calls only).
    reverse_dtype : None or "float32"
        pynn computes in float32.
    logit_soft_cap : float, optional
        Reverse logits become ``tanh(logits / cap) * cap``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad sizes, a non-positive soft cap, another reverse dtype, or reverse
        inputs whose last axis is not ``output_dim``.

    Examples
    --------
    >>> layer = pynn.layers.ReversibleEmbedding(10, 4)
    >>> hidden = layer(np.array([[1, 2, 3]]))
    >>> hidden.shape, layer(hidden, reverse=True).shape
    ((1, 3, 4), (1, 3, 10))
    >>> capped = pynn.layers.ReversibleEmbedding(10, 4, logit_soft_cap=0.5)
    >>> float(np.abs(capped(np.ones((2, 4), np.float32) * 100, reverse=True).numpy()).max()) <= 0.5
    True
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        if reverse_dtype not in (None, "float32"):
            raise ValueError(f"ReversibleEmbedding: reverse_dtype must be None or 'float32' (pynn "
                             f"computes in float32), got {reverse_dtype!r}")
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float, np.number)) or not logit_soft_cap > 0):
            raise ValueError(f"ReversibleEmbedding: logit_soft_cap must be a positive number or "
                             f"None, got {logit_soft_cap!r}")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = None if logit_soft_cap is None else float(logit_soft_cap)

    def build(self, input_shape):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight("reverse_embeddings",
                                                      (self.output_dim, self.input_dim),
                                                      self.embeddings_initializer)

    def call(self, inputs, training=False, reverse=False):
        if not reverse:
            return super().call(inputs, training=training)
        if int(inputs.shape[-1]) != self.output_dim:
            raise ValueError(f"ReversibleEmbedding '{self.name}': reverse=True takes vectors of "
                             f"size output_dim={self.output_dim} (last axis), got shape "
                             f"{tuple(inputs.shape)}")
        if self.tie_weights:  # the transpose is absorbed by GEMM's packing
            logits = ops.matmul(inputs, self.tensor(self.embeddings), transpose_b=True)
        else:
            logits = ops.matmul(inputs, self.tensor(self.reverse_embeddings))
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        """None, as Keras: the forward call attaches the padding mask itself.

        Parameters
        ----------
        inputs : array_like
            Ids or hidden states.
        mask : ignored
            Accepted for Keras compatibility.

        Examples
        --------
        >>> pynn.layers.ReversibleEmbedding(5, 2, mask_zero=True).compute_mask(np.zeros((1, 2))) is None
        True
        """
        return None

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(tie_weights=self.tie_weights, reverse_dtype=self.reverse_dtype,
                   logit_soft_cap=self.logit_soft_cap)
        return cfg
