"""Callback contracts (Keras 3 semantics) on real fits."""
import csv
import math
import os

import numpy as np
import pytest

import pynn
from pynn import callbacks as cb


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5], np.float32))[:, None]
    return x, y


def _model(lr=0.01, opt=None, metrics=None):
    pynn.set_seed(3)
    m = pynn.Sequential([pynn.Input(shape=(4,)), pynn.Dense(8, activation="relu"), pynn.Dense(1)])
    m.compile(opt or pynn.optimizers.SGD(lr), "mse", metrics=metrics)
    return m


class Scripted(cb.Callback):
    """Replaces the monitored value by a scripted sequence (exact control)."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def test_early_stopping_patience_counts():
    x, y = _data()
    m = _model()
    # improvement at epochs 0,1; none after: patience=2 stops at epoch 3 (0-based)
    es = cb.EarlyStopping(monitor="score", patience=2, mode="min")
    h = m.fit(x, y, epochs=10, verbose=0,
              callbacks=[Scripted("score", [5, 4, 4.5, 4.2, 1, 1, 1, 1, 1, 1]), es])
    assert h.epoch == [0, 1, 2, 3]
    assert es.stopped_epoch == 3 and es.best == 4


def test_early_stopping_min_delta_and_max_mode():
    x, y = _data()
    m = _model()
    es = cb.EarlyStopping(monitor="score", min_delta=0.5, patience=1, mode="max")
    # +0.1 steps are below min_delta: no improvement after epoch 0
    h = m.fit(x, y, epochs=6, verbose=0, callbacks=[Scripted("score", [1, 1.1, 1.2, 9, 9, 9]), es])
    assert h.epoch == [0, 1]


def test_early_stopping_restores_exact_best_epoch_weights_even_without_stopping():
    x, y = _data()
    m = _model()
    snapshots = []
    rec = cb.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(m.get_weights()))
    es = cb.EarlyStopping(monitor="score", patience=100, mode="min", restore_best_weights=True)
    m.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted("score", [3, 2, 0.5, 1, 2]), rec, es])
    assert es.stopped_epoch == 0  # never stopped early
    for got, want in zip(m.get_weights(), snapshots[2]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(m.get_weights()[0], snapshots[4][0])


def test_early_stopping_baseline_and_start_from_epoch():
    x, y = _data()
    m = _model()
    es = cb.EarlyStopping(monitor="score", patience=2, mode="min", baseline=0.1)
    scores = [5, 4] + [4] * 8
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[Scripted("score", scores), es])
    assert h.epoch == [0, 1, 2]  # improvements above the baseline do not restart patience
    m = _model()
    h = m.fit(x, y, epochs=10, verbose=0,
              callbacks=[Scripted("score", scores), cb.EarlyStopping("score", patience=2, mode="min")])
    assert h.epoch == [0, 1, 2, 3]
    m = _model()
    es = cb.EarlyStopping(monitor="score", patience=0, mode="min", start_from_epoch=3)
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[Scripted("score", [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]), es])
    assert h.epoch == [0, 1, 2, 3, 4]


def test_early_stopping_auto_mode_from_metric_direction():
    x, y = _data()
    yb = (y > 0).astype(np.float32)
    pynn.set_seed(3)
    m = pynn.Sequential([pynn.Input(shape=(4,)), pynn.Dense(1, activation="sigmoid")])
    m.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    es = cb.EarlyStopping(monitor="accuracy", patience=0)
    m.fit(x, yb, epochs=1, verbose=0, callbacks=[es])
    assert es.monitor_op is np.greater
    es = cb.EarlyStopping(monitor="val_loss")
    m.fit(x, yb, epochs=1, verbose=0, validation_split=0.25, callbacks=[es])
    assert es.monitor_op is np.less
    with pytest.raises(ValueError, match="mode='max'"):
        m.fit(x, yb, epochs=1, verbose=0, callbacks=[cb.EarlyStopping(monitor="mystery")])


def test_model_checkpoint_save_best_only_writes_only_on_improvement(tmp_path):
    x, y = _data()
    m = _model()
    path = tmp_path / "best-{epoch:02d}.pynn"
    ck = cb.ModelCheckpoint(str(path), monitor="score", mode="min", save_best_only=True)
    m.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted("score", [3, 4, 2, 2, 1]), ck])
    assert sorted(os.listdir(tmp_path)) == ["best-01.pynn", "best-03.pynn", "best-05.pynn"]
    loaded = pynn.load_model(tmp_path / "best-05.pynn")
    for a, b in zip(loaded.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_templates_weights_only_and_no_temp_files(tmp_path):
    x, y = _data()
    m = _model()
    ck = cb.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}-{val_loss:.2f}.weights.npz"),
                            save_weights_only=True)
    h = m.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[ck])
    want = sorted(f"w-{e + 1:02d}-{v:.2f}.weights.npz" for e, v in enumerate(h.history["val_loss"]))
    assert sorted(os.listdir(tmp_path)) == want  # no leftover .tmp files
    other = _model()
    other.load_weights(tmp_path / want[-1])
    for a, b in zip(other.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_batch_frequency(tmp_path):
    x, y = _data(64)
    m = _model()
    saves = []
    ck = cb.ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.pynn"), save_freq=3, monitor="loss")
    m.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[ck])  # 8 batches -> after 3 and 6
    assert sorted(os.listdir(tmp_path)) == ["b1-3.pynn", "b1-6.pynn"]
    with pytest.raises(ValueError, match="save_freq"):
        cb.ModelCheckpoint("x", save_freq="sometimes")


def test_reduce_lr_on_plateau_changes_the_lr_training_uses():
    x, y = _data()
    m = _model(lr=0.05)
    rl = cb.ReduceLROnPlateau(monitor="score", factor=0.0, patience=1, mode="min", min_lr=0.0)
    snapshots = []
    rec = cb.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(m.get_weights()))
    h = m.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted("score", [1, 2, 3, 4, 5]), rl, rec])
    # epoch 1 does not improve -> lr set to 0 at its end; logs show the lr each epoch ran with
    assert h.history["learning_rate"] == [pytest.approx(0.05), pytest.approx(0.05), 0.0, 0.0, 0.0]
    assert m.optimizer.learning_rate == 0.0
    assert not np.array_equal(snapshots[0][0], snapshots[1][0])
    for later in snapshots[2:]:  # the C loop trained with lr 0: nothing moves any more
        for a, b in zip(later, snapshots[1]):
            np.testing.assert_array_equal(a, b)


def test_reduce_lr_factor_cooldown_and_min_lr():
    x, y = _data()
    m = _model(lr=1.0)
    rl = cb.ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, cooldown=2, min_lr=0.3,
                              mode="min")
    h = m.fit(x, y, epochs=6, verbose=0, callbacks=[Scripted("score", [1] * 6), rl])
    # reduce at epoch 1 (->0.5), cooling down at 2, reduce at 3 (->0.3 = min_lr), then stays
    assert h.history["learning_rate"] == pytest.approx([1, 1, 0.5, 0.5, 0.3, 0.3])
    with pytest.raises(ValueError, match="factor"):
        cb.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler_sets_lr_each_epoch_and_checks_output():
    x, y = _data()
    m = _model(lr=0.1)
    seen = []
    sched = cb.LearningRateScheduler(lambda epoch, lr: seen.append(lr) or lr * 0.5)
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert h.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    old_style = cb.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    m.fit(x, y, epochs=2, verbose=0, callbacks=[old_style])
    assert m.optimizer.learning_rate == pytest.approx(0.02)
    with pytest.raises(ValueError, match="should be a float"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[cb.LearningRateScheduler(lambda e, lr: 1)])


def test_csv_logger_content_and_append(tmp_path):
    x, y = _data()
    m = _model(metrics=["mae"])
    path = tmp_path / "log.csv"
    h = m.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[cb.CSVLogger(path)])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1]
    for r, e in zip(rows[1:], range(2)):
        assert float(r[1]) == h.history["loss"][e]
        assert float(r[4]) == h.history["val_mae"][e]
    m.fit(x, y, epochs=1, verbose=0, validation_split=0.25,
          callbacks=[cb.CSVLogger(path, separator=";", append=True)])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;")  # no second header


def test_terminate_on_nan_stops_at_the_batch():
    x, y = _data(64)
    y = y * 1e30  # the loss overflows float32 at once
    m = _model(lr=1.0)
    batches = []
    rec = cb.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append((b, logs["loss"])))
    h = m.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[cb.TerminateOnNaN(), rec])
    assert len(h.epoch) == 1
    assert not math.isfinite(batches[-1][1])
    assert all(math.isfinite(l) for _, l in batches[:-1])
    assert len(batches) < 8
    m = _model(lr=1.0)
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[cb.TerminateOnNaN(raise_error=True)])


def test_batch_hooks_see_every_batch_and_epoch_hooks_do_not_force_it():
    x, y = _data(50)
    m = _model()
    seen = []
    m.fit(x, y, epochs=2, batch_size=8, verbose=0,
          callbacks=[cb.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(b))])
    assert seen == list(range(7)) * 2

    class Old(cb.Callback):  # Keras' legacy on_batch_end name
        def __init__(self):
            super().__init__()
            self.n = 0

        def on_batch_end(self, batch, logs=None):
            self.n += 1

    old = Old()
    m.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[old])
    assert old.n == 7
    lst = cb.CallbackList([cb.LambdaCallback(on_epoch_end=lambda e, l: None),
                           cb.EarlyStopping(), cb.ReduceLROnPlateau(), cb.ModelCheckpoint("x")],
                          verbose=1)
    assert not lst.wants_every_batch()


def test_history_and_callback_order():
    x, y = _data()
    m = _model()
    order = []

    class Probe(cb.Callback):
        def on_epoch_end(self, epoch, logs=None):
            order.append("user")
            logs["extra"] = 1.0

    h = m.fit(x, y, epochs=2, verbose=0, callbacks=[Probe()])
    assert h is m.history and h.history["extra"] == [1.0, 1.0] and h.epoch == [0, 1]
    assert h.params["epochs"] == 2 and h.params["steps"] == 2
    with pytest.raises(TypeError, match="Callback"):
        m.fit(x, y, verbose=0, callbacks=[lambda: None])
    with pytest.raises(TypeError, match="unknown hook"):
        cb.LambdaCallback(on_everything=print)
