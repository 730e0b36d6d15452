"""train_test_split (== scikit-learn's draws), to_categorical, batches."""
import numpy as np
import pandas as pd
import pytest

from pynn.data import batches, to_categorical, train_test_split

X = np.arange(60).reshape(30, 2)
Y = np.array([0] * 12 + [1] * 18)


@pytest.mark.parametrize("kw", [
    dict(random_state=3), dict(test_size=0.3, random_state=1, stratify=Y),
    dict(train_size=10, random_state=0), dict(shuffle=False, test_size=5),
    dict(test_size=7, train_size=0.5, random_state=4), dict(test_size=0.2, stratify=Y, random_state=9),
])
def test_same_split_as_scikit_learn(kw):
    sk = pytest.importorskip("sklearn.model_selection")
    ours, theirs = train_test_split(X, Y, **kw), sk.train_test_split(X, Y, **kw)
    assert len(ours) == 4
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_sizes_partition_and_stratification():
    xtr, xte, ytr, yte = train_test_split(X, Y, test_size=0.25, random_state=0, stratify=Y)
    assert len(xte) == 8 and len(xtr) == 22  # ceil(0.25 * 30) test samples
    assert sorted(np.concatenate([xtr[:, 0], xte[:, 0]]).tolist()) == X[:, 0].tolist()
    assert abs(yte.mean() - Y.mean()) < 0.1
    np.testing.assert_array_equal(ytr, Y[xtr[:, 0] // 2])  # rows stay aligned


def test_pandas_and_lists_keep_their_types():
    df = pd.DataFrame(X, columns=["a", "b"], index=np.arange(100, 130))
    s = pd.Series(Y, index=df.index)
    dtr, dte, s_tr, s_te = train_test_split(df, s, random_state=2)
    assert isinstance(dtr, pd.DataFrame) and isinstance(s_te, pd.Series)
    assert (dtr.index == s_tr.index).all() and dte.index.min() >= 100
    ltr, lte = train_test_split(list(range(30)), random_state=2)
    assert isinstance(ltr, list) and sorted(ltr + lte) == list(range(30))
    np.testing.assert_array_equal(dtr.index.to_numpy() - 100, np.asarray(ltr))


def test_split_errors():
    with pytest.raises(ValueError, match="At least one array"):
        train_test_split()
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[30, 29\\]"):
        train_test_split(X, Y[:-1])
    with pytest.raises(ValueError, match="test_size=1.5"):
        train_test_split(X, test_size=1.5)
    with pytest.raises(ValueError, match="test_size=30"):
        train_test_split(X, test_size=30)
    with pytest.raises(ValueError, match="only 1 member"):
        train_test_split(X, stratify=np.r_[Y[:-1], 2])
    with pytest.raises(ValueError, match="shuffle=False"):
        train_test_split(X, shuffle=False, stratify=Y)


def test_to_categorical():
    np.testing.assert_array_equal(to_categorical([2, 0, 1]), np.eye(3, dtype=np.float32)[[2, 0, 1]])
    out = to_categorical(np.array([[1], [3]]), num_classes=5)
    assert out.shape == (2, 5) and out.dtype == np.float32 and out[1, 3] == 1
    assert to_categorical(np.zeros((2, 3), int)).shape == (2, 3, 1)
    assert to_categorical(pd.Series([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="out of range"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 0])
    with pytest.raises(ValueError, match="non-integer"):
        to_categorical([0.5])
    with pytest.raises(TypeError, match="integer class labels"):
        to_categorical(["a"])


def test_batches():
    got = list(batches(X, Y, batch_size=8))
    assert [len(b[0]) for b in got] == [8, 8, 8, 6]
    assert np.shares_memory(got[0][0], X)  # in order: views
    np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), X)
    a = [b[1] for b in batches(X, Y, batch_size=8, shuffle=True, seed=1)]
    b = [b[1] for b in batches(X, Y, batch_size=8, shuffle=True, seed=1)]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    shuffled = np.concatenate([xb[:, 0] for xb in batches(X, batch_size=8, shuffle=True, seed=1)])
    assert sorted(shuffled.tolist()) == X[:, 0].tolist() and shuffled.tolist() != X[:, 0].tolist()
    assert [len(b) for b in batches(X, batch_size=8, drop_remainder=True)] == [8, 8, 8]
    df = pd.DataFrame(X)
    assert all(isinstance(xb, pd.DataFrame) for xb, _ in batches(df, list(Y), batch_size=7))
    with pytest.raises(ValueError, match="batch_size"):
        next(batches(X, batch_size=0))
    with pytest.raises(ValueError, match="30 samples but y has 29"):
        next(batches(X, Y[:-1]))
