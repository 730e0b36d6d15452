"""MultiHeadAttention with Keras 3's weights and call signature.

Projections are Keras' EinsumDense weights: query/key kernels (dim, heads,
key_dim), value kernel (dim, heads, value_dim), output kernel (heads,
value_dim, query_dim). Their memory is exactly a (dim, heads*key_dim) matrix,
so each projection is one matmul over a reshaped view and the heads stay
inside the (batch, T, heads*depth) layout the fused attention op reads."""
import numpy as np

from .. import _C, initializers, ops, regularizers
from .base import Layer, refuse_unsupported


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al.), with Keras 3's weights.

    Call it as ``layer(query, value, key=None, attention_mask=None,
    use_causal_mask=False)`` on tensors ``(batch, T, dim)``; the output has the
    query's shape. The projections have Keras' EinsumDense layouts (query/key
    kernels ``(dim, heads, key_dim)``, output kernel ``(heads, value_dim, dim)``),
    so weights port from Keras as they are; attention itself is one fused op.
    Padding masks from ``Embedding(mask_zero=True)`` are applied automatically;
    ``query_mask=``, ``value_mask=`` and ``key_mask=`` ((batch, T) each) are ANDed
    into the attention mask as in Keras.

    Parameters
    ----------
    num_heads : int
        Number of attention heads.
    key_dim : int
        Size of each head for query and key.
    value_dim : int, optional
        Size of each head for value (default ``key_dim``).
    dropout : float, default 0.0
        Dropout rate on the attention probabilities, in training only (the
        engine's dropout op, seeded by `pynn.set_seed`).
    use_bias : bool, default True
        Whether the projections have biases.
    output_shape, attention_axes : None
        Not supported (a value raises).
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the projection kernels.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the biases.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported (a value raises).
    seed : int, optional
        Stored for Keras compatibility; the dropout masks follow `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, no ``value``, or inputs that are not 3-D.

    Examples
    --------
    >>> layer = pynn.layers.MultiHeadAttention(num_heads=2, key_dim=8)
    >>> query = np.zeros((2, 5, 16), np.float32)
    >>> value = np.zeros((2, 7, 16), np.float32)
    >>> layer(query, value).shape
    (2, 5, 16)
    >>> layer(query, query, use_causal_mask=True).shape  # self-attention, no look-ahead
    (2, 5, 16)
    >>> layer.weights[0].shape  # query kernel (dim, heads, key_dim)
    (16, 2, 8)
    >>> out, scores = layer(query, value, return_attention_scores=True)
    >>> scores.shape  # (batch, heads, Tq, Tk), before dropout, as in Keras
    (2, 2, 5, 7)
    """
    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"MultiHeadAttention: {name} must be a positive integer, got {v!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        refuse_unsupported("MultiHeadAttention", activity_regularizer=activity_regularizer,
                           kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        if output_shape is not None or attention_axes is not None:
            raise ValueError("MultiHeadAttention: output_shape and attention_axes are not supported")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.use_bias = bool(use_bias)
        self.dropout, self.seed = float(dropout), seed
        self._scores_wanted = False  # set by __call__ for compute_output_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.supports_masking = True

    def __call__(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
                 training=False, return_attention_scores=False, query_mask=None, value_mask=None,
                 key_mask=None):
        if value is None and isinstance(query, (list, tuple)) and len(query) in (2, 3):
            # a loaded functional graph replays the call with its input list
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError(f"{type(self).__name__} needs query and value: layer(query, value)")
        if self._query_mask_from_query:
            # Keras 3's MultiHeadAttention.call replaces `query_mask` by the query's own
            # Keras mask: an explicit query_mask= changes nothing (keras.io's translation
            # Transformer passes one with a query that has no mask; its padded steps then
            # attend to every key)
            query_mask = None
        masks = {"query_mask": query_mask if query_mask is not None
                 else getattr(query, "_keras_mask", None),
                 "value_mask": value_mask if value_mask is not None
                 else getattr(value, "_keras_mask", None),
                 # Keras fills key_mask from an explicit key's own mask as well
                 "key_mask": key_mask if key_mask is not None
                 else getattr(key, "_keras_mask", None) if key is not None else None}
        inputs = [query, value] + ([key] if key is not None else [])
        extra = {"return_attention_scores": True} if return_attention_scores else {}
        self._scores_wanted = bool(return_attention_scores)
        try:
            return super().__call__(inputs, training=training, attention_mask=attention_mask,
                                    use_causal_mask=use_causal_mask, **masks, **extra)
        finally:
            self._scores_wanted = False

    _query_mask_from_query = True  # GroupQueryAttention takes an explicit one, as Keras'

    def _check_input(self, shapes):
        for what, s in zip(("query", "value", "key"), shapes):
            if len(s) != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': {what} must be (batch, T, dim), "
                                 f"i.e. per-sample (T, dim); got a batch of shape "
                                 f"({', '.join(str(d) for d in s)})")

    def build(self, shapes):
        q_dim, v_dim = shapes[0][-1], shapes[1][-1]
        k_dim = shapes[2][-1] if len(shapes) > 2 else v_dim
        H, kd, vd = self.num_heads, self.key_dim, self.value_dim
        w = lambda name, shape: self.add_weight(name, shape, self.kernel_initializer,
                                                self.kernel_regularizer)
        b = lambda name, shape: (self.add_weight(name, shape, self.bias_initializer,
                                                 self.bias_regularizer) if self.use_bias else None)
        self.query_kernel, self.query_bias = w("query/kernel", (q_dim, H, kd)), b("query/bias", (H, kd))
        self.key_kernel, self.key_bias = w("key/kernel", (k_dim, H, kd)), b("key/bias", (H, kd))
        self.value_kernel, self.value_bias = w("value/kernel", (v_dim, H, vd)), b("value/bias", (H, vd))
        self.output_kernel = w("attention_output/kernel", (H, vd, q_dim))
        self.output_bias = b("attention_output/bias", (q_dim,))

    def _project(self, x, kernel, bias):
        k = self.tensor(kernel)
        y = ops.matmul(x, ops.reshape(k, (-1, k.shape[-1] if kernel is self.output_kernel
                                          else k.shape[1] * k.shape[2])))
        if bias is not None:
            bt = self.tensor(bias)
            y = y + ops.reshape(bt, (-1,))
        return y

    def call(self, inputs, training=False, attention_mask=None, use_causal_mask=False,
             query_mask=None, value_mask=None, key_mask=None, return_attention_scores=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q = self._project(query, self.query_kernel, self.query_bias)
        k = self._project(key, self.key_kernel, self.key_bias)
        v = self._project(value, self.value_kernel, self.value_bias)
        mask = self._combined_mask(query, value, attention_mask, query_mask, value_mask,
                                   key_mask)
        scores = None
        if return_attention_scores or (training and self.dropout):
            o, scores = self._attend(q, k, v, mask, use_causal_mask, training)
        else:  # the fused op: no probabilities to keep or drop
            o = ops.scaled_dot_product_attention(q, k, v, mask, causal=use_causal_mask,
                                                 num_heads=self.num_heads,
                                                 scale=1.0 / np.sqrt(self.key_dim))
        out = self._project(o, self.output_kernel, self.output_bias)
        if query_mask is not None:
            out._keras_mask = query_mask
        return (out, scores) if return_attention_scores else out

    def _attend(self, q, k, v, mask, causal, training):
        """Attention op by op, as Keras' _compute_attention: the probabilities
        (batch, heads, Tq, Tk) exist to be returned and dropped out. Masked scores
        become -1e9 before the softmax and 0 after it (Keras' Softmax(mask))."""
        H, kd, vd = self.num_heads, self.key_dim, self.value_dim
        Tq, Tk = q.shape[1], k.shape[1]
        heads = lambda t, T, d: ops.transpose(ops.reshape(t, (-1, T, H, d)), (0, 2, 1, 3))  # noqa: E731
        scores = ops.matmul(heads(q, Tq, kd) * np.float32(1.0 / np.sqrt(kd)), heads(k, Tk, kd),
                            transpose_b=True)                                 # (B, H, Tq, Tk)
        allowed = None
        if mask is not None:
            m = ops.greater(mask, 0.5)
            allowed = ops.reshape(m, (-1, 1, 1, Tk) if len(m.shape) == 2 else (-1, 1, Tq, Tk))
        if causal:
            tri = np.tril(np.ones((Tq, Tk), np.float32))
            allowed = tri if allowed is None else allowed * tri
        if allowed is not None:
            scores = ops.where(allowed, scores, np.float32(-1e9))
        probs = ops.softmax(scores, axis=-1)
        if allowed is not None:
            probs = ops.where(allowed, probs, np.float32(0))
        dropped = probs
        if training and self.dropout:
            dropped = _C.apply("dropout", [probs], rate=self.dropout, training=True)
        o = ops.matmul(dropped, heads(v, Tk, vd))                              # (B, H, Tq, vd)
        return ops.reshape(ops.transpose(o, (0, 2, 1, 3)), (-1, Tq, H * vd)), probs

    @staticmethod
    def _combined_mask(query, value, attention_mask, query_mask, value_mask, key_mask=None):
        """Keras' rule: attention_mask & query_mask[:, :, None] & value_mask[:, None, :]
        & key_mask[:, None, :] (the key's padding is the value's time axis too)."""
        if key_mask is not None:
            Tk = value.shape[1]
            km = ops.reshape(key_mask, (-1, Tk))
            value_mask = km if value_mask is None else ops.reshape(value_mask, (-1, Tk)) * km
        if query_mask is None and value_mask is None:
            return attention_mask
        Tq, Tk = query.shape[1], value.shape[1]
        m = attention_mask
        if query_mask is not None:
            # times ones rather than broadcast_to: no batch size baked into the graph
            qm = ops.reshape(query_mask, (-1, Tq, 1)) * np.ones((1, 1, Tk), np.float32)
            m = qm if m is None else m * qm
        if value_mask is not None:
            vm = ops.reshape(value_mask, (-1, 1, Tk))
            m = vm if m is None else m * vm
            if query_mask is None and attention_mask is None:
                return value_mask  # (batch, Tk) key padding: the op broadcasts it
        return m

    def compute_output_shape(self, shapes):
        if self._scores_wanted:  # (output, scores (batch, heads, Tq, Tk))
            return [tuple(shapes[0]), (None, self.num_heads, shapes[0][1], shapes[1][1])]
        return tuple(shapes[0])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
                   dropout=self.dropout, seed=self.seed, use_bias=self.use_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg
