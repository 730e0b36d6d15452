"""Canonical tf.keras / keras.io tutorial programs, shrunk to run in seconds.

Each file here is a Keras program: it says `import keras` / `from keras import
layers` and uses nothing of pynn. `load(name, "pynn")` runs the same source with
only those import lines rewritten (`import pynn as keras`, `from pynn import
layers`; `import torch` as `import pynn as torch` in the torch-backend guides),
which is exactly the port a new user makes. `load(name, "keras")`
runs it unchanged on Keras 3 with the torch backend.

Each example module defines
    data()             -> NumPy arrays (the same for both libraries)
    build()            -> the compiled model, as the tutorial builds it
    run(model, data, tmpdir) -> a dict of what the tutorial prints or keeps
    check(out)         -> what must hold of pynn's run on its own (it learned, ...)
and may define PARITY_KEYS: the entries of run()'s dict that must agree with
Keras when both start from the same weights (all of them when absent; models
with Dropout compare what does not depend on the random masks), and
KERAS_NEEDS_TENSORFLOW = True when the unchanged program uses Keras 3 layers that
only run with TensorFlow installed (TextVectorization, StringLookup, ...): the
comparison is then skipped without it; and KERAS_TORCH_BUG = "<error text>" when Keras 3's
torch backend itself fails on the unchanged program with that RuntimeError (the comparison
is then an expected failure naming it, and passes again once Keras runs it).

By hand, from the repository root:
    PYTHONPATH=tests python -m keras_examples <name> [pynn|keras]
"""
import os
import re
import types

HERE = os.path.dirname(os.path.abspath(__file__))

EXAMPLES = sorted(f[:-3] for f in os.listdir(HERE)
                  if f.endswith(".py") and not f.startswith("_"))

# the whole port: these import lines, nothing else
_PORT = [(re.compile(r"^import keras$", re.M), "import pynn as keras"),
         (re.compile(r"^from keras((?:\.\w+)*) import ", re.M), r"from pynn\1 import "),
         # the torch-backend guides' autograd calls (torch.no_grad) are pynn's own
         (re.compile(r"^import torch$", re.M), "import pynn as torch")]


def source(name, lib):
    """The example's source as run on `lib` ("pynn" or "keras")."""
    with open(os.path.join(HERE, name + ".py")) as f:
        text = f.read()
    if lib == "pynn":
        for pattern, repl in _PORT:
            text = pattern.sub(repl, text)
    elif lib != "keras":
        raise ValueError(f"lib must be 'pynn' or 'keras', got {lib!r}")
    return text


def load(name, lib):
    """Executes the example on `lib` and returns it as a module."""
    if lib == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    path = os.path.join(HERE, name + ".py")
    module = types.ModuleType(f"keras_examples.{name}[{lib}]")
    module.__file__ = path
    exec(compile(source(name, lib), path, "exec"), module.__dict__)
    return module
