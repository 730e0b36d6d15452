"""MultiHeadAttention with Keras 3's weights and call signature.

Projections are Keras' EinsumDense weights: query/key kernels (dim, heads,
key_dim), value kernel (dim, heads, value_dim), output kernel (heads,
value_dim, query_dim). Their memory is exactly a (dim, heads*key_dim) matrix,
so each projection is one matmul over a reshaped view and the heads stay
inside the (batch, T, heads*depth) layout the fused attention op reads."""
import numpy as np

from .. import _C, initializers, ops, regularizers
from ..tensor import Tensor
from .base import Layer, refuse_unsupported


def _as_float(mask):
    """A mask (bool or numbers, array or Tensor) as a 0/1 float32 Tensor, 1 where allowed."""
    if not isinstance(mask, Tensor):
        return Tensor((np.asarray(mask) != 0).astype(np.float32))
    return ops.not_equal(mask, np.float32(0))  # Keras casts masks to bool: nonzero keeps


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al.), with Keras 3's weights.

    Call it as ``layer(query, value, key=None, attention_mask=None,
    use_causal_mask=False)`` on tensors ``(batch, T, dim)``; the output has the
    query's shape. The projections have Keras' EinsumDense layouts (query/key
    kernels ``(dim, heads, key_dim)``, output kernel ``(heads, value_dim, dim)``),
    so weights port from Keras as they are; attention itself is one fused op.
    Masks combine as in Keras: ``attention_mask`` (``(Tq, Tk)``, ``(batch, Tq, Tk)``
    or ``(batch, heads, Tq, Tk)``), the padding masks the query, value and key
    carry (``Embedding(mask_zero=True)``, ``Masking``) or that ``value_mask`` /
    ``key_mask`` give, the causal mask and the sliding window are and-ed.

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
    output_shape : int or tuple of int, optional
        The output's last axes (default: the query's last dimension), as Keras.
    attention_axes : None
        Not supported (a value raises).
    sliding_window : int, optional
        Query i attends to keys j with ``|i - j| < sliding_window`` only.
    flash_attention : None or False
        Keras' backend switch; pynn always runs its own fused op.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the projection kernels.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the biases.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, bias_constraint : None
        Not supported (a value raises).
    use_gate : bool, default False
        Multiply the attention output by ``sigmoid(query @ gate_kernel + gate_bias)``
        before the output projection (Keras' gated attention).
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
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        for name, v in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if v is None and name == "value_dim":
                continue
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{cls}: the argument `{name}` must be a positive integer, "
                                 f"got {v!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{cls}: dropout must be in [0, 1), got {dropout!r}")
        refuse_unsupported(cls, activity_regularizer=activity_regularizer,
                           kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        if attention_axes is not None:
            raise ValueError(f"{cls}: attention_axes is not supported (attention runs over the "
                             f"time axis of (batch, T, dim) inputs)")
        if output_shape is not None:  # Keras: an int or a tuple of ints, the output's last axes
            dims = output_shape if isinstance(output_shape, (tuple, list)) else (output_shape,)
            if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                   and d > 0 for d in dims):
                raise ValueError(f"{cls}: Invalid `output_shape`: expected an int or a tuple of "
                                 f"positive ints, got {output_shape!r}")
            output_shape = tuple(int(d) for d in dims)
        self.output_shape_arg = output_shape
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        if flash_attention:
            raise ValueError(f"{cls}: flash_attention is a Keras backend option; pynn runs its "
                             f"own fused attention (leave it None or False)")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.use_bias = bool(use_bias)
        self.dropout, self.seed = float(dropout), seed
        self.sliding_window = None if sliding_window is None else int(sliding_window)
        self.use_gate = bool(use_gate)
        self._scores_wanted = False  # set by __call__ for compute_output_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.supports_masking = True

    # Keras' MultiHeadAttention.call reads the query's mask from the query tensor itself
    # (an explicit query_mask= is overwritten); GroupedQueryAttention honours it
    _explicit_query_mask = False

    def __call__(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
                 training=None, return_attention_scores=False, query_mask=None, value_mask=None,
                 key_mask=None):
        if value is None and isinstance(query, (list, tuple)) and len(query) in (2, 3):
            # a loaded functional graph replays the call with its input list
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise ValueError(f"{type(self).__name__} needs query and value: layer(query, value)")
        # Keras fills query_mask / value_mask / key_mask from the tensors' own masks (an
        # Embedding(mask_zero=True) or Masking before them); a key given as the value is
        # the value, whose mask already counts
        own = lambda t: getattr(t, "_keras_mask", None)  # noqa: E731
        if not self._explicit_query_mask or query_mask is None:
            query_mask = own(query)
        value_mask = own(value) if value_mask is None else value_mask
        if key_mask is None and key is not None and key is not value:
            key_mask = own(key)
        masks = {name: m for name, m in (("query_mask", query_mask), ("value_mask", value_mask),
                                         ("key_mask", key_mask)) if m is not None}
        inputs = [query, value] + ([key] if key is not None else [])
        extra = {"return_attention_scores": True} if return_attention_scores else {}
        self._scores_wanted = bool(return_attention_scores)
        try:
            return super().__call__(inputs, training=training, attention_mask=attention_mask,
                                    use_causal_mask=use_causal_mask, **masks, **extra)
        finally:
            self._scores_wanted = False

    def _check_input(self, shapes):
        if len(shapes) > 2 and tuple(shapes[1][1:-1]) != tuple(shapes[2][1:-1]):
            raise ValueError(f"{type(self).__name__} '{self.name}': All dimensions of `value` "
                             f"and `key`, except the last one, must be equal. Received: "
                             f"value_shape={tuple(shapes[1])} and key_shape={tuple(shapes[2])}")
        for what, s in zip(("query", "value", "key"), shapes):
            if len(s) != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': {what} must be (batch, T, dim), "
                                 f"i.e. per-sample (T, dim); got a batch of shape "
                                 f"({', '.join(str(d) for d in s)})")

    def build(self, shapes):
        q_dim, v_dim = shapes[0][-1], shapes[1][-1]
        k_dim = shapes[2][-1] if len(shapes) > 2 else v_dim
        H, G, kd, vd = self.num_heads, self._kv_heads(), self.key_dim, self.value_dim
        w = lambda name, shape: self.add_weight(name, shape, self.kernel_initializer,  # noqa: E731
                                                self.kernel_regularizer)
        b = lambda name, shape: (self.add_weight(name, shape, self.bias_initializer,  # noqa: E731
                                                 self.bias_regularizer) if self.use_bias else None)
        # Keras' build order: query, key, gate, value, output
        self.query_kernel, self.query_bias = w("query/kernel", (q_dim, H, kd)), b("query/bias", (H, kd))
        self.key_kernel, self.key_bias = w("key/kernel", (k_dim, G, kd)), b("key/bias", (G, kd))
        if self.use_gate:
            self.gate_kernel, self.gate_bias = w("gate/kernel", (q_dim, H, vd)), b("gate/bias", (H, vd))
        self.value_kernel, self.value_bias = w("value/kernel", (v_dim, G, vd)), b("value/bias", (G, vd))
        out = self.output_shape_arg or (q_dim,)
        self.output_kernel = w("attention_output/kernel", (H, vd) + out)
        self.output_bias = b("attention_output/bias", out)

    def _kv_heads(self):
        """The number of key/value heads (GroupQueryAttention has fewer)."""
        return self.num_heads

    def _shared_heads(self, t):
        """Projected keys or values as num_heads heads (GroupQueryAttention repeats its own)."""
        return t

    def _project(self, x, kernel, bias):
        k = self.tensor(kernel)
        out = int(np.prod(k.shape[2:])) if kernel is self.output_kernel \
            else k.shape[1] * k.shape[2]
        y = ops.matmul(x, ops.reshape(k, (-1, out)))
        if bias is not None:
            bt = self.tensor(bias)
            y = y + ops.reshape(bt, (-1,))
        if kernel is self.output_kernel and len(k.shape) > 3:  # output_shape=(8, 8)
            y = ops.reshape(y, (-1, y.shape[1]) + tuple(k.shape[2:]))
        return y

    def call(self, inputs, training=False, attention_mask=None, use_causal_mask=False,
             query_mask=None, value_mask=None, key_mask=None, return_attention_scores=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q = self._project(query, self.query_kernel, self.query_bias)
        k = self._shared_heads(self._project(key, self.key_kernel, self.key_bias))
        v = self._shared_heads(self._project(value, self.value_kernel, self.value_bias))
        mask = self._combined_mask(query, value, attention_mask, query_mask, value_mask, key_mask)
        scores = None
        # Keras runs the fused kernel only without dropout (even at inference) and without
        # scores; op by op, a query row with no key left gets zero weights, fused uniform
        # ones (Keras' two paths differ there too, and pynn follows each: at inference a
        # layer with dropout goes op by op when a mask may leave such a row)
        if return_attention_scores or (self.dropout and (training or mask is not None)) \
                or (mask is not None and len(mask.shape) == 4):
            o, scores = self._attend(q, k, v, mask, use_causal_mask, training)
        else:  # the fused op: no probabilities to keep or drop
            o = ops.scaled_dot_product_attention(q, k, v, mask, causal=use_causal_mask,
                                                 num_heads=self.num_heads,
                                                 scale=1.0 / np.sqrt(self.key_dim))
        if self.use_gate:
            o = o * ops.sigmoid(self._project(query, self.gate_kernel, self.gate_bias))
        out = self._project(o, self.output_kernel, self.output_bias)
        if query_mask is not None:
            out._keras_mask = _as_float(query_mask)
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
            if len(m.shape) == 2:    # (batch, Tk) key padding
                allowed = ops.reshape(m, (-1, 1, 1, Tk))
            elif len(m.shape) == 3:  # (batch or 1, Tq, Tk): the same for every head
                allowed = ops.expand_dims(m, 1)
            else:                    # (batch or 1, heads or 1, Tq, Tk)
                allowed = m
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

    def _combined_mask(self, query, value, attention_mask, query_mask, value_mask, key_mask):
        """Keras' rule: attention_mask & query_mask[:, :, None] & value_mask[:, None, :]
        & key_mask[:, None, :] & the sliding-window band, as a 0/1 float Tensor: (batch,
        Tk) when only the value's or the key's padding is given (the fused op broadcasts
        it), else (batch or 1, Tq, Tk), or rank 4 for a per-head attention_mask. Keras
        broadcasts attention_mask: (Tq, Tk) holds for every sample."""
        Tq, Tk = int(query.shape[1]), int(value.shape[1])
        m = None
        if attention_mask is not None:
            m = _as_float(attention_mask)
            if len(m.shape) == 2:  # (Tq, Tk), as Keras broadcasts it to (batch, Tq, Tk)
                m = ops.reshape(m, (1, Tq, Tk))
            elif len(m.shape) not in (3, 4):
                raise ValueError(f"{type(self).__name__} '{self.name}': attention_mask must be "
                                 f"(Tq, Tk), (batch, Tq, Tk) or (batch, heads, Tq, Tk); got "
                                 f"shape {tuple(m.shape)} for Tq={Tq}, Tk={Tk}")
        for what, x, T in (("query_mask", query_mask, Tq), ("value_mask", value_mask, Tk),
                           ("key_mask", key_mask, Tk)):
            shape = tuple(np.shape(x) if not isinstance(x, Tensor) else x.shape)
            if x is not None and (len(shape) != 2 or shape[1] != T
                                  or shape[0] not in (1, query.shape[0])):
                raise ValueError(f"{type(self).__name__} '{self.name}': {what} must be (batch, "
                                 f"{T}) for a batch of {query.shape[0]}, got shape {shape}")
        padding = [_as_float(x) for x in (value_mask, key_mask) if x is not None]
        if m is None and query_mask is None and self.sliding_window is None and padding:
            out = padding[0]
            for p in padding[1:]:
                out = out * p
            return out  # (batch, Tk) key padding: the op broadcasts it
        for p in padding:
            p = ops.reshape(p, (-1, 1, Tk))
            m = p if m is None else m * p
        if query_mask is not None:
            qm = ops.reshape(_as_float(query_mask), (-1, Tq, 1))
            m = qm if m is None else m * qm
        if self.sliding_window is not None:  # Keras' band |i - j| < window
            band = np.abs(np.arange(Tq)[:, None] - np.arange(Tk)[None, :]) < self.sliding_window
            band = band.astype(np.float32)[None]
            m = band if m is None else m * band
        if m is not None and tuple(m.shape[-2:]) != (Tq, Tk):
            # times ones rather than broadcast_to: no batch size baked into the graph
            m = m * np.ones((1, Tq, Tk), np.float32)
        return m if m is None or isinstance(m, Tensor) else Tensor(m)

    def compute_output_shape(self, shapes, value_shape=None, key_shape=None):
        if value_shape is not None:  # Keras' form: (query_shape, value_shape, key_shape)
            shapes = [shapes, value_shape] + ([key_shape] if key_shape is not None else [])
        shapes = [tuple(s) for s in shapes]
        self._check_input(shapes)
        out = shapes[0][:-1] + (self.output_shape_arg or shapes[0][-1:])
        if self._scores_wanted:  # (output, scores (batch, heads, Tq, Tk))
            return [out, (None, self.num_heads, shapes[0][1], shapes[1][1])]
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
                   dropout=self.dropout, seed=self.seed, use_bias=self.use_bias,
                   use_gate=self.use_gate, sliding_window=self.sliding_window,
                   output_shape=self.output_shape_arg,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg
