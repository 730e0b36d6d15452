"""model.save("x.keras") writes Keras 3's native format (issue 14): Keras 3
(KERAS_BACKEND=torch) opens the file and predicts what pynn predicts, while
pynn.load_model reads its own members from the same file (optimizer state and
all); a model Keras cannot rebuild is saved in pynn's format with a warning
saying why; ".pynn" stays pynn's format alone."""
import warnings
import zipfile

import numpy as np
import pytest

import pynn

from keras_ref import keras_or_skip

pytest.importorskip("h5py", reason="h5py (writing Keras' model.weights.h5) is not installed")


def trained_model():
    pynn.set_seed(4)
    model = pynn.Sequential([pynn.Input(shape=(5,)), pynn.layers.Dense(8, activation="relu"),
                             pynn.layers.BatchNormalization(), pynn.layers.Dense(3,
                                                                                 activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    model.fit(x, rng.integers(0, 3, 64), epochs=3, batch_size=16, verbose=0)
    return model, x


def test_keras_file_opens_in_keras_and_in_pynn(tmp_path):
    keras = keras_or_skip()
    model, x = trained_model()
    path = str(tmp_path / "model.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a model Keras can rebuild: no warning
        model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5",
                                        "optimizer.npz", "pynn.json", "weights.npz"]
    kmodel = keras.saving.load_model(path)
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    again = pynn.load_model(path)
    assert again.optimizer.iterations == model.optimizer.iterations == 12
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_pynn_name_is_pynn_format_only(tmp_path):
    model, x = trained_model()
    model.save(str(tmp_path / "model.pynn"))
    with zipfile.ZipFile(tmp_path / "model.pynn") as z:
        assert sorted(z.namelist()) == ["config.json", "optimizer.npz", "weights.npz"]


def test_model_keras_cannot_rebuild_warns_and_keeps_pynn_format(tmp_path):
    vectorize = pynn.layers.TextVectorization(vocabulary=["good", "bad"], output_sequence_length=3)
    text = pynn.Input(shape=(1,), dtype="string")
    model = pynn.Model(text, pynn.layers.Dense(1)(vectorize(text)))
    path = str(tmp_path / "text.keras")
    with pytest.warns(UserWarning, match="holds pynn's format only.*preprocessing layers "
                                         r"\(TextVectorization"):
        model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "weights.npz"]
    texts = np.array(["good bad", "bad"])
    np.testing.assert_array_equal(pynn.load_model(path).predict(texts, verbose=0),
                                  model.predict(texts, verbose=0))


def test_a_keras_file_with_a_foreign_member_is_refused(tmp_path):
    model, _ = trained_model()
    path = tmp_path / "model.keras"
    model.save(str(path))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("evil.py", b"import os")
    with pytest.raises(ValueError, match=r"unexpected member\(s\) \['evil.py'\]"):
        pynn.load_model(str(path))
