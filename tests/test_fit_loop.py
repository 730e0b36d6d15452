"""Issue #11's loop object: fit builds one compiled loop (`_C.Loop`) when it starts,
runs it once per epoch and closes it when it ends -- also on an exception or Ctrl-C.
Callbacks that change the model between epochs (a learning-rate schedule, set_weights,
stop_training, a recompile, a frozen layer, another gradient hook) are seen by the next
epoch exactly as by a new fit: each test compares against separate fit() calls doing
the same, bit for bit."""
import gc
import weakref

import numpy as np
import pytest

import pynn
from pynn import _C
from loop_spy import LoopSpy


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, :2] @ np.array([[1.0], [-2.0]], np.float32) + 0.3).astype("float32")
    return x, y


def _model(lr=0.01):
    pynn.set_seed(4)
    model = pynn.Sequential([pynn.Input(shape=(5,)), pynn.layers.Dense(6, activation="tanh"),
                             pynn.layers.Dense(1)])
    model.compile(optimizer=pynn.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


FIT = dict(batch_size=16, shuffle=False, verbose=0)


class _AtEpochEnd(pynn.callbacks.Callback):
    def __init__(self, epoch, fn):
        super().__init__()
        self.epoch, self.fn = epoch, fn

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.fn(self.model)


def _same(a, b):
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_one_loop_per_fit_one_run_per_epoch_closed_at_the_end(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    model = _model()
    model.fit(x, y, epochs=5, **FIT)
    assert len(loops.built) == 1 and loops.runs == 5
    assert loops.built[0].closed
    model.evaluate(x, y, verbose=0)  # evaluate and predict: one loop per call, closed
    model.predict(x, batch_size=16, verbose=0)
    assert len(loops.built) == 3 and all(loop.closed for loop in loops.built)


def test_one_loop_gives_the_numbers_of_one_fit_per_epoch():
    x, y = _data()
    a, b = _model(), _model()
    ha = a.fit(x, y, epochs=3, **FIT)
    hb = [b.fit(x, y, epochs=1, **FIT).history for _ in range(3)]
    _same(a, b)
    assert ha.history["loss"] == [h["loss"][0] for h in hb]
    assert ha.history["mae"] == [h["mae"][0] for h in hb]


class _Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [_Boom, KeyboardInterrupt])
def test_the_loop_is_closed_when_fit_stops_on_an_exception(monkeypatch, exc):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    model = _model()

    def fail(_):
        raise exc("stop")

    with pytest.raises(exc):
        model.fit(x, y, epochs=4, callbacks=[_AtEpochEnd(1, fail)], **FIT)
    assert len(loops.built) == 1 and loops.built[0].closed and loops.runs == 2


def test_a_learning_rate_schedule_between_epochs():
    x, y = _data()
    lrs = [0.05, 0.01, 0.002]
    a, b = _model(), _model()
    a.fit(x, y, epochs=3, callbacks=[pynn.callbacks.LearningRateScheduler(lambda e: lrs[e])],
          **FIT)
    for lr in lrs:
        b.optimizer.learning_rate = lr
        b.fit(x, y, epochs=1, **FIT)
    _same(a, b)


def test_reduce_lr_on_plateau_between_epochs():
    x, y = _data()
    a, b = _model(0.04), _model(0.04)
    # min_delta larger than any change: after the first epoch (which sets the best) no
    # epoch "improves", and the rate halves at the end of every one
    cb = pynn.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)
    a.fit(x, y, epochs=4, callbacks=[cb], **FIT)
    assert a.optimizer.learning_rate == pytest.approx(0.005)
    for lr in (0.04, 0.04, 0.02, 0.01):
        b.optimizer.learning_rate = lr
        b.fit(x, y, epochs=1, **FIT)
    _same(a, b)


