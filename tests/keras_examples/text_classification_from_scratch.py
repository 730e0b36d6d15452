"""keras.io's "Text classification from scratch"
(https://keras.io/examples/nlp/text_classification_from_scratch/), shrunk: a
TextVectorization layer adapted on the training texts, a Conv1D model on the
integer sequences, then the end-to-end model of the tutorial's last section —
keras.Input(shape=(1,), dtype="string") -> vectorize_layer -> model — that takes
raw strings, evaluated and asked for predictions on raw text, saved and reloaded.
IMDB is replaced by pynn's bundled movie-review snippets (no download), and the
tutorial's tf.strings custom_standardization (it strips IMDB's "<br />") by the
default "lower_and_strip_punctuation". Keras 3 needs TensorFlow for
TextVectorization, so the Keras side runs only where TensorFlow is installed."""
import os

import numpy as np

import keras
from keras import layers

from keras_examples._data import sentiment

KERAS_NEEDS_TENSORFLOW = True
PARITY_KEYS = ["vocabulary", "vectorized"]  # Dropout masks differ between the libraries

max_features = 2000
embedding_dim = 16
sequence_length = 40


def data():
    texts, labels = sentiment(1600)
    return texts[:1280], labels[:1280], texts[1280:], labels[1280:]


def build():
    # the vectorizer is adapted in run(), on the training texts, as the tutorial does
    global vectorize_layer
    vectorize_layer = layers.TextVectorization(
        max_tokens=max_features,
        output_mode="int",
        output_sequence_length=sequence_length,
    )
    # A integer input for vocab indices.
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    # Conv1D + global max pooling
    x = layers.Conv1D(32, 5, padding="valid", activation="relu", strides=2)(x)
    x = layers.Conv1D(32, 5, padding="valid", activation="relu", strides=2)(x)
    x = layers.GlobalMaxPooling1D()(x)
    # We add a vanilla hidden layer:
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    # We project onto a single unit output layer, and squash it with a sigmoid:
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    # Compile the model with binary crossentropy loss and an adam optimizer.
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    vectorize_layer.adapt(x_train)
    train_ids = np.asarray(vectorize_layer(x_train[:, None]))
    test_ids = np.asarray(vectorize_layer(x_test[:, None]))
    history = model.fit(train_ids, y_train, batch_size=64, epochs=15,
                        validation_data=(test_ids, y_test), verbose=0)

    # A string input
    inputs = keras.Input(shape=(1,), dtype="string")
    # Turn strings into vocab indices
    indices = vectorize_layer(inputs)
    # Turn vocab indices into predictions
    outputs = model(indices)
    # Our end to end model
    end_to_end_model = keras.Model(inputs, outputs)
    end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    # Test it with raw strings
    end_to_end = end_to_end_model.evaluate(x_test[:, None], y_test, verbose=0)
    asked = np.array([["a gorgeous, moving and funny film"], ["a dull, tedious, boring mess"]])
    path = os.path.join(tmpdir, "end_to_end.keras")
    end_to_end_model.save(path)
    reloaded = keras.models.load_model(path)
    return {"vocabulary": vectorize_layer.get_vocabulary()[:50],
            "vectorized": train_ids[:4],
            "history": history.history,
            "evaluate_ids": model.evaluate(test_ids, y_test, verbose=0),
            "evaluate_strings": end_to_end,
            "predict_strings": np.asarray(end_to_end_model.predict(asked, verbose=0)),
            "predict_reloaded": np.asarray(reloaded.predict(asked, verbose=0))}


def check(out):
    assert out["vocabulary"][:2] == ["", "[UNK]"] and "the" in out["vocabulary"][:5]
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > 0.8  # it learns the texts
    assert out["evaluate_ids"][1] > 0.55  # and generalises a little on 320 unseen snippets
    # the end-to-end model on raw strings is the model on the vectorized ids
    np.testing.assert_allclose(out["evaluate_strings"], out["evaluate_ids"], rtol=1e-5)
    p = out["predict_strings"]
    assert p.shape == (2, 1) and p[0, 0] > p[1, 0]  # positive above negative
    np.testing.assert_array_equal(out["predict_reloaded"], p)
