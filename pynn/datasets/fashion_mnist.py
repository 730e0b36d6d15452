"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence) read from Debian's
`dataset-fashion-mnist` package — nothing is downloaded.

    (x_train, y_train), (x_test, y_test) = pynn.datasets.fashion_mnist.load_data()

Returns uint8 images (N, 28, 28) and uint8 labels (N,), as keras.datasets does.
The folder is /usr/share/datasets/fashion-mnist, or $PYNN_DATA/fashion-mnist
(or $PYNN_DATA itself) when PYNN_DATA is set."""
import gzip
import os
import struct

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "x_train": "train-images-idx3-ubyte.gz", "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz", "y_test": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


def data_dir():
    """Returns the folder Fashion-MNIST is read from.

    ``$PYNN_DATA/fashion-mnist`` (or ``$PYNN_DATA`` itself) when the environment
    variable ``PYNN_DATA`` is set, else ``/usr/share/datasets/fashion-mnist``
    (where Debian's ``dataset-fashion-mnist`` package installs it).

    Returns
    -------
    str

    Examples
    --------
    >>> import os
    >>> default = "/usr/share/datasets/fashion-mnist"
    >>> "PYNN_DATA" in os.environ or pynn.datasets.fashion_mnist.data_dir() == default
    True
    """
    root = os.environ.get("PYNN_DATA")
    if root:
        sub = os.path.join(root, "fashion-mnist")
        return sub if os.path.isdir(sub) else root
    return DEFAULT_DIR


def _read_idx(path, expect_dims):
    """Reads an IDX file (big-endian header: magic, dims), checking every size
    before allocating."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (too short)")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code != 0x08 or ndim != expect_dims:
        raise ValueError(f"{path}: not an unsigned-byte IDX file of rank {expect_dims}")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    n = int(np.prod(dims))
    if len(raw) != 4 + 4 * ndim + n:
        raise ValueError(f"{path}: header says {dims} but the file holds "
                         f"{len(raw) - 4 - 4 * ndim} bytes of data")
    return np.frombuffer(raw, np.uint8, count=n, offset=4 + 4 * ndim).reshape(dims)


def load_data():
    """Loads Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) from local files, as
    ``keras.datasets.fashion_mnist``.

    Nothing is downloaded: install Debian's ``dataset-fashion-mnist`` package or
    point ``PYNN_DATA`` at a folder holding the four IDX files. Every size in the
    files is checked before memory is allocated. ``CLASS_NAMES`` names the 10
    classes.

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))``: uint8 images ``(60000, 28, 28)``
        and ``(10000, 28, 28)``, uint8 labels 0-9.

    Raises
    ------
    FileNotFoundError
        The files are not there (the message says how to install them).
    ValueError
        A damaged file (named).

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["PYNN_DATA"] = tempfile.mkdtemp()  # an empty folder: the error says what to do
    >>> pynn.datasets.fashion_mnist.load_data()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Fashion-MNIST not found in ...dataset-fashion-mnist`, or point PYNN_DATA ...
    >>> del os.environ["PYNN_DATA"]
    >>> pynn.datasets.fashion_mnist.CLASS_NAMES[9]
    'Ankle boot'
    """
    folder = data_dir()
    missing = [f for f in FILES.values() if not os.path.exists(os.path.join(folder, f))]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {folder} (missing {', '.join(missing)}). Install Debian's "
            f"package: `sudo apt-get install -y dataset-fashion-mnist`, or point PYNN_DATA at a "
            f"folder holding the four IDX files.")
    arrays = {k: _read_idx(os.path.join(folder, f), 3 if k.startswith("x") else 1)
              for k, f in FILES.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
