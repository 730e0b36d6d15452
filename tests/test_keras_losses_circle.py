"""keras.losses.Circle / circle (pynn/loss_circle.py).

Keras' own cases (keras/src/losses/losses_test.py::CircleTest: test_correctness,
test_correctness_weighted, test_no_reduction, test_sum_reduction,
test_mean_with_sample_weight_reduction), a float64 NumPy transcription of the
paper's formula (Sun et al. 2020, eq. 4 with Keras' weights), gradients against
central differences, Keras side by side on random embeddings, a compiled fit,
and samples without positives (loss 0, finite gradients)."""
import numpy as np
import pytest

import pynn
from pynn import losses, ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

Y_TRUE = np.array([1, 1, 2, 2, 3])
Y_PRED = np.array([[0.70014004, -0.42008403, 0.14002801, 0.56011203],
                   [0.17609018, 0.70436073, -0.52827054, 0.44022545],
                   [-0.34050261, 0.25537696, -0.68100522, 0.59587957],
                   [0.32163376, -0.75047877, 0.53605627, -0.21442251],
                   [0.51261459, -0.34174306, 0.17087153, 0.76892189]])
REF_LABELS = np.array([1, 1, 2, 2, 3, 4])
REF_EMB = np.array([[0.40824829, -0.54433105, 0.27216553, 0.68041382],
                    [0.76376261, 0.10910895, -0.54554473, 0.32732684],
                    [-0.74420841, 0.24806947, 0.49613894, -0.3721042],
                    [0.52981294, -0.13245324, 0.79471941, -0.26490647],
                    [0.54554473, -0.32732684, 0.10910895, 0.76376261],
                    [-0.27216553, 0.68041382, 0.40824829, -0.54433105]])
W = np.array([2.0, 2.0, 1.0, 1.0, 0.5])


def np_circle(labels, emb, ref_labels=None, refs=None, remove_diagonal=True, gamma=80.0,
              margin=0.4):
    refs = emb if refs is None else refs
    ref_labels = labels if ref_labels is None else ref_labels
    d = np.maximum(1 - emb @ refs.T, 0)
    pos = labels[:, None] == ref_labels[None, :]
    if remove_diagonal:
        pos &= ~np.eye(len(labels), len(ref_labels), dtype=bool)
    neg = labels[:, None] != ref_labels[None, :]
    sp = -gamma * np.maximum(margin + d, 0) * (margin - d)
    sn = gamma * np.maximum(1 + margin - d, 0) * (1 - margin - d)
    out = []
    for i in range(len(labels)):
        if not pos[i].any() or not neg[i].any():
            out.append(0.0)
            continue
        p = np.logaddexp.reduce(sp[i][pos[i]])
        n = np.logaddexp.reduce(sn[i][neg[i]])
        out.append(np.logaddexp(0, p + n))
    return np.array(out)


def test_keras_own_cases():
    got = losses.Circle(gamma=80.0, margin=0.4)(Y_TRUE, Y_PRED).numpy()
    np.testing.assert_allclose(got, 188.3883, rtol=1e-5)
    np.testing.assert_allclose(losses.Circle(gamma=256, margin=0.25)(Y_TRUE, Y_PRED).numpy(),
                               652.7617, rtol=1e-5)
    got = losses.circle(Y_TRUE, Y_PRED, ref_labels=REF_LABELS, ref_embeddings=REF_EMB, gamma=80.0,
                        margin=0.4, remove_diagonal=False).numpy()
    np.testing.assert_allclose(got, [61.5844, 94.3465, 276.9344, 90.9873, 48.8963], rtol=1e-5)
    got = losses.Circle(gamma=80.0, margin=0.4)(Y_TRUE, Y_PRED, sample_weight=W).numpy()
    np.testing.assert_allclose(got, 244.91918, rtol=1e-5)
    got = losses.Circle(gamma=80.0, margin=0.4, reduction=None)(REF_LABELS, REF_EMB).numpy()
    np.testing.assert_allclose(got, [82.9116, 36.7942, 92.4590, 52.6798, 0.0, 0.0], rtol=1e-5,
                               atol=1e-6)
    got = losses.Circle(gamma=80.0, margin=0.4, reduction="sum")(REF_LABELS, REF_EMB).numpy()
    np.testing.assert_allclose(got, 264.845, rtol=1e-5)
    got = losses.Circle(gamma=80.0, margin=0.4, reduction="mean_with_sample_weight")(
        Y_TRUE, Y_PRED, sample_weight=W).numpy()
    np.testing.assert_allclose(got, 163.27948, rtol=1e-5)


