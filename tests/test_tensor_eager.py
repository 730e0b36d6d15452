"""Eager pynn.Tensor idioms as PyTorch users write them: in-place updates under
no_grad, scalar conversions, NumPy functions on tensors, per-thread grad mode,
and the documented examples of help(pynn.Tensor) (run as doctests)."""
import doctest
import threading

import numpy as np
import pytest

import pynn
import pynn.tensor

def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- in-place ops

@pytest.mark.parametrize("op,ref", [
    ("+=", np.add), ("-=", np.subtract), ("*=", np.multiply), ("/=", np.divide)])
def test_inplace_keeps_object_view_and_values(op, ref):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    t = pynn.Tensor(a.copy())
    view = t.numpy()
    x = np.array([2.0, 4.0, 8.0], np.float32)  # broadcasts over rows
    before = id(t)
    ns = {"t": t, "x": x}
    exec(f"t {op} x", ns)
    assert id(ns["t"]) == before
    np.testing.assert_allclose(view, ref(a, x), rtol=1e-6)  # the old NumPy view sees it
    np.testing.assert_allclose(t.numpy(), ref(a, x), rtol=1e-6)


def test_inplace_with_tensor_and_scalar_operands():
    t = pynn.Tensor(np.array([1.0, 2.0], np.float32))
    t += pynn.Tensor(np.array([10.0, 20.0], np.float32))
    t *= 0.5
    t -= 1
    t /= 2
    np.testing.assert_allclose(t.numpy(), [(11 * 0.5 - 1) / 2, (22 * 0.5 - 1) / 2])
    t += t  # aliasing: computed out of place first
    np.testing.assert_allclose(t.numpy(), [4.5, 10.0])


def test_inplace_may_not_grow_the_tensor():
    t = pynn.Tensor(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"result has shape \(2, 3\) but the tensor has shape \(3,\)"):
        t += np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(t.numpy(), [1, 1, 1])  # nothing written


def test_inplace_on_leaf_requiring_grad_refused_outside_no_grad():
    w = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad is being used in an "
                                           "in-place operation"):
        w -= 0.1
    np.testing.assert_array_equal(w.numpy(), [1, 1, 1])
    with pynn.no_grad():
        w -= 0.25
    assert w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.numpy(), [0.75, 0.75, 0.75])


def test_inplace_leaf_rule_mirrors_torch():
    torch = _torch()
    tw = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tw -= 0.1
    with torch.no_grad():
        tw -= 0.25
    w = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w -= 0.1
    with pynn.no_grad():
        w -= 0.25
    np.testing.assert_array_equal(w.numpy(), tw.detach().numpy())
    assert w.requires_grad == tw.requires_grad and w.is_leaf == tw.is_leaf


def test_inplace_on_graph_tensor_and_with_grad_operand_refused():
    w = pynn.Tensor(np.ones(2, np.float32), requires_grad=True)
    h = w * 2
    with pytest.raises(RuntimeError, match="made by 'mul'.*out-of-place form t = t \\+ x"):
        h += 1
    with pynn.no_grad():
        with pytest.raises(RuntimeError, match="made by 'mul'"):
            h += 1
    c = pynn.Tensor(np.zeros(2, np.float32))
    with pytest.raises(RuntimeError, match="x requires grad"):
        c += w
    with pynn.no_grad():
        c += w  # no graph wanted: fine
    np.testing.assert_array_equal(c.numpy(), [1, 1])


def test_backward_refuses_after_input_modified_in_place():
    x = pynn.Tensor(np.array([1.0, 2.0], np.float32))
    w = pynn.Tensor(np.array([3.0, 4.0], np.float32), requires_grad=True)
    loss = (x * w).sum()
    x += 1  # mul's backward needs the old x for dw
    with pytest.raises(ValueError, match="input 0 of 'mul' was modified by an in-place operation"):
        loss.backward()
    assert w.grad is None
    # a detached leaf shares memory and version with its source
    x2 = pynn.Tensor(np.array([1.0, 2.0], np.float32))
    d = x2.detach()
    loss2 = (d * w).sum()
    x2 *= 3
    loss2 = (d * w).sum()  # recorded after the write: fine
    loss2.backward()
    np.testing.assert_allclose(w.grad, [3.0, 6.0])


