"""Callbacks with Keras 3's hooks, arguments and semantics.

fit runs batches inside C in chunks; Python only sees a batch hook per chunk.
A callback that overrides a batch hook (or asks for it, see
`Callback._needs_every_batch`) makes fit run batches one by one so the hook
sees every batch, as in Keras."""
import csv
import math
import os
import warnings

import numpy as np

# (CallbackList is fit's dispatcher, not Keras' constructor: not part of the API)
__all__ = ["Callback", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
           "TerminateOnNaN", "LambdaCallback", "TensorBoard"]


def _default(fn):
    """Marks a base-class hook as "does nothing" (so the loop can skip it)."""
    fn._is_default = True
    return fn


def _is_default(method):
    return getattr(method, "_is_default", False)


class Callback:
    """The base class of callbacks: override the ``on_*`` hooks you need.

    ``fit`` sets ``self.model`` (the model being trained: set
    ``self.model.stop_training = True`` to stop) and ``self.params``
    (``{"verbose", "epochs", "steps"}``). pynn runs each epoch inside C, so
    epoch hooks cost nothing; a callback that overrides a *batch* hook makes
    ``fit`` return to Python after every batch, which is slower.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> class StopAtLoss(pynn.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if logs["loss"] < 0.69:
    ...             self.model.stop_training = True
    >>> history = model.fit(x, y, epochs=50, verbose=0, callbacks=[StopAtLoss()])
    >>> len(history.epoch) < 50
    True
    """

    # Under pynn.distribution.DataParallel only process 0 runs callbacks that
    # write files (ModelCheckpoint, CSVLogger): the others would write the same.
    _process_0_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Sets ``self.model`` (``fit`` calls it before training).

        Parameters
        ----------
        model : Model
            The model being trained.

        Examples
        --------
        >>> cb = pynn.callbacks.Callback()
        >>> model = pynn.Sequential([pynn.layers.Dense(1)])
        >>> cb.set_model(model)
        >>> cb.model is model
        True
        """
        self.model = model

    def set_params(self, params):
        """Sets ``self.params`` (``fit`` calls it before training).

        Parameters
        ----------
        params : dict
            ``{"verbose": ..., "epochs": ..., "steps": ...}`` (steps per epoch).

        Examples
        --------
        >>> cb = pynn.callbacks.Callback()
        >>> cb.set_params({"verbose": 0, "epochs": 3, "steps": 10})
        >>> cb.params["epochs"]
        3
        """
        self.params = params

    def _needs_every_batch(self):
        """True when this callback must see each training batch. Default: it
        overrides (or was given, e.g. LambdaCallback) a train-batch hook."""
        return any(not _is_default(getattr(self, h)) for h in
                   ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end"))

    @_default
    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch (Keras' older name of ``on_train_batch_begin``).

        Overriding a batch hook makes ``fit`` return to Python after every batch
        (otherwise it runs a whole epoch per C call), so training is slower.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Empty (Keras passes no data here).

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_batch_begin(self, batch, logs=None):
        ...         print(batch)
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0
        1
        0
        1
        """
        pass

    @_default
    def on_batch_end(self, batch, logs=None):
        """Called after each training batch (Keras' older name of ``on_train_batch_end``).

        Overriding a batch hook makes ``fit`` return to Python after every batch.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            The running averages of the epoch so far (``loss`` and the metrics).

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_batch_end(self, batch, logs=None):
        ...         print(batch, sorted(logs))
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0 ['loss']
        1 ['loss']
        0 ['loss']
        1 ['loss']
        """
        pass

    @_default
    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Empty.

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_train_begin(self, logs=None):
        ...         print("training starts")
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        training starts
        """
        pass

    @_default
    def on_train_end(self, logs=None):
        """Called once at the end of ``fit`` (also after an early stop).

        Parameters
        ----------
        logs : dict, optional
            The last epoch's logs.

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_train_end(self, logs=None):
        ...         print(sorted(logs))
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        ['loss']
        """
        pass

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch.

        Parameters
        ----------
        epoch : int
            The epoch's index, from 0.
        logs : dict, optional
            Empty.

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_epoch_begin(self, epoch, logs=None):
        ...         print(epoch)
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0
        1
        """
        pass

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch, after validation.

        Set ``self.model.stop_training = True`` here to stop training.

        Parameters
        ----------
        epoch : int
            The epoch's index, from 0.
        logs : dict, optional
            The epoch's results: ``loss``, the metrics and their ``val_``
            versions. A callback may add keys (they reach ``History``).

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, sorted(logs))
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0 ['loss']
        1 ['loss']
        """
        pass

    # Keras: the train-batch hooks fall back to the old on_batch_* names
    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch.

        Overriding a batch hook makes ``fit`` return to Python after every batch
        (otherwise it runs a whole epoch per C call). By default it calls
        ``on_batch_begin``, as Keras.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Empty.

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_train_batch_begin(self, batch, logs=None):
        ...         print(batch)
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0
        1
        0
        1
        """
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch.

        Overriding a batch hook makes ``fit`` return to Python after every batch.
        By default it calls ``on_batch_end``, as Keras.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            The running averages of the epoch so far (``loss`` and the metrics).

        Examples
        --------
        >>> class Printer(pynn.callbacks.Callback):
        ...     def on_train_batch_end(self, batch, logs=None):
        ...         print(batch)
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
        ...               callbacks=[Printer()])
        0
        1
        0
        1
        """
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_begin(self, logs=None):
        """Keras' hook for the start of an evaluation; pynn's ``evaluate`` and ``predict`` do not
        call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_test_begin() is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_test_end(self, logs=None):
        """Keras' hook for the end of an evaluation; pynn's ``evaluate`` and ``predict`` do not call
        callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_test_end() is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Keras' hook called before each evaluation batch; pynn's ``evaluate`` and ``predict`` do
        not call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_test_batch_begin(0) is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Keras' hook called after each evaluation batch; pynn's ``evaluate`` and ``predict`` do
        not call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_test_batch_end(0) is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_predict_begin(self, logs=None):
        """Keras' hook for the start of a prediction; pynn's ``evaluate`` and ``predict`` do not
        call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_predict_begin() is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_predict_end(self, logs=None):
        """Keras' hook for the end of a prediction; pynn's ``evaluate`` and ``predict`` do not call
        callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_predict_end() is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Keras' hook called before each prediction batch; pynn's ``evaluate`` and ``predict`` do
        not call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_predict_batch_begin(0) is None  # a no-op unless overridden
        True
        """
        pass

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Keras' hook called after each prediction batch; pynn's ``evaluate`` and ``predict`` do
        not call callbacks yet.

        Kept so that Keras callbacks that define it port unchanged.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, from 0.
        logs : dict, optional
            Results so far (Keras).

        Examples
        --------
        >>> pynn.callbacks.Callback().on_predict_batch_end(0) is None  # a no-op unless overridden
        True
        """
        pass


class History(Callback):
    """Records each epoch's logs; ``fit`` returns it (also ``model.history``).

    Attributes: ``history`` maps each log key (``"loss"``, metrics, ``"val_..."``,
    ``"learning_rate"`` when a callback logs it) to one value per epoch;
    ``epoch`` lists the epoch indices; ``params`` holds fit's settings.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25)
    >>> history.epoch
    [0, 1, 2]
    >>> sorted(history.history), len(history.history["val_loss"])
    (['loss', 'val_loss'], 3)
    >>> model.history is history
    True
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        # set by fit when the training loss first becomes NaN or infinite:
        # {"epoch": e, "batches": (first, last), "loss": value}, 0-based as in
        # callbacks (first == last when the loop ran batch by batch); the NaN
        # epoch loss itself is in history["loss"], as in Keras
        self.nonfinite_loss = None

    def set_model(self, model):
        super().set_model(model)
        if model is not None:
            model.history = self

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def report_nonfinite_loss(history, epoch, first_batch, last_batch, loss, callbacks=()):
    """Called by fit once, for the first engine call whose loss is NaN/inf:
    records it on the History and warns (RuntimeWarning). Keras trains on
    silently unless TerminateOnNaN is used; a diverged run that reports only
    `loss: nan` at the end of every epoch wastes the whole fit, so pynn says
    where it happened. `batch` is exact when the loop ran batch by batch (any
    callback with a batch hook); otherwise several batches ran in one C call
    and the warning names their range. With TerminateOnNaN among `callbacks`
    training stops there and that callback speaks: no warning."""
    if history is not None:
        history.nonfinite_loss = {"epoch": int(epoch),
                                  "batches": (int(first_batch), int(last_batch)),
                                  "loss": float(loss)}
    if any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
        return True
    where = (f"batch {last_batch}" if first_batch == last_batch else
             f"one of batches {first_batch}..{last_batch} (run in one engine call; a callback "
             f"with on_train_batch_end, e.g. TerminateOnNaN, makes the loop go batch by batch)")
    warnings.warn(f"fit: the training loss became {float(loss)} in epoch {epoch} (0-based; "
                  f"'Epoch {epoch + 1}' on the progress bar), {where}. Training goes on with "
                  f"non-finite weights; lower the learning rate, clip gradients (clipnorm=) or "
                  f"stop with callbacks.TerminateOnNaN().", RuntimeWarning,
                  stacklevel=_caller_stacklevel())
    return True


