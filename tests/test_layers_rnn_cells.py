"""RNN(cell), the built-in cells, stacked cells, cells written by users, stateful
layers and GRU(reset_after=False): Keras 3 side by side (the same weights through
set_weights; outputs, input gradients and weight gradients on the torch backend;
skipped when Keras is absent), the fused and the step-by-step paths against each
other, save/load and errors. Sources: keras.io/api/layers/recurrent_layers/rnn/
(MinimalRNNCell), keras.io/guides/working_with_rnns/ (cells, stateful)."""
import numpy as np
import pytest

import pynn
from pynn import layers as L
from keras_ref import keras_or_skip


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def side_by_side(make, x, seed=0, atol=1e-4):
    """make(lib) -> layer; same weights; compares every output and the gradients of
    sum(seed_i * out_i) w.r.t. the input and every weight."""
    keras = keras_or_skip()
    import torch
    rng = np.random.default_rng(seed)
    ours, theirs = make(L, pynn.ops), make(keras.layers, keras.ops)
    ours(x)
    theirs(x)
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in ours.get_weights()]
    assert [tuple(w.shape) for w in theirs.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    xt = pynn.Tensor(x, requires_grad=True)
    got = _flat(ours(xt))
    xk = torch.tensor(x, requires_grad=True)
    want = _flat(theirs(xk))
    assert len(got) == len(want)
    seeds = [rng.standard_normal(tuple(w.shape)).astype(np.float32) for w in want]
    loss = got[0] * seeds[0]
    for g, s in zip(got[1:], seeds[1:]):
        loss = pynn.ops.sum(loss) + pynn.ops.sum(g * s)
    pynn.ops.sum(loss).backward()
    params = [w.value for w in theirs.trainable_weights]
    grads = torch.autograd.grad(sum((w * torch.tensor(s)).sum() for w, s in zip(want, seeds)),
                                [xk] + params)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.detach().numpy(), rtol=1e-4, atol=atol)
    np.testing.assert_allclose(xt.grad, grads[0].numpy(), rtol=1e-3, atol=atol)
    for w, g in zip(ours.weights, grads[1:]):
        np.testing.assert_allclose(ours.tensor(w).grad if hasattr(ours, "tensor") else None,
                                   g.numpy(), rtol=1e-3, atol=atol, err_msg=w.name)
    return ours


X = np.random.default_rng(1).standard_normal((3, 6, 4)).astype(np.float32)


@pytest.mark.parametrize("make", [
    lambda L, o: L.RNN(L.SimpleRNNCell(5), return_sequences=True),
    lambda L, o: L.RNN(L.LSTMCell(3), return_state=True),
    lambda L, o: L.RNN(L.GRUCell(4), go_backwards=True, return_sequences=True),
    lambda L, o: L.RNN(L.GRUCell(4, reset_after=False), return_state=True),
    lambda L, o: L.GRU(4, reset_after=False, return_sequences=True, go_backwards=True),
    lambda L, o: L.GRU(3, reset_after=False, activation="relu",
                       recurrent_activation="hard_sigmoid"),
    lambda L, o: L.RNN([L.LSTMCell(3), L.GRUCell(2), L.SimpleRNNCell(4)], return_sequences=True),
    lambda L, o: L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_state=True),
    lambda L, o: L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)], go_backwards=True,
                       return_sequences=True),
], ids=["simple", "lstm-state", "gru-backwards", "gru-v1-cell", "gru-v1-layer",
        "gru-v1-activations", "stack-3", "stack-state", "stack-backwards"])
def test_matches_keras(make):
    side_by_side(make, X)


def minimal_cell_class(layers, ops):
    """keras.io/api/layers/recurrent_layers/rnn/: MinimalRNNCell, imports changed only."""
    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    initializer="uniform", name="recurrent_kernel")
            self.built = True

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]
    return MinimalRNNCell


@pytest.mark.parametrize("kw", [dict(), dict(return_sequences=True, go_backwards=True),
                                dict(return_state=True)])
