"""Models, the layer graph: Model (functional and subclassed), Sequential, and
their layers, weights, build, call, summary and saving.

compile / fit / evaluate / predict live in `pynn.trainer` (Keras 3 keeps its
Trainer apart from the graph the same way); `Model` inherits them."""
import numpy as np

from . import _C
from .data_adapter import as_float_array
from .functional import (Input, KerasTensor, call_argument, keras_layer_order, substitute,
                         topo_calls)
from .host_stage import host_stage_for
from .layers.base import (Layer, checked_weight_value, losses_used, resolve_training,
                          training_context)
from .layers.core import InputLayer
from .tensor import Tensor
from .trainer import Trainer
from .trainer.steps import RetryInPython

__all__ = ["Model", "Sequential", "load_model", "save_model"]


class Model(Trainer, Layer):
    """A trainable graph of layers, with Keras' compile / fit / evaluate / predict.

    ``Model`` is the base of `Sequential` and is used in Keras' three ways:

    * functional: ``Model(inputs, outputs)`` on the tensors of a `pynn.Input` graph
      (several inputs and outputs allowed);
    * subclassed: subclass it, assign layers to attributes in ``__init__`` and use
      them in ``call(inputs, training=False)``;
    * as a layer of another model (transfer learning: set ``trainable=False``).

    Training runs on pynn's compiled driver: the model is traced once into an
    engine program and ``fit`` replays forward, loss, backward and the optimizer
    step for a whole epoch in one C call, with the GIL released. A subclass that
    overrides ``train_step`` (Keras' torch-backend idiom) has ``fit`` call it for
    every batch instead.

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

    # Called by fit on every training batch between backward and the optimizer step
    # as hook(grads, batch_rows): grads is the gradient the step applies, a writable
    # float32 view of the gradient arena (laid out as _gradient_arena_layout() says;
    # under DP-SGD the sum of the clipped per-example gradients, before noise and
    # normalisation); what the hook leaves there is applied. The seam for
    # data-parallel training (allreduce). None: no call at all.
    _gradient_hook = None

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs):
            return super().__new__(Functional)
        if (not issubclass(cls, (Functional, Sequential)) and type(cls).__call__ is type.__call__
                and _functional_arguments(args, kwargs) and cls.call is Model.call):
            # Keras: a Model subclass (overriding compute_loss, say) built with
            # (inputs, outputs) is a functional model of that class
            return super().__new__(_functional_subclass(cls))
        return super().__new__(cls)

    # the preprocessing layers run in NumPy on the raw inputs before the engine
    # (pynn/host_stage.py); None: the inputs go to the engine as they are
    _host_stage = None

    def __init__(self, *args, **kwargs):
        if not isinstance(self, Functional) and _functional_arguments(args, kwargs):
            # Keras 3's functional subclassing: a subclass whose __init__ builds a graph and
            # hands it to super().__init__(inputs=..., outputs=...) becomes a functional
            # model of its own class (keras.io's recipe for packaging models)
            self.__class__ = _functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        if len(args) > 1:
            raise TypeError(f"{type(self).__name__}: Model takes (inputs, outputs) or keyword "
                            f"arguments, got {len(args)} positional arguments")
        name = args[0] if args else kwargs.pop("name", None)
        self._layers = []
        super().__init__(name=name, **kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._programs = {}
        self._table = None

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
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r}; layers: {[l.name for l in layers]}")

    # A subclassed model's own add_weight() Variables come first, then its layers' (Keras'
    # order); Sequential and functional models have none of their own.
    @property
    def weights(self):
        """All weight variables (trainable first per layer): the model's own (a subclass's
        ``add_weight``), then its layers' Variables, which the model uses where they are
        (never copies)."""
        return list(self._weights) + [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        """The weights ``fit`` updates ([] when the model is frozen)."""
        if not self.trainable:  # a frozen model used as a layer (transfer learning)
            return []
        return [w for w in self._weights if w.trainable] + \
            [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        """Weights ``fit`` does not update (frozen layers, BatchNormalization's moving mean...)."""
        if not self.trainable:
            return self.weights
        return [w for w in self._weights if not w.trainable] + \
            [w for layer in self._layers for w in layer.non_trainable_weights]

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

    def _augments_alone(self):
        """Whether a layer of the model acts when the model is called on its own (an image
        augmentation), so that the inference program cannot stand in for the call."""
        return any(layer._standalone_training or (isinstance(layer, Model)
                                                  and layer._augments_alone())
                   for layer in self._layers)

    def _owner_of(self, var):
        """The layer holding weight `var`, looking inside models and custom layers
        used as layers."""
        if any(w is var for w in self._weights):
            return self
        for layer in self._layers:
            owner = layer._owner_of(var)
            if owner is not None:
                return owner
        return None

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

        The values are copied into the weights' memory, so ``layer.kernel`` (the
        same Variable the model trains) sees the new values.

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

    # ------------------------------------------------------------ weight table
    def _bind_weights(self):
        """Makes the model's weight table its trainable weights now and binds their
        gradients into its gradient arena; returns the table.

        Weights are never moved: each Variable keeps the memory it was born with,
        so a weight held anywhere (a list, a dict, a sub-object, another model
        sharing the layer) is the one that trains. The table is what the optimizer
        steps (one segment per weight, bound by `_build_optimizer`); the gradients are one
        contiguous arena (offsets in table order), which the gradient hook, DP-SGD
        and the optimizer state are laid out by. Freezing edits the table, never
        memory. The gradients are bound again when the table changed or when any
        gradient was bound elsewhere since (another model sharing layers binds the
        same weights' gradients to its own arena; ``t.grad = None`` drops one), which
        `_C.grad_binding_version` tells; else the table in place is returned as it is
        (fit asks before every epoch)."""
        table = self.trainable_weights
        old = getattr(self, "_table", None)
        if old is None or len(old) != len(table) or any(a is not b for a, b in zip(old, table)):
            self._table = table
            self._segments = [int(v.size) for v in table]
            self._segment_shapes = [tuple(v.shape) for v in table]
            self._grads = np.zeros(max(sum(self._segments), 1), np.float32)
            # a train program records which weights require gradients: trace again
            self._programs = {}
            self._grads_bound_at = None
        if getattr(self, "_grads_bound_at", None) != _C.grad_binding_version():
            off = 0
            for var in self._table:
                _C.bind_grad(var.value, self._grads[off:off + var.size].reshape(var.shape))
                off += var.size
            self._grads_bound_at = _C.grad_binding_version()
        return self._table

    def _gradient_arena_layout(self):
        """[(weight path, offset, size)] of the trainable weights in the gradient
        arena that fit's gradient hook receives, in arena order."""
        self._require_built("_gradient_arena_layout")
        layout, off = [], 0
        for var in self._bind_weights():
            layout.append((var.path, off, int(var.size)))
            off += int(var.size)
        return layout

    # ------------------------------------------------------------ subclassed models
    def _subclassed(self):
        return type(self).call is not Model.call

    def __setattr__(self, name, value):
        # a subclassed model owns the layers assigned to its attributes, in that order
        # (Keras tracks them the same way; lists of layers too), whether it defines call()
        # or only a custom train_step over the models it holds (the guide's GAN); a
        # Sequential or functional model's layers are its graph
        if (not name.startswith("_") and "_layers" in self.__dict__
                and type(self)._forward is Model._forward):
            if type(value) is list:  # layers appended to it later count too
                value = _LayerList(value, self)
            for layer in value if isinstance(value, (list, tuple)) else [value]:
                self._track(layer)
        super().__setattr__(name, value)

    def _track(self, layer):
        if isinstance(layer, Layer) and not any(l is layer for l in self._layers):
            self._layers.append(layer)

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
        self._bind_weights()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model from ``get_config()``'s dict (Keras' ``Model.from_config``).

        A functional model's config (its layers and their calls) is rebuilt as a graph,
        with fresh weights; a subclassed model's is passed to its constructor.

        Parameters
        ----------
        config : dict
            As returned by ``get_config``.
        custom_objects : dict, optional
            ``{class name: class}`` for custom layers.

        Returns
        -------
        Model

        Examples
        --------
        >>> inputs = pynn.Input(shape=(4,))
        >>> model = pynn.Model(inputs, pynn.layers.Dense(2)(inputs))
        >>> clone = pynn.Model.from_config(model.get_config())
        >>> clone.output_shape, clone.count_params()
        ((None, 2), 10)
        """
        from .saving import _functional_from_config
        if isinstance(config, dict) and {"inputs", "layers", "calls", "outputs"} <= set(config):
            return _functional_from_config(config, custom_objects)
        return cls(**config)

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
        # None: called on its own, each layer takes its default (Keras: image augmentations
        # augment, Dropout does not)
        training = resolve_training(training)
        if isinstance(inputs, dict) and any(getattr(v, "_is_symbolic", False)
                                            for v in inputs.values()):
            return super().__call__(inputs, training=training, **kwargs)  # a dict call in a graph
        if getattr(inputs, "_is_symbolic", False):
            return super().__call__(inputs, training=training, **kwargs)
        if self._host_stage is not None and not isinstance(inputs, Tensor):
            inputs = self._host_stage.run(self._split_inputs(inputs))  # raw strings -> numbers
            inputs = inputs[0] if len(inputs) == 1 else inputs
        if not self.built and isinstance(inputs, np.ndarray):
            self._ensure_built([inputs.shape])
        if (not training and (training is False or not self._augments_alone())
                and isinstance(inputs, np.ndarray) and self.built and self._n_outputs() == 1
                and not (losses_used[0] and self._added_losses())  # model.losses: run eagerly
                and not self.__dict__.get("_steps_in_python", False)):  # call() assigns
            # The cheap inference path: NumPy in, the traced inference program
            # replayed by one C call (no graph is recorded: pass a Tensor for that).
            # A program is cached only for a per-sample shape that passed the checks,
            # so finding one for ready float32 data is the whole check.
            fast = (self._programs.get(("fast", inputs.shape[1:]))
                    if inputs.dtype == np.float32 and inputs.flags.c_contiguous else None)
            if fast is None:
                inputs = self._adjust_rank([as_float_array(inputs, "model input")])[0]
                self._check_x_shapes([inputs.shape])
                try:
                    fast = self._fast_path(tuple(inputs.shape[1:]))
                except RetryInPython:  # a layer's call() assigns a variable: run it eagerly
                    return self.__call__(inputs, training=training, **kwargs)
            run, y_pred = fast
            self._begin_use("calling the model")
            try:
                return Tensor(run([inputs], y_pred))
            finally:
                self._end_use("calling the model")
        xs = [inputs] if isinstance(inputs, Tensor) else self._split_inputs(inputs)
        xs = [x if isinstance(x, Tensor) else Tensor(as_float_array(x, "model input")) for x in xs]
        self._ensure_built([x.shape for x in xs])
        xs = self._adjust_rank(xs)  # as fit and predict (and Keras' call)
        self._check_x_shapes([x.shape for x in xs])
        if losses_used[0]:
            self._clear_losses()  # model.losses: the add_loss terms of this call
        return self._forward(xs, training=training)

    def _fast_path(self, per_sample):
        """(run, y_pred): the inference program's one-call replay for inputs of this
        per-sample shape, for a single-input, single-output model."""
        fast = self._programs.get(("fast", per_sample))
        if fast is None:
            entry = self._program("predict", x_shapes=[per_sample])
            fast = self._programs[("fast", per_sample)] = (entry["prog"].run, entry["y_pred"])
        return fast

    def _n_outputs(self):
        return len(getattr(self, "_outputs", [None]))

    def _output_names(self):
        return [t.layer.name for t in self._outputs] if self._n_outputs() > 1 else [None]

    def _ensure_built_if_possible(self):
        if not self.built and getattr(self, "_declared_shape", lambda: None)() is not None:
            self._ensure_built()

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
        n_inputs = len(self._host_stage.inputs) if self._host_stage is not None else \
            len(self._input_shapes) if hasattr(self, "_input_shapes") else 1
        if n_inputs == 1 and len(x) != 1:
            return [x]
        return list(x)

    def _dict_keys(self):
        """The keys of a dict-input model (Model(inputs={...}) or a subclassed model
        first called with a dict), else None."""
        return self.__dict__.get("_input_keys")

    def _build_from_raw(self, raw):
        """Hook: a model whose first layers take raw data builds from its shape."""

    def _adjust_rank(self, xs):
        """Keras' input rank adjustment: a feature axis of size 1 may be left out
        (x of shape (n,) for inputs of shape (None, 1)) or added."""
        from . import ops
        out = []
        for a, want in zip(xs, self._input_shapes):
            if len(a.shape) == len(want) - 1 and want[-1] == 1:
                a = a[..., None] if isinstance(a, np.ndarray) else ops.expand_dims(a, -1)
            elif len(a.shape) == len(want) + 1 and a.shape[-1] == 1:
                a = a[..., 0] if isinstance(a, np.ndarray) else ops.squeeze(a, -1)
            out.append(a)
        return out + xs[len(out):]

    def _check_x_shapes(self, shapes):
        if len(shapes) != len(self._input_shapes):
            raise ValueError(f"Model '{self.name}' expects {len(self._input_shapes)} input(s), "
                             f"got {len(shapes)}")
        if not isinstance(self, (Sequential, Functional)):
            # a subclassed model's call() decides what it accepts, as in Keras: the shape it
            # was built with is not a contract (a Transformer built for 12 tokens reads 8)
            return
        for i, (got, want) in enumerate(zip(shapes, self._input_shapes)):
            if len(got) != len(want) or any(w is not None and g != w
                                            for g, w in zip(got[1:], want[1:])):
                first = self._first_layer_name(i)
                raise ValueError(
                    f"{first} expects inputs of per-sample shape {tuple(want[1:])} (batch shape "
                    f"{(None,) + tuple(want[1:])}); got a batch of shape {tuple(got)}")

    def _output_shapes(self):
        return [t.shape for t in self._outputs] if hasattr(self, "_outputs") else [self._output_shape]

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
        state) to one file.

        ``.pynn``: pynn's format, a zip of ``config.json`` and ``weights.npz``.
        ``.keras``: Keras 3's native format (Keras 3 loads it, same predictions),
        with pynn's members inside too, so `pynn.load_model` restores everything
        (see `pynn.saving.save_model`). Loading never unpickles or runs code from
        the file.

        Parameters
        ----------
        filepath : str or path-like
            Where to write: ``.pynn``, ``.keras``, or ``.h5`` / ``.hdf5`` (Keras'
            legacy HDF5 model: architecture and weights, needs h5py).
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


class _LayerList(list):
    """A list assigned to an attribute of a subclassed model. The layers put in it later
    (``self.ensemble = []``, then ``self.ensemble.append(Tree())``, as keras.io's neural
    decision forest does) become the model's layers too, in that order, as Keras'
    tracked lists make them."""

    def __init__(self, items, model):
        super().__init__(items)
        self._model = model

    def append(self, item):
        super().append(item)
        self._model._track(item)

    def insert(self, index, item):
        super().insert(index, item)
        self._model._track(item)

    def extend(self, items):
        items = list(items)
        super().extend(items)
        for item in items:
            self._model._track(item)

    def __iadd__(self, items):
        self.extend(items)
        return self

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        for item in (value if isinstance(key, slice) else [value]):
            self._model._track(item)


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

    _n_host = 0  # leading preprocessing layers, run by the host stage

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._declared_input = None
        self._declared_dtype = None
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
            self._declared_dtype = layer.dtype
            self._declared_batch = layer.batch_size  # for stateful layers (Keras asks for it)
            return
        if isinstance(layer, InputLayer):
            self._declared_input = (None,) + layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if any(l is layer for l in self._layers):
            raise ValueError(f"Layer '{layer.name}' is already in this model")
        self._layers.append(layer)
        if getattr(layer, "stateful", False) and getattr(layer, "_batch_size", 0) is None:
            layer._batch_size = getattr(self, "_declared_batch", None)
        self._invalidate()
        # Keras builds at once when the input shape is known (pynn.Input or input_shape=),
        # and grows a built model at once
        if self.built or self._declared_shape() is not None:
            shapes = self._raw_shapes() if self.built else None
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
            self._ensure_built(self._raw_shapes())
        return layer

    def _invalidate(self):
        self._programs = {}
        self._symbolic_graph = None
        self.compiled_metrics = None if self.compiled else getattr(self, "compiled_metrics", None)

    def _check_x_shapes(self, shapes):
        # the first layer words the error when it can (Dense: "expects inputs whose last
        # dimension is 10 (per-sample shape (10,)); got a batch of shape (32, 12)")
        # A wrong rank is worded by the model, which names the declared input shape.
        first = self._layers[self._n_host] if len(self._layers) > self._n_host else None
        if (len(shapes) == 1 and self.built and first is not None and first.built
                and len(shapes[0]) == len(self._input_shapes[0])
                and tuple(shapes[0][1:]) != tuple(self._input_shapes[0][1:])):
            first._check_input(tuple(shapes[0]))
            if self._declared_shape() is None:
                # built from the first batch, nothing declared: Keras runs the layers on
                # any per-sample shape they take (a Sequential inside a Transformer block
                # built on 12 tokens reads 8), so only the rank and what the first layer
                # checks are fixed
                return
        super()._check_x_shapes(shapes)

    def _graph(self, shape=None):
        """Keras: a Sequential with a known input shape is also a graph of layer calls
        (model.inputs, layer.output), replayed here on a symbolic Input."""
        if getattr(self, "_symbolic_graph", None) is None:
            shape = shape or self._declared_shape() or \
                (self._raw_shapes()[0] if self.built else None)
            if shape is None:
                raise ValueError(f"Sequential model '{self.name}' has no defined input yet: give "
                                 f"it pynn.Input(shape=...) or build it first")
            x = Input(shape=tuple(shape[1:]), dtype=self._declared_dtype)
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
        inputs, outputs = self._graph(self._input_shapes[0])
        self._output_shape = tuple(outputs[0].shape)
        self.input_shape = self._input_shapes[0]
        self._host_stage = host_stage_for(self.name, inputs, topo_calls(outputs), outputs)
        self._n_host = 0 if self._host_stage is None else len(self._host_stage.calls)
        if self._host_stage is not None:  # the engine takes what the preprocessing gives
            self._input_shapes = [tuple(b.shape) for b in self._host_stage.boundary]
        self.built = True
        self.output_shape = self._output_shape
        self._bind_weights()

    def _forward(self, inputs, training=False):
        x = inputs[0]
        for layer in self._layers[self._n_host:]:  # the host stage ran the first ones
            x = layer._call_with_masks(x, training, {})
        return x

    def _raw_shapes(self):
        """The batch shape of the data the model takes (before any preprocessing)."""
        return [self.input_shape] if self._host_stage is not None else self._input_shapes

    def _build_from_raw(self, raw):
        if len(raw) == 1 and self._layers and getattr(self._layers[0], "_host", False):
            self._ensure_built([np.shape(raw[0])])

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
        if self._declared_dtype is not None:
            cfg["input_dtype"] = self._declared_dtype
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a new, freshly initialised model from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            As returned by ``get_config``.
        custom_objects : dict, optional
            ``{class name: class}`` for custom layers, as Keras.

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
            model.add(Input(shape=tuple(config["input_shape"]), dtype=config.get("input_dtype")))
        for lc in config["layers"]:
            model.add(layer_from_config(lc, custom_objects))
        return model


class Functional(Model):
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
        self._host_stage = host_stage_for(self.name, self._inputs, self._calls, self._outputs)
        # what the engine program takes: the Inputs, or where the preprocessing ends
        self._numeric_inputs, self._numeric_calls = (self._inputs, self._calls) \
            if self._host_stage is None else (self._host_stage.boundary,
                                              self._host_stage.numeric_calls)
        self._input_shapes = [t.shape for t in self._numeric_inputs]
        self._output_shape = self._outputs[0].shape
        raw_shapes = [t.shape for t in self._inputs]  # Keras' input_shape: the Inputs'
        self.input_shape = raw_shapes[0] if len(self._inputs) == 1 else raw_shapes
        self.output_shape = self._output_shape
        self.built = True
        self._bind_weights()

    def _first_layer_name(self, i):
        return f"Model '{self.name}' input {i}"

    def get_config(self):
        """The graph as JSON data: its inputs, each layer's config, the calls joining them
        and the outputs (what ``model.save`` stores); `Model.from_config` rebuilds it.

        Returns
        -------
        dict

        Examples
        --------
        >>> inputs = pynn.Input(shape=(4,))
        >>> model = pynn.Model(inputs, pynn.layers.Dense(2)(inputs), name="tiny")
        >>> config = model.get_config()
        >>> config["name"], [l["class_name"] for l in config["layers"]]
        ('tiny', ['Dense'])
        """
        from .saving import _functional_config
        return _functional_config(self)

    @property
    def layers(self):
        """The model's layers in Keras' order, its InputLayers first (the pynn.ops calls
        of the graph are operations, not layers: Keras does not list them either)."""
        return [l for l in keras_layer_order(self._outputs, with_inputs=True)
                if not getattr(l, "_is_operation", False)]

    def _graph(self):
        return self._inputs, self._outputs

    def _ensure_built(self, shapes=None):
        pass

    def _forward(self, inputs, training=False):
        values = {id(t): x for t, x in zip(self._numeric_inputs, inputs)}
        for _, t in self._numeric_calls:
            args = [values[id(i)] for i in t.inputs[:getattr(t, "n_positional", len(t.inputs))]]
            arg = call_argument(t, args)
            kwargs = {k: substitute(v, values) for k, v in getattr(t, "call_kwargs", {}).items()}
            out = t.layer._call_with_masks(arg, training, kwargs)
            for sib in getattr(t, "siblings", [t]):  # the graph walk met only one of them
                values[id(sib)] = out[sib.index] if isinstance(out, (list, tuple)) else out
        outs = [values[id(t)] for t in self._outputs]
        return outs[0] if len(outs) == 1 else outs


def _is_dataframe(x):
    """A pandas DataFrame, recognised without importing pandas (an optional extra)."""
    return type(x).__name__ == "DataFrame" and hasattr(x, "columns") and hasattr(x, "to_numpy")


_FUNCTIONAL_SUBCLASSES = {}


def _functional_arguments(args, kwargs):
    """Whether a Model subclass is given (inputs, outputs), Keras 3's rule: a GAN made
    with (discriminator, generator, latent_dim) is a subclassed model, not a graph."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _functional_subclass(cls):
    """cls with Functional's graph machinery under it (made once per class)."""
    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, Functional),
                                           {"__module__": cls.__module__})
    return _FUNCTIONAL_SUBCLASSES[cls]



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
