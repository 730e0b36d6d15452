"""Cross-checks against PyTorch (CPU): conv, pooling, batch norm, layer norm,
forward and backward. Layouts are mapped explicitly: pynn is channels-last with
Keras kernels (KH, KW, C, F); torch is NCHW with weights (F, C, KH, KW).
TF-style 'same' padding is applied in torch with an explicit F.pad."""
import numpy as np
import pytest

import pynn
from pynn import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional


def same_pads(n, k, s, d=1):
    out = (n - 1) // s + 1
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def run_pynn(fn, arrays, seed):
    ts = [pynn.Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    y.backward(seed)
    return y.numpy(), [t.grad for t in ts]


def run_torch(fn, arrays, seed):
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    y = fn(*ts)
    y.backward(torch.tensor(seed, dtype=torch.float64))
    return y.detach().numpy(), [t.grad.numpy() for t in ts]


def compare(pn_fn, th_fn, arrays, out_shape, rtol=1e-4, atol=1e-4):
    rng = np.random.default_rng(99)
    arrays = [a.astype(np.float32) for a in arrays]
    seed = rng.standard_normal(out_shape).astype(np.float32)
    y1, g1 = run_pynn(pn_fn, arrays, seed)
    y2, g2 = run_torch(th_fn, [a.astype(np.float64) for a in arrays], seed)
    np.testing.assert_allclose(y1, y2, rtol=rtol, atol=atol, err_msg="forward")
    for i, (a, b) in enumerate(zip(g1, g2)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("xs,k,f,s,d,padding", [
    ((2, 9, 8, 3), (3, 3), 5, (1, 1), (1, 1), "valid"),
    ((2, 9, 8, 3), (3, 3), 5, (1, 1), (1, 1), "same"),
    ((2, 9, 8, 3), (4, 3), 4, (2, 2), (1, 1), "same"),
    ((1, 10, 11, 2), (3, 3), 3, (1, 1), (2, 2), "same"),
    ((3, 8, 8, 4), (1, 1), 6, (1, 1), (1, 1), "valid"),
    ((2, 12, 10, 3), (5, 3), 2, (3, 2), (1, 1), "valid"),
])
def test_conv2d_matches_torch(xs, k, f, s, d, padding):
    rng = np.random.default_rng(40)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(k + (xs[3], f)) * 0.3
    b = rng.standard_normal(f)
    pt, pb = same_pads(xs[1], k[0], s[0], d[0]) if padding == "same" else (0, 0)
    pl, pr = same_pads(xs[2], k[1], s[1], d[1]) if padding == "same" else (0, 0)

    def th(x, w, b):
        xn = F.pad(x.permute(0, 3, 1, 2), (pl, pr, pt, pb))
        y = F.conv2d(xn, w.permute(3, 2, 0, 1), b, stride=s, dilation=d)
        return y.permute(0, 2, 3, 1)

    out = ops.conv2d(x.astype(np.float32), w.astype(np.float32), strides=s, padding=padding,
                     dilation_rate=d).shape
    compare(lambda x, w, b: ops.conv2d(x, w, b, strides=s, padding=padding, dilation_rate=d), th,
            [x, w, b], out)


@pytest.mark.parametrize("padding,s,d", [("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2)])
def test_conv1d_matches_torch(padding, s, d):
    rng = np.random.default_rng(41)
    x, w, b = rng.standard_normal((2, 13, 3)), rng.standard_normal((3, 3, 4)) * 0.3, rng.standard_normal(4)
    if padding == "same":
        pl, pr = same_pads(13, 3, s, d)
    elif padding == "causal":
        pl, pr = d * 2, 0
    else:
        pl = pr = 0

    def th(x, w, b):
        y = F.conv1d(F.pad(x.permute(0, 2, 1), (pl, pr)), w.permute(2, 1, 0), b, stride=s, dilation=d)
        return y.permute(0, 2, 1)

    out = ops.conv1d(x.astype(np.float32), w.astype(np.float32), strides=s, padding=padding,
                     dilation_rate=d).shape
    compare(lambda x, w, b: ops.conv1d(x, w, b, strides=s, padding=padding, dilation_rate=d), th,
            [x, w, b], out)


@pytest.mark.parametrize("xs,pool,s,padding", [
    ((2, 8, 8, 3), (2, 2), (2, 2), "valid"),
    ((2, 9, 7, 3), (3, 3), (2, 2), "valid"),
    ((2, 9, 7, 3), (3, 3), (2, 2), "same"),
    ((1, 7, 7, 2), (3, 3), (1, 1), "same"),
])
def test_max_pool2d_matches_torch(xs, pool, s, padding):
    x = np.random.default_rng(42).permutation(int(np.prod(xs))).reshape(xs) * 0.01
    pt, pb = same_pads(xs[1], pool[0], s[0]) if padding == "same" else (0, 0)
    pl, pr = same_pads(xs[2], pool[1], s[1]) if padding == "same" else (0, 0)

    def th(x):
        xn = F.pad(x.permute(0, 3, 1, 2), (pl, pr, pt, pb), value=-float("inf"))
        return F.max_pool2d(xn, pool, s).permute(0, 2, 3, 1)

    out = ops.max_pool2d(x.astype(np.float32), pool, s, padding).shape
    compare(lambda x: ops.max_pool2d(x, pool, s, padding), th, [x], out)


@pytest.mark.parametrize("xs,pool,s,padding,torch_pad", [
    ((2, 8, 8, 3), (2, 2), (2, 2), "valid", 0),
    ((2, 9, 7, 3), (3, 3), (2, 2), "valid", 0),
    ((2, 7, 7, 3), (3, 3), (1, 1), "same", 1),   # symmetric 'same': torch's padding with
    ((1, 9, 9, 2), (5, 5), (1, 1), "same", 2),   # count_include_pad=False is Keras' rule
])
def test_avg_pool2d_matches_torch(xs, pool, s, padding, torch_pad):
    x = np.random.default_rng(43).standard_normal(xs)

    def th(x):
        y = F.avg_pool2d(x.permute(0, 3, 1, 2), pool, s, padding=torch_pad, count_include_pad=False)
        return y.permute(0, 2, 3, 1)

    out = ops.avg_pool2d(x.astype(np.float32), pool, s, padding).shape
    compare(lambda x: ops.avg_pool2d(x, pool, s, padding), th, [x], out)


@pytest.mark.parametrize("xs", [(8, 4), (4, 5, 5, 3)])
def test_batch_norm_training_matches_torch(xs):
    rng = np.random.default_rng(44)
    c = xs[-1]
    x, g, b = rng.standard_normal(xs) * 2 + 1, rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    mm0, mv0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    mm, mv = mm0.astype(np.float32), mv0.astype(np.float32)
    rm, rv = torch.tensor(mm0), torch.tensor(mv0)
    perm = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
    inv_perm = tuple(np.argsort(perm))

    def th(x, g, b):  # torch's momentum is 1 - Keras'
        y = F.batch_norm(x.permute(*perm), rm, rv, g, b, training=True, momentum=0.01, eps=1e-3)
        return y.permute(*inv_perm)

    compare(lambda x, g, b: ops.batch_norm(x, g, b, mm, mv, training=True), th, [x, g, b], xs,
            rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(mm, rm.numpy(), rtol=1e-5, atol=1e-6)
    # torch feeds the unbiased variance to its running average, Keras the biased one
    m = x.size // c
    unbiased = (rv.numpy() - 0.99 * mv0) / 0.01
    np.testing.assert_allclose(mv, 0.99 * mv0 + 0.01 * unbiased * (m - 1) / m, rtol=1e-5)


def test_batch_norm_eval_matches_torch():
    rng = np.random.default_rng(45)
    xs, c = (3, 4, 4, 5), 5
    x, g, b = rng.standard_normal(xs), rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    mm, mv = rng.standard_normal(c), rng.uniform(0.5, 2, c)

    # torch cannot differentiate its running statistics; their gradients are checked
    # against central differences in test_ops_norm.py
    def th(x, g, b):
        y = F.batch_norm(x.permute(0, 3, 1, 2), torch.tensor(mm), torch.tensor(mv), g, b,
                         training=False, eps=1e-3)
        return y.permute(0, 2, 3, 1)

    m32, v32 = mm.astype(np.float32), mv.astype(np.float32)
    compare(lambda x, g, b: ops.batch_norm(x, g, b, m32, v32, training=False), th, [x, g, b], xs)


@pytest.mark.parametrize("xs", [(6, 8), (2, 5, 16)])
def test_layer_norm_matches_torch(xs):
    rng = np.random.default_rng(46)
    c = xs[-1]
    x, g, b = rng.standard_normal(xs) * 3 + 1, rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    compare(lambda x, g, b: ops.layer_norm(x, g, b),
            lambda x, g, b: F.layer_norm(x, (c,), g, b, eps=1e-3), [x, g, b], xs, rtol=1e-3, atol=1e-3)


def test_global_pooling_and_upsampling_match_torch():
    rng = np.random.default_rng(47)
    x = rng.permutation(2 * 4 * 5 * 3).reshape(2, 4, 5, 3) * 0.01
    compare(ops.global_avg_pool2d, lambda x: x.mean(dim=(1, 2)), [x], (2, 3))
    compare(ops.global_max_pool2d, lambda x: x.amax(dim=(1, 2)), [x], (2, 3))
    compare(lambda x: ops.upsampling2d(x, (2, 3)),
            lambda x: F.interpolate(x.permute(0, 3, 1, 2), scale_factor=(2, 3),
                                    mode="nearest").permute(0, 2, 3, 1), [x], (2, 8, 15, 3))