def _caller_stacklevel():
    """warnings.warn's stacklevel of the first frame outside the pynn package, so the
    warning points at the user's fit call however deep fit's own helpers go."""
    import os
    import sys
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class ProgbarLogger(Callback):
    """Prints Keras' progress bar (``verbose=1``) or one line per epoch (``verbose=2``).

    ``fit`` adds one when ``verbose`` is not 0. The bar is redrawn about ten
    times a second from between chunks of batches, so it does not slow the loop.

    Parameters
    ----------
    verbose : {None, 0, 1, 2}, optional
        1: a bar; 2: one line per epoch; None: fit's ``verbose``.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> _ = model.fit(x, y, epochs=2, batch_size=32, verbose=2)  # doctest: +ELLIPSIS
    Epoch 1/2
    2/2 - ... - loss: ...
    Epoch 2/2
    2/2 - ... - loss: ...
    """

    def __init__(self, verbose=None):
        super().__init__()
        self.verbose = verbose
        self._verbose_arg = verbose
        self.bar = None
        self.seen = 0

    def set_params(self, params):
        super().set_params(params)
        if self._verbose_arg is None:
            v = params.get("verbose", 1)
            self.verbose = 1 if v == "auto" else v

    def _needs_every_batch(self):
        return False  # a chunk-level redraw is all the bar needs

    def _new_bar(self):
        from .progbar import Progbar
        self.seen = 0
        self.bar = Progbar(self.params.get("steps"), verbose=self.verbose,
                           stateless_metrics=set())  # logs are running aggregates already

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        epochs = self.params.get("epochs", 1)
        if self.verbose and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is None:
            self._new_bar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.bar.update(self.seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is None:
            self._new_bar()
        if self.bar.target is None:
            self.bar.target = self.seen
        self.bar.update(self.bar.target, list((logs or {}).items()), finalize=True)


def _pythonify_logs(logs):
    """Keras hands batch logs to callbacks sorted by key, numbers as floats."""
    out = {}
    for k, v in sorted((logs or {}).items()):
        if np.ndim(v) == 0:
            try:
                v = float(v)
            except (TypeError, ValueError):
                pass
        out[k] = v
    return out


class CallbackList:
    """The callbacks of one ``fit`` call, dispatched in Keras' order (used by ``fit``).

    The user's callbacks come first, then `History`, then the progress bar, so
    that what a callback adds to the epoch logs reaches both.

    Parameters
    ----------
    callbacks : list of Callback or Callback, optional
        The user's callbacks.
    model : Model, optional
        The model being trained.
    verbose : int, default 1
        fit's verbose (a progress bar is added when not 0).
    epochs : int, default 1
        Number of epochs.
    steps : int, optional
        Batches per epoch.

    Raises
    ------
    TypeError
        An element that is not a `Callback`.

    Examples
    --------
    >>> cbs = pynn.callbacks.CallbackList([pynn.callbacks.TerminateOnNaN()], verbose=0, epochs=2)
    >>> [type(cb).__name__ for cb in cbs.callbacks]
    ['TerminateOnNaN', 'History']
    >>> pynn.callbacks.CallbackList(["not a callback"])
    Traceback (most recent call last):
    ...
    TypeError: callbacks must be pynn.callbacks.Callback instances, got str
    """

    def __init__(self, callbacks=None, model=None, verbose=1, epochs=1, steps=None,
                 add_history=True):
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be pynn.callbacks.Callback instances, got "
                                f"{type(cb).__name__}")
        self.callbacks = callbacks
        self.history = next((c for c in callbacks if isinstance(c, History)), None)
        if self.history is None and add_history:  # evaluate / predict keep model.history
            self.history = History()
            self.callbacks.append(self.history)
        if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            self.callbacks.append(ProgbarLogger())
        self.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(dict(self.params))

    def wants_every_batch(self):
        """Returns whether some callback needs every batch (then ``fit`` steps batch by batch).

        Returns
        -------
        bool

        Examples
        --------
        >>> pynn.callbacks.CallbackList([], verbose=0).wants_every_batch()
        False
        >>> pynn.callbacks.CallbackList([pynn.callbacks.TerminateOnNaN()],
        ...                             verbose=0).wants_every_batch()
        True
        """
        return any(cb._needs_every_batch() for cb in self.callbacks)

    def wants_every_test_batch(self):
        return any(not _is_default(getattr(cb, h)) for cb in self.callbacks
                   for h in ("on_test_batch_begin", "on_test_batch_end"))

    def wants_every_predict_batch(self):
        return any(not _is_default(getattr(cb, h)) for cb in self.callbacks
                   for h in ("on_predict_batch_begin", "on_predict_batch_end"))

    def wants_progress(self):
        """Returns whether something redraws during an epoch (then ``fit`` returns to Python between
        chunks).

        Returns
        -------
        bool

        Examples
        --------
        >>> pynn.callbacks.CallbackList([], verbose=0).wants_progress()
        False
        >>> pynn.callbacks.CallbackList([], verbose=1).wants_progress()
        True
        """
        return any(isinstance(c, ProgbarLogger) and c.verbose == 1 for c in self.callbacks)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs if logs is not None else {})
    def on_train_end(self, logs=None): self._call("on_train_end", logs if logs is not None else {})
    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch, logs=None):
        # one dict for all: callbacks may add keys (learning_rate) for those after them
        self._call("on_epoch_end", epoch, logs if logs is not None else {})

    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs or {})
    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, _pythonify_logs(logs))

    def on_test_begin(self, logs=None): self._call("on_test_begin", logs or {})
    def on_test_end(self, logs=None): self._call("on_test_end", logs or {})
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs or {})
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs or {})
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs or {})
    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, _pythonify_logs(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs or {})

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs or {})


