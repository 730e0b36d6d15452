"""TextVectorization: Keras' tokenizer layer (standardize -> split -> vocabulary
lookup), with an optional stop-word filter; public as pynn.layers.TextVectorization
and pynn.text.TextVectorization. A host layer (pynn/layers/host.py): it runs in
NumPy, on texts before a model or as the first layer of a model on
``pynn.Input(shape=(1,), dtype="string")``. It lives in pynn.layers so that
importing pynn.text and pynn.layers in either order meets no import cycle."""
import collections
import io
import os
import re

import numpy as np

from .._fileio import open_regular
from .host import HostLayer

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
