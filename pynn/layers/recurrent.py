"""Recurrent layers: SimpleRNN, LSTM, GRU (Keras 3 names, defaults and weight
layouts) and the Bidirectional wrapper. Each layer is one whole-sequence engine
op (pynn.ops.rnn); masks arrive as the ``mask`` call argument or as the
``_keras_mask`` an Embedding(mask_zero=True) attaches to its output.

dropout / recurrent_dropout follow Keras 3's DropoutRNNCell: in training only,
each call draws one mask per sequence (the same at every time step) for the
inputs and one for h_{t-1} before the recurrent kernel, scaled by 1/(1-rate).
LSTM and GRU draw a mask per gate when recurrent_dropout > 0 (Keras then runs
its implementation=1 cell) or implementation=1; otherwise one input mask serves
every gate. Masks come from the engine generator (pynn.set_seed), not `seed`."""
import numpy as np

from .. import _C, initializers, ops, regularizers
from ..ops.rnn import ACTIVATIONS
from .base import Layer, refuse_unsupported


def _act_name(a):
    key = "linear" if a is None else a.lower() if isinstance(a, str) else a
    if key not in ACTIVATIONS:
        raise ValueError(f"recurrent layers support the activations {sorted(ACTIVATIONS)} "
                         f"(or None); got {a!r}")
    return key


def _implementation(cls, value):
    if isinstance(value, bool) or value not in (1, 2):
        raise ValueError(f"{cls}: implementation must be 1 or 2, got {value!r}")
    return int(value)


