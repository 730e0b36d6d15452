"""Parameters, MACs and FLOPs of a model, per layer and per sample.

Two counts, both for ONE sample (a batch of size 1), say which is which:

* **MACs** — ptflops' convention (what ptflops and fvcore print as "flops" or
  "MACs"): one per multiply-accumulate of a matmul, convolution, recurrence or
  attention product, plus, as ptflops' per-module hooks, one per bias add, one
  per element of a ReLU-family or GELU activation (nothing for sigmoid, tanh,
  softmax, ...), one per input element of a pooling layer, one
  (two with scale/shift) per element of a normalisation, one per output element
  of upsampling, and ptflops' element-wise gate costs inside SimpleRNN / GRU /
  LSTM cells. Reference: Conv2D 3->2 channels, 3x3, on 224x224 is 2,759,904 MACs.
  These are ptflops' numbers with backend_specific_config={"count_functional":
  False}; its default also counts the functional calls made inside modules,
  which counts every ReLU twice.
* **FLOPs** — keras-flops' convention (TF profiler): two per multiply-accumulate
  (a multiply and an add) plus one per other operation above; for Dense
  2·in·out + out, for Conv kh·kw·C_in·C_out·H_out·W_out·2 + C_out·H_out·W_out.

A layer's count is (multiply-accumulates, other operations); MACs = mult-adds
+ other, FLOPs = 2·mult-adds + other. Layers pynn does not know count as None
("?" in summary()); `register_counter` teaches it a new layer class."""
from .. import activations
from .. import layers as L

# the activations ptflops has module hooks for, one operation per element
_COUNTED_ACTIVATIONS = {"relu", "relu6", "elu", "leaky_relu", "gelu"}


def _prod(shape):
    out = 1
    for d in shape:
        out *= int(d)
    return out


def _activation_ops(fn, n):
    try:
        name = activations.serialize(fn)
    except ValueError:  # a user's callable: unknown cost, count it as free like ptflops
        return 0
    return n if name in _COUNTED_ACTIVATIONS else 0


def _dense(layer, ins, out):
    positions, n_in, n_out = _prod(ins[:-1]), ins[-1], out[-1]
    bias = n_out if layer.use_bias else 0
    return positions * n_in * n_out, positions * bias + _activation_ops(layer.activation, _prod(out))


def _conv(layer, ins, out):
    out_positions, c_in = _prod(out[:-1]), ins[-1]
    mult_adds = out_positions * _prod(layer.kernel_size) * c_in * layer.filters
    bias = out_positions * layer.filters if layer.use_bias else 0
    return mult_adds, bias + _activation_ops(layer.activation, _prod(out))



def _conv_transpose(layer, ins, out):
    """Every input position multiplies through the whole kernel (what the op
    computes); the bias is one add per output element."""
    mult_adds = _prod(ins[:-1]) * _prod(layer.kernel_size) * ins[-1] * layer.filters
    bias = _prod(out[:-1]) * layer.filters if layer.use_bias else 0
    return mult_adds, bias + _activation_ops(layer.activation, _prod(out))


def _depthwise(layer, ins, out):
    """A grouped convolution, as ptflops counts groups: kernel taps times the
    C * depth_multiplier output channels per position; SeparableConv2D adds its
    1x1 convolution."""
    positions, cm = _prod(out[:-1]), ins[-1] * layer.depth_multiplier
    mult_adds = positions * _prod(layer.kernel_size) * cm
    n_bias = cm
    if isinstance(layer, L.SeparableConv2D):
        mult_adds += positions * cm * layer.filters
        n_bias = layer.filters
    bias = positions * n_bias if layer.use_bias else 0
    return mult_adds, bias + _activation_ops(layer.activation, _prod(out))

def _elementwise_in(layer, ins, out):  # pooling: ptflops counts the input elements
    return 0, _prod(ins)


def _elementwise_out(layer, ins, out):  # upsampling: the output elements
    return 0, _prod(out)


def _norm(layer, ins, out):
    affine = 2 if (layer.scale or layer.center) else 1
    return 0, affine * _prod(ins)


def _activation(layer, ins, out):
    return 0, _activation_ops(layer.activation, _prod(out))


def _free(layer, ins, out):
    return 0, 0


