"""The progress bar's text against Keras 3's format; shown numbers == returned numbers."""
import re

import numpy as np
import pytest

import pynn
from pynn import progbar
from pynn.progbar import Progbar

NUM = r"(-?\d+\.\d{4}(?:e[+-]\d\d)?)"
TIME = r"(?:\d+s|\d+:\d\d|\d+:\d\d:\d\d)"
PER = r"\d+(?:s|ms|us)/step"
BAR = "━" * 20


def _fit(capsys, verbose, epochs=2, **kw):
    pynn.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype(np.float32)
    y = (x.sum(1, keepdims=True) > 0).astype(np.float32)
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    capsys.readouterr()
    h = m.fit(x, y, epochs=epochs, batch_size=10, verbose=verbose, validation_split=0.2, **kw)
    return h, capsys.readouterr().out, m, x, y


def test_verbose1_final_lines_match_keras_format_and_history(capsys):
    h, out, *_ = _fit(capsys, 1)
    assert "\x1b[" not in out  # not a terminal: plain text
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2"
    pat = re.compile(rf"^8/8 {BAR} {TIME} {PER} - accuracy: {NUM} - loss: {NUM} - "
                     rf"val_accuracy: {NUM} - val_loss: {NUM}$")
    finals = [l for l in lines if pat.match(l)]
    assert len(finals) == 2
    for epoch, line in enumerate(finals):
        shown = [float(v) for v in pat.match(line).groups()]
        returned = [h.history[k][epoch] for k in ("accuracy", "loss", "val_accuracy", "val_loss")]
        assert shown == [float(f"{v:.4f}") for v in returned]
    assert lines.index(finals[0]) < lines.index("Epoch 2/2") < lines.index(finals[1])


def test_verbose1_intermediate_lines_show_eta_and_the_running_values(capsys, monkeypatch):
    seen = []

    class Rec(pynn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch + 1, dict(logs)))

    monkeypatch.setattr(Progbar, "__init__", _no_throttle(Progbar.__init__))
    h, out, *_ = _fit(capsys, 1, epochs=1, callbacks=[Rec()])
    pat = re.compile(rf"^ ?(\d)/8 ━+ {TIME} {PER} - accuracy: {NUM} - loss: {NUM}$")
    running = [pat.match(l) for l in out.splitlines() if pat.match(l)]
    assert [int(m_.group(1)) for m_ in running] == list(range(1, 9))  # then the final line
    for m_ in running:
        step = int(m_.group(1))
        logs = dict(seen)[step]
        # the bar shows the logs as they are (Keras would re-average them, keras #21301)
        assert float(m_.group(2)) == float(f"{logs['accuracy']:.4f}")
        assert float(m_.group(3)) == float(f"{logs['loss']:.4f}")


def _no_throttle(init):
    def wrapped(self, *a, **k):
        init(self, *a, **k)
        self.interval = 0.0
    return wrapped


def test_verbose2_one_line_per_epoch(capsys):
    h, out, *_ = _fit(capsys, 2)
    lines = out.splitlines()
    pat = re.compile(rf"^8/8 - \d+s - {PER} - accuracy: {NUM} - loss: {NUM} - "
                     rf"val_accuracy: {NUM} - val_loss: {NUM}$")
    assert lines[0] == "Epoch 1/2" and pat.match(lines[1])
    assert lines[2] == "Epoch 2/2" and pat.match(lines[3]) and len(lines) == 4
    assert float(pat.match(lines[3]).group(2)) == float(f"{h.history['loss'][1]:.4f}")


def test_verbose0_is_silent_and_single_epoch_has_no_epoch_line(capsys):
    _, out, *_ = _fit(capsys, 0)
    assert out == ""
    _, out, *_ = _fit(capsys, 2, epochs=1)
    assert "Epoch" not in out and len(out.splitlines()) == 1


def test_evaluate_prints_what_it_returns(capsys):
    _, _, m, x, y = _fit(capsys, 0)
    loss, acc = m.evaluate(x, y, batch_size=10, verbose=1)
    out = capsys.readouterr().out.strip()
    mt = re.match(rf"^10/10 {BAR} {TIME} {PER} - accuracy: {NUM} - loss: {NUM}$", out)
    assert mt, out
    assert float(mt.group(2)) == float(f"{loss:.4f}") and float(mt.group(1)) == float(f"{acc:.4f}")


def test_learning_rate_from_callbacks_reaches_the_screen(capsys):
    h, out, *_ = _fit(capsys, 2, callbacks=[pynn.callbacks.ReduceLROnPlateau()])
    assert out.splitlines()[1].endswith(" - learning_rate: 0.0010")  # float32 0.001 > 1e-3
    assert h.history["learning_rate"][0] == float(np.float32(0.001))


def test_in_place_redraw_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progbar, "_dynamic_display", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(4, interval=0.0)
    bar.update(1, [("loss", 0.5)])
    bar.update(4, [("loss", 0.25)], finalize=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    first, second = out.split("\r")[1:]
    assert re.match(rf"^1/4 ━{{20}} {TIME} {PER} - loss: 0\.5000$", first)
    assert re.match(rf"^4/4 ━{{20}} \d+s {PER} - loss: 0\.2500\n$", second)
    monkeypatch.delenv("NO_COLOR")
    bar = Progbar(4, interval=0.0)
    bar.update(2, [("loss", 0.5)])
    colored = capsys.readouterr().out
    assert "\x1b[1m2/4\x1b[0m \x1b[32m" + "━" * 10 + "\x1b[0m\x1b[37m" + "━" * 10 in colored


def test_formatting_rules():
    assert progbar.format_value(0.12345) == "0.1235"
    assert progbar.format_value(0.0) == "0.0000e+00"  # Keras: |v| > 1e-3 else scientific
    assert progbar.format_value(-2.5) == "-2.5000"
    assert progbar.format_value(-2.5, verbose=2) == "-2.5000e+00"  # Keras' verbose=2 quirk
    assert progbar.format_value(np.array([0.5, 1.0])) == "0.7500"
    assert progbar.format_eta(59.9) == "59s" and progbar.format_eta(61) == "1:01"
    assert progbar.format_eta(3725) == "1:02:05"
    assert progbar.format_per_unit(0.0021) == "2ms/step"
    assert progbar.format_per_unit(2e-5) == "20us/step"
    assert progbar.format_per_unit(0) == "0s/step"
    bar = Progbar(None, interval=0.0)
    assert re.match(r"^      3/Unknown \d+s", bar.line(3, False))
