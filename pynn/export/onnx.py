"""ONNX export of Sequential and functional models (inference graph, opset 17).

Each layer class has one converter that writes the ONNX nodes computing what its
call() computes at inference (Dropout is the identity, BatchNormalization uses
its moving statistics). Layouts differ between the two worlds and are mapped
here, once, at export:
- Keras is channels-last, ONNX's Conv / pooling are channels-first: a convolution
  is wrapped in two Transposes, its kernel (k..., in, out) becomes (out, in, k...).
- ONNX's RNN / LSTM / GRU want (time, batch, features) and weights
  (gates*units, in); LSTM's gate order is i, o, f, c where Keras' is i, f, c, o.
  Keras' GRU(reset_after=True) is ONNX's GRU(linear_before_reset=1), gates z, r, h
  in both. go_backwards reverses the time axis before a forward pass, which is
  what Keras computes (its sequence output stays in processing order).
- Masks (Embedding(mask_zero=True)) follow pynn's propagation rules; a masked
  recurrent layer becomes an ONNX Loop running Keras' cell equations, since ONNX's
  RNN ops only express padding at the end of a sequence.
- Dropout, noise, ActivityRegularization and the random augmentation layers are the
  identity at inference and export as Identity; RNN(SimpleRNNCell / LSTMCell /
  GRUCell) exports as the matching recurrent layer. An option a converter cannot
  express (a stateful layer, attention scores or masks, ...) raises, naming the layer.
The batch axis is dynamic ("batch"); every other axis keeps its declared size.
An input is float32 (what predict takes); an Embedding casts its ids to int64.

Preprocessing layers (TextVectorization, StringLookup, IntegerLookup, Hashing,
CategoryEncoding, Discretization) run in NumPy before pynn's engine, not in its
graph, and are not exported: the ONNX graph of such a model is its *numeric part*,
whose inputs are what the preprocessing hands over (token ids, one-hot rows, ...),
named after the preprocessing layer and given as float32. The model's doc_string
and its metadata_props["pynn.preprocessing"] say which layers to run first (with
pynn, e.g. ``vectorize(texts)``, or your own code)."""
import numpy as np

from .. import activations
from ..functional import topo_calls

DEFAULT_OPSET = 17
SUPPORTED_OPSETS = (17,)  # the converters use opset-17 signatures (Reduce* axes attributes)
_INT64_MIN = np.iinfo(np.int64).min


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the 'onnx' package, which is not installed: "
                          "pip install 'pynn-dl[onnx]' (or pip install onnx onnxruntime)") from None
    return onnx


class _Builder:
    """Collects nodes and initializers under unique names."""

    def __init__(self, onnx):
        self.helper = onnx.helper
        self.numpy_helper = onnx.numpy_helper
        self.nodes, self.initializers = [], []
        self._names = set()

    def unique(self, base):
        base = base.replace(" ", "_") or "t"
        name, n = base, 0
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    def const(self, value, base, dtype=np.float32):
        name = self.unique(base)
        # np.array, not np.ascontiguousarray: a scalar stays 0-d (Gather / Clip need scalars)
        self.initializers.append(self.numpy_helper.from_array(
            np.array(value, dtype=dtype, order="C"), name))
        return name

    def ints(self, values, base="shape"):
        return self.const(np.asarray(values, np.int64).reshape(-1), base, np.int64)

    def sub(self):
        """A builder for a subgraph (a Loop body): its own nodes; names and
        initializers shared with the main graph, whose values the body may read."""
        b = _Builder.__new__(_Builder)
        b.helper, b.numpy_helper = self.helper, self.numpy_helper
        b.nodes, b.initializers, b._names = [], self.initializers, self._names
        return b

    def op(self, op_type, inputs, base, n_out=1, **attrs):
        outs = [self.unique(f"{base}/{op_type}" + (f":{i}" if n_out > 1 else ""))
                for i in range(n_out)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=self.unique(f"{base}/{op_type}_node"),
                                                **attrs))
        return outs[0] if n_out == 1 else outs


def _unsupported(layer, why):
    layer = getattr(layer, "owner", layer)  # an RNN(cell) seen as its recurrent layer
    return ValueError(f"ONNX export: layer '{layer.name}' ({type(layer).__name__}) {why}")


def _w(var):
    return np.array(var, dtype=np.float32)


# ----------------------------------------------------------------- activations
_SIMPLE_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
                       "softsign": "Softsign", "selu": "Selu"}


def _activation(g, x, fn, base, layer):
    """The ONNX nodes of a Keras activation function (pynn.activations)."""
    try:
        name = activations.serialize(fn)
    except ValueError:
        raise _unsupported(layer, f"uses the custom activation {fn!r}, which has no ONNX "
                                  f"equivalent; use a named activation") from None
    if name == "linear":
        return x
    if name in _SIMPLE_ACTIVATIONS:  # ONNX's Selu defaults are Keras' constants
        return g.op(_SIMPLE_ACTIVATIONS[name], [x], base)
    if name == "softmax":
        return g.op("Softmax", [x], base, axis=-1)
    if name == "log_softmax":
        return g.op("LogSoftmax", [x], base, axis=-1)
    if name == "elu":
        return g.op("Elu", [x], base, alpha=1.0)
    if name == "leaky_relu":  # the function's default slope (the layer has its own)
        return g.op("LeakyRelu", [x], base, alpha=0.2)
    if name == "gelu":  # exact form (Keras 3's default): 0.5 x (1 + erf(x / sqrt 2))
        e = g.op("Erf", [g.op("Div", [x, g.const(np.sqrt(2.0), "sqrt2")], base)], base)
        one_plus = g.op("Add", [e, g.const(1.0, "one")], base)
        return g.op("Mul", [g.op("Mul", [x, g.const(0.5, "half")], base), one_plus], base)
    if name in ("silu", "swish"):
        return g.op("Mul", [x, g.op("Sigmoid", [x], base)], base)
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        return g.op("HardSigmoid", [x], base, alpha=1.0 / 6.0, beta=0.5)
    if name in ("hard_silu", "hard_swish"):  # x * relu6(x + 3) / 6 is ONNX's HardSwish
        return g.op("HardSwish", [x], base)
    if name == "relu6":
        return g.op("Clip", [x, g.const(0.0, "zero"), g.const(6.0, "six")], base)
    raise _unsupported(layer, f"uses the activation {name!r}, which the ONNX exporter does not "
                              f"map yet")


# ----------------------------------------------------------------- core layers
def _identity(g, layer, xs, kts, t):
    return [g.op("Identity", [xs[0]], layer.name)]


def _dense(g, layer, xs, kts, t):
    y = g.op("MatMul", [xs[0], g.const(_w(layer.kernel), f"{layer.name}/kernel")], layer.name)
    if layer.use_bias:
        y = g.op("Add", [y, g.const(_w(layer.bias), f"{layer.name}/bias")], layer.name)
    return [_activation(g, y, layer.activation, layer.name, layer)]


def _activation_layer(g, layer, xs, kts, t):
    return [_activation(g, xs[0], layer.activation, layer.name, layer)]


def _softmax(g, layer, xs, kts, t):
    return [g.op("Softmax", [xs[0]], layer.name, axis=layer.axis)]


def _relu(g, layer, xs, kts, t):
    if layer.negative_slope:
        return [g.op("LeakyRelu", [xs[0]], layer.name, alpha=layer.negative_slope)]
    if layer.max_value is not None:
        return [g.op("Clip", [xs[0], g.const(0.0, "zero"), g.const(layer.max_value, "max")],
                     layer.name)]
    return [g.op("Relu", [xs[0]], layer.name)]


def _leaky_relu(g, layer, xs, kts, t):
    return [g.op("LeakyRelu", [xs[0]], layer.name, alpha=layer.negative_slope)]


def _elu(g, layer, xs, kts, t):
    return [g.op("Elu", [xs[0]], layer.name, alpha=layer.alpha)]


def _flatten(g, layer, xs, kts, t):
    return [g.op("Flatten", [xs[0]], layer.name, axis=1)]


def _reshape(g, layer, xs, kts, t):
    # 0 copies the batch size; ONNX infers a -1 as Keras does
    return [g.op("Reshape", [xs[0], g.ints([0] + list(layer.target_shape))], layer.name)]


def _rescaling(g, layer, xs, kts, t):
    y = g.op("Mul", [xs[0], g.const(layer.scale, f"{layer.name}/scale")], layer.name)
    return [g.op("Add", [y, g.const(layer.offset, f"{layer.name}/offset")], layer.name)]


def _normalization(g, layer, xs, kts, t):
    from ..layers.preprocessing import _EPSILON
    if layer.input_mean is None:
        mean = _w(layer.mean).reshape(layer._broadcast)
        std = np.maximum(np.sqrt(_w(layer.variance).reshape(layer._broadcast)),
                         np.float32(_EPSILON))
    else:
        mean, std = layer._given[0], np.maximum(np.sqrt(layer._given[1]), np.float32(_EPSILON))
    m, s = g.const(mean, f"{layer.name}/mean"), g.const(std, f"{layer.name}/std")
    if layer.invert:
        return [g.op("Add", [m, g.op("Mul", [xs[0], s], layer.name)], layer.name)]
    return [g.op("Div", [g.op("Sub", [xs[0], m], layer.name), s], layer.name)]


