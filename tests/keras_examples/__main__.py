"""`PYTHONPATH=tests python -m keras_examples <name> [pynn|keras]`: runs one example."""
import sys
import tempfile

from keras_examples import load

name = sys.argv[1]
ex = load(name, sys.argv[2] if len(sys.argv) > 2 else "pynn")
with tempfile.TemporaryDirectory() as tmp:
    out = ex.run(ex.build(), ex.data(), tmp)
for key, value in out.items():
    print(key, value)
