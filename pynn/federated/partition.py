"""Client data for a federated simulation: IID splits and Dirichlet(alpha)
label-skewed splits (Hsu et al. 2019, as Flower Datasets' DirichletPartitioner
without its self-balancing step), both seeded."""
import numbers

import numpy as np


class Client:
    """One participant of a federated simulation: its own examples and a name.

    Parameters
    ----------
    x : array_like or list of array_like
        The client's inputs (a list for several model inputs).
    y : array_like
        Its targets.
    sample_weight : array_like, optional
        Its per-example weights.
    name : str, optional
        A name for logs.
    indices : array_like, optional
        The rows of the full data it was cut from.

    Raises
    ------
    ValueError
        x, y and sample_weight of different lengths, or no examples.

    Examples
    --------
    >>> client = pynn.federated.Client(np.zeros((5, 2)), np.ones(5), name="hospital_a")
    >>> client
    <Client 'hospital_a': 5 examples>
    """

    def __init__(self, x, y, sample_weight=None, name=None, indices=None):
        n = _num_rows(y, "Client y")
        for what, a in (("x", x), ("sample_weight", sample_weight)):
            if a is not None and _num_rows(a, f"Client {what}") != n:
                raise ValueError(f"Client: {what} has {_num_rows(a, what)} rows but y has {n}")
        if n == 0:
            raise ValueError("Client: a client needs at least one example (y has 0 rows)")
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.name, self.indices = name, indices
        self.num_examples = n

    def __repr__(self):
        return f"<Client {self.name!r}: {self.num_examples} examples>"


def _num_rows(a, what):
    if isinstance(a, (list, tuple)) and a and hasattr(a[0], "shape"):  # several model inputs
        a = a[0]
    shape = np.shape(a)
    if not shape:
        raise ValueError(f"{what} must have a batch axis; got a scalar")
    return int(shape[0])


def _take(a, idx):
    if a is None:
        return None
    if isinstance(a, (list, tuple)) and a and hasattr(a[0], "shape"):
        return [np.asarray(part)[idx] for part in a]
    return np.asarray(a)[idx]


def _clients(x, y, sample_weight, parts):
    return [Client(_take(x, p), _take(y, p), _take(sample_weight, p), name=f"client_{k}", indices=p)
            for k, p in enumerate(parts)]


def _check_count(num_clients, n, fn):
    if (not isinstance(num_clients, numbers.Integral) or isinstance(num_clients, bool)
            or num_clients < 1):
        raise ValueError(f"{fn}: num_clients must be a positive integer, got {num_clients!r}")
    if num_clients > n:
        raise ValueError(f"{fn}: {num_clients} clients but only {n} examples; every client "
                         f"needs at least one")


def split_iid(x, y, num_clients, seed=0, sample_weight=None):
    """Deals the rows, shuffled, into clients whose sizes differ by at most one.

    Parameters
    ----------
    x : array_like
        Inputs.
    y : array_like
        Targets.
    num_clients : int
        Number of clients.
    seed : int, default 0
        Seed of the shuffle.
    sample_weight : array_like, optional
        Per-example weights, split alike.

    Returns
    -------
    list of Client

    Raises
    ------
    ValueError
        A bad num_clients (fewer rows than clients).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> clients = pynn.federated.split_iid(x, y, num_clients=3)
    >>> [client.num_examples for client in clients]
    [100, 100, 100]
    """
    n = _num_rows(y, "split_iid y")
    _check_count(num_clients, n, "split_iid")
    perm = np.random.default_rng(seed).permutation(n)
    return _clients(x, y, sample_weight, [np.sort(p) for p in np.array_split(perm, num_clients)])


def class_labels(y, what="y"):
    """Returns integer class labels from sparse labels ``(n,)`` / ``(n, 1)`` or one-hot rows
    ``(n, K)``.

    Parameters
    ----------
    y : array_like
        The labels.
    what : str, default "y"
        The name used in error messages.

    Returns
    -------
    numpy.ndarray
        int64 labels.

    Raises
    ------
    ValueError
        Non-integer labels or a scalar.

    Examples
    --------
    >>> pynn.federated.class_labels(np.array([[0, 1], [1, 0]]))
    array([1, 0])
    """
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"{what} must have a batch axis; got a scalar")
    flat = y.reshape(len(y), -1)
    if flat.shape[1] > 1:
        return np.argmax(flat, axis=1)
    labels = flat[:, 0]
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise ValueError(f"{what} must hold class labels (integers or one-hot rows) for a label "
                         f"split; got non-integer values such as {labels[labels != np.round(labels)][:3]}")
    return labels.astype(np.int64)


def split_dirichlet(x, y, num_clients, alpha, seed=0, min_size=10, sample_weight=None,
                    max_tries=10):
    """Label-skewed split: each class's examples are shared among clients by a Dirichlet(alpha)
    draw.

    Hsu et al. 2019, as Flower Datasets' DirichletPartitioner without its
    self-balancing step. Small alpha: each client sees few classes (non-IID);
    large alpha: close to IID. The draw is repeated until every client has at
    least ``min_size`` examples.

    Parameters
    ----------
    x : array_like
        Inputs.
    y : array_like
        Class labels (sparse or one-hot).
    num_clients : int
        Number of clients.
    alpha : float
        Dirichlet concentration (> 0).
    seed : int, default 0
        Seed of the draws.
    min_size : int, default 10
        The smallest client allowed.
    sample_weight : array_like, optional
        Per-example weights, split alike.
    max_tries : int, default 10
        Draws before giving up.

    Returns
    -------
    list of Client

    Raises
    ------
    ValueError
        A bad alpha or num_clients, or no draw met min_size in max_tries.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> clients = pynn.federated.split_dirichlet(x, y, num_clients=3, alpha=0.5, seed=0)
    >>> [np.bincount(client.y, minlength=2).tolist() for client in clients]  # skewed classes
    [[0, 62], [0, 13], [167, 58]]
    """
    labels = class_labels(y, "split_dirichlet y")
    n = len(labels)
    _check_count(num_clients, n, "split_dirichlet")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha > 0:
        raise ValueError(f"split_dirichlet: alpha must be a positive number, got {alpha!r}")
    if not isinstance(min_size, numbers.Integral) or min_size < 0:
        raise ValueError(f"split_dirichlet: min_size must be an integer >= 0, got {min_size!r}")
    rng = np.random.default_rng(seed)
    for _ in range(max_tries):
        parts = [[] for _ in range(num_clients)]
        for c in np.unique(labels):
            rows = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(num_clients, float(alpha)))
            cuts = (np.cumsum(shares)[:-1] * len(rows)).astype(np.int64)
            for k, piece in enumerate(np.split(rows, cuts)):
                parts[k].append(piece)
        parts = [np.sort(np.concatenate(p)) for p in parts]
        if min(len(p) for p in parts) >= max(min_size, 1):
            return _clients(x, y, sample_weight, parts)
    raise ValueError(f"split_dirichlet: no draw in {max_tries} gave every one of {num_clients} "
                     f"clients at least {max(min_size, 1)} examples (alpha={alpha}, {n} examples); "
                     f"raise alpha, lower min_size or use fewer clients")
