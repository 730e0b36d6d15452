"""Federated training of K simulated clients in one process.

The clients' code is the plain pynn model API: for every client of a round the
model gets the global weights (`set_weights`), a fresh optimizer state (as a
client that builds its optimizer in `fit`, Flower's usual pattern), trains
(`fit`) on that client's data, and hands back `get_weights()`. One model object
serves every client in turn, so memory does not grow with K.
"""
import contextlib
import numbers

import numpy as np

from .. import ops
from .partition import Client
from .strategies import FedAvg, weighted_average


class FederatedHistory:
    """What `simulate` returns: one value per round for every logged quantity.

    ``history[key]``: ``train_<name>`` are the clients' last-epoch training logs
    averaged by their number of examples (for FedProx, train_loss includes the
    proximal term); ``test_<name>`` the global model evaluated on test_data after
    the round. ``rounds`` numbers the rounds, ``clients`` lists each round's
    clients, ``params`` the configuration.

    Parameters
    ----------
    params : dict
        The simulation's configuration (set by simulate).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(2, activation="softmax")])
    >>> model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    >>> history = pynn.federated.simulate(model, pynn.federated.split_iid(x, y, 3), rounds=2,
    ...                                   seed=0)
    >>> history.rounds, sorted(history.history)
    ([1, 2], ['train_loss'])
    """

    def __init__(self, params):
        self.history, self.rounds, self.clients, self.params = {}, [], [], params

    def _record(self, r, chosen, logs):
        self.rounds.append(r)
        self.clients.append(list(chosen))
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self):
        return f"<FederatedHistory {len(self.rounds)} rounds, keys {sorted(self.history)}>"


class _ProximalTerm:
    """μ/2·Σ(w − anchor)² as a weight regularizer: the engine differentiates it
    into the extra gradient μ(w − anchor). `anchor` is a float32 array the traced
    program reads in place, so moving it to each round's global weights needs no
    re-trace; any regularizer the weight already had is kept."""

    def __init__(self, mu, anchor, previous):
        self.mu, self.anchor, self.previous = mu, anchor, previous

    def __call__(self, w):
        term = ops.sum(ops.square(w - self.anchor)) * (0.5 * self.mu)
        return term if self.previous is None else term + self.previous(w)


@contextlib.contextmanager
def _proximal(model, mu):
    """Installs the FedProx term on the model's trainable weights for the
    duration (nothing when mu is None); yields the anchor arrays."""
    if mu is None:
        yield []
        return
    variables = model.trainable_weights
    saved = [v.regularizer for v in variables]
    anchors = [np.zeros(v.shape, np.float32) for v in variables]
    for v, a, prev in zip(variables, anchors, saved):
        v.regularizer = _ProximalTerm(mu, a, prev)
    model._programs = {}  # re-trace the loss with the term
    try:
        yield anchors
    finally:
        for v, prev in zip(variables, saved):
            v.regularizer = prev
        model._programs = {}


def _as_clients(clients):
    if not isinstance(clients, (list, tuple)) or not clients:
        raise ValueError("simulate: clients must be a non-empty list of Client objects or "
                         f"(x, y[, sample_weight]) tuples; got {type(clients).__name__}")
    out = []
    for k, c in enumerate(clients):
        if isinstance(c, Client):
            out.append(c)
        elif isinstance(c, (list, tuple)) and len(c) in (2, 3):
            out.append(Client(*c, name=f"client_{k}"))
        else:
            raise TypeError(f"simulate: client {k} must be a Client or an (x, y[, sample_weight]) "
                            f"tuple, got {type(c).__name__}")
    return out


