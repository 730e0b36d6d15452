"""Models: Sequential and the functional Model, with Keras' compile / fit /
evaluate / predict.

Training runs on the compiled driver: the model is traced once into an engine
program (forward, loss, metric statistics), and `_C.run_loop` replays it batch
after batch in C — backward and the optimizer step included — with the GIL
released. Python regains control only as often as callbacks or the progress bar
ask."""
import math
import operator
import threading
import time
import weakref

import numpy as np

from . import _C, losses as losses_mod, metrics as metrics_mod, random as _random
from .data_adapter import as_float_array, check_finite, class_weights_to_sample_weights
from .functional import (Input, KerasTensor, call_argument, keras_layer_order, substitute,
                         topo_calls)
from .layers.base import (Layer, checked_weight_value, layout_version, losses_used,
                          rebind_variable, resolve_training, training_context)
from .layers.core import InputLayer
from .metric_state import is_state_metric
from .tensor import Tensor

__all__ = ["Model", "Sequential", "load_model", "save_model", "clone_model", "model_from_json"]


# Guards the per-model usage counts below (held for a few bytecodes only).
_USAGE_LOCK = threading.Lock()


def _batch_size_arg(batch_size, what):
    """batch_size as a positive int (Keras' default 32 for None): 0 or a negative
    value would divide by zero or plan nothing, so they are refused here."""
    if batch_size is None:
        return 32
    try:
        b = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"{what}: batch_size must be an integer, got "
                        f"{type(batch_size).__name__} {batch_size!r}") from None
    if b < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer, got {b}")
    # A batch larger than the data is one batch of all of it (Keras), so any value
    # above what an array can hold means the same; capping keeps 10**20 from reaching
    # the C loop's int64 as an OverflowError.
    return min(b, 2 ** 62)


