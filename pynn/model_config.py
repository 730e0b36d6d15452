"""Models rebuilt from their architecture: ``clone_model`` and ``model_from_json``
(Keras' ``keras.models.clone_model`` / ``model_from_json``; ``Model.to_json`` writes
the JSON). Exposed in pynn.models."""
import json

from .serialization import custom_object_scope

__all__ = ["clone_model", "model_from_json"]


def _default_clone(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """Returns a new model with the same architecture and new, freshly initialised weights.

    A Sequential is rebuilt layer by layer, a functional model by replaying its graph
    on new Inputs with each layer replaced by its clone (a layer shared by several
    calls stays shared).

    Parameters
    ----------
    model : Sequential or functional Model
        The model to clone.
    input_tensors : KerasTensor or list, optional
        New inputs to build the clone on (default: new Inputs like the model's).
    clone_function : callable, optional
        ``layer -> new layer``; default ``type(layer).from_config(layer.get_config())``.
        Return the layer itself to share it (with its weights) with the clone.
    call_function : None
        Not supported (a value raises).
    recursive : bool, default False
        Clone models nested as layers with this function too (else ``clone_function``
        gets them).
    **kwargs
        Must be empty.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        A subclassed model (no graph to clone: Keras refuses it too) or
        ``call_function``.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2, name="d")])
    >>> clone = pynn.models.clone_model(model)
    >>> clone.get_layer("d") is model.get_layer("d"), clone.output_shape
    (False, (None, 2))
    """
    from .functional import Input, call_argument, input_like, substitute
    from .models import Functional, Model, Sequential
    if kwargs:
        raise TypeError(f"clone_model: unexpected argument(s) {sorted(kwargs)}")
    if call_function is not None:
        raise ValueError("clone_model: call_function is not supported")
    clone_function = clone_function or _default_clone
    made = {}

    def clone(layer):
        if id(layer) not in made:
            if recursive and isinstance(layer, (Sequential, Functional)):
                made[id(layer)] = clone_model(layer, clone_function=clone_function,
                                              recursive=True)
            else:
                made[id(layer)] = clone_function(layer)
        return made[id(layer)]

    if isinstance(model, Sequential):
        inputs = input_tensors
        if inputs is None and model._declared_shape() is not None:
            inputs = Input(shape=tuple(model._declared_shape()[1:]))
        new = Sequential(name=model.name)
        if inputs is not None:
            new.add(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
        for layer in model.layers:
            new.add(clone(layer))
        return new
    if not isinstance(model, Functional):
        raise ValueError(f"clone_model: '{model.name}' is a subclassed model, which has no graph "
                         "to clone; create a new instance of its class instead")
    if input_tensors is None:
        new_inputs = [input_like(t) for t in model._inputs]
    else:
        new_inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else \
            [input_tensors]
        if len(new_inputs) != len(model._inputs):
            raise ValueError(f"clone_model: the model has {len(model._inputs)} inputs, "
                             f"input_tensors gives {len(new_inputs)}")
    values = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    for _, t in model._calls:
        args = [values[id(i)] for i in t.inputs[:getattr(t, "n_positional", len(t.inputs))]]
        kw = {k: substitute(v, values) for k, v in getattr(t, "call_kwargs", {}).items()}
        if getattr(t.layer, "_is_operation", False):  # a pynn.ops call: recorded afresh
            from .ops.symbolic import record
            out = record(t.layer.fn, *_op_arguments(t.layer, args))
        else:
            out = clone(t.layer)(call_argument(t, args), **kw)
        for sib in getattr(t, "siblings", [t]):
            values[id(sib)] = out[sib.index] if isinstance(out, (list, tuple)) else out
    outputs = [values[id(t)] for t in model._outputs]
    keys = model._dict_keys()
    inputs = dict(zip(keys, new_inputs)) if keys else (
        new_inputs if len(new_inputs) > 1 else new_inputs[0])
    return Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=model.name)


def _op_arguments(op_layer, new_tensors):
    """The recorded op's (args, kwargs) with its tensors replaced by new_tensors."""
    from .ops.symbolic import _replace
    by_id = {id(t): v for t, v in zip(op_layer.tensors, new_tensors)}
    return _replace(op_layer.args, by_id), _replace(op_layer.kwargs, by_id)


def model_from_json(json_string, custom_objects=None):
    """Builds a model (new weights) from the JSON of ``model.to_json()``.

    Parameters
    ----------
    json_string : str
        What ``to_json`` returned.
    custom_objects : dict, optional
        Custom layer classes and functions by name (registered ones are found anyway).

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        Text that is not a model's JSON, or an unknown layer class.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    >>> pynn.models.model_from_json(model.to_json()).output_shape
    (None, 2)
    """
    from .saving import model_from_config
    try:
        cfg = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: not JSON ({e})") from None
    with custom_object_scope(custom_objects or {}):
        return model_from_config(cfg, custom_objects)
