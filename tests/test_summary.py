"""model.summary(): Keras 3's table, counts and byte sizes."""
import re

import numpy as np
import pytest

import pynn
from pynn.summary import readable_memory_size, summary_html, summary_text


@pytest.fixture(autouse=True)
def _fresh_names(monkeypatch):
    pynn.layers.clear_session()
    monkeypatch.setenv("COLUMNS", "80")  # Keras: min(88, columns - 4) = 76


def test_sequential_table_exact_text():
    m = pynn.Sequential([pynn.Input(shape=(30,)), pynn.Dense(64, activation="relu"), pynn.Dense(10)])
    want = "\n".join([
        'Model: "sequential"',
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
        "│ dense (Dense)                   │ (None, 64)             │         1,984 │",
        "├─────────────────────────────────┼────────────────────────┼───────────────┤",
        "│ dense_1 (Dense)                 │ (None, 10)             │           650 │",
        "└─────────────────────────────────┴────────────────────────┴───────────────┘",
        " Total params: 2,634 (10.29 KB)",
        " Trainable params: 2,634 (10.29 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ])
    assert summary_text(m) == want


def test_wide_terminal_uses_keras_88_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(4)])
    lines = summary_text(m).splitlines()
    assert {len(l) for l in lines[1:6]} == {88}
    assert lines[2].startswith("┃ Layer (type)" + " " * 24 + " ┃ Output Shape")


def test_counts_optimizer_line_and_print(capsys):
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(4), pynn.Dense(1)])
    m.compile("adam", "mse")
    text = summary_text(m)
    assert " Total params: 21 (84.00 B)" in text and "Optimizer" not in text
    m.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    text = summary_text(m)
    # Keras counts the optimizer's variables: 2 x 21 moments + iterations (int64) + learning rate
    assert " Optimizer params: 44 (180.00 B)" in text
    assert " Total params: 65 (264.00 B)" in text
    m.summary()
    assert capsys.readouterr().out == text + "\n"
    got = []
    m.summary(print_fn=got.append)
    assert got == [text]


def test_non_trainable_and_show_trainable():
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(4), pynn.Dropout(0.5), pynn.Dense(2)])
    m.layers[0].trainable = False
    text = summary_text(m, show_trainable=True)
    assert " Trainable params: 10 (40.00 B)" in text
    assert " Non-trainable params: 16 (64.00 B)" in text
    rows = [l for l in text.splitlines() if l.startswith("│ ") and "(" in l]
    assert [r.rstrip("│ ").split("│")[-1].strip() for r in rows] == ["N", "-", "Y"]


def test_unbuilt_layers_show_question_marks():
    m = pynn.Sequential([pynn.Dense(4), pynn.Dense(2)])
    text = summary_text(m)
    assert re.search(r"│ dense \(Dense\) +│ \? +│ +0 \(unbuilt\) │", text)
    assert " Total params: 0 (0.00 B)" in text


def test_functional_models_list_an_input_layer_and_connections():
    # the InputLayers are named when made (input_layer, input_layer_1...), as in Keras
    pynn.layers.clear_session()
    a = pynn.Input(shape=(8,))
    m = pynn.Model(a, pynn.Dense(2)(pynn.Dense(3)(a)))
    rows = [l for l in summary_text(m).splitlines() if l.startswith("│ ")]
    assert rows[0].startswith("│ input_layer (InputLayer)") and rows[0].rstrip().endswith("0 │")
    assert "(None, 3)" in rows[1] and "27 │" in rows[1]
    assert "Connected to" not in summary_text(m)  # a chain is "sequential-like" in Keras
    pynn.layers.clear_session()
    a, b = pynn.Input(shape=(4,)), pynn.Input(shape=(4,))
    shared = pynn.Dense(2, name="shared")
    out = pynn.Dense(1, name="head")(shared(a))
    m2 = pynn.Model([a, b], out)
    text = summary_text(m2)
    assert "Connected to" in text and "input_layer[0][0]" in text and "shared[0][0]" in text


def test_long_names_wrap_like_rich():
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(2, name="x" * 60)])
    lines = summary_text(m).splitlines()
    assert any(l.startswith("│ " + "x" * 30 + "… │") for l in lines)
    assert any(l.startswith("│ (Dense) ") for l in lines)
    assert len({len(l) for l in lines[1:7]}) == 1


def test_readable_memory_size_and_html():
    assert readable_memory_size(64) == "64.00 B"
    assert readable_memory_size(10536) == "10.29 KB"
    assert readable_memory_size(3 * 1024 ** 2 / 2) == "1.50 MB"
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(2, name="a<b")])
    html = m._repr_html_()
    assert html == summary_html(m) and "a&lt;b" in html and "<table" in html
    assert "Total params:</b> 8 (32.00 B)" in html
