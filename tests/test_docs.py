"""The API documents itself: every public name has a NumPy-style docstring with
Parameters (when it takes any) and Examples, the examples run as doctests, and
dir(pynn) is the public API and nothing else."""
import doctest
import importlib
import inspect
import types

import numpy as np
import pytest

import pynn


# ----------------------------------------------------------------- the public API
def _public_names(module):
    """A module's public names: its __all__, or (a module without one, such as
    pynn.datasets.digits) the functions and classes it defines without a leading _."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, v in vars(module).items()
            if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
            and getattr(v, "__module__", None) == module.__name__]


def _walk():
    """(qualified name, object) for every public module, class, function and
    public method reachable from pynn through __all__."""
    seen_modules, seen_objects, out = set(), set(), []
    todo = [pynn]
    while todo:
        module = todo.pop()
        if module.__name__ in seen_modules:
            continue
        seen_modules.add(module.__name__)
        out.append((module.__name__, module))
        for name in _public_names(module):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith("pynn."):
                    todo.append(obj)
                continue
            if not callable(obj) or id(obj) in seen_objects:
                continue
            seen_objects.add(id(obj))
            qual = f"{module.__name__}.{name}"
            out.append((qual, obj))
            if inspect.isclass(obj):
                for mname, member in _public_members(obj):
                    if id(member) not in seen_objects:  # inherited: once, at its first class
                        seen_objects.add(id(member))
                        out.append((f"{qual}.{mname}", member))
    return out


def _public_members(cls):
    """Public methods and properties a pynn class defines or inherits from a pynn
    base (not object's); dunder methods are documented by the class itself."""
    members = []
    for mname in sorted(dir(cls)):
        if mname.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if mname in vars(k)), None)
        if owner is None or not owner.__module__.startswith("pynn"):
            continue
        raw = vars(owner)[mname]
        if isinstance(raw, staticmethod) and not raw.__func__.__qualname__.startswith(
                owner.__qualname__ + "."):
            continue  # a function stored as a class attribute (a pooling layer's op), not a method
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        if inspect.isfunction(raw) or isinstance(raw, property):
            members.append((mname, getattr(cls, mname) if not isinstance(raw, property) else raw))
    return members


PUBLIC = _walk()


def _takes_parameters(obj):
    """Whether the documented signature has arguments (self/cls excluded)."""
    if isinstance(obj, property):
        return False
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return False
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    return bool(params)


def _section(doc, title):
    lines = doc.splitlines()
    return any(line.strip() == title and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
               for i, line in enumerate(lines))


def _problems(qual, obj):
    if isinstance(obj, types.ModuleType):
        return [] if (obj.__doc__ or "").strip() else [f"{qual}: module has no docstring"]
    doc = inspect.getdoc(obj)  # inherited from the overridden method or property when absent
    if not doc or not doc.strip():
        return [f"{qual}: no docstring"]
    out = []
    if isinstance(obj, property):
        return out  # a property's docstring is its one-line description
    if _takes_parameters(obj) and not _section(doc, "Parameters"):
        out.append(f"{qual}: no Parameters section")
    if not _section(doc, "Examples"):
        out.append(f"{qual}: no Examples section")
    return out


def test_the_walk_reaches_the_api():
    # a walk that found nothing would pass every check below
    reached = {id(obj) for _, obj in PUBLIC}
    for expected in ("pynn.Sequential.fit", "pynn.Model.compile", "pynn.layers.Dense",
                     "pynn.optimizers.Adam", "pynn.losses.BinaryCrossentropy",
                     "pynn.metrics.AUC", "pynn.callbacks.EarlyStopping",
                     "pynn.schedules.CosineDecay", "pynn.initializers.GlorotUniform",
                     "pynn.regularizers.L2", "pynn.ops.relu", "pynn.data.train_test_split",
                     "pynn.text.TextVectorization", "pynn.datasets.digits.load_data",
                     "pynn.saving.load_model", "pynn.set_seed", "pynn.explain.Saliency",
                     "pynn.fairness.MetricFrame", "pynn.privacy.DPSGD",
                     "pynn.federated.FedAvg", "pynn.footprint.count_flops"):
        obj = importlib.import_module("pynn")
        for part in expected.split(".")[1:]:
            obj = getattr(obj, part)
        assert id(obj) in reached, expected
    assert len(PUBLIC) > 300


def _defined_in_tensor_module(obj):
    target = obj.fget if isinstance(obj, property) else obj
    return getattr(target, "__module__", None) == "pynn.tensor" or (
        getattr(target, "__qualname__", "").startswith("Tensor."))


