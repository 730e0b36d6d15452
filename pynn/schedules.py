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

from . import _C

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
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
    """Base class of learning-rate schedules: ``schedule(step) -> learning rate``."""

    # Built-in subclasses name their C formula; custom subclasses leave it None.
    _c_kind = None

    def __call__(self, step):
        if self._c_kind is None:
            raise NotImplementedError(
                f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`."
            )
        return _C.schedule_value(self._c_spec(), float(step))

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
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
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored
    exponent with ``staircase=True``)."""

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
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` on
    ``(boundaries[i-1], boundaries[i]]``, ``values[-1]`` after the last boundary."""

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
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``;
    with ``cycle=True`` decay_steps grows to the first multiple above step."""

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
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored
    ratio with ``staircase=True``)."""

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
    """Cosine decay from ``initial_learning_rate`` (or, after a linear warmup of
    ``warmup_steps`` to ``warmup_target``, from ``warmup_target``) down to
    ``alpha`` times that value over ``decay_steps``."""

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


_ALL = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay)
}


def serialize(schedule):
    """A JSON-friendly dict ``{"class_name": ..., "config": {...}}``."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"Expected a LearningRateSchedule, got {schedule!r}")
    return {"module": "pynn.schedules", "class_name": schedule.__class__.__name__,
            "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; ``custom_objects`` maps extra class names."""
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
    """A schedule from a schedule instance or a serialized dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")
