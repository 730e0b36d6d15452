"""Masks of the attention layers side by side with Keras 3 (torch backend), same weights.

Found last session and left open: MultiHeadAttention / GroupQueryAttention ignored
``key_mask`` (a padded key attended, silently); MultiHeadAttention after
``Embedding(mask_zero=True)`` in a functional model; ``use_causal_mask=True`` of
Attention / AdditiveAttention / MultiHeadAttention in a model failed to predict a
batch of more than one (the causal mask was a (1, Tq, Tk) constant that ops.where did
not broadcast at replay). Also Keras' broadcast attention masks ((Tq, Tk), (batch,
heads, Tq, Tk)), MultiHeadAttention's sliding_window and use_gate (Keras 3.15), and
the cases of Keras' own tests with numbers (keras/src/layers/attention/
multi_head_attention_test.py, attention_test.py, additive_attention_test.py in
https://github.com/keras-team/keras)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(5)
B, T, S, D = 3, 4, 5, 6
Q = RNG.normal(size=(B, T, D)).astype(np.float32)
V = RNG.normal(size=(B, S, D)).astype(np.float32)
K = RNG.normal(size=(B, S, D)).astype(np.float32)
KEY_PAD = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
VALUE_PAD = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], bool)


def _mha_pair(keras, cls="MultiHeadAttention", **kw):
    kw = kw or {"num_heads": 2, "key_dim": 3}
    theirs = getattr(keras.layers, cls)(**kw)
    theirs(Q, V, K)
    ours = getattr(layers, cls)(**kw)
    ours(Q, V, K)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    return theirs, ours


def _np(keras, t):
    return keras.ops.convert_to_numpy(t)


GQA = {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}


@pytest.mark.parametrize("cls,kw", [("MultiHeadAttention", {}), ("GroupQueryAttention", GQA)])
@pytest.mark.parametrize("scores", [False, True])
@pytest.mark.parametrize("which", ["key_mask", "value_mask", "both"])
def test_explicit_key_and_value_masks_match_keras(cls, kw, scores, which):
    # key_mask was dropped: every padded key was attended to
    keras = keras_or_skip()
    import torch
    theirs, ours = _mha_pair(keras, cls, **kw)
    masks = {"key_mask": KEY_PAD, "value_mask": VALUE_PAD}
    if which != "both":
        masks = {which: masks[which]}
    want = theirs(torch.tensor(Q), torch.tensor(V), torch.tensor(K),
                  return_attention_scores=scores, **{k: torch.tensor(m) for k, m in masks.items()})
    got = ours(Q, V, K, return_attention_scores=scores, **masks)
    for g, w in zip(got if scores else [got], want if scores else [want]):
        np.testing.assert_allclose(g.numpy(), _np(keras, w), rtol=1e-4, atol=1e-5)
    unmasked = ours(Q, V, K).numpy()
    assert not np.allclose((got[0] if scores else got).numpy(), unmasked, atol=1e-3)


def test_query_mask_keras_rules():
    # MultiHeadAttention takes the query's mask from the query tensor (Keras overwrites an
    # explicit query_mask); GroupedQueryAttention uses the one it is given
    keras = keras_or_skip()
    import torch
    qm = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    for cls, kw in (("MultiHeadAttention", {}), ("GroupQueryAttention", GQA)):
        theirs, ours = _mha_pair(keras, cls, **kw)
        want = theirs(torch.tensor(Q), torch.tensor(V), query_mask=torch.tensor(qm),
                      return_attention_scores=True)
        got = ours(Q, V, query_mask=qm, return_attention_scores=True)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), _np(keras, w), rtol=1e-4, atol=1e-5)


def _embedded(lib, mask_value=True):
    """keras.io's text classification with a Transformer, shrunk: padded ids, an
    Embedding that masks 0, self-attention and a masked mean."""
    ids = lib.Input((S,), dtype="int32")
    e = lib.layers.Embedding(10, D, mask_zero=True)(ids)
    a = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3)(e, e)
    return lib.Model(ids, [a, lib.layers.GlobalAveragePooling1D()(a)])


IDS = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5], [7, 0, 0, 0, 0], [0, 0, 0, 0, 0]])


def test_mha_after_embedding_mask_zero_in_a_model_matches_keras():
    # refused before (naming OpLayer); the padded keys must not be attended to
    keras = keras_or_skip()
    kmodel, model = _embedded(keras), _embedded(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    want = kmodel.predict(IDS[:3], verbose=0)
    got = model.predict(IDS[:3], verbose=0)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-4, atol=1e-5)
    # one sample, the whole batch, and the functional call agree
    np.testing.assert_allclose(model.predict(IDS[:1], verbose=0)[0], got[0][:1], rtol=1e-5,
                               atol=1e-6)
    # a padded step changes nothing at the real steps
    longer = IDS[:1].copy()
    longer[0, 3] = 0
    np.testing.assert_allclose(model.predict(longer, verbose=0)[0][0, :2], got[0][0, :2],
                               rtol=1e-5, atol=1e-6)


def test_mha_after_embedding_trains_and_masks_eagerly():
    keras = keras_or_skip()
    import torch
    kemb, emb = keras.layers.Embedding(10, D, mask_zero=True), layers.Embedding(10, D,
                                                                                 mask_zero=True)
    kx = kemb(torch.tensor(IDS[:3]))
    emb(IDS[:3])
    emb.set_weights([_np(keras, w) for w in kemb.weights])
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    want = theirs(kx, kx)
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    x = emb(IDS[:3])
    ours(x, x)
    ours.set_weights([_np(keras, w) for w in theirs.weights])
    got = ours(x, x)
    np.testing.assert_allclose(got.numpy(), _np(keras, want), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got._keras_mask.numpy(), IDS[:3] != 0)  # the query's mask


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention", "MultiHeadAttention"])
@pytest.mark.parametrize("batch", [1, 4])
def test_causal_mask_in_a_model_predicts_any_batch(name, batch):
    keras = keras_or_skip()

    def build(lib):
        inp = lib.Input((S, D))
        if name == "MultiHeadAttention":
            out = lib.layers.MultiHeadAttention(2, 3)(inp, inp, use_causal_mask=True)
        else:
            out = getattr(lib.layers, name)()([inp, inp], use_causal_mask=True)
        return lib.Model(inp, out)

    kmodel, model = build(keras), build(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    x = np.concatenate([V, V])[:batch]
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def test_attention_masks_broadcast_as_in_keras():
    # multi_head_attention_test.py::test_masking_with_different_shapes: (T, T), (B, T, T)
    # and (B, heads, T, T) give one output; a (T, S) mask is not a (batch, S) padding
    keras = keras_or_skip()
    import torch
    theirs, ours = _mha_pair(keras)
    tri = np.tril(np.ones((T, S), np.float32))
    tri[:, 0] = 1
    for mask in (tri, np.tile(tri[None], (B, 1, 1)), np.tile(tri[None, None], (B, 2, 1, 1))):
        want = theirs(torch.tensor(Q), torch.tensor(V), attention_mask=torch.tensor(mask))
        np.testing.assert_allclose(ours(Q, V, attention_mask=mask).numpy(), _np(keras, want),
                                   rtol=1e-4, atol=1e-5)
    per_head = (RNG.random((B, 2, T, S)) > 0.4).astype(np.float32)
    per_head[..., 0] = 1
    want = theirs(torch.tensor(Q), torch.tensor(V), attention_mask=torch.tensor(per_head))
    np.testing.assert_allclose(ours(Q, V, attention_mask=per_head).numpy(), _np(keras, want),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="attention_mask must be"):
        ours(Q, V, attention_mask=np.ones(S, np.float32))


@pytest.mark.parametrize("kw", [{"sliding_window": 2}, {"use_gate": True},
                                {"sliding_window": 3, "use_gate": True, "value_dim": 4}])
@pytest.mark.parametrize("causal", [False, True])
def test_mha_sliding_window_and_gate_match_keras(kw, causal):
    # Keras 3.15's MultiHeadAttention arguments (pynn had them on GroupQueryAttention only)
    keras = keras_or_skip()
    import torch
    theirs, ours = _mha_pair(keras, num_heads=2, key_dim=3, **kw)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    for scores in (False, True):
        want = theirs(torch.tensor(Q), torch.tensor(Q), use_causal_mask=causal,
                      return_attention_scores=scores)
        got = ours(Q, Q, use_causal_mask=causal, return_attention_scores=scores)
        for g, w in zip(got if scores else [got], want if scores else [want]):
            np.testing.assert_allclose(g.numpy(), _np(keras, w), rtol=1e-4, atol=1e-5)
    config = ours.get_config()
    assert {k: config[k] for k in kw} == kw
    again = layers.MultiHeadAttention.from_config(config)
    assert again.sliding_window == ours.sliding_window and again.use_gate == ours.use_gate


# ------------------------------------------------------------------ Keras' own tests
# keras/src/layers/attention/multi_head_attention_test.py::test_masking: value and
# causal masks from Embedding(mask_zero=True) equal the manual attention_mask

# (and grouped_query_attention_test.py::test_masking, with and without the gate)

@pytest.mark.parametrize("make", [
    lambda: layers.MultiHeadAttention(num_heads=2, key_dim=2),
    lambda: layers.GroupedQueryAttention(num_query_heads=2, num_key_value_heads=2, head_dim=2),
    lambda: layers.GroupedQueryAttention(num_query_heads=2, num_key_value_heads=2, head_dim=2,
                                         use_gate=True)], ids=["mha", "gqa", "gqa_gate"])
@pytest.mark.parametrize("causal", [False, True])
def test_keras_masking_case(make, causal):
    query = np.array([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    value = np.array([[5, 4, 0], [3, 0, 0], [2, 1, 1]])
    layer = make()
    mq = layers.Embedding(4, 8, mask_zero=True)(query)
    mv = layers.Embedding(6, 8, mask_zero=True)(value)
    output = layer(query=mq, value=mv, use_causal_mask=causal)
    mask = np.array([[[1, 1, 0]] * 3 + [[0, 0, 0]] * 2] + [[[1, 0, 0]] * 5]
                    + [[[1, 1, 1]] + [[0, 0, 0]] * 4])
    if causal:
        mask = mask & np.array([[[1, 0, 0], [1, 1, 0]] + [[1, 1, 1]] * 3])
    mq._keras_mask = mv._keras_mask = None
    manual = layer(query=mq, value=mv, attention_mask=mask)
    np.testing.assert_allclose(output.numpy(), manual.numpy(), rtol=1e-6, atol=1e-6)
    # ... test_query_mask_propagation: the output carries the query's mask
    mq2 = layers.Embedding(4, 8, mask_zero=True)(query)
    out2 = layers.MultiHeadAttention(num_heads=2, key_dim=2)(query=mq2, value=Q[:3, :3])
    np.testing.assert_array_equal(out2._keras_mask.numpy(), query != 0)


def test_keras_sliding_window_case():
    # multi_head_attention_test.py::test_sliding_window: causal window of 3
    x = np.random.RandomState(0).randn(1, 6, 8).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, sliding_window=3)
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    scores = scores.numpy()[0, 0]
    i, j = np.indices(scores.shape)
    inside = (j <= i) & (i - j < 3)
    assert (scores[inside] > 0).all() and (scores[~inside] == 0).all()
    _, scores = layer(x, x, return_attention_scores=True)  # bidirectional band
    inside = np.abs(i - j) < 3
    scores = scores.numpy()[0, 0]
    assert (scores[inside] > 0).all() and (scores[~inside] == 0).all()


def test_keras_attention_correctness_cases():
    # attention_test.py::test_attention_correctness and test_attention_with_mask
    query = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)
    key = np.array([[[0.0, 1.0], [1.0, 0.0]]], np.float32)
    value = np.array([[[1.0, 2.0], [3.0, 4.0]]], np.float32)
    out, scores = layers.Attention(score_mode="dot")([query, value, key],
                                                     return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), [[[2.462, 3.462], [1.538, 2.538]]], atol=1e-3)
    np.testing.assert_allclose(scores.numpy(), [[[0.269, 0.731], [0.731, 0.269]]], atol=1e-3)
    out, scores = layers.Attention(score_mode="concat")([query, value, key],
                                                        return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), [[[1.727, 2.727], [2.272, 3.272]]], atol=1e-3)
    np.testing.assert_allclose(scores.numpy(), [[[0.636, 0.363], [0.363, 0.636]]], atol=1e-3)
    ones = np.ones((1, 2, 2), np.float32)
    out, scores = layers.Attention()([query, ones], mask=[np.array([[True, False]]),
                                                          np.array([[True, False]])],
                                     return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), [[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(scores.numpy(), [[[1.0, 0.0], [1.0, 0.0]]])


def test_keras_attention_error_messages():
    # attention_test.py::test_attention_errors: Keras' messages
    layer = layers.Attention()
    t = np.ones((1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="must be called on a list"):
        layer(t)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([t, t, t, t])
    with pytest.raises(ValueError, match="layer mask must be a list"):
        layer([t, t], mask=t)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([t, t], mask=[t])


def test_keras_additive_attention_cases():
    # additive_attention_test.py::test_attention_correctness and test_attention_with_mask
    query = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)
    key = np.array([[[0.0, 1.0], [1.0, 0.0]]], np.float32)
    value = np.array([[[1.0, 2.0], [3.0, 4.0]]], np.float32)
    out, scores = layers.AdditiveAttention(use_scale=False)([query, value, key],
                                                            return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), [[[1.727, 2.727], [2.272, 3.272]]], atol=1e-3)
    np.testing.assert_allclose(scores.numpy(), [[[0.636, 0.363], [0.363, 0.636]]], atol=1e-3)
    ones = np.ones((1, 2, 2), np.float32)
    out, scores = layers.AdditiveAttention(use_scale=False)(
        [query, ones], mask=[np.array([[True, False]]), np.array([[True, False]])],
        return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), [[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(scores.numpy(), [[[1.0, 0.0], [1.0, 0.0]]])
    layer = layers.AdditiveAttention()
    with pytest.raises(ValueError, match="layer mask must be a list"):
        layer([ones, ones], mask=ones)


def test_keras_invalid_score_mode_message():
    # attention_test.py::test_attention_invalid_score_mode
    with pytest.raises(ValueError, match="Invalid value for argument score_mode. "
                                         "Expected one of {'dot', 'concat'}"):
        layers.Attention(score_mode="invalid_mode")


def test_keras_gqa_correctness_case():
    # grouped_query_attention_test.py::test_correctness (without flash attention; float32
    # here, where Keras runs it in float16 with atol 1e-2)
    d = heads = 8
    query = key = np.identity(d, dtype=np.float32)[None]
    value = (np.arange(d * d, dtype=np.float32).reshape(1, d, d) / 100.0)
    layer = layers.GroupedQueryAttention(head_dim=d, num_query_heads=heads,
                                         num_key_value_heads=heads)
    layer(query=query, value=value, key=key)
    kernel = np.repeat(np.identity(d, dtype=np.float32)[:, None, :], heads, axis=1)
    bias = np.zeros((heads, d), np.float32)
    layer.set_weights([kernel, bias] * 3 + [kernel, np.zeros(d, np.float32)])
    want_out = np.tile(np.array([2.406, 2.440, 2.473, 2.504, 2.535, 2.568, 2.602,
                                 2.633])[None, :, None], (1, 1, d))
    want_scores = np.full((d, d), 0.1187) + np.identity(d) * (0.1691 - 0.1187)
    out, scores = layer(query=query, value=value, key=key, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), want_out, atol=1e-2)
    np.testing.assert_allclose(scores.numpy(), np.tile(want_scores, (1, heads, 1, 1)), atol=1e-2)
    np.testing.assert_allclose(layer(query=query, value=value, key=key).numpy(), want_out,
                               atol=1e-2)


# ------------------------------------------------------------------ a published program
# https://keras.io/examples/nlp/neural_machine_translation_with_transformer/ (its
# PositionalEmbedding.compute_mask, TransformerEncoder's padding attention_mask and
# TransformerDecoder's query_mask / key_mask and tiled causal mask), shrunk: pynn dropped
# the decoder's key_mask (the encoder's padding), a silently different translation

def _translator(lib):
    layers, ops = lib.layers, lib.ops
    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kw):
            super().__init__(**kw)
            self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
            self.position_embeddings = layers.Embedding(sequence_length, embed_dim)
        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            return self.token_embeddings(inputs) + self.position_embeddings(positions)
        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)
    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kw):
            super().__init__(**kw)
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = lib.Sequential([layers.Dense(dense_dim, activation="relu"),
                                              layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.supports_masking = True
        def call(self, inputs, mask=None):
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            else:
                padding_mask = None
            attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            return self.layernorm_2(proj_input + self.dense_proj(proj_input))
    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kw):
            super().__init__(**kw)
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = lib.Sequential([layers.Dense(latent_dim, activation="relu"),
                                              layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.layernorm_3 = layers.LayerNormalization()
            self.supports_masking = True
        def call(self, inputs, mask=None):
            inputs, encoder_outputs = inputs
            causal_mask = self.get_causal_attention_mask(inputs)
            if mask is None:
                inputs_padding_mask, encoder_outputs_padding_mask = None, None
            else:
                inputs_padding_mask, encoder_outputs_padding_mask = mask
            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                                  attention_mask=causal_mask,
                                                  query_mask=inputs_padding_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)
            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                                  key=encoder_outputs,
                                                  query_mask=inputs_padding_mask,
                                                  key_mask=encoder_outputs_padding_mask)
            out_2 = self.layernorm_2(out_1 + attention_output_2)
            return self.layernorm_3(out_2 + self.dense_proj(out_2))
        def get_causal_attention_mask(self, inputs):
            input_shape = ops.shape(inputs)
            batch_size, sequence_length = input_shape[0], input_shape[1]
            i = ops.arange(sequence_length)[:, None]
            j = ops.arange(sequence_length)
            mask = ops.cast(i >= j, dtype="int32")
            mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
            mult = ops.concatenate([ops.expand_dims(batch_size, -1),
                                    ops.convert_to_tensor([1, 1])], axis=0)
            return ops.tile(mask, mult)
    L, V, E = 6, 20, 8
    enc_in = lib.Input(shape=(L,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(L, V, E)(enc_in)
    enc_out = TransformerEncoder(E, 16, 2)(x)
    dec_in = lib.Input(shape=(L,), dtype="int64", name="decoder_inputs")
    x = PositionalEmbedding(L, V, E)(dec_in)
    x = TransformerDecoder(E, 16, 2)([x, enc_out])
    out = layers.Dense(V, activation="softmax")(x)
    return lib.Model([enc_in, dec_in], out)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_translation_transformer_matches_keras():
    keras = keras_or_skip()
    rng = np.random.default_rng(0)
    src = rng.integers(1, 20, (5, 6))
    src[0, 3:] = 0
    src[2, 1:] = 0
    tgt = rng.integers(1, 20, (5, 6))
    tgt[1, 4:] = 0
    tgt[3, 2:] = 0
    kmodel, model = _translator(keras), _translator(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    want = kmodel.predict([src, tgt], verbose=0)
    np.testing.assert_allclose(model.predict([src, tgt], verbose=0), want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict([src[:1], tgt[:1]], verbose=0), want[:1],
                               rtol=1e-4, atol=1e-6)


def test_keras_file_of_mha_after_embedding_opens_in_keras(tmp_path):
    # the .keras writer put the query/value masks (KerasTensors) in the node's kwargs:
    # "not JSON serializable", a pynn-only file with a warning; Keras takes them from
    # the inputs again when it loads
    keras = keras_or_skip()
    import warnings
    inp = pynn.Input((S,), dtype="int32")
    e = layers.Embedding(10, D, mask_zero=True)(inp)
    model = pynn.Model(inp, layers.GlobalAveragePooling1D()(layers.MultiHeadAttention(2, 3)(e, e)))
    want = model.predict(IDS, verbose=0)
    path = str(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(IDS, verbose=0), want,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pynn.load_model(path).predict(IDS, verbose=0), want, rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("causal", [False, True])
def test_onnx_export_of_masked_attention_matches_predict(tmp_path, dropout, causal):
    # the export was refused naming the Embedding's mask (OpLayer 'embedding_mask'), then
    # the masks themselves; padded query rows and keys included
    ort = pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    q_ids, v_ids = pynn.Input((S,), dtype="int32"), pynn.Input((S,), dtype="int32")
    q = layers.Embedding(10, D, mask_zero=True)(q_ids)
    v = layers.Embedding(10, D, mask_zero=True)(v_ids)
    att = layers.MultiHeadAttention(2, 3, dropout=dropout)(q, v, v, use_causal_mask=causal)
    model = pynn.Model([q_ids, v_ids], layers.Dense(2)(att))
    ids = [IDS, IDS[::-1].copy()]
    want = model.predict(ids, verbose=0)
    path = str(tmp_path / "m.onnx")
    model.export(path, format="onnx")
    sess = ort.InferenceSession(path)
    feed = {i.name: a.astype(np.float32) for i, a in zip(sess.get_inputs(), ids)}
    np.testing.assert_allclose(sess.run(None, feed)[0], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [{"use_gate": True}, {"sliding_window": 2}])
def test_keras_files_of_mha_with_gate_or_window_both_ways(tmp_path, kw):
    # Keras 3.15 keeps the gate's weights under "_gate_dense" in model.weights.h5
    keras = keras_or_skip()
    inp = keras.Input((T, D))
    kmodel = keras.Model(inp, keras.layers.MultiHeadAttention(2, 3, **kw)(inp, inp))
    want = kmodel.predict(Q, verbose=0)
    kmodel.save(str(tmp_path / "k.keras"))
    model = pynn.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(model.predict(Q, verbose=0), want, rtol=1e-5, atol=1e-6)
    model.save(str(tmp_path / "p.keras"))
    again = keras.saving.load_model(str(tmp_path / "p.keras"))
    np.testing.assert_allclose(again.predict(Q, verbose=0), want, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ more of Keras' MHA tests

def test_keras_mha_correctness_case():
    # multi_head_attention_test.py::test_correctness (float32 here; Keras: float16, 1e-2)
    d = heads = 8
    query = key = np.identity(d, dtype=np.float32)[None]
    value = np.arange(d * d, dtype=np.float32).reshape(1, d, d) / 100.0
    layer = layers.MultiHeadAttention(num_heads=heads, key_dim=d)
    layer(query=query, value=value, key=key)
    kernel = np.repeat(np.identity(d, dtype=np.float32)[:, None, :], heads, axis=1)
    layer.set_weights([kernel, np.zeros((heads, d), np.float32)] * 3
                      + [kernel, np.zeros(d, np.float32)])
    want = np.tile(np.array([2.406, 2.440, 2.473, 2.504, 2.535, 2.568, 2.602,
                             2.633])[None, :, None], (1, 1, d))
    out, scores = layer(query=query, value=value, key=key, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-2)
    want_scores = np.full((d, d), 0.1187) + np.identity(d) * (0.1691 - 0.1187)
    np.testing.assert_allclose(scores.numpy(), np.tile(want_scores, (1, heads, 1, 1)), atol=1e-2)


@pytest.mark.parametrize("shapes", [((2, 4, 8), (2, 2, 7), (2,)),
                                    ((2, 4, 8), (2, 2, 8), (2, 1, 7))])
def test_keras_mha_shape_mismatch_error(shapes):
    # multi_head_attention_test.py::test_shape_mismatch_error
    layer = layers.MultiHeadAttention(num_heads=4, key_dim=2, value_dim=2)
    with pytest.raises(ValueError, match="must be equal"):
        layer.compute_output_shape(*shapes)
    with pytest.raises(ValueError, match="must be equal"):
        layer(*[np.ones(s, np.float32) for s in shapes])


def test_keras_mha_invalid_scalar_args_rejected():
    # multi_head_attention_test.py::test_invalid_scalar_args_rejected (value_dim=0 fell back
    # to key_dim and 1.5 became 1, silently)
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="argument `num_heads`"):
            layers.MultiHeadAttention(num_heads=bad, key_dim=4)
        with pytest.raises(ValueError, match="argument `key_dim`"):
            layers.MultiHeadAttention(num_heads=4, key_dim=bad)
        with pytest.raises(ValueError, match="argument `value_dim`"):
            layers.MultiHeadAttention(num_heads=4, key_dim=4, value_dim=bad)
    assert layers.MultiHeadAttention(num_heads=4, key_dim=4, value_dim=None).value_dim == 4


@pytest.mark.parametrize("output_shape", [8, (8, 3)])
def test_keras_mha_output_shape(output_shape, tmp_path):
    # multi_head_attention_test.py::test_multi_head_attention_output_shape_as_int / _tuple /
    # _error and test_compute_output_shape; weights, values and .keras files against Keras
    keras = keras_or_skip()
    x = RNG.normal(size=(2, 4, 16)).astype(np.float32)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=5, output_shape=output_shape)
    want = _np(keras, theirs(x, x))
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=5, output_shape=output_shape)
    ours(x, x)
    ours.set_weights([_np(keras, w) for w in theirs.weights])
    got = ours(query=x, value=x)
    assert got.shape == want.shape == (2, 4) + tuple(np.atleast_1d(output_shape))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((7, 4, 16), (7, 4, 16)) == (7,) + want.shape[1:]
    inp = keras.Input((4, 16))
    kmodel = keras.Model(inp, keras.layers.MultiHeadAttention(2, 5, output_shape=output_shape)(
        inp, inp))
    kmodel.save(str(tmp_path / "k.keras"))
    model = pynn.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Invalid `output_shape`"):
        layers.MultiHeadAttention(num_heads=2, key_dim=16, output_shape=8.0)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("cls,kw", [("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}),
                                    ("GroupQueryAttention", GQA)])
@pytest.mark.parametrize("causal", [False, True])
def test_fit_with_padding_masks_matches_keras(cls, kw, causal):
    # training through the masked attention (the masks' gradients stop, the fused op's
    # backward): losses and weights after two SGD epochs, batches of 5, 5 and 2
    keras = keras_or_skip()
    rng = np.random.default_rng(6)
    ids = rng.integers(1, 10, (12, S))
    for i in range(12):
        ids[i, rng.integers(1, S):] = 0
    y = rng.normal(size=(12, 1)).astype(np.float32)

    def build(lib):
        inp = lib.Input((S,), dtype="int32")
        e = lib.layers.Embedding(10, D, mask_zero=True)(inp)
        a = getattr(lib.layers, cls)(**kw)(e, e, use_causal_mask=causal)
        m = lib.Model(inp, lib.layers.Dense(1)(lib.layers.GlobalAveragePooling1D()(a)))
        m.compile(lib.optimizers.SGD(0.1), "mse")
        return m

    kmodel, model = build(keras), build(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    kh = kmodel.fit(ids, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history["loss"]
    h = model.fit(ids, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, kh, rtol=1e-5)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-6)


def test_a_mask_of_the_wrong_shape_is_refused_by_name():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    for what in ("key_mask", "value_mask"):
        for bad in (np.ones(S), np.ones((B, S + 1)), np.ones((B + 1, S))):
            with pytest.raises(ValueError, match=rf"MultiHeadAttention '.*': {what} must be "
                                                 rf"\(batch, {S}\) for a batch of {B}"):
                layer(Q, V, K, **{what: bad})
    np.testing.assert_allclose(layer(Q, V, K, key_mask=np.ones((1, S))).numpy(),
                               layer(Q, V, K).numpy(), rtol=1e-6, atol=1e-7)  # batch 1 holds
