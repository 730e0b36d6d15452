"""Server strategies: FedAvg (McMahan et al. 2017), FedProx (Li et al. 2020) and
server-side DP with fixed clipping (McMahan et al. 2018; the wrapper Flower
calls DifferentialPrivacyServerSideFixedClipping).

A strategy picks the clients of a round and turns their results — a list of
(weights, num_examples) — into the next global weights. Weights are lists of
NumPy arrays in `model.get_weights()` order."""
import numbers

import numpy as np


def aggregate(results):
    """Averages client weights by their number of examples: Flower's FedAvg rule.

    ``sum(n_k * w_k) / sum(n_k)`` for every weight array, in float64, so a single
    client gets its weights back bit for bit.

    Parameters
    ----------
    results : list of (list of array, int)
        ``(weights, num_examples)`` per client, weights in ``get_weights()`` order.

    Returns
    -------
    list of numpy.ndarray
        float32 arrays.

    Raises
    ------
    ValueError
        No results, a non-positive count, or weights that do not match.

    Examples
    --------
    >>> a = [np.array([1.0, 1.0], np.float32)]
    >>> b = [np.array([4.0, 4.0], np.float32)]
    >>> pynn.federated.aggregate([(a, 1), (b, 2)])
    [array([3., 3.], dtype=float32)]
    """
    results = list(results)
    if not results:
        raise ValueError("aggregate: no client results to average")
    total = 0
    for i, (weights, n) in enumerate(results):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"aggregate: result {i} has num_examples={n!r}; expected a positive int")
        if len(weights) != len(results[0][0]):
            raise ValueError(f"aggregate: result {i} has {len(weights)} weight arrays, result 0 has "
                             f"{len(results[0][0])}")
        total += int(n)
    out = []
    for j in range(len(results[0][0])):
        shape = np.shape(results[0][0][j])
        acc = np.zeros(shape, np.float64)
        for i, (weights, n) in enumerate(results):
            if np.shape(weights[j]) != shape:
                raise ValueError(f"aggregate: weight {j} of result {i} has shape "
                                 f"{np.shape(weights[j])}, result 0 has {shape}")
            acc += np.asarray(weights[j], np.float64) * int(n)
        out.append((acc / total).astype(np.float32))
    return out


def weighted_average(values, counts):
    """Returns ``sum(n_k * v_k) / sum(n_k)`` (how client losses and metrics are combined).

    Parameters
    ----------
    values : sequence of float
        One value per client.
    counts : sequence of int
        The clients' numbers of examples.

    Returns
    -------
    float

    Examples
    --------
    >>> pynn.federated.weighted_average([0.5, 1.0], [1, 3])
    0.875
    """
    counts = np.asarray(counts, np.float64)
    return float(np.dot(np.asarray(values, np.float64), counts) / counts.sum())


