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
from .nn_losses import *  # noqa: F401,F403  (keras.ops' unreduced cross-entropies)
from .conv import *  # noqa: F401,F403
from .conv_transpose import *  # noqa: F401,F403
from .depthwise import *  # noqa: F401,F403
from .image import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .dense import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .rounding import *  # noqa: F401,F403
from .numeric import *  # noqa: F401,F403
from .layout import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .cumulative import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .segment import *  # noqa: F401,F403
from .contraction import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .activations_more import *  # noqa: F401,F403
from .mathfuncs import *  # noqa: F401,F403
from .arrange import *  # noqa: F401,F403
from .fft import *  # noqa: F401,F403
from .control import *  # noqa: F401,F403
from .nanreduce import *  # noqa: F401,F403
from .quantile import *  # noqa: F401,F403
from .bitwise import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .scatter import *  # noqa: F401,F403
from .correlate import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .numpy_more import *  # noqa: F401,F403
from .stacking import *  # noqa: F401,F403
from .arctrig import *  # noqa: F401,F403
from .nn_conv import *  # noqa: F401,F403
from .nn_norm import *  # noqa: F401,F403
from .nn_more import *  # noqa: F401,F403
from .image_color import *  # noqa: F401,F403
from .image_geometry import *  # noqa: F401,F403
from .image_sampling import *  # noqa: F401,F403
from .numpy_extra import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .realvalued import *  # noqa: F401,F403
from .einops import *  # noqa: F401,F403
from .unfold import *  # noqa: F401,F403
from .image_quality import *  # noqa: F401,F403
from .image_patches import *  # noqa: F401,F403
from .image_perspective import *  # noqa: F401,F403
from .image_resample import *  # noqa: F401,F403
from .image_elastic import *  # noqa: F401,F403
from .gradient import *  # noqa: F401,F403


def describe(name=None, **attrs):
    """The engine's description of an op: its inputs, its attributes and its traits.

    Every op is one entry of the engine's table (csrc/core/ops/); the entry
    declares its inputs by name, its attributes by name, type and default, and
    its traits, the facts that drivers decide by (DP-SGD picks ghost clipping or
    replay from them). The functions of `pynn.ops` pass attributes to the engine
    by these names.

    Parameters
    ----------
    name : str, optional
        An op name; None lists the names of every op.
    **attrs
        Attribute values for which to report the traits (some depend on them:
        ``batch_norm`` in training mixes the rows of a batch, softmax over axis
        0 normalises across it). Checked as a call would check them.

    Returns
    -------
    dict or list of str
        ``{"name", "inputs", "attrs", "traits", "differentiable"}``: ``inputs``
        a list of names (``"bias?"`` optional, ``"tensors..."`` any number),
        ``attrs`` maps each attribute to ``{"type", "default"}`` (type one of
        "int", "float", "bool", "enum" (with its ``"choices"``), "ints" (a
        tuple of fixed length, or any length when ``"count"`` is None)),
        ``traits`` a list of "rowwise", "stochastic", "has_params",
        "broadcast", "loss", "linear", "affine". Without a name, the op names.

    Raises
    ------
    ValueError
        An unknown op, or an attribute value out of its choices.
    TypeError
        An attribute the op does not have, or a value of the wrong type.

    Examples
    --------
    >>> d = pynn.ops.describe("dropout")
    >>> d["inputs"], d["attrs"]["rate"], d["traits"]
    (['x'], {'type': 'float', 'default': 0.5}, ['rowwise', 'stochastic'])
    >>> pynn.ops.describe("batch_norm", training=True)["traits"]
    ['has_params']
    >>> "dense" in pynn.ops.describe()
    True
    """
    if name is None:
        if attrs:
            raise TypeError("describe(): attributes need an op name")
        return _C.describe()
    return _C.describe(name, **attrs)


def matmul(a, b, transpose_a=False, transpose_b=False):
    """Matrix product ``a @ b`` with NumPy semantics (batched over leading axes).

    The transposes are absorbed by GEMM's packing (no copy).

    Parameters
    ----------
    a : Tensor or array_like
        ``(..., m, k)``.
    b : Tensor or array_like
        ``(..., k, n)``.
    transpose_a : bool, default False
        Use ``a``'s transpose of its last two axes.
    transpose_b : bool, default False
        Use ``b``'s transpose of its last two axes.

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Inner dimensions that differ (both shapes named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> pynn.ops.matmul(a, np.array([[3.0], [4.0]], np.float32)).numpy()
    array([[11.]], dtype=float32)
    >>> pynn.ops.matmul(a, a, transpose_b=True).numpy()
    array([[5.]], dtype=float32)
    """
    return _C.apply("matmul", [a, b], transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))


def add(a, b):
    """Elementwise ``a + b`` with broadcasting.

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0], [5.0]], np.float32)
    >>> pynn.ops.add(a, b).numpy()
    array([[4., 5.],
           [6., 7.]], dtype=float32)
    """
    return _C.apply("add", [a, b])


