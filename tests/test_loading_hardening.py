"""Loading is bounded by the file, saving leaves nothing behind, divergence is
not silent (issue 10).

Each test holds one defect that was found by attacking pynn: a 600-byte model
file that cost a gigabyte at load, a FIFO that hung load_model, /dev/zero read
until memory ran out, a word-vector header asking for 7.45 GiB, a Fashion-MNIST
loader raising struct.error on short files, a killed save that left its temp
file forever, a NaN loss trained on silently, NaN accepted as a weight."""
import gzip
import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import pynn
from pynn import saving
from pynn.datasets import fashion_mnist
from pynn.text import load_word_vectors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_py(code, timeout=60, **kwargs):
    """Runs `code` in a fresh interpreter that imports the pynn under test."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, **kwargs)


def _rewrite_config(src, dst, edit):
    """Copies a pynn file, passing its config.json text through `edit`."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    compact = json.dumps(json.loads(members["config.json"]))  # one line: easy to edit
    members["config.json"] = edit(compact).encode()
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


# ---------------------------------------------------------------- bounded loading
@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_small_upsampling_file_costs_no_activation_memory_at_load(tmp_path, kind):
    """UpSampling2D(16384) on a 1x1 input: a 600-byte file whose model would
    produce 16384x16384 activations per sample. Building it used to run the
    layers on a zero sample (1 GB, seconds); now shapes are inferred and
    activations are planned at first use."""
    if kind == "sequential":
        model = pynn.Sequential([pynn.Input(shape=(1, 1, 1)), pynn.layers.UpSampling2D(2)])
    else:
        x = pynn.Input(shape=(1, 1, 1))
        model = pynn.Model(x, pynn.layers.UpSampling2D(2)(x))
    small, big = tmp_path / "small.pynn", tmp_path / "big.pynn"
    model.save(str(small))
    _rewrite_config(small, big, lambda s: s.replace('"size": [2, 2]', '"size": [16384, 16384]'))
    assert os.path.getsize(big) < 1024
    run = _run_py(f"""
        import json, resource, time, tracemalloc, pynn
        # pynn loads its modules on first use: imported here, so that what is
        # measured is the loading, not the import of the layers and models
        import pynn.layers, pynn.models, pynn.saving
        tracemalloc.start()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        m = pynn.load_model({str(big)!r})
        dt = time.perf_counter() - t
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps([m.output_shape, dt, grown, tracemalloc.get_traced_memory()[1]]))
    """)
    assert run.returncode == 0, run.stderr[-2000:]
    shape, dt, grown_kb, traced = json.loads(run.stdout)
    assert shape == [None, 16384, 16384, 1]
    assert int(grown_kb) < 16 * 1024, f"load grew RSS by {int(grown_kb) / 1024:.0f} MB"
    assert int(traced) < 4 << 20
    assert float(dt) < 2.0, f"load took {float(dt):.2f} s"


def test_overflowing_upsampling_file_loads_without_touching_the_engine(tmp_path):
    """Issue 10 item 3: a ~500-byte file holding UpSampling2D((2**62, 1)) corrupted
    the heap at load, because building ran the op (whose size arithmetic wrapped).
    Building is Python shape arithmetic now (exact ints): load returns the model
    and nothing is allocated; running it is the engine's business."""
    model = pynn.Sequential([pynn.Input(shape=(1, 1, 1)), pynn.layers.UpSampling2D(2)])
    small, big = tmp_path / "small.pynn", tmp_path / "big.pynn"
    model.save(str(small))
    _rewrite_config(small, big, lambda s: s.replace('"size": [2, 2]', '"size": [%d, 1]' % 2 ** 62))
    assert os.path.getsize(big) < 700
    run = _run_py(f"""
        import pynn
        m = pynn.load_model({str(big)!r})
        print(m.output_shape)
    """)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == f"(None, {2 ** 62}, 1, 1)"


