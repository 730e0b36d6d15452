"""callbacks.TensorBoard and utils.plot_model (issue #13).

TensorBoard's event files are read back with TensorBoard's own EventAccumulator:
the epoch scalars equal History's values, batch scalars sit at the global batch
numbers update_freq asks for, histograms hold each weight's values (count and sum),
in Keras 3's train/validation layout and tag names. plot_model's SVG (drawn without
pydot/Graphviz) is parsed: one box per layer, one arrow per connection, arrows
pointing down the graph."""
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import pynn
from pynn import layers, ops


def _accumulator(path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                 reason="tensorboard is an optional extra")
    return ea_mod.EventAccumulator(path, size_guidance={"scalars": 0, "histograms": 0}).Reload()


def test_tensorboard_writes_what_tensorboard_reads(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is an optional extra")
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(3,)), layers.Dense(4, name="hidden"),
                             layers.Dense(1, name="out")])
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    tb = pynn.callbacks.TensorBoard(str(tmp_path), histogram_freq=2, update_freq=3)
    hist = model.fit(x, y, batch_size=8, epochs=4, verbose=0, validation_data=(x[:16], y[:16]),
                     callbacks=[tb])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train = _accumulator(str(tmp_path / "train"))
    for key in ("loss", "mae"):
        events = train.Scalars(f"epoch_{key}")
        assert [e.step for e in events] == [0, 1, 2, 3]
        np.testing.assert_allclose([e.value for e in events], hist.history[key], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_learning_rate")], 0.01)
    # 5 batches per epoch, 20 in all: batch scalars at every third global batch
    assert [e.step for e in train.Scalars("batch_loss")] == [3, 6, 9, 12, 15, 18]
    assert sorted(train.Tags()["histograms"]) == ["hidden/bias/histogram", "hidden/kernel/histogram",
                                                  "out/bias/histogram", "out/kernel/histogram"]
    last = train.Histograms("hidden/kernel/histogram")
    assert [h.step for h in last] == [0, 2]
    kernel = np.asarray(model.get_layer("hidden").kernel, np.float64)
    h = last[-1].histogram_value  # epoch 2's kernel: its count is the kernel's
    assert h.num == kernel.size and sum(h.bucket) == kernel.size
    val = _accumulator(str(tmp_path / "validation"))
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")],
                               hist.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_mae")],
                               hist.history["val_mae"], rtol=1e-6)
    # after each validation pass, at the optimizer's step count (5 steps per epoch)
    assert [e.step for e in val.Scalars("evaluation_loss_vs_iterations")] == [5, 10, 15, 20]


def test_tensorboard_histogram_values_are_the_weights(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is an optional extra")
    model = pynn.Sequential([pynn.Input(shape=(2,)), layers.Dense(3, name="d")])
    model.compile(optimizer=pynn.optimizers.SGD(0.0), loss="mse")  # weights stay as drawn
    model.fit(np.ones((4, 2)), np.ones((4, 3)), epochs=1, verbose=0,
              callbacks=[pynn.callbacks.TensorBoard(str(tmp_path), histogram_freq=1)])
    h = _accumulator(str(tmp_path / "train")).Histograms("d/kernel/histogram")[0].histogram_value
    kernel = np.asarray(model.get_layer("d").kernel, np.float64)
    assert (h.num, h.min, h.max) == (6, kernel.min(), kernel.max())
    assert h.sum == pytest.approx(kernel.sum(), rel=1e-6)
    assert h.sum_squares == pytest.approx((kernel ** 2).sum(), rel=1e-6)


def test_tensorboard_bad_arguments():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive int"):
        pynn.callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq must be a non-negative int"):
        pynn.callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="not supported"):
        pynn.callbacks.TensorBoard(write_images=True)


def _two_input_model():
    a, b = pynn.Input(shape=(4,), name="a"), pynn.Input(shape=(2,), name="b")
    h = layers.Dense(3, activation="relu", name="h")(a)
    cat = layers.Concatenate(name="cat")([h, b])
    return pynn.Model([a, b], layers.Dense(1, name="out")(ops.relu(cat)))


