"""The UCI Adult ("census income") data (B. Becker, R. Kohavi, 1996; CC BY 4.0),
bundled with pynn (see data/adult.README): 48,842 people from the 1994 US
census, 14 attributes each, and whether they earned more than $50K a year.
It is the usual benchmark for fairness tools because it records sex and race.

    (x_train, y_train), (x_test, y_test) = pynn.datasets.adult.load_data()

x is float32 of shape (n, 14), one column per name in FEATURES. Continuous
columns hold their values; a categorical column holds the index of the value in
CATEGORIES[name] (the order of adult.names), or -1 where the census record has
no value ("?"). y is int64, 1 = income >50K. The split is the original one:
32,561 training rows (adult.data) and 16,281 test rows (adult.test), in the
files' order."""
import gzip
import os

import numpy as np

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_FILES = {"train": "adult.data.gz", "test": "adult.test.gz"}

FEATURES = ("age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
            "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
            "hours_per_week", "native_country")

# the values of every categorical attribute, in the order adult.names lists them
CATEGORIES = {
    "workclass": ("Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov",
                  "State-gov", "Without-pay", "Never-worked"),
    "education": ("Bachelors", "Some-college", "11th", "HS-grad", "Prof-school", "Assoc-acdm",
                  "Assoc-voc", "9th", "7th-8th", "12th", "Masters", "1st-4th", "10th", "Doctorate",
                  "5th-6th", "Preschool"),
    "marital_status": ("Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed",
                       "Married-spouse-absent", "Married-AF-spouse"),
    "occupation": ("Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial",
                   "Prof-specialty", "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical",
                   "Farming-fishing", "Transport-moving", "Priv-house-serv", "Protective-serv",
                   "Armed-Forces"),
    "relationship": ("Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"),
    "race": ("White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"),
    "sex": ("Female", "Male"),
    "native_country": ("United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany",
                       "Outlying-US(Guam-USVI-etc)", "India", "Japan", "Greece", "South", "China",
                       "Cuba", "Iran", "Honduras", "Philippines", "Italy", "Poland", "Jamaica",
                       "Vietnam", "Mexico", "Portugal", "Ireland", "France", "Dominican-Republic",
                       "Laos", "Ecuador", "Taiwan", "Haiti", "Columbia", "Hungary", "Guatemala",
                       "Nicaragua", "Scotland", "Thailand", "Yugoslavia", "El-Salvador",
                       "Trinadad&Tobago", "Peru", "Hong", "Holand-Netherlands"),
}
CLASS_NAMES = ["<=50K", ">50K"]
MISSING = -1


def _read(subset):
    path = os.path.join(_DIR, _FILES[subset])
    if not os.path.exists(path):
        raise FileNotFoundError(f"pynn's bundled Adult data is missing ({path}); the package was "
                                f"installed without its data files")
    with gzip.open(path, "rt", encoding="ascii", newline="\n") as f:
        lines = f.read().split("\n")
    # (line number, fields) of the records: not the blank last line, nor adult.test's first line
    records = [(i + 1, line.split(", ")) for i, line in enumerate(lines)
               if line and not line.startswith("|")]
    for lineno, parts in records:
        if len(parts) != len(FEATURES) + 1:
            raise ValueError(f"{path}: line {lineno} has {len(parts)} fields, expected "
                             f"{len(FEATURES) + 1}")
    columns = list(zip(*(parts for _, parts in records)))
    x = np.empty((len(records), len(FEATURES)), np.float32)
    for j, name in enumerate(FEATURES):
        if name not in CATEGORIES:
            x[:, j] = np.array(columns[j], np.float64)
            continue
        code = {v: i for i, v in enumerate(CATEGORIES[name])}
        code["?"] = MISSING
        unknown = set(columns[j]) - set(code)
        if unknown:
            raise ValueError(f"{path}: unknown {name} value(s) {sorted(unknown)}")
        x[:, j] = [code[v] for v in columns[j]]
    labels = [v.rstrip(".") for v in columns[-1]]  # adult.test writes ">50K." and "<=50K."
    unknown = set(labels) - set(CLASS_NAMES)
    if unknown:
        raise ValueError(f"{path}: unknown income label(s) {sorted(unknown)}")
    return x, (np.array(labels) == CLASS_NAMES[1]).astype(np.int64)


def load_data():
    """Loads the UCI Adult census-income data (shipped with pynn), the usual data for fairness
    checks.

    Columns are ``FEATURES``; categorical ones hold the index of the value in
    ``CATEGORIES[name]``, -1 where the record has none. The split is the original
    one (adult.data / adult.test).

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))``: float32 ``(n, 14)`` features and
        int64 labels (1 = income above $50K).

    Raises
    ------
    FileNotFoundError
        The package was installed without its data files.
    ValueError
        A damaged data file (the line is named).

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = pynn.datasets.adult.load_data()
    >>> x_train.shape, x_test.shape, round(float(y_train.mean()), 2)
    ((32561, 14), (16281, 14), 0.24)
    """
    return _read("train"), _read("test")


def column(x, name):
    """Returns the column of one feature from Adult feature rows.

    Parameters
    ----------
    x : array_like
        Rows from `load_data` (``(n, 14)``).
    name : str
        A name in ``FEATURES`` (e.g. "sex", "race").

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        An unknown feature name (the features are listed).

    Examples
    --------
    >>> rows = np.zeros((2, 14), np.float32)
    >>> rows[:, pynn.datasets.adult.FEATURES.index("sex")] = [0, 1]
    >>> sex = pynn.datasets.adult.column(rows, "sex")
    >>> [pynn.datasets.adult.CATEGORIES["sex"][int(v)] for v in sex]
    ['Female', 'Male']
    """
    if name not in FEATURES:
        raise ValueError(f"adult.column: unknown feature {name!r}; the features are {list(FEATURES)}")
    return np.asarray(x)[:, FEATURES.index(name)]
