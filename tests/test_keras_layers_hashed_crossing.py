"""HashedCrossing (keras/src/layers/preprocessing/hashed_crossing.py). Keras runs
TensorFlow's cross_hashed, which is not installed here, so the bins are checked
against the values Keras' own tests and docstring publish
(keras/src/layers/preprocessing/hashed_crossing_test.py: ("A", 101) -> 1 of 10,
["A", "B", "A", "B", "A"] x [101, 101, 101, 102, 102] -> [1, 4, 1, 1, 3] of 5),
against an independent transcription of TensorFlow's FingerprintCat64 on uint64
NumPy arithmetic, and for the shapes, dtypes, errors, the host stage of a model
and save/load."""
import numpy as np
import pytest

import pynn
from pynn import layers

F1 = np.array(["A", "B", "A", "B", "A"])
F2 = np.array([101, 101, 101, 102, 102])


def test_keras_published_bins():
    assert layers.HashedCrossing(num_bins=5)((F1, F2)).tolist() == [1, 4, 1, 1, 3]
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((F1, F2))
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype=np.float32)[[1, 4, 1, 1, 3]])
    assert one_hot.dtype == np.float32
    # scalars (hashed_crossing_test.py test_tf_string)
    out = layers.HashedCrossing(num_bins=10)((np.array("A"), np.array(101)))
    assert out.shape == () and int(out) == 1
    # (batch, 1) keeps its shape
    col = layers.HashedCrossing(num_bins=5)((F1[:, None], F2[:, None]))
    assert col.shape == (5, 1) and col.ravel().tolist() == [1, 4, 1, 1, 3]


def _cat64_uint64(fp1, fp2):
    """FingerprintCat64 again, in NumPy uint64 (wrapping) arithmetic."""
    with np.errstate(over="ignore"):
        k = np.uint64(0xc6a4a7935bd1e995)
        r = np.uint64(fp1) ^ k
        t = np.uint64(fp2) * k
        r ^= (t ^ (t >> np.uint64(47))) * k
        r = r * k
        r = (r ^ (r >> np.uint64(47))) * k
        return int(r ^ (r >> np.uint64(47)))


def test_three_features_and_order_against_uint64_transcription():
    from pynn.layers._farmhash import fingerprint64
    a, b, c = np.array(["x", "yy"]), np.array([7, -3]), np.array([b"z", b""], dtype=object)
    got = layers.HashedCrossing(num_bins=1000)((a, b, c))
    want = []
    for i in range(2):
        h = 0xDECAFCAFFE
        for f in (fingerprint64(a[i].encode()), int(b[i]) & (2 ** 64 - 1), fingerprint64(c[i])):
            h = _cat64_uint64(h, f)
        want.append(h % 1000)
    assert got.tolist() == want
    assert layers.HashedCrossing(num_bins=1000)((b, a, c)).tolist() != want  # order matters


def test_dtype_config_and_host_stage(tmp_path):
    assert layers.HashedCrossing(5)((F1, F2)).dtype == np.int64
    assert layers.HashedCrossing(5, dtype="int32")((F1, F2)).dtype == np.int32
    layer = layers.HashedCrossing(num_bins=7, output_mode="one_hot", name="cross")
    cfg = layer.get_config()
    assert {k: cfg[k] for k in ("num_bins", "output_mode", "sparse", "dtype")} == \
        {"num_bins": 7, "output_mode": "one_hot", "sparse": False, "dtype": "float32"}
    twin = layers.HashedCrossing.from_config(cfg)
    np.testing.assert_array_equal(twin((F1, F2)), layer((F1, F2)))
    # in a model: raw strings and ints in, the cross one-hot into a Dense
    a = pynn.Input(shape=(1,), dtype="string")
    b = pynn.Input(shape=(1,), dtype="int64")
    crossed = layers.HashedCrossing(num_bins=5, output_mode="one_hot")([a, b])
    out = layers.Dense(1, kernel_initializer="ones", use_bias=False)(crossed)
    model = pynn.Model([a, b], out)
    np.testing.assert_array_equal(model.predict([F1[:, None], F2[:, None]], verbose=0),
                                  np.ones((5, 1), np.float32))
    path = str(tmp_path / "cross.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    np.testing.assert_array_equal(loaded.predict([F1[:, None], F2[:, None]], verbose=0),
                                  np.ones((5, 1), np.float32))


def test_errors():
    # hashed_crossing_test.py: float inputs, one input, bad ranks, unequal shapes
    with pytest.raises(ValueError, match="should have an integer or string"):
        layers.HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="at least two inputs"):
        layers.HashedCrossing(num_bins=10)([np.array(1)])
    with pytest.raises(ValueError, match="list or tuple of inputs"):
        layers.HashedCrossing(num_bins=10)(np.array(1))
    with pytest.raises(ValueError, match="should have shape"):
        layers.HashedCrossing(num_bins=10)((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="equal shape"):
        layers.HashedCrossing(num_bins=10)((np.array([1, 2]), np.array([1])))
    for kw, msg in (({"num_bins": 0}, "num_bins"), ({"num_bins": 3, "output_mode": "count"},
                                                    "output_mode"),
                    ({"num_bins": 3, "sparse": True}, "sparse"),
                    ({"num_bins": 3, "dtype": "float32"}, "dtype")):
        with pytest.raises(ValueError, match=msg):
            layers.HashedCrossing(**kw)
