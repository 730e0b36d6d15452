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
read (compile the model to train it); the config is data, never code."""
import json

import numpy as np

from .h5_guard import check_links_and_storage, read_weight
from .keras_file import KerasFileError, _fail, _functional, _import_h5py, _sequential

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


def _weights(path, h5, model):
    check_links_and_storage(path, h5)
    group = h5.get("model_weights", h5)  # a model file, or a save_weights() file
    names = [_text(n) for n in group.attrs.get("layer_names", [])]
    by_name = {l.name: l for l in model.layers}
    for name in names:
        layer = by_name.get(name)
        g = group[name]
        weight_names = [_text(n) for n in g.attrs.get("weight_names", [])]
        if layer is None:
            if weight_names:
                _fail(path, f"the file has weights for layer '{name}', which the model lacks")
            continue
        if len(weight_names) != len(layer.weights):
            _fail(path, f"layer '{name}': the file holds {len(weight_names)} weight arrays, "
                        f"pynn's {type(layer).__name__} has {len(layer.weights)}")
        values = []
        for wname, w in zip(weight_names, layer.weights):
            d = g.get(wname)
            if d is None:
                _fail(path, f"layer '{name}': weight {wname!r} is listed but missing")
            values.append(read_weight(path, d, w.shape, f"layer '{name}': weight {wname!r}"))
        layer.set_weights(values)
    missing = [l.name for l in model.layers if l.weights and l.name not in names]
    if missing:
        _fail(path, f"the file has no weights for layer(s) {missing}")


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


__all__ = ["is_h5_file", "load_h5"]
