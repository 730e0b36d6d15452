"""MultiHeadAttention side by side with Keras 3 (issue #13): attention_mask,
use_causal_mask, return_attention_scores and dropout on the attention
probabilities (training only, seeded by pynn.set_seed), with the same weights
(keras/src/layers/attention/multi_head_attention.py; https://keras.io/api/layers/
attention_layers/multi_head_attention/). Keras on its torch backend, skipped
where not installed."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(21)
Q = RNG.normal(size=(2, 4, 6)).astype(np.float32)
V = RNG.normal(size=(2, 5, 6)).astype(np.float32)
K = RNG.normal(size=(2, 5, 3)).astype(np.float32)
MASK = (RNG.random((2, 4, 5)) > 0.4).astype(np.float32)
MASK[:, :, 0] = 1  # every query may attend somewhere


def _pair(keras, dropout=0.0, with_key=False):
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, dropout=dropout)
    args = (Q, V, K) if with_key else (Q, V)
    theirs(*[keras.ops.convert_to_tensor(a) for a in args])
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, dropout=dropout)
    ours(*args)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    return theirs, ours


CALLS = {  # name -> keyword arguments of the call, and whether a key tensor is passed
    "plain": ({}, False),
    "key": ({}, True),
    "attention_mask": ({"attention_mask": MASK}, False),
    "causal": ({"use_causal_mask": True}, False),
    "causal_and_mask": ({"use_causal_mask": True, "attention_mask": MASK}, True),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_output_and_scores_match_keras(name):
    keras = keras_or_skip()
    kwargs, with_key = CALLS[name]
    theirs, ours = _pair(keras, with_key=with_key)
    args = (Q, V, K) if with_key else (Q, V)
    t_args = [keras.ops.convert_to_tensor(a) for a in args]
    t_kwargs = {k: keras.ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
    t_out, t_scores = theirs(*t_args, return_attention_scores=True, **t_kwargs)
    o_out, o_scores = ours(*args, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(o_out.numpy(), keras.ops.convert_to_numpy(t_out), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(o_scores.numpy(), keras.ops.convert_to_numpy(t_scores),
                               rtol=1e-4, atol=1e-6)
    # the fused path (no scores asked) gives the same output
    np.testing.assert_allclose(ours(*args, **kwargs).numpy(), o_out.numpy(), rtol=1e-5, atol=1e-6)


def test_gradients_match_keras():
    keras = keras_or_skip()
    import torch
    theirs, ours = _pair(keras)
    seed = RNG.normal(size=(2, 4, 6)).astype(np.float32)
    q_t = torch.tensor(Q, requires_grad=True)
    out, scores = theirs(q_t, keras.ops.convert_to_tensor(V), attention_mask=torch.tensor(MASK),
                         use_causal_mask=True, return_attention_scores=True)
    ((out * torch.tensor(seed)).sum() + (scores ** 2).sum()).backward()
    q_p = pynn.Tensor(Q, requires_grad=True)
    out, scores = ours(q_p, V, attention_mask=MASK, use_causal_mask=True,
                       return_attention_scores=True)
    ((out * seed).sum() + (scores * scores).sum()).backward()
    np.testing.assert_allclose(q_p.grad, q_t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_dropout_is_active_in_training_only_and_seeded():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5)
    plain = layer(Q, V).numpy()
    np.testing.assert_array_equal(layer(Q, V, training=False).numpy(), plain)
    pynn.set_seed(4)
    a = layer(Q, V, training=True).numpy()
    pynn.set_seed(4)
    b = layer(Q, V, training=True).numpy()
    c = layer(Q, V, training=True).numpy()
    np.testing.assert_array_equal(a, b)            # seeded
    assert not np.allclose(a, plain) and not np.allclose(b, c)
    # the scores returned are those before dropout (Keras returns attention_scores, not
    # the dropped ones); inverted dropout keeps the expected output
    _, scores = layer(Q, V, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)
    mean = np.mean([layer(Q, V, training=True).numpy() for _ in range(1500)], axis=0)
    np.testing.assert_allclose(mean, plain, atol=0.08)
    assert layers.MultiHeadAttention.from_config(layer.get_config()).dropout == 0.5
    with pytest.raises(ValueError, match="MultiHeadAttention: dropout must be in"):
        layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=1.0)


def test_dropout_matches_keras_in_inference_and_in_expectation():
    keras = keras_or_skip()
    theirs, ours = _pair(keras, dropout=0.3)
    t_q, t_v = keras.ops.convert_to_tensor(Q), keras.ops.convert_to_tensor(V)
    np.testing.assert_allclose(ours(Q, V).numpy(), keras.ops.convert_to_numpy(theirs(t_q, t_v)),
                               rtol=1e-4, atol=1e-5)
    pynn.set_seed(0)
    ours_mean = np.mean([ours(Q, V, training=True).numpy() for _ in range(1500)], axis=0)
    theirs_mean = np.mean([keras.ops.convert_to_numpy(theirs(t_q, t_v, training=True))
                           for _ in range(1500)], axis=0)
    np.testing.assert_allclose(ours_mean, theirs_mean, atol=0.08)


def test_functional_model_returns_scores_and_trains_with_dropout(tmp_path):
    pynn.set_seed(1)
    inp = pynn.Input((4, 6))
    out, scores = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.2, name="mha")(
        inp, inp, use_causal_mask=True, return_attention_scores=True)
    assert scores.shape == (None, 2, 4, 4)
    model = pynn.Model(inp, [out, scores])
    got_out, got_scores = model.predict(Q, verbose=0)
    want_out, want_scores = model.get_layer("mha")(Q, Q, use_causal_mask=True,
                                                   return_attention_scores=True)
    np.testing.assert_allclose(got_out, want_out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_scores, want_scores.numpy(), rtol=1e-5, atol=1e-6)
    assert np.all(np.triu(got_scores[0, 0], 1) == 0)  # causal: nothing after the query
    y = RNG.normal(size=(2, 6)).astype(np.float32)

    def train(rate):
        pynn.set_seed(7)  # the same weights, and the same dropout masks in fit
        x = pynn.Input((4, 6))
        att = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=rate)(x, x)
        head = pynn.Model(x, layers.GlobalAveragePooling1D()(att))
        head.compile(optimizer="adam", loss="mse")
        head.fit(Q, y, epochs=3, verbose=0, shuffle=False)
        return head.get_weights()
    first = train(0.2)
    for a, b in zip(first, train(0.2)):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, train(0.0)))  # dropout acted
