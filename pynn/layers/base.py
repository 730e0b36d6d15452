"""The layer lifecycle, as in Keras: constructor config -> build(input_shape) ->
call(inputs). Layers compose engine ops (pynn.ops); they do no numerics in Python.

A layer's weights are `Variable`s: NumPy arrays that, once the layer belongs to a
model, are views into the model's parameter arena (writing into them changes the
model, without copies)."""
import contextlib
import functools
import inspect
import re
import threading

import numpy as np

from .. import _C, initializers, regularizers
from ..tensor import Tensor

_name_counts = {}


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base):
    """Keras' automatic names: dense, dense_1, dense_2, ..."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


_context = threading.local()

# Set once any layer calls add_loss, so that models whose layers never do skip looking
# for loss terms on their cheap inference path.
losses_used = [False]

# Bumped whenever a layer is frozen / unfrozen or a model collates weights into its arenas,
# so that a model can tell in O(1) that its own arenas may be stale (Model._ensure_collated).
layout_version = [0]


def resolve_training(training):
    """`training` as given, else that of the enclosing model call: Keras' call
    context, so that the layers a subclassed model's call() uses without passing
    `training` (Dropout, BatchNormalization) still know whether it is training."""
    return getattr(_context, "training", False) if training is None else bool(training)


@contextlib.contextmanager
def training_context(training):
    previous = getattr(_context, "training", False)
    _context.training = training
    try:
        yield
    finally:
        _context.training = previous


def clear_session():
    """Resets automatic layer names (as keras.backend.clear_session)."""
    _name_counts.clear()


class Variable(np.ndarray):
    """A layer weight: a float32 NumPy array with Keras' Variable conveniences
    (`name`, `trainable`, `numpy()`, `assign()`, `assign_add()`, `assign_sub()`).

    `Variable(initializer, shape=None, dtype=None, trainable=True, name=None)` makes
    one as keras.Variable does: `initializer` is the value (an array or a number), or
    an initializer (name or callable) applied to `shape`. Assigned to an attribute
    of a layer, it is one of that layer's weights."""

    def __new__(cls, initializer=None, shape=None, dtype=None, trainable=True, name=None,
                **kwargs):
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"Variable: only float32 is supported, got dtype={dtype!r}")
        if initializer is None:
            raise ValueError("Variable needs an initial value or an initializer")
        if isinstance(initializer, str) or (callable(initializer)
                                            and not isinstance(initializer, np.ndarray)):
            if shape is None:
                raise ValueError(f"Variable: initializer {initializer!r} needs shape=")
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            value = initializers.get(initializer)(tuple(int(s) for s in shape))
        else:
            value = np.asarray(initializer, dtype=np.float32)
            if shape is not None and tuple(value.shape) != tuple(shape):
                raise ValueError(f"Variable: the initial value has shape {value.shape}, "
                                 f"but shape={tuple(shape)} was given")
        return make_variable(value, name or "variable", bool(trainable))

    def __array_finalize__(self, obj):
        pass

    def numpy(self):
        return np.asarray(self)

    def assign(self, value):
        value = np.asarray(value, dtype=np.float32)
        if value.shape != self.shape:
            raise ValueError(f"Variable '{self.name}': cannot assign a value of shape {value.shape} "
                             f"to a variable of shape {self.shape}")
        self[...] = value
        return self

    def _operand(self, value, what):
        value = np.asarray(value, dtype=np.float32)
        try:
            return np.broadcast_to(value, self.shape)
        except ValueError:
            raise ValueError(f"Variable '{self.name}'.{what}: cannot assign a value of shape "
                             f"{value.shape} to a variable of shape {self.shape}") from None

    def assign_add(self, value):
        return self.assign(np.asarray(self) + self._operand(value, "assign_add"))

    def assign_sub(self, value):
        return self.assign(np.asarray(self) - self._operand(value, "assign_sub"))

    @property
    def value(self):
        return np.asarray(self)

    @property
    def path(self):
        return self.name


def make_variable(array, name, trainable, regularizer=None):
    v = np.asarray(array, dtype=np.float32, order="C").view(Variable)  # keeps 0-d scalars 0-d
    v.name, v.trainable, v.regularizer, v._tensor = name, trainable, regularizer, None
    return v


