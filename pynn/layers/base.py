"""The layer lifecycle, as in Keras: constructor config -> build(input_shape) ->
call(inputs). Layers compose engine ops (pynn.ops); they do no numerics in Python.

A layer's weights are `Variable`s: NumPy arrays whose memory is theirs from birth
and never moves. Models use them where they are (their optimizer steps a table of
them), so writing into one changes every model that holds the layer, without
copies."""
import contextlib
import functools
import inspect
import itertools
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


class _CallContext(threading.local):
    training = None  # outside any layer or model call; a thread's own value once set


# A class default rather than getattr(local, "training", False), whose miss raised
# and caught an AttributeError on every model call (~1 us of a one-sample predict).
_context = _CallContext()

# Set once any layer calls add_loss, so that models whose layers never do skip looking
# for loss terms on their cheap inference path.
losses_used = [False]

def resolve_training(training):
    """`training` as given, else that of the enclosing layer or model call: Keras' call
    context, so that the layers a call() uses without passing `training` (Dropout,
    BatchNormalization) still know whether it is training. None outside any call."""
    return _context.training if training is None else bool(training)


@contextlib.contextmanager
def training_context(training):
    previous = _context.training
    _context.training = training
    try:
        yield
    finally:
        _context.training = previous


def clear_session():
    """Resets the automatic layer names, as ``keras.backend.clear_session``.

    After it, the next Dense is named ``dense`` again (not ``dense_7``).

    Examples
    --------
    >>> pynn.layers.clear_session()
    >>> pynn.layers.Dense(2).name, pynn.layers.Dense(2).name
    ('dense', 'dense_1')
    >>> pynn.layers.clear_session()
    >>> pynn.layers.Dense(2).name
    'dense'
    """
    _name_counts.clear()


_attach_clock = itertools.count()  # orders layer creation and attribute assignment


class VariableWrittenWhileTraced(Exception):
    """A layer's call() assigned a Variable while pynn traced it into a compiled
    program. The program could not replay that write at every batch (keras.io's
    PixelCNN re-masks its kernel with ``kernel.assign(kernel * mask)`` in call()), so
    the model's fit / evaluate / predict run their steps eagerly instead, as Keras
    does; this exception only carries that news from the trace to the trainer."""


class Variable(np.ndarray):
    """A layer weight: a float32 NumPy array with Keras' Variable conveniences.

    A Variable keeps the memory it was created with for its whole life: models
    train it where it is (never a copy), so reading it costs nothing, and writing
    into it (``var[...] = value``, ``assign``, ``assign_add``,
    ``assign_sub``) changes the model's weight in place. It carries ``name``
    (``"layer/kernel"``), ``trainable`` and ``regularizer``. Layers create theirs
    with ``add_weight``; ``Variable(initializer, shape=None, dtype=None,
    trainable=True, name=None)`` makes one as ``keras.Variable`` does
    (``initializer``: the value, or an initializer name / callable applied to
    ``shape``), and a Variable assigned to an attribute of a layer is one of
    that layer's weights.

    Examples
    --------
    >>> layer = pynn.layers.Dense(2, name="hidden")
    >>> layer.build((None, 3))
    >>> kernel = layer.kernel
    >>> isinstance(kernel, np.ndarray), kernel.name, kernel.dtype
    (True, 'hidden/kernel', dtype('float32'))
    >>> v = pynn.Variable(np.array([1.0, 2.0]), name="v")
    >>> v.assign_add([0.5, 0.5])
    Variable([1.5, 2.5], dtype=float32)
    """

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
        """Returns the value as a plain ``numpy.ndarray``: a copy, as Keras' ``numpy()``,
        so that a value read before training keeps what it read (the variable itself
        is the live view, without copying).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> layer = pynn.layers.Dense(2, bias_initializer="ones")
        >>> layer.build((None, 3))
        >>> layer.bias.numpy()
        array([1., 1.], dtype=float32)
        """
        return np.array(self, copy=True).view(np.ndarray)

    def assign(self, value):
        """Writes a new value into the variable in place, as Keras' ``assign``.

        Parameters
        ----------
        value : array_like
            The new value, of exactly the variable's shape (converted to float32).

        Returns
        -------
        Variable
            The variable itself.

        Raises
        ------
        ValueError
            The value's shape differs from the variable's.

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> layer.bias.assign([0.5, -0.5]).numpy()
        array([ 0.5, -0.5], dtype=float32)
        """
        if _C.is_tracing():
            raise VariableWrittenWhileTraced(self.name)
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
        """Adds ``value`` (broadcast to the variable's shape) in place and returns the variable.

        Parameters
        ----------
        value : array_like or Tensor

        Raises
        ------
        ValueError
            ``value`` does not broadcast to the variable's shape.

        Examples
        --------
        >>> v = pynn.Variable(np.zeros(2))
        >>> v.assign_add(1.5)
        Variable([1.5, 1.5], dtype=float32)
        """
        if _C.is_tracing():
            raise VariableWrittenWhileTraced(self.name)
        return self.assign(np.asarray(self) + self._operand(value, "assign_add"))

    def assign_sub(self, value):
        """Subtracts ``value`` (broadcast to the variable's shape) in place; returns the variable.

        Parameters
        ----------
        value : array_like or Tensor

        Raises
        ------
        ValueError
            ``value`` does not broadcast to the variable's shape.

        Examples
        --------
        >>> v = pynn.Variable(np.ones(2))
        >>> v.assign_sub([0.5, 1.0])
        Variable([0.5, 0. ], dtype=float32)
        """
        if _C.is_tracing():
            raise VariableWrittenWhileTraced(self.name)
        return self.assign(np.asarray(self) - self._operand(value, "assign_sub"))

    @property
    def value(self):
        """The engine `Tensor` over the variable's memory (zero-copy), as the layer uses it.

        What Keras' torch backend hands out as ``variable.value`` (a torch
        Parameter): after ``loss.backward()`` its ``.grad`` holds the gradient of a
        trainable weight (a view of the model's gradient arena), which a custom
        ``train_step`` passes to ``optimizer.apply``.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
        >>> kernel = model.trainable_weights[0]
        >>> loss = pynn.ops.sum(model(pynn.Tensor(np.ones((3, 2), np.float32))))
        >>> loss.backward()
        >>> kernel.value.grad  # d sum(x @ W + b) / dW: 3 samples of ones
        array([[3.],
               [3.]], dtype=float32)
        """
        if self._tensor is not None:
            return self._tensor
        return Tensor(self)  # not cached: the owning layer decides requires_grad

    @property
    def path(self):
        """The variable's full name, ``'layer_name/weight_name'`` (Keras 3's ``path``)."""
        return self.name


