"""keras.utils' dataset functions for pynn: split_dataset,
timeseries_dataset_from_array, image_dataset_from_directory,
text_dataset_from_directory, and get_file (which downloads nothing).

Keras returns ``tf.data.Dataset`` objects; pynn's fit takes whole arrays, so
these return an `ArrayDataset` (pynn/dataset.py) holding the arrays and the
batch size: ``model.fit(train_ds, validation_data=val_ds)`` and ``for x, y in
ds.take(1)`` work as in Keras programs. Everything is read into memory.

Files are listed and shuffled exactly as Keras lists and shuffles them
(keras/src/utils/dataset_utils.py, ``index_directory``): class folders in sorted
order, files sorted within them, shuffled by ``np.random.RandomState(seed)``;
so the same seed gives the same samples in the same order, and the same
training / validation split."""
import hashlib
import numbers
import os
import tarfile
import urllib.parse
import zipfile

import numpy as np

from .dataset import ArrayDataset

__all__ = ["split_dataset", "timeseries_dataset_from_array", "image_dataset_from_directory",
           "text_dataset_from_directory", "get_file"]

_IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


# ------------------------------------------------------------------ split_dataset
def _split_sizes(left_size, right_size, total):
    """Keras' _rescale_dataset_split_sizes: fractions are rounded, the missing side is the rest."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give left_size or right_size (or both)")
    sizes = []
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            sizes.append(None)
        elif isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise TypeError(f"split_dataset: {name} must be an int, a float or None, got {size!r}")
        elif isinstance(size, numbers.Integral):
            if not 0 <= size <= total:
                raise ValueError(f"split_dataset: {name}={size} is not in [0, {total}] "
                                 f"(the dataset has {total} samples)")
            sizes.append(int(size))
        else:
            if not 0 < size < 1:
                raise ValueError(f"split_dataset: a float {name} must be in (0, 1), got {size}")
            sizes.append(round(size * total))
    left, right = sizes
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} exceeds the "
                         f"{total} samples")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: one side would be empty (left {left}, right {right} of "
                         f"{total} samples)")
    return left, right


def _rows_of(data):
    if isinstance(data, dict):
        return len(next(iter(data.values())))
    if isinstance(data, (list, tuple)):
        return len(data[0])
    return len(data)


def _pick(data, idx):
    if isinstance(data, dict):
        return {k: np.asarray(v)[idx] for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(np.asarray(v)[idx] for v in data)
    return np.asarray(data)[idx]


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left and a right part (``keras.utils.split_dataset``).

    Parameters
    ----------
    dataset : ndarray, tuple / list / dict of ndarray, or ArrayDataset
        The samples (arrays: samples first, all of one length).
    left_size : int or float, optional
        Samples (int) or fraction (float in (0, 1), rounded) of the left part.
    right_size : int or float, optional
        Likewise for the right part; the missing one is the rest.
    shuffle : bool, default False
        Split a shuffled order of the samples.
    seed : int, optional
        Seed of the shuffle.

    Returns
    -------
    tuple
        ``(left, right)``, each of the input's kind.

    Raises
    ------
    ValueError
        No size, sizes beyond the samples, a side left empty, or arrays of
        different lengths.

    Examples
    --------
    >>> left, right = pynn.utils.split_dataset(np.arange(10), left_size=0.8)
    >>> left.tolist(), right.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if isinstance(dataset, ArrayDataset):
        x, y = dataset.arrays()
        left, right = split_dataset(x if y is None else (x, y), left_size, right_size, shuffle,
                                    seed)
        make = (lambda d: ArrayDataset(d, None, dataset.batch_size, dataset.class_names)) \
            if y is None else (lambda d: ArrayDataset(d[0], d[1], dataset.batch_size,
                                                      dataset.class_names))
        return make(left), make(right)
    parts = list(dataset.values()) if isinstance(dataset, dict) else \
        list(dataset) if isinstance(dataset, (list, tuple)) else [dataset]
    total = _rows_of(dataset)
    if any(len(p) != total for p in parts):
        raise ValueError(f"split_dataset: the arrays have different lengths "
                         f"{[len(p) for p in parts]}")
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    return _pick(dataset, order[:left]), _pick(dataset, order[left:left + right])


# ------------------------------------------------------------------ timeseries
def _positive_int(what, name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{what}: {name} must be a positive int, got {value!r}")
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Sliding windows over a time series (``keras.utils.timeseries_dataset_from_array``).

    Window i covers ``data[s, s + r, ..., s + (sequence_length - 1) * r]`` with
    ``s = start_index + i * sequence_stride`` and ``r = sampling_rate``; its
    target is ``targets[s]``, Keras' rule.

    Parameters
    ----------
    data : array_like
        ``(timesteps, ...)``.
    targets : array_like or None
        One target per timestep (None: windows only).
    sequence_length : int
        Timesteps per window.
    sequence_stride : int, default 1
        Timesteps between window starts.
    sampling_rate : int, default 1
        Timesteps between the samples of a window.
    batch_size : int or None, default 128
        Windows per batch (None: one batch).
    shuffle : bool, default False
        Shuffle the windows (``np.random.RandomState(seed)``, as Keras).
    seed : int, optional
        Seed of the shuffle.
    start_index, end_index : int, optional
        Only timesteps in ``[start_index, end_index)`` are used.

    Returns
    -------
    ArrayDataset
        ``x`` of shape ``(windows, sequence_length, ...)``, ``y`` the targets.

    Raises
    ------
    ValueError
        Non-positive lengths, strides or rates, or indices out of the data.

    Examples
    --------
    >>> ds = pynn.utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
    ...                                               sequence_stride=4, batch_size=None)
    >>> ds.x.tolist()
    [[0, 1, 2], [4, 5, 6]]
    """
    what = "timeseries_dataset_from_array"
    data = np.asarray(data)
    sequence_length = _positive_int(what, "sequence_length", sequence_length)
    sequence_stride = _positive_int(what, "sequence_stride", sequence_stride)
    sampling_rate = _positive_int(what, "sampling_rate", sampling_rate)
    batch_size = _positive_int(what, "batch_size", batch_size, allow_none=True)
    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    if not 0 <= start < len(data) or not start < end <= len(data):
        raise ValueError(f"{what}: start_index {start_index} and end_index {end_index} must "
                         f"satisfy 0 <= start < end <= {len(data)} (the data's length)")
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets) - start)
    starts = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    window = starts[:, None] + np.arange(sequence_length) * sampling_rate + start
    x = data[window] if len(starts) else np.zeros((0, sequence_length) + data.shape[1:],
                                                  data.dtype)
    y = None if targets is None else targets[starts + start]
    return ArrayDataset(x, y, batch_size)