def rebind_variable(old, new_memory):
    """A Variable over new_memory with old's values and attributes."""
    new_memory[...] = old
    v = new_memory.view(Variable)
    v.name, v.trainable, v.regularizer, v._tensor = old.name, old.trainable, old.regularizer, None
    return v


def refuse_unsupported(layer, **options):
    """Keras options pynn does not implement raise, rather than being ignored."""
    for name, value in options.items():
        if value is not None:
            raise ValueError(f"{layer}: {name} is not supported yet, got {value!r}")


def per_sample(shape):
    return tuple(shape[1:]) if shape is not None else None


class Layer:
    """Base class of all layers. Subclasses implement build() and call()."""

    def __init_subclass__(cls, **kwargs):
        # Keras lets call() leave out `training`; pynn always passes it, so such a
        # call() is wrapped to drop it (as Keras inspects the signature).
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            # Keras marks a layer built once its build() returns, so that weights set
            # after `layer.build(shape)` are kept when the layer is first called
            @functools.wraps(build)
            def build_and_mark(self, *args, **kw):
                out = build(self, *args, **kw)
                self.built = True
                return out
            build_and_mark._marks_built = True
            cls.build = build_and_mark
        call = cls.__dict__.get("call")
        if call is None:
            return
        params = inspect.signature(call).parameters
        takes_training = "training" in params or any(p.kind is p.VAR_KEYWORD
                                                     for p in params.values())
        tensors = 0  # leading required positional parameters: the call's input tensors
        for p in list(params.values())[1:]:
            if p.kind is not p.POSITIONAL_OR_KEYWORD or p.default is not p.empty \
                    or p.name in ("training", "mask"):
                break
            tensors += 1
        if tensors >= 2:
            # Keras: layer(a, b) for call(self, a, b): pynn hands the call its inputs as
            # one list (as for Add or Concatenate), unpacked here
            @functools.wraps(call)
            def call_unpacked(self, inputs, training=False, **kw):
                if takes_training:
                    kw["training"] = training
                return call(self, *inputs, **kw)
            cls.call = call_unpacked
            return
        if takes_training:
            return

        @functools.wraps(call)
        def call_without_training(self, inputs, training=False, **kw):
            return call(self, inputs, **kw)
        cls.call = call_without_training

    def __new__(cls, *args, **kwargs):
        # Keras 3 records the constructor arguments, so that a custom layer that does not
        # write get_config() can still be saved and rebuilt (see get_config)
        obj = super().__new__(cls)
        obj._init_args = (args, kwargs)
        return obj

    def __init__(self, name=None, trainable=True, input_shape=None, input_dim=None, dtype=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"{type(self).__name__}: only float32 is supported, got dtype={dtype!r}")
        self.name = name or unique_name(_snake(type(self).__name__))
        self.trainable = trainable
        self.built = False
        self._weights = []
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self.input_shape = None    # batch shape seen at build: (None, ...)
        self.output_shape = None
        self.supports_masking = False
        self._losses = []

    # ------------------------------------------------------------ add_loss
    def add_loss(self, loss):
        """Keras' add_loss: a scalar loss term computed in call() (an activity penalty,
        a KL term...), added to the training loss of the model the layer is in."""
        if not isinstance(loss, Tensor):
            loss = Tensor(np.asarray(loss, dtype=np.float32))
        if loss.size != 1:
            raise ValueError(f"{type(self).__name__} '{self.name}'.add_loss expects a scalar, got "
                             f"a tensor of shape {tuple(loss.shape)}")
        self.__dict__.setdefault("_losses", []).append(loss)
        losses_used[0] = True

    def _all_layers(self):
        """This layer and every layer inside it, each once."""
        out, seen, todo = [], set(), [self]
        while todo:
            layer = todo.pop(0)
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                todo.extend(layer._child_layers())
        return out

    def _clear_losses(self):
        for layer in self._all_layers():
            layer.__dict__["_losses"] = []

    def _added_losses(self):
        return [t for layer in self._all_layers() for t in layer.__dict__.get("_losses", [])]

    @property
    def losses(self):
        """The add_loss terms of the last call, then the weight regularization
        penalties (Keras' order), as scalar Tensors."""
        penalties = []
        for layer in self._all_layers():
            for var in layer._weights:
                if getattr(var, "regularizer", None) is not None:
                    penalties.append(var.regularizer(layer.tensor(var)))
        return self._added_losses() + penalties

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = value
        for layer in self._child_layers():  # Keras: freezing a layer freezes what it holds
            layer.trainable = value
        layout_version[0] += 1

    # ------------------------------------------------------------ sub-layers
    def __setattr__(self, name, value):
        # A Variable assigned to an attribute is one of the layer's weights, as in Keras
        # (add_weight already records its own; one owned by a sub-layer stays there).
        if (isinstance(value, Variable) and not name.startswith("_") and "_weights" in self.__dict__
                and all(value is not w for w in self.weights)):
            self._weights.append(value)
            self.tensor(value)  # ops on it in call() reach its gradient, as add_weight's
        object.__setattr__(self, name, value)

    def _child_layers(self):
        """The layers this layer holds in its attributes (alone, or in lists, tuples or
        dicts), in the order of the attributes: Keras tracks these, so their weights are
        this layer's weights — trained, saved and frozen with it. Read from the
        attributes each time, so that a list filled after assignment counts too."""
        found, seen = [], {id(self)}
        for key, value in self.__dict__.items():
            if key.startswith("_"):
                continue
            items = value.values() if isinstance(value, dict) else \
                value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                if isinstance(item, Layer) and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
        return found

    def _owner_of(self, var):
        """The layer (this one or one it holds) whose own weight `var` is."""
        if any(w is var for w in self._weights):
            return self
        for layer in self._child_layers():
            owner = layer._owner_of(var)
            if owner is not None:
                return owner
        return None

    # ------------------------------------------------------------ weights
    def add_weight(self, name=None, shape=None, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None, constraint=None):
        """A new weight of `shape`. Takes tf.keras' order (name first) and, by keyword
        or with the shape first, Keras 3's `add_weight(shape=..., initializer=...)`."""
        if shape is None and name is not None and not isinstance(name, str):
            name, shape = None, name  # Keras 3: add_weight((3, 4), ...)
        if shape is None:
            raise TypeError(f"{type(self).__name__}.add_weight: shape is required")
        if constraint is not None:
            raise ValueError(f"{type(self).__name__}.add_weight: weight constraints are not "
                             f"supported, got constraint={constraint!r}")
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"{type(self).__name__}.add_weight: only float32 weights are "
                             f"supported, got dtype={dtype!r}")
        if name is None:  # Keras' automatic names: variable, variable_1, ...
            n = sum(w.name.split("/")[-1].startswith("variable") for w in self._weights)
            name = "variable" if n == 0 else f"variable_{n}"
        shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
        return self._add_weight(name, shape, initializer, regularizer, trainable)

    def _add_weight(self, name, shape, initializer, regularizer, trainable):
        init = initializers.get(initializer if initializer is not None else "glorot_uniform")
        value = init(tuple(int(s) for s in shape))
        var = make_variable(value, f"{self.name}/{name}", trainable, regularizers.get(regularizer))
        self._weights.append(var)
        self.tensor(var)  # so that ops on the weight itself (custom layers) track its gradient
        return var

    @property
    def weights(self):
        """Its own weights, then those of the layers it holds (Keras' order)."""
        out, seen = list(self._weights), {id(w) for w in self._weights}
        for layer in self._child_layers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out = [w for w in self._weights if w.trainable]
        seen = {id(w) for w in out}
        for layer in self._child_layers():
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        weights, mine = list(weights), self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Layer '{self.name}' expects {len(mine)} weight arrays "
                             f"(shapes {[w.shape for w in mine]}), got {len(weights)}")
        for var, value in zip(mine, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(f"Layer '{self.name}': weight '{var.name}' has shape {var.shape}, "
                                 f"got an array of shape {value.shape}")
        for var, value in zip(mine, weights):
            var[...] = value

    def _replace_variable(self, old, new):
        """Points the layer (list and attributes) at a new Variable."""
        self._weights = [new if w is old else w for w in self._weights]
        for k, v in list(self.__dict__.items()):
            if v is old:
                self.__dict__[k] = new

    def tensor(self, var):
        """The engine Tensor over a Variable's memory (cached, zero-copy)."""
        if var._tensor is None:
            var._tensor = Tensor(var, requires_grad=bool(var.trainable and self.trainable))
        return var._tensor

    # ------------------------------------------------------------ lifecycle
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__}.call")

    def compute_output_shape(self, input_shape):
        """Output batch shape, found by running the layer on zeros of batch 1."""
        was = _C.set_grad_enabled(False)
        try:
            zeros = lambda s: Tensor(np.zeros((1,) + tuple(s[1:]), np.float32))  # noqa: E731
            x = [zeros(s) for s in input_shape] if isinstance(input_shape, list) else \
                zeros(input_shape)
            y = self.call(x, training=False)
        finally:
            _C.set_grad_enabled(was)
        return (None,) + tuple(y.shape[1:])

    def _check_input(self, shape):
        """Hook for layers to validate the per-sample shape (raise ValueError)."""

    def _maybe_build(self, batch_shape):
        if isinstance(batch_shape, list):  # several inputs (Add, Concatenate, attention)
            batch_shape = [(None,) + tuple(s[1:]) for s in batch_shape]
        else:
            batch_shape = (None,) + tuple(batch_shape[1:])
            if (not self.built and self._input_shape_arg is not None
                    and tuple(batch_shape[1:]) != self._input_shape_arg):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' was declared with input_shape="
                    f"{self._input_shape_arg} (per-sample), got per-sample shape {batch_shape[1:]}")
        self._check_input(batch_shape)
        if not self.built:
            self.build(batch_shape)
            self.built = True
            self.input_shape = batch_shape

    def __call__(self, inputs, *args, training=None, **kwargs):
        if len(args) == 1 and isinstance(args[0], (bool, np.bool_)) and training is None:
            training = bool(args[0])  # layer(x, True): `training` given by position
        elif args:  # layer(a, b): several input tensors, as Keras passes them to call(a, b)
            inputs = [inputs, *args]
        training = resolve_training(training)
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if getattr(first, "_is_symbolic", False):  # functional API: pynn.Input(...)
            from ..functional import symbolic_call
            return symbolic_call(self, inputs, training=training, **kwargs)
        self.__dict__["_losses"] = []  # layer.losses: those of the latest call (Keras)
        if isinstance(inputs, (list, tuple)):
            inputs = [t if isinstance(t, Tensor) else Tensor(t) for t in inputs]
            self._maybe_build([t.shape for t in inputs])
            return self.call(inputs, training=training, **kwargs)
        if not isinstance(inputs, Tensor):
            inputs = Tensor(inputs)
        self._maybe_build(inputs.shape)
        out = self.call(inputs, training=training, **kwargs)
        if self.output_shape is None:
            self.output_shape = (None,) + tuple(out.shape[1:])
        return out

    # ------------------------------------------------------------ graph
    @property
    def input(self):
        """The symbolic input of the layer's (first) call in a functional graph."""
        return self._symbolic("input")

    @property
    def output(self):
        """The symbolic output of the layer's (first) call in a functional graph, e.g.
        to build a feature extractor: Model(model.inputs, [l.output for l in model.layers])."""
        return self._symbolic("output")

    def _symbolic(self, which):
        value = getattr(self, f"_symbolic_{which}", None)
        if value is None:
            raise ValueError(f"Layer '{self.name}' has never been called on a symbolic input "
                             f"(pynn.Input) and thus has no defined {which}")
        return value

    # ------------------------------------------------------------ config
    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable}
        if self._input_shape_arg is not None:
            cfg["input_shape"] = list(self._input_shape_arg)
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            cfg = self._auto_config(cfg)
        return cfg

    def _auto_config(self, cfg):
        """Keras 3's config of a custom layer that does not write get_config(): the
        arguments its constructor was called with (when they are JSON data), and of
        the base entries only those the constructor accepts."""
        import json
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *self._init_args[0],
                                                                **self._init_args[1])
        except (TypeError, AttributeError):
            return cfg
        params = inspect.signature(type(self).__init__).parameters
        args = {}
        for name, value in list(bound.arguments.items())[1:]:
            if params[name].kind is inspect.Parameter.VAR_KEYWORD:
                args.update(value)
            elif params[name].kind is not inspect.Parameter.VAR_POSITIONAL:
                args[name] = value
        try:
            json.dumps(args)
        except (TypeError, ValueError):
            return cfg
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            cfg = {k: v for k, v in cfg.items() if k in params}
        cfg.update(args)
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
