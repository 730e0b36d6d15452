"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D (keras/src/layers/rnn/conv_lstm.py): an LSTM
whose input and recurrent transforms are convolutions, over sequences of 1-D
signals (batch, time, steps, channels), images (batch, time, height, width,
channels) or volumes (batch, time, depth, height, width, channels).

Composed of engine ops: the input convolution of every time step is one conv over
the (batch x time) frames; each step adds the recurrent convolution of h ("same"
padding, stride 1, as Keras), and the gates follow Keras' ConvLSTMCell (order i,
f, c, o). The steps, masks, go_backwards and the returned states are the generic
step loop of the recurrent layers (rnn_loop.step_loop)."""
import numpy as np

from .. import activations, initializers, ops, regularizers
from ..ops.conv import _check_input_rank, _padding, _tuple
from .base import Layer, refuse_unsupported
from .conv3d import conv3d
from .rnn_loop import step_loop


class _ConvLSTM(Layer):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{cls}: filters must be a positive integer, got {filters!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' is supported, got "
                             f"{data_format!r}")
        refuse_unsupported(cls, activity_regularizer=activity_regularizer,
                           kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint)
        for name, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout),
                            ("stateful", stateful)):
            if value:
                raise ValueError(f"{cls}: {name}={value!r} is not supported yet (only "
                                 f"{name}={0.0 if name != 'stateful' else False})")
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = _tuple(strides, self.rank, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", cls)
        _padding(padding, cls, ("valid", "same"))
        self.padding = padding.lower()
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout, self.recurrent_dropout, self.seed = 0.0, 0.0, seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.supports_masking = True

    def _check_input(self, shape):
        cls = f"{type(self).__name__} '{self.name}'"
        if len(shape) != self.rank + 3:
            axes = ("steps", "height, width", "depth, height, width")[self.rank - 1]
            raise ValueError(f"{cls} expects a {self.rank + 3}-D input (batch, time, {axes}, "
                             f"channels); got shape {tuple(shape)}")
        _check_input_rank(cls, (shape[0],) + tuple(shape[2:]), self.rank)
        if any(d is None for d in shape[2:]):
            raise ValueError(f"{cls}: ConvLSTM layers only support static input shapes for the "
                             f"spatial dimension and channels; got shape {tuple(shape)}")
        if self.built and shape[-1] != self.kernel.shape[-2]:
            raise ValueError(f"{cls} was built for inputs with {self.kernel.shape[-2]} channels "
                             f"but got shape {tuple(shape)}")
        if self._frame_shape(shape[2:-1]) is None:
            raise ValueError(f"{cls}: the frames {tuple(shape[2:-1])} are smaller than the "
                             f"dilated kernel {self.kernel_size} (padding='valid')")

    def _frame_shape(self, spatial):
        out = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            o = (n - d * (k - 1) - 1) // s + 1 if self.padding == "valid" else (n - 1) // s + 1
            if o < 1:
                return None
            out.append(o)
        return tuple(out)

    def build(self, input_shape):
        channels, F = int(input_shape[-1]), self.filters
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, 4 * F),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", self.kernel_size + (F, 4 * F),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (4 * F,), self.bias_initializer,
                                        self.bias_regularizer)
            if self.unit_forget_bias:  # Keras: [init(F), ones(F), init(2F)]
                self.bias[F:2 * F] = 1.0

    def _conv(self, x, kernel, bias=None, recurrent=False):
        if self.rank == 3:  # the engine's conv2d over the kernel's depth taps (Conv3D's)
            strides, padding, dilation = ((1,) * 3, "same", (1,) * 3) if recurrent else \
                (self.strides, self.padding, self.dilation_rate)
            y = conv3d(x, kernel, strides, padding, dilation)
            return y if bias is None else y + bias
        fn = ops.conv1d if self.rank == 1 else ops.conv2d
        if recurrent:  # Keras' recurrent_conv: stride 1, "same", no dilation
            return fn(x, kernel, bias, strides=1, padding="same")
        return fn(x, kernel, bias, strides=self.strides, padding=self.padding,
                  dilation_rate=self.dilation_rate)

    def call(self, inputs, training=False, mask=None, initial_state=None):
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        T, F = int(inputs.shape[1]), self.filters
        frames = ops.reshape(inputs, (-1,) + tuple(int(d) for d in inputs.shape[2:]))
        xw = self._conv(frames, self.tensor(self.kernel),
                        self.tensor(self.bias) if self.use_bias else None)
        out_frame = tuple(int(d) for d in xw.shape[1:-1])
        xw = ops.reshape(xw, (-1, T) + out_frame + (4 * F,))
        rk = self.tensor(self.recurrent_kernel)
        act, ract = self.activation, self.recurrent_activation
        last = self.rank + 1  # the channel axis of one step's (batch, *frame, 4F)

        def gate(z, g):
            return ops.slice_axis(z, last, g * F, (g + 1) * F)

        def step(x_t, states):
            h, c = states
            z = x_t + self._conv(h, rk, recurrent=True)
            i, f, o = ract(gate(z, 0)), ract(gate(z, 1)), ract(gate(z, 3))
            c = f * c + i * act(gate(z, 2))
            h = o * act(c)
            return h, [h, c]

        if initial_state is not None:
            states = list(initial_state)
            if len(states) != 2:
                raise ValueError(f"{type(self).__name__} '{self.name}': initial_state must be "
                                 f"[h, c], got {len(states)} tensor(s)")
        else:  # zeros shaped like one step's state, with the batch of the input
            zero = ops.slice_axis(xw[:, 0], last, 0, F) * 0.0
            states = [zero, zero]
        out = step_loop(step, xw, states, mask, self.go_backwards, self.return_sequences, False)
        return out if self.return_state else out[0]

    def compute_mask(self, inputs, mask=None):
        # as the recurrent layers: the steps' mask goes on with the sequence only
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    def compute_output_shape(self, input_shape):
        frame = self._frame_shape(input_shape[2:-1]) or tuple(input_shape[2:-1])
        step = (input_shape[0],) + tuple(frame) + (self.filters,)
        out = (step[0], input_shape[1]) + step[1:] if self.return_sequences else step
        return [out, step, step] if self.return_state else out

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=list(self.kernel_size),
                   strides=list(self.strides), padding=self.padding,
                   dilation_rate=list(self.dilation_rate),
                   activation=activations.serialize(self.activation),
                   recurrent_activation=activations.serialize(self.recurrent_activation),
                   use_bias=self.use_bias, unit_forget_bias=self.unit_forget_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   recurrent_initializer=initializers.serialize(self.recurrent_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer),
                   dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
                   return_sequences=self.return_sequences, return_state=self.return_state,
                   go_backwards=self.go_backwards, stateful=self.stateful)
        return cfg


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images: ``(batch, time, height, width, channels)``.

    Keras' ConvLSTM2D: at every step ``z = conv(x_t, kernel) + bias +
    conv(h, recurrent_kernel)`` (the recurrent conv with "same" padding and stride
    1), split into gates i, f, c, o; ``c = f * c + i * activation(z_c)``, ``h = o *
    activation(c)``. Kernels have Keras' layouts ``kernel_size + (channels, 4 *
    filters)`` and ``kernel_size + (filters, 4 * filters)``.

    Parameters
    ----------
    filters : int
        Channels of the state and output.
    kernel_size : int or tuple of 2 int
        Window of both convolutions.
    strides : int or tuple of 2 int, default 1
        Step of the input convolution.
    padding : {"valid", "same"}, default "valid"
        Padding of the input convolution.
    data_format : None or "channels_last"
        Only channels-last.
    dilation_rate : int or tuple of 2 int, default 1
        Dilation of the input convolution.
    activation : str or callable, default "tanh"
        Of the cell candidate and the output.
    recurrent_activation : str or callable, default "sigmoid"
        Of the gates.
    use_bias : bool, default True
        A bias per gate and filter.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Keras' defaults "glorot_uniform", "orthogonal", "zeros".
    unit_forget_bias : bool, default True
        Start the forget gate's bias at one.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported: a value raises.
    dropout, recurrent_dropout : 0.0
        Not supported yet: another value raises.
    seed : int, optional
        Saved for Keras compatibility.
    return_sequences : bool, default False
        Return the output of every step (batch, time, ...), else the last.
    return_state : bool, default False
        Also return the final states ``h`` and ``c``.
    go_backwards : bool, default False
        Process the steps last to first (the sequence is returned in that order).
    stateful : False
        Not supported.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 5-D with known frame sizes.

    Examples
    --------
    >>> layer = pynn.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 8, 8, 1), np.float32)).shape
    (2, 5, 8, 8, 4)
    >>> [w.shape for w in layer.weights]
    [(3, 3, 1, 16), (3, 3, 4, 16), (16,)]
    >>> out, h, c = pynn.layers.ConvLSTM2D(2, 3, return_state=True)(np.zeros((1, 3, 6, 6, 2)))
    >>> out.shape, h.shape, c.shape
    ((1, 4, 4, 2), (1, 4, 4, 2), (1, 4, 4, 2))
    """
    rank = 2


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-D signals: ``(batch, time, steps, channels)``.

    The same cell as `ConvLSTM2D` with 1-D convolutions.

    Parameters
    ----------
    filters : int
        Channels of the state and output.
    kernel_size : int or tuple of 1 int
        Window of both convolutions.
    strides : int, default 1
        Step of the input convolution.
    padding : {"valid", "same"}, default "valid"
        Padding of the input convolution.
    data_format : None or "channels_last"
        Only channels-last.
    dilation_rate : int, default 1
        Dilation of the input convolution.
    activation : str or callable, default "tanh"
        Of the cell candidate and the output.
    recurrent_activation : str or callable, default "sigmoid"
        Of the gates.
    use_bias : bool, default True
        A bias per gate and filter.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Keras' defaults.
    unit_forget_bias : bool, default True
        Start the forget gate's bias at one.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported: a value raises.
    dropout, recurrent_dropout : 0.0
        Not supported yet: another value raises.
    seed : int, optional
        Saved for Keras compatibility.
    return_sequences, return_state, go_backwards : bool, default False
        As `ConvLSTM2D`.
    stateful : False
        Not supported.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 4-D with known sizes.

    Examples
    --------
    >>> pynn.layers.ConvLSTM1D(3, 2)(np.zeros((2, 4, 10, 1), np.float32)).shape
    (2, 9, 3)
    """
    rank = 1


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes: ``(batch, time, depth, height, width,
    channels)``.

    The same cell as `ConvLSTM2D` with 3-D convolutions (each one the engine's
    conv2d summed over the kernel's depth taps, as `Conv3D`). Kernels have Keras'
    layouts ``kernel_size + (channels, 4 * filters)`` and ``kernel_size +
    (filters, 4 * filters)``.

    Parameters
    ----------
    filters : int
        Channels of the state and output.
    kernel_size : int or tuple of 3 int
        Window of both convolutions.
    strides : int or tuple of 3 int, default 1
        Step of the input convolution.
    padding : {"valid", "same"}, default "valid"
        Padding of the input convolution.
    data_format : None or "channels_last"
        Only channels-last.
    dilation_rate : int or tuple of 3 int, default 1
        Dilation of the input convolution.
    activation : str or callable, default "tanh"
        Of the cell candidate and the output.
    recurrent_activation : str or callable, default "sigmoid"
        Of the gates.
    use_bias : bool, default True
        A bias per gate and filter.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Keras' defaults.
    unit_forget_bias : bool, default True
        Start the forget gate's bias at one.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : optional
        Penalties added to the training loss.
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported: a value raises.
    dropout, recurrent_dropout : 0.0
        Not supported yet: another value raises.
    seed : int, optional
        Saved for Keras compatibility.
    return_sequences, return_state, go_backwards : bool, default False
        As `ConvLSTM2D`.
    stateful : False
        Not supported.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 6-D with known sizes.

    Examples
    --------
    >>> layer = pynn.layers.ConvLSTM3D(2, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((1, 2, 4, 5, 6, 1), np.float32)).shape
    (1, 2, 4, 5, 6, 2)
    >>> [w.shape for w in layer.weights]
    [(3, 3, 3, 1, 8), (3, 3, 3, 2, 8), (8,)]
    """
    rank = 3
