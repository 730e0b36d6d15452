"""Saving and loading models and weights.

A pynn file is a zip archive (any extension; `.keras`-like `.pynn` or
`.weights.npz` are conventions) holding

    config.json     format tag and version, the model's class and layer configs,
                    the compile config (optimizer config, loss, metrics) and a
                    manifest of the weights (name and shape of each, in order)
    weights.npz     the weights, in model.weights order (plain .npy members)
    optimizer.npz   the optimizer's iteration count and state arrays (optional)
    layer_state.npz what custom layers store with save_own_variables (Keras' hook;
                    optional), and assets/<layer>/... the files their save_assets
                    writes, handed to load_assets from a temporary directory on load

Files are written to a temporary file in the destination directory and renamed
over the target (os.replace), so a crash leaves either the old file or the new
one, never half of one. The temporary file is anonymous (O_TMPFILE) where the
system allows, so a killed save leaves nothing behind; elsewhere the next save
of the same target removes temp files whose writer has died.

Only regular files are read (a FIFO or /dev/zero is refused, not waited on).

Loading executes nothing from the file: JSON is parsed as data, classes are
looked up in pynn's registries (pynn.layers.get_class, the optimizer, loss and
metric tables), arrays are read with their .npy headers checked (dtype, shape,
byte count) before any memory is allocated, and every size the file declares is
checked against the bytes actually present, so a hostile or damaged file gives a
ValueError instead of a huge allocation, a crash or a partly loaded model.
"""
import contextlib
import inspect
import io
import json
import math
import os
import re
import struct
import tempfile
import threading
import warnings
import zipfile
import zlib

import numpy as np

from ._fileio import open_regular
from .serialization import (custom_object_scope, deserialize_keras_object,  # noqa: F401
                            get_custom_objects, get_registered_name, get_registered_object,
                            register_keras_serializable, serialize_keras_object)

__all__ = ["save_model", "load_model", "save_weights", "load_weights",
           "register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
           "get_registered_object"]

FORMAT_VERSION = 1
MODEL_FORMAT = "pynn.model"
WEIGHTS_FORMAT = "pynn.weights"
_MEMBERS = ("config.json", "weights.npz", "optimizer.npz", "layer_state.npz")
# what custom layers save themselves (Keras' save_assets): "assets/<layer index>/<file>"
_ASSETS = "assets/"
_MAX_ASSET_BYTES = 64 << 20
_STATE_DTYPES = ("float32", "float64", "int32", "int64", "uint8", "bool")
# A `.keras` name holds both formats: Keras 3's members (its config.json, metadata.json,
# model.weights.h5), which Keras loads, and pynn's, its config renamed pynn.json, which
# pynn loads with everything (optimizer state, preprocessing, custom layers).
_KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
_PYNN_CONFIG_IN_KERAS = "pynn.json"
_MAX_CONFIG_BYTES = 16 << 20
_MAX_DEFLATE_RATIO = 1100  # deflate's real maximum is about 1032:1
_NPY_SLACK = 4096  # zip and .npy header bytes allowed per array on top of the data


# ---------------------------------------------------------------- layer configs
def layer_to_config(layer):
    """{"class_name": ..., "config": layer.get_config()} (JSON-friendly); a model used as
    a layer (a Sequential inside a functional model) is its model config; a class
    registered with register_keras_serializable carries its registered name."""
    from .models import Functional, Sequential
    if isinstance(layer, (Functional, Sequential)):
        return model_to_config(layer)
    cfg = {"class_name": type(layer).__name__, "config": layer.get_config()}
    registered = get_registered_name(type(layer))
    if registered != type(layer).__name__:
        cfg["registered_name"] = registered
    if _overrides(layer, "build_from_config") or _overrides(layer, "get_build_config"):
        # a layer whose build() takes more than the input shape (Keras' guide "Customizing
        # saving": build(input_shape, layer_init)) is rebuilt by its own build_from_config
        cfg["build_config"] = _json_safe(layer.get_build_config(),
                                         f"{type(layer).__name__}.get_build_config()")
    return cfg


def _overrides(layer, method):
    """True when the layer's class replaces the base Layer's `method` (a user hook)."""
    from .layers.base import Layer
    return getattr(type(layer), method) is not getattr(Layer, method)


