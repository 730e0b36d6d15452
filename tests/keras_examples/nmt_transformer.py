"""keras.io's "English-to-Spanish translation with a sequence-to-sequence Transformer"
(https://keras.io/examples/nlp/neural_machine_translation_with_transformer/), Keras 3
version, shrunk: PositionalEmbedding with compute_mask = ops.not_equal(inputs, 0), the
TransformerEncoder that turns its Keras mask into an attention_mask (ops.cast(mask[:,
None, :], "int32")), the TransformerDecoder called on the list [x, encoder_outputs] that
receives the list of both masks, builds the causal mask with ops.arange / ops.tile and
passes query_mask= and key_mask= to MultiHeadAttention; the functional encoder, decoder
and dict-input transformer; compile("rmsprop",
SparseCategoricalCrossentropy(ignore_class=0), ["accuracy"]); fit; greedy
decode_sequence. Changes: the Anki corpus (downloaded) and TextVectorization + tf.data
(TensorFlow-only in Keras 3) are replaced by a synthetic word-for-word "translation" of
sentences over a 24-word vocabulary, vectorized in NumPy as TextVectorization does ("" =
0, "[UNK]" = 1, then words by frequency); the custom standardization is not needed (no
punctuation). vocab 28, all of the Spanish words (15000), sequence_length 10 (20),
embed_dim 16 (256), latent_dim 32 (2048), 2 heads (8), batch 32 (64), 3 epochs (1). The
decoder has Dropout(0.5): Keras and pynn are compared on what draws no masks (untrained
predictions, an untrained evaluate, the untrained greedy decoding)."""
import numpy as np

import keras
from keras import layers
from keras import ops

PARITY_KEYS = ["untrained", "untrained_eval", "untrained_decoded", "params"]

