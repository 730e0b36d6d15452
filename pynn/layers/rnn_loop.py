"""The step-by-step recurrence: a cell's ``call(inputs, states)`` applied at every
time step as ops in one graph (the engine differentiates through all of them).

For what has no fused kernel: cells written by users (Keras' "Working with RNNs"
guide) and GRU(reset_after=False). Built-in cells with Keras 3's defaults run
the fused whole-sequence ops instead (pynn.ops.rnn). Masks follow Keras: at a
masked step the states are carried and the output repeats the previous one
(zeros with ``zero_output_for_mask``)."""
import numpy as np

from .. import activations, ops
from ..tensor import Tensor


def _as_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _blend(new, old, m):
    """new where the step is on (m = 1), old where it is masked (m = 0)."""
    m = ops.reshape(m, (-1,) + (1,) * (len(new.shape) - 1))
    return new * m + old * (1.0 - m)


def zero_states(inputs, sizes):
    """Keras' default initial states: zeros of (batch, *size) for each size, made
    from the input so that their batch follows it (a compiled model is traced on a
    batch of one and run on others)."""
    zero = inputs[:, 0, :1] * 0.0  # (batch, 1); inputs are finite (models check)
    out = []
    for s in sizes:
        shape = (int(s),) if isinstance(s, (int, np.integer)) else tuple(int(d) for d in s)
        z = ops.reshape(zero, (-1,) + (1,) * len(shape))
        out.append(z + np.zeros(shape, np.float32))
    return out


def step_loop(step, inputs, states, mask, go_backwards, return_sequences, zero_output_for_mask):
    """Runs ``step(x_t, states) -> (output, new_states)`` over axis 1 of ``inputs``.

    Returns ``[output_sequence_or_last, *final_states]``; the sequence is in
    processing order (reversed with go_backwards), as Keras returns it."""
    T = inputs.shape[1]
    if mask is not None and not isinstance(mask, Tensor):
        mask = Tensor(np.asarray(mask, np.float32))
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    outputs, prev = [], None
    for t in order:
        y, new = step(inputs[:, t], states)
        new = _as_list(new)
        if len(new) != len(states):
            raise ValueError(f"RNN: the cell returned {len(new)} state(s) for {len(states)} "
                             f"(its state_size)")
        if mask is not None:
            m = mask[:, t]
            new = [_blend(n, s, m) for n, s in zip(new, states)]
            if zero_output_for_mask:
                y = _blend(y, y * 0.0, m)
            else:
                y = _blend(y, prev if prev is not None else y * 0.0, m)
        states, prev = new, y
        outputs.append(y)
    out = ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [out] + list(states)


def gru_v1_sequence(cell, inputs, mask, initial_state, return_sequences, return_state,
                    go_backwards, zero_output_for_mask):
    """Keras' GRU with reset_after=False (GRUCell.call, implementation 2):
    z, r = ract(x W_zr + b_zr + h U_zr); hh = act(x W_h + b_h + (r * h) U_h);
    h = z * h + (1 - z) * hh. The input projection of all steps is one matmul."""
    N, T, F = inputs.shape
    u = cell.units
    xw = ops.reshape(ops.matmul(ops.reshape(inputs, (-1, F)), cell.tensor(cell.kernel)),
                     (-1, T, 3 * u))
    if cell.use_bias:
        xw = xw + cell.tensor(cell.bias)
    U = cell.tensor(cell.recurrent_kernel)
    u_zr, u_h = ops.slice_axis(U, 1, 0, 2 * u), ops.slice_axis(U, 1, 2 * u, 3 * u)
    act, ract = activations.get(cell.activation), activations.get(cell.recurrent_activation)

    def step(x_t, states):
        h = states[0]
        zr = ract(ops.slice_axis(x_t, 1, 0, 2 * u) + ops.matmul(h, u_zr))
        z, r = ops.slice_axis(zr, 1, 0, u), ops.slice_axis(zr, 1, u, 2 * u)
        hh = act(ops.slice_axis(x_t, 1, 2 * u, 3 * u) + ops.matmul(r * h, u_h))
        h = z * h + (1.0 - z) * hh
        return h, [h]

    states = _as_list(initial_state) if initial_state is not None else zero_states(inputs, [u])
    out = step_loop(step, xw, states, mask, go_backwards, return_sequences, zero_output_for_mask)
    return out if return_state else out[0]
