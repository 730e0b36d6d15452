"""Data helpers: train_test_split (scikit-learn's, without depending on it),
to_categorical (Keras'), a `batches` generator, and ArrayDataset (pynn/dataset.py:
what the keras.utils dataset functions return).

train_test_split draws exactly what scikit-learn draws for the same
random_state (same generator, same order of draws), so splits agree with
sklearn.model_selection.train_test_split and results can be compared."""
import math
import numbers

import numpy as np

from .dataset import ArrayDataset  # noqa: F401

__all__ = ["train_test_split", "to_categorical", "batches", "ArrayDataset"]


def _num_samples(a):
    if hasattr(a, "shape") and getattr(a, "shape", None) is not None and len(a.shape) > 0:
        return int(a.shape[0])
    if hasattr(a, "__len__"):
        return len(a)
    raise TypeError(f"Expected an array-like with a length, got {type(a).__name__}")


def _take(a, idx):
    """a[idx] keeping a's type: pandas keeps its index labels, lists stay lists."""
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    if isinstance(a, np.ndarray) or hasattr(a, "__array__") and hasattr(a, "shape"):
        return a[idx]
    if isinstance(a, (list, tuple)):
        return [a[i] for i in idx]
    return np.asarray(a)[idx]


def _rng(random_state):
    # scikit-learn's check_random_state: None is NumPy's global RandomState
    if random_state is None or random_state is np.random:
        return np.random.mtrand._rand
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.RandomState(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return random_state
    raise ValueError(f"random_state must be None, an int or a numpy RandomState, got "
                     f"{random_state!r}")


def _split_sizes(n, test_size, train_size, default_test=0.25):
    if test_size is None and train_size is None:
        test_size = default_test

    def check(v, what):
        if v is None:
            return
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{what}={v!r} should be a float in (0, 1) or an int")
        if isinstance(v, numbers.Integral):
            if v <= 0 or v >= n:
                raise ValueError(f"{what}={v} should be either positive and smaller than the "
                                 f"number of samples {n} or a float in the (0, 1) range")
        elif not 0 < v < 1:
            raise ValueError(f"{what}={v} should be either positive and smaller than the number "
                             f"of samples {n} or a float in the (0, 1) range")

    check(test_size, "test_size")
    check(train_size, "train_size")
    if (isinstance(test_size, float) and isinstance(train_size, float)
            and test_size + train_size > 1):
        raise ValueError(f"The sum of test_size and train_size = {test_size + train_size}, should "
                         f"be in the (0, 1) range. Reduce test_size and/or train_size.")
    if isinstance(test_size, float):
        n_test = math.ceil(test_size * n)
    elif test_size is not None:
        n_test = int(test_size)
    if isinstance(train_size, float):
        n_train = math.floor(train_size * n)
    elif train_size is not None:
        n_train = int(train_size)
    if train_size is None:
        n_train = n - n_test
    elif test_size is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise ValueError(f"The sum of train_size and test_size = {n_train + n_test}, should be "
                         f"smaller than the number of samples {n}. Reduce test_size and/or "
                         f"train_size.")
    if n_train == 0:
        raise ValueError(f"With n_samples={n}, test_size={test_size} and train_size={train_size}, "
                         f"the resulting train set will be empty. Adjust any of the "
                         f"aforementioned parameters.")
    return n_train, n_test


def _approximate_mode(class_counts, n_draws, rng):
    """How many of each class to draw so the draw follows the class
    proportions; ties in the remainders are broken at random (sklearn's rule)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            take = min(len(inds), need)
            inds = rng.choice(inds, size=take, replace=False)
            floored[inds] += 1
            need -= take
            if need == 0:
                break
    return floored.astype(int)


def _stratified_indices(y, n_train, n_test, rng):
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y.ndim == 2:  # multilabel rows count as one class each, as in sklearn
        y = np.array([" ".join(row.astype("str")) for row in y])
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.bincount(y_idx)
    if counts.min() < 2:
        raise ValueError("The least populated class in y has only 1 member, which is too few. "
                         "The minimum number of groups for any class cannot be less than 2.")
    if n_train < len(classes):
        raise ValueError(f"The train_size = {n_train} should be greater or equal to the number "
                         f"of classes = {len(classes)}")
    if n_test < len(classes):
        raise ValueError(f"The test_size = {n_test} should be greater or equal to the number of "
                         f"classes = {len(classes)}")
    class_indices = np.split(np.argsort(y_idx, kind="mergesort"), np.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(len(classes)):
        perm = class_indices[i].take(rng.permutation(counts[i]), mode="clip")
        train.extend(perm[:n_i[i]])
        test.extend(perm[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True,
                     stratify=None):
    """Splits arrays into random train and test subsets (scikit-learn's ``train_test_split``).

    Same signature, defaults (test_size 0.25) and draws as scikit-learn; each
    output keeps its input's type (NumPy, pandas, list).

    Parameters
    ----------
    *arrays : array_like
        Arrays with the same number of samples.
    test_size : float or int, optional
        Fraction (0-1) or number of test samples (default 0.25).
    train_size : float or int, optional
        Fraction or number of training samples (default: the rest).
    random_state : int or numpy.random.Generator, optional
        Seed of the shuffle.
    shuffle : bool, default True
        Shuffle before splitting.
    stratify : array_like, optional
        Class labels whose proportions both subsets keep.

    Returns
    -------
    list
        ``[a_train, a_test, b_train, b_test, ...]``.

    Raises
    ------
    ValueError
        No arrays, different numbers of samples, bad sizes, or stratify
        without shuffle.

    Examples
    --------
    >>> x, y = np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 0])
    >>> x_train, x_test, y_train, y_test = pynn.data.train_test_split(x, y, test_size=0.4,
    ...                                                               random_state=0)
    >>> x_train.shape, x_test.shape
    ((3, 2), (2, 2))
    """
    if not arrays:
        raise ValueError("At least one array required as input")
    lengths = [_num_samples(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths}")
    n = lengths[0]
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("Stratified train/test split is not implemented for shuffle=False")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    elif stratify is not None:
        if _num_samples(stratify) != n:
            raise ValueError(f"stratify has {_num_samples(stratify)} samples, the arrays {n}")
        train, test = _stratified_indices(stratify, n_train, n_test, _rng(random_state))
    else:
        perm = _rng(random_state).permutation(n)
        test, train = perm[:n_test], perm[n_test:n_test + n_train]
    out = []
    for a in arrays:
        out += [_take(a, train), _take(a, test)]
    return out


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels: shape ``(..., num_classes)``, float32.

    Keras returns float64; pynn trains in float32, so no conversion is needed
    later. A trailing label axis of size 1 is dropped, as in Keras.

    Parameters
    ----------
    x : array_like of int
        Class labels (integer-valued floats and pandas work too).
    num_classes : int, optional
        The number of classes (default: the largest label + 1).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    TypeError
        Non-numeric labels.
    ValueError
        Non-integer or negative labels, or labels >= num_classes.

    Examples
    --------
    >>> pynn.utils.to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical expects integer class labels, got dtype {x.dtype}")
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
            raise ValueError("to_categorical expects integer class labels; got non-integer values")
    labels = x.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(labels.min())}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(labels.max())} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros((labels.size, int(num_classes)), np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out.reshape(tuple(shape) + (int(num_classes),))


def batches(x, y=None, batch_size=32, shuffle=False, seed=None, drop_remainder=False):
    """Yields ``(x_batch, y_batch)`` (or ``x_batch`` when y is None), in order or shuffled.

    For eager training loops; ``fit`` batches in C by itself. NumPy, pandas and
    lists keep their types.

    Parameters
    ----------
    x : array_like
        Inputs, samples first.
    y : array_like, optional
        Targets.
    batch_size : int, default 32
        Samples per batch.
    shuffle : bool, default False
        Visit the samples in a random order.
    seed : int, optional
        Seed of the shuffle.
    drop_remainder : bool, default False
        Skip a last, partial batch.

    Returns
    -------
    generator

    Raises
    ------
    ValueError
        A bad batch_size, or x and y of different lengths.

    Examples
    --------
    >>> x, y = np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 0])
    >>> [yb.tolist() for _, yb in pynn.data.batches(x, y, batch_size=2)]
    [[0, 1], [0, 1], [0]]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    n = _num_samples(x)
    if y is not None and _num_samples(y) != n:
        raise ValueError(f"x has {n} samples but y has {_num_samples(y)}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_remainder else n
    for start in range(0, stop, batch_size):
        sel = order[start:start + batch_size]

        def pick(a):
            if not shuffle and isinstance(a, np.ndarray):
                return a[start:start + batch_size]  # in order: a view, no copy
            return _take(a, sel)

        yield pick(x) if y is None else (pick(x), pick(y))
