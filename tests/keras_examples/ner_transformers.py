"""keras.io's "Named Entity Recognition using Transformers"
(https://keras.io/examples/nlp/ner_transformers/), Keras 3 version, shrunk: the
TransformerBlock (MultiHeadAttention, a Sequential feed-forward, two
LayerNormalizations, Dropouts with call(inputs, training=False)), the
TokenAndPositionEmbedding (ops.shape / ops.arange positions), the NERModel subclass
(softmax over the tags at every token), the CustomNonPaddingTokenLoss that builds a
SparseCategoricalCrossentropy(reduction=None) inside call() and averages it over the
tokens whose tag is not padding, compile("adam", loss) and fit, the tag lookup table
and the sample prediction, and calculate_metrics over padded batches. CoNLL 2003
(downloaded with HuggingFace datasets, then read with tf.data and a StringLookup) is
replaced by offline sentences of varied length over a 40-word vocabulary already
mapped to ids, padded with zeros as padded_batch does; a word's tag is a function
of the word and of the word before it. The model has Dropout: Keras and pynn are
compared on what does not draw masks (untrained predictions, the loss of an
untrained evaluate, the loss object on fixed arrays)."""
import numpy as np

import keras
from keras import layers
from keras import ops

PARITY_KEYS = ["untrained", "untrained_loss", "loss_object", "mapping"]


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = keras.layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embed_dim
        )
        self.ffn = keras.Sequential(
            [
                keras.layers.Dense(ff_dim, activation="relu"),
                keras.layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = keras.layers.Dropout(rate)
        self.dropout2 = keras.layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = keras.layers.Embedding(
            input_dim=vocab_size, output_dim=embed_dim
        )
        self.pos_emb = keras.layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, inputs):
        maxlen = ops.shape(inputs)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        position_embeddings = self.pos_emb(positions)
        token_embeddings = self.token_emb(inputs)
        return token_embeddings + position_embeddings


class NERModel(keras.Model):
    def __init__(
        self, num_tags, vocab_size, maxlen=128, embed_dim=32, num_heads=2, ff_dim=32
    ):
        super().__init__()
        self.embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
        self.transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
        self.dropout1 = layers.Dropout(0.1)
        self.ff = layers.Dense(ff_dim, activation="relu")
        self.dropout2 = layers.Dropout(0.1)
        self.ff_final = layers.Dense(num_tags, activation="softmax")

    def call(self, inputs, training=False):
        x = self.embedding_layer(inputs)
        x = self.transformer_block(x)
        x = self.dropout1(x, training=training)
        x = self.ff(x)
        x = self.dropout2(x, training=training)
        x = self.ff_final(x)
        return x


def make_tag_lookup_table():
    iob_labels = ["B", "I"]
    ner_labels = ["PER", "ORG", "LOC", "MISC"]
    all_labels = [(label1, label2) for label2 in ner_labels for label1 in iob_labels]
    all_labels = ["-".join([a, b]) for a, b in all_labels]
    all_labels = ["[PAD]", "O"] + all_labels
    return dict(zip(range(0, len(all_labels) + 1), all_labels))


mapping = make_tag_lookup_table()
num_tags = len(mapping)
vocab_size = 42  # 40 words, the mask token 0 and the OOV token 1, as StringLookup
batch_size = 32


class CustomNonPaddingTokenLoss(keras.losses.Loss):
    def __init__(self, name="custom_ner_loss"):
        super().__init__(name=name)

    def call(self, y_true, y_pred):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(
            from_logits=False, reduction=None
        )
        loss = loss_fn(y_true, y_pred)
        mask = ops.cast((y_true > 0), dtype="float32")
        loss = loss * mask
        return ops.sum(loss) / ops.sum(mask)


def data():
    """Padded id sequences (n, 12) and tags 1..9 (0 = padding), in batches of 32."""
    rng = np.random.default_rng(7)
    n, width = 320, 12
    x = np.zeros((n, width), "int64")
    y = np.zeros((n, width), "int64")
    for i in range(n):
        length = rng.integers(4, width + 1)
        words = rng.integers(2, vocab_size, size=length)
        x[i, :length] = words
        # words 2..9 begin entities of type (w - 2) // 2, and the word after a
        # beginning continues it; every other word is "O" (tag 1)
        tags = np.ones(length, "int64")
        for t, w in enumerate(words):
            if w < 10:
                tags[t] = 2 + 2 * ((w - 2) // 2)  # B-xxx
            elif t > 0 and words[t - 1] < 10 and w < 26:
                tags[t] = tags[t - 1] + 1  # I-xxx
        y[i, :length] = tags
    batches = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]
    return batches[:8], batches[8:]


def build():
    ner_model = NERModel(num_tags, vocab_size, maxlen=16, embed_dim=32, num_heads=4,
                         ff_dim=64)
    ner_model(np.zeros((1, 12), "int64"))  # creates the weights (Keras' build() does not)
    loss = CustomNonPaddingTokenLoss()
    ner_model.compile(optimizer=keras.optimizers.Adam(0.005), loss=loss)
    return ner_model


def run(ner_model, data, tmpdir):
    out = {"mapping": [mapping[i] for i in range(num_tags)]}
    train_batches, val_batches = data
    x_train = np.concatenate([x for x, _ in train_batches])
    y_train = np.concatenate([y for _, y in train_batches])
    out["untrained"] = ner_model.predict(val_batches[0][0][:4], verbose=0)
    out["untrained_loss"] = ner_model.evaluate(x_train, y_train, batch_size=batch_size,
                                               verbose=0)
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(num_tags), size=(3, 5)).astype("float32")
    tags = np.array([[1, 2, 3, 0, 0], [4, 5, 1, 1, 0], [9, 8, 0, 0, 0]])
    out["loss_object"] = float(ops.convert_to_numpy(CustomNonPaddingTokenLoss()(tags, probs)))

    history = ner_model.fit(x_train, y_train, batch_size=batch_size, epochs=30,
                            shuffle=False, verbose=0)
    out["history"] = history.history

    # Sample inference using the trained model (the guide's "eu rejects german call to
    # boycott british lamb", here eight ids of the synthetic vocabulary)
    sample_input = np.reshape(np.array([3, 12, 7, 30, 11, 8, 20, 5]), [1, -1])
    output = ner_model.predict(sample_input, verbose=0)
    prediction = np.argmax(output, axis=-1)[0]
    prediction = [mapping[i] for i in prediction]
    out["sample_prediction"] = prediction

    def calculate_metrics(dataset):
        all_true_tag_ids, all_predicted_tag_ids = [], []

        for x, y in dataset:
            output = ner_model.predict(x, verbose=0)
            predictions = np.argmax(output, axis=-1)
            predictions = np.reshape(predictions, [-1])

            true_tag_ids = np.reshape(y, [-1])

            mask = (true_tag_ids > 0) & (predictions > 0)
            true_tag_ids = true_tag_ids[mask]
            predicted_tag_ids = predictions[mask]

            all_true_tag_ids.append(true_tag_ids)
            all_predicted_tag_ids.append(predicted_tag_ids)

        all_true_tag_ids = np.concatenate(all_true_tag_ids)
        all_predicted_tag_ids = np.concatenate(all_predicted_tag_ids)

        predicted_tags = [mapping[tag] for tag in all_predicted_tag_ids]
        real_tags = [mapping[tag] for tag in all_true_tag_ids]
        return predicted_tags, real_tags

    predicted_tags, real_tags = calculate_metrics(val_batches)
    out["val_token_accuracy"] = float(np.mean([p == r for p, r in
                                               zip(predicted_tags, real_tags)]))
    out["val_entity_tokens"] = float(np.mean([p == r for p, r in zip(predicted_tags, real_tags)
                                              if r != "O"]))
    return out


