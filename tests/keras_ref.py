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


def keras_tversky_kwargs(keras, kwargs):
    """Tversky's arguments to give the installed Keras for pynn's (= Keras master's) loss.

    Keras 3.15 and earlier weighted false negatives by ``alpha`` and false positives by
    ``beta``, swapped against the Tversky index; keras-team/keras#23333 fixed it and pynn
    follows the fix. A pre-fix Keras gets alpha and beta swapped so both compute the same."""
    probe = keras.losses.tversky([[1.0, 1.0]], [[1.0, 0.0]], alpha=1.0, beta=0.0)
    if float(keras.ops.convert_to_numpy(probe).ravel()[0]) < 0.25:  # fixed: FN gets beta
        return dict(kwargs)
    swapped = dict(kwargs)
    swapped["alpha"], swapped["beta"] = kwargs.get("beta", 0.5), kwargs.get("alpha", 0.5)
    return swapped
