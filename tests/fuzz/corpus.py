"""A corpus of hostile files, written afresh into a folder: damaged and lying
pynn model/weights files, zip bombs, symlinks, non-regular files, word-vector
and IDX files. Loading any of them must give a clear Python error (or a
correct model), never a crash, a hang or an allocation the file does not back.

`build(folder)` writes them and returns their paths; `mutated_configs()` is a
Hypothesis strategy of configs with one leaf replaced by a hostile value."""
import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np
from hypothesis import strategies as st

from .values import HUGE_INTS, ODD_FLOATS, ODD_OBJECTS


def _zip(path, members, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data if isinstance(data, bytes) else data.encode())


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _npz(arrays, compressed=False):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def base_models(folder):
    """The valid files the hostile ones are made from: {name: path}."""
    import pynn
    pynn.set_seed(0)
    seq = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(3, activation="relu"),
                           pynn.layers.Dense(2)])
    seq.compile("adam", "mse", metrics=["mae"])
    seq.fit(np.ones((4, 4), np.float32), np.ones((4, 2), np.float32), verbose=0)
    x = pynn.Input(shape=(6, 6, 1))
    h = pynn.layers.Conv2D(2, 3)(x)
    h = pynn.layers.UpSampling2D(2)(h)
    h = pynn.layers.Flatten()(h)
    fun = pynn.Model(x, pynn.layers.Dense(2)(h))
    paths = {"seq": os.path.join(folder, "seq.pynn"), "fun": os.path.join(folder, "fun.pynn"),
             "seq_weights": os.path.join(folder, "seq.weights.npz")}
    seq.save(paths["seq"])
    fun.save(paths["fun"])
    seq.save_weights(paths["seq_weights"])
    return paths


def pynn_sequential_upsampling(folder):
    import pynn
    model = pynn.Sequential([pynn.Input(shape=(1, 1, 1)), pynn.layers.UpSampling2D(2)])
    path = os.path.join(folder, "seq_up.pynn")
    model.save(path)
    return path


