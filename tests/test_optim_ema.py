"""use_ema: the optimizers' moving average of the weights, kept in C (optim_ema.c),
against a NumPy transcription of Keras 3's formula
(keras/src/optimizers/base_optimizer.py: _update_model_variables_moving_average,
_overwrite_model_variables_with_average_value, finalize_variable_values) and against
Keras itself (torch backend) on the same gradients and in fit; and the
SwapEMAWeights callback (keras/src/callbacks/swap_ema_weights.py and the cases of
its swap_ema_weights_test.py: evaluation sees the averaged weights, training
continues on its own)."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

RNG = np.random.default_rng(5)


def _ema_reference(w0, grads, lr, momentum, overwrite=None, accum=None):
    """float32 NumPy: SGD steps with Keras' EMA and optional gradient accumulation."""
    w = w0.astype(np.float32).copy()
    avg = np.zeros_like(w)
    acc = np.zeros_like(w)
    m32, lr32 = np.float32(momentum), np.float32(lr)
    for call, g in enumerate(grads):
        iterations = call // accum if accum else call          # Keras' `iterations`
        if accum:
            if (call + 1) % accum == 0:
                w = w - lr32 * ((g + acc) / np.float32(accum))
                acc[:] = 0
            else:
                acc = g + acc
        else:
            w = w - lr32 * g
        m = m32 if iterations != 0 else np.float32(0)
        avg = m * avg + (np.float32(1) - m) * w
        if overwrite and (iterations + 1) % overwrite == 0:
            w = avg.copy()
    return w, avg


@pytest.mark.parametrize("overwrite,accum", [(None, None), (3, None), (None, 2), (2, 3)])
def test_sgd_ema_matches_keras_formula(overwrite, accum):
    w0 = RNG.normal(size=(5, 3)).astype(np.float32)
    grads = [RNG.normal(size=(5, 3)).astype(np.float32) for _ in range(7)]
    w = w0.copy()
    opt = pynn.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8,
                              ema_overwrite_frequency=overwrite,
                              gradient_accumulation_steps=accum)
    for g in grads:
        opt.apply([g], [w])
    want_w, want_avg = _ema_reference(w0, grads, 0.1, 0.8, overwrite, accum)
    np.testing.assert_allclose(w, want_w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(opt._model_variables_moving_average[0], want_avg, rtol=1e-6,
                               atol=1e-7)
    assert opt.state_names[0] == "average"


@pytest.mark.parametrize("kind,kw", [("SGD", {"momentum": 0.9}), ("Adam", {}),
                                     ("RMSprop", {}), ("AdamW", {"weight_decay": 0.01})])
@pytest.mark.parametrize("overwrite", [None, 2])
def test_ema_matches_keras_optimizers(kind, kw, overwrite):
    keras = keras_or_skip()
    shapes = [(4, 3), (3,)]
    w0 = [RNG.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[RNG.normal(size=s).astype(np.float32) for s in shapes] for _ in range(6)]
    args = dict(learning_rate=0.05, use_ema=True, ema_momentum=0.7,
                ema_overwrite_frequency=overwrite, **kw)
    kvars = [keras.Variable(w) for w in w0]
    kopt = getattr(keras.optimizers, kind)(**args)
    ours = [w.copy() for w in w0]
    popt = getattr(pynn.optimizers, kind)(**args)
    for g in grads:
        kopt.apply([keras.ops.convert_to_tensor(a) for a in g], kvars)
        popt.apply(g, ours)
    for k, p in zip(kvars, ours):
        np.testing.assert_allclose(p, keras.ops.convert_to_numpy(k), rtol=1e-5, atol=1e-6)
    for k, p in zip(kopt._model_variables_moving_average, popt._model_variables_moving_average):
        np.testing.assert_allclose(p, keras.ops.convert_to_numpy(k), rtol=1e-5, atol=1e-6)
    assert popt.get_config()["use_ema"] is True


def _dense_pair(keras):
    kmodel = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh"),
                               keras.layers.Dense(1)])
    pmodel = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(4, activation="tanh"),
                              pynn.layers.Dense(1)])
    pmodel.set_weights([keras.ops.convert_to_numpy(w) for w in kmodel.weights])
    return kmodel, pmodel


