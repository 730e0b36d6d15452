"""pynn.text: TextVectorization (Keras' documented examples and rules),
pad_sequences (keras.utils.pad_sequences' documented outputs, and the installed
Keras where available), and load_word_vectors on small hand-made files."""
import gzip
import io

import numpy as np
import pytest

import pynn
from pynn.text import ENGLISH_STOP_WORDS, TextVectorization, load_word_vectors, pad_sequences

from keras_ref import keras_or_skip


# ---------------------------------------------------------------- TextVectorization
def test_keras_docstring_examples():
    # keras.layers.TextVectorization's docstring: adapt, then a (batch, 1) input
    tv = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    tv.adapt(["foo bar", "bar baz", "baz bada boom"])
    np.testing.assert_array_equal(tv([["foo qux bar"], ["qux baz"]]), [[4, 1, 3, 0], [1, 2, 0, 0]])
    # counts bar 2, baz 2, then 1 each; ties go in reverse string order (Keras' lexsort)
    assert tv.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    tv2 = pynn.layers.TextVectorization(max_tokens=5000, output_sequence_length=4,
                                        vocabulary=["earth", "wind", "and", "fire"])
    assert tv2.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert tv2.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]
    assert tv2.vocabulary_size() == 6
    assert pynn.layers.TextVectorization is TextVectorization is pynn.TextVectorization


def test_standardize_and_split_options():
    text = "Hello, World! It's 3.5% [ok] café—naïve"
    # Keras strips ASCII punctuation only (its DEFAULT_STRIP_REGEX)
    assert TextVectorization().tokenize(text) == ["hello", "world", "its", "35", "ok",
                                                  "café—naïve"]
    assert TextVectorization(standardize="lower").tokenize("A, b!") == ["a,", "b!"]
    assert TextVectorization(standardize="strip_punctuation").tokenize("A, b!") == ["A", "b"]
    assert TextVectorization(standardize=None).tokenize("A, b!") == ["A,", "b!"]
    assert TextVectorization(standardize=lambda s: s.upper()).tokenize("a b") == ["A", "B"]
    assert TextVectorization(split="character").tokenize("Ab c") == ["a", "b", " ", "c"]
    assert TextVectorization(split=None).tokenize("a  b") == ["a  b"]
    assert TextVectorization(standardize=None, split=lambda s: s.split("-")).tokenize("a-b c") == ["a", "b c"]
    assert TextVectorization().tokenize("  tabs\tand\nnewlines  ") == ["tabs", "and", "newlines"]


def test_max_tokens_padding_and_truncation():
    texts = ["a a a b b c", "d", "b e", "a"]
    tv = TextVectorization(max_tokens=4)
    tv.adapt(texts)
    assert tv.get_vocabulary() == ["", "[UNK]", "a", "b"]  # max_tokens counts '' and '[UNK]'
    # without output_sequence_length: padded with 0 to the longest row
    np.testing.assert_array_equal(tv(["b c a", "a", ""]), [[3, 1, 2], [2, 0, 0], [0, 0, 0]])
    tie = TextVectorization()
    tie.adapt(["b a c", "c a b"])  # equal counts: reverse string order, as Keras
    assert tie.get_vocabulary() == ["", "[UNK]", "c", "b", "a"]
    assert tv(["b c a"]).dtype == np.int64
    short = TextVectorization(output_sequence_length=2, vocabulary=["a", "b"])
    np.testing.assert_array_equal(short(["a b a b", "b"]), [[2, 3], [3, 0]])  # cut at the end
    np.testing.assert_array_equal(short("b a"), [3, 2])  # one string -> one row
    np.testing.assert_array_equal(short([b"a", np.str_("b")]), [[2, 0], [3, 0]])
    np.testing.assert_array_equal(short(np.array(["a", "b"])), [[2, 0], [3, 0]])
    tv.adapt(["z"])  # adapting again replaces the vocabulary
    assert tv.get_vocabulary() == ["", "[UNK]", "z"]


