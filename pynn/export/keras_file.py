"""Reads Keras 3's native model files (`.keras`): a zip of config.json,
metadata.json and model.weights.h5. `pynn.load_model("model.keras")` lands here.

The config is data, never code: each Keras layer config becomes the pynn layer of
the same class name with the options pynn implements (an option pynn lacks, set
to anything but its neutral value, is refused naming the layer). Weights are read
from the HDF5 file (h5py, the `keras-files` extra) where Keras 3 writes them:
layers/<snake_case class name>[_<n>]/vars/<i>, counted per class in the model's
layer order; recurrent layers keep theirs under cell/, Bidirectional under
forward_layer/ and backward_layer/, MultiHeadAttention under query_dense/,
key_dense/, value_dense/ and output_dense/. Keras' weight layouts are pynn's, so
weights are copied as they are, after their shapes are checked."""
import inspect
import io
import json
import re
import zipfile
import zlib

import numpy as np

MAX_CONFIG_BYTES = 64 * 1024 * 1024

# Keras options not carried over: the dtype policy (pynn is float32), options with no
# effect on what pynn computes, and the initializers (the weights come from the file)
_IGNORED = {"dtype", "sparse", "ragged", "optional", "use_cudnn", "quantization_config",
            "lora_rank", "lora_alpha", "synchronized", "input_length", "build_config",
            "kernel_initializer", "bias_initializer", "recurrent_initializer",
            "embeddings_initializer", "beta_initializer", "gamma_initializer",
            "moving_mean_initializer", "moving_variance_initializer",
            # used only with renorm=True, which is refused (not a neutral value)
            "renorm_momentum", "renorm_clipping"}
# neutral values: an option pynn does not take is accepted only at one of these
_NEUTRAL = (None, False, 0, 0.0, "", [], {}, "channels_last")


def _import_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras 3 .keras files need h5py: pip install 'pynn-dl[keras-files]' (or "
                          "pip install h5py)") from None
    return h5py


# Keras names a layer's weight group after its Python class, which differs from the
# name it saves and exports for these
_H5_CLASS = {"GroupQueryAttention": "GroupedQueryAttention"}


def _h5_key(cls_name):
    return _snake(_H5_CLASS.get(cls_name, cls_name))


def _snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class KerasFileError(ValueError):
    pass


def _fail(path, msg):
    raise KerasFileError(f"Keras file {path!r}: {msg}")


def _accepted(cls):
    """Keyword arguments cls.__init__ takes (through **kwargs up to Layer)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        names |= {p for p in params if p not in ("self", "args", "kwargs")}
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    return names


def _layer(path, entry):
    """A pynn layer from one Keras layer entry {class_name, config, ...}."""
    from .. import layers as L
    from .. import regularizers
    cls_name, cfg = entry.get("class_name"), dict(entry.get("config") or {})
    name = cfg.get("name", "?")
    if entry.get("module") not in (None, "keras.layers", "keras.src.layers") or \
            entry.get("registered_name") not in (None, cls_name):
        _fail(path, f"layer '{name}' is the custom class {entry.get('registered_name')!r}; "
                    f"pynn reads Keras' built-in layers only")
    try:
        cls = L.get_class(cls_name)
    except ValueError:
        _fail(path, f"layer '{name}' ({cls_name}) has no pynn equivalent")
    if cls_name == "InputLayer":  # (marker, name, per-sample shape): a pynn.Input
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        return ("input", name, tuple(shape[1:]))
    if cls_name == "Bidirectional":
        inner = _layer(path, cfg["layer"])
        back = cfg.get("backward_layer")
        if back is not None:
            skip = _IGNORED | {"name", "go_backwards"}
            bc = {k: v for k, v in (back.get("config") or {}).items() if k not in skip}
            fc = {k: v for k, v in (cfg["layer"].get("config") or {}).items() if k not in skip}
            if back.get("class_name") != cfg["layer"].get("class_name") or bc != fc:
                _fail(path, f"layer '{name}' (Bidirectional) has a backward layer that differs "
                            f"from its forward layer; pynn builds the backward copy itself")
        return L.Bidirectional(inner, merge_mode=cfg.get("merge_mode", "concat"), name=name,
                               trainable=cfg.get("trainable", True))
    if cls_name == "MultiHeadAttention" and cfg.get("attention_axes") in ([1], (1,)):
        cfg["attention_axes"] = None  # Keras writes its resolved default: the time axis
    accepted = _accepted(cls)
    kwargs = {}
    for key, value in cfg.items():
        if key.endswith("_regularizer") and value is not None:
            try:
                value = regularizers.get(value)
            except (ValueError, TypeError) as e:
                _fail(path, f"layer '{name}' ({cls_name}): {key} {value!r}: {e}")
        if key in ("activation", "recurrent_activation") and isinstance(value, dict):
            _fail(path, f"layer '{name}' ({cls_name}): custom {key} {value!r} is not supported")
        if key in accepted and key not in _IGNORED:
            kwargs[key] = value
        elif key not in _IGNORED and value not in _NEUTRAL:
            _fail(path, f"layer '{name}' ({cls_name}): option {key}={value!r} is not supported "
                        f"by pynn")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as e:
        _fail(path, f"layer '{name}' ({cls_name}): {e}")


def _history(path, value):
    """A Keras tensor reference -> (layer name, node index, tensor index)."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        h = value["config"]["keras_history"]
        return (h[0], int(h[1]), int(h[2]))
    _fail(path, f"unexpected call argument {value!r}")


