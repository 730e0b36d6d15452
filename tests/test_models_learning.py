"""Models learn real data (scikit-learn's bundled datasets) to a stated quality,
CI-sized (seconds each), and seeded training is bit-reproducible, independent of
the thread count."""
import re

import numpy as np
import pytest

import pynn
from pynn.layers import Dense, Dropout

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _split(x, y, test_size, seed, stratify=True):
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_size, random_state=seed,
                                          stratify=y if stratify else None)
    scaler = StandardScaler().fit(xtr)
    return scaler.transform(xtr), scaler.transform(xte), ytr, yte


@pytest.fixture(scope="module")
def breast_cancer():
    x, y = load_breast_cancer(return_X_y=True)
    return _split(x, y, 0.25, 0)


def _bc_model(width=(64, 32), dropout=0.0):
    layers = [pynn.Input(shape=(30,))]
    for u in width:
        layers.append(Dense(u, activation="relu"))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(1, activation="sigmoid"))
    return pynn.Sequential(layers)


def test_breast_cancer_mlp_reaches_95_percent(breast_cancer):
    xtr, xte, ytr, yte = breast_cancer
    pynn.set_seed(0)
    model = _bc_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(xtr, ytr, epochs=20, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    loss, acc = model.evaluate(xte, yte, verbose=0)
    assert acc >= 0.95, f"test accuracy {acc:.4f}"
    # evaluate's accuracy is the accuracy of predict's probabilities at 0.5
    pred = model.predict(xte, verbose=0)
    assert pred.shape == (len(yte), 1)
    np.testing.assert_allclose(acc, np.mean((pred[:, 0] > 0.5) == yte), atol=1e-6)


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return _split(x, y, 0.3, 0)


def _iris_model():
    return pynn.Sequential([pynn.Input(shape=(4,)), Dense(16, activation="relu"),
                            Dense(3, activation="softmax")])


def test_iris_sparse_categorical(iris):
    xtr, xte, ytr, yte = iris
    pynn.set_seed(0)
    model = _iris_model()
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(xtr, ytr, epochs=100, batch_size=16, verbose=0)
    _, acc = model.evaluate(xte, yte, verbose=0)
    assert acc >= 0.93, f"test accuracy {acc:.4f}"
    assert np.mean(model.predict(xte, verbose=0).argmax(1) == yte) >= 0.93


def test_iris_categorical_with_to_categorical(iris):
    xtr, xte, ytr, yte = iris
    ytr_1h = pynn.data.to_categorical(ytr, 3)
    assert ytr_1h.shape == (len(ytr), 3) and np.array_equal(ytr_1h.argmax(1), ytr)
    pynn.set_seed(0)
    model = _iris_model()
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(xtr, ytr_1h, epochs=100, batch_size=16, verbose=0)
    res = model.evaluate(xte, pynn.data.to_categorical(yte, 3), verbose=0, return_dict=True)
    assert res["accuracy"] >= 0.93, res


def test_diabetes_regression_r2_on_held_out_data():
    x, y = load_diabetes(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y, 0.25, 42, stratify=False)
    mu, sd = ytr.mean(), ytr.std()
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(10,)), Dense(16, activation="relu"), Dense(1)])
    model.compile(optimizer=pynn.optimizers.Adam(0.003), loss="mse", metrics=["mae"])
    model.fit(xtr, (ytr - mu) / sd, epochs=50, batch_size=32, verbose=0)
    pred = model.predict(xte, verbose=0)[:, 0] * sd + mu
    r2 = 1 - np.sum((pred - yte) ** 2) / np.sum((yte - yte.mean()) ** 2)
    assert r2 >= 0.4, f"R² on held-out data {r2:.3f}"


def _seeded_run(seed, xtr, ytr):
    pynn.set_seed(seed)
    model = _bc_model(width=(64, 32), dropout=0.2)  # init, shuffling and dropout all drawn
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(xtr, ytr, epochs=3, batch_size=32, verbose=0, shuffle=True)
    return b"".join(w.tobytes() for w in model.get_weights()), hist.history["loss"]


