"""dropout / recurrent_dropout of SimpleRNN, LSTM and GRU (Keras 3's
DropoutRNNCell): the engine ops with fixed masks against the float64 reference,
one mask per sequence reused at every step, Keras' per-gate rule, the dropped
fraction, no effect at inference, seeded reproducibility, learning, saving."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops
from gradcheck import check_grad
from rnn_reference import rnn_ref
from test_ops_rnn import GATES, FN, make_mask, weights


def fixed_mask(N, M, width, rate, rng):
    """An inverted-dropout mask with at least one dropped and one kept entry."""
    m = (rng.random((N, M, width)) >= rate) / (1.0 - rate)
    m.flat[0], m.flat[-1] = 0.0, 1.0 / (1.0 - rate)
    return m


# ---------------------------------------------------------------- engine op

@pytest.mark.parametrize("kind,per_gate", [("simple_rnn", False), ("lstm", False),
                                           ("lstm", True), ("gru", False), ("gru", True)])
@pytest.mark.parametrize("which", ["input", "recurrent", "both"])
def test_gradients_with_fixed_dropout_masks(kind, per_gate, which):
    """Forward and every gradient against central differences of the float64
    reference, with a time mask, initial state, go_backwards and sequences."""
    rng = np.random.default_rng(21)
    N, T, F, u = 3, 4, 2, 3
    M = GATES[kind] if per_gate else 1
    x = rng.standard_normal((N, T, F))
    W, U, b = weights(kind, F, u, rng)
    states = [rng.uniform(-0.8, 0.8, (N, u)) for _ in range(2 if kind == "lstm" else 1)]
    tmask = make_mask(N, T, rng)
    dm = fixed_mask(N, M, F, 0.4, rng) if which != "recurrent" else None
    rm = fixed_mask(N, M, u, 0.3, rng) if which != "input" else None
    flags = dict(return_sequences=True, go_backwards=(which == "both"))
    k = len(states)
    arrays = [x, W, U, b] + states + [tmask] + [m for m in (dm, rm) if m is not None]

    def split(args):
        args = list(args)
        rest = args[5 + k:]
        d = rest.pop(0) if dm is not None else None
        r = rest.pop(0) if rm is not None else None
        return args[:4], args[4:4 + k], args[4 + k], d, r

    def fn(*ts):
        (x_, W_, U_, b_), st, m_, d, r = split(ts)
        return FN[kind](x_, W_, U_, b_, st, m_, dropout_mask=d, recurrent_dropout_mask=r, **flags)

    def ref(*arrs):
        (x_, W_, U_, b_), st, m_, d, r = split(arrs)
        return rnn_ref(kind, x_, W_, U_, b_, st[0], st[1] if k == 2 else None, m_,
                       dropout_mask=d, recurrent_dropout_mask=r, **flags)

    check_grad(fn, ref, arrays, wrt=range(4 + k), rtol=2e-3, atol=2e-3)


def test_masks_really_change_the_op():
    """The reference with the masks differs from the one without, so the
    gradient test above could not pass by ignoring them."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 2))
    W, U, b = weights("lstm", 2, 3, rng)
    dm, rm = fixed_mask(2, 4, 2, 0.5, rng), fixed_mask(2, 4, 3, 0.5, rng)
    plain = ops.lstm(x, W, U, b).numpy()
    for kw in (dict(dropout_mask=dm), dict(recurrent_dropout_mask=rm)):
        got = ops.lstm(x, W, U, b, **kw).numpy()
        np.testing.assert_allclose(got, rnn_ref("lstm", x, W, U, b, **kw), rtol=1e-5, atol=1e-6)
        assert np.abs(got - plain).max() > 1e-2


def test_dropout_mask_op_values_fraction_and_independent_gates():
    pynn.set_seed(0)
    rate = 0.3
    m = ops.dropout_mask(np.zeros((2000, 7, 1), np.float32), rate, 4, 25).numpy()
    assert m.shape == (2000, 4, 25)
    scale = np.float32(1 / (1 - rate))
    assert set(np.unique(m)) == {0.0, scale}
    # 200000 draws: the standard error of the fraction is 0.001
    assert abs((m == 0).mean() - rate) < 0.005
    # the gates' masks are independent draws: P(both dropped) = rate^2
    both = ((m[:, 0] == 0) & (m[:, 1] == 0)).mean()
    assert abs(both - rate ** 2) < 0.005