vocab_size = 28  # the synthetic vocabularies: 24 words, "", "[UNK]", "[start]", "[end]"
sequence_length = 10
batch_size = 32


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.dense_dim = dense_dim
        self.num_heads = num_heads
        self.attention = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embed_dim
        )
        self.dense_proj = keras.Sequential(
            [
                layers.Dense(dense_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        else:
            padding_mask = None

        attention_output = self.attention(
            query=inputs, value=inputs, key=inputs, attention_mask=padding_mask
        )
        proj_input = self.layernorm_1(inputs + attention_output)
        proj_output = self.dense_proj(proj_input)
        return self.layernorm_2(proj_input + proj_output)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "embed_dim": self.embed_dim,
                "dense_dim": self.dense_dim,
                "num_heads": self.num_heads,
            }
        )
        return config


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(
            input_dim=vocab_size, output_dim=embed_dim
        )
        self.position_embeddings = layers.Embedding(
            input_dim=sequence_length, output_dim=embed_dim
        )
        self.sequence_length = sequence_length
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim

    def call(self, inputs):
        length = ops.shape(inputs)[-1]
        positions = ops.arange(0, length, 1)
        embedded_tokens = self.token_embeddings(inputs)
        embedded_positions = self.position_embeddings(positions)
        return embedded_tokens + embedded_positions

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim,
            }
        )
        return config


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.latent_dim = latent_dim
        self.num_heads = num_heads
        self.attention_1 = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embed_dim
        )
        self.attention_2 = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embed_dim
        )
        self.dense_proj = keras.Sequential(
            [
                layers.Dense(latent_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
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

        attention_output_1 = self.attention_1(
            query=inputs,
            value=inputs,
            key=inputs,
            attention_mask=causal_mask,
            query_mask=inputs_padding_mask,
        )
        out_1 = self.layernorm_1(inputs + attention_output_1)

        attention_output_2 = self.attention_2(
            query=out_1,
            value=encoder_outputs,
            key=encoder_outputs,
            query_mask=inputs_padding_mask,
            key_mask=encoder_outputs_padding_mask,
        )
        out_2 = self.layernorm_2(out_1 + attention_output_2)

        proj_output = self.dense_proj(out_2)
        return self.layernorm_3(out_2 + proj_output)

    def get_causal_attention_mask(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size, sequence_length = input_shape[0], input_shape[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")
        mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
        mult = ops.concatenate(
            [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])],
            axis=0,
        )
        return ops.tile(mask, mult)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "embed_dim": self.embed_dim,
                "latent_dim": self.latent_dim,
                "num_heads": self.num_heads,
            }
        )
        return config


# ---- the synthetic corpus (the Anki file is downloaded) --------------------------------
ENG = ["tom", "mary", "i", "you", "we", "see", "like", "have", "want", "read", "the", "a",
       "red", "big", "cat", "dog", "book", "house", "car", "apple", "today", "now", "not",
       "very"]
SPA = ["tom", "maria", "yo", "tu", "nosotros", "veo", "gusta", "tengo", "quiero", "leo", "el",
       "un", "rojo", "grande", "gato", "perro", "libro", "casa", "coche", "manzana", "hoy",
       "ahora", "no", "muy"]


def _vectorize(texts, length):
    """TextVectorization(max_tokens=vocab_size, output_sequence_length=length): split on
    whitespace, vocabulary "" and "[UNK]" then the words by decreasing frequency."""
    counts = {}
    for t in texts:
        for w in t.split():
            counts[w] = counts.get(w, 0) + 1
    vocab = ["", "[UNK]"] + sorted(counts, key=lambda w: (-counts[w], w))[: vocab_size - 2]
    index = {w: i for i, w in enumerate(vocab)}

    def encode(batch):
        out = np.zeros((len(batch), length), "int64")
        for row, t in enumerate(batch):
            ids = [index.get(w, 1) for w in t.split()][:length]
            out[row, : len(ids)] = ids
        return out

    return encode, vocab


def data():
    rng = np.random.default_rng(7)
    pairs = []
    for _ in range(640):
        words = rng.integers(0, len(ENG), rng.integers(3, 8))
        pairs.append((" ".join(ENG[w] for w in words),
                      "[start] " + " ".join(SPA[w] for w in words) + " [end]"))
    train_pairs, test_pairs = pairs[:576], pairs[576:]
    eng_vectorization, eng_vocab = _vectorize([p[0] for p in train_pairs], sequence_length)
    spa_vectorization, spa_vocab = _vectorize([p[1] for p in train_pairs], sequence_length + 1)

    def format_dataset(eng, spa):
        eng = eng_vectorization(eng)
        spa = spa_vectorization(spa)
        return (
            {
                "encoder_inputs": eng,
                "decoder_inputs": spa[:, :-1],
            },
            spa[:, 1:],
        )

    train = format_dataset(*zip(*train_pairs))
    return train, test_pairs, eng_vectorization, spa_vectorization, spa_vocab


def build():
    embed_dim = 16
    latent_dim = 32
    num_heads = 2

    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)
    encoder = keras.Model(encoder_inputs, encoder_outputs)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)([x, encoder_outputs])
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)

    transformer = keras.Model(
        {"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs},
        decoder_outputs,
        name="transformer",
    )
    transformer.compile(
        "rmsprop",
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
        metrics=["accuracy"],
    )
    return transformer


def run(transformer, data, tmpdir):
    (inputs, targets), test_pairs, eng_vectorization, spa_vectorization, spa_vocab = data
    spa_index_lookup = dict(zip(range(len(spa_vocab)), spa_vocab))
    max_decoded_sentence_length = sequence_length

    def decode_sequence(input_sentence):
        tokenized_input_sentence = eng_vectorization([input_sentence])
        decoded_sentence = "[start]"
        for i in range(max_decoded_sentence_length):
            tokenized_target_sentence = spa_vectorization([decoded_sentence])[:, :-1]
            predictions = transformer(
                {
                    "encoder_inputs": tokenized_input_sentence,
                    "decoder_inputs": tokenized_target_sentence,
                }
            )

            # ops.argmax(predictions[0, i, :]) is not a concrete value for jax here
            sampled_token_index = ops.convert_to_numpy(
                ops.argmax(predictions[0, i, :])
            ).item(0)
            sampled_token = spa_index_lookup[sampled_token_index]
            decoded_sentence += " " + sampled_token

            if sampled_token == "[end]":
                break
        return decoded_sentence

    out = {"params": transformer.count_params()}
    probe = {k: v[:8] for k, v in inputs.items()}
    out["untrained"] = transformer.predict(probe, verbose=0)
    out["untrained_eval"] = transformer.evaluate(inputs, targets, batch_size=batch_size,
                                                 verbose=0)
    out["untrained_decoded"] = [decode_sequence(p[0]) for p in test_pairs[:3]]
    # the padding is invisible: the first sentence with its encoder padding cut off
    # gives the same translation probabilities up to the end of its target
    first = {k: v[:1] for k, v in inputs.items()}
    n_enc = int((first["encoder_inputs"][0] != 0).sum())
    n_dec = int((first["decoder_inputs"][0] != 0).sum())
    first["encoder_inputs"] = first["encoder_inputs"][:, :n_enc]
    alone = transformer.predict(first, verbose=0)[0, :n_dec]
    out["padding_invisible"] = float(np.abs(out["untrained"][0, :n_dec] - alone).max())
    history = transformer.fit(inputs, targets, batch_size=batch_size, epochs=3, verbose=0)
    out["history"] = history.history
    out["decoded"] = [(p[1], decode_sequence(p[0])) for p in test_pairs[:16]]
    return out


def check(out):
    probs = out["untrained"]
    assert probs.shape == (8, sequence_length, vocab_size)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    assert out["padding_invisible"] < 1e-5
    h = out["history"]
    assert sorted(h) == ["accuracy", "loss"]
    assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > h["accuracy"][0]
    for d in out["untrained_decoded"]:
        assert d.startswith("[start]")