def test_stop_training_ends_fit_after_that_epoch(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    a, b = _model(), _model()

    def stop(m):
        m.stop_training = True

    h = a.fit(x, y, epochs=5, callbacks=[_AtEpochEnd(1, stop)], **FIT)
    assert len(h.history["loss"]) == 2 and loops.runs == 2 and loops.built[0].closed
    b.fit(x, y, epochs=2, **FIT)
    _same(a, b)


def test_set_weights_between_epochs(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    a, b = _model(), _model()
    start = [w * 0.5 + 0.1 for w in a.get_weights()]
    a.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, lambda m: m.set_weights(start))], **FIT)
    assert len(loops.built) == 1  # weights written in place: the same loop
    b.fit(x, y, epochs=1, **FIT)
    b.set_weights(start)
    b.fit(x, y, epochs=1, **FIT)
    _same(a, b)


def test_compile_between_epochs_trains_with_the_new_optimizer(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    a, b = _model(), _model()

    def recompile(m):
        m.compile(optimizer=pynn.optimizers.SGD(0.05, momentum=0.9), loss="mse", metrics=["mae"])

    h = a.fit(x, y, epochs=3, callbacks=[_AtEpochEnd(0, recompile)], **FIT)
    assert len(loops.built) == 2 and loops.built[0].closed and loops.built[1].closed
    assert isinstance(a.optimizer, pynn.optimizers.SGD) and a.optimizer.iterations == 2 * 3
    b.fit(x, y, epochs=1, **FIT)
    recompile(b)
    hb = b.fit(x, y, epochs=2, **FIT)
    _same(a, b)
    assert h.history["loss"][1:] == hb.history["loss"]


def test_a_layer_frozen_and_recompiled_between_epochs_is_not_trained(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    a, b = _model(), _model()
    seen = {}

    def freeze(m):
        m.layers[0].trainable = False
        m.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse")
        seen["first"] = m.layers[0].get_weights()
        seen["second"] = m.layers[1].get_weights()

    a.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, freeze)], **FIT)
    assert len(loops.built) == 2
    for before, after in zip(seen["first"], a.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)  # frozen: not stepped by the new loop
    assert not np.array_equal(seen["second"][0], a.layers[1].get_weights()[0])
    b.fit(x, y, epochs=1, **FIT)
    freeze(b)
    b.fit(x, y, epochs=1, **FIT)
    _same(a, b)


def test_a_layer_frozen_without_recompiling_is_refused_as_between_fits():
    # the optimizer was built for the old set of weights: fit says so (the same error
    # a second fit() gives), where the loop used to go on stepping the frozen layer
    x, y = _data()
    model = _model()

    def freeze(m):
        m.layers[0].trainable = False

    with pytest.raises(ValueError, match="was built for tensors of sizes"):
        model.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, freeze)], **FIT)
    model2 = _model()
    model2.fit(x, y, epochs=1, **FIT)
    freeze(model2)
    with pytest.raises(ValueError, match="was built for tensors of sizes"):
        model2.fit(x, y, epochs=1, **FIT)


def test_a_gradient_hook_installed_between_epochs_is_called(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)
    model = _model()
    model.compile(optimizer=pynn.optimizers.SGD(0.05), loss="mse")
    calls = []

    def hook(grads, rows):
        calls.append(rows)
        grads[...] = 0.0  # plain SGD steps nothing: the weights must stay

    seen = {}

    def install(m):
        m._gradient_hook = hook
        seen["weights"] = m.get_weights()

    model.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, install)], **FIT)
    assert calls == [16, 16, 16] and len(loops.built) == 2
    for before, after in zip(seen["weights"], model.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_dp_sgd_refuses_a_recompile_during_fit():
    from pynn.privacy import DPSGD
    x, y = _data()
    model = _model()
    model.compile(optimizer=DPSGD(l2_norm_clip=1.0, noise_multiplier=0.5,
                                  optimizer=pynn.optimizers.SGD(0.05)), loss="mse")

    def recompile(m):
        m.compile(optimizer="sgd", loss="mse")

    with pytest.raises(ValueError, match="per-batch strategy of DPSGD"):
        model.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, recompile)], batch_size=16,
                  verbose=0)
    # the DP state was released: a new private fit runs
    model.compile(optimizer=DPSGD(l2_norm_clip=1.0, noise_multiplier=0.5,
                                  optimizer=pynn.optimizers.SGD(0.05)), loss="mse")
    h = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(h.history["loss"]) == 2 and h.history["epsilon"][1] > h.history["epsilon"][0]