class _CellConfig:
    """What a recurrent layer and its cell share: units, activations, the weights
    in Keras' layouts, dropout rates, their checks and config, and the fused
    engine op that runs them over a whole sequence."""

    _op = None
    _gates = 1
    _n_states = 1
    implementation = 2  # LSTM / GRU take Keras' implementation=1|2; it only picks the masks

    def _cell_init(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                   kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                   bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                   bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                   bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None):
        cls = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{cls}: units must be a positive integer, got {units!r}")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) \
                    or not 0 <= rate < 1:
                raise ValueError(f"{cls}: {what} must be a fraction in [0, 1), got {rate!r}")
        refuse_unsupported(cls, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self.units = int(units)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.activation = _act_name(activation)
        self.recurrent_activation = _act_name(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _build_weights(self, features):
        G, u = self._gates, self.units
        self.kernel = self.add_weight("kernel", (features, G * u), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (u, G * u),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = (self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                     self.bias_regularizer) if self.use_bias else None)

    def _fn_kwargs(self):
        return dict(recurrent_activation=self.recurrent_activation)

    def _dropout_masks(self, inputs):
        """Training-time masks for this call (Keras draws the input mask first)."""
        per_gate = self.recurrent_dropout > 0 or self.implementation == 1
        drop = rdrop = None
        if self.dropout:
            drop = ops.dropout_mask(inputs, self.dropout, self._gates if per_gate else 1,
                                    inputs.shape[-1])
        if self.recurrent_dropout:
            rdrop = ops.dropout_mask(inputs, self.recurrent_dropout, self._gates, self.units)
        return drop, rdrop

    def _sequence(self, inputs, training, mask, initial_state, return_sequences, return_state,
                  go_backwards, zero_output_for_mask):
        """The whole sequence through the fused op with these weights."""
        drop, rdrop = self._dropout_masks(inputs) if training else (None, None)
        fn = getattr(ops, self._op)
        return fn(inputs, self.tensor(self.kernel), self.tensor(self.recurrent_kernel),
                  self.tensor(self.bias) if self.use_bias else None, initial_state, mask,
                  return_sequences=return_sequences, return_state=return_state,
                  go_backwards=go_backwards, activation=self.activation,
                  zero_output_for_mask=zero_output_for_mask, dropout_mask=drop,
                  recurrent_dropout_mask=rdrop, **self._fn_kwargs())

    def _cell_config(self):
        return dict(units=self.units, activation=self.activation, use_bias=self.use_bias,
                    kernel_initializer=initializers.serialize(self.kernel_initializer),
                    recurrent_initializer=initializers.serialize(self.recurrent_initializer),
                    bias_initializer=initializers.serialize(self.bias_initializer),
                    kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                    recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
                    bias_regularizer=regularizers.serialize(self.bias_regularizer),
                    dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)


class _SimpleConfig(_CellConfig):
    _op = "simple_rnn"

    def _fn_kwargs(self):
        return {}


class _LSTMConfig(_CellConfig):
    _op = "lstm"
    _gates = 4
    _n_states = 2

    def _lstm_init(self, unit_forget_bias, implementation):
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = _implementation(type(self).__name__, implementation)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def init(shape, dtype=None):
            return np.concatenate([np.asarray(base((u,)), np.float32), np.ones(u, np.float32),
                                   np.asarray(base((2 * u,)), np.float32)])
        return init

    def _cell_config(self):
        cfg = super()._cell_config()
        cfg.update(recurrent_activation=self.recurrent_activation,
                   unit_forget_bias=self.unit_forget_bias, implementation=self.implementation)
        return cfg


class _GRUConfig(_CellConfig):
    """reset_after=True runs the fused op; reset_after=False (the candidate's
    recurrent product taken after the reset gate, one bias row) has no fused
    kernel and runs `_gru_v1_step` step by step (rnn_loop.py)."""
    _op = "gru"
    _gates = 3

    def _gru_init(self, reset_after, implementation):
        cls = type(self).__name__
        if not isinstance(reset_after, (bool, np.bool_)):
            raise ValueError(f"{cls}: reset_after must be True or False, got {reset_after!r}")
        self.reset_after = bool(reset_after)
        self.implementation = _implementation(cls, implementation)
        if not self.reset_after and (self.dropout or self.recurrent_dropout):
            raise ValueError(f"{cls}: dropout and recurrent_dropout are not supported with "
                             f"reset_after=False (only with Keras 3's default reset_after=True)")

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _sequence(self, inputs, training, mask, initial_state, return_sequences, return_state,
                  go_backwards, zero_output_for_mask):
        if self.reset_after:
            return super()._sequence(inputs, training, mask, initial_state, return_sequences,
                                     return_state, go_backwards, zero_output_for_mask)
        from .rnn_loop import gru_v1_sequence
        return gru_v1_sequence(self, inputs, mask, initial_state, return_sequences, return_state,
                               go_backwards, zero_output_for_mask)

    def _cell_config(self):
        cfg = super()._cell_config()
        cfg.update(recurrent_activation=self.recurrent_activation, reset_after=self.reset_after,
                   implementation=self.implementation)
        return cfg


class _SequenceLayer(Layer):
    """What SimpleRNN/LSTM/GRU and RNN share: the sequence arguments, the call
    (masks, the stored states of a stateful layer), the output shapes, and
    ``states`` / ``reset_states``. Subclasses give ``_state_sizes()`` and the
    sequence function passed to ``_run``."""
    _one_input = True

    def __init__(self, batch_size=None, **kwargs):
        # the batch a stateful layer keeps states for (tf.keras' layer argument; also
        # taken from pynn.Input(batch_size=...), and saved in a stateful layer's config)
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, (int, np.integer)) or
                                       batch_size < 1):
            raise ValueError(f"{type(self).__name__}: batch_size must be a positive int or None, "
                             f"got {batch_size!r}")
        super().__init__(**kwargs)
        self._batch_size = None if batch_size is None else int(batch_size)

    def _sequence_init(self, return_sequences, return_state, go_backwards, stateful, unroll,
                       zero_output_for_mask):
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # same numbers either way: the loop runs in C (or as one graph)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._state_vars = None

    def compute_mask(self, inputs, mask=None):
        # Keras: the steps' mask goes on with the sequence, never with the last output
        # or the states
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(self._state_sizes()) if self.return_state \
            else output_mask

    def __call__(self, inputs, *args, **kwargs):
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if getattr(first, "_is_symbolic", False) and getattr(first, "batch_size", None):
            self._batch_size = first.batch_size
        return super().__call__(inputs, *args, **kwargs)

    def _sequence_config(self):
        cfg = dict(return_sequences=self.return_sequences, return_state=self.return_state,
                   go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                   zero_output_for_mask=self.zero_output_for_mask)
        batch = self._batch_size or (self._state_vars[0].shape[0] if self._state_vars else None)
        if self.stateful and batch:
            cfg["batch_size"] = int(batch)
        return cfg

    def _output_shape(self, input_shape, units):
        out = ((input_shape[0], input_shape[1], units) if self.return_sequences
               else (input_shape[0], units))
        if self.return_state:
            return [out] + [(input_shape[0], s) for s in self._state_sizes()]
        return out

    def _run(self, sequence, inputs, training, mask, initial_state):
        """The mask from the input; a stateful layer's stored states read as the
        initial state and replaced by the final ones (the store_states op, on the
        path to the output so every driver runs it); the output's mask."""
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        stored = None
        if self.stateful and initial_state is None:
            stored = self._stored_states(self._batch_size, inputs.shape[0])
            # read through an op whose batch follows the input's, so that a compiled
            # model (traced at batch 1) checks the batch size when it runs
            initial_state = [ops.read_states(inputs, self.tensor(v)) for v in stored]
        out = sequence(inputs, training, mask, initial_state, self.return_sequences,
                       self.return_state or stored is not None, self.go_backwards,
                       self.zero_output_for_mask)
        if stored is not None:
            y = ops.store_states(out[0], out[1:], [self.tensor(v) for v in stored])
            out = [y] + list(out[1:]) if self.return_state else y
        if self.return_sequences and mask is not None:
            (out[0] if self.return_state else out)._keras_mask = mask
        return out

    def _stored_states(self, declared, batch):
        """The state Variables, made (zeros) at the first call, for the batch size of
        pynn.Input(batch_size=...) or else of that call: as in Keras they are kept
        for one batch size. A compiled model is traced on a placeholder batch of
        one: its real batch size must have been declared."""
        who = f"{type(self).__name__} '{self.name}'"
        tracing = _C.set_tracing(True)  # reads the mode (and puts it back)
        _C.set_tracing(tracing)
        if self._state_vars is None and tracing and declared is None:
            raise ValueError(f"{who} is stateful, so it needs to know its batch size before a "
                             f"model compiles it: give it with pynn.Input(shape, batch_size=...), "
                             f"as Keras asks, or call the layer once on a batch")
        if self._state_vars is not None and not tracing and batch != self._state_vars[0].shape[0]:
            raise ValueError(f"{who} is stateful: its states are kept for batches of "
                             f"{self._state_vars[0].shape[0]} sequences, but got a batch of "
                             f"{batch}; use the same batch size in every call")
        batch = declared or batch
        if self._state_vars is None:
            from .base import Variable
            self._state_vars = [Variable(np.zeros((batch, s), np.float32), trainable=False,
                                         name=f"{self.name}/state_{i}")
                                for i, s in enumerate(self._state_sizes())]
        return self._state_vars

    @property
    def states(self):
        """The stored states of a ``stateful`` layer (Variables, ``(batch, size)`` each).

        They are made at the first call (zeros) and hold the final states of the
        latest batch; a layer that is not stateful has ``[None, ...]``, as Keras.

        Returns
        -------
        list of Variable or None

        Examples
        --------
        >>> layer = pynn.layers.LSTM(3, stateful=True)
        >>> _ = layer(np.ones((2, 4, 5), np.float32))
        >>> [s.shape for s in layer.states]
        [(2, 3), (2, 3)]
        """
        if self._state_vars is None:
            return [None] * len(self._state_sizes())
        return list(self._state_vars)

    def reset_states(self, states=None):
        """Sets the stored states of a ``stateful`` layer to zeros (or to ``states``).

        Parameters
        ----------
        states : list of array_like, optional
            One ``(batch, size)`` array per state; zeros when omitted.

        Raises
        ------
        AttributeError
            The layer is not stateful.
        ValueError
            ``states`` of the wrong number or shapes.

        Examples
        --------
        >>> layer = pynn.layers.SimpleRNN(2, stateful=True)
        >>> _ = layer(np.ones((1, 3, 4), np.float32))
        >>> layer.reset_states()
        >>> layer.states[0]
        Variable([[0., 0.]], dtype=float32)
        """
        if not self.stateful:
            raise AttributeError(f"{type(self).__name__} '{self.name}': reset_states() needs a "
                                 f"stateful layer (stateful=True)")
        if self._state_vars is None:
            if states is None:
                return
            self._stored_states(int(np.shape(states[0])[0]))
        values = [None] * len(self._state_vars) if states is None else list(states)
        if len(values) != len(self._state_vars):
            raise ValueError(f"{type(self).__name__} '{self.name}': reset_states expects "
                             f"{len(self._state_vars)} state(s), got {len(values)}")
        for var, value in zip(self._state_vars, values):
            if value is None:
                var[...] = 0.0
                continue
            value = np.asarray(value, np.float32)
            if value.shape != var.shape:
                raise ValueError(f"{type(self).__name__} '{self.name}': a state must have shape "
                                 f"{var.shape}, got {value.shape}")
            var[...] = value

    def reset_state(self):
        """Keras 3's name for `reset_states` (zeros).

        Raises
        ------
        AttributeError
            The layer is not stateful.

        Examples
        --------
        >>> layer = pynn.layers.GRU(2, stateful=True)
        >>> _ = layer(np.ones((1, 3, 4), np.float32))
        >>> layer.reset_state()
        >>> float(np.abs(layer.states[0]).sum())
        0.0
        """
        self.reset_states()


