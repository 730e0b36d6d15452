"""Elementwise ops and activations (csrc/core/ops/unary.c): gradients against
central differences of float64 NumPy references, kinks, stability at extreme
inputs, edge shapes and bad input."""
import math
import zlib

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    # exact in float64 in both tails (1 + tanh(x / 2) loses all digits for x << 0)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _dsigmoid(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _dtanh(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


# name -> (pynn function, float64 reference, sampler(rng, shape) away from kinks)
def _away(points, lo=-4.0, hi=4.0, gap=0.05):
    def sample(rng, shape):
        x = rng.uniform(lo, hi, shape)
        for p in points:  # push samples off the kinks so finite differences are valid
            close = np.abs(x - p) < gap
            x = np.where(close, p + np.where(x >= p, gap, -gap), x)
        return x
    return sample


_any = _away([])
_pos = lambda rng, shape: rng.uniform(0.2, 3.0, shape)

OPS = {
    "neg": (ops.neg, lambda x: -x, _any),
    "exp": (ops.exp, np.exp, _any),
    "log": (ops.log, np.log, _pos),
    "sqrt": (ops.sqrt, np.sqrt, _pos),
    "abs": (ops.abs, np.abs, _away([0])),
    "square": (ops.square, np.square, _any),
    "clip": (lambda x: ops.clip(x, -1.5, 2.0), lambda x: np.clip(x, -1.5, 2.0),
             _away([-1.5, 2.0])),
    "pow3": (lambda x: x ** 3, lambda x: x ** 3, _any),
    "relu": (ops.relu, lambda x: np.maximum(x, 0), _away([0])),
    "relu6": (ops.relu6, lambda x: np.clip(x, 0, 6), _away([0, 6], -3, 9)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), _away([0])),
    "leaky_relu_0.3": (lambda x: ops.leaky_relu(x, negative_slope=0.3),
                       lambda x: np.where(x > 0, x, 0.3 * x), _away([0])),
    "elu": (ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), _away([0])),
    "elu_0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
                _away([0])),
    "selu": (ops.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
             _away([0])),
    "gelu": (lambda x: ops.gelu(x, approximate=False), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), _any),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate=True), _gelu_tanh, _any),
    "silu": (ops.silu, lambda x: x * _sigmoid(x), _any),
    "sigmoid": (ops.sigmoid, _sigmoid, _any),
    "tanh": (ops.tanh, np.tanh, _any),
    "softplus": (ops.softplus, lambda x: np.logaddexp(0, x), _any),
    "softsign": (ops.softsign, lambda x: x / (1 + np.abs(x)), _away([0])),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), _away([-3, 3], -5, 5)),
    "hard_silu": (ops.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1), _away([-3, 3], -5, 5)),
}

SHAPES = [(), (1,), (7,), (3, 4), (2, 1, 3), (4, 1), (0, 4), (2, 0, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(OPS))
def test_gradients_match_central_differences(name, shape):
    fn, ref, sample = OPS[name]
    rng = np.random.default_rng(zlib.crc32(f"{name}{shape}".encode()))
    check_grad(fn, ref, [sample(rng, shape)])


@pytest.mark.parametrize("p", [2, 3, 0.5, -1, -2.5, 1, 0, 1.7])
def test_pow_scalar_exponents(p):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.3, 2.5, (3, 4))
    check_grad(lambda t: ops.pow(t, p), lambda a: a ** p, [x])
    check_grad(lambda t: t ** p, lambda a: a ** p, [x])


def test_pow_negative_base_integer_exponent_and_zero_exponent_gradient():
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    check_grad(lambda t: t ** 3, lambda a: a ** 3, [x])
    t = pynn.Tensor(x, requires_grad=True)
    (t ** 0).backward(np.ones(4, np.float32))
    np.testing.assert_array_equal(t.grad, 0)  # torch's convention, even at x = 0
    assert np.isnan(ops.pow(pynn.Tensor([-2.0]), 0.5).numpy()[0])


def _grad_at(fn, x):
    t = pynn.Tensor(np.asarray(x, np.float32), requires_grad=True)
    fn(t).backward(np.ones(t.shape, np.float32))
    return t.grad


def test_derivatives_at_kinks_follow_torch():
    np.testing.assert_array_equal(_grad_at(ops.relu, [0.0, -1.0, 1.0]), [0, 0, 1])
    np.testing.assert_array_equal(_grad_at(ops.abs, [0.0, -1.0, 1.0]), [0, -1, 1])
    np.testing.assert_allclose(_grad_at(ops.leaky_relu, [0.0, -1.0, 1.0]), [0.2, 0.2, 1])
    np.testing.assert_array_equal(_grad_at(ops.relu6, [0.0, 6.0, 3.0]), [0, 0, 1])
    np.testing.assert_allclose(_grad_at(ops.hard_sigmoid, [-3.0, 3.0, 0.0]), [0, 0, 1 / 6])
    np.testing.assert_allclose(_grad_at(ops.hard_silu, [-3.0, 3.0, 0.0]), [0, 1, 0.5])


