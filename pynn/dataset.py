"""ArrayDataset: what pynn's ``keras.utils.*_dataset_from_*`` functions return in
place of Keras' ``tf.data.Dataset`` — batches of in-memory arrays.

pynn's fit / evaluate / predict take whole arrays and batch them in C, so a
dataset here is its arrays plus a batch size: ``model.fit(train_ds,
validation_data=val_ds)`` reads both (as Keras programs call it), and iterating
gives ``(x_batch, y_batch)`` NumPy pairs, as ``for images, labels in
train_ds.take(1)`` expects (arrays that also answer tf.Tensor's ``.numpy()``)."""
import math
import numbers

import numpy as np

__all__ = ["ArrayDataset"]


def _rows(a):
    return len(a) if not isinstance(a, dict) else len(next(iter(a.values())))


def _slice(a, idx):
    if a is None:
        return None
    if isinstance(a, dict):
        return {k: v[idx] for k, v in a.items()}
    return a[idx]


class _EagerBatch(np.ndarray):
    """A batch as iterating a ``tf.data.Dataset`` hands it out: a NumPy array that also
    answers ``.numpy()`` (tf.Tensor's), which programs written for tf.data call
    (keras.io's "for batch in dataset_train: inputs, targets = batch; inputs.numpy()")."""

    def numpy(self):
        """The batch as a plain ``numpy.ndarray`` (no copy).

        Examples
        --------
        >>> ds = pynn.data.ArrayDataset(np.arange(4.0), batch_size=2)
        >>> next(iter(ds)).numpy()
        array([0., 1.])
        """
        return self.view(np.ndarray)


def _eager(batch):
    if isinstance(batch, dict):
        return {k: _eager(v) for k, v in batch.items()}
    return batch.view(_EagerBatch) if type(batch) is np.ndarray else batch


class ArrayDataset:
    """Batches of in-memory arrays (pynn's stand-in for Keras' ``tf.data.Dataset``).

    Parameters
    ----------
    x : ndarray or dict of ndarray
        Inputs, samples first.
    y : ndarray, optional
        Targets (None: a dataset of inputs only).
    batch_size : int or None, default 32
        Samples per batch (None: one batch of everything).
    class_names : list of str, optional
        The label names, for datasets read from class folders.
    file_paths : list of str, optional
        The file each sample came from.

    Raises
    ------
    ValueError
        ``x`` and ``y`` of different lengths, or a bad ``batch_size``.

    Examples
    --------
    >>> ds = pynn.data.ArrayDataset(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2)
    >>> len(ds), [y.tolist() for _, y in ds]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, x, y=None, batch_size=32, class_names=None, file_paths=None):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, numbers.Integral) or batch_size < 1):
            raise ValueError(f"ArrayDataset: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        if y is not None and _rows(y) != _rows(x):
            raise ValueError(f"ArrayDataset: x has {_rows(x)} samples but y has {_rows(y)}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.class_names = class_names
        self.file_paths = file_paths

    @property
    def num_samples(self):
        """The number of samples (rows of ``x``).

        Returns
        -------
        int

        Examples
        --------
        >>> pynn.data.ArrayDataset(np.zeros((7, 2)), batch_size=3).num_samples
        7
        """
        return _rows(self.x)

    def __len__(self):
        size = self.batch_size or max(self.num_samples, 1)
        return math.ceil(self.num_samples / size)

    def __iter__(self):
        size = self.batch_size or max(self.num_samples, 1)
        for start in range(0, self.num_samples, size):
            idx = slice(start, start + size)
            yield _eager(_slice(self.x, idx)) if self.y is None else (
                _eager(_slice(self.x, idx)), _eager(_slice(self.y, idx)))

    def __repr__(self):
        return (f"<ArrayDataset samples={self.num_samples} batch_size={self.batch_size}"
                f"{'' if self.y is not None else ' inputs only'}>")

    def take(self, count):
        """The dataset of the first ``count`` batches (``tf.data.Dataset.take``).

        Parameters
        ----------
        count : int
            Batches to keep (-1: all).

        Returns
        -------
        ArrayDataset

        Raises
        ------
        ValueError
            ``count`` is not an int >= -1.

        Examples
        --------
        >>> ds = pynn.data.ArrayDataset(np.zeros((10, 2)), np.zeros(10), batch_size=4)
        >>> ds.take(2).num_samples
        8
        """
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < -1:
            raise ValueError(f"take: count must be an int >= -1, got {count!r}")
        if count == -1:
            return self
        rows = slice(0, count * (self.batch_size or self.num_samples))
        paths = None if self.file_paths is None else self.file_paths[rows]
        return ArrayDataset(_slice(self.x, rows), _slice(self.y, rows), self.batch_size,
                            self.class_names, paths)

    def unbatch(self):
        """The same samples as one dataset of batch size 1 (``tf.data.Dataset.unbatch``).

        Returns
        -------
        ArrayDataset

        Examples
        --------
        >>> len(pynn.data.ArrayDataset(np.zeros((5, 2)), batch_size=4).unbatch())
        5
        """
        return ArrayDataset(self.x, self.y, 1, self.class_names, self.file_paths)

    def arrays(self):
        """``(x, y)``: the dataset's arrays (y None for inputs only).

        Returns
        -------
        tuple

        Examples
        --------
        >>> x, y = pynn.data.ArrayDataset(np.zeros((3, 2)), np.ones(3)).arrays()
        >>> x.shape, y.tolist()
        ((3, 2), [1.0, 1.0, 1.0])
        """
        return self.x, self.y


def from_dataset(x, y, batch_size, what):
    """fit / evaluate / predict given an ArrayDataset as x: its arrays and batch size."""
    if not isinstance(x, ArrayDataset):
        return x, y, batch_size
    if y is not None:
        raise ValueError(f"{what}: y must not be given when x is a dataset (it holds the targets)")
    if batch_size is not None:
        raise ValueError(f"{what}: batch_size must not be given when x is a dataset (it is "
                         f"batched by {x.batch_size}), as in Keras")
    return x.x, x.y, x.batch_size or max(x.num_samples, 1)
