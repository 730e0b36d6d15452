"""EinsumDense: a dense layer whose kernel contraction is an einsum equation
(Keras 3's equations, partial output shapes, bias_axes and weight shapes).

The common equations (every kernel letter either contracted with the input or
new in the output, the batch letter first) run as one matmul between two
transposes: the input to (free..., contracted), the kernel to (contracted,
new...). Others (a letter shared by input, kernel and output) go through
pynn.ops.einsum, which is general but holds the pair's full product."""
import re
import string

import numpy as np

from .. import activations, initializers, ops, regularizers
from .base import Layer, refuse_unsupported


def _split(equation):
    """Keras' three accepted forms: 'ab,bc->ac', '...b,bc->...c', 'ab...,bc->ac...'.
    Returns (input, weight, output) letters and where '...' was (None, 'left', 'right')."""
    eq = equation.replace(" ", "")
    for pattern, elided in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None),
                            (r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$", "left"),
                            (r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$", "right")):
        m = re.match(pattern, eq)
        if m:
            return m.group(1), m.group(2), m.group(3), elided
    raise ValueError(f"EinsumDense: invalid equation {equation!r}; equations must be of the form "
                     "'ab,bc->ac', '...ab,bc->...ac' or 'ab...,bc->ac...'")


def analyze(equation, bias_axes, input_shape, output_shape):
    """Keras' _analyze_einsum_string: (kernel shape, bias shape or None, full output
    shape, the kernel's input axes, its output axes) for an input batch shape."""
    in_spec, w_spec, out_spec, elided_at = _split(equation)
    elided = len(input_shape) - len(in_spec)
    out = [output_shape] if isinstance(output_shape, (int, np.integer)) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and elided_at == "left":
        # the elided axes in their order (Keras' own loop inserts each at position 1, which
        # reverses them in its symbolic shape, while its einsum keeps them in order)
        out[1:1] = list(input_shape[1:elided])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if elided_at == "left":
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map and out[out_map[d]] is not None \
                and out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(f"EinsumDense: input shape and output shape do not match at shared "
                             f"dimension '{d}': input {input_shape[in_map[d]]}, output "
                             f"{out[out_map[d]]}")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"EinsumDense: dimension '{d}' of the output '{out_spec}' is in "
                             f"neither the input '{in_spec}' nor the weight '{w_spec}'")
    kernel, in_axes, out_axes = [], [], []
    for i, d in enumerate(w_spec):
        if d in out_map:
            kernel.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"EinsumDense: weight dimension '{d}' is in neither the input "
                             f"'{in_spec}' nor the output '{out_spec}'")
    if any(k is None for k in kernel):
        raise ValueError(f"EinsumDense: the kernel's shape {tuple(kernel)} must be fully known; "
                         "give its output dimensions in output_shape")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"EinsumDense: bias dimension '{c}' is not part of the output "
                                 f"'{out_spec}'")
        first = min(out_spec.find(c) for c in bias_axes)
        skip = elided if elided_at == "left" else 0
        size = {c: out[i + skip] for i, c in enumerate(out_spec)}
        bias = [size[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if elided_at != "left":
            bias += [1] * max(elided, 0)
    return tuple(kernel), None if bias is None else tuple(bias), tuple(out), in_axes, out_axes


class EinsumDense(Layer):
    """A dense layer of any shape: ``activation(einsum(equation, inputs, kernel) + bias)``
    (Keras' EinsumDense).

    The kernel's shape follows from the equation, the input's shape and the
    (partial) ``output_shape`` exactly as in Keras, so weights port as they are.
    E.g. ``EinsumDense("ab,bc->ac", output_shape=64)`` is a Dense(64) without
    bias; ``EinsumDense("abc,cde->abde", output_shape=(None, 4, 16), bias_axes="de")``
    projects a sequence to 4 heads of 16.

    Parameters
    ----------
    equation : str
        ``"ab,bc->ac"``-like: input letters, kernel letters, output letters; the
        input's may start (or end) with ``...`` (as the output's then).
    output_shape : int or tuple
        The output's shape without the batch axis (and without the ``...`` axes);
        ``None`` for a dimension taken from the input.
    activation : str or callable, optional
        Applied to the output.
    bias_axes : str, optional
        Output letters along which a bias is added (broadcast over the others).
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Its fans are those of the contraction (input axes in, output axes out), as Keras.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    kernel_constraint, bias_constraint, lora_rank : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        An equation Keras does not accept, an output letter found nowhere, a
        kernel letter found nowhere, a bias letter not in the output, an
        ``output_shape`` that contradicts the input on a shared letter, or an
        input of another shape than the one the layer was built for.

    Examples
    --------
    >>> layer = pynn.layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")
    >>> layer(np.ones((2, 3), np.float32)).shape, layer.kernel.shape, layer.bias.shape
    ((2, 4), (3, 4), (4,))
    >>> heads = pynn.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 8))
    >>> heads(np.ones((2, 5, 6), np.float32)).shape, heads.kernel.shape
    ((2, 5, 2, 8), (6, 2, 8))
    >>> last_axis = pynn.layers.EinsumDense("...b,bc->...c", output_shape=3)
    >>> last_axis(np.ones((2, 4, 5), np.float32)).shape
    (2, 4, 3)
    """

    _one_input = True

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise ValueError(f"EinsumDense: equation must be a str, received {equation!r}")
        _split(equation)
        refuse_unsupported("EinsumDense", kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint, lora_rank=lora_rank,
                           lora_alpha=lora_alpha)
        self.equation = equation
        self.partial_output_shape = (list(output_shape) if isinstance(output_shape, (list, tuple))
                                     else [int(output_shape)])
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, shape):
        kernel, bias, _, _, _ = analyze(self.equation, self.bias_axes, tuple(shape),
                                        self.partial_output_shape)
        if self.built and kernel != self.kernel.shape:
            raise ValueError(f"EinsumDense '{self.name}' was built with a kernel of shape "
                             f"{self.kernel.shape}; a batch of shape {tuple(shape)} needs "
                             f"{kernel} for {self.equation!r}")

    def build(self, input_shape):
        kernel, bias, _, in_axes, out_axes = analyze(self.equation, self.bias_axes,
                                                     tuple(input_shape), self.partial_output_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling):
            # Keras' fans of the contraction: the input axes' product in, the output axes' out;
            # the draws are independent, so a (fan_in, fan_out) draw reshaped is that kernel
            fan_in = int(np.prod([kernel[i] for i in in_axes], dtype=np.int64))
            fan_out = int(np.prod([kernel[i] for i in out_axes], dtype=np.int64))
            base = init
            init = lambda shape: base((fan_in, fan_out)).reshape(shape)  # noqa: E731
        self.kernel = self.add_weight("kernel", kernel, init, self.kernel_regularizer)
        self.bias = (self.add_weight("bias", bias, self.bias_initializer, self.bias_regularizer)
                     if bias is not None else None)
        self._plan = self._matmul_plan(len(input_shape))

    def _letters(self, rank):
        """The equation with '...' replaced by letters it does not use, for this input rank."""
        in_spec, w_spec, out_spec, elided_at = _split(self.equation)
        free = [c for c in string.ascii_letters if c not in in_spec + w_spec + out_spec]
        extra = "".join(free[:rank - len(in_spec)])
        if elided_at == "left":
            return extra + in_spec, w_spec, extra + out_spec
        if elided_at == "right":
            return in_spec + extra, w_spec, out_spec + extra
        return in_spec, w_spec, out_spec

    def _matmul_plan(self, rank):
        """(input permutation, #free input axes, kernel permutation, output permutation)
        when the equation is one matmul; None otherwise."""
        i, w, o = self._letters(rank)
        contracted = [c for c in i if c in w and c not in o]
        free_in = [c for c in i if c not in w]
        new = [c for c in w if c not in i]
        if (any(c in w and c in o for c in i) or any(c not in o for c in free_in)
                or not free_in or free_in[0] != i[0] or sorted(free_in + new) != sorted(o)
                or len(set(i)) != len(i) or len(set(w)) != len(w)):
            return None
        x_perm = [i.index(c) for c in free_in + contracted]
        k_perm = [w.index(c) for c in contracted + new]
        produced = free_in + new
        return x_perm, len(free_in), k_perm, [produced.index(c) for c in o]

    def call(self, inputs, training=False):
        k = self.tensor(self.kernel)
        if self._plan is None:
            i, w, o = self._letters(len(inputs.shape))
            y = ops.einsum(f"{i},{w}->{o}", inputs, k)
        else:
            x_perm, n_free, k_perm, o_perm = self._plan
            xt = ops.transpose(inputs, x_perm) if x_perm != sorted(x_perm) else inputs
            free = [int(xt.shape[a]) for a in range(1, n_free)]
            kt = ops.transpose(k, k_perm) if k_perm != sorted(k_perm) else k
            c = int(np.prod(kt.shape[:len(k_perm) - (len(o_perm) - n_free)], dtype=np.int64))
            new = list(kt.shape[len(k_perm) - (len(o_perm) - n_free):])
            # -1: the batch, which a compiled program replays at other sizes
            y = ops.matmul(ops.reshape(xt, (-1, c)), ops.reshape(kt, (c, -1)))
            y = ops.reshape(y, tuple([-1] + free + [int(n) for n in new]))
            if o_perm != sorted(o_perm):
                y = ops.transpose(y, o_perm)
        if self.bias is not None:
            y = y + self.tensor(self.bias)
        return self.activation(y) if self.activation is not None else y

    def compute_output_shape(self, input_shape):
        # The shape the einsum gives: each output letter's size from the input or the
        # kernel. (Keras' own compute_output_shape reverses the axes a left '...' stands
        # for, and repeats those of a right '...' given in output_shape; its call, as
        # pynn's, computes this shape.)
        kernel, _, _, _, _ = analyze(self.equation, self.bias_axes, tuple(input_shape),
                                     self.partial_output_shape)
        i, w, o = self._letters(len(input_shape))
        size = dict(zip(w, kernel))
        size.update(zip(i, input_shape))
        return (None,) + tuple(size[c] for c in o[1:])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(output_shape=self.partial_output_shape, equation=self.equation,
                   activation=activations.serialize(self.activation), bias_axes=self.bias_axes,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg
