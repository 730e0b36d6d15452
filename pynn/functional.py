"""The functional API: `x = pynn.Input(shape=...)`, layers called on symbolic
tensors, `pynn.Model(inputs, outputs)`.

A KerasTensor only records (layer, its inputs, shape). The model replays the
recorded calls in order on real Tensors, which is what the compiled driver
traces."""
import numpy as np


def _op(name, reflected=False):
    """A KerasTensor operator: records pynn.ops.<name> in the graph (pynn/ops/symbolic.py)."""
    def method(self, *other):
        from . import ops
        fn = getattr(ops, name)
        return fn(other[0], self) if reflected else fn(self, *other)
    method.__name__ = name
    return method


class KerasTensor:
    _is_symbolic = True
    # the symbolic mask (a KerasTensor) when an Embedding(mask_zero=True), Masking or a
    # layer's compute_mask gave one, as in Keras; None otherwise
    _keras_mask = None
    # NumPy hands `array + keras_tensor` to our reflected operators instead of looping
    __array_ufunc__ = None

    __add__, __radd__ = _op("add"), _op("add", True)
    __sub__, __rsub__ = _op("subtract"), _op("subtract", True)
    __mul__, __rmul__ = _op("multiply"), _op("multiply", True)
    __truediv__, __rtruediv__ = _op("divide"), _op("divide", True)
    __matmul__, __rmatmul__ = _op("matmul"), _op("matmul", True)
    __pow__ = _op("power")
    __neg__, __abs__ = _op("negative"), _op("abs")
    __lt__, __le__ = _op("less"), _op("less_equal")
    __gt__, __ge__ = _op("greater"), _op("greater_equal")
    __getitem__ = _op("getitem")
    # == and != stay identity comparisons: graphs keep KerasTensors in lists and dicts
    __hash__ = object.__hash__

    def __init__(self, shape, layer=None, inputs=(), index=0, name=None, dtype=None):
        self.shape = tuple(shape)   # batch shape, first entry None
        self._dtype = dtype         # None (float32 or ids) or "string", "int64", ...
        # Input(batch_size=...), carried along the graph: what a stateful RNN keeps
        self.batch_size = next((t.batch_size for t in inputs if getattr(t, "batch_size", None)),
                               None)
        self.layer = layer          # the layer call that produced it (None: an Input)
        self.inputs = tuple(inputs)
        self.index = index          # which output of that call
        self.name = name

    @property
    def dtype(self):
        """The dtype as Keras names it: "float32" unless the Input declared another."""
        return self._dtype or "float32"

    @dtype.setter
    def dtype(self, value):  # host layers (StringLookup...) declare their output's dtype
        self._dtype = value

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        src = self.layer.name if self.layer is not None else "input"
        return f"<KerasTensor shape={self.shape} from {src}>"


