"""Federated learning over Flower (flwr): pynn models as real Flower clients and servers.

``pip install pynn[flower]`` (or ``pip install flwr``). flwr is imported only
when a client or server is made.

Server (one process)::

    model = make_model()                      # compiled, built: its weights start round 1
    weights, history = pynn.federated.flower.start_server(
        model, strategy=pynn.federated.FedAvg(local_epochs=1), num_clients=2, rounds=3,
        address="127.0.0.1:8080")

Client (one process per data owner)::

    pynn.federated.flower.start_client(make_model(), x_local, y_local, "127.0.0.1:8080",
                                       partition_id=0)

The clients do what `pynn.federated.simulate` does for each simulated client
(global weights in, a fresh optimizer state, ``fit`` on the local data,
weights out; the FedProx term when the strategy has one; DP-SGD when the
model's optimizer is `pynn.privacy.DPSGD`, with the epsilon in the returned
metrics), and the server aggregates with the same pynn strategy object (FedAvg,
FedProx, and `DifferentialPrivacyServerSideFixedClipping` around either), so a
Flower run with unshuffled local data gives the simulation's weights.

This uses Flower's original gRPC API (``flwr.server.start_server`` /
``flwr.client.start_client``), which flwr 1.x still ships but marks deprecated
in favour of its SuperLink / ServerApp deployment; the `PynnClient` and
`pynn_strategy` objects plug into a ``ClientApp`` / ``ServerApp`` just as well
(``client_fn`` returning ``PynnClient(...).to_client()``).
"""
import numbers

import numpy as np

from .simulation import _proximal
from .strategies import FedAvg, weighted_average

__all__ = ["PynnClient", "pynn_strategy", "start_server", "start_client"]

_MISSING = ("pynn.federated.flower needs Flower: pip install flwr (or pip install pynn[flower])")


def _flwr():
    try:
        import flwr  # noqa: F401
        import flwr.client
        import flwr.common
        import flwr.server
        import flwr.server.strategy
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return flwr


_CLASSES = {}


def _client_base():
    return _flwr().client.NumPyClient


def _check_model(model, what):
    import pynn
    if not isinstance(model, pynn.Model):
        raise TypeError(f"{what}: model must be a compiled pynn Model, got {type(model).__name__}")
    model._require_compiled(what)
    model.get_weights()  # raises a clear error for an unbuilt model


class _PynnClientMixin:
    """The numerics of the client; `PynnClient` adds flwr's NumPyClient base."""

    def __init__(self, model, x, y, sample_weight=None, epochs=1, batch_size=32, shuffle=True,
                 validation_data=None, partition_id=None):
        _check_model(model, "PynnClient")
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(f"PynnClient: x and y must be non-empty and of the same length, got "
                             f"{len(x)} and {len(y)}")
        for arg, v in (("epochs", epochs), ("batch_size", batch_size)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"PynnClient: {arg} must be a positive integer, got {v!r}")
        if validation_data is not None and (not isinstance(validation_data, (tuple, list))
                                            or len(validation_data) != 2):
            raise ValueError("PynnClient: validation_data must be a tuple (x_val, y_val)")
        self.model, self.x, self.y, self.sample_weight = model, x, y, sample_weight
        self.epochs, self.batch_size, self.shuffle = int(epochs), int(batch_size), bool(shuffle)
        self.validation_data, self.partition_id = validation_data, partition_id
        model._build_optimizer()
        # every round starts from a fresh optimizer, as simulate's clients do
        self._fresh_optimizer = model.optimizer.get_state()

    def _set(self, parameters):
        weights = self.model.get_weights()
        if len(parameters) != len(weights):
            raise ValueError(f"PynnClient: the server sent {len(parameters)} arrays, the model has "
                             f"{len(weights)} weights (is it the same architecture?)")
        for i, (p, w) in enumerate(zip(parameters, weights)):
            if np.shape(p) != w.shape:
                raise ValueError(f"PynnClient: server array {i} has shape {np.shape(p)}, the model's "
                                 f"weight {i} has shape {w.shape}")
        self.model.set_weights([np.asarray(p, np.float32) for p in parameters])

    def get_parameters(self, config):
        """Returns the model's weights (``get_weights()`` order)."""
        return self.model.get_weights()

    def fit(self, parameters, config):
        """Trains on the local data from the server's weights; returns ``(weights,
        num_examples, metrics)``. ``config`` may set local_epochs, batch_size,
        shuffle and proximal_mu (the server helper sends them)."""
        self._set(parameters)
        self.model.optimizer.set_state(self._fresh_optimizer)
        mu = config.get("proximal_mu")
        mu = None if mu is None or float(mu) < 0 else float(mu)
        with _proximal(self.model, mu) as anchors:
            for a, w in zip(anchors, self.model.trainable_weights):
                a[...] = w
            h = self.model.fit(self.x, self.y, sample_weight=self.sample_weight,
                               epochs=int(config.get("local_epochs", self.epochs)),
                               batch_size=int(config.get("batch_size", self.batch_size)),
                               shuffle=bool(config.get("shuffle", self.shuffle)), verbose=0)
        metrics = {k: float(v[-1]) for k, v in h.history.items() if np.ndim(v[-1]) == 0}
        if self.partition_id is not None:
            metrics["partition_id"] = int(self.partition_id)
        return self.model.get_weights(), len(self.x), metrics

    def evaluate(self, parameters, config):
        """Evaluates the server's weights on the validation data (else the local
        training data); returns ``(loss, num_examples, metrics)``."""
        self._set(parameters)
        x, y = self.validation_data if self.validation_data is not None else (self.x, self.y)
        logs = self.model.evaluate(x, y, verbose=0, return_dict=True)
        loss = float(logs.pop("loss"))
        return loss, len(x), {k: float(v) for k, v in logs.items() if np.ndim(v) == 0}


