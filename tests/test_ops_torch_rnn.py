"""Cross-checks against PyTorch: LSTM and GRU with Keras weight layouts mapped to
torch's (i, f, g, o) and (r, z, n) gates, and attention against
F.scaled_dot_product_attention; forward and backward."""
import numpy as np
import pytest

import pynn
from pynn import ops

torch = pytest.importorskip("torch")


def tensors(*arrays):
    return [pynn.Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]


def torch_leaves(*arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_matches_torch(kind, go_backwards):
    rng = np.random.default_rng(0)
    N, T, F, u = 3, 5, 4, 6
    G = 4 if kind == "lstm" else 3
    x = rng.standard_normal((N, T, F))
    W = rng.uniform(-0.4, 0.4, (F, G * u))
    U = rng.uniform(-0.4, 0.4, (u, G * u))
    b = rng.uniform(-0.2, 0.2, (G * u,) if kind == "lstm" else (2, G * u))
    h0 = rng.uniform(-0.5, 0.5, (N, u))
    c0 = rng.uniform(-0.5, 0.5, (N, u))
    seed = rng.standard_normal((N, T, u))

    px, pW, pU, pb, ph0, pc0 = tensors(x, W, U, b, h0, c0)
    init = [ph0, pc0] if kind == "lstm" else [ph0]
    y = getattr(ops, kind)(px, pW, pU, pb, init, return_sequences=True, go_backwards=go_backwards)
    y.backward(seed.astype(np.float32))

    tx, tW, tU, tb, th0, tc0 = torch_leaves(x, W, U, b, h0, c0)
    xin = torch.flip(tx, [1]) if go_backwards else tx
    if kind == "lstm":
        # Keras i, f, c, o is torch's i, f, g, o: only the transposes differ
        m = torch.nn.LSTM(F, u, batch_first=True).double()
        params = dict(weight_ih_l0=tW.T, weight_hh_l0=tU.T, bias_ih_l0=tb,
                      bias_hh_l0=torch.zeros(G * u, dtype=torch.float64))
        ty, _ = torch.func.functional_call(m, params, (xin, (th0[None], tc0[None])))
    else:
        # Keras z, r, h -> torch r, z, n; reset_after is torch's n = tanh(.. + r*(W_hn h + b_hn))
        def reorder(a):
            z, r, h = torch.split(a, u, dim=-1)
            return torch.cat([r, z, h], dim=-1)
        m = torch.nn.GRU(F, u, batch_first=True).double()
        params = dict(weight_ih_l0=reorder(tW).T, weight_hh_l0=reorder(tU).T,
                      bias_ih_l0=reorder(tb[0]), bias_hh_l0=reorder(tb[1]))
        ty, _ = torch.func.functional_call(m, params, (xin, th0[None]))
    (ty * torch.tensor(seed)).sum().backward()

    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    for mine, theirs, name in [(px, tx, "x"), (pW, tW, "kernel"), (pU, tU, "recurrent_kernel"),
                               (pb, tb, "bias"), (ph0, th0, "h0")] + \
            ([(pc0, tc0, "c0")] if kind == "lstm" else []):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_attention_matches_torch_sdpa(causal, padded):
    rng = np.random.default_rng(1)
    N, Tq, Tk, H, dk, dv = 2, 4, 4, 3, 5, 2
    q, k, v = (rng.standard_normal(s) for s in [(N, Tq, H, dk), (N, Tk, H, dk), (N, Tk, H, dv)])
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], np.float64)  # key 0 always kept: no empty rows
    seed = rng.standard_normal((N, Tq, H, dv))

    pq, pk, pv = tensors(q, k, v)
    y = ops.scaled_dot_product_attention(pq, pk, pv, mask if padded else None, causal=causal)
    y.backward(seed.astype(np.float32))

    tq, tk, tv = torch_leaves(q, k, v)
    am = None
    if padded:
        am = torch.tensor(mask != 0)[:, None, None, :]
        if causal:
            am = am & torch.tril(torch.ones(Tq, Tk, dtype=torch.bool))
    ty = torch.nn.functional.scaled_dot_product_attention(
        tq.transpose(1, 2), tk.transpose(1, 2), tv.transpose(1, 2), attn_mask=am,
        is_causal=causal and not padded).transpose(1, 2)
    (ty * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    for mine, theirs in [(pq, tq), (pk, tk), (pv, tv)]:
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-5)
