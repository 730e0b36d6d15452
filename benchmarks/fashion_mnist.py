"""Reproduces the Fashion-MNIST benchmark table (Xiao, Rasul & Vollgraf 2017) with pynn.

    python benchmarks/fashion_mnist.py [--epochs-mlp 20] [--epochs-cnn 15] [--only mlp|cnn] [--threads 2]

Two models from the dataset's published table, trained on the 60,000 training
images and scored once on the 10,000 test images:
  * MLP 784-256-128-100-10 (relu), the table's MLPClassifier(256, 128, 100): 0.883;
  * a CNN of 2 Conv + pooling layers (the table's "2 Conv + pooling", 0.916).
Prints test accuracy and wall-clock training time per model, and writes
benchmarks/results/fashion_mnist.json. Data comes from Debian's
dataset-fashion-mnist package (nothing is downloaded).
"""
import argparse
import json
import os
import platform
import time

import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the checkout's pynn, as benchmarks/run.py uses
import pynn  # noqa: E402
from pynn import layers  # noqa: E402

PUBLISHED = {"mlp": 0.883, "cnn": 0.916}


def mlp():
    return pynn.Sequential([
        pynn.Input(shape=(28, 28, 1)), layers.Flatten(),
        layers.Dense(256, activation="relu"), layers.Dense(128, activation="relu"),
        layers.Dense(100, activation="relu"), layers.Dense(10, activation="softmax")])


def cnn():
    return pynn.Sequential([
        pynn.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.3),
        layers.Dense(128, activation="relu"), layers.Dropout(0.3),
        layers.Dense(10, activation="softmax")])


def train(name, model, data, epochs, batch_size):
    (x, y), (xt, yt) = data
    steps = epochs * -(-len(x) // batch_size)
    # cosine decay to zero over the run: the last epochs settle instead of bouncing
    schedule = pynn.schedules.CosineDecay(1e-3, decay_steps=steps)
    model.compile(optimizer=pynn.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=2)
    seconds = time.perf_counter() - start
    _, acc = model.evaluate(xt, yt, batch_size=1024, verbose=0)
    print(f"{name}: test accuracy {acc:.4f} (published {PUBLISHED[name]}), "
          f"training {seconds:.1f} s for {epochs} epochs")
    return {"test_accuracy": float(acc), "published": PUBLISHED[name], "epochs": epochs,
            "batch_size": batch_size, "train_seconds": round(seconds, 1),
            "final_train_loss": float(history.history["loss"][-1])}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs-mlp", type=int, default=20)
    ap.add_argument("--epochs-cnn", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=["mlp", "cnn"])
    args = ap.parse_args()
    pynn.set_num_threads(args.threads)
    pynn.set_seed(0)
    (x, y), (xt, yt) = pynn.datasets.fashion_mnist.load_data()
    data = ((x[..., None].astype(np.float32) / 255.0, y),
            (xt[..., None].astype(np.float32) / 255.0, yt))
    out = os.path.join(HERE, "results", "fashion_mnist.json")
    results = json.load(open(out)) if os.path.exists(out) else {}
    results["machine"] = (f"{platform.processor() or platform.machine()}, "
                          f"{os.cpu_count()} cores, {args.threads} threads")
    if args.only != "cnn":
        results["mlp"] = train("mlp", mlp(), data, args.epochs_mlp, 128)
    if args.only != "mlp":
        results["cnn"] = train("cnn", cnn(), data, args.epochs_cnn, 64)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
