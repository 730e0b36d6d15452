"""Threads and processes against one model (session 8): eight threads mixing every
inference entry point, the pool resized while they run, and fork() while another
thread is inside a batch (which hung the child: see csrc/core/program.c)."""
import multiprocessing as mp
import threading

import numpy as np
import pytest

import pynn
from pynn import layers

RNG = np.random.default_rng(3)
X = RNG.standard_normal((300, 16)).astype(np.float32)
LABELS = RNG.integers(0, 4, 300)


def _model():
    pynn.set_seed(0)
    m = pynn.Sequential([layers.Input((16,)), layers.Dense(32, activation="relu"),
                         layers.Dense(4, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _run_threads(n, target):
    errors = []

    def guarded(i):
        try:
            target(i)
        except Exception as e:  # noqa: BLE001 - any error is a failure here
            errors.append(repr(e))

    ts = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_eight_threads_mixing_entry_points_get_the_serial_results():
    m = _model()
    calls = {
        "predict": lambda: m.predict(X, batch_size=64, verbose=0),
        "call": lambda: np.asarray(m(X[:50])),
        "predict_on_batch": lambda: m.predict_on_batch(X[:70]),
        "evaluate": lambda: np.array(m.evaluate(X, LABELS, batch_size=32, verbose=0)),
        "test_on_batch": lambda: np.array(m.test_on_batch(X[:90], LABELS[:90])),
    }
    serial = {k: f() for k, f in calls.items()}
    names = sorted(calls)
    wrong = []

    def work(i):
        for k in range(10):
            name = names[(i + k) % len(names)]
            if not np.array_equal(calls[name](), serial[name]):
                wrong.append(name)

    _run_threads(8, work)
    assert wrong == []


def test_resizing_the_pool_while_threads_predict_changes_no_bit():
    m = _model()
    want = m.predict(X, batch_size=100, verbose=0)
    before = pynn.get_num_threads()
    done, wrong = threading.Event(), []

    def resize(_):
        for n in [1, 3, 2, 4, 1, 2] * 5:
            pynn.set_num_threads(n)
        done.set()

    def predict(i):
        if i == 0:
            return resize(i)
        while not done.is_set():
            if not np.array_equal(m.predict(X, batch_size=100, verbose=0), want):
                wrong.append(i)

    try:
        _run_threads(4, predict)
    finally:
        pynn.set_num_threads(before)
    assert wrong == []


def _child(model, queue):
    try:
        out = model.predict(X, verbose=0)
        called = np.asarray(model(X[:5]))
        model.fit(X[:64], LABELS[:64], epochs=1, verbose=0)  # not refused as "in use"
        queue.put(("ok", out, called))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        queue.put(("error", repr(e), None))


def test_fork_while_another_thread_predicts_leaves_the_child_a_usable_model():
    """fork() copied a program lock held by the predicting thread into the child, where
    no thread would ever release it: 9 of 20 children hung in their first predict. The
    child also inherited the other thread's "in use" record and refused fit forever."""
    m = _model()
    m.fit(X, LABELS, epochs=1, verbose=0)
    want = m.predict(X, verbose=0)
    stop = threading.Event()
    busy = [threading.Thread(target=lambda: [m.predict(X, batch_size=8, verbose=0)
                                             for _ in iter(stop.is_set, True)])
            for _ in range(2)]
    for t in busy:
        t.start()
    ctx = mp.get_context("fork")
    results = []
    try:
        for _ in range(6):
            q = ctx.Queue()
            p = ctx.Process(target=_child, args=(m, q))
            p.start()
            p.join(20)
            if p.is_alive():
                p.kill()
                p.join()
                results.append("hung")
            else:
                results.append(q.get(timeout=5))
    finally:
        stop.set()
        for t in busy:
            t.join()
    assert "hung" not in results
    for status, out, called in results:
        assert status == "ok", out
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(called, want[:5])
    # the parent is unaffected and can still train
    m.fit(X[:64], LABELS[:64], epochs=1, verbose=0)


@pytest.mark.parametrize("call", ["predict", "evaluate"])
def test_keyboard_interrupt_in_an_inference_callback_leaves_the_model_usable(call):
    m = _model()
    want = m.predict(X, verbose=0)

    class Stop(pynn.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

        on_test_batch_end = on_predict_batch_end

    with pytest.raises(KeyboardInterrupt):
        if call == "predict":
            m.predict(X, batch_size=10, verbose=0, callbacks=[Stop()])
        else:
            m.evaluate(X, LABELS, batch_size=10, verbose=0, callbacks=[Stop()])
    m.fit(X[:64], LABELS[:64], epochs=1, verbose=0)  # not "in use by 1 predict call"
    assert m.predict(X, verbose=0).shape == want.shape


def test_set_num_threads_beyond_a_c_int_is_capped_like_any_large_count():
    """2**63 raised "OverflowError: Python int too large to convert to C long"."""
    before = pynn.get_num_threads()
    try:
        pynn.set_num_threads(10**6)
        capped = pynn.get_num_threads()
        for n in (2**31, 2**63, 10**30):
            pynn.set_num_threads(n)
            assert pynn.get_num_threads() == capped
        for bad in (0, -1, 2.5, "2", True, None):
            with pytest.raises(ValueError, match="positive int"):
                pynn.set_num_threads(bad)
    finally:
        pynn.set_num_threads(before)
