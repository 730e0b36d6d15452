"""LIME for tables and text: lime's own numbers for the same seed (where lime is
installed), and properties that hold without it."""
import warnings

import numpy as np
import pytest

import pynn
from pynn.explain import LimeTabularExplainer, LimeTextExplainer
from pynn.layers import Dense

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 5))
QUARTILES = np.percentile(X, [25, 50, 75], axis=0)


def bin_model(A):
    """A classifier of the quartile bins only, so its outputs do not depend on where
    inside a bin LIME puts a sample."""
    b = np.stack([np.searchsorted(QUARTILES[:, j], A[:, j]) for j in range(5)], axis=1)
    z = 0.8 * b[:, 0] - 0.5 * b[:, 2] + 0.3 * (b[:, 1] == 3) - 0.2 * b[:, 4]
    p = 1 / (1 + np.exp(-z))
    return np.c_[1 - p, p]


def word_model(texts):
    p = np.array([0.1 + 0.5 * ("good" in t.split()) + 0.3 * ("fun" in t) - 0.2 * ("dull" in t)
                  for t in texts])
    p = np.clip(p, 0.0, 1.0)
    return np.c_[1 - p, p]


TEXT = "a good movie, really good and fun to watch, never dull"


# ---------------------------------------------------------------- lime itself
@pytest.mark.parametrize("num_features", [10, 3])  # highest_weights, forward_selection
def test_tabular_matches_lime(num_features):
    lime_tabular = pytest.importorskip("lime.lime_tabular")
    ref = lime_tabular.LimeTabularExplainer(X, random_state=1).explain_instance(
        X[3], bin_model, num_features=num_features, num_samples=500)
    ours = LimeTabularExplainer(X).explain_instance(X[3], bin_model, num_features=num_features,
                                                    num_samples=500, random_state=1)
    assert [n for n, _ in ours.as_list()] == [n for n, _ in ref.as_list()]
    np.testing.assert_allclose([w for _, w in ours.as_list()], [w for _, w in ref.as_list()],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.intercept[1], ref.intercept[1], rtol=1e-9)
    np.testing.assert_allclose(ours.score[1], ref.score, rtol=1e-9)


def test_text_matches_lime():
    lime_text = pytest.importorskip("lime.lime_text")
    ref = lime_text.LimeTextExplainer(random_state=2).explain_instance(TEXT, word_model,
                                                                        num_samples=300)
    ours = LimeTextExplainer().explain_instance(TEXT, word_model, num_samples=300, random_state=2)
    assert [str(n) for n, _ in ref.as_list()] == [n for n, _ in ours.as_list()]
    np.testing.assert_allclose([w for _, w in ours.as_list()], [w for _, w in ref.as_list()],
                               rtol=1e-8, atol=1e-12)
    ref4 = lime_text.LimeTextExplainer(random_state=3).explain_instance(
        TEXT, word_model, num_samples=300, num_features=4, labels=(0, 1))
    ours4 = LimeTextExplainer().explain_instance(TEXT, word_model, num_samples=300,
                                                 num_features=4, labels=(0, 1), random_state=3)
    for label in (0, 1):
        assert [str(n) for n, _ in ref4.as_list(label)] == [n for n, _ in ours4.as_list(label)]


# ---------------------------------------------------------------- properties
def test_tabular_ranks_the_features_the_model_uses_and_is_reproducible():
    explainer = LimeTabularExplainer(X, feature_names=["a", "b", "c", "d", "e"])
    e1 = explainer.explain_instance(X[7], bin_model, random_state=5)
    e2 = explainer.explain_instance(X[7], bin_model, random_state=5)
    assert e1.as_list() == e2.as_list()
    e3 = explainer.explain_instance(X[7], bin_model, random_state=6)
    assert e1.as_list() != e3.as_list()
    top = e1.as_list()[0][0]
    assert top.startswith("a ") or " a " in top  # feature 0 carries most of the logit
    assert explainer.kernel_width == pytest.approx(0.75 * np.sqrt(5))
    assert 0.0 < e1.score[1] <= 1.0


