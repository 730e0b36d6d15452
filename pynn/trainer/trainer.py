"""The trainer: what Keras 3 keeps apart from the layer graph (keras/src/trainers/) --
compile, the loss and metrics, fit / evaluate / predict and their callbacks.

`Model` inherits it (``class Model(Trainer, Layer)``, as Keras). Training runs on the
compiled driver: the model is traced once into an engine program (forward, loss,
metric statistics), and a `_C.Loop`, built once per fit (`fit_loop.FitLoop`), replays
it batch after batch in C -- backward and the optimizer step included -- with the GIL
released. Python regains control only as often as callbacks or the progress bar ask."""
import contextlib
import math
import os
import sys
import threading
import time
import warnings

import numpy as np

from .. import _C, losses as losses_mod, metrics as metrics_mod, ops, random as _random
from .. import py_dataset
from ..dataset import from_dataset
from ..data_adapter import check_finite
from ..metric_state import is_state_metric
from .compile_utils import CompileMetrics, OutputLoss, logs_from, summed_loss, takes_training
from . import step_loop
from .fit_loop import FitLoop
from .steps import RetryInPython, Steps
from ..layers.base import VariableWrittenWhileTraced
from .data import (batch_size_arg, prepare_x, prepare_ys, sample_weights,
                   unpack_validation)

# Guards the per-model usage counts below (held for a few bytecodes only).
_USAGE_LOCK = threading.Lock()
# Which process the usage records below were made in. A child forked while other
# threads predicted or fitted inherits their records (and possibly _USAGE_LOCK held),
# but not the threads, which would never release them: the child's fit was refused
# forever as "in use by another thread". The child keeps only its own thread's.
_USAGE_PID = os.getpid()


def _usage_after_fork():
    global _USAGE_LOCK
    _USAGE_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_usage_after_fork)


def _distributed(what, model=None):
    """The DataParallel in force when it spans more than one process, else None
    (pynn.distribution; nothing of it runs on one process)."""
    if "pynn.distribution" not in sys.modules:
        return None  # never imported, so never set: spares each predict two imports
    from ..distribution import _run
    dist = _run.active(what)
    if dist is not None and model is not None:
        step = {"fit": "train_step", "evaluate": "test_step", "predict": "predict_step"}[what]
        if model._overrides(step):
            raise ValueError(f"{what}: model '{model.name}' overrides {step}, which runs batch by "
                             f"batch in Python; DataParallel on {dist.num_processes} processes "
                             f"runs only the compiled loop")
    return dist


def _global_sums(dist, ls, lc, acc):
    """The loss sum, count and metric statistics over all processes (as they are on
    one process)."""
    if dist is None:
        return ls, lc, acc
    from ..distribution import _run
    return _run.reduce_eval(dist, ls, lc, acc)


def _failures_shared(dist):
    """Under DataParallel, an exception here is sent to the other processes (which
    raise it instead of waiting in a collective); a no-op on one process."""
    if dist is None:
        return contextlib.nullcontext()
    from ..distribution import _run
    return _run.failures_shared(dist._world)