# what an Input may declare: float32, integers float32 holds exactly (uint8 images, ids),
# strings (for the lookup layers) and float64, which reaches the engine as float32:
# Keras' float32 layers cast their floating inputs to float32 too (autocast), so a
# float64 Input in front of them computes the same numbers in Keras. (float16 is not
# here: Keras rounds the data to float16 first, which pynn does not.)
_INPUT_DTYPES = (None, "float32", "int32", "int64", "uint8", "int8", "uint16", "int16", "bool",
                 "string", "float64")


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):
    """Creates a symbolic model input of the given per-sample shape (Keras' ``keras.Input``).

    Use it as the first element of a `Sequential`, or call layers on it to build
    a functional `Model`. The batch axis is not part of ``shape``.

    Parameters
    ----------
    shape : tuple of int or int
        Per-sample shape; ``None`` for a dimension of any size (e.g. the steps
        of variable-length sequences).
    batch_size : int, optional
        The batch size stays free; a stateful recurrent layer downstream keeps
        its states for batches of this size (Keras asks for it there).
    name : str, optional
        A name for the input (for dict inputs to ``fit``).
    batch_shape : tuple, optional
        Keras' alternative to ``shape`` and ``batch_size``: ``(batch_size, *shape)``.
        The batch axis of the symbolic tensor stays ``None`` in pynn (its programs
        take any batch size); ``batch_size`` is kept as with ``batch_size=``.
    dtype : {None, "float32", "int32", "int64", "uint8", "int8", "uint16", "int16", "bool", "string", "float64"}
        pynn computes in float32, which holds these integers exactly (ids for Embedding,
        uint8 pixels for a Rescaling layer). ``"float64"`` is accepted and cast to
        float32 when data comes in, as Keras' float32 layers cast
        their inputs (its default ``autocast``): the layers compute the same numbers as
        in Keras; a float64 value keeps float32's ~7 significant digits, and an Input
        returned by the model unchanged comes back as float32 (Keras: float64).
        ``"string"``: raw text or categories, to be taken by TextVectorization,
        StringLookup or Hashing first; the model runs those on the strings before
        the engine (e.g. ``pynn.Input(shape=(1,), dtype="string")``).

    Returns
    -------
    KerasTensor
        A symbolic tensor of shape ``(None, *shape)``.

    Raises
    ------
    ValueError
        No shape, a negative or non-integer dimension, or another dtype.

    Examples
    --------
    >>> x = pynn.Input(shape=(28, 28, 1))
    >>> x.shape
    (None, 28, 28, 1)
    >>> y = pynn.layers.Flatten()(x)
    >>> y.shape
    (None, 784)
    >>> pynn.Input(batch_shape=(None, 5, 3)).shape
    (None, 5, 3)
    """
    if batch_shape is not None:  # Keras 3 spells the batch axis this way (keras.Input)
        if shape is not None:
            raise ValueError(f"Input: give shape or batch_shape, not both (got shape={shape!r} "
                             f"and batch_shape={batch_shape!r})")
        if not isinstance(batch_shape, (tuple, list)) or len(batch_shape) < 1:
            raise ValueError(f"Input: batch_shape must be a tuple (batch_size, *shape), got "
                             f"{batch_shape!r}")
        if batch_size is not None and batch_shape[0] not in (None, batch_size):
            raise ValueError(f"Input: batch_size={batch_size!r} and batch_shape={batch_shape!r} "
                             f"disagree")
        shape, batch_size = tuple(batch_shape[1:]), batch_shape[0]
    if shape is None:
        raise ValueError("Input needs shape=(...), the per-sample shape without the batch axis")
    if isinstance(shape, int):
        shape = (shape,)
    if any(s is not None and (not isinstance(s, int) or s < 0) for s in shape):
        raise ValueError(f"Input: shape must hold non-negative ints, got {shape!r}")
    if dtype in ("str", str, object):
        dtype = "string"
    elif dtype is not None and not isinstance(dtype, str):  # np.float64, np.dtype("int32")
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            pass
    if dtype not in _INPUT_DTYPES:
        raise ValueError(f"Input: dtype {dtype!r} is not supported (pynn computes in float32; "
                         f"'string' inputs go to TextVectorization, StringLookup or Hashing; "
                         f"the supported dtypes are {', '.join(map(str, _INPUT_DTYPES[1:]))})")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"Input: batch_size must be a positive int or None, got {batch_size!r}")
    out = KerasTensor((None,) + tuple(shape), name=name, dtype=dtype)
    out.batch_size = batch_size
    # Keras: every Input is the output of an InputLayer, named now (input_layer, input_layer_1,
    # ... or `name`), which a functional model lists in model.layers
    from .layers.core import InputLayer
    out.input_layer = InputLayer(shape=tuple(shape), batch_size=batch_size, name=name)
    out.input_layer._symbolic_output = out
    return out


def input_like(t):
    """A new Input as Input tensor t, its InputLayer named as t's (clone_model)."""
    out = Input(shape=t.shape[1:], batch_size=t.batch_size, name=t.name, dtype=t._dtype)
    out.input_layer.name = input_layer_of(t).name
    return out


def input_layer_of(t):
    """The InputLayer of Input tensor t (made here for a KerasTensor built without
    `Input`, e.g. by a loader)."""
    if getattr(t, "input_layer", None) is None:
        from .layers.core import InputLayer
        t.input_layer = InputLayer(shape=t.shape[1:], name=t.name)
        t.input_layer._symbolic_output = t
    return t.input_layer


