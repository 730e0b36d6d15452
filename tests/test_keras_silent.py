"""Regression tests for five results that used to be silently wrong (issue 13), each
held against Keras 3 (torch backend) where it is installed:

a. sub-layers, lists / dicts of layers and Variables held by a custom `Layer`
   are its weights: trained, saved, frozen with it (keras.io "Text classification
   with Transformer": TransformerBlock + TokenAndPositionEmbedding);
b. symbolic tensors passed by keyword (`LSTM(...)(x, initial_state=[h, c])`) are
   part of the functional graph (keras.io "Character-level recurrent
   sequence-to-sequence model");
c. accuracy metrics on (batch, time, classes) outputs take one argmax per step;
d. `layer.build(shape)` marks the layer built, so weights set before the first
   call are kept (keras.io "Using pre-trained word embeddings");
e. a frozen BatchNormalization (through `model.trainable = False`) runs in
   inference mode (keras.io transfer-learning guide)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

# Keras' own Variable trips NumPy 2's __array__(copy=) deprecation; not pynn's concern
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


# ---------------------------------------------------------------- a. custom layers
def transformer_classes(keras, layers, ops):
    """The two custom layers of https://keras.io/examples/nlp/text_classification_with_transformer/
    (Keras 3 version), verbatim, for either library."""

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    return TransformerBlock, TokenAndPositionEmbedding


MAXLEN, VOCAB, EMBED = 12, 30, 16


def transformer_model(keras, layers, ops):
    TransformerBlock, TokenAndPositionEmbedding = transformer_classes(keras, layers, ops)
    inputs = layers.Input(shape=(MAXLEN,))
    x = TokenAndPositionEmbedding(MAXLEN, VOCAB, EMBED)(inputs)
    x = TransformerBlock(EMBED, 2, 16)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, (TransformerBlock, TokenAndPositionEmbedding)


def token_data(n=400):
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, size=(n, MAXLEN))
    y = ((x < 10).sum(1) > (x >= 20).sum(1)).astype("int64")  # more low than high tokens
    return x.astype("float32"), y


def test_custom_layer_weights_are_keras_weights():
    keras = keras_or_skip()
    kmodel, _ = transformer_model(keras, keras.layers, keras.ops)
    pynn.set_seed(0)
    model, _ = transformer_model(pynn, layers, pynn.ops)
    # the same weights, in the same order: embeddings, attention, ffn, norms, head
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in kmodel.weights]
    assert len(model.trainable_weights) == len(kmodel.trainable_weights) == 22
    assert model.count_params() == kmodel.count_params()
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    x, _ = token_data(8)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def test_custom_layer_transformer_trains_saves_and_loads(tmp_path):
    pynn.set_seed(0)
    model, custom = transformer_model(pynn, layers, pynn.ops)
    x, y = token_data()
    embedding_before = model.weights[0].copy()
    block = next(l for l in model.layers if type(l).__name__ == "TransformerBlock")
    ffn_before = block.ffn.layers[0].kernel.copy()
    history = model.fit(x[:300], y[:300], batch_size=32, epochs=15, verbose=0,
                        validation_data=(x[300:], y[300:]))
    majority = max(y[300:].mean(), 1 - y[300:].mean())
    assert history.history["val_accuracy"][-1] > majority + 0.15, history.history
    # the sub-layers' weights trained (they stayed at their initial values before)
    assert not np.allclose(model.weights[0], embedding_before)
    assert not np.allclose(block.ffn.layers[0].kernel, ffn_before)
    path = str(tmp_path / "transformer.keras")
    model.save(path)
    loaded = pynn.load_model(path, custom_objects={c.__name__: c for c in custom})
    assert len(loaded.weights) == 22
    np.testing.assert_allclose(loaded.predict(x[:16], verbose=0), model.predict(x[:16], verbose=0),
                               rtol=1e-6, atol=1e-6)


class Stack(layers.Layer):
    """Layers in a list and a dict, and a Variable, all created in __init__."""

    def __init__(self, units):
        super().__init__()
        self.hidden = [layers.Dense(units, activation="tanh") for _ in range(2)]
        self.heads = {"out": layers.Dense(1)}
        self.scale = pynn.Variable(np.full((1,), 2.0, np.float32), name="scale")

    def call(self, x):
        for layer in self.hidden:
            x = layer(x)
        return self.heads["out"](x) * self.scale


def test_custom_layer_tracks_lists_dicts_variables_and_freezes_them():
    pynn.set_seed(1)
    stack = Stack(4)
    inputs = pynn.Input(shape=(3,))
    model = pynn.Model(inputs, layers.Dense(1)(stack(inputs)))
    # the layer's own Variable first, then hidden[0] (kernel, bias), hidden[1], heads["out"]
    assert [tuple(w.shape) for w in stack.weights] == [(1,), (3, 4), (4,), (4, 4), (4,), (4, 1), (1,)]
    assert len(model.trainable_weights) == 9
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (3.0 * x[:, :1] - x[:, 1:2]).astype("float32")
    model.compile(optimizer=pynn.optimizers.Adam(0.05), loss="mse")
    before = [w.copy() for w in model.weights]
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    changed = [not np.allclose(a, b) for a, b in zip(before, model.weights)]
    assert all(changed), changed  # the Variable and every sub-layer weight trained
    # freezing the custom layer freezes what it holds (Keras)
    stack.trainable = False
    assert all(not l.trainable for l in stack.hidden) and not stack.heads["out"].trainable
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 7
    model.compile(optimizer=pynn.optimizers.Adam(0.05), loss="mse")
    frozen, head = [w.copy() for w in stack.weights], model.layers[-1].kernel.copy()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(frozen, stack.weights):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(model.layers[-1].kernel, head)  # the head still trains


# ---------------------------------------------------------------- b. keyword tensors
def seq2seq(keras, latent_dim=8, enc_tokens=6, dec_tokens=7):
    """The training model of https://keras.io/examples/nlp/lstm_seq2seq/, verbatim."""
    encoder_inputs = keras.Input(shape=(None, enc_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, dec_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(dec_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def seq2seq_data(n=24):
    rng = np.random.default_rng(2)
    enc = np.eye(6, dtype="float32")[rng.integers(0, 6, size=(n, 5))]
    dec_ids = rng.integers(0, 7, size=(n, 4))
    dec_in = np.eye(7, dtype="float32")[dec_ids]
    target = np.eye(7, dtype="float32")[np.roll(dec_ids, -1, axis=1)]
    return enc, dec_in, target


@pytest.mark.parametrize("rnn", ["LSTM", "GRU", "SimpleRNN"])
def test_initial_state_keeps_the_encoder_in_the_graph(rnn, tmp_path):
    states = 2 if rnn == "LSTM" else 1
    enc_in, dec_in = pynn.Input(shape=(5, 3)), pynn.Input(shape=(3, 2))
    enc_out = getattr(layers, rnn)(4, return_state=True)(enc_in)
    dec = getattr(layers, rnn)(4, return_sequences=True)(dec_in, initial_state=enc_out[1:1 + states])
    model = pynn.Model([enc_in, dec_in], layers.Dense(1)(dec))
    assert len(model.weights) == 2 * 3 + 2  # both recurrent layers and the Dense
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 5, 3)).astype("float32"), rng.normal(size=(4, 3, 2)).astype("float32")
    # the output depends on the encoder's input, through the initial state
    assert np.abs(model.predict([a, b], verbose=0) - model.predict([a + 1, b], verbose=0)).max() > 1e-3
    # and gradients flow into the encoder
    encoder_kernel = model.weights[0].copy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit([a, b], rng.normal(size=(4, 3, 1)).astype("float32"), epochs=1, verbose=0)
    assert not np.allclose(model.weights[0], encoder_kernel)
    # saved and loaded, the initial state still comes from the encoder
    path = str(tmp_path / f"{rnn}.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    np.testing.assert_allclose(loaded.predict([a, b], verbose=0), model.predict([a, b], verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_seq2seq_matches_keras():
    keras = keras_or_skip()
    kmodel = seq2seq(keras)
    model = seq2seq(pynn)
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in kmodel.weights]
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    enc, dec_in, target = seq2seq_data()
    np.testing.assert_allclose(model.predict([enc, dec_in], verbose=0),
                               kmodel.predict([enc, dec_in], verbose=0), rtol=1e-4, atol=1e-5)
    # one epoch of training from the same weights: the same weights after (encoder included)
    kmodel.fit([enc, dec_in], target, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.fit([enc, dec_in], target, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-3, atol=1e-5)


# ---------------------------------------------------------------- c. per-step accuracy
def sequence_classifier(lib, loss, metrics):
    inp = lib.Input(shape=(6, 3))
    model = lib.Model(inp, lib.layers.Dense(5, activation="softmax")(inp))
    model.set_weights([np.linspace(-1, 1, 15).reshape(3, 5).astype("float32"),
                       np.zeros(5, "float32")])
    model.compile("sgd", loss, metrics=metrics)
    return model


def sequence_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 6, 3)).astype("float32")
    labels = rng.integers(0, 5, size=(20, 6))
    return x, labels, np.eye(5, dtype="float32")[labels]


