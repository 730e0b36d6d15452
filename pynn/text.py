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
import re
import zlib

import numpy as np

from ._fileio import open_regular
from .layers.host import HostLayer

__all__ = ["TextVectorization", "pad_sequences", "load_word_vectors"]

# Keras' DEFAULT_STRIP_REGEX: ASCII punctuation (the ',-.' inside is a range).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
PAD_TOKEN, OOV_TOKEN = "", "[UNK]"

# English function words: articles, pronouns, prepositions, conjunctions,
# auxiliaries and common contractions. Negations (no, not, nor, never, none,
# nothing, the n't contractions, cannot) are deliberately absent: dropping them
# turns "not good" into "good". Contractions whose stripped form is another word
# ("we'll" -> "well", "he'll" -> "hell", "i'll" -> "ill") are left out too.
ENGLISH_STOP_WORDS = frozenset("""
a an the
i me my myself we us our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves
this that these those who whom whose which what
am is are was were be been being have has had having do does did doing
will would shall should can could may might must
and but or if because as until while so than though although
of at by for with about between into through during before after above below to from
up down in out on off over under again further then once here there when where why how
all any both each more most other some such own same very just also
i'm i've you're you've you'd you'll he's she's it's we're we've they're they've they'd
that's there's what's who's let's
""".split())


def _lower_and_strip(text):
    return _PUNCTUATION.sub("", text.lower())


_STANDARDIZE = {
    "lower_and_strip_punctuation": _lower_and_strip,
    "lower": str.lower,
    "strip_punctuation": lambda text: _PUNCTUATION.sub("", text),
}
_SPLIT = {"whitespace": str.split, "character": list}


