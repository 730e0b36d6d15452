"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence) read from Debian's
`dataset-fashion-mnist` package — nothing is downloaded.

    (x_train, y_train), (x_test, y_test) = pynn.datasets.fashion_mnist.load_data()

Returns uint8 images (N, 28, 28) and uint8 labels (N,), as keras.datasets does.
The folder is /usr/share/datasets/fashion-mnist, or $PYNN_DATA/fashion-mnist
(or $PYNN_DATA itself) when PYNN_DATA is set."""
import gzip
import math
import os
import struct
import zlib

import numpy as np

from .._fileio import open_regular

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


# deflate cannot expand data more than about 1032:1, which bounds what a .gz
# file of a given size can honestly hold
_MAX_DEFLATE_RATIO = 1100


def _read_idx(path, expect_dims):
    """Reads an IDX file (big-endian header: magic, dims), checking the header
    against the file's real size before the data is decompressed or allocated."""
    raw, size = open_regular(path, "IDX file")
    with raw:
        f = gzip.GzipFile(fileobj=raw, mode="rb") if path.endswith(".gz") else raw
        try:
            header = f.read(4)
            if len(header) < 4:
                raise ValueError(f"{path}: not an IDX file (only {len(header)} bytes)")
            zero, dtype_code, ndim = header[0:2], header[2], header[3]
            if zero != b"\x00\x00" or dtype_code != 0x08 or ndim != expect_dims:
                raise ValueError(f"{path}: not an unsigned-byte IDX file of rank {expect_dims}")
            dim_bytes = f.read(4 * ndim)
            if len(dim_bytes) != 4 * ndim:
                raise ValueError(f"{path}: truncated IDX header ({4 + len(dim_bytes)} bytes, "
                                 f"expected {4 + 4 * ndim})")
            dims = struct.unpack(">" + "I" * ndim, dim_bytes)
            n = math.prod(dims)
            # what the file can hold: its data bytes, or for .gz what deflate can expand to
            most = size - 4 - 4 * ndim if f is raw else size * _MAX_DEFLATE_RATIO
            if n > most:
                raise ValueError(f"{path}: header says {dims} ({n:,} bytes of data), more than "
                                 f"the {size:,}-byte file can hold")
            data = f.read(n)
            extra = len(f.read(1))
        except (EOFError, OSError, zlib.error) as e:  # gzip: truncated or corrupt stream
            raise ValueError(f"{path}: cannot be read ({type(e).__name__}: {e}); the file is "
                             f"damaged or truncated") from None
    if len(data) != n or extra:
        raise ValueError(f"{path}: header says {dims} but the file holds "
                         f"{'more than ' if extra else ''}{len(data):,} bytes of data")
    # a writable array, as keras.datasets gives (frombuffer of bytes is read-only)
    return np.frombuffer(data, np.uint8).reshape(dims).copy()


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