def test_huge_declared_input_costs_nothing_until_used(tmp_path):
    """Building is shape arithmetic, so a per-sample input of 2**40 values no
    longer needs a cap at load (it was refused above 2**24 because the loader
    ran a zero sample through the model)."""
    model = pynn.Sequential([pynn.Input(shape=(4, 3)), pynn.layers.GlobalAveragePooling1D(),
                             pynn.layers.Dense(2)])
    small, big = tmp_path / "small.pynn", tmp_path / "big.pynn"
    model.save(str(small))
    _rewrite_config(small, big, lambda s: s.replace('"input_shape": [4, 3]',
                                                    '"input_shape": [1099511627776, 3]'))
    loaded = pynn.load_model(str(big))
    assert loaded.input_shape == (None, 2 ** 40, 3) and loaded.output_shape == (None, 2)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sequential_built_from_declared_shape_runs_no_layer():
    """Building is shape inference only: a layer's call() is never run."""
    calls = []

    class Spy(pynn.layers.Dense):
        def call(self, inputs, training=False):
            calls.append(inputs.shape)
            return super().call(inputs, training)

    model = pynn.Sequential([pynn.Input(shape=(3,)), Spy(4)])
    model.build()
    assert model.built and model.output_shape == (None, 4) and calls == []
    out = model.predict(np.ones((2, 3), np.float32), verbose=0)
    assert out.shape == (2, 4)


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "model.pynn"
    os.mkfifo(fifo)
    # in a subprocess: if the refusal regressed, the open would block forever
    run = _run_py(f"""
        import pynn
        from pynn.text import load_word_vectors
        for f in (pynn.load_model, lambda p: load_word_vectors(p, ["a"])):
            try:
                f({str(fifo)!r})
            except ValueError as e:
                print(e)
    """, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert len(lines) == 2 and all("is a FIFO (named pipe)" in l for l in lines), run.stdout


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a character device"),
                                        ("/dev/null", "a character device")])