def _embedding(g, layer, xs, kts, t):
    ids = g.op("Cast", [xs[0]], layer.name, to=7)  # 7 = INT64: ids arrive as float32
    return [g.op("Gather", [g.const(_w(layer.embeddings), f"{layer.name}/embeddings"), ids],
                 layer.name, axis=0)]


def _reversible_embedding(g, layer, xs, kts, t):
    """Forward: an Embedding. reverse=True: vectors -> logits against the (tied or own)
    reverse matrix, with the optional tanh soft cap."""
    if not (getattr(t, "call_kwargs", {}) or {}).get("reverse"):
        return _embedding(g, layer, xs, kts, t)
    name = layer.name
    matrix = _w(layer.embeddings).T if layer.tie_weights else _w(layer.reverse_embeddings)
    logits = g.op("MatMul", [xs[0], g.const(matrix, f"{name}/reverse")], name)
    if layer.logit_soft_cap is not None:
        cap = g.const(layer.logit_soft_cap, f"{name}/soft_cap")
        logits = g.op("Mul", [g.op("Tanh", [g.op("Div", [logits, cap], name)], name), cap], name)
    return [logits]


def _prelu(g, layer, xs, kts, t):
    # Keras' relu(x) - alpha * relu(-x) is ONNX's PRelu; alpha (per sample) broadcasts
    return [g.op("PRelu", [xs[0], g.const(_w(layer.alpha), f"{layer.name}/alpha")], layer.name)]


def _einsum_dense(g, layer, xs, kts, t):
    i, w, o = layer._letters(len(kts[0].shape))
    y = g.op("Einsum", [xs[0], g.const(_w(layer.kernel), f"{layer.name}/kernel")], layer.name,
             equation=f"{i},{w}->{o}")
    if layer.bias is not None:
        y = g.op("Add", [y, g.const(_w(layer.bias), f"{layer.name}/bias")], layer.name)
    return [_activation(g, y, layer.activation, layer.name, layer)]


def _masking_keep(g, layer, x):
    """(batch, ..., 1) float: 1 where a step has a feature other than mask_value."""
    differs = g.op("Not", [g.op("Equal", [x, g.const(layer.mask_value, f"{layer.name}/value")],
                                layer.name)], layer.name)
    return g.op("ReduceMax", [g.op("Cast", [differs], layer.name, to=1)], layer.name, axes=[-1],
                keepdims=1)


def _masking(g, layer, xs, kts, t):
    return [g.op("Mul", [xs[0], _masking_keep(g, layer, xs[0])], layer.name)]


def _permute(g, layer, xs, kts, t):
    return [g.op("Transpose", [xs[0]], layer.name, perm=[0] + list(layer.dims))]


def _repeat_vector(g, layer, xs, kts, t):
    y = g.op("Unsqueeze", [xs[0], g.ints([1], "axes")], layer.name)  # (batch, 1, features)
    return [g.op("Expand", [y, g.ints([1, layer.n, 1])], layer.name)]


# ----------------------------------------------------------------- convolution and pooling
def _same_pads(layer, sizes, kernel, strides, dilation):
    """TF's 'same' padding: the extra pixel goes at the end. None when a size is unknown."""
    begin, end = [], []
    for n, k, s, d in zip(sizes, kernel, strides, dilation):
        if n is None:
            return None
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


def _window_attrs(layer, padding, sizes, kernel, strides, dilation):
    attrs = dict(kernel_shape=list(kernel), strides=list(strides))
    if padding == "valid":
        attrs["pads"] = [0] * (2 * len(kernel))
    elif padding == "causal":  # Conv1D: (k - 1) * d zeros before, none after
        attrs["pads"] = [(kernel[0] - 1) * dilation[0], 0]
    else:
        pads = _same_pads(layer, sizes, kernel, strides, dilation)
        if pads is None:
            attrs["auto_pad"] = "SAME_UPPER"
        else:
            attrs["pads"] = pads
    return attrs


def _channels_first(g, x, rank, base):
    return g.op("Transpose", [x], base, perm=[0, rank + 1] + list(range(1, rank + 1)))


def _channels_last(g, x, rank, base):
    return g.op("Transpose", [x], base, perm=[0] + list(range(2, rank + 2)) + [1])


def _conv(g, layer, xs, kts, t):
    rank, name = layer.rank, layer.name
    kernel = np.transpose(_w(layer.kernel), (rank + 1, rank) + tuple(range(rank)))
    inputs = [_channels_first(g, xs[0], rank, name), g.const(kernel, f"{name}/kernel")]
    if layer.use_bias:
        inputs.append(g.const(_w(layer.bias), f"{name}/bias"))
    attrs = _window_attrs(layer, layer.padding, kts[0].shape[1:-1], layer.kernel_size,
                          layer.strides, layer.dilation_rate)
    y = g.op("Conv", inputs, name, dilations=list(layer.dilation_rate), **attrs)
    return [_activation(g, _channels_last(g, y, rank, name), layer.activation, name, layer)]



def _conv_transpose(g, layer, xs, kts, t):
    """ConvTranspose: ONNX crops pads[begin]/pads[end] from the full scatter
    ((n - 1) * s + d * (k - 1) + 1) and adds output_padding at the end; Keras'
    length is that full scatter less TF's 'same' crop, or longer (valid with a
    kernel smaller than the stride), which is output_padding."""
    from ..ops.conv_transpose import deconv_length
    rank, name = layer.rank, layer.name
    sizes = kts[0].shape[1:-1]
    if any(n is None for n in sizes):
        raise _unsupported(layer, "has inputs of unknown (None) spatial size; the exporter needs "
                                  "them known to place the padding")
    begin, end, extra = [], [], []
    opad = layer.output_padding or (None,) * rank
    for n, k, s, d, p in zip(sizes, layer.kernel_size, layer.strides, layer.dilation_rate, opad):
        full = (n - 1) * s + d * (k - 1) + 1
        out = deconv_length(n, k, s, d, layer.padding, p)
        before = 0 if layer.padding == "valid" else max(full - out, 0) // 2
        rest = out - (full - before)  # > 0: zeros past the scatter; < 0: cropped at the end
        begin.append(before)
        end.append(max(-rest, 0))
        extra.append(max(rest, 0))
    kernel = np.transpose(_w(layer.kernel), (rank + 1, rank) + tuple(range(rank)))
    inputs = [_channels_first(g, xs[0], rank, name), g.const(kernel, f"{name}/kernel")]
    if layer.use_bias:
        inputs.append(g.const(_w(layer.bias), f"{name}/bias"))
    y = g.op("ConvTranspose", inputs, name, kernel_shape=list(layer.kernel_size),
             strides=list(layer.strides), dilations=list(layer.dilation_rate), pads=begin + end,
             output_padding=extra)
    return [_activation(g, _channels_last(g, y, rank, name), layer.activation, name, layer)]


def _depthwise(layer, sizes):
    """Keras' depthwise kernel (K..., C, M) as a grouped Conv's (C*M, 1, K...):
    group c makes output channels c*M .. c*M + M - 1, Keras' order."""
    k = _w(next(getattr(layer, a) for a in ("_depthwise", "depthwise_kernel", "kernel")
                if hasattr(layer, a)))  # 2D layers, SeparableConv1D, DepthwiseConv1D
    *ks, c, m = k.shape
    r = len(ks)
    kernel = np.transpose(k.reshape(*ks, c * m), (r,) + tuple(range(r)))[:, None]
    attrs = _window_attrs(layer, layer.padding, sizes, layer.kernel_size, layer.strides,
                          layer.dilation_rate)
    return kernel, c, attrs


def _depthwise_conv(g, layer, xs, kts, t):
    name, rank = layer.name, len(kts[0].shape) - 2
    kernel, c, attrs = _depthwise(layer, kts[0].shape[1:-1])
    inputs = [_channels_first(g, xs[0], rank, name), g.const(kernel, f"{name}/kernel")]
    if layer.use_bias:
        inputs.append(g.const(_w(layer.bias), f"{name}/bias"))
    y = g.op("Conv", inputs, name, group=c, dilations=list(layer.dilation_rate), **attrs)
    return [_activation(g, _channels_last(g, y, rank, name), layer.activation, name, layer)]


def _separable_conv(g, layer, xs, kts, t):
    """The grouped depthwise Conv, then a 1x1 Conv with the bias."""
    name, rank = layer.name, len(kts[0].shape) - 2
    kernel, c, attrs = _depthwise(layer, kts[0].shape[1:-1])
    y = g.op("Conv", [_channels_first(g, xs[0], rank, name), g.const(kernel, f"{name}/depthwise")],
             name, group=c, dilations=list(layer.dilation_rate), **attrs)
    point = _w(layer.pointwise_kernel)  # (1..., C*M, filters) -> (filters, C*M, 1...)
    point = np.transpose(point, (rank + 1, rank) + tuple(range(rank)))
    inputs = [y, g.const(point, f"{name}/pointwise")]
    if layer.use_bias:
        inputs.append(g.const(_w(layer.bias), f"{name}/bias"))
    y = g.op("Conv", inputs, name, kernel_shape=[1] * rank)
    return [_activation(g, _channels_last(g, y, rank, name), layer.activation, name, layer)]