class FedAvg:
    """Federated averaging (McMahan et al., 2017): the server averages the clients' trained weights.

    Each round a fraction of the clients (at least ``min_fit_clients``) trains
    ``local_epochs`` epochs from the global weights; the server averages their
    weights by number of examples (`aggregate`).

    Parameters
    ----------
    local_epochs : int, default 1
        Epochs each client trains per round.
    batch_size : int, default 32
        The clients' batch size.
    fraction_fit : float, default 1.0
        Fraction of the clients sampled per round, in (0, 1].
    min_fit_clients : int, default 1
        The fewest clients per round.
    shuffle : bool, default True
        Shuffle each client's data every epoch.

    Raises
    ------
    ValueError
        A value out of range.

    Examples
    --------
    >>> strategy = pynn.federated.FedAvg(fraction_fit=0.5, min_fit_clients=2)
    >>> strategy
    FedAvg(local_epochs=1, batch_size=32, fraction_fit=0.5)
    >>> strategy.num_fit_clients(10)
    5
    """

    proximal_mu = None  # FedProx sets it; None: no proximal term in local training

    def __init__(self, local_epochs=1, batch_size=32, fraction_fit=1.0, min_fit_clients=1,
                 shuffle=True):
        name = type(self).__name__
        for arg, v in (("local_epochs", local_epochs), ("batch_size", batch_size),
                       ("min_fit_clients", min_fit_clients)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name}: {arg} must be a positive integer, got {v!r}")
        if isinstance(fraction_fit, bool) or not isinstance(fraction_fit, numbers.Real) \
                or not 0 < fraction_fit <= 1:
            raise ValueError(f"{name}: fraction_fit must be in (0, 1], got {fraction_fit!r}")
        self.local_epochs, self.batch_size = int(local_epochs), int(batch_size)
        self.fraction_fit, self.min_fit_clients = float(fraction_fit), int(min_fit_clients)
        self.shuffle = bool(shuffle)

    def num_fit_clients(self, num_available):
        """Returns how many clients train in a round: Flower's
        ``max(int(fraction_fit * available), min_fit_clients)``, at most all.

        Parameters
        ----------
        num_available : int
            The number of clients.

        Returns
        -------
        int

        Examples
        --------
        >>> strategy = pynn.federated.FedAvg(fraction_fit=0.5, min_fit_clients=2)
        >>> strategy.num_fit_clients(3)  # min_fit_clients wins
        2
        """
        return min(num_available, max(int(num_available * self.fraction_fit), self.min_fit_clients))

    def configure_fit(self, num_available, rng):
        """Returns the indices of this round's clients, sampled without replacement.

        Parameters
        ----------
        num_available : int
            The number of clients.
        rng : numpy.random.Generator
            The server's generator.

        Returns
        -------
        list of int

        Examples
        --------
        >>> strategy = pynn.federated.FedAvg(fraction_fit=0.5, min_fit_clients=2)
        >>> strategy.configure_fit(10, np.random.default_rng(0))
        [2, 3, 4, 5, 7]
        """
        m = self.num_fit_clients(num_available)
        if m == num_available:
            return list(range(num_available))
        return sorted(int(i) for i in rng.choice(num_available, size=m, replace=False))

    def aggregate_fit(self, results, current, rng):
        """Returns the next global weights from the round's results (`aggregate`).

        Parameters
        ----------
        results : list of (weights, int)
            ``(weights, num_examples)`` per client.
        current : list of array
            The global weights of the round (unused by FedAvg).
        rng : numpy.random.Generator
            The server's generator (unused by FedAvg).

        Returns
        -------
        list of numpy.ndarray

        Examples
        --------
        >>> results = [([np.ones(2)], 1), ([np.zeros(2)], 3)]
        >>> pynn.federated.FedAvg().aggregate_fit(results, None, None)
        [array([0.25, 0.25], dtype=float32)]
        """
        return aggregate(results)

    def __repr__(self):
        return (f"{type(self).__name__}(local_epochs={self.local_epochs}, batch_size="
                f"{self.batch_size}, fraction_fit={self.fraction_fit})")


class FedProx(FedAvg):
    """FedProx (Li et al., 2020): FedAvg whose clients stay near the global model.

    Clients minimise ``loss + mu / 2 * ||w - w_global||**2`` over their trainable
    weights (the engine adds ``mu * (w - w_global)`` to each gradient), which
    steadies training on heterogeneous clients; ``mu = 0`` is FedAvg.

    Parameters
    ----------
    proximal_mu : float
        mu (>= 0).
    **kwargs
        FedAvg's arguments (local_epochs, batch_size, ...).

    Raises
    ------
    ValueError
        A negative or non-finite mu.

    Examples
    --------
    >>> pynn.federated.FedProx(proximal_mu=0.1, local_epochs=2)
    FedProx(local_epochs=2, batch_size=32, fraction_fit=1.0, proximal_mu=0.1)
    """

    def __init__(self, proximal_mu, **kwargs):
        if isinstance(proximal_mu, bool) or not isinstance(proximal_mu, numbers.Real) \
                or not np.isfinite(proximal_mu) or proximal_mu < 0:
            raise ValueError(f"FedProx: proximal_mu must be a finite number >= 0, got {proximal_mu!r}")
        super().__init__(**kwargs)
        self.proximal_mu = float(proximal_mu)

    def __repr__(self):
        return super().__repr__()[:-1] + f", proximal_mu={self.proximal_mu})"


def _norm(arrays):
    return float(np.sqrt(sum(float(np.sum(np.square(np.asarray(a, np.float64)))) for a in arrays)))


def clip_update(weights, current, clipping_norm):
    """Clips a client's update to an L2 norm over all arrays together (Flower's FlatClip).

    Returns ``current + (weights - current) * min(1, C / ||weights - current||)``.

    Parameters
    ----------
    weights : list of array
        The client's new weights.
    current : list of array
        The global weights it started from.
    clipping_norm : float
        C, the largest update norm.

    Returns
    -------
    list of numpy.ndarray

    Examples
    --------
    >>> pynn.federated.clip_update([np.array([3.0, 4.0])], [np.zeros(2)], clipping_norm=1.0)
    [array([0.6, 0.8], dtype=float32)]
    """
    update = [np.asarray(w, np.float64) - np.asarray(c, np.float64) for w, c in zip(weights, current)]
    norm = _norm(update)
    scale = min(1.0, clipping_norm / norm) if norm > 0 else 1.0
    return [(np.asarray(c, np.float64) + u * scale).astype(np.float32)
            for c, u in zip(current, update)]


