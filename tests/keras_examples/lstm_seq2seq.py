"""keras.io's "Character-level recurrent sequence-to-sequence model"
(https://keras.io/examples/nlp/lstm_seq2seq/), shrunk: the training model — an LSTM
encoder whose states [state_h, state_c] are the decoder LSTM's initial_state
(a symbolic keyword tensor: the encoder must be part of the graph), a softmax Dense
on every decoder step, rmsprop, categorical_crossentropy and accuracy on
(batch, time, classes) — on a toy "translation" (each target character is the
source character shifted by one, teacher-forced), then saved and reloaded."""
import os

import numpy as np

import keras

num_encoder_tokens = 8
num_decoder_tokens = 10  # + start "\t" and end "\n"
latent_dim = 16
max_len = 6


def data():
    rng = np.random.default_rng(4)
    n = 120
    ids = rng.integers(0, num_encoder_tokens, size=(n, max_len))
    target_ids = np.concatenate([np.full((n, 1), 8), (ids + 1) % 8, np.full((n, 1), 9)], axis=1)
    encoder_input_data = np.eye(num_encoder_tokens, dtype="float32")[ids]
    decoder_input_data = np.eye(num_decoder_tokens, dtype="float32")[target_ids[:, :-1]]
    decoder_target_data = np.eye(num_decoder_tokens, dtype="float32")[target_ids[:, 1:]]
    return encoder_input_data, decoder_input_data, decoder_target_data


def build():
    # Define an input sequence and process it.
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    # We discard `encoder_outputs` and only keep the states.
    encoder_states = [state_h, state_c]
    # Set up the decoder, using `encoder_states` as initial state.
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    encoder_input_data, decoder_input_data, decoder_target_data = data
    encoder_kernel = np.array(model.get_weights()[0])
    history = model.fit([encoder_input_data, decoder_input_data], decoder_target_data,
                        batch_size=16, epochs=25, shuffle=False, validation_split=0.2, verbose=0)
    path = os.path.join(tmpdir, "s2s.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    x = [encoder_input_data[:8], decoder_input_data[:8]]
    return {"history": history.history, "predict": model.predict(x, verbose=0),
            "reloaded_predict": reloaded.predict(x, verbose=0),
            "evaluate": model.evaluate([encoder_input_data, decoder_input_data],
                                       decoder_target_data, verbose=0),
            "encoder_moved": float(np.abs(model.get_weights()[0] - encoder_kernel).max()),
            "weights": model.get_weights()}


PARITY_TOL = (1e-3, 1e-5)  # 150 rmsprop steps through two LSTMs


def check(out):
    enc, dec_in, target = data()
    assert out["encoder_moved"] > 1e-3  # the encoder trained through the initial state
    np.testing.assert_allclose(out["reloaded_predict"], out["predict"], rtol=1e-6, atol=1e-6)
    assert out["history"]["loss"][-1] < out["history"]["loss"][0] - 0.25
    # chance is 0.1 per character (the end token alone, one step in 7, gives 0.14)
    assert out["history"]["accuracy"][-1] > 0.25
    # accuracy per decoder step, as Keras
    p = out["predict"]
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    assert p.shape == (8, max_len + 1, num_decoder_tokens)