def _json_safe(value, what):
    """`value` as JSON data (tuples become lists), or ValueError naming `what`."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must return JSON data (dicts, lists, strings, numbers); "
                         f"got {value!r:.200} ({e})") from None


def layer_from_config(cfg, custom_objects=None):
    """A new layer from layer_to_config output. Only classes registered with
    pynn.layers.register (or passed in custom_objects) can be created."""
    from . import layers
    if not isinstance(cfg, dict) or not isinstance(cfg.get("class_name"), str):
        raise ValueError(f"A layer config must be a dict with a 'class_name' string, got {cfg!r:.200}")
    name = cfg["class_name"]
    if name in ("Sequential", "Functional"):  # a model used as a layer
        return model_from_config(cfg, custom_objects)
    config = cfg.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"The config of layer class {name!r} must be a dict, got "
                         f"{type(config).__name__}")
    if name in ("Sequential", "Functional"):  # a nested model
        return model_from_config(cfg, custom_objects)
    registered = cfg.get("registered_name")
    cls = (custom_objects or {}).get(name) \
        or (get_registered_object(registered, custom_objects) if isinstance(registered, str)
            else None) \
        or get_registered_object(name, custom_objects) or layers.get_class(name)
    if not (isinstance(cls, type) and hasattr(cls, "from_config")):
        raise ValueError(f"Layer class {name!r} resolves to {cls!r}, which is not a layer class")
    try:
        # wrappers (TimeDistributed, Lambda) resolve what they hold from custom_objects
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            layer = cls.from_config(dict(config), custom_objects=custom_objects)
        else:
            layer = cls.from_config(dict(config))
    except TypeError as e:  # unexpected or missing constructor arguments
        raise ValueError(f"Invalid config for layer class {name!r}: {e}") from None
    if cfg.get("build_config") is not None and _overrides(layer, "build_from_config"):
        layer.build_from_config(cfg["build_config"])  # before the model builds around it
    return layer


# ---------------------------------------------------------------- model configs
def _functional_config(model):
    from .functional import KerasTensor, input_layer_of
    inputs = list(model._inputs)
    calls = [t for _, t in model._calls]
    key_of = {}
    for j, (key, _) in enumerate(model._calls):
        key_of[key] = j
    layers_ = list(model._layers)

    def ref(t):
        if t.layer is None:
            for k, x in enumerate(inputs):
                if x is t:
                    return ["input", k]
            raise ValueError("The model depends on an Input that is not among its inputs")
        key = (id(t.layer), tuple(id(i) for i in t.inputs))
        return ["call", key_of[key], int(t.index)]

    def tensors_to_refs(v):  # keyword tensors (initial_state=[h, c]) as {"tensor": ref}
        if isinstance(v, KerasTensor):
            return {"tensor": ref(v)}
        if isinstance(v, (list, tuple)):
            return [tensors_to_refs(item) for item in v]
        return v

    call_cfgs = []
    for t in calls:
        kwargs = {k: tensors_to_refs(v) for k, v in (getattr(t, "call_kwargs", {}) or {}).items()}
        try:
            json.dumps(kwargs)
        except TypeError:
            raise ValueError(f"Cannot save the call of layer '{t.layer.name}': its keyword "
                             f"arguments {sorted(kwargs)} are not JSON data") from None
        positional = t.inputs[:getattr(t, "n_positional", len(t.inputs))]
        call_cfgs.append({"layer": next(i for i, l in enumerate(layers_) if l is t.layer),
                          "inputs": [ref(i) for i in positional], "kwargs": kwargs})
        if getattr(t, "dict_keys", None) is not None:  # the layer was called with a dict
            call_cfgs[-1]["dict_keys"] = list(t.dict_keys)
    extra = {"input_keys": model._dict_keys()} if model._dict_keys() else {}
    return {**extra, "name": model.name,
            "inputs": [dict({"name": t.name, "layer_name": input_layer_of(t).name,
                             "shape": list(t.shape[1:])},
                            **({"dtype": t._dtype} if getattr(t, "_dtype", None) else {}))
                       for t in inputs],
            "layers": [layer_to_config(l) for l in layers_],
            "calls": call_cfgs,
            "outputs": [ref(t) for t in model._outputs]}


def _functional_from_config(cfg, custom_objects=None):
    from .functional import Input
    from .models import Model
    inputs = []
    for spec in _list(cfg, "inputs"):
        shape = _shape(spec.get("shape") if isinstance(spec, dict) else None, "input shape",
                       allow_none=True)
        inputs.append(Input(shape=shape, name=spec.get("name"), dtype=spec.get("dtype")))
        if isinstance(spec.get("layer_name"), str):  # absent from files written before
            inputs[-1].input_layer.name = spec["layer_name"]
    layers_ = [layer_from_config(lc, custom_objects) for lc in _list(cfg, "layers")]
    outs = []

    def resolve(r, upto):
        if (isinstance(r, list) and len(r) == 2 and r[0] == "input" and _is_index(r[1])
                and r[1] < len(inputs)):
            return inputs[r[1]]
        if (isinstance(r, list) and len(r) == 3 and r[0] == "call" and _is_index(r[1])
                and r[1] < upto and _is_index(r[2])):
            o = outs[r[1]]
            if isinstance(o, list):
                if r[2] >= len(o):
                    raise ValueError(f"Tensor reference {r} points past the outputs of its call")
                return o[r[2]]
            if r[2] != 0:
                raise ValueError(f"Tensor reference {r} points past the outputs of its call")
            return o
        # only earlier calls may be referenced: the graph cannot loop
        raise ValueError(f"Invalid tensor reference {r!r:.100} in the model config")

    for j, call in enumerate(_list(cfg, "calls")):
        if not isinstance(call, dict) or not _is_index(call.get("layer")) \
                or call["layer"] >= len(layers_):
            raise ValueError(f"Invalid layer call #{j} in the model config")
        args = [resolve(r, j) for r in call.get("inputs", [])]
        if not args:
            raise ValueError(f"Layer call #{j} in the model config has no inputs")
        kwargs = call.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise ValueError(f"Invalid keyword arguments of layer call #{j}")

        def refs_to_tensors(v, j=j):
            if isinstance(v, dict) and set(v) == {"tensor"}:
                return resolve(v["tensor"], j)
            if isinstance(v, list):
                return [refs_to_tensors(item) for item in v]
            return v
        kwargs = {k: refs_to_tensors(v) for k, v in kwargs.items()}
        keys = call.get("dict_keys")
        if keys is not None:
            if not (isinstance(keys, list) and len(keys) == len(args)
                    and all(isinstance(k, str) for k in keys)):
                raise ValueError(f"Invalid dict_keys of layer call #{j} in the model config")
            outs.append(layers_[call["layer"]](dict(zip(keys, args)), **kwargs))
            continue
        outs.append(layers_[call["layer"]](args if len(args) > 1 else args[0], **kwargs))
    refs = cfg.get("outputs")
    if not isinstance(refs, list) or not refs:
        raise ValueError("Invalid outputs in the model config")
    outputs = [resolve(r, len(outs)) for r in refs]
    keys = cfg.get("input_keys")
    if keys is not None:
        if not (isinstance(keys, list) and len(keys) == len(inputs)
                and all(isinstance(k, str) for k in keys)):
            raise ValueError("Invalid input_keys in the model config")
        return Model(dict(zip(keys, inputs)), outputs if len(outputs) > 1 else outputs[0],
                     name=cfg.get("name"))
    return Model(inputs if len(inputs) > 1 else inputs[0],
                 outputs if len(outputs) > 1 else outputs[0], name=cfg.get("name"))


def model_to_config(model):
    from .models import Functional, Sequential
    if isinstance(model, Sequential):
        return {"class_name": "Sequential", "config": model.get_config()}
    if isinstance(model, Functional):
        return {"class_name": "Functional", "config": _functional_config(model)}
    raise ValueError(f"Cannot save a model of class {type(model).__name__}: only Sequential and "
                     f"functional Model(inputs, outputs) models can be rebuilt from a config. "
                     f"Save its weights with save_weights instead.")


def model_from_config(cfg, custom_objects=None):
    from .models import Sequential
    if not isinstance(cfg, dict) or not isinstance(cfg.get("config"), dict):
        raise ValueError("The model config must be a dict with 'class_name' and 'config'")
    inner = cfg["config"]
    if cfg.get("class_name") == "Sequential":
        model = Sequential(name=inner.get("name"))
        if inner.get("input_shape") is not None:
            from .functional import Input
            dtype = inner.get("input_dtype")
            if dtype not in (None, "float32", "int32", "int64", "string"):
                raise ValueError(f"The model config's input_dtype {dtype!r} is not one pynn takes")
            model.add(Input(shape=_shape(inner["input_shape"], "input_shape"), dtype=dtype))
        for lc in _list(inner, "layers"):
            model.add(layer_from_config(lc, custom_objects))
        return model
    if cfg.get("class_name") == "Functional":
        return _functional_from_config(inner, custom_objects)
    raise ValueError(f"Unknown model class {cfg.get('class_name')!r} (expected 'Sequential' or "
                     f"'Functional')")


def _list(d, key):
    v = d.get(key) if isinstance(d, dict) else None
    if not isinstance(v, list):
        raise ValueError(f"The model config needs a list under {key!r}")
    return v


def _is_index(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _shape(v, what, allow_none=False):
    """allow_none: a functional Input's unknown dimensions (shape=(None, 8)), as null."""
    if not isinstance(v, list) or not all(_is_index(s) or (allow_none and s is None) for s in v):
        raise ValueError(f"Invalid {what} {v!r:.100}: expected a list of non-negative ints")
    return tuple(v)


