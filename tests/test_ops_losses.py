"""Fused losses against float64 NumPy transcriptions of the Keras 3 formulas
(values at rtol 1e-5), gradients w.r.t. y_pred by central differences (away
from clip boundaries and kinks), sample weights, reductions, extreme logits,
Keras' documented example values, and bad input."""
import numpy as np
import pytest

import pynn
from pynn.ops import losses as L
from gradcheck import check_grad

# Keras clips with float32 bounds: 1e-7 and 1 - 1e-7 rounded to float32.
LO = float(np.float32(1e-7))
HI = float(np.float32(1.0) - np.float32(1e-7))


# ------------------------------------------------------------------ references

def keras_same_rank(t, p):
    """keras.losses.loss.squeeze_or_expand_to_same_rank(y_true, y_pred)."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        if p.ndim == 1:
            p = p[..., None]
        else:
            t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        if t.ndim == 1:
            t = t[..., None]
        else:
            p = p[..., 0]
    return t, p


def ref_per_sample(kind, t, p, from_logits=False, ls=0.0, delta=1.0):
    if kind == "sparse_categorical_crossentropy":
        if t.ndim == p.ndim and t.shape[-1] == 1:
            t = t[..., 0]
        t = np.eye(p.shape[-1])[t.astype(int)]
        kind = "categorical_crossentropy"
    else:
        t, p = keras_same_rank(t, p)
    if kind == "mean_squared_error":
        return np.mean((t - p) ** 2, -1)
    if kind == "mean_absolute_error":
        return np.mean(np.abs(t - p), -1)
    if kind == "huber":
        e = p - t
        return np.mean(np.where(np.abs(e) <= delta, 0.5 * e * e, delta * np.abs(e) - 0.5 * delta ** 2), -1)
    if kind == "hinge":
        if np.all((t == 0) | (t == 1)):
            t = 2 * t - 1
        return np.mean(np.maximum(1 - t * p, 0), -1)
    if kind == "binary_crossentropy":
        t = t * (1 - ls) + 0.5 * ls
        if from_logits:  # the exact value, computed in a different form than the op
            return np.mean(np.logaddexp(0, p) - p * t, -1)
        q = np.clip(p, LO, HI)
        return np.mean(-(t * np.log(q) + (1 - t) * np.log(1 - q)), -1)
    if kind == "categorical_crossentropy":
        t = t * (1 - ls) + ls / t.shape[-1]
        if from_logits:
            m = p.max(-1, keepdims=True)
            logp = p - m - np.log(np.exp(p - m).sum(-1, keepdims=True))
        else:
            logp = np.log(np.clip(p / p.sum(-1, keepdims=True), LO, HI))
        return -np.sum(t * logp, -1)
    raise AssertionError(kind)


def ref_loss(kind, t, p, w=None, reduction="sum_over_batch_size", **kw):
    l = ref_per_sample(kind, t, p, **kw)
    if w is not None:
        w = np.asarray(w, np.float64)
        while w.ndim and w.shape[-1] == 1:
            w = w[..., 0]
        w = w.reshape(w.shape + (1,) * (l.ndim - w.ndim))
        l = l * w
    if reduction in ("none", None):
        return l
    s = l.sum()
    if reduction == "sum":
        return s
    if reduction == "mean_with_sample_weight" and w is not None:
        d = np.broadcast_to(w, l.shape).sum()
    else:
        d = l.size
    return s / d if d else 0.0


def call(kind, t, p, **kw):
    return getattr(L, kind)(t, p, **kw)


# ------------------------------------------------------------------ data

def make(kind, shape, rng, from_logits=False):
    """(y_true, y_pred) away from kinks and clip boundaries."""
    if kind == "sparse_categorical_crossentropy":
        p = rng.standard_normal(shape) if from_logits else rng.uniform(0.1, 1.0, shape)
        return rng.integers(0, shape[-1], shape[:-1]).astype(np.float64), p
    if kind == "categorical_crossentropy":
        p = rng.standard_normal(shape) if from_logits else rng.uniform(0.1, 1.0, shape)
        t = rng.dirichlet(np.ones(shape[-1]), shape[:-1]) if shape[-1] else np.zeros(shape)
        return t, p
    if kind == "binary_crossentropy":
        p = rng.standard_normal(shape) * 3 if from_logits else rng.uniform(0.05, 0.95, shape)
        return rng.integers(0, 2, shape).astype(np.float64), p
    if kind == "hinge":
        t = rng.integers(0, 2, shape).astype(np.float64)
        p = rng.uniform(-2, 2, shape)
        p = np.where(np.abs(np.abs(p) - 1) < 0.05, p * 1.2, p)
        return t, p
    t = rng.standard_normal(shape)
    e = rng.uniform(0.1, 2.5, shape) * rng.choice([-1, 1], shape)
    if kind == "huber":  # keep |e| off delta = 1
        e = np.where(np.abs(np.abs(e) - 1) < 0.05, e * 1.3, e)
    return t, t + e


KINDS = ["mean_squared_error", "mean_absolute_error", "huber", "hinge", "binary_crossentropy",
         "categorical_crossentropy", "sparse_categorical_crossentropy"]
REDUCTIONS = ["sum_over_batch_size", "none", "sum", "mean_with_sample_weight"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 3), (1, 1), (2, 3, 4)])
def test_loss_values_and_gradients(kind, reduction, weighted, shape):
    rng = np.random.default_rng(abs(hash((kind, reduction, weighted, shape))) % 2**32)
    t, p = make(kind, shape, rng)
    w = rng.uniform(0.2, 2.0, shape[0]) if weighted else None
    kw = dict(reduction=reduction)
    ref = lambda pp, tt, *ww: ref_loss(kind, tt, pp, ww[0] if ww else None, **kw)
    fn = lambda pp, tt, *ww: call(kind, tt, pp, sample_weight=ww[0] if ww else None, **kw)
    arrays = [p, t] + ([w] if weighted else [])
    # values at rtol 1e-5 ...
    got = fn(*[pynn.Tensor(a.astype(np.float32)) for a in arrays]).numpy()
    exp = ref(*[a.astype(np.float32).astype(np.float64) for a in arrays])
    np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-6)
    # ... and the gradient w.r.t. y_pred by central differences
    check_grad(fn, ref, arrays, wrt=[0])


@pytest.mark.parametrize("kind,ls", [("binary_crossentropy", 0.0), ("binary_crossentropy", 0.2),
                                     ("categorical_crossentropy", 0.0),
                                     ("categorical_crossentropy", 0.2),
                                     ("sparse_categorical_crossentropy", 0.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_from_logits_and_label_smoothing(kind, ls, weighted):
    rng = np.random.default_rng(7)
    t, p = make(kind, (6, 4), rng, from_logits=True)
    w = rng.uniform(0.0, 2.0, (6, 1)) if weighted else None
    kw = dict(from_logits=True)
    if kind != "sparse_categorical_crossentropy":  # sparse labels take no smoothing
        kw["label_smoothing"] = ls
    rk = dict(from_logits=True, ls=ls)
    arrays = [p, t] + ([w] if weighted else [])
    got = call(kind, t.astype(np.float32), p.astype(np.float32), sample_weight=w, **kw).item()
    exp = ref_loss(kind, t.astype(np.float32), p.astype(np.float32).astype(np.float64), w, **rk)
    np.testing.assert_allclose(got, exp, rtol=1e-5)
    check_grad(lambda pp, tt, *ww: call(kind, tt, pp, sample_weight=ww[0] if ww else None, **kw),
               lambda pp, tt, *ww: ref_loss(kind, tt, pp, ww[0] if ww else None, **rk),
               arrays, wrt=[0])


def test_probability_label_smoothing_gradients():
    rng = np.random.default_rng(8)
    for kind in ("binary_crossentropy", "categorical_crossentropy"):
        t, p = make(kind, (4, 3), rng)
        check_grad(lambda pp, tt: call(kind, tt, pp, label_smoothing=0.3),
                   lambda pp, tt: ref_loss(kind, tt, pp, ls=0.3), [p, t], wrt=[0])


def test_huber_delta():
    rng = np.random.default_rng(9)
    t = rng.standard_normal((4, 5))
    p = t + np.array([0.1, -0.3, 0.9, -2.5, 3.1])
    for delta in (0.5, 2.0):
        check_grad(lambda pp, tt: L.huber(tt, pp, delta=delta),
                   lambda pp, tt: ref_loss("huber", tt, pp, delta=delta), [p, t], wrt=[0])


# ------------------------------------------------------------------ Keras' own documented examples

def test_keras_documented_values():
    np.testing.assert_allclose(
        L.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
                                   reduction="none").numpy(), [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(
        L.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]).item(),
        1.1769392, rtol=1e-6)
    np.testing.assert_allclose(
        L.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
                                   sample_weight=[0.3, 0.7],
                                   reduction="mean_with_sample_weight").item(), 1.6271976, rtol=1e-6)
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
                                          reduction="none").numpy(), [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(
        L.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], reduction="none").numpy(),
        [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(L.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).item(), 0.155,
                               atol=1e-6)


# ------------------------------------------------------------------ numerics at the edges

def test_bce_logits_extreme_values_finite_and_exact():
    x = pynn.Tensor(np.array([[100.0, -100.0, 100.0, -100.0]], np.float32), requires_grad=True)
    y = np.array([[1, 0, 0, 1]], np.float32)
    loss = L.binary_crossentropy(y, x, from_logits=True)
    assert loss.item() == pytest.approx(50.0, rel=1e-6)  # (0 + 0 + 100 + 100) / 4
    loss.backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 0.25, -0.25]], atol=1e-7)


def test_cce_and_scce_logits_extreme_values():
    logits = np.array([[100.0, -100.0, 0.0], [-100.0, -100.0, -100.0]], np.float32)
    x = pynn.Tensor(logits, requires_grad=True)
    loss = L.sparse_categorical_crossentropy([1, 2], x, from_logits=True, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [200.0, np.log(3)], rtol=1e-6)
    loss.backward(np.ones(2, np.float32))
    np.testing.assert_allclose(x.grad, [[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-6)
    x2 = pynn.Tensor(logits, requires_grad=True)
    l2 = L.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], x2, from_logits=True, reduction="none")
    np.testing.assert_allclose(l2.numpy(), [200.0, np.log(3)], rtol=1e-6)


def test_probabilities_are_clipped_like_keras():
    # p = 0 and p = 1 hit the clip: a finite loss, zero gradient there
    p = pynn.Tensor(np.array([[0.0, 1.0, 0.5]], np.float32), requires_grad=True)
    loss = L.binary_crossentropy([[1.0, 0.0, 1.0]], p, reduction="none")
    expected = (-np.log(LO) - np.log(1 - HI) - np.log(0.5)) / 3
    np.testing.assert_allclose(loss.numpy(), [expected], rtol=1e-6)
    loss.backward(np.ones(1, np.float32))
    np.testing.assert_allclose(p.grad, [[0, 0, -2 / 3]], rtol=1e-6)


def test_hinge_label_mapping_follows_keras():
    p = np.array([[0.3, -0.5]], np.float32)
    # {0, 1} labels become {-1, 1}
    assert L.hinge([[0.0, 1.0]], p).item() == pytest.approx((1.3 + 1.5) / 2)
    # {-1, 1} labels are used as they are
    assert L.hinge([[-1.0, 1.0]], p).item() == pytest.approx((1.3 + 1.5) / 2)
    # any other label keeps all labels unconverted (decided over the whole batch)
    assert L.hinge([[0.0, 0.5]], p).item() == pytest.approx((1.0 + 1.25) / 2)


def test_sample_weight_gets_no_gradient_and_y_true_keras_one():
    # y_true that needs a gradient gets Keras' (keras.io's actor-critic passes the
    # critic's value as y_true; tests/test_keras_port_blockers.py), sample_weight none
    p = pynn.Tensor(np.full((3, 2), 0.4, np.float32), requires_grad=True)
    t = pynn.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    w = pynn.Tensor(np.ones(3, np.float32), requires_grad=True)
    L.mean_squared_error(t, p, sample_weight=w).backward()
    assert p.grad is not None and np.abs(p.grad).sum() > 0
    # d/dt of sum_b mean_j (p - t)^2 / 3 = -2 (p - t) / (2 * 3)
    np.testing.assert_allclose(np.asarray(t.grad), np.full((3, 2), 0.2, np.float32), rtol=1e-6)
    assert w.grad is None or not np.any(w.grad)


# ------------------------------------------------------------------ shapes

def test_rank_squeeze_expand_rule():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 0.9, (6, 1))
    t = rng.integers(0, 2, 6).astype(np.float64)
    # y_true (N,) against y_pred (N, 1): per-sample losses keep shape (N,)
    for kind in ("binary_crossentropy", "mean_squared_error"):
        out = call(kind, t, p, reduction="none")
        assert out.shape == (6,)
        np.testing.assert_allclose(out.numpy(), ref_loss(kind, t, p, reduction="none"), rtol=1e-5)
        out = call(kind, t[:, None], p[:, 0], reduction="none")
        assert out.shape == (6,)
        check_grad(lambda pp, tt: call(kind, tt, pp), lambda pp, tt: ref_loss(kind, tt, pp),
                   [p, t], wrt=[0])
    # rank > 1: the trailing 1 is squeezed
    out = L.mean_squared_error(np.ones((2, 3, 1)), np.zeros((2, 3)), reduction="none")
    assert out.shape == (2,)
    out = L.sparse_categorical_crossentropy(np.zeros((4, 1)), np.ones((4, 3)), reduction="none")
    assert out.shape == (4,)
    np.testing.assert_allclose(out.numpy(), np.log(3), rtol=1e-6)


def test_sequence_losses_and_weights_broadcast_over_time():
    rng = np.random.default_rng(4)
    t, p = make("sparse_categorical_crossentropy", (3, 5, 4), rng, from_logits=True)
    w = rng.uniform(0.5, 1.5, 3)
    out = L.sparse_categorical_crossentropy(t, p, from_logits=True, sample_weight=w)
    exp = ref_loss("sparse_categorical_crossentropy", t, p, w, from_logits=True)
    np.testing.assert_allclose(out.item(), exp, rtol=1e-5)
    full = rng.uniform(0.5, 1.5, (3, 5))  # one weight per loss value also works
    out = L.sparse_categorical_crossentropy(t, p, from_logits=True, sample_weight=full)
    exp = ref_loss("sparse_categorical_crossentropy", t, p, full, from_logits=True)
    np.testing.assert_allclose(out.item(), exp, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_empty_batch(kind):
    shape = (0, 3)
    t = np.zeros(shape[:-1] if kind == "sparse_categorical_crossentropy" else shape, np.float32)
    p = pynn.Tensor(np.zeros(shape, np.float32), requires_grad=True)
    loss = call(kind, t, p)
    assert loss.shape == () and loss.item() == 0.0
    loss.backward()
    assert p.grad.shape == shape
    assert call(kind, t, p, reduction="none").shape == (0,)


def test_size_one_everything():
    for kind in KINDS:
        rng = np.random.default_rng(5)
        t, p = make(kind, (1, 1), rng)
        np.testing.assert_allclose(call(kind, t, p).item(), ref_loss(kind, t, p), rtol=1e-5)


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("label", [3.0, -1.0, 1.5, np.nan, 1e9])
@pytest.mark.parametrize("from_logits", [False, True])
def test_scce_bad_labels(label, from_logits):
    with pytest.raises(ValueError, match=r"label .*not a class index in \[0, 3\).*3 classes"):
        L.sparse_categorical_crossentropy(np.array([0.0, label]), np.full((2, 3), 1 / 3),
                                          from_logits=from_logits)


def test_scce_bad_label_message_names_label():
    with pytest.raises(ValueError, match="label 7 "):
        L.sparse_categorical_crossentropy([1, 7], np.ones((2, 5)))


@pytest.mark.parametrize("kind", KINDS)
def test_shape_mismatch_names_both_shapes(kind):
    t = np.zeros((4, 2)) if kind == "sparse_categorical_crossentropy" else np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)|\(4, 2\).*\(4, 3\)"):
        call(kind, t, np.full((4, 3), 0.5))


def test_more_bad_inputs():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(5,\).*\(4,\)"):
        L.mean_squared_error(np.zeros((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sample_weight"):
        L.mean_squared_error(np.zeros(4), np.zeros(4), sample_weight=np.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        L.mean_squared_error(np.zeros((4, 2)), np.zeros((4, 2)), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        L.binary_crossentropy(np.zeros((4, 2)), np.zeros((4, 2)), label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta"):
        L.huber(np.zeros((4, 2)), np.zeros((4, 2)), delta=0)
    with pytest.raises(ValueError, match="at least one dimension"):
        L.mean_squared_error(np.float32(1), np.float32(1))
    with pytest.raises(ValueError, match=r"\(4, 3, 2\)"):  # ranks differ by more than one
        L.mean_squared_error(np.zeros(4), np.zeros((4, 3, 2)))
