"""Keras' masking rules (keras.io guide "Understanding masking & padding",
https://keras.io/guides/understanding_masking_and_padding/), each a regression test
for a published program that ran on pynn with silently different numbers or failed:

- the mask of Embedding(mask_zero=True) / Masking goes through the layers that
  support masking (Dense, Activation, Dropout, normalization, custom layers with
  ``supports_masking = True``), so an LSTM further down still skips the padding;
- a custom ``call(inputs, mask=None)`` receives the mask; a custom ``compute_mask``
  sets the output's mask (eagerly, in Sequential and in functional models);
- GlobalAveragePooling1D averages the unmasked steps only;
- the Masking layer; symbolic tensors carry ``_keras_mask``;
- keras.ops.take without an axis takes from the flattened array; keras.ops.tile
  takes its repeats as a tensor; an attention mask of batch 1 holds for every
  sample (keras.io "Text generation with a miniature GPT" builds both)."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

IDS = np.array([[5, 3, 0, 0, 0], [7, 1, 4, 2, 0]])  # post-padded with 0
UNPADDED = [IDS[:1, :2], IDS[1:, :4]]


def _lstm_model(lib, middle):
    """Embedding(mask_zero) -> middle layers -> LSTM, in lib ("pynn" or Keras)."""
    inputs = lib.Input(shape=(None,), dtype="int32")
    x = lib.layers.Embedding(10, 4, mask_zero=True)(inputs)
    for layer in middle(lib):
        x = layer(x)
    return lib.Model(inputs, lib.layers.LSTM(3)(x))


MIDDLES = {
    "Dense": lambda k: [k.layers.Dense(4, activation="tanh")],
    "Activation+Dropout": lambda k: [k.layers.Activation("relu"), k.layers.Dropout(0.5)],
    "LayerNormalization": lambda k: [k.layers.LayerNormalization()],
    "BatchNormalization": lambda k: [k.layers.BatchNormalization()],
    "ReLU": lambda k: [k.layers.ReLU()],
}


@pytest.mark.parametrize("middle", sorted(MIDDLES))
def test_mask_reaches_the_lstm_through_layers_that_support_masking(middle):
    pynn.set_seed(0)
    model = _lstm_model(pynn, MIDDLES[middle])
    padded = model.predict(IDS, verbose=0)
    for row, ids in enumerate(UNPADDED):  # the padding is skipped: as if it were not there
        np.testing.assert_allclose(padded[row], model.predict(ids, verbose=0)[0], atol=1e-6)


@pytest.mark.parametrize("middle", sorted(MIDDLES))
def test_masked_outputs_match_keras(middle):
    keras = keras_or_skip()
    keras.utils.set_random_seed(1)
    kmodel = _lstm_model(keras, MIDDLES[middle])
    model = _lstm_model(pynn, MIDDLES[middle])
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    np.testing.assert_allclose(model.predict(IDS, verbose=0), kmodel.predict(IDS, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_sequential_dense_passes_the_mask_on():
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(None,), dtype="int32"),
                             layers.Embedding(10, 4, mask_zero=True), layers.Dense(4),
                             layers.LSTM(3)])
    padded = model.predict(IDS, verbose=0)
    np.testing.assert_allclose(padded[1], model.predict(UNPADDED[1], verbose=0)[0], atol=1e-6)


class TemporalSoftmax(layers.Layer):
    """A mask consumer (call(inputs, mask=None)), from the masking guide, with the softmax over
    the steps (axis 1) that the guide's text describes."""
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        m = ops.expand_dims(ops.cast(mask, "float32"), -1)
        e = ops.exp(inputs) * m
        return e / ops.sum(e, axis=1, keepdims=True)


def _softmax_reference(scores, ids):
    e = np.exp(scores) * (ids != 0)[..., None]
    return e / e.sum(axis=1, keepdims=True)


def test_custom_call_receives_the_mask_eagerly_and_in_models():
    pynn.set_seed(0)
    emb = layers.Embedding(10, 1, mask_zero=True)
    soft = TemporalSoftmax()
    scores = emb(IDS)
    want = _softmax_reference(scores.numpy(), IDS)
    np.testing.assert_allclose(soft(scores).numpy(), want, rtol=1e-6)  # eager
    seq = pynn.Sequential([emb, soft])
    np.testing.assert_allclose(seq.predict(IDS, verbose=0), want, rtol=1e-6)
    inputs = pynn.Input(shape=(None,), dtype="int32")
    functional = pynn.Model(inputs, soft(emb(inputs)))  # its shape found with a mask given
    np.testing.assert_allclose(functional.predict(IDS, verbose=0), want, rtol=1e-6)
    # the mask is what makes the difference: without it the padding shares the softmax
    assert not np.allclose(want, _softmax_reference(scores.numpy(), np.ones_like(IDS)))


class TemporalSplit(layers.Layer):
    """The guide's mask-modifying layer: splits the steps in two, and the mask with them."""
    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


def test_custom_compute_mask_sets_the_output_masks():
    x = np.array([[[1.0], [2.0], [0.0], [0.0]]], np.float32)
    first, second = TemporalSplit()(layers.Masking()(x))
    np.testing.assert_array_equal(first._keras_mask.numpy(), [[1, 1]])
    np.testing.assert_array_equal(second._keras_mask.numpy(), [[0, 0]])
    assert TemporalSplit().supports_masking  # Keras 3: defining compute_mask opts in


def test_custom_layer_without_supports_masking_drops_the_mask():
    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0
    out = Plain()(layers.Embedding(10, 2, mask_zero=True)(IDS))
    assert getattr(out, "_keras_mask", None) is None