class Model(Layer):
    """A trainable graph of layers, with Keras' compile / fit / evaluate / predict.

    ``Model`` is the base of `Sequential` and is used in Keras' three ways:

    * functional: ``Model(inputs, outputs)`` on the tensors of a `pynn.Input` graph
      (several inputs and outputs allowed);
    * subclassed: subclass it, assign layers to attributes in ``__init__`` and use
      them in ``call(inputs, training=False)``;
    * as a layer of another model (transfer learning: set ``trainable=False``).

    Training runs on pynn's compiled driver: the model is traced once into an
    engine program and ``fit`` replays forward, loss, backward and the optimizer
    step for a whole epoch in one C call, with the GIL released.

    Parameters
    ----------
    inputs : KerasTensor or list of KerasTensor
        Functional form only: the `pynn.Input` tensor(s) the graph starts from.
    outputs : KerasTensor or list of KerasTensor
        Functional form only: the tensor(s) the model returns, in output order.
    name : str, optional
        The model's name (default: the class name in snake case, made unique).
    trainable : bool, default True
        Whether ``fit`` updates the weights (False freezes the whole model).

    Examples
    --------
    >>> inputs = pynn.Input(shape=(4,))
    >>> hidden = pynn.layers.Dense(8, activation="relu")(inputs)
    >>> outputs = pynn.layers.Dense(3, activation="softmax")(hidden)
    >>> model = pynn.Model(inputs, outputs)
    >>> model.output_shape
    (None, 3)
    >>> model.count_params()
    67
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs):
            return super().__new__(FunctionalModel)
        if (not issubclass(cls, (FunctionalModel, Sequential)) and type(cls).__call__ is type.__call__
                and (len(args) >= 2 or "inputs" in kwargs) and cls.call is Model.call):
            # Keras: a Model subclass (overriding compute_loss, say) built with
            # (inputs, outputs) is a functional model of that class
            return super().__new__(_functional_subclass(cls))
        return super().__new__(cls)

    def __init__(self, name=None, **kwargs):
        self._layers = []
        super().__init__(name=name, **kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._programs = {}
        self._arena = None

    # ------------------------------------------------------------ structure
    @property
    def layers(self):
        """The model's layers, in the order they were added or are called."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """Returns a layer of the model by name or by index.

        Parameters
        ----------
        name : str, optional
            The layer's ``name`` (as given to the layer or shown by ``summary()``).
        index : int, optional
            The position in ``model.layers`` (negative counts from the end); it takes
            precedence over ``name``.

        Returns
        -------
        Layer

        Raises
        ------
        ValueError
            No layer has that name (the message lists the names there are).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
        ...                          pynn.layers.Dense(8, name="hidden"),
        ...                          pynn.layers.Dense(1, name="out")])
        >>> model.get_layer("hidden").units
        8
        >>> model.get_layer(index=-1).name
        'out'
        """
        if index is not None:
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r}; layers: {[l.name for l in self._layers]}")

    @property
    def weights(self):
        """All weight variables (trainable first per layer), NumPy views into the model's parameter
        arena."""
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        """The weights ``fit`` updates ([] when the model is frozen)."""
        if not self.trainable:  # a frozen model used as a layer (transfer learning)
            return []
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        """Weights ``fit`` does not update (frozen layers, BatchNormalization's moving mean...)."""
        if not self.trainable:
            return self.weights
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    @property
    def inputs(self):
        """The model's symbolic input tensors (a list)."""
        return list(self._graph()[0])

    @property
    def outputs(self):
        """The model's symbolic output tensors (a list)."""
        return list(self._graph()[1])

    @property
    def input(self):
        """The symbolic input tensor (a list when the model has several)."""
        return self.inputs[0] if len(self.inputs) == 1 else self.inputs

    @property
    def output(self):
        """The symbolic output tensor (a list when the model has several)."""
        return self.outputs[0] if len(self.outputs) == 1 else self.outputs

    def _child_layers(self):
        return list(self._layers)

    def _owner_of(self, var):
        """The layer holding weight `var`, looking inside models and custom layers
        used as layers."""
        for layer in self._layers:
            owner = layer._owner_of(var)
            if owner is not None:
                return owner
        return None

    def _layout(self):
        """[number of trainable weights, weak reference to each weight]. Weak references,
        not id()s: a Variable replaced by another model's collation is freed, and a new
        one may get its id, which made a changed layout look unchanged (a model whose
        layer was unfrozen then trained nothing)."""
        trainable = self.trainable_weights
        return [len(trainable)] + [weakref.ref(w) for w in trainable + self.non_trainable_weights]

    def _layout_changed(self):
        old, trainable = self._collated_layout, self.trainable_weights
        weights = trainable + self.non_trainable_weights
        return (old[0] != len(trainable) or len(old) != len(weights) + 1
                or any(ref() is not w for ref, w in zip(old[1:], weights)))

    def _ensure_collated(self):
        """Collates again when the arenas no longer hold this model's weights: a layer
        was frozen or unfrozen, or another model sharing layers (a model used as a
        layer, a feature extractor) collated them into its own arenas. O(1) unless
        some layout changed anywhere since this model last looked."""
        if not self._arena or self._collated_version == layout_version[0]:
            return
        if self._layout_changed():
            self._collate()
        self._collated_version = layout_version[0]

    def count_params(self):
        """Returns the number of weight values (trainable and not) in the model.

        Returns
        -------
        int

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> model.count_params()  # a 4x2 kernel and 2 biases
        10
        """
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        """Returns copies of every weight as NumPy arrays, in ``model.weights`` order.

        The copies are independent: changing them changes nothing in the model (use
        ``set_weights``, or write into ``layer.kernel``, a view, to change weights).

        Returns
        -------
        list of numpy.ndarray

        Raises
        ------
        ValueError
            The model is not built yet (no input shape known).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> [w.shape for w in model.get_weights()]
        [(4, 2), (2,)]
        """
        self._require_built("get_weights")
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        """Sets every weight from a list of arrays, in ``model.weights`` order.

        The values are copied into the model's parameter arena, so views such as
        ``layer.kernel`` see the new values.

        Parameters
        ----------
        weights : list of array_like
            One array per weight, of exactly the weight's shape (as ``get_weights``
            returns them).

        Raises
        ------
        ValueError
            The model is not built, the number of arrays differs, or an array's shape
            differs from its weight's (the message names the weight).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> model.set_weights([np.ones((2, 1)), np.zeros(1)])
        >>> model.predict(np.array([[1.0, 2.0]]), verbose=0)
        array([[3.]], dtype=float32)
        """
        self._require_built("set_weights")
        weights = list(weights)
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Model '{self.name}' has {len(mine)} weight arrays, got {len(weights)}")
        values = []
        for var, value in zip(mine, weights):
            if np.shape(value) != var.shape:
                raise ValueError(f"Weight '{var.name}' has shape {var.shape}, got an array of shape "
                                 f"{np.shape(value)}")
            values.append(checked_weight_value(f"Model '{self.name}'.set_weights", var, value))
        for var, value in zip(mine, values):  # all checked first: all or nothing
            var[...] = value

    def _require_built(self, what):
        if not self.built and getattr(self, "_declared_shape", lambda: None)() is not None:
            self._ensure_built()
        if not self.built:
            raise ValueError(f"Model '{self.name}' is not built yet: call it on data, give the first "
                             f"layer an input shape, or call build() before {what}()")

    # ------------------------------------------------------------ arena
    def _collate(self):
        """Moves every weight into two contiguous arenas (trainable and not) and
        binds the gradients of the trainable ones into a gradient arena, so the
        optimizer step is one flat loop in C."""
        for kind in ("trainable", "frozen"):
            vars_ = self.trainable_weights if kind == "trainable" else self.non_trainable_weights
            total = int(sum(v.size for v in vars_))
            arena = np.zeros(max(total, 1), np.float32)
            grads = np.zeros(max(total, 1), np.float32) if kind == "trainable" else None
            off = 0
            for var in vars_:
                owner = self._owner_of(var)
                new = rebind_variable(var, arena[off:off + var.size].reshape(var.shape))
                owner._replace_variable(var, new)
                t = owner.tensor(new)
                if grads is not None:
                    _C.bind_grad(t, grads[off:off + var.size].reshape(var.shape))
                off += var.size
            if kind == "trainable":
                self._params, self._grads = arena, grads
                self._segments = [int(v.size) for v in vars_]
                self._segment_shapes = [tuple(v.shape) for v in vars_]
            else:
                self._frozen = arena
        self._programs = {}
        self._arena = True
        self._collated_layout = self._layout()
        layout_version[0] += 1
        self._collated_version = layout_version[0]

    # ------------------------------------------------------------ subclassed models
    def _subclassed(self):
        return type(self).call is not Model.call

    def __setattr__(self, name, value):
        # a subclassed model owns the layers assigned to its attributes, in that order
        # (Keras tracks them the same way; lists of layers too)
        if not name.startswith("_") and "_layers" in self.__dict__ and self._subclassed():
            for layer in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(layer, Layer) and not any(l is layer for l in self._layers):
                    self._layers.append(layer)
        super().__setattr__(name, value)

    def build(self, input_shape=None):
        """Builds the model's weights for inputs of the given shape.

        Models build themselves on their first call, ``fit`` or ``predict``; call
        ``build`` to create the weights earlier (for ``summary()`` or ``set_weights``).

        Parameters
        ----------
        input_shape : tuple
            The batch shape of the input, batch dimension first (``None`` for any
            batch size), e.g. ``(None, 16)``.

        Raises
        ------
        ValueError
            No input shape was given and none was declared.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.layers.Dense(3)])
        >>> model.build((None, 5))
        >>> model.output_shape
        (None, 3)
        """
        if input_shape is None:
            raise ValueError(f"Model '{self.name}'.build needs an input shape, e.g. (None, 16)")
        self._ensure_built([tuple(input_shape)])

    def _ensure_built(self, shapes=None):
        """A subclassed model builds by running its call() on one zero sample."""
        if self.built:
            return
        if shapes is None:
            raise ValueError(f"Model '{self.name}' has no input shape yet: call it on data or "
                             f"call build((None, ...)) first")
        self._input_shapes = [(None,) + tuple(s[1:]) for s in shapes]
        was = _C.set_grad_enabled(False)
        try:
            xs = [Tensor(np.zeros((1,) + tuple(s[1:]), np.float32)) for s in shapes]
            out = self._forward(xs, training=False)
        finally:
            _C.set_grad_enabled(was)
        if not isinstance(out, Tensor):
            raise ValueError(f"Model '{self.name}': call() must return one Tensor (several "
                             f"outputs are supported in functional models), got "
                             f"{type(out).__name__}")
        self.input_shape = self._input_shapes[0]
        self.output_shape = self._output_shape = (None,) + tuple(out.shape[1:])
        self.built = True
        self._collate()

    # ------------------------------------------------------------ forward
    def _forward(self, inputs, training=False):
        if not self._subclassed():
            raise NotImplementedError(f"{type(self).__name__} must implement call(inputs)")
        keys = self._dict_keys()
        with training_context(training):  # for the layers call() uses without `training`
            if keys is not None:
                return self.call(dict(zip(keys, inputs)), training=training)
            return self.call(inputs[0] if len(inputs) == 1 else inputs, training=training)

    def call(self, inputs, training=False):
        """Runs the model's forward pass on tensors (what a subclassed model overrides).

        Parameters
        ----------
        inputs : Tensor or list of Tensor
            The input batch (one tensor per model input).
        training : bool, default False
            Training mode (Dropout active, BatchNormalization uses batch statistics).

        Returns
        -------
        Tensor
            The output batch, recorded on the eager tape when gradients are enabled.

        Examples
        --------
        >>> class TwoLayers(pynn.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = pynn.layers.Dense(8, activation="relu")
        ...         self.out = pynn.layers.Dense(1)
        ...     def call(self, inputs, training=False):
        ...         return self.out(self.hidden(inputs))
        >>> model = TwoLayers()
        >>> model(np.zeros((5, 3), np.float32)).shape
        (5, 1)
        """
        if isinstance(inputs, dict):
            inputs = self._split_inputs(inputs)
        return self._forward(inputs if isinstance(inputs, list) else [inputs], training)

    def __call__(self, inputs, training=None, **kwargs):
        training = resolve_training(training)
        if isinstance(inputs, dict) and any(getattr(v, "_is_symbolic", False)
                                            for v in inputs.values()):
            return super().__call__(inputs, training=training, **kwargs)  # a dict call in a graph
        if getattr(inputs, "_is_symbolic", False):
            return super().__call__(inputs, training=training, **kwargs)
        if not self.built and isinstance(inputs, np.ndarray):
            self._ensure_built([inputs.shape])
        if (not training and isinstance(inputs, np.ndarray) and self.built and self._n_outputs() == 1
                and not (losses_used[0] and self._added_losses())):  # model.losses: run eagerly
            # The cheap inference path: NumPy in, the traced inference program
            # replayed by one C call (no graph is recorded: pass a Tensor for that).
            per_sample = tuple(self._input_shapes[0][1:])
            if (inputs.dtype != np.float32 or not inputs.flags.c_contiguous
                    or inputs.shape[1:] != per_sample):
                inputs = as_float_array(inputs, "model input")
                self._check_x_shapes([inputs.shape])
            run, y_pred = self._fast_path(tuple(inputs.shape[1:]))
            self._begin_use("calling the model")
            try:
                return Tensor(run([inputs], y_pred))
            finally:
                self._end_use("calling the model")
        xs = [inputs] if isinstance(inputs, Tensor) else self._split_inputs(inputs)
        xs = [x if isinstance(x, Tensor) else Tensor(as_float_array(x, "model input")) for x in xs]
        self._ensure_built([x.shape for x in xs])
        self._check_x_shapes([x.shape for x in xs])
        if losses_used[0]:
            self._clear_losses()  # model.losses: the add_loss terms of this call
        return self._forward(xs, training=training)

    def _fast_path(self, per_sample):
        """(run, y_pred): the inference program's one-call replay for inputs of this
        per-sample shape, for a single-input, single-output model."""
        self._ensure_collated()
        fast = self._programs.get(("fast", per_sample))
        if fast is None:
            entry = self._program("predict", x_shapes=[per_sample])
            fast = self._programs[("fast", per_sample)] = (entry["prog"].run, entry["y_pred"])
        return fast

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
            Accepted for Keras compatibility; pynn always runs the compiled C loop.

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
        from . import optimizers
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
        self.compiled = True
        self._programs = {}

    # ------------------------------------------------------------ several outputs
    def _n_outputs(self):
        return len(getattr(self, "_outputs", [None]))

    def _output_names(self):
        return [t.layer.name for t in self._outputs] if self._n_outputs() > 1 else [None]

    def _ensure_built_if_possible(self):
        if not self.built and getattr(self, "_declared_shape", lambda: None)() is not None:
            self._ensure_built()

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
        self._ensure_collated()
        if key in self._programs:
            return self._programs[key]
        frozen_before = self._frozen.copy()  # tracing must not move BatchNorm statistics
        was_tracing = _C.set_tracing(True)
        was_grad = _C.set_grad_enabled(kind == "train")
        try:
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
                for o, (lf, y, p) in enumerate(zip(self._output_losses(), ys, preds)):
                    if lf is not None and len(preds) > 1:  # Keras logs "<output>_loss" too
                        metric_objs.append(_OutputLoss(f"{self._output_names()[o]}_loss"))
                        stats.append(_summed_loss(lf, y, p, w))
                one = lambda ts: ts[0] if len(ts) == 1 else ts  # noqa: E731  (Keras' structures)
                # `training` only to an override that takes it (Keras 3 inspects it too: the
                # keras.io examples override compute_loss(x, y, y_pred, sample_weight,
                # allow_empty=False))
                extra = {"training": kind == "train"} if _takes_training(self.compute_loss) else {}
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
                    stats.append(m.stats(ys[o], preds[o], w if weighted else plain))
                prog = _C.Program([loss] + stats, xs + ys + [w])
                entry = {"prog": prog, "slots": xs + ys + [w], "loss": loss, "stats": stats,
                         "metrics": metric_objs}
        finally:
            _C.set_tracing(was_tracing)
            _C.set_grad_enabled(was_grad)
            self._frozen[...] = frozen_before
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
        from . import ops
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

    # ------------------------------------------------------------ data
    def _split_inputs(self, x):
        """The list of input arrays in x. A list / tuple is one array per model input,
        except for a single-input model, where nested Python lists of numbers are one
        array (Keras accepts both). A dict maps the names of the Inputs to arrays."""
        if _is_dataframe(x) and (self._dict_keys() or len(getattr(self, "_inputs", [])) > 1):
            x = {c: x[c].to_numpy() for c in x.columns}  # a DataFrame is a dict of columns
        if isinstance(x, dict):
            if self._subclassed() and not self._dict_keys():
                self._input_keys = list(x)  # a subclassed model's call() takes this dict
            names = self._dict_keys() or [getattr(t, "name", None)
                                          for t in getattr(self, "_inputs", [])]
            missing = [k for k in names if k not in x]
            if None in names or missing:
                raise ValueError(f"Model '{self.name}': a dict of inputs needs one array for each "
                                 f"named Input {names}; got keys {sorted(x)}"
                                 + (f" (missing {missing})" if None not in names else ""))
            return [x[name] for name in names]
        if not isinstance(x, (list, tuple)):
            return [x]
        n_inputs = len(self._input_shapes) if hasattr(self, "_input_shapes") else 1
        if n_inputs == 1 and len(x) != 1:
            return [x]
        return list(x)

    def _dict_keys(self):
        """The keys of a dict-input model (Model(inputs={...}) or a subclassed model
        first called with a dict), else None."""
        return self.__dict__.get("_input_keys")

    def _prepare_x(self, x):
        if x is None:
            raise ValueError(f"Model '{self.name}' needs input data: x is None")
        xs = [as_float_array(a, "x") for a in self._split_inputs(x)]
        if any(a.ndim == 0 for a in xs):
            raise ValueError("x must have a batch axis; got a scalar")
        self._ensure_built([a.shape for a in xs])
        xs = self._adjust_rank(xs)
        self._check_x_shapes([a.shape for a in xs])
        for a in xs:
            check_finite(a, "x")
        n = xs[0].shape[0]
        if any(a.shape[0] != n for a in xs):
            raise ValueError(f"All inputs must have the same number of samples; got "
                             f"{[a.shape[0] for a in xs]}")
        return xs

    def _adjust_rank(self, xs):
        """Keras' input rank adjustment: a feature axis of size 1 may be left out
        (x of shape (n,) for inputs of shape (None, 1)) or added."""
        out = []
        for a, want in zip(xs, self._input_shapes):
            if a.ndim == len(want) - 1 and want[-1] == 1:
                a = a[..., None]
            elif a.ndim == len(want) + 1 and a.shape[-1] == 1:
                a = a[..., 0]
            out.append(a)
        return out + xs[len(out):]

    def _check_x_shapes(self, shapes):
        if len(shapes) != len(self._input_shapes):
            raise ValueError(f"Model '{self.name}' expects {len(self._input_shapes)} input(s), "
                             f"got {len(shapes)}")
        for i, (got, want) in enumerate(zip(shapes, self._input_shapes)):
            if len(got) != len(want) or any(w is not None and g != w
                                            for g, w in zip(got[1:], want[1:])):
                first = self._first_layer_name(i)
                raise ValueError(
                    f"{first} expects inputs of per-sample shape {tuple(want[1:])} (batch shape "
                    f"{(None,) + tuple(want[1:])}); got a batch of shape {tuple(got)}")

    def _prepare_ys(self, y, n, what="y"):
        """One float32 target array per output (y: an array, a list in output order
        or a dict keyed by output name)."""
        k = self._n_outputs()
        if y is None and all(lf is None for lf in self._output_losses()):
            # no compiled loss (add_loss / compute_loss make it): no targets are needed; a
            # zero column fills the label slot of the traced program
            return [np.zeros((n, 1), np.float32) for _ in range(k)]
        if y is None:
            raise ValueError(f"fit/evaluate need targets: {what} is None")
        if k == 1:
            return [self._prepare_y(y, n, what, 0)]
        if isinstance(y, dict):
            names = self._output_names()
            missing = [nm for nm in names if nm not in y]
            if missing:
                raise ValueError(f"{what}: no targets for output(s) {missing}")
            y = [y[nm] for nm in names]
        if not isinstance(y, (list, tuple)) or len(y) != k:
            raise ValueError(f"{what}: the model has {k} outputs; pass a list of {k} target arrays "
                             f"or a dict keyed by {self._output_names()}")
        return [self._prepare_y(a, n, f"{what}[{i}]", i) for i, a in enumerate(y)]

    def _prepare_y(self, y, n, what="y", output=0):
        y = as_float_array(y, what)
        if y.ndim == 0 or y.shape[0] != n:
            raise ValueError(f"{what} has {y.shape[0] if y.ndim else 0} samples but x has {n}")
        check_finite(y, what)
        pred_shape = self._output_shapes()[output]
        if isinstance(self._output_losses()[output], losses_mod.SparseCategoricalCrossentropy):
            n_classes = pred_shape[-1]
            labels = y.reshape(n, -1)
            # one label per prediction: per sample, or per time step of a sequence output
            steps = int(np.prod([d for d in pred_shape[1:-1] if d is not None] or [1]))
            if labels.shape[1] not in (1, steps):
                hint = (f": these look one-hot, so use loss='categorical_crossentropy' (or "
                        f"{what}.argmax(axis=-1))" if y.shape[-1] == n_classes else "")
                raise ValueError(f"sparse_categorical_crossentropy expects one integer label per "
                                 f"sample; got {what} of shape {y.shape}{hint}")
            bad = (labels < 0) | (labels >= n_classes) | (labels != np.round(labels))
            if bad.any():
                i = int(np.argmax(bad.ravel()))
                raise ValueError(f"{what}[{i}] = {labels.ravel()[i]:g} is not a class index in "
                                 f"[0, {n_classes}) (the model outputs {n_classes} classes)")
        elif (isinstance(self._output_losses()[output], losses_mod.CategoricalCrossentropy)
              and pred_shape[-1] > 1 and (y.ndim < len(pred_shape) or y.shape[-1] == 1)):
            k = pred_shape[-1]
            raise ValueError(f"categorical_crossentropy expects one-hot targets of shape (n, {k}); "
                             f"got {what} of shape {y.shape}, integer labels: use "
                             f"loss='sparse_categorical_crossentropy', or one-hot encode them with "
                             f"keras.utils.to_categorical({what}, {k})")
        else:
            self._check_target_shape(y, what, output, pred_shape)
        return y

    def _check_target_shape(self, y, what, output, pred_shape):
        """The engine's loss ops take targets of the prediction's shape, up to a trailing
        axis of 1. Checked here, on the arrays the user passed, so that the error names
        their shapes and the declared output (as Keras: target.shape=(100, 3),
        output.shape=(None, 1)) rather than the batch of one the program is traced on.
        User loss functions (FunctionLoss, Loss subclasses) may accept other shapes."""
        lf = self._output_losses()[output]
        if type(lf) not in set(losses_mod._ALIASES.values()):
            return
        t, p = tuple(y.shape[1:]), tuple(pred_shape[1:])

        def same(a, b):
            return len(a) == len(b) and all(d is None or d == e for d, e in zip(b, a))

        if (same(t, p) or (len(t) == len(p) + 1 and t[-1] == 1 and same(t[:-1], p))
                or (len(p) == len(t) + 1 and p[-1] == 1 and same(t, p[:-1]))):
            return
        out = f" {self._output_names()[output]!r}" if self._n_outputs() > 1 else ""
        raise ValueError(
            f"{lf.name}: the targets {what} do not fit the model's output{out}: "
            f"target.shape={tuple(y.shape)}, output.shape={tuple(pred_shape)} (they must be "
            f"the same per sample, up to a trailing axis of 1)")

    def _output_shapes(self):
        return [t.shape for t in self._outputs] if hasattr(self, "_outputs") else [self._output_shape]

    def _sample_weights(self, y, n, sample_weight, class_weight):
        w = np.ones(n, np.float32)
        if sample_weight is not None:
            sw = as_float_array(sample_weight, "sample_weight").reshape(-1)
            if sw.shape[0] != n:
                raise ValueError(f"sample_weight has {sw.shape[0]} values for {n} samples")
            check_finite(sw, "sample_weight")
            w = w * sw
        if class_weight is not None:
            if len(y) > 1:
                raise ValueError("class_weight is only supported for models with one output")
            w = w * class_weights_to_sample_weights(y[0], class_weight)
        return np.ascontiguousarray(w, np.float32)

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
        batch_size = _batch_size_arg(batch_size, "fit")
        self._begin_use("fit")
        try:
            return self._fit(x, y, batch_size, epochs, verbose, callbacks, validation_split,
                             validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                             validation_batch_size, validation_freq)
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
        users = d.get("_users")
        if users is None:
            users = d.setdefault("_users", [])
        if what == "fit":
            me = threading.get_ident()
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
        users.append(None)
        owner = d.get("_fit_owner")
        if owner is not None and owner != threading.get_ident():
            users.pop()
            raise RuntimeError(f"{what}: model '{self.name}' is being trained by fit() in another "
                               f"thread; wait for fit to return (concurrent predict, evaluate "
                               f"and calls are fine, but not during fit)")

    def _end_use(self, what):
        d = self.__dict__
        if what != "fit":
            d["_users"].pop()
            return
        with _USAGE_LOCK:
            d["_fit_depth"] -= 1
            if not d["_fit_depth"]:
                d["_fit_owner"] = None

    def _fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
             shuffle, class_weight, sample_weight, initial_epoch, validation_batch_size,
             validation_freq):
        from . import callbacks as callbacks_mod
        verbose = 1 if verbose == "auto" else int(verbose)
        xs = self._prepare_x(x)
        n = xs[0].shape[0]
        if n == 0:
            raise ValueError("fit: x has no samples (0 rows)")
        ys = self._prepare_ys(y, n)
        w = self._sample_weights(ys, n, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            val = self._unpack_validation(validation_data)
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            split = int(n * (1 - validation_split))  # Keras: the LAST fraction, before shuffling
            val = ([a[split:] for a in xs], [a[split:] for a in ys], w[split:])
            xs, ys, w, n = [a[:split] for a in xs], [a[:split] for a in ys], w[:split], split
        if n == 0:
            raise ValueError("fit: no training samples")

        entry = self._program("train", [a.shape[1:] for a in ys], [a.shape[1:] for a in xs])
        self._build_optimizer()
        # DP-SGD (pynn.privacy.DPSGD): the loop runs private steps with this C state
        dp_begin = getattr(self.optimizer, "_dp_begin", None)
        dp = dp_begin(self, n, batch_size, epochs - initial_epoch, entry) if dp_begin else None
        data = [np.ascontiguousarray(a) for a in xs + ys] + [w]
        n_batches = (n + batch_size - 1) // batch_size
        cbs = callbacks_mod.CallbackList(callbacks, model=self, verbose=verbose, epochs=epochs,
                                         steps=n_batches)
        self.history = cbs.history
        self.stop_training = False
        per_batch = cbs.wants_every_batch()
        rng = _random.generator()
        cbs.on_train_begin()
        logs = {}
        epoch = initial_epoch
        diverged = None
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            perm = rng.permutation(n).astype(np.int64) if shuffle else None
            acc = np.zeros(max(1, sum(s.size for s in entry["stats"])), np.float64)
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
                ls, lc, d, interrupted = _C.run_loop(
                    entry["prog"], entry["loss"], entry["slots"], data, perm, batch_size, done, todo,
                    True, self.optimizer, self._params, self._grads, entry["stats"], acc, [], [],
                    False, dp)
                if diverged is None and not math.isfinite(ls):
                    # the first batches whose loss is NaN/inf: warn once per fit
                    diverged = callbacks_mod.report_nonfinite_loss(
                        self.history, epoch, done, done + d - 1, ls / lc if lc else ls,
                        cbs.callbacks)
                loss_sum += ls
                count += lc
                done += d
                logs = self._logs(loss_sum, count, acc, entry)
                if dp is not None:
                    self.optimizer._dp_update(dp, logs)  # counts the steps, adds "epsilon"
                cbs.on_train_batch_end(done - 1, logs)
                if interrupted:
                    raise KeyboardInterrupt
                # aim at ~10 progress updates a second without slowing the loop
                dt = time.perf_counter() - t0
                chunk = max(1, min(n_batches, int(chunk * 0.1 / dt) if dt > 0 else chunk * 2))
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                # Keras runs the validation pass with fit's callbacks (on_test_* hooks)
                vlogs = self._evaluate_arrays(*val, batch_size if validation_batch_size is None else
                                              _batch_size_arg(validation_batch_size,
                                                              "fit (validation_batch_size)"), cbs)
                epoch_logs.update({"val_" + k: v for k, v in vlogs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs if epochs > initial_epoch else {})
        return self.history

    def _unpack_validation(self, validation_data):
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                             "(x_val, y_val, val_sample_weight)")
        vx = self._prepare_x(validation_data[0])
        vn = vx[0].shape[0]
        vy = self._prepare_ys(validation_data[1], vn, "y_val")
        vw = self._sample_weights(vy, vn, validation_data[2] if len(validation_data) == 3 else None,
                                  None)
        return vx, vy, vw

    @staticmethod
    def _logs(loss_sum, count, acc, entry):
        logs = {"loss": loss_sum / count if count else 0.0}
        off = 0
        for m, s in zip(entry["metrics"], entry["stats"]):
            v = m.value_from(acc[off:off + s.size] / (count if isinstance(m, _OutputLoss) else 1))
            logs[m.name] = float(v) if np.ndim(v) == 0 else np.asarray(v)
            off += s.size
        return dict(sorted(logs.items()))  # Keras' key order (the progress bar shows this order)

    def _build_optimizer(self):
        if self.optimizer is None:  # compile(optimizer=None) is allowed, as in Keras
            raise ValueError(f"Model '{self.name}' was compiled with optimizer=None: training "
                             f"needs one, e.g. compile(optimizer='adam', loss=...)")
        if getattr(self.optimizer, "_built_for", None) != tuple(self._segments):
            self.optimizer.build(int(sum(self._segments)), self._segments, self._segment_shapes)
            self.optimizer._built_for = tuple(self._segments)

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
        per_batch = cbs is not None and cbs.wants_every_test_batch()
        if cbs is not None:
            cbs.on_test_begin()
        ls = lc = 0.0
        step = 1 if per_batch else max(n_batches, 1)
        for start in range(0, n_batches, step):
            if per_batch:
                cbs.on_test_batch_begin(start)
            l, c, _, interrupted = _C.run_loop(entry["prog"], entry["loss"], entry["slots"], data,
                                               None, batch_size, start, step, False, None, None,
                                               None, entry["stats"], acc, [], [], False)
            ls, lc = ls + l, lc + c
            if interrupted:
                raise KeyboardInterrupt
            if per_batch:
                cbs.on_test_batch_end(start, self._logs(ls, lc, acc, entry))
        logs = self._logs(ls, lc, acc, entry)
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
        batch_size = _batch_size_arg(batch_size, "evaluate")
        xs = self._prepare_x(x)
        n = xs[0].shape[0]
        if n == 0:
            raise ValueError("evaluate: x has no samples (0 rows): there is nothing to evaluate")
        ys = self._prepare_ys(y, n)
        w = self._sample_weights(ys, n, sample_weight, None)
        verbose = 1 if verbose == "auto" else int(verbose)
        steps_ = (n + batch_size - 1) // batch_size
        if verbose:
            from .progbar import Progbar
            bar = Progbar(steps_, verbose=verbose)  # started before the work it times
        self._begin_use("evaluate")
        try:
            logs = self._evaluate_arrays(xs, ys, w, batch_size,
                                         self._callback_list(callbacks, steps_))
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
                            else []) + [m.name for m in self.compiled_metrics]
        values = [logs[k] for k in names if k in logs]
        return values[0] if len(values) == 1 else values

    def _callback_list(self, callbacks, steps):
        """evaluate / predict's callbacks (no History, no progress bar of their own)."""
        if callbacks is None:
            return None
        from . import callbacks as callbacks_mod
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
        batch_size = _batch_size_arg(batch_size, "predict")
        self._begin_use("predict")
        try:
            return self._predict(x, batch_size, callbacks)
        finally:
            self._end_use("predict")

    def _predict(self, x, batch_size, callbacks=None):
        if (callbacks is None and isinstance(x, np.ndarray) and x.dtype == np.float32
                and x.flags.c_contiguous
                and self.built and self._n_outputs() == 1 and len(self._input_shapes) == 1
                and x.ndim > 0 and 0 < x.shape[0] <= batch_size):
            # One batch of ready float32 data: the same single replay run_loop would
            # do, without its per-call setup (what a loop of one-sample predicts costs).
            per_sample = tuple(self._input_shapes[0][1:])
            if x.shape[1:] == per_sample:
                run, y_pred = self._fast_path(per_sample)
                check_finite(x, "x")
                return run([x], y_pred)
        xs = self._prepare_x(x)
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
        for start in range(0, n_batches, step):
            if per_batch:
                cbs.on_predict_batch_begin(start)
            _, _, _, interrupted = _C.run_loop(entry["prog"], None, entry["slots"], data, None,
                                               batch_size, start, step, False, None, None, None,
                                               [], None, entry["outs"], outs, False)
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
        return max(1, self._prepare_x(x)[0].shape[0])

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

    # ------------------------------------------------------------ display and files
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, show_macs=False):
        """Prints Keras' summary table: each layer's output shape and parameter count.

        Parameters
        ----------
        line_length : int, optional
            Total width of the table (default: fits the content).
        positions : list, optional
            Accepted for Keras compatibility.
        print_fn : callable, optional
            Called with the table text instead of ``print`` (e.g. to log it).
        expand_nested : bool, default False
            Accepted for Keras compatibility.
        show_trainable : bool, default False
            Add a column saying whether each layer is trainable.
        layer_range : tuple, optional
            Accepted for Keras compatibility.
        show_macs : bool, default False
            pynn only: add per-sample multiply-accumulates per layer and MAC / FLOP
            totals (see `pynn.footprint`).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2, name="out")])
        >>> model.summary()  # doctest: +ELLIPSIS
        Model: "sequential..."
        ...
        │ out (Dense)                     │ (None, 2)              │            10 │
        ...
         Total params: 10 (40.00 B)
        ...
        """
        from .summary import summary_text
        text = summary_text(self, show_trainable=show_trainable, line_length=line_length,
                            show_macs=show_macs)
        (print_fn or print)(text)

    def _repr_html_(self):
        from .summary import summary_html
        return summary_html(self)

    def save(self, filepath, overwrite=True, **kwargs):
        """Saves the whole model (architecture, weights, compile settings and optimizer
        state) to one ``.keras`` file.

        The file is a zip of ``config.json`` and ``weights.npz``; loading it with
        `pynn.load_model` never unpickles or runs code from the file.

        Parameters
        ----------
        filepath : str or path-like
            Where to write, conventionally ending in ``.keras``.
        overwrite : bool, default True
            Replace an existing file (False raises instead).

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> restored = pynn.load_model(path)
        >>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), restored.get_weights()))
        True
        """
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def to_json(self, **kwargs):
        """Returns the model's architecture (no weights) as JSON, for `pynn.models.model_from_json`.

        Parameters
        ----------
        **kwargs
            Passed to ``json.dumps`` (``indent=2``, ...).

        Returns
        -------
        str

        Raises
        ------
        ValueError
            A subclassed model (its architecture is its code).

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
        >>> import json
        >>> json.loads(model.to_json())["class_name"]
        'Sequential'
        """
        import json
        from .saving import model_to_config
        return json.dumps(model_to_config(self), **kwargs)

    def export(self, filepath, format="onnx", verbose=False, **kwargs):
        """Exports the model for other runtimes (Keras 3's ``model.export``).

        ``format="onnx"`` writes the inference graph as ONNX (opset 17, dynamic batch
        axis, checked with ``onnx.checker``; needs the ``onnx`` extra);
        ``format="keras"`` writes a ``.keras`` file Keras 3 loads (needs h5py).
        A layer with no equivalent raises ValueError naming it.

        Parameters
        ----------
        filepath : str or path-like
            Where to write.
        format : {"onnx", "keras"}, default "onnx"
            The file format.
        verbose : bool, default False
            Print where the file went.
        **kwargs
            ``opset`` (ONNX only; 17, the default, is the one supported).

        Returns
        -------
        str
            The path written.

        Examples
        --------
        >>> import os, tempfile
        >>> import onnxruntime as ort
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
        >>> path = model.export(os.path.join(tempfile.mkdtemp(), "model.onnx"))
        >>> session = ort.InferenceSession(path)
        >>> x = np.ones((4, 3), np.float32)
        >>> onnx_y = session.run(None, {session.get_inputs()[0].name: x})[0]
        >>> np.allclose(onnx_y, model.predict(x, verbose=0), atol=1e-5)
        True
        """
        from .export import export_model
        return export_model(self, filepath, format=format, verbose=verbose, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves only the weights, to a ``.weights.npz`` file readable by ``load_weights``.

        Parameters
        ----------
        filepath : str or path-like
            Where to write.
        overwrite : bool, default True
            Replace an existing file (False raises instead).

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.npz")
        >>> model.save_weights(path)
        >>> other = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> other.load_weights(path)
        >>> np.array_equal(other.layers[0].kernel, model.layers[0].kernel)
        True
        """
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Loads weights saved by ``save_weights`` (or from a ``.keras`` file) into this model.

        The model must have the same architecture; weights are matched in order and
        checked shape by shape before anything is written.

        Parameters
        ----------
        filepath : str or path-like
            The file to read.
        skip_mismatch : bool, default False
            Accepted for Keras compatibility; a mismatching file always raises.

        Raises
        ------
        ValueError
            The file's weights do not match this model's (count or shapes).

        Examples
        --------
        >>> import os, tempfile
        >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.npz")
        >>> model.save_weights(path)
        >>> model.set_weights([np.zeros((3, 1)), np.zeros(1)])
        >>> model.load_weights(path)
        >>> bool(np.any(model.get_weights()[0] != 0))
        True
        """
        from .saving import load_weights
        load_weights(self, filepath)


class Sequential(Model):
    """A linear stack of layers, each feeding the next.

    Declare the input shape with `pynn.Input` as the first element (or
    ``input_shape=`` on the first layer) to build the model at once; otherwise it
    builds from the first data it sees.

    Parameters
    ----------
    layers : list of Layer, optional
        The layers in order; a `pynn.Input` may come first.
    name : str, optional
        The model's name (default ``"sequential"``, made unique).
    trainable : bool, default True
        Whether ``fit`` updates the weights.

    Examples
    --------
    >>> model = pynn.Sequential([
    ...     pynn.Input(shape=(8,)),
    ...     pynn.layers.Dense(16, activation="relu"),
    ...     pynn.layers.Dense(3, activation="softmax"),
    ... ])
    >>> model.output_shape
    (None, 3)
    >>> model.predict(np.zeros((2, 8)), verbose=0).sum(axis=1)  # softmax rows sum to 1
    array([1., 1.], dtype=float32)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._declared_input = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Adds a layer on top of the stack.

        A built model grows at once; a `pynn.Input` or `InputLayer` may only come first.

        Parameters
        ----------
        layer : Layer or KerasTensor
            The layer to append, or a `pynn.Input` declaring the input shape.

        Raises
        ------
        TypeError
            ``layer`` is not a layer.
        ValueError
            The layer is already in the model, an Input comes after layers, or the
            layer does not accept the previous layer's output shape (the model is
            left as it was).

        Examples
        --------
        >>> model = pynn.Sequential()
        >>> model.add(pynn.Input(shape=(4,)))
        >>> model.add(pynn.layers.Dense(2))
        >>> model.output_shape
        (None, 2)
        """
        if isinstance(layer, KerasTensor):
            if self._layers or self._declared_input is not None:
                raise ValueError("pynn.Input(...) can only be the first element of a Sequential")
            self._declared_input = layer.shape
            return
        if isinstance(layer, InputLayer):
            self._declared_input = (None,) + layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if any(l is layer for l in self._layers):
            raise ValueError(f"Layer '{layer.name}' is already in this model")
        self._layers.append(layer)
        self._invalidate()
        # Keras builds at once when the input shape is known (pynn.Input or input_shape=),
        # and grows a built model at once
        if self.built or self._declared_shape() is not None:
            shapes = self._input_shapes if self.built else None
            self.built = False
            try:
                self._ensure_built(shapes)
            except Exception:
                self._layers.pop()
                self._invalidate()
                if shapes is not None:
                    self._ensure_built(shapes)
                raise

    def pop(self):
        """Removes the last layer and returns it.

        Returns
        -------
        Layer

        Raises
        ------
        ValueError
            The model has no layers.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(8),
        ...                          pynn.layers.Dense(2)])
        >>> model.pop().units
        2
        >>> model.output_shape
        (None, 8)
        """
        if not self._layers:
            raise ValueError("Sequential.pop: the model has no layers")
        layer = self._layers.pop()
        self._invalidate()
        if self.built and self._layers:
            self.built = False
            self._ensure_built(self._input_shapes)
        return layer

    def _invalidate(self):
        self._programs = {}
        self._symbolic_graph = None
        self.compiled_metrics = None if self.compiled else getattr(self, "compiled_metrics", None)

    def _check_x_shapes(self, shapes):
        # the first layer words the error when it can (Dense: "expects inputs whose last
        # dimension is 10 (per-sample shape (10,)); got a batch of shape (32, 12)")
        # A wrong rank is worded by the model, which names the declared input shape.
        if (len(shapes) == 1 and self.built and self._layers and self._layers[0].built
                and len(shapes[0]) == len(self._input_shapes[0])
                and tuple(shapes[0][1:]) != tuple(self._input_shapes[0][1:])):
            self._layers[0]._check_input(tuple(shapes[0]))
        super()._check_x_shapes(shapes)

    def _graph(self, shape=None):
        """Keras: a Sequential with a known input shape is also a graph of layer calls
        (model.inputs, layer.output), replayed here on a symbolic Input."""
        if getattr(self, "_symbolic_graph", None) is None:
            shape = shape or self._declared_shape() or \
                (self._input_shapes[0] if self.built else None)
            if shape is None:
                raise ValueError(f"Sequential model '{self.name}' has no defined input yet: give "
                                 f"it pynn.Input(shape=...) or build it first")
            x = Input(shape=tuple(shape[1:]))
            t = x
            for layer in self._layers:
                t = layer(t)
                layer._symbolic_input, layer._symbolic_output = t.inputs[0], t
            self._symbolic_graph = ([x], [t])
        return self._symbolic_graph

    def _first_layer_name(self, i):
        first = self._layers[0] if self._layers else None
        return f"Sequential model '{self.name}' (first layer {type(first).__name__} '{first.name}')" \
            if first else f"Sequential model '{self.name}'"

    def build(self, input_shape=None):
        """Builds the layers' weights for inputs of the given shape.

        Parameters
        ----------
        input_shape : tuple, optional
            The batch shape, batch dimension first, e.g. ``(None, 16)``; defaults
            to the declared input.

        Raises
        ------
        ValueError
            No input shape was given or declared, or the model has no layers.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.layers.Dense(3)])
        >>> model.build((None, 5))
        >>> model.layers[0].kernel.shape
        (5, 3)
        """
        if input_shape is None:
            input_shape = self._declared_input
        if input_shape is None:
            raise ValueError("Sequential.build needs an input shape (None, ...)")
        self._ensure_built([tuple(input_shape)])

    def _declared_shape(self):
        if self._declared_input is not None:
            return self._declared_input
        first = self._layers[0] if self._layers else None
        if first is not None and first._input_shape_arg is not None:
            return (None,) + first._input_shape_arg
        if isinstance(first, Model) and first.built and len(first._input_shapes) == 1:
            return first._input_shapes[0]  # a built model used as the first layer
        return None

    def _ensure_built(self, shapes=None):
        if self.built:
            return
        declared = self._declared_shape()
        if declared is not None:
            shapes = [declared]
        if shapes is None:
            raise ValueError(f"Model '{self.name}' has no input shape yet: give one with "
                             f"pynn.Input(shape=...), input_shape= on the first layer, or call it "
                             f"on data")
        if not self._layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers")
        self._input_shapes = [(None,) + tuple(shapes[0][1:])]
        # Built symbolically (each layer's compute_output_shape), never by running
        # the layers on a zero sample: activations are planned at first use, so
        # building (and load_model) costs no more than the weights. A file holding
        # UpSampling2D(16384) used to allocate a gigabyte here.
        self._symbolic_graph = None
        self._output_shape = tuple(self._graph(self._input_shapes[0])[1][0].shape)
        self.built = True
        self.input_shape = self._input_shapes[0]
        self.output_shape = self._output_shape
        self._collate()

    def _forward(self, inputs, training=False):
        x = inputs[0]
        for layer in self._layers:
            x = layer.call(x, training=training)
        return x

    def get_config(self):
        """Returns the model's configuration: its name, input shape and each layer's config.

        Returns
        -------
        dict
            JSON-serialisable; ``Sequential.from_config`` rebuilds the model from it.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)], name="tiny")
        >>> config = model.get_config()
        >>> config["name"], config["input_shape"], len(config["layers"])
        ('tiny', [4], 1)
        """
        from .saving import layer_to_config
        cfg = {"name": self.name, "layers": [layer_to_config(l) for l in self._layers]}
        shape = self._declared_shape() or (self._input_shapes[0] if self.built else None)
        if shape is not None:
            cfg["input_shape"] = list(shape[1:])
        return cfg

    @classmethod
    def from_config(cls, config):
        """Creates a new, freshly initialised model from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            As returned by ``get_config``.

        Returns
        -------
        Sequential

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
        >>> clone = pynn.Sequential.from_config(model.get_config())
        >>> clone.output_shape, clone.count_params()
        ((None, 2), 10)
        """
        from .saving import layer_from_config
        model = cls(name=config.get("name"))
        if config.get("input_shape") is not None:
            model.add(Input(shape=tuple(config["input_shape"])))
        for lc in config["layers"]:
            model.add(layer_from_config(lc))
        return model


class FunctionalModel(Model):
    """Model(inputs, outputs): a graph of layer calls recorded on pynn.Input tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        if isinstance(inputs, dict):  # Keras: Model(inputs={"a": Input(...), ...}, ...)
            self._input_keys = list(inputs)
            inputs = [inputs[k] for k in self._input_keys]
        self._inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for t in self._inputs + self._outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model inputs and outputs must come from pynn.Input and layer calls; "
                                f"got {type(t).__name__}")
        self._calls = topo_calls(self._outputs)
        known = {id(t) for t in self._inputs}
        for _, t in self._calls:
            for i in t.inputs:
                if i.layer is None and id(i) not in known:
                    raise ValueError(f"Model '{self.name}': output depends on an Input that is not "
                                     f"in `inputs` (shape {i.shape})")
        self._layers = keras_layer_order(self._outputs)  # Keras' order, hence its weight order
        self._input_shapes = [t.shape for t in self._inputs]
        self._output_shape = self._outputs[0].shape
        self.input_shape = self._input_shapes[0] if len(self._inputs) == 1 else self._input_shapes
        self.output_shape = self._output_shape
        self.built = True
        self._collate()

    def _first_layer_name(self, i):
        return f"Model '{self.name}' input {i}"

    @property
    def layers(self):
        """The model's layers in Keras' order (the pynn.ops calls of the graph are
        operations, not layers: Keras does not list them either)."""
        return [l for l in self._layers if not getattr(l, "_is_operation", False)]

    def _graph(self):
        return self._inputs, self._outputs

    def _ensure_built(self, shapes=None):
        pass

    def _forward(self, inputs, training=False):
        values = {id(t): x for t, x in zip(self._inputs, inputs)}
        for _, t in self._calls:
            args = [values[id(i)] for i in t.inputs[:getattr(t, "n_positional", len(t.inputs))]]
            arg = call_argument(t, args)
            kwargs = {k: substitute(v, values) for k, v in getattr(t, "call_kwargs", {}).items()}
            out = t.layer.call(arg, training=training, **kwargs)
            for sib in getattr(t, "siblings", [t]):  # the graph walk met only one of them
                values[id(sib)] = out[sib.index] if isinstance(out, (list, tuple)) else out
        outs = [values[id(t)] for t in self._outputs]
        return outs[0] if len(outs) == 1 else outs


def _takes_training(method):
    import inspect
    params = inspect.signature(method).parameters
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _is_dataframe(x):
    """A pandas DataFrame, recognised without importing pandas (an optional extra)."""
    return type(x).__name__ == "DataFrame" and hasattr(x, "columns") and hasattr(x, "to_numpy")


_FUNCTIONAL_SUBCLASSES = {}


def _functional_subclass(cls):
    """cls with FunctionalModel's graph machinery under it (made once per class)."""
    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, FunctionalModel),
                                           {"__module__": cls.__module__})
    return _FUNCTIONAL_SUBCLASSES[cls]