def _functional(path, cfg):
    from ..functional import Input
    from ..models import Model
    made, tensors, pending = {}, {}, []
    for entry in cfg["layers"]:
        layer = _layer(path, entry)
        name = entry["config"]["name"]
        if isinstance(layer, tuple):
            tensors[(name, 0)] = [Input(shape=layer[2], name=name)]
            continue
        made[name] = layer
        for node_index, node in enumerate(entry.get("inbound_nodes") or []):
            pending.append((name, node_index, node))

    def resolve(arg):
        if isinstance(arg, (list, tuple)):
            return [resolve(a) for a in arg]
        layer_name, node, index = _history(path, arg)
        return tensors[(layer_name, node)][index]

    for _ in range(len(pending) + 1):  # shared layers: call nodes as their inputs appear
        waiting = []
        for name, node_index, node in pending:
            try:
                args = [resolve(a) for a in node.get("args", [])]
            except KeyError:
                waiting.append((name, node_index, node))
                continue
            kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if v is not None}
            if any(isinstance(v, dict) for v in kwargs.values()):
                _fail(path, f"layer '{name}' is called with tensors as keyword arguments "
                            f"{sorted(kwargs)}, which pynn does not read")
            kwargs.pop("training", None)
            try:
                out = made[name](*args, **kwargs)
            except (ValueError, TypeError) as e:
                _fail(path, f"layer '{name}': {e}")
            tensors[(name, node_index)] = out if isinstance(out, list) else [out]
        if not waiting:
            break
        if len(waiting) == len(pending):
            _fail(path, f"the layer graph cannot be resolved (layers "
                        f"{sorted({w[0] for w in waiting})} wait for inputs that never come)")
        pending = waiting

    def refs(spec):
        spec = spec if spec and isinstance(spec[0], list) else [spec]
        return [tensors[(s[0], int(s[1]))][int(s[2])] for s in spec]

    ins, outs = refs(cfg["input_layers"]), refs(cfg["output_layers"])
    return Model(ins if len(ins) > 1 else ins[0], outs if len(outs) > 1 else outs[0],
                 name=cfg.get("name"))


def _sequential(path, cfg):
    from ..functional import Input
    from ..models import Sequential
    model = Sequential(name=cfg.get("name"))
    for entry in cfg["layers"]:
        layer = _layer(path, entry)
        model.add(Input(shape=layer[2]) if isinstance(layer, tuple) else layer)
    return model