def test_seeded_runs_are_bit_identical(breast_cancer):
    xtr, _, ytr, _ = breast_cancer
    w1, h1 = _seeded_run(7, xtr, ytr)
    w2, h2 = _seeded_run(7, xtr, ytr)
    assert w1 == w2
    assert h1 == h2
    w3, _ = _seeded_run(8, xtr, ytr)
    assert w3 != w1, "a different seed must give a different run"


def test_one_and_two_threads_are_bit_identical(breast_cancer):
    xtr, _, ytr, _ = breast_cancer
    before = pynn.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            pynn.set_num_threads(n)
            assert pynn.get_num_threads() == n
            pynn.set_seed(3)
            model = _bc_model(width=(256, 128))  # wide enough for the pool to split work
            model.compile(optimizer="adam", loss="binary_crossentropy")
            model.fit(xtr, ytr, epochs=2, batch_size=128, verbose=0)
            results.append(b"".join(w.tobytes() for w in model.get_weights())
                           + model.predict(xtr, verbose=0).tobytes())
        assert results[0] == results[1]
    finally:
        pynn.set_num_threads(before)


# ---------------------------------------------------------------- bundled digits + demo
def test_digits_load_data_is_a_fixed_split():
    from pynn.datasets import digits
    (xtr, ytr), (xte, yte) = digits.load_data()
    assert xtr.shape == (1438, 8, 8) and xte.shape == (359, 8, 8)
    assert ytr.shape == (1438,) and yte.shape == (359,)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.uint8
    assert xtr.max() == 16 and xtr.min() == 0
    assert set(np.unique(ytr)) == set(range(10)) == set(np.unique(yte))
    # stratified: every class has about 20% of its samples in the test part
    for c in range(10):
        frac = np.sum(yte == c) / (np.sum(yte == c) + np.sum(ytr == c))
        assert 0.18 < frac < 0.22
    # the same arrays every call, and fresh copies (callers may scale in place)
    (xtr2, ytr2), _ = digits.load_data()
    assert np.array_equal(xtr, xtr2) and np.array_equal(ytr, ytr2)
    xtr2[...] = 0
    assert digits.load_data()[0][0].max() == 16
    # the same images as the UCI copy scikit-learn ships (no train/test overlap)
    from sklearn.datasets import load_digits
    ref = load_digits()
    ref_rows = {r.tobytes(): t for r, t in zip(ref.images.astype(np.uint8), ref.target)}
    both = np.concatenate([xtr, xte])
    labels = np.concatenate([ytr, yte])
    assert len({r.tobytes() for r in both}) == len({r.tobytes() for r in ref.images.astype(np.uint8)})
    assert all(ref_rows[r.tobytes()] == t for r, t in zip(both, labels))


def test_python_m_pynn_runs_without_scikit_learn(tmp_path):
    import os
    import subprocess
    import sys
    # the pynn this test imported (installed or built in place), run from elsewhere
    root = os.path.dirname(os.path.dirname(os.path.abspath(pynn.__file__)))
    code = ("import runpy, sys; sys.argv = ['pynn', '--epochs', '2', '--verbose', '0']; "
            "runpy.run_module('pynn', run_name='__main__', alter_sys=True)")
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    guard = "import sys; sys.modules['sklearn'] = None; "  # importing scikit-learn would fail
    proc = subprocess.run([sys.executable, "-c", guard + code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy:" in proc.stdout
    assert "CC BY 4.0" in proc.stdout


def test_demo_reaches_95_percent_on_digits(capsys):
    from pynn.__main__ import main
    assert main(["--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 30/30" in out
    assert re.search(r"41/41 - \d+s - \d+(us|ms)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} "
                     r"- val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}", out)
    acc = float(re.search(r"test accuracy: (\d\.\d{4})", out).group(1))
    assert acc >= 0.95, out[-500:]