# ptflops' element-wise work per hidden unit and time step: SimpleRNN adds the
# two products; GRU: r's Hadamard product, 3 adds of both states, 3 for the
# final blend; LSTM: 4 adds of both states, 3 for c, 3 for h.
_GATE_OPS = {"SimpleRNN": 1, "GRU": 7, "LSTM": 10}


def _rnn(layer, ins, out):
    steps, n_in, u, gates = ins[0], ins[1], layer.units, layer._gates
    per_step_mult = gates * u * (n_in + u)
    bias = _prod(layer.bias.shape) if layer.use_bias else 0
    per_step_other = _GATE_OPS[type(layer).__name__] * u + bias
    return steps * per_step_mult, steps * per_step_other


def _bidirectional(layer, ins, out):
    fwd_mult, fwd_other = _rnn(layer.forward_layer, ins, None)
    bwd_mult, bwd_other = _rnn(layer.backward_layer, ins, None)
    merged = _prod(_first(layer.forward_layer.compute_output_shape((None,) + tuple(ins)))[1:])
    merge = {"sum": merged, "mul": merged, "ave": 2 * merged}.get(layer.merge_mode, 0)
    return fwd_mult + bwd_mult, fwd_other + bwd_other + merge


def _attention(layer, shapes, out):
    """Keras' MultiHeadAttention (H heads of key_dim kd and value_dim vd) in
    ptflops' terms: the three input projections, Q scaling, Q·Kᵀ, softmax,
    attention·V and the output projection (biases when use_bias)."""
    (tq, dq), (tv, dv) = shapes[0], shapes[1]
    tk, dk = shapes[2] if len(shapes) > 2 else shapes[1]
    h, kd, vd = layer.num_heads, layer.key_dim, layer.value_dim
    g = layer._kv_heads()  # GroupQueryAttention projects fewer key/value heads
    do = _prod(layer.output_shape_arg or (dq,))                        # output_shape
    mult = (tq * dq * h * kd + tk * dk * g * kd + tv * dv * g * vd     # projections
            + h * tq * tk * kd + h * tq * tk * vd                      # Q·Kᵀ and A·V
            + tq * h * vd * do)                                        # output projection
    bias = (tq * h * kd + tk * g * kd + tv * g * vd + tq * do) if layer.use_bias else 0
    other = tq * h * kd + h * tq * tk + bias                           # Q scaling, softmax
    if layer.use_gate:  # sigmoid(query @ gate_kernel + gate_bias) times the heads' output
        mult += tq * dq * h * vd
        other += tq * h * vd * (2 + layer.use_bias)
    return mult, other


def _merge(layer, shapes, out):
    """Element-wise merges: one operation per output element for each input
    after the first (Average: one more, the division)."""
    extra = 1 if isinstance(layer, L.Average) else 0
    return 0, (len(shapes) - 1 + extra) * _prod(out)


def _dot(layer, shapes, out):
    """Dot: a multiply-accumulate per output element and contracted position;
    normalize adds a square-and-add and a division per input element."""
    a1, _ = layer._axes([(None,) + tuple(s) for s in shapes])
    norm = 2 * (_prod(shapes[0]) + _prod(shapes[1])) if layer.normalize else 0
    return _prod(out) * shapes[0][a1 - 1], norm


_COUNTERS = {
    L.Dense: _dense, L.Conv1D: _conv, L.Conv2D: _conv,
    L.Conv1DTranspose: _conv_transpose, L.Conv2DTranspose: _conv_transpose,
    L.DepthwiseConv2D: _depthwise, L.SeparableConv2D: _depthwise,
    L.MaxPooling1D: _elementwise_in, L.MaxPooling2D: _elementwise_in,
    L.AveragePooling1D: _elementwise_in, L.AveragePooling2D: _elementwise_in,
    L.GlobalAveragePooling1D: _elementwise_in, L.GlobalAveragePooling2D: _elementwise_in,
    L.GlobalMaxPooling1D: _elementwise_in, L.GlobalMaxPooling2D: _elementwise_in,
    L.UpSampling1D: _elementwise_out, L.UpSampling2D: _elementwise_out,
    L.BatchNormalization: _norm, L.LayerNormalization: _norm, L.Activation: _activation,
    L.SimpleRNN: _rnn, L.LSTM: _rnn, L.GRU: _rnn, L.Bidirectional: _bidirectional,
    L.MultiHeadAttention: _attention,
    L.InputLayer: _free, L.Dropout: _free, L.Flatten: _free, L.Reshape: _free,
    L.Embedding: _free, L.ZeroPadding1D: _free, L.ZeroPadding2D: _free,
    L.Cropping1D: _free, L.Cropping2D: _free, L.Concatenate: _free,
    L.Add: _merge, L.Subtract: _merge, L.Multiply: _merge, L.Average: _merge,
    L.Maximum: _merge, L.Minimum: _merge, L.Dot: _dot,
}