def simulate(model, clients, rounds, strategy=None, test_data=None, seed=None, verbose=0,
             eval_batch_size=None):
    """Runs rounds of federated training of simulated clients in one process; returns a
    `FederatedHistory`.

    For every client of a round the model gets the global weights, a fresh
    optimizer state, trains (``fit``) on that client's data and hands back its
    weights; the strategy makes the next global weights. One model object serves
    every client in turn, so memory does not grow with the number of clients.

    Parameters
    ----------
    model : Model
        A compiled, built pynn model; its weights are the initial global weights,
        and it holds the final ones afterwards.
    clients : list of Client or tuple
        From `split_iid` / `split_dirichlet`, or ``(x, y[, w])`` tuples.
    rounds : int
        Number of rounds.
    strategy : FedAvg, FedProx or DP wrapper, optional
        The server strategy (default FedAvg()).
    test_data : tuple, optional
        ``(x, y)`` evaluated with the global model after each round.
    seed : int, optional
        Calls `pynn.set_seed` first and seeds the server's client sampling and
        DP noise: a seeded run is reproducible.
    verbose : int, default 0
        1 prints one line per round.
    eval_batch_size : int, optional
        Batch size of the test evaluation.

    Returns
    -------
    FederatedHistory

    Raises
    ------
    TypeError
        model is not a pynn Model, or strategy is not a FedAvg / FedProx / DP wrapper.
    ValueError
        An unbuilt model, a bad rounds, or test_data that is not a tuple.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(2, activation="softmax")])
    >>> model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
    ...               metrics=["accuracy"])
    >>> clients = pynn.federated.split_iid(x, y, num_clients=3)
    >>> history = pynn.federated.simulate(model, clients, rounds=3,
    ...                                   strategy=pynn.federated.FedAvg(),
    ...                                   test_data=(x, y), seed=0)
    >>> sorted(history.history)
    ['test_accuracy', 'test_loss', 'train_accuracy', 'train_loss']
    >>> history.history["test_accuracy"][-1] > 0.7
    True
    """
    import pynn
    strategy = FedAvg() if strategy is None else strategy
    if not hasattr(strategy, "aggregate_fit") or not hasattr(strategy, "configure_fit"):
        raise TypeError(f"simulate: strategy must be a FedAvg, FedProx or DP wrapper, got "
                        f"{type(strategy).__name__}")
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise ValueError(f"simulate: rounds must be a positive integer, got {rounds!r}")
    if not isinstance(model, pynn.Model):
        raise TypeError(f"simulate: model must be a pynn Model, got {type(model).__name__}")
    model._require_compiled("simulate")
    clients = _as_clients(clients)
    if test_data is not None and (not isinstance(test_data, (list, tuple)) or len(test_data) != 2):
        raise ValueError("simulate: test_data must be a tuple (x_test, y_test)")
    if seed is not None:
        pynn.set_seed(seed)
    rng = np.random.default_rng(seed)

    global_w = model.get_weights()  # raises if the model is not built
    model._build_optimizer()
    fresh_optimizer = model.optimizer.get_state()
    history = FederatedHistory({"rounds": int(rounds), "num_clients": len(clients),
                                "strategy": repr(strategy)})
    with _proximal(model, strategy.proximal_mu) as anchors:
        for r in range(1, rounds + 1):
            for a, w in zip(anchors, model.trainable_weights):
                a[...] = w  # the proximal term pulls towards this round's global weights
            chosen = strategy.configure_fit(len(clients), rng)
            results, client_logs = [], []
            for k in chosen:
                c = clients[k]
                model.set_weights(global_w)
                model.optimizer.set_state(fresh_optimizer)
                h = model.fit(c.x, c.y, sample_weight=c.sample_weight, epochs=strategy.local_epochs,
                              batch_size=strategy.batch_size, shuffle=strategy.shuffle, verbose=0)
                results.append((model.get_weights(), c.num_examples))
                client_logs.append({key: v[-1] for key, v in h.history.items()})
            global_w = strategy.aggregate_fit(results, global_w, rng)
            model.set_weights(global_w)
            for a, w in zip(anchors, model.trainable_weights):
                a[...] = w  # so the proximal term is exactly zero when the server evaluates
            counts = [n for _, n in results]
            logs = {"train_" + key: weighted_average([cl[key] for cl in client_logs], counts)
                    for key in client_logs[0] if np.ndim(client_logs[0][key]) == 0}
            if test_data is not None:
                test = model.evaluate(test_data[0], test_data[1], batch_size=eval_batch_size,
                                      verbose=0, return_dict=True)
                logs.update({"test_" + key: v for key, v in test.items()})
            history._record(r, chosen, logs)
            if verbose:
                shown = " - ".join(f"{k}: {v:.4f}" for k, v in sorted(logs.items())
                                   if np.ndim(v) == 0)
                print(f"Round {r}/{rounds} - {len(chosen)} clients - {shown}", flush=True)
    return history