class TextVectorization(HostLayer):
    """Turns strings into integer token sequences (Keras' TextVectorization, ``output_mode="int"``).

    Each string is standardized, split into tokens, stripped of stop words, and
    every token looked up in the vocabulary: index 0 is padding (``''``), 1 is
    out-of-vocabulary (``'[UNK]'``). ``adapt(texts)`` builds the vocabulary from
    data: tokens by falling frequency, ties broken by reverse string order
    (Keras' rule). Calling it returns an int64 array ``(batch, length)``; feed it
    to an `Embedding` layer. It runs in Python (text is not numeric work):
    vectorize the data once before ``fit``, or put the layer first in a model
    on ``pynn.Input(shape=(1,), dtype="string")`` so that the model (saved,
    loaded and served with its vocabulary) takes raw strings.

    Parameters
    ----------
    max_tokens : int, optional
        The vocabulary's maximum size, the two special tokens included.
    standardize : str, callable or None, default "lower_and_strip_punctuation"
        "lower_and_strip_punctuation", "lower", "strip_punctuation", None, or a
        function ``str -> str``.
    split : str, callable or None, default "whitespace"
        "whitespace", "character", None (the whole string is one token), or a
        function ``str -> list of str``.
    ngrams : None
        Not supported (a value raises).
    output_mode : "int"
        Only "int" is supported.
    output_sequence_length : int, optional
        Pad with 0 or truncate every row (at the end) to this length; default:
        pad to the longest row of the call.
    vocabulary : list of str or path, optional
        A fixed vocabulary (or a file with one token a line) instead of ``adapt``.
    encoding : str, default "utf-8"
        Encoding of bytes inputs and vocabulary files.
    stop_words : None, "english" or list of str
        Tokens to drop; they are standardized like the text.
    name : str, optional
        The layer's name.

    Raises
    ------
    ValueError
        An unsupported option or a bad value (named).

    Examples
    --------
    >>> vectorize = pynn.layers.TextVectorization(output_sequence_length=4)
    >>> vectorize.adapt(["the cat sat", "the dog sat down", "The cat!"])
    >>> vectorize.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'cat', 'down', 'dog']
    >>> vectorize(["the cat ran"])  # 'ran' is unknown, then padding
    array([[2, 4, 1, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 vocabulary=None, encoding="utf-8", stop_words=None, name=None, trainable=True):
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens < 2):
            raise ValueError(f"TextVectorization: max_tokens must be None or an int > 1 (the two "
                             f"special tokens count), got {max_tokens!r}")
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"TextVectorization: standardize must be one of {sorted(_STANDARDIZE)}, "
                             f"None or a callable, got {standardize!r}")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"TextVectorization: split must be one of {sorted(_SPLIT)}, None or a "
                             f"callable, got {split!r}")
        if ngrams is not None:
            raise ValueError("TextVectorization: ngrams are not supported (ngrams=None only)")
        if output_mode != "int":
            raise ValueError(f"TextVectorization: only output_mode='int' is supported, got "
                             f"{output_mode!r}")
        if output_sequence_length is not None and (not _is_int(output_sequence_length)
                                                   or output_sequence_length < 1):
            raise ValueError(f"TextVectorization: output_sequence_length must be None or a positive "
                             f"int, got {output_sequence_length!r}")
        super().__init__(name=name, trainable=trainable)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize, self.split = standardize, split
        self.output_mode = output_mode
        self.output_sequence_length = (None if output_sequence_length is None
                                       else int(output_sequence_length))
        self.encoding = encoding
        self._stop_spec = stop_words
        self._stop = self._stop_set(stop_words)
        self._vocab = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    # ------------------------------------------------------------ tokens
    def _stop_set(self, stop_words):
        if stop_words is None:
            return frozenset()
        if isinstance(stop_words, str):
            if stop_words != "english":
                raise ValueError(f"TextVectorization: stop_words must be None, 'english' or a list "
                                 f"of strings, got {stop_words!r}")
            stop_words = ENGLISH_STOP_WORDS
        words = list(stop_words)
        bad = [w for w in words if not isinstance(w, str)]
        if bad:
            raise TypeError(f"TextVectorization: stop_words must be strings, got {bad[0]!r}")
        std = self._standardize_fn()
        return frozenset(std(w) for w in words)

    def _standardize_fn(self):
        s = self.standardize
        return (lambda t: t) if s is None else (_STANDARDIZE[s] if isinstance(s, str) else s)

    def _text(self, item, where):
        if isinstance(item, bytes):
            return item.decode(self.encoding)
        if isinstance(item, (str, np.str_)):
            return str(item)
        raise TypeError(f"TextVectorization '{self.name}': expected strings, got "
                        f"{type(item).__name__} {item!r:.60} at {where}")

    def tokenize(self, text):
        """Returns the tokens of one string after standardization, splitting and stop words.

        Parameters
        ----------
        text : str or bytes
            One string.

        Returns
        -------
        list of str

        Raises
        ------
        TypeError
            Not a string, or a custom standardize that returns something else.

        Examples
        --------
        >>> pynn.layers.TextVectorization().tokenize("It's the CAT!")
        ['its', 'the', 'cat']
        """
        text = self._standardize_fn()(self._text(text, "the input"))
        if not isinstance(text, str):
            raise TypeError(f"TextVectorization '{self.name}': standardize must return a str, got "
                            f"{type(text).__name__}")
        s = self.split
        tokens = [text] if s is None else (_SPLIT[s] if isinstance(s, str) else s)(text)
        return [t for t in tokens if t not in self._stop]

    def _strings(self, data, what):
        if isinstance(data, (str, bytes)):
            raise TypeError(f"TextVectorization '{self.name}'.{what} expects a collection of "
                            f"strings, got a single string (wrap it in a list)")
        if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[1] == 1:
            data = data[:, 0]  # Keras' (batch, 1) string input
        if isinstance(data, np.ndarray) and data.ndim != 1:
            raise ValueError(f"TextVectorization '{self.name}'.{what} expects a 1-D array of "
                             f"strings (or shape (batch, 1)), got shape {data.shape}")
        try:
            items = list(data)
        except TypeError:
            raise TypeError(f"TextVectorization '{self.name}'.{what} expects a collection of "
                            f"strings, got {type(data).__name__}") from None
        # Keras also takes [["text"], ...] (shape (batch, 1))
        items = [x[0] if isinstance(x, (list, tuple, np.ndarray)) and len(x) == 1 else x
                 for x in items]
        return [self._text(x, f"index {i}") for i, x in enumerate(items)]

    # ------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from a collection of strings (replacing any).

        Parameters
        ----------
        data : list, tuple or array of str
            The texts (a ``(batch, 1)`` array works too; a lone string raises).
        batch_size, steps
            Accepted for Keras compatibility.

        Raises
        ------
        TypeError
            A single string or a non-string item.

        Examples
        --------
        >>> vectorize = pynn.layers.TextVectorization(max_tokens=4)
        >>> vectorize.adapt(["a b b c c c"])
        >>> vectorize.get_vocabulary()  # the two most frequent tokens fit
        ['', '[UNK]', 'c', 'b']
        """
        counts = collections.Counter()
        for text in self._strings(data, "adapt"):
            counts.update(self.tokenize(text))
        counts.pop(PAD_TOKEN, None)
        counts.pop(OOV_TOKEN, None)
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:self.max_tokens - 2]
        self._set([t for t, _ in ranked])

    def _set(self, tokens):
        self._vocab = [PAD_TOKEN, OOV_TOKEN] + list(tokens)
        self._index = {t: i for i, t in enumerate(self._vocab)}

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary from a list of tokens or a file with one token a line.

        ``''`` and ``'[UNK]'`` are added in front unless the list starts with them.

        Parameters
        ----------
        vocabulary : list of str or path
            The tokens, most frequent first.
        idf_weights : None
            Only for tf-idf output, which is not supported (a value raises).

        Raises
        ------
        ValueError
            An empty or repeating vocabulary, a misplaced special token, or more
            than max_tokens entries.

        Examples
        --------
        >>> vectorize = pynn.layers.TextVectorization()
        >>> vectorize.set_vocabulary(["cat", "dog"])
        >>> vectorize(["dog cat bird"])
        array([[3, 2, 1]])
        """
        if idf_weights is not None:
            raise ValueError("TextVectorization: idf_weights only apply to output_mode='tf_idf', "
                             "which is not supported")
        if isinstance(vocabulary, (str, os.PathLike)):
            raw, _ = open_regular(vocabulary, "vocabulary file")  # a FIFO would hang
            with io.TextIOWrapper(raw, encoding=self.encoding) as f:
                vocabulary = [line.rstrip("\r\n") for line in f]
        tokens = [self._text(t, f"vocabulary index {i}") for i, t in enumerate(vocabulary)]
        if not tokens:
            raise ValueError("TextVectorization: cannot set an empty vocabulary")
        if tokens[:2] == [PAD_TOKEN, OOV_TOKEN]:
            tokens = tokens[2:]
        for special in (PAD_TOKEN, OOV_TOKEN):
            if special in tokens:
                raise ValueError(f"TextVectorization: the reserved token {special!r} may only appear "
                                 f"at the start of the vocabulary, as ['', '[UNK]', ...]")
        repeated = sorted(t for t, c in collections.Counter(tokens).items() if c > 1)
        if repeated:
            raise ValueError(f"TextVectorization: the vocabulary repeats {repeated[:5]}")
        if self.max_tokens is not None and len(tokens) + 2 > self.max_tokens:
            raise ValueError(f"TextVectorization: the vocabulary has {len(tokens) + 2} entries "
                             f"(with '' and '[UNK]'), more than max_tokens={self.max_tokens}")
        self._set(tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """Returns the vocabulary, index order (``''`` and ``'[UNK]'`` first).

        Parameters
        ----------
        include_special_tokens : bool, default True
            Include ``''`` and ``'[UNK]'``.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            No vocabulary yet.

        Examples
        --------
        >>> vectorize = pynn.layers.TextVectorization(vocabulary=["cat", "dog"])
        >>> vectorize.get_vocabulary(include_special_tokens=False)
        ['cat', 'dog']
        """
        self._require_vocabulary("get_vocabulary")
        return list(self._vocab if include_special_tokens else self._vocab[2:])

    def vocabulary_size(self):
        """Returns the number of tokens in the vocabulary, the special tokens included.

        Returns
        -------
        int

        Raises
        ------
        ValueError
            No vocabulary yet.

        Examples
        --------
        >>> pynn.layers.TextVectorization(vocabulary=["cat", "dog"]).vocabulary_size()
        4
        """
        self._require_vocabulary("vocabulary_size")
        return len(self._vocab)

    def _require_vocabulary(self, what):
        if self._vocab is None:
            raise ValueError(f"TextVectorization '{self.name}' has no vocabulary yet: call "
                             f"adapt(texts) or pass vocabulary= before {what}()")

    # ------------------------------------------------------------ call
    def host_call(self, inputs):
        self._require_vocabulary("calling it")
        single = isinstance(inputs, (str, bytes, np.str_))
        texts = [self._text(inputs, "the input")] if single else self._strings(inputs, "__call__")
        ids = [[self._index.get(t, 1) for t in self.tokenize(text)] for text in texts]
        length = self.output_sequence_length
        if length is None:
            length = max((len(r) for r in ids), default=0)
        out = np.zeros((len(ids), length), np.int64)
        for i, row in enumerate(ids):
            row = row[:length]
            out[i, :len(row)] = row
        return out[0] if single else out

    def compute_output_shape(self, input_shape):
        if len(input_shape) > 2 or (len(input_shape) == 2 and input_shape[1] != 1):
            raise ValueError(f"TextVectorization '{self.name}' takes one string per sample "
                             f"(per-sample shape () or (1,)), got batch shape "
                             f"{tuple(input_shape)}")
        return (input_shape[0], self.output_sequence_length)

    def get_config(self):
        """Returns the layer's configuration, vocabulary included (JSON-serialisable).

        Returns
        -------
        dict

        Examples
        --------
        >>> config = pynn.layers.TextVectorization(vocabulary=["cat"]).get_config()
        >>> config["vocabulary"], config["output_mode"]
        (['', '[UNK]', 'cat'], 'int')
        """
        return {"name": self.name, "trainable": self.trainable, "max_tokens": self.max_tokens, "standardize": self.standardize,
                "split": self.split, "ngrams": None, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "vocabulary": None if self._vocab is None else list(self._vocab),
                "encoding": self.encoding,
                "stop_words": (self._stop_spec if self._stop_spec in (None, "english")
                               else sorted(self._stop_spec))}

    @classmethod
    def from_config(cls, config):
        """Creates the layer from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            The configuration.

        Returns
        -------
        TextVectorization

        Examples
        --------
        >>> layer = pynn.layers.TextVectorization(vocabulary=["cat"])
        >>> pynn.layers.TextVectorization.from_config(layer.get_config())(["cat"])
        array([[2]])
        """
        return cls(**config)

    def __repr__(self):
        size = "not adapted" if self._vocab is None else f"vocabulary_size={len(self._vocab)}"
        return f"<TextVectorization name={self.name}, {size}>"


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
