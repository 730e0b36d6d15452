"""Small datasets shipped inside the package (no download, no scikit-learn):

- ``pynn.datasets.digits``: the UCI 8x8 handwritten digits
  (``load_data() -> (x_train, y_train), (x_test, y_test)``).
- ``pynn.datasets.sentiment``: 10,605 human-rated movie-review snippets
  (``load_data() -> (texts_train, y_train), (texts_test, y_test)``).
"""
from . import digits, sentiment

__all__ = ["digits", "sentiment"]
