"""The UCI ML hand-written digits (E. Alpaydin, C. Kaynak, CC BY 4.0): 1797
grey-scale 8x8 images of the digits 0-9, bundled with pynn (see data/README).

    (x_train, y_train), (x_test, y_test) = pynn.datasets.digits.load_data()

as keras.datasets.mnist.load_data(): uint8 images of shape (n, 8, 8) — each
pixel a count 0..16, so divide by 16 to scale into [0, 1] — and uint8 labels
0..9. The split is fixed (1438 train, 359 test, stratified by class)."""
import os

import numpy as np

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.npz")

N_CLASSES = 10
IMAGE_SHAPE = (8, 8)
MAX_PIXEL = 16


def load_data():
    """Loads the UCI 8x8 handwritten digits, shipped with pynn (pynn's stand-in for MNIST).

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))``: fresh uint8 images ``(n, 8, 8)``
        with values 0-16 and uint8 labels 0-9 (1,438 training and 359 test images).

    Raises
    ------
    FileNotFoundError
        The package was installed without its data files.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = pynn.datasets.digits.load_data()
    >>> x_train.shape, x_test.shape, int(x_train.max())
    ((1438, 8, 8), (359, 8, 8), 16)
    """
    if not os.path.exists(_PATH):
        raise FileNotFoundError(f"pynn's bundled digits data is missing ({_PATH}); the package "
                                f"was installed without its data files")
    with np.load(_PATH, allow_pickle=False) as f:
        return (f["x_train"].copy(), f["y_train"].copy()), (f["x_test"].copy(), f["y_test"].copy())