def test_devices_are_refused(path, kind):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(ValueError, match=f"is {kind}, not a pynn model"):
        pynn.load_model(path)
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    with pytest.raises(ValueError, match=f"is {kind}"):
        model.load_weights(path)
    with pytest.raises(ValueError, match=f"is {kind}, not a word-vector file"):
        load_word_vectors(path, ["a"])


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        pynn.load_model(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No such file"):
        pynn.load_model(str(tmp_path / "nope.pynn"))


def test_symlink_to_device_is_refused(tmp_path):
    link = tmp_path / "model.pynn"
    os.symlink("/dev/zero", link)
    with pytest.raises(ValueError, match="character device"):
        pynn.load_model(str(link))


def test_json_digit_limit_names_the_file(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    src, bad = tmp_path / "m.pynn", tmp_path / "digits.pynn"
    model.save(str(src))
    _rewrite_config(src, bad, lambda s: s.replace('"format_version": 1',
                                                  '"format_version": ' + "9" * 5000))
    with pytest.raises(ValueError, match=r"digits\.pynn.*config\.json is not valid JSON"):
        pynn.load_model(str(bad))


def _forge_uncompressed_size(path, member, size):
    """Rewrites a member's declared uncompressed size in both zip headers."""
    data = bytearray(open(path, "rb").read())
    name = member.encode()
    for sig, off_size, off_name_len, off_name in ((b"PK\x03\x04", 22, 26, 30),
                                                  (b"PK\x01\x02", 24, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + off_name_len)[0]
            if data[pos + off_name:pos + off_name + n] == name:
                struct.pack_into("<I", data, pos + off_size, size)
            pos = data.find(sig, pos + 4)
    open(path, "wb").write(bytes(data))


def test_zip_bomb_config_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.pynn"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        z.writestr("weights.npz", b"")
    _forge_uncompressed_size(path, "config.json", 15 << 20)  # 15 MB from a few bytes
    with pytest.raises(ValueError, match="more than deflate can expand to"):
        pynn.load_model(str(path))


def test_nan_weights_in_a_file_are_refused_naming_it(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    path = tmp_path / "nan.pynn"
    model.save(str(path))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    kernel = np.full((2, 1), np.nan, np.float32)
    members["weights.npz"] = saving._npz_bytes({"w0": kernel, "w1": np.zeros(1, np.float32)})
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(ValueError, match=r"nan\.pynn.*weight #0 holds NaN or inf"):
        pynn.load_model(str(path))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="NaN or inf"):
        model.load_weights(str(path))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- word vectors
def test_word2vec_header_alone_does_not_size_the_matrix(tmp_path):
    """'1 2000000000' asked for a 7.45 GiB matrix from a 13-byte file."""
    path = tmp_path / "vec.txt"
    path.write_text("1 2000000000\n")
    with pytest.raises(ValueError, match="gives dimension 2000000000, expected a positive int "
                                         "below 10\\*\\*9"):
        load_word_vectors(str(path), ["a"])
    path.write_text("1 500000000\n")  # 1.9 GB per vocabulary word
    with pytest.raises(ValueError, match="holds no vectors, only a header declaring dimension "
                                         "500000000"):
        load_word_vectors(str(path), ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="expected dimension 500000000"):  # vectors must match
        load_word_vectors(io.StringIO("1 500000000\na 1 2\n"), ["a"])
    with pytest.raises(ValueError, match="expected a positive int below 10\\*\\*9"):
        load_word_vectors(io.StringIO("1 " + "9" * 5000 + "\n"), ["a"])
    # a real header with its vectors still loads, and embedding_dim= still allows a header only
    m = load_word_vectors(io.StringIO("1 2\na 1 2\n"), ["a", "b"])
    np.testing.assert_array_equal(m, [[1, 2], [0, 0]])
    np.testing.assert_array_equal(load_word_vectors(io.StringIO("0 3\n"), ["a"], embedding_dim=3),
                                  np.zeros((1, 3)))


def test_truncated_gzip_word_vectors(tmp_path):
    path = tmp_path / "vec.txt.gz"
    blob = gzip.compress(b"".join(b"w%d 1 2 3\n" % i for i in range(2000)))
    path.write_bytes(blob[:len(blob) // 2])
    with pytest.raises(ValueError, match="damaged or truncated"):
        load_word_vectors(str(path), ["w1"])


# ---------------------------------------------------------------- Fashion-MNIST
def _idx(dims, data=None):
    head = bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    return head + (bytes(int(np.prod(dims))) if data is None else data)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("blob, message", [
    (b"", "not an IDX file \\(only 0 bytes\\)"),
    (b"\x00\x00\x08", "not an IDX file \\(only 3 bytes\\)"),
    (bytes([0, 0, 8, 3]) + b"\x00\x00\x00\x05", "truncated IDX header"),
    (_idx((100000, 1000, 1000), b""), "more than the"),
    (_idx((2, 3, 3), bytes(17)), "header says \\(2, 3, 3\\)"),
    (_idx((2, 3, 3), bytes(19)), "holds more than 18 bytes"),
    (bytes([0, 0, 9, 3]) + bytes(12), "not an unsigned-byte IDX file of rank 3"),
])
def test_fashion_mnist_idx_headers_checked_before_reading(tmp_path, gz, blob, message):
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(blob) if gz else blob)
    with pytest.raises(ValueError, match=message):
        fashion_mnist._read_idx(str(path), 3)


def test_fashion_mnist_truncated_gzip_and_good_files(tmp_path, monkeypatch):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], np.uint8)
    for key, name in fashion_mnist.FILES.items():
        blob = _idx(images.shape, images.tobytes()) if key.startswith("x") else \
            _idx(labels.shape, labels.tobytes())
        (tmp_path / name).write_bytes(gzip.compress(blob))
    monkeypatch.setenv("PYNN_DATA", str(tmp_path))
    (x, y), (xt, yt) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(yt, labels)
    assert x.flags.writeable
    blob = gzip.compress(_idx(images.shape, images.tobytes()))
    (tmp_path / fashion_mnist.FILES["x_train"]).write_bytes(blob[:40])
    with pytest.raises(ValueError, match="damaged or truncated"):
        fashion_mnist.load_data()
    os.unlink(tmp_path / fashion_mnist.FILES["x_train"])
    os.mkfifo(tmp_path / fashion_mnist.FILES["x_train"])
    with pytest.raises(ValueError, match="is a FIFO"):
        fashion_mnist.load_data()


# ---------------------------------------------------------------- killed saves
_KILL_MID_SAVE = """
    import os, signal, zipfile, numpy as np, pynn
    from pynn import saving
    saving._O_TMPFILE = {o_tmpfile}
    model = pynn.Sequential([pynn.Input(shape=(1000,)), pynn.layers.Dense(2000)])
    real = zipfile.ZipFile.writestr
    def writestr(self, name, data, *a, **k):
        real(self, name, data, *a, **k)
        if name == "config.json":  # config written, weights not yet: die here
            os.kill(os.getpid(), signal.SIGKILL)
    zipfile.ZipFile.writestr = writestr
    model.save({path!r})
"""


def _save_small(path):
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    model.save(str(path))
    return model


@pytest.mark.parametrize("o_tmpfile", [True, False], ids=["O_TMPFILE", "named-temp"])
def test_killed_save_leaves_nothing_after_the_next_save(tmp_path, o_tmpfile):
    if o_tmpfile and not getattr(os, "O_TMPFILE", 0):
        pytest.skip("no O_TMPFILE on this system")
    target = tmp_path / "model.pynn"
    first = _save_small(target)
    flag = "getattr(os, 'O_TMPFILE', 0)" if o_tmpfile else "0"
    run = _run_py(_KILL_MID_SAVE.format(o_tmpfile=flag, path=str(target)), timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
    left = sorted(os.listdir(tmp_path))
    if o_tmpfile:
        assert left == ["model.pynn"]  # the anonymous file died with its writer
    else:
        assert len(left) == 2 and left[0].startswith(".model.pynn.") and left[0].endswith(".tmp")
    # the old file is intact
    np.testing.assert_array_equal(pynn.load_model(str(target)).get_weights()[0],
                                  first.get_weights()[0])
    _save_small(target)
    assert sorted(os.listdir(tmp_path)) == ["model.pynn"]


def test_asynchronous_kill_mid_save(tmp_path):
    """SIGKILL at an arbitrary moment of a loop of big saves (40 MB each)."""
    target = tmp_path / "big.pynn"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, pynn
            m = pynn.Sequential([pynn.Input(shape=(1000,)), pynn.layers.Dense(10000)])
            m.save({str(target)!r}); print("saved", flush=True)
            while True:
                m.save({str(target)!r})
        """)], env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"saved"
        import time
        time.sleep(0.3)
    finally:
        child.kill()
        child.wait()
    assert pynn.load_model(str(target)).count_params() == 1000 * 10000 + 10000
    _save_small(target)
    assert sorted(os.listdir(tmp_path)) == ["big.pynn"]


def test_temp_file_of_a_running_save_is_kept(tmp_path):
    """Stale means 'its writer is dead': another live process's temp stays."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".model.pynn.{sleeper.pid}.0badcafe.tmp"
        live.write_bytes(b"in progress")
        dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True).stdout.strip()
        dead = tmp_path / f".model.pynn.{dead_pid}.deadbeef.tmp"
        dead.write_bytes(b"stale")
        other = tmp_path / ".other.pynn.1.deadbeef.tmp"  # another target's: not ours to touch
        other.write_bytes(b"x")
        _save_small(tmp_path / "model.pynn")
        assert live.exists() and other.exists() and not dead.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_saved_file_has_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        _save_small(tmp_path / "m.pynn")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "m.pynn").st_mode & 0o777 == 0o644


# ---------------------------------------------------------------- divergence
def _diverging_model():
    pynn.set_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 4)).astype(np.float32) * 10
    y = x.sum(1, keepdims=True)
    model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(16), pynn.layers.Dense(1)])
    model.compile(pynn.optimizers.SGD(1.0), "mse")
    return model, x, y