def _attention_parts(layer):
    """The sub-layer groups of an attention layer's weights, in pynn's weight order."""
    from .. import layers as L
    if isinstance(layer, L.GroupQueryAttention):  # Keras' build order; the gate is optional
        return ("_query_dense", "_key_dense") + (("_gate_dense",) if layer.use_gate else ()) + \
            ("_value_dense", "_output_dense")
    # MultiHeadAttention: its public properties' names, and the gate's private one
    return ("query_dense", "key_dense") + (("_gate_dense",) if layer.use_gate else ()) + \
        ("value_dense", "output_dense")


def _vars(path, group, layer):
    """The datasets holding `layer`'s weights in Keras' h5 group, in pynn's order."""
    from .. import layers as L
    from ..layers.conv_lstm import _ConvLSTM
    from ..layers.recurrent import _RNN

    def numbered(g):
        if g is None or "vars" not in g:
            return []
        v = g["vars"]
        if not all(k.isdigit() for k in v):  # Keras numbers a layer's variables 0, 1, ...
            _fail(path, f"layer '{layer.name}': model.weights.h5 names its variables "
                        f"{sorted(v)[:5]}, not 0, 1, ...")
        return [v[k] for k in sorted(v, key=int)]

    if isinstance(layer, (_RNN, _ConvLSTM)):
        return numbered(group.get("cell"))
    if isinstance(layer, L.Bidirectional):
        return [d for side in ("forward_layer", "backward_layer")
                for d in numbered(group.get(side, {}).get("cell"))]
    if isinstance(layer, L.MultiHeadAttention):
        return [d for sub in _attention_parts(layer) for d in numbered(group.get(sub))]
    return numbered(group)


def _load_weights(path, h5, cfg, model):
    from .h5_guard import check_links_and_storage, read_weight
    check_links_and_storage(path, h5)
    layers_group = h5.get("layers")
    by_name = {l.name: l for l in model.layers}
    counts = {}
    for entry in cfg["layers"]:
        cls_name = entry.get("class_name")
        key = _h5_key(cls_name)
        n = counts.get(key, -1) + 1
        counts[key] = n
        name = entry["config"]["name"]
        layer = by_name.get(name)
        if layer is None or not layer.weights:
            continue
        group_name = key if n == 0 else f"{key}_{n}"
        group = layers_group.get(group_name) if layers_group is not None else None
        if group is None:
            _fail(path, f"model.weights.h5 has no weights for layer '{name}' (expected group "
                        f"layers/{group_name})")
        found = _vars(path, group, layer)
        if len(found) != len(layer.weights):
            _fail(path, f"layer '{name}' ({cls_name}): model.weights.h5 holds {len(found)} "
                        f"weight arrays, pynn's layer has {len(layer.weights)}")
        layer.set_weights([read_weight(path, d, w.shape, f"layer '{name}' ({cls_name}): weight "
                                                         f"{w.name.split('/', 1)[-1]}")
                           for d, w in zip(found, layer.weights)])


def is_keras_file(filepath):
    """True for a zip holding Keras 3's model.weights.h5 (pynn's own files hold
    weights.npz, whatever their name: pynn has always accepted `m.keras`)."""
    import os
    if not isinstance(filepath, (str, bytes, os.PathLike)):
        return False
    from .._fileio import open_regular
    try:
        # open_regular: a FIFO or a device must not hang or flood this sniffing; the
        # loader proper then refuses it with its own message
        f, _ = open_regular(filepath, "model file")
        with f, zipfile.ZipFile(f) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "model.weights.h5" in names and "weights.npz" not in names