def test_manual_sgd_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    b0 = np.zeros(2, np.float32)
    lr = 0.1

    W = pynn.Tensor(w0.copy(), requires_grad=True)
    b = pynn.Tensor(b0.copy(), requires_grad=True)
    W_view = W.numpy()
    losses = []
    for _ in range(20):
        loss = ((x @ W + b - y) ** 2).mean()
        loss.backward()
        with pynn.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad
        W.grad = None
        b.grad = None
        losses.append(float(loss))

    tW = torch.tensor(w0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    tlosses = []
    for _ in range(20):
        tloss = ((torch.from_numpy(x) @ tW + tb - torch.from_numpy(y)) ** 2).mean()
        tloss.backward()
        with torch.no_grad():
            tW -= lr * tW.grad
            tb -= lr * tb.grad
        tW.grad = None
        tb.grad = None
        tlosses.append(tloss.item())

    np.testing.assert_allclose(W.numpy(), tW.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-5)
    assert losses[-1] < 0.5 * losses[0]  # it did learn
    assert W.requires_grad and np.shares_memory(W_view, W.numpy())


def test_zero_grad_idioms():
    w = pynn.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (w * w).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [4, 8])  # accumulates, as in torch
    w.grad[...] = 0
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2, 4])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3, 3])


# ---------------------------------------------------------------- scalar conversions

def test_float_int_bool_of_one_element():
    assert float(pynn.Tensor(np.float32(2.5))) == 2.5
    assert float(pynn.Tensor([[0.25]])) == 0.25
    assert int(pynn.Tensor([-2.7])) == -2 and int(pynn.Tensor([2.7])) == 2  # truncation, as torch
    assert bool(pynn.Tensor([0.5])) is True and bool(pynn.Tensor(0.0)) is False
    x = pynn.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    assert float(loss) == 5.0
    assert f"{float(loss):.1f}" == "5.0"


@pytest.mark.parametrize("conv", [float, int, bool])
def test_scalar_conversion_of_many_elements_raises(conv):
    t = pynn.Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"one-element tensor; this one has shape \(2, 3\) \(6 elements\)"):
        conv(t)
    with pytest.raises(ValueError, match=r"shape \(0,\) \(0 elements\)"):
        conv(pynn.Tensor(np.zeros(0, np.float32)))


# ---------------------------------------------------------------- NumPy functions

def _leaf():
    return pynn.Tensor(np.array([[0.5, -1.0], [2.0, 0.25]], np.float32), requires_grad=True)


