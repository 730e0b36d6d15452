"""Reads Keras' legacy HDF5 model files (`.h5`: Keras 2 / tf.keras, and what Keras 3
still writes for a `.h5` name). `pynn.load_model("model.h5")` lands here.

The documented layout (keras/src/legacy/saving/legacy_h5_format.py): the root's
attribute ``model_config`` is the model's JSON config; the group
``model_weights`` lists its layers in the attribute ``layer_names``, and each
layer's group lists its arrays, in the layer's weight order, in the attribute
``weight_names`` (paths inside that group). Keras 2's configs differ from Keras
3's in a few places, converted here before pynn.export.keras_file builds the
layers: ``batch_input_shape`` on a first layer (an Input), call nodes written as
``[[layer, node, tensor, kwargs], ...]``, and options Keras 3 dropped
(``implementation``, ``time_major``). Only the architecture and the weights are
read (compile the model to train it); the config is data, never code.

`save_h5` writes that layout for a `.h5` name (``model.save("m.h5")``,
``ModelCheckpoint("m.h5")``, as Keras 3 does with a deprecation warning): Keras 3's
config and each layer's weights in Keras' legacy order (trainable ones first), which
keras.models.load_model and pynn.load_model read back. `load_weights_h5` is
``model.load_weights("m.h5")``: Keras' rule, the layers that have weights taken in
order (not by name), all checked before any is set."""
import json

import numpy as np

from .h5_guard import check_links_and_storage, read_weight
from .keras_file import (KerasFileError, _fail, _functional, _import_h5py, _sequential,
                         writable_keras_config)

# Keras 2 options that Keras 3 (and pynn) dropped, with no effect on what is computed
_KERAS2_ONLY = {"implementation", "time_major", "batch_size", "input_dim", "input_length"}


def is_h5_file(filepath):
    """True for an HDF5 file (its 8-byte signature), whatever its name."""
    from ..saving import _is_hdf5
    return _is_hdf5(filepath)


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _tensor(ref):
    return {"class_name": "__keras_tensor__",
            "config": {"keras_history": [ref[0], int(ref[1]), int(ref[2])]}}


def _node(path, node):
    """A Keras 2 call node [[layer, node, tensor, kwargs], ...] as Keras 3's
    {"args": [...], "kwargs": {...}}; a Keras 3 node as it is."""
    if isinstance(node, dict):
        return node
    if not isinstance(node, list) or not node or not all(isinstance(r, list) and len(r) >= 3
                                                         for r in node):
        _fail(path, f"unreadable call node {node!r:.120}")
    kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    refs = [_tensor(r) for r in node]
    return {"args": [refs[0] if len(refs) == 1 else refs], "kwargs": dict(kwargs)}


def _entry(entry):
    drop = _KERAS2_ONLY if entry.get("class_name") == "InputLayer" else \
        _KERAS2_ONLY | {"batch_input_shape"}  # (made an Input in front of the layer)
    cfg = {k: v for k, v in (entry.get("config") or {}).items() if k not in drop}
    return dict(entry, config=cfg)


def _convert(path, top):
    """(class name, Keras-3-style config) from a legacy model_config."""
    cls, cfg = top.get("class_name"), top.get("config")
    if cls == "Sequential":
        layers = cfg if isinstance(cfg, list) else (cfg or {}).get("layers")  # Keras < 2.2.3: a list
        if not isinstance(layers, list):
            _fail(path, "the Sequential config has no layer list")
        out = []
        for i, entry in enumerate(layers):
            shape = (entry.get("config") or {}).get("batch_input_shape")
            if i == 0 and entry.get("class_name") != "InputLayer" and shape is not None:
                out.append({"class_name": "InputLayer",
                            "config": {"batch_input_shape": shape, "name": "input"}})
            out.append(_entry(entry))
        return "Sequential", {"name": (cfg or {}).get("name") if isinstance(cfg, dict) else None,
                              "layers": out}
    if cls in ("Functional", "Model"):
        layers = []
        for entry in cfg["layers"]:
            e = _entry(entry)
            e["inbound_nodes"] = [_node(path, n) for n in entry.get("inbound_nodes") or []]
            layers.append(e)
        return "Functional", dict(cfg, layers=layers)
    _fail(path, f"holds a {cls!r}; pynn reads Sequential and functional models")


def _file_layers(path, h5):
    """[(layer name, its group, its weight names)] in the file's layer order."""
    check_links_and_storage(path, h5)
    group = h5.get("model_weights", h5)  # a model file, or a save_weights() file
    out = []
    for name in (_text(n) for n in group.attrs.get("layer_names", [])):
        g = group.get(name)
        if g is None:
            _fail(path, f"layer '{name}' is listed but has no group")
        out.append((name, g, [_text(n) for n in g.attrs.get("weight_names", [])]))
    return out


def _legacy_order(layer):
    """Indices into layer.weights in Keras' legacy HDF5 order: the trainable weights
    first, then the others (legacy_h5_format._legacy_weights)."""
    trainable = {id(w) for w in layer.trainable_weights}
    ws = layer.weights
    return [i for i, w in enumerate(ws) if id(w) in trainable] + \
           [i for i, w in enumerate(ws) if id(w) not in trainable]