def test_nan_loss_warns_once_with_epoch_and_batch():
    model, x, y = _diverging_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                            callbacks=[pynn.callbacks.LambdaCallback(
                                on_train_batch_end=lambda b, logs: None)])
    nan_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning)
                    and "training loss became" in str(w.message)]
    assert len(nan_warnings) == 1, [str(w.message) for w in caught]
    info = history.nonfinite_loss
    # batch by batch: the exact batch; its loss is the non-finite value recorded
    assert info["batches"][0] == info["batches"][1] and info["epoch"] == 0
    assert not np.isfinite(info["loss"])
    msg = str(nan_warnings[0].message)
    assert f"in epoch 0 (0-based; 'Epoch 1' on the progress bar), batch {info['batches'][0]}." \
        in msg
    assert nan_warnings[0].filename == __file__  # points at the fit call
    assert np.isnan(history.history["loss"]).all() and len(history.history["loss"]) == 3


def test_nan_loss_in_one_engine_call_names_the_range():
    model, x, y = _diverging_model()
    with pytest.warns(RuntimeWarning, match=r"one of batches 0\.\.7 \(run in one engine call"):
        history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert history.nonfinite_loss["batches"] == (0, 7)


def test_terminate_on_nan_speaks_instead_of_the_warning():
    model, x, y = _diverging_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                            callbacks=[pynn.callbacks.TerminateOnNaN()])
    first, last = history.nonfinite_loss["batches"]
    assert first == last and len(history.history["loss"]) == 1  # stopped in epoch 0


