"""LIME for text, following lime's LimeTextExplainer: each sample removes a
uniformly drawn number of the document's distinct words (every occurrence), the
model sees the shortened strings, distances are cosine distances ×100 between
word-presence vectors, kernel_width = 25, a ridge(alpha=1) surrogate."""
import re

import numpy as np

from ._lime_base import Explanation, check_common, explain_label
from .lime_tabular import _distances
from ._model import predict_function


class _Words:
    """A document cut into words and the text between them (lime's IndexedString,
    bag-of-words: a word is one feature wherever it appears)."""

    def __init__(self, text, split_expression, bow, mask_string):
        splitter = re.compile(r"(%s)|$" % split_expression)
        self.pieces = [p for p in splitter.split(text) if p]
        self.bow, self.mask = bow, mask_string
        self.words, self.positions = [], []
        index = {}
        for i, piece in enumerate(self.pieces):
            if splitter.match(piece):
                continue  # separators are kept as they are
            if not bow:
                self.words.append(piece)
                self.positions.append([i])
            elif piece in index:
                self.positions[index[piece]].append(i)
            else:
                index[piece] = len(self.words)
                self.words.append(piece)
                self.positions.append([i])

    def without(self, removed):
        drop = {p for w in removed for p in self.positions[w]}
        if self.bow:
            return "".join(p for i, p in enumerate(self.pieces) if i not in drop)
        return "".join(self.mask if i in drop else p for i, p in enumerate(self.pieces))


class LimeTextExplainer:
    """LIME for text (Ribeiro et al., 2016): which words drive a text classifier's prediction.

    Removes random subsets of the words, weights the variants by their
    cosine closeness, and fits a weighted ridge model over word presence.

    Parameters
    ----------
    kernel_width : float, default 25
        Width of the exponential kernel.
    class_names : list of str, optional
        Names of the classes.
    feature_selection : str, default "auto"
        As for `LimeTabularExplainer`.
    split_expression : str, default r"\\W+"
        Regex that splits words.
    bow : bool, default True
        Treat a word's occurrences as one feature (False: each position).
    mask_string : str, optional
        What replaces a removed word when bow is False (default "UNKWORDZ").
    random_state : int, optional
        Seed of the perturbations.

    Examples
    --------
    >>> def classifier(texts):
    ...     return np.array([[0.2, 0.8] if "good" in t else [0.9, 0.1] for t in texts])
    >>> lime = pynn.explain.LimeTextExplainer(random_state=0)
    >>> explanation = lime.explain_instance("a good movie", classifier, num_features=1,
    ...                                     num_samples=200)
    >>> [word for word, weight in explanation.as_list()]
    ['good']
    """

    def __init__(self, kernel_width=25, class_names=None, feature_selection="auto",
                 split_expression=r"\W+", bow=True, mask_string=None, random_state=None):
        self.kernel_width = float(kernel_width)
        self.class_names = class_names
        self.feature_selection = feature_selection
        self.split_expression = split_expression
        self.bow = bool(bow)
        self.mask_string = "UNKWORDZ" if mask_string is None else mask_string
        self._rs = np.random.RandomState(random_state)

    def explain_instance(self, text_instance, classifier_fn, labels=(1,), top_labels=None,
                         num_features=10, num_samples=5000, distance_metric="cosine",
                         random_state=None):
        """Explains one text's prediction by its words.

        Parameters
        ----------
        text_instance : str
            The text.
        classifier_fn : callable
            A function list of str -> probabilities (n, classes), e.g. a
            TextVectorization step followed by a pynn model.
        labels : tuple of int, default (1,)
            The classes to explain.
        top_labels : int, optional
            Explain the k most probable classes instead.
        num_features : int, default 10
            Words in the explanation.
        num_samples : int, default 5000
            Perturbed texts.
        distance_metric : {"cosine", "euclidean"}, default "cosine"
            Closeness of the variants.
        random_state : int, optional
            Makes this call reproducible on its own.

        Returns
        -------
        Explanation
            Its features are the document's words.

        Raises
        ------
        TypeError
            text_instance is not a str.
        ValueError
            Bad options.

        Examples
        --------
        >>> def classifier(texts):
        ...     return np.array([[0.9, 0.1] if "bad" in t else [0.3, 0.7] for t in texts])
        >>> lime = pynn.explain.LimeTextExplainer()
        >>> explanation = lime.explain_instance("not bad at all", classifier, num_features=1,
        ...                                     num_samples=200, random_state=0)
        >>> word, weight = explanation.as_list()[0]
        >>> word, weight < 0  # 'bad' pushes towards class 0
        ('bad', True)
        """
        who = "LimeTextExplainer.explain_instance"
        check_common(num_features, num_samples, self.feature_selection, who)
        if not isinstance(text_instance, str):
            raise TypeError(f"{who}: text_instance must be a str, got {type(text_instance).__name__}")
        if distance_metric not in ("euclidean", "cosine"):
            raise ValueError(f"{who}: distance_metric must be 'cosine' or 'euclidean', got "
                             f"{distance_metric!r}")
        doc = _Words(text_instance, self.split_expression, self.bow, self.mask_string)
        n_words = len(doc.words)
        if n_words == 0:
            raise ValueError(f"{who}: the text has no words to explain: {text_instance!r}")
        f = predict_function(classifier_fn, who)
        rs = self._rs if random_state is None else np.random.RandomState(random_state)

        sizes = rs.randint(1, n_words + 1, num_samples - 1)
        data = np.ones((num_samples, n_words))
        texts = [text_instance]
        for i, size in enumerate(sizes, start=1):
            removed = rs.choice(n_words, size, replace=False)
            data[i, removed] = 0
            texts.append(doc.without(removed))
        yss = f(texts)
        if yss.ndim != 2 or len(yss) != num_samples:
            raise ValueError(f"{who}: classifier_fn must return probabilities of shape "
                             f"({num_samples}, classes) for {num_samples} texts, got {yss.shape}")
        distances = _distances(data, distance_metric) * 100
        exp = Explanation("classification", doc.words, self.class_names, yss[0])
        if top_labels:
            labels = list(np.argsort(yss[0])[-top_labels:][::-1])
            exp.top_labels = labels
        for label in labels:
            if not 0 <= int(label) < yss.shape[1]:
                raise ValueError(f"{who}: label {label} is not a column of the classifier's output "
                                 f"({yss.shape[1]} columns)")
            (exp.intercept[int(label)], exp.local_exp[int(label)], exp.score[int(label)],
             exp.local_pred[int(label)]) = explain_label(data, yss[:, int(label)], distances,
                                                         self.kernel_width, num_features,
                                                         self.feature_selection)
        return exp
