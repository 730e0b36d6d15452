"""HashedCrossing (keras/src/layers/preprocessing/hashed_crossing.py): crosses of
categorical features by the hashing trick, in NumPy as a model's host stage.

Keras runs TensorFlow's ``tf.sparse.cross_hashed`` (sparse_cross_op.cc): each
feature's hash is FarmHash Fingerprint64 of a string's bytes, or an integer's
own value; the cross starts from the key 0xDECAFCAFFE and folds each feature in
order with FingerprintCat64; the bin is the 64-bit result modulo ``num_bins``.
Written from that published algorithm, so the bins are Keras' bins."""
import numpy as np

from ._farmhash import fingerprint64
from .host import HostLayer, check_output_mode, encode, encoded_shape, is_int

_M = (1 << 64) - 1
_KMUL = 0xc6a4a7935bd1e995   # FingerprintCat64's multiplier (tensorflow/core/platform/fingerprint.h)
_DEFAULT_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: two 64-bit fingerprints into one (order matters)."""
    result = fp1 ^ _KMUL
    result ^= (_shift_mix((fp2 * _KMUL) & _M) * _KMUL) & _M
    result = (result * _KMUL) & _M
    result = (_shift_mix(result) * _KMUL) & _M
    return _shift_mix(result)


def _feature_hashes(who, arr):
    """One 64-bit hash per value: Fingerprint64 of a string's UTF-8 bytes, an integer's
    two's complement value (TensorFlow hashes integers as they are)."""
    values = arr.reshape(-1).tolist()
    if arr.dtype.kind in "iu":
        return [int(v) & _M for v in values]
    if arr.dtype.kind in "US" or (arr.dtype.kind == "O" and all(
            isinstance(v, (str, bytes)) for v in values)):
        return [fingerprint64(v if isinstance(v, bytes) else v.encode("utf-8")) for v in values]
    raise ValueError(f"{who}: all inputs should have an integer or string dtype, received an "
                     f"array of {arr.dtype}")


class HashedCrossing(HostLayer):
    """Crosses categorical features with the hashing trick (Keras' HashedCrossing).

    Conceptually ``hash(concatenate(features)) % num_bins``, computed as
    TensorFlow's ``cross_hashed`` computes it, so each cross falls in Keras' bin.
    Inputs are two or more features of one shape ``()``, ``(batch,)`` or
    ``(batch, 1)``, strings or integers.

    Parameters
    ----------
    num_bins : int
        The number of hash bins.
    output_mode : {"int", "one_hot"}, default "int"
        Bin indices (int64), or one float32 vector of ``num_bins`` per cross.
    sparse : False
        Only dense outputs.
    dtype : str, optional
        Of the output: "int64" (default) or "int32" for "int", "float32" for "one_hot".
    **kwargs
        Base layer arguments (``name``).

    Raises
    ------
    ValueError
        A bad option; fewer than two inputs, inputs of different shapes or of
        another shape than above, or values that are neither strings nor integers.

    Examples
    --------
    >>> layer = pynn.layers.HashedCrossing(num_bins=5)
    >>> feat1 = np.array(["A", "B", "A", "B", "A"])
    >>> feat2 = np.array([101, 101, 101, 102, 102])
    >>> layer((feat1, feat2))
    array([1, 4, 1, 1, 3])
    >>> pynn.layers.HashedCrossing(5, output_mode="one_hot")((feat1, feat2))[:2]
    array([[0., 1., 0., 0., 0.],
           [0., 0., 0., 0., 1.]], dtype=float32)
    """

    _one_input = False

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if not is_int(num_bins) or num_bins < 1:
            raise ValueError(f"HashedCrossing: num_bins must be an int >= 1, received "
                             f"num_bins={num_bins!r}")
        self.output_mode = check_output_mode("HashedCrossing", output_mode, ("int", "one_hot"))
        if sparse:
            raise ValueError("HashedCrossing: sparse=True is not supported (dense outputs, as "
                             "Keras off the TensorFlow backend)")
        allowed = ("int64", "int32") if self.output_mode == "int" else ("float32",)
        if dtype is not None and dtype not in allowed:
            raise ValueError(f"HashedCrossing: with output_mode={self.output_mode!r} dtype must "
                             f"be one of {list(allowed)}, received dtype={dtype!r}")
        self.num_bins, self.sparse = int(num_bins), False
        self._output_dtype = dtype or ("int64" if self.output_mode == "int" else "float32")

    def __call__(self, inputs, *args, training=None, **kwargs):
        if args or kwargs:
            raise TypeError(f"HashedCrossing '{self.name}' takes one tuple of features, got extra "
                            f"arguments {list(args) + sorted(kwargs)}")
        self._check_count(inputs)
        if all(getattr(t, "_is_symbolic", False) for t in inputs):
            from ..functional import symbolic_call
            self._check_shapes([tuple(t.shape) for t in inputs], batched=True)
            out = symbolic_call(self, list(inputs))
            out.dtype = self._output_dtype
            return out
        return self.host_call([t.numpy() if hasattr(t, "numpy") and not isinstance(t, np.ndarray)
                               else t for t in inputs])

    def _check_count(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. "
                             f"Received: inputs of type {type(inputs).__name__}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. "
                             f"Received: {len(inputs)} input(s)")

    def _check_shapes(self, shapes, batched=False):
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1) or (batched and len(first) < 1):
            raise ValueError(f"All `HashedCrossing` inputs should have shape `()`, `(batch_size)` "
                             f"or `(batch_size, 1)`. Received shapes {shapes}")
        if not all(tuple(s) == tuple(first) for s in shapes[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received "
                             f"shapes {shapes}")

    def host_call(self, inputs):
        self._check_count(inputs)
        who = f"HashedCrossing '{self.name}'"
        arrays = [np.asarray(a) for a in inputs]
        self._check_shapes([a.shape for a in arrays])
        columns = [_feature_hashes(who, a) for a in arrays]
        bins = []
        for hashes in zip(*columns):
            h = _DEFAULT_KEY
            for f in hashes:
                h = fingerprint_cat64(h, f)
            bins.append(h % self.num_bins)
        out = np.array(bins, np.int64).reshape(arrays[0].shape)
        return encode(who, out, self.output_mode, self.num_bins).astype(self._output_dtype)

    def compute_output_shape(self, input_shape):
        return encoded_shape(tuple(input_shape[0]), self.output_mode, self.num_bins)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_bins=self.num_bins, output_mode=self.output_mode, sparse=False,
                   dtype=self._output_dtype)
        return cfg
