"""BackupAndRestore: an interrupted fit resumes at the right epoch with the weights and
the optimizer state of its last backup, saved in pynn's safe format (no pickle).

Sources: https://keras.io/api/callbacks/backup_and_restore/ (its example, ported
below; the one change is targets shaped like the output, which pynn requires) and
keras/src/callbacks/backup_and_restore.py of Keras 3.15."""
import json
import os
import zipfile

import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

rng = np.random.default_rng(5)
X = rng.normal(size=(24, 4)).astype(np.float32)
Y = rng.normal(size=(24, 2)).astype(np.float32)
KERNEL = rng.normal(size=(4, 2)).astype(np.float32)


def _interrupt_class(lib):
    class Interrupt(lib.callbacks.Callback):
        def __init__(self, at):
            super().__init__()
            self.at = at

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == self.at:
                raise RuntimeError("Interrupting!")
    return Interrupt


Interrupt = _interrupt_class(pynn)


def _model(lib=pynn, optimizer=None):
    model = lib.Sequential([lib.Input(shape=(4,)), lib.layers.Dense(2)])
    model.set_weights([KERNEL, np.zeros(2, np.float32)])
    model.compile(optimizer=optimizer or lib.optimizers.Adam(0.05), loss="mse")
    return model


def test_keras_io_example_runs_the_remaining_epochs(tmp_path):
    # keras.io's example, side by side: 6 epochs run after the interruption at epoch 4
    keras = keras_or_skip()
    lengths = []
    for lib in (pynn, keras):
        class InterruptingCallback(lib.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 4:
                    raise RuntimeError("Interrupting!")

        callback = lib.callbacks.BackupAndRestore(backup_dir=str(tmp_path / lib.__name__))
        model = lib.models.Sequential([lib.layers.Dense(10)])
        model.compile(lib.optimizers.SGD(), loss="mse")
        model.build(input_shape=(None, 20))
        try:
            model.fit(np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10)), epochs=10,
                      batch_size=1, callbacks=[callback, InterruptingCallback()], verbose=0)
        except RuntimeError:
            pass
        history = model.fit(np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10)), epochs=10,
                            batch_size=1, callbacks=[callback], verbose=0)
        lengths.append((len(history.history["loss"]), history.epoch))
    assert lengths[0] == lengths[1] == (6, [4, 5, 6, 7, 8, 9])


def test_resumed_fit_ends_bit_identical_to_an_uninterrupted_one(tmp_path, save_freq="epoch"):
    straight = _model()
    want = straight.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0).history["loss"]

    model = _model()
    backup = pynn.callbacks.BackupAndRestore(tmp_path / "b", save_freq=save_freq)
    with pytest.raises(RuntimeError, match="Interrupting"):
        model.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0,
                  callbacks=[backup, Interrupt(3)])
    with open(tmp_path / "b" / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 3
    # a new process: a fresh model and optimizer, the same callback settings
    fresh = _model()
    backup = pynn.callbacks.BackupAndRestore(tmp_path / "b", save_freq=save_freq)
    hist = fresh.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0, callbacks=[backup])
    assert hist.epoch == [3, 4, 5]
    np.testing.assert_array_equal(hist.history["loss"], want[3:])
    for a, b in zip(fresh.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)  # Adam's moments and step count came back too
    assert fresh.optimizer.iterations == straight.optimizer.iterations == 6 * 5
    assert not os.path.exists(tmp_path / "b")  # deleted after the finished fit


def test_without_the_optimizer_state_the_resume_would_differ(tmp_path):
    # the check above can fail: restoring weights alone (Adam restarting) changes the result
    straight = _model()
    straight.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0)
    model = _model()
    model.fit(X, Y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    restarted = _model()
    restarted.set_weights(model.get_weights())
    restarted.fit(X, Y, batch_size=5, epochs=3, shuffle=False, verbose=0)
    assert not np.array_equal(restarted.get_weights()[0], straight.get_weights()[0])


def test_batch_backups_resume_at_the_epoch_they_were_taken_in_as_keras(tmp_path):
    # 5 batches per epoch, a backup every 2: the last one before the interruption at
    # epoch 3 is taken after batch 3 of epoch 2 (the 14th batch), so epoch 2 runs again
    model = _model()
    seen = []
    spy = pynn.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: seen.append([w.copy() for w in model.get_weights()]))
    with pytest.raises(RuntimeError):
        model.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0,
                  callbacks=[pynn.callbacks.BackupAndRestore(tmp_path, save_freq=2), spy,
                             Interrupt(3)])
    with open(tmp_path / "training_metadata.json") as f:
        assert json.load(f) == {"epoch": 2, "batch": 3}
    fresh = _model()
    fresh.load_weights(tmp_path / "latest.weights.npz")
    for a, b in zip(fresh.get_weights(), seen[13]):
        np.testing.assert_array_equal(a, b)
    hist = _model().fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0,
                        callbacks=[pynn.callbacks.BackupAndRestore(tmp_path, save_freq=2)])
    assert hist.epoch == [2, 3, 4, 5]


