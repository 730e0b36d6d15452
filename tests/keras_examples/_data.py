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
