"""Attention (Luong-style dot product) and AdditiveAttention (Bahdanau-style), with
Keras 3's arguments, weights, masks and numbers (keras/src/layers/attention/
attention.py and additive_attention.py), composed of differentiable engine ops:

    scores  = q @ k.T (* scale)              Attention, score_mode="dot"
            = w * sum(tanh(scale * (q + k)))  Attention, score_mode="concat"
            = sum(scale * tanh(q + k))        AdditiveAttention
    scores -= 1e9 where the value mask (and the causal mask) forbid
    weights = softmax(scores), dropped out in training
    output  = weights @ v, zeroed at the query mask's padded steps
"""
import numpy as np

from .. import _C, ops
from ..tensor import Tensor
from .base import Layer


def _as_allowed(mask):
    """A mask (bool or 0/1, array or Tensor) as a 0/1 float Tensor."""
    if not isinstance(mask, Tensor):
        mask = Tensor(np.asarray(mask, np.float32))
    return ops.greater(mask, 0.5)


class Attention(Layer):
    """Dot-product attention of a query sequence over a value sequence (Keras' Attention).

    Call it on a list ``[query, value]`` or ``[query, value, key]`` (``key``
    defaults to ``value``) of shapes ``(batch, Tq, dim)``, ``(batch, Tv, dim)``,
    ``(batch, Tv, dim)``; the output is ``(batch, Tq, dim)`` of the value.
    ``mask=[query_mask, value_mask]`` (``(batch, Tq)``, ``(batch, Tv)``) defaults to
    the inputs' own masks (e.g. from ``Embedding(mask_zero=True)``): masked values
    get no weight, masked query steps give zeros, and the output carries the
    query's mask.

    Parameters
    ----------
    use_scale : bool, default False
        Learn a scalar ``scale`` multiplying the scores (in "concat" mode: the
        sum inside tanh).
    score_mode : {"dot", "concat"}, default "dot"
        ``q @ k.T``, or ``concat_score_weight * sum(tanh(q + k), -1)``.
    dropout : float, default 0.0
        Dropout rate on the attention weights, in training only.
    seed : int, optional
        Saved for Keras compatibility; the dropout follows `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad ``score_mode`` or ``dropout``; inputs that are not a list of 2 or 3
        tensors of shape (batch, T, dim), or whose dims do not fit.

    Examples
    --------
    >>> query = np.array([[[1.0, 0.0]]], np.float32)
    >>> value = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)
    >>> np.round(pynn.layers.Attention()([query, value]).numpy(), 4)  # softmax([1, 0]) @ value
    array([[[0.7311, 0.2689]]], dtype=float32)
    >>> out, weights = pynn.layers.Attention()([query, value], return_attention_scores=True)
    >>> weights.shape
    (1, 1, 2)
    >>> pynn.layers.Attention()([query, value], mask=[None, np.array([[True, False]])]).numpy()
    array([[[1., 0.]]], dtype=float32)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{cls}: Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.number)) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{cls}: `dropout` must be a number in [0, 1), received "
                             f"dropout={dropout!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed
        self.supports_masking = True
        self._scores_wanted = False

    def __call__(self, inputs, *args, return_attention_scores=False, **kwargs):
        # recorded for compute_output_shape, which a functional graph asks before the call
        self._scores_wanted = bool(return_attention_scores)
        extra = {"return_attention_scores": True} if return_attention_scores else {}
        try:
            return super().__call__(inputs, *args, **extra, **kwargs)
        finally:
            self._scores_wanted = False

    def _check_input(self, shapes):
        who = f"{type(self).__name__} '{self.name}'"
        if not isinstance(shapes, list) or not 2 <= len(shapes) <= 3:
            got = f"a list of length {len(shapes)}" if isinstance(shapes, list) else \
                f"one tensor of shape {tuple(shapes)}"
            raise ValueError(f"{who} must be called on a list [query, value] or [query, value, "
                             f"key] (of length 2 or 3); got {got}")
        for what, s in zip(("query", "value", "key"), shapes):
            if len(s) != 3:
                raise ValueError(f"{who}: {what} must be (batch, T, dim); got a batch of shape "
                                 f"{tuple(s)}")
        q, v = shapes[0], shapes[1]
        k = shapes[2] if len(shapes) > 2 else v
        if k[1] != v[1]:
            raise ValueError(f"{who}: key and value need the same number of steps; got key "
                             f"{tuple(k)} and value {tuple(v)}")
        if q[-1] != k[-1]:
            raise ValueError(f"{who}: query and key need the same last dimension; got query "
                             f"{tuple(q)} and key {tuple(k)}")

    def build(self, input_shape):
        # Keras' weight order: scale, then concat_score_weight; both scalars initialised to 1
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight("concat_score_weight", (), "ones")
                                    if self.score_mode == "concat" else None)

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = ops.matmul(q, k, transpose_b=True)
            return scores * self.tensor(self.scale) if self.scale is not None else scores
        s = ops.expand_dims(q, 2) + ops.expand_dims(k, 1)            # (B, Tq, Tv, dim)
        if self.scale is not None:
            s = s * self.tensor(self.scale)
        return ops.sum(ops.tanh(s), axis=-1) * self.tensor(self.concat_score_weight)

    def call(self, inputs, training=False, mask=None, return_attention_scores=False,
             use_causal_mask=False):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = self._masks(inputs, mask)
        scores = self._scores(q, k)                                   # (B, Tq, Tv)
        allowed = None
        if v_mask is not None:
            allowed = ops.expand_dims(_as_allowed(v_mask), 1)         # (B, 1, Tv)
        if use_causal_mask:
            tri = np.tril(np.ones((1, q.shape[1], k.shape[1]), np.float32))
            allowed = tri if allowed is None else allowed * tri
        if allowed is not None:  # Keras: scores - 1e9 where not allowed (not a replacement)
            scores = ops.where(allowed, scores, scores - np.float32(1e9))
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _C.apply("dropout", [weights], rate=self.dropout, training=True)
        out = ops.matmul(weights, v)
        if q_mask is not None:
            qm = _as_allowed(q_mask)
            out = out * ops.expand_dims(qm, -1)
            out._keras_mask = qm
        return (out, weights) if return_attention_scores else out

    def _masks(self, inputs, mask):
        """Keras' mask=[query_mask, value_mask(, key_mask)], else the inputs' own masks."""
        if mask is None:
            mask = [getattr(t, "_keras_mask", None) for t in inputs]
        if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
            got = f"a list of length {len(mask)}" if isinstance(mask, (list, tuple)) else \
                f"{type(mask).__name__}"
            raise ValueError(f"{type(self).__name__} '{self.name}': the layer mask must be a "
                             f"list [query_mask, value_mask] (of length 2 or 3); got {got}")
        return mask[0], mask[1]

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)) or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        q, v = input_shape[0], input_shape[1]
        k = input_shape[2] if len(input_shape) > 2 else v
        out = (None,) + tuple(q[1:-1]) + (v[-1],)
        if self._scores_wanted:
            return [out, (None,) + tuple(q[1:-1]) + (k[-2],)]
        return out

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention of a query sequence over a value sequence
    (Keras' AdditiveAttention).

    As `Attention`, with scores ``sum(scale * tanh(q[:, :, None] + k[:, None]), -1)``,
    ``scale`` a learned vector of the feature size (glorot-uniform initialised).
    Calls, masks and outputs are those of `Attention`.

    Parameters
    ----------
    use_scale : bool, default True
        Learn the ``scale`` vector (else it is all ones).
    dropout : float, default 0.0
        Dropout rate on the attention weights, in training only.
    seed : int, optional
        Saved for Keras compatibility; the dropout follows `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A bad ``dropout``; inputs that are not a list of 2 or 3 tensors of shape
        (batch, T, dim), or whose dims do not fit.

    Examples
    --------
    >>> query = np.zeros((2, 3, 4), np.float32)
    >>> value = np.ones((2, 5, 4), np.float32)
    >>> layer = pynn.layers.AdditiveAttention()
    >>> layer([query, value]).shape, layer.scale.shape
    ((2, 3, 4), (4,))
    >>> layer([query, value], use_causal_mask=True, return_attention_scores=True)[1].numpy()[0, 0]
    array([1., 0., 0., 0., 0.], dtype=float32)
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        dim = int(input_shape[0][-1])
        self.scale = self.add_weight("scale", (dim,), "glorot_uniform") if self.use_scale else None
        self.concat_score_weight = None

    def _scores(self, q, k):
        t = ops.tanh(ops.expand_dims(q, 2) + ops.expand_dims(k, 1))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            t = t * self.tensor(self.scale)
        return ops.sum(t, axis=-1)

    def get_config(self):
        cfg = super().get_config()
        del cfg["score_mode"]  # as Keras: additive attention has one score
        return cfg
