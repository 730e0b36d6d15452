"""Keras layers over the recurrent, embedding and attention ops: parameter
counts equal to Keras, numerics equal to the float64 references, masks from
Embedding(mask_zero=True), Bidirectional, MultiHeadAttention, training."""
import numpy as np
import pytest

import pynn
from pynn import layers
from rnn_reference import rnn_ref
from test_ops_attention import attention_ref


@pytest.mark.parametrize("make,count", [
    (lambda: layers.LSTM(10), 480),
    (lambda: layers.GRU(10), 390),
    (lambda: layers.SimpleRNN(10), 120),
    (lambda: layers.Bidirectional(layers.LSTM(10)), 960),
    (lambda: layers.LSTM(10, use_bias=False), 440),
])
def test_parameter_counts_match_keras_on_one_feature(make, count):
    lay = make()
    lay(np.zeros((2, 5, 1), np.float32))
    assert lay.count_params() == count


def test_keras_weight_order_and_unit_forget_bias():
    lay = layers.LSTM(3)
    lay(np.zeros((1, 2, 4), np.float32))
    assert [w.shape for w in lay.get_weights()] == [(4, 12), (3, 12), (12,)]
    np.testing.assert_array_equal(lay.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    g = layers.GRU(3)
    g(np.zeros((1, 2, 4), np.float32))
    assert [w.shape for w in g.get_weights()] == [(4, 9), (3, 9), (2, 9)]


@pytest.mark.parametrize("cls,kind", [(layers.SimpleRNN, "simple_rnn"), (layers.LSTM, "lstm"),
                                      (layers.GRU, "gru")])
@pytest.mark.parametrize("seq,back", [(False, False), (True, True)])
def test_layer_numerics_and_return_state(cls, kind, seq, back):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 2)).astype(np.float32)
    lay = cls(3, return_sequences=seq, return_state=True, go_backwards=back)
    outs = lay(x)
    W, U, b = [w.astype(np.float64) for w in lay.get_weights()]
    packed = rnn_ref(kind, x.astype(np.float64), W, U, b, return_sequences=seq,
                     return_state=True, go_backwards=back)
    S = 4 if seq else 1
    got0 = outs[0].numpy() if seq else outs[0].numpy()[:, None]
    np.testing.assert_allclose(got0, packed[:, :S], rtol=1e-5, atol=1e-5)
    assert len(outs) == (3 if kind == "lstm" else 2)
    for k, s in enumerate(outs[1:]):
        np.testing.assert_allclose(s.numpy(), packed[:, S + k], rtol=1e-5, atol=1e-5)


def test_embedding_mask_zero_masks_the_lstm():
    rng = np.random.default_rng(1)
    emb = layers.Embedding(10, 4, mask_zero=True)
    lstm = layers.LSTM(3)
    ids = np.array([[3, 5, 0, 0], [0, 7, 2, 9]], np.float32)
    y = lstm(emb(ids)).numpy()
    table = emb.get_weights()[0].astype(np.float64)
    W, U, b = [w.astype(np.float64) for w in lstm.get_weights()]
    ref = rnn_ref("lstm", table[ids.astype(int)], W, U, b, mask=(ids != 0).astype(float))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    # padding really is ignored: same result as the unpadded first sequence
    alone = lstm(emb(np.array([[3, 5]], np.float32))).numpy()
    np.testing.assert_allclose(y[0], alone[0], rtol=1e-6, atol=1e-6)
    # and without mask_zero it is not
    plain = layers.Embedding(10, 4)
    plain(ids)
    plain.set_weights(emb.get_weights())
    assert not np.allclose(lstm(plain(ids)).numpy()[0], alone[0])


def test_embedding_layer_errors_and_shapes():
    emb = layers.Embedding(5, 2)
    assert emb(np.zeros((3, 7), np.float32)).shape == (3, 7, 2)
    with pytest.raises(ValueError, match=r"id 5.*input_dim=5"):
        emb(np.array([[1, 5]], np.float32))
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        layers.Embedding(0, 3)


