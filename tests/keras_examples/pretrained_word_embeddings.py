"""keras.io's "Using pre-trained word embeddings"
(https://keras.io/examples/nlp/pretrained_word_embeddings/), shrunk: an embedding
matrix filled from a word-vector index (words missing from it stay all-zeros), loaded
into a frozen Embedding with embedding_layer.build((1,)) and set_weights() BEFORE the
layer is called on the Input — the weights must survive that call — then the
published 1D convnet (Conv1D / MaxPooling1D(5) x2, Conv1D, GlobalMaxPooling1D,
Dense, Dropout(0.5), softmax) trained with rmsprop. GloVe and the newsgroups are
replaced by a small synthetic index and two-topic documents. The model has
Dropout, so Keras is compared on the untrained outputs and the embedding kept."""
import numpy as np

import keras
from keras import layers
from keras.layers import Embedding

PARITY_KEYS = ["untrained", "embedding"]
class_names = ["topic_a", "topic_b"]
num_tokens = 40
embedding_dim = 8


def data():
    rng = np.random.default_rng(17)
    # the "GloVe" index: topic words point one way, the rest are noise; 5 words unknown
    word_index = {f"w{i}": i for i in range(2, num_tokens)}
    embeddings_index = {}
    for word, i in word_index.items():
        if i >= num_tokens - 5:
            continue
        vec = 0.3 * rng.normal(size=embedding_dim)
        vec[0] += 1.0 if 2 <= i < 12 else 0.0
        vec[1] += 1.0 if 12 <= i < 22 else 0.0
        embeddings_index[word] = vec.astype("float32")
    labels = rng.integers(0, 2, size=160)
    docs = rng.integers(22, num_tokens, size=(160, 150))
    topic = rng.random(size=(160, 150)) < 0.15
    docs[topic] = (2 + 10 * labels[:, None] + rng.integers(0, 10, size=(160, 150)))[topic]
    return word_index, embeddings_index, docs, labels


def embedding_matrix_of(word_index, embeddings_index):
    hits = 0
    misses = 0
    # Prepare embedding matrix
    embedding_matrix = np.zeros((num_tokens, embedding_dim))
    for word, i in word_index.items():
        embedding_vector = embeddings_index.get(word)
        if embedding_vector is not None:
            # Words not found in embedding index will be all-zeros.
            # This includes the representation for "padding" and "OOV"
            embedding_matrix[i] = embedding_vector
            hits += 1
        else:
            misses += 1
    return embedding_matrix, hits, misses


def build():
    word_index, embeddings_index, _, _ = data()
    embedding_matrix, _, _ = embedding_matrix_of(word_index, embeddings_index)
    embedding_layer = Embedding(
        num_tokens,
        embedding_dim,
        trainable=False,
    )
    embedding_layer.build((1,))
    embedding_layer.set_weights([embedding_matrix])

    int_sequences_input = keras.Input(shape=(None,), dtype="int32")
    embedded_sequences = embedding_layer(int_sequences_input)
    x = layers.Conv1D(16, 5, activation="relu")(embedded_sequences)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(16, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(16, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    preds = layers.Dense(len(class_names), activation="softmax")(x)
    model = keras.Model(int_sequences_input, preds)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["acc"])
    return model


def run(model, data, tmpdir):
    word_index, embeddings_index, docs, labels = data
    untrained = model.predict(docs[:8], verbose=0)
    history = model.fit(docs[:128], labels[:128], batch_size=32, epochs=10,
                        validation_data=(docs[128:], labels[128:]), verbose=0)
    return {"untrained": untrained, "history": history.history,
            "embedding": np.asarray(model.get_weights()[0]),
            "n_trainable": len(model.trainable_weights)}


def check(out):
    word_index, embeddings_index, _, _ = data()
    matrix, hits, misses = embedding_matrix_of(word_index, embeddings_index)
    assert (hits, misses) == (33, 5)
    # the pre-trained matrix is the model's embedding, untouched by training
    np.testing.assert_array_equal(out["embedding"], matrix.astype("float32"))
    assert out["n_trainable"] == 10  # 3 convs and 2 Dense; the Embedding is frozen
    assert out["history"]["val_acc"][-1] > 0.85  # chance is 0.5