def _client_class():
    if "client" not in _CLASSES:
        class PynnClient(_PynnClientMixin, _client_base()):
            __doc__ = _CLIENT_DOC
        PynnClient.__module__ = __name__
        _CLASSES["client"] = PynnClient
    return _CLASSES["client"]


_CLIENT_DOC = """A Flower ``NumPyClient`` around a compiled pynn model and its local data.

    Parameters
    ----------
    model : Model
        A compiled, built pynn model (DPSGD optimizer: local DP-SGD).
    x, y : array_like
        The local training data.
    sample_weight : array_like, optional
        Per-example weights.
    epochs, batch_size : int
        Local training when the server's config does not set them.
    shuffle : bool, default True
        Shuffle every local epoch.
    validation_data : tuple, optional
        ``(x, y)`` for ``evaluate`` (default: the training data).
    partition_id : int, optional
        Sent back in the fit metrics; the pynn server orders results by it.
    """


def __getattr__(name):
    if name == "PynnClient":
        return _client_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _strategy_class():
    if "strategy" in _CLASSES:
        return _CLASSES["strategy"]
    fl = _flwr()

    class PynnStrategy(fl.server.strategy.FedAvg):
        """Flower's FedAvg plumbing (client sampling, configs) with a pynn
        strategy's aggregation (FedAvg / FedProx / server-side DP)."""

        def __init__(self, pynn_strategy, initial_weights, num_clients, seed, evaluate):
            self.pynn_strategy = pynn_strategy
            m = pynn_strategy.num_fit_clients(num_clients)
            super().__init__(fraction_fit=pynn_strategy.fraction_fit, min_fit_clients=m,
                             min_available_clients=num_clients,
                             fraction_evaluate=1.0 if evaluate else 0.0,
                             min_evaluate_clients=num_clients if evaluate else 0,
                             on_fit_config_fn=self._fit_config,
                             initial_parameters=fl.common.ndarrays_to_parameters(initial_weights))
            self.global_weights = [np.asarray(w, np.float32) for w in initial_weights]
            self.rng = np.random.default_rng(seed)
            self.train_metrics = []

        def _fit_config(self, server_round):
            s = self.pynn_strategy
            mu = s.proximal_mu
            return {"local_epochs": s.local_epochs, "batch_size": s.batch_size,
                    "shuffle": s.shuffle, "proximal_mu": -1.0 if mu is None else float(mu)}

        def aggregate_fit(self, server_round, results, failures):
            if not results:
                return None, {}
            if failures and not self.accept_failures:
                return None, {}
            # a fixed order (by partition id when clients give one) makes the
            # float summation, hence the result, independent of arrival order
            res = sorted(((r.metrics.get("partition_id", i), fl.common.parameters_to_ndarrays(
                r.parameters), r.num_examples, r.metrics) for i, (_, r) in enumerate(results)),
                key=lambda t: t[0])
            new = self.pynn_strategy.aggregate_fit([(w, n) for _, w, n, _ in res],
                                                   self.global_weights, self.rng)
            self.global_weights = new
            counts = [n for _, _, n, _ in res]
            keys = [k for k in res[0][3] if k != "partition_id"
                    and all(k in m for _, _, _, m in res)]
            metrics = {k: weighted_average([m[k] for _, _, _, m in res], counts) for k in keys}
            self.train_metrics.append(metrics)
            return fl.common.ndarrays_to_parameters(new), metrics

    _CLASSES["strategy"] = PynnStrategy
    return PynnStrategy