def test_stop_words():
    assert "the" in ENGLISH_STOP_WORDS and "not" not in ENGLISH_STOP_WORDS
    assert not {"no", "nor", "never", "don't", "isn't", "cannot"} & ENGLISH_STOP_WORDS
    tv = TextVectorization(stop_words="english")
    tv.adapt(["The film is not good.", "It's a film of the year"])
    assert tv.get_vocabulary() == ["", "[UNK]", "film", "year", "not", "good"]
    np.testing.assert_array_equal(tv(["the year is good"]), [[3, 5]])
    # your own list is standardized like the text: "It's" drops "its"
    own = TextVectorization(stop_words=["It's", "FILM"])
    assert own.tokenize("Its film, it's good") == ["good"]
    with pytest.raises(ValueError, match="stop_words"):
        TextVectorization(stop_words="german")
    with pytest.raises(TypeError, match="stop_words must be strings"):
        TextVectorization(stop_words=["a", 3])


def test_set_vocabulary_and_config_round_trip(tmp_path):
    tv = TextVectorization(max_tokens=6, output_sequence_length=3, stop_words=["x"])
    tv.set_vocabulary(["", "[UNK]", "b", "a"])  # leading special tokens are recognised
    assert tv.get_vocabulary() == ["", "[UNK]", "b", "a"]
    path = tmp_path / "vocab.txt"
    path.write_text("c\nd\n", encoding="utf-8")
    tv.set_vocabulary(str(path))
    assert tv.get_vocabulary() == ["", "[UNK]", "c", "d"]
    again = TextVectorization.from_config(tv.get_config())
    assert again.get_config() == tv.get_config()
    np.testing.assert_array_equal(again(["d x c q"]), tv(["d x c q"]))
    np.testing.assert_array_equal(tv(["d x c q"]), [[3, 2, 1]])


