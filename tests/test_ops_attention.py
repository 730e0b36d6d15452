"""attention op: forward and gradients against a float64 NumPy reference, both
layouts, causal and padding masks, fully masked rows, bad inputs."""
import numpy as np
import pytest

from pynn import ops
from gradcheck import check_grad


def attention_ref(q, k, v, mask=None, causal=False, scale=None, num_heads=None):
    rank3 = q.ndim == 3
    if rank3:
        N, Tq, Tk, H = q.shape[0], q.shape[1], k.shape[1], num_heads
        q = q.reshape(N, Tq, H, -1)
        k = k.reshape(N, Tk, H, -1)
        v = v.reshape(N, Tk, H, -1)
    N, Tq, H, dk = q.shape
    Tk = k.shape[1]
    scale = 1 / np.sqrt(dk) if scale is None else scale
    s = np.einsum("nqhd,nkhd->nhqk", q, k) * scale
    ok = np.ones((N, 1, Tq, Tk), bool)
    if causal:
        ok &= np.tril(np.ones((Tq, Tk), bool))
    if mask is not None:
        ok &= (mask[:, None, None, :] if mask.ndim == 2 else mask[:, None]) != 0
    s = np.where(ok, s, -np.inf)
    any_ok = ok.any(-1, keepdims=True)
    s = np.where(any_ok, s, 0.0)            # nothing allowed: uniform weights
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    out = np.einsum("nhqk,nkhd->nqhd", p, v)
    return out.reshape(N, Tq, -1) if rank3 else out


def rand(shape, rng):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("N,Tq,Tk,H,dk,dv", [(1, 1, 1, 1, 1, 1), (2, 3, 4, 2, 3, 2),
                                              (1, 4, 2, 3, 2, 3)])
@pytest.mark.parametrize("causal", [False, True])
def test_gradients_rank4(N, Tq, Tk, H, dk, dv, causal):
    rng = np.random.default_rng(0)
    arrays = [rand((N, Tq, H, dk), rng), rand((N, Tk, H, dk), rng), rand((N, Tk, H, dv), rng)]
    check_grad(lambda q, k, v: ops.scaled_dot_product_attention(q, k, v, causal=causal),
               lambda q, k, v: attention_ref(q, k, v, causal=causal), arrays)


@pytest.mark.parametrize("mask_rank", [2, 3])
def test_gradients_rank3_heads_with_masks(mask_rank):
    rng = np.random.default_rng(1)
    N, Tq, Tk, H, dk, dv = 3, 3, 4, 2, 2, 3
    arrays = [rand((N, Tq, H * dk), rng), rand((N, Tk, H * dk), rng), rand((N, Tk, H * dv), rng)]
    if mask_rank == 2:
        mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [0, 1, 1, 1]], np.float64)
    else:
        mask = (rng.random((N, Tq, Tk)) < 0.6).astype(np.float64)
        mask[0, 1] = 0.0                    # a query with nothing to attend to
    arrays.append(mask)
    fn = lambda q, k, v, m: ops.scaled_dot_product_attention(q, k, v, m, num_heads=H, scale=0.7)
    ref = lambda q, k, v, m: attention_ref(q, k, v, m, scale=0.7, num_heads=H)
    check_grad(fn, ref, arrays, wrt=[0, 1, 2])


def test_causal_and_padding_combine_and_fully_masked_rows_are_uniform():
    rng = np.random.default_rng(2)
    q, k, v = rand((1, 3, 1, 2), rng), rand((1, 3, 1, 2), rng), rand((1, 3, 1, 2), rng)
    mask = np.array([[0, 1, 1]], np.float32)        # key 0 padded away
    out = ops.scaled_dot_product_attention(q, k, v, mask, causal=True).numpy()
    # query 0 may only see key 0 (causal), which is padded: uniform over all keys
    np.testing.assert_allclose(out[0, 0, 0], v[0, :, 0].mean(0), rtol=1e-5, atol=1e-6)
    # query 1 sees only key 1
    np.testing.assert_allclose(out[0, 1, 0], v[0, 1, 0], rtol=1e-5, atol=1e-6)


def test_bad_inputs():
    z = np.zeros
    with pytest.raises(ValueError, match="need num_heads"):
        ops.scaled_dot_product_attention(z((1, 2, 4)), z((1, 2, 4)), z((1, 2, 4)))
    with pytest.raises(ValueError, match="must divide by num_heads=3"):
        ops.scaled_dot_product_attention(z((1, 2, 4)), z((1, 2, 4)), z((1, 2, 4)), num_heads=3)
    with pytest.raises(ValueError, match="do not fit together"):
        ops.scaled_dot_product_attention(z((1, 2, 1, 4)), z((1, 3, 1, 4)), z((1, 2, 1, 4)))
    with pytest.raises(ValueError, match=r"mask must be \(batch=1, Tk=3\)"):
        ops.scaled_dot_product_attention(z((1, 2, 1, 4)), z((1, 3, 1, 4)), z((1, 3, 1, 4)),
                                         z((1, 2)))
    with pytest.raises(ValueError, match=r"query must be .* got shape \(2, 4\)"):
        ops.scaled_dot_product_attention(z((2, 4)), z((2, 4)), z((2, 4)))