def _read_layer(path, name, g, weight_names, layer):
    """layer's weights (in layer.weights order) from its group, stored in legacy order."""
    if len(weight_names) != len(layer.weights):
        _fail(path, f"layer '{name}': the file holds {len(weight_names)} weight arrays, "
                    f"pynn's {type(layer).__name__} '{layer.name}' has {len(layer.weights)}")
    values = [None] * len(weight_names)
    for wname, i in zip(weight_names, _legacy_order(layer)):
        d = g.get(wname)
        if d is None:
            _fail(path, f"layer '{name}': weight {wname!r} is listed but missing")
        values[i] = read_weight(path, d, layer.weights[i].shape,
                                f"layer '{name}': weight {wname!r}")
    return values


def _weights(path, h5, model):
    """A rebuilt model's weights, matched by layer name (the names come from the file)."""
    by_name = {l.name: l for l in model.layers}
    found = set()
    for name, g, weight_names in _file_layers(path, h5):
        layer = by_name.get(name)
        if layer is None:
            if weight_names:
                _fail(path, f"the file has weights for layer '{name}', which the model lacks")
            continue
        found.add(name)
        layer.set_weights(_read_layer(path, name, g, weight_names, layer))
    missing = [l.name for l in model.layers if l.weights and l.name not in found]
    if missing:
        _fail(path, f"the file has no weights for layer(s) {missing}")


def load_weights_h5(model, filepath):
    """``model.load_weights`` of a legacy HDF5 file: as Keras (legacy_h5_format.
    load_weights_from_hdf5_group), the file's layers that hold weights are matched in
    order with the model's, whatever their names; every array is read and checked
    before the model changes."""
    import os
    path = os.fspath(filepath)
    h5py = _import_h5py()
    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        _fail(path, f"is not a readable HDF5 file ({e})")
    with h5:
        try:
            stored = [entry for entry in _file_layers(path, h5) if entry[2]]
            layers = [l for l in model.layers if l.weights]
            if len(stored) != len(layers):
                _fail(path, f"holds weights for {len(stored)} layers, model '{model.name}' has "
                            f"{len(layers)} layers with weights")
            values = [_read_layer(path, name, g, wn, layer)
                      for (name, g, wn), layer in zip(stored, layers)]
        except KerasFileError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, OSError, RuntimeError) as e:
            _fail(path, f"the weights are damaged ({type(e).__name__}: {e})")
    for layer, v in zip(layers, values):
        layer.set_weights(v)


def save_h5(model, filepath, overwrite=True):
    """Writes `model` as a legacy Keras HDF5 model file (see the module's docstring)."""
    import os
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a directory")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists; pass overwrite=True to replace it")
    h5py = _import_h5py()
    config = writable_keras_config(model)
    tmp = path + ".tmp"
    try:
        _write_h5(h5py, tmp, model, config)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _write_h5(h5py, tmp, model, config):
    from .. import __version__
    with h5py.File(tmp, "w") as h5:
        h5.attrs["keras_version"] = "3.0.0"
        h5.attrs["backend"] = "pynn " + __version__
        h5.attrs["model_config"] = json.dumps(
            {"class_name": config["class_name"], "config": config["config"]}).encode("utf8")
        group = h5.create_group("model_weights")
        layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
        group.attrs["layer_names"] = [l.name.encode("utf8") for l in layers]
        for layer in layers:
            g = group.create_group(layer.name)
            weights = [layer.weights[i] for i in _legacy_order(layer)]
            names = [f"{layer.name}/{getattr(w, 'name', 'w')}_{i}" for i, w in enumerate(weights)]
            g.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for n, w in zip(names, weights):
                g.create_dataset(n, data=np.asarray(w, np.float32))
        group.create_group("top_level_model_weights").attrs["weight_names"] = []


def load_h5(filepath):
    """A pynn model from a legacy Keras HDF5 file (architecture and weights)."""
    import os
    path = os.fspath(filepath)
    h5py = _import_h5py()
    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        _fail(path, f"is not a readable HDF5 file ({e})")
    with h5:
        raw = h5.attrs.get("model_config")
        if raw is None:
            _fail(path, "has no model_config: a weights-only file (build the model and call "
                        "model.load_weights), or not a Keras model")
        try:
            top = json.loads(_text(raw))
        except (ValueError, RecursionError) as e:
            _fail(path, f"model_config is not valid JSON ({e})")
        if not isinstance(top, dict):
            _fail(path, "model_config is not a JSON object")
        from ..saving import _weight_budget
        try:
            cls, cfg = _convert(path, top)
            with _weight_budget(max(os.path.getsize(path) // 4, 1)):
                model = _sequential(path, cfg) if cls == "Sequential" else _functional(path, cfg)
            if not model.built:
                _fail(path, "the model has no input shape (no InputLayer, no batch_input_shape)")
        except KerasFileError:
            raise
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as e:
            _fail(path, f"invalid model config ({type(e).__name__}: {e})")
        try:
            _weights(path, h5, model)
        except KerasFileError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, OSError, RuntimeError) as e:
            # h5py's errors on a damaged file (a broken B-tree, a missing group, ...)
            _fail(path, f"the weights are damaged ({type(e).__name__}: {e})")
    return model


__all__ = ["is_h5_file", "load_h5", "load_weights_h5", "save_h5"]
