"""Recurrent cells and the generic RNN layer (Keras 3's keras.layers.RNN).

SimpleRNNCell, LSTMCell and GRUCell hold the same weights (Keras' names and
layouts) and arguments as SimpleRNN / LSTM / GRU; ``RNN(cell)`` over one of
them runs the same fused whole-sequence op as the layer. A list of cells (or
StackedRNNCells) is a stack: built-in cells run as fused ops one after the
other, which equals Keras' step-by-step interleaving since each step of a
cell reads only the step below it. Any other cell, a Layer with
``state_size`` and ``call(inputs, states)`` as in keras.io's "Working with
RNNs" guide, runs step by step as a graph of ops (rnn_loop.py)."""
import numpy as np

from .. import ops
from ..tensor import Tensor
from .base import Layer
from .recurrent import _CellConfig, _GRUConfig, _LSTMConfig, _SequenceLayer, _SimpleConfig
from .rnn_loop import step_loop, zero_states

_SEQUENCE_ONLY = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                  "zero_output_for_mask")


def _flat_sizes(state_size):
    """state_size as a flat list of per-state sizes (an int, or a list)."""
    if isinstance(state_size, (list, tuple)):
        return list(state_size)
    return [state_size]


class _Cell(_CellConfig, Layer):
    """A built-in cell: one step (``call``) or, for RNN, the fused sequence op."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        for key in _SEQUENCE_ONLY:
            if key in kwargs:
                raise TypeError(f"{type(self).__name__}: `{key}` is an argument of the RNN layer "
                                f"that runs the cell, not of the cell")
        super().__init__(**kwargs)
        self._cell_init(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, kernel_regularizer,
                        recurrent_regularizer, bias_regularizer, kernel_constraint,
                        recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)

    @property
    def state_size(self):
        """The size of each state: ``units`` (LSTMCell: ``[units, units]``, h and c).

        Returns
        -------
        int or list of int
        """
        return [self.units] * self._n_states if self._n_states > 1 else self.units

    @property
    def output_size(self):
        """The size of the output of a step: ``units``.

        Returns
        -------
        int
        """
        return self.units

    def build(self, input_shape):
        self._build_weights(input_shape[-1])

    def _check_input(self, shape):
        if len(shape) != 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' takes one time step "
                             f"(batch, features), got a batch of shape {tuple(shape)}; wrap the "
                             f"cell in pynn.layers.RNN to run it over sequences")
        if self.built and shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{type(self).__name__} '{self.name}' was built for "
                             f"{self.kernel.shape[0]} features, got {shape[-1]}")

    def call(self, inputs, states, training=False):
        """One time step: ``(output, new_states)``.

        Parameters
        ----------
        inputs : Tensor
            ``(batch, features)``.
        states : Tensor or list of Tensor
            The previous state(s), ``(batch, units)`` each.
        training : bool, default False
            Apply the cell's dropout.

        Returns
        -------
        tuple
            ``(output, new_states)``; new_states is a list when ``states`` was one
            (LSTMCell: always ``[h, c]``), as Keras.

        Examples
        --------
        >>> cell = pynn.layers.LSTMCell(3)
        >>> h = c = np.zeros((2, 3), np.float32)
        >>> out, (h, c) = cell(np.ones((2, 4), np.float32), [h, c])
        >>> out.shape, c.shape
        ((2, 3), (2, 3))
        """
        as_list = isinstance(states, (list, tuple))
        given = list(states) if as_list else [states]
        out = self._sequence(ops.expand_dims(inputs, 1), training, None, given, False, True,
                             False, False)
        new = list(out[1:])
        return out[0], (new if as_list or self._n_states > 1 else new[0])

    def __call__(self, inputs, states, training=None):
        return _call_cell_eagerly(self, inputs, states, training)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._cell_config())
        return cfg


class SimpleRNNCell(_SimpleConfig, _Cell):
    """The cell of `SimpleRNN`: ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``.

    Run it over sequences with ``RNN(SimpleRNNCell(units))``, which is
    `SimpleRNN`'s fused op with the cell's weights.

    Parameters
    ----------
    units : int
        Size of the state and output.
    activation : str, default "tanh"
        Activation of the state.
    use_bias : bool, default True
        Whether to add a bias.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        As `SimpleRNN`.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout, recurrent_dropout : float, default 0.0
        As `SimpleRNN` (in training).
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments.

    Examples
    --------
    >>> rnn = pynn.layers.RNN(pynn.layers.SimpleRNNCell(4))
    >>> rnn(np.zeros((2, 5, 3), np.float32)).shape
    (2, 4)
    """

    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)


class LSTMCell(_LSTMConfig, _Cell):
    """The cell of `LSTM` (gates i, f, c, o; states ``[h, c]``), Keras' weights.

    Parameters
    ----------
    units : int
        Size of the states and output.
    activation : str, default "tanh"
        Activation of the cell candidate and output.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.
    use_bias : bool, default True
        Whether to add biases.
    unit_forget_bias : bool, default True
        Start the forget gate's bias at 1.
    implementation : {1, 2}, default 2
        As `LSTM`.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        As `LSTM`.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout, recurrent_dropout : float, default 0.0
        As `LSTM` (in training).
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments.

    Examples
    --------
    >>> cell = pynn.layers.LSTMCell(4)
    >>> cell.state_size
    [4, 4]
    >>> pynn.layers.RNN(cell, return_sequences=True)(np.zeros((2, 5, 3), np.float32)).shape
    (2, 5, 4)
    """

    def __init__(self, units, unit_forget_bias=True, implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self._lstm_init(unit_forget_bias, implementation)


class GRUCell(_GRUConfig, _Cell):
    """The cell of `GRU` (gates z, r, h), Keras' weights; ``reset_after`` as `GRU`.

    Parameters
    ----------
    units : int
        Size of the state and output.
    activation : str, default "tanh"
        Activation of the candidate state.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.
    use_bias : bool, default True
        Whether to add biases.
    reset_after : bool, default True
        Keras 3's default (True, bias ``(2, 3 * units)``, the fused op) or
        tf.keras 1's variant (False, bias ``(3 * units,)``, step by step).
    implementation : {1, 2}, default 2
        As `GRU`.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        As `GRU`.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : str or Regularizer, optional
        Penalties added to the training loss.
    dropout, recurrent_dropout : float, default 0.0
        As `GRU` (in training; not with ``reset_after=False``).
    seed : int, optional
        Accepted for Keras compatibility; use `pynn.set_seed`.
    kernel_constraint, recurrent_constraint, bias_constraint : None
        Not supported (a value raises).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments.

    Examples
    --------
    >>> cell = pynn.layers.GRUCell(4, reset_after=False)
    >>> out, h = cell(np.ones((2, 3), np.float32), np.zeros((2, 4), np.float32))
    >>> out.shape, [w.shape for w in cell.weights]
    ((2, 4), [(3, 12), (4, 12), (12,)])
    """

    def __init__(self, units, reset_after=True, implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self._gru_init(reset_after, implementation)


class StackedRNNCells(Layer):
    """Cells run one above the other at each time step (what ``RNN([cell, ...])`` makes).

    Parameters
    ----------
    cells : list of cells
        Built-in cells or Layers with ``state_size`` and ``call(inputs, states)``.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        An empty list, or an entry that is not a cell.

    Examples
    --------
    >>> cells = pynn.layers.StackedRNNCells([pynn.layers.LSTMCell(3), pynn.layers.GRUCell(2)])
    >>> cells.state_size
    [[3, 3], 2]
    >>> pynn.layers.RNN(cells)(np.zeros((2, 5, 4), np.float32)).shape
    (2, 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: needs at least one cell, got an empty list")
        for c in cells:
            _check_cell(c, "StackedRNNCells")
        self.cells = cells

    @property
    def state_size(self):
        """Each cell's ``state_size``, bottom first.

        Returns
        -------
        list
        """
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        """The top cell's output size.

        Returns
        -------
        int
        """
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        features = input_shape[-1]
        for c in self.cells:
            c._maybe_build((None, features))
            features = _output_size(c)

    def call(self, inputs, states, training=False):
        """One time step through every cell, bottom first.

        Parameters
        ----------
        inputs : Tensor
            ``(batch, features)``.
        states : list
            One entry per cell (its state or list of states).
        training : bool, default False
            Training mode, passed to the cells that take it.

        Returns
        -------
        tuple
            ``(top output, [new states of each cell])``.

        Examples
        --------
        >>> cells = pynn.layers.StackedRNNCells([pynn.layers.SimpleRNNCell(2)] * 1)
        >>> out, new = cells(np.ones((1, 3), np.float32), [[np.zeros((1, 2), np.float32)]])
        >>> out.shape, len(new)
        ((1, 2), 1)
        """
        new = []
        if len(states) != len(self.cells):
            raise ValueError(f"StackedRNNCells '{self.name}': one state entry per cell "
                             f"({len(self.cells)}), got {len(states)}")
        for c, s in zip(self.cells, states):
            # each cell sees a list of its states, and gives back the form it got (Keras)
            is_list = isinstance(s, (list, tuple))
            inputs, s = _cell_step(c, inputs, list(s) if is_list else [s], training)
            s = list(s) if isinstance(s, (list, tuple)) else [s]
            new.append(s if is_list else s[0])
        return inputs, new

    def __call__(self, inputs, states, training=None):
        return _call_cell_eagerly(self, inputs, states, training)

    def _check_input(self, shape):
        pass

    def get_config(self):
        cfg = super().get_config()
        cfg["cells"] = [{"class_name": type(c).__name__, "config": c.get_config()}
                        for c in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from . import get_class
        cells = [get_class(c["class_name"]).from_config(c["config"]) for c in config.pop("cells")]
        return cls(cells, **config)


def _check_cell(cell, who):
    if not isinstance(cell, Layer) or not hasattr(cell, "state_size") or \
            not callable(getattr(cell, "call", None)):
        raise ValueError(f"{who}: a cell must be a Layer with a `state_size` attribute and a "
                         f"`call(inputs, states)` method, got {cell!r}")


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is None:  # Keras: the first state's size
        size = _flat_sizes(cell.state_size)[0]
    return size


def _tensors(states):
    if isinstance(states, (list, tuple)):
        return [_tensors(s) for s in states]
    return states if isinstance(states, Tensor) else Tensor(np.asarray(states, np.float32))


def _call_cell_eagerly(cell, inputs, states, training):
    """cell(inputs, states) on arrays or Tensors (cells are not called on pynn.Input)."""
    x = _tensors(inputs)
    cell._maybe_build(x.shape)
    return _cell_step(cell, x, _tensors(states), bool(training))


def _cell_step(cell, inputs, states, training):
    """cell.call on one step. Layer wraps a call(inputs, states) to take its tensors
    as one list (as layer(a, b)); a call without `training` drops it."""
    if not cell.built:
        cell._maybe_build((None,) + tuple(inputs.shape[1:]))
    if getattr(type(cell).call, "_unpacks", False):
        return cell.call([inputs, states], training=training)
    return cell.call(inputs, states=states, training=training)


class RNN(_SequenceLayer):
    """Runs a cell over the time axis (Keras 3's ``keras.layers.RNN``).

    ``cell`` is a built-in cell (the same fused op as `SimpleRNN` / `LSTM` /
    `GRU`), a list of cells (a stack, bottom first), or a Layer of your own with
    ``state_size`` (an int, or a list for several states), optionally
    ``output_size``, and ``call(inputs, states)`` returning ``(output,
    new_states)``; such a cell runs step by step as a graph of ops, so its
    gradients come from the engine.

    Parameters
    ----------
    cell : Layer or list of Layer
        The cell(s).
    return_sequences : bool, default False
        Return every step's output ``(batch, steps, output_size)``.
    return_state : bool, default False
        Also return the final states: ``[output, *states]``; for a stack the
        states of every cell, flat, bottom cell first (Keras nests them per
        cell; flat, they work as outputs of a functional model).
    go_backwards : bool, default False
        Process the sequence backwards (outputs in processing order).
    stateful : bool, default False
        Keep the final states as the next call's initial states (``states``,
        ``reset_states()``); the batch size must stay the same.
    unroll : bool, default False
        Accepted; the numbers do not depend on it.
    zero_output_for_mask : bool, default False
        Zeros instead of the previous output at masked steps.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        ``cell`` is not a cell, or inputs that are not 3-D.

    Examples
    --------
    >>> class MinimalRNNCell(pynn.layers.Layer):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = units
    ...         self.state_size = units
    ...     def build(self, input_shape):
    ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
    ...         self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
    ...                                                 name="recurrent_kernel")
    ...     def call(self, inputs, states):
    ...         output = pynn.ops.matmul(inputs, self.kernel) + pynn.ops.matmul(
    ...             states[0], self.recurrent_kernel)
    ...         return output, [output]
    >>> layer = pynn.layers.RNN(MinimalRNNCell(8), return_sequences=True)
    >>> layer(np.ones((2, 5, 3), np.float32)).shape
    (2, 5, 8)
    >>> [w.shape for w in layer.weights]
    [(3, 8), (8, 8)]
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell, "RNN")
        self.cell = cell
        self._sequence_init(return_sequences, return_state, go_backwards, stateful, unroll,
                            zero_output_for_mask)

    def _cells(self):
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def _state_sizes(self):
        return [s for c in self._cells() for s in _flat_sizes(c.state_size)]

    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(f"RNN '{self.name}' expects a batch of shape (batch, timesteps, "
                             f"features); got a batch of shape {tuple(shape)}")

    def build(self, input_shape):
        step_shape = (None, input_shape[-1])
        self.cell._maybe_build(step_shape)
        self.output_shape = self.compute_output_shape(input_shape)

    def call(self, inputs, training=False, mask=None, initial_state=None):
        """Runs the cell(s) over a batch of sequences.

        Parameters
        ----------
        inputs : Tensor
            ``(batch, steps, features)``.
        training : bool, default False
            Training mode (the cells' dropout).
        mask : Tensor, optional
            ``(batch, steps)``; masked steps carry the states.
        initial_state : list of Tensor, optional
            The cells' states, flat (bottom cell first); zeros by default.

        Returns
        -------
        Tensor or list

        Examples
        --------
        >>> layer = pynn.layers.RNN(pynn.layers.GRUCell(2), return_state=True)
        >>> out, h = layer(np.ones((1, 4, 3), np.float32))
        >>> out.shape, h.shape
        ((1, 2), (1, 2))
        """
        return self._run(self._sequence, inputs, training, mask, initial_state)

    def _nest(self, flat):
        """Flat states -> one entry per cell (a list for cells with several states)."""
        out, i = [], 0
        for c in self._cells():
            k = len(_flat_sizes(c.state_size))
            out.append(list(flat[i:i + k]) if isinstance(c.state_size, (list, tuple))
                       else flat[i])
            i += k
        return out

    def _sequence(self, inputs, training, mask, initial_state, return_sequences, return_state,
                  go_backwards, zero_output_for_mask):
        """Built-in cells: their fused ops, cell after cell; otherwise step by step.
        Returns [output, *flat final states] when return_state."""
        cells = self._cells()
        if initial_state is None:
            initial_state = [None] * len(cells)
        else:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            if len(initial_state) != len(self._state_sizes()):
                raise ValueError(f"RNN '{self.name}': initial_state needs "
                                 f"{len(self._state_sizes())} tensor(s), one per state, got "
                                 f"{len(initial_state)}")
            initial_state = self._nest(initial_state)
            initial_state = [s if isinstance(s, list) else [s] for s in initial_state]
        if all(isinstance(c, _Cell) for c in cells):
            x, states = inputs, []
            for i, (c, s0) in enumerate(zip(cells, initial_state)):
                last = i == len(cells) - 1
                # a stack processes the reversed sequence once: the cells above the
                # first see it (and its mask) already in processing order
                back = go_backwards and i == 0
                m = mask if mask is None or not go_backwards or i == 0 else \
                    ops.slice_axis(mask, 1, None, None, -1)
                out = c._sequence(x, training, m, s0, return_sequences or not last, True, back,
                                  zero_output_for_mask)
                x = out[0]
                states += list(out[1:])
            return [x] + states if return_state else x
        if initial_state[0] is None:
            states = [zero_states(inputs, _flat_sizes(c.state_size)) for c in cells]
        else:
            states = initial_state
        if isinstance(self.cell, StackedRNNCells):
            def step(x_t, flat):
                nested, i = [], 0
                for c in cells:
                    k = len(_flat_sizes(c.state_size))
                    nested.append(list(flat[i:i + k]) if isinstance(c.state_size, (list, tuple))
                                  else flat[i])
                    i += k
                y, new = _cell_step(self.cell, x_t, nested, training)
                return y, [t for s in new for t in (s if isinstance(s, (list, tuple)) else [s])]
        else:
            def step(x_t, flat):
                return _cell_step(self.cell, x_t, flat, training)
        flat = [t for s in states for t in s]
        out = step_loop(step, inputs, flat, mask, go_backwards, return_sequences,
                        zero_output_for_mask)
        return out if return_state else out[0]

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, _output_size(self._cells()[-1]))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self._sequence_config())
        cfg["cell"] = {"class_name": type(self.cell).__name__, "config": self.cell.get_config()}
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        inner = config.pop("cell")
        from . import get_class
        return cls(get_class(inner["class_name"]).from_config(inner["config"]), **config)
