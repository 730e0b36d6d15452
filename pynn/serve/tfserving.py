"""TensorFlow Serving's REST API as data: the model's signature, request parsing
and response formatting, with no web framework involved (pynn.serve.app wires
these to HTTP).

Formats (https://www.tensorflow.org/tfx/serving/api_rest):
- row:      {"instances": [v0, v1, ...]} -> {"predictions": [p0, p1, ...]}; with several
            inputs each instance is an object {input_name: value}; with several
            outputs each prediction is an object {output_name: value}.
- columnar: {"inputs": batch} or {"inputs": {input_name: batch}} ->
            {"outputs": batch} or {"outputs": {output_name: batch}}.
Errors are {"error": "..."}; a request the model cannot take is a BadRequest (400)."""
import json

import numpy as np

SIGNATURE = "serving_default"
VERSION = "1"  # one model, one version: TF Serving's layout models/NAME/1/


class BadRequest(Exception):
    """A request the server refuses with HTTP 400 and {"error": message}."""
    status = 400


class NotFound(BadRequest):
    status = 404


class Signature:
    """Input and output names and per-sample shapes of a Sequential or functional model.

    Names follow pynn's ONNX export: an input's pynn.Input(name=...), else "input"
    (one input) or "input_<i>"; an output is named after the layer producing it."""

    def __init__(self, model):
        graph = getattr(model, "_graph", None)
        if graph is None:
            raise ValueError(f"pynn.serve: model '{model.name}' is a subclassed model; serve a "
                             f"Sequential or functional Model (what pynn.load_model returns)")
        inputs, outputs = graph()
        used = set()

        def unique(base):
            name, n = base, 0
            while name in used:
                n += 1
                name = f"{base}_{n}"
            used.add(name)
            return name

        self.inputs = [(unique(t.name or ("input" if len(inputs) == 1 else f"input_{i}")),
                        tuple(t.shape[1:])) for i, t in enumerate(inputs)]
        # a model on Input(dtype="string") takes raw text (its host stage preprocesses it)
        self.dtypes = {n: getattr(t, "dtype", None) for (n, _), t in zip(self.inputs, inputs)}
        self.outputs = []
        for o in outputs:
            base = o.layer.name if o.layer is not None else "output"
            self.outputs.append((unique(base if o.index == 0 else f"{base}_{o.index}"),
                                 tuple(o.shape[1:])))

    @property
    def input_names(self):
        return [n for n, _ in self.inputs]

    @property
    def output_names(self):
        return [n for n, _ in self.outputs]


