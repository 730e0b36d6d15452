"""An LSTM learns a sequence task that a bag-of-words model provably cannot:
the label says whether token A comes before token B.

Every sequence holds one A and one B among filler tokens. The test set comes
in twins: each sequence and the same sequence with A and B swapped, labelled
oppositely. A twin pair has the same bag of words, so any bag-of-words model
predicts the same for both and is right on exactly one: its test accuracy is
exactly 0.5, however it is trained."""
import numpy as np

import pynn
from pynn import layers as L

A, B, VOCAB, T = 1, 2, 10, 10


def order_task(n, rng):
    x = rng.integers(3, VOCAB, (n, T))
    for row in x:
        i, j = rng.choice(T, 2, replace=False)
        row[i], row[j] = A, B
    y = (np.argmax(x == A, axis=1) < np.argmax(x == B, axis=1)).astype(np.float32)
    return x.astype(np.float32), y


def twins(x):
    swapped = x.copy()
    swapped[x == A], swapped[x == B] = B, A
    return np.concatenate([x, swapped])


def bag_of_words(x):
    return np.stack([np.bincount(r.astype(int), minlength=VOCAB) for r in x]).astype(np.float32)


def test_lstm_learns_order_a_bag_of_words_cannot():
    rng = np.random.default_rng(0)
    x_train, y_train = order_task(1000, rng)
    x_test = twins(order_task(200, rng)[0])
    y_test = (np.argmax(x_test == A, axis=1) < np.argmax(x_test == B, axis=1)).astype(np.float32)
    assert y_test.mean() == 0.5

    pynn.set_seed(0)
    lstm = pynn.Sequential([pynn.Input((T,)), L.Embedding(VOCAB, 8), L.LSTM(16),
                            L.Dense(1, activation="sigmoid")])
    lstm.compile(pynn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    lstm.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    _, acc = lstm.evaluate(x_test, y_test, verbose=0)
    assert acc >= 0.95, acc

    bow = pynn.Sequential([pynn.Input((VOCAB,)), L.Dense(32, activation="relu"),
                           L.Dense(1, activation="sigmoid")])
    bow.compile(pynn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    bow.fit(bag_of_words(x_train), y_train, epochs=12, batch_size=32, verbose=0)
    _, bow_acc = bow.evaluate(bag_of_words(x_test), y_test, verbose=0)
    # twins share their bag of words; exact ties of the two sigmoid outputs
    # land on the same side of 0.5, so exactly one twin is right
    assert bow_acc == 0.5, bow_acc


def test_padding_mask_passes_through_dropout_and_activation():
    """Embedding(mask_zero) -> Dropout / Activation -> LSTM must still skip the
    padding (Keras passes the mask on): the same output as without them."""
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]], np.float32)
    pynn.set_seed(1)
    emb, lstm = L.Embedding(6, 3, mask_zero=True), L.LSTM(4)
    plain = lstm(emb(ids)).numpy()
    np.testing.assert_allclose(lstm(L.Dropout(0.5)(emb(ids))).numpy(), plain, rtol=1e-6)
    np.testing.assert_allclose(lstm(L.Activation("linear")(emb(ids))).numpy(), plain, rtol=1e-6)
    # without the mask the padded steps would change the state
    assert not np.allclose(lstm(emb(ids) * 1.0).numpy(), plain)