# ---------------------------------------------------------------- weight budget
_budget = threading.local()
_guard_lock = threading.Lock()
_guard_installed = False


def _install_weight_guard():
    """Wraps Layer._add_weight (once) so that, while a file is being loaded in
    this thread, no layer can allocate more weight values than the file holds.
    A config is data a stranger may have written: `Dense(10**12)` must fail
    before the allocation, not after."""
    global _guard_installed
    with _guard_lock:
        if _guard_installed:
            return
        from .layers.base import Layer
        original = Layer._add_weight

        def add_weight(self, name, shape, *args, **kwargs):
            left = getattr(_budget, "left", None)
            if left is not None:
                n = math.prod(int(s) for s in shape)
                if n > left:
                    raise ValueError(
                        f"The model config makes layer '{self.name}' create weight '{name}' of "
                        f"shape {tuple(int(s) for s in shape)} ({n:,} values), more than the "
                        f"file's weights hold ({left:,} values left)")
                _budget.left = left - n
            return original(self, name, shape, *args, **kwargs)

        Layer._add_weight = add_weight
        _guard_installed = True


@contextlib.contextmanager
def _weight_budget(n_values):
    _install_weight_guard()
    prev = getattr(_budget, "left", None)
    _budget.left = int(n_values)
    try:
        yield
    finally:
        _budget.left = prev


# ---------------------------------------------------------------- writing
def _npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# O_TMPFILE (Linux >= 3.11): the file being written has no name, so a save
# killed mid-way leaves nothing behind; it gets a name (linkat through
# /proc/self/fd) only once complete, just before the rename. Where it is
# missing, a named temp file is used and a later save of the same target
# removes the ones whose writer has died. Tests set this to 0 to cover that path.
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)


def _temp_name(directory, base):
    # the writer's pid is in the name, so a later save can tell stale files
    # (writer dead) from those of a save still running in another process
    return os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


def _pid_alive(pid):
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


def _remove_stale_temps(directory, base):
    """Removes `.{base}.{pid}.{hex}.tmp` files left by saves that were killed."""
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        parts = name[len(prefix):-len(".tmp")].split(".")
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 8:
            continue  # not one of ours
        pid = int(parts[0])
        if pid != os.getpid() and not _pid_alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def _write_zip(f, members):
    # stored, not deflated: the loader can then trust declared sizes
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    f.flush()
    os.fsync(f.fileno())


def _write_anonymous(directory, base, members):
    """Writes into an O_TMPFILE file and links it under a temp name; returns
    that name, or None when the system cannot (then nothing was left behind)."""
    if not _O_TMPFILE:
        return None
    umask = os.umask(0)
    os.umask(umask)
    try:
        fd = os.open(directory, _O_TMPFILE | os.O_WRONLY, 0o666 & ~umask)
    except OSError:  # file system or kernel without O_TMPFILE
        return None
    with os.fdopen(fd, "wb") as f:
        _write_zip(f, members)
        tmp = _temp_name(directory, base)
        try:
            os.link(f"/proc/self/fd/{f.fileno()}", tmp)  # linkat(..., AT_SYMLINK_FOLLOW)
        except OSError:  # no /proc: write again the named way
            return None
    return tmp


