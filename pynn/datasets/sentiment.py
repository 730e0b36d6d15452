"""Movie-review sentences with human sentiment ratings, bundled with pynn (no
download): 10,605 rottentomatoes.com snippets (Pang & Lee) rated by at least 20
people each on -4..+4 by Hutto & Gilbert (2014, the VADER paper; MIT licence —
see data/movie_review_snippets.README.txt).

    (texts_train, y_train), (texts_test, y_test) = pynn.datasets.sentiment.load_data()

Texts are NumPy object arrays of str; labels are int64, 1 = positive (mean human
rating > 0), 0 = negative (rating <= 0; 37 snippets are rated exactly 0). About
49% of the snippets are positive.
"""
import gzip
import os

import numpy as np

from .._fileio import open_regular

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "movie_review_snippets.tsv.gz")
N_SAMPLES = 10605
CLASS_NAMES = ["negative", "positive"]


def load_ratings():
    """All snippets in the original order: (ids int64 (n,), mean ratings float64
    (n,) in [-4, 4], texts object array of str (n,))."""
    if not os.path.exists(_PATH):
        raise FileNotFoundError(f"pynn's bundled sentiment data is missing ({_PATH}); the package "
                                f"was installed without its data files")
    ids, ratings, texts = [], [], []
    raw, _ = open_regular(_PATH, "gzip file")
    with raw, gzip.open(raw, "rt", encoding="utf-8", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise ValueError(f"{_PATH}: line {lineno} has {len(parts)} tab-separated fields, "
                                 f"expected 3 (id, rating, text)")
            ids.append(int(parts[0]))
            ratings.append(float(parts[1]))
            texts.append(parts[2])
    return (np.array(ids, np.int64), np.array(ratings, np.float64),
            np.array(texts, dtype=object))


def load_data(test_split=0.2, seed=113):
    """Returns ((texts_train, y_train), (texts_test, y_test)).

    The snippets are shuffled with `seed` (NumPy's default_rng) and the last
    `test_split` fraction becomes the test set, as keras.datasets.imdb /
    reuters do (their default seed is 113 too). test_split=0 gives an empty
    test set."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)) \
            or not 0 <= test_split < 1:
        raise ValueError(f"sentiment.load_data: test_split must be a number in [0, 1), "
                         f"got {test_split!r}")
    _, ratings, texts = load_ratings()
    labels = (ratings > 0).astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(texts))
    texts, labels = texts[order], labels[order]
    n_train = len(texts) - int(round(len(texts) * float(test_split)))
    return (texts[:n_train], labels[:n_train]), (texts[n_train:], labels[n_train:])
