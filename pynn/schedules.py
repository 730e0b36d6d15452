"""Learning-rate schedules: Keras 3 names, arguments, defaults and formulas.

Pass one as ``learning_rate=`` to any optimizer. It is evaluated once per optimizer
step at the step count *before* the increment (``optimizer.iterations``), as Keras
does. The built-in schedules are computed by the C engine (the same code the
compiled training loop runs), so calling a schedule from Python gives exactly the
value a step will use.

A custom schedule subclasses :class:`LearningRateSchedule` and implements
``__call__(step)``; it is evaluated in Python before each step.
"""
import math
import numbers

import numpy as np

from . import _C

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
    "get",
]


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"Argument `{name}` must be a finite number. Received: {name}={value!r}")
    return value


def _positive(name, value):
    _number(name, value)
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return value


class LearningRateSchedule:
    """The base class of learning-rate schedules: ``schedule(step) -> learning rate``.

    Pass a schedule as an optimizer's ``learning_rate``; it is evaluated at
    every step with ``step = optimizer.iterations`` (before the increment), as
    Keras. The built-in schedules are computed in C (the same code the training
    loop runs). A custom schedule subclasses this class and implements
    ``__call__(step)`` (and ``get_config`` to be saved); it is evaluated in
    Python before each step, which makes ``fit`` step batch by batch.

    Examples
    --------
    >>> class Halving(pynn.schedules.LearningRateSchedule):
    ...     def __init__(self, initial, every):
    ...         self.initial, self.every = initial, every
    ...     def __call__(self, step):
    ...         return self.initial * 0.5 ** (step // self.every)
    ...     def get_config(self):
    ...         return {"initial": self.initial, "every": self.every}
    >>> schedule = Halving(0.1, every=100)
    >>> schedule(0), schedule(250)
    (0.1, 0.025)
    >>> opt = pynn.optimizers.SGD(learning_rate=schedule)
    >>> opt.learning_rate
    0.1
    """

    # Built-in subclasses name their C formula; custom subclasses leave it None.
    _c_kind = None

    def __call__(self, step):
        if self._c_kind is None:
            raise NotImplementedError(
                f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`."
            )
        if np.ndim(step) > 0:  # Keras: schedule(np.arange(n)) gives the n rates (plotting)
            steps = np.asarray(step, dtype=np.float64)
            spec = self._c_spec()
            return np.array([_C.schedule_value(spec, float(s)) for s in steps.ravel()],
                            np.float32).reshape(steps.shape)
        return _C.schedule_value(self._c_spec(), float(step))

    def get_config(self):
        """Returns the schedule's constructor arguments as a JSON-serialisable dict.

        Returns
        -------
        dict

        Raises
        ------
        NotImplementedError
            A custom schedule that does not implement it.

        Examples
        --------
        >>> pynn.schedules.ExponentialDecay(0.1, decay_steps=10,
        ...                                 decay_rate=0.5).get_config()["decay_rate"]
        0.5
        """
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Creates a schedule from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The constructor arguments.

        Returns
        -------
        LearningRateSchedule

        Examples
        --------
        >>> schedule = pynn.schedules.CosineDecay(0.1, decay_steps=100)
        >>> clone = pynn.schedules.CosineDecay.from_config(schedule.get_config())
        >>> clone(50) == schedule(50)
        True
        """
        return cls(**config)

    def _c_spec(self):
        """(kind, params) understood by the C engine, or None for a Python-only schedule."""
        if self._c_kind is None:
            return None
        return (self._c_kind, self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: ``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    decay_steps : int or float
        The number of steps over which the rate is multiplied by ``decay_rate``
        (positive).
    decay_rate : float
        The multiplier per ``decay_steps``.
    staircase : bool, default False
        Floor ``step / decay_steps``: the rate drops in steps.
    name : str, default "ExponentialDecay"
        The schedule's name.

    Raises
    ------
    ValueError
        A non-finite number or a ``decay_steps`` that is not positive.

    Examples
    --------
    >>> schedule = pynn.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> [round(schedule(step), 4) for step in (0, 10, 20)]
    [0.1, 0.05, 0.025]
    >>> schedule(np.array([0, 10, 20]))  # an array of steps, e.g. to plot the schedule
    array([0.1  , 0.05 , 0.025], dtype=float32)
    >>> stairs = pynn.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5,
    ...                                          staircase=True)
    >>> round(stairs(9), 4), round(stairs(10), 4)
    (0.1, 0.05)
    """

    _c_kind = "exponential"

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` for
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last
    boundary.

    Parameters
    ----------
    boundaries : list of int
        Increasing step boundaries.
    values : list of float
        One more value than boundaries.
    name : str, default "PiecewiseConstant"
        The schedule's name.

    Raises
    ------
    ValueError
        ``len(values) != len(boundaries) + 1``, boundaries not increasing, or a
        non-finite number.

    Examples
    --------
    >>> schedule = pynn.schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> [schedule(step) for step in (100, 101, 201)]
    [1.0, 0.5, 0.1]
    """

    _c_kind = "piecewise"

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        for i, b in enumerate(boundaries):
            _number(f"boundaries[{i}]", b)
            if i and not b > boundaries[i - 1]:
                raise ValueError(f"`boundaries` must be strictly increasing. Received: boundaries={boundaries}")
        for i, v in enumerate(values):
            _number(f"values[{i}]", v)
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` over
    ``decay_steps``.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``;
    ``power=1`` is a linear decay.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    decay_steps : int or float
        Steps to reach ``end_learning_rate`` (positive).
    end_learning_rate : float, default 0.0001
        The final rate.
    power : float, default 1.0
        The polynomial's power.
    cycle : bool, default False
        Restart the decay: ``decay_steps`` grows to the first multiple above
        ``step``.
    name : str, default "PolynomialDecay"
        The schedule's name.

    Raises
    ------
    ValueError
        A non-finite number or a ``decay_steps`` that is not positive.

    Examples
    --------
    >>> schedule = pynn.schedules.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.0)
    >>> [round(schedule(step), 4) for step in (0, 50, 100, 200)]
    [0.1, 0.05, 0.0, 0.0]
    """

    _c_kind = "polynomial"

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.end_learning_rate = _number("end_learning_rate", end_learning_rate)
        self.power = _number("power", power)
        self.cycle = bool(cycle)
        self.name = name

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: ``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    decay_steps : int or float
        The step unit of the decay (positive).
    decay_rate : float
        How fast the rate falls.
    staircase : bool, default False
        Floor ``step / decay_steps``.
    name : str, default "InverseTimeDecay"
        The schedule's name.

    Raises
    ------
    ValueError
        A non-finite number or a ``decay_steps`` that is not positive.

    Examples
    --------
    >>> schedule = pynn.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
    >>> [round(schedule(step), 4) for step in (0, 10, 30)]
    [0.1, 0.05, 0.025]
    """

    _c_kind = "inverse_time"

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter's SGDR without restarts), with an optional linear warmup.

    Over ``decay_steps`` the rate follows half a cosine from its start down to
    ``alpha`` times it, then stays there. With ``warmup_steps``, the rate first
    rises linearly from ``initial_learning_rate`` to ``warmup_target``, and the
    decay starts from ``warmup_target``.

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    decay_steps : int or float
        The length of the decay (positive).
    alpha : float, default 0.0
        The final rate as a fraction of the start, in [0, 1].
    name : str, default "CosineDecay"
        The schedule's name.
    warmup_target : float, optional
        The rate reached at the end of the warmup.
    warmup_steps : int, default 0
        The length of the warmup.

    Raises
    ------
    ValueError
        ``alpha`` outside [0, 1], a negative ``warmup_steps``, a non-positive
        ``decay_steps`` or a non-finite number.

    Examples
    --------
    >>> schedule = pynn.schedules.CosineDecay(0.1, decay_steps=100)
    >>> [round(schedule(step), 4) for step in (0, 50, 100)]
    [0.1, 0.05, 0.0]
    >>> warm = pynn.schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    >>> [round(warm(step), 4) for step in (0, 5, 10)]
    [0.0, 0.05, 0.1]
    """

    _c_kind = "cosine"

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.alpha = _number("alpha", alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"Argument `alpha` must be in [0, 1]. Received: alpha={alpha}")
        self.name = name
        self.warmup_target = None if warmup_target is None else _number("warmup_target", warmup_target)
        self.warmup_steps = _number("warmup_steps", warmup_steps)
        if warmup_steps < 0:
            raise ValueError(f"Argument `warmup_steps` must be >= 0. Received: warmup_steps={warmup_steps}")

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (Loshchilov & Hutter's SGDR), Keras'
    ``CosineDecayRestarts``.

    The rate follows half a cosine from ``initial_learning_rate`` down to ``alpha``
    times it over ``first_decay_steps``, then restarts; each period is ``t_mul`` times
    longer than the one before and starts ``m_mul`` times lower. Computed in float32
    with Keras' formula; it is evaluated in Python before each step (no C formula).

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    first_decay_steps : int or float
        The length of the first period (positive).
    t_mul : float, default 2.0
        How much longer each period is than the one before.
    m_mul : float, default 1.0
        How much lower each restart starts than the one before.
    alpha : float, default 0.0
        The lowest rate as a fraction of ``initial_learning_rate``.
    name : str, default "SGDRDecay"

    Raises
    ------
    ValueError
        ``first_decay_steps`` not positive, or a non-finite number.

    Examples
    --------
    >>> schedule = pynn.schedules.CosineDecayRestarts(0.1, first_decay_steps=10)
    >>> [round(float(schedule(step)), 4) for step in (0, 5, 10, 20, 30)]
    [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _positive("first_decay_steps", first_decay_steps)
        self._t_mul = _number("t_mul", t_mul)
        self._m_mul = _number("m_mul", m_mul)
        self.alpha = _number("alpha", alpha)
        self.name = name

    def __call__(self, step):
        if np.ndim(step) > 0:
            return np.vectorize(self.__call__, otypes=[np.float32])(step)
        f = np.float32
        t_mul, m_mul, alpha = f(self._t_mul), f(self._m_mul), f(self.alpha)
        fraction = f(step) / f(self.first_decay_steps)
        if t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:  # periods grow geometrically: which one, and how far into it
            restart = np.floor(np.log(f(1.0) - fraction * (f(1.0) - t_mul)) / np.log(t_mul))
            done = (f(1.0) - t_mul ** restart) / (f(1.0) - t_mul)
            fraction = (fraction - done) / t_mul ** restart
        cosine = f(0.5) * m_mul ** restart * (f(1.0) + np.cos(f(math.pi) * fraction))
        return float(f(self.initial_learning_rate) * ((f(1.0) - alpha) * cosine + alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_ALL = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                CosineDecay, CosineDecayRestarts)
}


def serialize(schedule):
    """Returns ``{"class_name": ..., "config": {...}}`` for a schedule (JSON-friendly).

    Parameters
    ----------
    schedule : LearningRateSchedule
        The schedule.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        Not a schedule.

    Examples
    --------
    >>> config = pynn.schedules.serialize(pynn.schedules.ExponentialDecay(0.1, 10, 0.5))
    >>> config["class_name"], config["config"]["decay_steps"]
    ('ExponentialDecay', 10)
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"Expected a LearningRateSchedule, got {schedule!r}")
    return {"module": "pynn.schedules", "class_name": schedule.__class__.__name__,
            "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Creates a schedule from ``serialize``'s dict.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.
    custom_objects : dict, optional
        Custom schedule classes by name.

    Returns
    -------
    LearningRateSchedule

    Raises
    ------
    ValueError
        A malformed dict or an unknown class name.

    Examples
    --------
    >>> schedule = pynn.schedules.deserialize(
    ...     {"class_name": "InverseTimeDecay",
    ...      "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 1.0}})
    >>> round(schedule(10), 4)
    0.05
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a dict with 'class_name' and 'config', got {config!r}")
    table = dict(_ALL)
    table.update(custom_objects or {})
    cls = table.get(config["class_name"])
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule '{config['class_name']}'. Known: {', '.join(sorted(_ALL))}"
        )
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """Returns a schedule from an instance (as is) or a serialized dict.

    Parameters
    ----------
    identifier : LearningRateSchedule or dict
        The schedule or its ``serialize`` dict.

    Returns
    -------
    LearningRateSchedule

    Raises
    ------
    ValueError
        Anything else.

    Examples
    --------
    >>> schedule = pynn.schedules.CosineDecay(0.1, 100)
    >>> pynn.schedules.get(schedule) is schedule
    True
    """
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")