def pynn_strategy(model, strategy=None, num_clients=2, seed=None, evaluate=False):
    """Returns a Flower strategy that aggregates with a pynn strategy.

    Flower samples the clients and sends each the round's config (local_epochs,
    batch_size, shuffle, proximal_mu from the pynn strategy); the pynn strategy
    (FedAvg, FedProx, or DifferentialPrivacyServerSideFixedClipping around
    either) turns the results into the next global weights.
    ``.global_weights`` holds them after every round, ``.train_metrics`` the
    clients' weighted training logs.

    Parameters
    ----------
    model : Model
        A compiled, built pynn model; its weights start round 1.
    strategy : FedAvg, FedProx or DifferentialPrivacyServerSideFixedClipping, optional
        Default FedAvg().
    num_clients : int, default 2
        Clients the server waits for before a round.
    seed : int, optional
        Seeds the server-side DP noise.
    evaluate : bool, default False
        Ask every client to evaluate the global weights after each round.

    Returns
    -------
    flwr.server.strategy.FedAvg subclass instance

    Raises
    ------
    ImportError
        flwr is not installed.
    TypeError
        Not a pynn model or strategy.
    """
    _check_model(model, "pynn_strategy")
    strategy = FedAvg() if strategy is None else strategy
    if not hasattr(strategy, "aggregate_fit") or not hasattr(strategy, "num_fit_clients"):
        raise TypeError(f"pynn_strategy: strategy must be a pynn FedAvg, FedProx or DP wrapper, got "
                        f"{type(strategy).__name__}")
    if isinstance(num_clients, bool) or not isinstance(num_clients, numbers.Integral) \
            or num_clients < 1:
        raise ValueError(f"pynn_strategy: num_clients must be a positive integer, got {num_clients!r}")
    return _strategy_class()(strategy, model.get_weights(), int(num_clients), seed, bool(evaluate))


def start_server(model, strategy=None, num_clients=2, rounds=3, address="127.0.0.1:8080", seed=None,
                 evaluate=False, round_timeout=None):
    """Runs a Flower server for ``rounds`` rounds; returns ``(weights, history)``.

    Blocks until the rounds are done (the server waits for ``num_clients``
    clients). The model ends holding the final global weights.

    Parameters
    ----------
    model : Model
        A compiled, built pynn model; its weights start round 1.
    strategy : pynn strategy, optional
        FedAvg (default), FedProx, or the server-side DP wrapper.
    num_clients : int, default 2
        Clients to wait for.
    rounds : int, default 3
        Federated rounds.
    address : str, default "127.0.0.1:8080"
        Where to listen (keep it on localhost unless you add TLS).
    seed : int, optional
        Seeds the server-side DP noise.
    evaluate : bool, default False
        Federated evaluation after each round.
    round_timeout : float, optional
        Seconds a round may take (Flower's ServerConfig).

    Returns
    -------
    weights : list of numpy.ndarray
    history : flwr.server.History

    Raises
    ------
    ImportError
        flwr is not installed.
    ValueError
        A bad rounds.
    """
    fl = _flwr()
    if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral) or rounds < 1:
        raise ValueError(f"start_server: rounds must be a positive integer, got {rounds!r}")
    strat = pynn_strategy(model, strategy, num_clients, seed, evaluate)
    history = fl.server.start_server(
        server_address=address, strategy=strat,
        config=fl.server.ServerConfig(num_rounds=int(rounds), round_timeout=round_timeout))
    model.set_weights(strat.global_weights)
    return strat.global_weights, history


