"""keras.utils' dataset functions and Progbar as pynn.utils (issue #13):
split_dataset, timeseries_dataset_from_array, image_dataset_from_directory,
text_dataset_from_directory, get_file (which downloads nothing) and Progbar.

References: the examples in Keras' docstrings (https://keras.io/api/data_loading/
timeseries/ — the indices example —, https://keras.io/api/data_loading/ and
https://keras.io/api/utils/python_utils/#progbar-class); Keras 3's own file
indexing (keras.src.utils.dataset_utils.index_directory and
get_training_or_validation_split, which need no TensorFlow) side by side for the
order and the split; keras.utils.Progbar side by side for its averages."""
import io
import os
import tarfile

import numpy as np
import pytest

import pynn
from pynn import layers, utils
from keras_ref import keras_or_skip


# ------------------------------------------------------------------ split_dataset
def test_split_dataset_as_keras_documents():
    data = np.random.default_rng(0).random((1000, 4))
    left, right = utils.split_dataset(data, left_size=0.8)          # keras.io's example
    assert len(left) == 800 and len(right) == 200
    np.testing.assert_array_equal(np.concatenate([left, right]), data)  # no shuffle: in order
    x, y = np.arange(10).reshape(10, 1), np.arange(10) * 2
    (lx, ly), (rx, ry) = utils.split_dataset((x, y), right_size=3, shuffle=True, seed=1)
    assert len(lx) == 7 and len(rx) == 3
    np.testing.assert_array_equal(ly, lx[:, 0] * 2)                 # pairs stay together
    assert sorted(lx[:, 0].tolist() + rx[:, 0].tolist()) == list(range(10))
    assert lx[:, 0].tolist() != list(range(7))                      # shuffled
    (a, b) = utils.split_dataset({"f": np.arange(4.0)}, left_size=1)
    assert a["f"].tolist() == [0.0] and b["f"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="split_dataset: give left_size or right_size"):
        utils.split_dataset(data)
    with pytest.raises(ValueError, match="left_size=2000 is not in"):
        utils.split_dataset(data, left_size=2000)
    with pytest.raises(ValueError, match="different lengths"):
        utils.split_dataset((x, y[:5]), left_size=0.5)


# ------------------------------------------------------------------ timeseries
def test_timeseries_windows_as_keras_documents():
    # keras.io: indices [0 .. 98], sequence_length=10, sampling_rate=2, sequence_stride=3
    ds = utils.timeseries_dataset_from_array(np.arange(99), None, sequence_length=10,
                                             sampling_rate=2, sequence_stride=3, batch_size=None)
    assert ds.x[0].tolist() == list(range(0, 20, 2))
    assert ds.x[1].tolist() == list(range(3, 23, 2))
    assert ds.x[2].tolist() == list(range(6, 26, 2))
    assert ds.x[-1].tolist() == list(range(78, 98, 2))
    # keras.io example 2: the target of a window is the value 10 steps after its start
    data = np.arange(100.0)
    ds = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10,
                                             batch_size=16)
    assert ds.x.shape == (81, 10) and len(ds) == 6
    np.testing.assert_array_equal(ds.y, ds.x[:, 0] + 10)
    first_x, first_y = next(iter(ds))
    assert first_x.shape == (16, 10) and first_y[0] == 10.0
    shuffled = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10,
                                                   shuffle=True, seed=3, batch_size=None)
    np.testing.assert_array_equal(shuffled.y, shuffled.x[:, 0] + 10)
    assert shuffled.x[:, 0].tolist() != ds.x[:, 0].tolist()
    assert sorted(shuffled.x[:, 0].tolist()) == ds.x[:, 0].tolist()
    part = utils.timeseries_dataset_from_array(data, None, 5, start_index=20, end_index=30,
                                               batch_size=None)
    assert part.x[0].tolist() == list(range(20, 25)) and part.x[-1].tolist() == list(range(25, 30))
    with pytest.raises(ValueError, match="sequence_length must be a positive int"):
        utils.timeseries_dataset_from_array(data, None, 0)


