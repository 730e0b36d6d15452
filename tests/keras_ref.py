"""The installed Keras 3 as a reference, on its torch backend (skips the
calling test when Keras or a backend is missing)."""
import os

import pytest


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception as e:  # ImportError, or a backend that fails to load
        pytest.skip(f"Keras 3 is not usable here: {type(e).__name__}: {e}")
    return keras