def _pool(op_type):
    def convert(g, layer, xs, kts, t):
        rank, name = layer.rank, layer.name
        attrs = _window_attrs(layer, layer.padding, kts[0].shape[1:-1], layer.pool_size,
                              layer.strides, (1,) * rank)
        # AveragePool's default count_include_pad=0 is Keras': padding is not averaged in
        y = g.op(op_type, [_channels_first(g, xs[0], rank, name)], name, **attrs)
        return [_channels_last(g, y, rank, name)]
    return convert


def _global_pool(op_type):
    def convert(g, layer, xs, kts, t):
        first = getattr(layer, "data_format", "channels_last") == "channels_first"
        axes = list(range(2, layer.rank + 2)) if first else list(range(1, layer.rank + 1))
        return [g.op(op_type, [xs[0]], layer.name, axes=axes, keepdims=int(layer.keepdims))]
    return convert


def _adaptive_pool(g, layer, xs, kts, t):
    """pynn's windows, axis after axis: output cell i of o pools input cells
    floor(i*n/o) .. ceil((i+1)*n/o) - 1, one Slice and Reduce per cell."""
    import math
    name, y = layer.name, xs[0]
    op_type = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    for axis, o in enumerate(layer.output_size, start=1):
        n = kts[0].shape[axis]
        if n is None:
            raise _unsupported(layer, "pools an axis of unknown (None) size; the exporter needs "
                                      "the sizes known to place the windows")
        cells = []
        for i in range(o):
            lo, hi = (i * n) // o, math.ceil((i + 1) * n / o)
            window = g.op("Slice", [y, g.ints([lo]), g.ints([hi]), g.ints([axis], "axes")], name)
            cells.append(g.op(op_type, [window], name, axes=[axis], keepdims=1))
        y = cells[0] if o == 1 else g.op("Concat", cells, name, axis=axis)
    return [y]


# ----------------------------------------------------------------- normalization
def _batch_norm(g, layer, xs, kts, t):
    # inference: (x - mean) / sqrt(var + eps) * gamma + beta, folded into x * a + b
    c = layer.moving_mean.shape[0]
    gamma = _w(layer.gamma).astype(np.float64) if layer.scale else np.ones(c)
    beta = _w(layer.beta).astype(np.float64) if layer.center else np.zeros(c)
    a = gamma / np.sqrt(_w(layer.moving_variance).astype(np.float64) + layer.epsilon)
    b = beta - _w(layer.moving_mean).astype(np.float64) * a
    y = g.op("Mul", [xs[0], g.const(a, f"{layer.name}/scale")], layer.name)
    return [g.op("Add", [y, g.const(b, f"{layer.name}/shift")], layer.name)]


def _layer_norm(g, layer, xs, kts, t):
    c = kts[0].shape[-1]
    gamma = _w(layer.gamma) if layer.scale else np.ones(c, np.float32)
    beta = _w(layer.beta) if layer.center else np.zeros(c, np.float32)
    return [g.op("LayerNormalization", [xs[0], g.const(gamma, f"{layer.name}/gamma"),
                                        g.const(beta, f"{layer.name}/beta")],
                 layer.name, axis=-1, epsilon=layer.epsilon)]


