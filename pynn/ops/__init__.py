"""pynn.ops: eager functional ops on Tensors, one module per op family.

Each function is a thin wrapper over one engine op (``_C.apply``); forward and
backward run in C."""
import sys as _sys

from .. import _C
from .elementwise import *  # noqa: F401,F403
from .activations import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .dense import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403


def matmul(a, b, transpose_a=False, transpose_b=False):
    """a @ b with NumPy semantics; the transposes are absorbed by GEMM's packing."""
    return _C.apply("matmul", [a, b], iattr=[int(transpose_a), int(transpose_b)])


def add(a, b):
    return _C.apply("add", [a, b])


def subtract(a, b):
    return _C.apply("sub", [a, b])


def multiply(a, b):
    return _C.apply("mul", [a, b])


def divide(a, b):
    return _C.apply("div", [a, b])


def maximum(a, b):
    return _C.apply("maximum", [a, b])


def minimum(a, b):
    return _C.apply("minimum", [a, b])


# The public ops: each family module's own __all__ plus the binary ops above
# (the family modules themselves are implementation and not listed).
# (by sys.modules: `embedding` and `dense` name both a module and its op function)
__all__ = sorted({name for family in ("elementwise", "activations", "reduce", "shape", "losses",
                                      "conv", "pool", "norm", "rnn", "embedding", "attention",
                                      "dense", "convert")
                  for name in _sys.modules[f"{__name__}.{family}"].__all__}
                 | {"matmul", "add", "subtract", "multiply", "divide", "maximum", "minimum"})


def __dir__():
    return list(__all__)
