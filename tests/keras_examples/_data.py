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