def load_keras(filepath):
    """A pynn model from a Keras 3 `.keras` file (architecture and weights; the
    compile configuration is not read: compile the model to train it)."""
    import os
    path = os.fspath(filepath)
    h5py = _import_h5py()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        _fail(path, f"is not a Keras 3 zip archive ({e})")
    with archive:
        names = set(archive.namelist())
        for member in ("config.json", "model.weights.h5"):
            if member not in names:
                _fail(path, f"has no {member} (a Keras 3 .keras file holds config.json, "
                            f"metadata.json and model.weights.h5)")
        if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
            _fail(path, f"config.json is larger than {MAX_CONFIG_BYTES:,} bytes")
        try:
            raw = archive.read("config.json")
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            _fail(path, f"config.json cannot be read ({e}); the file is damaged or truncated")
        try:
            top = json.loads(raw)
        except (ValueError, RecursionError) as e:
            _fail(path, f"config.json is not valid JSON ({e})")
        if not isinstance(top, dict) or top.get("class_name") not in ("Sequential", "Functional",
                                                                      "Model"):
            _fail(path, f"holds a {top.get('class_name') if isinstance(top, dict) else top!r}; "
                        f"pynn reads Sequential and functional models")
        cfg = top.get("config") or {}
        declared = archive.getinfo("model.weights.h5").file_size
    from ..saving import _weight_budget
    try:
        # a config is data a stranger may have written: no layer may allocate more
        # weight values than the file declares (zipfile stops reading there)
        with _weight_budget(declared // 4):
            model = (_sequential(path, cfg) if top["class_name"] == "Sequential"
                     else _functional(path, cfg))
            if not model.built:  # a Sequential without an InputLayer: Keras' build_config
                shape = (top.get("build_config") or {}).get("input_shape")
                if shape is None:
                    _fail(path, "the model has no input shape (no InputLayer, no build_config)")
                model.build(tuple(shape))
    except KerasFileError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as e:
        _fail(path, f"invalid model config ({type(e).__name__}: {e})")
    weights = _read_weights_member(path, model)
    try:
        h5 = h5py.File(io.BytesIO(weights), "r")
    except OSError as e:
        _fail(path, f"model.weights.h5 is not an HDF5 file ({e})")
    with h5:
        try:
            _load_weights(path, h5, cfg, model)
        except KerasFileError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, OSError, RuntimeError) as e:
            # h5py's errors on a damaged file (a broken B-tree, a link loop, ...)
            _fail(path, f"model.weights.h5 is damaged ({type(e).__name__}: {e})")
    return model


def _read_weights_member(path, model):
    """model.weights.h5, inflated only once its declared size is one the model's
    weights can need: a zip bomb (gigabytes of zeros deflate ~1000:1) is refused
    before it is inflated. The bound is generous: float64 values, optimizer slots
    (Keras may store up to 4 per weight), and HDF5's metadata (~2 KB per object)."""
    n_values = sum(int(np.prod(w.shape)) for w in model.weights)
    limit = 8 * n_values * 5 + 64 * 1024 * (len(model.layers) + 16) + (1 << 20)
    with zipfile.ZipFile(path) as archive:
        declared = archive.getinfo("model.weights.h5").file_size
        if declared > limit:
            _fail(path, f"model.weights.h5 declares {declared:,} bytes, more than the "
                        f"{limit:,} a model of {n_values:,} weight values can need; the file "
                        f"is damaged or a zip bomb")
        try:
            return archive.read("model.weights.h5")
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as e:
            _fail(path, f"model.weights.h5 cannot be read ({e}); the file is damaged or "
                        f"truncated")


# ----------------------------------------------------------------- writing
def _keras_layer_config(layer):
    """pynn's layer config in the form Keras 3 deserializes."""
    cfg = dict(layer.get_config())
    cfg.pop("input_shape", None)
    cfg["dtype"] = "float32"
    if type(layer).__name__ == "Bidirectional":
        inner = dict(cfg["layer"])
        inner_cfg = dict(inner["config"])
        inner_cfg.pop("input_shape", None)
        cfg["layer"] = {"module": "keras.layers", "class_name": inner["class_name"],
                        "config": inner_cfg, "registered_name": None}
    return cfg


def _ref(shape, history):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": "float32", "keras_history": list(history)}}


def _layer_entry(layer, input_shape):
    from .. import layers as L
    if not isinstance(layer, L.Layer) or type(layer).__name__ not in L._REGISTRY or \
            type(layer) is not L.get_class(type(layer).__name__):
        raise ValueError(f"Saving for Keras: layer '{layer.name}' ({type(layer).__name__}) is not "
                         f"one of Keras' built-in layers")
    if isinstance(layer, L.SpectralNormalization):
        raise ValueError(f"Saving for Keras: layer '{layer.name}' (SpectralNormalization) wraps "
                         f"a layer, whose nested config and weights this writer does not write "
                         f"yet; save it in pynn's format")
    build = {"input_shape": input_shape}
    if isinstance(layer, L.MultiHeadAttention):  # Keras builds these from named shapes
        build = {"shapes_dict": dict(zip(("query_shape", "value_shape", "key_shape"),
                                         input_shape))}
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": _keras_layer_config(layer), "registered_name": None,
            "build_config": build}


