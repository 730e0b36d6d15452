"""Every optimizer's numbers are pinned bit for bit.

tests/data/optim_bitwise.npz was recorded from the engine *before* the optimizer
table refactor (switch statements in optim.c): 20 steps of every existing
optimizer with every option combination test_optimizers.py uses, with learning
rate schedules, in eager mode on small tensors and in arena mode on segments big
enough for the thread pool. The refactor must not move a single bit
(array_equal, not allclose). Regenerate only on purpose:
``PYTHONPATH=. python tests/test_optim_bitwise.py --record``.
"""
import hashlib
import os
import sys

import numpy as np
import pytest

import pynn
from pynn import optimizers as O
from pynn import schedules as S

DATA = os.path.join(os.path.dirname(__file__), "data", "optim_bitwise.npz")
SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
STEPS = 20

OPTIMIZERS = {
    "sgd": lambda **k: O.SGD(learning_rate=k.pop("lr", 0.1), **k),
    "sgd_momentum": lambda **k: O.SGD(learning_rate=k.pop("lr", 0.1), momentum=0.9, **k),
    "sgd_nesterov": lambda **k: O.SGD(learning_rate=k.pop("lr", 0.1), momentum=0.8, nesterov=True, **k),
    "rmsprop": lambda **k: O.RMSprop(learning_rate=k.pop("lr", 0.01), **k),
    "rmsprop_momentum": lambda **k: O.RMSprop(learning_rate=k.pop("lr", 0.01), momentum=0.7, **k),
    "rmsprop_centered": lambda **k: O.RMSprop(learning_rate=k.pop("lr", 0.01), centered=True, rho=0.8, **k),
    "rmsprop_centered_momentum": lambda **k: O.RMSprop(learning_rate=k.pop("lr", 0.01), centered=True,
                                                       momentum=0.5, **k),
    "adam": lambda **k: O.Adam(learning_rate=k.pop("lr", 0.05), **k),
    "adam_amsgrad": lambda **k: O.Adam(learning_rate=k.pop("lr", 0.05), amsgrad=True, beta_2=0.9, **k),
    "adamw": lambda **k: O.AdamW(learning_rate=k.pop("lr", 0.05), **k),
    "adagrad": lambda **k: O.Adagrad(learning_rate=k.pop("lr", 0.1), **k),
    "adagrad_custom": lambda **k: O.Adagrad(learning_rate=k.pop("lr", 0.1), initial_accumulator_value=0.5,
                                            epsilon=1e-3, **k),
    "adamax": lambda **k: O.Adamax(learning_rate=k.pop("lr", 0.05), **k),
    "nadam": lambda **k: O.Nadam(learning_rate=k.pop("lr", 0.05), **k),
    "nsgd": lambda **k: O.NSGD(learning_rate=k.pop("lr", 0.1), **k),
    "nsgd_beta": lambda **k: O.NSGD(learning_rate=k.pop("lr", 0.1), beta=0.5, **k),
}

OPTIONS = {
    "plain": ({}, 1.0),
    "weight_decay": ({"weight_decay": 0.3}, 1.0),
    "clipnorm": ({"clipnorm": 1.5}, 3.0),
    "clipvalue": ({"clipvalue": 0.7}, 3.0),
    "global_clipnorm": ({"global_clipnorm": 2.0}, 3.0),
    "exponential": ({"lr": "exp"}, 1.0),
    "cosine_warmup_wd": ({"lr": "cos", "weight_decay": 0.1}, 1.0),
    "piecewise_clipnorm": ({"lr": "pw", "clipnorm": 1.0}, 3.0),
}


def _schedule(tag):
    return {
        "exp": lambda: S.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.7),
        "cos": lambda: S.CosineDecay(0.01, decay_steps=12, alpha=0.1, warmup_target=0.05, warmup_steps=4),
        "pw": lambda: S.PiecewiseConstantDecay([4, 9], [0.05, 0.02, 0.01]),
    }[tag]()


def _make(name, option):
    kwargs, gscale = OPTIONS[option]
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("lr"), str):
        kwargs["lr"] = _schedule(kwargs["lr"])
    return OPTIMIZERS[name](**kwargs), gscale


def _eager(name, option):
    opt, gscale = _make(name, option)
    rng = np.random.default_rng(sum(map(ord, name + option)))
    ws = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    for _ in range(STEPS):
        opt.apply([(gscale * rng.standard_normal(s)).astype(np.float32) for s in SHAPES], ws)
    assert opt.iterations == STEPS
    return np.concatenate([w.ravel() for w in ws] + [a.ravel() for a in opt.get_state()[1]])


def _arena_digest(name):
    # segments above the parallel grain, two threads: the pool's split must not matter either
    sizes = [70001, 1, 50000]
    opt, _ = _make(name, "clipnorm")
    opt.build(sum(sizes), sizes)
    rng = np.random.default_rng(7)
    w = rng.standard_normal(sum(sizes)).astype(np.float32)
    before = pynn.get_num_threads()
    try:
        pynn.set_num_threads(2)
        for _ in range(4):
            opt._c.step(w, (3 * rng.standard_normal(sum(sizes))).astype(np.float32))
    finally:
        pynn.set_num_threads(before)
    h = hashlib.sha256(w.tobytes())
    for a in opt.get_state()[1]:
        h.update(a.tobytes())
    return h.hexdigest()


def _record():
    out = {}
    for name in OPTIMIZERS:
        for option in OPTIONS:
            out[f"{name}/{option}"] = _eager(name, option)
        out[f"{name}/arena"] = np.frombuffer(bytes.fromhex(_arena_digest(name)), np.uint8)
    np.savez_compressed(DATA, **out)


@pytest.fixture(scope="module")
def recorded():
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_eager_bit_identical_to_recorded(recorded, name, option):
    got = _eager(name, option)
    want = recorded[f"{name}/{option}"]
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_arena_threads_bit_identical_to_recorded(recorded, name):
    assert _arena_digest(name) == recorded[f"{name}/arena"].tobytes().hex()


if __name__ == "__main__" and "--record" in sys.argv:
    _record()
