"""Merge layers (Keras names and rules): Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate and Dot, called on a list of tensors.

The elementwise merges follow Keras' shape rule: per-sample shapes are aligned
from the right and an axis of length 1 broadcasts; an input of lower rank is
expanded at axis 1 until the ranks agree (as Keras does). Everything is
composed from engine ops, so gradients come from C."""
import numbers

import numpy as np

from .. import ops
from .base import Layer


def _fmt(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


class _Merge(Layer):
    """Shared checks: a list of at least two inputs with the same batch size."""

    _exact_inputs = None  # Subtract and Dot take exactly two

    def _check_list(self, shapes):
        kind = type(self).__name__
        if not isinstance(shapes, list) or not shapes or not isinstance(shapes[0], (tuple, list)):
            got = _fmt(shapes) if isinstance(shapes, tuple) else repr(shapes)
            raise ValueError(f"{kind} layer '{self.name}' must be called on a list of tensors, "
                             f"e.g. {kind}()([a, b]); got a single input of shape {got}")
        n = self._exact_inputs
        if n is not None and len(shapes) != n:
            raise ValueError(f"{kind} layer '{self.name}' needs exactly {n} inputs, got "
                             f"{len(shapes)}")
        if len(shapes) < 2:
            raise ValueError(f"{kind} layer '{self.name}' needs a list of at least 2 inputs, got "
                             f"{len(shapes)}")

    def _mismatch(self, shapes, why):
        listed = ", ".join(_fmt(s) for s in shapes)
        return ValueError(f"{type(self).__name__} layer '{self.name}': {why}; got inputs of "
                          f"shapes [{listed}]")

    def _check_batch(self, inputs):
        # _maybe_build sees per-sample shapes only; the batch sizes meet here
        sizes = {int(t.shape[0]) for t in inputs}
        if len(sizes) > 1:
            raise self._mismatch([t.shape for t in inputs], "the inputs have different batch sizes")

class _ElementwiseMerge(_Merge):
    def _check_input(self, shapes):
        self._check_list(shapes)
        self._out_shape(shapes)

    def _out_shape(self, shapes):
        """Keras' rule: right-aligned per-sample shapes, 1 broadcasts, None is unknown."""
        out = list(shapes[0][1:])
        for s in shapes[1:]:
            a, b = (out, list(s[1:])) if len(out) >= len(s) - 1 else (list(s[1:]), out)
            merged = a[:len(a) - len(b)]
            for i, j in zip(a[len(a) - len(b):], b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1:
                    merged.append(j if i == 1 else i)
                elif i != j:
                    raise self._mismatch(shapes, "the inputs must have the same shape (or "
                                                 "broadcast: an axis of length 1 repeats)")
                else:
                    merged.append(i)
            out = merged
        return (None,) + tuple(out)

    def compute_output_shape(self, shapes):
        return self._out_shape([tuple(s) for s in shapes])

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        rank = max(t.ndim for t in inputs)
        xs = []
        for t in inputs:
            for _ in range(rank - t.ndim):
                t = ops.expand_dims(t, 1)
            xs.append(t)
        out = self._merge(xs)
        masks = [m for m in (getattr(t, "_keras_mask", None) for t in inputs) if m is not None]
        if masks:  # Keras: a step is kept only if every masked input keeps it
            mask = masks[0]
            for m in masks[1:]:
                mask = mask * m
            out._keras_mask = mask
        return out


class Add(_ElementwiseMerge):
    """Adds its inputs elementwise (e.g. a residual connection).

    Called on a list of tensors of the same shape; shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of at least two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Add()([a, b]).numpy()
    array([[4., 7.]], dtype=float32)
    """

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = ops.add(out, x)
        return out


class Subtract(_ElementwiseMerge):
    """Subtracts its second input from its first, elementwise.

    Called on a list of tensors of the same shape (exactly two); shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of exactly two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Subtract()([a, b]).numpy()
    array([[-2., -3.]], dtype=float32)
    """

    _exact_inputs = 2

    def _merge(self, xs):
        return ops.subtract(xs[0], xs[1])


class Multiply(_ElementwiseMerge):
    """Multiplies its inputs elementwise (e.g. gating).

    Called on a list of tensors of the same shape; shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of at least two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Multiply()([a, b]).numpy()
    array([[ 3., 10.]], dtype=float32)
    """

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = ops.multiply(out, x)
        return out


class Average(_ElementwiseMerge):
    """Averages its inputs elementwise (their sum divided by their number).

    Called on a list of tensors of the same shape; shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of at least two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Average()([a, b]).numpy()
    array([[2. , 3.5]], dtype=float32)
    """

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = ops.add(out, x)
        return out / float(len(xs))


class Maximum(_ElementwiseMerge):
    """Takes the elementwise maximum of its inputs.

    Called on a list of tensors of the same shape; shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of at least two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Maximum()([a, b]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = ops.maximum(out, x)
        return out


class Minimum(_ElementwiseMerge):
    """Takes the elementwise minimum of its inputs.

    Called on a list of tensors of the same shape; shapes that differ
    only by 1s broadcast, as in Keras.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Raises
    ------
    ValueError
        Not a list of at least two inputs, or shapes that do not match
        (the message names them).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Minimum()([a, b]).numpy()
    array([[1., 2.]], dtype=float32)
    """

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = ops.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Joins a list of tensors along one axis.

    Every other axis must match. Padding masks of the inputs are concatenated
    too, as in Keras.

    Parameters
    ----------
    axis : int, default -1
        The axis to join along (not the batch axis).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Fewer than two inputs, or shapes that differ off the axis.

    Examples
    --------
    >>> a = np.zeros((2, 3), np.float32)
    >>> b = np.ones((2, 4), np.float32)
    >>> pynn.layers.Concatenate()([a, b]).shape
    (2, 7)
    >>> pynn.layers.Concatenate(axis=1)([np.zeros((2, 3, 5), np.float32),
    ...                                  np.zeros((2, 1, 5), np.float32)]).shape
    (2, 4, 5)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axis):
            raise TypeError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        self.supports_masking = True

    def _axis(self, shapes):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise self._mismatch(shapes, "the inputs must have the same rank")
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise self._mismatch(shapes, f"axis={self.axis} is not a per-sample axis of a "
                                         f"rank-{rank} batch (the batch axis 0 cannot be joined)")
        return self.axis % rank

    def _check_input(self, shapes):
        self._check_list(shapes)
        self.compute_output_shape(shapes)

    def compute_output_shape(self, shapes):
        shapes = [tuple(s) for s in shapes]
        axis = self._axis(shapes)
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i in (0, axis) or a is None or b is None:
                    continue
                if a != b:
                    raise self._mismatch(shapes, f"all axes except the concatenation axis "
                                                 f"{self.axis} must match")
        lengths = [s[axis] for s in shapes]
        out[axis] = None if None in lengths else int(sum(lengths))
        return (None,) + tuple(out[1:])

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        out = ops.concatenate(inputs, axis=self.axis)
        mask = self._mask(inputs)
        if mask is not None:
            out._keras_mask = mask
        return out

    def compute_mask(self, inputs, mask=None):
        return self._mask(inputs)  # call() attaches it; None is a decision, not a gap

    def _mask(self, inputs):
        """Keras' rule for (batch, T) masks on (batch, T, ...) inputs: joined
        along time when concatenating time steps (an unmasked input counts as
        all kept); otherwise a step is kept if any input keeps it."""
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        if all(m is None for m in masks):
            return None
        if self.axis % inputs[0].ndim == 1:
            full = []
            for t, m in zip(inputs, masks):
                if m is None:  # ones of shape (batch, T) for this input
                    m = ops.reshape(ops.sum(t * 0.0, axis=tuple(range(2, t.ndim))),
                                    (-1, t.shape[1])) + 1.0
                full.append(m)
            return ops.concatenate(full, axis=1)
        if any(m is None for m in masks):
            return None  # an unmasked input keeps every step
        dropped = 1.0 - masks[0]
        for m in masks[1:]:
            dropped = dropped * (1.0 - m)
        return 1.0 - dropped

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class Dot(_Merge):
    """Per-sample dot product of two tensors along the given axes (Keras' batch_dot).

    Parameters
    ----------
    axes : int or list of 2 int
        The axis to contract in both inputs, or one axis per input (not the
        batch axis).
    normalize : bool, default False
        L2-normalise both inputs along the axes first: the output is then the
        cosine similarity.
    **kwargs
        Base layer arguments.

    Raises
    ------
    TypeError
        ``axes`` is not an int or two ints.
    ValueError
        Not exactly two inputs, or the contracted axes differ in size.

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.Dot(axes=1)([a, b]).numpy()
    array([[13.]], dtype=float32)
    >>> np.round(pynn.layers.Dot(axes=1, normalize=True)([a, 2 * a]).numpy(), 4)
    array([[1.]], dtype=float32)
    """

    _exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if _is_int(axes):
            axes_ = int(axes)
        elif isinstance(axes, (list, tuple)) and len(axes) == 2 and all(_is_int(a) for a in axes):
            axes_ = [int(a) for a in axes]
        else:
            raise TypeError(f"Dot: axes must be an int or a list of two ints, got {axes!r}")
        self.axes = axes_
        self.normalize = bool(normalize)

    def _axes(self, shapes):
        axes = [self.axes] * 2 if isinstance(self.axes, int) else list(self.axes)
        out = []
        for a, s in zip(axes, shapes):
            if not -len(s) <= a < len(s) or a % len(s) == 0:
                raise self._mismatch(shapes, f"axes={self.axes} must name a per-sample axis of "
                                             f"each input (not the batch axis 0)")
            out.append(a % len(s))
        return out

    def _check_input(self, shapes):
        self._check_list(shapes)
        a1, a2 = self._axes(shapes)
        n1, n2 = shapes[0][a1], shapes[1][a2]
        if n1 is not None and n2 is not None and n1 != n2:
            raise self._mismatch(shapes, f"the dot product runs over axis {a1} (length {n1}) of "
                                         f"the first input and axis {a2} (length {n2}) of the "
                                         f"second; these lengths must be equal")

    def compute_output_shape(self, shapes):
        shapes = [tuple(s) for s in shapes]
        a1, a2 = self._axes(shapes)
        rest1 = [d for i, d in enumerate(shapes[0]) if i not in (0, a1)]
        rest2 = [d for i, d in enumerate(shapes[1]) if i not in (0, a2)]
        return (None,) + tuple(rest1 + rest2 or [1])

    @staticmethod
    def _l2_normalize(x, axis):
        # Keras: x * min(1/sqrt(sum(x^2)), 1/eps) with eps = 1e-7
        ss = ops.sum(ops.square(x), axis=axis, keepdims=True)
        return x / ops.sqrt(ops.clip(ss, 1e-14, float("inf")))

    def call(self, inputs, training=False):
        self._check_batch(inputs)
        x1, x2 = inputs
        a1, a2 = self._axes([x1.shape, x2.shape])
        if self.normalize:
            x1, x2 = self._l2_normalize(x1, a1), self._l2_normalize(x2, a2)
        # (batch, P, n) @ (batch, n, Q): the contracted axis last in x1, first in x2
        keep1 = [i for i in range(1, x1.ndim) if i != a1]
        keep2 = [i for i in range(1, x2.ndim) if i != a2]
        n = x1.shape[a1]
        left = ops.reshape(self._permute(x1, [0] + keep1 + [a1]), (-1, _size(x1, keep1), n))
        right = ops.reshape(self._permute(x2, [0, a2] + keep2), (-1, n, _size(x2, keep2)))
        out = ops.matmul(left, right)
        rest = [x1.shape[i] for i in keep1] + [x2.shape[i] for i in keep2]
        return ops.reshape(out, [-1] + (rest or [1]))

    @staticmethod
    def _permute(x, perm):
        return x if perm == list(range(x.ndim)) else ops.transpose(x, perm)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axes=self.axes, normalize=self.normalize)
        return cfg


def _size(x, axes):
    return int(np.prod([x.shape[i] for i in axes])) if axes else 1


# Keras' functional forms: layers.add([a, b]) is layers.Add()([a, b]), etc.
def add(inputs, **kwargs):
    """Adds tensors elementwise: the functional form of `Add`, ``Add(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Add` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.add([a, b]).numpy()
    array([[4., 7.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Subtracts the second tensor from the first: the functional form of `Subtract`,
    ``Subtract(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Subtract` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.subtract([a, b]).numpy()
    array([[-2., -3.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Multiplies tensors elementwise: the functional form of `Multiply`,
    ``Multiply(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Multiply` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.multiply([a, b]).numpy()
    array([[ 3., 10.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Averages tensors elementwise: the functional form of `Average`,
    ``Average(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Average` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.average([a, b]).numpy()
    array([[2. , 3.5]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Elementwise maximum of tensors: the functional form of `Maximum`,
    ``Maximum(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Maximum` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.maximum([a, b]).numpy()
    array([[3., 5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Elementwise minimum of tensors: the functional form of `Minimum`,
    ``Minimum(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    **kwargs
        Further arguments of `Minimum` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.minimum([a, b]).numpy()
    array([[1., 2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Joins tensors along an axis: the functional form of `Concatenate`,
    ``Concatenate(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    axis : int, default -1
        The axis to join along.
    **kwargs
        Further arguments of `Concatenate` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.concatenate([a, b]).numpy()
    array([[1., 2., 3., 5.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Per-sample dot product of two tensors: the functional form of `Dot`,
    ``Dot(**kwargs)(inputs)``.

    Parameters
    ----------
    inputs : list of Tensor or KerasTensor
        The tensors to merge.
    axes : int or list of 2 int, default -1
        The axes to contract (see `Dot`).
    **kwargs
        Further arguments of `Dot` (``name``, ...).

    Returns
    -------
    Tensor or KerasTensor

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0, 5.0]], np.float32)
    >>> pynn.layers.dot([a, b], axes=1).numpy()
    array([[13.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)
