"""CTC: keras.ops.ctc_loss (the engine op csrc/core/ops/ctc.c), keras.ops.ctc_decode
(greedy and beam search, pynn/ops/ctc.py), keras.losses.CTC / ctc (pynn/loss_ctc.py).

The loss against a float64 NumPy reference that enumerates every alignment (an
independent definition: sum over all paths whose collapse is the target), its
gradient against central differences of that reference, and side by side with
torch.nn.functional.ctc_loss (values and autograd gradients, blank anywhere,
repeats, padded rows) and keras.ops.ctc_loss. Keras' own cases:
keras/src/ops/nn_test.py::NNOpsCorrectnessTest::test_ctc_loss / test_ctc_decode and
keras/src/losses/losses_test.py::CTCTest::test_correctness. The decoder side by side
with keras.ops.ctc_decode on random logits (both strategies, several widths).
A model trained with losses.CTC in fit learns to read toy sequences. Hostile
inputs: wrong ranks and batches, labels and lengths out of range, NaN, an empty
batch, an infeasible target, an oversized alignment table."""
import itertools

import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(7)


def softmax64(x):
    z = np.exp(x - x.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def brute_ctc(target, logits, target_length, output_length, blank=0):
    """-log p(target | logits) summed over every path of classes (float64), for
    targets without the blank: C^T paths, so small T and C only."""
    out = []
    for b in range(logits.shape[0]):
        T, L = int(output_length[b]), int(target_length[b])
        want = tuple(int(v) for v in target[b, :L])
        p = softmax64(logits[b, :T])
        total = 0.0
        for path in itertools.product(range(logits.shape[2]), repeat=T):
            collapsed = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
            if tuple(c for c in collapsed if c != blank) == want:
                total += np.prod(p[np.arange(T), path])
        out.append(-np.log(total))
    return np.array(out)


# Rows: full length; a shorter output and target (padding left as garbage); a
# repeated label (needs a blank between); an empty target.
TARGET = np.array([[1, 2, 1], [2, 7, 7], [1, 1, 0], [0, 0, 0]], np.float32)
TLEN = np.array([3, 1, 2, 0], np.float32)
OLEN = np.array([5, 3, 5, 4], np.float32)
LOGITS = RNG.normal(size=(4, 5, 3)).astype(np.float32)
TARGET[1, 1:] = 9  # padding beyond target_length is never read (9 is no class)


def test_loss_matches_enumeration_of_every_alignment():
    got = ops.ctc_loss(TARGET, LOGITS, TLEN, OLEN).numpy()
    np.testing.assert_allclose(got, brute_ctc(TARGET, LOGITS.astype(float), TLEN, OLEN),
                               rtol=1e-5)
    # the blank as the last class: labels are 0 and 1
    target = np.array([[0, 1, 0], [1, 1, 1]], np.float32)
    logits = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    got = ops.ctc_loss(target, logits, np.array([3, 2]), np.array([5, 4]), mask_index=2).numpy()
    want = brute_ctc(target, logits.astype(float), [3, 2], [5, 4], blank=2)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_gradients_against_central_differences():
    check_grad(lambda out: ops.ctc_loss(TARGET, out, TLEN, OLEN),
               lambda out: brute_ctc(TARGET, out, TLEN, OLEN), [LOGITS], rtol=1e-3, atol=1e-4)
    check_grad(lambda out: ops.ctc_loss(TARGET[:2], out, TLEN[:2], OLEN[:2], mask_index=0),
               lambda out: brute_ctc(TARGET[:2], out, TLEN[:2], OLEN[:2]),
               [LOGITS[:2] * 3], rtol=1e-3, atol=1e-4)
    # time steps beyond a sample's output_length get no gradient
    t = pynn.Tensor(LOGITS, requires_grad=True)
    ops.sum(ops.ctc_loss(TARGET, t, TLEN, OLEN)).backward()
    assert np.all(t.grad[1, 3:] == 0) and np.all(t.grad[0] != 0)


def torch_ctc(target, logits, tlen, olen, blank):
    torch = pytest.importorskip("torch")
    x = torch.tensor(logits.astype(np.float64), requires_grad=True)
    lp = torch.nn.functional.log_softmax(x, dim=-1).transpose(0, 1)
    loss = torch.nn.functional.ctc_loss(lp, torch.tensor(target.astype(np.int64)),
                                        torch.tensor(olen.astype(np.int64)),
                                        torch.tensor(tlen.astype(np.int64)), blank=blank,
                                        reduction="none")
    seed = np.linspace(0.5, 1.5, len(target))
    (loss * torch.tensor(seed)).sum().backward()
    return loss.detach().numpy(), x.grad.numpy(), seed


@pytest.mark.parametrize("blank", [0, 5, 9])
def test_matches_torch_values_and_gradients(blank):
    B, T, C, L = 6, 30, 10, 9
    labels = [c for c in range(C) if c != blank]
    target = RNG.choice(labels, size=(B, L)).astype(np.float32)
    target[0, 1:4] = target[0, 0]  # repeats
    tlen = np.array([9, 7, 1, 0, 9, 4], np.float32)
    olen = np.array([30, 25, 3, 12, 30, 9], np.float32)
    target[3] = blank + 100  # never read: target_length 0
    logits = (RNG.normal(size=(B, T, C)) * 2).astype(np.float32)
    want, want_grad, seed = torch_ctc(target, logits, tlen, olen, blank)
    t = pynn.Tensor(logits, requires_grad=True)
    got = ops.ctc_loss(target, t, tlen, olen, mask_index=blank)
    got.backward(seed.astype(np.float32))
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(t.grad, want_grad, rtol=1e-4, atol=1e-6)


def test_blank_among_the_labels_counts_as_a_symbol_as_in_torch():
    # keras.losses.ctc passes the first (number of nonzero) labels, zeros included
    target = np.array([[1, 0, 2, 2], [0, 0, 1, 2]], np.float32)
    logits = RNG.normal(size=(2, 7, 3)).astype(np.float32)
    tlen, olen = np.array([4, 3], np.float32), np.array([7, 6], np.float32)
    want, want_grad, seed = torch_ctc(target, logits, tlen, olen, 0)
    t = pynn.Tensor(logits, requires_grad=True)
    got = ops.ctc_loss(target, t, tlen, olen)
    got.backward(seed.astype(np.float32))
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5)
    np.testing.assert_allclose(t.grad, want_grad, rtol=1e-4, atol=1e-6)


