"""keras.io's "Character-level text generation with LSTM"
(https://keras.io/examples/generative/lstm_character_level_text_generation/),
shrunk: the text cut into semi-redundant sequences of maxlen characters, one-hot
encoded as NumPy bool arrays, a single LSTM + softmax Dense trained with
RMSprop(learning_rate=0.01) and categorical_crossentropy one epoch at a time, and
after each epoch text generated character by character with the tutorial's
temperature `sample` function at four diversities. Nietzsche's writings (downloaded
in the tutorial) are replaced by pynn's bundled movie-review snippets, lower-cased;
maxlen 20 (40), LSTM(64) (128), 4 epochs (40), 40 generated characters (400)."""
import random

import numpy as np

import keras
from keras import layers

from keras_examples._data import sentiment

PARITY_KEYS = ["untrained"]  # fit shuffles, and the libraries draw different orders

maxlen = 20
step = 3


def data():
    texts, _ = sentiment(120)
    text = " ".join(texts).lower()
    chars = sorted(list(set(text)))
    return text, chars


def build():
    global text, chars
    text, chars = data()
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, len(chars))),
            layers.LSTM(64),
            layers.Dense(len(chars), activation="softmax"),
        ]
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    return model


def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


def run(model, data, tmpdir):
    text, chars = data
    char_indices = dict((c, i) for i, c in enumerate(chars))
    indices_char = dict((i, c) for i, c in enumerate(chars))

    # cut the text in semi-redundant sequences of maxlen characters
    sentences = []
    next_chars = []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i : i + maxlen])
        next_chars.append(text[i + maxlen])

    x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
    y = np.zeros((len(sentences), len(chars)), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1

    out = {"untrained": model.predict(x[:16], verbose=0), "losses": [], "generated": []}
    epochs = 4
    batch_size = 128
    random.seed(0)
    np.random.seed(0)
    for epoch in range(epochs):
        history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        out["losses"].append(history.history["loss"][0])

        start_index = random.randint(0, len(text) - maxlen - 1)
        for diversity in [0.2, 0.5, 1.0, 1.2]:
            generated = ""
            sentence = text[start_index : start_index + maxlen]
            generated += sentence

            for i in range(40):
                x_pred = np.zeros((1, maxlen, len(chars)))
                for t, char in enumerate(sentence):
                    x_pred[0, t, char_indices[char]] = 1.0

                preds = model.predict(x_pred, verbose=0)[0]
                next_index = sample(preds, diversity)
                next_char = indices_char[next_index]

                sentence = sentence[1:] + next_char
                generated += next_char
            out["generated"].append(generated)
    out["train_top1"] = float(np.mean(model.predict(x, verbose=0).argmax(1) == y.argmax(1)))
    out["most_common_char"] = float(np.max(y.mean(axis=0)))
    return out


def check(out):
    assert out["untrained"].shape[0] == 16
    np.testing.assert_allclose(out["untrained"].sum(axis=1), 1, rtol=1e-5)  # softmax rows
    losses = out["losses"]
    # it learns (Keras 3 from the same start: 3.00, 2.73, 2.51, 2.41)
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 0.85 * losses[0], \
        losses
    # it predicts the next character better than always guessing the commonest (" ", 18 %)
    assert out["train_top1"] > out["most_common_char"] + 0.08, \
        (out["train_top1"], out["most_common_char"])
    assert len(out["generated"]) == 16 and all(len(g) == maxlen + 40 for g in out["generated"])
    # at diversity 0.2 the text is made of words: mostly letters and spaces, some spaces
    cold = out["generated"][-4][maxlen:]
    assert sum(c.isalpha() or c == " " for c in cold) >= 34 and " " in cold, cold
