"""`python -m tests.keras_examples.<name> [pynn|keras]`: the example as a script."""
import importlib
import os
import sys
import tempfile


def main(module_name):
    lib = sys.argv[1] if len(sys.argv) > 1 else "pynn"
    if lib == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = importlib.import_module(lib)
    ex = importlib.import_module(module_name)
    with tempfile.TemporaryDirectory() as tmp:
        out = ex.run(keras, ex.build(keras), ex.data(), tmp)
    for k, v in out.items():
        print(k, v)