def make_variable(array, name, trainable, regularizer=None):
    v = np.asarray(array, dtype=np.float32, order="C").view(Variable)  # keeps 0-d scalars 0-d
    v.name, v.trainable, v.regularizer, v._tensor = name, trainable, regularizer, None
    return v


def refuse_unsupported(layer, **options):
    """Keras options pynn does not implement raise, rather than being ignored."""
    for name, value in options.items():
        if value is not None:
            raise ValueError(f"{layer}: {name} is not supported yet, got {value!r}")


def _has_masks(out):
    outs = out if isinstance(out, (list, tuple)) else [out]
    return all(getattr(o, "_keras_mask", None) is not None for o in outs)


def _attach_masks(out, masks):
    """Sets each output's `_keras_mask` (a float32 Tensor, 1 at the steps to use) from
    masks (a mask or a list, None entries skipped), where call() did not set one."""
    if masks is None:
        return
    outs = out if isinstance(out, (list, tuple)) else [out]
    masks = masks if isinstance(masks, (list, tuple)) else [masks]
    for o, m in zip(outs, masks):
        if m is None or not isinstance(o, Tensor) or getattr(o, "_keras_mask", None) is not None:
            continue
        o._keras_mask = m if isinstance(m, Tensor) else Tensor(np.asarray(m, np.float32))


def per_sample(shape):
    return tuple(shape[1:]) if shape is not None else None


def checked_weight_value(owner, var, value):
    """`value` as float32 for weight `var`, refused when it is not numeric or
    holds NaN/inf: such a weight makes every output NaN without any error."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{owner}: weight '{var.name}' needs numbers, got "
                        f"{type(value).__name__} of dtype {getattr(value, 'dtype', '?')} ({e})") \
            from None
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.unravel_index(int(bad.argmax()), arr.shape))
        raise ValueError(f"{owner}: weight '{var.name}' gets {int(bad.sum())} non-finite value(s) "
                         f"(NaN or inf), first at index {first}; "
                         f"weights must be finite")
    return arr



def _any_size_where_they_differ(out, again):
    """Per-sample output shape(s) of two dry runs at different free sizes: the
    dimensions that changed follow a dimension of any size (None)."""
    if isinstance(out, list):
        return [_any_size_where_they_differ(a, b) for a, b in zip(out, again)]
    return tuple(a if a == b else None for a, b in zip(out, again))


def _with_batch_dimension(out):
    return [(None,) + o for o in out] if isinstance(out, list) else (None,) + out


def _takes_no_shape(build):
    """Whether a (bound) build method declares no parameter for the input shape, as in
    keras.io's `def build(self): self.built = True` (Keras 3 reads the signature)."""
    try:
        params = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(p.kind is not inspect.Parameter.VAR_KEYWORD for p in params)