def test_fit_takes_a_timeseries_dataset():
    data = np.sin(np.arange(300) / 10.0).astype(np.float32)
    train = utils.timeseries_dataset_from_array(data[:-1, None], data[1:], sequence_length=8,
                                                batch_size=32)
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input((8, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(train, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    np.testing.assert_allclose(model.evaluate(train, verbose=0),
                               model.evaluate(train.x, train.y, batch_size=32, verbose=0), rtol=1e-6)
    assert model.predict(train, verbose=0).shape == (len(train.x), 1)
    with pytest.raises(ValueError, match="fit: y must not be given when x is a dataset"):
        model.fit(train, train.y, verbose=0)
    with pytest.raises(ValueError, match="batch_size must not be given when x is a dataset"):
        model.evaluate(train, batch_size=8, verbose=0)


# ------------------------------------------------------------------ from a directory
def _image_tree(root, per_class=5, size=(12, 9)):
    from PIL import Image
    rng = np.random.default_rng(0)
    colors = {"cats": (250, 10, 10), "dogs": (10, 250, 10), "owls": (10, 10, 250)}
    for cls, color in colors.items():
        os.makedirs(os.path.join(root, cls, "more"))
        for i in range(per_class):
            sub = "more" if i % 2 else ""
            img = np.clip(np.array(color) + rng.integers(-5, 5, (size[1], size[0], 3)), 0, 255)
            Image.fromarray(img.astype(np.uint8)).save(os.path.join(root, cls, sub, f"{i}.png"))
    with open(os.path.join(root, "cats", "notes.txt"), "w") as f:
        f.write("not an image")
    return colors


def test_image_dataset_reads_labels_and_pixels(tmp_path):
    pytest.importorskip("PIL")
    colors = _image_tree(str(tmp_path))
    ds = utils.image_dataset_from_directory(str(tmp_path), image_size=(6, 4), batch_size=4,
                                            shuffle=False, verbose=False)
    assert ds.class_names == ["cats", "dogs", "owls"]
    assert ds.x.shape == (15, 6, 4, 3) and ds.x.dtype == np.float32 and len(ds) == 4
    assert ds.y.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    for img, label in zip(ds.x, ds.y):  # each image keeps its class colour (+-5 noise)
        np.testing.assert_allclose(img.mean((0, 1)), colors[ds.class_names[label]], atol=5)
    gray = utils.image_dataset_from_directory(str(tmp_path), image_size=(9, 12), color_mode="grayscale",
                                              label_mode="categorical", shuffle=False, verbose=False)
    assert gray.x.shape == (15, 9, 12, 1) and gray.y.shape == (15, 3)
    np.testing.assert_array_equal(gray.y.argmax(1), ds.y)
    # no resize needed: Pillow's pixels as they are
    from PIL import Image
    first = np.asarray(Image.open(gray.file_paths[0]).convert("L"), np.float32)
    np.testing.assert_array_equal(gray.x[0, :, :, 0], first)
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes"):
        utils.image_dataset_from_directory(str(tmp_path), label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="shuffling with a validation_split needs a seed"):
        utils.image_dataset_from_directory(str(tmp_path), validation_split=0.2, subset="training",
                                           verbose=False)
    with pytest.raises(ValueError, match="directory .* does not exist"):
        utils.image_dataset_from_directory(str(tmp_path / "nope"))


def test_file_order_and_split_match_keras(tmp_path):
    pytest.importorskip("PIL")
    keras_or_skip()
    from keras.src.utils import dataset_utils as kd  # pure Python / NumPy: no TensorFlow needed
    _image_tree(str(tmp_path))
    paths, labels, names = kd.index_directory(str(tmp_path), "inferred",
                                              formats=(".bmp", ".gif", ".jpeg", ".jpg", ".png"),
                                              shuffle=True, seed=42, verbose=False)
    kpaths, klabels = kd.get_training_or_validation_split(paths, labels, 0.2, "validation")
    train, val = utils.image_dataset_from_directory(str(tmp_path), image_size=(4, 4), seed=42,
                                                    validation_split=0.2, subset="both",
                                                    verbose=False)
    assert val.file_paths == list(kpaths) and val.y.tolist() == list(klabels)
    assert train.file_paths == list(paths[:len(paths) - len(kpaths)])
    assert val.class_names == names


def test_a_model_learns_from_image_datasets(tmp_path):
    pytest.importorskip("PIL")
    _image_tree(str(tmp_path), per_class=8)
    train, val = utils.image_dataset_from_directory(str(tmp_path), image_size=(8, 8), seed=1,
                                                    validation_split=0.25, subset="both",
                                                    batch_size=6, verbose=False)
    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input((8, 8, 3)), layers.Rescaling(1 / 255.0),
                             layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=pynn.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(train, validation_data=val, epochs=30, verbose=0)
    assert hist.history["val_accuracy"][-1] == 1.0  # pure colours: the classes are separable
    images, labels = next(iter(val.take(1)))
    assert images.shape[0] == min(6, len(val.x)) and labels.shape == (images.shape[0],)


def test_text_dataset(tmp_path):
    texts = {"neg": ["awful movie", "boring plot"], "pos": ["great acting", "loved it", "superb"]}
    for cls, items in texts.items():
        os.makedirs(tmp_path / cls)
        for i, t in enumerate(items):
            (tmp_path / cls / f"{i}.txt").write_text(t, encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("not a text file")
    ds = utils.text_dataset_from_directory(str(tmp_path), shuffle=False, verbose=False)
    assert ds.x.tolist() == texts["neg"] + texts["pos"] and ds.y.tolist() == [0, 0, 1, 1, 1]
    short = utils.text_dataset_from_directory(str(tmp_path), shuffle=False, max_length=4,
                                              label_mode="binary", verbose=False)
    assert short.x.tolist() == ["awfu", "bori", "grea", "love", "supe"]
    assert short.y.dtype == np.float32 and short.y[:, 0].tolist() == [0, 0, 1, 1, 1]
    only = utils.text_dataset_from_directory(str(tmp_path), labels=None, shuffle=False, verbose=False)
    assert only.y is None and len(only.x) == 5 and next(iter(only)).tolist() == ds.x.tolist()
    mixed = utils.text_dataset_from_directory(str(tmp_path), seed=5, verbose=False)
    assert sorted(mixed.x.tolist()) == sorted(ds.x.tolist())
    for text, label in zip(mixed.x, mixed.y):  # labels follow their files through the shuffle
        assert text in texts[mixed.class_names[label]]


# ------------------------------------------------------------------ get_file
def test_get_file_finds_the_cache_and_downloads_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    origin = "https://storage.example.org/data/flowers.tgz"
    with pytest.raises(FileNotFoundError, match="pynn downloads nothing.*flowers.tgz"):
        utils.get_file(origin=origin)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "table.csv").write_text("a,b\n1,2\n")
    path = utils.get_file("table.csv", origin="https://x.org/table.csv")
    assert path == str(tmp_path / "datasets" / "table.csv")
    import hashlib
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert utils.get_file("table.csv", origin="https://x.org/t", file_hash=digest) == path
    with pytest.raises(ValueError, match="does not have the sha256 hash"):
        utils.get_file("table.csv", origin="https://x.org/t", file_hash="0" * 64)
    # an archive extracted next to it, under Keras' name
    archive = tmp_path / "datasets" / "flowers.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("flowers/rose.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"rose"))
    folder = utils.get_file("flowers.tgz", origin=origin, extract=True)
    assert folder == str(tmp_path / "datasets" / "flowers_extracted")
    assert open(os.path.join(folder, "flowers", "rose.txt")).read() == "rose"
    with pytest.raises(ValueError, match="force_download=True asks for a download"):
        utils.get_file("table.csv", origin=origin, force_download=True)


def test_get_file_refuses_an_archive_member_outside_its_folder(tmp_path):
    (tmp_path / "datasets").mkdir()
    with tarfile.open(tmp_path / "datasets" / "evil.tar", "w") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="get_file: archive member refused"):
        utils.get_file("evil.tar", origin="https://x.org/evil.tar", extract=True,
                       cache_dir=str(tmp_path))
    assert not (tmp_path / "escaped.txt").exists()


# ------------------------------------------------------------------ Progbar
def test_progbar_averages_as_keras():
    keras = keras_or_skip()
    steps = [(1, [("loss", 4.0), ("acc", 0.1)]), (3, [("loss", 1.0), ("acc", 0.5)]),
             (4, [("loss", 2.0), ("acc", 0.7)])]
    for kwargs in ({}, {"stateful_metrics": ["acc"]}, {"stateless_metrics": ["loss"]}):
        theirs = keras.utils.Progbar(10, verbose=0, **kwargs)
        ours = utils.Progbar(10, verbose=0, **kwargs)
        for current, values in steps:
            theirs.update(current, values)
            ours.update(current, values)
        for name in ("loss", "acc"):
            total, count = theirs._values[name]
            assert ours.average(name) == pytest.approx(total / count), (kwargs, name)
    bar = utils.Progbar(10, verbose=0)
    for current, values in steps:
        bar.update(current, values)
    assert bar.average("loss") == pytest.approx(2.0)  # (4 * 1 + 1 * 2 + 2 * 1) / 4 steps
    with pytest.raises(ValueError, match="stateful_metrics or stateless_metrics, not both"):
        utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
