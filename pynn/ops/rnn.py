"""pynn.ops.rnn: whole-sequence recurrent ops with Keras 3 weight layouts.

One engine op runs a layer over the whole sequence (see csrc/core/ops/rnn.c):
the input projection of every step is one GEMM, each step one GEMM plus fused
gates, and backward through time is computed in C.

Weight layouts (so Keras weights load unchanged):

* ``simple_rnn``: kernel (F, u), recurrent_kernel (u, u), bias (u,)
* ``lstm``: kernel (F, 4u), recurrent_kernel (u, 4u), bias (4u,), gates i, f, c, o
* ``gru``: kernel (F, 3u), recurrent_kernel (u, 3u), bias (2, 3u) (input and
  recurrent rows, Keras' ``reset_after=True``), gates z, r, h

Masks follow Keras: a masked step carries every state through and outputs the
carried ``h`` (zeros with ``zero_output_for_mask=True``). ``go_backwards``
returns the sequence in processing order, as Keras does.

Dropout follows Keras 3's cells: ``dropout_mask`` (N, M, F) multiplies the
inputs and ``recurrent_dropout_mask`` (N, M, u) the previous ``h`` before the
recurrent kernel, the same mask at every time step. M is 1 (one mask for all
gates) or the number of gates (mask k feeds gate k). The masks are constants
(no gradient flows into them); ``dropout_mask()`` draws them from the engine's
seeded generator.
"""
import numpy as np

from .. import _C

__all__ = ["simple_rnn", "lstm", "gru", "dropout_mask", "read_states", "store_states",
           "ACTIVATIONS"]

#: the activations the recurrent ops take, by name (None is "linear"); their
#: derivatives are taken from the outputs, which is why only these are offered
ACTIVATIONS = tuple(_C.describe("lstm")["attrs"]["activation"]["choices"])


def _shape(a):
    s = getattr(a, "shape", None)
    return tuple(s) if s is not None else np.shape(a)


def _act_name(name, what):
    key = "linear" if name is None else name.lower() if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        raise ValueError(f"{what}={name!r} is not supported by the recurrent ops; "
                         f"use one of {sorted(ACTIVATIONS)} or None")
    return key


def dropout_mask(x, rate, count, width):
    """Draws an inverted-dropout mask ``(N, count, width)`` for the N samples of ``x``.

    Each entry is 0 with probability ``rate``, else ``1 / (1 - rate)``; from the
    engine's generator (reproducible with `pynn.set_seed`); no gradient. The
    recurrent layers use it for ``dropout`` / ``recurrent_dropout``.

    Parameters
    ----------
    x : Tensor or array_like
        Gives the batch size N.
    rate : float
        Drop probability in [0, 1).
    count : int
        Second dimension (e.g. 1 for one mask per sequence).
    width : int
        Third dimension.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        ``rate`` outside [0, 1).

    Examples
    --------
    >>> mask = pynn.ops.dropout_mask(np.zeros((4, 3), np.float32), 0.5, 1, 6).numpy()
    >>> mask.shape, sorted(set(mask.ravel()) - {0.0, 2.0})
    ((4, 1, 6), [])
    """
    if not 0 <= rate < 1:
        raise ValueError(f"dropout_mask: rate must be in [0, 1), got {rate!r}")
    return _C.apply("dropout_mask", [x], rate=float(rate), count=int(count), width=int(width))


def _run(op, n_states, x, kernel, recurrent_kernel, bias, initial_state, mask,
         return_sequences, return_state, go_backwards, activation,
         recurrent_activation, zero_output_for_mask, dropout_mask=None,
         recurrent_dropout_mask=None):
    xs = _shape(x)
    if len(xs) != 3:
        hint = ""
        if len(xs) == 2:
            hint = (f" If {xs} is (batch, timesteps) of scalar features, add a feature "
                    f"axis: x.reshape({xs[0]}, {xs[1]}, 1). If it is one sample "
                    f"(timesteps, features), add the batch axis: x[None].")
        raise ValueError(f"{op}: expected input of shape (batch, timesteps, features), "
                         f"got shape {xs} (rank {len(xs)}).{hint} Layers take the "
                         "per-sample shape (timesteps, features) as input_shape.")
    inputs = [x, kernel, recurrent_kernel]
    if bias is not None:
        inputs.append(bias)
    if initial_state is not None:
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != n_states:
            raise ValueError(f"{op}: initial_state needs {n_states} tensor(s) "
                             f"({'h, c' if n_states == 2 else 'h'}), got {len(states)}")
        inputs += states
    if mask is not None:
        ms = _shape(mask)
        if ms != xs[:2]:
            raise ValueError(f"{op}: mask must be (batch, timesteps) = {xs[:2]}, got {ms}")
        inputs.append(mask)
    for m in (dropout_mask, recurrent_dropout_mask):
        if m is not None:
            inputs.append(m)
    attrs = dict(return_sequences=bool(return_sequences), go_backwards=bool(go_backwards),
                 return_state=bool(return_state), activation=_act_name(activation, "activation"),
                 use_bias=bias is not None, has_initial_state=initial_state is not None,
                 has_mask=mask is not None, zero_output_for_mask=bool(zero_output_for_mask),
                 has_dropout_mask=dropout_mask is not None,
                 has_recurrent_dropout_mask=recurrent_dropout_mask is not None)
    if recurrent_activation is not None:  # simple_rnn has none
        attrs["recurrent_activation"] = _act_name(recurrent_activation, "recurrent_activation")
    out = _C.apply(op, inputs, **attrs)
    if not return_state:
        return out
    S = xs[1] if return_sequences else 1
    first = _C.apply("rnn_slice", [out], start=0, length=S, squeeze=not return_sequences)
    states = [_C.apply("rnn_slice", [out], start=S + k, length=1, squeeze=True)
              for k in range(n_states)]
    return [first] + states