def test_clip_gradient_is_one_on_the_closed_interval():
    g = _grad_at(lambda t: ops.clip(t, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(ops.clip(pynn.Tensor([-2.0, 0.5, 2.0]), -1, 1).numpy(),
                                  [-1, 0.5, 1])


def test_backward_accumulates_into_existing_gradient():
    t = pynn.Tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    ops.tanh(t).backward(np.ones(2, np.float32))
    first = t.grad.copy()
    ops.tanh(t).backward(np.ones(2, np.float32))
    np.testing.assert_allclose(t.grad, 2 * first, rtol=1e-6)


@pytest.mark.parametrize("x", [-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0])
def test_stability_at_extreme_inputs(x):
    a = np.array([x], np.float64)
    cases = {
        "sigmoid": (ops.sigmoid, _sigmoid(a), _dsigmoid(a)),
        "softplus": (ops.softplus, np.logaddexp(0, a), _sigmoid(a)),
        "silu": (ops.silu, a * _sigmoid(a), _sigmoid(a) * (1 + a * (1 - _sigmoid(a)))),
        "tanh": (ops.tanh, np.tanh(a), _dtanh(a)),
        "gelu": (lambda x: ops.gelu(x, approximate=False), np.maximum(a, 0), (a > 0).astype(float)),
        "selu": (ops.selu, SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * np.expm1(np.minimum(a, 0))),
                 SELU_SCALE * np.where(a > 0, 1, SELU_ALPHA * np.exp(np.minimum(a, 0)))),
    }
    for name, (fn, want, dwant) in cases.items():
        t = pynn.Tensor(a.astype(np.float32), requires_grad=True)
        y = fn(t)
        assert np.all(np.isfinite(y.numpy())), name
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-30, err_msg=name)
        y.backward(np.ones(1, np.float32))
        assert np.all(np.isfinite(t.grad)), name
        np.testing.assert_allclose(t.grad, dwant, rtol=1e-5, atol=1e-30, err_msg=name)


def test_relu_relu6_clip_propagate_nan():
    y = ops.relu(pynn.Tensor([np.nan, -1.0, 2.0])).numpy()
    assert np.isnan(y[0]) and y[1] == 0 and y[2] == 2
    assert np.isnan(ops.relu6(pynn.Tensor([np.nan])).numpy()[0])
    assert np.isnan(ops.clip(pynn.Tensor([np.nan]), -1, 1).numpy()[0])


