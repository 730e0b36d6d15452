"""keras.io's guide "Working with RNNs" (https://keras.io/guides/working_with_rnns/),
its sections ported by their imports: "Built-in RNN layers" (Embedding, LSTM,
Dense), "RNN layers and RNN cells" (layers.RNN(layers.LSTMCell(64)) is LSTM(64)),
"Cross-batch statefulness" (a stateful LSTM over three paragraphs, reset_states,
and reusing lstm_layer.states as an initial_state), and the keras.io RNN API
page's MinimalRNNCell (https://keras.io/api/layers/recurrent_layers/rnn/) in a
stacked RNN. The data are seeded NumPy arrays: a sequence's class is the parity
of how many of its tokens are below 100. The guide's sizes are shrunk."""
import numpy as np

import keras
from keras import layers
from keras import ops


class MinimalRNNCell(layers.Layer):

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer='uniform',
                                      name='kernel')
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            initializer='uniform',
            name='recurrent_kernel')
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def data():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 1000, (320, 12))
    y = ((x < 100).sum(axis=1) % 2).astype("int64")
    return x[:256], y[:256], x[256:], y[256:]


def build():
    model = keras.Sequential()
    # Add an Embedding layer expecting input vocab of size 1000, and
    # output embedding dimension of size 64.
    model.add(layers.Embedding(input_dim=1000, output_dim=16))
    # "RNN layers and RNN cells": layers.RNN(layers.LSTMCell(...)) is layers.LSTM(...)
    model.add(layers.RNN(layers.LSTMCell(32)))
    # Add a Dense layer with 10 units.
    model.add(layers.Dense(10))
    model.build((None, 12))
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    out = {"params": model.count_params(), "untrained": model.predict(x_test[:4], verbose=0)}
    history = model.fit(x_train, y_train, batch_size=32, epochs=12, shuffle=False, verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(x_test, y_test, verbose=0)

    # "Cross-batch statefulness"
    rng = np.random.default_rng(1)
    paragraph1 = rng.random((20, 10, 50)).astype(np.float32)
    paragraph2 = rng.random((20, 10, 50)).astype(np.float32)
    paragraph3 = rng.random((20, 10, 50)).astype(np.float32)

    lstm_layer = layers.LSTM(64, stateful=True)
    output = lstm_layer(paragraph1)
    output = lstm_layer(paragraph2)
    output = lstm_layer(paragraph3)
    out["stateful_output"] = ops.convert_to_numpy(output)

    # reset_states() will reset the cached state to the original initial_state.
    # If no initial_state was provided, zero-states will be used by default.
    lstm_layer.reset_states()
    out["after_reset"] = ops.convert_to_numpy(lstm_layer(paragraph1))

    # "RNN State Reuse"
    lstm_layer.reset_states()
    lstm_layer(paragraph1)
    lstm_layer(paragraph2)
    existing_state = lstm_layer.states
    new_lstm_layer = layers.LSTM(64)
    new_lstm_layer(paragraph3, initial_state=existing_state)
    new_lstm_layer.set_weights(lstm_layer.get_weights())
    out["reused"] = ops.convert_to_numpy(new_lstm_layer(paragraph3, initial_state=existing_state))
    whole = layers.LSTM(64)
    whole(paragraph1)
    whole.set_weights(lstm_layer.get_weights())
    out["whole_text"] = ops.convert_to_numpy(whole(np.concatenate([paragraph1, paragraph2, paragraph3], 1)))
    out["first_paragraph"] = ops.convert_to_numpy(whole(paragraph1))

    # the RNN API page: a stack of MinimalRNNCells
    cells = [MinimalRNNCell(8), MinimalRNNCell(4)]
    x = keras.Input((None, 5))
    layer = layers.RNN(cells)
    y = layer(x)
    out["minimal_stack_shape"] = tuple(y.shape)
    out["minimal_weights"] = [tuple(w.shape) for w in layer.weights]
    return out


PARITY_KEYS = ["params", "untrained", "history", "score"]
PARITY_TOL = (2e-3, 2e-4)


def check(out):
    # Embedding 1000·16, LSTMCell 4·32·(16+32)+4·32, Dense 32·10+10
    assert out["params"] == 16000 + 6272 + 330
    assert out["history"]["loss"][-1] < 0.5 * out["history"]["loss"][0]
    assert out["history"]["accuracy"][-1] > 0.9
    # three stateful calls are one call on the whole text; the reused states continue it
    np.testing.assert_allclose(out["stateful_output"], out["whole_text"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["reused"], out["whole_text"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out["after_reset"], out["first_paragraph"], rtol=1e-4, atol=1e-5)
    assert out["minimal_stack_shape"] == (None, 4)
    assert out["minimal_weights"] == [(5, 8), (8, 8), (8, 4), (4, 4)]