# ------------------------------------------------------------------ from a directory
def _index_directory(what, directory, labels, formats, class_names, shuffle, seed, follow_links):
    """(file paths, int labels or None, class names), listed and shuffled as Keras does."""
    if not os.path.isdir(directory):
        raise ValueError(f"{what}: directory {directory!r} does not exist")
    if labels == "inferred":
        folders = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(folders):
                raise ValueError(f"{what}: class_names {class_names} are not among the folders "
                                 f"{folders}")
            folders = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{what}: class_names can only be given with labels='inferred'")
        folders = [""]
    paths, found = [], []
    for index, folder in enumerate(folders):
        root_dir = os.path.join(directory, folder)
        for root, _, files in sorted(os.walk(root_dir, followlinks=follow_links),
                                     key=lambda w: w[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    found.append(index)
    if labels == "inferred":
        names, labels = folders, np.asarray(found, np.int64)
    elif labels is None:
        names = None
    else:
        labels = np.asarray(labels)
        if len(labels) != len(paths):
            raise ValueError(f"{what}: {len(labels)} labels for the {len(paths)} files found in "
                             f"{directory!r}")
        names = [str(v) for v in sorted(set(labels.tolist()))]
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def _subset(what, paths, labels, validation_split, subset, shuffle, seed):
    """Keras' get_training_or_validation_split: the last fraction is validation."""
    if validation_split is None:
        if subset is not None:
            raise ValueError(f"{what}: subset needs validation_split")
        return [(paths, labels)]
    if not 0 < validation_split < 1:
        raise ValueError(f"{what}: validation_split must be in (0, 1), got {validation_split}")
    if subset not in ("training", "validation", "both"):
        raise ValueError(f"{what}: with validation_split, subset must be 'training', "
                         f"'validation' or 'both', got {subset!r}")
    if shuffle and seed is None:
        raise ValueError(f"{what}: shuffling with a validation_split needs a seed (so that the "
                         "training and validation calls shuffle alike), as in Keras")
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    train = (paths[:cut], None if labels is None else labels[:cut])
    val = (paths[cut:], None if labels is None else labels[cut:])
    return {"training": [train], "validation": [val], "both": [train, val]}[subset]


def _encode_labels(what, labels, label_mode, names):
    if labels is None or label_mode is None:
        return None
    if label_mode == "int":
        return labels.astype(np.int64)
    if label_mode == "categorical":
        return np.eye(len(names), dtype=np.float32)[labels.astype(np.int64)]
    if label_mode == "binary":
        if len(names) != 2:
            raise ValueError(f"{what}: label_mode='binary' needs exactly 2 classes, found "
                             f"{len(names)}: {names}")
        return labels.astype(np.float32).reshape(-1, 1)
    raise ValueError(f"{what}: label_mode must be 'int', 'categorical', 'binary' or None, got "
                     f"{label_mode!r}")


def _aspect_box(h, w, target_h, target_w, pad):
    """(top, left, height, width) of the crop (or the padded canvas) with the target's
    aspect ratio, centred, as Keras' crop_to_aspect_ratio / pad_to_aspect_ratio."""
    if pad:
        ph, pw = max(h, int(w * target_h / target_w)), max(w, int(h * target_w / target_h))
        return (ph - h) // 2, (pw - w) // 2, ph, pw
    ch, cw = min(h, int(w * target_h / target_w)), min(w, int(h * target_w / target_h))
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def _load_image(path, mode, size, interpolation, crop, pad):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("image_dataset_from_directory needs Pillow to read images: "
                          "pip install pillow") from None
    from .ops import resize
    with Image.open(path) as img:
        img = np.asarray(img.convert({"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}[mode]),
                         np.float32)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w = img.shape[:2]
    if crop:
        top, left, ch, cw = _aspect_box(h, w, *size, pad=False)
        img = img[top:top + ch, left:left + cw]
    elif pad:
        top, left, ph, pw = _aspect_box(h, w, *size, pad=True)
        canvas = np.zeros((ph, pw, img.shape[2]), np.float32)
        canvas[top:top + h, left:left + w] = img
        img = canvas
    if img.shape[:2] == tuple(size):
        return img
    return resize(img[None], tuple(size), interpolation=interpolation).numpy()[0]


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, verbose=True):
    """Images in class folders as a dataset (``keras.utils.image_dataset_from_directory``).

    ``directory/<class>/.../*.png`` (also bmp, gif, jpeg, jpg): each class a
    folder, classes in sorted order. Images are decoded with Pillow (an extra),
    converted to ``color_mode`` and resized to ``image_size`` with Keras' bilinear
    or nearest resize; values stay in [0, 255], float32.

    Parameters
    ----------
    directory : str
        The folder.
    labels : "inferred", None or list of int, default "inferred"
        From the folders, none, or one per file (in the sorted file order).
    label_mode : {"int", "categorical", "binary", None}, default "int"
        Integer labels, one-hot rows, a (n, 1) float column (2 classes), or none.
    class_names : list of str, optional
        The folders to use, in this order (default: all, sorted).
    color_mode : {"rgb", "grayscale", "rgba"}, default "rgb"
        3, 1 or 4 channels.
    batch_size : int or None, default 32
        Images per batch (None: one batch).
    image_size : tuple of 2 int, default (256, 256)
        ``(height, width)`` after resizing.
    shuffle : bool, default True
        Shuffle the files (as Keras: ``np.random.RandomState(seed)``).
    seed : int, optional
        Seed of the shuffle (needed with ``validation_split``).
    validation_split : float, optional
        The last fraction of the (shuffled) files is the validation set.
    subset : {"training", "validation", "both"}, optional
        Which part to return with ``validation_split`` ("both": a pair).
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        The resize method.
    follow_links : bool, default False
        Follow symbolic links to folders.
    crop_to_aspect_ratio : bool, default False
        Centre-crop to the target's aspect ratio before resizing.
    pad_to_aspect_ratio : bool, default False
        Pad with zeros, centred, to the target's aspect ratio before resizing.
    data_format : {None, "channels_last"}, optional
        Only channels-last images.
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    ArrayDataset or tuple of ArrayDataset
        ``x`` ``(n, height, width, channels)``, ``y`` the labels, and
        ``class_names``, ``file_paths``.

    Raises
    ------
    ValueError
        A missing directory, a bad mode or split, labels that do not match the
        files, or "binary" labels with other than 2 classes.
    ImportError
        Pillow is not installed.

    Examples
    --------
    >>> import tempfile, os
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for cls, value in (("cat", 0), ("dog", 255)):
    ...     os.makedirs(os.path.join(root, cls))
    ...     Image.new("RGB", (8, 6), (value, value, value)).save(os.path.join(root, cls, "a.png"))
    >>> ds = pynn.utils.image_dataset_from_directory(root, image_size=(4, 4), shuffle=False,
    ...                                              verbose=False)
    >>> ds.class_names, ds.x.shape, ds.y.tolist(), float(ds.x[1].max())
    (['cat', 'dog'], (2, 4, 4, 3), [0, 1], 255.0)
    """
    what = "image_dataset_from_directory"
    if color_mode not in ("rgb", "grayscale", "rgba"):
        raise ValueError(f"{what}: color_mode must be 'rgb', 'grayscale' or 'rgba', got "
                         f"{color_mode!r}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"{what}: interpolation must be 'bilinear' or 'nearest', got "
                         f"{interpolation!r}")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{what}: only data_format='channels_last' is supported, got "
                         f"{data_format!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{what}: crop_to_aspect_ratio and pad_to_aspect_ratio exclude each "
                         "other")
    size = tuple(int(v) for v in image_size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{what}: image_size must be (height, width), got {image_size!r}")
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{what}: labels must be 'inferred', None or a list, got {labels!r}")
    paths, found, names = _index_directory(what, directory, labels, _IMAGE_FORMATS, class_names,
                                           shuffle, seed, follow_links)
    if verbose:
        print(f"Found {len(paths)} files" + ("." if found is None else
                                             f" belonging to {len(names)} classes."))
    out = []
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}[color_mode]
    for part_paths, part_labels in _subset(what, paths, found, validation_split, subset,
                                           shuffle, seed):
        x = np.stack([_load_image(p, color_mode, size, interpolation, crop_to_aspect_ratio,
                                  pad_to_aspect_ratio) for p in part_paths]) if part_paths else \
            np.zeros((0,) + size + (channels,), np.float32)
        out.append(ArrayDataset(x, _encode_labels(what, part_labels, label_mode, names),
                                batch_size, names, list(part_paths)))
    return out[0] if len(out) == 1 else tuple(out)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                verbose=True):
    """Text files in class folders as a dataset (``keras.utils.text_dataset_from_directory``).

    ``directory/<class>/.../*.txt``: each class a folder, in sorted order; each
    file's text (UTF-8) is one sample, a Python str in an object array, which
    a model with ``Input(dtype="string")`` and TextVectorization takes.

    Parameters
    ----------
    directory : str
        The folder.
    labels : "inferred", None or list of int, default "inferred"
        From the folders, none, or one per file (in the sorted file order).
    label_mode : {"int", "categorical", "binary", None}, default "int"
        Integer labels, one-hot rows, a (n, 1) float column (2 classes), or none.
    class_names : list of str, optional
        The folders to use, in this order (default: all, sorted).
    batch_size : int or None, default 32
        Texts per batch (None: one batch).
    max_length : int, optional
        Keep at most this many characters of each text.
    shuffle : bool, default True
        Shuffle the files (as Keras: ``np.random.RandomState(seed)``).
    seed : int, optional
        Seed of the shuffle (needed with ``validation_split``).
    validation_split : float, optional
        The last fraction of the (shuffled) files is the validation set.
    subset : {"training", "validation", "both"}, optional
        Which part to return with ``validation_split`` ("both": a pair).
    follow_links : bool, default False
        Follow symbolic links to folders.
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    ArrayDataset or tuple of ArrayDataset
        ``x`` the texts, ``y`` the labels, and ``class_names``, ``file_paths``.

    Raises
    ------
    ValueError
        A missing directory, a bad mode or split, or labels that do not match
        the files.

    Examples
    --------
    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> for cls, text in (("neg", "bad film"), ("pos", "great film")):
    ...     os.makedirs(os.path.join(root, cls))
    ...     with open(os.path.join(root, cls, "1.txt"), "w") as f:
    ...         _ = f.write(text)
    >>> ds = pynn.utils.text_dataset_from_directory(root, shuffle=False, verbose=False)
    >>> ds.x.tolist(), ds.y.tolist(), ds.class_names
    (['bad film', 'great film'], [0, 1], ['neg', 'pos'])
    """
    what = "text_dataset_from_directory"
    max_length = _positive_int(what, "max_length", max_length, allow_none=True)
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{what}: labels must be 'inferred', None or a list, got {labels!r}")
    paths, found, names = _index_directory(what, directory, labels, (".txt",), class_names,
                                           shuffle, seed, follow_links)
    if verbose:
        print(f"Found {len(paths)} files" + ("." if found is None else
                                             f" belonging to {len(names)} classes."))
    out = []
    for part_paths, part_labels in _subset(what, paths, found, validation_split, subset,
                                           shuffle, seed):
        texts = []
        for p in part_paths:
            with open(p, encoding="utf-8") as f:
                texts.append(f.read()[:max_length] if max_length else f.read())
        x = np.empty(len(texts), dtype=object)
        x[:] = texts
        out.append(ArrayDataset(x, _encode_labels(what, part_labels, label_mode, names),
                                batch_size, names, list(part_paths)))
    return out[0] if len(out) == 1 else tuple(out)


# ------------------------------------------------------------------ get_file
def _file_hash(path, algorithm):
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _extract(archive, into):
    """Extracts a tar or zip archive without letting a member escape ``into``."""
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(into, filter="data")  # refuses absolute paths, '..', links out
            except tarfile.FilterError as e:
                raise ValueError(f"get_file: archive member refused: {e}") from None
        return True
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            root = os.path.realpath(into)
            for name in z.namelist():
                target = os.path.realpath(os.path.join(into, name))
                if os.path.commonpath([root, target]) != root:
                    raise ValueError(f"get_file: archive member {name!r} would be written "
                                     f"outside {into!r}")
            z.extractall(into)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of a file Keras would download (``keras.utils.get_file``); pynn
    downloads nothing.

    The file is looked for where Keras keeps it, ``<cache_dir>/<cache_subdir>/<fname>``
    (``cache_dir`` defaults to ``$KERAS_HOME`` or ``~/.keras``), so a file Keras
    downloaded before, or one placed there by hand, is found; its hash is
    checked when given. With ``extract`` (or ``untar``) the archive is unpacked
    next to it as Keras does (``<name>_extracted``), refusing members that
    would land outside that folder.

    Parameters
    ----------
    fname : str, optional
        The file's name (default: the last part of ``origin``'s path).
    origin : str
        The URL Keras would download from (named in the error).
    untar : bool, default False
        Extract a tar archive (legacy; as ``extract=True``).
    md5_hash : str, optional
        Legacy: the file's MD5.
    file_hash : str, optional
        The file's SHA-256 (64 hex digits) or MD5 (32).
    cache_subdir : str, default "datasets"
        The folder under ``cache_dir``.
    hash_algorithm : {"auto", "sha256", "md5"}, default "auto"
        The hash's kind ("auto": by its length).
    extract : bool, default False
        Extract the archive and return the folder.
    archive_format : {"auto", "tar", "zip"}, default "auto"
        The archive's kind.
    cache_dir : str, optional
        The cache's root.
    force_download : bool, default False
        Refused: pynn never downloads.

    Returns
    -------
    str
        The file's path, or the extracted folder's.

    Raises
    ------
    FileNotFoundError
        The file is not there (the message says where to put it).
    ValueError
        The file's hash differs, no ``origin``, a path as ``fname``, or
        ``force_download``.

    Examples
    --------
    >>> import tempfile, os
    >>> home = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(home, "datasets"))
    >>> with open(os.path.join(home, "datasets", "data.csv"), "w") as f:
    ...     _ = f.write("1,2\\n")
    >>> path = pynn.utils.get_file(origin="https://example.org/data.csv", cache_dir=home)
    >>> os.path.basename(path)
    'data.csv'
    """
    if origin is None:
        raise ValueError("get_file: origin (the URL Keras would download from) is required")
    if force_download:
        raise ValueError("get_file: force_download=True asks for a download; pynn downloads "
                         "nothing at run time")
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    datadir = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    given = fname
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: no file name in origin {origin!r}; give fname")
    if os.sep in fname:
        raise ValueError(f"get_file: fname must be a file name, not a path ({fname!r}); the folder "
                         "is cache_dir / cache_subdir")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    extract = extract or untar
    if extract and given and "." in fname:  # Keras' names for the archive and its folder
        target = os.path.join(datadir, fname)
        folder = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
    elif extract:
        target = os.path.join(datadir, fname + "_archive")
        folder = os.path.join(datadir, fname)
    else:
        target, folder = os.path.join(datadir, fname), None
    if not os.path.exists(target):
        if folder is not None and os.path.isdir(folder):
            return folder  # extracted before (the archive itself may be gone)
        raise FileNotFoundError(
            f"get_file: {target} is not there and pynn downloads nothing at run time. Fetch "
            f"{origin} yourself and save it as {target} (or pass cache_dir=)")
    if file_hash is not None:
        algorithm = hash_algorithm if hash_algorithm != "auto" else \
            ("sha256" if len(file_hash) == 64 else "md5")
        if algorithm not in ("sha256", "md5"):
            raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got "
                             f"{hash_algorithm!r}")
        if _file_hash(target, algorithm) != file_hash:
            raise ValueError(f"get_file: {target} does not have the {algorithm} hash {file_hash} "
                             "(incomplete or another version); replace it")
    if folder is None:
        return target
    if archive_format not in ("auto", "tar", "zip"):
        raise ValueError(f"get_file: archive_format must be 'auto', 'tar' or 'zip', got "
                         f"{archive_format!r}")
    kind_ok = archive_format == "auto" or (archive_format == "tar") == tarfile.is_tarfile(target)
    if not kind_ok or not _extract(target, folder):
        raise ValueError(f"get_file: {target} is not a {archive_format} archive "
                         "(tar or zip)")
    return folder
