"""TensorFlow's tutorial "Text classification with an RNN"
(https://www.tensorflow.org/text/tutorials/text_classification_rnn), its Keras
code with `tf.keras` written `keras` (Keras 3), shrunk: a TextVectorization encoder
adapted on the training texts, then Sequential([encoder, Embedding(mask_zero=True),
Bidirectional(LSTM), Dense(relu), Dense(1)]) on raw strings; the tutorial's check
that a sample text gets the same prediction alone and batched with a 2000-token
padded text (the mask makes the padding invisible); training with
BinaryCrossentropy(from_logits=True) and "accuracy"; then the stacked model (two
Bidirectional LSTMs, return_sequences=True, Dropout). IMDB (tensorflow_datasets,
downloaded) is replaced by pynn's bundled movie-review snippets; VOCAB_SIZE 1000,
64-unit layers as in the tutorial; 5 epochs (10) with Adam(1e-3) (1e-4: the
snippets are ~30x fewer than IMDB's reviews). Keras 3 needs TensorFlow for
TextVectorization, so the Keras side runs only where TensorFlow is installed."""
import numpy as np

import keras

from keras_examples._data import sentiment

KERAS_NEEDS_TENSORFLOW = True
PARITY_KEYS = ["supports_masking", "vocab", "untrained"]  # Dropout masks differ

VOCAB_SIZE = 1000
BATCH_SIZE = 64


def data():
    texts, labels = sentiment(1600)
    return texts[:1280], labels[:1280], texts[1280:], labels[1280:]


def build():
    global encoder
    encoder = keras.layers.TextVectorization(max_tokens=VOCAB_SIZE)
    encoder.adapt(data()[0])
    model = keras.Sequential([
        encoder,
        keras.layers.Embedding(
            input_dim=len(encoder.get_vocabulary()),
            output_dim=64,
            # Use masking to handle the variable sequence lengths
            mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(64)),
        keras.layers.Dense(64, activation='relu'),
        keras.layers.Dense(1)
    ])
    model.build((None,))
    return model


def run(model, data, tmpdir):
    train_x, train_y, test_x, test_y = data
    out = {"vocab": np.array(encoder.get_vocabulary())[:20].tolist(),
           "supports_masking": [layer.supports_masking for layer in model.layers]}

    # predict on a sample text without padding.
    sample_text = ('The movie was cool. The animation and the graphics '
                   'were out of this world. I would recommend this movie.')
    predictions = model.predict(np.array([sample_text]), verbose=0)
    out["untrained"] = predictions
    # predict on a sample text with padding
    padding = "the " * 2000
    padded = model.predict(np.array([sample_text, padding]), verbose=0)
    out["padding_changes"] = float(np.abs(padded[0] - predictions[0]).max())

    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(1e-3),
                  metrics=['accuracy'])
    history = model.fit(train_x, train_y, batch_size=BATCH_SIZE, epochs=5,
                        validation_data=(test_x, test_y), verbose=0)
    out["history"] = history.history
    test_loss, test_acc = model.evaluate(test_x, test_y, verbose=0)
    out["test_acc"] = test_acc

    # Stack two or more LSTM layers
    model = keras.Sequential([
        encoder,
        keras.layers.Embedding(len(encoder.get_vocabulary()), 64, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True)),
        keras.layers.Bidirectional(keras.layers.LSTM(32)),
        keras.layers.Dense(64, activation='relu'),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1)
    ])
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(1e-3),
                  metrics=['accuracy'])
    history = model.fit(train_x, train_y, batch_size=BATCH_SIZE, epochs=5,
                        validation_data=(test_x, test_y), verbose=0)
    out["stacked_history"] = history.history
    sample_text = ('The movie was not good. The animation and the graphics '
                   'were terrible. I would not recommend this movie.')
    out["stacked_padding_changes"] = float(np.abs(
        model.predict(np.array([sample_text]), verbose=0)[0]
        - model.predict(np.array([sample_text, padding]), verbose=0)[0]).max())
    return out


def check(out):
    assert out["vocab"][:2] == ["", "[UNK]"]
    # TextVectorization does not; Embedding(mask_zero), Bidirectional, Dense do
    assert out["supports_masking"] == [False, True, True, True, True]
    # the padding (1992 "the" after the sample's 18 words) changes nothing
    assert out["padding_changes"] < 1e-5 and out["stacked_padding_changes"] < 1e-5
    for key in ("history", "stacked_history"):
        h = out[key]
        assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > 0.8, h
    assert out["test_acc"] > 0.6 and out["stacked_history"]["val_accuracy"][-1] > 0.6