def test_an_open_loop_does_not_keep_the_model_alive():
    # a loop left open in a cycle with its model (the hook is the model's method)
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, **FIT)
    entry = next(e for k, e in model._programs.items() if k[0] == "train")
    model._kept_loop = model._open_loop(entry, train=True, gradient_hook=model.summary)
    assert gc.is_tracked(model._kept_loop)
    ref = weakref.ref(model)
    del model, entry
    gc.collect()
    assert ref() is None


def _tiny_program():
    was = _C.set_tracing(True)
    try:
        x = _C.placeholder((1, 3))
        y = x * 2.0
    finally:
        _C.set_tracing(was)
    return _C.Program([y], [x]), x, y


def test_loop_runs_epochs_and_refuses_bad_use():
    prog, x, y = _tiny_program()
    loop = _C.Loop(prog, None, [x], outputs=[y])
    data = [np.arange(12, dtype=np.float32).reshape(4, 3)]
    for first in (0, 1):  # two runs of one loop on other data and other outputs
        out = [np.zeros((4, 3), np.float32)]
        assert loop.run([d + first for d in data], 3, 0, 2, out_arrays=out)[2:] == (2, False)
        np.testing.assert_array_equal(out[0], (data[0] + first) * 2)
    with pytest.raises(ValueError, match="one data array per slot"):
        loop.run([], 3, 0, 2, out_arrays=out)
    with pytest.raises(ValueError, match="3 values per sample|values per sample"):
        loop.run([np.zeros((4, 2), np.float32)], 3, 0, 2, out_arrays=out)
    with pytest.raises(ValueError, match="output array 0 has the wrong size"):
        loop.run(data, 3, 0, 2, out_arrays=[np.zeros((3, 3), np.float32)])
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        loop.run(data, 0, 0, 2, out_arrays=out)
    with loop:
        pass
    assert loop.closed
    with pytest.raises(ValueError, match="the loop is closed"):
        loop.run(data, 3, 0, 2, out_arrays=out)
    loop.close()  # idempotent


def test_loop_construction_refuses_bad_arguments():
    prog, _, y = _tiny_program()
    slot = _C.placeholder((1, 3))
    with pytest.raises(ValueError, match="slot 0 is not an input"):
        _C.Loop(prog, None, [slot])
    with pytest.raises(ValueError, match="training needs a loss"):
        _C.Loop(prog, None, [], train=True, grads=np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="gradient_hook must be callable"):
        _C.Loop(prog, y, [], train=True, grads=np.zeros(2, np.float32), gradient_hook=3)
    with pytest.raises(TypeError, match="Program"):
        _C.Loop("program", None, [])


def test_the_hook_cannot_run_or_close_its_own_loop():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, **FIT)
    entry = next(e for k, e in model._programs.items() if k[0] == "train")
    data = [x, y, np.ones(len(x), np.float32)]
    box, errors = {}, []

    def hook(grads, rows):
        for call in (lambda: box["loop"].run(data, 16, 0, 1, acc=np.zeros(8)),
                     lambda: box["loop"].close()):
            try:
                call()
            except RuntimeError as e:
                errors.append(str(e))

    with model._open_loop(entry, train=True, gradient_hook=hook) as loop:
        box["loop"] = loop
        assert loop.run(data, 16, 0, 1, acc=np.zeros(8))[2] == 1
        assert not loop.closed
    assert len(errors) == 2 and "already running" in errors[0] and "running" in errors[1]


