"""Client data for a federated simulation: IID splits and Dirichlet(alpha)
label-skewed splits (Hsu et al. 2019, as Flower Datasets' DirichletPartitioner
without its self-balancing step), both seeded."""
import numbers

import numpy as np


class Client:
    """One participant: its own examples (x, y, optional sample_weight), the
    row indices they were cut from (None when given directly) and a name."""

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
    """Shuffles the rows (seeded) and deals them into num_clients clients whose
    sizes differ by at most one. Returns a list of Client."""
    n = _num_rows(y, "split_iid y")
    _check_count(num_clients, n, "split_iid")
    perm = np.random.default_rng(seed).permutation(n)
    return _clients(x, y, sample_weight, [np.sort(p) for p in np.array_split(perm, num_clients)])


def class_labels(y, what="y"):
    """Integer class labels from sparse labels (n,) / (n, 1) or one-hot rows (n, K)."""
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
    """Label-skewed split: for every class c, the share of c's examples each
    client gets is drawn from Dirichlet(alpha, ..., alpha) (small alpha: each
    client sees few classes; large alpha: close to IID). The draw is repeated
    until every client has at least min_size examples (ValueError after
    max_tries). Returns a list of Client."""
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
