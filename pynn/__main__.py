"""`python -m pynn`: a one-minute tour. Trains a small network on the UCI 8x8
handwritten digits bundled with pynn and reports its test accuracy."""
import argparse
import importlib.util
import sys

import numpy as np

import pynn
from pynn.datasets import digits


def build_model():
    return pynn.Sequential([
        pynn.Input(shape=digits.IMAGE_SHAPE),
        pynn.layers.Flatten(),
        pynn.layers.Dense(64, activation="relu"),
        pynn.layers.Dense(32, activation="relu"),
        pynn.layers.Dense(digits.N_CLASSES, activation="softmax"),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pynn", description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                        help="fit's verbosity: 1 = progress bar, 2 = one line per epoch")
    args = parser.parse_args(argv)

    print(f"pynn {pynn.__version__}: UCI 8x8 handwritten digits "
          f"(E. Alpaydin, C. Kaynak, CC BY 4.0)")
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.astype(np.float32) / digits.MAX_PIXEL
    x_test = x_test.astype(np.float32) / digits.MAX_PIXEL
    print(f"{len(x_train)} training and {len(x_test)} test images of shape {x_train.shape[1:]}\n")

    pynn.set_seed(args.seed)
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if importlib.util.find_spec("pynn.summary") is not None:
        model.summary()
    else:
        print(f"{model.count_params()} parameters")
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, verbose=args.verbose)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest loss: {loss:.4f} - test accuracy: {acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