def test_bidirectional_concat_matches_two_references():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 2)).astype(np.float32)
    mask = np.array([[1, 1, 0], [1, 1, 1]], np.float32)
    bi = layers.Bidirectional(layers.GRU(2, return_sequences=True))
    y = bi(x, mask=mask).numpy()
    ws = [w.astype(np.float64) for w in bi.get_weights()]
    f = rnn_ref("gru", x.astype(np.float64), *ws[:3], mask=mask, return_sequences=True,
                zero_output_for_mask=True)
    r = rnn_ref("gru", x.astype(np.float64), *ws[3:], mask=mask, return_sequences=True,
                go_backwards=True, zero_output_for_mask=True)[:, ::-1]
    assert y.shape == (2, 3, 4)
    np.testing.assert_allclose(y, np.concatenate([f, r], -1), rtol=1e-5, atol=1e-6)
    assert [l.name.split("_")[0] for l in (bi.forward_layer, bi.backward_layer)] == \
        ["forward", "backward"]


def test_recurrent_layer_rank_error_explains_per_sample_shape():
    with pytest.raises(ValueError, match=r"per-sample shape \(timesteps, features\).*"
                                         r"\(None, 7\).*input_shape=\(7, 1\)"):
        pynn.Sequential([pynn.Input((7,)), layers.LSTM(4)]).build()
    with pytest.raises(ValueError, match="reset_after=False"):  # supported since, not with dropout
        layers.GRU(3, reset_after=False, dropout=0.2)
    with pytest.raises(ValueError, match="activations"):
        layers.LSTM(3, activation="gelu")


def mha_ref(lay, q, v, mask=None, causal=False):
    w = [a.astype(np.float64) for a in lay.get_weights()]
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = w
    Q = np.einsum("ntd,dhk->nthk", q, Wq) + bq
    K = np.einsum("ntd,dhk->nthk", v, Wk) + bk
    V = np.einsum("ntd,dhk->nthk", v, Wv) + bv
    O = attention_ref(Q, K, V, mask, causal=causal)
    return np.einsum("nthk,hkd->ntd", O, Wo) + bo


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_keras_formula(causal):
    rng = np.random.default_rng(3)
    q = rng.standard_normal((2, 4, 5)).astype(np.float32)
    v = rng.standard_normal((2, 3, 6)).astype(np.float32)
    lay = layers.MultiHeadAttention(num_heads=2, key_dim=3,
                                    bias_initializer="random_normal")
    y = lay(q, v, use_causal_mask=causal).numpy()
    # Keras: 3 projections (dim, heads, key_dim) + bias, output (heads, key_dim, dim) + bias
    assert lay.count_params() == (5 * 6 + 6) + 2 * (6 * 6 + 6) + (6 * 5 + 5)
    np.testing.assert_allclose(y, mha_ref(lay, q.astype(np.float64), v.astype(np.float64),
                                          causal=causal), rtol=1e-4, atol=1e-5)


def test_multi_head_attention_value_padding_mask_and_gradients_flow():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    lay = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    vmask = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
    y = lay(x, x, value_mask=vmask)
    np.testing.assert_allclose(y.numpy(), mha_ref(lay, x.astype(np.float64), x.astype(np.float64),
                                                  mask=vmask), rtol=1e-4, atol=1e-5)
    y.backward(np.ones(y.shape, np.float32))
    assert all(np.abs(lay.tensor(w).grad).sum() > 0 for w in lay.weights)


def test_sequence_model_learns_with_compiled_fit():
    """Embedding(mask_zero) -> Bidirectional(LSTM) -> Dense learns a padded
    sequence task; the partial last batch exercises re-planning for a new
    batch size."""
    pynn.set_seed(0)
    rng = np.random.default_rng(0)
    n, T = 300, 6
    ids = rng.integers(1, 6, (n, T)).astype(np.float32)
    lengths = rng.integers(2, T + 1, n)
    for i, L in enumerate(lengths):
        ids[i, L:] = 0
    y = (ids == 5).any(axis=1).astype(np.float32)   # "does token 5 occur?"
    model = pynn.Sequential([pynn.Input((T,)), layers.Embedding(6, 8, mask_zero=True),
                             layers.Bidirectional(layers.LSTM(8)),
                             layers.Dense(1, activation="sigmoid")])
    model.compile(pynn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(ids, y, epochs=25, batch_size=32, verbose=0)
    assert model.count_params() == 6 * 8 + 2 * 4 * (8 * (8 + 8) + 8) + 17
    _, acc = model.evaluate(ids, y, verbose=0)
    assert acc > 0.9
