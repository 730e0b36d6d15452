"""Hostile files of other tools given to pynn.load_model (session 8): Keras 3 .keras
zips and legacy Keras .h5 files. Each case failed before its fix: a CRC error escaped
as zipfile.BadZipFile, a zip bomb of model.weights.h5 was inflated whole (300 MB in
8 s for a 23-weight model), HDF5 external storage loaded another file's bytes as
weights without a word, an external link opened another file, a soft-link loop
raised RuntimeError, and strings, groups or odd variable names gave AttributeError /
bare ValueErrors naming no file; complex weights lost their imaginary part."""
import io
import os
import zipfile

import numpy as np
import pytest

import pynn
from pynn.export.keras_file import KerasFileError, save_keras
from tests.fuzz.corpus import keras_files

h5py = pytest.importorskip("h5py", reason="h5py (reading Keras files) is not installed")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("keras_corpus"))
    paths = []
    keras_files(folder, lambda name: (paths.append(os.path.join(folder, name)), paths[-1])[1])
    return {os.path.basename(p): p for p in paths}


@pytest.mark.parametrize("name, match", [
    ("keras_crc.keras", "model.weights.h5 cannot be read \\(Bad CRC-32"),
    ("keras_bomb.keras", "model.weights.h5 declares 16,789,\\d+ bytes, more than the "
                         "[\\d,]+ a model of 23 weight values can need"),
    ("keras_external_storage.keras", "dataset 'layers/dense/vars/0' keeps its values outside "
                                     "the file \\(external storage\\)"),
    ("keras_external_link.keras", "'layers/dense/vars/0' is an HDF5 ExternalLink"),
    ("keras_soft_link_loop.keras", "'layers/dense/vars/0' is an HDF5 SoftLink"),
    ("keras_strings.keras", "weight kernel has dtype \\|S2; weights must be real numbers"),
    ("keras_complex.keras", "weight kernel has dtype complex64; weights must be real numbers"),
    ("keras_group.keras", "weight kernel is a Group, not an array of weights"),
    ("keras_var_names.keras", "names its variables \\['1', 'zero'\\], not 0, 1"),
    ("keras_nan.keras", "non-finite"),
    ("h5_external_link.h5", "'model_weights/dense/kernel' is an HDF5 ExternalLink"),
    ("h5_external_storage.h5", "dataset 'model_weights/dense/kernel' keeps its values outside"),
])
def test_hostile_keras_file_is_a_clear_error_naming_it(corpus, name, match):
    with pytest.raises(KerasFileError, match=match) as e:
        pynn.load_model(corpus[name])
    assert corpus[name] in str(e.value)


def test_the_intact_file_of_the_corpus_loads(corpus):
    assert pynn.load_model(corpus["keras_ok.keras"]).predict(np.ones((2, 4)),
                                                             verbose=0).shape == (2, 2)


def test_a_member_named_outside_the_archive_is_never_written(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pynn.load_model(corpus["keras_member_dotdot.keras"])  # read, never extracted
    assert not os.path.exists(tmp_path.parent / "evil")
    assert os.listdir(tmp_path) == []


def test_the_bomb_is_refused_before_it_is_inflated(corpus, monkeypatch):
    read = []
    real = zipfile.ZipFile.read
    monkeypatch.setattr(zipfile.ZipFile, "read",
                        lambda self, name, pwd=None: (read.append(name), real(self, name, pwd))[1])
    with pytest.raises(KerasFileError, match="zip bomb"):
        pynn.load_model(corpus["keras_bomb.keras"])
    assert "model.weights.h5" not in read


def test_weights_of_a_large_model_are_within_the_bound(tmp_path):
    """The bomb bound leaves room for real files: a compiled Keras file may hold
    optimizer slots too (here: a wide model and a model.weights.h5 3x its weights)."""
    pynn.set_seed(1)
    model = pynn.Sequential([pynn.Input(shape=(64,)), pynn.layers.Dense(256),
                             pynn.layers.Dense(10)])
    path = str(tmp_path / "wide.keras")
    save_keras(model, path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buf = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buf, "r+") as f:  # optimizer variables, as a compiled Keras model saves
        for i, w in enumerate(model.weights):
            f[f"optimizer/vars/{2 * i}"] = np.zeros(w.shape, np.float32)
            f[f"optimizer/vars/{2 * i + 1}"] = np.zeros(w.shape, np.float32)
    members["model.weights.h5"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    loaded = pynn.load_model(path)
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