class Trainer(Steps):
    """compile / fit / evaluate / predict for a `pynn.Model` (mixed into it)."""

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Configures the model for training: optimizer, loss and metrics.

        Parameters
        ----------
        optimizer : str or Optimizer, default "rmsprop"
            An optimizer instance (``pynn.optimizers.Adam(1e-3)``) or a Keras name
            (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ...) with default settings.
        loss : str, Loss, callable, list or dict
            The loss to minimise: a Keras name (``"mse"``,
            ``"binary_crossentropy"``, ``"sparse_categorical_crossentropy"``, ...), a
            `pynn.losses.Loss` instance, or a function ``f(y_true, y_pred)`` of Tensors.
            A model with several outputs takes one loss for all, a list in output order,
            or a dict keyed by output layer name.
        metrics : list or dict, optional
            Metrics reported by ``fit`` and ``evaluate``: names (``"accuracy"`` is
            resolved from the label and output shapes as Keras does, ``"mae"``,
            ``"auc"``, ...) or `pynn.metrics.Metric` instances. They ignore sample and
            class weights.
        loss_weights : list or dict, optional
            Several outputs: the coefficient of each output's loss in the total.
        weighted_metrics : list, optional
            Metrics that are weighted by ``sample_weight`` / ``class_weight``.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Accepted for Keras compatibility: pynn runs the compiled C loop, or a
            subclass's own ``train_step`` / ``test_step`` / ``predict_step`` batch by
            batch when it overrides them.

        Raises
        ------
        ValueError
            An unknown optimizer, loss or metric name (with a "did you mean"), or a
            per-output list/dict that does not match the outputs.
        TypeError
            ``metrics`` is not a list or dict.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
        ...                          pynn.layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer=pynn.optimizers.Adam(learning_rate=1e-3),
        ...               loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> model.optimizer.learning_rate
        0.001
        >>> model.compile(optimizer="adamm", loss="mse")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Unknown optimizer 'adamm'; did you mean 'adam'? ...
        """
        from .. import optimizers
        self.optimizer = optimizers.get(optimizer)
        self._ensure_built_if_possible()
        self._loss_spec, self._loss_weights = loss, loss_weights
        resolved = self._output_losses()  # validates names and counts now, not at fit time
        self.loss = resolved[0] if self._n_outputs() == 1 else loss
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(f"metrics must be a list, got {type(metrics).__name__}")
        if weighted_metrics is not None and not isinstance(weighted_metrics, (list, tuple)):
            raise TypeError(f"weighted_metrics must be a list, got {type(weighted_metrics).__name__}")
        # Keras 3: `metrics` ignore sample_weight / class_weight, `weighted_metrics` use them
        as_list = lambda m: [m] if isinstance(m, dict) else list(m or [])  # noqa: E731
        self._metric_specs = as_list(metrics) + as_list(weighted_metrics)
        self._n_unweighted_metrics = len(as_list(metrics))
        self.compiled_metrics = None  # resolved against the shapes at the first fit/evaluate
        # model.metrics, for custom steps (Keras 3's loss tracker and CompileMetrics)
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._compile_metrics = CompileMetrics(self) if self._metric_specs else None
        self.compiled = True
        self._programs = {}

    def _per_output(self, spec, what):
        """Keras' rule for per-output arguments: one value for every output, a list
        in output order, or a dict keyed by output layer name."""
        names, k = self._output_names(), self._n_outputs()
        if isinstance(spec, dict) and k > 1:
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"{what}: unknown output name(s) {sorted(unknown)}; the outputs are "
                                 f"{names}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and k > 1:
            if len(spec) != k:
                raise ValueError(f"{what}: {len(spec)} entries for a model with {k} outputs")
            return list(spec)
        return [spec] * k

    def _output_losses(self):
        losses = [losses_mod.get(l) for l in self._per_output(self._loss_spec, "loss")]
        weights = self._per_output(self._loss_weights, "loss_weights")
        self._output_loss_weights = [1.0 if w is None else float(w) for w in weights]
        return losses

    def _resolve_metrics(self, y_shapes, pred_shapes):
        """Metric objects as (output index, metric, weighted), resolved once against
        the label and prediction shapes ("accuracy" depends on them)."""
        if self.compiled_metrics is None:
            plain_specs = self._metric_specs[:self._n_unweighted_metrics]
            weighted_specs = self._metric_specs[self._n_unweighted_metrics:]
            names = self._output_names()
            resolved = []
            for weighted, specs in ((False, plain_specs), (True, weighted_specs)):
                for spec in specs:
                    per = self._per_output(spec, "metrics") if isinstance(spec, (list, dict)) \
                        else [spec] * self._n_outputs()
                    for o, one in enumerate(per):
                        for item in (one if isinstance(one, (list, tuple)) else [one]):
                            if item is None:
                                continue
                            m = metrics_mod.get(item, (None,) + tuple(y_shapes[o]), pred_shapes[o])
                            if names[o] is not None and not m.name.startswith(names[o] + "_"):
                                m.name = f"{names[o]}_{m.name}"
                            resolved.append((o, m, weighted))
            seen = set()
            for o, m, weighted in resolved:  # "accuracy" in both lists: weighted_accuracy
                if m.name in seen and weighted:
                    m.name = "weighted_" + m.name
                seen.add(m.name)
            self._metric_slots = resolved
            self.compiled_metrics = [m for _, m, _ in resolved]
        return self._metric_slots

    @property
    def metrics_names(self):
        """``['loss', ...]``: the names of the values ``evaluate`` returns, in order."""
        return ["loss"] + [m.name for m in (self.compiled_metrics or [])]

    # ------------------------------------------------------------ programs
    def _program(self, kind, y_shapes=None, x_shapes=None):
        """The traced engine program for 'train', 'eval' or 'predict' (cached).
        y_shapes: the per-sample label shape of every output; x_shapes: that of every
        input (the declared one when None; Inputs with a None dimension, such as
        variable-length sequences, get one program per length seen)."""
        x_shapes = [tuple(s[1:]) for s in self._input_shapes] if x_shapes is None else \
            [tuple(s) for s in x_shapes]
        if any(d is None for s in x_shapes for d in s):
            raise ValueError(f"Model '{self.name}' has inputs of per-sample shape {x_shapes}: "
                             f"a None dimension is only known once data is given")
        key = (kind, tuple(tuple(s) for s in y_shapes) if y_shapes is not None else None,
               tuple(x_shapes))
        if key in self._programs:  # (fit binds the weight table first: a changed one drops them)
            return self._programs[key]
        # tracing runs the forward pass on a placeholder batch with no side effect by
        # construction: batch_norm does not move its statistics, stateful RNNs do not
        # read or store their states while pn_tracing is set
        was_tracing = _C.set_tracing(True)
        was_grad = _C.set_grad_enabled(kind == "train")
        try:
            return self._trace(kind, key, y_shapes, x_shapes)
        except VariableWrittenWhileTraced:
            # a call() that assigns a variable cannot be replayed batch after batch by
            # the compiled loop: from now on this model's steps run eagerly (Steps._overrides)
            self._steps_in_python = True
            raise RetryInPython from None
        finally:
            _C.set_tracing(was_tracing)
            _C.set_grad_enabled(was_grad)

    def _trace(self, kind, key, y_shapes, x_shapes):
        """_program's trace, with tracing and grad mode set by it."""
        xs = [_C.placeholder((1,) + s) for s in x_shapes]
        self._clear_losses()  # add_loss terms recorded by this trace only
        preds = self._forward(xs, training=(kind == "train"))
        preds = preds if isinstance(preds, list) else [preds]
        if kind == "predict":
            prog = _C.Program(preds, xs)
            entry = {"prog": prog, "slots": xs, "outs": preds, "y_pred": preds[0]}
        else:
            ys = [_C.placeholder((1,) + tuple(s)) for s in y_shapes]
            w = _C.placeholder((1,))
            metric_objs, stats = [], []
            n_losses = sum(lf is not None for lf in self._output_losses())
            for o, (lf, y, p) in enumerate(zip(self._output_losses(), ys, preds)):
                if lf is not None and n_losses > 1:  # Keras logs "<output>_loss" too
                    metric_objs.append(OutputLoss(f"{self._output_names()[o]}_loss"))
                    stats.append(summed_loss(lf, y, p, w))
            one = lambda ts: ts[0] if len(ts) == 1 else ts  # noqa: E731  (Keras' structures)
            # `training` only to an override that takes it (Keras 3 inspects it too: the
            # keras.io examples override compute_loss(x, y, y_pred, sample_weight,
            # allow_empty=False))
            extra = {"training": kind == "train"} if takes_training(self.compute_loss) else {}
            loss = self.compute_loss(x=one(xs), y=one(ys), y_pred=one(preds), sample_weight=w,
                                     **extra)
            if loss is None:
                raise ValueError(f"Model '{self.name}' has no loss: compile(loss=...) names none, "
                                 f"no layer calls add_loss() and compute_loss() is not "
                                 f"overridden")
            if not isinstance(loss, _C.Tensor) or loss.size != 1:
                raise ValueError(f"Model '{self.name}'.compute_loss must return a scalar Tensor, "
                                 f"got {loss!r:.80}")
            slots_ = self._resolve_metrics(y_shapes, [(None,) + tuple(p.shape[1:]) for p in preds])
            ones = w * 0.0 + 1.0 if any(not wt for _, _, wt in slots_) else None
            for o, m, weighted in slots_:  # plain metrics see every sample as weight 1
                metric_objs.append(m)
                # a Keras-style Metric subclass gets None, as Keras passes it
                plain = None if is_state_metric(m) else ones
                sw = w if weighted else plain
                mask = getattr(preds[o], "_keras_mask", None)
                if mask is not None and isinstance(m, metrics_mod._PerStep) and \
                        tuple(mask.shape[1:]) == tuple(preds[o].shape[1:-1]):
                    # Keras' MeanMetricWrapper weighs each step by the output's mask: a
                    # padded step of a sequence output is not scored
                    sw = ops.reshape(w * 0.0 + 1.0 if sw is None else sw, (-1, 1)) * \
                        ops.reshape(ops.cast(mask, "float32"), (-1, int(np.prod(mask.shape[1:]))))
                stats.append(m.stats(ys[o], preds[o], sw))
            prog = _C.Program([loss] + stats, xs + ys + [w])
            entry = {"prog": prog, "slots": xs + ys + [w], "loss": loss, "stats": stats,
                     "metrics": metric_objs}
        self._programs[key] = entry
        return entry

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Returns the training loss: compiled losses, add_loss terms, regularization.

        As Keras 3: the compiled loss of every output, the ``add_loss`` terms of the
        forward pass and the weights' regularization penalties. ``fit`` /
        ``evaluate`` call it once, on the traced graph; override it in a Model
        subclass to define the loss yourself.

        Parameters
        ----------
        x : Tensor or list of Tensor
            The inputs (one per model input).
        y : Tensor or list of Tensor
            The targets (one per output).
        y_pred : Tensor or list of Tensor
            The predictions (one per output).
        sample_weight : Tensor, optional
            Per-sample weights.
        training : bool, default True

        Returns
        -------
        Tensor or None
            A scalar; None when there is no loss at all.

        Examples
        --------
        >>> class MyModel(pynn.Model):
        ...     def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
        ...                      training=True):
        ...         return pynn.ops.mean((y_pred - y) ** 2)
        >>> inputs = pynn.Input(shape=(2,))
        >>> model = MyModel(inputs, pynn.layers.Dense(1)(inputs))
        >>> model.compile(optimizer="sgd")  # no loss: compute_loss gives it
        >>> h = model.fit(np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32), verbose=0)
        >>> sorted(h.history)
        ['loss']
        """
        from .. import ops
        ys, preds = (y, y_pred) if isinstance(y_pred, list) else ([y], [y_pred])
        loss = None
        for lf, lw, yy, p in zip(self._output_losses(), self._output_loss_weights, ys, preds):
            if lf is None:
                continue
            term = lf(yy, p, sample_weight=sample_weight)
            term = term * lw if lw != 1.0 else term
            loss = term if loss is None else loss + term
        for term in self._added_losses():
            term = ops.sum(term)  # a scalar, whatever shape add_loss was given
            loss = term if loss is None else loss + term
        for var in self.weights:
            if getattr(var, "regularizer", None) is not None:
                term = var.regularizer(self._owner_of(var).tensor(var))
                loss = term if loss is None else loss + term
        return loss

    # ------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model for a fixed number of epochs on NumPy arrays.

        Each epoch shuffles the samples, then runs forward, loss, backward and the
        optimizer step for every batch inside C with the GIL released: Python sees
        one call per epoch, or one per progress-bar update or per batch when a
        callback needs ``on_train_batch_*`` hooks or the learning rate is a Python
        schedule. Ctrl-C stops between batches and leaves the model consistent.
        A subclass that overrides ``train_step`` has it called for every batch
        instead, with ``(x, y)`` (or ``(x,)``, ``(x, y, sample_weight)``) as Tensors.

        ``x`` and ``y`` are used without copying when they are float32 and
        C-contiguous; any other dtype or layout (float64, int, Fortran order, pandas)
        is converted once before training.

        Parameters
        ----------
        x : array_like or list or dict of array_like
            Training inputs, samples first; a list (or dict by input name) for a model
            with several inputs. Generators and dataset objects are not accepted.
        y : array_like or list or dict of array_like
            Targets: one-hot or probabilities for ``categorical_crossentropy``, integer
            class ids for ``sparse_categorical_crossentropy``, values otherwise.
        batch_size : int, default 32
            Samples per gradient step; the last batch of an epoch may be smaller.
        epochs : int, default 1
            Index of the last epoch (training runs from ``initial_epoch`` to it).
        verbose : "auto", 0, 1 or 2, default "auto"
            0 silent, 1 a progress bar, 2 one line per epoch ("auto" is 1).
        callbacks : list of Callback, optional
            `pynn.callbacks` objects called during training (EarlyStopping, ...).
        validation_split : float, default 0.0
            Fraction of the samples held out for validation: the *last* ones, taken
            before shuffling (as Keras).
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, val_sample_weight)``, evaluated at
            the end of each epoch; overrides ``validation_split``.
        shuffle : bool, default True
            Shuffle the samples before every epoch (with pynn's seeded generator).
        class_weight : dict, optional
            ``{class_id: weight}``: scales each sample's loss by its class's weight.
        sample_weight : array_like, optional
            One weight per sample, scaling its loss.
        initial_epoch : int, default 0
            The epoch to start at (to resume a previous run).
        steps_per_epoch, validation_steps
            Accepted for Keras compatibility; with arrays an epoch is always one pass.
        validation_batch_size : int, optional
            Batch size for validation (default: ``batch_size``).
        validation_freq : int, default 1
            Validate every ``validation_freq`` epochs.

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, each metric and their ``"val_"``
            versions to one value per epoch.

        Raises
        ------
        ValueError
            The model is not compiled, or ``x`` / ``y`` do not match the model (the
            message names the shapes).
        TypeError or ValueError
            An input that fit does not accept, such as a generator or a dataset
            object (the message says what is wrong).

        Examples
        --------
        >>> pynn.set_seed(0)
        >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        >>> y = (x[:, 0] > 0).astype("float32")
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
        ...                          pynn.layers.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        >>> history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
        >>> sorted(history.history)
        ['accuracy', 'loss', 'val_accuracy', 'val_loss']
        >>> len(history.history["loss"])
        3
        """
        self._require_compiled("fit")
        x, y, batch_size, sample_weight, shuffle, callbacks = py_dataset.for_fit(
            x, y, batch_size, sample_weight, class_weight, shuffle, validation_split, callbacks)
        x, y, batch_size = from_dataset(x, y, batch_size, "fit")
        batch_size = batch_size_arg(batch_size, "fit")
        self._begin_use("fit")
        try:
            args = (x, y, batch_size, epochs, verbose, callbacks, validation_split,
                    validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                    validation_batch_size, validation_freq)
            try:
                return self._fit(*args)
            except RetryInPython:  # raised by the first trace, before any batch ran
                return self._fit(*args)
        finally:
            self._end_use("fit")

    # Concurrency contract (DESIGN.md): predict / evaluate / __call__ may run on
    # many threads at once (the engine serialises each program's batches, so
    # every call returns what a lone call would); fit changes the weights, so it
    # is refused while another thread uses the model, and other threads are
    # refused while it runs, rather than mixing old and new weights.
    # The inference side is lock-free (it is on the one-sample fast path): a call
    # first registers itself (list.append is atomic under the GIL), then looks for
    # a fit owner; fit first claims ownership, then looks for registered calls.
    # Whichever comes second sees the other and raises, so the two never overlap.
    def _begin_use(self, what):
        d = self.__dict__
        me = threading.get_ident()
        if d.get("_usage_pid", _USAGE_PID) != os.getpid():  # the first use in a forked child
            d["_users"] = [u for u in d.get("_users", []) if u == me]
            if d.get("_fit_owner") != me:
                d["_fit_owner"], d["_fit_depth"] = None, 0
        d["_usage_pid"] = os.getpid()
        users = d.get("_users")
        if users is None:
            users = d.setdefault("_users", [])
        if what == "fit":
            with _USAGE_LOCK:  # fit against fit: claimed under the lock
                owner = d.get("_fit_owner")
                if owner is not None and owner != me:
                    raise RuntimeError(f"fit: model '{self.name}' is being trained by fit() in "
                                       f"another thread; wait for it to return")
                d["_fit_owner"] = me
                d["_fit_depth"] = d.get("_fit_depth", 0) + 1
            if d["_fit_depth"] == 1 and users:
                self._end_use("fit")
                raise RuntimeError(f"fit: model '{self.name}' is in use by {len(users)} predict/"
                                   f"evaluate call(s) in another thread; fit it when they return")
            return
        users.append(me)
        owner = d.get("_fit_owner")
        if owner is not None and owner != me:
            users.pop()
            raise RuntimeError(f"{what}: model '{self.name}' is being trained by fit() in another "
                               f"thread; wait for fit to return (concurrent predict, evaluate "
                               f"and calls are fine, but not during fit)")

    def _end_use(self, what):
        d = self.__dict__
        if what != "fit":
            d["_users"].remove(threading.get_ident())
            return
        with _USAGE_LOCK:
            d["_fit_depth"] -= 1
            if not d["_fit_depth"]:
                d["_fit_owner"] = None

    def _fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
             shuffle, class_weight, sample_weight, initial_epoch, validation_batch_size,
             validation_freq):
        verbose = 1 if verbose == "auto" else int(verbose)
        xs = prepare_x(self, x)
        n = xs[0].shape[0]
        if n == 0:
            raise ValueError("fit: x has no samples (0 rows)")
        custom = self._overrides("train_step")
        # Keras hands a custom train_step (x,) when fit is given no targets
        ys = None if custom and y is None else prepare_ys(self, y, n)
        w = sample_weights(self, ys, n, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            val = unpack_validation(self, validation_data)
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            split = int(n * (1 - validation_split))  # Keras: the LAST fraction, before shuffling
            val = ([a[split:] for a in xs], None if ys is None else [a[split:] for a in ys],
                   w[split:])
            xs, w, n = [a[:split] for a in xs], w[:split], split
            ys = None if ys is None else [a[:split] for a in ys]
        if n == 0:
            raise ValueError("fit: no training samples")
        if val is not None:
            val_batch = batch_size if validation_batch_size is None else batch_size_arg(
                validation_batch_size, "fit (validation_batch_size)")
            val = (val, val_batch, validation_freq)
        if custom:
            _distributed("fit", self)  # refused across processes
            weighted = sample_weight is not None or class_weight is not None
            return step_loop.fit(self, xs, ys, w if weighted else None, val, batch_size, epochs,
                                 initial_epoch, shuffle, callbacks, verbose)
        return self._fit_compiled(xs, ys, w, val, batch_size, epochs, initial_epoch, shuffle,
                                  callbacks, verbose)

    def _fit_compiled(self, xs, ys, w, val, batch_size, epochs, initial_epoch, shuffle,
                      callbacks, verbose):
        """fit's epochs on the compiled C loop: one engine call per epoch, or per chunk of
        batches when a progress bar or a callback needs Python in between. Under
        pynn.distribution's DataParallel on several processes, `_train` runs with a
        plan: this process's rows of each global batch, the allreduce as the gradient
        hook, global logs, process 0's output and files."""
        from .. import callbacks as callbacks_mod
        n = xs[0].shape[0]
        self._build_optimizer()  # binds the weight table first: a changed one drops the programs
        shapes = ([a.shape[1:] for a in ys], [a.shape[1:] for a in xs])
        entry = self._program("train", *shapes)
        if not self._segments:
            warnings.warn(f"Model '{self.name}' has no trainable weights: fit computes the loss "
                          f"and changes nothing", stacklevel=4)
        data = [np.ascontiguousarray(a) for a in xs + ys] + [w]
        dist = _distributed("fit")
        if dist is None:
            strategy = self.optimizer._fit_strategy(self, n, batch_size, epochs - initial_epoch,
                                                    entry)
            return self._train(shapes, data, n, batch_size, epochs, initial_epoch, shuffle,
                               callbacks, verbose, val, strategy, None)
        from ..distribution import _run
        world = dist._world
        with _run.failures_shared(world), _run.process_0_output(world):
            plan = _run.FitPlan(dist, self, n, batch_size)
            plan.broadcast_state(self, _random.generator())
            # the loop's per-batch strategy (DP-SGD): each process clips its rows, noise once
            strategy = plan.fit_strategy(self, epochs - initial_epoch, entry)
            if world.rank:  # only process 0 writes checkpoints and logs
                callbacks = [c for c in ([callbacks] if isinstance(callbacks, callbacks_mod.Callback)
                                         else callbacks or []) if not c._process_0_only]
            saved_hook = self._gradient_hook
            self._gradient_hook = plan.hook
            try:
                return self._train(shapes, data, n, batch_size, epochs, initial_epoch, shuffle,
                                   callbacks, verbose, val, strategy, plan)
            finally:
                self._gradient_hook = saved_hook

    def _train(self, shapes, data, n, batch_size, epochs, initial_epoch, shuffle, callbacks,
               verbose, val, strategy, plan):
        """fit's epochs on one loop (built again only when a callback changed what it was
        built from); `plan` (pynn.distribution) is None on one process."""
        with FitLoop(self, *shapes, strategy) as fit_loop:
            return self._epochs(fit_loop, data, n, batch_size, epochs, initial_epoch, shuffle,
                                callbacks, verbose, val, strategy, plan)

    def _epochs(self, fit_loop, data, n, batch_size, epochs, initial_epoch, shuffle, callbacks,
                verbose, val, strategy, plan):
        from .. import callbacks as callbacks_mod
        n_batches = (n + batch_size - 1) // batch_size
        cbs = callbacks_mod.CallbackList(callbacks, model=self, verbose=verbose, epochs=epochs,
                                         steps=n_batches)
        self.history = cbs.history
        self.stop_training = False
        per_batch = cbs.wants_every_batch()
        rng = _random.generator()
        self._initial_epoch = None
        cbs.on_train_begin()
        if self._initial_epoch is not None:  # BackupAndRestore resumes an interrupted fit
            initial_epoch = self._initial_epoch
        logs = {}
        epoch = initial_epoch
        diverged = None
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            perm = rng.permutation(n).astype(np.int64) if shuffle else None
            ep_data, ep_perm, ep_batch, local_batches = data, perm, batch_size, n_batches
            if plan is not None:  # this process's rows of every global batch, in order
                ep_data, ep_batch, local_batches, n_batches = plan.epoch(perm, data, n)
                ep_perm = None
            acc = None
            loss_sum = count = 0.0
            done = 0
            chunk = 1
            while done < n_batches and not self.stop_training:
                todo = 1 if per_batch else (n_batches - done if not cbs.wants_progress() else chunk)
                if self.optimizer.needs_python_lr:  # a Python LR schedule: evaluated per step
                    self.optimizer.sync_learning_rate()
                    todo = 1
                if per_batch:
                    cbs.on_train_batch_begin(done)
                t0 = time.perf_counter()
                entry, loop = fit_loop.current()
                need = max(1, sum(s.size for s in entry["stats"]))
                if acc is None or acc.size != need:
                    # (a callback that recompiled with other metrics mid-epoch: they count
                    # the epoch's remaining batches)
                    acc = np.zeros(need, np.float64)
                    loss_sum = count = 0.0
                ls = lc = 0.0
                d, interrupted = 0, False
                if done < local_batches:
                    ls, lc, d, interrupted = loop.run(ep_data, ep_batch, done,
                                                      min(todo, local_batches - done),
                                                      perm=ep_perm, acc=acc)
                if d < todo and done + d == local_batches < n_batches and not interrupted:
                    # no row of mine in the last global batch: a step that adds nothing
                    d += plan.empty_step(self, entry, data)
                if diverged is None and not math.isfinite(ls):
                    # the first batches whose loss is NaN/inf: warn once per fit
                    diverged = callbacks_mod.report_nonfinite_loss(
                        self.history, epoch, done, done + d - 1, ls / lc if lc else ls,
                        cbs.callbacks)
                loss_sum += ls
                count += lc
                done += d
                if plan is None:
                    logs = logs_from(loss_sum, count, acc, entry)
                else:  # global values; the chunk timed alike on every process
                    g_sum, g_count, g_acc, dt_mean = plan.reduce(loss_sum, count, acc,
                                                                 time.perf_counter() - t0)
                    logs = logs_from(g_sum, g_count, g_acc, entry)
                if strategy is not None:
                    strategy.after_run(logs)  # DP-SGD: counts the steps, adds "epsilon"
                cbs.on_train_batch_end(done - 1, logs)
                if interrupted:
                    raise KeyboardInterrupt
                # aim at ~10 progress updates a second without slowing the loop
                dt = time.perf_counter() - t0
                if plan is not None:  # the same decisions on every process
                    self.stop_training = plan.agree(self.stop_training)
                    dt = dt_mean
                chunk = max(1, min(n_batches, int(chunk * 0.1 / dt) if dt > 0 else chunk * 2))
            if plan is not None:  # BatchNormalization's moving statistics: the processes' mean
                plan.average_frozen(self)
            epoch_logs = dict(logs)
            self._validate(val, epoch, epoch_logs, cbs)
            cbs.on_epoch_end(epoch, epoch_logs)
            if plan is not None:
                self.stop_training = plan.agree(self.stop_training)
            if self.stop_training:
                break
        step_loop.finalize_ema(self.optimizer, epochs)
        cbs.on_train_end(epoch_logs if epochs > initial_epoch else {})
        return self.history

    def _validate(self, val, epoch, epoch_logs, cbs):
        """Adds the "val_" logs of fit's validation pass at the end of an epoch, when due.
        Keras runs it with fit's callbacks (on_test_* hooks)."""
        if val is None:
            return
        (vx, vy, vw), val_batch, freq = val
        if (epoch + 1) % freq == 0:
            vlogs = self._evaluate_logs(vx, vy, vw, val_batch, cbs)
            epoch_logs.update({"val_" + k: v for k, v in vlogs.items()})

    def _evaluate_logs(self, xs, ys, w, batch_size, cbs=None, weighted=True):
        """evaluate's logs: the user's test_step batch by batch when the model overrides
        it, otherwise the compiled C loop."""
        if self._overrides("test_step"):
            _distributed("evaluate", self)  # refused across processes
            return step_loop.evaluate(self, xs, ys, w if weighted else None, batch_size, cbs)
        if ys is None:  # fit(x) without targets: the compiled program's label slots
            ys = prepare_ys(self, None, xs[0].shape[0])
        return self._evaluate_arrays(xs, ys, w, batch_size, cbs)

    def _open_loop(self, entry, *, train=False, strategy=None, gradient_hook=None):
        """A compiled loop (`_C.Loop`) over a traced program: the only place that builds
        one. A 'train' entry with ``train=True`` steps the optimizer (with the per-batch
        `strategy` of `Optimizer._fit_strategy`, e.g. DP-SGD's private steps, and
        `gradient_hook` between backward and the step); an 'eval' entry accumulates
        the loss and metric statistics into the ``acc`` of each run; a 'predict' entry
        fills its ``out_arrays``. Close it (``with``) when done: it holds the model's
        program and, under a strategy, its state."""
        predict = "loss" not in entry
        # nothing trainable (Keras fits it: loss computed, weights unchanged): the train
        # program's forward and loss only, without backward and optimizer step
        train = train and bool(self._segments)
        return _C.Loop(entry["prog"], None if predict else entry["loss"], entry["slots"],
                       stats=[] if predict else entry["stats"],
                       outputs=entry["outs"] if predict else [], train=train,
                       optimizer=self.optimizer if train else None,
                       grads=self._grads if train else None,
                       strategy=None if strategy is None else strategy.state,
                       gradient_hook=gradient_hook if train else None)

    def _build_optimizer(self):
        if self.optimizer is None:  # compile(optimizer=None) is allowed, as in Keras
            raise ValueError(f"Model '{self.name}' was compiled with optimizer=None: training "
                             f"needs one, e.g. compile(optimizer='adam', loss=...)")
        table = self._bind_weights()
        for var in table:  # trained in place: where the weight lives must be writable
            if not var.flags.writeable:
                raise ValueError(f"Model '{self.name}': weight '{var.path}' is read-only and cannot "
                                 f"be trained; freeze its layer (trainable=False) instead")
        if getattr(self.optimizer, "_built_for", None) != tuple(self._segments):
            self.optimizer.build(int(sum(self._segments)), self._segments, self._segment_shapes)
            self.optimizer._built_for = tuple(self._segments)
        opt = self.optimizer
        bound = opt.__dict__.get("_bound_table")  # (its C optimizer, the table bound to it)
        if bound is None or bound[0] is not opt._c or bound[1] is not table:
            opt._c.bind(table)  # the weights it steps, where they live
            opt._bound_table = (opt._c, table)

    def _require_compiled(self, what):
        # compile(loss=None) is valid (Keras): add_loss / compute_loss give the loss,
        # which the traced program checks
        if not self.compiled:
            raise ValueError(f"You must call compile(optimizer, loss) before {what}()")

    # ------------------------------------------------------------ evaluate / predict
    def _evaluate_arrays(self, xs, ys, w, batch_size, cbs=None):
        """The evaluation logs; with a CallbackList, Keras' on_test_* hooks around it
        (batch by batch only when some callback has test-batch hooks)."""
        entry = self._program("eval", [a.shape[1:] for a in ys], [a.shape[1:] for a in xs])
        acc = np.zeros(max(1, sum(s.size for s in entry["stats"])), np.float64)
        data = [np.ascontiguousarray(a) for a in xs + ys] + [w]
        n_batches = (xs[0].shape[0] + batch_size - 1) // batch_size
        local_batches, dist = n_batches, _distributed("evaluate")
        if dist is not None:  # this process's share of every global batch
            from ..distribution import _run
            data, batch_size, local_batches, n_batches = _run.eval_data(dist, data, batch_size,
                                                                        "evaluate")
        per_batch = cbs is not None and cbs.wants_every_test_batch()
        if cbs is not None:
            cbs.on_test_begin()
        ls = lc = 0.0
        step = 1 if per_batch else max(n_batches, 1)
        with self._open_loop(entry) as loop:
            for start in range(0, n_batches, step):
                if per_batch:
                    cbs.on_test_batch_begin(start)
                if start < local_batches:
                    l, c, _, interrupted = loop.run(data, batch_size, start, step, acc=acc)
                    ls, lc = ls + l, lc + c
                    if interrupted:
                        raise KeyboardInterrupt
                if per_batch:
                    cbs.on_test_batch_end(start, logs_from(*_global_sums(dist, ls, lc, acc),
                                                           entry))
        logs = logs_from(*_global_sums(dist, ls, lc, acc), entry)
        if cbs is not None:
            cbs.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Returns the loss and metrics of the model on the given data.

        Runs in one C call per pass, batch by batch, in inference mode.

        Parameters
        ----------
        x : array_like or list or dict of array_like
            Inputs, samples first (as for ``fit``).
        y : array_like or list or dict of array_like
            Targets (as for ``fit``).
        batch_size : int, default 32
            Samples per batch (affects speed and memory, not the result).
        verbose : "auto", 0 or 1, default "auto"
            0 silent, 1 a progress bar.
        sample_weight : array_like, optional
            One weight per sample for the loss and ``weighted_metrics``.
        steps, callbacks
            Accepted for Keras compatibility.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a list.

        Returns
        -------
        float, list of float, or dict
            The loss alone when no metric was compiled; otherwise
            ``[loss, metric1, ...]`` in ``model.metrics_names`` order (or a dict).

        Raises
        ------
        ValueError
            The model is not compiled, or the data does not match the model.

        Examples
        --------
        >>> pynn.set_seed(0)
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(loss="mse", metrics=["mae"])
        >>> model.set_weights([np.zeros((2, 1)), np.zeros(1)])
        >>> model.evaluate(np.ones((4, 2)), np.full((4, 1), 2.0), verbose=0)
        [4.0, 2.0]
        >>> model.evaluate(np.ones((4, 2)), np.full((4, 1), 2.0), verbose=0, return_dict=True)
        {'loss': 4.0, 'mae': 2.0}
        """
        self._require_compiled("evaluate")
        x, y, batch_size, ds_weight = py_dataset.for_single_pass(x, y, batch_size, "evaluate")
        if ds_weight is not None:
            if sample_weight is not None:
                raise ValueError("evaluate: sample_weight must not be given when x is a "
                                 "PyDataset whose batches hold sample weights")
            sample_weight = ds_weight
        x, y, batch_size = from_dataset(x, y, batch_size, "evaluate")
        batch_size = batch_size_arg(batch_size, "evaluate")
        xs = prepare_x(self, x)
        n = xs[0].shape[0]
        if n == 0:
            raise ValueError("evaluate: x has no samples (0 rows): there is nothing to evaluate")
        # Keras hands a custom test_step (x,) when evaluate is given no targets
        ys = None if y is None and self._overrides("test_step") else prepare_ys(self, y, n)
        w = sample_weights(self, ys, n, sample_weight, None)
        verbose = 1 if verbose == "auto" else int(verbose)
        dist = _distributed("evaluate")
        if dist is not None and dist.process_id:
            verbose = 0  # only process 0 prints
        steps_ = (n + batch_size - 1) // batch_size
        if verbose:
            from ..progbar import Progbar
            bar = Progbar(steps_, verbose=verbose,  # started before the work it times
                          stateless_metrics=set())  # the logs are aggregates already
        self._begin_use("evaluate")
        try:
            with _failures_shared(dist):
                cbs = self._callback_list(callbacks, steps_)
                try:
                    logs = self._evaluate_logs(xs, ys, w, batch_size, cbs,
                                               weighted=sample_weight is not None)
                except RetryInPython:  # raised by the first trace, before any batch ran
                    logs = self._evaluate_logs(xs, ys, w, batch_size, cbs,
                                               weighted=sample_weight is not None)
        finally:
            self._end_use("evaluate")
        if verbose:
            bar.update(steps_, list(logs.items()), finalize=True)
        if return_dict:
            return logs
        return self._ordered_values(logs)

    def _ordered_values(self, logs):
        """evaluate's list form: loss, each output's loss, metrics in compile order."""
        names = ["loss"] + ([f"{n}_loss" for n in self._output_names()] if self._n_outputs() > 1
                            else []) + [m.name for m in (self.compiled_metrics or [])]
        # then what a custom test_step / train_step logged besides, in its order
        values = [logs[k] for k in names if k in logs] + [v for k, v in logs.items()
                                                           if k not in names]
        return values[0] if len(values) == 1 else values

    def _callback_list(self, callbacks, steps):
        """evaluate / predict's callbacks (no History, no progress bar of their own)."""
        if callbacks is None:
            return None
        from .. import callbacks as callbacks_mod
        return callbacks_mod.CallbackList(callbacks, model=self, verbose=0, steps=steps,
                                          add_history=False)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for the input samples, as NumPy arrays.

        Runs in inference mode (Dropout off, BatchNormalization's moving statistics),
        one C call for all batches. A single batch of float32, C-contiguous data
        takes a shorter path without per-call setup (cheap one-sample predictions).

        Parameters
        ----------
        x : array_like or list or dict of array_like
            Inputs, samples first; a list or dict for several inputs.
        batch_size : int, default 32
            Samples per batch (affects speed and memory, not the result).
        verbose : "auto", 0 or 1, default "auto"
            Accepted for Keras compatibility (predict prints nothing).
        steps, callbacks
            Accepted for Keras compatibility.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            float32, one row per sample; a list for a model with several outputs.

        Raises
        ------
        ValueError
            The inputs' shape does not match the model's declared input, or they hold
            NaN or infinity.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
        >>> model.set_weights([np.eye(3, 2), np.array([0.0, 1.0])])
        >>> model.predict(np.array([[1.0, 2.0, 3.0]]), verbose=0)
        array([[1., 3.]], dtype=float32)
        """
        x, _, batch_size, _ = py_dataset.for_single_pass(x, None, batch_size, "predict")
        x, _, batch_size = from_dataset(x, None, batch_size, "predict")
        batch_size = batch_size_arg(batch_size, "predict")
        self._begin_use("predict")
        try:
            dist = _distributed("predict")
            if dist is not None:  # each process predicts its rows; all get the whole result
                from ..distribution import _run
                if self._overrides("predict_step"):
                    _distributed("predict", self)  # refused across processes
                with _run.failures_shared(dist._world):
                    return _run.predict(dist, self, x, batch_size, callbacks)
            try:
                return self._predict(x, batch_size, callbacks)
            except RetryInPython:  # raised by the first trace, before any batch ran
                return self._predict(x, batch_size, callbacks)
        finally:
            self._end_use("predict")

    def _predict(self, x, batch_size, callbacks=None):
        if self._overrides("predict_step"):
            xs = prepare_x(self, x)
            steps = (xs[0].shape[0] + batch_size - 1) // batch_size
            return step_loop.predict(self, xs, batch_size, self._callback_list(callbacks, steps))
        if (callbacks is None and isinstance(x, np.ndarray) and x.dtype == np.float32
                and x.flags.c_contiguous
                and self.built and self._n_outputs() == 1 and len(self._input_shapes) == 1
                and x.ndim > 0 and 0 < x.shape[0] <= batch_size):
            # One batch of ready float32 data: the same single replay the compiled loop would
            # do, without its per-call setup (what a loop of one-sample predicts costs).
            per_sample = tuple(self._input_shapes[0][1:])
            if x.shape[1:] == per_sample:
                run, y_pred = self._fast_path(per_sample)
                out = run([x], y_pred, True)  # checks x for NaN / inf while copying it in
                if out is None:  # it holds some: the error names the first
                    check_finite(x, "x")
                    raise ValueError("x contains NaN or infinite values")
                return out
        xs = prepare_x(self, x)
        n = xs[0].shape[0]
        entry = self._program("predict", x_shapes=[a.shape[1:] for a in xs])
        outs = [np.empty((n,) + tuple(o.shape[1:]), np.float32) for o in entry["outs"]]
        n_batches = (n + batch_size - 1) // batch_size
        cbs = self._callback_list(callbacks, n_batches)
        per_batch = cbs is not None and cbs.wants_every_predict_batch()
        if cbs is not None:
            cbs.on_predict_begin()
        data = [np.ascontiguousarray(a) for a in xs]
        step = 1 if per_batch else max(n_batches, 1)
        with self._open_loop(entry) as loop:
            for start in range(0, n_batches, step):
                if per_batch:
                    cbs.on_predict_batch_begin(start)
                _, _, _, interrupted = loop.run(data, batch_size, start, step, out_arrays=outs)
                if interrupted:
                    raise KeyboardInterrupt
                if per_batch:  # Keras hands each batch's predictions to the hook
                    rows = slice(start * batch_size, (start + 1) * batch_size)
                    batch_outs = [o[rows] for o in outs]
                    cbs.on_predict_batch_end(start, {"outputs": batch_outs[0] if len(outs) == 1
                                                     else batch_outs})
        if cbs is not None:
            cbs.on_predict_end()
        return outs[0] if len(outs) == 1 else outs

    def _batch_of(self, x):
        """The number of samples in x (one array, or one per input)."""
        if isinstance(x, np.ndarray) and x.ndim > 0:
            return max(1, x.shape[0])  # without prepare_x's conversion (predict does it)
        return max(1, prepare_x(self, x)[0].shape[0])

    def predict_on_batch(self, x):
        """Returns the model's outputs for one batch (all of ``x`` at once).

        Parameters
        ----------
        x : array_like or list of array_like
            One batch of inputs.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
        >>> model.predict_on_batch(np.zeros((5, 3))).shape
        (5, 2)
        """
        return self.predict(x, batch_size=self._batch_of(x), verbose=0)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Returns the loss and metrics of one batch (all of ``x``), weights unchanged.

        As in Keras 3 the metrics are reset first, so the values are those of this
        batch alone: the same as ``evaluate`` on it.

        Parameters
        ----------
        x : array_like or list of array_like
            One batch of inputs.
        y : array_like or list of array_like
            Its targets.
        sample_weight : array_like, optional
            One weight per sample.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a list.

        Returns
        -------
        float, list of float, or dict

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> model.set_weights([np.zeros((2, 1)), np.zeros(1)])
        >>> model.test_on_batch(np.ones((4, 2)), np.full((4, 1), 3.0))
        [9.0, 3.0]
        """
        return self.evaluate(x, y, batch_size=self._batch_of(x), verbose=0,
                             sample_weight=sample_weight, return_dict=return_dict)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        # one step on the whole batch (len(y) would count the outputs of a dict / list y)
        """Runs one gradient step on one batch (all of ``x``) and returns its loss and metrics.

        Parameters
        ----------
        x : array_like or list of array_like
            One batch of inputs.
        y : array_like or list of array_like
            Its targets.
        sample_weight : array_like, optional
            One weight per sample.
        class_weight : dict, optional
            ``{class_id: weight}``.
        return_dict : bool, default False
            Return ``{name: value}`` instead of a list.

        Returns
        -------
        float, list of float, or dict
            As ``evaluate``: the loss (and metrics) of the step, computed before the
            weights changed.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="mse")
        >>> model.set_weights([np.zeros((2, 1)), np.zeros(1)])
        >>> model.train_on_batch(np.ones((4, 2)), np.ones((4, 1)))
        1.0
        >>> model.train_on_batch(np.ones((4, 2)), np.ones((4, 1))) < 1.0
        True
        """
        h = self.fit(x, y, batch_size=self._batch_of(x), epochs=1, verbose=0, shuffle=False,
                     sample_weight=sample_weight, class_weight=class_weight)
        logs = {k: v[-1] for k, v in h.history.items()}
        if return_dict:
            return logs
        return self._ordered_values(logs)
