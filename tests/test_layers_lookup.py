"""Lookup and categorical preprocessing layers (issue 13): StringLookup,
IntegerLookup, CategoryEncoding, Hashing, Discretization.

Keras 3 runs StringLookup, IntegerLookup and Hashing only with TensorFlow
installed (not a pynn test dependency), so those are checked against the values
Keras documents in its docstrings (keras.io/api/layers/preprocessing_layers/
categorical/string_lookup/, .../integer_lookup/, .../hashing/) and the FarmHash
Fingerprint64 against the pyfarmhash bindings; CategoryEncoding and
Discretization run in Keras 3 itself (KERAS_BACKEND=torch) side by side."""
import os
import random

import numpy as np
import pytest

import pynn
from pynn.layers import (CategoryEncoding, Discretization, Hashing, IntegerLookup,
                         StringLookup)
from pynn.layers._farmhash import fingerprint64


def keras_or_skip():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras", reason="Keras 3 is not installed")
    if keras.backend.backend() != "torch":
        pytest.skip("these comparisons run Keras 3 on its torch backend")
    return keras


# ---------------------------------------------------------------- FarmHash
def test_fingerprint64_matches_pyfarmhash_on_every_length_path():
    farmhash = pytest.importorskip("farmhash", reason="pyfarmhash is not installed")
    rng = random.Random(0)
    for n in list(range(0, 200)) + [255, 256, 257, 511, 1000, 4097]:  # all of farmhashna's paths
        for _ in range(3):
            data = bytes(rng.randrange(256) for _ in range(n))
            assert fingerprint64(data) == farmhash.fingerprint64(data), n
    assert fingerprint64("héllo") == farmhash.fingerprint64("héllo".encode())


