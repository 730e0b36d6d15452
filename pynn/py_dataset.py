"""PyDataset (keras.utils.PyDataset, alias Sequence): a dataset that hands out batches
by index, read by fit / evaluate / predict (keras/src/trainers/data_adapters/
py_dataset_adapter.py; https://keras.io/api/utils/python_utils/#pydataset-class).

pynn's loops run whole epochs in C over arrays in memory, so an epoch's batches are
read (in index order) into arrays before the epoch runs: once for evaluate and
predict, and again before every epoch of fit, into the same arrays, so that what
``on_epoch_end`` changes (a reshuffle, new augmentations) reaches the next epoch as
in Keras. Every epoch must then give the same number of samples and shapes. As
Keras 3.15, fit calls ``on_epoch_end`` once before its first epoch too.
``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted and
ignored: batches are read in the calling thread."""
import numpy as np

from . import random as _random
from .callbacks import Callback


class PyDataset:
    """The base class of datasets that return batch ``i`` from ``__getitem__(i)``.

    A subclass implements ``__len__`` (the number of batches) and ``__getitem__``
    returning ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` for one batch; it may
    implement ``on_epoch_begin`` / ``on_epoch_end`` (e.g. to reshuffle). Pass it as
    ``x`` to ``fit``, ``evaluate`` or ``predict`` (no ``y``; ``batch_size`` is ignored and
    ``shuffle`` shuffles the order of the batches: the dataset makes them).

    Parameters
    ----------
    workers : int, default 1
        Accepted for Keras compatibility; batches are read in the calling thread.
    use_multiprocessing : bool, default False
        Accepted for Keras compatibility.
    max_queue_size : int, default 10
        Accepted for Keras compatibility.

    Raises
    ------
    ValueError
        (in fit / evaluate / predict) an empty dataset, batches of different sizes
        other than the last, or an epoch with other shapes than the first.

    Examples
    --------
    >>> class Squares(pynn.utils.PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         x = np.arange(4 * i, 4 * i + 4, dtype=np.float32)[:, None] / 10
    ...         return x, x ** 2
    >>> model = pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> len(model.fit(Squares(), epochs=2, verbose=0).history["loss"])
    2
    >>> model.predict(Squares(), verbose=0).shape
    (12, 1)
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        """Accepted for Keras compatibility (batches are read in the calling thread)."""
        return self._workers

    @property
    def use_multiprocessing(self):
        """Accepted for Keras compatibility."""
        return self._use_multiprocessing

    @property
    def max_queue_size(self):
        """Accepted for Keras compatibility."""
        return self._max_queue_size

    def __getitem__(self, index):
        """Returns batch ``index``: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Parameters
        ----------
        index : int
            In ``[0, len(self))``.

        Returns
        -------
        tuple or array

        Raises
        ------
        NotImplementedError
            Not overridden.

        Examples
        --------
        >>> class One(pynn.utils.PyDataset):
        ...     def __len__(self):
        ...         return 1
        ...     def __getitem__(self, i):
        ...         return np.zeros((2, 3)), np.ones(2)
        >>> One()[0][1].tolist()
        [1.0, 1.0]
        """
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def num_batches(self):
        """The number of batches per epoch (``len(self)``), as Keras."""
        return len(self)

    def on_epoch_begin(self):
        """Called before an epoch's batches are read (does nothing by default).

        Examples
        --------
        >>> pynn.utils.PyDataset().on_epoch_begin()
        """

    def on_epoch_end(self):
        """Called after each epoch (does nothing by default; reshuffle here).

        Examples
        --------
        >>> pynn.utils.PyDataset().on_epoch_end()
        """


Sequence = PyDataset


def _parts(batch):
    if isinstance(batch, tuple):
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"PyDataset: a batch must be x, (x,), (x, y) or (x, y, sample_weight); "
                             f"got a tuple of {len(batch)}")
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None


def _join(pieces):
    if pieces[0] is None:
        return None
    if isinstance(pieces[0], dict):
        return {k: _join([p[k] for p in pieces]) for k in pieces[0]}
    if isinstance(pieces[0], (list, tuple)):
        return [_join([p[i] for p in pieces]) for i in range(len(pieces[0]))]
    return np.ascontiguousarray(np.concatenate([np.asarray(p, np.float32) for p in pieces]),
                                np.float32)


def _rows(a):
    if isinstance(a, dict):
        return _rows(next(iter(a.values())))
    if isinstance(a, (list, tuple)):
        return _rows(a[0])
    return np.shape(a)[0]


def read_epoch(ds, what, shuffle=False):
    """Every batch of one epoch joined: (x, y, sample_weight, batch_size). In index order,
    or with ``shuffle`` in a random order of batches (Keras' shuffle of a PyDataset)
    where a smaller batch is moved last, so that the joined rows split into the batches."""
    n = len(ds)
    if n <= 0:
        raise ValueError(f"{what}: the PyDataset {type(ds).__name__} has no batches (len 0)")
    ds.on_epoch_begin()
    order = _random.generator().permutation(n) if shuffle else range(n)
    batches = [_parts(ds[int(i)]) for i in order]
    sizes = [_rows(b[0]) for b in batches]
    if shuffle:
        keep = sorted(range(n), key=lambda k: sizes[k] < max(sizes))  # stable: small ones last
        batches, sizes = [batches[k] for k in keep], [sizes[k] for k in keep]
    if any(s != sizes[0] for s in sizes[:-1]) or sizes[-1] > sizes[0]:
        raise ValueError(f"{what}: the batches of {type(ds).__name__} must all have the same size "
                         f"but the last (which may be smaller); got sizes {sizes}")
    return (_join([b[0] for b in batches]), _join([b[1] for b in batches]),
            _join([b[2] for b in batches]), sizes[0])


def _fill(dst, src, what):
    if dst is None:
        return
    if isinstance(dst, dict):
        for k in dst:
            _fill(dst[k], src[k], what)
    elif isinstance(dst, list):
        for d, s in zip(dst, src):
            _fill(d, s, what)
    else:
        if dst.shape != src.shape:
            raise ValueError(f"{what}: every epoch of a PyDataset must give the same shapes; "
                             f"the first gave {dst.shape}, a later one {src.shape}")
        dst[...] = src


class _Refill(Callback):
    """Reads the dataset again, in place, before every epoch of fit after the first."""

    def __init__(self, ds, arrays, shuffle):
        super().__init__()
        self.ds, self.arrays, self.shuffle, self.first = ds, arrays, shuffle, True

    def on_epoch_begin(self, epoch, logs=None):
        if self.first:
            self.first = False
            return
        x, y, sw, _ = read_epoch(self.ds, "fit", self.shuffle)
        for dst, src in zip(self.arrays, (x, y, sw)):
            _fill(dst, src, "fit")

    def on_epoch_end(self, epoch, logs=None):
        self.ds.on_epoch_end()


def for_fit(x, y, batch_size, sample_weight, class_weight, shuffle, validation_split, callbacks):
    """fit given a PyDataset as x: the first epoch's arrays, the batch size, no shuffle of
    rows (``shuffle`` shuffles the order of batches instead, as Keras), and a callback
    re-reading it before each epoch."""
    if not isinstance(x, PyDataset):
        return x, y, batch_size, sample_weight, shuffle, callbacks
    # batch_size is ignored, as Keras does (keras.io's guide passes batch_size=64 with one)
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(f"fit: {name} must not be given when x is a PyDataset (its batches "
                             f"hold them), as in Keras")
    if validation_split:
        raise ValueError("fit: validation_split is not supported when x is a PyDataset, as in "
                         "Keras; pass validation_data")
    if class_weight is not None:  # (weights from the first epoch's labels would go stale)
        raise ValueError("fit: class_weight is not supported when x is a PyDataset in pynn; "
                         "return (x, y, sample_weight) batches from the dataset instead")
    x.on_epoch_end()  # Keras 3.15's fit resets its epoch iterator once before epoch 0
    xs, ys, ws, size = read_epoch(x, "fit", shuffle)
    callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks or [])
    return xs, ys, size, ws, False, [_Refill(x, (xs, ys, ws), shuffle)] + callbacks


def for_single_pass(x, y, batch_size, what):
    """evaluate / predict given a PyDataset: one read of its batches, then on_epoch_end
    (and, for evaluate, on_epoch_end before too, as Keras 3.15 resets its iterator)."""
    if not isinstance(x, PyDataset):
        return x, y, batch_size, None
    if y is not None:  # (batch_size is ignored, as Keras does: the batches are the dataset's)
        raise ValueError(f"{what}: y must not be given when x is a PyDataset (its batches hold "
                         f"the targets), as in Keras")
    if what == "evaluate":
        x.on_epoch_end()
    xs, ys, ws, size = read_epoch(x, what)
    x.on_epoch_end()
    return xs, ys, size, ws
