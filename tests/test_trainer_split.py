"""Issue #11's model split, as Keras 3 splits it: the layer graph (pynn/models.py) apart
from the trainer (pynn/trainer/: compile, fit / evaluate / predict, data checks, the
overridable steps), the public names where they were, and one place that calls the
compiled loop."""
import ast
import pathlib

import pynn
import pynn.models
import pynn.trainer

PACKAGE = pathlib.Path(pynn.__file__).parent


def _calls_of(attr):
    """(file, enclosing function) of every call `<something>.<attr>(...)` in pynn/."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == attr):
                    found.append((path.relative_to(PACKAGE).as_posix(), fn.name))
    return found


def test_one_helper_builds_the_compiled_loop():
    # fit, evaluate and predict (three call sites with 18 positional arguments before the
    # split) all get their loop from Trainer._open_loop, which takes keyword arguments
    assert _calls_of("Loop") == [("trainer/trainer.py", "_open_loop")]
    assert _calls_of("run_loop") == []


def test_the_graph_and_the_trainer_live_apart():
    trainer_names = ("compile", "fit", "evaluate", "predict", "train_on_batch",
                     "predict_on_batch", "compute_loss", "train_step", "test_step",
                     "predict_step")
    graph_names = ("build", "call", "summary", "save", "get_weights", "set_weights", "layers",
                   "get_layer", "count_params")
    for name in trainer_names:
        owner = next(k for k in pynn.Model.__mro__ if name in vars(k))
        assert owner.__module__.startswith("pynn.trainer."), (name, owner)
    for name in graph_names:
        owner = next(k for k in pynn.Model.__mro__ if name in vars(k))
        assert owner.__module__ == "pynn.models", (name, owner)
    source = (PACKAGE / "models.py").read_text()
    assert "def fit(" not in source and "run_loop" not in source and "Loop(" not in source


def test_public_imports_are_unchanged():
    assert pynn.Model is pynn.models.Model and pynn.Sequential is pynn.models.Sequential
    assert pynn.models.__all__ == ["Model", "Sequential", "load_model", "save_model"]
    assert issubclass(pynn.Sequential, pynn.trainer.Trainer)
    assert issubclass(pynn.Model, pynn.layers.Layer)
