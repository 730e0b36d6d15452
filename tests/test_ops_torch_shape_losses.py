"""Cross-check of shape ops and losses against PyTorch (CPU), forward and
backward. Skipped where torch is not installed (pip install torch==2.13.0)."""
import numpy as np
import pytest

import pynn
from pynn import ops
from pynn.ops import losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional


def both(fn_pn, fn_torch, arrays, seed_shape=None, grad_of=(0,), rtol=1e-5, atol=1e-6):
    """Runs fn on pynn Tensors and torch tensors, backpropagates the same random
    seed and compares the outputs and the gradients of the inputs in grad_of."""
    rng = np.random.default_rng(0)
    pts = [pynn.Tensor(a.astype(np.float32), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    tts = [torch.tensor(a.astype(np.float32), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    po, to = fn_pn(*pts), fn_torch(*tts)
    np.testing.assert_allclose(po.numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    seed = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    po.backward(seed)
    to.backward(torch.tensor(seed))
    for i in grad_of:
        np.testing.assert_allclose(pts[i].grad, tts[i].grad.numpy(), rtol=rtol, atol=atol)


R = np.random.default_rng(1)


def test_reshape_permute_flatten():
    a = R.standard_normal((2, 3, 4))
    both(lambda x: ops.reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [a])
    both(lambda x: ops.transpose(x, (2, 0, 1)), lambda x: x.permute(2, 0, 1), [a])
    both(lambda x: x.T, lambda x: x.permute(2, 1, 0), [a])
    both(lambda x: x.flatten(), lambda x: x.flatten(), [a])


def test_slicing_and_indexing():
    a = R.standard_normal((4, 5, 6))
    both(lambda x: x[1:, ::2, -3:], lambda x: x[1:, ::2, -3:], [a])
    both(lambda x: x[..., None, 2], lambda x: x[..., None, 2], [a])
    both(lambda x: x[:, [4, 0, 4]], lambda x: x[:, [4, 0, 4]], [a])
    # torch has no negative steps: compare with flip
    both(lambda x: x[::-1, :, ::-1], lambda x: x.flip(0, 2), [a])


def test_take_is_index_select():
    a = R.standard_normal((5, 3))
    idx = np.array([4, 0, 4, 2])
    both(lambda x: ops.take(x, idx.astype(np.float32), 0),
         lambda x: x.index_select(0, torch.tensor(idx)), [a])
    both(lambda x: ops.take(x, np.array([2, 2], np.float32), 1),
         lambda x: x.index_select(1, torch.tensor([2, 2])), [a])
    # embedding lookup
    tokens = np.array([[1, 4], [4, 4]])
    both(lambda w: ops.take(w, tokens.astype(np.float32), 0),
         lambda w: F.embedding(torch.tensor(tokens), w), [a])


def test_concatenate_stack_broadcast():
    arrs = [R.standard_normal((2, k)) for k in (1, 3, 2)]
    both(lambda *t: ops.concatenate(t, axis=1), lambda *t: torch.cat(t, 1), arrs, grad_of=(0, 1, 2))
    same = [R.standard_normal((2, 3)) for _ in range(3)]
    both(lambda *t: ops.stack(t, axis=1), lambda *t: torch.stack(t, 1), same, grad_of=(0, 1, 2))
    both(lambda x: ops.broadcast_to(x, (4, 2, 3)), lambda x: x.expand(4, 2, 3),
         [R.standard_normal((2, 1))], rtol=1e-5)


# ------------------------------------------------------------------ losses

@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_cce_vs_cross_entropy(ls, weighted):
    logits = R.standard_normal((8, 5)) * 3
    logits[0] = [100, -100, 0, 50, -50]  # extreme logits stay exact
    labels = R.integers(0, 5, 8)
    w = R.uniform(0.5, 2.0, 8) if weighted else None

    def pn(x):
        if ls:  # torch's smoothing is y(1 - ls) + ls / C, as Keras' categorical smoothing
            return L.categorical_crossentropy(np.eye(5)[labels], x, from_logits=True,
                                              label_smoothing=ls, sample_weight=w)
        return L.sparse_categorical_crossentropy(labels.astype(np.float32), x, from_logits=True,
                                                 sample_weight=w)

    def th(x):
        l = F.cross_entropy(x, torch.tensor(labels), label_smoothing=ls, reduction="none")
        return (l * torch.tensor(w, dtype=torch.float32)).mean() if weighted else l.mean()

    both(pn, th, [logits])


def test_cce_soft_targets_vs_cross_entropy():
    logits = R.standard_normal((6, 4))
    target = R.dirichlet(np.ones(4), 6)
    both(lambda x: L.categorical_crossentropy(target, x, from_logits=True, reduction="none"),
         lambda x: F.cross_entropy(x, torch.tensor(target, dtype=torch.float32), reduction="none"),
         [logits])


@pytest.mark.parametrize("shape", [(8, 1), (4, 3)])
def test_bce_with_logits(shape):
    x = R.standard_normal(shape) * 4
    x.flat[0], x.flat[-1] = 100.0, -100.0
    y = R.integers(0, 2, shape).astype(np.float64)
    both(lambda p: L.binary_crossentropy(y, p, from_logits=True),
         lambda p: F.binary_cross_entropy_with_logits(p, torch.tensor(y, dtype=torch.float32)),
         [x])
    w = R.uniform(0.5, 2.0, shape[0])
    both(lambda p: L.binary_crossentropy(y, p, from_logits=True, sample_weight=w),
         lambda p: F.binary_cross_entropy_with_logits(
             p, torch.tensor(y, dtype=torch.float32),
             weight=torch.tensor(w[:, None], dtype=torch.float32)), [x])


def test_bce_probabilities_inside_clip_range():
    p = R.uniform(0.05, 0.95, (6, 2))
    y = R.integers(0, 2, (6, 2)).astype(np.float64)
    both(lambda q: L.binary_crossentropy(y, q),
         lambda q: F.binary_cross_entropy(q, torch.tensor(y, dtype=torch.float32)), [p])


def test_mse_mae_per_sample():
    p, t = R.standard_normal((5, 3)), R.standard_normal((5, 3))
    tt = torch.tensor(t, dtype=torch.float32)
    both(lambda q: L.mean_squared_error(t, q), lambda q: F.mse_loss(q, tt), [p])
    both(lambda q: L.mean_absolute_error(t, q), lambda q: F.l1_loss(q, tt), [p])
    both(lambda q: L.mean_squared_error(t, q, reduction="none"),
         lambda q: F.mse_loss(q, tt, reduction="none").mean(-1), [p])


@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_vs_huber_and_smooth_l1(delta):
    t = R.standard_normal((6, 4))
    p = t + R.uniform(-3, 3, (6, 4))
    tt = torch.tensor(t, dtype=torch.float32)
    both(lambda q: L.huber(t, q, delta=delta), lambda q: F.huber_loss(q, tt, delta=delta), [p])
    # smooth_l1 with beta = delta is huber / delta
    both(lambda q: L.huber(t, q, delta=delta) / delta,
         lambda q: F.smooth_l1_loss(q, tt, beta=delta), [p])


def test_hinge_vs_torch_formula():
    p = R.uniform(-2, 2, (5, 3))
    y = R.integers(0, 2, (5, 3)).astype(np.float64)
    yy = torch.tensor(2 * y - 1, dtype=torch.float32)
    both(lambda q: L.hinge(y, q), lambda q: torch.clamp(1 - yy * q, min=0).mean(), [p])