def test_every_public_callable_is_documented():
    problems = [p for qual, obj in PUBLIC if not _defined_in_tensor_module(obj)
                for p in _problems(qual, obj)]
    assert not problems, f"{len(problems)} documentation gaps:\n" + "\n".join(problems)


def test_tensor_api_is_documented():
    problems = [p for qual, obj in PUBLIC if _defined_in_tensor_module(obj)
                for p in _problems(qual, obj)]
    assert problems == [], f"{len(problems)} documentation gaps:\n" + "\n".join(problems)


def test_the_checker_catches_gaps():
    # the coverage test must fail on what it is meant to catch
    def undocumented(x):
        pass

    def no_examples(x):
        """Does something.

        Parameters
        ----------
        x : int
            A number.
        """

    def complete(x):
        """Does something.

        Parameters
        ----------
        x : int
            A number.

        Examples
        --------
        >>> complete(1)
        """
    assert _problems("u", undocumented) == ["u: no docstring"]
    assert _problems("n", no_examples) == ["n: no Examples section"]
    assert _problems("c", complete) == []


# ------------------------------------------------------------------ the doctests
def _doctests():
    """The examples of every module that defines a public name (pynn.layers.core for
    Dense, ...) and of the public modules themselves: DocTestFinder only looks at
    objects defined in the module it is given."""
    modules = {}
    for _, obj in PUBLIC:
        module = obj if isinstance(obj, types.ModuleType) else inspect.getmodule(
            obj.fget if isinstance(obj, property) else obj)
        if module is not None and module.__name__.startswith("pynn"):
            modules[module.__name__] = module
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests, seen = [], set()
    for name in sorted(modules):
        for test in finder.find(modules[name], name, globs={"pynn": pynn, "np": np}):
            key = (test.filename, test.lineno)
            if test.examples and key not in seen:
                seen.add(key)
                tests.append(test)
    return tests


def test_docstring_examples_run():
    tests = _doctests()
    assert len(tests) > 200
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failed = []
    for test in tests:
        pynn.set_seed(0)
        out = []
        result = runner.run(test, out=out.append)
        if result.failed:
            failed.append(f"{test.name} ({test.filename}:{test.lineno}):\n" + "".join(out))
    assert not failed, f"{len(failed)} docstrings' examples fail:\n" + "\n".join(failed)


def test_doctest_runner_reports_a_wrong_example():
    bad = doctest.DocTestParser().get_doctest(">>> 1 + 1\n3\n", {}, "bad", "bad.py", 0)
    out = []
    result = doctest.DocTestRunner().run(bad, out=out.append)
    assert result.failed == 1 and "Expected" in "".join(out)


# ------------------------------------------------------------------------ dir()
# (pynn.preprocessing is public: Keras 3's keras.preprocessing namespace, not the layers module)
INTERNAL = {"core", "base", "conv", "merging", "register", "get_class", "pooling", "recurrent",
            "normalization", "reshaping", "embedding", "attention", "activation",
            "functional", "data_adapter", "tensor", "progbar", "summary", "os", "np"}


def test_dir_is_the_public_api():
    assert dir(pynn) == sorted(set(pynn.__all__) | {"__version__"})
    public = {"explain", "fairness", "Sequential", "Dense", "set_seed", "load_model"}
    assert public <= set(dir(pynn))
    assert not INTERNAL & set(dir(pynn))
    # everything listed is really there (lazy subpackages included)
    for name in pynn.__all__:
        assert getattr(pynn, name) is not None, name


def test_dir_of_subpackages_hides_their_modules():
    assert not {"base", "core", "conv", "merging", "get_class"} & set(dir(pynn.layers))
    assert {"Dense", "LSTM", "register"} <= set(dir(pynn.layers))
    assert not {"elementwise", "shape", "reduce", "pool", "convert"} & set(dir(pynn.ops))
    assert {"relu", "matmul", "dense", "embedding"} <= set(dir(pynn.ops))
    assert "partition" not in dir(pynn.federated) and "FedAvg" in dir(pynn.federated)
    assert "flops" not in dir(pynn.footprint) and "count_flops" in dir(pynn.footprint)
    assert "dpsgd" not in dir(pynn.privacy) and "kernel_shap" not in dir(pynn.explain)


@pytest.mark.parametrize("module", ["pynn", "pynn.layers", "pynn.ops", "pynn.losses",
                                    "pynn.metrics", "pynn.callbacks", "pynn.federated",
                                    "pynn.footprint", "pynn.fairness", "pynn.saving"])
def test_all_names_exist(module):
    mod = importlib.import_module(module)
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing
