"""The Python batch loops of fit / evaluate / predict for a model that overrides
train_step / test_step / predict_step (keras.io's "Customizing what happens in
fit()"). The compiled C loop cannot call into Python between backward and the
optimizer step, so a model that overrides a step runs it here, one call per batch,
on eager tensors. A model that overrides nothing never comes here."""
import numpy as np

from .. import random as _random
from ..optimizers import Optimizer
from ..tensor import Tensor, no_grad


def finalize_ema(optimizer, epochs):
    """Keras' end of fit: with ``use_ema`` the weights become their moving average
    (``optimizer.finalize_variable_values``), when fit ran any epoch."""
    if epochs > 0 and getattr(optimizer, "use_ema", False) and optimizer._c is not None:
        optimizer.finalize_variable_values(optimizer._stepped_weights())


def _batch(arrays, idx):
    ts = [Tensor(np.ascontiguousarray(a[idx])) for a in arrays]
    return ts[0] if len(ts) == 1 else ts


def _step_data(xs, ys, w, idx):
    """What Keras hands a step for one batch: (x,), (x, y) or (x, y, sample_weight)."""
    x = _batch(xs, idx)
    if ys is None:
        return (x,)
    y = _batch(ys, idx)
    return (x, y) if w is None else (x, y, Tensor(np.ascontiguousarray(w[idx])))


def _logs(result, step):
    """A step's returned dict as logs: one-value results as floats, nested dicts
    flattened (Keras flattens the dict its CompileMetrics returns the same way)."""
    if not isinstance(result, dict):
        raise TypeError(f"{step} must return a dict of metric values, such as "
                        f"{{m.name: m.result() for m in self.metrics}}; got "
                        f"{type(result).__name__}")
    logs = {}
    for k, v in result.items():
        if isinstance(v, dict):
            logs.update(_logs(v, step))
            continue
        a = np.asarray(v, np.float64)
        logs[k] = float(a.reshape(-1)[0]) if a.size == 1 else a
    return logs


def _batches(n, batch_size):
    return (n + batch_size - 1) // batch_size


def fit(model, xs, ys, w, val, batch_size, epochs, initial_epoch, shuffle, callbacks, verbose):
    """fit's epochs with the model's own train_step: `ys` None when fit had no
    targets, `w` None when it had no sample or class weights (the step then gets no
    sample_weight, as in Keras); `val` as Trainer._validate takes it."""
    from .. import callbacks as callbacks_mod
    if type(model.optimizer)._fit_strategy is not Optimizer._fit_strategy:
        raise ValueError(f"fit: model '{model.name}' overrides train_step, but DP-SGD's private "
                         f"steps run only in the compiled loop; a custom train_step would train "
                         f"without the privacy guarantee")
    n = xs[0].shape[0]
    n_batches = _batches(n, batch_size)
    cbs = callbacks_mod.CallbackList(callbacks, model=model, verbose=verbose, epochs=epochs,
                                     steps=n_batches)
    model.history = cbs.history
    model.stop_training = False
    rng = _random.generator()  # the compiled loop's shuffles: one permutation per epoch
    model._initial_epoch = None
    cbs.on_train_begin()
    if model._initial_epoch is not None:  # BackupAndRestore resumes an interrupted fit
        initial_epoch = model._initial_epoch
    epoch_logs = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()  # Keras: every metric in model.metrics restarts each epoch
        cbs.on_epoch_begin(epoch)
        order = rng.permutation(n) if shuffle else np.arange(n)
        logs = {}
        for b in range(n_batches):
            if model.stop_training:
                break
            cbs.on_train_batch_begin(b)
            data = _step_data(xs, ys, w, order[b * batch_size:(b + 1) * batch_size])
            logs = _logs(model.train_step(data), "train_step")
            cbs.on_train_batch_end(b, logs)
        epoch_logs = dict(logs)
        model._validate(val, epoch, epoch_logs, cbs)
        cbs.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    finalize_ema(model.optimizer, epochs)
    cbs.on_train_end(epoch_logs)
    return model.history


def evaluate(model, xs, ys, w, batch_size, cbs=None):
    """evaluate's logs with the model's own test_step (no graph is recorded, as Keras
    runs it under torch.no_grad)."""
    model.reset_metrics()
    if cbs is not None:
        cbs.on_test_begin()
    logs = {}
    with no_grad():
        for b in range(_batches(xs[0].shape[0], batch_size)):
            if cbs is not None:
                cbs.on_test_batch_begin(b)
            data = _step_data(xs, ys, w, slice(b * batch_size, (b + 1) * batch_size))
            logs = _logs(model.test_step(data), "test_step")
            if cbs is not None:
                cbs.on_test_batch_end(b, logs)
    if cbs is not None:
        cbs.on_test_end(logs)
    return logs


def predict(model, xs, batch_size, cbs=None):
    """predict's outputs with the model's own predict_step, batches concatenated."""
    if xs[0].shape[0] == 0:  # no call, so no output shape to give an empty answer
        raise ValueError(f"predict: x has no samples (0 rows) for model '{model.name}'")
    if cbs is not None:
        cbs.on_predict_begin()
    parts = []
    with no_grad():
        for b in range(_batches(xs[0].shape[0], batch_size)):
            if cbs is not None:
                cbs.on_predict_batch_begin(b)
            out = model.predict_step(_batch(xs, slice(b * batch_size, (b + 1) * batch_size)))
            outs = out if isinstance(out, (list, tuple)) else [out]
            parts.append([np.asarray(o, np.float32) for o in outs])
            if cbs is not None:
                cbs.on_predict_batch_end(b, {"outputs": parts[-1][0] if len(outs) == 1
                                             else parts[-1]})
    if cbs is not None:
        cbs.on_predict_end()
    outs = [np.concatenate(p) for p in zip(*parts)]
    return outs[0] if len(outs) == 1 else outs