def _write_named(directory, base, members):
    tmp = _temp_name(directory, base)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_zip(f, members)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _write_container(path, members, overwrite):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a directory")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it")
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    _remove_stale_temps(directory, base)
    tmp = _write_anonymous(directory, base, members) or _write_named(directory, base, members)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _layer_state(model, with_assets=True):
    """(config entries, arrays, asset members) for the layers whose classes keep state of
    their own, through Keras' hooks: save_own_variables / load_own_variables overridden
    (extra arrays in layer_state.npz) or save_assets (files under assets/<layer>/; not
    for save_weights, which writes no assets in Keras either)."""
    entries, arrays, assets = [], {}, {}
    for idx, layer in enumerate(model._all_layers()):
        own = _overrides(layer, "save_own_variables") or _overrides(layer, "load_own_variables")
        has_assets = with_assets and callable(getattr(layer, "save_assets", None))
        if not (own or has_assets):
            continue
        entry = {"layer": idx, "class_name": type(layer).__name__}
        if own:
            store = {}
            layer.save_own_variables(store)
            entry["variables"] = []
            for key, value in store.items():
                a = np.asarray(value)
                if a.dtype.name not in _STATE_DTYPES:
                    raise ValueError(f"{type(layer).__name__} '{layer.name}'.save_own_variables "
                                     f"stored {key!r} of dtype {a.dtype}; pynn saves "
                                     f"{', '.join(_STATE_DTYPES)} arrays")
                member = f"l{idx}_{len(entry['variables'])}"
                arrays[member] = np.ascontiguousarray(a)
                entry["variables"].append([str(key), member, list(a.shape), a.dtype.name])
        if has_assets:
            with tempfile.TemporaryDirectory() as d:
                layer.save_assets(d)
                entry["assets"] = []
                for root, _, names in sorted(os.walk(d)):
                    for n in sorted(names):
                        full = os.path.join(root, n)
                        if os.path.islink(full) or not os.path.isfile(full):
                            raise ValueError(f"{type(layer).__name__} '{layer.name}'.save_assets "
                                             f"wrote {n!r}, which is not a regular file")
                        rel = os.path.relpath(full, d).replace(os.sep, "/")
                        with open(full, "rb") as f:
                            assets[f"{_ASSETS}{idx}/{rel}"] = f.read()
                        entry["assets"].append(rel)
        entries.append(entry)
    return entries, arrays, assets


def _restore_layer_state(archive, model):
    """load_own_variables / load_assets of the layers `_layer_state` saved, after the
    weights (Keras' order); every entry checked before any layer is touched."""
    _layer_state_plan(archive, model)()


def _layer_state_plan(archive, model, with_assets=True):
    """Checks the layer_state entries of the file against the model and reads their
    arrays; returns the function that hands them to the layers' load_own_variables /
    load_assets. with_assets=False (load_weights): a model file's assets are left unread."""
    entries = archive.config.get("layer_state")
    listed = set()
    plan, expected = [], []
    if entries is not None:
        layers = model._all_layers()
        if not isinstance(entries, list):
            archive._fail("invalid layer_state in config.json")
        for e in entries:
            if not isinstance(e, dict) or not _is_index(e.get("layer")) \
                    or e["layer"] >= len(layers):
                archive._fail("invalid layer_state entry in config.json")
            layer = layers[e["layer"]]
            if e.get("class_name") != type(layer).__name__:
                archive._fail(f"layer_state names a {e.get('class_name')!r} layer where the "
                              f"model has {type(layer).__name__} '{layer.name}'")
            variables = e.get("variables")
            if variables is not None:
                if not isinstance(variables, list) or not all(
                        isinstance(v, list) and len(v) == 4 and isinstance(v[0], str)
                        and isinstance(v[1], str) and re.fullmatch(r"l\d+_\d+", v[1])
                        and v[3] in _STATE_DTYPES for v in variables):
                    archive._fail(f"invalid stored variables for layer '{layer.name}'")
                for _, member, shape, dtype in variables:
                    try:
                        expected.append((member, _shape(shape, "stored variable shape"), dtype))
                    except ValueError as err:
                        archive._fail(str(err))
            assets = e.get("assets") if with_assets else None
            if assets is not None:
                if not isinstance(assets, list) or not all(
                        isinstance(a, str) and a and not a.startswith("/") and "\\" not in a
                        and ".." not in a.split("/") for a in assets):
                    archive._fail(f"invalid asset list for layer '{layer.name}'")
                listed |= {f"{_ASSETS}{e['layer']}/{a}" for a in assets}
            plan.append((layer, e["layer"], variables, assets))
    present = {n for n in archive.zip.namelist() if n.startswith(_ASSETS)}
    if with_assets and present != listed:
        archive._fail(f"the asset members {sorted(present ^ listed)[:5]} do not match the "
                      f"config's layer_state")
    arrays = archive.read_npz("layer_state.npz", expected) if expected else {}

    def apply():
        for layer, idx, variables, assets in plan:
            if variables is not None:
                layer.load_own_variables({key: arrays[member]
                                          for key, member, _, _ in variables})
            if assets is not None:
                with tempfile.TemporaryDirectory() as d:
                    for rel in assets:
                        data = archive._read_member(f"{_ASSETS}{idx}/{rel}", _MAX_ASSET_BYTES)
                        path = os.path.join(d, *rel.split("/"))
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "wb") as f:
                            f.write(data)
                    layer.load_assets(d)
    return apply


def _manifest(model):
    return [{"name": str(getattr(w, "name", f"weight_{i}")), "shape": list(w.shape)}
            for i, w in enumerate(model.weights)]


def _optimizer_members(model):
    """(config, npz bytes) of the optimizer state, or (None, None)."""
    opt = getattr(model, "optimizer", None)
    if opt is None or not getattr(opt, "built", False):
        return None, None
    iterations, arrays = opt.get_state()
    cfg = {"class_name": type(opt).__name__, "state_names": list(opt.state_names),
           "n_params": int(sum(opt._c.segment_sizes)), "n_states": len(arrays)}
    npz = {"iterations": np.asarray(iterations, np.int64)}
    npz.update({f"s{i}": np.ascontiguousarray(a, np.float32) for i, a in enumerate(arrays)})
    return cfg, _npz_bytes(npz)


def _compile_config(model):
    from . import losses, metrics, optimizers
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    try:
        def one(l):
            return None if l is None else losses.serialize(losses.get(l))
        spec = getattr(model, "_loss_spec", model.loss)
        if isinstance(spec, dict):  # several outputs: by output name
            loss = {"per_output": {k: one(v) for k, v in spec.items()}}
        elif isinstance(spec, (list, tuple)):
            loss = {"per_output": [one(v) for v in spec]}
        else:
            loss = one(spec)
        specs = []
        for m in getattr(model, "_metric_specs", []):
            if isinstance(m, str):
                specs.append(m)
            elif isinstance(m, metrics.Metric):
                specs.append({"class_name": type(m).__name__, "config": m.get_config()})
            elif isinstance(m, type) and issubclass(m, metrics.Metric):
                specs.append({"class_name": m.__name__, "config": {}})
            else:
                raise ValueError(f"metric {m!r} is not serializable")
        cfg = {"optimizer": optimizers.serialize(model.optimizer), "loss": loss, "metrics": specs,
               "loss_weights": getattr(model, "_loss_weights", None)}
        json.dumps(cfg)
        return cfg
    except (ValueError, TypeError, AttributeError) as e:
        warnings.warn(f"The model's compile configuration cannot be saved ({e}); the file will "
                      f"load as an uncompiled model.", stacklevel=3)
        return None


def _build_if_declared(model):
    # Keras builds a Sequential as soon as its input shape is known; pynn's
    # builds at first use, so do it here rather than refuse.
    if not getattr(model, "built", False) and \
            getattr(model, "_declared_shape", lambda: None)() is not None:
        model.build()


def save_model(model, filepath, overwrite=True):
    """Saves a whole model to one file: architecture, weights, compile settings and optimizer state.

    pynn's format is a zip of ``config.json``, ``weights.npz`` and
    ``optimizer.npz`` (``.pynn`` by convention), written under a temporary name and
    renamed, so a crash never leaves half a file. Training resumes exactly after
    `load_model`. A ``.keras`` name writes Keras 3's native file (``config.json``,
    ``metadata.json``, ``model.weights.h5``: ``keras.saving.load_model`` opens it
    with the same predictions) with pynn's members beside it (its config as
    ``pynn.json``), which `load_model` reads; a model Keras cannot rebuild (custom
    or preprocessing layers) gets pynn's members only, with a warning saying why.
    A ``.h5`` / ``.hdf5`` name writes Keras' legacy HDF5 model file, as Keras 3
    does for such a name (``ModelCheckpoint("best.h5")`` in tf.keras-era programs):
    architecture and weights, read back by `load_model`, ``model.load_weights``
    and Keras (pynn.export.keras_h5; needs h5py; Keras' built-in layers only).
    Also ``model.save(path)`` and ``pynn.save_model``.

    Parameters
    ----------
    model : Model
        A built model.
    filepath : str or path-like
        Where to write.
    overwrite : bool, default True
        Replace an existing file (False raises).

    Raises
    ------
    ValueError
        The model is not built, or an ``.h5`` name is given for a model Keras cannot
        rebuild (subclassed, custom or preprocessing layers: the message names it).
    ImportError
        An ``.h5`` name without h5py installed.
    FileExistsError
        The file exists and ``overwrite=False``.

    Examples
    --------
    >>> import os, tempfile
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.pynn")
    >>> pynn.saving.save_model(model, path)
    >>> restored = pynn.saving.load_model(path)
    >>> restored.optimizer.get_config()["name"], restored.output_shape
    ('adam', (None, 2))
    """
    _build_if_declared(model)
    if not getattr(model, "built", False):
        raise ValueError(f"Model '{model.name}' is not built yet, so it has no weights to save: "
                         f"call it on data, give it an input shape, or call build() first")
    if str(filepath).lower().endswith((".h5", ".hdf5")):  # never a zip under an HDF5 name
        from .export.keras_h5 import save_h5
        try:
            save_h5(model, filepath, overwrite=overwrite)
        except ValueError as e:
            raise ValueError(f"model.save({str(filepath)!r}) writes Keras' legacy HDF5 model, "
                             f"which cannot hold this model: {e}; use a .pynn name (pynn's "
                             f"format) or .keras") from None
        return
    config = {"format": MODEL_FORMAT, "format_version": FORMAT_VERSION,
              "model": model_to_config(model), "weights": _manifest(model)}
    compile_cfg = _compile_config(model)
    config["compile_config"] = compile_cfg
    members = {}
    opt_cfg, opt_npz = _optimizer_members(model) if compile_cfg is not None else (None, None)
    config["optimizer_state"] = opt_cfg
    config_member = "config.json"
    if str(filepath).lower().endswith(".keras"):
        keras = _keras_members(model, filepath)
        if keras is not None:
            members.update(keras)
            config_member = _PYNN_CONFIG_IN_KERAS
    state, state_arrays, asset_members = _layer_state(model)
    if state:
        config["layer_state"] = state
        if state_arrays:
            members["layer_state.npz"] = _npz_bytes(state_arrays)
        members.update(asset_members)
    members[config_member] = json.dumps(config, indent=1).encode("utf-8")
    members["weights.npz"] = _npz_bytes({f"w{i}": np.asarray(w, np.float32)
                                         for i, w in enumerate(model.weights)})
    if opt_npz is not None:
        members["optimizer.npz"] = opt_npz
    _write_container(filepath, members, overwrite)


def _keras_members(model, filepath):
    """Keras 3's members for a `.keras` file, or None (with a warning saying why) when
    Keras could not rebuild the model: the file then holds pynn's format only."""
    from .export.keras_file import keras_members
    try:
        return keras_members(model)
    except Exception as e:  # pynn's members are the file's content; Keras' are a bonus
        warnings.warn(f"model.save({str(filepath)!r}): the file holds pynn's format only, which "
                      f"Keras 3 cannot open ({type(e).__name__}: {e}). Name it .pynn to say "
                      f"so.", stacklevel=3)
        return None


def save_weights(model, filepath, overwrite=True):
    """Saves a model's weights (and, once it has trained, its optimizer state) to a file.

    Also ``model.save_weights(path)``; any file name works.

    Parameters
    ----------
    model : Model
        A built model.
    filepath : str or path-like
        Where to write.
    overwrite : bool, default True
        Replace an existing file (False raises).

    Raises
    ------
    ValueError
        The model is not built.
    FileExistsError
        The file exists and ``overwrite=False``.

    Examples
    --------
    >>> import os, tempfile
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.npz")
    >>> pynn.saving.save_weights(model, path)
    >>> os.path.getsize(path) > 0
    True
    """
    _build_if_declared(model)
    if not getattr(model, "built", False):
        raise ValueError(f"Model '{model.name}' is not built yet, so it has no weights to save")
    opt_cfg, opt_npz = _optimizer_members(model)
    config = {"format": WEIGHTS_FORMAT, "format_version": FORMAT_VERSION,
              "weights": _manifest(model), "optimizer_state": opt_cfg}
    members = {}
    # what layers keep through Keras' save_own_variables hook (Keras' save_weights calls
    # it for every layer; the plain weights are in weights.npz)
    state, state_arrays, _ = _layer_state(model, with_assets=False)
    if state:
        config["layer_state"] = state
        if state_arrays:
            members["layer_state.npz"] = _npz_bytes(state_arrays)
    members["config.json"] = json.dumps(config, indent=1).encode("utf-8")
    members["weights.npz"] = _npz_bytes({f"w{i}": np.asarray(w, np.float32)
                                         for i, w in enumerate(model.weights)})
    if opt_npz is not None:
        members["optimizer.npz"] = opt_npz
    _write_container(filepath, members, overwrite)


# ---------------------------------------------------------------- reading
class _Archive:
    """A validated pynn zip: safe member names, the config parsed."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.file, self.size = open_regular(self.path, "pynn model or weights file")
        try:
            self.zip = zipfile.ZipFile(self.file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError,
                struct.error) as e:
            self.file.close()
            raise ValueError(f"{self.path!r} is not a pynn model or weights file (not a readable "
                             f"zip archive: {e}); it may be truncated or of another format") \
                from None
        try:
            self._check_members()
            self.config = self._read_config()
        except BaseException:
            self.close()
            raise

    def _fail(self, msg):
        raise ValueError(f"{self.path!r}: {msg}")

    def _check_members(self):
        names = [i.filename for i in self.zip.infolist()]
        for n in names:
            parts = n.replace("\\", "/").split("/")
            if n.startswith(("/", "\\")) or ".." in parts or ":" in n or "\x00" in n:
                self._fail(f"unsafe member name {n!r} in the archive (absolute path or '..'); "
                           f"refusing to load it")
        if len(set(names)) != len(names):
            self._fail("the archive holds duplicate member names")
        allowed = set(_MEMBERS)
        self.config_member = "config.json"
        if _PYNN_CONFIG_IN_KERAS in names:  # a .keras file holding both formats
            allowed |= set(_KERAS_MEMBERS) | {_PYNN_CONFIG_IN_KERAS}
            self.config_member = _PYNN_CONFIG_IN_KERAS
        extra = sorted(n for n in set(names) - allowed if not n.startswith(_ASSETS))
        if extra:
            self._fail(f"unexpected member(s) {extra}; a pynn file holds only {list(_MEMBERS)}")
        for required in (self.config_member, "weights.npz"):
            if required not in names:
                self._fail(f"missing member {required!r}")
        for info in self.zip.infolist():
            if info.file_size > self.size and info.compress_type == zipfile.ZIP_STORED:
                self._fail(f"member {info.filename!r} declares {info.file_size:,} bytes, more than "
                           f"the whole file ({self.size:,} bytes); the file is damaged")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self._fail(f"member {info.filename!r} uses zip compression method "
                           f"{info.compress_type}; pynn reads stored or deflated members only")
            # deflate cannot expand more than ~1032:1, so a larger declared ratio is
            # a lie (or a bomb): refuse it before inflating anything
            if info.compress_type == zipfile.ZIP_DEFLATED and \
                    info.file_size > _MAX_DEFLATE_RATIO * max(info.compress_size, 1):
                self._fail(f"member {info.filename!r} declares {info.file_size:,} bytes from "
                           f"{info.compress_size:,} compressed, more than deflate can expand "
                           f"to; the file is damaged or a zip bomb")

    def _read_member(self, name, limit):
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            self._fail(f"member {name!r} declares {info.file_size:,} bytes, more than the "
                       f"{limit:,} it may hold")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as e:
            self._fail(f"member {name!r} cannot be read ({e}); the file is damaged or truncated")

    def _read_config(self):
        raw = self._read_member(self.config_member, _MAX_CONFIG_BYTES)
        try:
            config = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as e:
            # JSONDecodeError, UnicodeDecodeError, and the int digit limit
            # ("Exceeds the limit (4300 digits)"), which alone names no file
            self._fail(f"config.json is not valid JSON ({e})")
        if not isinstance(config, dict) or config.get("format") not in (MODEL_FORMAT,
                                                                        WEIGHTS_FORMAT):
            self._fail("config.json does not describe a pynn model or weights file")
        version = config.get("format_version")
        if not _is_index(version) or version > FORMAT_VERSION:
            self._fail(f"format version {version!r} is not supported by this pynn (reads up to "
                       f"{FORMAT_VERSION}); upgrade pynn")
        return config

    def manifest(self):
        m = self.config.get("weights")
        if not isinstance(m, list) or not all(
                isinstance(e, dict) and isinstance(e.get("shape"), list) for e in m):
            self._fail("config.json has no valid weight manifest")
        out = []
        for e in m:
            try:
                out.append((str(e.get("name")), _shape(e["shape"], "weight shape")))
            except ValueError as err:
                self._fail(str(err))
        return out

    def read_npz(self, member, expected):
        """{key: array} for expected = [(key, shape, dtype)], every header
        checked before the array is allocated; nothing else may be inside."""
        if member not in self.zip.namelist():
            self._fail(f"missing member {member!r}")
        info = self.zip.getinfo(member)
        if info.compress_type != zipfile.ZIP_STORED:
            self._fail(f"member {member!r} is compressed; pynn writes (and reads) it stored")
        data_bytes = sum(math.prod(s) * np.dtype(d).itemsize for _, s, d in expected)
        if info.file_size < data_bytes:
            self._fail(f"member {member!r} holds {info.file_size:,} bytes, fewer than the "
                       f"{data_bytes:,} bytes of data the config declares; the file is damaged "
                       f"or does not match its config")
        raw = self._read_member(member, data_bytes + _NPY_SLACK * (len(expected) + 1))
        try:
            inner = zipfile.ZipFile(io.BytesIO(raw))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error) as e:
            self._fail(f"member {member!r} is not a valid .npz archive ({e})")
        names = inner.namelist()
        want = {k + ".npy" for k, _, _ in expected}
        if set(names) != want or len(names) != len(want):
            missing = sorted(want - set(names))
            extra = sorted(set(names) - want)
            self._fail(f"{member} does not match the config: missing {missing}, unexpected "
                       f"{extra}")
        out = {}
        for key, shape, dtype in expected:
            out[key] = self._read_npy(inner, member, key, shape, np.dtype(dtype))
        return out

    def _read_npy(self, inner, member, key, shape, dtype):
        where = f"{member}/{key}"
        try:
            with inner.open(key + ".npy") as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    hshape, fortran, hdtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    hshape, fortran, hdtype = np.lib.format.read_array_header_2_0(f)
                else:
                    self._fail(f"{where}: unsupported .npy version {version}")
                if hdtype != dtype:
                    self._fail(f"{where} has dtype {hdtype}, expected {dtype}")
                if tuple(hshape) != tuple(shape):
                    self._fail(f"{where} has shape {tuple(hshape)}, but the model needs "
                               f"{tuple(shape)}")
                nbytes = math.prod(shape) * dtype.itemsize
                buf = f.read(nbytes)
                if len(buf) != nbytes or f.read(1):
                    self._fail(f"{where} holds {len(buf):,} bytes of data, expected {nbytes:,}")
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, struct.error) as e:
            self._fail(f"{where} cannot be read ({e}); the file is damaged")
        except ValueError as e:
            if str(e).startswith(repr(self.path)):
                raise
            self._fail(f"{where} is not a valid .npy array ({e})")
        arr = np.frombuffer(buf, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return np.array(arr, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)

    def weights(self, shapes):
        arrays = self.read_npz("weights.npz", [(f"w{i}", s, np.float32)
                                               for i, s in enumerate(shapes)])
        for i in range(len(shapes)):
            if not np.isfinite(arrays[f"w{i}"]).all():
                self._fail(f"weight #{i} holds NaN or inf values; refusing to load a model "
                           f"whose outputs would all be NaN")
        return [arrays[f"w{i}"] for i in range(len(shapes))]

    def optimizer_state(self, optimizer):
        """(iterations, arrays) for `optimizer` (built), or None with a warning
        when the file's state does not belong to this kind of optimizer."""
        cfg = self.config.get("optimizer_state")
        if cfg is None or "optimizer.npz" not in self.zip.namelist():
            return None
        if not isinstance(cfg, dict) or not _is_index(cfg.get("n_states")) \
                or not _is_index(cfg.get("n_params")):
            self._fail("invalid optimizer_state in config.json")
        names = list(optimizer.state_names)
        n_params = sum(optimizer._c.segment_sizes) if optimizer._c is not None else 0
        if cfg.get("class_name") != type(optimizer).__name__ or cfg.get("state_names") != names \
                or cfg["n_params"] != n_params or cfg["n_states"] != len(names):
            warnings.warn(f"{self.path!r}: the saved optimizer state ({cfg.get('class_name')}, "
                          f"{cfg.get('state_names')}, {cfg['n_params']:,} parameters) does not "
                          f"fit the model's optimizer ({type(optimizer).__name__}, {names}, "
                          f"{n_params:,} parameters); it is not restored.",
                          stacklevel=3)
            return None
        expected = [("iterations", (), np.int64)] + [(f"s{i}", (n_params,), np.float32)
                                                     for i in range(len(names))]
        arrays = self.read_npz("optimizer.npz", expected)
        iterations = int(arrays["iterations"])
        if iterations < 0:
            self._fail("negative optimizer iteration count")
        return iterations, [arrays[f"s{i}"] for i in range(len(names))]

    def close(self):
        self.zip.close()
        self.file.close()