def start_client(model, x, y, address="127.0.0.1:8080", **kwargs):
    """Connects a `PynnClient` to a Flower server and serves it until the server ends.

    Parameters
    ----------
    model : Model
        A compiled, built pynn model of the server's architecture.
    x, y : array_like
        The local data.
    address : str, default "127.0.0.1:8080"
        The server.
    **kwargs
        PynnClient's arguments (sample_weight, epochs, batch_size, shuffle,
        validation_data, partition_id).

    Raises
    ------
    ImportError
        flwr is not installed.
    """
    fl = _flwr()
    client = _client_class()(model, x, y, **kwargs)
    fl.client.start_client(server_address=address, client=client.to_client(), insecure=True)


def main(argv=None):
    """The command line: a Flower server or client for a saved, compiled pynn model.

        python -m pynn.federated.flower server --model model.keras --clients 2 --rounds 3 --out final.keras
        python -m pynn.federated.flower client --model model.keras --data part0.npz --partition 0

    ``--data`` is an .npz with arrays ``x`` and ``y``. Every process loads the same
    model file: the server's copy gives the initial weights, the clients' copies
    their architecture, optimizer and loss (a DPSGD optimizer trains privately).
    """
    import argparse

    import pynn
    parser = argparse.ArgumentParser(prog="python -m pynn.federated.flower",
                                     description="Flower server or client for a pynn model")
    sub = parser.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server", help="run the Flower server")
    s.add_argument("--model", required=True, help="a saved, compiled pynn model (.keras)")
    s.add_argument("--address", default="127.0.0.1:8080")
    s.add_argument("--clients", type=int, default=2, help="clients to wait for")
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--local-epochs", type=int, default=1)
    s.add_argument("--batch-size", type=int, default=32)
    s.add_argument("--no-shuffle", action="store_true", help="clients train on unshuffled data")
    s.add_argument("--proximal-mu", type=float, default=None, help="FedProx's mu (default: FedAvg)")
    s.add_argument("--dp-noise-multiplier", type=float, default=None,
                   help="server-side DP: noise multiplier (needs --dp-clipping-norm)")
    s.add_argument("--dp-clipping-norm", type=float, default=None)
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--out", default=None, help="save the final global model here (.keras)")
    c = sub.add_parser("client", help="run one Flower client")
    c.add_argument("--model", required=True, help="the same saved, compiled pynn model (.keras)")
    c.add_argument("--data", required=True, help="an .npz with arrays x and y (the local data)")
    c.add_argument("--address", default="127.0.0.1:8080")
    c.add_argument("--partition", type=int, default=None, help="this client's id")
    args = parser.parse_args(argv)
    model = pynn.load_model(args.model)
    if args.role == "server":
        kw = dict(local_epochs=args.local_epochs, batch_size=args.batch_size,
                  shuffle=not args.no_shuffle)
        from .strategies import DifferentialPrivacyServerSideFixedClipping, FedProx
        strategy = FedProx(args.proximal_mu, **kw) if args.proximal_mu is not None else FedAvg(**kw)
        if (args.dp_noise_multiplier is None) != (args.dp_clipping_norm is None):
            parser.error("server-side DP needs both --dp-noise-multiplier and --dp-clipping-norm")
        if args.dp_noise_multiplier is not None:
            strategy = DifferentialPrivacyServerSideFixedClipping(
                strategy, noise_multiplier=args.dp_noise_multiplier, clipping_norm=args.dp_clipping_norm)
        start_server(model, strategy, num_clients=args.clients, rounds=args.rounds,
                     address=args.address, seed=args.seed)
        if args.out:
            model.save(args.out)
    else:
        with np.load(args.data, allow_pickle=False) as f:
            if "x" not in f.files or "y" not in f.files:
                parser.error(f"--data {args.data} must hold arrays named x and y, has {f.files}")
            x, y = f["x"], f["y"]
        start_client(model, x, y, args.address, partition_id=args.partition)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