def test_compiled_fit_ends_on_the_average_as_keras():
    keras = keras_or_skip()
    x = RNG.normal(size=(24, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    kmodel, pmodel = _dense_pair(keras)
    plain = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(4, activation="tanh"),
                             pynn.layers.Dense(1)])
    plain.set_weights(pmodel.get_weights())
    kw = dict(learning_rate=0.1, momentum=0.5)
    kmodel.compile(keras.optimizers.SGD(use_ema=True, ema_momentum=0.6, **kw), "mse")
    pmodel.compile(pynn.optimizers.SGD(use_ema=True, ema_momentum=0.6, **kw), "mse")
    plain.compile(pynn.optimizers.SGD(**kw), "mse")
    for m in (kmodel, pmodel, plain):
        m.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)
    for k, p, q in zip(kmodel.weights, pmodel.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(p, keras.ops.convert_to_numpy(k), rtol=1e-5, atol=1e-6)
        assert not np.allclose(p, q, atol=1e-4)   # the average is not the last weights
    # and fit's last step left the average in the weights
    for p, a in zip(pmodel.get_weights(), pmodel.optimizer._model_variables_moving_average):
        np.testing.assert_array_equal(p, a)


class _Spy(pynn.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.at_test, self.at_epoch_end = [], []

    def on_test_begin(self, logs=None):
        self.at_test.append([w.copy() for w in self.model.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.at_epoch_end.append([w.copy() for w in self.model.get_weights()])


def _fit_with(callbacks, swap_on_epoch=False, epochs=3):
    pynn.set_seed(3)
    x = np.random.default_rng(9).normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
    model.compile(pynn.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.5), "mse")
    hist = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, validation_data=(x, y),
                     shuffle=False, callbacks=callbacks)
    return model, hist, x, y


def test_swap_ema_weights_evaluates_with_the_average():
    spy = _Spy()
    model, hist, x, y = _fit_with([pynn.callbacks.SwapEMAWeights(), spy])
    averages = []
    # spy sees (inside validation) the averaged weights and, at epoch end, the trained ones
    for at_test, at_end in zip(spy.at_test, spy.at_epoch_end):
        assert not all(np.array_equal(a, b) for a, b in zip(at_test, at_end))
        averages.append(at_test)
    # val_loss is the loss of the averaged weights
    probe = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
    probe.compile("sgd", "mse")
    probe.set_weights(averages[-1])
    np.testing.assert_allclose(hist.history["val_loss"][-1], probe.evaluate(x, y, verbose=0),
                               rtol=1e-5)
    # training is not disturbed: the same run without the callback trains the same weights
    _, plain_hist, _, _ = _fit_with([])
    np.testing.assert_allclose(hist.history["loss"], plain_hist.history["loss"], rtol=1e-6)


def test_swap_on_epoch_hands_later_callbacks_the_average():
    spy = _Spy()
    model, _, _, _ = _fit_with([pynn.callbacks.SwapEMAWeights(swap_on_epoch=True), spy])
    # at each epoch end (after the swap) the weights are what validation used
    for at_test, at_end in zip(spy.at_test, spy.at_epoch_end):
        for a, b in zip(at_test, at_end):
            np.testing.assert_array_equal(a, b)
    # fit ends on the average (finalize), which is what the last epoch end showed
    for w, last in zip(model.get_weights(), spy.at_epoch_end[-1]):
        np.testing.assert_array_equal(w, last)


def test_predict_and_evaluate_swap_back():
    model, _, x, y = _fit_with([])
    cb = pynn.callbacks.SwapEMAWeights()
    before = [w.copy() for w in model.get_weights()]
    model.predict(x, verbose=0, callbacks=[cb])
    model.evaluate(x, y, verbose=0, callbacks=[cb])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in the range \[0, 1\]"):
        pynn.optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer >= 1"):
        pynn.optimizers.Adam(use_ema=True, ema_overwrite_frequency=0.5)
    pynn.optimizers.Adam(ema_momentum=1.5)   # unchecked without use_ema, as Keras
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="SwapEMAWeights must be used when `use_ema=True`"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0, validation_split=0.5,
                  callbacks=[pynn.callbacks.SwapEMAWeights()])
    opt = pynn.optimizers.SGD(use_ema=True)
    w = np.ones(2, np.float32)
    opt.apply([np.ones(2, np.float32)], [w])
    with pytest.raises(ValueError, match="length of model variables"):
        opt.finalize_variable_values([w, w])


def test_state_round_trip_includes_the_average():
    w = np.ones(3, np.float32)
    opt = pynn.optimizers.Adam(use_ema=True)
    for _ in range(3):
        opt.apply([np.full(3, 0.5, np.float32)], [w])
    it, arrays = opt.get_state()
    assert opt.state_names == ("average", "momentum", "velocity")
    twin = pynn.optimizers.Adam(use_ema=True)
    w2 = w.copy()
    twin.build([w2])
    twin.set_state((it, arrays))
    for o, ww in ((opt, w), (twin, w2)):
        o.apply([np.full(3, 0.25, np.float32)], [ww])
    np.testing.assert_array_equal(w, w2)
    np.testing.assert_array_equal(opt._model_variables_moving_average[0],
                                  twin._model_variables_moving_average[0])