class _RNN(_CellConfig, _SequenceLayer):
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        super().__init__(**kwargs)
        refuse_unsupported(type(self).__name__, activity_regularizer=activity_regularizer)
        self._cell_init(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self._sequence_init(return_sequences, return_state, go_backwards, stateful, unroll,
                            zero_output_for_mask)

    def _check_input(self, shape):
        cls = type(self).__name__
        if len(shape) != 3:
            per = tuple(shape[1:])
            hint = ""
            if len(per) == 1:
                hint = (f" For sequences of {per[0]} scalars use per-sample shape ({per[0]}, 1) "
                        f"(input_shape=({per[0]}, 1), x.reshape(-1, {per[0]}, 1)).")
            raise ValueError(f"{cls} '{self.name}' expects a batch of shape (batch, timesteps, "
                             f"features), i.e. per-sample shape (timesteps, features); got a batch "
                             f"of shape ({', '.join(str(s) for s in shape)}) "
                             f"(per-sample {per}).{hint}")
        if self.built and shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{cls} '{self.name}' was built for {self.kernel.shape[0]} features "
                             f"per step; got per-sample shape {tuple(shape[1:])}")

    def build(self, input_shape):
        self._build_weights(input_shape[-1])
        # set here because with return_state the call returns a list
        self.output_shape = self.compute_output_shape(input_shape)

    def _state_sizes(self):
        return [self.units] * self._n_states

    def call(self, inputs, training=False, mask=None, initial_state=None):
        """Runs the recurrent layer over a batch of sequences.

        Parameters
        ----------
        inputs : Tensor
            ``(batch, steps, features)``.
        training : bool, default False
            Apply ``dropout`` / ``recurrent_dropout`` (training only).
        mask : Tensor, optional
            ``(batch, steps)``, 1 at real steps and 0 at padding; taken from an
            ``Embedding(mask_zero=True)`` input when not given. Padded steps keep
            the previous state.
        initial_state : Tensor or list of Tensor, optional
            The starting state(s) ``(batch, units)`` (zeros by default, or the
            stored states of a ``stateful`` layer; an LSTM takes ``[h, c]``).

        Returns
        -------
        Tensor or list of Tensor
            The output, followed by the final states when ``return_state=True``.

        Examples
        --------
        >>> layer = pynn.layers.SimpleRNN(3)
        >>> x = pynn.Tensor(np.ones((2, 4, 5), np.float32))
        >>> layer(x, initial_state=pynn.Tensor(np.zeros((2, 3), np.float32))).shape
        (2, 3)
        """
        return self._run(self._sequence, inputs, training, mask, initial_state)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.units)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._cell_config())
        cfg.update(self._sequence_config())
        return cfg


