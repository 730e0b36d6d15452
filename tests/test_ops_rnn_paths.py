"""The recurrent ops' fused step (csrc/core/ops/rnn.c: one pool task per block of
batch rows does that block's recurrent GEMM against the kernel packed once per
sweep and then its gates; inference also projects the step's inputs there) against
the two-phase step the same file keeps for recurrent dropout masks, on shapes
large enough that a step is split into several tasks (the gradient tests of
test_ops_rnn.py use tiny ones).

An all-ones recurrent dropout mask leaves the arithmetic unchanged (h * 1 == h), so
the two paths must agree bit for bit, forward and every gradient; so must inference
(no gradient: the per-step input projection) and training, and 1 and 2 threads.
Values against the float64 transcription of the Keras cells (rnn_reference.py)."""
import numpy as np
import pytest

import pynn
from pynn import _C
from rnn_reference import rnn_ref

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def make(kind, N, T, F, u, seed, mask):
    rng = np.random.default_rng(seed)
    G = GATES[kind]
    x = rng.standard_normal((N, T, F)).astype(np.float32)
    W = rng.uniform(-0.3, 0.3, (F, G * u)).astype(np.float32)
    U = rng.uniform(-0.3, 0.3, (u, G * u)).astype(np.float32)
    b = rng.uniform(-0.3, 0.3, (2, G * u) if kind == "gru" else (G * u,)).astype(np.float32)
    m = (rng.random((N, T)) < 0.7).astype(np.float32) if mask else None
    if mask:
        m[0, 0] = 0.0
    return x, W, U, b, m


def run(kind, arrays, flags, *, grad, ones_mask=None, seed_out=None):
    """The op's output (and with grad the gradients of x, W, U, b for seed_out)."""
    x, W, U, b, m = arrays
    tensors = [pynn.Tensor(a, requires_grad=grad) for a in (x, W, U, b)]
    inputs = list(tensors) + ([m] if m is not None else [])
    extra = {}
    if ones_mask == "input":
        inputs.append(np.ones((x.shape[0], 1, x.shape[2]), np.float32))
        extra["has_dropout_mask"] = True
    if ones_mask == "recurrent":
        inputs.append(np.ones((x.shape[0], 1, U.shape[0]), np.float32))
        extra["has_recurrent_dropout_mask"] = True
    gated = {} if kind == "simple_rnn" else {"recurrent_activation": "sigmoid"}
    out = _C.apply(kind, inputs, use_bias=True, has_mask=m is not None, **flags, **gated, **extra)
    y = out.numpy().copy()
    if not grad:
        return [y]
    out.backward(seed_out.reshape(y.shape))
    return [y] + [t.grad.copy() for t in tensors]


CASES = [  # kind, N, T, F, u, flags, mask
    ("lstm", 37, 6, 9, 40, {}, False),
    ("lstm", 50, 5, 7, 33, {"return_sequences": True, "go_backwards": True}, True),
    ("lstm", 1, 7, 5, 20, {"return_sequences": True}, False),
    ("gru", 41, 6, 8, 24, {"return_sequences": True}, True),
    ("gru", 130, 3, 4, 16, {"return_state": True}, False),
    ("simple_rnn", 45, 6, 5, 30, {"return_sequences": True, "zero_output_for_mask": True}, True),
    ("simple_rnn", 3, 4, 6, 70, {"return_state": True, "go_backwards": True}, False),
    # units past the GEMM's one depth block (512): h . U cannot be summed into the
    # gates rows by the GEMM (acc_rec), the step keeps its rec rows
    ("lstm", 3, 2, 4, 520, {"return_sequences": True}, False),
    ("simple_rnn", 5, 3, 4, 600, {}, True),
]


