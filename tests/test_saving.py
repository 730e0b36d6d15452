"""save/load round trips, exact training resume, and every bad-file case."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import pynn
from pynn import saving


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 5)).astype(np.float32)
    y = (x[:, :3].sum(1, keepdims=True) > 0).astype(np.float32)
    return x, y


def _model(seed=7):
    pynn.set_seed(seed)
    pynn.layers.clear_session()
    m = pynn.Sequential([pynn.Input(shape=(5,)), pynn.Dense(8, activation="relu"),
                         pynn.Dropout(0.0), pynn.Dense(1, activation="sigmoid")])
    m.compile(pynn.optimizers.Adam(0.01), "binary_crossentropy",
              metrics=["accuracy", pynn.metrics.AUC(num_thresholds=50)])
    m.build()
    return m


def _same(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(p, q) for p, q in zip(wa, wb))


def test_resume_is_bit_identical(tmp_path):
    x, y = _data()
    ref = _model()
    h_ref = ref.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    m = _model()
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    m.save(tmp_path / "m.pynn")
    loaded = pynn.load_model(tmp_path / "m.pynn")
    assert loaded.optimizer.iterations == m.optimizer.iterations == 10
    assert loaded.optimizer.get_config() == m.optimizer.get_config()
    h = loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert _same(loaded, ref)
    assert h.history["loss"][0] == h_ref.history["loss"][2]
    assert h.history["auc"][0] == h_ref.history["auc"][2]
    assert [l.name for l in loaded.layers] == [l.name for l in ref.layers]
    assert os.listdir(tmp_path) == ["m.pynn"]


def test_file_is_a_plain_zip_without_pickles(tmp_path):
    m = _model()
    m.save(tmp_path / "m.pynn")  # pynn's own format (a .keras name adds Keras 3's members)
    with zipfile.ZipFile(tmp_path / "m.pynn") as z:
        assert sorted(z.namelist()) == ["config.json", "weights.npz"]  # never trained: no state
        cfg = json.loads(z.read("config.json"))
        npz = np.load(io.BytesIO(z.read("weights.npz")), allow_pickle=False)
        assert [npz[f"w{i}"].shape for i in range(4)] == [(5, 8), (8,), (8, 1), (1,)]
    assert cfg["model"]["class_name"] == "Sequential"
    assert cfg["compile_config"]["loss"]["class_name"] == "BinaryCrossentropy"
    assert cfg["compile_config"]["metrics"][0] == "accuracy"
    assert [w["name"] for w in cfg["weights"]][:2] == ["dense/kernel", "dense/bias"]


def test_functional_round_trip(tmp_path):
    pynn.layers.clear_session()
    a = pynn.Input(shape=(5,))
    h = pynn.Dense(4, activation="tanh")(a)
    out = pynn.Dense(1)(pynn.Dense(3)(h))
    m = pynn.Model(a, out)
    m.compile("sgd", "mse")
    x, _ = _data()
    m.fit(x, x[:, :1], epochs=1, verbose=0)
    m.save(tmp_path / "f.pynn")
    g = pynn.load_model(tmp_path / "f.pynn")
    assert type(g).__name__ == "Functional" and _same(g, m)
    np.testing.assert_array_equal(g.predict(x, verbose=0), m.predict(x, verbose=0))


def test_weights_round_trip_and_optimizer_state(tmp_path):
    x, y = _data()
    m = _model()
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    m.save_weights(tmp_path / "w.weights.npz")
    other = _model(seed=99)
    assert not _same(other, m)
    other.load_weights(tmp_path / "w.weights.npz")
    assert _same(other, m)
    assert other.optimizer.iterations == m.optimizer.iterations
    it, st = other.optimizer.get_state()
    for p, q in zip(st, m.optimizer.get_state()[1]):
        np.testing.assert_array_equal(p, q)
    third = _model(seed=5)
    third.load_weights(tmp_path / "w.weights.npz")  # weights are in a full model file too
    m.save(tmp_path / "full.pynn")
    third.load_weights(tmp_path / "full.pynn")
    assert _same(third, m)
    with pytest.raises(ValueError, match="weights file, not a whole model"):
        pynn.load_model(tmp_path / "w.weights.npz")


def test_save_is_atomic(tmp_path, monkeypatch):
    m = _model()
    path = tmp_path / "m.pynn"
    m.save(path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(saving.os, "replace", boom)
    m.layers[0].kernel[...] = 1.0
    with pytest.raises(OSError, match="disk full"):
        m.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.pynn"]
    monkeypatch.undo()
    with pytest.raises(FileExistsError):
        saving.save_model(m, path, overwrite=False)
    with pytest.raises(ValueError, match="not built"):
        pynn.Sequential([pynn.Dense(2)]).save(tmp_path / "x.pynn")


# ---------------------------------------------------------------- bad files
def _rewrite(src, dst, edit):
    """Copies a pynn zip, letting edit(members: dict) change it."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    edit(members)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as z:
        for n, d in members.items():
            z.writestr(n, d)


@pytest.fixture
def good(tmp_path):
    x, y = _data()
    m = _model()
    m.fit(x, y, epochs=1, verbose=0)
    p = tmp_path / "good.pynn"
    m.save(p)
    return p


