"""Server strategies: FedAvg (McMahan et al. 2017), FedProx (Li et al. 2020) and
server-side DP with fixed clipping (McMahan et al. 2018; the wrapper Flower
calls DifferentialPrivacyServerSideFixedClipping).

A strategy picks the clients of a round and turns their results — a list of
(weights, num_examples) — into the next global weights. Weights are lists of
NumPy arrays in `model.get_weights()` order."""
import numbers

import numpy as np


def aggregate(results):
    """Σ n_k·w_k / Σ n_k for every weight array (Flower's FedAvg rule), in
    float64 so that a single client gets its weights back bit for bit."""
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
    """Σ n_k·v_k / Σ n_k (how client losses and metrics are combined)."""
    counts = np.asarray(counts, np.float64)
    return float(np.dot(np.asarray(values, np.float64), counts) / counts.sum())


class FedAvg:
    """Federated averaging. Each round a fraction of the clients (at least
    min_fit_clients) trains local_epochs epochs with batch_size from the global
    weights; the server averages their weights by number of examples."""

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
        """Flower's rule: max(int(fraction_fit·available), min_fit_clients), at
        most the clients there are."""
        return min(num_available, max(int(num_available * self.fraction_fit), self.min_fit_clients))

    def configure_fit(self, num_available, rng):
        """Indices of this round's clients (sampled without replacement)."""
        m = self.num_fit_clients(num_available)
        if m == num_available:
            return list(range(num_available))
        return sorted(int(i) for i in rng.choice(num_available, size=m, replace=False))

    def aggregate_fit(self, results, current, rng):
        return aggregate(results)

    def __repr__(self):
        return (f"{type(self).__name__}(local_epochs={self.local_epochs}, batch_size="
                f"{self.batch_size}, fraction_fit={self.fraction_fit})")


class FedProx(FedAvg):
    """FedAvg whose clients minimise loss + μ/2·‖w − w_global‖² over their
    trainable weights, which adds μ(w − w_global) to every local gradient and
    keeps heterogeneous clients near the global model. μ = 0 trains exactly as
    FedAvg."""

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
    """current + (weights − current)·min(1, C/‖weights − current‖), the norm
    taken over all arrays together (Flower's FlatClip)."""
    update = [np.asarray(w, np.float64) - np.asarray(c, np.float64) for w, c in zip(weights, current)]
    norm = _norm(update)
    scale = min(1.0, clipping_norm / norm) if norm > 0 else 1.0
    return [(np.asarray(c, np.float64) + u * scale).astype(np.float32)
            for c, u in zip(current, update)]


class DifferentialPrivacyServerSideFixedClipping:
    """Central DP around another strategy: each client's update w_k − w_global
    is clipped to L2 norm clipping_norm (over all weight arrays), the wrapped
    strategy aggregates the clipped weights, and Gaussian noise of standard
    deviation noise_multiplier·clipping_norm / m (m = clients this round) is
    added to every aggregated coordinate. The noise matches the sensitivity of
    an unweighted mean of m clipped updates: with clients of unequal size the
    weighted FedAvg mean gives the largest client more influence than that
    (Flower does the same); split the data evenly for the textbook guarantee."""

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
        return self.noise_multiplier * self.clipping_norm / num_sampled

    def configure_fit(self, num_available, rng):
        return self.strategy.configure_fit(num_available, rng)

    def aggregate_fit(self, results, current, rng):
        clipped = [(clip_update(w, current, self.clipping_norm), n) for w, n in results]
        out = self.strategy.aggregate_fit(clipped, current, rng)
        std = self.last_noise_std = self.noise_std(len(results))
        if std > 0:
            out = [(a + rng.normal(0.0, std, np.shape(a))).astype(np.float32) for a in out]
        return out

    def __repr__(self):
        return (f"DifferentialPrivacyServerSideFixedClipping({self.strategy!r}, noise_multiplier="
                f"{self.noise_multiplier}, clipping_norm={self.clipping_norm})")
