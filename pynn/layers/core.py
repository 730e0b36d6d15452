"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Identity."""
import numpy as np

from .. import _C, activations, initializers, ops, regularizers
from .base import Layer, refuse_unsupported


class InputLayer(Layer):
    """Declares the per-sample input shape of a model (what `pynn.Input` creates).

    Parameters
    ----------
    shape : tuple of int or int
        Per-sample shape, without the batch axis; ``None`` for a dimension of any
        size (e.g. variable-length sequences).
    batch_size : int, optional
        Accepted for Keras compatibility; the batch size stays free.
    name : str, optional
        The layer's name.
    input_shape : tuple, optional
        tf.keras' name for ``shape``.

    Raises
    ------
    ValueError
        No shape was given.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.layers.InputLayer(shape=(3,)), pynn.layers.Dense(2)])
    >>> model.input_shape
    (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("Input needs shape=(...) (the per-sample shape, without the batch axis)")
        if isinstance(shape, int):
            shape = (shape,)
        super().__init__(name=name, input_shape=tuple(shape), **kwargs)
        self.shape = tuple(shape)
        self.batch_size = batch_size
        self.batch_shape = self.output_shape = (batch_size,) + self.shape  # Keras' names
        self.built = True  # nothing to build: Keras' InputLayer is built when made

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"name": self.name, "shape": list(self.shape)}


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel has Keras' layout ``(input_dim, units)``. With a built-in
    activation, GEMM, bias and activation run as one fused engine op. Inputs of
    rank above 2 are multiplied along their last axis, as in Keras.

    Parameters
    ----------
    units : int
        Size of the output's last dimension.
    activation : str or callable, optional
        Activation applied to the output (e.g. ``"relu"``, ``"softmax"``); none
        (linear) by default. See `pynn.activations`.
    use_bias : bool, default True
        Whether to add a bias vector.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer : str or Regularizer, optional
        Penalty on the kernel added to the training loss (e.g. ``pynn.regularizers.L2(1e-4)``).
    bias_regularizer : str or Regularizer, optional
        Penalty on the bias.
    activity_regularizer : str or Regularizer, optional
        Penalty on the layer's output divided by the batch size (as Keras 3), added
        to the training loss at every call.
    kernel_constraint, bias_constraint : None
        Not supported: a value raises rather than being ignored.
    **kwargs
        Base layer arguments (``name``, ``trainable``, ``input_shape``).

    Raises
    ------
    ValueError
        ``units`` is not a positive integer, an unsupported option is given, or
        the input's last dimension does not match a built layer's kernel.

    Examples
    --------
    >>> layer = pynn.layers.Dense(3, activation="relu")
    >>> y = layer(np.ones((2, 4), np.float32))
    >>> y.shape, layer.kernel.shape, layer.bias.shape
    ((2, 3), (4, 3), (3,))
    >>> pynn.layers.Dense(3)(np.ones((2, 5, 4), np.float32)).shape  # applied on the last axis
    (2, 5, 3)
    """

    _one_input = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        refuse_unsupported("Dense", kernel_constraint=kernel_constraint,
                           bias_constraint=bias_constraint)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def _check_input(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Dense '{self.name}' expects inputs with at least 2 dimensions "
                             f"(batch, features); got a batch of shape {tuple(shape)}")
        if self.built and shape[-1] != self.kernel.shape[0]:
            n = self.kernel.shape[0]
            raise ValueError(
                f"Dense '{self.name}' expects inputs whose last dimension is {n} (per-sample shape "
                f"{(n,) if len(shape) == 2 else tuple(shape[1:-1]) + (n,)}); got a batch of shape "
                f"{tuple(shape)}")

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        self.bias_regularizer)
        else:
            self.bias = None

    def call(self, inputs, training=False):
        y = self._affine(inputs)
        if self.activity_regularizer is not None:
            # Keras 3: the penalty of the output divided by the batch size; counted from the
            # tensor itself, since a compiled program replays at other sizes (the last batch)
            per_sample = int(np.prod(y.shape[1:]))
            batch = ops.sum(ops.ones_like(y)) / per_sample
            self.add_loss(self.activity_regularizer(y) / batch)
        return y

    def _affine(self, inputs):
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
        if self.activity_regularizer is not None:
            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return cfg

    def _stored_variables(self):
        # Keras' Dense saves its kernel and bias only (not Variables a subclass adds)
        return [self.kernel] + ([self.bias] if self.bias is not None else [])


class Activation(Layer):
    """Applies an activation function to its input.

    Parameters
    ----------
    activation : str or callable
        A Keras activation name (``"relu"``, ``"tanh"``, ``"softmax"``, ...) or a
        function of one Tensor. See `pynn.activations`.
    **kwargs
        Base layer arguments (``name``, ...).

    Examples
    --------
    >>> pynn.layers.Activation("relu")(np.array([[-1.0, 2.0]], np.float32)).numpy()
    array([[0., 2.]], dtype=float32)
    """

    _one_input = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Dropout(Layer):
    """Randomly zeroes a fraction of the inputs during training (inverted dropout).

    In training, each value is dropped with probability ``rate`` and the kept
    ones are scaled by ``1 / (1 - rate)``, so the expected value is unchanged;
    at inference (``predict``, ``evaluate``) the layer passes its input through.
    The mask comes from pynn's seeded generator (`pynn.set_seed`).

    Parameters
    ----------
    rate : float
        Fraction of the inputs to drop, in [0, 1).
    noise_shape : None
        Not supported (a value raises).
    seed : int, optional
        Stored in the config for Keras compatibility; use `pynn.set_seed`.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``rate`` is outside [0, 1) or ``noise_shape`` is given.

    Examples
    --------
    >>> layer = pynn.layers.Dropout(0.5)
    >>> x = np.ones((1, 8), np.float32)
    >>> layer(x, training=False).numpy()
    array([[1., 1., 1., 1., 1., 1., 1., 1.]], dtype=float32)
    >>> sorted(set(layer(x, training=True).numpy().ravel()) - {0.0, 2.0})  # kept values scaled by 2
    []
    """

    _one_input = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the steps' mask passes through (Keras)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported")
        self.rate, self.seed = float(rate), seed

    def call(self, inputs, training=False):
        return _C.apply("dropout", [inputs], rate=float(self.rate), training=bool(training))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(rate=self.rate, seed=self.seed)
        return cfg


class Flatten(Layer):
    """Flattens each sample to one dimension: ``(batch, d1, d2, ...)`` to ``(batch, d1*d2*...)``.

    Parameters
    ----------
    data_format : {None, "channels_last", "channels_first"}
        ``"channels_first"``: samples are ``(channels, ...)`` and are flattened in
        channels-last order, as Keras does (so that a model ported from
        channels-first weights keeps its Dense kernel order).
    **kwargs
        Base layer arguments (``name``, ...).

    Examples
    --------
    >>> pynn.layers.Flatten()(np.zeros((2, 3, 4), np.float32)).shape
    (2, 12)
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2)
    >>> pynn.layers.Flatten(data_format="channels_first")(x).numpy()
    array([[0., 2., 1., 3.]], dtype=float32)
    """

    _one_input = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten: data_format must be 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs, training=False):
        rank = len(inputs.shape)
        if self.data_format == "channels_first" and rank > 2:  # to channels-last first (Keras)
            inputs = ops.transpose(inputs, (0, *range(2, rank), 1))
        return ops.reshape(inputs, (-1, int(np.prod(inputs.shape[1:]))))

    def compute_output_shape(self, input_shape):
        per_sample = tuple(input_shape[1:])
        # a dimension known only at run time (Input((None, 3))): so is the flat size (Keras)
        return (input_shape[0], None if None in per_sample else int(np.prod(per_sample)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Parameters
    ----------
    target_shape : tuple of int
        The per-sample output shape; one dimension may be -1 (inferred).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        More than one -1, or a sample's size does not fit the target shape.

    Examples
    --------
    >>> pynn.layers.Reshape((2, -1))(np.zeros((5, 6), np.float32)).shape
    (5, 2, 3)
    """

    _one_input = True

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        given = tuple(target_shape) if isinstance(target_shape, (list, tuple)) else target_shape
        # Keras' rule (reshape_test.py): each entry a non-negative integer or -1; int()
        # used to truncate 2.5 to 2 and let -2 through to a confusing size error
        if not isinstance(given, tuple) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= -1
                for s in given):
            raise ValueError(f"Reshape '{self.name}': the target_shape argument must be a tuple "
                             f"of non-negative integers or -1, got target_shape={given!r}")
        self.target_shape = tuple(int(s) for s in given)
        if sum(s == -1 for s in self.target_shape) > 1:
            raise ValueError(f"Reshape '{self.name}': at most one unknown dimension (-1) in "
                             f"target_shape={self.target_shape}")

    def _resolved(self, per_sample):
        if None in tuple(per_sample):
            # a dimension known only at run time (Input((None, 2))): so is the -1, as in
            # Keras; call() sees the actual shape and checks it there
            return tuple(None if s == -1 else s for s in self.target_shape)
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


class Identity(Layer):
    """Returns its input unchanged (Keras' Identity): a placeholder, e.g. for a
    layer switched off by configuration. Masks pass through.

    Parameters
    ----------
    **kwargs
        Base layer arguments (``name``, ...).

    Examples
    --------
    >>> pynn.layers.Identity()(np.array([[1.0, 2.0]], np.float32)).numpy()
    array([[1., 2.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
