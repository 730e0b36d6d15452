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

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "movie_review_snippets.tsv.gz")
N_SAMPLES = 10605
CLASS_NAMES = ["negative", "positive"]


def load_ratings():
    """Returns every snippet of the sentiment data in its original order, with its mean human
    rating.

    Returns
    -------
    tuple of numpy.ndarray
        ``(ids, ratings, texts)``: int64 ids, float64 mean ratings in [-4, 4]
        (negative to positive), and the texts (an object array of str).

    Raises
    ------
    FileNotFoundError
        The package was installed without its data files.
    ValueError
        A damaged data file (the line is named).

    Examples
    --------
    >>> ids, ratings, texts = pynn.datasets.sentiment.load_ratings()
    >>> len(texts), float(ratings.min()) >= -4, float(ratings.max()) <= 4
    (10605, True, True)
    """
    if not os.path.exists(_PATH):
        raise FileNotFoundError(f"pynn's bundled sentiment data is missing ({_PATH}); the package "
                                f"was installed without its data files")
    ids, ratings, texts = [], [], []
    with gzip.open(_PATH, "rt", encoding="utf-8", newline="\n") as f:
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
    """Loads the movie-review sentiment data (binary labels), as ``keras.datasets.imdb`` but as
    text.

    10,605 human-rated snippets, shipped with pynn (nothing is downloaded);
    label 1 when the mean rating is positive. The snippets are shuffled with
    ``seed`` (NumPy's default_rng) and the last ``test_split`` fraction becomes
    the test set, as keras.datasets.imdb / reuters do (seed 113 too). Vectorize
    the texts with `pynn.layers.TextVectorization`.

    Parameters
    ----------
    test_split : float, default 0.2
        Fraction of the snippets in the test set, in [0, 1).
    seed : int, default 113
        Seed of the shuffle.

    Returns
    -------
    tuple
        ``((texts_train, y_train), (texts_test, y_test))``: object arrays of str and
        int64 labels.

    Raises
    ------
    ValueError
        ``test_split`` outside [0, 1).
    FileNotFoundError
        The package was installed without its data files.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = pynn.datasets.sentiment.load_data()
    >>> len(x_train), len(x_test), sorted(set(y_train.tolist()))
    (8484, 2121, [0, 1])
    """
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
