"""A model's host stage: the preprocessing layers (pynn/layers/host.py) that run in
NumPy on the raw inputs — strings, vocabulary ids, raw numbers to bucket — before
the compiled engine program, which only ever sees float32 arrays.

The stage is cut from the model's layer graph: every call of a host layer must
take the model's Inputs or other host outputs (preprocessing comes first); the
tensors where the computing layers start are the *boundary*, and the engine
program is traced with one input per boundary tensor. fit / evaluate / predict
and the model's own __call__ run the stage on the data first (trainer.data.prepare_x),
so a model built on ``pynn.Input(shape=(1,), dtype="string")`` takes raw strings
end to end: training, saving (vocabularies are layer config), loading and
serving."""
import numpy as np


def is_host(layer):
    return getattr(layer, "_host", False)


def is_string(t):
    return getattr(t, "dtype", None) == "string"


# pynn.ops shape changes that NumPy makes on strings in the host stage, with Keras' arguments
_SHAPE_OPS = {"expand_dims": np.expand_dims, "squeeze": np.squeeze, "reshape": np.reshape}


def _host_shape_op(t, host):
    """A call of ops.expand_dims / squeeze / reshape on strings from the inputs: the host
    stage makes it in NumPy (keras.io's wide_deep_cross_networks one-hot encodes with
    lookup(keras.ops.expand_dims(string_input, -1)))."""
    return (getattr(t.layer, "_is_operation", False)
            and getattr(t.layer.fn, "__name__", None) in _SHAPE_OPS
            and any(is_string(i) for i in t.inputs) and all(id(i) in host for i in t.inputs))


def _run_shape_op(layer, values):
    from .ops.symbolic import _replace
    by_id = {id(t): v for t, v in zip(layer.tensors, values)}
    return _SHAPE_OPS[layer.fn.__name__](*_replace(layer.args, by_id),
                                         **_replace(layer.kwargs, by_id))


class HostStage:
    """The host calls of a layer graph and the boundary tensors they hand over."""

    def __init__(self, model_name, inputs, calls, outputs):
        host = {id(t) for t in inputs}
        strings = {id(t) for t in inputs if is_string(t)}  # and the shape ops' string outputs
        self.calls, self.numeric_calls = [], []
        for key, t in calls:
            if _host_shape_op(t, host):
                strings.add(id(t))
            if is_host(t.layer) or id(t) in strings:
                if not all(id(i) in host for i in t.inputs):
                    raise ValueError(
                        f"Model '{model_name}': {type(t.layer).__name__} '{t.layer.name}' is "
                        f"preprocessing (it runs in NumPy before the engine), so it must take "
                        f"the model's inputs or other preprocessing layers' outputs, not the "
                        f"output of a computing layer")
                self.calls.append(t)
                for sib in getattr(t, "siblings", [t]):
                    host.add(id(sib))
            else:
                for i in t.inputs:
                    if is_string(i) or id(i) in strings:
                        raise ValueError(
                            f"Model '{model_name}': {type(t.layer).__name__} '{t.layer.name}' "
                            f"cannot take strings (input {i.name or 'of dtype string'}); start "
                            f"with TextVectorization, StringLookup or Hashing")
                self.numeric_calls.append((key, t))
        self.boundary, seen = [], set()
        wanted = [i for _, t in self.numeric_calls for i in t.inputs] + list(outputs)
        for i in wanted:  # an output made by preprocessing alone is handed over as it is
            if id(i) in host and id(i) not in seen:
                seen.add(id(i))
                self.boundary.append(i)
        self.inputs = list(inputs)

    def run(self, raw):
        """The boundary arrays computed from the raw input arrays (model input order)."""
        values = {id(t): _as_declared(a, t) for t, a in zip(self.inputs, raw)}
        for t in self.calls:
            n_pos = getattr(t, "n_positional", len(t.inputs))
            args = [values[id(i)] for i in t.inputs[:n_pos]]
            if getattr(t.layer, "_is_operation", False):
                out = _run_shape_op(t.layer, [values[id(i)] for i in t.inputs])
            else:
                out = t.layer.host_call(args[0] if len(args) == 1 else args)
            values[id(t)] = out
        return [np.asarray(values[id(b)]) for b in self.boundary]


def _as_declared(a, t):
    """An array of the Input's rank: Keras' rank adjustment, so that a batch of
    strings ["a", "b"] for Input(shape=(1,)) is (2, 1) (a multi_hot lookup would
    otherwise read the whole batch as one sample)."""
    if not hasattr(a, "ndim"):
        a = np.asarray(a, dtype=object if is_string(t) else None)
        if a.dtype == object and a.size and all(isinstance(v, str) for v in a.reshape(-1)):
            a = a.astype(str)
    if a.ndim == len(t.shape) - 1 and t.shape[-1] == 1:
        a = a[..., None]
    return a


def host_stage_for(model_name, inputs, calls, outputs):
    """A HostStage when the graph has host layers or string inputs, else None (the
    model's inputs go to the engine as they are: nothing changes for it)."""
    if not any(is_host(t.layer) for _, t in calls) and not any(is_string(t) for t in inputs):
        return None
    return HostStage(model_name, inputs, calls, outputs)
