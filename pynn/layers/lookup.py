"""Vocabulary lookups, as keras.layers.StringLookup and IntegerLookup: tokens to
indices (or to one_hot / multi_hot / count / tf_idf vectors), and back with
``invert=True``. Keras 3's index layout: [mask token (int output only)], then
``num_oov_indices`` OOV indices, then the vocabulary; several OOV indices are
chosen by FarmHash Fingerprint64 (strings, as Keras) or ``value % n`` (integers,
Keras' default ``oov_method="floormod"``). Run in NumPy as a model's host stage
(see pynn/layers/host.py)."""
import collections
import io
import math
import os

import numpy as np

from .._fileio import open_regular
from ._farmhash import fingerprint64
from .host import HostLayer, check_output_mode, encode, encoded_shape, is_int


class _IndexLookup(HostLayer):
    """What StringLookup and IntegerLookup share; subclasses convert tokens."""

    _kind = "token"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                 idf_weights, invert, output_mode, sparse, pad_to_max_tokens, oov_method, salt,
                 name, **kwargs):
        kwargs.pop("vocabulary_size", None)  # Keras' frozen size (derived from the vocabulary)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        who = type(self).__name__
        if max_tokens is not None and (not is_int(max_tokens) or max_tokens <= 1):
            raise ValueError(f"{who}: max_tokens must be None or an int > 1, got {max_tokens!r}")
        if not is_int(num_oov_indices) or num_oov_indices < 0:
            raise ValueError(f"{who}: num_oov_indices must be an int >= 0, got "
                             f"{num_oov_indices!r}")
        self.output_mode = check_output_mode(who, output_mode, binary_alias=True)
        if invert and self.output_mode != "int":
            raise ValueError(f"{who}: invert=True needs output_mode='int', got "
                             f"{self.output_mode!r}")
        if sparse:
            raise ValueError(f"{who}: sparse=True is not supported (pynn outputs dense arrays)")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{who}: pad_to_max_tokens=True needs max_tokens")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{who}: oov_method must be 'floormod' or 'farmhash', got "
                             f"{oov_method!r}")
        if salt is not None:
            raise ValueError(f"{who}: salt (SipHash OOV buckets) is not supported; use salt=None "
                             f"(FarmHash, Keras' default)")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf', got "
                             f"output_mode={self.output_mode!r}")
        if self.output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{who}: with a vocabulary and output_mode='tf_idf', give "
                             f"idf_weights too")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = None if mask_token is None else self._token(mask_token, "mask_token")
        self.oov_token = self._token(oov_token, "oov_token")
        self.invert = bool(invert)
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = None
        self._tokens = None       # the learned / given tokens, index order
        self._idf = None          # tf_idf weights over every index (specials included)
        self._has_input_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------ index layout
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def _require_vocabulary(self, what):
        if self._tokens is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' has no vocabulary yet: call "
                             f"adapt(data) or pass vocabulary= before {what}")

    def vocabulary_size(self):
        """Returns the number of indices: mask and OOV indices plus the vocabulary.

        Returns
        -------
        int

        Raises
        ------
        ValueError
            No vocabulary yet.

        Examples
        --------
        >>> pynn.layers.StringLookup(vocabulary=["a", "b"]).vocabulary_size()
        3
        """
        self._require_vocabulary("vocabulary_size()")
        return self._token_start() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """Returns the vocabulary in index order (mask and OOV tokens first).

        Parameters
        ----------
        include_special_tokens : bool, default True
            Include the mask and OOV tokens, so that a token's position is its index.

        Returns
        -------
        list

        Raises
        ------
        ValueError
            No vocabulary yet.

        Examples
        --------
        >>> layer = pynn.layers.StringLookup(vocabulary=["a", "b"], mask_token="")
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'a', 'b']
        """
        self._require_vocabulary("get_vocabulary()")
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        return (special if include_special_tokens else []) + list(self._tokens)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ------------------------------------------------------------ vocabulary
    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for tf_idf, the idf weights), replacing any.

        Parameters
        ----------
        vocabulary : list, array or path
            The tokens, most frequent first (a path: one token a line; StringLookup
            only). Mask and OOV tokens may lead it, in index order.
        idf_weights : list or array, optional
            One weight per vocabulary entry; required with output_mode="tf_idf".

        Raises
        ------
        ValueError
            An empty or repeating vocabulary, a misplaced mask or OOV token, more
            than max_tokens entries, or idf_weights that do not match.

        Examples
        --------
        >>> layer = pynn.layers.StringLookup()
        >>> layer.set_vocabulary(["x", "y"])
        >>> layer(np.array(["y", "z"]))
        array([2, 0])
        """
        who = f"{type(self).__name__} '{self.name}'"
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = [self._token(t, f"vocabulary index {i}")
                  for i, t in enumerate(np.asarray(vocabulary, dtype=object).reshape(-1))]
        if not tokens:
            raise ValueError(f"{who}: cannot set an empty vocabulary")
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        found_special = bool(special) and tokens[:len(special)] == special
        if found_special:
            tokens = tokens[len(special):]
        repeated = sorted(str(t) for t, c in collections.Counter(tokens).items() if c > 1)
        if repeated:
            raise ValueError(f"{who}: the vocabulary repeats {repeated[:5]}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{who}: the mask token {self.mask_token!r} may only lead the "
                             f"vocabulary, in the order {special}")
        if self.invert and self.oov_token in tokens:
            raise ValueError(f"{who}: the OOV token {self.oov_token!r} may only lead the "
                             f"vocabulary, in the order {special}")
        size = self._token_start() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{who}: the vocabulary has {size} entries (with mask and OOV "
                             f"indices), more than max_tokens={self.max_tokens}")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{who}: output_mode='tf_idf' needs idf_weights")
            idf = np.asarray(idf_weights, np.float64).reshape(-1)
            n_given = len(tokens) + (len(special) if found_special else 0)
            if idf.size != n_given:
                raise ValueError(f"{who}: idf_weights has {idf.size} values, the vocabulary "
                                 f"{n_given}")
            if not found_special:  # Keras: specials get the mean idf
                idf = np.concatenate([np.full(self._token_start(), idf.mean()), idf])
            self._idf = self._pad_idf(idf)
        elif idf_weights is not None:
            raise ValueError(f"{who}: idf_weights only apply to output_mode='tf_idf'")
        self._tokens = tokens
        self._index = {t: i + self._token_start() for i, t in enumerate(tokens)}

    def _pad_idf(self, idf):
        if self.pad_to_max_tokens:
            idf = np.concatenate([idf, np.zeros(max(0, self.max_tokens - idf.size))])
        return idf.astype(np.float32)

    def _read_vocabulary_file(self, path):
        raw, _ = open_regular(path, "vocabulary file")  # a FIFO would hang
        with io.TextIOWrapper(raw, encoding="utf-8") as f:
            lines = [line.rstrip("\r\n") for line in f]
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def adapt(self, data, batch_size=None, steps=None):
        """Builds the vocabulary from data: tokens by falling count, ties by falling token.

        Parameters
        ----------
        data : array_like
            Tokens of any shape (for tf_idf, each row is one document).
        batch_size, steps
            Accepted for Keras compatibility.

        Raises
        ------
        ValueError
            The layer was given a fixed vocabulary.
        TypeError
            Values of the wrong type (named).

        Examples
        --------
        >>> layer = pynn.layers.StringLookup()
        >>> layer.adapt(["b", "a", "b", "c", "c", "c"])
        >>> layer.get_vocabulary()
        ['[UNK]', 'c', 'b', 'a']
        """
        if self._has_input_vocabulary:
            raise ValueError(f"{type(self).__name__} '{self.name}': cannot adapt after setting a "
                             f"vocabulary with vocabulary= or set_vocabulary()")
        values = self._tokens_array(data, "adapt")
        if values.ndim == 0:
            values = values[None]
        docs = values.reshape(values.shape[0], -1) if values.ndim > 1 else values[None]
        counts = collections.Counter(values.reshape(-1).tolist())
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # Keras: np.lexsort((tokens, counts))[::-1], counts then tokens, both falling
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[:max(0, self.max_tokens - self._token_start())]
        tokens = [t for t, _ in ranked]
        self._tokens = tokens
        self._index = {t: i + self._token_start() for i, t in enumerate(tokens)}
        if self.output_mode == "tf_idf":
            in_docs = collections.Counter(t for row in docs for t in set(row.tolist()))
            n_docs = docs.shape[0]
            idf = np.array([math.log(1 + n_docs / (1 + in_docs[t])) for t in tokens])
            front = np.full(self._token_start(), idf.mean() if idf.size else 0.0)
            self._idf = self._pad_idf(np.concatenate([front, idf]))

    # ------------------------------------------------------------ call
    def host_call(self, inputs):
        who = f"{type(self).__name__} '{self.name}'"
        self._require_vocabulary("calling it")
        if self.invert:
            return self._invert(inputs, who)
        values = self._tokens_array(inputs, "input")
        flat = values.reshape(-1).tolist()
        out = np.empty(len(flat), np.int64)
        oov_start, n_oov = self._oov_start(), self.num_oov_indices
        missing = []
        for i, t in enumerate(flat):
            j = self._index.get(t)
            if j is None:
                if self.mask_token is not None and t == self.mask_token:
                    j = 0 if self.output_mode == "int" else -1  # other modes drop it
                elif n_oov == 0:
                    missing.append(t)
                    continue
                else:
                    j = oov_start + (0 if n_oov == 1 else self._oov_bucket(t, n_oov))
            out[i] = j
        if missing:
            raise ValueError(f"{who}: with num_oov_indices=0 every input must be in the "
                             f"vocabulary; found {missing[:5]} (set num_oov_indices=1)")
        out = out.reshape(values.shape)
        if self.output_mode == "int":
            return out
        return encode(who, out, self.output_mode, self._depth(), self._idf)

    def _invert(self, inputs, who):
        idx = np.asarray(inputs)
        if idx.dtype.kind not in "iu" and not (idx.dtype.kind == "f" and
                                               np.all(np.isfinite(idx)) and
                                               np.all(idx == np.round(idx))):
            raise TypeError(f"{who} (invert=True): expected integer indices, got {idx.dtype}")
        vocab = self.get_vocabulary()
        flat = [vocab[i] if 0 <= i < len(vocab) else self.oov_token
                for i in idx.astype(np.int64).reshape(-1).tolist()]
        return self._invert_array(flat, idx.shape)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        self._require_vocabulary("building a model on it (non-int output_mode)")
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
                   mask_token=self.mask_token, oov_token=self.oov_token, invert=self.invert,
                   output_mode=self.output_mode, sparse=False,
                   pad_to_max_tokens=self.pad_to_max_tokens, oov_method=self.oov_method,
                   salt=None, vocabulary=None, idf_weights=None)
        if self._tokens is not None:  # learned or given: saved as data, inside the file
            cfg["vocabulary"] = self.get_vocabulary()
            if self._idf is not None:
                cfg["idf_weights"] = self._idf[:self.vocabulary_size()].tolist()
        return cfg


class StringLookup(_IndexLookup):
    """Maps strings to integer indices through a vocabulary (Keras' StringLookup).

    Index layout (Keras 3): the mask token at 0 when ``mask_token`` is set and
    ``output_mode="int"``; then ``num_oov_indices`` out-of-vocabulary indices;
    then the vocabulary. With several OOV indices a token's is chosen by FarmHash
    Fingerprint64, as Keras. Learn the vocabulary with ``adapt`` (most frequent
    first) or give it. As the first layer of a model on ``pynn.Input(...,
    dtype="string")`` it runs on the raw strings before the engine; called on an
    array it returns a NumPy array.

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, mask and OOV indices included.
    num_oov_indices : int, default 1
        Out-of-vocabulary indices (0: unknown tokens raise).
    mask_token : str, optional
        A token meaning "masked" (index 0 in int mode; dropped in the other modes).
    oov_token : str, default "[UNK]"
        The token ``get_vocabulary`` and ``invert`` show for OOV indices.
    vocabulary : list of str or path, optional
        A fixed vocabulary instead of ``adapt``.
    idf_weights : list of float, optional
        With ``output_mode="tf_idf"`` and a vocabulary: one weight per entry.
    invert : bool, default False
        Map indices back to tokens.
    output_mode : {"int", "one_hot", "multi_hot", "count", "tf_idf"}, default "int"
        Indices, or float32 vectors of ``vocabulary_size()`` (or ``max_tokens``
        with ``pad_to_max_tokens``) entries per sample (one_hot: per token).
    sparse : False
        Only dense outputs.
    pad_to_max_tokens : bool, default False
        Make the vectors ``max_tokens`` long.
    encoding : str, default "utf-8"
        Encoding of bytes inputs.
    oov_method, salt
        Keras' OOV bucketing options: strings always use FarmHash; salt must be None.
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        An invalid option (named), an unknown token with ``num_oov_indices=0``,
        or a call before any vocabulary.
    TypeError
        Inputs that are not strings.

    Examples
    --------
    >>> vocab = ["a", "b", "c", "d"]
    >>> data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    >>> pynn.layers.StringLookup(vocabulary=vocab)(data)
    array([[1, 3, 4],
           [4, 0, 2]])
    >>> pynn.layers.StringLookup(vocabulary=vocab, output_mode="multi_hot")(data)
    array([[0., 1., 0., 1., 1.],
           [1., 0., 1., 0., 1.]], dtype=float32)
    >>> pynn.layers.StringLookup(vocabulary=vocab, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    array([['a', 'c', 'd'],
           ['d', '[UNK]', 'b']], dtype='<U5')
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 oov_method="farmhash", salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens, oov_method,
                         salt, name, **kwargs)
        self._output_dtype = "string" if self.invert else (
            "int64" if self.output_mode == "int" else "float32")

    def _token(self, t, where):
        if isinstance(t, bytes):
            return t.decode(self.encoding)
        if isinstance(t, (str, np.str_)):
            return str(t)
        raise TypeError(f"StringLookup '{self.name}': {where} must be a string, got "
                        f"{type(t).__name__} {t!r:.40}")

    def _tokens_array(self, data, where):
        arr = np.asarray(list(data) if isinstance(data, (tuple, set)) else data)
        if arr.dtype.kind == "S":
            arr = np.char.decode(arr, self.encoding)
        elif arr.dtype.kind == "O":
            flat = [self._token(t, f"{where} value") for t in arr.reshape(-1).tolist()]
            arr = np.array(flat, dtype=str).reshape(arr.shape) if flat else arr.astype(str)
        elif arr.dtype.kind != "U":
            raise TypeError(f"StringLookup '{self.name}': expected strings as {where}, got an "
                            f"array of {arr.dtype}")
        return arr

    def _oov_bucket(self, token, n):
        return fingerprint64(token.encode(self.encoding)) % n

    def _invert_array(self, flat, shape):
        return np.array(flat, dtype=str).reshape(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["encoding"] = self.encoding
        return cfg


class IntegerLookup(_IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (Keras' IntegerLookup).

    The index layout, output modes and ``invert`` are StringLookup's; the tokens
    are integers (``oov_token`` -1 by default). Several OOV indices are chosen by
    ``value % num_oov_indices`` (Keras' default ``oov_method="floormod"``) or by
    FarmHash of the decimal text (``"farmhash"``). Float inputs holding whole
    numbers are accepted (what a JSON request or a float32 column gives).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, mask and OOV indices included.
    num_oov_indices : int, default 1
        Out-of-vocabulary indices (0: unknown values raise).
    mask_token : int, optional
        A value meaning "masked" (index 0 in int mode; dropped in the other modes).
    oov_token : int, default -1
        What ``invert`` returns for OOV indices.
    vocabulary : list of int, optional
        A fixed vocabulary instead of ``adapt``.
    vocabulary_dtype : "int64"
        Only int64, as Keras.
    idf_weights : list of float, optional
        With ``output_mode="tf_idf"`` and a vocabulary.
    invert : bool, default False
        Map indices back to values.
    output_mode : {"int", "one_hot", "multi_hot", "count", "tf_idf"}, default "int"
        As StringLookup's.
    sparse : False
        Only dense outputs.
    pad_to_max_tokens : bool, default False
        Make the vectors ``max_tokens`` long.
    oov_method : {"floormod", "farmhash"}, default "floormod"
        How several OOV indices are chosen.
    salt : None
        Only None.
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        An invalid option (named), an unknown value with ``num_oov_indices=0``, a
        call before any vocabulary.
    TypeError
        Inputs that are not whole numbers.

    Examples
    --------
    >>> vocab = [12, 36, 1138, 42]
    >>> data = np.array([[12, 1138, 42], [42, 1000, 36]])
    >>> pynn.layers.IntegerLookup(vocabulary=vocab)(data)
    array([[1, 3, 4],
           [4, 0, 2]])
    >>> pynn.layers.IntegerLookup(vocabulary=vocab, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    array([[  12, 1138,   42],
           [  42,   -1,   36]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported, got "
                             f"{vocabulary_dtype!r}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens, oov_method,
                         salt, name, **kwargs)
        self._output_dtype = "int64" if self.output_mode == "int" else "float32"

    def _token(self, t, where):
        if is_int(t):
            return int(t)
        if isinstance(t, (float, np.floating)) and math.isfinite(t) and float(t).is_integer():
            return int(t)
        raise TypeError(f"IntegerLookup '{self.name}': {where} must be an integer, got "
                        f"{type(t).__name__} {t!r:.40}")

    def _tokens_array(self, data, where):
        arr = np.asarray(data)
        if arr.dtype.kind in "iu" or arr.dtype == bool:
            return arr.astype(np.int64)
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                raise TypeError(f"IntegerLookup '{self.name}': expected whole numbers as {where}, "
                                f"got non-integral or non-finite floats")
            return arr.astype(np.int64)
        if arr.dtype.kind == "O":
            return np.array([self._token(t, f"{where} value") for t in arr.reshape(-1).tolist()],
                            np.int64).reshape(arr.shape)
        raise TypeError(f"IntegerLookup '{self.name}': expected integers as {where}, got an "
                        f"array of {arr.dtype}")

    def _oov_bucket(self, token, n):
        if self.oov_method == "floormod":
            return token % n  # Python's % is floor modulo, as tf.math.floormod
        return fingerprint64(str(token).encode()) % n

    def _invert_array(self, flat, shape):
        return np.array(flat, np.int64).reshape(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["vocabulary_dtype"] = "int64"
        return cfg
