"""pynn: a small, fast deep-learning library for the CPU.

A pure-C autograd engine (reverse mode, our own GEMM, fused kernels, C
optimizers) under a Keras-like API.
"""
import os as _os
import sys as _sys


def _has_engine(package_dir):
    """Whether package_dir holds a compiled _C for this interpreter."""
    from importlib.machinery import EXTENSION_SUFFIXES
    return any(_os.path.isfile(_os.path.join(package_dir, "_C" + s)) for s in EXTENSION_SUFFIXES)


if not _has_engine(_os.path.dirname(_os.path.abspath(__file__))):
    # This is a source tree without a built engine, found first on sys.path because it
    # lies in the working directory (`pip install . && python -m pynn` run in a clone's
    # root). Load the installed pynn instead and make it the one `import pynn` returns:
    # the import system hands back sys.modules["pynn"] once this file has run.
    def _installed_spec():
        from importlib.machinery import PathFinder
        here = _os.path.realpath(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))
        for entry in _sys.path:
            if _os.path.realpath(entry or _os.getcwd()) == here:
                continue
            spec = PathFinder.find_spec(__name__, [entry])
            if spec is not None and spec.submodule_search_locations and \
                    _has_engine(spec.submodule_search_locations[0]):
                return spec
        raise ImportError(
            f"pynn's C engine is not built in {_os.path.dirname(_os.path.abspath(__file__))} "
            "and no installed pynn was found on sys.path: run `pip install .` in the source "
            "tree (or `python setup.py build_ext --inplace` to build it in place)")

    import importlib.util as _util
    _spec = _installed_spec()
    _installed = _util.module_from_spec(_spec)
    _sys.modules[__name__] = _installed
    try:
        _spec.loader.exec_module(_installed)
    except BaseException:
        del _sys.modules[__name__]
        raise
    # What follows in this file then binds the installed package's (already imported)
    # submodules into this discarded module object: harmless, and it keeps this guard
    # a prefix of the file.

from . import _C

__version__ = "0.1.0"

# Everything but the engine loads on first use (PEP 562 __getattr__ below), so
# that `import pynn` costs little beyond `import numpy`; `pynn.Dense`,
# `from pynn import Sequential`, `pynn.layers` ... import what they need then.
# The public API: what `from pynn import *`, `dir(pynn)` and the documentation
# cover. Submodules that are implementation (core, base, conv, tensor, ...) stay
# importable but are not listed; the trust tools load lazily yet are listed.
_MODULES = ["activations", "backend", "callbacks", "data", "datasets", "distribution", "explain",
            "fairness", "federated", "footprint", "initializers", "layers", "losses", "metrics", "models",
            "ops", "optimizers", "preprocessing", "privacy", "random", "regularizers", "saving",
            "schedules", "text", "utils"]
# Top-level names and the submodule defining each; the layer classes come from
# pynn.layers (its __all__), as `from .layers import *` gave them.
_NAMES = {"Tensor": "tensor", "no_grad": "tensor", "is_grad_enabled": "tensor",
          "Input": "functional", "Model": "models", "Sequential": "models",
          "Variable": "layers.base", "load_model": "saving", "save_model": "saving"}
_OWN = ["get_num_threads", "set_num_threads", "set_seed"]


def _public_names():
    from . import layers
    return sorted(_MODULES + [n for n in layers.__all__
                                if n not in ("register", "Input", "serialize", "deserialize")]
                  + ["Input", "Model", "Sequential", "Tensor", "is_grad_enabled", "load_model",
                     "no_grad", "save_model"] + _OWN)


def set_seed(seed):
    """Seeds pynn's generators so that a run is bit-identical from run to run.

    Covers weight initialisation, shuffling in ``fit``, Dropout masks and
    DP-SGD noise (the engine's counter-based generator and pynn's NumPy
    generator). Reductions are partitioned independently of the thread count,
    so the result does not depend on `set_num_threads` either.

    Parameters
    ----------
    seed : int
        Any Python int (taken modulo 2**64).

    Raises
    ------
    TypeError
        ``seed`` is not an int.

    Examples
    --------
    >>> pynn.set_seed(42)
    >>> a = pynn.layers.Dense(3)(np.ones((1, 4), np.float32)).numpy()
    >>> pynn.set_seed(42)
    >>> b = pynn.layers.Dense(3)(np.ones((1, 4), np.float32)).numpy()
    >>> np.array_equal(a, b)
    True
    """
    if not isinstance(seed, (int,)) or isinstance(seed, bool):
        raise TypeError(f"set_seed expects an int, got {type(seed).__name__}")
    _C.set_seed(seed & 0xFFFFFFFFFFFFFFFF)
    from . import random as _random
    _random.seed(seed)


def set_num_threads(n):
    """Sets the number of threads of the engine's worker pool.

    The default comes from the environment variable ``PYNN_NUM_THREADS``, else
    the number of cores. Results do not depend on it.

    Parameters
    ----------
    n : int
        A positive number of threads.

    Raises
    ------
    ValueError
        ``n`` is not a positive int.

    Examples
    --------
    >>> before = pynn.get_num_threads()
    >>> pynn.set_num_threads(1)
    >>> pynn.get_num_threads()
    1
    >>> pynn.set_num_threads(before)
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive int, got {n!r}")
    # the engine caps the pool (at 256); a count beyond a C int was OverflowError
    _C.set_num_threads(min(n, 2**31 - 1))


def get_num_threads():
    """Returns the number of threads of the engine's worker pool.

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.get_num_threads() >= 1
    True
    """
    return _C.get_num_threads()


def __dir__():
    # dir(pynn) is the public API only (plus the version), lazy subpackages included
    return sorted(_public_names() + ["__version__"])


def __getattr__(name):
    import importlib
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "__all__":
        value = _public_names()
    elif name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    else:
        layers = importlib.import_module(".layers", __name__)
        if name not in layers.__all__:
            raise AttributeError(f"module 'pynn' has no attribute {name!r}")
        value = getattr(layers, name)
    globals()[name] = value  # resolved once
    return value
