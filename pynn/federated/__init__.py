"""Federated learning simulated in one process (Flower's FedAvg / FedProx /
server-side DP semantics) on plain pynn models.

    clients = pynn.federated.split_dirichlet(x, y, num_clients=5, alpha=0.5, seed=0)
    history = pynn.federated.simulate(model, clients, rounds=10,
                                      strategy=pynn.federated.FedAvg(local_epochs=1),
                                      test_data=(x_test, y_test), seed=0)
"""
from .partition import Client, class_labels, split_dirichlet, split_iid  # noqa: F401
from .simulation import FederatedHistory, simulate  # noqa: F401
from .strategies import (DifferentialPrivacyServerSideFixedClipping, FedAvg, FedProx,  # noqa: F401
                         aggregate, clip_update, weighted_average)

__all__ = ["Client", "class_labels", "split_dirichlet", "split_iid", "FederatedHistory",
           "simulate", "FedAvg", "FedProx", "DifferentialPrivacyServerSideFixedClipping",
           "aggregate", "clip_update", "weighted_average"]


def __getattr__(name):
    # pynn.federated.flower loads on first use (it imports flwr only when a client or
    # server is made); importing it eagerly here would also make
    # `python -m pynn.federated.flower` warn about a module run twice
    if name == "flower":
        import importlib
        return importlib.import_module(".flower", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
