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


def __getattr__(name):
    # keras.datasets names that a ported program may ask for: nothing is downloaded here
    if name in ("mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                "california_housing"):
        raise AttributeError(f"pynn.datasets.{name} is not available: pynn downloads nothing. "
                             f"Offline datasets: {', '.join(__all__)} (digits stands in for mnist, "
                             f"sentiment for imdb)")
    raise AttributeError(f"module 'pynn.datasets' has no attribute {name!r}")