def test_infeasible_target_is_inf_with_nan_gradient_as_torch():
    # "1 1" needs three steps (a blank between the repeats); two are given
    target = np.array([[1, 1], [1, 2]], np.float32)
    logits = RNG.normal(size=(2, 2, 3)).astype(np.float32)
    tlen, olen = np.array([2, 2], np.float32), np.array([2, 2], np.float32)
    want, want_grad, seed = torch_ctc(target, logits, tlen, olen, 0)
    t = pynn.Tensor(logits, requires_grad=True)
    got = ops.ctc_loss(target, t, tlen, olen)
    got.backward(seed.astype(np.float32))
    assert got.numpy()[0] == np.inf and want[0] == np.inf
    np.testing.assert_allclose(got.numpy()[1], want[1], rtol=2e-5)
    np.testing.assert_array_equal(np.isnan(t.grad), np.isnan(want_grad))
    assert np.all(np.isnan(t.grad[0])) and np.all(np.isfinite(t.grad[1]))


def test_keras_own_cases():
    # nn_test.py::NNOpsCorrectnessTest::test_ctc_loss
    labels = np.array([[1, 2, 1], [1, 2, 2]])
    outputs = np.array([[[0.4, 0.8, 0.4], [0.2, 0.8, 0.3], [0.9, 0.4, 0.5]],
                        [[0.4, 0.8, 0.4], [0.2, 0.3, 0.3], [0.4, 0.3, 0.2]]])
    got = ops.ctc_loss(labels, outputs, np.array([3, 2]), np.array([3, 2])).numpy()
    np.testing.assert_allclose(got, [3.4411672, 1.91680186], rtol=1e-6)
    # losses_test.py::CTCTest::test_correctness
    logits = (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100
    y_true = np.array([[1, 2, 1, 0], [1, 2, 0, 2]])
    np.testing.assert_allclose(pynn.losses.CTC()(y_true, logits).numpy(), 2.448645, rtol=1e-6)
    # nn_test.py::NNOpsCorrectnessTest::test_ctc_decode
    inputs = np.array([[[0.1, 0.4, 0.2, 0.4], [0.3, -0.3, 0.4, 0.2], [0.3, 0.2, 0.4, 0.3]],
                       [[0.7, 0.4, 0.3, 0.2], [0.3, 0.3, 0.4, 0.1], [0.6, -0.1, 0.1, 0.5]],
                       [[0.1, 0.4, 0.2, 0.7], [0.3, 0.3, -0.2, 0.7], [0.3, 0.2, 0.4, 0.1]]])
    (decoded,), scores = ops.ctc_decode(inputs, sequence_lengths=[3, 3, 1], strategy="greedy",
                                        mask_index=0)
    np.testing.assert_array_equal(decoded.numpy(), [[1, 2, -1], [2, -1, -1], [3, -1, -1]])
    np.testing.assert_allclose(scores.numpy(), [[-1.2], [-1.7], [-0.7]], rtol=1e-6)
    (decoded,), scores = ops.ctc_decode(inputs, sequence_lengths=[3, 3, 1], strategy="greedy",
                                        merge_repeated=False, mask_index=0)
    np.testing.assert_array_equal(decoded.numpy(), [[1, 2, 2], [2, -1, -1], [3, -1, -1]])
    np.testing.assert_allclose(scores.numpy(), [[-1.2], [-1.7], [-0.7]], rtol=1e-6)
    decoded, scores = ops.ctc_decode(inputs, sequence_lengths=[3, 3, 1], strategy="beam_search",
                                     beam_width=4, top_paths=2, mask_index=0)
    np.testing.assert_array_equal(decoded.numpy(), [[[1, 2, -1], [2, -1, -1], [3, -1, -1]],
                                                    [[2, -1, -1], [3, -1, -1], [1, -1, -1]]])
    np.testing.assert_allclose(scores.numpy(), [[-2.426537, -2.435596], [-2.127681, -2.182338],
                                                [-1.063386, -1.363386]], rtol=1e-5)


def test_matches_keras_ops_ctc_loss():
    keras = keras_or_skip()
    B, T, C, L = 5, 20, 6, 7
    target = RNG.integers(1, C, size=(B, L)).astype(np.float32)
    tlen, olen = np.array([7, 3, 0, 5, 6]), np.array([20, 9, 4, 20, 14])
    logits = RNG.normal(size=(B, T, C)).astype(np.float32)
    for mask in (0, C - 1):
        tg = np.where(target == mask, 1 if mask else C - 1, target)
        want = keras.ops.convert_to_numpy(keras.ops.ctc_loss(tg.astype(np.int32), logits, tlen,
                                                             olen, mask_index=mask))
        got = ops.ctc_loss(tg, logits, tlen, olen, mask_index=mask).numpy()
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-5)
    y_true = np.array([[1, 2, 3, 0, 0], [4, 4, 0, 0, 0], [1, 0, 2, 3, 0]])
    y_pred = RNG.normal(size=(3, 9, 5)).astype(np.float32)
    w = np.array([1.0, 0.5, 2.0], np.float32)
    for reduction in ("sum_over_batch_size", "sum", "none"):
        want = keras.ops.convert_to_numpy(
            keras.losses.CTC(reduction=reduction)(y_true, y_pred, sample_weight=w))
        got = pynn.losses.CTC(reduction=reduction)(y_true, y_pred, sample_weight=w).numpy()
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-5)