class _OutputLoss(metrics_mod.Metric):
    """Tracks one output's loss in a model with several outputs (Keras logs it as
    "<output>_loss"): its statistic is Σ w·l over the batch, divided by the
    number of samples when the log is made."""

    def __init__(self, name):
        super().__init__(name)

    def value_from(self, acc):
        return float(acc[0])


def _summed_loss(loss, y, p, w):
    """Σ w·l for one output's loss over the batch (a graph op)."""
    if hasattr(loss, "call"):
        try:
            return loss.call(y, p, sample_weight=w, reduction="sum")
        except NotImplementedError:
            pass
    from . import ops
    return loss(y, p, sample_weight=w) * ops.sum(w * 0.0 + 1.0)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with ``model.save`` (see `pynn.saving.load_model`).

    Parameters
    ----------
    filepath : str or path-like
        A ``.keras`` file written by pynn.
    custom_objects : dict, optional
        ``{class name: class}`` for custom layers not registered with
        `pynn.layers.register`.
    compile : bool, default True
        Restore the compile settings and optimizer state.
    safe_mode : bool, default True
        Accepted for Keras compatibility: pynn never runs code from a file.

    Returns
    -------
    Model

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)]).save(path)
    >>> pynn.models.load_model(path).output_shape
    (None, 1)
    """
    from .saving import load_model as _load_model
    return _load_model(filepath, custom_objects=custom_objects, compile=compile,
                       safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True):
    """Saves a model to a ``.keras`` file, as ``model.save(filepath)``.

    Parameters
    ----------
    model : Model
        The model to save.
    filepath : str or path-like
        Where to write.
    overwrite : bool, default True
        Replace an existing file.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> pynn.models.save_model(pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1)]),
    ...                        path)
    >>> os.path.exists(path)
    True
    """
    from .saving import save_model as _save_model
    _save_model(model, filepath, overwrite=overwrite)


from .model_config import clone_model, model_from_json  # noqa: E402  (keras.models' functions)