def test_dropout_mask_op_is_seeded_and_thread_count_free():
    x = np.zeros((64, 3, 2), np.float32)
    draws = []
    for threads in (1, 2, 1):
        pynn.set_num_threads(threads)
        pynn.set_seed(5)
        draws.append(ops.dropout_mask(x, 0.5, 3, 40).numpy())
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0], draws[2])
    assert not np.array_equal(draws[0], ops.dropout_mask(x, 0.5, 3, 40).numpy())


# ---------------------------------------------------------------- layers

def test_input_mask_is_the_same_at_every_step():
    """SimpleRNN with kernel I, recurrent kernel 0, linear, no bias on ones:
    every output step *is* the input mask."""
    rate, N, T, F = 0.25, 400, 5, 25
    lay = layers.SimpleRNN(F, activation="linear", use_bias=False, dropout=rate,
                           return_sequences=True)
    x = np.ones((N, T, F), np.float32)
    lay(x)
    lay.set_weights([np.eye(F), np.zeros((F, F))])
    y = lay(x, training=True).numpy()
    for t in range(1, T):
        np.testing.assert_array_equal(y[:, t], y[:, 0])
    assert set(np.unique(y)) == {0.0, np.float32(1 / (1 - rate))}
    assert abs((y[:, 0] == 0).mean() - rate) < 0.03   # 10000 draws, s.e. 0.004
    assert len({tuple(r) for r in (y[:, 0] == 0)}) > N // 2   # a mask per sample


def test_recurrent_mask_is_the_same_at_every_step():
    """Kernel 0, recurrent kernel I, h0 = 1: h_t = m^t, so each step keeps the
    same units and multiplies them by 1/(1-rate) once more."""
    rate, N, T, u = 0.4, 300, 4, 20
    lay = layers.SimpleRNN(u, activation="linear", use_bias=False, recurrent_dropout=rate,
                           return_sequences=True)
    x = np.ones((N, T, 3), np.float32)
    lay(x)
    lay.set_weights([np.zeros((3, u)), np.eye(u)])
    y = lay(x, training=True, initial_state=[np.ones((N, u), np.float32)]).numpy()
    kept = y[:, 0] != 0
    scale = 1 / (1 - rate)
    for t in range(T):
        np.testing.assert_allclose(y[:, t], np.where(kept, scale ** (t + 1), 0.0), rtol=1e-6)
    assert abs((~kept).mean() - rate) < 0.03


def draw_like_keras(x, rate, rrate, count, rcount, units):
    """The masks a layer draws for one call, in its order (input, recurrent)."""
    F = x.shape[-1]
    dm = ops.dropout_mask(x, rate, count, F).numpy().astype(np.float64) if rate else None
    rm = (ops.dropout_mask(x, rrate, rcount, units).numpy().astype(np.float64)
          if rrate else None)
    return dm, rm


@pytest.mark.parametrize("cls,kind,kw,counts", [
    (layers.SimpleRNN, "simple_rnn", dict(dropout=0.3, recurrent_dropout=0.4), (1, 1)),
    (layers.LSTM, "lstm", dict(dropout=0.3), (1, 0)),
    (layers.LSTM, "lstm", dict(dropout=0.3, implementation=1), (4, 0)),
    (layers.LSTM, "lstm", dict(recurrent_dropout=0.4), (0, 4)),
    (layers.LSTM, "lstm", dict(dropout=0.3, recurrent_dropout=0.4), (4, 4)),
    (layers.GRU, "gru", dict(dropout=0.3), (1, 0)),
    (layers.GRU, "gru", dict(dropout=0.3, recurrent_dropout=0.4), (3, 3)),
])
def test_layer_follows_keras_mask_rule(cls, kind, kw, counts):
    """Keras 3 (since keras-team/keras#20656, #20663): recurrent_dropout switches
    LSTM/GRU to implementation=1, a mask per gate for inputs and state; with
    dropout alone one input mask serves all gates. The layer's output in
    training equals the reference fed the masks the seeded generator yields."""
    rng = np.random.default_rng(3)
    N, T, F, u = 4, 5, 3, 4
    x = rng.standard_normal((N, T, F)).astype(np.float32)
    tmask = np.ones((N, T), np.float32)
    tmask[1, 3:] = 0
    lay = cls(u, return_sequences=True, return_state=True, go_backwards=True, **kw)
    lay(x)
    pynn.set_seed(42)
    dm, rm = draw_like_keras(x, kw.get("dropout"), kw.get("recurrent_dropout"), counts[0],
                             counts[1], u)
    pynn.set_seed(42)
    outs = lay(x, training=True, mask=tmask)
    W, U, b = [w.astype(np.float64) for w in lay.get_weights()]
    packed = rnn_ref(kind, x.astype(np.float64), W, U, b, mask=tmask, return_sequences=True,
                     return_state=True, go_backwards=True, dropout_mask=dm,
                     recurrent_dropout_mask=rm)
    np.testing.assert_allclose(outs[0].numpy(), packed[:, :T], rtol=1e-5, atol=1e-6)
    for k, s in enumerate(outs[1:]):
        np.testing.assert_allclose(s.numpy(), packed[:, T + k], rtol=1e-5, atol=1e-6)
    plain = rnn_ref(kind, x.astype(np.float64), W, U, b, mask=tmask, return_sequences=True,
                    go_backwards=True)
    assert np.abs(outs[0].numpy() - plain).max() > 1e-3