def _check_against_model(archive, model, manifest):
    mine = model.weights
    if len(mine) != len(manifest):
        archive._fail(f"holds {len(manifest)} weight arrays, but model '{model.name}' has "
                      f"{len(mine)}")
    for (name, shape), var in zip(manifest, mine):
        if tuple(shape) != tuple(var.shape):
            archive._fail(f"weight '{name}' has shape {tuple(shape)}, but the model's "
                          f"'{getattr(var, 'name', '?')}' has shape {tuple(var.shape)}")


def _compile_from_config(model, cfg):
    from . import losses, metrics, optimizers
    if not isinstance(cfg, dict):
        raise ValueError("invalid compile_config")
    optimizer = optimizers.deserialize(cfg.get("optimizer"))
    def one(l):
        if l is None:
            return None
        if not isinstance(l, dict):
            raise ValueError("invalid loss in compile_config")
        return losses.deserialize(l)
    loss = cfg.get("loss")
    if isinstance(loss, dict) and "per_output" in loss:
        per = loss["per_output"]
        if isinstance(per, dict):
            loss = {str(k): one(v) for k, v in per.items()}
        elif isinstance(per, list):
            loss = [one(v) for v in per]
        else:
            raise ValueError("invalid loss in compile_config")
    else:
        loss = one(loss)
    loss_weights = cfg.get("loss_weights")
    if loss_weights is not None and not isinstance(loss_weights, (list, dict)):
        raise ValueError("invalid loss_weights in compile_config")
    specs = []
    for m in cfg.get("metrics") or []:
        if isinstance(m, str):
            specs.append(m)
        elif isinstance(m, dict) and m.get("class_name") in metrics._CLASSES:
            conf = m.get("config") or {}
            if not isinstance(conf, dict):
                raise ValueError(f"invalid config for metric {m['class_name']}")
            try:
                specs.append(metrics._CLASSES[m["class_name"]].from_config(conf))
            except TypeError as e:
                raise ValueError(f"invalid config for metric {m['class_name']}: {e}") from None
        else:
            raise ValueError(f"unknown metric {m!r:.100} in compile_config")
    model.compile(optimizer=optimizer, loss=loss, metrics=specs, loss_weights=loss_weights)


