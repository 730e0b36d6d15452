"""OpLayer: one pynn.ops call recorded in a functional graph (pynn/ops/symbolic.py
records it when an op meets a KerasTensor). Weightless; not in ``model.layers``
(Keras lists layers, not operations); saved as the op's name and its JSON
arguments, with ``{"tensor": i}`` where the i-th input tensor goes. Loading looks
the name up among pynn.ops' public functions only: no code comes from a file."""
import json

import numpy as np

from ..ops.linearize import shape_only
from ..ops.symbolic import _replace
from .base import Layer, unique_name


class _Slot:
    """Where a loaded node's i-th input goes, until the graph is rebuilt."""

    def __init__(self, index):
        self.index = index


class OpLayer(Layer):
    """One pynn.ops call in a functional graph."""
    _is_operation = True

    def __init__(self, fn, tensors, args, kwargs, name=None):
        super().__init__(name=name or unique_name(fn.__name__))
        self.fn, self.tensors = fn, list(tensors)
        self.args, self.kwargs = tuple(args), dict(kwargs)

    def call(self, inputs, training=False):
        values = inputs if isinstance(inputs, list) else [inputs]
        by_id = {id(t): v for t, v in zip(self.tensors, values)}
        return self.fn(*_replace(self.args, by_id), **_replace(self.kwargs, by_id))

    def _dry_run_shape(self, *args, **kwargs):
        # ops computed by NumPy (inv, svd, ...) would fail on the dry run's zeros
        with shape_only():
            return super()._dry_run_shape(*args, **kwargs)

    def get_config(self):
        by_id = {id(t): {"tensor": i} for i, t in enumerate(self.tensors)}
        cfg = {"name": self.name, "op": self.fn.__name__,
               "args": _encode(_replace(list(self.args), by_id)),
               "kwargs": _encode(_replace(self.kwargs, by_id))}
        try:
            json.dumps(cfg)
        except TypeError:
            raise ValueError(f"Cannot save the call of pynn.ops.{self.fn.__name__} ('{self.name}'): "
                             "its arguments are not JSON data") from None
        return cfg

    @classmethod
    def from_config(cls, config):
        from .. import ops
        name = config.get("op")
        if name not in ops.__all__:
            raise ValueError(f"OpLayer {config.get('name')!r}: {name!r} is not a pynn.ops function")

        def restore(v):
            if isinstance(v, dict) and set(v) == {"tensor"}:
                return _Slot(v["tensor"])
            if isinstance(v, dict) and set(v) == {"slice"} and isinstance(v["slice"], list) \
                    and len(v["slice"]) == 3:
                return slice(*v["slice"])
            if isinstance(v, dict) and set(v) == {"tuple"} and isinstance(v["tuple"], list):
                return tuple(restore(i) for i in v["tuple"])
            if isinstance(v, dict) and set(v) == {"array"}:
                try:
                    return np.asarray(v["array"], dtype=np.float32)
                except (TypeError, ValueError):
                    raise ValueError(f"OpLayer {config.get('name')!r}: a saved constant is not a "
                                     "rectangular array of numbers") from None
            if v == {"ellipsis": True}:
                return Ellipsis
            if isinstance(v, list):
                return [restore(i) for i in v]
            if isinstance(v, dict):
                return {k: restore(i) for k, i in v.items()}
            return v
        return cls(getattr(ops, name), [], restore(config.get("args", [])),
                   restore(config.get("kwargs", {})), name=config.get("name"))

    def __call__(self, inputs, *args, **kwargs):
        if not self.tensors:  # loaded: the slots now name the tensors the graph passes
            values = inputs if isinstance(inputs, list) else [inputs]
            self.args, self.kwargs = _fill(self.args, values), _fill(self.kwargs, values)
            self.tensors = list(values)
        return super().__call__(inputs, *args, **kwargs)


def _encode(value):
    """Index keys (x[:, :1], x[..., 0]) as JSON: slices, Ellipsis and tuples tagged."""
    if isinstance(value, np.generic):  # np.float32(1): a number
        return value.item()
    if isinstance(value, np.ndarray):  # a constant operand: numbers, stored as float32
        return {"array": value.astype(np.float32).tolist()}
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _fill(value, values):
    if isinstance(value, _Slot):
        return values[value.index]
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value