def test_hashing_gives_keras_documented_buckets():
    # keras.io/api/layers/preprocessing_layers/categorical/hashing/
    x = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    np.testing.assert_array_equal(Hashing(num_bins=3)(x), [[1], [0], [1], [1], [2]])
    masked = Hashing(num_bins=3, mask_value="")
    np.testing.assert_array_equal(masked(np.array([["A"], ["B"], [""], ["C"], ["D"]])),
                                  [[1], [1], [0], [2], [2]])
    # integers hash as their decimal text (tf.strings.as_string), so 7 and "7" agree
    np.testing.assert_array_equal(Hashing(num_bins=97)(np.array([7, 1234])),
                                  Hashing(num_bins=97)(np.array(["7", "1234"])))
    one_hot = Hashing(num_bins=3, output_mode="one_hot")(np.array(["A", "B"]))
    np.testing.assert_array_equal(one_hot, [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(TypeError, match="Hashing .*strings or integers"):
        Hashing(num_bins=3)(np.array([1.5]))
    with pytest.raises(ValueError, match="salt"):
        Hashing(num_bins=3, salt=7)


# ---------------------------------------------------------------- StringLookup
VOCAB = ["a", "b", "c", "d"]


def test_string_lookup_keras_documented_values():
    data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    np.testing.assert_array_equal(StringLookup(vocabulary=VOCAB)(data), [[1, 3, 4], [4, 0, 2]])
    adapted = StringLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(adapted(data), [[5, 3, 1], [1, 2, 4]])
    # two OOV indices: 'm' and 'z' are hashed (FarmHash) into 0 and 1
    two = StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(two(np.array([["a", "c", "d"], ["m", "z", "b"]])),
                                  [[2, 4, 5], [0, 1, 3]])
    np.testing.assert_array_equal(
        StringLookup(vocabulary=VOCAB, output_mode="one_hot")(np.array(["a", "b", "c", "d", "z"])),
        [[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0]])
    rows = np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    np.testing.assert_array_equal(StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(rows),
                                  [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(StringLookup(vocabulary=VOCAB, output_mode="count")(rows),
                                  [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = StringLookup(output_mode="tf_idf")
    tfidf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(rows), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
                               rtol=1e-6)
    tfidf.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(rows), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]],
                               rtol=1e-6)
    inverse = StringLookup(vocabulary=VOCAB, invert=True)
    np.testing.assert_array_equal(inverse(np.array([[1, 3, 4], [4, 0, 2]])),
                                  [["a", "c", "d"], ["d", "[UNK]", "b"]])


def test_string_lookup_mask_token_and_adapted_tf_idf():
    masked = StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    np.testing.assert_array_equal(masked(np.array(["a", "", "q"])), [2, 0, 1])
    # other modes drop the mask token (no index, no bin)
    hot = StringLookup(vocabulary=VOCAB, mask_token="", output_mode="multi_hot")
    np.testing.assert_array_equal(hot(np.array([["a", ""]])), [[0, 1, 0, 0, 0]])
    docs = np.array([["x", "y"], ["x", "x"], ["z", "x"]])
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == ["[UNK]", "x", "z", "y"]
    idf = np.log(1 + 3 / (1 + np.array([3, 1, 1])))  # log(1 + docs / (1 + docs holding it))
    want = np.concatenate([[idf.mean()], idf])
    np.testing.assert_allclose(layer(np.array([["x", "x", "y", "q"]]))[0],
                               want * [1, 2, 0, 1], rtol=1e-6)
    capped = StringLookup(max_tokens=3)
    capped.adapt(np.array(["a", "b", "b", "c", "c", "c"]))
    assert capped.get_vocabulary() == ["[UNK]", "c", "b"]


def test_string_lookup_errors_name_the_layer():
    with pytest.raises(ValueError, match="num_oov_indices=0 every input must be in the vocab"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(np.array(["zz"]))
    with pytest.raises(TypeError, match="StringLookup 'strs': expected strings"):
        StringLookup(vocabulary=VOCAB, name="strs")(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="no vocabulary yet"):
        StringLookup()(np.array(["a"]))
    with pytest.raises(ValueError, match="repeats"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="more than max_tokens=3"):
        StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        StringLookup(invert=True, output_mode="one_hot")
    with pytest.raises(ValueError, match="cannot adapt after"):
        StringLookup(vocabulary=VOCAB).adapt(["a"])
    with pytest.raises(ValueError, match="output_mode must be one of"):
        StringLookup(output_mode="bag")  # ("binary" is Keras' old name of multi_hot, taken)


# ---------------------------------------------------------------- IntegerLookup
def test_integer_lookup_keras_documented_values():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(IntegerLookup(vocabulary=vocab)(data), [[1, 3, 4], [4, 0, 2]])
    adapted = IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(adapted(data), [[5, 2, 1], [1, 3, 4]])
    two = IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    np.testing.assert_array_equal(two(np.array([[12, 1138, 42], [37, 1000, 36]])),
                                  [[2, 4, 5], [1, 0, 3]])
    oov = np.array([100, 300, 700, 1100, 1700, 2000])
    np.testing.assert_array_equal(
        IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="floormod")(oov),
        [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")(oov),
        [3, 3, 2, 2, 0, 1])
    rows = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    np.testing.assert_array_equal(IntegerLookup(vocabulary=vocab, output_mode="count")(rows),
                                  [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    np.testing.assert_array_equal(IntegerLookup(vocabulary=vocab, invert=True)(
        np.array([[1, 3, 4], [4, 0, 2]])), [[12, 1138, 42], [42, -1, 36]])
    # whole floats (a float32 column, a JSON request) are integers; 1.5 is not
    np.testing.assert_array_equal(IntegerLookup(vocabulary=vocab)(np.array([12.0, 36.0])), [1, 2])
    with pytest.raises(TypeError, match="IntegerLookup .*whole numbers"):
        IntegerLookup(vocabulary=vocab)(np.array([1.5]))


# ---------------------------------------------------------------- CategoryEncoding
@pytest.mark.parametrize("mode,data", [
    ("one_hot", [3, 2, 0, 1]), ("one_hot", [[3], [2], [0]]),
    ("multi_hot", [[0, 1], [0, 0], [1, 2], [3, 1]]), ("count", [[0, 1], [0, 0], [1, 2], [3, 1]]),
    ("multi_hot", [0, 3, 3]), ("count", [0, 3, 3])])
def test_category_encoding_matches_keras(mode, data):
    keras = keras_or_skip()
    data = np.array(data)
    want = np.asarray(keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(data))
    got = CategoryEncoding(num_tokens=4, output_mode=mode)(data)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_category_encoding_count_weights_and_errors():
    # keras.io/api/layers/preprocessing_layers/categorical/category_encoding/
    layer = CategoryEncoding(num_tokens=4, output_mode="count")
    w = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(layer(np.array([[0, 1], [0, 0], [1, 2], [3, 1]]), count_weights=w),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]],
                               rtol=1e-6)
    with pytest.raises(ValueError, match=r"CategoryEncoding .*\[0, 4\).* got 4"):
        layer(np.array([4]))
    with pytest.raises(ValueError, match=r"CategoryEncoding .*\[0, 4\).* got -1"):
        layer(np.array([-1]))


# ---------------------------------------------------------------- Discretization
def test_discretization_matches_keras():
    keras = keras_or_skip()
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], np.float32)
    k = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    np.testing.assert_array_equal(Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x), np.asarray(k(x)))
    rng = np.random.default_rng(0)
    for data, bins, eps in [(x, 4, 0.01), (rng.normal(size=(500, 3)), 5, 0.01),
                            (rng.exponential(size=2000), 10, 0.001), (np.arange(10.0), 2, 0.01)]:
        ours, theirs = Discretization(num_bins=bins, epsilon=eps), \
            keras.layers.Discretization(num_bins=bins, epsilon=eps)
        ours.adapt(data)
        # Keras' adapt() is reset_state + update_state + finalize_state; its own
        # adapt() only tests for a tf.data.Dataset first, which needs TensorFlow
        theirs.reset_state()
        theirs.update_state(data)
        theirs.finalize_state()
        np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
        probe = rng.normal(size=(50, 1)).astype(np.float32) * 2
        np.testing.assert_array_equal(ours(probe), np.asarray(theirs(probe)))
    for mode in ("one_hot", "multi_hot", "count"):
        k = keras.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode=mode)
        ours = Discretization(bin_boundaries=[0.0, 1.0], output_mode=mode)
        probe = np.array([[-1.0, 0.5], [2.0, 2.0]], np.float32)
        np.testing.assert_array_equal(ours(probe), np.asarray(k(probe)))


