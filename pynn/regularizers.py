"""Weight regularizers with Keras' definitions: L1 = l1·Σ|w|, L2 = l2·Σw²."""
from . import ops
from ._names import unknown_name


class Regularizer:
    def __call__(self, w):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        if l1 < 0 or l2 < 0:
            raise ValueError(f"regularization factors must be non-negative, got l1={l1}, l2={l2}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        """A scalar Tensor penalty for the weight Tensor w (graph op, differentiable)."""
        terms = []
        if self.l1:
            terms.append(ops.sum(ops.abs(w)) * self.l1)
        if self.l2:
            terms.append(ops.sum(ops.square(w)) * self.l2)
        if not terms:  # L1L2() with both factors 0 (Keras' defaults): a zero penalty
            return ops.sum(w) * 0.0
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


# Keras 3's lowercase names are the classes themselves (keras.regularizers.l2(1e-4))
l1, l2 = L1, L2


_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in _ALIASES:
            return _ALIASES[identifier.lower()]()
        raise unknown_name("regularizer", identifier, _ALIASES)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer {identifier!r}")


def serialize(reg):
    if reg is None:
        return None
    if isinstance(reg, Regularizer):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    raise ValueError(f"Cannot serialize regularizer {reg!r} (a plain function); use a class")


def deserialize(config):
    name = config.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"Unknown regularizer class {name!r}")
    return _CLASSES[name].from_config(config.get("config", {}))
