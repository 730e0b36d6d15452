"""Attention and AdditiveAttention side by side with Keras 3 (same weights; outputs,
attention weights and gradients at float32 tolerance; get_config keys): use_scale,
score_mode, value and query masks, use_causal_mask, return_attention_scores, and
dropout (training only, seeded). Sources: https://keras.io/api/layers/attention_layers/
attention/ and .../attention_layers/additive_attention/ (keras/src/layers/attention/)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(5)
Q = RNG.normal(size=(2, 4, 6)).astype(np.float32)
V = RNG.normal(size=(2, 5, 6)).astype(np.float32)
K = RNG.normal(size=(2, 5, 6)).astype(np.float32)
QMASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
VMASK = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], bool)

LAYERS = {
    "Attention": {},
    "Attention_scale": {"use_scale": True},
    "Attention_concat": {"score_mode": "concat"},
    "Attention_concat_scale": {"score_mode": "concat", "use_scale": True},
    "AdditiveAttention": {},
    "AdditiveAttention_noscale": {"use_scale": False},
}
CALLS = {
    "plain": ([Q, V], {}),
    "key": ([Q, V, K], {}),
    "causal": ([Q, V], {"use_causal_mask": True}),
    "masks": ([Q, V, K], {"mask": [QMASK, VMASK]}),
    "causal_and_masks": ([Q, V], {"mask": [QMASK, VMASK], "use_causal_mask": True}),
}


def _pair(keras, key):
    name = key.split("_")[0]
    kwargs = LAYERS[key]
    return getattr(keras.layers, name)(**kwargs), getattr(layers, name)(**kwargs)


def _keras_kwargs(keras, kwargs):
    import torch
    out = dict(kwargs)
    if "mask" in out:
        out["mask"] = [torch.tensor(m) for m in out["mask"]]
    return out


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("key", sorted(LAYERS))
def test_outputs_and_gradients_match_keras(key, call):
    keras = keras_or_skip()
    import torch
    theirs, ours = _pair(keras, key)
    inputs, kwargs = CALLS[call]
    theirs([torch.tensor(a) for a in inputs])
    for w in theirs.weights:  # away from the initial ones
        w.assign(RNG.uniform(0.5, 1.5, size=tuple(w.shape)).astype(np.float32))
    # compare() passes `mask` to both; Keras wants tensors
    class _Keras:  # keras.layers.X with the mask converted
        def __init__(self, layer):
            self.layer, self.weights = layer, layer.weights

        def __call__(self, x, training=False, **kw):
            return self.layer(x, training=training, **_keras_kwargs(keras, kw))
    compare(keras, _Keras(theirs), ours, inputs, kwargs)
    # the attention weights, too
    t_out, t_w = theirs([torch.tensor(a) for a in inputs], return_attention_scores=True,
                        **_keras_kwargs(keras, kwargs))
    p_out, p_w = ours(inputs, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(p_w.numpy(), t_w.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("key", ["Attention_concat_scale", "AdditiveAttention"])
def test_configs_and_save_load(key):
    keras = keras_or_skip()
    import torch
    theirs, ours = _pair(keras, key)
    theirs([torch.tensor(Q), torch.tensor(V)])
    ours([Q, V])
    kc, pc = config_keys_match(theirs, ours)
    for k in set(kc) - {"name", "dtype"}:
        assert pc[k] == kc[k], k
    assert ours.count_params() == theirs.count_params()


def test_round_trip_in_a_functional_model_with_masks():
    tokens = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 0]])
    pynn.set_seed(0)
    inp = pynn.Input(shape=(5,), dtype="int32")
    emb = layers.Embedding(10, 6, mask_zero=True)(inp)
    out, w = layers.AdditiveAttention()([emb, emb], return_attention_scores=True)
    model = pynn.Model(inp, [out, w])
    o, weights = model.predict(tokens, verbose=0)
    assert o.shape == (2, 5, 6) and weights.shape == (2, 5, 5)
    # padded values get no weight; padded query steps give zeros
    np.testing.assert_allclose(weights[0, :, 3:], 0, atol=1e-7)
    np.testing.assert_allclose(o[0, 3:], 0)
    import os
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "att.keras")
    model.save(path)
    o2, w2 = pynn.load_model(path).predict(tokens, verbose=0)
    np.testing.assert_allclose(o2, o, rtol=1e-6)
    np.testing.assert_allclose(w2, weights, rtol=1e-6)


def test_output_carries_the_query_mask():
    tokens = np.array([[3, 1, 0]])
    emb = layers.Embedding(10, 4, mask_zero=True)
    x = emb(tokens)
    out = layers.Attention()([x, x])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[1, 1, 0]])


def test_dropout_only_in_training_and_seeded():
    layer = layers.Attention(dropout=0.5)
    plain = layer([Q, V]).numpy()
    np.testing.assert_array_equal(layer([Q, V], training=False).numpy(), plain)
    pynn.set_seed(3)
    a, wa = layer([Q, V], training=True, return_attention_scores=True)
    pynn.set_seed(3)
    b = layer([Q, V], training=True).numpy()
    np.testing.assert_array_equal(a.numpy(), b)
    assert not np.allclose(a.numpy(), plain)
    # Keras returns the dropped weights: 0 or 2 x the softmax
    _, w = layer([Q, V], return_attention_scores=True)
    ratio = wa.numpy() / w.numpy()
    assert np.all(np.isclose(ratio, 0) | np.isclose(ratio, 2))


def test_trains_in_a_model():
    pynn.set_seed(1)
    x = RNG.normal(size=(64, 4, 6)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] / 4
    q = pynn.Input(shape=(4, 6))
    h = layers.Attention(use_scale=True)([q, q])
    model = pynn.Model(q, layers.Dense(1)(layers.Flatten()(h)))
    model.compile("adam", "mse")
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]


@pytest.mark.parametrize("inputs,message", [
    (lambda: Q, "must be called on a list"),
    (lambda: [Q], "must be called on a list"),
    (lambda: [Q, V[:, :, :3]], "same last dimension"),
    (lambda: [Q, V, K[:, :3]], "same number of steps"),
    (lambda: [Q[0], V], "query must be"),
])
def test_bad_inputs_name_the_layer(inputs, message):
    with pytest.raises(ValueError, match="Attention 'attention.*" + message):
        layers.Attention()(inputs())


def test_bad_arguments():
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="dropout"):
        layers.AdditiveAttention(dropout=1.0)
    with pytest.raises(ValueError, match="mask must be a list"):
        layers.Attention()([Q, V], mask=VMASK)
