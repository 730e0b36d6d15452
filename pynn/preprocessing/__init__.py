"""`keras.preprocessing` for ported programs: the Keras 3 namespace that
published code imports from (``from keras.preprocessing.image import load_img``,
``from keras.preprocessing.sequence import pad_sequences``,
``keras.preprocessing.image_dataset_from_directory``). Nothing here is new: each
name is pynn's own function from pynn.utils, pynn.text or pynn.dataset_utils,
under the path Keras 3 gives it (keras/preprocessing/__init__.py)."""
from ..dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,
                             timeseries_dataset_from_array)
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