def register_counter(layer_class, fn):
    """Teaches the counter a layer class of your own.

    ``fn(layer, per_sample_input_shape, per_sample_output_shape)`` returns
    ``(multiply_accumulates, other_operations)`` for one sample; a layer with
    several inputs receives a list of input shapes. Uncounted layers show "?" in
    ``summary(show_macs=True)`` and make a profile incomplete.

    Parameters
    ----------
    layer_class : type
        The layer class (matched exactly, not its subclasses).
    fn : callable
        The counter.

    Examples
    --------
    >>> class Double(pynn.layers.Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2.0
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)), Double()])
    >>> pynn.footprint.profile(model).complete
    False
    >>> pynn.footprint.register_counter(Double, lambda layer, ins, out: (0, int(np.prod(out))))
    >>> pynn.footprint.count_flops(model)  # one multiplication per output element
    4
    """
    if not isinstance(layer_class, type) or not callable(fn):
        raise TypeError("register_counter(layer_class, fn): a class and a callable, got "
                        f"{type(layer_class).__name__} and {type(fn).__name__}")
    _COUNTERS[layer_class] = fn


def _first(shape):
    return shape[0] if isinstance(shape, list) else shape


def _per_sample(shape):
    if isinstance(shape, list):
        return [tuple(s[1:]) for s in shape]
    return tuple(shape[1:])


def _known(shape):
    if isinstance(shape, list):
        return all(_known(s) for s in shape)
    return all(d is not None for d in shape)


class LayerCost:
    """One layer's cost for one sample: parameters, MACs, FLOPs and output shape.

    ``macs`` and ``flops`` are None when the layer type or a dimension is unknown.

    Parameters
    ----------
    name : str
        The layer's name.
    cls : str
        Its class name.
    params : int
        Its parameter count.
    macs : int or None
        MACs per sample (ptflops' convention).
    flops : int or None
        FLOPs per sample (keras-flops' convention).
    output_shape : tuple
        Per-sample output shape.
    note : str, default ""
        Why a count is missing.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> pynn.footprint.layer_cost(model.get_layer("hidden"))
    <LayerCost hidden (Dense): params=144 macs=160>
    """

    def __init__(self, name, cls, params, macs, flops, output_shape, note=""):
        self.name, self.cls, self.params = name, cls, params
        self.macs, self.flops, self.output_shape, self.note = macs, flops, output_shape, note

    def to_dict(self):
        """Returns the cost as a JSON-serialisable dict.

        Returns
        -------
        dict

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
        ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
        ...                          pynn.layers.Dense(2, name="out")])
        >>> pynn.footprint.layer_cost(model.get_layer("out")).to_dict()
        {'name': 'out', 'class': 'Dense', 'params': 34, 'macs': 34, 'flops': 66, 'output_shape': [2]}
        """
        return {"name": self.name, "class": self.cls, "params": self.params, "macs": self.macs,
                "flops": self.flops,
                "output_shape": list(self.output_shape) if self.output_shape is not None else None,
                **({"note": self.note} if self.note else {})}

    def __repr__(self):
        return f"<LayerCost {self.name} ({self.cls}): params={self.params} macs={self.macs}>"


