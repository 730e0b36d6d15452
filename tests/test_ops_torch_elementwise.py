"""Cross-check of every elementwise, activation, softmax and reduction op with
PyTorch (CPU, float32): forward values and input gradients on random inputs."""
import numpy as np
import pytest

import pynn
from pynn import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

# name -> (pynn fn, torch fn, input sampler)
_normal = lambda rng, shape: rng.standard_normal(shape) * 3
_pos = lambda rng, shape: rng.uniform(0.1, 4.0, shape)

ELEMENTWISE = {
    "neg": (ops.neg, torch.neg, _normal),
    "pow2": (lambda x: x ** 2, lambda x: x ** 2, _normal),
    "pow3": (lambda x: ops.pow(x, 3), lambda x: torch.pow(x, 3), _normal),
    "pow_-1.5": (lambda x: ops.pow(x, -1.5), lambda x: torch.pow(x, -1.5), _pos),
    "pow_0.5": (lambda x: ops.pow(x, 0.5), lambda x: torch.pow(x, 0.5), _pos),
    "exp": (ops.exp, torch.exp, _normal),
    "log": (ops.log, torch.log, _pos),
    "sqrt": (ops.sqrt, torch.sqrt, _pos),
    "abs": (ops.abs, torch.abs, _normal),
    "square": (ops.square, torch.square, _normal),
    "clip": (lambda x: ops.clip(x, -1.0, 2.0), lambda x: torch.clamp(x, -1.0, 2.0), _normal),
    "relu": (ops.relu, torch.relu, _normal),
    "relu6": (ops.relu6, F.relu6, lambda rng, s: rng.uniform(-3, 9, s)),
    "leaky_relu": (ops.leaky_relu, lambda x: F.leaky_relu(x, 0.2), _normal),
    "elu": (lambda x: ops.elu(x, 0.7), lambda x: F.elu(x, 0.7), _normal),
    "selu": (ops.selu, F.selu, _normal),
    "gelu": (lambda x: ops.gelu(x, approximate=False), F.gelu, _normal),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate=True), lambda x: F.gelu(x, approximate="tanh"),
                  _normal),
    "silu": (ops.silu, F.silu, _normal),
    "sigmoid": (ops.sigmoid, torch.sigmoid, lambda rng, s: rng.standard_normal(s) * 10),
    "tanh": (ops.tanh, torch.tanh, _normal),
    "softplus": (ops.softplus, F.softplus, lambda rng, s: rng.standard_normal(s) * 10),
    "softsign": (ops.softsign, F.softsign, _normal),
    "hard_sigmoid": (ops.hard_sigmoid, F.hardsigmoid, _normal),
    "hard_silu": (ops.hard_silu, F.hardswish, _normal),
    "softmax_-1": (lambda x: ops.softmax(x, -1), lambda x: torch.softmax(x, -1), _normal),
    "softmax_0": (lambda x: ops.softmax(x, 0), lambda x: torch.softmax(x, 0), _normal),
    "log_softmax_-1": (lambda x: ops.log_softmax(x, -1), lambda x: torch.log_softmax(x, -1),
                       _normal),
    "log_softmax_1": (lambda x: ops.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1), _normal),
}

REDUCTIONS = {
    "sum": (lambda x: ops.sum(x), lambda x: x.sum()),
    "sum_1": (lambda x: ops.sum(x, 1), lambda x: x.sum(1)),
    "sum_02k": (lambda x: ops.sum(x, (0, 2), True), lambda x: x.sum((0, 2), keepdim=True)),
    "mean": (lambda x: ops.mean(x), lambda x: x.mean()),
    "mean_-1": (lambda x: ops.mean(x, -1), lambda x: x.mean(-1)),
    "mean_01k": (lambda x: ops.mean(x, (0, 1), True), lambda x: x.mean((0, 1), keepdim=True)),
    "max": (lambda x: ops.max(x), lambda x: torch.amax(x, (0, 1, 2))),
    "max_1": (lambda x: ops.max(x, 1), lambda x: torch.amax(x, 1)),
    "max_-1k": (lambda x: ops.max(x, -1, True), lambda x: torch.amax(x, -1, keepdim=True)),
    "min_0": (lambda x: ops.min(x, 0), lambda x: torch.amin(x, 0)),
    "min_12": (lambda x: ops.min(x, (1, 2)), lambda x: torch.amin(x, (1, 2))),
    "var": (lambda x: ops.var(x), lambda x: torch.var(x, correction=0)),
    "var_1_ddof1": (lambda x: ops.var(x, 1, ddof=1), lambda x: torch.var(x, 1)),
    "std_-1": (lambda x: ops.std(x, -1), lambda x: torch.std(x, -1, correction=0)),
    "std_02k_ddof1": (lambda x: ops.std(x, (0, 2), True, ddof=1),
                      lambda x: torch.std(x, (0, 2), keepdim=True)),
}


def _compare(pn_fn, th_fn, x, rtol=1e-5, atol=1e-5):
    x = x.astype(np.float32)
    t = pynn.Tensor(x.copy(), requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    y, yt = pn_fn(t), th_fn(tt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward differs from torch")
    g = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    if y.size == 0:
        return
    y.backward(g.reshape(y.shape))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=rtol, atol=atol,
                               err_msg="gradient differs from torch")


@pytest.mark.parametrize("shape", [(32, 10), (3, 4, 5), (1, 1), (0, 4), (1000,)], ids=str)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_matches_torch(name, shape):
    pn_fn, th_fn, sample = ELEMENTWISE[name]
    if name.startswith(("softmax_0", "log_softmax_1")) and len(shape) < 2:
        shape = (shape[0], 3)
    x = sample(np.random.default_rng(sum(map(ord, name)) + len(shape)), shape)
    _compare(pn_fn, th_fn, x)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_match_torch(name):
    pn_fn, th_fn = REDUCTIONS[name]
    x = np.random.default_rng(sum(map(ord, name))).standard_normal((6, 5, 4))
    _compare(pn_fn, th_fn, x)


def test_max_ties_match_amax():
    x = np.array([[1.0, 5.0, 5.0, 2.0], [3.0, 3.0, 3.0, 3.0]])
    _compare(lambda t: ops.max(t, 1), lambda t: torch.amax(t, 1), x)
    _compare(lambda t: ops.min(t), lambda t: torch.amin(t, (0, 1)), x)


def test_kinks_match_torch():
    x = np.array([0.0, -3.0, 3.0, 6.0, -1.0, 2.0, 1.0])
    for name in ("relu", "abs", "leaky_relu", "relu6", "hard_sigmoid", "hard_silu", "clip", "elu"):
        pn_fn, th_fn, _ = ELEMENTWISE[name]
        _compare(pn_fn, th_fn, x)
    _compare(lambda t: ops.pow(t, 0), lambda t: torch.pow(t, 0), x)


def test_extreme_inputs_match_torch():
    x = np.array([-100.0, -30.0, -5.0, 0.0, 5.0, 30.0, 100.0])
    for name in ("sigmoid", "softplus", "silu", "tanh", "gelu", "selu", "elu", "softsign"):
        pn_fn, th_fn, _ = ELEMENTWISE[name]
        _compare(pn_fn, th_fn, x, atol=1e-6)
    big = np.array([[100.0, -100.0, 0.0], [1e4, 1e4, -1e4]])
    _compare(lambda t: ops.log_softmax(t, -1), lambda t: torch.log_softmax(t, -1), big)
    _compare(lambda t: ops.softmax(t, -1), lambda t: torch.softmax(t, -1), big)
