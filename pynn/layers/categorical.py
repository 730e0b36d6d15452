"""Categorical preprocessing, as keras.layers: CategoryEncoding (integer ids to
one_hot / multi_hot / count vectors), Hashing (values to FarmHash buckets, the
same buckets as Keras) and Discretization (numbers to bin indices, boundaries
given or learned as quantiles). Run in NumPy as a model's host stage
(see pynn/layers/host.py)."""
import numpy as np

from ._farmhash import fingerprint64
from .host import HostLayer, check_output_mode, encode, encoded_shape, is_int

_ENCODED = ("one_hot", "multi_hot", "count")


class CategoryEncoding(HostLayer):
    """Encodes integer ids as one_hot, multi_hot or count vectors (Keras' CategoryEncoding).

    Parameters
    ----------
    num_tokens : int
        The number of ids; inputs must lie in ``[0, num_tokens)``.
    output_mode : {"multi_hot", "one_hot", "count"}, default "multi_hot"
        one_hot: a vector per id (a last axis of size 1 is replaced); multi_hot:
        a 0/1 vector per sample (the last axis holds the sample's ids); count: the
        number of times each id occurs in the sample.
    sparse : False
        Only dense outputs.
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        A bad option, or ids outside ``[0, num_tokens)``.

    Examples
    --------
    >>> layer = pynn.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    >>> layer(np.array([3, 2, 0, 1]))
    array([[0., 0., 0., 1.],
           [0., 0., 1., 0.],
           [1., 0., 0., 0.],
           [0., 1., 0., 0.]], dtype=float32)
    >>> counts = pynn.layers.CategoryEncoding(num_tokens=4, output_mode="count")
    >>> counts(np.array([[0, 1], [0, 0], [1, 2], [3, 1]]))
    array([[1., 1., 0., 0.],
           [2., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 0., 1.]], dtype=float32)
    """

    _output_dtype = "float32"

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if not is_int(num_tokens) or num_tokens < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be a positive int, got "
                             f"{num_tokens!r}")
        self.output_mode = check_output_mode("CategoryEncoding", output_mode, _ENCODED,
                                             binary_alias=True)
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported (dense outputs)")
        self.num_tokens = int(num_tokens)

    def host_call(self, inputs, count_weights=None):
        who = f"CategoryEncoding '{self.name}'"
        ids = np.asarray(inputs)
        if ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)
        if ids.dtype.kind not in "iub":
            raise TypeError(f"{who}: expected integer ids, got an array of {ids.dtype}")
        if ids.size and ids.min() < 0:
            raise ValueError(f"{who}: ids must be in [0, {self.num_tokens}), got "
                             f"{int(ids.min())}")
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{who}: count_weights only apply to output_mode='count'")
        return encode(who, ids, self.output_mode, self.num_tokens, count_weights=count_weights)

    def __call__(self, inputs, count_weights=None, **kwargs):
        if count_weights is not None and not getattr(inputs, "_is_symbolic", False):
            return self.host_call(inputs, count_weights)
        return super().__call__(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_tokens=self.num_tokens, output_mode=self.output_mode, sparse=False)
        return cfg