def _forge_size(path, member, size):
    data = bytearray(open(path, "rb").read())
    for sig, off_size, off_len, off_name in ((b"PK\x03\x04", 22, 26, 30),
                                             (b"PK\x01\x02", 24, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + off_len)[0]
            if data[pos + off_name:pos + off_name + n] == member.encode():
                struct.pack_into("<I", data, pos + off_size, size & 0xFFFFFFFF)
            pos = data.find(sig, pos + 4)
    open(path, "wb").write(bytes(data))


def _with_config(src, dst, edit):
    members = _members(src)
    cfg = json.loads(members["config.json"])
    edited = edit(cfg)
    members["config.json"] = edited if isinstance(edited, (str, bytes)) else json.dumps(edited)
    _zip(dst, members)


def _set_layer(cfg, i, **changes):
    cfg["model"]["config"]["layers"][i]["config"].update(changes)
    return cfg


def build(folder):
    """Writes the corpus into `folder`; returns the list of paths."""
    os.makedirs(folder, exist_ok=True)
    base = base_models(folder)
    seq, fun, wts = base["seq"], base["fun"], base["seq_weights"]
    raw = open(seq, "rb").read()
    out = []

    def path(name):
        p = os.path.join(folder, name)
        out.append(p)
        return p

    # truncations and bit flips
    for cut in (0, 1, 4, 22, 30, 100, len(raw) // 2, len(raw) - 22, len(raw) - 1):
        open(path(f"trunc_{cut}.pynn"), "wb").write(raw[:cut])
    rng = np.random.default_rng(0)
    for k in range(12):
        b = bytearray(raw)
        for pos in rng.integers(0, len(b), 3):
            b[pos] ^= 1 << int(rng.integers(0, 8))
        open(path(f"flip_{k}.pynn"), "wb").write(bytes(b))
    # wrong JSON types and lying configs
    edits = {
        "cfg_list": lambda c: [], "cfg_str": lambda c: '"model"', "cfg_null": lambda c: "null",
        "cfg_not_json": lambda c: "{not json", "cfg_binary": lambda c: b"\xff\xfe\x00",
        "cfg_digits": lambda c: json.dumps(c).replace('"format_version": 1',
                                                      '"format_version": ' + "7" * 5000),
        "cfg_deep": lambda c: "[" * 100000 + "]" * 100000,
        "cfg_no_model": lambda c: {k: v for k, v in c.items() if k != "model"},
        "layers_dict": lambda c: (c["model"]["config"].update(layers={}), c)[1],
        "layer_cls_int": lambda c: (c["model"]["config"]["layers"][0].update(class_name=3), c)[1],
        "layer_cls_evil": lambda c: (c["model"]["config"]["layers"][0].update(
            class_name="os.system"), c)[1],
        "layer_cfg_list": lambda c: (c["model"]["config"]["layers"][0].update(config=[1]), c)[1],
        "units_huge": lambda c: _set_layer(c, 0, units=2 ** 40),
        "units_neg": lambda c: _set_layer(c, 0, units=-3),
        "units_float": lambda c: _set_layer(c, 0, units=2.5),
        "units_str": lambda c: _set_layer(c, 0, units="3"),
        "activation_evil": lambda c: _set_layer(c, 0, activation="__import__('os')"),
        "unknown_kwarg": lambda c: _set_layer(c, 0, pickle="x"),
        "input_huge": lambda c: (c["model"]["config"].update(input_shape=[2 ** 62]), c)[1],
        "input_neg": lambda c: (c["model"]["config"].update(input_shape=[-4]), c)[1],
        "input_str": lambda c: (c["model"]["config"].update(input_shape="4"), c)[1],
        "manifest_huge": lambda c: (c.update(weights=[{"name": "w", "shape": [2 ** 31, 2 ** 31]}]),
                                    c)[1],
        "manifest_neg": lambda c: (c["weights"][0].update(shape=[-4, 3]), c)[1],
        "manifest_str": lambda c: (c.update(weights="all"), c)[1],
        "manifest_short": lambda c: (c.update(weights=c["weights"][:1]), c)[1],
        "manifest_swapped": lambda c: (c["weights"][0].update(shape=[3, 4]), c)[1],
        "version_future": lambda c: (c.update(format_version=99), c)[1],
        "compile_bad_opt": lambda c: (c["compile_config"].update(
            optimizer={"class_name": "Nope", "config": {}}), c)[1],
        "compile_opt_nan": lambda c: (c["compile_config"]["optimizer"]["config"].update(
            learning_rate=float("nan")), c)[1],
        "compile_loss_int": lambda c: (c["compile_config"].update(loss=5), c)[1],
        "compile_metric_evil": lambda c: (c["compile_config"].update(
            metrics=[{"class_name": "eval", "config": {}}]), c)[1],
        "opt_state_huge": lambda c: (c["optimizer_state"].update(n_params=2 ** 40), c)[1],
        "opt_state_neg": lambda c: (c["optimizer_state"].update(n_states=-1), c)[1],
        "opt_state_str": lambda c: (c.update(optimizer_state="x"), c)[1],
    }
    for name, edit in edits.items():
        _with_config(seq, path(f"{name}.pynn"), edit)
    # configs of layers whose shape arithmetic can overflow or whose outputs are huge
    for name, changes in {"up_16384": {"size": [16384, 16384]}, "up_2p62": {"size": [2 ** 62, 1]},
                          "up_neg": {"size": [-1, 2]}, "up_zero": {"size": [0, 0]}}.items():
        _with_config(fun, path(f"fun_{name}.pynn"),
                     lambda c, ch=changes: (c["model"]["config"]["layers"][1]["config"].update(ch),
                                            c)[1])
    # issue 10 item 3: a ~500-byte file whose last layer's shape arithmetic overflows
    up = pynn_sequential_upsampling(folder)
    for name, size in {"up_last_2p62": [2 ** 62, 1], "up_last_16384": [16384, 16384],
                       "up_last_2p31": [2 ** 31, 2 ** 31]}.items():
        _with_config(up, path(f"seq_{name}.pynn"), lambda c, sz=size: _set_layer(c, 0, size=sz))
    _with_config(fun, path("fun_call_loop.pynn"), lambda c: (
        c["model"]["config"]["calls"][0].update(inputs=[["call", 2, 0]]), c)[1])
    _with_config(fun, path("fun_call_index_huge.pynn"), lambda c: (
        c["model"]["config"]["calls"][1].update(layer=2 ** 63), c)[1])
    _with_config(fun, path("fun_output_ref_bad.pynn"), lambda c: (
        c["model"]["config"].update(outputs=[["call", 0, 5]]), c)[1])
    # weights that do not match their config
    members = _members(seq)
    w = np.load(io.BytesIO(members["weights.npz"]))
    arrays = {k: w[k] for k in w.files}
    variants = {
        "w_transposed": dict(arrays, w0=arrays["w0"].T.copy()),
        "w_missing": {k: v for k, v in arrays.items() if k != "w1"},
        "w_extra": dict(arrays, w9=np.zeros(3, np.float32)),
        "w_float64": dict(arrays, w0=arrays["w0"].astype(np.float64)),
        "w_fortran": dict(arrays, w0=np.asfortranarray(arrays["w0"])),
        "w_nan": dict(arrays, w0=np.full_like(arrays["w0"], np.nan)),
        "w_inf": dict(arrays, w1=np.full_like(arrays["w1"], np.inf)),
        "w_object": dict(arrays, w0=np.array([[None] * 3] * 4, object)),
    }
    for name, arrs in variants.items():
        try:
            npz = _npz(arrs)
        except ValueError:
            continue
        _zip(path(f"{name}.pynn"), dict(members, **{"weights.npz": npz}))
    _zip(path("w_deflated_npz.pynn"), dict(members, **{"weights.npz": _npz(arrays, True)}))
    lie = bytearray(members["weights.npz"])
    i = lie.find(b"'shape': (4, 3)")
    if i >= 0:  # a .npy header claiming 10**12 values (same length: the zip stays valid)
        lie[i:i + 15] = b"'shape': (9**9,"[:15]
    _zip(path("w_header_lies.pynn"), dict(members, **{"weights.npz": bytes(lie)}))
    # member names and extra members
    _zip(path("member_dotdot.pynn"), dict(members, **{"../evil.json": b"{}"}))
    _zip(path("member_abs.pynn"), dict(members, **{"/etc/x": b"{}"}))
    _zip(path("member_extra.pynn"), dict(members, **{"model.py": b"import os"}))
    _zip(path("member_missing_weights.pynn"), {"config.json": members["config.json"]})
    # zip bombs: a forged size, a real 16 MB of zeros, bzip2/lzma members
    _zip(path("bomb_forged.pynn"), members, zipfile.ZIP_DEFLATED)
    _forge_size(out[-1], "config.json", 15 << 20)
    _zip(path("bomb_forged_weights.pynn"), members, zipfile.ZIP_DEFLATED)
    _forge_size(out[-1], "weights.npz", 2 ** 32 - 1)
    _zip(path("bomb_zeros.pynn"), {"config.json": b" " * (16 << 20), "weights.npz": b""},
         zipfile.ZIP_DEFLATED)
    _zip(path("bomb_bzip2.pynn"), {"config.json": b" " * (8 << 20), "weights.npz": b""},
         zipfile.ZIP_BZIP2)
    # the weights file, damaged
    wraw = open(wts, "rb").read()
    open(path("weights_trunc.npz"), "wb").write(wraw[:len(wraw) // 2])
    _with_config(wts, path("weights_manifest_huge.npz"), lambda c: (
        c["weights"][0].update(shape=[2 ** 40]), c)[1])
    # symlinks and files that are not regular
    for name, target in (("link_zero", "/dev/zero"), ("link_dir", folder),
                         ("link_missing", os.path.join(folder, "nope")),
                         ("link_loop", os.path.join(folder, "link_loop.pynn"))):
        p = path(f"{name}.pynn")
        if not os.path.lexists(p):
            os.symlink(target, p)
    fifo = path("fifo.pynn")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    out += ["/dev/zero", "/dev/null", folder]
    keras_files(folder, path)
    # word-vector and IDX files
    open(path("vec_header_only.txt"), "w").write("1 500000000\n")
    open(path("vec_header_digits.txt"), "w").write("1 " + "9" * 5000 + "\n")
    open(path("vec_binary.txt"), "wb").write(bytes(range(256)) * 4)
    open(path("vec_ok.txt"), "w").write("a 1 2\nthe 3 4\n")
    blob = gzip.compress(b"a 1 2\n" * 5000)
    open(path("vec_trunc.txt.gz"), "wb").write(blob[:len(blob) // 2])
    idx = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 3, 3)
    for name, data in {"idx_short": idx[:6], "idx_lies": bytes([0, 0, 8, 3]) +
                       struct.pack(">III", 60000, 28000, 28000),
                       "idx_ok": idx + bytes(18), "idx_long": idx + bytes(40)}.items():
        open(path(f"{name}.idx"), "wb").write(data)
        open(path(f"{name}.idx.gz"), "wb").write(gzip.compress(data))
    return out


# ---------------------------------------------------------------- other tools' files
def _h5_edit(h5_bytes, edit):
    import h5py
    buf = io.BytesIO(h5_bytes)
    with h5py.File(buf, "r+") as f:
        edit(f)
    return buf.getvalue()


def _replace_dataset(key, make):
    def edit(f):
        del f[key]
        make(f, key)
    return edit


def keras_files(folder, path):
    """Keras 3 .keras zips and legacy Keras .h5 files (load_model tells them apart by
    content), intact and hostile: damaged zips, a zip bomb of model.weights.h5, and
    HDF5 that points outside the file (external storage and links: reading them would
    load another file's bytes as weights), loops, or holds non-numbers."""
    try:
        import h5py
    except ImportError:  # the keras-files extra: its loaders are then not reachable
        return
    import pynn
    from pynn.export.keras_file import save_keras
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(3),
                             pynn.layers.Dense(2)])
    save_keras(model, path("keras_ok.keras"))
    members = _members(os.path.join(folder, "keras_ok.keras"))
    raw = open(os.path.join(folder, "keras_ok.keras"), "rb").read()
    open(path("keras_trunc.keras"), "wb").write(raw[:len(raw) // 2])
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x10  # inside model.weights.h5: a CRC error on reading
    open(path("keras_crc.keras"), "wb").write(bytes(flipped))
    _zip(path("keras_bomb.keras"), dict(members, **{
        "model.weights.h5": members["model.weights.h5"] + bytes(16 << 20)}), zipfile.ZIP_DEFLATED)
    _zip(path("keras_member_dotdot.keras"), dict(members, **{"../evil": b"x"}))
    secret = os.path.join(folder, "outside.bin")
    open(secret, "wb").write(np.arange(12, dtype=np.float32).tobytes())
    kernel = "layers/dense/vars/0"
    hostile = {
        "external_storage": _replace_dataset(kernel, lambda f, k: f.create_dataset(
            k, shape=(4, 3), dtype="f4", external=[(secret, 0, 48)])),
        "external_link": _replace_dataset(kernel, lambda f, k: f.__setitem__(
            k, h5py.ExternalLink(os.path.join(folder, "keras_other.h5"), "x"))),
        "soft_link_loop": _replace_dataset(kernel, lambda f, k: f.__setitem__(
            k, h5py.SoftLink("/" + k))),
        "strings": _replace_dataset(kernel, lambda f, k: f.__setitem__(
            k, np.full((4, 3), b"ab"))),
        "group": _replace_dataset(kernel, lambda f, k: f.create_group(k)),
        "complex": _replace_dataset(kernel, lambda f, k: f.__setitem__(
            k, np.ones((4, 3), np.complex64))),
        "nan": lambda f: f[kernel].__setitem__(Ellipsis, np.nan),
        "var_names": lambda f: f["layers/dense/vars"].move("0", "zero"),
    }
    with h5py.File(os.path.join(folder, "keras_other.h5"), "w") as f:
        f["x"] = np.ones((4, 3), np.float32)
    for name, edit in hostile.items():
        _zip(path(f"keras_{name}.keras"), dict(members, **{
            "model.weights.h5": _h5_edit(members["model.weights.h5"], edit)}))
    # a legacy .h5 model (keras/src/legacy/saving/legacy_h5_format.py) whose kernel is an
    # external link, and one whose kernel is stored in another file
    cfg = json.loads(members["config.json"])
    for name, make in (("h5_external_link", lambda g, k: g.__setitem__(
            k, h5py.ExternalLink(os.path.join(folder, "keras_other.h5"), "x"))),
                       ("h5_external_storage", lambda g, k: g.create_dataset(
                           k, shape=(4, 3), dtype="f4", external=[(secret, 0, 48)]))):
        with h5py.File(path(f"{name}.h5"), "w") as f:
            f.attrs["model_config"] = json.dumps(cfg).encode()
            g = f.create_group("model_weights")
            g.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
            for layer, (k, b) in (("dense", (4, 3)), ("dense_1", (3, 2))):
                lg = g.create_group(layer)
                lg.attrs["weight_names"] = np.array([b"kernel", b"bias"])
                if layer == "dense":
                    make(lg, "kernel")
                else:
                    lg["kernel"] = np.ones((k, b), np.float32)
                lg["bias"] = np.zeros(b, np.float32)


# ---------------------------------------------------------------- mutated configs
def _leaf_paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaf_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaf_paths(v, prefix + (i,))
    yield prefix


hostile_json = st.one_of(st.sampled_from(HUGE_INTS + [-1, 0, 1, 2 ** 100]),
                         st.sampled_from([v for v in ODD_FLOATS]),
                         st.sampled_from([v for v in ODD_OBJECTS
                                          if isinstance(v, (str, int, float, type(None), list,
                                                            dict))]),
                         st.lists(st.integers(-2 ** 63, 2 ** 63), max_size=3),
                         st.text(max_size=8))


@st.composite
def mutated_configs(draw):
    from .cases import Case
    which = draw(st.sampled_from(["seq", "fun", "seq_weights"]))
    pick = draw(st.integers(0, 10 ** 6))
    value = draw(hostile_json)
    return Case("file", "mutated", {"base": which, "leaf": pick, "value": value, "path": None})


def write_mutated(folder, bases, params, counter):
    """Writes the base file with the chosen config leaf replaced; returns the path."""
    src = bases[params["base"]]
    members = _members(src)
    cfg = json.loads(members["config.json"])
    leaves = list(_leaf_paths(cfg))
    where = leaves[params["leaf"] % len(leaves)]
    params["path"] = "/".join(map(str, where))  # shown in the case's repr
    if not where:
        cfg = params["value"]
    else:
        node = cfg
        for k in where[:-1]:
            node = node[k]
        node[where[-1]] = params["value"]
    members["config.json"] = json.dumps(cfg).encode()
    dst = os.path.join(folder, f"mutated_{counter}.pynn")
    _zip(dst, members)
    return dst