def test_healthy_fit_does_not_warn():
    model, x, y = _diverging_model()
    model.compile(pynn.optimizers.SGD(1e-4), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert history.nonfinite_loss is None and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("cw, err, msg", [
    ({0: float("nan"), 1: 1.0}, ValueError, r"class_weight\[0\] must be a finite number >= 0, got nan"),
    ({0: 1.0, 1: float("inf")}, ValueError, r"class_weight\[1\] must be a finite number"),
    ({0: -1.0}, ValueError, "got -1.0"),
    ({0: "heavy"}, TypeError, r"class_weight\[0\] must be a number, got 'heavy'"),
    ({"zero": 1.0}, TypeError, "keys must be class indices"),
    ({1.5: 1.0}, TypeError, "keys must be class indices"),
])
def test_class_weight_refuses_nan_and_non_numbers(cw, err, msg):
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(err, match=msg):
        model.fit(x, np.array([0, 1, 0, 1]), class_weight=cw, verbose=0)


def test_class_weight_string_keys_still_work():
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.ones((4, 2), np.float32)
    h = model.fit(x, np.array([0, 1, 0, 1]), class_weight={"0": 0.0, "1": 0.0}, verbose=0)
    assert h.history["loss"] == [0.0]  # every sample weighted 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_set_weights_refuses_non_finite_and_changes_nothing(bad):
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(3)])
    before = [w.copy() for w in model.get_weights()]
    kernel = np.ones((2, 3), np.float32)
    bias = np.zeros(3, np.float32)
    bias[1] = bad
    with pytest.raises(ValueError, match=r"set_weights: weight '.*bias.*' gets 1 non-finite "
                                         r"value\(s\) \(NaN or inf\), first at index \(1,\)"):
        model.set_weights([kernel, bias])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the valid kernel was not written either
    layer = model.layers[0]
    with pytest.raises(ValueError, match=f"Layer '{layer.name}': weight .* non-finite"):
        layer.set_weights([kernel, bias])
    with pytest.raises(TypeError, match="needs numbers"):
        layer.set_weights([np.array([["a"] * 3] * 2), np.zeros(3)])
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])


def test_every_small_hostile_file_is_cheap_to_load_or_refuse(tmp_path):
    """Each file of the fuzz corpus up to 1 KB (truncated zips, lying configs,
    forged zip-bomb sizes, ...): loading or refusing it costs under 4 MB of
    traced memory and the whole set grows the process by under 16 MB."""
    run = _run_py(f"""
        import json, os, resource, sys, time, tracemalloc
        sys.path.insert(0, {ROOT!r})
        import pynn
        from tests.fuzz import corpus
        paths = [p for p in corpus.build({str(tmp_path / "corpus")!r})
                 if os.path.isfile(p) and os.path.getsize(p) <= 1024]
        pynn.load_model(os.path.join({str(tmp_path / "corpus")!r}, "seq.pynn"))  # warm up
        tracemalloc.start()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        worst = []
        for p in paths:
            tracemalloc.reset_peak()
            t = time.perf_counter()
            try:
                pynn.load_model(p)
            except (ValueError, OSError):
                pass
            worst.append((tracemalloc.get_traced_memory()[1], time.perf_counter() - t, p))
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
        print(json.dumps([len(paths), max(worst), grown]))
    """, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    n, (peak, seconds, path), grown_kb = json.loads(run.stdout)
    assert n >= 15  # (the corpus holds 19 such files today)
    assert peak < 4 << 20, f"{path}: {peak / 1e6:.1f} MB"
    assert grown_kb < 16 * 1024