class Hashing(HostLayer):
    """Hashes strings or integers into ``num_bins`` buckets (Keras' Hashing).

    The hash is FarmHash Fingerprint64 of the value's bytes (integers: of their
    decimal text), modulo the number of bins: the buckets Keras (TensorFlow's
    ``to_hash_bucket_fast``) gives. With ``mask_value`` that value goes to bin 0
    and the others to bins 1 .. num_bins-1.

    Parameters
    ----------
    num_bins : int
        Number of buckets (the mask bin included).
    mask_value : str or int, optional
        A value mapped to 0.
    salt : None
        Keyed SipHash is not supported (a value raises).
    output_mode : {"int", "one_hot", "multi_hot", "count"}, default "int"
        Bucket ids, or vectors of ``num_bins`` entries.
    sparse : False
        Only dense outputs.
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        A bad option.
    TypeError
        Inputs that are neither strings nor integers.

    Examples
    --------
    >>> layer = pynn.layers.Hashing(num_bins=3)
    >>> layer(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
    array([[1],
           [0],
           [1],
           [1],
           [2]])
    >>> masked = pynn.layers.Hashing(num_bins=3, mask_value="")
    >>> masked(np.array([["A"], ["B"], [""], ["C"], ["D"]])).ravel()
    array([1, 1, 0, 2, 2])
    """

    def __init__(self, num_bins=None, mask_value=None, salt=None, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if not is_int(num_bins) or num_bins < 1 or (mask_value is not None and num_bins < 2):
            raise ValueError(f"Hashing: num_bins must be an int >= 1 (>= 2 with a mask_value), "
                             f"got {num_bins!r}")
        if salt is not None:
            raise ValueError("Hashing: salt (keyed SipHash) is not supported; use salt=None "
                             "(FarmHash, Keras' default)")
        self.output_mode = check_output_mode("Hashing", output_mode, ("int",) + _ENCODED)
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported (dense outputs)")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, None
        self._output_dtype = "int64" if self.output_mode == "int" else "float32"

    def host_call(self, inputs):
        who = f"Hashing '{self.name}'"
        arr = np.asarray(inputs)
        if arr.dtype.kind in "iu":
            keys = [str(v).encode() for v in arr.reshape(-1).tolist()]
        elif arr.dtype.kind in "US" or (arr.dtype.kind == "O" and all(
                isinstance(v, (str, bytes)) for v in arr.reshape(-1).tolist())):
            keys = [v if isinstance(v, bytes) else str(v).encode("utf-8")
                    for v in arr.reshape(-1).tolist()]
        else:
            raise TypeError(f"{who}: expected strings or integers, got an array of {arr.dtype}")
        mask = None if self.mask_value is None else (
            str(self.mask_value).encode("utf-8") if not isinstance(self.mask_value, bytes)
            else self.mask_value)
        bins = self.num_bins - (mask is not None)
        out = np.array([0 if k == mask else fingerprint64(k) % bins + (mask is not None)
                        for k in keys], np.int64).reshape(arr.shape)
        return encode(who, out, self.output_mode, self.num_bins)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_bins=self.num_bins, mask_value=self.mask_value, salt=None,
                   output_mode=self.output_mode, sparse=False)
        return cfg