def test_backup_is_the_safe_zip_format_and_resume_matches_keras(tmp_path):
    keras = keras_or_skip()
    results = []
    for lib in (pynn, keras):
        model = _model(lib, lib.optimizers.SGD(0.05, momentum=0.9))
        backup = lib.callbacks.BackupAndRestore(str(tmp_path / lib.__name__))
        cbs = [backup, _interrupt_class(lib)(2)]
        with pytest.raises(RuntimeError):
            model.fit(X, Y, batch_size=6, epochs=5, shuffle=False, verbose=0, callbacks=cbs)
        if lib is pynn:
            path = tmp_path / "pynn" / "latest.weights.npz"
            with zipfile.ZipFile(path) as z:  # JSON and .npz members only: nothing to unpickle
                assert all(n.endswith((".json", ".npz")) for n in z.namelist())
                assert "optimizer.npz" in z.namelist()
        fresh = _model(lib, lib.optimizers.SGD(0.05, momentum=0.9))
        hist = fresh.fit(X, Y, batch_size=6, epochs=5, shuffle=False, verbose=0,
                         callbacks=[lib.callbacks.BackupAndRestore(str(tmp_path / lib.__name__))])
        results.append((hist.epoch, hist.history["loss"], fresh.get_weights()))
    (pe, pl, pw), (ke, kl, kw) = results
    assert pe == ke == [2, 3, 4]
    np.testing.assert_allclose(pl, kl, rtol=1e-5)
    for a, b in zip(pw, kw):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    model = _model()
    backup = pynn.callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)
    with pytest.raises(RuntimeError):
        model.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0,
                  callbacks=[backup, Interrupt(3)])
    assert os.path.exists(tmp_path / "latest.weights.npz.bkp")
    with open(tmp_path / "latest.weights.npz", "wb") as f:
        f.write(b"truncated")  # the latest backup is unreadable
    fresh = _model()
    hist = fresh.fit(X, Y, batch_size=5, epochs=6, shuffle=False, verbose=0,
                     callbacks=[pynn.callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)])
    assert hist.epoch == [2, 3, 4, 5]  # the previous backup was taken after epoch 1


def test_a_damaged_backup_raises_without_double_checkpoint(tmp_path):
    os.makedirs(tmp_path / "b")
    with open(tmp_path / "b" / "latest.weights.npz", "wb") as f:
        f.write(b"not a zip")
    with pytest.raises(ValueError):
        _model().fit(X, Y, epochs=2, verbose=0,
                     callbacks=[pynn.callbacks.BackupAndRestore(tmp_path / "b")])
    with open(tmp_path / "b" / "training_metadata.json", "w") as f:
        json.dump({"epoch": "3"}, f)
    os.remove(tmp_path / "b" / "latest.weights.npz")
    with pytest.raises(ValueError, match="holds no valid epoch"):
        _model().fit(X, Y, epochs=2, verbose=0,
                     callbacks=[pynn.callbacks.BackupAndRestore(tmp_path / "b")])


def test_bad_arguments():
    with pytest.raises(ValueError, match="BackupAndRestore: empty backup_dir"):
        pynn.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive int"):
        pynn.callbacks.BackupAndRestore("/tmp/x", save_freq="batch")
    unbuilt = pynn.Sequential([pynn.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    cb = pynn.callbacks.BackupAndRestore("/tmp/unused")
    cb.set_model(unbuilt)
    with pytest.raises(ValueError, match="must be built before fit"):
        cb.on_train_begin()