def test_text_vectorization_errors():
    with pytest.raises(ValueError, match="no vocabulary yet"):
        TextVectorization()(["a"])
    tv = TextVectorization()
    with pytest.raises(TypeError, match="single string"):
        tv.adapt("a b c")
    with pytest.raises(TypeError, match="expected strings, got int 3 at index 1"):
        tv.adapt(["a", 3])
    with pytest.raises(ValueError, match="output_mode='int'"):
        TextVectorization(output_mode="multi_hot")
    with pytest.raises(ValueError, match="max_tokens"):
        TextVectorization(max_tokens=1)
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorization(output_sequence_length=0)
    with pytest.raises(ValueError, match="standardize"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="repeats"):
        tv.set_vocabulary(["a", "b", "a"])
    with pytest.raises(ValueError, match="reserved token '\\[UNK\\]'"):
        tv.set_vocabulary(["a", "[UNK]"])
    with pytest.raises(ValueError, match="more than max_tokens=3"):
        TextVectorization(max_tokens=3, vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        tv.set_vocabulary([])


# ---------------------------------------------------------------- pad_sequences
def test_pad_sequences_keras_documented_outputs():
    seqs = [[1], [2, 3], [4, 5, 6]]
    out = pad_sequences(seqs)
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(pad_sequences(seqs, value=-1), [[-1, -1, 1], [-1, 2, 3],
                                                                  [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, padding="post"), [[1, 0, 0], [2, 3, 0],
                                                                        [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])


CASES = [
    dict(),
    dict(maxlen=4, padding="post", truncating="post"),
    dict(maxlen=2, dtype="float32", value=-1.5),
    dict(maxlen=5, padding="pre", truncating="post", value=9),
    dict(maxlen=1, dtype="int64"),
    dict(maxlen=0),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_pad_sequences_equals_installed_keras(kwargs):
    keras = keras_or_skip()
    rng = np.random.default_rng(1)
    seqs = [list(rng.integers(1, 50, n)) for n in (3, 0, 7, 1, 4)]
    vecs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 0, 5)]
    for data, extra in ((seqs, {}), (vecs, {"dtype": "float32"})):
        args = {**kwargs, **extra}
        try:
            want = keras.utils.pad_sequences(data, **args)
        except ValueError:
            assert args.get("maxlen") == 0  # Keras cannot pad to length 0; pynn returns (n, 0)
            assert pad_sequences(data, **args).shape[:2] == (len(data), 0)
            continue
        got = pad_sequences(data, **args)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match="item 1"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="sequence 1 has elements of shape"):
        pad_sequences([np.zeros((2, 3)), np.zeros((2, 4))], dtype="float32")
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")


# ---------------------------------------------------------------- word vectors
GLOVE = """the 0.1 0.2 0.3
cat 1 2 3
new york -1 -2 -3.5
dog 4 5 6
cat 9 9 9
"""


def test_load_glove_text_into_an_embedding(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text(GLOVE, encoding="utf-8")
    tv = TextVectorization(vocabulary=["cat", "dog", "fish", "new york"])
    m = load_word_vectors(str(path), tv)
    assert m.dtype == np.float32 and m.shape == (6, 3)
    np.testing.assert_array_equal(m, [[0, 0, 0],          # '' padding
                                      [0, 0, 0],          # '[UNK]'
                                      [1, 2, 3],          # cat (its first line wins)
                                      [4, 5, 6],          # dog
                                      [0, 0, 0],          # fish: not in the file
                                      [-1, -2, -3.5]])    # a word with a space (GloVe 840B)
    # ready for Embedding, through the initializer or weights=
    ids = tv(["dog cat fish"]).astype(np.float32)
    for emb in (pynn.layers.Embedding(6, 3, embeddings_initializer=pynn.initializers.Constant(m)),
                pynn.layers.Embedding(6, 3, weights=[m]), pynn.layers.Embedding(6, 3, weights=m)):
        np.testing.assert_array_equal(emb(ids).numpy()[0], m[[3, 2, 4]])


def test_word2vec_header_file_objects_and_gzip(tmp_path):
    text = "3 2\nking 0.5 -0.5\nqueen 0.25 0.75\nman 1 1\n"
    vocab = ["", "[UNK]", "queen", "king"]
    want = [[0, 0], [0, 0], [0.25, 0.75], [0.5, -0.5]]
    np.testing.assert_array_equal(load_word_vectors(io.StringIO(text), vocab), want)
    np.testing.assert_array_equal(load_word_vectors(io.BytesIO(text.encode()), vocab,
                                                    embedding_dim=2), want)
    gz = tmp_path / "w2v.txt.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write(text)
    np.testing.assert_array_equal(load_word_vectors(gz, vocab), want)


def test_unknown_words_random_normal():
    text = "a 1 3\nb 3 1\n"
    vocab = ["", "[UNK]", "a", "zz", "yy"]
    m1 = load_word_vectors(io.StringIO(text), vocab, unknown="normal", seed=0)
    m2 = load_word_vectors(io.StringIO(text), vocab, unknown="normal", seed=0)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(m1[0], [0, 0])       # padding stays zero
    np.testing.assert_array_equal(m1[2], [1, 3])
    # loaded values 1, 3, 3, 1: mean 2, std 1
    want = np.random.default_rng(0).normal(2.0, 1.0, (5, 2)).astype(np.float32)
    np.testing.assert_array_equal(m1[[1, 3, 4]], want[[1, 3, 4]])


def test_word_vector_errors_name_the_line():
    with pytest.raises(ValueError, match="line 3 has 2 values after the word, expected "
                                         "dimension 3"):
        load_word_vectors(io.StringIO("a 1 2 3\nb 1 2 3\nc 1 2\n"), ["a"])
    with pytest.raises(ValueError, match="line 2 has 4 values.*expected dimension 3"):
        load_word_vectors(io.StringIO("a 1 2 3\nb 1 2 3 4\n"), ["a"])
    with pytest.raises(ValueError, match="line 1 has 3 values.*expected dimension 5"):
        load_word_vectors(io.StringIO("a 1 2 3\n"), ["a"], embedding_dim=5)
    with pytest.raises(ValueError, match="line 1 \\(the word2vec header\\) gives dimension 2"):
        load_word_vectors(io.StringIO("1 2\na 1 2\n"), ["a"], embedding_dim=3)
    with pytest.raises(ValueError, match="line 2 \\(word 'b'\\) holds a value that is not a number"):
        load_word_vectors(io.StringIO("a 1 2\nb 1 x\n"), ["b"])
    with pytest.raises(ValueError, match="line 2 is not UTF-8"):
        load_word_vectors(io.BytesIO(b"a 1 2\n\xff\xfe\x00 1 2\n"), ["a"])
    with pytest.raises(ValueError, match="no vectors"):
        load_word_vectors(io.StringIO(""), ["a"])
    with pytest.raises(ValueError, match="unknown must be"):
        load_word_vectors(io.StringIO("a 1\n"), ["a"], unknown="mean")
    with pytest.raises(TypeError, match="path or a file object"):
        load_word_vectors(42, ["a"])