def _keyword_tensors(kwargs):
    """The KerasTensors passed by keyword (initial_state=[h, c], attention_mask=...), in
    order: they are inputs of the call as much as the positional ones."""
    found = []

    def collect(v):
        if isinstance(v, KerasTensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            for item in v:
                collect(item)
    for v in kwargs.values():
        collect(v)
    return found


def call_argument(t, args):
    """The first argument of t's recorded call from its positional input values."""
    keys = getattr(t, "dict_keys", None)
    if keys is not None:
        return dict(zip(keys, args))
    return args if len(args) > 1 else args[0]


def substitute(value, values):
    """value (a keyword argument) with its KerasTensors replaced by values[id(t)]."""
    if isinstance(value, KerasTensor):
        return values[id(value)]
    if isinstance(value, (list, tuple)):
        return type(value)(substitute(v, values) for v in value)
    return value


def symbolic_call(layer, inputs, training=False, dict_keys=None, **kwargs):
    """Builds the layer for the symbolic input shape and records the call. dict_keys:
    the inputs were a dict with these keys (call() is given the dict again)."""
    many = isinstance(inputs, (list, tuple))
    shapes = [t.shape for t in inputs] if many else inputs.shape
    if dict_keys is not None:
        shapes = dict(zip(dict_keys, shapes))
    layer._maybe_build(shapes)
    masks = [t._keras_mask for t in inputs] if many else inputs._keras_mask
    if many and all(m is None for m in masks):
        masks = None
    out_shape = layer._symbolic_output_shape(shapes, masks, kwargs)
    # keyword tensors join the call's inputs (after the positional ones), so that the
    # layers producing them are in the graph, run first and receive gradients
    ins = (tuple(inputs) if many else (inputs,)) + tuple(_keyword_tensors(kwargs))
    n_positional = len(inputs) if many else 1
    if isinstance(out_shape, list):  # several outputs (e.g. return_state)
        outs = [KerasTensor(s, layer, ins, i) for i, s in enumerate(out_shape)]
        if getattr(layer, "_symbolic_output", None) is None:  # Keras: layer.output is the list
            layer._symbolic_input, layer._symbolic_output = inputs, list(outs)
    else:
        layer.input_shape = shapes
        layer.output_shape = tuple(out_shape)
        outs = [KerasTensor(out_shape, layer, ins, 0)]
        if getattr(layer, "_symbolic_output", None) is None:  # Keras' layer.input / layer.output
            layer._symbolic_input, layer._symbolic_output = inputs, outs[0]
    for out in outs:  # siblings: all outputs of this one call, for the model to fill in
        out.call_kwargs, out.n_positional, out.siblings = kwargs, n_positional, outs
        out.dict_keys = dict_keys
    _symbolic_masks(layer, inputs, outs, masks)
    return outs if isinstance(out_shape, list) else outs[0]


def _symbolic_masks(layer, inputs, outs, masks):
    """Sets the outputs' `_keras_mask` to what the layer's compute_mask gives on the
    symbolic inputs (its ops are recorded on a branch of the graph that the model
    runs only if something uses the mask). The masks the model uses when it runs
    are computed from the real tensors (Layer._call_with_masks)."""
    from .layers.base import Layer
    if not layer.supports_masking or (masks is None
                                      and type(layer).compute_mask is Layer.compute_mask):
        return
    try:
        out_masks = layer.compute_mask(inputs, masks)
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return  # a compute_mask that only works on real tensors: no symbolic mask
    if out_masks is None:
        return
    out_masks = out_masks if isinstance(out_masks, (list, tuple)) else [out_masks]
    for out, mask in zip(outs, out_masks):
        if isinstance(mask, KerasTensor):
            out._keras_mask = mask


def topo_calls(outputs):
    """The recorded layer calls reachable from outputs, inputs first."""
    order, seen = [], set()

    def visit(t):
        key = (id(t.layer), tuple(id(i) for i in t.inputs)) if t.layer else id(t)
        if key in seen:
            return
        seen.add(key)
        for i in t.inputs:
            visit(i)
        if t.layer is not None:
            order.append((key, t))

    for o in outputs:
        visit(o)
    return order


def keras_layer_order(outputs, with_inputs=False):
    """The graph's layers in Keras' order (keras/src/ops/function.py, map_graph):
    deepest first — depth being the number of layer calls between a call and the
    outputs — and, at equal depth, in the order a depth-first walk from the outputs
    first meets them. Keras lists model.weights in this order, so get_weights()
    and set_weights() lists carry over between the two libraries. with_inputs: the
    InputLayers too, where Keras' model.layers lists them (the deepest: first)."""
    def layer(t):  # an Input tensor stands for the call of its InputLayer
        return t.layer if t.layer is not None else input_layer_of(t)

    def key(t):
        return id(layer(t)), tuple(id(i) for i in t.inputs)

    first_met, calls, done = {}, [], set()

    def walk(t):
        if (t.layer is None and not with_inputs) or key(t) in done:
            return
        first_met.setdefault(id(layer(t)), len(first_met))
        for i in t.inputs:
            walk(i)
        done.add(key(t))
        calls.append(t)

    for o in outputs:
        walk(o)
    node_depth, layer_depth = {}, {}
    for t in reversed(calls):  # outputs first: push depths towards the inputs
        d = max(node_depth.setdefault(key(t), 0), layer_depth.get(id(layer(t)), 0))
        layer_depth[id(layer(t))] = node_depth[key(t)] = d
        for i in t.inputs:
            if i.layer is not None or with_inputs:
                node_depth[key(i)] = max(node_depth.get(key(i), 0), d + 1)
    layers = {id(layer(t)): layer(t) for t in calls}
    return sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], first_met[id(l)]))