def test_matches_the_float64_formula():
    np.testing.assert_allclose(losses.circle(Y_TRUE, Y_PRED).numpy(), np_circle(Y_TRUE, Y_PRED),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        losses.circle(Y_TRUE, Y_PRED, REF_LABELS, REF_EMB, remove_diagonal=False, gamma=30,
                      margin=0.25).numpy(),
        np_circle(Y_TRUE, Y_PRED, REF_LABELS, REF_EMB, False, 30, 0.25), rtol=1e-5, atol=1e-5)


def test_gradients_against_central_differences():
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(6, 3))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1, 2, 0])
    check_grad(lambda e: losses.circle(labels, e, gamma=4.0),
               lambda e: np_circle(labels, e, gamma=4.0), [emb], rtol=1e-3, atol=1e-4)
    # sample 4 has no positive: loss 0, and no NaN reaches the embeddings
    t = pynn.Tensor(emb.astype(np.float32), requires_grad=True)
    per = losses.circle(labels, t)
    assert per.numpy()[4] == 0
    ops.sum(per).backward()
    assert np.all(np.isfinite(t.grad))


def test_matches_keras():
    keras = keras_or_skip()
    rng = np.random.default_rng(9)
    emb = rng.normal(size=(8, 5)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    labels = np.array([0, 1, 0, 2, 1, 1, 3, 0])
    w = rng.uniform(0.2, 2, size=8).astype(np.float32)
    for kw in (dict(), dict(gamma=16.0, margin=0.3), dict(remove_diagonal=False, gamma=4.0)):
        for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", None):
            want = keras.ops.convert_to_numpy(keras.losses.Circle(reduction=reduction, **kw)(
                labels, emb, sample_weight=w))
            got = losses.Circle(reduction=reduction, **kw)(labels, emb, sample_weight=w).numpy()
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-4, err_msg=f"{kw} {reduction}")
    assert losses.Circle(gamma=8.0).get_config() == {
        "name": "circle", "reduction": "sum_over_batch_size", "gamma": 8.0, "margin": 0.4,
        "remove_diagonal": True}


def test_compiled_fit_matches_the_eager_loss_and_learns():
    rng = np.random.default_rng(4)
    centers = rng.normal(size=(3, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=96)
    x = (centers[y] + rng.normal(scale=0.8, size=(96, 6))).astype(np.float32)
    pynn.set_seed(1)
    model = pynn.Sequential([pynn.Input(shape=(6,)), pynn.layers.Dense(8),
                             pynn.layers.UnitNormalization()])
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss=losses.Circle(gamma=16.0))
    before = float(model.evaluate(x, y, batch_size=96, verbose=0))
    eager = float(losses.Circle(gamma=16.0)(y, model.predict(x, verbose=0)).numpy())
    np.testing.assert_allclose(before, eager, rtol=1e-5)
    model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    # (over the whole set, each sample has more pairs than in a batch of 32: a floor)
    assert float(model.evaluate(x, y, batch_size=96, verbose=0)) < 0.6 * before


@pytest.mark.parametrize("call, match", [
    (lambda: losses.circle(Y_TRUE, Y_PRED[0]), "circle: y_pred and ref_embeddings must be"),
    (lambda: losses.circle(Y_TRUE, Y_PRED, REF_LABELS, REF_EMB[:, :3]), "must be"),
    (lambda: losses.circle(Y_TRUE[:3], Y_PRED), "circle: one label per embedding"),
    (lambda: losses.Circle(reduction="mean_of_all"), "unknown reduction"),
])
def test_bad_input_names_the_loss(call, match):
    with pytest.raises(ValueError, match=match):
        call()