def test_lstm_without_return_sequences_has_no_mask():
    x = layers.Embedding(10, 2, mask_zero=True)(IDS)
    assert getattr(layers.LSTM(3)(x), "_keras_mask", None) is None
    seq = layers.LSTM(3, return_sequences=True)(x)
    np.testing.assert_array_equal(seq._keras_mask.numpy(), IDS != 0)
    out, h, c = layers.LSTM(3, return_sequences=True, return_state=True)(x)
    assert out._keras_mask is not None and getattr(h, "_keras_mask", None) is None


def test_global_average_pooling_1d_averages_the_unmasked_steps():
    x = np.arange(10, dtype=np.float32).reshape(2, 5, 1) + 1
    x[0, 3:] = 0  # padding
    masked = layers.Masking()(x)
    out = layers.GlobalAveragePooling1D()(masked).numpy()
    np.testing.assert_allclose(out, [[2.0], [8.0]])  # mean of 1, 2, 3 and of 6..10
    assert getattr(layers.GlobalAveragePooling1D()(masked), "_keras_mask", None) is None
    keepdims = layers.GlobalAveragePooling1D(keepdims=True)(masked).numpy()
    np.testing.assert_allclose(keepdims, [[[2.0]], [[8.0]]])
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x).numpy(), [[1.2], [8.0]])


def test_global_average_pooling_1d_mask_gradient():
    # the masked mean's gradient: 1/count at the kept steps, 0 at the padding
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], np.float32)

    def fn(x):
        x._keras_mask = pynn.Tensor(mask)
        return layers.GlobalAveragePooling1D()(x)

    def ref(x):
        return (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1)[:, None]
    check_grad(fn, ref, [np.random.default_rng(5).normal(size=(2, 4, 3))])


def test_global_average_pooling_matches_keras():
    keras = keras_or_skip()
    x = np.random.default_rng(0).normal(size=(3, 6, 2)).astype(np.float32)
    x[0, 4:] = 0
    x[2, 1:] = 0
    want = np.asarray(keras.layers.GlobalAveragePooling1D()(keras.layers.Masking()(x)))
    got = layers.GlobalAveragePooling1D()(layers.Masking()(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]],
                  [[-1.0, -1.0], [0.0, 5.0], [-1.0, -1.0]]], np.float32)
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[1, 1, 1], [0, 1, 0]])
    want = x.copy()
    want[1, [0, 2]] = 0.0  # masked steps are zeroed, as Keras does
    np.testing.assert_array_equal(out.numpy(), want)
    cfg = layers.Masking(mask_value=-1.0).get_config()
    assert cfg["mask_value"] == -1.0 and layers.Masking.from_config(cfg).mask_value == -1.0
    with pytest.raises(ValueError, match=r"Masking '.*' expects \(batch, steps, features\).*\(3,\)"):
        layers.Masking()(np.ones((2, 3), np.float32))


def test_masking_before_lstm_trains_and_matches_keras():
    keras = keras_or_skip()
    x = np.random.default_rng(2).normal(size=(4, 5, 3)).astype(np.float32)
    x[0, 2:] = 0.0
    x[3, 4:] = 0.0

    def build(k):
        return k.Sequential([k.Input(shape=(5, 3)), k.layers.Masking(), k.layers.LSTM(4)])
    keras.utils.set_random_seed(3)
    kmodel = build(keras)
    model = build(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_symbolic_tensors_carry_the_mask():
    inputs = pynn.Input(shape=(None,), dtype="int32")
    assert inputs._keras_mask is None
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    assert x._keras_mask.shape == (None, None)
    assert layers.Dense(2)(x)._keras_mask is not None
    assert layers.LSTM(2)(x)._keras_mask is None
    assert layers.Embedding(10, 4)(inputs)._keras_mask is None


def test_take_without_axis_flattens_as_numpy():
    table = np.arange(12, dtype=np.float32).reshape(3, 4)
    idx = np.array([[1, 11], [0, 5]])
    np.testing.assert_array_equal(ops.take(table, idx).numpy(), np.take(table, idx))
    np.testing.assert_array_equal(ops.take(table, [2], axis=0).numpy(), table[[2]])


def test_tile_takes_repeats_as_a_tensor():
    reps = ops.concatenate([ops.expand_dims(3, -1), ops.convert_to_tensor([1, 1])], 0)
    out = ops.tile(np.ones((1, 2, 2), np.float32), reps)
    assert out.shape == (3, 2, 2)
    with pytest.raises(ValueError, match="tile: repeats must be non-negative ints"):
        ops.tile(np.ones(2, np.float32), np.array([1.5]))


def test_attention_mask_of_batch_one_holds_for_every_sample():
    rng = np.random.default_rng(4)
    q = rng.normal(size=(3, 4, 2, 5)).astype(np.float32)
    causal = np.tril(np.ones((4, 4), np.float32))
    shared = ops.scaled_dot_product_attention(q, q, q, causal[None]).numpy()
    full = ops.scaled_dot_product_attention(q, q, q, np.broadcast_to(causal, (3, 4, 4))).numpy()
    np.testing.assert_array_equal(shared, full)
    np.testing.assert_allclose(shared, ops.scaled_dot_product_attention(q, q, q, causal=True)
                               .numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"mask must be \(batch=3, .*a batch of 1 holding"):
        ops.scaled_dot_product_attention(q, q, q, np.ones((2, 4, 4), np.float32))


def test_onnx_export_refuses_a_masked_average():
    pytest.importorskip("onnx", reason="the ONNX exporter needs the onnx extra")
    inputs = pynn.Input(shape=(5,))
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = pynn.Model(inputs, layers.GlobalAveragePooling1D()(x))
    with pytest.raises(ValueError, match="GlobalAveragePooling1D.*receives a mask"):
        model.export("unused.onnx")
