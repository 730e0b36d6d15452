"""GroupQueryAttention, class GroupedQueryAttention (keras/src/layers/attention/grouped_query_attention.py):
attention whose key/value projections have fewer heads than the query's, each
key/value head shared by ``num_query_heads // num_key_value_heads`` query heads.

It is MultiHeadAttention with narrower key and value kernels: the projected keys
and values are repeated along the head axis (differentiably, so each shared head
gets the gradients of all its query heads), then the same fused attention op (or,
for scores and dropout, the same op-by-op path) runs on num_query_heads heads."""
import numpy as np

from .. import initializers, ops, regularizers
from .attention import MultiHeadAttention


def _positive_int(name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"GroupQueryAttention: `{name}` must be a positive integer, got "
                         f"{value!r}")
    return int(value)


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Ainslie et al., 2023), with Keras 3's weights and call.

    ``layer(query, value, key=None, attention_mask=None, use_causal_mask=False,
    return_attention_scores=False)`` on ``(batch, T, dim)`` tensors; the output has
    the query's shape. Kernels have Keras' EinsumDense layouts: query ``(dim,
    num_query_heads, head_dim)``, key and value ``(dim, num_key_value_heads,
    head_dim)``, output ``(num_query_heads, head_dim, dim)``.

    Parameters
    ----------
    head_dim : int
        Size of each head.
    num_query_heads : int
        Number of query heads.
    num_key_value_heads : int
        Number of key/value heads; must divide ``num_query_heads`` (1: multi-query
        attention; ``num_query_heads``: multi-head attention).
    dropout : float, default 0.0
        Dropout on the attention probabilities (training only).
    use_bias : bool, default True
        Biases in the projections.
    sliding_window : int, optional
        Query i attends to keys j with ``|i - j| < sliding_window`` only.
    flash_attention : None or False
        Keras' backend switch; pynn always runs its own fused op.
    kernel_initializer, bias_initializer : str or Initializer
        Initializers of the projections.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties on the projections.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported: a value raises.
    use_gate : bool, default False
        Multiply the attention output by ``sigmoid(query @ gate_kernel + gate_bias)``
        before the output projection (Keras' gated attention).
    seed : int, optional
        Kept for Keras compatibility; dropout follows `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Non-positive sizes, ``num_query_heads`` not divisible by
        ``num_key_value_heads``, a bad ``sliding_window``, or inputs that are not
        ``(batch, T, dim)``.

    Examples
    --------
    >>> layer = pynn.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
    ...                                         num_key_value_heads=2)
    >>> x = np.zeros((2, 5, 8), np.float32)
    >>> layer(x, x).shape
    (2, 5, 8)
    >>> [tuple(w.shape) for w in layer.weights[::2]]  # query, key, value, output kernels
    [(8, 4, 4), (8, 2, 4), (8, 2, 4), (4, 4, 8)]
    >>> layer(x, x, return_attention_scores=True)[1].shape
    (2, 4, 5, 5)
    """

    _query_mask_from_query = False  # Keras' GroupedQueryAttention.call keeps query_mask=

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        head_dim = _positive_int("head_dim", head_dim)
        num_query_heads = _positive_int("num_query_heads", num_query_heads)
        num_key_value_heads = _positive_int("num_key_value_heads", num_key_value_heads)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        if flash_attention:
            raise ValueError("GroupQueryAttention: flash_attention is a Keras backend option; "
                             "pynn runs its own fused attention (leave it None or False)")
        super().__init__(num_query_heads, head_dim, dropout=dropout, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         seed=seed, **kwargs)
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.sliding_window = None if sliding_window is None else int(sliding_window)
        self.use_gate = bool(use_gate)

    def build(self, shapes):
        q_dim, v_dim = shapes[0][-1], shapes[1][-1]
        k_dim = shapes[2][-1] if len(shapes) > 2 else v_dim
        H, G, d = self.num_query_heads, self.num_key_value_heads, self.head_dim
        w = lambda name, shape: self.add_weight(name, shape, self.kernel_initializer,  # noqa: E731
                                                self.kernel_regularizer)
        b = lambda name, shape: (self.add_weight(name, shape, self.bias_initializer,  # noqa: E731
                                                 self.bias_regularizer) if self.use_bias else None)
        # Keras' order: query, key, gate, value, output
        self.query_kernel, self.query_bias = w("query/kernel", (q_dim, H, d)), b("query/bias", (H, d))
        self.key_kernel, self.key_bias = w("key/kernel", (k_dim, G, d)), b("key/bias", (G, d))
        if self.use_gate:
            self.gate_kernel, self.gate_bias = w("gate/kernel", (q_dim, H, d)), b("gate/bias", (H, d))
        self.value_kernel, self.value_bias = w("value/kernel", (v_dim, G, d)), b("value/bias", (G, d))
        self.output_kernel = w("attention_output/kernel", (H, d, q_dim))
        self.output_bias = b("attention_output/bias", (q_dim,))

    def _shared_heads(self, t):
        """(B, T, G*d) -> (B, T, H*d): each key/value head repeated for its query heads."""
        T, G, d = t.shape[1], self.num_key_value_heads, self.head_dim
        if self.num_repeats == 1:
            return t
        t = ops.repeat(ops.reshape(t, (-1, T, G, d)), self.num_repeats, axis=2)
        return ops.reshape(t, (-1, T, self.num_query_heads * d))

    def _window(self, mask, Tq, Tk):
        """Keras' sliding-window band |i - j| < window, and-ed into the mask."""
        band = (np.abs(np.arange(Tq)[:, None] - np.arange(Tk)[None, :]) < self.sliding_window)
        band = band.astype(np.float32)[None]                               # (1, Tq, Tk)
        if mask is None:
            return band
        if len(mask.shape) == 2:                                            # (B, Tk) padding
            mask = ops.reshape(mask, (-1, 1, Tk))
        return mask * band

    def call(self, inputs, training=False, attention_mask=None, use_causal_mask=False,
             query_mask=None, value_mask=None, key_mask=None, return_attention_scores=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q = self._project(query, self.query_kernel, self.query_bias)
        k = self._shared_heads(self._project(key, self.key_kernel, self.key_bias))
        v = self._shared_heads(self._project(value, self.value_kernel, self.value_bias))
        mask = self._combined_mask(query, value, attention_mask, query_mask, value_mask,
                                   key_mask)
        if self.sliding_window is not None:
            mask = self._window(mask, int(query.shape[1]), int(value.shape[1]))
        scores = None
        if return_attention_scores or (training and self.dropout):
            o, scores = self._attend(q, k, v, mask, use_causal_mask, training)
        else:
            o = ops.scaled_dot_product_attention(q, k, v, mask, causal=use_causal_mask,
                                                 num_heads=self.num_query_heads,
                                                 scale=1.0 / np.sqrt(self.head_dim))
        if self.use_gate:
            o = o * ops.sigmoid(self._project(query, self.gate_kernel, self.gate_bias))
        out = self._project(o, self.output_kernel, self.output_bias)
        if query_mask is not None:
            out._keras_mask = query_mask
        return (out, scores) if return_attention_scores else out

    def get_config(self):
        cfg = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim"):
            cfg.pop(key)
        cfg.update(head_dim=self.head_dim, num_query_heads=self.num_query_heads,
                   num_key_value_heads=self.num_key_value_heads, use_gate=self.use_gate,
                   sliding_window=self.sliding_window,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


# Keras' Python class name; it saves and exports the layer as GroupQueryAttention
GroupedQueryAttention = GroupQueryAttention
