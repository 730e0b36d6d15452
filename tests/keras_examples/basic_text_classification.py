"""TensorFlow's "Basic text classification"
(https://www.tensorflow.org/tutorials/keras/text_classification), its Keras code with
`tf.keras` written `keras` (Keras 3), shrunk: Sequential([Embedding(max_features, 16),
Dropout(0.2), GlobalAveragePooling1D(), Dropout(0.2), Dense(1, sigmoid)]) without an
Input (built on the first batch), compiled with losses.BinaryCrossentropy(), 'adam' and
metrics.BinaryAccuracy(threshold=0.5); fit with validation data, evaluate, the
history's keys. Changes: the IMDB files (downloaded) and TextVectorization + tf.data
(TensorFlow-only in Keras 3) are replaced by pynn's bundled movie-review snippets,
vectorized in NumPy as the tutorial's custom_standardization + TextVectorization(
output_sequence_length) do (lower case, punctuation stripped, "" = 0, "[UNK]" = 1,
words by frequency); max_features 2000 (10000), sequence_length 40 (250), 8 epochs
(10); the export_model with the vectorize_layer is left out. The model has Dropout:
Keras and pynn are compared on the untrained predictions and evaluate."""
import re
import string

import numpy as np

import keras
from keras import layers
from keras import losses

from keras_examples._data import sentiment

PARITY_KEYS = ["untrained", "untrained_eval"]

max_features = 2000
sequence_length = 40
embedding_dim = 16


def data():
    texts, labels = sentiment(1600)
    strip = re.compile("[%s]" % re.escape(string.punctuation))
    words = [strip.sub("", t.lower().replace("<br />", " ")).split() for t in texts]
    counts = {}
    for w in (w for ws in words[:1200] for w in ws):
        counts[w] = counts.get(w, 0) + 1
    vocab = ["", "[UNK]"] + sorted(counts, key=lambda w: (-counts[w], w))[: max_features - 2]
    index = {w: i for i, w in enumerate(vocab)}
    x = np.zeros((len(words), sequence_length), "int64")
    for row, ws in enumerate(words):
        ids = [index.get(w, 1) for w in ws][:sequence_length]
        x[row, : len(ids)] = ids
    return (x[:1000], labels[:1000]), (x[1000:1200], labels[1000:1200]), \
        (x[1200:], labels[1200:])


def build():
    model = keras.Sequential([
        layers.Embedding(max_features, embedding_dim),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(1, activation='sigmoid')])
    model.compile(loss=losses.BinaryCrossentropy(),
                  optimizer='adam',
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.5)])
    model.build((None, sequence_length))  # both libraries start from one set of weights
    return model


def run(model, data, tmpdir):
    train, val, (x_test, y_test) = data
    out = {"untrained": model.predict(x_test[:32], verbose=0),
           "untrained_eval": model.evaluate(x_test, y_test, verbose=0)}
    epochs = 8
    history = model.fit(train[0], train[1], validation_data=val, epochs=epochs, verbose=0)
    out["history"] = history.history
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    out["test"] = [loss, accuracy]
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["binary_accuracy", "loss", "val_binary_accuracy", "val_loss"]
    assert h["loss"][-1] < h["loss"][0]
    # it learns the sentiment of unseen snippets better than chance
    assert out["test"][1] > 0.6, out["test"]