def subtract(a, b):
    """Elementwise ``a - b`` with broadcasting.

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0], [5.0]], np.float32)
    >>> pynn.ops.subtract(a, b).numpy()
    array([[-2., -1.],
           [-4., -3.]], dtype=float32)
    """
    return _C.apply("sub", [a, b])


def multiply(a, b):
    """Elementwise ``a * b`` with broadcasting.

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0], [5.0]], np.float32)
    >>> pynn.ops.multiply(a, b).numpy()
    array([[ 3.,  6.],
           [ 5., 10.]], dtype=float32)
    """
    return _C.apply("mul", [a, b])


def divide(a, b):
    """Elementwise ``a / b`` with broadcasting (IEEE results for division by 0).

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> pynn.ops.divide(np.array([1.0, 3.0], np.float32), np.array([2.0, 4.0], np.float32)).numpy()
    array([0.5 , 0.75], dtype=float32)
    """
    return _C.apply("div", [a, b])


def maximum(a, b):
    """Elementwise maximum of ``a`` and ``b`` with broadcasting.

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0], [5.0]], np.float32)
    >>> pynn.ops.maximum(a, b).numpy()
    array([[3., 3.],
           [5., 5.]], dtype=float32)
    """
    return _C.apply("maximum", [a, b])


def minimum(a, b):
    """Elementwise minimum of ``a`` and ``b`` with broadcasting.

    Parameters
    ----------
    a : Tensor or array_like
        First operand.
    b : Tensor or array_like
        Second operand (broadcast against ``a``, NumPy rules).

    Returns
    -------
    Tensor

    Raises
    ------
    ValueError
        Shapes that do not broadcast (both named).

    Examples
    --------
    >>> a = np.array([[1.0, 2.0]], np.float32)
    >>> b = np.array([[3.0], [5.0]], np.float32)
    >>> pynn.ops.minimum(a, b).numpy()
    array([[1., 2.],
           [1., 2.]], dtype=float32)
    """
    return _C.apply("minimum", [a, b])


# The public ops: each family module's own __all__ plus the binary ops above
# (the family modules themselves are implementation and not listed).
# (by sys.modules: `embedding` and `dense` name both a module and its op function)
__all__ = sorted({name for family in ("elementwise", "activations", "reduce", "shape", "losses",
                                      "nn_losses",
                                      "conv", "conv_transpose", "depthwise", "image", "pool", "norm",
                                      "rnn", "embedding", "attention", "dense", "convert", "compare",
                                      "rounding", "numeric", "layout", "sorting", "cumulative",
                                      "creation", "segment", "contraction", "linalg",
                                      "activations_more", "mathfuncs", "arrange", "fft",
                                      "control", "nanreduce", "quantile",
                                      "bitwise", "counting", "scatter", "correlate",
                                      "special", "numpy_more", "stacking", "arctrig",
                                      "nn_conv", "nn_norm", "nn_more", "image_color",
                                      "image_geometry", "image_sampling", "numpy_extra", "ctc",
                                      "realvalued", "einops", "unfold", "image_quality",
                                      "image_patches", "image_perspective", "image_resample",
                                      "image_elastic")
                  for name in _sys.modules[f"{__name__}.{family}"].__all__}
                 | {"matmul", "add", "subtract", "multiply", "divide", "maximum", "minimum",
                    "describe"})

# keras.ops work on symbolic tensors too: each public op, met with a KerasTensor (a
# functional graph under construction), records itself as a node of the graph instead
# of computing (pynn/ops/symbolic.py). Not the constructors (no tensor argument), nor
# the ones that answer about a symbolic tensor directly.
from .symbolic import symbolic_aware as _symbolic_aware  # noqa: E402
for _name in __all__:
    _fn = globals()[_name]
    if callable(_fn) and not isinstance(_fn, type(_sys)) and _name not in (
            "convert_to_numpy", "ones", "zeros", "arange", "fused_activations", "describe",
            "ndim", "is_tensor", "bartlett", "blackman", "hamming", "hanning", "kaiser", "logspace",
            "geomspace", "dtype", "empty", "view", "view_as_real", "view_as_complex"):
        globals()[_name] = _symbolic_aware(_fn)
del _name, _fn

from . import nn  # noqa: E402  (keras.ops.nn: the activations and one_hot, wrapped above)
from . import image, linalg  # noqa: E402  (keras.ops.image, keras.ops.linalg namespaces)
from . import numpy  # noqa: E402  (keras.ops.numpy namespace)
# keras.ops.image also holds the colour, geometry and sampling families
image.__all__ = image.__all__ + [n for family in ("image_color", "image_geometry", "image_sampling",
                                                  "image_quality", "image_patches",
                                                  "image_perspective", "image_resample",
                                                  "image_elastic")
                                 for n in _sys.modules[f"{__name__}.{family}"].__all__]
for _module in (image, linalg):  # their functions, symbolic-aware as above
    for _name in _module.__all__:
        setattr(_module, _name, globals()[_name])
del _module, _name

__all__ = sorted(__all__ + ["nn", "image", "linalg", "numpy"])


def __dir__():
    return list(__all__)