@pytest.mark.parametrize("case", [
    dict(strategy="greedy"), dict(strategy="greedy", merge_repeated=False),
    dict(strategy="greedy", mask_index=None), dict(strategy="greedy", mask_index=3),
    dict(strategy="beam_search", beam_width=3, top_paths=1),
    dict(strategy="beam_search", beam_width=5, top_paths=3, mask_index=None),
    dict(strategy="beam_search", beam_width=2, top_paths=2, mask_index=2),
    dict(strategy="beam_search", beam_width=10, top_paths=4),
])
def test_decode_matches_keras(case):
    keras = keras_or_skip()
    B, T, C = 4, 7, 5
    logits = (RNG.normal(size=(B, T, C)) * 2).astype(np.float32)
    logits[0, 2] = logits[0, 1]  # a repeat
    lengths = np.array([7, 5, 1, 6])
    want_paths, want_scores = (keras.ops.convert_to_numpy(v)
                               for v in keras.ops.ctc_decode(logits, lengths, **case))
    got_paths, got_scores = ops.ctc_decode(logits, lengths, **case)
    np.testing.assert_array_equal(got_paths.numpy(), want_paths)
    np.testing.assert_allclose(got_scores.numpy(), want_scores, rtol=1e-5, atol=1e-5)


def test_model_learns_to_read_with_ctc_in_fit():
    """Toy OCR: each sequence of 12 steps shows 3 symbols from {1..4}, each held for 2 to
    4 steps with noise between; a per-step Dense model trained with losses.CTC in fit
    must decode them (greedy) on held-out sequences."""
    rng = np.random.default_rng(3)

    def make(n):
        x = rng.normal(scale=0.3, size=(n, 12, 5)).astype(np.float32)
        y = np.zeros((n, 3), np.float32)
        for i in range(n):
            labels = rng.integers(1, 5, size=3)
            while labels[1] == labels[0] or labels[2] == labels[1]:
                labels = rng.integers(1, 5, size=3)
            t = 0
            for lab in labels:
                hold = rng.integers(2, 4)
                x[i, t:t + hold, lab] += 2.0
                t += hold + 1
            y[i] = labels
        return x, y

    x, y = make(600)
    xv, yv = make(100)
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(12, 5)), pynn.layers.Dense(16, activation="relu"),
                             pynn.layers.Dense(5)])
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss=pynn.losses.CTC())
    first = float(model.evaluate(x, y, verbose=0))
    eager = float(pynn.losses.CTC()(y, model.predict(x, verbose=0)).numpy())
    np.testing.assert_allclose(first, eager, rtol=1e-4)
    model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert float(model.evaluate(x, y, verbose=0)) < 0.2 * first
    decoded, _ = ops.ctc_decode(model.predict(xv, verbose=0), np.full(100, 12))
    right = np.all(decoded.numpy()[0][:, :3] == yv, axis=1) & np.all(decoded.numpy()[0][:, 3:] == -1,
                                                                     axis=1)
    assert right.mean() > 0.9, right.mean()


