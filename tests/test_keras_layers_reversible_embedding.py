"""ReversibleEmbedding side by side with Keras 3 (keras/src/layers/core/
reversible_embedding.py; cases of reversible_embedding_test.py: tie_weights on and
off, logit_soft_cap, the reverse projection's shapes): the same tables, forward and
reverse outputs, input and weight gradients (a tied table gets both paths'),
configs, save/load, and a tied language model that trains."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(21)
IDS = RNG.integers(0, 12, size=(3, 5))


@pytest.mark.parametrize("kw", [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0},
                                {"tie_weights": False, "logit_soft_cap": 0.7}])
def test_forward_and_reverse_match_keras(kw):
    keras = keras_or_skip()
    import torch
    theirs = keras.layers.ReversibleEmbedding(12, 4, **kw)
    ours = layers.ReversibleEmbedding(12, 4, **kw)
    theirs(torch.tensor(IDS))
    ours(IDS)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    # well-scaled tables so that the soft cap bites
    values = [RNG.normal(0, 1.5, size=tuple(w.shape)).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    # the composition embed -> reverse, so a tied table gets gradients from both uses
    t_h = theirs(torch.tensor(IDS))
    t_out = theirs(t_h, reverse=True)
    p_h = ours(IDS)
    p_out = ours(p_h, reverse=True)
    np.testing.assert_allclose(p_h.numpy(), t_h.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(p_out.numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    if "logit_soft_cap" in kw:
        assert np.abs(p_out.numpy()).max() <= kw["logit_soft_cap"] + 1e-6
    seed = RNG.normal(size=p_out.shape).astype(np.float32)
    (t_out * torch.tensor(seed)).sum().backward()
    (p_out * seed).sum().backward()
    for tw, pw in zip(theirs.weights, ours.weights):
        np.testing.assert_allclose(ours.tensor(pw).grad, tw.value.grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=pw.name)
    # the reverse input gradient on its own
    h = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    t_in, p_in = torch.tensor(h, requires_grad=True), pynn.Tensor(h, requires_grad=True)
    (theirs(t_in, reverse=True) * torch.tensor(seed[:2, :3])).sum().backward()
    (ours(p_in, reverse=True) * seed[:2, :3]).sum().backward()
    np.testing.assert_allclose(p_in.grad, t_in.grad.numpy(), rtol=1e-4, atol=1e-5)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "embeddings_constraint", "lora_rank",
                                              "lora_alpha", "quantization_config",
                                              "activity_regularizer"})
    for k in ("tie_weights", "reverse_dtype", "logit_soft_cap", "input_dim", "output_dim"):
        assert pc[k] == kc[k], k
    assert ours.compute_output_shape((None, 5, 4), reverse=True) == (None, 5, 12)
    round_trip(ours, IDS.astype(np.float32))


def test_tied_language_model_learns_and_reloads(tmp_path):
    pynn.set_seed(2)
    ids = RNG.integers(1, 10, size=(64, 6))
    target = (ids + 1) % 10                      # predict the next id
    inp = pynn.Input(shape=(6,))
    emb = layers.ReversibleEmbedding(10, 16, name="tok")
    h = layers.Dense(16, activation="tanh")(emb(inp))
    logits = emb(h, reverse=True)
    model = pynn.Model(inp, logits)
    assert len(model.weights) == 3                # one table, used twice
    model.compile(pynn.optimizers.Adam(0.05),
                  pynn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(ids, target, epochs=30, batch_size=16, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
    path = str(tmp_path / "lm.keras")
    model.save(path)
    np.testing.assert_allclose(pynn.load_model(path).predict(ids, verbose=0),
                               model.predict(ids, verbose=0), rtol=1e-6)


def test_mask_zero_forward_only():
    layer = layers.ReversibleEmbedding(6, 3, mask_zero=True)
    out = layer(np.array([[2, 0, 1]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[1.0, 0.0, 1.0]])
    assert getattr(layer(out, reverse=True), "_keras_mask", None) is None


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="logit_soft_cap"):
        layers.ReversibleEmbedding(5, 2, logit_soft_cap=0)
    with pytest.raises(ValueError, match="reverse_dtype"):
        layers.ReversibleEmbedding(5, 2, reverse_dtype="float16")
    layer = layers.ReversibleEmbedding(5, 2)
    layer(np.array([[1]]))
    with pytest.raises(ValueError, match=r"ReversibleEmbedding '.*': reverse=True takes vectors "
                                         r"of size output_dim=2"):
        layer(np.ones((1, 3), np.float32), reverse=True)
