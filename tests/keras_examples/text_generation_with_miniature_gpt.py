"""keras.io's "Text generation with a miniature GPT"
(https://keras.io/examples/generative/text_generation_with_miniature_gpt/), shrunk:
the causal_attention_mask built with keras.ops (arange, cast, reshape, concatenate,
tile), a TransformerBlock with MultiHeadAttention(attention_mask=causal_mask),
a TokenAndPositionEmbedding layer, the two-output model compiled with
loss=[loss_fn, None], and the TextGenerator callback sampling from ops.top_k with
keras.activations.softmax after each epoch. IMDB and TextVectorization + tf.data
(downloaded / TensorFlow-only in Keras 3) are replaced by pynn's bundled
movie-review snippets tokenized in NumPy (lower-cased words, 0 = padding,
1 = unknown); vocab 400 (20000), maxlen 16 (100), embed_dim 32 (256), 3 epochs (30)."""
import re

import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import sentiment

PARITY_KEYS = ["params", "untrained"]  # Dropout masks differ between the libraries


def causal_attention_mask(batch_size, n_dest, n_src, dtype):
    """
    Mask the upper half of the dot product matrix in self attention.
    This prevents flow of information from future tokens to current token.
    1's in the lower triangle, counting from the lower right corner.
    """
    i = ops.arange(n_dest)[:, None]
    j = ops.arange(n_src)
    m = i >= j - n_src + n_dest
    mask = ops.cast(m, dtype)
    mask = ops.reshape(mask, [1, n_dest, n_src])
    mult = ops.concatenate(
        [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], 0
    )
    return ops.tile(mask, mult)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads, embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        input_shape = ops.shape(inputs)
        batch_size = input_shape[0]
        seq_len = input_shape[1]
        causal_mask = causal_attention_mask(batch_size, seq_len, seq_len, "bool")
        attention_output = self.att(inputs, inputs, attention_mask=causal_mask)
        attention_output = self.dropout1(attention_output)
        out1 = self.layernorm1(inputs + attention_output)
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
        positions = ops.arange(0, maxlen, 1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 400  # Only consider the top 400 words
maxlen = 16  # Max sequence size
embed_dim = 32  # Embedding size for each token
num_heads = 2  # Number of attention heads
feed_forward_dim = 32  # Hidden layer size in feed forward network inside transformer


def create_model():
    inputs = layers.Input(shape=(maxlen,), dtype="int32")
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, feed_forward_dim)
    x = transformer_block(x)
    outputs = layers.Dense(vocab_size)(x)
    model = keras.Model(inputs=inputs, outputs=[outputs, x])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(
        "adam",
        loss=[loss_fn, None],
    )  # No loss and optimization based on word embeddings from transformer block
    return model


def data():
    """Word ids (n, maxlen + 1) of the snippets and the vocabulary, as the tutorial's
    TextVectorization(max_tokens=vocab_size - 1, output_sequence_length=maxlen + 1)
    gives them: "" (padding) and "[UNK]" first, then the words by frequency."""
    texts, _ = sentiment(1500)
    words = [re.findall(r"[a-z']+|[.,!?]", t.lower()) for t in texts]
    counts = {}
    for w in (w for ws in words for w in ws):
        counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[: vocab_size - 3]
    vocab = ["", "[UNK]"] + ranked
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.zeros((len(words), maxlen + 1), "int64")
    for row, ws in enumerate(words):
        seq = [index.get(w, 1) for w in ws][: maxlen + 1]
        ids[row, : len(seq)] = seq
    return ids, vocab


def prepare_lm_inputs_labels(tokenized_sentences):
    """
    Shift word sequences by 1 position so that the target for position (i) is
    word at position (i+1). The model will use all words up till position (i)
    to predict the next word.
    """
    x = tokenized_sentences[:, :-1]
    y = tokenized_sentences[:, 1:]
    return x, y