def _boxes(svg_path):
    root = ET.parse(svg_path).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    boxes = {}
    for g in root.findall("s:g", ns):
        rect = g.find("s:rect", ns)
        texts = [t.text for t in g.findall("s:text", ns)]
        boxes[texts[0]] = (float(rect.get("x")), float(rect.get("y")), float(rect.get("width")),
                           float(rect.get("height")), texts)
    lines = [tuple(float(ln.get(k)) for k in ("x1", "y1", "x2", "y2"))
             for ln in root.findall("s:line", ns)]
    return boxes, lines


def test_plot_model_svg_without_graphviz(tmp_path, monkeypatch):
    from pynn import plot_model as pm
    monkeypatch.setattr(pm, "_graphviz_available", lambda: False)
    path = pynn.utils.plot_model(_two_input_model(), to_file=str(tmp_path / "m.svg"),
                                 show_shapes=True, show_layer_activations=True)
    boxes, lines = _boxes(path)
    relu = next(k for k in boxes if k.endswith("(OpLayer)"))  # relu, relu_1, ... (unique names)
    boxes["relu (OpLayer)"] = boxes.pop(relu)
    assert sorted(boxes) == ["a (InputLayer)", "b (InputLayer)", "cat (Concatenate)",
                             "h (Dense)", "out (Dense)", "relu (OpLayer)"]
    assert "output: (None, 5)" in boxes["cat (Concatenate)"][4]
    assert "activation: relu" in boxes["h (Dense)"][4]
    assert len(lines) == 5  # a->h, h->cat, b->cat, cat->relu, relu->out

    def center_bottom(name):
        x, y, w, h, _ = boxes[name]
        return x + w / 2, y + h

    def center_top(name):
        x, y, w, _, _ = boxes[name]
        return x + w / 2, y
    for src, dst in (("a (InputLayer)", "h (Dense)"), ("h (Dense)", "cat (Concatenate)"),
                     ("b (InputLayer)", "cat (Concatenate)"), ("relu (OpLayer)", "out (Dense)")):
        start, end = center_bottom(src), center_top(dst)
        assert any(abs(l[0] - start[0]) < 0.1 and abs(l[1] - start[1]) < 0.1
                   and abs(l[2] - end[0]) < 0.1 and abs(l[3] - end[1]) < 0.1 for l in lines), \
            f"no arrow {src} -> {dst}"
        assert end[1] > start[1]  # top to bottom
    seq = pynn.Sequential([pynn.Input(shape=(3,)), layers.Dense(2, name="d1"),
                           layers.Dense(1, name="d2")])
    boxes, lines = _boxes(pynn.utils.plot_model(seq, to_file=str(tmp_path / "s.svg"), rankdir="LR"))
    assert sorted(boxes) == ["d1 (Dense)", "d2 (Dense)", "input_layer (InputLayer)"]
    assert len(lines) == 2 and all(l[2] > l[0] for l in lines)  # left to right
    assert boxes["input_layer (InputLayer)"][0] < boxes["d1 (Dense)"][0] < boxes["d2 (Dense)"][0]
    boxes, _ = _boxes(pynn.utils.plot_model(seq, to_file=str(tmp_path / "t.svg"),
                                            show_layer_names=False))
    assert sorted(boxes) == ["Dense", "InputLayer"]  # class names only (two "Dense" boxes)
    with pytest.raises(ImportError, match="needs pydot and Graphviz"):
        pynn.utils.plot_model(seq, to_file=str(tmp_path / "s.png"))

    class Sub(pynn.Model):
        def call(self, x):
            return x
    with pytest.raises(ValueError, match="subclassed model"):
        pynn.utils.plot_model(Sub(), to_file=str(tmp_path / "x.svg"))


def test_plot_model_with_graphviz(tmp_path):
    import shutil
    pytest.importorskip("pydot", reason="pydot is an optional extra")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    path = pynn.utils.plot_model(_two_input_model(), to_file=str(tmp_path / "m.png"))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
