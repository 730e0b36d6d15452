"""Optimizers: Keras 3 names, signatures, defaults and update formulas.

Every optimizer here is a thin configuration object over one C optimizer
(``pynn._C.Optim``) that owns the state and runs the update as one flat loop. Two
ways to drive it, both through the same C code:

* eager: ``opt.apply(grads, params)`` / ``opt.apply_gradients(zip(grads, params))``
  with float32 NumPy arrays or pynn Tensors, updated in place. The optimizer is
  built on the first call for exactly those variables.
* table: ``opt.build(n_params, segment_sizes)`` and the C handle's
  ``bind(weights)`` (done by the model for the compiled training loop, which
  then steps the weights where they live, from one contiguous gradient arena).

Keras update order: clip (``clipnorm`` per tensor, ``global_clipnorm`` or
``clipvalue``) -> decoupled weight decay ``w -= w * weight_decay * lr`` ->
update with ``t = iterations + 1`` -> ``iterations += 1``.

``gradient_accumulation_steps=N`` (Keras 3 semantics) adds the gradients of N
steps and applies their mean on every N-th; ``iterations`` counts applied updates
(calls // N) while a learning-rate schedule sees every call, as in Keras.

``use_ema=True`` keeps Keras' moving average of the weights in C (after every
call, also accumulating ones; the first copies the weights).

Differences from Keras worth knowing: ``loss_scale_factor`` is accepted for
config compatibility but only its default is supported;
hyper-parameters are fixed once the optimizer is built (except ``learning_rate``,
which stays settable); ``variables`` holds the state arrays only (``iterations``
is an int attribute).
"""
import abc
import math
import numbers
import warnings

import numpy as np

from . import _C
from ._names import unknown_name
from . import schedules as _schedules
from . import schedules  # noqa: F401  (keras.optimizers.schedules.ExponentialDecay, ...)


class _VariableList(list):
    """A list that can also be called, so both Keras' ``opt.variables`` (a
    property) and ``opt.variables()`` work."""

    def __call__(self):
        return self


def _buffer_of(v):
    """The array behind a parameter: an ndarray itself, else ``np.asarray(v)`` or
    ``v.numpy()`` (the first that gives an ndarray)."""
    if isinstance(v, np.ndarray):
        return v
    try:
        a = np.asarray(v)
    except Exception:  # noqa: BLE001 - fall back to .numpy() below
        a = None
    if (a is None or a.dtype == object) and hasattr(v, "numpy"):
        a = v.numpy()
    if not isinstance(a, np.ndarray) or a.dtype == object:
        raise TypeError(f"Cannot use {type(v).__name__} as an optimizer variable: it exposes no numeric array")
    return a


def _key(a):
    # A parameter is identified by its memory (address, shape), not by the Python
    # object: views of the same weights (e.g. fresh Tensor handles returned by
    # model.trainable_variables on every call) are the same variable.
    return (a.__array_interface__["data"][0], a.shape)


_ALL = {}  # class name -> class, filled as the classes below are defined


