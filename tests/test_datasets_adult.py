"""pynn.datasets.adult: the UCI Adult files as shipped, parsed to the counts
that adult.names itself states."""
import gzip
import hashlib

import numpy as np
import pytest

from pynn.datasets import adult


@pytest.fixture(scope="module")
def data():
    return adult.load_data()


def test_the_bundled_files_are_the_uci_files():
    for name, md5 in (("adult.data.gz", "5d7c39d7b8804f071cdd1f2a7c460872"),
                      ("adult.test.gz", "35238206dfdf7f1fe215bbb874adecdc")):
        with gzip.open(f"{adult._DIR}/{name}", "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == md5


def test_sizes_missing_values_and_class_balance_as_adult_names_states(data):
    (xtr, ytr), (xte, yte) = data
    # "48842 instances ... (train=32561, test=16281)"
    assert xtr.shape == (32561, 14) and xte.shape == (16281, 14)
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64
    # "45222 if instances with unknown values are removed (train=30162, test=15060)"
    complete_tr = (xtr != adult.MISSING).all(axis=1)
    complete_te = (xte != adult.MISSING).all(axis=1)
    assert (complete_tr.sum(), complete_te.sum()) == (30162, 15060)
    # "Probability for the label '>50K' : 23.93% / 24.78% (without unknowns)"
    y = np.concatenate([ytr, yte])
    complete = np.concatenate([complete_tr, complete_te])
    assert round(100 * y.mean(), 2) == 23.93
    assert round(100 * y[complete].mean(), 2) == 24.78
    # only the three attributes the census left blank have missing values
    missing = [n for n in adult.FEATURES if (adult.column(xtr, n) == adult.MISSING).any()]
    assert missing == ["workclass", "occupation", "native_country"]


def test_first_records_decode_to_the_file_text(data):
    (xtr, ytr), (xte, yte) = data

    def decode(row):
        return [adult.CATEGORIES[n][int(v)] if n in adult.CATEGORIES else int(v)
                for n, v in zip(adult.FEATURES, row)]

    # adult.data line 1 and adult.test line 2 (its first line is a comment)
    assert decode(xtr[0]) + [adult.CLASS_NAMES[ytr[0]]] == [
        39, "State-gov", 77516, "Bachelors", 13, "Never-married", "Adm-clerical", "Not-in-family",
        "White", "Male", 2174, 0, 40, "United-States", "<=50K"]
    assert decode(xte[0]) + [adult.CLASS_NAMES[yte[0]]] == [
        25, "Private", 226802, "11th", 7, "Never-married", "Machine-op-inspct", "Own-child",
        "Black", "Male", 0, 0, 40, "United-States", "<=50K"]
    assert adult.CLASS_NAMES[yte[-1]] == ">50K"  # written ">50K." in adult.test


def test_fresh_arrays_on_every_call(data):
    (xtr, _), _ = data
    (again, _), _ = adult.load_data()
    assert not np.shares_memory(xtr, again) and np.array_equal(xtr, again)


def test_bad_files_and_names_raise(tmp_path, monkeypatch):
    monkeypatch.setattr(adult, "_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="Adult data is missing"):
        adult.load_data()
    good = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, " \
           "White, Male, 2174, 0, 40, United-States, <=50K\n"
    for text, message in ((good.replace("Male", "Martian"), r"unknown sex value\(s\) \['Martian'\]"),
                          (good + "39, State-gov\n", "line 2 has 2 fields, expected 15"),
                          (good.replace("<=50K", "50K"), "unknown income label")):
        with gzip.open(tmp_path / "adult.data.gz", "wt") as f:
            f.write(text)
        with pytest.raises(ValueError, match=message):
            adult.load_data()
    with pytest.raises(ValueError, match="unknown feature 'gender'"):
        adult.column(np.zeros((1, 14)), "gender")
