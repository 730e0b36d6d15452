"""Recurrent ops (simple_rnn, lstm, gru, rnn_slice): forward against float64
transcriptions of the Keras cells, gradients by central differences."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from rnn_reference import rnn_ref

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
FN = {"simple_rnn": ops.simple_rnn, "lstm": ops.lstm, "gru": ops.gru}


def weights(kind, F, u, rng, bias=True, scale=0.6):
    G = GATES[kind]
    W = rng.uniform(-scale, scale, (F, G * u))
    U = rng.uniform(-scale, scale, (u, G * u))
    b = None
    if bias:
        b = rng.uniform(-0.3, 0.3, (2, G * u) if kind == "gru" else (G * u,))
    return W, U, b


def make_mask(N, T, rng):
    m = (rng.random((N, T)) < 0.6).astype(np.float64)
    m[0, :] = 1.0                       # one sample fully on
    if N > 1:
        m[1, 0] = 0.0                   # a leading masked step (initial state carried)
    if N > 2:
        m[2, :] = 0.0                   # a fully masked sample
    return m


def run_check(kind, N, T, F, u, *, bias=True, init=False, mask=False, seed=0, **flags):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, F))
    W, U, b = weights(kind, F, u, rng, bias)
    arrays = [x, W, U] + ([b] if bias else [])
    n_states = 2 if kind == "lstm" else 1
    if init:
        arrays += [rng.uniform(-0.8, 0.8, (N, u)) for _ in range(n_states)]
    m = make_mask(N, T, rng) if mask else None
    if mask:
        arrays.append(m)
    n_grad = len(arrays) - (1 if mask else 0)

    def split(args):
        args = list(args)
        x_, W_, U_ = args[:3]
        rest = args[3:]
        b_ = rest.pop(0) if bias else None
        st = [rest.pop(0) for _ in range(n_states)] if init else None
        m_ = rest.pop(0) if mask else None
        return x_, W_, U_, b_, st, m_

    def fn(*ts):
        x_, W_, U_, b_, st, m_ = split(ts)
        return FN[kind](x_, W_, U_, b_, st, m_, **flags)

    def ref(*arrs):
        x_, W_, U_, b_, st, m_ = split(arrs)
        h0, c0 = (st + [None])[:2] if st else (None, None)
        return rnn_ref(kind, x_, W_, U_, b_, h0, c0, m_, **flags)

    if flags.get("return_state"):
        # the packed engine output, so every piece's gradient is checked at once
        def fn(*ts):  # noqa: F811
            x_, W_, U_, b_, st, m_ = split(ts)
            inputs = [x_, W_, U_] + ([b_] if bias else []) + (st or []) + ([m_] if mask else [])
            gated = {} if kind == "simple_rnn" else {
                "recurrent_activation": flags.get("recurrent_activation", "sigmoid")}
            return pynn._C.apply(
                kind, inputs, return_sequences=flags.get("return_sequences", False),
                go_backwards=flags.get("go_backwards", False), return_state=True,
                activation=flags.get("activation", "tanh"), use_bias=bias,
                has_initial_state=init, has_mask=mask,
                zero_output_for_mask=flags.get("zero_output_for_mask", False), **gated)
    check_grad(fn, ref, arrays, wrt=range(n_grad), rtol=2e-3, atol=2e-3)


KINDS = ["simple_rnn", "lstm", "gru"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("N,T,F,u", [(1, 1, 1, 2), (2, 3, 2, 3), (3, 4, 3, 2)])
@pytest.mark.parametrize("seq", [False, True])
def test_gradients_plain(kind, N, T, F, u, seq):
    run_check(kind, N, T, F, u, return_sequences=seq)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("back", [False, True])
def test_gradients_masks_initial_state_go_backwards(kind, seq, back):
    run_check(kind, 3, 4, 2, 3, init=True, mask=True, return_sequences=seq, go_backwards=back,
              seed=5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seq", [False, True])
def test_gradients_return_state_packed(kind, seq):
    run_check(kind, 3, 3, 2, 2, init=True, mask=True, return_sequences=seq, return_state=True,
              seed=7)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_no_bias_zero_output_for_mask(kind):
    run_check(kind, 3, 4, 2, 2, bias=False, mask=True, return_sequences=True,
              zero_output_for_mask=True, seed=9)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("act,ract", [("relu", "hard_sigmoid"), ("linear", "tanh"),
                                      ("sigmoid", "linear")])
def test_other_activations(kind, act, ract):
    flags = dict(activation=act, return_sequences=True)
    if kind != "simple_rnn":
        flags["recurrent_activation"] = ract
    run_check(kind, 2, 3, 2, 2, seed=11, **flags)


@pytest.mark.parametrize("kind", KINDS)
def test_return_state_pieces(kind):
    rng = np.random.default_rng(3)
    N, T, F, u = 2, 3, 2, 3
    x = rng.standard_normal((N, T, F))
    W, U, b = weights(kind, F, u, rng)
    outs = FN[kind](x, W, U, b, return_sequences=True, return_state=True)
    packed = rnn_ref(kind, x, W, U, b, return_sequences=True, return_state=True)
    assert len(outs) == (3 if kind == "lstm" else 2)
    np.testing.assert_allclose(outs[0].numpy(), packed[:, :T], rtol=1e-5, atol=1e-6)
    for k, s in enumerate(outs[1:]):
        assert s.shape == (N, u)
        np.testing.assert_allclose(s.numpy(), packed[:, T + k], rtol=1e-5, atol=1e-6)
    # without a mask the final h is the last output
    np.testing.assert_allclose(outs[1].numpy(), outs[0].numpy()[:, -1])
    # the gradient of a state alone flows through rnn_slice into the sweep
    n_states = 2 if kind == "lstm" else 1
    check_grad(lambda *t: FN[kind](*t, return_state=True)[n_states], 
               lambda *a: rnn_ref(kind, *a, return_state=True)[:, 1 + n_states - 1],
               [x, W, U, b], rtol=2e-3, atol=2e-3)


def test_go_backwards_returns_processing_order():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 3))
    W, U, b = weights("lstm", 3, 2, rng)
    fwd_on_reversed = ops.lstm(x[:, ::-1].copy(), W, U, b, return_sequences=True).numpy()
    back = ops.lstm(x, W, U, b, return_sequences=True, go_backwards=True).numpy()
    np.testing.assert_allclose(back, fwd_on_reversed, rtol=1e-6, atol=1e-6)


def test_masked_steps_carry_state_and_output():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 4, 2))
    W, U, b = weights("gru", 2, 3, rng)
    mask = np.array([[1, 0, 0, 1]], np.float32)
    y = ops.gru(x, W, U, b, mask=mask, return_sequences=True).numpy()
    np.testing.assert_array_equal(y[0, 1], y[0, 0])
    np.testing.assert_array_equal(y[0, 2], y[0, 0])
    # the masked steps' inputs are ignored entirely
    x2 = x.copy()
    x2[0, 1:3] = 100.0
    np.testing.assert_array_equal(ops.gru(x2, W, U, b, mask=mask, return_sequences=True).numpy(), y)


@pytest.mark.parametrize("kind,count", [("lstm", 480), ("gru", 390), ("simple_rnn", 120)])
def test_keras_parameter_counts_are_the_accepted_layouts(kind, count):
    """LSTM(10) / GRU(10) / SimpleRNN(10) on 1 feature: Keras counts 480 / 390 / 120."""
    rng = np.random.default_rng(0)
    W, U, b = weights(kind, 1, 10, rng)
    assert W.size + U.size + b.size == count
    out = FN[kind](rng.standard_normal((2, 5, 1)), W, U, b)
    assert out.shape == (2, 10)


def test_batch_size_change_reuses_node_safely():
    """Same weights, different batch sizes in a row (what the compiled driver
    does with a partial last batch): results match the reference each time."""
    rng = np.random.default_rng(8)
    W, U, b = weights("lstm", 2, 3, rng)
    for N in (4, 1, 6, 2):
        x = rng.standard_normal((N, 3, 2))
        np.testing.assert_allclose(ops.lstm(x, W, U, b).numpy(), rnn_ref("lstm", x, W, U, b),
                                   rtol=1e-5, atol=1e-6)


def test_empty_batch():
    rng = np.random.default_rng(0)
    W, U, b = weights("gru", 2, 3, rng)
    assert ops.gru(np.zeros((0, 3, 2)), W, U, b, return_sequences=True).shape == (0, 3, 3)


# ---------------------------------------------------------------- bad input

def test_rank_two_input_explains_feature_and_batch_axes():
    W, U, b = weights("lstm", 1, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\).*\(32, 7\).*"
                                         r"reshape\(32, 7, 1\)"):
        ops.lstm(np.zeros((32, 7)), W, U, b)


def test_engine_rejects_rank_two_too():
    W, U, b = weights("simple_rnn", 1, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"simple_rnn: inputs must be 3-D.*\(4, 5\)"):
        pynn._C.apply("simple_rnn", [np.zeros((4, 5)), W, U, b], use_bias=True)


@pytest.mark.parametrize("bad,match", [
    (dict(W=(3, 8)), r"kernel must be \(features=2, 8\)"),
    (dict(U=(2, 6)), r"recurrent_kernel must be \(units, 4\*units\)"),
    (dict(b=(6,)), r"bias must be \(8,\)"),
])
def test_weight_shape_errors(bad, match):
    rng = np.random.default_rng(0)
    W = rng.standard_normal(bad.get("W", (2, 8)))
    U = rng.standard_normal(bad.get("U", (2, 8)))
    b = rng.standard_normal(bad.get("b", (8,)))
    with pytest.raises(ValueError, match=match):
        ops.lstm(rng.standard_normal((1, 3, 2)), W, U, b)


def test_gru_bias_layout_error():
    rng = np.random.default_rng(0)
    W, U, _ = weights("gru", 2, 2, rng)
    with pytest.raises(ValueError, match=r"bias must be \(2, 6\)"):
        ops.gru(rng.standard_normal((1, 3, 2)), W, U, np.zeros(6))


def test_state_mask_and_activation_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2))
    W, U, b = weights("lstm", 2, 2, rng)
    with pytest.raises(ValueError, match="initial_state needs 2"):
        ops.lstm(x, W, U, b, initial_state=[np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"initial state 1 must be \(batch=2, units=2\)"):
        ops.lstm(x, W, U, b, initial_state=[np.zeros((2, 2)), np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"mask must be \(batch, timesteps\)"):
        ops.lstm(x, W, U, b, mask=np.ones((2, 4)))
    with pytest.raises(ValueError, match="activation='gelu' is not supported"):
        ops.lstm(x, W, U, b, activation="gelu")
    with pytest.raises(ValueError, match="at least one time step"):
        ops.lstm(np.zeros((2, 0, 2)), W, U, b)