class Layer:
    """The base class of all layers, with Keras' lifecycle.

    A layer is configured by its constructor, creates its weights in
    ``build(input_shape)`` the first time it is called (so the input size is
    never declared twice), and computes in ``call(inputs, training=False)``.
    Layers do no numerics in Python: ``call`` composes `pynn.ops`, each an
    engine op with its backward in C. Subclass it for a custom layer, create
    weights with ``add_weight`` and register the class with
    `pynn.layers.register` so that ``load_model`` can rebuild it.

    Parameters
    ----------
    name : str, optional
        The layer's name (default: the class name in snake case, made unique:
        ``dense``, ``dense_1``, ...).
    trainable : bool, default True
        Whether ``fit`` updates the layer's weights.
    input_shape : tuple, optional
        Per-sample input shape (no batch dimension), for the first layer of a
        Sequential model; ``pynn.Input(shape=...)`` is the Keras 3 way.
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    dtype : str, optional
        Only ``"float32"`` (the default) is supported.

    Raises
    ------
    TypeError
        An unknown keyword argument.
    ValueError
        A dtype other than float32.

    Examples
    --------
    >>> class Scale(pynn.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
    ...                                      name="scale")
    ...     def call(self, inputs):
    ...         return inputs * self.tensor(self.scale)
    >>> layer = Scale()
    >>> layer(np.array([[1.0, 2.0]], np.float32)).numpy()
    array([[1., 2.]], dtype=float32)
    >>> [w.name for w in layer.weights]
    ['scale/scale']
    """

    # True for the built-in layers whose call takes one tensor. Layer.__call__ treats a
    # list as several inputs (Add, Concatenate, a user's call(a, b)); for these layers a
    # list of tensors is refused by name and a nested list of numbers is one array.
    _one_input = False
    _call_takes_mask = False
    # a layer's declared inputs (pynn.layers.InputSpec, or a list of them), checked by
    # __call__ on every call as Keras does; None: the layer checks its inputs itself
    input_spec = None
    # `training` of a call outside any model or layer call that does not give it (Keras
    # reads the default of the layer's call signature: False, but True for the image
    # augmentations, which therefore augment a tf.data-style pipeline's batches)
    _standalone_training = False

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
        # Keras fills in call(..., mask=None) from the input's mask; pynn's own layers
        # read `_keras_mask` from their inputs themselves
        cls._call_takes_mask = "mask" in params and not cls.__module__.startswith("pynn.")
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
            call_unpacked._unpacks = True  # RNN calls a cell's call(inputs, states) this way
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
        obj._born = next(_attach_clock)  # (the order of sub-layers: see _child_layers)
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
        # Keras 3: a layer that defines compute_mask supports masking
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self._losses = []

    # ------------------------------------------------------------ add_loss
    def add_loss(self, loss):
        """Adds a scalar loss term computed in ``call`` (an activity penalty, a KL term...).

        As Keras' ``add_loss``: the terms of the forward pass join the training loss
        of the model the layer is in (``compile`` may then name no loss at all), and
        ``layer.losses`` lists those of the latest call.

        Parameters
        ----------
        loss : Tensor or number
            A scalar (one value).

        Raises
        ------
        ValueError
            ``loss`` holds more than one value.

        Examples
        --------
        >>> class Penalty(pynn.layers.Layer):
        ...     def call(self, x):
        ...         self.add_loss(0.1 * pynn.ops.sum(x))
        ...         return x
        >>> layer = Penalty()
        >>> _ = layer(np.ones((2, 3), np.float32))
        >>> [round(float(t.numpy()), 4) for t in layer.losses]
        [0.6]
        """
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
        """Whether ``fit`` updates this layer's weights (set it to False to freeze the layer)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = value
        for layer in self._child_layers():  # Keras: freezing a layer freezes what it holds
            layer.trainable = value
        # the same weights (and tensors) stay; only whether gradients reach them changes
        for var in self.__dict__.get("_weights", ()):
            if var._tensor is not None:
                var._tensor.requires_grad = bool(var.trainable and value)

    # ------------------------------------------------------------ sub-layers
    def __setattr__(self, name, value):
        # A Variable assigned to an attribute is one of the layer's weights, as in Keras
        # (add_weight already records its own; one owned by a sub-layer stays there).
        if (isinstance(value, Variable) and not name.startswith("_") and "_weights" in self.__dict__
                and all(value is not w for w in self.weights)):
            self._weights.append(value)
            self.tensor(value)  # ops on it in call() reach its gradient, as add_weight's
        if isinstance(value, (Layer, list, tuple, dict)) and not name.startswith("_"):
            self.__dict__.setdefault("_attached", {})[name] = next(_attach_clock)
        object.__setattr__(self, name, value)

    def _child_layers(self):
        """The layers this layer holds in its attributes (alone, or in lists, tuples or
        dicts): Keras tracks these, so their weights are this layer's weights — trained,
        saved and frozen with it. Read from the attributes each time, so that a list
        filled after assignment counts too. In Keras' order, the order they were
        tracked in: an attribute when it is set, a list's layers when the list is set or,
        for those appended later, when appended (keras.io's MDEmbedding appends to two
        lists in turn: its weights interleave) — the time a layer was made stands for
        the time it was appended, which pynn's plain lists do not see."""
        found, seen = [], {id(self)}
        attached = self.__dict__.get("_attached", {})
        for key, value in self.__dict__.items():
            # one type test skips most attributes (numbers, strings, arrays, functions):
            # fit asks for the trainable weights, hence this, before every epoch
            if not isinstance(value, (Layer, list, tuple, dict)) or key.startswith("_"):
                continue
            set_at = attached.get(key, -1)
            if isinstance(value, Layer):
                items, held = (value,), False
            else:
                items, held = value.values() if isinstance(value, dict) else value, True
            for item in items:
                if isinstance(item, Layer) and id(item) not in seen:
                    seen.add(id(item))
                    when = max(set_at, getattr(item, "_born", -1)) if held else set_at
                    found.append((when, len(found), item))
        found.sort(key=lambda t: t[:2])
        return [item for _, _, item in found]

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
        """Creates a new weight of the layer (call it from ``build``).

        Takes tf.keras' argument order (name first) and Keras 3's
        (``add_weight(shape, initializer=...)`` or by keyword).

        Parameters
        ----------
        name : str, optional
            The weight's name within the layer (default ``variable``, ``variable_1``, ...).
        shape : tuple of int or int
            The weight's shape.
        initializer : str or Initializer, default "glorot_uniform"
            How to fill it (see `pynn.initializers`).
        regularizer : str or Regularizer, optional
            A penalty on the weight added to the training loss (see `pynn.regularizers`).
        trainable : bool, default True
            Whether ``fit`` updates it.
        dtype : str, optional
            Only float32 is supported.
        constraint : None
            Weight constraints are not supported (a value raises).

        Returns
        -------
        Variable
            The weight, a float32 NumPy array; use ``self.tensor(var)`` in ``call``.

        Raises
        ------
        TypeError
            No shape was given.
        ValueError
            A constraint or a dtype other than float32 was given.

        Examples
        --------
        >>> layer = pynn.layers.Layer(name="custom")
        >>> w = layer.add_weight(shape=(2, 3), initializer="zeros", name="w")
        >>> w.shape, w.name, float(w.sum())
        ((2, 3), 'custom/w', 0.0)
        """
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
        """The layer's weights (``Variable`` objects, the ones models train): its own,
        trainable ones first, each group in creation order, then those of the layers it
        holds in its attributes (Keras' order: get_weights / set_weights lists agree with
        Keras even when a layer makes a non-trainable Variable before its kernel)."""
        out = self._own_weights()
        seen = {id(w) for w in out}
        for layer in self._child_layers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        """The weights that ``fit`` updates (none when the layer is frozen)."""
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
        """The weights ``fit`` does not update (e.g. BatchNormalization's moving mean)."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def count_params(self):
        """Returns the number of values in the layer's weights.

        Returns
        -------
        int

        Examples
        --------
        >>> layer = pynn.layers.Dense(4)
        >>> layer.build((None, 3))
        >>> layer.count_params()  # a 3x4 kernel and 4 biases
        16
        """
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        """Returns copies of the layer's weights as NumPy arrays (kernel, then bias, ...).

        Returns
        -------
        list of numpy.ndarray

        Examples
        --------
        >>> layer = pynn.layers.Dense(4)
        >>> layer.build((None, 3))
        >>> [w.shape for w in layer.get_weights()]
        [(3, 4), (4,)]
        """
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        """Sets the layer's weights from arrays, in ``get_weights`` order (copied in place).

        Parameters
        ----------
        weights : list of array_like
            One array per weight, each of the weight's exact shape.

        Raises
        ------
        ValueError
            The number of arrays or a shape differs (the message names the weight).

        Examples
        --------
        >>> layer = pynn.layers.Dense(1)
        >>> _ = layer(np.zeros((1, 2), np.float32))  # builds the layer
        >>> layer.set_weights([np.array([[1.0], [2.0]]), np.array([0.5])])
        >>> layer(np.array([[1.0, 1.0]], np.float32)).numpy()
        array([[3.5]], dtype=float32)
        """
        weights, mine = list(weights), self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Layer '{self.name}' expects {len(mine)} weight arrays "
                             f"(shapes {[w.shape for w in mine]}), got {len(weights)}")
        values = []
        for var, value in zip(mine, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(f"Layer '{self.name}': weight '{var.name}' has shape {var.shape}, "
                                 f"got an array of shape {value.shape}")
            if not var.flags.writeable:
                raise ValueError(f"Layer '{self.name}': weight '{var.name}' is read-only (it wraps "
                                 "memory whose owner declared it read-only) and cannot be set")
            values.append(checked_weight_value(f"Layer '{self.name}'", var, value))
        for var, value in zip(mine, values):
            var[...] = value

    def tensor(self, var):
        """Returns the engine `Tensor` over a weight's memory, for use in ``call``.

        The tensor shares the Variable's memory (zero-copy, cached) and requires
        grad when the weight is trainable, so ops on it are differentiated.

        Parameters
        ----------
        var : Variable
            One of this layer's weights.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> t = layer.tensor(layer.kernel)
        >>> t.shape, np.shares_memory(t.numpy(), layer.kernel)
        ((3, 2), True)
        """
        if var._tensor is None:
            var._tensor = Tensor(var, requires_grad=bool(var.trainable and self.trainable))
        return var._tensor

    # ------------------------------------------------------------ lifecycle
    def build(self, input_shape):
        """Creates the layer's weights for inputs of the given shape.

        Called automatically on the first call; a custom layer overrides it and
        creates its weights with ``add_weight``.

        Parameters
        ----------
        input_shape : tuple or list of tuple
            The input's batch shape, ``(None, ...)`` (a list for layers with
            several inputs).

        Examples
        --------
        >>> layer = pynn.layers.Dense(4)
        >>> layer.build((None, 3))
        >>> layer.kernel.shape
        (3, 4)
        """
        self.built = True

    def call(self, inputs, training=False):
        """The layer's computation on Tensors (what a custom layer overrides).

        Use ``layer(x)`` rather than ``layer.call(x)``: ``__call__`` builds the
        layer, checks the input and supports symbolic `pynn.Input` tensors.
        A custom ``call`` may leave out ``training``.

        Parameters
        ----------
        inputs : Tensor or list of Tensor
            The input batch.
        training : bool, default False
            Training mode (e.g. Dropout drops units only in training).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> layer = pynn.layers.Dense(2, kernel_initializer="ones")
        >>> layer.build((None, 3))
        >>> layer.call(pynn.Tensor(np.ones((1, 3), np.float32))).numpy()
        array([[3., 3.]], dtype=float32)
        """
        raise NotImplementedError(f"{type(self).__name__}.call")

    def compute_output_shape(self, input_shape):
        """Returns the output batch shape for an input batch shape.

        Parameters
        ----------
        input_shape : tuple
            The input's batch shape, e.g. ``(None, 3)``.

        Returns
        -------
        tuple
            The output's batch shape, batch dimension ``None``.

        Examples
        --------
        >>> layer = pynn.layers.Dense(4)
        >>> layer.build((None, 3))
        >>> layer.compute_output_shape((None, 3))
        (None, 4)
        """
        shapes = list(input_shape.values()) if isinstance(input_shape, dict) else \
            input_shape if isinstance(input_shape, list) else [input_shape]
        out = self._dry_run_shape(input_shape, 2)
        if any(d is None for s in shapes for d in s[1:]):
            # a dimension of any size (steps of Input(shape=(None,))): run at two sizes;
            # the output dimensions that follow it are of any size too
            out = _any_size_where_they_differ(out, self._dry_run_shape(input_shape, 3))
        return _with_batch_dimension(out)

    def _symbolic_output_shape(self, input_shape, masks, call_kwargs=None):
        """compute_output_shape for a functional graph, whose inputs may carry masks:
        the dry runs of the default one then carry masks of ones (a call(inputs,
        mask=None) may need one, as in Keras). Call arguments that an overriding
        compute_output_shape names (ReversibleEmbedding's ``reverse``) are passed on."""
        if masks is None or type(self).compute_output_shape is not Layer.compute_output_shape:
            named = inspect.signature(self.compute_output_shape).parameters
            extra = {k: v for k, v in (call_kwargs or {}).items()
                     if k in named and k != "input_shape"}
            return self.compute_output_shape(input_shape, **extra)
        mask_shapes = [getattr(m, "shape", None) for m in masks] \
            if isinstance(masks, list) else getattr(masks, "shape", None)
        out = self._dry_run_shape(input_shape, 2, mask_shapes)
        again = self._dry_run_shape(input_shape, 3, mask_shapes)
        return _with_batch_dimension(_any_size_where_they_differ(out, again))

    def _dry_run_shape(self, input_shape, free, mask_shapes=None):
        """The per-sample output shape of call() on a batch of one of zeros, the
        dimensions of any size (None) given size `free`; inputs whose mask shape is
        given carry a mask of ones."""
        def zeros(s, mask_shape=None):
            t = Tensor(np.zeros((1,) + tuple(free if d is None else d for d in s[1:]),
                                np.float32))
            if mask_shape is not None:
                t._keras_mask = Tensor(np.ones(
                    (1,) + tuple(free if d is None else d for d in mask_shape[1:]), np.float32))
            return t
        was = _C.set_grad_enabled(False)
        try:
            if isinstance(input_shape, dict):
                x = {k: zeros(s) for k, s in input_shape.items()}
            elif isinstance(input_shape, list):
                x = [zeros(s, m) for s, m in zip(input_shape, mask_shapes or
                                                  [None] * len(input_shape))]
            else:
                x = zeros(input_shape, mask_shapes)
            try:
                y = self._call_with_masks(x, False, {}) if not isinstance(x, dict) else \
                    self.call(x, training=False)
            except ValueError as e:
                if type(self).__module__.startswith("pynn."):
                    raise
                # a user's call() that fixes the batch size (keras.io's Switch Transformer
                # reshapes to batch_size * tokens) fails on this batch of one, which the
                # user never passed: say where it comes from
                raise ValueError(f"{type(self).__name__} '{self.name}': its call() failed "
                                 f"while pynn inferred its output shape by running it on a "
                                 f"batch of one sample of zeros (Keras traces it with a "
                                 f"symbolic batch instead; a call() that needs a fixed batch "
                                 f"size cannot be placed in a functional model in pynn): "
                                 f"{e}") from e
        finally:
            _C.set_grad_enabled(was)
        if isinstance(y, (list, tuple)):  # several outputs (Keras: a list of shapes)
            return [tuple(o.shape[1:]) for o in y]
        return tuple(y.shape[1:])

    def compute_mask(self, inputs, mask=None):
        """Returns the mask of the layer's output, given its input and the input's mask.

        Layers with ``supports_masking = True`` pass the mask on unchanged (this
        default); a layer that changes the steps (or makes a mask) overrides it.
        The mask is attached to the output as ``_keras_mask`` and handed to the
        ``call(inputs, mask=None)`` of the layers downstream, as in Keras.

        Parameters
        ----------
        inputs : Tensor or list of Tensor
            The layer's input.
        mask : Tensor, list or None
            The input's mask, ``(batch, steps)``, 1 (True) at the steps to use.

        Returns
        -------
        Tensor, list or None
            The output's mask.

        Examples
        --------
        >>> emb = pynn.layers.Embedding(10, 2, mask_zero=True)
        >>> out = pynn.layers.Dense(3)(emb(np.array([[4, 0]])))
        >>> out._keras_mask.numpy()
        array([[1., 0.]], dtype=float32)
        """
        return mask

    def _call_with_masks(self, inputs, training, kwargs):
        """call() with Keras' mask rules: a call(..., mask=None) receives the mask
        attached to its input, and when the layer supports masking its outputs get
        the masks compute_mask gives (unless call() attached its own)."""
        if isinstance(inputs, (list, tuple)):
            previous = [getattr(t, "_keras_mask", None) for t in inputs]
            if all(m is None for m in previous):
                previous = None
        else:
            previous = getattr(inputs, "_keras_mask", None)
        if self._call_takes_mask and previous is not None and kwargs.get("mask") is None:
            kwargs = {**kwargs, "mask": previous}
        # the layers this call() uses without passing `training` (a custom layer's own
        # Dropout, say) read it from the context, as in Keras; None (a model called on its
        # own) leaves each layer to its default
        with training_context(training):
            out = self.call(inputs, training=self._standalone_training if training is None
                            else training, **kwargs)
        if self.supports_masking:
            if kwargs.get("mask") is not None:
                previous = kwargs["mask"]
            _attach_masks(out, self.compute_mask(inputs, previous)
                          if not _has_masks(out) else None)
        return out

    def _check_input(self, shape):
        """Hook for layers to validate the per-sample shape (raise ValueError)."""

    def _maybe_build(self, batch_shape):
        if isinstance(batch_shape, dict):  # a dict of inputs
            batch_shape = {k: (None,) + tuple(s[1:]) for k, s in batch_shape.items()}
        elif isinstance(batch_shape, list):  # several inputs (Add, Concatenate, attention)
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
            if _takes_no_shape(self.build):  # Keras 3 calls build(self) without one
                self.build()
            else:
                self.build(batch_shape)
            self.built = True
            self.input_shape = batch_shape

    def _one_input_from_list(self, inputs):
        """A list given to a one-input layer: several tensors are an error, nested
        numbers ([[1.0, 2.0], [3.0, 4.0]]) are the one array they spell."""
        who = f"{type(self).__name__} '{self.name}'"
        kind = type(inputs).__name__
        if any(isinstance(t, (Tensor, np.ndarray)) for t in inputs):
            raise TypeError(f"{who} takes one input tensor, got a {kind} of {len(inputs)} inputs")
        try:
            return Tensor(inputs)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{who} takes one input tensor; the {kind} given is not a "
                            f"rectangular array of numbers ({e})") from None

    def __call__(self, inputs, *args, training=None, **kwargs):
        if len(args) == 1 and isinstance(args[0], (bool, np.bool_)) and training is None:
            training = bool(args[0])  # layer(x, True): `training` given by position
        elif args:  # layer(a, b): several input tensors, as Keras passes them to call(a, b)
            inputs = [inputs, *args]
        training = resolve_training(training)  # None: on its own (_call_with_masks decides)
        if self.input_spec:  # what the layer declared (Keras' InputSpec), eager or symbolic
            from .input_spec import assert_input_compatibility
            assert_input_compatibility(self.input_spec, inputs, self.name)
        if isinstance(inputs, dict):  # Keras: a layer may take a dict of tensors
            return self._call_dict(inputs, training, kwargs)
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if getattr(first, "_is_symbolic", False):  # functional API: pynn.Input(...)
            from ..functional import symbolic_call
            return symbolic_call(self, inputs, training=training, **kwargs)
        self.__dict__["_losses"] = []  # layer.losses: those of the latest call (Keras)
        if isinstance(inputs, (list, tuple)) and self._one_input:
            inputs = self._one_input_from_list(inputs)
        if isinstance(inputs, (list, tuple)):
            inputs = [t if isinstance(t, Tensor) else Tensor(t) for t in inputs]
            self._maybe_build([t.shape for t in inputs])
            return self._call_with_masks(inputs, training, kwargs)
        if not isinstance(inputs, Tensor):
            inputs = Tensor(inputs)
        self._maybe_build(inputs.shape)
        out = self._call_with_masks(inputs, training, kwargs)
        if self.output_shape is None:
            if isinstance(out, (tuple, list)):  # several outputs (an Encoder's z_mean, z_log_var, z)
                self.output_shape = [(None,) + tuple(o.shape[1:]) for o in out]
            else:
                self.output_shape = (None,) + tuple(out.shape[1:])
        return out

    def _call_dict(self, inputs, training, kwargs):
        """layer({"a": x, "b": y}): call() receives the dict (of Tensors), build() and
        compute_output_shape() a dict of batch shapes, as in Keras."""
        keys = list(inputs)
        if any(getattr(v, "_is_symbolic", False) for v in inputs.values()):
            from ..functional import symbolic_call
            return symbolic_call(self, [inputs[k] for k in keys], training=training,
                                 dict_keys=keys, **kwargs)
        self.__dict__["_losses"] = []
        tensors = {k: v if isinstance(v, Tensor) else Tensor(v) for k, v in inputs.items()}
        self._maybe_build({k: t.shape for k, t in tensors.items()})
        # as _call_with_masks: an unset `training` is the layer's standalone default (True for
        # the augmentations, which Keras' examples call on {"images", "labels"} batches)
        return self.call(tensors, training=self._standalone_training if training is None
                         else training, **kwargs)

    # ------------------------------------------------------------ graph
    @property
    def input(self):
        """The symbolic input of the layer's first call in a functional graph (raises if never
        called on one)."""
        return self._symbolic("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call in a functional graph, e.g. to
        build a feature extractor: ``Model(model.inputs, [l.output for l in model.layers])``.
        """
        return self._symbolic("output")

    def _symbolic(self, which):
        value = getattr(self, f"_symbolic_{which}", None)
        if value is None:
            raise ValueError(f"Layer '{self.name}' has never been called on a symbolic input "
                             f"(pynn.Input) and thus has no defined {which}")
        return value

    # ------------------------------------------------------------ config
    def get_config(self):
        """Returns the layer's constructor arguments as a JSON-serialisable dict.

        ``type(layer).from_config(config)`` makes a new layer with the same
        configuration (and fresh weights); ``model.save`` stores these dicts.
        A custom layer with constructor arguments extends it.

        Returns
        -------
        dict

        Examples
        --------
        >>> config = pynn.layers.Dense(4, activation="relu", name="hidden").get_config()
        >>> config["units"], config["activation"], config["name"]
        (4, 'relu', 'hidden')
        """
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
        """Creates a layer from the dict that ``get_config`` returned.

        Parameters
        ----------
        config : dict
            The layer's configuration.

        Returns
        -------
        Layer
            A new, unbuilt layer.

        Examples
        --------
        >>> layer = pynn.layers.Dense(4, activation="relu")
        >>> clone = pynn.layers.Dense.from_config(layer.get_config())
        >>> clone.units, clone is layer
        (4, False)
        """
        return cls(**config)

    def get_build_config(self):
        """What `build_from_config` needs to rebuild the layer when a model is loaded.

        ``{"input_shape": shape}`` once built from a call (None before). A layer whose
        ``build`` takes more than the input shape overrides this and
        `build_from_config`; ``model.save`` stores the dict of such a layer and
        `pynn.saving.load_model` hands it back before the weights are read.

        Returns
        -------
        dict or None

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> _ = layer(np.zeros((1, 3), np.float32))
        >>> layer.get_build_config()
        {'input_shape': (None, 3)}
        """
        if not self.built or self.input_shape is None:
            return None
        return {"input_shape": self.input_shape}

    def build_from_config(self, config):
        """Builds the layer from what `get_build_config` returned (Keras' hook, called
        when a saved model is loaded).

        Parameters
        ----------
        config : dict or None
            ``{"input_shape": shape}``, or a custom layer's own dict.

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> layer.build_from_config({"input_shape": (None, 3)})
        >>> layer.kernel.shape
        (3, 2)
        """
        if config and config.get("input_shape") is not None:
            self.build(tuple(config["input_shape"]))
            self.built = True

    def save_own_variables(self, store):
        """Keras' hook: puts the layer's own weights into ``store`` under "0", "1", ...

        ``model.save`` calls it for a layer whose class overrides it or
        `load_own_variables` (to save extra state: ``store["key"] = array``); the
        weights of other layers are saved by the model. Keras' order: trainable
        weights, then the others (a Dense layer: kernel, bias).

        Parameters
        ----------
        store : dict
            Filled with ``{key: NumPy array}``.

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> store = {}
        >>> layer.save_own_variables(store)
        >>> {k: v.shape for k, v in store.items()}
        {'0': (3, 2), '1': (2,)}
        """
        for i, var in enumerate(self._stored_variables()):
            store[str(i)] = np.array(var)

    def load_own_variables(self, store):
        """Keras' hook: assigns the weights that `save_own_variables` stored.

        Parameters
        ----------
        store : dict
            ``{key: array}`` as saved.

        Raises
        ------
        ValueError
            The store does not hold one array per weight, or a shape differs.

        Examples
        --------
        >>> layer = pynn.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> layer.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(2)})
        >>> float(layer.kernel.numpy().sum())
        6.0
        """
        variables = self._stored_variables()
        if len(store) != len(variables):
            raise ValueError(f"{type(self).__name__} '{self.name}' expected {len(variables)} "
                             f"variables, but received {len(store)} variables during loading. "
                             f"Expected: {[v.name for v in variables]}")
        for i, var in enumerate(variables):
            var.assign(store[str(i)])

    def _own_weights(self):
        """The layer's own weights, trainable first, as Keras orders them."""
        weights = self.__dict__.get("_weights", [])
        return [v for v in weights if v.trainable] + [v for v in weights if not v.trainable]

    def _stored_variables(self):
        """The weights `save_own_variables` stores (Keras: all of the layer's own)."""
        return self._own_weights()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
