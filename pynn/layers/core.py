"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape."""
import numpy as np

from .. import _C, activations, initializers, ops, regularizers
from .base import Layer


class InputLayer(Layer):
    """Declares the per-sample input shape (what pynn.Input creates in a Sequential)."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("Input needs shape=(...) (the per-sample shape, without the batch axis)")
        if isinstance(shape, int):
            shape = (shape,)
        super().__init__(name=name, input_shape=tuple(shape), **kwargs)
        self.shape = tuple(shape)
        self.batch_size = batch_size

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"name": self.name, "shape": list(self.shape)}


class Dense(Layer):
    """y = activation(x · kernel + bias), kernel (in, units): Keras' layout."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Dense '{self.name}' expects inputs with at least 2 dimensions "
                             f"(batch, features); got a batch of shape {tuple(shape)}")
        if self.built and shape[-1] != self.kernel.shape[0]:
            n = self.kernel.shape[0]
            raise ValueError(
                f"Dense '{self.name}' expects inputs whose last dimension is {n} (per-sample shape "
                f"{(n,) if len(shape) == 2 else tuple(shape[1:-1]) + (n,)}); got a batch of shape "
                f"{tuple(x if x is not None else 'None' for x in shape)}")

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer)
        else:
            self.bias = None

    def call(self, inputs, training=False):
        bias = self.tensor(self.bias) if self.use_bias else None
        fused = activations.fused_name(self.activation)
        if fused is not None:  # one engine op: GEMM, bias and activation in one pass
            return ops.dense(inputs, self.tensor(self.kernel), bias, activation=fused)
        y = ops.matmul(inputs, self.tensor(self.kernel))
        if bias is not None:
            y = y + bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=activations.serialize(self.activation),
                   use_bias=self.use_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return cfg


def _keep_mask(inputs, out):
    """Elementwise layers pass an Embedding(mask_zero=True) padding mask on (Keras)."""
    mask = getattr(inputs, "_keras_mask", None)
    if mask is not None:
        out._keras_mask = mask
    return out


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False):
        return _keep_mask(inputs, self.activation(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Dropout(Layer):
    """Inverted dropout, active only in training (Keras)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported")
        self.rate, self.seed = float(rate), seed

    def call(self, inputs, training=False):
        return _keep_mask(inputs, _C.apply("dropout", [inputs], fattr=[self.rate],
                                           iattr=[int(bool(training))]))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rate=self.rate, seed=self.seed)
        return cfg


class Flatten(Layer):
    def call(self, inputs, training=False):
        return ops.reshape(inputs, (-1, int(np.prod(inputs.shape[1:]))))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))


class Reshape(Layer):
    """Reshape(target_shape): per-sample target (batch axis excluded), one -1 allowed."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1:
            raise ValueError(f"Reshape '{self.name}': at most one -1 in target_shape "
                             f"{self.target_shape}")

    def _resolved(self, per_sample):
        n = int(np.prod(per_sample))
        known = int(np.prod([s for s in self.target_shape if s != -1]))
        if -1 in self.target_shape:
            if known == 0 or n % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape per-sample shape "
                                 f"{tuple(per_sample)} ({n} values) to {self.target_shape}")
            return tuple(n // known if s == -1 else s for s in self.target_shape)
        if known != n:
            raise ValueError(f"Reshape '{self.name}': cannot reshape per-sample shape "
                             f"{tuple(per_sample)} ({n} values) to {self.target_shape} "
                             f"({known} values)")
        return self.target_shape

    def _check_input(self, shape):
        self._resolved(shape[1:])

    def call(self, inputs, training=False):
        # -1 for the batch axis: the compiled driver replays this graph with other batch sizes
        return ops.reshape(inputs, (-1,) + self._resolved(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(input_shape[1:])

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg
