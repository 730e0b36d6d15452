"""What compile() sets up for the traced programs: the per-output loss metric, the
summed loss statistic, and the logs read back from the loop's accumulator (Keras 3's
compile_utils)."""
import numpy as np

from .. import metrics as metrics_mod


class OutputLoss(metrics_mod.Metric):
    """Tracks one output's loss in a model with several outputs (Keras logs it as
    "<output>_loss"): its statistic is Σ w·l over the batch, divided by the
    number of samples when the log is made."""

    def __init__(self, name):
        super().__init__(name)

    def value_from(self, acc):
        return float(acc[0])


def summed_loss(loss, y, p, w):
    """One output's loss over the batch times its number of samples (a graph op):
    Keras' "<output>_loss" is the mean of the batch losses weighted by batch size.
    A sequence output (batch, steps, ...) has a loss per step, averaged over them."""
    masked = getattr(p, "_keras_mask", None) is not None or \
        getattr(loss, "ignore_class", None) is not None
    if hasattr(loss, "call") and not masked:  # (a masked mean: the loss's own __call__)
        try:
            per_sample = float(np.prod(p.shape[1:-1])) if len(p.shape) > 2 else 1.0
            total = loss.call(y, p, sample_weight=w, reduction="sum")
            return total * (1.0 / per_sample) if per_sample != 1.0 else total
        except NotImplementedError:
            pass
    from .. import ops
    return loss(y, p, sample_weight=w) * ops.sum(w * 0.0 + 1.0)


def logs_from(loss_sum, count, acc, entry):
    logs = {"loss": loss_sum / count if count else 0.0}
    off = 0
    for m, s in zip(entry["metrics"], entry["stats"]):
        v = m.value_from(acc[off:off + s.size] / (count if isinstance(m, OutputLoss) else 1))
        logs[m.name] = float(v) if np.ndim(v) == 0 else np.asarray(v)
        off += s.size
    return dict(sorted(logs.items()))  # Keras' key order (the progress bar shows this order)


class CompileMetrics:
    """compile()'s metrics as one entry of ``model.metrics``, as Keras 3's
    CompileMetrics: ``update_state(y, y_pred, sample_weight)`` updates each metric
    of each output (``sample_weight`` goes to ``weighted_metrics`` only) and
    ``result()`` is their ``{name: value}`` dict, which fit's logs flatten. The
    metric objects are resolved against the shapes of the first batch ("accuracy"
    needs them) and are the ones the compiled loop reports."""

    name = "compile_metrics"

    def __init__(self, model):
        self._model = model

    def _slots(self):
        model = self._model
        return model._metric_slots if model.__dict__.get("compiled_metrics") is not None else []

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys, preds = ((y_true, y_pred) if isinstance(y_pred, (list, tuple))
                     else ([y_true], [y_pred]))
        slots = self._model._resolve_metrics([tuple(np.shape(t)[1:]) for t in ys],
                                             [(None,) + tuple(np.shape(p)[1:]) for p in preds])
        for o, m, weighted in slots:  # plain metrics see every sample as weight 1
            m.update_state(ys[o], preds[o], sample_weight if weighted else None)

    def result(self):
        return {m.name: m.result() for _, m, _ in self._slots()}

    def reset_state(self):
        for _, m, _ in self._slots():
            m.reset_state()


def takes_training(method):
    """Whether a (user's) compute_loss accepts `training` (Keras 3 passes it only then)."""
    import inspect
    params = inspect.signature(method).parameters
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
