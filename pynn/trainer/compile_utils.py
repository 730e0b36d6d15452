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
    """Σ w·l for one output's loss over the batch (a graph op)."""
    if hasattr(loss, "call"):
        try:
            return loss.call(y, p, sample_weight=w, reduction="sum")
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
