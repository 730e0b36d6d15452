"""GroupQueryAttention side by side with Keras 3 (keras/src/layers/attention/
grouped_query_attention.py; the configurations of grouped_query_attention_test.py:
grouped, multi-query (1 kv head) and multi-head (kv = query heads), no bias, cross
attention with a key, causal and sliding-window masks, gated output, returned scores):
the same weights, outputs, input and weight gradients, configs, save/load."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(31)
Q = RNG.normal(size=(2, 5, 6)).astype(np.float32)
V = RNG.normal(size=(2, 7, 6)).astype(np.float32)
K = RNG.normal(size=(2, 7, 3)).astype(np.float32)

CASES = {
    "grouped": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {}),
    "multi_query": ({"head_dim": 4, "num_query_heads": 3, "num_key_value_heads": 1}, {}),
    "multi_head": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2}, {}),
    "no_bias_key": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2,
                     "use_bias": False}, {"key": True}),
    "causal_self": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
                    {"self": True, "use_causal_mask": True}),
    "window": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2,
                "sliding_window": 2}, {}),
    "window_causal": ({"head_dim": 3, "num_query_heads": 6, "num_key_value_heads": 3,
                       "sliding_window": 3}, {"self": True, "use_causal_mask": True}),
    "gate": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2,
              "use_gate": True}, {}),
    "mask": ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 1},
             {"attention_mask": True}),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("scores", [False, True])
def test_gqa_matches_keras(name, scores):
    keras = keras_or_skip()
    import torch
    kw, call = CASES[name]
    theirs, ours = keras.layers.GroupQueryAttention(**kw), layers.GroupQueryAttention(**kw)
    q = Q
    v = Q if call.get("self") else V
    args = [q, v] + ([K] if call.get("key") else [])
    extra = {}
    if call.get("use_causal_mask"):
        extra["use_causal_mask"] = True
    mask = None
    if call.get("attention_mask"):
        mask = (RNG.uniform(size=(2, q.shape[1], v.shape[1])) > 0.3)
        mask[:, :, 0] = True
    t_in = [torch.tensor(a, requires_grad=True) for a in args]
    p_in = [pynn.Tensor(a, requires_grad=True) for a in args]
    t_kw = dict(extra, attention_mask=None if mask is None else torch.tensor(mask))
    p_kw = dict(extra, attention_mask=None if mask is None else mask.astype(np.float32))
    names = ["query", "value", "key"][:len(args)]
    theirs(**dict(zip(names, t_in)), **t_kw)
    ours(*p_in, **p_kw)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    values = [RNG.normal(0, 0.5, size=tuple(w.shape)).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    t_out = theirs(**dict(zip(names, t_in)), return_attention_scores=scores, **t_kw)
    p_out = ours(*p_in, return_attention_scores=scores, **p_kw)
    if scores:
        np.testing.assert_allclose(p_out[1].numpy(), t_out[1].detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
        t_out, p_out = t_out[0], p_out[0]
    np.testing.assert_allclose(p_out.numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    seed = RNG.normal(size=p_out.shape).astype(np.float32)
    (t_out * torch.tensor(seed)).sum().backward()
    (p_out * seed).sum().backward()
    for t, p in zip(t_in, p_in):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-4, atol=2e-5)
    for tw, pw in zip(theirs.weights, ours.weights):
        np.testing.assert_allclose(ours.tensor(pw).grad, tw.value.grad.numpy(), rtol=1e-4,
                                   atol=2e-5, err_msg=pw.name)
    if not scores:
        kc, pc = config_keys_match(theirs, ours, {"dtype", "activity_regularizer",
                                                  "kernel_constraint", "bias_constraint"})
        for k in ("head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate",
                  "sliding_window", "dropout"):
            assert pc[k] == kc[k], k


def test_class_names_and_saving(tmp_path):
    keras = keras_or_skip()
    assert layers.GroupQueryAttention is layers.GroupedQueryAttention is pynn.GroupQueryAttention
    assert keras.layers.serialize(keras.layers.GroupQueryAttention(2, 2, 1))["class_name"] == \
        "GroupQueryAttention"   # what a .keras file holds
    q = pynn.Input(shape=(5, 6))
    layer = layers.GroupQueryAttention(3, 4, 2, use_gate=True, sliding_window=2)
    model = pynn.Model(q, layers.GlobalAveragePooling1D()(layer(q, q)))
    path = str(tmp_path / "gqa.keras")
    model.save(path)
    again = pynn.load_model(path)
    np.testing.assert_allclose(again.predict(Q, verbose=0), model.predict(Q, verbose=0),
                               rtol=1e-6)
    # self-attention (the same tensor twice) reloads too, for MultiHeadAttention as well
    for att in (layers.MultiHeadAttention(2, 3), layers.GroupQueryAttention(3, 4, 2)):
        model = pynn.Model(q, att(q, q))
        model.save(path)
        np.testing.assert_array_equal(pynn.load_model(path).predict(Q, verbose=0),
                                      model.predict(Q, verbose=0))


def test_trains_with_dropout():
    pynn.set_seed(0)
    x = RNG.normal(size=(64, 5, 6)).astype(np.float32)
    y = x[:, ::-1].mean(axis=1)                 # needs attention across steps
    q = pynn.Input(shape=(5, 6))
    h = layers.GroupQueryAttention(4, 4, 2, dropout=0.1)(q, q)
    model = pynn.Model(q, layers.GlobalAveragePooling1D()(h))
    model.compile(pynn.optimizers.Adam(0.01), "mse")
    hist = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="must be divisible by `num_key_value_heads`"):
        layers.GroupQueryAttention(2, 4, 3)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.GroupQueryAttention(2, 4, 2, sliding_window=0)
    with pytest.raises(ValueError, match="head_dim"):
        layers.GroupQueryAttention(0, 4, 2)
    with pytest.raises(ValueError, match="query must be \\(batch, T, dim\\)"):
        layers.GroupQueryAttention(2, 4, 2)(np.zeros((2, 6)), np.zeros((2, 3, 6)))
