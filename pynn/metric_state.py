"""Metric subclasses written the Keras way — ``add_variable`` in ``__init__``,
``update_state`` with pynn.ops, ``result`` and ``reset_state`` — inside fit and
evaluate, without Python in the batch loop.

The compiled loop sums per-batch statistics in C. A Keras metric's update_state
adds to its variables (``assign_add`` / ``assign_sub``): the sum of those
increments over an epoch's batches is what the variables hold at its end. So when
a model is traced, ``update_state`` runs once on the traced ``y_true`` / ``y_pred``
with its variables recording: each ``assign_add`` records its increment tensor
instead of applying it, and the increments, flattened and joined, are the
metric's statistics in the program. ``value_from`` resets the variables, adds the
summed increments and calls ``result()``. The loop stays as fast as with built-in
metrics; Python runs only when logs are made.

An ``update_state`` that overwrites a variable (``assign``) cannot be summed and
is refused with a message when the model is traced."""
import numpy as np

from . import _C
from .layers.base import Variable


class StateVariable(Variable):
    """A metric's variable (made by ``Metric.add_variable``): a Variable whose
    ``assign_add`` / ``assign_sub`` record their increment while a model is traced."""

    def assign_add(self, value):
        rec = getattr(self, "_recorder", None)
        if rec is None:
            return super().assign_add(value)
        rec.add(self, value, negate=False)
        return self

    def assign_sub(self, value):
        rec = getattr(self, "_recorder", None)
        if rec is None:
            return super().assign_sub(value)
        rec.add(self, value, negate=True)
        return self

    def assign(self, value):
        rec = getattr(self, "_recorder", None)
        if rec is not None:
            raise ValueError(
                f"Metric '{rec.metric.name}'.update_state assigns variable '{self.name}': pynn's "
                "compiled loop sums per-batch increments, so update_state may change its "
                "variables only with assign_add / assign_sub")
        return super().assign(value)


def make_state_variable(value, name):
    v = np.asarray(value, dtype=np.float32, order="C").view(StateVariable)
    v.name, v.trainable, v.regularizer, v._tensor, v._recorder = name, False, None, None, None
    return v


class _Recorder:
    def __init__(self, metric):
        self.metric = metric
        self.increments = {}  # id(variable) -> Tensor of the variable's shape

    def add(self, var, value, negate):
        from . import ops
        from .tensor import Tensor
        t = value if isinstance(value, _C.Tensor) else Tensor(np.asarray(value, np.float32))
        if tuple(t.shape) != tuple(var.shape):
            try:
                fits = np.broadcast_shapes(tuple(t.shape), tuple(var.shape)) == tuple(var.shape)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(
                    f"Metric '{self.metric.name}': variable '{var.name}' of shape {var.shape} "
                    f"cannot take an increment of shape {tuple(t.shape)} (reduce over the batch, "
                    "e.g. with pynn.ops.sum)")
            t = ops.broadcast_to(t, var.shape)
        if negate:
            t = ops.negative(t)
        prev = self.increments.get(id(var))
        self.increments[id(var)] = t if prev is None else ops.add(prev, t)


def is_state_metric(metric):
    """Whether metric is a Keras-style subclass (its own update_state)."""
    from .metrics import Metric
    return type(metric).update_state is not Metric.update_state


def trace_stats(metric, y_true, y_pred, sample_weight):
    """The metric's statistics Tensor for one batch: its variables' increments."""
    from . import ops
    from .tensor import Tensor
    build = getattr(metric, "_build_state", None)
    if build is not None:  # variables shaped by the data (the number of classes)
        build(tuple(y_true.shape), tuple(y_pred.shape))
    variables = metric.variables
    if not variables:
        raise ValueError(f"Metric '{metric.name}' ({type(metric).__name__}) overrides update_state "
                         "but has no variables: create them with self.add_variable(...)")
    rec = _Recorder(metric)
    for v in variables:
        v._recorder = rec
    was_grad = _C.set_grad_enabled(False)  # statistics are not differentiated
    try:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    finally:
        _C.set_grad_enabled(was_grad)
        for v in variables:
            v._recorder = None
    parts = []
    for v in variables:
        inc = rec.increments.get(id(v))
        if inc is None:  # never incremented: a constant zero
            inc = Tensor(np.zeros(v.shape, np.float32))
        parts.append(ops.reshape(inc, (-1,)) if len(v.shape) != 1 else inc)
    return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=0)


def value_from(metric, acc):
    """result() after the variables are reset and given the summed increments acc."""
    metric.reset_state()
    off = 0
    for v in metric.variables:
        v[...] = np.asarray(v) + np.asarray(acc[off:off + v.size], np.float32).reshape(v.shape)
        off += v.size
    r = metric.result()
    r = r.numpy() if isinstance(r, _C.Tensor) else np.asarray(r)
    return float(r) if r.ndim == 0 else r