class Discretization(HostLayer):
    """Buckets numbers into bins by boundaries (Keras' Discretization).

    Bin i holds ``boundaries[i-1] <= x < boundaries[i]``. Give the boundaries, or
    ``num_bins`` and learn them with ``adapt`` as Keras does: an approximate
    quantile summary (``epsilon``) compressed to ``num_bins`` equal-weight bins.

    Parameters
    ----------
    bin_boundaries : list of float, optional
        Increasing boundaries (``len + 1`` bins).
    num_bins : int, optional
        The number of bins to learn with ``adapt`` (instead of boundaries).
    epsilon : float, default 0.01
        The quantile summary's error tolerance.
    output_mode : {"int", "one_hot", "multi_hot", "count"}, default "int"
        Bin ids (int64), or vectors of one entry per bin.
    sparse : False
        Only dense outputs.
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        Both or neither of bin_boundaries and num_bins, boundaries that do not
        increase, a call before boundaries exist, or non-finite inputs.

    Examples
    --------
    >>> layer = pynn.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    array([[0, 2, 3, 1],
           [1, 3, 2, 1]])
    >>> learned = pynn.layers.Discretization(num_bins=4, epsilon=0.01)
    >>> learned.adapt(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    >>> learned.bin_boundaries
    [0.0, 0.5, 1.2999999523162842]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if num_bins is not None and (not is_int(num_bins) or num_bins < 1):
            raise ValueError(f"Discretization: num_bins must be a positive int, got "
                             f"{num_bins!r}")
        if bin_boundaries is not None and num_bins is not None:
            raise ValueError("Discretization: give bin_boundaries or num_bins, not both")
        if bin_boundaries is None and num_bins is None:
            raise ValueError("Discretization: give bin_boundaries, or num_bins and call adapt()")
        if not (isinstance(epsilon, (int, float)) and 0 < epsilon < 1):
            raise ValueError(f"Discretization: epsilon must be in (0, 1), got {epsilon!r}")
        self.output_mode = check_output_mode("Discretization", output_mode, ("int",) + _ENCODED)
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported (dense outputs)")
        self.num_bins, self.epsilon = num_bins, float(epsilon)
        self.bin_boundaries = None if bin_boundaries is None else \
            self._boundaries(bin_boundaries)
        self._output_dtype = "int64" if self.output_mode == "int" else "float32"

    @staticmethod
    def _boundaries(values):
        b = np.asarray(values, np.float64).reshape(-1)
        if not np.all(np.isfinite(b)) or np.any(np.diff(b) < 0):
            raise ValueError(f"Discretization: bin_boundaries must be finite and increasing, got "
                             f"{list(values)!r:.120}")
        return b.tolist()

    def adapt(self, data, batch_size=None, steps=None):
        """Learns ``num_bins`` bins of about equal counts from data (Keras' algorithm).

        Parameters
        ----------
        data : array_like
            Numbers of any shape.
        batch_size, steps
            Accepted for Keras compatibility.

        Raises
        ------
        ValueError
            The layer was built with bin_boundaries, or data that is empty or not finite.

        Examples
        --------
        >>> layer = pynn.layers.Discretization(num_bins=2)
        >>> layer.adapt(np.arange(10.0))
        >>> layer.bin_boundaries
        [4.0]
        """
        if self.num_bins is None:
            raise ValueError(f"Discretization '{self.name}': built with bin_boundaries; use "
                             f"num_bins to adapt")
        values = np.sort(np.asarray(data, np.float32).reshape(-1))
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(f"Discretization '{self.name}'.adapt needs finite numbers, got "
                             f"{values.size} values")
        # Keras' summary: every step-th sorted value, weighted by the step, then
        # compressed twice (to epsilon, then to 1/num_bins) by interpolating the
        # cumulative weights
        step = max(values.size * self.epsilon, 1)
        picked = values[int(step - 1)::int(step)]
        summary = _compress(np.stack([picked, np.full(picked.shape, step, np.float32)]),
                            self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].astype(
            np.float32).tolist()

    def host_call(self, inputs):
        who = f"Discretization '{self.name}'"
        if self.bin_boundaries is None:
            raise ValueError(f"{who} has no bin boundaries yet: pass bin_boundaries= or call "
                             f"adapt(data)")
        x = np.asarray(inputs)
        if x.dtype.kind not in "iuf":
            raise TypeError(f"{who}: expected numbers, got an array of {x.dtype}")
        x = x.astype(np.float32)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{who}: inputs must be finite")
        # float32 boundaries, as Keras compares in the compute dtype
        ids = np.digitize(x, np.asarray(self.bin_boundaries, np.float32)).astype(np.int64)
        return encode(who, ids, self.output_mode, len(self.bin_boundaries) + 1)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(bin_boundaries=self.bin_boundaries, num_bins=self.num_bins,
                   epsilon=self.epsilon, output_mode=self.output_mode, sparse=False)
        return cfg

    @classmethod
    def from_config(cls, config):
        """Creates the layer from ``get_config()``'s dict (learned boundaries included).

        Parameters
        ----------
        config : dict
            The configuration.

        Returns
        -------
        Discretization

        Examples
        --------
        >>> layer = pynn.layers.Discretization(num_bins=2)
        >>> layer.adapt(np.arange(10.0))
        >>> pynn.layers.Discretization.from_config(layer.get_config()).bin_boundaries
        [4.0]
        """
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            config["bin_boundaries"] = boundaries
            return cls(**config)
        layer = cls(**config)  # adapted: boundaries set after construction, as Keras
        layer.bin_boundaries = None if boundaries is None else cls._boundaries(boundaries)
        return layer


def _compress(summary, epsilon):
    """Keras' compress_summary: re-bins a (values, weights) summary into 1/epsilon
    bins of equal cumulative weight."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    frac = cum / cum[-1]
    bins = np.interp(percents, frac, summary[0])
    cum = np.interp(percents, frac, cum)
    weights = cum - np.concatenate(([0.0], cum[:-1]))
    return np.stack((bins, weights)).astype(np.float32)