def test_user_cell_matches_keras(kw):
    side_by_side(lambda L, o: L.RNN(minimal_cell_class(L, o)(5), **kw), X)


def test_stack_of_user_cells_matches_keras():
    side_by_side(lambda L, o: L.RNN([minimal_cell_class(L, o)(3), minimal_cell_class(L, o)(4)],
                                    return_sequences=True), X)


def test_cell_single_step_matches_keras():
    keras = keras_or_skip()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    for name, states in (("LSTMCell", [rng.standard_normal((2, 3)).astype(np.float32)] * 2),
                         ("GRUCell", rng.standard_normal((2, 3)).astype(np.float32)),
                         ("SimpleRNNCell", [rng.standard_normal((2, 3)).astype(np.float32)])):
        ours, theirs = getattr(L, name)(3), getattr(keras.layers, name)(3)
        ours(x, states)
        theirs(x, states)
        theirs.set_weights(ours.get_weights())
        (y, s), (ky, ks) = ours(x, states), theirs(x, states)
        np.testing.assert_allclose(y.numpy(), np.asarray(ky.detach()), rtol=1e-5, atol=1e-5)
        assert isinstance(s, list) == isinstance(ks, list)
        for a, b in zip(_flat(s), _flat(ks)):
            np.testing.assert_allclose(a.numpy(), np.asarray(b.detach()), rtol=1e-5, atol=1e-5)


def test_builtin_cell_runs_the_layers_fused_op():
    rng = np.random.default_rng(3)
    rnn, lstm = L.RNN(L.LSTMCell(4), return_sequences=True), L.LSTM(4, return_sequences=True)
    rnn(X)
    lstm(X)
    assert [w.shape for w in rnn.weights] == [w.shape for w in lstm.weights]
    lstm.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in lstm.weights])
    rnn.set_weights(lstm.get_weights())
    np.testing.assert_array_equal(rnn(X).numpy(), lstm(X).numpy())


def test_step_loop_with_mask_equals_the_fused_kernel():
    # a user cell computing SimpleRNN's step runs step by step; with a mask, go_backwards
    # and zero_output_for_mask it must give the fused simple_rnn op's numbers
    class TanhCell(L.Layer):
        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.units, self.state_size = units, units

        def build(self, shape):
            self.kernel = self.add_weight("kernel", (shape[-1], self.units))
            self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))
            self.bias = self.add_weight("bias", (self.units,), "zeros")

        def call(self, inputs, states):
            h = pynn.ops.tanh(pynn.ops.matmul(inputs, self.kernel) +
                              pynn.ops.matmul(states[0], self.recurrent_kernel) + self.bias)
            return h, [h]

    rng = np.random.default_rng(4)
    mask = np.array([[1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1]], np.float32)
    for kw in (dict(return_sequences=True), dict(return_sequences=True, go_backwards=True),
               dict(return_sequences=True, zero_output_for_mask=True), dict(return_state=True)):
        loop, fused = L.RNN(TanhCell(3), **kw), L.SimpleRNN(3, **kw)
        loop(X)
        fused(X)
        fused.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5
                           for w in fused.weights])
        loop.set_weights(fused.get_weights())
        for a, b in zip(_flat(loop(X, mask=mask)), _flat(fused(X, mask=mask))):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ stateful
def test_stateful_calls_continue_the_sequence():
    """keras.io/guides/working_with_rnns/ "Cross-batch statefulness": three calls on
    consecutive paragraphs equal one call on the whole text."""
    rng = np.random.default_rng(5)
    text = rng.standard_normal((2, 9, 4)).astype(np.float32)
    for make in (lambda **k: L.LSTM(3, **k), lambda **k: L.GRU(3, **k),
                 lambda **k: L.RNN(L.SimpleRNNCell(3), **k),
                 lambda **k: L.GRU(3, reset_after=False, **k)):
        whole, stateful = make(return_sequences=True), make(return_sequences=True, stateful=True)
        whole(text)
        stateful(text[:, :3])
        stateful.set_weights(whole.get_weights())
        stateful.reset_states()
        parts = [stateful(text[:, i:i + 3]).numpy() for i in (0, 3, 6)]
        np.testing.assert_allclose(np.concatenate(parts, axis=1), whole(text).numpy(),
                                   rtol=1e-5, atol=1e-6)
        final = whole.__class__  # the stored states are the whole text's final states
        assert all(np.abs(np.asarray(s)).sum() > 0 for s in stateful.states)
        stateful.reset_states()
        assert all(np.abs(np.asarray(s)).sum() == 0 for s in stateful.states)
        np.testing.assert_allclose(stateful(text[:, :3]).numpy(), parts[0], rtol=1e-6)