def test_sequence_accuracy_is_per_time_step():
    x, labels, onehot = sequence_data()
    model = sequence_classifier(pynn, "categorical_crossentropy", ["accuracy", "categorical_accuracy"])
    hits = model.predict(x, verbose=0).argmax(-1) == labels
    logs = model.evaluate(x, onehot, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(hits.mean(), abs=1e-6)
    assert logs["categorical_accuracy"] == pytest.approx(hits.mean(), abs=1e-6)
    model = sequence_classifier(pynn, "sparse_categorical_crossentropy",
                                ["accuracy", pynn.metrics.SparseTopKCategoricalAccuracy(k=2)])
    p = model.predict(x, verbose=0)
    top2 = (np.argsort(-p, axis=-1)[..., :2] == labels[..., None]).any(-1)
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(hits.mean(), abs=1e-6)
    assert logs["sparse_top_k_categorical_accuracy"] == pytest.approx(top2.mean(), abs=1e-6)
    # weighted: the steps of a sample averaged, then the samples weighted (Keras)
    sw = np.random.default_rng(1).uniform(0.1, 2.0, size=20).astype("float32")
    model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
    logs = model.evaluate(x, labels, sample_weight=sw, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(np.sum(sw * hits.mean(1)) / sw.sum(), abs=1e-6)
    # standalone
    m = pynn.metrics.CategoricalAccuracy()
    m.update_state(onehot, p)
    assert m.result() == pytest.approx(hits.mean(), abs=1e-6)


def test_sequence_accuracy_matches_keras():
    keras = keras_or_skip()
    x, labels, onehot = sequence_data()
    for loss, y, metrics in (
            ("categorical_crossentropy", onehot, ["accuracy", "categorical_accuracy"]),
            ("sparse_categorical_crossentropy", labels,
             ["accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"])):
        want = sequence_classifier(keras, loss, metrics).evaluate(x, y, verbose=0, return_dict=True)
        got = sequence_classifier(pynn, loss, metrics).evaluate(x, y, verbose=0, return_dict=True)
        assert sorted(got) == sorted(want)
        for k in want:
            assert got[k] == pytest.approx(want[k], rel=1e-5), k


# ---------------------------------------------------------------- d. build() then set_weights
def test_weights_set_after_build_survive_the_first_call():
    matrix = np.arange(40, dtype="float32").reshape(10, 4)
    # https://keras.io/examples/nlp/pretrained_word_embeddings/
    embedding_layer = layers.Embedding(10, 4, trainable=False)
    embedding_layer.build((1,))
    assert embedding_layer.built  # issue 10
    embedding_layer.set_weights([matrix])
    int_sequences_input = pynn.Input(shape=(None,), dtype="int64")
    embedded_sequences = embedding_layer(int_sequences_input)
    model = pynn.Model(int_sequences_input, layers.GlobalAveragePooling1D()(embedded_sequences))
    assert len(model.weights) == 1
    np.testing.assert_array_equal(model.predict(np.array([[1, 2]]), verbose=0), [[6, 7, 8, 9]])
    # a Dense built by hand keeps its weights too
    dense = layers.Dense(2)
    dense.build((None, 3))
    dense.set_weights([np.ones((3, 2), "float32"), np.array([1, -1], "float32")])
    model = pynn.Sequential([pynn.Input(shape=(3,)), dense])
    np.testing.assert_array_equal(model.predict(np.ones((1, 3), "float32"), verbose=0), [[4, 2]])


def test_weights_set_after_build_match_keras():
    keras = keras_or_skip()
    matrix = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    outs = []
    for lib in (keras, pynn):
        layer = lib.layers.Embedding(10, 4, trainable=False)
        layer.build((1,))
        layer.set_weights([matrix])
        inputs = lib.Input(shape=(None,), dtype="int32")
        model = lib.Model(inputs, lib.layers.GlobalAveragePooling1D()(layer(inputs)))
        outs.append((model.predict(np.array([[1, 2, 9]]), verbose=0), layer.built,
                     len(model.trainable_weights)))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-6)
    assert outs[1][1:] == outs[0][1:] == (True, 0)


# ---------------------------------------------------------------- e. frozen BatchNormalization
def transfer_model(lib, seed_weights=None):
    # https://keras.io/guides/transfer_learning/: a frozen base called with training=False
    base = lib.Sequential([lib.Input(shape=(4,)), lib.layers.Dense(6), lib.layers.BatchNormalization()])
    base.trainable = False
    inputs = lib.Input(shape=(4,))
    x = base(inputs, training=False)
    outputs = lib.layers.Dense(1)(x)
    model = lib.Model(inputs, outputs)
    if seed_weights is not None:
        model.set_weights(seed_weights)
    model.compile(optimizer="adam", loss="mse")
    return model, base


def test_frozen_model_runs_batchnorm_in_inference_mode():
    model, base = transfer_model(pynn)
    bn = base.layers[1]
    assert not bn.trainable and not base.layers[0].trainable  # model.trainable reaches its layers
    assert len(model.trainable_weights) == 2
    rng = np.random.default_rng(0)
    x = (3.0 + 2.0 * rng.normal(size=(64, 4))).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    frozen = [w.copy() for w in base.weights]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(frozen, base.weights):  # moving statistics included
        np.testing.assert_array_equal(a, b)


def test_frozen_batchnorm_matches_keras():
    keras = keras_or_skip()
    kmodel, kbase = transfer_model(keras)
    model, base = transfer_model(pynn, [np.asarray(w) for w in kmodel.get_weights()])
    rng = np.random.default_rng(0)
    x = (3.0 + 2.0 * rng.normal(size=(32, 4))).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    kmodel.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-6)