def test_ops_ctc_loss_traced_into_a_model_at_every_batch_size():
    logits_in = pynn.Input(shape=(5, 3))
    labels_in = pynn.Input(shape=(3,))
    tlen_in, olen_in = pynn.Input(shape=()), pynn.Input(shape=())
    model = pynn.Model([labels_in, logits_in, tlen_in, olen_in],
                       ops.ctc_loss(labels_in, logits_in, tlen_in, olen_in))
    want = brute_ctc(TARGET, LOGITS.astype(float), TLEN, OLEN)
    for bs in (1, 3, 4):
        got = model.predict([TARGET, LOGITS, TLEN, OLEN], batch_size=bs, verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=f"batch size {bs}")


def test_nan_logits_and_empty_batch():
    logits = LOGITS.copy()
    logits[2, 1, 0] = np.nan
    got = ops.ctc_loss(TARGET, logits, TLEN, OLEN).numpy()
    assert np.isnan(got[2]) and np.all(np.isfinite(got[[0, 1, 3]]))
    empty = ops.ctc_loss(np.zeros((0, 3)), np.zeros((0, 5, 3)), np.zeros(0), np.zeros(0))
    assert empty.shape == (0,)
    # no time step and no label: probability 1
    np.testing.assert_array_equal(
        ops.ctc_loss(np.zeros((1, 2)), np.zeros((1, 0, 3)), np.zeros(1), np.zeros(1)).numpy(), [0])


@pytest.mark.parametrize("call, match", [
    (lambda: ops.ctc_loss(TARGET, LOGITS[0], TLEN, OLEN), "ctc_loss: expected target"),
    (lambda: ops.ctc_loss(TARGET[:3], LOGITS, TLEN, OLEN), "must have the same batch size"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TLEN, OLEN, mask_index=3), "mask_index"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TLEN, OLEN, mask_index=-1), "mask_index"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TLEN, OLEN + 1), r"output_length\[0\] = 6 is not a whole"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TLEN + 0.5, OLEN), r"target_length\[0\] = 3.5"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TLEN * np.nan, OLEN), r"target_length\[0\] = nan"),
    (lambda: ops.ctc_loss(TARGET + 2, LOGITS, TLEN, OLEN), r"target\[0, 0\] = 3 is not a class"),
    (lambda: ops.ctc_loss(-TARGET, LOGITS, TLEN, OLEN), r"target\[0, 0\] = -1 is not a class"),
    (lambda: ops.ctc_loss(np.zeros((1, 50000)), np.zeros((1, 50000, 1)), [0], [0]),
     "alignment table of one sample"),
    (lambda: pynn.losses.ctc(TARGET[0], LOGITS), "ctc: targets y_true are expected"),
    (lambda: pynn.losses.ctc(TARGET, LOGITS[0]), "ctc: logits y_pred are expected"),
    (lambda: ops.ctc_decode(LOGITS, OLEN, strategy="beam"), "Invalid strategy beam"),
    (lambda: ops.ctc_decode(LOGITS[0], OLEN), "ctc_decode: inputs must be"),
    (lambda: ops.ctc_decode(LOGITS, OLEN + 1), "ctc_decode: sequence_lengths must be 4 whole"),
    (lambda: ops.ctc_decode(LOGITS, OLEN[:2]), "ctc_decode: sequence_lengths must be 4 whole"),
    (lambda: ops.ctc_decode(LOGITS, OLEN, mask_index=3), r"ctc_decode: mask_index must be"),
    (lambda: ops.ctc_decode(LOGITS, OLEN, strategy="beam_search", beam_width=0),
     "beam_width must be an int >= 1"),
    (lambda: ops.ctc_decode(LOGITS, OLEN, strategy="beam_search", beam_width=10 ** 9),
     "too large for the beam search"),
    (lambda: ops.ctc_decode(LOGITS, OLEN, strategy="beam_search", beam_width=1, top_paths=7),
     "top_paths=7 is more than the 6 paths"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