# ------------------------------------------------------------ the weight table between epochs
# fit asks the model for its weight table before every epoch (a callback may have frozen
# a layer); the gradients and the optimizer are bound again only when something changed.
def test_an_unchanged_table_is_bound_once_per_fit_not_per_epoch(monkeypatch):
    x, y = _data()
    real, binds = _C.bind_grad, []
    monkeypatch.setattr(_C, "bind_grad", lambda t, g: (binds.append(t), real(t, g))[1])
    model = _model()  # building the model binds its table
    n_weights = len(model.trainable_weights)
    assert n_weights == 4 and len(binds) >= n_weights  # the spy sees the binds
    bound = len(binds)
    tables = []
    seen = pynn.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: tables.append(model.optimizer._bound_table))
    model.fit(x, y, epochs=4, callbacks=[seen], **FIT)
    assert len(binds) == bound  # not bound again per fit or per epoch
    assert len(tables) == 4 and all(t is tables[0] for t in tables)  # nor the optimizer
    model.fit(x, y, epochs=3, callbacks=[seen], **FIT)
    assert len(binds) == bound and all(t is tables[0] for t in tables)
    # and it trained all along: the same bits as one fit of 7 epochs
    ref = _model()
    ref.fit(x, y, epochs=7, **FIT)
    _same(model, ref)


def test_a_gradient_dropped_between_epochs_is_bound_again():
    # `var.value.grad = None` (a PyTorch habit) unbinds a weight's gradient from the
    # arena the optimizer reads: the next epoch must bind it again, or that weight
    # would silently stop training
    x, y = _data()
    a, b = _model(), _model()

    def drop(m):
        for var in m.trainable_weights:
            var.value.grad = None

    a.fit(x, y, epochs=3, callbacks=[_AtEpochEnd(0, drop)], **FIT)
    b.fit(x, y, epochs=3, **FIT)
    _same(a, b)


def test_a_model_sharing_a_layer_trained_inside_a_callback():
    # the other model binds the shared kernel's gradient to its own arena; the next
    # epoch of this fit binds it back (compared with the same fits one after another)
    x, y = _data()

    def pair():
        pynn.set_seed(5)
        shared = pynn.layers.Dense(6, activation="tanh")
        models = []
        for _ in range(2):
            m = pynn.Sequential([pynn.Input(shape=(5,)), shared, pynn.layers.Dense(1)])
            m.compile(optimizer=pynn.optimizers.SGD(0.05), loss="mse")
            models.append(m)
        return models

    a, other = pair()
    a.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, lambda m: other.fit(x, y, epochs=1, **FIT))],
          **FIT)
    ref_a, ref_other = pair()
    ref_a.fit(x, y, epochs=1, **FIT)
    ref_other.fit(x, y, epochs=1, **FIT)
    ref_a.fit(x, y, epochs=1, **FIT)
    _same(a, ref_a)
    _same(other, ref_other)


def test_a_layer_unfrozen_and_recompiled_between_epochs_trains_from_then_on(monkeypatch):
    x, y = _data()
    loops = LoopSpy(monkeypatch)

    def frozen_model():
        m = _model()
        m.layers[0].trainable = False
        m.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse")
        return m

    def unfreeze(m):
        m.layers[0].trainable = True
        m.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse")

    a, b = frozen_model(), frozen_model()
    first = a.layers[0].get_weights()
    a.fit(x, y, epochs=2, callbacks=[_AtEpochEnd(0, unfreeze)], **FIT)
    assert len(loops.built) == 2
    assert not np.array_equal(first[0], a.layers[0].get_weights()[0])  # trained in epoch 2
    b.fit(x, y, epochs=1, **FIT)
    unfreeze(b)
    b.fit(x, y, epochs=1, **FIT)
    _same(a, b)
