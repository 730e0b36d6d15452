"""Prints the public names of Keras 3 that pynn lacks, namespace by namespace.

    KERAS_BACKEND=torch python tests/scripts/keras_api_diff.py

Walks dir() of keras.ops (and ops.nn, ops.linalg, ops.image), keras.layers,
keras.callbacks, keras.utils, keras.random, keras.losses, keras.metrics and
keras.optimizers against pynn's namespaces of the same role; a name counts as
present when pynn has it (under the same name) in the matching namespace
(``hasattr``: pynn.ops.shape is a callable module, not listed by dir())."""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

import pynn  # noqa: E402

PAIRS = [  # (Keras namespace, its name, pynn namespaces that may hold the name)
    (keras.ops, "keras.ops", [pynn.ops]),
    (keras.ops.nn, "keras.ops.nn", [pynn.ops.nn]),
    (keras.ops.linalg, "keras.ops.linalg", [pynn.ops.linalg]),
    (keras.ops.image, "keras.ops.image", [pynn.ops.image]),
    (keras.layers, "keras.layers", [pynn.layers]),
    (keras.callbacks, "keras.callbacks", [pynn.callbacks]),
    (keras.utils, "keras.utils", [pynn.utils]),
    (keras.random, "keras.random", [pynn.random]),
    (keras.losses, "keras.losses", [pynn.losses]),
    (keras.metrics, "keras.metrics", [pynn.metrics]),
    (keras.optimizers, "keras.optimizers", [pynn.optimizers]),
]


def public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def main():
    total_missing = total = 0
    for theirs, name, ours in PAIRS:
        want = public(theirs)
        missing = sorted(n for n in want if not any(hasattr(m, n) for m in ours))
        total += len(want)
        total_missing += len(missing)
        print(f"{name}: {len(want) - len(missing)}/{len(want)} present; missing {len(missing)}:")
        for i in range(0, len(missing), 8):
            print("    " + ", ".join(missing[i:i + 8]))
    print(f"total: {total - total_missing}/{total} of Keras 3's names present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