def test_stateful_states_and_initial_state_as_in_the_guide():
    # the guide: existing_state = lstm_layer.states; LSTM(64)(paragraph3, initial_state=...)
    rng = np.random.default_rng(6)
    p1, p2, p3 = (rng.standard_normal((4, 5, 3)).astype(np.float32) for _ in range(3))
    lstm_layer = L.LSTM(6, stateful=True)
    lstm_layer(p1)
    lstm_layer(p2)
    existing_state = lstm_layer.states
    new_lstm_layer = L.LSTM(6)
    new_output = new_lstm_layer(p3, initial_state=existing_state)
    new_lstm_layer.set_weights(lstm_layer.get_weights())
    new_output = new_lstm_layer(p3, initial_state=[np.array(s) for s in existing_state])
    np.testing.assert_allclose(new_output.numpy(), lstm_layer(p3).numpy(), rtol=1e-6)


def test_stateful_in_compiled_predict_and_fit():
    # predict in batches of 2: sample i of batch k continues sample i of batch k - 1, so the
    # outputs are those of the time-concatenated sequences (the compiled driver stores states)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4, 3)).astype(np.float32)
    pynn.set_seed(1)
    stateful = pynn.Sequential([pynn.Input(shape=(4, 3), batch_size=2),
                                L.LSTM(5, stateful=True, return_sequences=True)])
    plain = pynn.Sequential([pynn.Input(shape=(12, 3)), L.LSTM(5, return_sequences=True)])
    plain.set_weights(stateful.get_weights())
    got = stateful.predict(x, batch_size=2, verbose=0)
    joined = np.concatenate([x[0::2], x[1::2]], axis=0)  # rows 0,2,4 and 1,3,5 in time
    joined = np.stack([np.concatenate(list(x[i::2]), axis=0) for i in range(2)])
    want = plain.predict(joined, verbose=0)
    for k in range(3):
        np.testing.assert_allclose(got[2 * k:2 * k + 2], want[:, 4 * k:4 * k + 4], rtol=1e-5,
                                   atol=1e-6)
    layer = stateful.layers[-1]
    np.testing.assert_allclose(np.asarray(layer.states[0]), want[:, -1], rtol=1e-5, atol=1e-6)
    stateful.compile("adam", "mse")
    layer.reset_states()
    stateful.fit(x, np.zeros((6, 4, 5), np.float32), batch_size=2, shuffle=False, epochs=1,
                 verbose=0)
    assert np.abs(np.asarray(layer.states[0])).sum() > 0
    with pytest.raises(ValueError, match="keeps its states for batches of 2 but got a batch of 3"):
        stateful.predict(x, batch_size=3, verbose=0)
    undeclared = pynn.Sequential([pynn.Input(shape=(4, 3)), L.GRU(2, stateful=True, name="g")])
    with pytest.raises(ValueError, match="GRU 'g' is stateful, so it needs to know its batch size"):
        undeclared.predict(x, batch_size=2, verbose=0)


def test_stateful_matches_keras():
    keras = keras_or_skip()
    rng = np.random.default_rng(8)
    a, b = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(2))
    ours, theirs = L.GRU(3, stateful=True), keras.layers.GRU(3, stateful=True)
    ours(a)
    theirs(a)
    theirs.set_weights(ours.get_weights())
    theirs.reset_states()
    ours.reset_states()
    for x in (a, b):
        np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x).detach()), rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.states[0]), np.asarray(theirs.states[0]),
                               rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------- save / load