# ---------------------------------------------------------------- monitoring
_UP = ("accuracy", "acc", "auc", "precision", "recall", "f1", "f_beta", "iou", "top_k", "r2")
_DOWN_CLASSES = ("MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError")


def _monitor_direction(model, monitor):
    """'min' or 'max' for mode="auto" (Keras: "loss" is minimised; a compiled
    metric says which way it improves), None when it cannot be told."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    for m in getattr(model, "compiled_metrics", None) or []:
        if getattr(m, "name", None) != name:
            continue
        direction = getattr(m, "_direction", None)
        if direction in ("up", "down"):
            return "max" if direction == "up" else "min"
        cls = type(m).__name__
        if cls in _DOWN_CLASSES:
            return "min"
        if any(s in cls.lower() or s in name.lower() for s in _UP):
            return "max"
    return None


class _Monitor(Callback):
    """Shared by EarlyStopping and ModelCheckpoint: the comparison Keras'
    MonitorCallback makes (`current - min_delta` beats `best`)."""

    def __init__(self, monitor, mode, min_delta):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        mode = self.mode if self.mode != "auto" else _monitor_direction(self.model, self.monitor)
        if mode is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but pynn cannot "
                f"tell whether that metric should be maximized or minimized. Pass mode='max' to "
                f"monitor the highest value, or mode='min' for the lowest.")
        self.monitor_op = np.less if mode == "min" else np.greater
        if self.monitor_op is np.less:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))


class EarlyStopping(_Monitor):
    """Stops training when a monitored value has stopped improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``,
    sets ``model.stop_training``. With ``restore_best_weights`` the weights of the
    best epoch are put back at the end of training (stopped early or not).

    Parameters
    ----------
    monitor : str, default "val_loss"
        The log key to watch (``"loss"``, ``"val_accuracy"``, ...).
    min_delta : float, default 0
        The smallest change that counts as an improvement.
    patience : int, default 0
        Epochs without improvement before stopping.
    verbose : int, default 0
        1 prints a message when stopping.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better; "auto" infers it from the name
        (losses and errors: min; accuracy, AUC, ...: max).
    baseline : float, optional
        Stop if the value does not beat this baseline within ``patience`` epochs.
    restore_best_weights : bool, default False
        Restore the best epoch's weights at the end of training.
    start_from_epoch : int, default 0
        Epochs to wait before starting to monitor (a warm-up).

    Raises
    ------
    ValueError
        ``mode="auto"`` with a monitored name whose direction cannot be told.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> stop = pynn.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0)
    >>> history = model.fit(x, y, epochs=20, verbose=0, callbacks=[stop])
    >>> len(history.epoch)  # no epoch improves the loss by 10: stops after 1 + patience
    2
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _set_monitor_op(self):
        super()._set_monitor_op()
        self.best = math.inf if self.monitor_op is np.less else -math.inf

    def on_train_begin(self, logs=None):
        # Keras allows reusing the instance across fits: a new fit starts with no best
        # (the previous fit's best would stop the new run early, keras-team/keras#20256);
        # None is beaten by any value, as +-inf
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # nothing better seen yet: the current weights are the best
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # patience restarts only when both the baseline and the best are beaten
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """Returns the monitored value from an epoch's logs (None, with a warning, if absent).

        Parameters
        ----------
        logs : dict
            An epoch's logs.

        Returns
        -------
        float or None

        Examples
        --------
        >>> stop = pynn.callbacks.EarlyStopping(monitor="loss")
        >>> stop.get_monitor_value({"loss": 0.5, "accuracy": 0.9})
        0.5
        """
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
        return value