@pytest.mark.parametrize("kind,N,T,F,u,flags,mask", CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_fused_step_matches_two_phase_step_bitwise(kind, N, T, F, u, flags, mask, threads):
    old = pynn.get_num_threads()
    pynn.set_num_threads(threads)
    try:
        arrays = make(kind, N, T, F, u, 3, mask)
        probe = run(kind, arrays, flags, grad=False)[0]
        seed_out = np.random.default_rng(4).standard_normal(probe.shape).astype(np.float32)
        fused = run(kind, arrays, flags, grad=True, seed_out=seed_out)
        two_phase = run(kind, arrays, flags, grad=True, ones_mask="recurrent", seed_out=seed_out)
        for i, (a, b) in enumerate(zip(fused, two_phase)):
            assert a.tobytes() == b.tobytes(), f"{kind}: output/gradient {i} differs between paths"
        # inference: the step projects its own inputs; the same bits as training's
        # one GEMM over all steps (and as the input-dropout path, which keeps it)
        infer = run(kind, arrays, flags, grad=False)[0]
        assert infer.tobytes() == fused[0].tobytes(), f"{kind}: inference differs from training"
        dropped = run(kind, arrays, flags, grad=False, ones_mask="input")[0]
        assert infer.tobytes() == dropped.tobytes()
        # and the values are the cell's: the float64 Keras transcription
        x, W, U, b, m = (a if a is None else a.astype(np.float64) for a in arrays)
        ref = rnn_ref(kind, x, W, U, b, mask=m, **flags)
        np.testing.assert_allclose(infer, ref, rtol=1e-4, atol=1e-5)
    finally:
        pynn.set_num_threads(old)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_thread_count_does_not_change_bits(kind):
    arrays = make(kind, 64, 5, 6, 48, 8, True)
    flags = {"return_sequences": True}
    old = pynn.get_num_threads()
    outs = []
    try:
        for threads in (1, 2, 3):
            pynn.set_num_threads(threads)
            y = run(kind, arrays, flags, grad=False)[0]
            seed_out = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
            outs.append([y] + run(kind, arrays, flags, grad=True, seed_out=seed_out))
    finally:
        pynn.set_num_threads(old)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("flags,mask", [({}, False),
                                        ({"return_sequences": True, "go_backwards": True}, True)])
@pytest.mark.parametrize("threads", [1, 2])
def test_adjacent_weight_gradients_match_separate(kind, flags, mask, threads):
    """In a model the gradients of kernel and recurrent_kernel lie one after the
    other in the gradient arena; training then forms both in one GEMM over the
    rows [x_t, h_(t-1)] (LSTM, SimpleRNN). Bound that way here (bind_grad, as
    the arena binds them), every gradient keeps the bits of separate buffers."""
    old = pynn.get_num_threads()
    pynn.set_num_threads(threads)
    try:
        arrays = make(kind, 33, 7, 10, 24, 5, mask)
        y = run(kind, arrays, flags, grad=False)[0]
        seed_out = np.random.default_rng(6).standard_normal(y.shape).astype(np.float32)
        separate = run(kind, arrays, flags, grad=True, seed_out=seed_out)

        x, W, U, b, m = arrays
        tensors = [pynn.Tensor(a, requires_grad=True) for a in (x, W, U, b)]
        arena = np.full(W.size + U.size, 0.0, np.float32)
        _C.bind_grad(tensors[1], arena[:W.size].reshape(W.shape))
        _C.bind_grad(tensors[2], arena[W.size:].reshape(U.shape))
        gated = {} if kind == "simple_rnn" else {"recurrent_activation": "sigmoid"}
        out = _C.apply(kind, list(tensors) + ([m] if m is not None else []), use_bias=True,
                       has_mask=m is not None, **flags, **gated)
        out.backward(seed_out.reshape(out.numpy().shape))
        adjacent = [out.numpy().copy()] + [t.grad.copy() for t in tensors]
        assert np.shares_memory(tensors[2].grad, arena)
    finally:
        pynn.set_num_threads(old)
    for i, (a, b) in enumerate(zip(separate, adjacent)):
        assert a.tobytes() == b.tobytes(), f"{kind}: output/gradient {i} differs"
    assert np.abs(adjacent[2]).max() > 0 and np.abs(adjacent[3]).max() > 0
