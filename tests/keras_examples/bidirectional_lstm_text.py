"""keras.io's "Bidirectional LSTM on IMDB"
(https://keras.io/examples/nlp/bidirectional_lstm_imdb/), shrunk: variable-length
integer sequences padded with keras.utils.pad_sequences, Input(shape=(None,),
dtype="int32"), Embedding, two Bidirectional(LSTM) layers, a sigmoid output, Adam,
binary_crossentropy with "accuracy" and validation_data. The reviews are replaced
by token sequences whose label is whether they hold two or more "negative" tokens."""
import numpy as np

import keras
from keras import layers

max_features = 40  # Only consider the top 40 "words"
maxlen = 12        # Only consider the first 12 words of each "review"


def data():
    rng = np.random.default_rng(2)
    seqs = [list(rng.integers(1, max_features, size=rng.integers(5, 16))) for _ in range(128)]
    y = np.array([sum(t < 8 for t in s) >= 2 for s in seqs], dtype="float32")
    x = keras.utils.pad_sequences(seqs, maxlen=maxlen)
    return x[:96], y[:96], x[96:], y[96:]


def build():
    # Input for variable-length sequences of integers
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 8)(inputs)
    x = layers.Bidirectional(layers.LSTM(6, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(6))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_val, y_val = data
    history = model.fit(x_train, y_train, batch_size=32, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x_val, y_val))
    return {"padded": x_train[:3],
            "history": history.history,
            "evaluate": model.evaluate(x_val, y_val, verbose=0),
            "predict": model.predict(x_val[:8], verbose=0),
            "weights": model.get_weights()}


def check(out):
    # pad_sequences pads and truncates at the front ("pre"), as Keras does
    assert out["padded"].shape == (3, maxlen) and out["padded"].dtype == np.int32
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0]
    assert sorted(h) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert out["predict"].shape == (8, 1) and np.all((out["predict"] > 0) & (out["predict"] < 1))
