"""Data for the examples, read with NumPy alone so both libraries get the same
arrays: the UCI 8x8 digits bundled with pynn stand in for MNIST."""
import importlib.util
import os

import numpy as np

# pynn's data file, found without importing pynn (the Keras runs never import it)
_DIGITS = os.path.join(importlib.util.find_spec("pynn").submodule_search_locations[0],
                       "datasets", "data", "digits.npz")


def digits():
    """((x_train, y_train), (x_test, y_test)): uint8 images (n, 8, 8), 0..16, labels 0..9."""
    with np.load(_DIGITS, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


_FASHION = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def _idx(name):
    import gzip
    with gzip.open(os.path.join(_FASHION, name)) as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw[4:4 + 4 * ndim], ">u4").astype(int)
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


def fashion_mnist(n_train, n_test):
    """The first n_train / n_test Fashion-MNIST images (uint8 (n, 28, 28)) and labels."""
    if not os.path.isdir(_FASHION):
        import pytest
        pytest.skip(f"Fashion-MNIST is not installed at {_FASHION} (Debian: dataset-fashion-mnist)")
    return ((_idx("train-images-idx3-ubyte.gz")[:n_train], _idx("train-labels-idx1-ubyte.gz")[:n_train]),
            (_idx("t10k-images-idx3-ubyte.gz")[:n_test], _idx("t10k-labels-idx1-ubyte.gz")[:n_test]))


_PYNN_DATA = os.path.dirname(_DIGITS)


def sentiment(n):
    """The first n movie-review snippets of pynn's bundled sentiment data, as
    (texts: str array (n,), labels: float32 (n,), 1 = positive mean rating)."""
    import gzip
    with gzip.open(os.path.join(_PYNN_DATA, "movie_review_snippets.tsv.gz"), "rt",
                   encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    rows = [rows[i] for i in np.random.default_rng(113).permutation(len(rows))[:n]]
    return (np.array([r[2] for r in rows]),
            np.array([float(r[1]) > 0 for r in rows], np.float32))


ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                 "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
                 "hours_per_week", "native_country", "income"]


def adult(n):
    """The first n rows of pynn's bundled UCI Adult training file as a dict of columns
    (str arrays for the categorical ones, int64 / float32 for the numbers) and the
    float32 target (income > 50K)."""
    import gzip
    with gzip.open(os.path.join(_PYNN_DATA, "adult.data.gz"), "rt", encoding="ascii") as f:
        rows = [line.strip().split(", ") for _, line in zip(range(n), f)]
    cols = dict(zip(ADULT_COLUMNS, map(list, zip(*rows))))
    target = np.array([v == ">50K" for v in cols.pop("income")], np.float32)
    out = {}
    for name, values in cols.items():
        if name in ("age", "education_num", "hours_per_week"):
            out[name] = np.array(values, np.int64)
        elif name in ("fnlwgt", "capital_gain", "capital_loss"):
            out[name] = np.array(values, np.float32)
        else:
            out[name] = np.array(values)
    return out, target