def _loss_reference(tags, probs):
    p = np.take_along_axis(probs.astype(np.float64), tags[..., None], -1)[..., 0]
    p = np.clip(p, 1e-7, 1 - 1e-7)
    mask = tags > 0
    return float((-np.log(p) * mask).sum() / mask.sum())


def check(out):
    assert out["mapping"] == ["[PAD]", "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC",
                              "I-LOC", "B-MISC", "I-MISC"]
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(num_tags), size=(3, 5)).astype("float32")
    tags = np.array([[1, 2, 3, 0, 0], [4, 5, 1, 1, 0], [9, 8, 0, 0, 0]])
    np.testing.assert_allclose(out["loss_object"], _loss_reference(tags, probs), rtol=1e-5)
    assert out["untrained"].shape == (4, 12, num_tags)
    np.testing.assert_allclose(out["untrained"].sum(-1), 1, rtol=1e-5)
    # ln(10) ≈ 2.30 untrained; the padding is not counted in the loss
    assert 1.8 < out["untrained_loss"] < 2.8
    loss = out["history"]["loss"]
    assert loss[-1] < 0.25 * loss[0], loss
    assert out["val_token_accuracy"] > 0.85 and out["val_entity_tokens"] > 0.7, out
    # the data's rule tags the sample ["B-PER", "I-PER", "B-LOC", "O", "O", "B-MISC",
    # "I-MISC", "B-ORG"]; a B- tag depends on the word alone (learned first), an I- tag
    # on the word before it too
    got = out["sample_prediction"]
    assert [got[i] for i in (0, 2, 5, 7)] == ["B-PER", "B-LOC", "B-MISC", "B-ORG"], got
