"""Activation layers with their own arguments, as keras.layers: Softmax, ReLU,
LeakyReLU, ELU (each one engine op) and PReLU (learned slopes)."""
import warnings

import numpy as np

from .. import initializers, ops, regularizers
from .base import Layer, refuse_unsupported


def _number(layer, name, value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not np.isfinite(value) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ValueError(f"{layer}: {name} must be a finite number{bound}, got {value!r}")
    return float(value)


class _Elementwise(Layer):
    _one_input = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Softmax(_Elementwise):
    """Softmax along an axis: ``exp(x) / sum(exp(x))``, computed stably.

    Parameters
    ----------
    axis : int, default -1
        The axis to normalise (one axis only).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> pynn.layers.Softmax()(np.array([[0.0, 0.0, np.log(2.0)]], np.float32)).numpy()
    array([[0.25, 0.25, 0.5 ]], dtype=float32)
    """
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            raise ValueError(f"Softmax: only one axis is supported, got axis={axis!r}")
        self.axis = int(axis)

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            return ops.softmax(inputs, axis=self.axis)
        # Keras 3 (softmax.py): masked positions (mask False or <= 0.5) get -1e9 before the
        # softmax and 0 after it, so that a fully masked row is zeros, not uniform
        m_shape, i_shape = tuple(np.shape(mask)), tuple(inputs.shape)
        if len(m_shape) > len(i_shape) or any(
                m is not None and i is not None and m not in (1, i)
                for m, i in zip(m_shape[::-1], i_shape[::-1])):
            raise ValueError(f"Softmax '{self.name}': the mask must broadcast to the inputs (each "
                             f"mask dimension 1 or the input's); got inputs of shape {i_shape} "
                             f"and a mask of shape {m_shape}")
        keep = ops.greater(mask, 0.5)
        return ops.where(keep, ops.softmax(ops.where(keep, inputs, -1e9), axis=self.axis), 0.0)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ReLU(_Elementwise):
    """Rectified linear unit: ``max(x, 0)``, optionally capped or leaky.

    Parameters
    ----------
    max_value : float, optional
        Upper bound of the output (e.g. 6 for ReLU6).
    negative_slope : float, default 0.0
        Slope below zero (a leaky ReLU when > 0).
    threshold : float, default 0.0
        Values at or below it give 0 (or the leaky slope, measured from it).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A negative ``max_value``, ``negative_slope`` or ``threshold`` (as Keras).

    Examples
    --------
    >>> x = np.array([[-1.0, 0.5, 3.0]], np.float32)
    >>> pynn.layers.ReLU()(x).numpy()
    array([[0. , 0.5, 3. ]], dtype=float32)
    >>> pynn.layers.ReLU(max_value=1.0)(x).numpy()
    array([[0. , 0.5, 1. ]], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _number("ReLU", "max_value", max_value, 0)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope, 0)
        self.threshold = _number("ReLU", "threshold", threshold, 0)  # Keras: not negative

    def call(self, inputs, training=False):
        slope, top, threshold = self.negative_slope, self.max_value, self.threshold
        if not threshold and (top is None or not slope):  # one engine op
            if slope:
                return ops.leaky_relu(inputs, negative_slope=slope)
            return ops.relu(inputs) if top is None else ops.clip(inputs, 0.0, top)
        # Keras 3's ReLU.static_call, term by term: x above the threshold (else 0), clipped
        # to [0, max_value], minus slope * relu(threshold - x)
        out = inputs * ops.cast(ops.greater(inputs, threshold), "float32") if threshold \
            else ops.relu(inputs)
        if top is not None:
            out = ops.clip(out, 0.0, top)
        if slope:
            out = out - slope * ops.relu(threshold - inputs)
        return out

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Parameters
    ----------
    negative_slope : float, default 0.3
        Slope below zero (Keras' layer default; the function's is 0.2).
    **kwargs
        Base layer arguments; ``alpha``, the tf.keras name of the slope, is taken as
        ``negative_slope`` with a DeprecationWarning, as Keras 3 does.

    Examples
    --------
    >>> pynn.layers.LeakyReLU()(np.array([[-1.0, 2.0]], np.float32)).numpy()
    array([[-0.3,  2. ]], dtype=float32)
    """
    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # tf.keras' name (keras.io's timeseries examples pass alpha=0.5)
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated, use `negative_slope`",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope, 0)

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    Parameters
    ----------
    alpha : float, default 1.0
        Scale of the negative part.
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> np.round(pynn.layers.ELU()(np.array([[-1.0, 2.0]], np.float32)).numpy(), 4)
    array([[-0.6321,  2.    ]], dtype=float32)
    """
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha)

    def call(self, inputs, training=False):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` below, with a learned ``alpha``
    (He et al. 2015; Keras' PReLU).

    ``alpha`` has the per-sample input shape, with size 1 along the ``shared_axes``
    (e.g. ``shared_axes=[1, 2]`` for one slope per channel of an image).

    Parameters
    ----------
    alpha_initializer : str or Initializer, default "Zeros"
        Initializer of the slopes.
    alpha_regularizer : str or Regularizer, optional
        Penalty added to the training loss.
    alpha_constraint : None
        Not supported (a value raises).
    shared_axes : int or list of int, optional
        Axes (1 = the first after the batch) along which one slope is shared.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        A shared axis that is the batch axis or beyond the input's rank, or an
        input whose shape differs from the built one on a non-shared axis.

    Examples
    --------
    >>> layer = pynn.layers.PReLU(alpha_initializer=pynn.initializers.Constant(0.25))
    >>> layer(np.array([[-4.0, 2.0]], np.float32)).numpy()
    array([[-1.,  2.]], dtype=float32)
    >>> pynn.layers.PReLU(shared_axes=[1, 2])(np.zeros((1, 5, 5, 3), np.float32)) is not None
    True
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        refuse_unsupported("PReLU", alpha_constraint=alpha_constraint)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"PReLU: shared_axes must be ints, received {shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]

    def _param_shape(self, shape):
        who = f"PReLU '{self.name}'"
        per = list(shape[1:])
        for a in self.shared_axes or []:
            if not 1 <= a < len(shape):
                raise ValueError(f"{who}: shared axis {a} must be in [1, {len(shape) - 1}] for "
                                 f"inputs of rank {len(shape)} (axis 0 is the batch)")
            per[a - 1] = 1
        return tuple(per)

    def _check_input(self, shape):
        want = self._param_shape(shape)
        if self.built and (len(want) != self.alpha.ndim or any(
                a != b and b != 1 for a, b in zip(want, self.alpha.shape))):
            raise ValueError(f"PReLU '{self.name}' was built for per-sample inputs that fit "
                             f"alpha of shape {self.alpha.shape}; got a batch of shape "
                             f"{tuple(shape)}")

    def build(self, input_shape):
        self.alpha = self.add_weight("alpha", self._param_shape(input_shape),
                                     self.alpha_initializer, self.alpha_regularizer)

    def call(self, inputs, training=False):
        alpha = ops.expand_dims(self.tensor(self.alpha), 0)
        # Keras' relu(x) - alpha * relu(-x): the same numbers and gradients
        return ops.relu(inputs) - alpha * ops.relu(-inputs)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": None, "shared_axes": self.shared_axes}
