"""float64 NumPy transcriptions of the Keras 3 recurrent cells and of the
Keras masking rule (numpy backend, keras/src/backend/numpy/rnn.py), used as the
references the engine's recurrent ops are checked against."""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACT = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "hard_sigmoid": lambda x: np.clip((x + 3.0) / 6.0, 0.0, 1.0),
}


def project(a, B, drop=None):
    """a @ B, or with dropout masks drop (N, M, width) Keras 3's cell rule:
    mask k multiplies a before the k-th of M column blocks of B (M = 1: one
    mask for every gate; M = gates: Keras' implementation=1, a mask per gate)."""
    if drop is None:
        return a @ B
    M = drop.shape[1]
    bw = B.shape[1] // M
    return np.concatenate([(a * drop[:, k]) @ B[:, k * bw:(k + 1) * bw] for k in range(M)],
                          axis=-1)


def rnn_ref(kind, x, W, U, b=None, h0=None, c0=None, mask=None, *, return_sequences=False,
            return_state=False, go_backwards=False, activation="tanh",
            recurrent_activation="sigmoid", zero_output_for_mask=False, dropout_mask=None,
            recurrent_dropout_mask=None):
    """Returns what the engine op returns: the output, or with return_state the
    packed (N, S + k, u) array of outputs then final states. The dropout masks
    (N, M, F) and (N, M, u) are used at every time step, as Keras does."""
    A, R = ACT[activation], ACT[recurrent_activation]
    N, T, _ = x.shape
    u = U.shape[0]
    h = np.zeros((N, u)) if h0 is None else h0
    c = np.zeros((N, u)) if c0 is None else c0
    outs = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        xw = project(x[:, t], W, dropout_mask)
        hu = project(h, U, recurrent_dropout_mask)
        cn = c
        if kind == "simple_rnn":
            hn = A(xw + hu + (0 if b is None else b))
        elif kind == "lstm":
            z = xw + hu + (0 if b is None else b)
            i, f, g, o = np.split(z, 4, axis=-1)
            cn = R(f) * c + R(i) * A(g)
            hn = R(o) * A(cn)
        else:
            mx = xw + (0 if b is None else b[0])
            mi = hu + (0 if b is None else b[1])
            xz, xr, xh = np.split(mx, 3, axis=-1)
            iz, ir, ih = np.split(mi, 3, axis=-1)
            zg, rg = R(xz + iz), R(xr + ir)
            hh = A(xh + rg * ih)
            hn = zg * h + (1 - zg) * hh
        if mask is None:
            h, c, o = hn, cn, hn
        else:
            m = (mask[:, t] != 0)[:, None]
            h, c = np.where(m, hn, h), np.where(m, cn, c)
            o = np.where(m, h, 0.0) if zero_output_for_mask else h
        outs.append(o)
    y = np.stack(outs, axis=1) if return_sequences else outs[-1]
    if not return_state:
        return y
    y3 = y if return_sequences else y[:, None]
    states = [h, c] if kind == "lstm" else [h]
    return np.concatenate([y3] + [s[:, None] for s in states], axis=1)