def simple_rnn(x, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
               return_sequences=False, return_state=False, go_backwards=False,
               activation="tanh", zero_output_for_mask=False, dropout_mask=None,
               recurrent_dropout_mask=None):
    """Fully-connected recurrence
    ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    The loop runs in C; the input projection of all steps is one GEMM.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, T, F)``.
    kernel : Tensor
        ``(F, u)``.
    recurrent_kernel : Tensor
        ``(u, u)``.
    bias : Tensor, optional
        The bias (shape per op, Keras' layout).
    initial_state : Tensor or list of Tensor, optional
        Starting state(s) ``(N, u)`` (zeros by default).
    mask : Tensor, optional
        ``(N, T)``: 1 at real steps, 0 at padding (the state is carried over).
    return_sequences : bool, default False
        Return every step's output ``(N, T, u)`` instead of the last.
    return_state : bool, default False
        Also return the final state(s).
    go_backwards : bool, default False
        Process the sequence in reverse.
    activation : str, default "tanh"
        tanh, sigmoid, relu, hard_sigmoid or linear.
    zero_output_for_mask : bool, default False
        Output zeros at padded steps.
    dropout_mask, recurrent_dropout_mask : Tensor, optional
        Masks from `dropout_mask` for the inputs and the state.

    Returns
    -------
    Tensor or list of Tensor
        The output, or ``[output, h_final]`` with return_state.

    Raises
    ------
    ValueError
        Shapes that do not fit (named) or an unsupported activation.

    Examples
    --------
    >>> x = np.ones((1, 3, 1), np.float32)
    >>> kernel, recurrent = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    >>> pynn.ops.simple_rnn(x, kernel, recurrent, activation="linear", return_sequences=True).shape
    (1, 3, 1)
    """
    return _run("simple_rnn", 1, x, kernel, recurrent_kernel, bias, initial_state, mask,
                return_sequences, return_state, go_backwards, activation, None,
                zero_output_for_mask, dropout_mask, recurrent_dropout_mask)


def lstm(x, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
         return_sequences=False, return_state=False, go_backwards=False,
         activation="tanh", recurrent_activation="sigmoid", zero_output_for_mask=False,
         dropout_mask=None, recurrent_dropout_mask=None):
    """Keras' LSTM recurrence (gates i, f, c, o) over ``x``.

    One GEMM projects all steps' inputs, one per step the state, gates fused.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, T, F)``.
    kernel : Tensor
        ``(F, 4u)``.
    recurrent_kernel : Tensor
        ``(u, 4u)``.
    bias : Tensor, optional
        The bias (shape per op, Keras' layout).
    initial_state : Tensor or list of Tensor, optional
        Starting state(s) ``(N, u)`` (zeros by default).
    mask : Tensor, optional
        ``(N, T)``: 1 at real steps, 0 at padding (the state is carried over).
    return_sequences : bool, default False
        Return every step's output ``(N, T, u)`` instead of the last.
    return_state : bool, default False
        Also return the final state(s).
    go_backwards : bool, default False
        Process the sequence in reverse.
    activation : str, default "tanh"
        tanh, sigmoid, relu, hard_sigmoid or linear.
    zero_output_for_mask : bool, default False
        Output zeros at padded steps.
    dropout_mask, recurrent_dropout_mask : Tensor, optional
        Masks from `dropout_mask` for the inputs and the state.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.

    Returns
    -------
    Tensor or list of Tensor
        The output, or ``[output, h_final, c_final]`` with return_state.

    Raises
    ------
    ValueError
        Shapes that do not fit (named) or an unsupported activation.

    Examples
    --------
    >>> x = np.zeros((2, 5, 3), np.float32)
    >>> out, h, c = pynn.ops.lstm(x, np.zeros((3, 8), np.float32), np.zeros((2, 8), np.float32),
    ...                            return_state=True)
    >>> out.shape, c.shape
    ((2, 2), (2, 2))
    """
    return _run("lstm", 2, x, kernel, recurrent_kernel, bias, initial_state, mask,
                return_sequences, return_state, go_backwards, activation,
                recurrent_activation, zero_output_for_mask, dropout_mask,
                recurrent_dropout_mask)