def test_no_masks_at_inference():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 6, 2)).astype(np.float32)
    for cls in (layers.SimpleRNN, layers.LSTM, layers.GRU):
        lay = cls(5, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
        twin = cls(5, return_sequences=True)
        lay(x)
        twin(x)
        twin.set_weights(lay.get_weights())
        expected = twin(x).numpy()
        np.testing.assert_array_equal(lay(x).numpy(), expected)
        np.testing.assert_array_equal(lay(x, training=False).numpy(), expected)
        assert not np.array_equal(lay(x, training=True).numpy(), expected)


def seq_data(n=300, T=6, seed=0):
    """Padded token sequences; the label says whether token 5 occurs."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 6, (n, T)).astype(np.float32)
    for i, L in enumerate(rng.integers(2, T + 1, n)):
        ids[i, L:] = 0
    return ids, (ids == 5).any(axis=1).astype(np.float32)


def lstm_model(T, **kw):
    return pynn.Sequential([pynn.Input((T,)), layers.Embedding(6, 8, mask_zero=True),
                            layers.LSTM(8, **kw), layers.Dense(1, activation="sigmoid")])


def test_predict_and_evaluate_ignore_dropout_but_fit_uses_it():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 6, 3)).astype(np.float32)
    y = rng.standard_normal((96, 1)).astype(np.float32)
    pynn.set_seed(1)

    def make(**kw):
        model = pynn.Sequential([pynn.Input((6, 3)), layers.LSTM(8, **kw), layers.Dense(1)])
        model.compile(pynn.optimizers.SGD(0.0), "mse")
        return model
    model, twin = make(dropout=0.5, recurrent_dropout=0.5), make()
    # a steep output layer, so that what the LSTM computes shows in the loss
    model.layers[-1].set_weights([np.full((8, 1), 4.0), np.zeros(1)])
    twin.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x, verbose=0), twin.predict(x, verbose=0))
    np.testing.assert_array_equal(model(x).numpy(), twin(x).numpy())
    loss = model.evaluate(x, y, verbose=0)
    assert loss == twin.evaluate(x, y, verbose=0)
    # learning rate 0: fit's loss differs from evaluate's only through the masks
    assert twin.fit(x, y, epochs=1, batch_size=32, verbose=0).history["loss"][0] == \
        pytest.approx(loss, rel=1e-6)
    assert model.fit(x, y, epochs=1, batch_size=32, verbose=0).history["loss"][0] > 1.2 * loss


def fit_run(seed, threads):
    pynn.set_num_threads(threads)
    try:
        pynn.set_seed(seed)
        ids, y = seq_data(64)
        model = lstm_model(6, dropout=0.3, recurrent_dropout=0.3)
        model.compile("adam", "binary_crossentropy")
        hist = model.fit(ids, y, epochs=2, batch_size=16, verbose=0).history["loss"]
        return hist, model.get_weights()
    finally:
        pynn.set_num_threads(2)


def test_seeded_fit_is_bit_identical_and_thread_count_free():
    h1, w1 = fit_run(7, 1)
    h2, w2 = fit_run(7, 2)
    h3, _ = fit_run(8, 2)
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert h1 != h3


def test_eager_training_calls_are_seeded_and_fresh_per_call():
    x = np.random.default_rng(5).standard_normal((4, 5, 3)).astype(np.float32)
    lay = layers.GRU(4, dropout=0.4, recurrent_dropout=0.4)
    lay(x)
    pynn.set_seed(9)
    a = lay(x, training=True).numpy()
    b = lay(x, training=True).numpy()
    pynn.set_seed(9)
    np.testing.assert_array_equal(lay(x, training=True).numpy(), a)
    assert not np.array_equal(a, b)


def test_lstm_with_dropout_learns():
    """Embedding(mask_zero) -> LSTM(dropout, recurrent_dropout) -> Dense on the
    "does token 5 occur" task, trained by the compiled driver."""
    pynn.set_seed(0)
    ids, y = seq_data(300)
    model = lstm_model(6, dropout=0.2, recurrent_dropout=0.2)
    model.compile(pynn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(ids, y, epochs=25, batch_size=32, verbose=0)
    _, acc = model.evaluate(ids, y, verbose=0)
    assert acc > 0.9


def test_bidirectional_gives_each_direction_its_own_masks():
    rng = np.random.default_rng(6)
    N, T, F, u = 3, 4, 2, 3
    x = rng.standard_normal((N, T, F)).astype(np.float32)
    tmask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 1, 1]], np.float32)
    bi = layers.Bidirectional(layers.LSTM(u, dropout=0.3, recurrent_dropout=0.3,
                                          return_sequences=True))
    bi(x)
    pynn.set_seed(3)
    fm = draw_like_keras(x, 0.3, 0.3, 4, 4, u)
    bm = draw_like_keras(x, 0.3, 0.3, 4, 4, u)
    assert not np.array_equal(fm[0], bm[0])
    pynn.set_seed(3)
    y = bi(x, mask=tmask, training=True).numpy()
    ws = [w.astype(np.float64) for w in bi.get_weights()]
    x64 = x.astype(np.float64)
    f = rnn_ref("lstm", x64, *ws[:3], mask=tmask, return_sequences=True,
                zero_output_for_mask=True, dropout_mask=fm[0], recurrent_dropout_mask=fm[1])
    r = rnn_ref("lstm", x64, *ws[3:], mask=tmask, return_sequences=True, go_backwards=True,
                zero_output_for_mask=True, dropout_mask=bm[0],
                recurrent_dropout_mask=bm[1])[:, ::-1]
    np.testing.assert_allclose(y, np.concatenate([f, r], -1), rtol=1e-5, atol=1e-6)


def test_config_and_save_load_keep_dropout(tmp_path):
    pynn.set_seed(2)
    model = pynn.Sequential([
        pynn.Input((5, 3)),
        layers.LSTM(4, dropout=0.25, recurrent_dropout=0.1, seed=3, implementation=1,
                    return_sequences=True),
        layers.Bidirectional(layers.GRU(2, dropout=0.2)),
        layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(7).standard_normal((6, 5, 3)).astype(np.float32)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = pynn.saving.load_model(path)
    lstm, bi = loaded.layers[0], loaded.layers[1]
    assert (lstm.dropout, lstm.recurrent_dropout, lstm.seed, lstm.implementation) == \
        (0.25, 0.1, 3, 1)
    assert bi.forward_layer.dropout == bi.backward_layer.dropout == 0.2
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    cfg = layers.SimpleRNN(3, dropout=0.5).get_config()
    assert (cfg["dropout"], cfg["recurrent_dropout"]) == (0.5, 0.0)
    assert layers.SimpleRNN.from_config(cfg).dropout == 0.5


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw,match", [
    (dict(dropout=1.0), r"LSTM: dropout must be a fraction in \[0, 1\), got 1.0"),
    (dict(recurrent_dropout=-0.1), r"LSTM: recurrent_dropout must be .* got -0.1"),
    (dict(dropout="0.2"), r"LSTM: dropout must be .* got '0.2'"),
    (dict(implementation=3), r"LSTM: implementation must be 1 or 2, got 3"),
])
def test_bad_rates_name_the_layer(kw, match):
    with pytest.raises(ValueError, match=match):
        layers.LSTM(3, **kw)


def test_bad_mask_shapes_and_rates_in_the_ops():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2))
    W, U, b = weights("gru", 2, 4, rng)
    with pytest.raises(ValueError, match=r"gru: input dropout mask must be "
                                         r"\(batch=2, 1 or 3, 2\), got \(2, 2, 2\)"):
        ops.gru(x, W, U, b, dropout_mask=np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"gru: recurrent dropout mask must be "
                                         r"\(batch=2, 1 or 3, 4\), got \(2, 3, 2\)"):
        ops.gru(x, W, U, b, recurrent_dropout_mask=np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match=r"dropout_mask: rate must be in \[0, 1\), got 1"):
        ops.dropout_mask(x, 1, 1, 2)
    with pytest.raises(ValueError, match="count, width >= 1"):
        ops.dropout_mask(x, 0.5, 0, 2)