class TextGenerator(keras.callbacks.Callback):
    """A callback to generate text from a trained model.
    1. Feed some starting prompt to the model
    2. Predict probabilities for the next token
    3. Sample the next token and add it to the next input

    Arguments:
        max_tokens: Integer, the number of tokens to be generated after prompt.
        start_tokens: List of integers, the token indices for the starting prompt.
        index_to_word: List of strings, obtained from the TextVectorization layer.
        top_k: Integer, sample from the `top_k` token predictions.
        print_every: Integer, print after this many epochs.
    """

    def __init__(
        self, max_tokens, start_tokens, index_to_word, top_k=10, print_every=1
    ):
        self.max_tokens = max_tokens
        self.start_tokens = start_tokens
        self.index_to_word = index_to_word
        self.print_every = print_every
        self.k = top_k
        self.texts = []  # kept for the test (the tutorial prints them)

    def sample_from(self, logits):
        logits, indices = ops.top_k(logits, k=self.k, sorted=True)
        indices = np.asarray(indices).astype("int32")
        preds = keras.activations.softmax(ops.expand_dims(logits, 0))[0]
        preds = np.asarray(preds).astype("float32")
        return np.random.choice(indices, p=preds)

    def detokenize(self, number):
        return self.index_to_word[number]

    def on_epoch_end(self, epoch, logs=None):
        start_tokens = [_ for _ in self.start_tokens]
        if (epoch + 1) % self.print_every != 0:
            return
        num_tokens_generated = 0
        tokens_generated = []
        while num_tokens_generated <= self.max_tokens:
            pad_len = maxlen - len(start_tokens)
            sample_index = len(start_tokens) - 1
            if pad_len < 0:
                x = start_tokens[:maxlen]
                sample_index = maxlen - 1
            elif pad_len > 0:
                x = start_tokens + [0] * pad_len
            else:
                x = start_tokens
            x = np.array([x])
            y, _ = self.model.predict(x, verbose=0)
            sample_token = self.sample_from(y[0][sample_index])
            tokens_generated.append(sample_token)
            start_tokens.append(sample_token)
            num_tokens_generated = len(tokens_generated)
        txt = " ".join(
            [self.detokenize(_) for _ in self.start_tokens + tokens_generated]
        )
        self.texts.append(txt)


def build():
    return create_model()


def run(model, data, tmpdir):
    ids, vocab = data
    x, y = prepare_lm_inputs_labels(ids)
    out = {"params": model.count_params(), "untrained": model.predict(x[:8], verbose=0)}

    # the causal mask: what follows position 7 does not change the outputs up to it
    changed = x[:8].copy()
    changed[:, 8:] = 5
    logits, _ = model.predict(changed, verbose=0)
    out["causal"] = float(np.abs(logits[:, :8] - out["untrained"][0][:, :8]).max())
    out["future_matters"] = float(np.abs(logits[:, 8:] - out["untrained"][0][:, 8:]).max())

    # Tokenize starting prompt
    word_to_index = {}
    for index, word in enumerate(vocab):
        word_to_index[word] = index
    start_prompt = "this movie is"
    start_tokens = [word_to_index.get(_, 1) for _ in start_prompt.split()]
    num_tokens_generated = 10
    text_gen_callback = TextGenerator(num_tokens_generated, start_tokens, vocab)

    np.random.seed(0)
    history = model.fit(x, y, batch_size=32, verbose=0, epochs=3,
                        callbacks=[text_gen_callback])
    out["history"] = history.history
    out["texts"] = text_gen_callback.texts
    return out


def check(out):
    # token + position embeddings, attention (4 kernels + biases), two LayerNorms, ffn, head
    attention = 3 * (embed_dim * num_heads * embed_dim + num_heads * embed_dim) \
        + num_heads * embed_dim * embed_dim + embed_dim
    assert out["params"] == (vocab_size + maxlen) * embed_dim + attention + 2 * 2 * embed_dim \
        + (embed_dim * feed_forward_dim + feed_forward_dim) + (feed_forward_dim * embed_dim
                                                               + embed_dim) \
        + embed_dim * vocab_size + vocab_size
    logits, x = out["untrained"]
    assert logits.shape == (8, maxlen, vocab_size) and x.shape == (8, maxlen, embed_dim)
    assert out["causal"] < 1e-5 < 1e-2 < out["future_matters"]
    h = out["history"]
    # the key is the (only) loss; it falls well below a uniform guess, log(400) = 6.0
    assert h["loss"][0] > h["loss"][-1] and h["loss"][-1] < 4.5, h
    assert len(out["texts"]) == 3
    assert all(t.startswith("this movie is ") and len(t.split()) == 3 + 11 for t in out["texts"])
