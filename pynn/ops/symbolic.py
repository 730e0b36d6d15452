"""keras.ops on symbolic tensors: a pynn.ops function called on the KerasTensors of
a functional graph (``pynn.Input`` and what layers return from it) records the call
as one node of the graph, as Keras 3 records an Operation; the model replays it
on real Tensors, so it is traced into the compiled program like a layer's ops.

The node is an OpLayer (pynn/layers/operation.py): a weightless layer holding the function and its
non-tensor arguments. It is not listed in ``model.layers`` (Keras lists layers,
not operations) and saves as the op's name plus its JSON arguments; loading looks
the name up among pynn.ops' public functions only (no code comes from a file)."""
import functools
import json

from ..functional import KerasTensor

__all__ = []


def _symbolic(v):
    return isinstance(v, KerasTensor) or (
        isinstance(v, (list, tuple)) and any(isinstance(i, KerasTensor) for i in v))


def _tensors_in(value, found):
    if isinstance(value, KerasTensor):
        if all(t is not value for t in found):
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors_in(item, found)
    return found


def _replace(value, by_id):
    """value with each KerasTensor t replaced by by_id[id(t)] (lists, tuples, dicts kept)."""
    if isinstance(value, KerasTensor):
        return by_id[id(value)]
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, by_id) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, by_id) for k, v in value.items()}
    return value


def symbolic_aware(fn):
    """fn, which also accepts KerasTensors: then it returns the KerasTensor of a
    recorded OpLayer call instead of computing."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if any(_symbolic(v) for v in args) or any(_symbolic(v) for v in kwargs.values()):
            return record(fn, args, kwargs)
        return fn(*args, **kwargs)
    op._symbolic_aware = True
    return op


def record(fn, args, kwargs, name=None):
    """Records fn(*args, **kwargs) on KerasTensors as an OpLayer call."""
    tensors = _tensors_in([list(args), kwargs], [])
    from ..layers.operation import OpLayer  # pynn.layers imports pynn.ops: import at use
    layer = OpLayer(fn, tensors, args, kwargs, name=name)
    return layer(tensors[0] if len(tensors) == 1 else list(tensors))
