"""keras.io's "Sequence to sequence learning for performing number addition"
(https://keras.io/examples/nlp/addition_rnn/), shrunk: "345+678"-style questions
one-hot encoded (reversed, padded with spaces), an LSTM encoder, RepeatVector(DIGITS + 1),
an LSTM decoder returning sequences and a softmax Dense applied to every time step,
categorical_crossentropy with metrics=["accuracy"] on (batch, time, classes)
outputs — Keras scores that accuracy per time step."""
import numpy as np

import keras
from keras import layers

DIGITS = 2
MAXLEN = DIGITS + 1 + DIGITS
chars = "0123456789+ "


class CharacterTable:
    """Encodes characters one-hot and decodes probabilities back (as the example)."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[x] for x in x)


ctable = CharacterTable(chars)


def data():
    rng = np.random.default_rng(5)
    questions, expected, seen = [], [], set()
    while len(questions) < 300:
        f = lambda: int("".join(rng.choice(list("0123456789"))  # noqa: E731
                                for i in range(rng.integers(1, DIGITS + 1))))
        a, b = f(), f()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = "{}+{}".format(a, b)
        query = q + " " * (MAXLEN - len(q))
        ans = str(a + b)
        ans += " " * (DIGITS + 1 - len(ans))
        questions.append(query[::-1])  # REVERSE = True
        expected.append(ans)
    x = np.zeros((len(questions), MAXLEN, len(chars)), dtype="float32")
    y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype="float32")
    for i, sentence in enumerate(questions):
        x[i] = ctable.encode(sentence, MAXLEN)
    for i, sentence in enumerate(expected):
        y[i] = ctable.encode(sentence, DIGITS + 1)
    split_at = len(x) - len(x) // 10
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def build():
    model = keras.Sequential()
    model.add(keras.Input(shape=(MAXLEN, len(chars))))
    model.add(layers.LSTM(32))
    model.add(layers.RepeatVector(DIGITS + 1))
    model.add(layers.LSTM(32, return_sequences=True))
    model.add(layers.Dense(len(chars), activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_val, y_val) = data
    history = model.fit(x_train, y_train, batch_size=32, epochs=4, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    preds = model.predict(x_val, verbose=0)
    return {"history": history.history, "predict": preds,
            "evaluate": model.evaluate(x_val, y_val, verbose=0),
            "guesses": [ctable.decode(p) for p in preds[:5]],
            "weights": model.get_weights()}


def check(out):
    _, (x_val, y_val) = data()
    loss, accuracy = out["evaluate"]
    # one argmax per output character, averaged over the characters and the samples
    per_step = out["predict"].argmax(-1) == y_val.argmax(-1)
    np.testing.assert_allclose(accuracy, per_step.mean(), rtol=1e-6)
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
    assert out["history"]["val_accuracy"][-1] == accuracy
    assert all(len(g) == DIGITS + 1 for g in out["guesses"])
