"""Keras tutorial programs ported by changing only the import (tests/keras_examples/,
each file names the keras.io / tensorflow.org page it comes from).

- test_runs_on_pynn: the port runs, and what the tutorial leads one to expect
  holds (it learns, reloaded models predict the same, logs have Keras' keys...).
- test_matches_keras: the unchanged program on Keras 3 (torch backend) and the
  port on pynn, started from the same initial weights, give the same history,
  evaluations, predictions and trained weights. Skipped without keras."""
import os

import numpy as np
import pytest

from keras_examples import EXAMPLES, load

# |pynn - keras| <= RTOL·|keras| + ATOL·max(1, max|keras|) elementwise: float32 sums taken in
# another order differ by ~1e-6 of the array's scale, and training steps carry that along.
# Examples that train for many steps set a looser PARITY_TOL.
RTOL, ATOL = 1e-4, 1e-5


def _run(name, lib, tmp_path, weights=None):
    ex = load(name, lib)
    model = ex.build()
    if weights is not None:
        model.set_weights(weights)
    out_dir = tmp_path / lib
    out_dir.mkdir()
    return ex, model, ex.run(model, ex.data(), str(out_dir))


@pytest.mark.parametrize("name", EXAMPLES)
def test_runs_on_pynn(name, tmp_path):
    import pynn
    pynn.set_seed(0)
    ex, _, out = _run(name, "pynn", tmp_path)
    ex.check(out)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on {keras.backend.backend()}, these comparisons use torch")
    import torch
    torch.set_num_threads(1)  # torch's spinning workers crawl on a shared, loaded machine
    return keras


def assert_same(got, want, path="out", tol=(RTOL, ATOL)):
    """Recursive comparison of run() results: numbers within tolerance, the rest equal."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), \
            f"{path}: keys {sorted(got)} != Keras' {sorted(want)}"
        for k in want:
            assert_same(got[k], want[k], f"{path}[{k!r}]", tol)
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{path}: length {len(got)} != Keras' {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]", tol)
    elif isinstance(want, str):
        assert got == want, f"{path}: {got!r} != Keras' {want!r}"
    else:
        want = np.asarray(want, dtype=np.float64)
        got = np.asarray(got, dtype=np.float64)
        assert got.shape == want.shape, f"{path}: shape {got.shape} != Keras' {want.shape}"
        scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
        np.testing.assert_allclose(got, want, rtol=tol[0], atol=tol[1] * scale, err_msg=path)


# Keras' own Variable trips NumPy 2's __array__(copy=) deprecation; not pynn's concern
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("name", EXAMPLES)
def test_matches_keras(name, tmp_path):
    keras = _keras()
    # Keras draws the initial weights that both sides start from: seeded, so every run checks
    # the same trajectory. Unseeded, classifier_metrics failed for 6 of 230 draws, each within
    # float32 rounding: 4 where AUC's 200 thresholds put a prediction lying within ~1e-7 of a
    # bucket edge in different buckets, 2 where a hidden unit's pre-activation came within
    # 1e-5 of ReLU's kink (+7.7e-6 in Keras, -1.4e-6 in pynn after 21 steps of the same
    # arithmetic in another order), so one sample's gradient passed that unit on one side only
    # and Adam (lr 0.03) carried the difference on into the weights (~2 %).
    keras.utils.set_random_seed(0)
    try:
        kex = load(name, "keras")
    except ImportError as e:  # a lookup layer built when the program starts
        if "requires TensorFlow" not in str(e):
            raise
        pytest.importorskip("tensorflow", reason=f"{name} uses Keras layers that need TensorFlow")
        raise
    if getattr(kex, "KERAS_NEEDS_TENSORFLOW", False):  # Keras 3's lookup layers use tf.lookup
        pytest.importorskip("tensorflow", reason=f"{name} uses Keras layers that need TensorFlow")
    kmodel = kex.build()
    initial = [np.asarray(w) for w in kmodel.get_weights()]
    kdir = tmp_path / "keras"
    kdir.mkdir()
    try:
        kout = kex.run(kmodel, kex.data(), str(kdir))
    except RuntimeError as e:  # a bug of Keras' torch backend the example names, not pynn's
        if getattr(kex, "KERAS_TORCH_BUG", None) and kex.KERAS_TORCH_BUG in str(e):
            pytest.xfail(f"Keras 3 on torch fails on the unchanged program: {e}")
        raise
    _, _, out = _run(name, "pynn", tmp_path, weights=initial)
    tol = getattr(kex, "PARITY_TOL", (RTOL, ATOL))
    for key in getattr(kex, "PARITY_KEYS", None) or sorted(kout):
        assert_same(out[key], kout[key], key, tol)
