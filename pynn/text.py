"""Text to integer sequences, and pretrained word vectors.

* `TextVectorization`: Keras' tokenizer (standardize -> split -> vocabulary
  lookup), plus an optional stop-word filter. Index 0 is the padding token ''
  and index 1 the out-of-vocabulary token '[UNK]', as in Keras.
* `pad_sequences`: keras.utils.pad_sequences.
* `load_word_vectors`: a word2vec / GloVe text file -> an Embedding matrix.

TextVectorization runs in Python and NumPy, never in the engine's graph (which
computes float32): use it on texts before the model, or as the first layer of a
model on ``pynn.Input(shape=(1,), dtype="string")``, whose host stage runs it on
the raw strings before the engine (pynn/layers/host.py)."""
import collections
import gzip
import io
import os
import zlib

import numpy as np

from ._fileio import open_regular
from .layers.text_vectorization import (ENGLISH_STOP_WORDS, OOV_TOKEN, PAD_TOKEN,  # noqa: F401
                                        TextVectorization)

__all__ = ["TextVectorization", "pad_sequences", "load_word_vectors"]


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


# ---------------------------------------------------------------- padding
def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) a list of sequences to one length: ``keras.utils.pad_sequences``.

    Longer sequences lose values at the start (``truncating="pre"``) or end;
    shorter ones are filled with ``value`` at the start (``padding="pre"``) or end.

    Parameters
    ----------
    sequences : list of sequences
        Token lists (or arrays of one shape per element).
    maxlen : int, optional
        The length (default: the longest sequence).
    dtype : str, default "int32"
        The result's dtype.
    padding : {"pre", "post"}, default "pre"
        Where to pad.
    truncating : {"pre", "post"}, default "pre"
        Where to cut.
    value : float, default 0.0
        The padding value.

    Returns
    -------
    numpy.ndarray
        ``(len(sequences), maxlen, ...)``.

    Raises
    ------
    ValueError
        A bad padding / truncating, or items that are not sequences.

    Examples
    --------
    >>> pynn.text.pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    >>> pynn.text.pad_sequences([[1, 2, 3], [4]], padding="post")
    array([[1, 2, 3],
           [4, 0, 0]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got {truncating!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences")
    lengths, sample_shape = [], None
    for i, s in enumerate(sequences):
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; item {i} is "
                             f"{type(s).__name__}: {s!r:.60}") from None
        if sample_shape is None and len(s):
            sample_shape = np.asarray(s).shape[1:]  # from the first non-empty one
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif not _is_int(maxlen) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or an int >= 0, got {maxlen!r}")
    if isinstance(value, str) and dtype is not object and not np.issubdtype(dtype, np.str_):
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the string value {value!r}; "
                         "use dtype=object for variable-length strings")
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: sequence {i} has elements of shape {kept.shape[1:]}, "
                             f"the first non-empty one has {sample_shape}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out


# ---------------------------------------------------------------- word vectors
def _open_text(path_or_file):
    """(lines, must_close) for a path (.gz read through gzip) or a text or binary
    file object (bytes lines are decoded as UTF-8)."""
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        raw, _ = open_regular(path, "word-vector file")  # a FIFO or /dev/zero is refused
        return _text_lines(raw, path.endswith(".gz")), True
    if hasattr(path_or_file, "read"):
        return (line.decode("utf-8") if isinstance(line, bytes) else line
                for line in path_or_file), False
    raise TypeError(f"load_word_vectors: expected a path or a file object, got "
                    f"{type(path_or_file).__name__}")


def _text_lines(raw, gz):
    # a generator, so that close() closes the text layer and the file under it
    # (gzip.open on a file object leaves that object open)
    with raw:
        with (gzip.open(raw, "rt", encoding="utf-8") if gz
              else io.TextIOWrapper(raw, encoding="utf-8")) as f:
            yield from f


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def load_word_vectors(path_or_file, vocabulary, embedding_dim=None, unknown="zeros", seed=None):
    """Reads word vectors (GloVe / word2vec text format) into an Embedding matrix.

    Row i of the result is the vector of ``vocabulary[i]``, so it plugs into
    ``Embedding(len(vocab), dim, weights=matrix)``. Words the file lacks (and
    ``'[UNK]'``) get zeros, or draws matching the loaded values' mean and
    standard deviation; ``''`` always gets zeros. Words may contain spaces (the
    last ``dim`` fields are the vector); the first occurrence of a word wins.

    Parameters
    ----------
    path_or_file : str, path or file
        A text file (``.gz`` is read compressed) or an open text stream.
    vocabulary : list of str or TextVectorization
        The tokens, in index order.
    embedding_dim : int, optional
        The dimension (default: the header or the first vector).
    unknown : {"zeros", "normal"}, default "zeros"
        How words missing from the file are filled.
    seed : int, optional
        Seed of the "normal" draws.

    Returns
    -------
    numpy.ndarray
        float32 ``(len(vocabulary), dim)``.

    Raises
    ------
    ValueError
        A line with another number of values (named), or bad arguments.
    TypeError
        A vocabulary that is a single string.

    Examples
    --------
    >>> import io
    >>> lines = ["cat 0.1 0.2", "dog 0.3 0.4"]
    >>> vectors = io.StringIO("\\n".join(lines))
    >>> pynn.text.load_word_vectors(vectors, ["", "[UNK]", "cat", "dog"])
    array([[0. , 0. ],
           [0. , 0. ],
           [0.1, 0.2],
           [0.3, 0.4]], dtype=float32)
    """
    if unknown not in ("zeros", "normal"):
        raise ValueError(f"load_word_vectors: unknown must be 'zeros' or 'normal', got {unknown!r}")
    if hasattr(vocabulary, "get_vocabulary"):
        vocabulary = vocabulary.get_vocabulary()
    if isinstance(vocabulary, (str, bytes)):
        raise TypeError("load_word_vectors: vocabulary must be a list of tokens, got a string")
    vocab = list(vocabulary)
    if embedding_dim is not None and (not _is_int(embedding_dim) or embedding_dim < 1):
        raise ValueError(f"load_word_vectors: embedding_dim must be a positive int, got "
                         f"{embedding_dim!r}")
    dim = None if embedding_dim is None else int(embedding_dim)
    wanted = collections.defaultdict(list)
    for i, w in enumerate(vocab):
        wanted[w].append(i)
    found = {}
    lines, must_close = _open_text(path_or_file)
    try:
        dim, n_vectors = _read_vectors(lines, wanted, found, dim)
    finally:
        if must_close:
            lines.close()
    if dim is None:
        raise ValueError("load_word_vectors: the file holds no vectors (and no embedding_dim was "
                         "given)")
    if n_vectors == 0 and embedding_dim is None:
        # only a word2vec header gave the dimension, and no line of the file backs
        # it: a 10-byte file must not make us allocate len(vocabulary) * 2e9 floats
        raise ValueError(f"load_word_vectors: the file holds no vectors, only a header declaring "
                         f"dimension {dim}; pass embedding_dim= to get an all-unknown matrix")
    matrix = np.zeros((len(vocab), dim), np.float32)
    if unknown == "normal" and found:
        values = np.stack(list(found.values()))
        rng = np.random.default_rng(seed)
        matrix[:] = rng.normal(values.mean(), values.std(), matrix.shape)
    for w, vec in found.items():
        matrix[wanted[w]] = vec
    matrix[[i for i, w in enumerate(vocab) if w == PAD_TOKEN]] = 0.0
    return matrix


def _read_vectors(lines, wanted, found, dim):
    """Streams the file, keeping the vectors of wanted words; returns the dimension."""
    lineno = n_vectors = 0
    try:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip()
            is_header = lineno == 1 and _is_header(line)
            dim = _read_line(line, lineno, wanted, found, dim)
            n_vectors += bool(line) and not is_header
    except (UnicodeDecodeError, EOFError, OSError, zlib.error) as e:
        if isinstance(e, UnicodeDecodeError):
            raise ValueError(f"load_word_vectors: line {lineno + 1} is not UTF-8 text (binary "
                             f"word2vec files are not supported: save the vectors in text "
                             f"format)") from None
        raise ValueError(f"load_word_vectors: the file cannot be read after line {lineno} "
                         f"({type(e).__name__}: {e}); it is damaged or truncated") from None
    return dim, n_vectors


def _is_header(line):
    fields = line.split(" ")
    return len(fields) == 2 and all(x.isdigit() for x in fields)


def _read_line(line, lineno, wanted, found, dim):
    if not line:
        return dim
    fields = line.split(" ")
    if lineno == 1 and _is_header(line):
        if len(fields[1]) > 9 or int(fields[1]) < 1:  # (no dimension has a billion values)
            raise ValueError(f"load_word_vectors: line 1 (the word2vec header) gives dimension "
                             f"{fields[1]:.20}, expected a positive int below 10**9")
        header_dim = int(fields[1])  # word2vec: "<count> <dim>"
        if dim is not None and header_dim != dim:
            raise ValueError(f"load_word_vectors: line 1 (the word2vec header) gives dimension "
                             f"{header_dim}, but embedding_dim={dim}")
        return header_dim
    if dim is None:
        dim = len(fields) - 1
        if dim < 1:
            raise ValueError(f"load_word_vectors: line {lineno} holds a word but no values")
    # the last dim fields are the vector; a word may contain spaces, but a
    # number just before the vector means the vector is longer than dim
    n_word = len(fields) - dim
    if n_word < 1 or (n_word > 1 and _is_number(fields[n_word - 1])):
        raise ValueError(f"load_word_vectors: line {lineno} has {len(fields) - 1} values after "
                         f"the word, expected dimension {dim}")
    word = " ".join(fields[:n_word])
    if word in wanted and word not in found:
        try:
            found[word] = np.array(fields[n_word:], dtype=np.float32)
        except ValueError:
            raise ValueError(f"load_word_vectors: line {lineno} (word {word!r:.40}) holds a "
                             f"value that is not a number") from None
    return dim
