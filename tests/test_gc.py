"""Dropped models, tensors and their weights are freed (issue 10): the C types
that hold Python objects take part in cyclic garbage collection."""
import ctypes
import gc
import os
import weakref

import numpy as np

import pynn
from pynn import _C
from pynn.layers.base import make_variable


def _rss_mb():
    # glibc keeps freed blocks for reuse; give them back so RSS shows what is live
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def test_c_types_are_gc_tracked():
    t = pynn.Tensor(np.ones(2, np.float32))
    assert gc.is_tracked(t)
    x = _C.placeholder((2,))
    p = _C.Program([x * 2], [x])
    assert gc.is_tracked(p)
    assert gc.is_tracked(_C.DPState(4, 8, 1.0, 1.0, 0.5, 8.0))


def test_variable_tensor_cycle_is_collected():
    # A layer Variable caches the Tensor over its memory; the Tensor's node keeps
    # that memory alive. Before GC support this cycle was never freed.
    v = make_variable(np.ones((1000, 250), np.float32), "w", trainable=True)
    v._tensor = pynn.Tensor(v, requires_grad=True)
    y = (v._tensor * 2).sum()  # a graph node also holding the weight's node
    y.backward()
    wt, wv = weakref.ref(v._tensor), weakref.ref(v)
    del v, y
    gc.collect()
    assert wt() is None and wv() is None


def test_cycle_through_an_owning_variable_is_collected():
    # A Variable that owns its memory (a deep copy does) is held by the node itself.
    import copy
    v = copy.deepcopy(make_variable(np.ones(10, np.float32), "w", trainable=True))
    assert v.flags.owndata
    v._tensor = pynn.Tensor(v, requires_grad=True)
    wv = weakref.ref(v)
    del v
    gc.collect()
    assert wv() is None


def test_program_cycle_is_collected():
    class Holder:
        pass
    h = Holder()
    x = _C.placeholder((2, 3))
    h.program = _C.Program([x * 3], [x])
    x.holder = h  # the cycle: holder -> program -> its input tensor x -> holder
    wh = weakref.ref(h)
    del h, x
    gc.collect()
    assert wh() is None


def _model_1m(x, y):
    m = pynn.Sequential([pynn.layers.Input((1000,)), pynn.layers.Dense(1000),
                         pynn.layers.Dense(10)])
    assert m.count_params() >= 1_000_000
    m.compile("adam", "mse")
    m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return weakref.ref(m)


def test_rss_dropping_models_frees_their_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 1000)).astype(np.float32)
    y = rng.normal(size=(32, 10)).astype(np.float32)
    _model_1m(x, y)
    gc.collect()
    before = _rss_mb()
    refs = [_model_1m(x, y) for _ in range(20)]
    gc.collect()
    grown = _rss_mb() - before
    assert all(r() is None for r in refs)
    # 20 models x (4 MB weights + 8 MB Adam state + gradients) would be > 300 MB
    assert grown < 40, f"RSS grew by {grown:.0f} MB after 20 dropped models"


def test_rss_load_model_does_not_leak(tmp_path):
    rng = np.random.default_rng(0)
    m = pynn.Sequential([pynn.layers.Input((500,)), pynn.layers.Dense(500), pynn.layers.Dense(3)])
    m.compile("adam", "mse")
    path = str(tmp_path / "m.keras")
    m.save(path)
    x = rng.normal(size=(4, 500)).astype(np.float32)
    ref = m.predict(x, verbose=0)
    del m
    pynn.load_model(path).predict(x, verbose=0)
    gc.collect()
    before = _rss_mb()
    refs = []
    for _ in range(20):
        loaded = pynn.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)
        refs.append(weakref.ref(loaded))
        del loaded
    gc.collect()
    assert all(r() is None for r in refs)
    grown = _rss_mb() - before
    assert grown < 15, f"RSS grew by {grown:.0f} MB after 20 loads of a 1 MB model"