class SimpleRNN(_SimpleConfig, _RNN):
    """Fully-connected recurrent layer:
    ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Inputs are ``(batch, steps, features)``; the loop over steps runs in C, with
    the input projection of all steps done as one GEMM.

    Parameters
    ----------
    units : int
        Size of the state and output.
    activation : str, default "tanh"
        Activation of the state.
    use_bias : bool, default True
        Whether to add biases.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the input kernel.
    recurrent_initializer : str or Initializer, default "orthogonal"
        Initializer of the recurrent kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout : float, default 0.0
        Fraction of the inputs dropped in training (one mask per sequence).
    recurrent_dropout : float, default 0.0
        Fraction of the recurrent state dropped in training.
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    return_sequences : bool, default False
        Return the output of every step ``(batch, steps, units)`` instead of
        the last one ``(batch, units)``.
    return_state : bool, default False
        Also return the final state(s): ``[output, *states]``.
    go_backwards : bool, default False
        Process the sequence backwards (outputs in reverse order, as Keras).
    stateful : bool, default False
        Keep the final states of a batch as the initial states of the next
        (``states``, ``reset_states()``); needs the same batch size every call.
    unroll : bool, default False
        Accepted; the loop always runs in C, with the same result.
    zero_output_for_mask : bool, default False
        With a mask and ``return_sequences``, output zeros at padded steps
        (otherwise the last valid output is repeated).
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 3-D.

    Examples
    --------
    >>> x = np.zeros((2, 5, 3), np.float32)
    >>> pynn.layers.SimpleRNN(4)(x).shape
    (2, 4)
    >>> pynn.layers.SimpleRNN(4, return_sequences=True)(x).shape
    (2, 5, 4)
    """
    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)