class Optimizer(metaclass=abc.ABCMeta):
    """The base class of pynn's optimizers: a configuration over one C optimizer.

    The C optimizer owns the state (momentums, ...) in arenas laid out like the
    model's gradient arena (one segment per weight) and runs the update as one
    flat loop per segment. ``model.fit`` drives
    it inside the compiled training loop; in eager code, call ``apply`` or
    ``apply_gradients`` with float32 arrays or Tensors, updated in place.
    Keras' update order: clip, decoupled weight decay, update with
    ``t = iterations + 1``, then ``iterations += 1``.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        The step size: a constant, a `pynn.schedules` schedule (evaluated in C),
        or a callable of no argument (evaluated in Python before each step).
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Examples
    --------
    >>> w = np.array([1.0, 2.0], np.float32)
    >>> opt = pynn.optimizers.SGD(learning_rate=0.1)
    >>> opt.apply([np.array([1.0, 1.0], np.float32)], [w])  # w is updated in place
    >>> w
    array([0.9, 1.9], dtype=float32)
    >>> opt.iterations
    1
    """

    _kind = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            _ALL[cls.__name__] = cls

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            hint = " (tf.keras' old `lr` is `learning_rate`)" if "lr" in kwargs else ""
            raise ValueError(f"Argument(s) not recognized: {kwargs}{hint}")
        if use_ema:  # Keras checks these only with use_ema
            if (isinstance(ema_momentum, bool) or not isinstance(ema_momentum, numbers.Real)
                    or not 0 <= ema_momentum <= 1):
                raise ValueError("`ema_momentum` must be in the range [0, 1]. "
                                 f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (
                    isinstance(ema_overwrite_frequency, bool)
                    or not isinstance(ema_overwrite_frequency, numbers.Integral)
                    or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        if loss_scale_factor is not None:
            raise ValueError("pynn optimizers do not implement `loss_scale_factor` (float32 training only).")
        if gradient_accumulation_steps is not None and (
            isinstance(gradient_accumulation_steps, bool)
            or not isinstance(gradient_accumulation_steps, numbers.Integral)
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps!r}"
            )
        for arg, val in (("weight_decay", weight_decay), ("clipnorm", clipnorm), ("clipvalue", clipvalue),
                         ("global_clipnorm", global_clipnorm)):
            if val is not None and (isinstance(val, bool) or not isinstance(val, numbers.Real)):
                raise ValueError(f"Argument `{arg}` must be a float or None. Received: {arg}={val!r}")
        clip_args = sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm))
        if clip_args > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.name = name if name is not None else _snake(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._c = None
        self._iterations = 0
        self._shapes = None
        self._trainable_variables = None
        self._index = {}
        self.built = False
        self._set_lr(learning_rate)

    def _fit_strategy(self, model, n, batch_size, epochs, program):
        """How ``fit``'s compiled loop turns a batch into a step with this optimizer.

        ``None`` (every optimizer here): the plain step, forward, backward, the
        model's gradient hook and this optimizer's update. An object that drives
        the loop otherwise (`pynn.privacy.DPSGD`, registered as an Optimizer,
        wraps one) returns a strategy with ``state``, the C object fit's ``_C.Loop``
        runs every batch with (its per-batch strategy), and ``after_run(logs)``,
        called by fit after each run of the loop (to count steps, add logs).
        ``fit`` calls it once, after tracing its train ``program`` and building
        the optimizer, with the number of training rows ``n``, the batch size
        and the epochs still to run."""
        return None

    # ------------------------------------------------------------ configuration
    def _hyper(self):
        """Kind-specific keyword arguments of the C optimizer."""
        return {}

    def _c_args(self):
        args = dict(self._hyper())
        args["weight_decay"] = self.weight_decay
        args["clipnorm"] = self.clipnorm
        args["clipvalue"] = self.clipvalue
        args["global_clipnorm"] = self.global_clipnorm
        args["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        if self.use_ema:
            args.update(use_ema=True, ema_momentum=float(self.ema_momentum),
                        ema_overwrite_frequency=self.ema_overwrite_frequency or None)
        if self._lr_schedule is None:
            args["learning_rate"] = self._lr_value
        elif self._lr_spec is not None:
            args["schedule"] = self._lr_spec
        else:  # Python-side schedule: C runs with a constant refreshed before each step
            args["learning_rate"] = 0.0
        return args

    def _validate(self):
        # An empty C optimizer runs the engine's own checks on every hyper-parameter,
        # so Python and C cannot disagree on what is valid.
        _C.Optim(self._kind, [], **self._c_args())

    def _set_lr(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, numbers.Real)
        ):
            spec = learning_rate._c_spec() if isinstance(learning_rate, _schedules.LearningRateSchedule) else None
            self._lr_schedule, self._lr_spec, self._lr_value = learning_rate, spec, None
        else:
            if (isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real)
                    or not math.isfinite(learning_rate) or learning_rate < 0):
                raise ValueError(
                    "Argument `learning_rate` should be a float >= 0, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current iteration value "
                    f"and returns the corresponding learning rate value). Received instead: "
                    f"learning_rate={learning_rate!r}"
                )
            self._lr_schedule, self._lr_spec, self._lr_value = None, None, float(learning_rate)

    @property
    def learning_rate(self):
        """The learning rate the next step will use (a schedule's value at ``iterations``); settable
        unless created with a schedule."""
        if self._lr_schedule is None:
            return self._c.learning_rate if self._c is not None else self._lr_value
        if self._lr_spec is not None and self._c is not None:
            return self._c.learning_rate
        return self._python_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if self._lr_schedule is not None and not (
            isinstance(value, _schedules.LearningRateSchedule) or callable(value)
        ):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. If you need the learning "
                "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
                "argument."
            )
        old = (self._lr_schedule, self._lr_spec, self._lr_value)
        self._set_lr(value)
        if self._c is None:
            return
        try:
            self._c.set_schedule(self._lr_spec)
            if self._lr_spec is None:
                self._c.learning_rate = self._lr_value if self._lr_schedule is None else self._python_lr()
        except Exception:
            self._lr_schedule, self._lr_spec, self._lr_value = old
            raise

    def _python_lr(self):
        sched = self._lr_schedule
        if isinstance(sched, _schedules.LearningRateSchedule):
            # Keras evaluates the schedule at its raw counter `_iterations` (every
            # call, also with gradient accumulation)
            value = sched(self._raw_iterations)
        else:  # Keras: a plain callable takes no argument
            value = sched()
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"The learning-rate schedule returned {value} at step {self._raw_iterations}")
        return value

    @property
    def needs_python_lr(self):
        """True when the learning rate is a Python callable that C cannot evaluate (``fit`` then
        syncs it before every step)."""
        return self._lr_schedule is not None and self._lr_spec is None

    def sync_learning_rate(self):
        """Pushes a Python schedule's value for the current step into the C optimizer.

        A no-op for constant rates and built-in schedules; ``fit`` and ``apply``
        call it for you.

        Examples
        --------
        >>> opt = pynn.optimizers.SGD(learning_rate=lambda: 0.5)
        >>> opt.build([np.zeros(1, np.float32)])
        >>> opt.sync_learning_rate()
        >>> opt.learning_rate
        0.5
        """
        if self._c is not None and self.needs_python_lr:
            self._c.learning_rate = self._python_lr()

    @property
    def iterations(self):
        """Number of updates applied (Keras' ``optimizer.iterations``): the number of
        calls, divided (floor) by ``gradient_accumulation_steps`` when set."""
        return self._raw_iterations // (self.gradient_accumulation_steps or 1)

    @iterations.setter
    def iterations(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"`iterations` must be an integer >= 0, got {value!r}")
        # with accumulation: the start of the value-th accumulation cycle
        self._set_raw_iterations(int(value) * (self.gradient_accumulation_steps or 1))

    @property
    def _raw_iterations(self):
        """Calls to apply / steps taken (Keras' ``optimizer._iterations``)."""
        return self._c.iterations if self._c is not None else self._iterations

    def _set_raw_iterations(self, value):
        if self._c is not None:
            self._c.iterations = value
        self._iterations = value

    # ------------------------------------------------------------ building
    def build(self, variables, segment_sizes=None, shapes=None):
        """Creates the optimizer's state for a set of variables.

        ``fit`` and the first ``apply`` build it for you. Building again with the
        same layout is a no-op.

        Parameters
        ----------
        variables : list of array_like or int
            The variables to update (float NumPy arrays or Tensors, updated in place),
            or the number of floats of a parameter arena (the compiled loop's form).
        segment_sizes : list of int, optional
            With an int ``variables``: the sizes of the tensors in the arena.
        shapes : list of tuple, optional
            With an int ``variables``: each tensor's shape, needed by optimizers that
            factor a tensor's last two axes (Adafactor).

        Raises
        ------
        ValueError
            Another layout than the one it was built for, a read-only, non-float or
            repeated variable, or segment sizes that do not add up.
        TypeError
            A variable that hands out a copy of its data (cannot be updated in place).

        Examples
        --------
        >>> opt = pynn.optimizers.Adam()
        >>> opt.build([np.zeros((2, 3), np.float32), np.zeros(3, np.float32)])
        >>> [v.shape for v in opt.variables]  # momentums, then velocities
        [(2, 3), (3,), (2, 3), (3,)]
        """
        if isinstance(variables, numbers.Integral) and not isinstance(variables, bool):
            n = int(variables)
            if segment_sizes is None:
                segment_sizes = [n]
            sizes = [_size_arg(s) for s in segment_sizes]
            if n < 0 or sum(sizes) != n:
                raise ValueError(
                    f"build: segment sizes {sizes} add up to {sum(sizes)}, but n_params is {n}"
                )
            c_shapes = shapes  # None: sizes only, refused by optimizers that need shapes
            if shapes is None:
                shapes = [(s,) for s in sizes]
            else:
                shapes = [tuple(int(d) for d in shp) for shp in shapes]
                if [int(np.prod(shp, dtype=np.int64)) for shp in shapes] != sizes:
                    raise ValueError(f"build: shapes {shapes} do not match segment sizes {sizes}")
                c_shapes = shapes
            bufs = None
        else:
            if segment_sizes is not None or shapes is not None:
                raise ValueError(
                    "build: segment_sizes and shapes go with an int n_params, not with a list of variables"
                )
            variables = list(variables)
            bufs = [_buffer_of(v) for v in variables]
            for i, (v, a) in enumerate(zip(variables, bufs)):
                if not isinstance(v, np.ndarray) and not np.shares_memory(a, _buffer_of(v)):
                    raise TypeError(
                        f"variable {i} ({type(v).__name__}) hands out a copy of its data, so it cannot be "
                        "updated in place; pass an array or Tensor that shares its memory"
                    )
                if not a.flags.writeable:
                    raise ValueError(f"variable {i} is read-only and cannot be updated")
                if not np.issubdtype(a.dtype, np.floating):
                    raise ValueError(f"variable {i} has dtype {a.dtype}; optimizer variables must be floating point")
            shapes = [tuple(a.shape) for a in bufs]
            c_shapes = shapes
            sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
            keys = [_key(a) for a in bufs]
            if len(set(keys)) != len(keys):
                raise ValueError("build: the same variable appears more than once")
        if self._c is not None:
            if list(self._c.segment_sizes) != sizes:
                raise ValueError(
                    f"optimizer '{self.name}' was built for tensors of sizes {list(self._c.segment_sizes)}; "
                    f"got {sizes}. Create a new optimizer for a different set of variables."
                )
            if bufs is not None and self._trainable_variables is None:
                self._adopt(variables, bufs, shapes)
            return
        c = _C.Optim(self._kind, sizes, shapes=c_shapes, **self._c_args())
        c.iterations = self._iterations
        self._c = c
        self._shapes = shapes
        if bufs is not None:
            self._adopt(variables, bufs, shapes)
        self.sync_learning_rate()
        self.built = True

    def _adopt(self, variables, bufs, shapes):
        self._shapes = shapes
        self._trainable_variables = list(variables)
        self._index = {_key(a): i for i, a in enumerate(bufs)}

    # ------------------------------------------------------------ eager mode
    def apply(self, grads, trainable_variables=None):
        """Applies one update step: ``grads[i]`` to ``trainable_variables[i]``, in place.

        Parameters
        ----------
        grads : list of array_like or None
            One gradient per variable, of its shape; None skips that variable (with
            a warning, as Keras).
        trainable_variables : list of array_like, optional
            The variables (float32 arrays or Tensors); default: those the optimizer
            was built with. The first call builds the optimizer for them.

        Raises
        ------
        ValueError
            Counts or shapes that differ, a variable the optimizer was not built
            for, or no gradient at all.

        Examples
        --------
        >>> w = np.array([1.0], np.float32)
        >>> opt = pynn.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.apply([np.ones(1, np.float32)], [w])
        >>> np.round(w, 4)  # 1 - 0.1 - (0.9 * 0.1 + 0.1)
        array([0.71], dtype=float32)
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if self._trainable_variables is None:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a "
                    "list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built or self._trainable_variables is None:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables")

        n_seg = len(self._shapes)
        ws, gs, writeback, missing = [None] * n_seg, [None] * n_seg, [], []
        for j, (g, v) in enumerate(zip(grads, variables)):
            if g is None:
                missing.append(getattr(v, "name", f"#{j}"))
                continue
            a = _buffer_of(v)
            i = self._index.get(_key(a))
            if i is None:
                raise ValueError(
                    f"Unknown variable #{j} of shape {a.shape}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of variables, "
                    "you should recreate a new optimizer instance."
                )
            if ws[i] is not None:
                raise ValueError(f"variable #{j} appears more than once in one apply()")
            g = np.asarray(g, dtype=np.float32)
            if g.shape != a.shape:
                raise ValueError(
                    f"Gradient #{j} has shape {g.shape} but its variable has shape {a.shape}"
                )
            if a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable:
                ws[i] = a
            else:
                if not a.flags.writeable:
                    raise ValueError(f"variable #{j} is read-only and cannot be updated")
                tmp = np.ascontiguousarray(a, dtype=np.float32)
                writeback.append((a, tmp))
                ws[i] = tmp
            gs[i] = np.ascontiguousarray(g)
        if len(missing) == len(grads):
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss.")
        self.sync_learning_rate()
        self._c.step_list(ws, gs)
        for a, tmp in writeback:
            a[...] = tmp

    def apply_gradients(self, grads_and_vars):
        """Applies one step from ``(gradient, variable)`` pairs, as Keras' ``apply_gradients``.

        Parameters
        ----------
        grads_and_vars : iterable of (array_like, array_like)
            Pairs of a gradient and the variable it updates (in place).

        Returns
        -------
        int
            ``iterations`` after the step.

        Examples
        --------
        >>> w = pynn.Tensor(np.array([3.0], np.float32), requires_grad=True)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> pynn.optimizers.SGD(learning_rate=0.25).apply_gradients([(w.grad, w)])
        1
        >>> w.numpy()  # 3 - 0.25 * 2 * 3
        array([1.5], dtype=float32)
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        grads, variables = zip(*pairs)
        self.apply(grads, variables)
        return self.iterations

    # ------------------------------------------------------------ state
    @property
    def variables(self):
        """Live views of the state in Keras' order: every variable's first state (e.g. momentum),
        then every variable's second, ..."""
        out = _VariableList()
        if self._c is None:
            return out
        sizes = self._c.segment_sizes
        for arr in self._state_arrays():
            off = 0
            for size, shape in zip(sizes, self._shapes):
                out.append(arr[off:off + size].reshape(shape))
                off += size
        return out

    @property
    def state_names(self):
        """Keras names of the state arrays (e.g. ``("momentum", "velocity")``)."""
        if self._c is None:
            return ()
        ema = ("average",) if self._c.ema is not None else ()
        acc = ("gradient_accumulator",) if self._c.accumulator is not None else ()
        return ema + acc + tuple(self._c.state_names)

    def _state_arrays(self):
        # Keras creates the moving averages, then the gradient accumulators, then the
        # optimizer's own slots
        ema, acc = self._c.ema, self._c.accumulator
        return tuple(a for a in (ema, acc) if a is not None) + tuple(self._c.state)

    @property
    def _model_variables_moving_average(self):
        """Live views of the moving average, one per variable (Keras' attribute of that
        name); empty unless ``use_ema`` and built."""
        if self._c is None or self._c.ema is None:
            return []
        out, off = [], 0
        for size, shape in zip(self._c.segment_sizes, self._shapes):
            out.append(self._c.ema[off:off + size].reshape(shape))
            off += size
        return out

    def _stepped_weights(self):
        """The weights the optimizer steps: those ``fit`` bound, else those ``apply`` built on."""
        bound = self.__dict__.get("_bound_table")
        if bound is not None and bound[0] is self._c:
            return list(bound[1])
        return [_buffer_of(v) for v in self._trainable_variables or []]

    def finalize_variable_values(self, var_list):
        """Copies the moving average into the variables when ``use_ema`` (Keras calls
        it, as ``fit`` does, at the end of training); otherwise does nothing.

        Parameters
        ----------
        var_list : list of array_like
            The variables, in the order the optimizer was built with.

        Raises
        ------
        ValueError
            A number of variables or a shape that differs from the optimizer's.

        Examples
        --------
        >>> w = np.array([1.0], np.float32)
        >>> opt = pynn.optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.5)
        >>> for _ in range(2):
        ...     opt.apply([np.ones(1, np.float32)], [w])
        >>> float(w[0]), float(opt._model_variables_moving_average[0][0])  # 0.5*0.5 + 0.5*0
        (0.0, 0.25)
        >>> opt.finalize_variable_values([w])
        >>> float(w[0])
        0.25
        """
        if not self.use_ema:
            return
        averages = self._model_variables_moving_average
        var_list = list(var_list)
        if len(var_list) != len(averages):
            raise ValueError(f"The length of model variables ({len(var_list)}) to override does "
                             f"not match the length of model variables stored in the optimizer "
                             f"({len(averages)}). Please check if the optimizer was called on "
                             f"your model.")
        for var, average in zip(var_list, averages):
            target = _buffer_of(var)
            if target.shape != average.shape:
                raise ValueError(f"finalize_variable_values: a variable of shape {target.shape} "
                                 f"for an average of shape {average.shape}")
            np.copyto(target, average)

    def get_state(self):
        """Returns ``(iterations, [state arrays])``: copies, enough to resume bit for bit.

        With ``gradient_accumulation_steps`` the count is of calls (Keras'
        ``_iterations``) and the accumulator comes first.

        Returns
        -------
        tuple of (int, list of numpy.ndarray)
            One float32 array per state kind, in the parameter arena's layout.

        Examples
        --------
        >>> w = np.array([1.0, 2.0], np.float32)
        >>> opt = pynn.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> opt.apply([np.ones(2, np.float32)], [w])
        >>> iterations, arrays = opt.get_state()
        >>> iterations, np.round(arrays[0], 4)
        (1, array([-0.1, -0.1], dtype=float32))
        """
        if self._c is None:
            return (self._iterations, [])
        return (self._c.iterations, [a.copy() for a in self._state_arrays()])

    def set_state(self, state, arrays=None):
        """Restores what ``get_state`` returned; everything is checked before anything changes.

        Parameters
        ----------
        state : tuple or int
            ``(iterations, arrays)``, or ``iterations`` with ``arrays`` given next.
        arrays : list of array_like, optional
            The state arrays, when ``state`` is the iteration count.

        Raises
        ------
        ValueError
            A negative iteration count, or arrays whose number or shapes differ.

        Examples
        --------
        >>> w = np.array([1.0, 2.0], np.float32)
        >>> opt = pynn.optimizers.Adam()
        >>> opt.apply([np.ones(2, np.float32)], [w])
        >>> saved = opt.get_state()
        >>> opt.apply([np.ones(2, np.float32)], [w])
        >>> opt.set_state(saved)
        >>> opt.iterations
        1
        """
        if arrays is None:
            try:
                iterations, arrays = state
            except (TypeError, ValueError):
                raise ValueError("set_state expects (iterations, list of state arrays)") from None
        else:
            iterations = state
        if isinstance(iterations, bool) or not isinstance(iterations, numbers.Integral) or iterations < 0:
            raise ValueError(f"set_state: iterations must be an integer >= 0, got {iterations!r}")
        arrays = list(arrays)
        if self._c is None:
            if arrays:
                raise ValueError(
                    f"optimizer '{self.name}' is not built yet: build it (model.compile / optimizer.build) "
                    "before restoring state arrays"
                )
            self._iterations = int(iterations)
            return
        targets = self._state_arrays()
        if len(arrays) != len(targets):
            raise ValueError(
                f"optimizer '{self.name}' has {len(targets)} state arrays {self.state_names}, "
                f"got {len(arrays)}"
            )
        converted = []
        for i, (src, dst) in enumerate(zip(arrays, targets)):
            src = np.asarray(src)
            if src.shape != dst.shape:
                raise ValueError(
                    f"state array {i} ({self.state_names[i]}) must have shape {dst.shape}, got {src.shape}"
                )
            if not np.issubdtype(src.dtype, np.number):
                raise ValueError(f"state array {i} has non-numeric dtype {src.dtype}")
            converted.append(src.astype(np.float32, copy=False))
        for src, dst in zip(converted, targets):
            np.copyto(dst, src)
        self._set_raw_iterations(int(iterations))

    # ------------------------------------------------------------ config
    def get_config(self):
        """Returns the optimizer's hyper-parameters as a JSON-serialisable dict.

        Returns
        -------
        dict

        Raises
        ------
        ValueError
            The learning rate is a plain callable (not serialisable).

        Examples
        --------
        >>> config = pynn.optimizers.Adam(learning_rate=0.01).get_config()
        >>> config["learning_rate"], config["beta_1"]
        (0.01, 0.9)
        """
        if self._lr_schedule is None:
            lr = self.learning_rate
        elif isinstance(self._lr_schedule, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(self._lr_schedule)
        else:
            raise ValueError("cannot serialize an optimizer whose learning rate is a plain callable")
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            **self._hyper(),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from ``get_config()``'s dict (fresh state).

        Parameters
        ----------
        config : dict
            The configuration.
        custom_objects : dict, optional
            Classes for custom learning-rate schedules, by name.

        Returns
        -------
        Optimizer

        Examples
        --------
        >>> opt = pynn.optimizers.SGD.from_config({"learning_rate": 0.5, "momentum": 0.9})
        >>> opt.learning_rate, opt.momentum
        (0.5, 0.9)
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<pynn.optimizers.{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate!r}>"


def _size_arg(s):
    if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
        raise ValueError(f"segment sizes must be integers >= 0, got {s!r}")
    return int(s)


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _bool(name, v):
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"Argument `{name}` must be a bool. Received: {name}={v!r}")
    return bool(v)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Without momentum ``w -= lr * g``; with it ``velocity = momentum * velocity - lr * g``
    and ``w += velocity`` (Nesterov: ``w += momentum * velocity - lr * g``).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        The step size.
    momentum : float, default 0.0
        Accelerates descent along consistent directions and damps oscillations.
    nesterov : bool, default False
        Use Nesterov momentum.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> opt = pynn.optimizers.SGD(learning_rate=0.1)
    >>> opt.apply([np.array([2.0], np.float32)], [w])
    >>> w
    array([0.8], dtype=float32)
    """

    _kind = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.momentum = momentum
        self.nesterov = _bool("nesterov", nesterov)
        self._validate()

    def _hyper(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop: divides the gradient by a running root mean square of recent gradients.

    ``v = rho * v + (1 - rho) * g**2``, step ``lr * g / sqrt(v + epsilon)``; centered
    subtracts the squared mean gradient from ``v``. The default of ``compile``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    rho : float, default 0.9
        Decay of the running average of squared gradients.
    momentum : float, default 0.0
        Momentum on the step.
    epsilon : float, default 1e-7
        Added for numerical stability.
    centered : bool, default False
        Normalise by the estimated variance instead of the second moment.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.RMSprop(learning_rate=0.1).apply([np.ones(1, np.float32)], [w])
    >>> np.round(w, 4)  # 1 - 0.1 / sqrt(0.1)
    array([0.6838], dtype=float32)
    """

    _kind = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = _bool("centered", centered)
        self._validate()

    def _hyper(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adam: adaptive moment estimation (Kingma & Ba), Keras' formulation.

    ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    beta_1 : float, default 0.9
        Decay of the first-moment (mean) estimate.
    beta_2 : float, default 0.999
        Decay of the second-moment estimate.
    epsilon : float, default 1e-7
        Added for numerical stability (Keras' default, not the paper's 1e-8).
    amsgrad : bool, default False
        Use the running maximum of ``v`` (Reddi et al.).
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.Adam(learning_rate=0.1).apply([np.array([5.0], np.float32)], [w])
    >>> np.round(w, 4)  # the first step moves by about lr whatever the gradient's scale
    array([0.9], dtype=float32)
    """

    _kind = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = _bool("amsgrad", amsgrad)
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    Adam's update, preceded by ``w -= w * weight_decay * lr``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    weight_decay : float, default 0.004
        The decoupled weight-decay rate.
    beta_1 : float, default 0.9
        Decay of the first-moment estimate.
    beta_2 : float, default 0.999
        Decay of the second-moment estimate.
    epsilon : float, default 1e-7
        Added for numerical stability.
    amsgrad : bool, default False
        Use the running maximum of the second moment.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.AdamW(learning_rate=0.1).apply([np.ones(1, np.float32)], [w])
    >>> np.round(w, 4)  # decay 1 - 0.1 * 0.004, then Adam's step of 0.1
    array([0.8996], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)


class Adagrad(Optimizer):
    """Adagrad: per-parameter step sizes that shrink with the sum of squared gradients.

    ``acc += g**2`` (starting at ``initial_accumulator_value``),
    ``w -= lr * g / sqrt(acc + epsilon)``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    initial_accumulator_value : float, default 0.1
        Starting value of the accumulators.
    epsilon : float, default 1e-7
        Added for numerical stability.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.Adagrad(learning_rate=0.1).apply([np.ones(1, np.float32)], [w])
    >>> np.round(w, 4)  # 1 - 0.1 / sqrt(1.1)
    array([0.9047], dtype=float32)
    """

    _kind = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon
        self._validate()

    def _hyper(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps whose size follows the running mean of past steps
    over the running mean of squared gradients (Keras' ``optimizers.Adadelta``).

    ``acc_g = rho * acc_g + (1 - rho) * g**2``,
    ``delta = -sqrt(acc_d + epsilon) * g / sqrt(acc_g + epsilon)``,
    ``acc_d = rho * acc_d + (1 - rho) * delta**2``, ``w += lr * delta``.
    As Keras, the step is scaled by the learning rate (the paper's is 1.0).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    rho : float, default 0.95
        The decay rate of both running means, in ``[0, 1]``.
    epsilon : float, default 1e-7
        Added inside both square roots.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    name : str, default "adadelta"
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument, ``rho`` outside ``[0, 1]``, a negative ``epsilon``,
        or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> opt = pynn.optimizers.Adadelta(learning_rate=1.0)
    >>> opt.apply([np.array([2.0], np.float32)], [w])
    >>> np.round(w, 6)  # 1 - sqrt(1e-7) * 2 / sqrt(0.05 * 4 + 1e-7)
    array([0.998586], dtype=float32)
    >>> opt.state_names
    ('accumulated_grad', 'accumulated_delta_var')
    """

    _kind = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adadelta", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon
        self._validate()

    def _hyper(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm (Kingma & Ba, section 7).

    ``m += (g - m) * (1 - beta_1)``, ``u = max(beta_2 * u, |g|)``,
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    beta_1 : float, default 0.9
        Decay of the first-moment estimate.
    beta_2 : float, default 0.999
        Decay of the weighted infinity norm.
    epsilon : float, default 1e-7
        Added for numerical stability.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.Adamax(learning_rate=0.1).apply([np.ones(1, np.float32)], [w])
    >>> np.round(w, 4)
    array([0.9], dtype=float32)
    """

    _kind = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="adamax", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat), with Keras' momentum schedule.

    The momentum coefficient follows ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    beta_1 : float, default 0.9
        Decay of the first-moment estimate.
    beta_2 : float, default 0.999
        Decay of the second-moment estimate.
    epsilon : float, default 1e-7
        Added for numerical stability.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0], np.float32)
    >>> pynn.optimizers.Nadam(learning_rate=0.1).apply([np.ones(1, np.float32)], [w])
    >>> np.round(w, 4)
    array([0.8937], dtype=float32)
    """

    _kind = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="nadam", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class NSGD(Optimizer):
    """Normalized SGD with momentum (Cutkosky & Mehta, 2020); pynn only.

    ``v = beta * v + (1 - beta) * g``; ``w -= lr * v / ||v||`` with the norm taken per
    tensor, so each tensor moves by exactly ``lr`` (in L2) per step, whatever the
    gradient's scale. Also known as ``NormalizedSGD``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        The length of each tensor's step.
    beta : float, default 0.9
        Momentum of the gradient average.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    gradient_accumulation_steps : int, optional
        Apply the mean of every N gradients once per N calls (Keras' semantics).
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0, 1.0], np.float32)
    >>> pynn.optimizers.NSGD(learning_rate=0.1).apply([np.array([30.0, 40.0], np.float32)], [w])
    >>> np.round(w, 4)  # moved by 0.1 along (0.6, 0.8)
    array([0.94, 0.92], dtype=float32)
    """

    _kind = "nsgd"

    def __init__(self, learning_rate=0.01, beta=0.9, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nsgd", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta = beta
        self._validate()

    def _hyper(self):
        return {"beta": self.beta}


class Lion(Optimizer):
    """Lion (Chen et al., 2023): evolved sign momentum, Keras' formulation.

    ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``. Every weight moves by exactly ``lr`` per
    step, so Lion wants a learning rate 3-10x smaller than AdamW's (and a weight
    decay 3-10x larger). One state slot, ``momentum``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size.
    beta_1 : float, default 0.9
        Weight of the momentum against the current gradient in the step's sign;
        in ``(0, 1]`` (0 would be SignSGD).
    beta_2 : float, default 0.99
        Decay of the momentum.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Add the gradients of this many calls (an integer >= 2) and apply their
        mean on every N-th call, as in Keras 3.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options;
        ``beta_1`` outside ``(0, 1]``.

    Examples
    --------
    >>> w = np.array([1.0, 1.0], np.float32)
    >>> opt = pynn.optimizers.Lion(learning_rate=0.1)
    >>> opt.apply([np.array([0.5, -20.0], np.float32)], [w])
    >>> np.round(w, 4)  # each weight moves by lr, whatever the gradient's size
    array([0.9, 1.1], dtype=float32)
    >>> opt.apply([np.array([-0.01, -0.01], np.float32)], [w])
    >>> np.round(w, 4)  # w[0] still goes down: the momentum outweighs the new gradient
    array([0.8, 1.2], dtype=float32)
    """

    _kind = "lion"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="lion", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class Lamb(Optimizer):
    """Lamb (You et al., 2019): Adam's step scaled per tensor by a trust ratio.

    ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
    ``u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)``,
    ``w -= (||w|| / ||u||) * lr * u`` with the norms taken per tensor (ratio 1 when
    either is 0), so each tensor moves by ``lr * ||w||``. State slots ``momentum``
    and ``velocity``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size, relative to the tensor's norm.
    beta_1 : float, default 0.9
        Decay of the first-moment (mean) estimate.
    beta_2 : float, default 0.999
        Decay of the second-moment estimate.
    epsilon : float, default 1e-7
        Added for numerical stability.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Add the gradients of this many calls (an integer >= 2) and apply their
        mean on every N-th call, as in Keras 3.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options;
        ``beta_1`` or ``beta_2`` outside ``[0, 1)``.

    Examples
    --------
    >>> w = np.array([3.0, 4.0], np.float32)  # ||w|| = 5
    >>> pynn.optimizers.Lamb(learning_rate=0.1).apply([np.array([1.0, -1.0], np.float32)], [w])
    >>> np.round(w, 4)  # a step of length lr * ||w|| = 0.5 along -u = (-1, 1) / sqrt(2)
    array([2.6464, 4.3536], dtype=float32)
    """

    _kind = "lamb"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="lamb", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): Adam-like steps with factored second moments.

    Keras 3's formulation, with ``q = g**2 + epsilon_1`` and
    ``beta_2_t = 1 - t**beta_2_decay``: a tensor of rank >= 2 keeps the row and
    column means of ``q`` over its last two axes,
    ``r = beta_2_t * r + (1 - beta_2_t) * mean(q, axis=-1)``,
    ``c = beta_2_t * c + (1 - beta_2_t) * mean(q, axis=-2)``, and
    ``v = r / mean(r) * c`` (outer product); below rank 2
    ``v = beta_2_t * v + (1 - beta_2_t) * q``. Then ``u = g / sqrt(v)`` and
    ``w -= max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t)) * u / max(1, rms(u) / clip_threshold)``.
    State slots ``r``, ``c`` (using the first part of each tensor's slot) and
    ``velocity``; below rank 2 only ``velocity`` is used.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The relative step size, capped at ``1 / sqrt(t)``.
    beta_2_decay : float, default -0.8
        The decay rate of ``beta_2``: ``beta_2_t = 1 - t**beta_2_decay``.
    epsilon_1 : float, default 1e-30
        Added to the squared gradients to keep the denominator away from 0.
    epsilon_2 : float, default 1e-3
        The smallest weight scale, so that the step does not vanish for small
        weights.
    clip_threshold : float, default 1.0
        Update clipping: the step is scaled down when ``rms(u)`` exceeds it.
        Independent of ``clipnorm``, ``clipvalue`` and ``global_clipnorm``.
    relative_step : bool, default True
        Accepted for Keras compatibility; as in Keras 3 it does not change the
        update (``min(lr, 1 / sqrt(t))`` is always applied).
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Add the gradients of this many calls (an integer >= 2) and apply their
        mean on every N-th call, as in Keras 3.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options;
        ``clip_threshold <= 0``; a non-bool ``relative_step``.

    Examples
    --------
    >>> w = np.array([3.0, 4.0], np.float32)  # rms(w) = 3.5355
    >>> opt = pynn.optimizers.Adafactor(learning_rate=0.1)
    >>> opt.apply([np.array([0.5, -20.0], np.float32)], [w])
    >>> np.round(w, 4)  # each weight moves by rms(w) * lr = 0.3536 on the first step
    array([2.6464, 4.3536], dtype=float32)
    >>> w = np.ones((2, 2), np.float32)
    >>> pynn.optimizers.Adafactor(learning_rate=0.1).apply(
    ...     [np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)], [w])
    >>> np.round(w, 4)  # v from row means (2.5, 12.5) and column means (5, 10) of g**2
    array([[0.9225, 0.8905],
           [0.8961, 0.902 ]], dtype=float32)
    """

    _kind = "adafactor"

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adafactor", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = _bool("relative_step", relative_step)
        self._validate()

    def _hyper(self):
        return {"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013) with Keras' L1, L2 and L2-shrinkage terms.

    The weights are solved from the linear term ``z`` and the accumulated squared
    gradients ``n`` (slots ``linear`` and ``accumulator``), with
    ``p = learning_rate_power``, Keras 3's update::

        n_new = n + g**2
        z += g + 2 * l2_shrinkage * w - (n_new**-p - n**-p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**-p / lr + 2 * l2 + beta / lr)
        n = n_new

    so a weight whose ``|z| <= l1`` is exactly 0 (sparse models).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size; must be > 0 when a step is taken (the update divides by it).
    learning_rate_power : float, default -0.5
        How the per-weight learning rate decreases with ``n``; <= 0, and 0 for a
        fixed learning rate.
    initial_accumulator_value : float, default 0.1
        The starting value of ``n``; >= 0.
    l1_regularization_strength : float, default 0.0
        ``l1``, the L1 penalty; >= 0.
    l2_regularization_strength : float, default 0.0
        ``l2``, the (stabilising) L2 penalty of the paper; >= 0.
    l2_shrinkage_regularization_strength : float, default 0.0
        ``l2_shrinkage``, an L2 penalty on the weights' magnitude added to the
        gradient; >= 0.
    beta : float, default 0.0
        The paper's beta; >= 0.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``),
        updated in C after every step; ``fit`` ends by copying it into the
        weights, and `pynn.callbacks.SwapEMAWeights` evaluates with it.
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Add the gradients of this many calls (an integer >= 2) and apply their
        mean on every N-th call, as in Keras 3.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument (tf.keras' ``lr`` is ``learning_rate``), a negative
        or non-finite hyper-parameter, or several clipping options;
        ``learning_rate_power > 0``; a learning rate <= 0 when a step is taken.

    Examples
    --------
    >>> g = np.array([1.0, 1.0], np.float32)
    >>> w = np.array([1.0, 0.1], np.float32)
    >>> pynn.optimizers.Ftrl(learning_rate=0.1).apply([g], [w])
    >>> np.round(w, 4)
    array([ 0.6031, -0.0255], dtype=float32)
    >>> w = np.array([1.0, 0.1], np.float32)
    >>> pynn.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=1.0).apply([g], [w])
    >>> np.round(w, 4)  # L1 sets the weight with |z| <= l1 to exactly 0
    array([0.5078, 0.    ], dtype=float32)
    """

    _kind = "ftrl"

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="ftrl", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self._validate()

    def _hyper(self):
        return {
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024, arXiv:2405.15682), Keras 3's
    formulation: no learning-rate schedule to tune, it averages as it goes.

    The weights hold ``y``, an interpolation between ``z`` (state ``momentum``,
    where Adam-scaled gradient steps land) and ``x``, the running average of
    ``z``: ``v += (g**2 - v) * (1 - beta_2)``, ``z -= lr * g / (sqrt(v / (1 -
    beta_2**t)) + epsilon)``, ``x = (1 - 1/t) * x + z / t``, ``y = (1 - beta_1) * z
    + beta_1 * x``. As in Keras, ``z`` starts at the weights (read at the first
    update) and the model is evaluated at ``y``, the weights themselves. Two state
    slots, ``momentum`` and ``velocity``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.0025
        The step size.
    beta_1 : float, default 0.9
        In ``(0, 1]``: the interpolation between ``z`` and ``x``.
    beta_2 : float, default 0.999
        Decay of the squared-gradient average, in ``[0, 1)``.
    epsilon : float, default 1e-8
        Added to the denominator.
    warmup_steps : int, default 0
        The learning rate grows linearly from ``lr / warmup_steps`` to ``lr`` over
        this many updates.
    weight_decay : float, optional
        Decoupled weight decay: ``w -= w * weight_decay * lr`` before each update.
    clipnorm : float, optional
        Clip each gradient tensor to this L2 norm.
    clipvalue : float, optional
        Clip each gradient value to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this global L2 norm (one of the three
        clipping options at most).
    use_ema : bool, default False
        Keep an exponential moving average of the weights (Keras' ``use_ema``).
    ema_momentum : float, default 0.99
        In [0, 1]: ``average = m * average + (1 - m) * weights``.
    ema_overwrite_frequency : int, optional
        Copy the average into the weights every N updates.
    loss_scale_factor : None
        Accepted for Keras compatibility; a value raises.
    gradient_accumulation_steps : int, optional
        Add the gradients of this many calls (an integer >= 2) and apply their
        mean on every N-th call, as in Keras 3.
    name : str, optional
        The optimizer's name.

    Raises
    ------
    ValueError
        An unknown argument, ``beta_1`` outside ``(0, 1]``, ``beta_2`` outside
        ``[0, 1)``, a negative ``epsilon``, a ``warmup_steps`` that is not a whole
        number >= 0, or several clipping options.

    Examples
    --------
    >>> w = np.array([1.0, -2.0], np.float32)
    >>> opt = pynn.optimizers.ScheduleFreeAdamW(learning_rate=0.1)
    >>> opt.apply([np.array([0.5, -0.5], np.float32)], [w])
    >>> np.round(w, 4)  # at the first update x averages one point, z: y = z
    array([ 0.9, -1.9], dtype=float32)
    """

    _kind = "schedule_free_adamw"

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None,
                 name="schedule_free_adamw", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps
        self._validate()

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}


NormalizedSGD = NSGD

# Every optimizer class defined in this module registers itself (Optimizer.
# __init_subclass__), so adding an optimizer is adding its class.
__all__ = ["Optimizer", *_ALL, "get", "serialize", "deserialize"]
_BY_LOWER = {name.lower(): cls for name, cls in _ALL.items()}
_BY_LOWER["normalizedsgd"] = NSGD
_BY_LOWER["normalized_sgd"] = NSGD
_BY_LOWER["schedule_free_adamw"] = ScheduleFreeAdamW  # the engine table's name


def serialize(optimizer):
    """Returns ``{"class_name": ..., "config": {...}}`` for an optimizer (JSON-friendly).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer.

    Returns
    -------
    dict

    Examples
    --------
    >>> config = pynn.optimizers.serialize(pynn.optimizers.Adam(0.01))
    >>> config["class_name"], config["config"]["learning_rate"]
    ('Adam', 0.01)
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Expected a pynn optimizer, got {optimizer!r}")
    return {"module": "pynn.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """Creates an optimizer from ``serialize``'s dict (class names case-insensitive).

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.
    custom_objects : dict, optional
        Custom optimizer or schedule classes, by name.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> opt = pynn.optimizers.deserialize({"class_name": "sgd", "config": {"learning_rate": 0.5}})
    >>> type(opt).__name__, opt.learning_rate
    ('SGD', 0.5)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _lookup(name)
    return cls.from_config(dict(config.get("config") or {}), custom_objects)


def _lookup(name):
    cls = _BY_LOWER.get(str(name).lower()) if isinstance(name, str) else None
    if cls is None and isinstance(name, str) and name.lower() == "dpsgd":
        from .privacy import DPSGD as cls  # imported here: pynn.privacy imports this module
    if cls is None:
        raise unknown_name("optimizer", name, _BY_LOWER)
    return cls


def get(identifier):
    """Returns an optimizer from a name, a serialized dict or an instance (returned as is).

    Parameters
    ----------
    identifier : str, dict, Optimizer or None
        A Keras name (case-insensitive: ``"adam"``, ``"RMSprop"``, ``"sgd"``, ...)
        for an optimizer with default settings.

    Returns
    -------
    Optimizer or None

    Raises
    ------
    ValueError
        An unknown name (with a "did you mean").

    Examples
    --------
    >>> pynn.optimizers.get("adam")
    <pynn.optimizers.Adam name='adam' learning_rate=0.001>
    >>> pynn.optimizers.get("adamm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown optimizer 'adamm'; did you mean 'adam'? ...
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _lookup(identifier)()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
