"""BatchNormalization and LayerNormalization over the last axis (Keras 3 numerics)."""
import numpy as np

from .. import initializers, ops, regularizers
from ..tensor import Tensor
from .base import Layer


def _last_axis_only(cls, axis):
    if axis not in (-1, [-1], (-1,)):
        raise ValueError(f"{cls}: only axis=-1 (the channel axis, channels-last) is supported, "
                         f"got axis={axis!r}")


class BatchNormalization(Layer):
    """Normalises each channel (the last axis) with batch statistics, then scales and shifts.

    In training, ``(x - batch_mean) / sqrt(batch_var + epsilon) * gamma + beta``
    over all axes but the last, and the moving statistics are updated as
    ``moving = moving * momentum + batch * (1 - momentum)`` (biased variance, as
    Keras 3). At inference, and when the layer is frozen (``trainable=False``,
    as Keras), the moving statistics are used instead. The moving statistics are
    non-trainable weights.

    Parameters
    ----------
    axis : int, default -1
        The channel axis; only the last axis is supported.
    momentum : float, default 0.99
        Momentum of the moving averages.
    epsilon : float, default 1e-3
        Added to the variance to avoid dividing by zero.
    center : bool, default True
        Learn an offset ``beta``.
    scale : bool, default True
        Learn a scale ``gamma``.
    beta_initializer, gamma_initializer : str or Initializer, default "zeros" / "ones"
        Initializers of beta and gamma.
    moving_mean_initializer, moving_variance_initializer : str or Initializer
        Initializers of the moving statistics (default "zeros" and "ones").
    beta_regularizer, gamma_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    beta_constraint, gamma_constraint : None
        Not supported (a value raises).
    synchronized : bool, default False
        Accepted for Keras compatibility (pynn trains in one process).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> layer = pynn.layers.BatchNormalization()
    >>> x = np.array([[0.0, 10.0], [2.0, 30.0]], np.float32)
    >>> np.round(layer(x, training=True).numpy(), 2)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> layer.moving_mean  # 0.99 * 0 + 0.01 * batch mean
    Variable([0.01, 0.2 ], dtype=float32)
    """

    _one_input = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)
        _last_axis_only("BatchNormalization", axis)
        if beta_constraint is not None or gamma_constraint is not None:
            raise ValueError("BatchNormalization: constraints are not supported yet")
        self.axis, self.momentum, self.epsilon = -1, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _check_input(self, shape):
        if len(shape) < 2:
            raise ValueError(f"BatchNormalization '{self.name}' expects a batch with a channel axis, "
                             f"(batch, ..., channels); got shape {tuple(shape)}")
        if self.built and shape[-1] != self.moving_mean.shape[0]:
            raise ValueError(f"BatchNormalization '{self.name}' was built for {self.moving_mean.shape[0]} "
                             f"channels (last axis), got a batch of shape {tuple(shape)}")

    def build(self, input_shape):
        c = (int(input_shape[-1]),)
        # Keras' weight order: gamma, beta, moving_mean, moving_variance
        self.gamma = (self.add_weight("gamma", c, self.gamma_initializer, self.gamma_regularizer)
                      if self.scale else None)
        self.beta = (self.add_weight("beta", c, self.beta_initializer, self.beta_regularizer)
                     if self.center else None)
        self.moving_mean = self.add_weight("moving_mean", c, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", c,
                                               self.moving_variance_initializer, trainable=False)
        # scale=False / center=False: constants, not weights (Keras has no weight then)
        self._one = Tensor(np.ones(c, np.float32))
        self._zero = Tensor(np.zeros(c, np.float32))

    def call(self, inputs, training=False):
        g = self.tensor(self.gamma) if self.scale else self._one
        b = self.tensor(self.beta) if self.center else self._zero
        # The moving statistics' Tensors share the Variables' memory, so the op's
        # in-place update is what the user (and a saved model) sees.
        return ops.batch_norm(inputs, g, b, self.tensor(self.moving_mean),
                              self.tensor(self.moving_variance),
                              training=bool(training) and self.trainable,
                              momentum=self.momentum, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center,
                   scale=self.scale,
                   beta_initializer=initializers.serialize(self.beta_initializer),
                   gamma_initializer=initializers.serialize(self.gamma_initializer),
                   moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
                   moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return cfg


class LayerNormalization(Layer):
    """Normalises each sample over its last axis, then scales and shifts (per feature).

    ``(x - mean) / sqrt(var + epsilon) * gamma + beta``, statistics taken per
    sample over the last axis; the same in training and inference.

    Parameters
    ----------
    axis : int, default -1
        Only the last axis is supported.
    epsilon : float, default 1e-3
        Added to the variance to avoid dividing by zero.
    center : bool, default True
        Learn an offset ``beta`` of shape ``(features,)``.
    scale : bool, default True
        Learn a scale ``gamma`` of shape ``(features,)``.
    rms_scaling : bool, default False
        Keras 3's (deprecated) variant: ``x * rsqrt(var + epsilon) * gamma``, no
        centring and no ``beta``. `RMSNormalization` is the real RMS norm.
    beta_initializer, gamma_initializer : str or Initializer, default "zeros" / "ones"
        Initializers of beta and gamma.
    beta_regularizer, gamma_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    beta_constraint, gamma_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Examples
    --------
    >>> layer = pynn.layers.LayerNormalization()
    >>> np.round(layer(np.array([[1.0, 2.0, 3.0]], np.float32)).numpy(), 3)
    array([[-1.224,  0.   ,  1.224]], dtype=float32)
    """

    _one_input = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)
        _last_axis_only("LayerNormalization", axis)
        if beta_constraint is not None or gamma_constraint is not None:
            raise ValueError("LayerNormalization: constraints are not supported yet")
        self.axis, self.epsilon = -1, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _check_input(self, shape):
        if len(shape) < 2:
            raise ValueError(f"LayerNormalization '{self.name}' expects (batch, ..., features); got "
                             f"shape {tuple(shape)}")
        if self.built and self.gamma is not None and shape[-1] != self.gamma.shape[0]:
            raise ValueError(f"LayerNormalization '{self.name}' was built for {self.gamma.shape[0]} "
                             f"features (last axis), got a batch of shape {tuple(shape)}")

    def build(self, input_shape):
        c = (int(input_shape[-1]),)
        # Keras: rms_scaling always has gamma and never beta
        self.gamma = (self.add_weight("gamma", c, self.gamma_initializer, self.gamma_regularizer)
                      if self.scale or self.rms_scaling else None)
        self.beta = (self.add_weight("beta", c, self.beta_initializer, self.beta_regularizer)
                     if self.center and not self.rms_scaling else None)
        self._one = Tensor(np.ones(c, np.float32))
        self._zero = Tensor(np.zeros(c, np.float32))

    def call(self, inputs, training=False):
        if self.rms_scaling:  # Keras 3.15's formula, variance and all
            var = ops.var(inputs, axis=-1, keepdims=True)
            return inputs * ops.rsqrt(var + np.float32(self.epsilon)) * self.tensor(self.gamma)
        g = self.tensor(self.gamma) if self.scale else self._one
        b = self.tensor(self.beta) if self.center else self._zero
        return ops.layer_norm(inputs, g, b, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                   rms_scaling=self.rms_scaling, beta_initializer=initializers.serialize(self.beta_initializer),
                   gamma_initializer=initializers.serialize(self.gamma_initializer),
                   beta_regularizer=regularizers.serialize(self.beta_regularizer),
                   gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return cfg