def _group_norm(g, layer, xs, kts, t):
    """(x - mean) / sqrt(var + eps) over each group of channels and all positions (the
    biased variance, as Keras), then gamma, beta per channel. Opset 17 has no
    GroupNormalization: (batch, ..., C) is viewed as (batch, positions, G, C/G)."""
    name, c, groups = layer.name, kts[0].shape[-1], layer.groups
    x = g.op("Reshape", [xs[0], g.ints([0, -1, groups, c // groups])], name)
    mean = g.op("ReduceMean", [x], name, axes=[1, 3], keepdims=1)
    centred = g.op("Sub", [x, mean], name)
    var = g.op("ReduceMean", [g.op("Mul", [centred, centred], name)], name, axes=[1, 3],
               keepdims=1)
    std = g.op("Sqrt", [g.op("Add", [var, g.const(layer.epsilon, f"{name}/epsilon")], name)], name)
    y = g.op("Reshape", [g.op("Div", [centred, std], name), g.op("Shape", [xs[0]], name)], name)
    if layer.scale:
        y = g.op("Mul", [y, g.const(_w(layer.gamma), f"{name}/gamma")], name)
    if layer.center:
        y = g.op("Add", [y, g.const(_w(layer.beta), f"{name}/beta")], name)
    return [y]


def _rms_norm(g, layer, xs, kts, t):
    name, rank = layer.name, len(kts[0].shape)
    axes = sorted(a % rank for a in layer._axes)
    ms = g.op("ReduceMean", [g.op("Mul", [xs[0], xs[0]], name)], name, axes=axes, keepdims=1)
    rms = g.op("Sqrt", [g.op("Add", [ms, g.const(layer.epsilon, f"{name}/epsilon")], name)], name)
    scale = _w(layer.scale).reshape((1,) + layer._bshape)
    return [g.op("Mul", [g.op("Div", [xs[0], rms], name), g.const(scale, f"{name}/scale")], name)]


def _unit_norm(g, layer, xs, kts, t):
    # pynn's x * rsqrt(max(sum(x^2), 1e-24)): a zero vector stays zero
    name, rank = layer.name, len(kts[0].shape)
    axes = sorted(a % rank for a in layer._axes)
    ss = g.op("ReduceSum", [g.op("Mul", [xs[0], xs[0]], name), g.ints(axes, "axes")], name,
              keepdims=1)
    norm = g.op("Sqrt", [g.op("Max", [ss, g.const(1e-24, "tiny")], name)], name)
    return [g.op("Div", [xs[0], norm], name)]


# ----------------------------------------------------------------- reshaping
def _spatial_pairs(layer, values):
    """(begin, end) per spatial axis: 1D (b, e), 2D (top, bottom, left, right), 3D pairs."""
    if isinstance(values[0], (tuple, list)):
        return [tuple(v) for v in values]
    return [tuple(values[i:i + 2]) for i in range(0, len(values), 2)]


def _zero_padding(g, layer, xs, kts, t):
    pairs = _spatial_pairs(layer, layer.padding)
    pads = [0] + [p[0] for p in pairs] + [0, 0] + [p[1] for p in pairs] + [0]
    return [g.op("Pad", [xs[0], g.ints(pads, "pads")], layer.name, mode="constant")]


def _cropping(g, layer, xs, kts, t):
    pairs = _spatial_pairs(layer, layer.cropping)
    starts = [p[0] for p in pairs]
    ends = [-p[1] if p[1] else np.iinfo(np.int64).max for p in pairs]
    axes = list(range(1, len(pairs) + 1))
    return [g.op("Slice", [xs[0], g.ints(starts, "starts"), g.ints(ends, "ends"),
                           g.ints(axes, "axes")], layer.name)]


def _upsampling(g, layer, xs, kts, t):
    size = (layer.size,) if isinstance(layer.size, int) else tuple(layer.size)
    scales = g.const([1.0, *size, 1.0], f"{layer.name}/scales")
    # nearest, asymmetric coordinates, floor: each input pixel repeated size times
    return [g.op("Resize", [xs[0], "", scales], layer.name, mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")]


def _image_size(layer, kts):
    h, w = kts[0].shape[1:3]
    if len(kts[0].shape) != 4 or h is None or w is None:
        raise _unsupported(layer, f"takes images of shape {kts[0].shape}; the exporter needs a "
                                  f"batch of images of known height and width")
    return h, w


def _smart_resize(g, layer, x, kts, crop):
    """pynn's smart_resize (with crop) or resize to (layer.height, layer.width): the
    largest centred window of the target's aspect ratio, then Keras' half-pixel resize
    without antialiasing, which is ONNX Resize with half_pixel coordinates (bilinear:
    linear; nearest: TF's floor((out + 0.5) * scale), i.e. rounding half up)."""
    h, w = _image_size(layer, kts)
    height, width, name = layer.height, layer.width, layer.name
    if crop:
        ch = max(min(h, int(float(w * height) / width)), 1)
        cw = max(min(w, int(float(h * width) / height)), 1)
        top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        if (ch, cw) != (h, w):
            x = g.op("Slice", [x, g.ints([top, left]), g.ints([top + ch, left + cw]),
                               g.ints([1, 2], "axes")], name)
    sizes = g.op("Concat", [g.op("Slice", [g.op("Shape", [x], name), g.ints([0]), g.ints([1])],
                                 name), g.ints([height, width, kts[0].shape[-1]])], name, axis=0)
    interpolation = getattr(layer, "interpolation", "bilinear")
    mode = dict(mode="linear") if interpolation == "bilinear" else dict(
        mode="nearest", nearest_mode="round_prefer_ceil")
    return g.op("Resize", [x, "", "", sizes], name, coordinate_transformation_mode="half_pixel",
                **mode)


def _center_crop(g, layer, xs, kts, t):
    h, w = _image_size(layer, kts)
    if h < layer.height or w < layer.width:  # pynn: the aspect-ratio window, resized
        return [_smart_resize(g, layer, xs[0], kts, crop=True)]
    top, left = (h - layer.height) // 2, (w - layer.width) // 2
    return [g.op("Slice", [xs[0], g.ints([top, left]),
                           g.ints([top + layer.height, left + layer.width]),
                           g.ints([1, 2], "axes")], layer.name)]


def _random_crop(g, layer, xs, kts, t):
    # inference: the input when it has the target size, else pynn's smart_resize
    if tuple(_image_size(layer, kts)) == (layer.height, layer.width):
        return _identity(g, layer, xs, kts, t)
    return [_smart_resize(g, layer, xs[0], kts, crop=True)]


def _auto_contrast(g, layer, xs, kts, t):
    """pynn's stretch of each image's channels to the full value range (per image and
    channel min / max over height and width); a flat channel (0 / 0) stays as it came."""
    _image_size(layer, kts)
    name, x = layer.name, xs[0]
    lo, hi = (float(v) for v in layer.value_range)
    v = x if (lo, hi) == (0.0, 255.0) else g.op("Mul", [g.op("Sub", [x, g.const(lo, "lo")], name),
                                                         g.const(255.0 / (hi - lo), "to255")], name)
    low = g.op("ReduceMin", [v], name, axes=[1, 2], keepdims=1)
    high = g.op("ReduceMax", [v], name, axes=[1, 2], keepdims=1)
    scale = g.op("Div", [g.const(255.0, "c255"), g.op("Sub", [high, low], name)], name)
    out = g.op("Sub", [g.op("Mul", [v, scale], name), g.op("Mul", [low, scale], name)], name)
    out = g.op("Min", [g.op("Max", [out, g.const(0.0, "zero")], name), g.const(255.0, "c255")],
               name)
    if (lo, hi) != (0.0, 255.0):
        out = g.op("Add", [g.op("Mul", [out, g.const((hi - lo) / 255.0, "from255")], name),
                           g.const(lo, "lo")], name)
    return [g.op("Where", [g.op("IsNaN", [out], name), x, out], name)]


def _resizing(g, layer, xs, kts, t):
    if layer.interpolation not in ("bilinear", "nearest"):
        raise _unsupported(layer, f"uses interpolation={layer.interpolation!r}; the ONNX "
                                  f"exporter writes 'bilinear' and 'nearest'")
    return [_smart_resize(g, layer, xs[0], kts, crop=layer.crop_to_aspect_ratio)]


# ----------------------------------------------------------------- merges
def _elementwise_merge(op_type):
    def convert(g, layer, xs, kts, t):
        rank = max(len(k.shape) for k in kts)
        names = []
        for x, k in zip(xs, kts):  # Keras: a lower-rank input is expanded at axis 1
            for _ in range(rank - len(k.shape)):
                x = g.op("Unsqueeze", [x, g.ints([1], "axes")], layer.name)
            names.append(x)
        out = names[0]
        for x in names[1:]:
            out = g.op(op_type, [out, x], layer.name)
        if type(layer).__name__ == "Average":
            out = g.op("Div", [out, g.const(float(len(names)), "n")], layer.name)
        return [out]
    return convert


def _concatenate(g, layer, xs, kts, t):
    return [g.op("Concat", xs, layer.name, axis=layer.axis)]


def _dot(g, layer, xs, kts, t):
    s1, s2 = kts[0].shape, kts[1].shape
    a1, a2 = layer._axes([s1, s2])
    x1, x2 = xs
    if layer.normalize:  # Keras: x / sqrt(max(sum(x^2), 1e-14)) along the contracted axis
        def l2(x, a):
            ss = g.op("ReduceSum", [g.op("Mul", [x, x], layer.name), g.ints([a], "axes")],
                      layer.name, keepdims=1)
            ss = g.op("Max", [ss, g.const(1e-14, "eps")], layer.name)
            return g.op("Div", [x, g.op("Sqrt", [ss], layer.name)], layer.name)
        x1, x2 = l2(x1, a1), l2(x2, a2)
    keep1 = [i for i in range(1, len(s1)) if i != a1]
    keep2 = [i for i in range(1, len(s2)) if i != a2]
    dims = [s1[i] for i in keep1] + [s2[i] for i in keep2] + [s1[a1]]
    if any(d is None for d in dims):
        raise _unsupported(layer, f"contracts inputs of shapes {s1} and {s2} with an unknown "
                                  f"(None) axis; the exporter needs them known")
    n = s1[a1]
    left = g.op("Reshape", [g.op("Transpose", [x1], layer.name, perm=[0] + keep1 + [a1]),
                            g.ints([-1, int(np.prod([s1[i] for i in keep1])), n])], layer.name)
    right = g.op("Reshape", [g.op("Transpose", [x2], layer.name, perm=[0, a2] + keep2),
                             g.ints([-1, n, int(np.prod([s2[i] for i in keep2]))])], layer.name)
    out = g.op("MatMul", [left, right], layer.name)
    rest = [s1[i] for i in keep1] + [s2[i] for i in keep2]
    return [g.op("Reshape", [out, g.ints([-1] + (rest or [1]))], layer.name)]


# ----------------------------------------------------------------- recurrent
_RNN_ACTIVATIONS = {"tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None), "relu": ("Relu", None),
                    "linear": ("Affine", (1.0, 0.0)),
                    "hard_sigmoid": ("HardSigmoid", (1.0 / 6.0, 0.5))}


def _reverse_time(g, x, base):
    return g.op("Slice", [x, g.ints([-1], "starts"), g.ints([_INT64_MIN], "ends"),
                          g.ints([1], "axes"), g.ints([-1], "steps")], base)


def _rnn_kind(layer):
    """'SimpleRNN', 'LSTM' or 'GRU': the layer's class, or the cell of an RNN(cell) view."""
    return getattr(layer, "kind", None) or type(layer).__name__


def _cell_view(layer, cell):
    """A SimpleRNNCell / LSTMCell / GRUCell of RNN layer seen as the matching recurrent
    layer: the cell's weights and activations, the RNN's sequence options."""
    from types import SimpleNamespace
    from ..layers import rnn_cells as C
    kinds = {C.SimpleRNNCell: "SimpleRNN", C.LSTMCell: "LSTM", C.GRUCell: "GRU"}
    if type(cell) not in kinds:
        raise _unsupported(layer, f"runs a {type(cell).__name__} cell; the ONNX exporter maps "
                                  f"RNN over SimpleRNNCell, LSTMCell, GRUCell or a "
                                  f"StackedRNNCells of them")
    view = SimpleNamespace(**{k: getattr(cell, k) for k in (
        "units", "kernel", "recurrent_kernel", "bias", "use_bias", "activation")})
    view.recurrent_activation = getattr(cell, "recurrent_activation", None)
    view.reset_after = getattr(cell, "reset_after", True)
    for k in ("go_backwards", "return_sequences", "return_state", "stateful",
              "zero_output_for_mask", "name"):
        setattr(view, k, getattr(layer, k))
    view.kind, view.owner = kinds[type(cell)], layer
    return view


def _rnn_layer(g, layer, x, t, base, mask=None):
    """One recurrent layer on (batch, T, features) x; [output, *states] names."""
    kw = getattr(t, "call_kwargs", {}) or {}
    for key in ("mask", "initial_state"):
        if kw.get(key) is not None:
            raise _unsupported(layer, f"is called with {key}=..., which the ONNX exporter does "
                                      f"not map")
    if getattr(layer, "stateful", False):  # the graph cannot carry a state between calls
        raise _unsupported(layer, "is stateful (its state carries over between batches), which "
                                  "an ONNX graph cannot express")
    kind = _rnn_kind(layer)
    if mask is not None:
        if kind == "GRU" and not layer.reset_after:
            raise _unsupported(layer, "is a GRU with reset_after=False under a mask, which the "
                                      "ONNX exporter does not write")
        return _masked_rnn_loop(g, layer, x, mask, base)
    u = layer.units
    kernel, rec = _w(layer.kernel), _w(layer.recurrent_kernel)
    if kind == "LSTM":
        gates, op_type, acts = 4, "LSTM", [layer.recurrent_activation, layer.activation,
                                           layer.activation]
        order = [0, 3, 1, 2]  # Keras i, f, c, o -> ONNX i, o, f, c
    elif kind == "GRU":
        gates, op_type, acts = 3, "GRU", [layer.recurrent_activation, layer.activation]
        order = [0, 1, 2]  # z, r, h in both
    else:
        gates, op_type, acts, order = 1, "RNN", [layer.activation], [0]

    def blocks(m):  # (rows, gates*u) -> ONNX gate order, transposed to (gates*u, rows)
        return np.concatenate([m[:, i * u:(i + 1) * u] for i in order], axis=1).T

    W, R = blocks(kernel)[None], blocks(rec)[None]
    if not layer.use_bias:
        B = np.zeros((1, 2 * gates * u), np.float32)
    elif kind == "GRU" and layer.reset_after:  # (2, 3u): input, recurrent bias -> Wb, Rb
        b = _w(layer.bias)
        B = np.concatenate([b[0], b[1]])[None]
    else:
        B = np.concatenate([blocks(_w(layer.bias)[None])[:, 0], np.zeros(gates * u)])[None]
    names, alphas, betas = [], [], []
    for a in acts:
        onnx_name, ab = _RNN_ACTIVATIONS[a]
        names.append(onnx_name)
        if ab is not None:  # consumed in order by the activations that take them
            alphas.append(ab[0])
            betas.append(ab[1])
    attrs = dict(hidden_size=u, activations=names, direction="forward")
    if alphas:
        attrs.update(activation_alpha=alphas, activation_beta=betas)
    if kind == "GRU":  # Keras 3's reset_after=True; False is ONNX's default formulation
        attrs["linear_before_reset"] = int(layer.reset_after)
    if layer.go_backwards:
        x = _reverse_time(g, x, base)
    xt = g.op("Transpose", [x], base, perm=[1, 0, 2])  # (T, batch, features)
    n_out = 3 if kind == "LSTM" else 2
    outs = g.op(op_type, [xt, g.const(W, f"{base}/W"), g.const(R, f"{base}/R"),
                          g.const(B, f"{base}/B")], base, n_out=n_out, **attrs)
    if layer.return_sequences:  # Y: (T, 1, batch, u) -> (batch, T, u)
        y = g.op("Squeeze", [outs[0], g.ints([1], "axes")], base)
        y = g.op("Transpose", [y], base, perm=[1, 0, 2])
    else:
        y = g.op("Squeeze", [outs[1], g.ints([0], "axes")], base)
    result = [y]
    if layer.return_state:
        result += [g.op("Squeeze", [s, g.ints([0], "axes")], base) for s in outs[1:]]
    return result


def _rnn_activation(g, x, name, base):
    if name == "linear":
        return x
    if name == "hard_sigmoid":
        return g.op("HardSigmoid", [x], base, alpha=1.0 / 6.0, beta=0.5)
    return g.op({"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}[name], [x], base)


def _masked_rnn_loop(g, layer, x, mask, base):
    """A recurrent layer under a (batch, T) mask, as an ONNX Loop over the time steps.

    ONNX's RNN / LSTM / GRU only take sequence lengths (padding at the end); a
    Keras mask may hold zeros anywhere (pad_sequences pads in front by default).
    So the cell is written out with Keras' equations and its weight layout, and a
    masked step keeps the state, as Keras' rnn(): the output repeats the last
    one, or is zeros with zero_output_for_mask."""
    kind, u, name = _rnn_kind(layer), layer.units, base
    act, ract = layer.activation, getattr(layer, "recurrent_activation", None)
    if layer.go_backwards:
        x, mask = _reverse_time(g, x, name), _reverse_time(g, mask, name)
    # the input projection of every step at once: (T, batch, gates * units)
    proj = g.op("MatMul", [g.op("Transpose", [x], name, perm=[1, 0, 2]),
                           g.const(_w(layer.kernel), f"{name}/kernel")], name)
    if layer.use_bias:
        bias = _w(layer.bias)
        proj = g.op("Add", [proj, g.const(bias[0] if kind == "GRU" else bias, f"{name}/bias")],
                    name)
    keep = g.op("Cast", [g.op("Transpose", [g.op("Unsqueeze", [mask, g.ints([2], "axes")], name)],
                              name, perm=[1, 0, 2])], name, to=9)  # (T, batch, 1) BOOL
    shape = g.op("Shape", [x], name)
    steps = g.op("Gather", [shape, g.const(np.int64(1), "time_axis", np.int64)], name)
    zeros = g.op("ConstantOfShape", [g.op("Concat", [g.op("Slice", [shape, g.ints([0]),
                                                                     g.ints([1])], name),
                                                      g.ints([u], "units")], name, axis=0)], name)
    b = g.sub()
    it, cond, h = b.unique(f"{name}/step"), b.unique(f"{name}/cond"), b.unique(f"{name}/h")
    c = b.unique(f"{name}/c") if kind == "LSTM" else None
    xp = b.op("Gather", [proj, it], name, axis=0)   # (batch, gates * units)
    m = b.op("Gather", [keep, it], name, axis=0)    # (batch, 1)
    rh = b.op("MatMul", [h, g.const(_w(layer.recurrent_kernel), f"{name}/recurrent_kernel")],
              name)

    def gate(v, i):
        return b.op("Slice", [v, g.ints([i * u]), g.ints([(i + 1) * u]), g.ints([-1])], name)

    if kind == "SimpleRNN":
        h_new = _rnn_activation(b, b.op("Add", [xp, rh], name), act, name)
    elif kind == "LSTM":  # Keras: gates i, f, c, o
        z = b.op("Add", [xp, rh], name)
        i_, f_, o_ = (_rnn_activation(b, gate(z, k), ract, name) for k in (0, 1, 3))
        candidate = _rnn_activation(b, gate(z, 2), act, name)
        c_new = b.op("Add", [b.op("Mul", [f_, c], name), b.op("Mul", [i_, candidate], name)],
                     name)
        h_new = b.op("Mul", [o_, _rnn_activation(b, c_new, act, name)], name)
    else:  # GRU, reset_after: the recurrent bias inside, the reset gate on h·R
        if layer.use_bias:
            rh = b.op("Add", [rh, g.const(_w(layer.bias)[1], f"{name}/recurrent_bias")], name)
        z_ = _rnn_activation(b, b.op("Add", [gate(xp, 0), gate(rh, 0)], name), ract, name)
        r_ = _rnn_activation(b, b.op("Add", [gate(xp, 1), gate(rh, 1)], name), ract, name)
        hh = _rnn_activation(b, b.op("Add", [gate(xp, 2), b.op("Mul", [r_, gate(rh, 2)], name)],
                                     name), act, name)
        one_minus = b.op("Sub", [g.const(1.0, "one"), z_], name)
        h_new = b.op("Add", [b.op("Mul", [z_, h], name), b.op("Mul", [one_minus, hh], name)], name)
    h_out = b.op("Where", [m, h_new, h], name)
    carried = [h_out]
    if kind == "LSTM":
        carried.append(b.op("Where", [m, c_new, c], name))
    y = (b.op("Where", [m, h_new, g.const(0.0, "zero")], name) if layer.zero_output_for_mask
         else b.op("Identity", [h_out], name))
    cond_out = b.op("Identity", [cond], name)
    H = b.helper
    body = H.make_graph(
        b.nodes, b.unique(f"{name}/body"),
        [H.make_tensor_value_info(it, 7, []), H.make_tensor_value_info(cond, 9, []),
         H.make_tensor_value_info(h, 1, None)] + ([H.make_tensor_value_info(c, 1, None)]
                                                  if c else []),
        [H.make_tensor_value_info(n, dt, None)
         for n, dt in [(cond_out, 9)] + [(v, 1) for v in carried] + [(y, 1)]])
    n_states = len(carried)
    outs = g.op("Loop", [steps, "", zeros] + [zeros] * (n_states - 1), name,
                n_out=n_states + 1, body=body)
    states, ys = outs[:n_states], outs[-1]   # ys: (T, batch, units)
    if layer.return_sequences:
        out = g.op("Transpose", [ys], name, perm=[1, 0, 2])
    else:  # Keras' last output is the last element of the output sequence
        out = g.op("Gather", [ys, g.const(np.int64(-1), "last", np.int64)], name, axis=0)
    return [out] + (states if layer.return_state else [])


def _rnn(g, layer, xs, kts, t):
    return _rnn_layer(g, layer, xs[0], t, layer.name, g.input_masks[0])


def _rnn_of_cell(g, layer, xs, kts, t):
    """RNN(cell), and RNN(StackedRNNCells) as pynn runs it: cell after cell over the whole
    sequence; with go_backwards the first cell reverses it and the cells above see it
    (and its mask) already in processing order."""
    from ..layers.rnn_cells import StackedRNNCells
    cells = layer.cell.cells if isinstance(layer.cell, StackedRNNCells) else [layer.cell]
    x, mask, states = xs[0], g.input_masks[0], []
    for i, cell in enumerate(cells):
        view = _cell_view(layer, cell)
        view.go_backwards = layer.go_backwards and i == 0
        view.return_sequences = layer.return_sequences or i < len(cells) - 1
        view.return_state = True
        if i == 1 and mask is not None and layer.go_backwards:
            mask = _reverse_time(g, mask, layer.name)
        base = layer.name if len(cells) == 1 else f"{layer.name}/cell_{i}"
        out = _rnn_layer(g, view, x, t, base, mask)
        x, states = out[0], states + out[1:]
    return [x] + (states if layer.return_state else [])


def _bidirectional(g, layer, xs, kts, t):
    mask = g.input_masks[0]
    fwd = _rnn_layer(g, layer.forward_layer, xs[0], t, f"{layer.name}/forward", mask)
    bwd = _rnn_layer(g, layer.backward_layer, xs[0], t, f"{layer.name}/backward", mask)
    y, y_rev = fwd[0], bwd[0]
    if layer.return_sequences:  # back to time order, as Keras
        y_rev = _reverse_time(g, y_rev, layer.name)
    mode = layer.merge_mode
    if mode == "concat":
        out = [g.op("Concat", [y, y_rev], layer.name, axis=-1)]
    elif mode == "sum":
        out = [g.op("Add", [y, y_rev], layer.name)]
    elif mode == "ave":
        out = [g.op("Mul", [g.op("Add", [y, y_rev], layer.name), g.const(0.5, "half")],
                    layer.name)]
    elif mode == "mul":
        out = [g.op("Mul", [y, y_rev], layer.name)]
    else:
        out = [y, y_rev]
    return out + (fwd[1:] + bwd[1:] if layer.return_state else [])


def _conv_lstm(g, layer, xs, kts, t):
    """ConvLSTM1D/2D as pynn computes it: the input convolution of every step at once
    (steps folded into the batch), then an ONNX Loop over the steps with the
    recurrent convolution (stride 1, 'same', no bias) and LSTM's gates i, f, c, o;
    channels-first inside, channels-last outside."""
    kw = getattr(t, "call_kwargs", {}) or {}
    if g.input_masks[0] is not None or kw.get("mask") is not None \
            or kw.get("initial_state") is not None:
        raise _unsupported(layer, "receives a mask or an initial_state, which the ONNX exporter "
                                  "does not map")
    name, rank, F = layer.name, layer.rank, layer.filters
    shape = kts[0].shape
    if any(d is None for d in shape[1:]):
        raise _unsupported(layer, f"takes inputs of shape {shape}; the exporter needs every "
                                  f"axis but the batch known")
    T, frame = shape[1], list(shape[2:-1])
    acts = []
    for fn in (layer.recurrent_activation, layer.activation):
        try:
            a = activations.serialize(fn)
        except ValueError:  # a custom function
            a = repr(fn)
        if a not in _RNN_ACTIVATIONS:
            raise _unsupported(layer, f"uses the activation {a!r}; the exporter writes "
                                      f"{sorted(_RNN_ACTIVATIONS)}")
        acts.append(a)
    ract, act = acts
    perm = (rank + 1, rank) + tuple(range(rank))
    frames = g.op("Reshape", [xs[0], g.ints([-1] + list(shape[2:]))], name)
    inputs = [_channels_first(g, frames, rank, name),
              g.const(np.transpose(_w(layer.kernel), perm), f"{name}/kernel")]
    if layer.use_bias:
        inputs.append(g.const(_w(layer.bias), f"{name}/bias"))
    attrs = _window_attrs(layer, layer.padding, frame, layer.kernel_size, layer.strides,
                          layer.dilation_rate)
    xw = g.op("Conv", inputs, name, dilations=list(layer.dilation_rate), **attrs)
    out_frame = list(t.shape[-rank - 1:-1])  # any output (sequence or state) ends (*S', F)
    xw = g.op("Reshape", [xw, g.ints([-1, T, 4 * F] + out_frame)], name)
    xw = g.op("Transpose", [xw], name, perm=[1, 0] + list(range(2, rank + 3)))  # (T, B, 4F, S)
    if layer.go_backwards:
        xw = g.op("Slice", [xw, g.ints([-1]), g.ints([_INT64_MIN]), g.ints([0]), g.ints([-1])],
                  name)
    batch = g.op("Slice", [g.op("Shape", [xs[0]], name), g.ints([0]), g.ints([1])], name)
    zeros = g.op("ConstantOfShape", [g.op("Concat", [batch, g.ints([F] + out_frame)], name,
                                          axis=0)], name)
    b = g.sub()
    it, cond = b.unique(f"{name}/step"), b.unique(f"{name}/cond")
    h, c = b.unique(f"{name}/h"), b.unique(f"{name}/c")
    rk = g.const(np.transpose(_w(layer.recurrent_kernel), perm), f"{name}/recurrent_kernel")
    rec_attrs = _window_attrs(layer, "same", out_frame, layer.kernel_size, (1,) * rank,
                              (1,) * rank)
    z = b.op("Add", [b.op("Gather", [xw, it], name, axis=0),
                     b.op("Conv", [h, rk], name, **rec_attrs)], name)

    def gate(i):
        return b.op("Slice", [z, g.ints([i * F]), g.ints([(i + 1) * F]), g.ints([1])], name)

    i_, f_, o_ = (_rnn_activation(b, gate(k), ract, name) for k in (0, 1, 3))
    c_new = b.op("Add", [b.op("Mul", [f_, c], name),
                         b.op("Mul", [i_, _rnn_activation(b, gate(2), act, name)], name)], name)
    h_new = b.op("Mul", [o_, _rnn_activation(b, c_new, act, name)], name)
    y = b.op("Identity", [h_new], name)
    cond_out = b.op("Identity", [cond], name)
    H = b.helper
    body = H.make_graph(
        b.nodes, b.unique(f"{name}/body"),
        [H.make_tensor_value_info(it, 7, []), H.make_tensor_value_info(cond, 9, []),
         H.make_tensor_value_info(h, 1, None), H.make_tensor_value_info(c, 1, None)],
        [H.make_tensor_value_info(n, dt, None)
         for n, dt in [(cond_out, 9), (h_new, 1), (c_new, 1), (y, 1)]])
    h_T, c_T, ys = g.op("Loop", [g.const(np.int64(T), "steps", np.int64), "", zeros, zeros],
                        name, n_out=3, body=body)
    if layer.return_sequences:  # (T, B, F, S) -> (B, T, S, F)
        out = g.op("Transpose", [ys], name, perm=[1, 0] + list(range(3, rank + 3)) + [2])
    else:
        out = _channels_last(g, h_T, rank, name)
    states = [_channels_last(g, h_T, rank, name), _channels_last(g, c_T, rank, name)]
    return [out] + (states if layer.return_state else [])


def _time_distributed(g, layer, xs, kts, t):
    """The steps folded into the batch axis, the wrapped layer's converter on
    (batch*time, ...), unfolded again: what TimeDistributed.call computes (it hands
    the wrapped layer no mask)."""
    from types import SimpleNamespace
    name, shape, inner = layer.name, kts[0].shape, layer.layer
    if any(d is None for d in tuple(shape[2:]) + tuple(t.shape[2:])):
        raise _unsupported(layer, f"maps per-step shapes {shape[2:]} -> {t.shape[2:]} with an "
                                  f"unknown (None) size; the exporter needs them known")
    folded_kt = SimpleNamespace(shape=(None,) + tuple(shape[2:]), layer=None)
    folded = g.op("Reshape", [xs[0], g.ints([-1] + list(shape[2:]))], name)
    outer_masks, g.input_masks = g.input_masks, [None]
    outs = _converter_for(inner, g.converters)(
        g, inner, [folded], [folded_kt], SimpleNamespace(call_kwargs={}, inputs=(folded_kt,)))
    g.input_masks = outer_masks
    if len(outs) != 1:
        raise _unsupported(layer, f"wraps {type(inner).__name__}, which returns several outputs")
    batch_time = g.op("Slice", [g.op("Shape", [xs[0]], name), g.ints([0]), g.ints([2])], name)
    target = g.op("Concat", [batch_time, g.ints(list(t.shape[2:]))], name, axis=0)
    return [g.op("Reshape", [outs[0], target], name)]


# ----------------------------------------------------------------- attention
def _attention(g, layer, xs, kts, t):
    kw = getattr(t, "call_kwargs", {}) or {}
    for key in ("attention_mask", "query_mask", "value_mask", "key_mask"):
        if kw.get(key) is not None:
            raise _unsupported(layer, f"is called with {key}, which the ONNX exporter does not "
                                      f"map (use_causal_mask=True is supported)")
    if kw.get("return_attention_scores"):
        raise _unsupported(layer, "returns its attention scores, which the ONNX exporter does "
                                  "not write")
    if getattr(layer, "sliding_window", None) is not None:
        raise _unsupported(layer, "uses a sliding_window, which the ONNX exporter does not map")
    H, kd, vd, name = layer.num_heads, layer.key_dim, layer.value_dim, layer.name
    query, value = xs[0], xs[1]
    key = xs[2] if len(xs) > 2 else value

    def shared(x, depth):  # GroupQueryAttention: each key/value head serves R query heads
        r = getattr(layer, "num_repeats", 1)
        if r == 1:
            return x
        x = g.op("Reshape", [x, g.ints([0, 0, layer.num_key_value_heads, 1, depth])], name)
        x = g.op("Expand", [x, g.ints([1, 1, 1, r, 1])], name)
        return g.op("Reshape", [x, g.ints([0, 0, H * depth])], name)

    def project(x, kernel, bias, what):
        k = _w(kernel)
        k = k.reshape(-1, k.shape[-1]) if kernel is layer.output_kernel \
            else k.reshape(k.shape[0], -1)
        y = g.op("MatMul", [x, g.const(k, f"{name}/{what}/kernel")], name)
        if bias is not None:
            y = g.op("Add", [y, g.const(_w(bias).reshape(-1), f"{name}/{what}/bias")], name)
        return y

    def heads(x, depth):  # (batch, T, H*depth) -> (batch, H, T, depth)
        x = g.op("Reshape", [x, g.ints([0, 0, H, depth])], name)
        return g.op("Transpose", [x], name, perm=[0, 2, 1, 3])

    q = heads(project(query, layer.query_kernel, layer.query_bias, "query"), kd)
    k = heads(shared(project(key, layer.key_kernel, layer.key_bias, "key"), kd), kd)
    v = heads(shared(project(value, layer.value_kernel, layer.value_bias, "value"), vd), vd)
    scores = g.op("MatMul", [q, g.op("Transpose", [k], name, perm=[0, 1, 3, 2])], name)
    scores = g.op("Mul", [scores, g.const(1.0 / np.sqrt(kd), "scale")], name)
    if kw.get("use_causal_mask"):
        tq, tk = kts[0].shape[1], (kts[2] if len(kts) > 2 else kts[1]).shape[1]
        if tq is None or tk is None:
            raise _unsupported(layer, "uses a causal mask on sequences of unknown (None) length; "
                                      "the exporter needs the lengths known")
        # Keras adds -1e9 to the logits a query may not attend to (key after query)
        adder = np.triu(np.full((tq, tk), -1e9, np.float32), k=1)
        scores = g.op("Add", [scores, g.const(adder, f"{name}/causal_mask")], name)
    attn = g.op("Softmax", [scores], name, axis=-1)
    o = g.op("Transpose", [g.op("MatMul", [attn, v], name)], name, perm=[0, 2, 1, 3])
    o = g.op("Reshape", [o, g.ints([0, 0, H * vd])], name)
    if getattr(layer, "use_gate", False):
        gate = project(query, layer.gate_kernel, layer.gate_bias, "gate")
        o = g.op("Mul", [o, g.op("Sigmoid", [gate], name)], name)
    return [project(o, layer.output_kernel, layer.output_bias, "attention_output")]


def _score_attention(g, layer, xs, kts, t):
    """Attention (dot or concat scores) and AdditiveAttention, without masks."""
    kw = getattr(t, "call_kwargs", {}) or {}
    name = layer.name
    if layer._scores_wanted or kw.get("return_attention_scores"):
        raise _unsupported(layer, "returns its attention scores, which the ONNX exporter does "
                                  "not write")
    if kw.get("mask") is not None or any(m is not None for m in g.input_masks):
        raise _unsupported(layer, "receives a query/value mask, which the ONNX exporter does not "
                                  "map")
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    additive = type(layer).__name__ == "AdditiveAttention"
    if additive or layer.score_mode == "concat":  # sum(tanh(q_i + k_j) [* scale]) over features
        s = g.op("Add", [g.op("Unsqueeze", [q, g.ints([2], "axes")], name),
                         g.op("Unsqueeze", [k, g.ints([1], "axes")], name)], name)
        if not additive and layer.scale is not None:
            s = g.op("Mul", [s, g.const(_w(layer.scale), f"{name}/scale")], name)
        s = g.op("Tanh", [s], name)
        if additive and layer.scale is not None:
            s = g.op("Mul", [s, g.const(_w(layer.scale), f"{name}/scale")], name)
        scores = g.op("ReduceSum", [s, g.ints([-1], "axes")], name, keepdims=0)
        if not additive:
            scores = g.op("Mul", [scores, g.const(_w(layer.concat_score_weight),
                                                  f"{name}/concat_score_weight")], name)
    else:
        scores = g.op("MatMul", [q, g.op("Transpose", [k], name, perm=[0, 2, 1])], name)
        if layer.scale is not None:
            scores = g.op("Mul", [scores, g.const(_w(layer.scale), f"{name}/scale")], name)
    if kw.get("use_causal_mask"):
        tq, tk = kts[0].shape[1], (kts[2] if len(kts) > 2 else kts[1]).shape[1]
        if tq is None or tk is None:
            raise _unsupported(layer, "uses a causal mask on sequences of unknown (None) length; "
                                      "the exporter needs the lengths known")
        adder = np.triu(np.full((tq, tk), -1e9, np.float32), k=1)  # Keras: scores - 1e9
        scores = g.op("Add", [scores, g.const(adder, f"{name}/causal_mask")], name)
    return [g.op("MatMul", [g.op("Softmax", [scores], name, axis=-1), v], name)]


def _converters():
    from .. import layers as L
    from ..layers import pooling as P, reshaping as S
    # the identity at inference: regularisation, noise and random augmentation
    inference_identity = [
        L.Dropout, L.AlphaDropout, L.GaussianDropout, L.GaussianNoise, L.SpatialDropout1D,
        L.SpatialDropout2D, L.SpatialDropout3D, L.ActivityRegularization, L.Identity,
        L.RandomFlip, L.RandomRotation, L.RandomTranslation, L.RandomZoom, L.RandomBrightness,
        L.RandomContrast, L.RandomColorDegeneration, L.RandomGrayscale, L.RandomInvert,
        L.RandomPosterization, L.RandomSharpness, L.Solarization, L.RandomErasing,
        L.RandomHue, L.RandomSaturation]
    table = {cls: _identity for cls in inference_identity}
    table.update({
        L.InputLayer: _identity, L.Dense: _dense, L.EinsumDense: _einsum_dense,
        L.PReLU: _prelu, L.Permute: _permute, L.Masking: _masking,
        L.RepeatVector: _repeat_vector, L.CenterCrop: _center_crop, L.Resizing: _resizing,
        L.AutoContrast: _auto_contrast, L.RandomCrop: _random_crop,
        L.ReversibleEmbedding: _reversible_embedding,
        L.GroupNormalization: _group_norm, L.RMSNormalization: _rms_norm,
        L.UnitNormalization: _unit_norm,
        L.Attention: _score_attention, L.AdditiveAttention: _score_attention,
        L.Conv3D: _conv, L.Conv3DTranspose: _conv_transpose, L.TimeDistributed: _time_distributed,
        L.DepthwiseConv1D: _depthwise_conv, L.SeparableConv1D: _separable_conv,
        L.MaxPooling3D: _pool("MaxPool"), L.AveragePooling3D: _pool("AveragePool"),
        L.GlobalAveragePooling3D: _global_pool("ReduceMean"),
        L.GlobalMaxPooling3D: _global_pool("ReduceMax"),
        L.AdaptiveAveragePooling1D: _adaptive_pool, L.AdaptiveAveragePooling2D: _adaptive_pool,
        L.AdaptiveAveragePooling3D: _adaptive_pool, L.AdaptiveMaxPooling1D: _adaptive_pool,
        L.AdaptiveMaxPooling2D: _adaptive_pool, L.AdaptiveMaxPooling3D: _adaptive_pool,
        L.ZeroPadding3D: _zero_padding, L.Cropping3D: _cropping, L.UpSampling3D: _upsampling,
        L.Activation: _activation_layer, L.Softmax: _softmax, L.ReLU: _relu,
        L.LeakyReLU: _leaky_relu, L.ELU: _elu, L.Flatten: _flatten, L.Reshape: _reshape,
        L.Rescaling: _rescaling, L.Normalization: _normalization, L.Embedding: _embedding,
        L.Conv1D: _conv, L.Conv2D: _conv,
        L.Conv1DTranspose: _conv_transpose, L.Conv2DTranspose: _conv_transpose,
        L.DepthwiseConv2D: _depthwise_conv, L.SeparableConv2D: _separable_conv,
        P.MaxPooling1D: _pool("MaxPool"), P.MaxPooling2D: _pool("MaxPool"),
        P.AveragePooling1D: _pool("AveragePool"), P.AveragePooling2D: _pool("AveragePool"),
        P.GlobalAveragePooling1D: _global_pool("ReduceMean"),
        P.GlobalAveragePooling2D: _global_pool("ReduceMean"),
        P.GlobalMaxPooling1D: _global_pool("ReduceMax"),
        P.GlobalMaxPooling2D: _global_pool("ReduceMax"),
        L.BatchNormalization: _batch_norm, L.LayerNormalization: _layer_norm,
        S.ZeroPadding1D: _zero_padding, S.ZeroPadding2D: _zero_padding,
        S.Cropping1D: _cropping, S.Cropping2D: _cropping,
        S.UpSampling1D: _upsampling, S.UpSampling2D: _upsampling,
        L.Add: _elementwise_merge("Add"), L.Subtract: _elementwise_merge("Sub"),
        L.Multiply: _elementwise_merge("Mul"), L.Average: _elementwise_merge("Add"),
        L.Maximum: _elementwise_merge("Max"), L.Minimum: _elementwise_merge("Min"),
        L.Concatenate: _concatenate, L.Dot: _dot,
        L.SimpleRNN: _rnn, L.LSTM: _rnn, L.GRU: _rnn, L.Bidirectional: _bidirectional,
        L.RNN: _rnn_of_cell, L.ConvLSTM1D: _conv_lstm, L.ConvLSTM2D: _conv_lstm,
        L.MultiHeadAttention: _attention, L.GroupQueryAttention: _attention,
    })
    return table


def _converter_for(layer, table):
    for cls in type(layer).__mro__:
        fn = table.get(cls)
        if fn is None:
            continue
        if type(layer).call is not cls.call:  # a subclass with its own numerics
            raise _unsupported(layer, f"overrides {cls.__name__}.call; its computation has no "
                                      f"known ONNX equivalent")
        return fn
    known = sorted({c.__name__ for c in table})
    raise _unsupported(layer, f"has no ONNX equivalent in pynn's exporter; exportable layers: "
                              f"{', '.join(known)}")


def _model_graph(model):
    graph = getattr(model, "_graph", None)
    if graph is None:
        raise ValueError(f"ONNX export: model '{model.name}' ({type(model).__name__}) is a "
                         f"subclassed model, whose call() is Python code; export a Sequential "
                         f"or functional Model")
    try:
        inputs, outputs = graph()
    except ValueError as e:
        raise ValueError(f"ONNX export: {e}") from None
    stage = getattr(model, "_host_stage", None)
    if stage is not None:  # the numeric part: from where the preprocessing ends
        return list(stage.boundary), list(outputs)
    return list(inputs), list(outputs)


def _output_masks(g, layer, t, xs, masks, outs):
    """The (batch, T) float masks pynn attaches to a layer's outputs (`_keras_mask`):
    Embedding(mask_zero=True) makes one; Activation, Dropout, merges and sequence-
    returning recurrent layers and the layers that support masking (Dense,
    normalization, ...) pass theirs on; every other layer drops it, as in pynn."""
    from .. import layers as L
    from ..layers.merging import _ElementwiseMerge
    from ..layers.recurrent import _RNN
    none = [None] * len(outs)
    if isinstance(layer, L.Embedding):
        if not layer.mask_zero or (getattr(t, "call_kwargs", {}) or {}).get("reverse"):
            return none
        nonzero = g.op("Not", [g.op("Equal", [xs[0], g.const(0.0, "zero")], layer.name)],
                       layer.name)
        return [g.op("Cast", [nonzero], layer.name, to=1)] + none[1:]
    if isinstance(layer, L.Masking):
        return [g.op("Squeeze", [_masking_keep(g, layer, xs[0]), g.ints([-1], "axes")],
                     layer.name)]
    m = masks[0] if masks else None
    if isinstance(layer, (L.Activation, L.Dropout, L.InputLayer)):
        return [m]
    if isinstance(layer, (_RNN, L.RNN, L.Bidirectional)):
        passes = layer.return_sequences and getattr(layer, "merge_mode", "concat") is not None
        return [m if passes else None] + none[1:]
    if isinstance(layer, _ElementwiseMerge):  # a step is kept where every masked input keeps it
        present = [k for k in masks if k is not None]
        if not present:
            return none
        out = present[0]
        for k in present[1:]:
            out = g.op("Mul", [out, k], layer.name)
        return [out]
    if isinstance(layer, L.Concatenate):
        return [_concatenate_mask(g, layer, t, xs, masks)]
    from ..layers.base import Layer
    if (layer.supports_masking and type(layer).compute_mask is Layer.compute_mask
            and len(outs) == 1):
        return [m]  # Dense, activations, normalization: the mask passes through (Keras)
    return none


def _concatenate_mask(g, layer, t, xs, masks):
    """pynn's (Keras') rule, see Concatenate._mask."""
    if all(k is None for k in masks):
        return None
    rank = len(t.inputs[0].shape)
    if layer.axis % rank == 1:  # joining time steps: an unmasked input counts as all kept
        full = []
        for x, k, kt in zip(xs, masks, t.inputs):
            if k is None:
                zero = g.op("Mul", [x, g.const(0.0, "zero")], layer.name)
                if len(kt.shape) > 2:
                    zero = g.op("ReduceSum", [zero, g.ints(list(range(2, len(kt.shape))), "axes")],
                                layer.name, keepdims=0)
                k = g.op("Add", [zero, g.const(1.0, "one")], layer.name)
            full.append(k)
        return g.op("Concat", full, layer.name, axis=1)
    if any(k is None for k in masks):
        return None
    dropped = g.op("Sub", [g.const(1.0, "one"), masks[0]], layer.name)
    for k in masks[1:]:
        dropped = g.op("Mul", [dropped, g.op("Sub", [g.const(1.0, "one"), k], layer.name)],
                       layer.name)
    return g.op("Sub", [g.const(1.0, "one"), dropped], layer.name)


def _emit(g, model, input_names, table, input_masks=None):
    """Writes the nodes of model's graph fed by input_names (and their masks);
    (output names, output masks)."""
    from ..layers import pooling as P
    from ..models import Model
    inputs, outputs = _model_graph(model)
    input_masks = input_masks or [None] * len(inputs)
    values = {id(t): (n, m) for t, n, m in zip(inputs, input_names, input_masks)}
    produced = {}

    def value_of(kt):
        if kt.layer is None or id(kt) in values:
            return values[id(kt)]
        names, masks = produced[(id(kt.layer), tuple(id(i) for i in kt.inputs))]
        return names[kt.index], masks[kt.index]

    for key, t in topo_calls(outputs):
        layer = t.layer
        if getattr(layer, "_host", False):  # preprocessing: before the exported graph
            continue
        xs, masks = zip(*[value_of(i) for i in t.inputs])
        xs, masks = list(xs), list(masks)
        if isinstance(layer, Model):  # a model used as a layer: inline its graph
            produced[key] = _emit(g, layer, xs, table, masks)
            continue
        g.input_masks = masks  # read by the converters that consume masks (recurrent layers)
        if isinstance(layer, P.GlobalAveragePooling1D) and masks[0] is not None:
            raise _unsupported(layer, "receives a mask (it then averages the unmasked steps "
                                      "only), which the ONNX exporter does not write")
        outs = _converter_for(layer, table)(g, layer, xs, list(t.inputs), t)
        produced[key] = (outs, _output_masks(g, layer, t, xs, masks, outs))
    names, masks = zip(*[value_of(o) for o in outputs])
    return list(names), list(masks)


def _value_info(helper, name, shape):
    dims = ["batch"] + [d if d is not None else f"{name}_dim{i + 1}"
                        for i, d in enumerate(shape[1:])]
    return helper.make_tensor_value_info(name, 1, dims)  # 1 = FLOAT


def build_onnx(model, opset=DEFAULT_OPSET):
    """The onnx.ModelProto of `model` (checked with onnx.checker)."""
    onnx = _import_onnx()
    if opset not in SUPPORTED_OPSETS:
        raise ValueError(f"ONNX export: opset must be one of {list(SUPPORTED_OPSETS)}, got "
                         f"{opset!r}")
    if not getattr(model, "built", False):
        raise ValueError(f"ONNX export: model '{model.name}' is not built; give it an input "
                         f"shape (pynn.Input) or call it on data first")
    table = _converters()
    g = _Builder(onnx)
    g.converters = table  # read by wrappers that convert the layer they wrap
    inputs, outputs = _model_graph(model)
    input_names = []
    for i, t in enumerate(inputs):
        base = t.name or (t.layer.name if t.layer is not None else None)  # a boundary: its layer
        input_names.append(g.unique(base or ("input" if len(inputs) == 1 else f"input_{i}")))
    out_names, _ = _emit(g, model, input_names, table)
    final = []
    for o, n in zip(outputs, out_names):  # graph outputs named after the layers producing them
        base = o.layer.name if o.layer is not None else "output"
        name = g.unique(base if o.index == 0 else f"{base}_{o.index}")
        g.nodes.append(g.helper.make_node("Identity", [n], [name], name=g.unique(name + "_node")))
        final.append((name, o.shape))
    graph = g.helper.make_graph(
        g.nodes, model.name,
        [_value_info(g.helper, n, t.shape) for n, t in zip(input_names, inputs)],
        [_value_info(g.helper, n, s) for n, s in final], initializer=g.initializers)
    from .. import __version__
    proto = g.helper.make_model(graph, producer_name="pynn", producer_version=__version__,
                                opset_imports=[g.helper.make_opsetid("", opset)])
    proto.ir_version = 8  # opset 17's IR version: what onnxruntime releases since 1.13 read
    stage = getattr(model, "_host_stage", None)
    if stage is not None:
        note = preprocessing_note(model)
        proto.doc_string = note
        g.helper.set_model_props(proto, {"pynn.preprocessing": note})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def preprocessing_note(model):
    """The statement an exported model with preprocessing layers carries."""
    stage = model._host_stage
    steps = ", ".join(f"{type(t.layer).__name__} '{t.layer.name}'" for t in stage.calls)
    inputs = ", ".join(f"'{b.layer.name}' {tuple(b.shape)}" for b in stage.boundary)
    return (f"Numeric part of pynn model '{model.name}': its preprocessing ({steps}) runs in NumPy "
            f"before pynn's engine and is not in this graph. Run it first (pynn's layers, or the "
            f"same mapping in your code) and feed its outputs as float32: inputs {inputs}.")


def export_onnx(model, filepath, opset=DEFAULT_OPSET):
    import os
    proto = build_onnx(model, opset)
    path = os.fspath(filepath)
    _import_onnx().save(proto, path)
    return path