class DifferentialPrivacyServerSideFixedClipping:
    """Central differential privacy around another strategy (McMahan et al., 2018), as Flower's
    wrapper.

    Each client's update is clipped to L2 norm ``clipping_norm``, the wrapped
    strategy aggregates the clipped weights, and Gaussian noise of std
    ``noise_multiplier * clipping_norm / m`` (m clients this round) is added to
    every aggregated value. The noise matches the sensitivity of an unweighted
    mean of m clipped updates; with clients of unequal size the weighted mean
    gives the largest more influence (Flower does the same), so split the data
    evenly for the textbook guarantee.

    Parameters
    ----------
    strategy : FedAvg
        The strategy to wrap (FedAvg or FedProx).
    noise_multiplier : float
        Noise std over the clipping norm (>= 0).
    clipping_norm : float
        The largest update norm (> 0).

    Raises
    ------
    TypeError
        strategy is not a FedAvg.
    ValueError
        A value out of range.

    Examples
    --------
    >>> dp = pynn.federated.DifferentialPrivacyServerSideFixedClipping(
    ...     pynn.federated.FedAvg(local_epochs=2), noise_multiplier=1.0, clipping_norm=0.5)
    >>> dp.noise_std(5), dp.local_epochs  # the wrapped strategy's settings show through
    (0.1, 2)
    """

    def __init__(self, strategy, noise_multiplier, clipping_norm):
        if not isinstance(strategy, FedAvg):
            raise TypeError(f"DifferentialPrivacyServerSideFixedClipping wraps a FedAvg / FedProx "
                            f"strategy, got {type(strategy).__name__}")
        for arg, v, low in (("noise_multiplier", noise_multiplier, 0), ("clipping_norm", clipping_norm, None)):
            bad = isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v)
            if bad or (v < 0 if low == 0 else v <= 0):
                raise ValueError(f"DifferentialPrivacyServerSideFixedClipping: {arg} must be a "
                                 f"finite number {'>= 0' if low == 0 else '> 0'}, got {v!r}")
        self.strategy = strategy
        self.noise_multiplier, self.clipping_norm = float(noise_multiplier), float(clipping_norm)
        self.last_noise_std = None

    def __getattr__(self, name):  # local_epochs, batch_size, proximal_mu, ... of the wrapped one
        if name == "strategy":
            raise AttributeError(name)
        return getattr(self.strategy, name)

    def noise_std(self, num_sampled):
        """Returns the std of the noise added in a round with ``num_sampled`` clients.

        Parameters
        ----------
        num_sampled : int
            Clients in the round.

        Returns
        -------
        float

        Examples
        --------
        >>> dp = pynn.federated.DifferentialPrivacyServerSideFixedClipping(
        ...     pynn.federated.FedAvg(), noise_multiplier=0.0, clipping_norm=1.0)
        >>> dp.noise_std(4)
        0.0
        """
        return self.noise_multiplier * self.clipping_norm / num_sampled

    def configure_fit(self, num_available, rng):
        """Returns this round's clients, as the wrapped strategy chooses them.

        Parameters
        ----------
        num_available : int
            The number of clients.
        rng : numpy.random.Generator
            The server's generator.

        Returns
        -------
        list of int

        Examples
        --------
        >>> dp = pynn.federated.DifferentialPrivacyServerSideFixedClipping(
        ...     pynn.federated.FedAvg(), noise_multiplier=0.0, clipping_norm=1.0)
        >>> dp.configure_fit(3, np.random.default_rng(0))
        [0, 1, 2]
        """
        return self.strategy.configure_fit(num_available, rng)

    def aggregate_fit(self, results, current, rng):
        """Clips every update, aggregates with the wrapped strategy and adds the noise.

        Parameters
        ----------
        results : list of (weights, int)
            ``(weights, num_examples)`` per client.
        current : list of array
            The round's global weights (the updates are taken from them).
        rng : numpy.random.Generator
            Draws the noise.

        Returns
        -------
        list of numpy.ndarray

        Examples
        --------
        >>> dp = pynn.federated.DifferentialPrivacyServerSideFixedClipping(
        ...     pynn.federated.FedAvg(), noise_multiplier=0.0, clipping_norm=1.0)
        >>> results = [([np.array([3.0, 4.0])], 1)]  # an update of norm 5, clipped to 1
        >>> dp.aggregate_fit(results, [np.zeros(2)], np.random.default_rng(0))
        [array([0.6, 0.8], dtype=float32)]
        """
        clipped = [(clip_update(w, current, self.clipping_norm), n) for w, n in results]
        out = self.strategy.aggregate_fit(clipped, current, rng)
        std = self.last_noise_std = self.noise_std(len(results))
        if std > 0:
            out = [(a + rng.normal(0.0, std, np.shape(a))).astype(np.float32) for a in out]
        return out

    def __repr__(self):
        return (f"DifferentialPrivacyServerSideFixedClipping({self.strategy!r}, noise_multiplier="
                f"{self.noise_multiplier}, clipping_norm={self.clipping_norm})")
