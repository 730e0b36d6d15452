"""Callbacks with Keras' hooks and contracts."""
import numpy as np


class Callback:
    """Base class: override any of the on_* hooks. `self.model` is set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class History(Callback):
    """Records every epoch's logs: `.history = {key: [values]}`, `.epoch`, `.params`."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class ProgbarLogger(Callback):
    """Prints Keras' progress bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        from .progbar import Progbar
        epochs = self.params.get("epochs", 1)
        if self.verbose and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}")
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.params.get("steps"), list((logs or {}).items()), finalize=True)


class CallbackList:
    """Dispatches every hook to the user's callbacks, History and the progress bar."""

    def __init__(self, callbacks=None, model=None, verbose=1, epochs=1, steps=None):
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be pynn.callbacks.Callback instances, got "
                                f"{type(cb).__name__}")
        self.history = next((c for c in callbacks if isinstance(c, History)), None) or History()
        self.callbacks = [c for c in callbacks if c is not self.history] + [self.history]
        if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            self.callbacks.insert(0, ProgbarLogger(verbose))
        self.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(dict(self.params))

    def wants_every_batch(self):
        """True when a callback overrides a batch hook (so batches go one by one)."""
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                continue
            for hook in ("on_train_batch_begin", "on_train_batch_end"):
                if getattr(type(cb), hook) is not getattr(Callback, hook):
                    return True
        return False

    def wants_progress(self):
        return any(isinstance(c, ProgbarLogger) and c.verbose == 1 for c in self.callbacks)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
