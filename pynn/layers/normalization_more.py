"""GroupNormalization, RMSNormalization and UnitNormalization (Keras 3's numerics):
GroupNormalization is the engine's group_norm op, the other two are composed of its
differentiable reductions and elementwise ops."""
import numpy as np

from .. import initializers, ops, regularizers
from ..tensor import Tensor
from .base import Layer, refuse_unsupported


def _axes(cls, axis):
    """Keras' axis argument: an int or a list of ints."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in axes):
        raise TypeError(f"{cls}: `axis` must be an int or a list of ints, received axis={axis!r}")
    return [int(a) for a in axes]


def _positive_axes(layer, axes, rank):
    out = []
    for a in axes:
        if not -rank <= a < rank or a % rank == 0:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {a} is out of bounds "
                             f"(or the batch axis) for inputs of rank {rank}")
        out.append(a % rank)
    return sorted(out)


class GroupNormalization(Layer):
    """Normalises each sample over groups of channels (Wu & He 2018; Keras' GroupNormalization).

    The channels (last axis) are split into ``groups`` groups of equal size; each
    sample's group is normalised with its mean and (biased) variance over the
    group's channels and all spatial positions, then scaled by ``gamma`` and
    shifted by ``beta`` per channel. ``groups=1`` is layer normalisation over all
    axes, ``groups=-1`` (one channel per group) instance normalisation. The same
    in training and inference.

    Parameters
    ----------
    groups : int, default 32
        Number of groups (must divide the channels), or -1 for one per channel.
    axis : int, default -1
        The channel axis; only the last axis is supported.
    epsilon : float, default 1e-3
        Added to the variance.
    center, scale : bool, default True
        Learn ``beta`` / ``gamma`` of shape ``(channels,)``.
    beta_initializer, gamma_initializer : str or Initializer, default "zeros" / "ones"
        Their initializers.
    beta_regularizer, gamma_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    beta_constraint, gamma_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``groups`` not a positive int or -1, or not dividing the channels; an axis
        other than the last.

    Examples
    --------
    >>> layer = pynn.layers.GroupNormalization(groups=2)
    >>> x = np.array([[1.0, 3.0, 10.0, 30.0]], np.float32)
    >>> np.round(layer(x).numpy(), 2)  # groups (1, 3) and (10, 30), each to (-1, 1)
    array([[-1., 1., -1., 1.]], dtype=float32)
    """

    _one_input = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) \
                or (groups <= 0 and groups != -1):
            raise ValueError("GroupNormalization: `groups` must be a positive integer (or -1 for "
                             f"instance normalization), received groups={groups!r}")
        super().__init__(**kwargs)
        refuse_unsupported("GroupNormalization", beta_constraint=beta_constraint,
                           gamma_constraint=gamma_constraint)
        self.supports_masking = True
        self.groups, self.axis, self.epsilon = int(groups), axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _check_input(self, shape):
        who = f"GroupNormalization '{self.name}'"
        if len(shape) < 2:
            raise ValueError(f"{who} expects (batch, ..., channels); got shape {tuple(shape)}")
        if not isinstance(self.axis, (int, np.integer)) or self.axis % len(shape) != len(shape) - 1:
            raise ValueError(f"{who}: only the last axis (channels-last) is supported, got "
                             f"axis={self.axis!r} for inputs of rank {len(shape)}")
        c, g = shape[-1], self.groups if self.groups != -1 else shape[-1]
        if c is None or c < g or c % g:
            raise ValueError(f"{who}: the number of groups ({g}) must divide the number of "
                             f"channels ({c}); got a batch of shape {tuple(shape)}")
        if self.built and self._channels != c:
            raise ValueError(f"{who} was built for {self._channels} channels (last axis), got a "
                             f"batch of shape {tuple(shape)}")

    def build(self, input_shape):
        c = int(input_shape[-1])
        if self.groups == -1:  # Keras stores the resolved count
            self.groups = c
        self._channels = c
        self.gamma = (self.add_weight("gamma", (c,), self.gamma_initializer,
                                      self.gamma_regularizer) if self.scale else None)
        self.beta = (self.add_weight("beta", (c,), self.beta_initializer, self.beta_regularizer)
                     if self.center else None)
        # without scale / center the identity gamma / beta stand in (constants)
        self._one = Tensor(np.ones(c, np.float32))
        self._zero = Tensor(np.zeros(c, np.float32))

    def call(self, inputs, training=False):
        # one engine op (csrc/core/ops/group_norm.c)
        gamma = self.tensor(self.gamma) if self.scale else self._one
        beta = self.tensor(self.beta) if self.center else self._zero
        return ops.group_norm(inputs, gamma, beta, self.groups, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(groups=self.groups, axis=self.axis, epsilon=self.epsilon, center=self.center,
                   scale=self.scale,
                   beta_initializer=initializers.serialize(self.beta_initializer),
                   gamma_initializer=initializers.serialize(self.gamma_initializer),
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
                   beta_constraint=None, gamma_constraint=None)
        return cfg


class RMSNormalization(Layer):
    """Root-mean-square normalisation (Zhang & Sennrich 2019; Keras' RMSNormalization).

    ``x * rsqrt(mean(x**2, axis) + epsilon) * scale``, with a learned ``scale``
    over the normalised axes (initialised to ones); no centring, no offset.

    Parameters
    ----------
    axis : int or list of int, default -1
        The axes to normalise over (not the batch axis).
    epsilon : float, default 1e-6
        Added to the mean square.
    **kwargs
        Base layer arguments.

    Raises
    ------
    TypeError
        ``axis`` is not an int or a list of ints.
    ValueError
        An axis out of bounds for the input, or the batch axis.

    Examples
    --------
    >>> layer = pynn.layers.RMSNormalization()
    >>> np.round(layer(np.array([[3.0, 4.0]], np.float32)).numpy(), 3)  # rms = sqrt(12.5)
    array([[0.849, 1.131]], dtype=float32)
    """

    _one_input = True

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self._axes = _axes("RMSNormalization", axis)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)

    def _check_input(self, shape):
        _positive_axes(self, self._axes, len(shape))

    def build(self, input_shape):
        axes = _positive_axes(self, self._axes, len(input_shape))
        # Keras keeps the axes as a sorted list once built (its config shows that)
        self.axis = sorted(self._axes)
        self._bshape = tuple(input_shape[a] if a in axes else 1 for a in range(1, len(input_shape)))
        self.scale = self.add_weight("scale", tuple(input_shape[a] for a in axes), "ones")

    def call(self, inputs, training=False):
        axes = tuple(_positive_axes(self, self._axes, len(inputs.shape)))
        ms = ops.mean(ops.square(inputs), axis=axes, keepdims=True)
        scale = ops.reshape(self.tensor(self.scale), (1,) + self._bshape)
        return inputs * ops.rsqrt(ms + np.float32(self.epsilon)) * scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along ``axis`` (Keras' UnitNormalization).

    ``x * min(rsqrt(sum(x**2, axis)), 1e12)``: a zero vector stays zero.

    Parameters
    ----------
    axis : int or list of int, default -1
        The axes whose norm becomes 1.
    **kwargs
        Base layer arguments.

    Raises
    ------
    TypeError
        ``axis`` is not an int or a list of ints.
    ValueError
        An axis out of bounds for the input, or the batch axis.

    Examples
    --------
    >>> pynn.layers.UnitNormalization()(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)).numpy()
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    """

    _one_input = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self._axes = _axes("UnitNormalization", axis)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.supports_masking = True

    def _check_input(self, shape):
        _positive_axes(self, self._axes, len(shape))

    def call(self, inputs, training=False):
        axes = tuple(_positive_axes(self, self._axes, len(inputs.shape)))
        # Keras' min(rsqrt(s), 1e12) written as rsqrt(max(s, 1e-24)): the same values, and a
        # zero vector gets a zero gradient instead of 0 * inf
        s = ops.sum(ops.square(inputs), axis=axes, keepdims=True)
        return inputs * ops.rsqrt(ops.maximum(s, np.float32(1e-24)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