class LSTM(_LSTMConfig, _RNN):
    """Long short-term memory layer (Hochreiter & Schmidhuber), with Keras' weights.

    Gates in Keras' order i, f, c, o: kernel ``(features, 4 * units)``,
    recurrent kernel ``(units, 4 * units)``, bias ``(4 * units,)``, so weights
    port from Keras as they are. One GEMM projects the inputs of all steps;
    one per step does the recurrence, with the gates fused, in C.

    Parameters
    ----------
    units : int
        Size of the state and output.
    activation : str, default "tanh"
        Activation of the cell candidate and output.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.
    unit_forget_bias : bool, default True
        Start the forget gate's bias at 1 (Jozefowicz et al.).
    implementation : {1, 2}, default 2
        Keras' option; as in Keras it only decides whether ``dropout`` draws one
        input mask per gate (1) or one for all gates (2).
    use_bias : bool, default True
        Whether to add biases.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the input kernel.
    recurrent_initializer : str or Initializer, default "orthogonal"
        Initializer of the recurrent kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout : float, default 0.0
        Fraction of the inputs dropped in training (one mask per sequence).
    recurrent_dropout : float, default 0.0
        Fraction of the recurrent state dropped in training.
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    return_sequences : bool, default False
        Return the output of every step ``(batch, steps, units)`` instead of
        the last one ``(batch, units)``.
    return_state : bool, default False
        Also return the final state(s): ``[output, *states]``.
    go_backwards : bool, default False
        Process the sequence backwards (outputs in reverse order, as Keras).
    stateful : bool, default False
        Keep the final states of a batch as the initial states of the next
        (``states``, ``reset_states()``); needs the same batch size every call.
    unroll : bool, default False
        Accepted; the loop always runs in C, with the same result.
    zero_output_for_mask : bool, default False
        With a mask and ``return_sequences``, output zeros at padded steps
        (otherwise the last valid output is repeated).
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 3-D.

    Examples
    --------
    >>> x = np.zeros((2, 5, 3), np.float32)
    >>> pynn.layers.LSTM(4)(x).shape
    (2, 4)
    >>> output, h, c = pynn.layers.LSTM(4, return_state=True)(x)
    >>> output.shape, h.shape, c.shape
    ((2, 4), (2, 4), (2, 4))
    >>> layer = pynn.layers.LSTM(2)
    >>> _ = layer(x)
    >>> layer.bias  # the forget gate's bias starts at 1
    Variable([0., 0., 1., 1., 0., 0., 0., 0.], dtype=float32)
    """
    def __init__(self, units, unit_forget_bias=True, implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self._lstm_init(unit_forget_bias, implementation)


class GRU(_GRUConfig, _RNN):
    """Gated recurrent unit layer (Cho et al.), Keras 3's variants.

    Gates in Keras' order z, r, h: kernel ``(features, 3 * units)``, recurrent
    kernel ``(units, 3 * units)``, bias ``(2, 3 * units)`` (input and recurrent
    biases), as Keras 3 and cuDNN. ``reset_after=False`` (tf.keras 1's variant:
    ``hh = act(x W_h + (r * h) U_h + b_h)``, bias ``(3 * units,)``) runs step by
    step as a graph of ops instead of the fused kernel.

    Parameters
    ----------
    units : int
        Size of the state and output.
    activation : str, default "tanh"
        Activation of the candidate state.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.
    reset_after : bool, default True
        Apply the reset gate after the recurrent product (Keras 3's default)
        or before it (False; no dropout then).
    use_cudnn : str, default "auto"
        Accepted for Keras compatibility.
    implementation : {1, 2}, default 2
        Keras' option; as in Keras it only decides whether ``dropout`` draws one
        input mask per gate (1) or one for all gates (2).
    use_bias : bool, default True
        Whether to add biases.
    kernel_initializer : str or Initializer, default "glorot_uniform"
        Initializer of the input kernel.
    recurrent_initializer : str or Initializer, default "orthogonal"
        Initializer of the recurrent kernel.
    bias_initializer : str or Initializer, default "zeros"
        Initializer of the bias.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout : float, default 0.0
        Fraction of the inputs dropped in training (one mask per sequence).
    recurrent_dropout : float, default 0.0
        Fraction of the recurrent state dropped in training.
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    return_sequences : bool, default False
        Return the output of every step ``(batch, steps, units)`` instead of
        the last one ``(batch, units)``.
    return_state : bool, default False
        Also return the final state(s): ``[output, *states]``.
    go_backwards : bool, default False
        Process the sequence backwards (outputs in reverse order, as Keras).
    stateful : bool, default False
        Keep the final states of a batch as the initial states of the next
        (``states``, ``reset_states()``); needs the same batch size every call.
    unroll : bool, default False
        Accepted; the loop always runs in C, with the same result.
    zero_output_for_mask : bool, default False
        With a mask and ``return_sequences``, output zeros at padded steps
        (otherwise the last valid output is repeated).
    activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments (dropout with ``reset_after=False``), or inputs that are
        not 3-D.

    Examples
    --------
    >>> layer = pynn.layers.GRU(4)
    >>> layer(np.zeros((2, 5, 3), np.float32)).shape
    (2, 4)
    >>> [w.shape for w in layer.weights]
    [(3, 12), (4, 12), (2, 12)]
    """
    def __init__(self, units, reset_after=True, use_cudnn="auto", implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self._gru_init(reset_after, implementation)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards, and merges their outputs.

    With ``return_sequences`` the backward outputs are flipped back to time
    order before merging, as in Keras. Weights: the forward layer's, then the
    backward layer's.

    Parameters
    ----------
    layer : SimpleRNN, LSTM or GRU
        The recurrent layer; its configuration is copied for both directions.
    merge_mode : {"concat", "sum", "mul", "ave", None}, default "concat"
        How to combine the two outputs; None returns both as a list.
    weights : list of array_like, optional
        Initial weights (forward then backward), set when the layer builds.
    backward_layer : Layer, optional
        A separate layer for the backward direction (must have the opposite
        ``go_backwards``).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``layer`` is not recurrent, or an unknown ``merge_mode``.

    Examples
    --------
    >>> x = np.zeros((2, 5, 3), np.float32)
    >>> pynn.layers.Bidirectional(pynn.layers.LSTM(4))(x).shape  # 4 forward + 4 backward
    (2, 8)
    >>> pynn.layers.Bidirectional(pynn.layers.GRU(4, return_sequences=True),
    ...                           merge_mode="sum")(x).shape
    (2, 5, 4)
    """

    _one_input = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, _RNN):
            raise ValueError(f"Bidirectional needs a recurrent layer (SimpleRNN, LSTM, GRU), got "
                             f"{layer!r}")
        if merge_mode not in ("sum", "mul", "ave", "concat", None):
            raise ValueError(f"Bidirectional: merge_mode must be one of 'sum', 'mul', 'ave', "
                             f"'concat' or None, got {merge_mode!r}")
        super().__init__(**kwargs)
        cfg = layer.get_config()
        cfg.pop("input_shape", None)
        base = cfg["name"]
        self.forward_layer = type(layer).from_config({**cfg, "name": "forward_" + base})
        if backward_layer is None:
            self.backward_layer = type(layer).from_config(
                {**cfg, "name": "backward_" + base, "go_backwards": True})
        elif not isinstance(backward_layer, _RNN):
            raise TypeError("Bidirectional: backward_layer must be a recurrent layer (SimpleRNN, "
                            f"LSTM, GRU) or None, got {type(backward_layer).__name__} "
                            f"{backward_layer!r}")
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers must differ in "
                             "go_backwards")
        for lay in (self.forward_layer, self.backward_layer):
            lay.zero_output_for_mask = lay.return_sequences  # as Keras forces it
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._initial_weights = weights

    def _check_input(self, shape):
        self.forward_layer._check_input(shape)

    def compute_mask(self, inputs, mask=None):
        return self.forward_layer.compute_mask(inputs, mask) if not self.return_state \
            else [self.forward_layer.compute_mask(inputs, mask)[0]] + [None] * (
                2 * len(self.forward_layer._state_sizes()))

    def build(self, input_shape):
        for lay in (self.forward_layer, self.backward_layer):
            lay._maybe_build(input_shape)
        self._weights = self.forward_layer._weights + self.backward_layer._weights
        if self._initial_weights:
            self.set_weights(self._initial_weights)
        self.output_shape = self.compute_output_shape(input_shape)

    def tensor(self, var):
        """Returns the engine Tensor over one of the wrapped layers' weights.

        Parameters
        ----------
        var : Variable
            A weight of the forward or backward layer.

        Returns
        -------
        Tensor

        Examples
        --------
        >>> layer = pynn.layers.Bidirectional(pynn.layers.SimpleRNN(2))
        >>> _ = layer(np.zeros((1, 4, 3), np.float32))
        >>> layer.tensor(layer.weights[0]).shape
        (3, 2)
        """
        owner = next(l for l in (self.forward_layer, self.backward_layer)
                     if any(w is var for w in l._weights))
        if not self.trainable:
            owner.trainable = False
        return owner.tensor(var)

    def call(self, inputs, training=False, mask=None, initial_state=None):
        """Runs both directions over a batch of sequences and merges them.

        Parameters
        ----------
        inputs : Tensor
            ``(batch, steps, features)``.
        training : bool, default False
            Training mode (dropout).
        mask : Tensor, optional
            ``(batch, steps)`` padding mask (from ``Embedding(mask_zero=True)`` by default).
        initial_state : list of Tensor, optional
            The forward layer's states followed by the backward layer's.

        Returns
        -------
        Tensor or list of Tensor

        Examples
        --------
        >>> layer = pynn.layers.Bidirectional(pynn.layers.SimpleRNN(2), merge_mode=None)
        >>> [t.shape for t in layer(np.zeros((1, 4, 3), np.float32))]
        [(1, 2), (1, 2)]
        """
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        fs = bs = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fs, bs = initial_state[:half], initial_state[half:]
        y = self.forward_layer.call(inputs, training=training, mask=mask, initial_state=fs)
        y_rev = self.backward_layer.call(inputs, training=training, mask=mask, initial_state=bs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.slice_axis(y_rev, 1, None, None, -1)
        if self.merge_mode == "concat":
            out = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_sequences and mask is not None and self.merge_mode is not None:
            out._keras_mask = mask
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], shape[1:]
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (2 * shape[-1],)
        out = [shape, shape] if self.merge_mode is None else shape
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + list(states) * 2
        return out

    def get_config(self):
        cfg = super().get_config()
        fcfg = self.forward_layer.get_config()
        fcfg["name"] = fcfg["name"][len("forward_"):] if fcfg["name"].startswith("forward_") else fcfg["name"]
        cfg.update(merge_mode=self.merge_mode,
                   layer={"class_name": type(self.forward_layer).__name__, "config": fcfg})
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        inner = config.pop("layer")
        from . import get_class
        layer = get_class(inner["class_name"]).from_config(inner["config"])
        return cls(layer, **config)