def _config_edit(fn):
    def edit(members):
        cfg = json.loads(members["config.json"])
        fn(cfg)
        members["config.json"] = json.dumps(cfg).encode()
    return edit


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _weights_edit(i, arr):
    def edit(members):
        old = np.load(io.BytesIO(members["weights.npz"]))
        arrays = {k: old[k] for k in old.files}
        arrays[f"w{i}"] = arr
        members["weights.npz"] = _npz(**arrays)
    return edit


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.pop("weights.npz"), "missing member 'weights.npz'"),
    (lambda m: m.pop("config.json"), "missing member 'config.json'"),
    (lambda m: m.update({"../evil": b"x"}), "unsafe member name '../evil'"),
    (lambda m: m.update({"/etc/x": b"x"}), "unsafe member name"),
    (lambda m: m.update({"extra.py": b"import os"}), "unexpected member"),
    (lambda m: m.update({"config.json": b"{not json"}), "not valid JSON"),
    (lambda m: m.update({"config.json": b"[]"}), "does not describe a pynn"),
    (_config_edit(lambda c: c.update(format_version=99)), "format version 99"),
    (_config_edit(lambda c: c["model"]["config"]["layers"][0].update(class_name="Evil")),
     "Unknown layer class 'Evil'"),
    (_config_edit(lambda c: c["model"]["config"]["layers"][0]["config"].update(bogus=1)),
     "Invalid config for layer class 'Dense'"),
    (_config_edit(lambda c: c["model"]["config"]["layers"][0]["config"].update(units=10 ** 12)),
     "more than the file's weights hold"),
    # (refused by the weight budget: Dense's kernel would be (10**6, 8); building
    # allocates no activation, so the input shape alone costs nothing)
    (_config_edit(lambda c: c["model"]["config"].update(input_shape=[10 ** 6, 10 ** 6])),
     "more than the file's weights hold"),
    (_config_edit(lambda c: c["weights"][0].update(shape=[10 ** 6, 10 ** 6])),
     "fewer than the"),
    (_config_edit(lambda c: c["weights"][0].update(shape=[5, 9])), "has shape"),
    (_config_edit(lambda c: c["compile_config"]["optimizer"].update(class_name="Evil")),
     "Unknown optimizer"),
    (_weights_edit(0, np.zeros((5, 9), np.float32)), "has shape"),
    (_weights_edit(0, np.zeros((5, 8), np.float64)), "dtype"),
    (_weights_edit(0, np.array([{"a": 1}] * 40, dtype=object).reshape(5, 8)), "dtype"),
    (lambda m: m.update({"weights.npz": b"PK\x03\x04garbage" + b"\0" * 400}), "not a valid .npz"),
])
def test_bad_files_raise_clear_errors(good, tmp_path, edit, message):
    bad = tmp_path / "bad.pynn"
    _rewrite(good, bad, edit)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        pynn.load_model(bad)
    assert sorted(os.listdir(tmp_path)) == before  # loading writes nothing


def test_enormous_npy_header_is_refused_before_allocating(good, tmp_path):
    def edit(members):
        with zipfile.ZipFile(io.BytesIO(members["weights.npz"])) as z:
            inner = {n: z.read(n) for n in z.namelist()}
        hdr = inner["w0.npy"]
        inner["w0.npy"] = hdr.replace(b"(5, 8)", b"(99999999999, 8)".ljust(6))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in inner.items():
                z.writestr(n, d)
        members["weights.npz"] = buf.getvalue()

    bad = tmp_path / "bad.pynn"
    _rewrite(good, bad, edit)
    with pytest.raises(ValueError, match="has shape"):
        pynn.load_model(bad)


def test_truncated_non_zip_missing_and_directory(good, tmp_path):
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        p = tmp_path / f"cut{cut}.pynn"
        p.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a pynn model or weights file|damaged"):
            pynn.load_model(p)
    p = tmp_path / "text.pynn"
    p.write_text("hello")
    with pytest.raises(ValueError, match="not a readable zip"):
        pynn.load_model(p)
    with pytest.raises(FileNotFoundError):
        pynn.load_model(tmp_path / "nope.pynn")
    with pytest.raises(ValueError, match="directory"):
        pynn.load_model(tmp_path)


def test_compressed_bomb_member_is_refused(good, tmp_path):
    with zipfile.ZipFile(good) as z:
        members = {n: z.read(n) for n in z.namelist()}
    bad = tmp_path / "bomb.pynn"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", members["config.json"])
        z.writestr("weights.npz", members["weights.npz"] + b"\0" * (50 << 20))
    with pytest.raises(ValueError, match="compressed"):
        pynn.load_model(bad)


def test_load_weights_mismatch_changes_nothing(good, tmp_path):
    pynn.layers.clear_session()
    small = pynn.Sequential([pynn.Input(shape=(5,)), pynn.Dense(3)])
    with pytest.raises(ValueError, match="holds 4 weight arrays, but model"):
        small.load_weights(good)
    m = _model(seed=11)
    before = m.get_weights()
    bad = tmp_path / "bad.pynn"
    _rewrite(good, bad, _weights_edit(3, np.zeros((3,), np.float32)))
    with pytest.raises(ValueError):
        m.load_weights(bad)
    assert all(np.array_equal(p, q) for p, q in zip(before, m.get_weights()))


def test_layer_config_helpers():
    d = pynn.Dense(3, activation="relu", name="d")
    cfg = saving.layer_to_config(d)
    assert cfg["class_name"] == "Dense" and cfg["config"]["units"] == 3
    d2 = saving.layer_from_config(json.loads(json.dumps(cfg)))
    assert isinstance(d2, pynn.Dense) and d2.get_config() == d.get_config()
    with pytest.raises(ValueError, match="Unknown layer class"):
        saving.layer_from_config({"class_name": "os.system", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        saving.layer_from_config(["Dense"])