@pynn.layers.register
class SavedMinimalCell(L.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs, states):
        out = pynn.ops.tanh(pynn.ops.matmul(inputs, self.kernel) + states[0])
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.mark.parametrize("make", [
    lambda: L.RNN(L.LSTMCell(3, unit_forget_bias=False), return_sequences=True),
    lambda: L.RNN([L.GRUCell(3, reset_after=False), L.SimpleRNNCell(2)]),
    lambda: L.GRU(3, reset_after=False),
    lambda: L.RNN(SavedMinimalCell(4), go_backwards=True),
    lambda: L.LSTM(2, stateful=True, batch_size=3),
], ids=["lstm-cell", "stack", "gru-v1", "user-cell", "stateful"])
def test_save_load_round_trip(make, tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(6, 4)), make(), L.Flatten(), L.Dense(1)])
    x = X[:3]
    want = model.predict(x, verbose=0)
    for lay in model.layers:
        if getattr(lay, "stateful", False):
            lay.reset_states()
    model.save(tmp_path / "m.keras")
    loaded = pynn.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
    assert loaded.layers[0].get_config() == model.layers[0].get_config()


def test_summary_counts_cell_weights(capsys):
    model = pynn.Sequential([pynn.Input(shape=(6, 4)),
                             L.RNN([L.LSTMCell(3), L.GRUCell(2, reset_after=False)])])
    model.summary()
    text = capsys.readouterr().out
    # LSTMCell: 4*3*(4+3) + 12 = 96; GRUCell v1: 3*2*(3+2) + 6 = 36
    assert "(None, 2)" in text and " 132 " in text.replace("│", " ")


# -------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="a cell must be a Layer with a `state_size`"):
        L.RNN(L.Dense(3))
    with pytest.raises(ValueError, match="at least one cell"):
        L.RNN([])
    with pytest.raises(TypeError, match="`return_sequences` is an argument of the RNN layer"):
        L.LSTMCell(3, return_sequences=True)
    with pytest.raises(AttributeError, match="reset_states\\(\\) needs a stateful layer"):
        L.LSTM(3).reset_states()
    with pytest.raises(ValueError, match="initial_state needs 4 tensor"):
        L.RNN([L.LSTMCell(3), L.LSTMCell(2)])(X, initial_state=[np.zeros((3, 3), np.float32)])
    with pytest.raises(ValueError, match="GRUCell: dropout and recurrent_dropout are not supported"):
        L.GRUCell(3, reset_after=False, recurrent_dropout=0.1)
    with pytest.raises(ValueError, match="LSTMCell 'c' takes one time step"):
        L.LSTMCell(3, name="c")(X, [np.zeros((3, 3), np.float32)] * 2)
    lay = L.LSTM(2, stateful=True, name="s")
    lay(X)
    with pytest.raises(ValueError, match="LSTM 's' is stateful: its states are kept for batches "
                                         "of 3 sequences, but got a batch of 2"):
        lay(X[:2])
    with pytest.raises(ValueError, match="a state must have shape \\(3, 2\\)"):
        lay.reset_states([np.zeros((2, 2)), np.zeros((2, 2))])


def test_functional_model_with_cells_trains():
    # a functional model over RNN(cell) layers, compiled (traced at batch 1, run at 16)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((64, 5, 3)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None]
    inp = pynn.Input(shape=(5, 3))
    h, *states = L.RNN([L.GRUCell(8, reset_after=False), minimal_cell_class(L, pynn.ops)(6)],
                       return_sequences=True, return_state=True)(inp)
    assert [s.shape for s in states] == [(None, 8), (None, 6)]
    out = L.Dense(1)(L.RNN(L.LSTMCell(8))(h))
    model = pynn.Model(inp, out)
    model.compile(pynn.optimizers.Adam(0.01), "mse")
    hist = model.fit(x, y, batch_size=16, epochs=30, verbose=0).history["loss"]
    assert hist[-1] < 0.2 * hist[0]