def layer_cost(layer):
    """Returns the `LayerCost` of a built layer, for the shapes it was built for.

    Dense: ``in * out`` multiply-accumulates, plus one per bias add and per
    ReLU-family / GELU output element (ptflops' convention); FLOPs count two per
    multiply-accumulate plus one per other operation (keras-flops').

    Parameters
    ----------
    layer : Layer
        A built layer.

    Returns
    -------
    LayerCost

    Raises
    ------
    ValueError
        The layer is not built.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> cost = pynn.footprint.layer_cost(model.get_layer("hidden"))
    >>> cost.macs, cost.flops  # 8*16 + 16 bias + 16 relu; 2*128 + 32
    (160, 288)
    """
    name, cls = layer.name, type(layer).__name__
    if not getattr(layer, "built", False) or layer.input_shape is None:
        return LayerCost(name, cls, 0, None, None, None, "not built")
    params = layer.count_params()
    out_shape = layer.compute_output_shape(layer.input_shape)
    ins, out = _per_sample(layer.input_shape), _per_sample(_first(out_shape))
    fn = next((f for c, f in _COUNTERS.items() if type(layer) is c), None)
    if fn is None:
        fn = next((f for c, f in _COUNTERS.items() if isinstance(layer, c)), None)
    if fn is None:
        return LayerCost(name, cls, params, None, None, out,
                         f"no MAC formula for {cls} (pynn.footprint.register_counter)")
    if not (_known(ins) and _known(out)):
        return LayerCost(name, cls, params, None, None, out, "a dimension is unknown (None)")
    mult, other = fn(layer, ins, out)
    return LayerCost(name, cls, params, int(mult + other), int(2 * mult + other), out)


class Profile:
    """Per-layer costs and per-sample totals of a model (what `profile` returns).

    ``params``, ``macs`` and ``flops`` total the known layers; ``complete`` is False
    when some layer could not be counted (``note`` says which).

    Parameters
    ----------
    layers : list of LayerCost
        One entry per layer.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> pynn.footprint.profile(model)
    <Profile params=178 macs=194 flops=354 per sample>
    """

    def __init__(self, layers):
        self.layers = layers
        self.params = sum(c.params for c in layers)
        self.macs = sum(c.macs for c in layers if c.macs is not None)
        self.flops = sum(c.flops for c in layers if c.flops is not None)
        missing = [c.name for c in layers if c.macs is None]
        self.complete = not missing
        self.note = f"not counted: {', '.join(missing)}" if missing else ""

    def to_dict(self):
        """Returns the profile as a JSON-serialisable dict, conventions and layers included.

        Returns
        -------
        dict

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
        ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
        ...                          pynn.layers.Dense(2, name="out")])
        >>> sorted(pynn.footprint.profile(model).to_dict())
        ['complete', 'conventions', 'flops', 'layers', 'macs', 'params', 'per']
        """
        return {"params": self.params, "macs": self.macs, "flops": self.flops,
                "complete": self.complete, "per": "sample",
                "conventions": {"macs": "ptflops' convention: multiply-accumulates, bias adds and "
                                        "the element-wise ops ptflops counts",
                                "flops": "keras-flops' convention: 2 per multiply-accumulate + 1 per "
                                         "other op"},
                "layers": [c.to_dict() for c in self.layers]}

    def __repr__(self):
        return f"<Profile params={self.params:,} macs={self.macs:,} flops={self.flops:,} per sample>"


def profile(model):
    """Counts every layer of a built model for one sample (also ``summary(show_macs=True)``).

    MACs follow ptflops' convention and FLOPs keras-flops' (see
    `pynn.footprint.flops`); both are for a batch of one.

    Parameters
    ----------
    model : Model
        A built Sequential or functional model.

    Returns
    -------
    Profile

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        The model is not built.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> result = pynn.footprint.profile(model)
    >>> result.params, result.macs, result.flops, result.complete
    (178, 194, 354, True)
    """
    from ..models import Model
    if not isinstance(model, Model):
        raise TypeError(f"pynn.footprint.profile expects a pynn Model, got {type(model).__name__}")
    model._require_built("profile")
    return Profile([layer_cost(layer) for layer in profiled_layers(model)])


def profiled_layers(model):
    """The layers a profile lists: model.layers without the InputLayers (free, no rows)."""
    return [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]


def count_macs(model):
    """Returns a built model's multiply-accumulates per sample (ptflops' convention).

    Parameters
    ----------
    model : Model
        A built model.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        The model is not built.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> pynn.footprint.count_macs(model)
    194
    """
    return profile(model).macs


def count_flops(model):
    """Returns a built model's FLOPs per sample (keras-flops' convention: 2 per MAC plus other
    operations).

    Parameters
    ----------
    model : Model
        A built model.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        The model is not built.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)),
    ...                          pynn.layers.Dense(16, activation="relu", name="hidden"),
    ...                          pynn.layers.Dense(2, name="out")])
    >>> pynn.footprint.count_flops(model)
    354
    """
    return profile(model).flops