def test_continuous_sampling_recovers_a_linear_model():
    """Without discretisation the surrogate sees standardised features, so for
    f = w·x + c its coefficients are w_j·std_j (ridge(1) barely shrinks 5000 rows)."""
    w = np.array([1.0, -2.0, 0.0, 0.5, 3.0])
    explainer = LimeTabularExplainer(X, mode="regression", discretize_continuous=False)
    exp = explainer.explain_instance(X[0], lambda A: A @ w + 1.0, num_features=5, random_state=0)
    coef = dict(exp.local_exp[1])
    np.testing.assert_allclose([coef[j] for j in range(5)], w * X.std(axis=0), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(exp.local_pred[1], X[0] @ w + 1.0, atol=5e-3)
    assert exp.prediction == pytest.approx(X[0] @ w + 1.0)


def test_model_inputs_stay_inside_the_drawn_bins():
    seen = []

    def recorder(A):
        seen.append(A.copy())
        return bin_model(A)

    explainer = LimeTabularExplainer(X)
    explainer.explain_instance(X[1], recorder, num_samples=400, random_state=0)
    A = seen[0]
    np.testing.assert_array_equal(A[0], X[1])
    assert np.all(A.min(axis=0) >= X.min(axis=0)) and np.all(A.max(axis=0) <= X.max(axis=0))
    # every feature's drawn bins follow the training bin frequencies (about 1/4 each)
    bins = np.stack([np.searchsorted(QUARTILES[:, j], A[1:, j]) for j in range(5)], axis=1)
    for j in range(5):
        freq = np.bincount(bins[:, j], minlength=4) / len(bins)
        np.testing.assert_allclose(freq, 0.25, atol=0.08)


def test_tabular_with_a_pynn_model_and_categorical_features():
    rng = np.random.default_rng(1)
    data = np.c_[rng.normal(size=(150, 3)), rng.integers(0, 3, 150)]
    model = pynn.Sequential([pynn.Input(shape=(4,)), Dense(3, activation="softmax")])
    model.set_weights([np.array([[2.0, 0, -2], [0, 0, 0], [0, 0, 0], [0, 1.5, 0]]), np.zeros(3)])
    explainer = LimeTabularExplainer(data, categorical_features=[3],
                                     categorical_names={3: ["red", "green", "blue"]},
                                     class_names=["x", "y", "z"])
    exp = explainer.explain_instance(data[0], model, top_labels=2, random_state=0)
    assert len(exp.top_labels) == 2 and exp.top_labels[0] == int(np.argmax(exp.prediction))
    names = [n for n, _ in exp.as_list(exp.top_labels[0])]
    assert f"3={['red', 'green', 'blue'][int(data[0, 3])]}" in names
    np.testing.assert_allclose(exp.prediction, model.predict(data[:1], verbose=0)[0], rtol=1e-6)


def test_text_explanation_finds_the_decisive_words():
    exp = LimeTextExplainer(class_names=["neg", "pos"]).explain_instance(
        TEXT, word_model, num_samples=1000, random_state=0)
    ranked = [w for w, _ in exp.as_list()]
    assert ranked[:3] == ["good", "fun", "dull"]
    weights = dict(exp.as_list())
    assert weights["good"] == pytest.approx(0.5, abs=0.05)
    assert weights["fun"] == pytest.approx(0.3, abs=0.05)
    assert weights["dull"] == pytest.approx(-0.2, abs=0.05)


def test_text_removes_every_occurrence_of_a_word():
    texts = []

    def recorder(batch):
        texts.extend(batch)
        return word_model(batch)

    LimeTextExplainer().explain_instance("good good bad", recorder, num_samples=50, random_state=0)
    assert texts[0] == "good good bad"
    assert set(texts[1:]) <= {"  bad", "good good ", "  "}  # the separators stay


def test_bad_input_errors():
    explainer = LimeTabularExplainer(X)
    with pytest.raises(ValueError, match=r"data_row must have shape \(5,\)"):
        explainer.explain_instance(X[0, :3], bin_model)
    with pytest.raises(ValueError, match="class probabilities"):
        explainer.explain_instance(X[0], lambda A: A[:, 0])
    with pytest.raises(ValueError, match="num_samples"):
        explainer.explain_instance(X[0], bin_model, num_samples=1)
    with pytest.raises(ValueError, match="label 4"):
        explainer.explain_instance(X[0], bin_model, labels=(4,))
    with pytest.raises(ValueError, match="discretizer"):
        LimeTabularExplainer(X, discretizer="entropy")
    with pytest.raises(ValueError, match="mode"):
        LimeTabularExplainer(X, mode="ranking")
    with pytest.raises(ValueError, match="feature_selection"):
        LimeTabularExplainer(X, feature_selection="lasso").explain_instance(X[0], bin_model)
    with pytest.raises(TypeError, match="must be a str"):
        LimeTextExplainer().explain_instance(["a list"], word_model)
    with pytest.raises(ValueError, match="no words"):
        LimeTextExplainer().explain_instance(" ,; ", word_model)
    with pytest.raises(KeyError, match="label 0"):
        LimeTextExplainer().explain_instance("good film", word_model, num_samples=20,
                                             random_state=0).as_list(0)


def test_text_explanation_of_a_pynn_sentiment_model_is_faithful():
    """A bag-of-words pynn model trained on the bundled movie-review snippets,
    explained through a strings -> probabilities function: deleting the word LIME
    ranks most positive lowers the model's positive probability, deleting the
    most negative one raises it."""
    import re
    from pynn.datasets import sentiment
    (texts, labels), _ = sentiment.load_data()
    texts, labels = texts[:3000], labels[:3000]
    tokenize = lambda t: re.findall(r"\w+", t.lower())  # noqa: E731
    counts = {}
    for t in texts:
        for w in set(tokenize(t)):
            counts[w] = counts.get(w, 0) + 1
    vocab = {w: i for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 3))}

    def vectorize(batch):
        out = np.zeros((len(batch), len(vocab)), np.float32)
        for r, t in enumerate(batch):
            for w in tokenize(t):
                if w in vocab:
                    out[r, vocab[w]] = 1.0
        return out

    pynn.set_seed(0)
    model = pynn.Sequential([pynn.Input(shape=(len(vocab),)), Dense(2, activation="softmax")])
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(vectorize(texts), labels, batch_size=64, epochs=3, verbose=0)

    def classify(batch):
        return model.predict(vectorize(batch), verbose=0)

    text = "a gorgeous, witty and moving film, though the ending is a dull mess"
    exp = LimeTextExplainer(class_names=["negative", "positive"]).explain_instance(
        text, classify, num_samples=1000, random_state=0)
    ranked = exp.as_list()
    best_word = max(ranked, key=lambda t: t[1])[0]
    worst_word = min(ranked, key=lambda t: t[1])[0]
    p = classify([text])[0, 1]
    without = lambda w: re.sub(rf"\b{w}\b", "", text)  # noqa: E731
    assert classify([without(best_word)])[0, 1] < p < classify([without(worst_word)])[0, 1]
    assert exp.score[1] > 0.5  # the linear surrogate fits the bag-of-words model locally