@pytest.mark.parametrize("f,df", [
    (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    (np.exp, np.exp),
    (np.square, lambda a: 2 * a),
    (np.negative, lambda a: -np.ones_like(a)),
    (np.abs, np.sign),
    (lambda t: np.sqrt(np.abs(t)), lambda a: np.sign(a) / (2 * np.sqrt(np.abs(a)))),
    (lambda t: np.log(np.abs(t)), lambda a: 1 / a),
    (lambda t: np.power(t, 3), lambda a: 3 * a ** 2),
    (lambda t: np.add(t, 1.0) * np.multiply(2.0, t), lambda a: 4 * a + 2),
    (lambda t: np.subtract(1.0, t) / np.divide(t, 2.0), lambda a: -2 / a ** 2),
    (lambda t: np.maximum(t, 0.3), lambda a: (a > 0.3).astype(np.float32)),
    (lambda t: np.minimum(t, 0.3), lambda a: (a < 0.3).astype(np.float32)),
    (lambda t: np.clip(t, -0.5, 1.0), lambda a: ((a >= -0.5) & (a <= 1.0)).astype(np.float32)),
])
def test_numpy_ufuncs_keep_the_graph(f, df):
    t = _leaf()
    out = f(t)
    assert isinstance(out, pynn.Tensor) and out.requires_grad
    out.backward(np.ones(out.shape, np.float32))
    np.testing.assert_allclose(t.grad, df(t.numpy().astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_numpy_functions_keep_the_graph_vs_torch():
    t = _leaf()
    a = t.numpy().astype(np.float64)
    m = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    assert float(np.sum(t)) == pytest.approx(a.sum())
    assert np.mean(t, axis=0).shape == (2,)
    assert np.sum(t, axis=1, keepdims=True).shape == (2, 1)
    parts = [
        np.sum(np.matmul(t, m)), np.sum(t @ m), np.mean(t) * 4, np.max(t), np.min(t),
        np.var(t) * 4, np.std(t, ddof=1),
        np.sum(np.reshape(t, (4,)) * np.arange(4, dtype=np.float32)),
        np.sum(np.transpose(t) * m), np.sum(np.ravel(t)),
        np.sum(np.concatenate([t, t], axis=1)), np.sum(np.stack([t, m])),
        np.sum(np.expand_dims(t, 0)), np.sum(np.squeeze(np.expand_dims(t, 0), 0)),
        np.sum(np.broadcast_to(t, (3, 2, 2))), np.sum(np.dot(t, m)),
    ]
    for p in parts:
        assert isinstance(p, pynn.Tensor) and p.requires_grad, p
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    total.backward()
    # the same sum written with torch gives the reference gradient
    torch = _torch()
    tt = torch.tensor(a, requires_grad=True)
    tm = torch.tensor(m, dtype=torch.float64)
    ref = [
        (tt @ tm).sum(), (tt @ tm).sum(), tt.mean() * 4, tt.amax(), tt.amin(),
        tt.var(unbiased=False) * 4, tt.std(unbiased=True),
        (tt.reshape(4) * torch.arange(4, dtype=torch.float64)).sum(),
        (tt.T * tm).sum(), tt.sum(), torch.cat([tt, tt], 1).sum(), torch.stack([tt, tm]).sum(),
        tt.sum(), tt.sum(), tt.expand(3, 2, 2).sum(), (tt @ tm).sum(),
    ]
    sum(ref).backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_ndarray_operator_tensor_dispatches_to_pynn():
    t = _leaf()
    a = np.full((2, 2), 3.0, np.float32)
    for out in (a + t, a - t, a * t, a / t, a @ t):
        assert isinstance(out, pynn.Tensor) and out.requires_grad


@pytest.mark.parametrize("call,hint", [
    (lambda t: np.sin(t), "np.sin has no pynn op"),
    (lambda t: np.log1p(t), r"use pynn.ops.log\(1 \+ t\)"),
    (lambda t: np.add.reduce(t), "np.add.reduce .* use pynn.ops.sum"),
    (lambda t: np.copy(t), r"np.copy .* t \+ 0"),
    (lambda t: np.linalg.norm(t), "np.norm .* pynn.ops.sqrt"),
    (lambda t: np.prod(t), "np.prod"),
    (lambda t: np.cumsum(t), "np.cumsum has no pynn op"),
    (lambda t: np.exp(t, out=np.empty((2, 2), np.float32)), "out=.* in-place operators"),
    (lambda t: np.sum(t, dtype=np.float64), "does not support dtype="),
    (lambda t: np.dot(np.ones((2, 2, 2), np.float32), t), "pynn.ops.matmul"),
])
def test_numpy_without_pynn_op_raises_typeerror_naming_it(call, hint):
    with pytest.raises(TypeError, match=hint) as e:
        call(_leaf())
    assert "np.asarray(t)" in str(e.value) or "pynn.ops" in str(e.value) or "in-place" in str(e.value)


def test_numpy_queries_answer_on_values():
    t = _leaf()
    assert np.allclose(t, t.numpy()) and np.array_equal(t, t.numpy())
    assert np.argmax(t) == 2 and np.shape(t) == (2, 2) and np.ndim(t) == 2 and np.size(t) == 4
    np.testing.assert_array_equal(np.isnan(t), np.zeros((2, 2), bool))
    np.testing.assert_array_equal(np.greater(t, 0.4), [[True, False], [True, False]])


def test_asarray_is_the_explicit_exit():
    t = _leaf()
    a = np.asarray(t)
    assert type(a) is np.ndarray and np.shares_memory(a, t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


# ---------------------------------------------------------------- grad mode per thread

def test_no_grad_is_per_thread():
    barrier = threading.Barrier(2, timeout=20)
    results = {}

    def quiet():
        with pynn.no_grad():
            barrier.wait()  # the other thread records and back-propagates now
            w = pynn.Tensor(np.ones(2, np.float32), requires_grad=True)
            results["quiet_requires_grad"] = (w * 2).requires_grad
            results["quiet_enabled"] = pynn.is_grad_enabled()
            barrier.wait()

    def learner():
        barrier.wait()
        w = pynn.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        try:
            y = (w * w).sum()
            y.backward()
            results["grad"] = w.grad.copy()
        except Exception as e:  # noqa: BLE001 - reported below
            results["grad"] = e
        results["learner_enabled"] = pynn.is_grad_enabled()
        barrier.wait()

    threads = [threading.Thread(target=quiet), threading.Thread(target=learner)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not isinstance(results["grad"], Exception), results["grad"]
    np.testing.assert_array_equal(results["grad"], [2.0, 4.0])
    assert results["learner_enabled"] is True
    assert results["quiet_enabled"] is False and results["quiet_requires_grad"] is False
    assert pynn.is_grad_enabled()  # the main thread never left grad mode


def test_new_threads_start_with_grad_enabled():
    seen = []
    with pynn.no_grad():
        th = threading.Thread(target=lambda: seen.append(pynn.is_grad_enabled()))
        th.start()
        th.join()
    assert seen == [True]


# ---------------------------------------------------------------- small errors

def test_uninitialised_tensor_gives_clear_errors():
    t = pynn.Tensor.__new__(pynn.Tensor)
    for call in (lambda: t + 1, lambda: 1 + t, lambda: t.numpy(), lambda: t.shape,
                 lambda: pynn.Tensor(t), lambda: pynn.ops.sum(t)):
        with pytest.raises(ValueError, match=r"never initialised.*pynn.Tensor\(data\)"):
            call()
    with pytest.raises(ValueError, match="never initialised"):
        t += 1


def test_huge_indices_are_index_errors_and_huge_slices_clip():
    a = np.arange(5, dtype=np.float32)
    t = pynn.Tensor(a)
    with pytest.raises(IndexError, match="out of bounds"):
        t[10 ** 20]
    with pytest.raises(IndexError, match="out of bounds"):
        t[-10 ** 20]
    for k in (slice(10 ** 20, None), slice(None, -10 ** 20), slice(-10 ** 20, 10 ** 20),
              slice(None, None, 10 ** 20), slice(None, None, -10 ** 20)):
        np.testing.assert_array_equal(t[k].numpy(), a[k])


# ---------------------------------------------------------------- documentation

def test_help_documents_the_eager_rules():
    doc = pynn.Tensor.__doc__
    for needle in ("Conversion rule", "Read-only memory", "no_grad", "W.grad = None",
                   "W -= lr * W.grad", "np.asarray(t)", "Examples", "per thread"):
        assert needle in doc, needle


def test_tensor_docstring_examples_run():
    # the examples assume `import numpy as np, pynn`, as tests/test_docs.py runs them
    res = doctest.testmod(pynn.tensor, extraglobs={"np": np, "pynn": pynn},
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 15
    assert res.failed == 0
