"""Small datasets shipped inside the package (no download, no scikit-learn):

- ``pynn.datasets.digits``: the UCI 8x8 handwritten digits
  (``load_data() -> (x_train, y_train), (x_test, y_test)``).
"""
from . import digits

__all__ = ["digits"]