def gru(x, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
        return_sequences=False, return_state=False, go_backwards=False,
        activation="tanh", recurrent_activation="sigmoid", zero_output_for_mask=False,
        dropout_mask=None, recurrent_dropout_mask=None):
    """Keras 3's GRU recurrence (``reset_after=True``, gates z, r, h) over ``x``.

    Parameters
    ----------
    x : Tensor or array_like
        Sequences ``(N, T, F)``.
    kernel : Tensor
        ``(F, 3u)``.
    recurrent_kernel : Tensor
        ``(u, 3u)``.
    bias : Tensor, optional
        The bias (shape per op, Keras' layout).
    initial_state : Tensor or list of Tensor, optional
        Starting state(s) ``(N, u)`` (zeros by default).
    mask : Tensor, optional
        ``(N, T)``: 1 at real steps, 0 at padding (the state is carried over).
    return_sequences : bool, default False
        Return every step's output ``(N, T, u)`` instead of the last.
    return_state : bool, default False
        Also return the final state(s).
    go_backwards : bool, default False
        Process the sequence in reverse.
    activation : str, default "tanh"
        tanh, sigmoid, relu, hard_sigmoid or linear.
    zero_output_for_mask : bool, default False
        Output zeros at padded steps.
    dropout_mask, recurrent_dropout_mask : Tensor, optional
        Masks from `dropout_mask` for the inputs and the state.
    recurrent_activation : str, default "sigmoid"
        Activation of the gates.

    Returns
    -------
    Tensor or list of Tensor
        The output, or ``[output, h_final]`` with return_state; the bias is ``(2, 3u)``.

    Raises
    ------
    ValueError
        Shapes that do not fit (named) or an unsupported activation.

    Examples
    --------
    >>> x = np.zeros((2, 5, 3), np.float32)
    >>> pynn.ops.gru(x, np.zeros((3, 6), np.float32), np.zeros((2, 6), np.float32)).shape
    (2, 2)
    """
    return _run("gru", 1, x, kernel, recurrent_kernel, bias, initial_state, mask,
                return_sequences, return_state, go_backwards, activation,
                recurrent_activation, zero_output_for_mask, dropout_mask,
                recurrent_dropout_mask)


def store_states(y, states, targets):
    """Returns ``y`` and, as it runs, copies each of ``states`` into ``targets``.

    How a stateful recurrent layer keeps its final states for the next batch:
    the targets are its state Variables' tensors, read by the next call as the
    initial state. The copy is on the path to ``y``, so whatever computes ``y``
    (an eager call, a compiled fit or predict) stores the states. The gradient
    flows to ``y`` only (none across batches, as Keras).

    Parameters
    ----------
    y : Tensor
        The value passed through.
    states : list of Tensor
        The values to store.
    targets : list of Tensor
        Writable leaf tensors of the same shapes (over NumPy memory); a trainable
        one too (SpectralNormalization stores its normalized kernel so).

    Returns
    -------
    Tensor
        ``y``'s values.

    Raises
    ------
    ValueError
        Different numbers or shapes of states and targets, or a target that is
        read-only or computed.

    Examples
    --------
    >>> memory = np.zeros((1, 2), np.float32)
    >>> y = pynn.ops.store_states(np.ones(3, np.float32), [np.full((1, 2), 5.0, np.float32)],
    ...                           [pynn.Tensor(memory)])
    >>> y.numpy(), memory
    (array([1., 1., 1.], dtype=float32), array([[5., 5.]], dtype=float32))
    """
    states, targets = list(states), list(targets)
    if not states or len(states) != len(targets):
        raise ValueError(f"store_states: one target per state, got {len(states)} state(s) and "
                         f"{len(targets)} target(s)")
    return _C.apply("store_states", [y] + states + targets)


def read_states(x, stored):
    """A stateful layer's stored states as a value whose batch follows ``x``'s.

    The counterpart of `store_states`: the values of ``stored``, checked against
    ``x``'s batch size when it runs (a compiled model is traced on a batch of
    one). No gradient flows into ``stored``.

    Parameters
    ----------
    x : Tensor
        The layer's input (only its batch size is used).
    stored : Tensor
        ``(batch, ...)``, the stored states.

    Returns
    -------
    Tensor
        A copy of ``stored``.

    Raises
    ------
    ValueError
        ``x``'s batch differs from the stored states' (the message says how to
        fix it).

    Examples
    --------
    >>> pynn.ops.read_states(np.zeros((2, 5, 3), np.float32), np.ones((2, 4), np.float32)).shape
    (2, 4)
    """
    return _C.apply("read_states", [x, stored])