def test_large_tensor_matches_numpy_across_parallel_chunks():
    # bigger than the parallel grain so several chunks (and threads) take part
    rng = np.random.default_rng(7)
    x = rng.standard_normal(100_003).astype(np.float32)
    t = pynn.Tensor(x, requires_grad=True)
    y = ops.sigmoid(t)
    np.testing.assert_allclose(y.numpy(), _sigmoid(x.astype(np.float64)), rtol=1e-6)
    g = rng.standard_normal(x.shape).astype(np.float32)
    y.backward(g)
    s = _sigmoid(x.astype(np.float64))
    np.testing.assert_allclose(t.grad, g * _dsigmoid(x.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_results_do_not_depend_on_thread_count():
    if not hasattr(pynn._C, "set_num_threads"):
        pytest.skip("the engine's thread pool is not built yet")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((512, 300)).astype(np.float32)
    prev = pynn.get_num_threads()
    outs = []
    try:
        for n in (1, 2):
            pynn.set_num_threads(n)
            t = pynn.Tensor(x, requires_grad=True)
            y = ops.gelu(t, approximate=False)
            y.backward(np.ones_like(x))
            outs.append((y.numpy().copy(), t.grad.copy()))
    finally:
        pynn.set_num_threads(prev)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_tensor_methods():
    x = np.array([[-1.0, 0.5], [2.0, -3.0]])
    t = pynn.Tensor(x)
    np.testing.assert_allclose(t.exp().numpy(), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(abs(t).numpy(), np.abs(x))
    np.testing.assert_allclose(t.relu().numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(t.sigmoid().numpy(), _sigmoid(x), rtol=1e-6)
    np.testing.assert_allclose(t.tanh().numpy(), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(t.clip(-1, 1).numpy(), np.clip(x, -1, 1))
    np.testing.assert_allclose((-t).numpy(), -x)
    np.testing.assert_allclose(t.abs().sqrt().log().numpy(), np.log(np.sqrt(np.abs(x))),
                               rtol=1e-6)


def test_accepts_arrays_and_lists():
    np.testing.assert_allclose(ops.exp([0.0, 1.0]).numpy(), [1, np.e], rtol=1e-6)
    np.testing.assert_allclose(ops.relu(np.array([-1, 2])).numpy(), [0, 2])


def test_bad_input_raises_clear_errors():
    t = pynn.Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="scalar exponent"):
        t ** pynn.Tensor([2.0])
    with pytest.raises(TypeError, match="pow: exponent"):
        ops.pow(t, "2")
    with pytest.raises(TypeError, match="clip: x_min"):
        ops.clip(t, None, 1.0)
    with pytest.raises(ValueError, match=r"clip: x_min \(2.0\) must be <= x_max \(1.0\)"):
        ops.clip(t, 2.0, 1.0)
    with pytest.raises(ValueError, match="clip: lower bound"):  # the C check, bypassing Python
        pynn._C.apply("clip", [t], x_min=2.0, x_max=1.0)
    with pytest.raises(TypeError, match="gelu: approximate"):
        ops.gelu(t, approximate="yes")
    with pytest.raises(TypeError, match="leaky_relu: negative_slope"):
        ops.leaky_relu(t, negative_slope=[0.1])
    with pytest.raises(TypeError):
        ops.exp("abc")


@pytest.mark.parametrize("name", sorted(OPS))
def test_backward_accumulates(name):
    # backward must add to an input's gradient (+=), not overwrite it
    fn, _, sample = OPS[name]
    x = sample(np.random.default_rng(19), (5, 7)).astype(np.float32)
    t = pynn.Tensor(x, requires_grad=True)
    g = np.random.default_rng(20).standard_normal(x.shape).astype(np.float32)
    fn(t).backward(g)
    first = t.grad.copy()
    assert np.any(first != 0)
    fn(t).backward(g)
    np.testing.assert_allclose(t.grad, 2 * first, rtol=1e-6, atol=1e-7)


def test_exp_accuracy_over_the_float32_range():
    # the vectorised exp must stay within a couple of ulps of the true value,
    # including the overflow / gradual-underflow edges
    x = np.concatenate([np.linspace(-103, 88.7, 200_001), [-104.0, -110.0, 88.73, 89.0, np.inf,
                                                           -np.inf, np.nan, 0.0, -0.0]])
    x = x.astype(np.float32)
    got = ops.exp(pynn.Tensor(x)).numpy()
    want = np.exp(x.astype(np.float64))
    normal = (want > 1.2e-38) & (want < 3.4e38)
    np.testing.assert_allclose(got[normal], want[normal], rtol=3e-7)
    sub = (want <= 1.2e-38) & (want > 0)
    np.testing.assert_allclose(got[sub], want[sub], rtol=0, atol=3e-45)
    assert got[-9] == 0 and got[-8] == 0 and got[-7] == np.inf and got[-6] == np.inf
    assert got[-5] == np.inf and got[-4] == 0 and np.isnan(got[-3])
    assert got[-2] == 1 and got[-1] == 1


def test_tanh_accuracy():
    x = np.concatenate([np.linspace(-20, 20, 100_001), np.logspace(-30, 1, 1000),
                        -np.logspace(-30, 1, 1000)]).astype(np.float32)
    got = ops.tanh(pynn.Tensor(x)).numpy()
    np.testing.assert_allclose(got, np.tanh(x.astype(np.float64)), rtol=4e-7, atol=1e-38)
    assert np.isnan(ops.tanh(pynn.Tensor([np.nan])).numpy()[0])
    np.testing.assert_array_equal(ops.tanh(pynn.Tensor([np.inf, -np.inf])).numpy(), [1, -1])


def test_gelu_exact_accuracy_including_the_left_tail():
    x = np.concatenate([np.linspace(-12, 12, 100_001), [0.0, -0.0, np.inf, np.nan],
                        np.logspace(-20, 0, 200), -np.logspace(-20, 0, 200)]).astype(np.float32)
    xd = x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        phi = 0.5 * np.vectorize(math.erfc, otypes=[np.float64])(-xd / np.sqrt(2))
        want = xd * phi
        dwant = phi + xd * np.exp(-0.5 * xd * xd) / np.sqrt(2 * np.pi)
    t = pynn.Tensor(x, requires_grad=True)
    y = ops.gelu(t, approximate=False)
    ok = np.isfinite(xd)
    # relative accuracy everywhere, even where gelu(x) ~ 1e-32 (x = -12)
    np.testing.assert_allclose(y.numpy()[ok], want[ok], rtol=2e-5, atol=1e-38)
    assert y.numpy()[-402] == np.inf and np.isnan(y.numpy()[-401])
    y.backward(np.ones_like(x))
    np.testing.assert_allclose(t.grad[ok], dwant[ok], rtol=2e-5, atol=2e-7)


def test_softplus_accuracy_over_the_range():
    x = np.concatenate([np.linspace(-100, 100, 200_001), np.logspace(-30, 2, 500),
                        -np.logspace(-30, 2, 500), [np.inf, -np.inf, np.nan]]).astype(np.float32)
    xd = x[:-3].astype(np.float64)
    got = ops.softplus(pynn.Tensor(x)).numpy()
    # relative accuracy even in the left tail, where softplus(x) ~ exp(x) is tiny
    np.testing.assert_allclose(got[:-3], np.logaddexp(0, xd), rtol=4e-7, atol=1e-44)
    assert got[-3] == np.inf and got[-2] == 0 and np.isnan(got[-1])