def _is_hdf5(filepath):
    """True for a file starting with HDF5's signature (a legacy Keras .h5 model)."""
    try:
        f, _ = open_regular(filepath, "model file")
        with f:
            return f.read(8) == b"\x89HDF\r\n\x1a\n"
    except (OSError, ValueError, TypeError):
        return False


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds a model saved with `save_model` / ``model.save`` (also ``pynn.load_model``).

    Loading executes nothing from the file: the JSON is read as data, classes
    are looked up in pynn's registries (custom layers: `pynn.layers.register` or
    ``custom_objects``), and every size the file declares is checked before
    memory is allocated, so a damaged or hostile file raises ValueError.

    Parameters
    ----------
    filepath : str or path-like
        A file written by `save_model`, a ``.keras`` file Keras 3 wrote, or a
        legacy Keras 2 / tf.keras ``.h5`` file (told apart by content; read by
        `pynn.export.keras_file` / `pynn.export.keras_h5`, which need h5py; these
        two give the architecture and weights, not the compile settings).
    custom_objects : dict, optional
        ``{class name: class}`` for custom layers.
    compile : bool, default True
        Restore the compile settings and the optimizer state.
    safe_mode : bool, default True
        Accepted for Keras compatibility (loading is always safe).

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        A weights-only file, or a damaged, truncated or inconsistent file (the
        message says what is wrong).

    Examples
    --------
    >>> import os, tempfile
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> model.save(path)
    >>> restored = pynn.load_model(path)
    >>> x = np.ones((1, 3), np.float32)
    >>> np.array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    True
    """
    from .export.keras_file import is_keras_file, load_keras
    if is_keras_file(filepath):  # a file Keras 3 wrote (pynn.export.keras_file)
        return load_keras(filepath)
    if _is_hdf5(filepath):  # Keras 2's legacy HDF5 (pynn.export.keras_h5)
        from .export.keras_h5 import load_h5
        return load_h5(filepath)
    archive = _Archive(filepath)
    try:
        if archive.config.get("format") != MODEL_FORMAT:
            archive._fail("is a weights file, not a whole model: build the model and call "
                          "model.load_weights() on it")
        manifest = archive.manifest()
        total = sum(math.prod(s) for _, s in manifest)
        info = archive.zip.getinfo("weights.npz")
        if info.file_size < 4 * total:
            archive._fail(f"weights.npz holds {info.file_size:,} bytes, fewer than the "
                          f"{4 * total:,} its manifest declares")
        try:
            with _weight_budget(total), custom_object_scope(custom_objects or {}):
                model = model_from_config(archive.config.get("model"), custom_objects)
                if not model.built:
                    model.build()
        except ValueError as e:
            archive._fail(f"cannot rebuild the model: {e}")
        except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as e:
            archive._fail(f"invalid model config ({type(e).__name__}: {e})")
        _check_against_model(archive, model, manifest)
        values = archive.weights([s for _, s in manifest])
        compile_cfg = archive.config.get("compile_config")
        state = None
        if compile and compile_cfg is not None:
            try:
                _compile_from_config(model, compile_cfg)
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                archive._fail(f"invalid compile configuration: {e}")
            model._build_optimizer()
            state = archive.optimizer_state(model.optimizer)
        model.set_weights(values)
        if state is not None:
            model.optimizer.set_state(state)
        _restore_layer_state(archive, model)
        return model
    finally:
        archive.close()


def load_weights(model, filepath, skip_mismatch=False):
    """Loads weights saved by `save_weights` or `save_model` into a model of the same structure.

    Weights are matched by position and shapes must agree; the model is
    changed only if the whole file is valid. A compiled model also gets the
    optimizer state back when the file holds one for the same optimizer. A
    legacy Keras HDF5 file (``.h5``, from Keras or from ``model.save("m.h5")``)
    is read as Keras reads it: its layers with weights, in order.

    Parameters
    ----------
    model : Model
        A built model.
    filepath : str or path-like
        The file to read.
    skip_mismatch : bool, default False
        Accepted for Keras compatibility; a mismatch always raises.

    Raises
    ------
    ValueError
        The model is not built, or the file does not match it (count or shapes).

    Examples
    --------
    >>> import os, tempfile
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.npz")
    >>> model.save_weights(path)
    >>> twin = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> pynn.saving.load_weights(twin, path)
    >>> np.array_equal(twin.get_weights()[0], model.get_weights()[0])
    True
    """
    _build_if_declared(model)
    if not getattr(model, "built", False):
        raise ValueError(f"Model '{model.name}' is not built yet: build it (call it on data or "
                         f"call build()) before load_weights()")
    if _is_hdf5(filepath):  # a legacy Keras .h5 model or weights file (pynn.export.keras_h5)
        from .export.keras_h5 import load_weights_h5
        return load_weights_h5(model, filepath)
    archive = _Archive(filepath)
    try:
        manifest = archive.manifest()
        _check_against_model(archive, model, manifest)
        values = archive.weights([s for _, s in manifest])
        state = None
        if getattr(model, "compiled", False) and model.optimizer is not None \
                and archive.config.get("optimizer_state") is not None:
            model._build_optimizer()
            state = archive.optimizer_state(model.optimizer)
        restore_layer_state = _layer_state_plan(archive, model, with_assets=False)
        model.set_weights(values)
        if state is not None:
            model.optimizer.set_state(state)
        restore_layer_state()  # after the weights, as Keras' load_own_variables order
    finally:
        archive.close()
