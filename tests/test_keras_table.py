"""Issue #4's table: parameter counts (trainable / non-trainable) and output
shapes equal Keras' for a table of layer configurations. The expected numbers
are Keras' formulas, written out per row; where Keras 3 is installed the same
table is also built with Keras itself and compared."""
import numpy as np
import pytest

import pynn

from keras_ref import keras_or_skip

# (id, make(layers module), per-sample input shape, params, non-trainable, output shape)
TABLE = [
    # Dense: in*units + units
    ("dense", lambda L: L.Dense(10), (8,), 8 * 10 + 10, 0, (10,)),
    ("dense_3d_nobias", lambda L: L.Dense(4, use_bias=False), (3, 5), 5 * 4, 0, (3, 4)),
    # Conv2D: kh*kw*in*filters + filters; valid: n-k+1, same: ceil(n/s)
    ("conv2d", lambda L: L.Conv2D(32, 3), (28, 28, 1), 3 * 3 * 1 * 32 + 32, 0, (26, 26, 32)),
    ("conv2d_same_s2", lambda L: L.Conv2D(16, 5, strides=2, padding="same"), (28, 28, 3),
     5 * 5 * 3 * 16 + 16, 0, (14, 14, 16)),
    # Conv1D: k*in*filters + filters; dilation d: valid length n - d(k-1)
    ("conv1d", lambda L: L.Conv1D(16, 5), (20, 4), 5 * 4 * 16 + 16, 0, (16, 16)),
    ("conv1d_dilated", lambda L: L.Conv1D(8, 3, dilation_rate=2), (10, 2), 3 * 2 * 8 + 8, 0,
     (10 - 2 * 2, 8)),
    # pooling / flatten: no weights
    ("maxpool2d", lambda L: L.MaxPooling2D(), (28, 28, 32), 0, 0, (14, 14, 32)),
    ("flatten", lambda L: L.Flatten(), (5, 5, 4), 0, 0, (100,)),
    # LSTM: 4 gates * (u*(in+u) + u)
    ("lstm", lambda L: L.LSTM(10), (5, 1), 4 * (10 * (1 + 10) + 10), 0, (10,)),
    ("lstm_seq", lambda L: L.LSTM(16, return_sequences=True), (7, 8), 4 * (16 * (8 + 16) + 16), 0,
     (7, 16)),
    # GRU, reset_after=True (Keras' default): 3 gates * u*(in+u) + two biases 2*3u
    ("gru", lambda L: L.GRU(10), (5, 1), 3 * 10 * (1 + 10) + 2 * 3 * 10, 0, (10,)),
    ("gru_seq", lambda L: L.GRU(8, return_sequences=True), (6, 4), 3 * 8 * (4 + 8) + 2 * 3 * 8, 0,
     (6, 8)),
    # SimpleRNN: u*(in+u) + u
    ("simple_rnn", lambda L: L.SimpleRNN(10), (5, 1), 10 * (1 + 10) + 10, 0, (10,)),
    ("simple_rnn_6", lambda L: L.SimpleRNN(4), (3, 6), 4 * (6 + 4) + 4, 0, (4,)),
    # Bidirectional(concat): twice the wrapped layer, outputs side by side
    ("bidirectional_lstm", lambda L: L.Bidirectional(L.LSTM(10)), (5, 1),
     2 * 4 * (10 * (1 + 10) + 10), 0, (20,)),
    ("bidirectional_gru_seq", lambda L: L.Bidirectional(L.GRU(4, return_sequences=True)), (5, 3),
     2 * (3 * 4 * (3 + 4) + 2 * 3 * 4), 0, (5, 8)),
    # Embedding: input_dim * output_dim
    ("embedding", lambda L: L.Embedding(1000, 64), (10,), 1000 * 64, 0, (10, 64)),
    # BatchNormalization: gamma, beta (trainable) + moving mean, variance (not): 4C, 2C frozen
    ("batchnorm_4d", lambda L: L.BatchNormalization(), (5, 5, 8), 4 * 8, 2 * 8, (5, 5, 8)),
    ("batchnorm_2d", lambda L: L.BatchNormalization(), (12,), 4 * 12, 2 * 12, (12,)),
    # LayerNormalization: gamma, beta
    ("layernorm", lambda L: L.LayerNormalization(), (7, 12), 2 * 12, 0, (7, 12)),
    # MultiHeadAttention(h, k, v): query/key (d*h*k + h*k) each, value d*h*v + h*v,
    # output h*v*d + d
    ("mha", lambda L: L.MultiHeadAttention(num_heads=2, key_dim=4), (6, 8),
     2 * (8 * 2 * 4 + 2 * 4) + (8 * 2 * 4 + 2 * 4) + (2 * 4 * 8 + 8), 0, (6, 8)),
    ("mha_value_dim", lambda L: L.MultiHeadAttention(num_heads=4, key_dim=16, value_dim=8),
     (10, 32), 2 * (32 * 4 * 16 + 4 * 16) + (32 * 4 * 8 + 4 * 8) + (4 * 8 * 32 + 32), 0, (10, 32)),
]

# the two anchors, as published
assert TABLE[8][3] == 480 and TABLE[2][3] == 320


def call_on_input(L, Input, make, per_sample):
    layer = make(L)
    x = Input(shape=per_sample)
    y = layer(x, x) if type(layer).__name__ == "MultiHeadAttention" else layer(x)
    return layer, y


def counts(layer):
    total = int(sum(int(np.prod(w.shape)) for w in layer.weights))
    frozen = int(sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights))
    return total, frozen


@pytest.mark.parametrize("make,per_sample,params,frozen,out", [r[1:] for r in TABLE],
                         ids=[r[0] for r in TABLE])
def test_parameter_counts_and_output_shapes(make, per_sample, params, frozen, out):
    layer, y = call_on_input(pynn.layers, pynn.Input, make, per_sample)
    assert counts(layer) == (params, frozen)
    assert layer.count_params() == params
    assert tuple(y.shape) == (None,) + out
    # and on data: a batch of 2 gives the same per-sample shape
    layer2 = make(pynn.layers)
    x = np.zeros((2,) + per_sample, np.float32)
    y2 = layer2(x, x) if type(layer2).__name__ == "MultiHeadAttention" else layer2(x)
    assert y2.shape == (2,) + out


def test_table_equals_installed_keras():
    keras = keras_or_skip()
    for name, make, per_sample, params, frozen, out in TABLE:
        layer, y = call_on_input(keras.layers, keras.Input, make, per_sample)
        assert counts(layer) == (params, frozen), name
        assert tuple(y.shape) == (None,) + out, name
