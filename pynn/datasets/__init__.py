"""Datasets available offline (nothing is downloaded), as keras.datasets:

- ``pynn.datasets.digits``: the UCI 8x8 handwritten digits, shipped in the package.
- ``pynn.datasets.fashion_mnist``: Fashion-MNIST from Debian's dataset-fashion-mnist.
- ``pynn.datasets.sentiment``: 10,605 human-rated movie-review snippets, shipped.
- ``pynn.datasets.adult``: the UCI Adult census-income table (sex and race
  recorded: the usual data for fairness checks), shipped.

Each has ``load_data() -> (x_train, y_train), (x_test, y_test)``.
"""
from . import adult, digits, fashion_mnist, sentiment

__all__ = ["adult", "digits", "fashion_mnist", "sentiment"]
