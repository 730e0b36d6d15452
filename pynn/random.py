"""pynn's NumPy-side generator (initialisers, shuffling), seeded by pynn.set_seed."""
import numpy as np

_rng = np.random.default_rng(0)


def seed(s):
    global _rng
    _rng = np.random.default_rng(s)


def generator():
    return _rng
