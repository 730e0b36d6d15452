"""Cases of keras/src/callbacks/*_test.py (keras-team/keras at 3422977a) run on pynn's
callbacks."""
import numpy as np

import pynn


def test_early_stopping_state_reset_across_fit_calls():
    # early_stopping_test.py EarlyStoppingTest.test_state_reset_across_fit_calls
    # (keras-team/keras#20256): a reused EarlyStopping starts every fit afresh
    stopper = pynn.callbacks.EarlyStopping(monitor="loss", patience=3)
    stopper.set_model(pynn.Sequential())
    stopper.on_train_begin()
    stopper.best, stopper.wait, stopper.stopped_epoch = 0.1, 3, 5
    stopper.best_epoch, stopper.best_weights = 5, object()
    stopper.on_train_begin()
    assert stopper.best is None
    assert (stopper.wait, stopper.stopped_epoch, stopper.best_epoch) == (0, 0, 0)
    assert stopper.best_weights is None


def test_reused_early_stopping_does_not_stop_a_new_fit_on_the_old_best():
    # the same scenario through fit: the first model reaches a low loss; a second model
    # whose loss never gets that low must still train until its own patience runs out
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None]
    stopper = pynn.callbacks.EarlyStopping(monitor="loss", patience=2)
    pynn.set_seed(1)
    first = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(1)])
    first.compile(optimizer=pynn.optimizers.SGD(0.05), loss="mse")
    first.fit(x, y, epochs=20, batch_size=16, verbose=0, callbacks=[stopper])
    second = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(1)])
    second.compile(optimizer=pynn.optimizers.SGD(1e-4), loss="mse")  # far slower: higher loss
    history = second.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[stopper])
    assert min(history.history["loss"]) > min(first.history.history["loss"])
    assert len(history.history["loss"]) == 6  # improving every epoch: never stopped