class ModelCheckpoint(_Monitor):
    """Saves the model (or only its weights) during training.

    ``filepath`` may hold ``{epoch:02d}`` and any log key (``{val_loss:.2f}``).
    Files are written under a temporary name in the same directory and renamed,
    so a crash never leaves a half-written checkpoint.

    Parameters
    ----------
    filepath : str or path-like
        Where to save (formatted with ``epoch`` and the logs).
    monitor : str, default "val_loss"
        The log key that decides "best" with ``save_best_only``.
    verbose : int, default 0
        1 prints a message at each save.
    save_best_only : bool, default False
        Save only when the monitored value improves (the file is overwritten
        unless the name holds a field that changes).
    save_weights_only : bool, default False
        Save only the weights (``model.save_weights``), not the whole model.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better for ``monitor``.
    save_freq : "epoch" or int, default "epoch"
        Save at each epoch end, or every this many batches.
    initial_value_threshold : float, optional
        A value that the monitored value must beat for the first save.

    Raises
    ------
    ValueError
        A ``save_freq`` that is neither "epoch" nor a positive int.

    Examples
    --------
    >>> import os, tempfile
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = pynn.callbacks.ModelCheckpoint(os.path.join(folder, "model-{epoch:02d}.keras"),
    ...                                             monitor="loss")
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    >>> sorted(os.listdir(folder))
    ['model-01.keras', 'model-02.keras']
    """

    _process_0_only = True  # see Callback

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, 0)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             f"'epoch' or a positive integer (number of batches)")
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def _needs_every_batch(self):
        return self.save_freq != "epoch"

    def _set_monitor_op(self):
        super()._set_monitor_op()
        if self.best is None:
            self.best = math.inf if self.monitor_op is np.less else -math.inf

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            add = batch + 1
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, batch, logs):
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e}") from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: "
                          f"{current}. Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IOError(f"Please specify a non-directory filepath for ModelCheckpoint. Filepath "
                          f"used is an existing directory: {filepath}")
        if not self._should_save(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")


def _logged_lr(optimizer):
    # Keras logs its float32 learning-rate variable: 0.001 shows as 0.0010000000474974513
    return float(np.float32(optimizer.learning_rate))


class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a monitored value has stopped improving.

    After ``patience`` epochs without improvement, multiplies the optimizer's
    learning rate by ``factor`` (not below ``min_lr``), then waits ``cooldown``
    epochs. Logs each epoch's rate as ``"learning_rate"``, like Keras.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The log key to watch.
    factor : float, default 0.1
        The multiplier (below 1).
    patience : int, default 10
        Epochs without improvement before reducing.
    verbose : int, default 0
        1 prints a message at each reduction.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better.
    min_delta : float, default 1e-4
        The smallest change that counts as an improvement.
    cooldown : int, default 0
        Epochs to wait after a reduction before counting again.
    min_lr : float, default 0.0
        The lower bound of the learning rate.

    Raises
    ------
    ValueError
        ``factor >= 1``.
    TypeError
        An unknown argument.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> reduce = pynn.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
    ...                                           min_delta=10.0)
    >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce])
    >>> [round(lr, 4) for lr in history.history["learning_rate"]]
    [0.01, 0.01, 0.005]
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected argument(s) {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self.monitor_op = None
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to auto "
                          f"mode.", stacklevel=3)
            self.mode = "auto"
        # Keras' rule for this callback: in auto mode, names containing "acc" go up
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        """Returns whether the callback is waiting out its cooldown after a reduction.

        Returns
        -------
        bool

        Examples
        --------
        >>> pynn.callbacks.ReduceLROnPlateau(cooldown=2).in_cooldown()
        False
        """
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _logged_lr(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which "
                          f"is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=3)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                              f"{new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from a function.

    Logs the epoch's rate as ``"learning_rate"``. For a rate that changes every
    step, give the optimizer a `pynn.schedules` schedule instead (evaluated in C).

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float`` (epoch from 0, lr the current rate), or
        Keras' older ``schedule(epoch)``.
    verbose : int, default 0
        1 prints the rate at each epoch.

    Raises
    ------
    ValueError
        The schedule returns something other than a float.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> scheduler = pynn.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    >>> history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    >>> [round(lr, 4) for lr in history.history["learning_rate"]]
    [0.1, 0.05, 0.0333]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # Keras still accepts the old one-argument schedules
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr}")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _logged_lr(self.model.optimizer)


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file: ``epoch``, then the log keys sorted.

    Parameters
    ----------
    filename : str or path-like
        The CSV file.
    separator : str, default ","
        The column separator.
    append : bool, default False
        Append to an existing file (resuming) instead of overwriting it.

    Examples
    --------
    >>> import os, tempfile
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[pynn.callbacks.CSVLogger(path)])
    >>> lines = open(path).read().splitlines()
    >>> lines[0], len(lines)
    ('epoch,loss', 3)
    """

    _process_0_only = True  # see Callback

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(v):
            if isinstance(v, str):
                return v
            if isinstance(v, np.ndarray) and v.ndim > 0 or isinstance(v, (list, tuple)):
                return f'"[{", ".join(map(str, np.ravel(v)))}]"'
            return v

        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class TerminateOnNaN(Callback):
    """Stops training at the end of the first batch whose loss is NaN or infinite.

    Parameters
    ----------
    raise_error : bool, default False
        Raise RuntimeError instead of stopping quietly.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1)])
    >>> model.compile(optimizer=pynn.optimizers.SGD(1e10), loss="mse")
    >>> stop = pynn.callbacks.TerminateOnNaN()
    >>> history = model.fit(np.full((64, 1), 1e3), np.zeros((64, 1)), batch_size=8, epochs=5,
    ...                     verbose=0, callbacks=[stop])  # doctest: +ELLIPSIS
    Batch ...: Invalid loss, terminating training
    >>> len(history.epoch)
    1
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                                   f"{loss}. Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, for quick one-off hooks.

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        ``f(batch, logs)`` (makes ``fit`` step batch by batch).
    **kwargs
        Any other ``on_*`` hook of `Callback`.

    Raises
    ------
    TypeError
        An unknown hook name.

    Examples
    --------
    >>> pynn.set_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> losses = []
    >>> record = pynn.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> _ = model.fit(x, y, epochs=3, verbose=0, callbacks=[record])
    >>> len(losses)
    3
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        for k in kwargs:
            if not (k.startswith("on_") and callable(getattr(Callback, k, None))):
                raise TypeError(f"LambdaCallback: unknown hook {k!r}")
        self.__dict__.update(kwargs)
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_train_begin", on_train_begin), ("on_train_end", on_train_end),
                         ("on_train_batch_begin", on_train_batch_begin),
                         ("on_train_batch_end", on_train_batch_end)):
            if fn is not None:
                setattr(self, name, fn)


from .tensorboard import TensorBoard  # noqa: E402  (its own module: the tensorboard extra)


from .callbacks_backup import BackupAndRestore  # noqa: E402  (it subclasses Callback)

from .callbacks_ema import SwapEMAWeights  # noqa: E402  (it subclasses Callback)

__all__ += ["BackupAndRestore", "SwapEMAWeights"]