def _input_entry(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name, "optional": False},
            "registered_name": None}


def _graph_layers(model):
    """model.layers without the InputLayers a functional model lists."""
    from ..layers import InputLayer
    return [layer for layer in model.layers if not isinstance(layer, InputLayer)]


def _keras_config(model):
    from ..functional import input_layer_of, topo_calls
    from ..layers import MultiHeadAttention
    from ..models import Model, Sequential
    graph = getattr(model, "_graph", None)
    if graph is None:
        raise ValueError(f"Saving for Keras: model '{model.name}' is a subclassed model; save a "
                         f"Sequential or functional Model")
    inputs, outputs = graph()
    for layer in model.layers:
        if isinstance(layer, Model):
            raise ValueError(f"Saving for Keras: model '{model.name}' holds the model "
                             f"'{layer.name}' as a layer, which this writer does not nest yet")
    shape_of = lambda t: [None] + list(t.shape[1:])  # noqa: E731
    if isinstance(model, Sequential):
        layers = [_input_entry("input_layer", inputs[0].shape[1:])]
        for layer in model.layers:
            layers.append(_layer_entry(layer, list(layer.input_shape)))
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": {"name": model.name, "trainable": True, "layers": layers},
                "build_config": {"input_shape": shape_of(inputs[0])}}
    input_names, nodes, entries = {}, {}, []
    for t in inputs:
        name = input_layer_of(t).name
        input_names[id(t)] = name
        entries.append({**_input_entry(name, t.shape[1:]), "name": name, "inbound_nodes": []})

    def history(t):  # Keras' keras_history: (layer name, node index, output index)
        if t.layer is None:
            return (input_names[id(t)], 0, 0)
        return nodes[(id(t.layer), tuple(id(i) for i in t.inputs))] + (t.index,)

    calls = {}
    for key, t in topo_calls(outputs):  # each call is one inbound node of its layer
        node = len(calls.setdefault(id(t.layer), []))
        args = [_ref(i.shape, history(i)) for i in t.inputs]
        kwargs = {k: v for k, v in (getattr(t, "call_kwargs", {}) or {}).items()
                  if v is not None and not (k.endswith("mask") and v is False)}
        if isinstance(t.layer, MultiHeadAttention):  # and GroupQueryAttention
            # the query / value / key masks the layer took from its inputs (Embedding(
            # mask_zero=True) before it): Keras takes them from the inputs again on load
            owners = dict(zip(("query_mask", "value_mask", "key_mask"), t.inputs))
            for k in ("query_mask", "value_mask", "key_mask"):
                if k in kwargs and kwargs[k] is getattr(owners.get(k), "_keras_mask", None):
                    del kwargs[k]
            positional = args[:getattr(t, "n_positional", len(args))]
            node_args = positional[:2]
            if len(positional) > 2:
                kwargs["key"] = positional[2]
            kwargs = {k: _ref(v.shape, history(v)) if hasattr(v, "_is_symbolic") else v
                      for k, v in kwargs.items()}  # a tensor by keyword (attention_mask)
        else:
            node_args = [args] if len(args) > 1 else args
        calls[id(t.layer)].append({"args": node_args, "kwargs": kwargs})
        nodes[key] = (t.layer.name, node)
    for layer in _graph_layers(model):  # the InputLayers are written above
        shapes = layer.input_shape
        entry = _layer_entry(layer, list(shapes) if not isinstance(shapes, list)
                             else [list(s) for s in shapes])
        entry.update(name=layer.name, inbound_nodes=calls.get(id(layer), []))
        entries.append(entry)
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "registered_name": "Functional", "build_config": {"input_shape": None},
            "config": {"name": model.name, "trainable": True, "layers": entries,
                       "input_layers": _one_or_list([list(history(t)) for t in inputs]),
                       "output_layers": _one_or_list([list(history(t)) for t in outputs])}}