def _shape_text(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _kind(arr):
    return {"U": "strings", "S": "strings", "b": "booleans",
            "O": "null, objects or mixed values"}.get(arr.dtype.kind, f"dtype {arr.dtype}")


def to_array(value, name, per_sample, dtype=None):
    """A float32 batch (or, for a string input, a str batch) for input `name` from JSON
    data, or a BadRequest saying why not."""
    if dtype == "string":
        return _strings(value, name, per_sample)
    try:
        arr = np.asarray(value)
    except ValueError:  # NumPy refuses ragged nesting
        raise BadRequest(f"Input '{name}': the nested lists are ragged (rows of different "
                         f"lengths); expected a batch of per-sample shape "
                         f"{_shape_text(per_sample)}") from None
    if arr.dtype.kind not in "iuf":
        raise BadRequest(f"Input '{name}': expected numbers (DT_FLOAT), got {_kind(arr)}; "
                         f"binary {{\"b64\": ...}} and string values are not accepted by this "
                         f"model")
    expected = (None,) + tuple(per_sample)
    if arr.ndim != len(expected) or any(d is not None and d != n
                                        for d, n in zip(expected[1:], arr.shape[1:])):
        got = tuple(arr.shape[1:]) if arr.ndim >= 1 else ()
        raise BadRequest(f"Input '{name}': expected instances of shape {_shape_text(per_sample)}, "
                         f"got instances of shape {_shape_text(got)} (a batch of shape "
                         f"{_shape_text(arr.shape)})")
    with np.errstate(over="ignore"):
        arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise BadRequest(f"Input '{name}': values must be finite float32 numbers; got NaN, "
                         f"Infinity or a number beyond float32's range")
    return np.ascontiguousarray(arr)


def _strings(value, name, per_sample):
    """TF Serving's DT_STRING input: a list of JSON strings, one per instance (or
    [["text"], ...] for per-sample shape (1,))."""
    try:
        arr = np.asarray(value)
    except ValueError:
        raise BadRequest(f"Input '{name}': the nested lists are ragged; expected one string per "
                         f"instance") from None
    if arr.dtype.kind != "U":
        raise BadRequest(f"Input '{name}': expected strings (DT_STRING), got {_kind(arr)}; "
                         f"binary {{\"b64\": ...}} values are not accepted")
    if arr.ndim == len(per_sample) and tuple(per_sample) == (1,):
        arr = arr[:, None]  # ["a", "b"] for an Input of shape (1,)
    if arr.ndim != len(per_sample) + 1 or any(d is not None and d != n for d, n in
                                              zip(per_sample, arr.shape[1:])):
        raise BadRequest(f"Input '{name}': expected instances of shape {_shape_text(per_sample)} "
                         f"(strings), got a batch of shape {_shape_text(arr.shape)}")
    return arr


def parse_json(body):
    try:
        return json.loads(body)
    except json.JSONDecodeError as e:
        raise BadRequest(f"JSON Parse error: {e.msg} at offset: {e.pos}") from None
    except UnicodeDecodeError:
        raise BadRequest("JSON Parse error: the body is not UTF-8 text") from None
    except RecursionError:
        raise BadRequest("JSON Parse error: the document is nested too deeply") from None


def parse_predict(body, sig):
    """(list of float32 arrays in input order, row_format) from a :predict body."""
    req = parse_json(body)
    if not isinstance(req, dict):
        raise BadRequest(f"The request body must be a JSON object with 'instances' or 'inputs', "
                         f"got a JSON {type(req).__name__}")
    signature = req.get("signature_name", SIGNATURE)
    if signature != SIGNATURE:
        raise BadRequest(f"Serving signature name: \"{signature}\" not found in signature def")
    if ("instances" in req) == ("inputs" in req):
        raise BadRequest("Missing 'inputs' or 'instances' key" if "instances" not in req else
                         "Not formatted correctly expecting only one of 'inputs' or 'instances' "
                         "keys exist")
    names = sig.input_names
    if "instances" in req:
        rows = req["instances"]
        if not isinstance(rows, list):
            raise BadRequest(f"Expecting 'instances' to be a list/array, got a JSON "
                             f"{type(rows).__name__}")
        if not rows:
            raise BadRequest("'instances' is empty: send at least one instance")
        named = [isinstance(r, dict) for r in rows]
        if len(names) == 1 and not any(named):
            columns = {names[0]: rows}
        else:
            for i, r in enumerate(rows):
                if not isinstance(r, dict) or set(r) != set(names):
                    got = sorted(r) if isinstance(r, dict) else f"a JSON {type(r).__name__}"
                    raise BadRequest(f"Instance {i}: expected an object with the model's inputs "
                                     f"{names} as keys, got {got}")
            columns = {n: [r[n] for r in rows] for n in names}
        row = True
    else:
        value = req["inputs"]
        if isinstance(value, dict):
            if set(value) != set(names):
                raise BadRequest(f"'inputs' must have the model's inputs {names} as keys, got "
                                 f"{sorted(value)}")
            columns = value
        elif len(names) == 1:
            columns = {names[0]: value}
        else:
            raise BadRequest(f"The model has several inputs {names}: 'inputs' must be an object "
                             f"keyed by their names")
        row = False
    xs = [to_array(columns[n], n, shape, sig.dtypes.get(n)) for n, shape in sig.inputs]
    sizes = {x.shape[0] for x in xs}
    if len(sizes) > 1:
        raise BadRequest(f"The inputs have different batch sizes: "
                         f"{ {n: x.shape[0] for n, x in zip(names, xs)} }")
    if 0 in sizes:
        raise BadRequest("The batch is empty: send at least one instance")
    return xs, row


def format_predictions(outs, sig, row):
    names = sig.output_names
    if row:
        if len(outs) == 1:
            return {"predictions": outs[0].tolist()}
        lists = [o.tolist() for o in outs]
        return {"predictions": [dict(zip(names, values)) for values in zip(*lists)]}
    if len(outs) == 1:
        return {"outputs": outs[0].tolist()}
    return {"outputs": {n: o.tolist() for n, o in zip(names, outs)}}


def status(version=VERSION):
    """GET /v1/models/NAME: TF Serving's GetModelStatus answer."""
    return {"model_version_status": [{"version": version, "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


def _tensor_info(shape, tensor_name, dtype="DT_FLOAT"):
    dims = [{"size": str(-1 if d is None else d), "name": ""} for d in (None,) + tuple(shape)]
    return {"dtype": dtype, "tensor_shape": {"dim": dims, "unknown_rank": False},
            "name": tensor_name}


def metadata(name, sig, version=VERSION):
    """GET /v1/models/NAME/metadata: the serving_default signature, as TF Serving."""
    inputs = {n: _tensor_info(s, f"{SIGNATURE}_{n}:0",
                              "DT_STRING" if sig.dtypes.get(n) == "string" else "DT_FLOAT")
              for n, s in sig.inputs}
    outputs = {n: _tensor_info(s, f"StatefulPartitionedCall:{i}")
               for i, (n, s) in enumerate(sig.outputs)}
    return {"model_spec": {"name": name, "signature_name": "", "version": version},
            "metadata": {"signature_def": {"signature_def": {SIGNATURE: {
                "inputs": inputs, "outputs": outputs,
                "method_name": "tensorflow/serving/predict"}}}}}


def route(path, name):
    """(action, version) for the part of a URL after /v1/models/:
    NAME -> ("status", None); NAME/metadata -> ("metadata", None); NAME:predict ->
    ("predict", None); NAME/versions/V[...] and NAME/labels/L[...] give V / L.
    A BadRequest / NotFound for anything else."""
    action = "status"
    for verb in ("predict", "classify", "regress"):
        if path.endswith(":" + verb):
            path, action = path[:-len(verb) - 1], verb
            break
    if action == "status" and path.endswith("/metadata"):
        path, action = path[:-len("/metadata")], "metadata"
    parts = path.split("/")
    model, version = parts[0], None
    if len(parts) == 3 and parts[1] in ("versions", "labels"):
        version = parts[2]
    elif len(parts) != 1:
        raise NotFound(f"Malformed request: /v1/models/{path}")
    if model != name:
        raise NotFound(f"Servable not found for request: "
                       + (f"Specific({model}, {version})" if version else f"Latest({model})"))
    if version is not None and version != VERSION and parts[1] == "versions":
        raise NotFound(f"Servable not found for request: Specific({model}, {version})")
    if version is not None and parts[1] == "labels" and version not in ("stable", "latest"):
        raise NotFound(f"Unrecognized servable version label: {version}")
    if action in ("classify", "regress"):
        raise BadRequest(f"Model '{name}' has no {action} signature; use :predict")
    return action, version
