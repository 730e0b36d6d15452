"""Issue #11: "tracing does not run the model's real forward pass on real state".
A model is traced into an engine program on a placeholder batch; that forward pass
must leave the model's state as it found it, by construction in the ops (not by a
save and restore around it): BatchNormalization's moving statistics (batch_norm
computes but does not update while tracing) and a stateful RNN's states
(read_states / store_states neither read nor store while tracing)."""
import numpy as np

import pynn
from pynn import _C, ops
from pynn import layers as L


def _traced(model, kind, x_shape, y_shape=None):
    """Traces a fresh program of `kind` for the model (nothing cached)."""
    model._programs = {}
    return model._program(kind, None if y_shape is None else [y_shape], [x_shape])


def test_batch_norm_does_not_update_its_statistics_while_tracing():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 4)).astype(np.float32)
    gamma, beta = np.ones(4, np.float32), np.zeros(4, np.float32)
    mean, var = np.full(4, 0.5, np.float32), np.full(4, 2.0, np.float32)
    was = _C.set_tracing(True)
    try:
        traced = ops.batch_norm(x, gamma, beta, mean, var, training=True).numpy()
    finally:
        _C.set_tracing(was)
    np.testing.assert_array_equal(mean, np.full(4, 0.5, np.float32))  # untouched
    np.testing.assert_array_equal(var, np.full(4, 2.0, np.float32))
    # the output is the training one all the same, and outside a trace it updates
    eager = ops.batch_norm(x, gamma, beta, mean, var, training=True).numpy()
    np.testing.assert_array_equal(traced, eager)
    np.testing.assert_allclose(mean, 0.5 * 0.99 + x.mean(0) * 0.01, rtol=1e-5)
    np.testing.assert_allclose(var, 2.0 * 0.99 + x.var(0) * 0.01, rtol=1e-5)


def test_tracing_a_model_leaves_batch_norm_statistics_bit_for_bit():
    pynn.set_seed(1)
    model = pynn.Sequential([pynn.Input(shape=(6,)), L.Dense(5), L.BatchNormalization(),
                             L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(32, 6)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=1, batch_size=8, verbose=0)  # moves the statistics
    bn = model.layers[1]
    before = [np.array(w) for w in bn.non_trainable_weights]
    assert not np.array_equal(before[0], np.zeros(5, np.float32))
    for kind in ("train", "eval", "predict"):
        _traced(model, kind, (6,), None if kind == "predict" else (1,))
        for b, a in zip(before, bn.non_trainable_weights):
            np.testing.assert_array_equal(b, np.asarray(a))


def test_tracing_a_stateful_rnn_leaves_its_states():
    pynn.set_seed(2)
    model = pynn.Sequential([pynn.Input(shape=(5, 3), batch_size=4),
                             L.LSTM(6, stateful=True), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(2).normal(size=(8, 5, 3)).astype(np.float32)
    model.fit(x, x[:, 0, :1], epochs=1, batch_size=4, shuffle=False, verbose=0)
    lstm = model.layers[0]
    before = [np.array(s) for s in lstm.states]
    assert np.abs(before[0]).max() > 0
    for kind in ("train", "predict"):
        _traced(model, kind, (5, 3), None if kind == "predict" else (1,))
        for b, a in zip(before, lstm.states):
            np.testing.assert_array_equal(b, np.asarray(a))
