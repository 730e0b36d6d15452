"""How the explainers talk to a model.

Gradient methods need the model as a function of an eager ``pynn.Tensor`` (so the
C engine records the batch and backpropagates to the input); the model-agnostic
methods (KernelSHAP, LIME, permutation importance) only need NumPy in, NumPy out.
Both accept a pynn Model or a plain Python callable."""
import numpy as np

from .. import _C
from ..tensor import Tensor, no_grad


def _is_pynn_model(model):
    from ..models import Model
    return isinstance(model, Model)


def tensor_forward(model, who):
    """A function Tensor -> Tensor that runs the model eagerly (graph recorded)."""
    if _is_pynn_model(model):
        if model._n_outputs() != 1:
            raise ValueError(f"{who}: the model has {model._n_outputs()} outputs; explain one "
                             f"output at a time (wrap the model in a function returning it)")
        return lambda t: model(t, training=False)
    if callable(model):
        return model
    raise TypeError(f"{who}: expected a pynn Model or a callable taking a pynn.Tensor, got "
                    f"{type(model).__name__}")


def predict_function(model, who, batch_size=4096):
    """A function ndarray -> float64 ndarray for the model-agnostic methods."""
    if _is_pynn_model(model):
        if model._n_outputs() != 1:
            raise ValueError(f"{who}: the model has {model._n_outputs()} outputs; pass a function "
                             f"returning the one to explain")
        return lambda x: np.asarray(model.predict(x, batch_size=batch_size, verbose=0), np.float64)
    if callable(model):
        def run(x):
            out = model(x)
            if isinstance(out, _C.Tensor):
                out = out.numpy()
            return np.asarray(out, np.float64)
        return run
    raise TypeError(f"{who}: expected a pynn Model or a callable (array -> predictions), got "
                    f"{type(model).__name__}")


class _frozen_weights:
    """Switches off requires_grad on the model's weights while explaining: the
    engine then skips the weight-gradient GEMMs and leaves the model's gradient
    arena untouched."""

    def __init__(self, model):
        self.tensors = []
        if _is_pynn_model(model):
            self.tensors = [v._tensor for v in model.weights if getattr(v, "_tensor", None) is not None]

    def __enter__(self):
        self.saved = [t.requires_grad for t in self.tensors]
        for t in self.tensors:
            t.requires_grad = False

    def __exit__(self, *exc):
        for t, flag in zip(self.tensors, self.saved):
            t.requires_grad = flag
        return False


def check_inputs(x, who):
    """The inputs as a float32 array with a batch axis."""
    if isinstance(x, _C.Tensor):
        x = x.numpy()
    try:
        arr = np.asarray(x)
        if arr.dtype.kind in "biuf" and not (arr.dtype == np.float32 and arr.flags.c_contiguous):
            _C.check_copy_fits(arr, f"{who}: inputs")  # a huge broadcast view: before the malloc
        arr = np.asarray(arr, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{who}: inputs must be a numeric array, got {type(x).__name__} ({e})") from None
    if arr.ndim < 2:
        raise ValueError(f"{who}: inputs need a batch axis first, shape (batch, ...); got shape "
                         f"{arr.shape} (use x[None] for one example)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{who}: inputs contain NaN or infinity")
    return np.ascontiguousarray(arr)


def target_indices(target, n, out_shape, who):
    """Flat output index per example (Captum's target: None for one output per
    example, an int or tuple for every example, or a list / array with one entry
    per example)."""
    per_sample = tuple(out_shape[1:])
    size = int(np.prod(per_sample)) if per_sample else 1
    if target is None:
        if size != 1:
            raise ValueError(f"{who}: the model gives {size} outputs per example (shape "
                             f"{per_sample}); say which to explain with target=")
        return np.zeros(n, np.int64)

    def flat(t):
        idx = (t,) if np.isscalar(t) else tuple(t)
        if len(idx) != len(per_sample) or any(not (-s <= int(i) < s) for i, s in zip(idx, per_sample)):
            raise ValueError(f"{who}: target {t!r} is not an index of the per-example output of "
                             f"shape {per_sample}")
        return int(np.ravel_multi_index(tuple(int(i) % s for i, s in zip(idx, per_sample)),
                                        per_sample))

    if isinstance(target, (int, np.integer)) or (isinstance(target, tuple)):
        return np.full(n, flat(target), np.int64)
    targets = list(np.asarray(target).tolist()) if not isinstance(target, list) else target
    if len(targets) != n:
        raise ValueError(f"{who}: target has {len(targets)} entries for {n} examples")
    return np.array([flat(t) for t in targets], np.int64)


def _select(out, flat_targets):
    """Σ over the batch of each row's target output: a scalar Tensor whose gradient
    w.r.t. the input rows is each row's own target gradient."""
    rows = out.shape[0]
    size = int(np.prod(out.shape[1:]))
    flat_out = out if len(out.shape) == 2 else out.reshape((rows, size))
    mask = np.zeros((rows, size), np.float32)
    mask[np.arange(rows), flat_targets] = 1.0
    return (flat_out * Tensor(mask)).sum()


def output_shape(forward, x, who):
    """Shape of the model's output for a batch of one (no graph recorded)."""
    with no_grad():
        out = forward(Tensor(np.ascontiguousarray(x[:1])))
    if not isinstance(out, _C.Tensor):
        raise TypeError(f"{who}: the model must return a pynn.Tensor when called on one, got "
                        f"{type(out).__name__}")
    return out.shape


def outputs_at(forward, x, flat_targets, batch_size):
    """F(x)[target] per row (float64), without recording a graph."""
    vals = np.empty(len(x), np.float64)
    with no_grad():
        for s in range(0, len(x), batch_size):
            out = forward(Tensor(np.ascontiguousarray(x[s:s + batch_size]))).numpy()
            out = out.reshape(len(out), -1)
            vals[s:s + batch_size] = out[np.arange(len(out)), flat_targets[s:s + batch_size]]
    return vals


def gradients(model, forward, x, flat_targets, batch_size):
    """∂F[target]/∂x for every row of x, computed by the engine in batches of
    batch_size rows (one forward and one backward per batch)."""
    grads = np.empty(x.shape, np.float32)
    with _frozen_weights(model), _grad_enabled():
        for s in range(0, len(x), batch_size):
            t = Tensor(np.ascontiguousarray(x[s:s + batch_size]), requires_grad=True)
            out = forward(t)
            if not isinstance(out, _C.Tensor):
                raise TypeError(f"the model must return a pynn.Tensor when called on one, got "
                                f"{type(out).__name__}")
            if not out.requires_grad:  # the output does not depend on the input: zero gradient
                grads[s:s + batch_size] = 0.0
                continue
            _select(out, flat_targets[s:s + batch_size]).backward()
            grads[s:s + batch_size] = t.grad if t.grad is not None else 0.0
    return grads


class _grad_enabled:
    """Gradients on inside, whatever the caller's no_grad() state."""

    def __enter__(self):
        self.prev = _C.set_grad_enabled(True)

    def __exit__(self, *exc):
        _C.set_grad_enabled(self.prev)
        return False


def prepare(model, inputs, target, who):
    """(eager forward, float32 inputs, flat target index per example)."""
    forward = tensor_forward(model, who)
    x = check_inputs(inputs, who)
    flat_targets = target_indices(target, len(x), output_shape(forward, x, who), who)
    return forward, x, flat_targets