def _one_or_list(refs):
    """Keras writes a single input / output unnested (its call then takes a tensor)."""
    return refs[0] if len(refs) == 1 else refs


def _write_weights(h5, model):
    from .. import layers as L
    from ..layers.conv_lstm import _ConvLSTM
    from ..layers.recurrent import _RNN
    layers_group = h5.create_group("layers")
    counts = {}

    def put(group, arrays, label):
        v = group.create_group("vars")
        v.attrs["name"] = label
        for i, a in enumerate(arrays):
            v.create_dataset(str(i), data=np.asarray(a, np.float32))

    for layer in _graph_layers(model):
        key = _h5_key(type(layer).__name__)
        n = counts.get(key, -1) + 1
        counts[key] = n
        g = layers_group.create_group(key if n == 0 else f"{key}_{n}")
        w = layer.get_weights()
        if isinstance(layer, (_RNN, _ConvLSTM)):
            put(g, [], layer.name)
            put(g.create_group("cell"), w, f"{_snake(type(layer).__name__)}_cell")
        elif isinstance(layer, L.Bidirectional):
            put(g, [], layer.name)
            half = len(w) // 2
            for side, arrays in (("forward_layer", w[:half]), ("backward_layer", w[half:])):
                s = g.create_group(side)
                put(s, [], side)
                put(s.create_group("cell"), arrays, "cell")
        elif isinstance(layer, L.MultiHeadAttention):
            put(g, [], layer.name)
            per = 2 if layer.use_bias else 1
            for i, sub in enumerate(_attention_parts(layer)):
                put(g.create_group(sub), w[i * per:(i + 1) * per], sub)
            if isinstance(layer, L.GroupQueryAttention):  # its weightless sub-layers
                for sub in ("_softmax", "_dropout_layer"):
                    put(g.create_group(sub), [], sub)
        else:
            put(g, w, layer.name)
    h5.create_group("vars").attrs["name"] = "model"


def writable_keras_config(model):
    """The Keras 3 config of a built model whose layers Keras rebuilds; ValueError names
    what stops it (not built, subclassed, preprocessing or custom layers)."""
    if not getattr(model, "built", False):
        raise ValueError(f"Saving for Keras: model '{model.name}' is not built yet")
    stage = getattr(model, "_host_stage", None)
    if stage is not None and stage.calls:
        # Keras 3 runs these layers only with TensorFlow, and their configs (stop words,
        # pynn's options) are not checked against Keras': not written for Keras
        names = ", ".join(f"{type(t.layer).__name__} '{t.layer.name}'" for t in stage.calls)
        raise ValueError(f"Saving for Keras: model '{model.name}' starts with preprocessing "
                         f"layers ({names}), which pynn saves in its own format only")
    return _keras_config(model)


def keras_members(model):
    """The members of a Keras 3 `.keras` zip for `model`: {"config.json",
    "metadata.json", "model.weights.h5": bytes}. ValueError names a layer Keras
    cannot rebuild; ImportError when h5py is missing."""
    import datetime
    h5py = _import_h5py()
    config = writable_keras_config(model)
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        _write_weights(h5, model)
    from .. import __version__
    metadata = {"keras_version": "3.0.0", "date_saved":
                datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "producer": f"pynn {__version__}"}
    return {"metadata.json": json.dumps(metadata).encode(),
            "config.json": json.dumps(config).encode(),
            "model.weights.h5": buf.getvalue()}


def save_keras(model, filepath, overwrite=True):
    """Writes `model` as a Keras 3 `.keras` file (config.json, metadata.json,
    model.weights.h5) that keras.saving.load_model reads: architecture and weights
    (not the optimizer state)."""
    import os
    path = os.fspath(filepath)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    members = keras_members(model)
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z:
        for name in ("metadata.json", "config.json", "model.weights.h5"):
            z.writestr(name, members[name])
    os.replace(tmp, path)
    return path
