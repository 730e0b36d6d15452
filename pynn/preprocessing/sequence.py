"""`keras.preprocessing.sequence`: pad_sequences (pynn.text's), the one name Keras 3
keeps there."""
from ..text import pad_sequences

__all__ = ["pad_sequences"]