def test_discretization_config_and_errors():
    layer = Discretization(num_bins=3)
    layer.adapt(np.arange(30.0))
    again = Discretization.from_config(layer.get_config())
    assert again.bin_boundaries == layer.bin_boundaries
    with pytest.raises(ValueError, match="not both"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="increasing"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="no bin boundaries yet"):
        Discretization(num_bins=3)(np.array([1.0]))
    with pytest.raises(ValueError, match="must be finite"):
        Discretization(bin_boundaries=[0.0])(np.array([np.nan]))


# ---------------------------------------------------------------- in a model
def test_lookup_layers_refuse_to_follow_a_computing_layer():
    x = pynn.Input(shape=(3,))
    h = pynn.layers.Dense(2)(x)
    with pytest.raises(ValueError, match="Discretization .* is preprocessing"):
        pynn.Model(x, pynn.layers.Dense(1)(Discretization(bin_boundaries=[0.0])(h)))
    s = pynn.Input(shape=(1,), dtype="string")
    with pytest.raises(ValueError, match="Dense .* cannot take strings"):
        pynn.Model(s, pynn.layers.Dense(1)(s))


def test_tabular_model_with_lookups_trains_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    color = rng.choice(["red", "green", "blue"], n)
    size = rng.integers(0, 5, n)
    age = rng.uniform(0, 10, n)
    y = ((color == "red") ^ (age > 5)).astype(np.float32)  # needs both features
    c_in = pynn.Input(shape=(1,), name="color", dtype="string")
    s_in = pynn.Input(shape=(1,), name="size", dtype="int64")
    a_in = pynn.Input(shape=(1,), name="age")
    lookup = StringLookup(output_mode="one_hot")
    lookup.adapt(color)
    ints = IntegerLookup(output_mode="one_hot")
    ints.adapt(size)
    bins = Discretization(num_bins=4)
    bins.adapt(age)
    feats = pynn.layers.Concatenate()([lookup(c_in), ints(s_in),
                                       CategoryEncoding(4, output_mode="one_hot")(bins(a_in))])
    h = pynn.layers.Dense(16, activation="relu")(feats)
    model = pynn.Model([c_in, s_in, a_in], pynn.layers.Dense(1, activation="sigmoid")(h))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    pynn.set_seed(0)
    data = {"color": color, "size": size, "age": age}
    model.fit(data, y, epochs=60, batch_size=32, verbose=0)
    assert model.evaluate(data, y, verbose=0)[1] > 0.95
    path = str(tmp_path / "tab.pynn")
    model.save(path)
    again = pynn.load_model(path)
    np.testing.assert_array_equal(again.predict(data, verbose=0), model.predict(data, verbose=0))
