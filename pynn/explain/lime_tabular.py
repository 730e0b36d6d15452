"""LIME for tabular data, following lime's LimeTabularExplainer.

Defaults as lime's: continuous features are cut at their training quartiles
and each sample draws every feature's bin from the training bin frequencies; the
surrogate sees 1 where a sample's bin (or category) equals the explained row's,
so distances count differing features; the model sees values drawn from a
normal truncated to the bin with the bin's mean and std. kernel_width =
0.75·sqrt(n_features), num_samples = 5000, num_features = 10, a ridge(alpha=1)
surrogate weighted by the kernel. Drawing uses NumPy's RandomState in lime's
order, so the binary samples equal lime's for the same seed."""
import numpy as np

from ._lime_base import Explanation, check_common, explain_label
from ._model import predict_function


class _BinDiscretizer:
    """Percentile bins per continuous feature (lime's quartile / decile)."""

    def __init__(self, data, features, names, percentiles):
        self.features = list(features)
        self.edges, self.names, self.stats = {}, {}, {}
        for f in self.features:
            col = data[:, f]
            edges = np.unique(np.percentile(col, percentiles))
            self.edges[f] = edges
            label = [f"{names[f]} <= {edges[0]:.2f}"]
            label += [f"{a:.2f} < {names[f]} <= {b:.2f}" for a, b in zip(edges[:-1], edges[1:])]
            label.append(f"{names[f]} > {edges[-1]:.2f}")
            self.names[f] = label
            bins = np.searchsorted(edges, col)
            means, stds = [], []
            for b in range(len(edges) + 1):
                sel = col[bins == b]
                means.append(sel.mean() if len(sel) else 0.0)
                stds.append((sel.std() if len(sel) else 0.0) + 1e-11)
            lows = np.r_[col.min(), edges]
            highs = np.r_[edges, col.max()]
            self.stats[f] = (np.array(means), np.array(stds), lows, highs)

    def discretize(self, rows):
        out = np.array(rows, np.float64, copy=True)
        for f in self.features:
            out[..., f] = np.searchsorted(self.edges[f], out[..., f])
        return out

    def undiscretize(self, rows, rs):
        """Values for the bins in rows: normal draws truncated to each bin."""
        out = rows.copy()
        for f in self.features:
            b = rows[:, f].astype(np.int64)
            means, stds, lows, highs = (s[b] for s in self.stats[f])
            out[:, f] = _truncated_normal(means, stds, lows, highs, rs)
        return out


def _truncated_normal(mean, std, low, high, rs, max_rounds=1000):
    """N(mean, std²) restricted to [low, high], by rejection (a bin holds its own
    data's mean, so at least a third of the mass is inside); a degenerate bin
    gives its one value."""
    out = np.where(low == high, low, 0.0)
    todo = np.nonzero(low != high)[0]
    for _ in range(max_rounds):
        if len(todo) == 0:
            return out
        draw = mean[todo] + std[todo] * rs.standard_normal(len(todo))
        ok = (draw >= low[todo]) & (draw <= high[todo])
        out[todo[ok]] = draw[ok]
        todo = todo[~ok]
    out[todo] = rs.uniform(low[todo], high[todo])  # a bin far in the tail: nearly flat there
    return out


class LimeTabularExplainer:
    """LIME for tabular data (Ribeiro et al., 2016), as the ``lime`` package's LimeTabularExplainer.

    Perturbs a row around the training data's statistics, weights the samples
    by their closeness, and fits a weighted ridge model whose coefficients are
    the explanation. ``explain_instance`` returns an `Explanation`.

    Parameters
    ----------
    training_data : array_like
        2-D numeric training rows (statistics for the perturbations).
    mode : {"classification", "regression"}, default "classification"
        What the model predicts.
    feature_names : list of str, optional
        Names of the columns.
    categorical_features : list of int, optional
        Indices of categorical columns.
    categorical_names : dict, optional
        ``{column: [value names]}``.
    kernel_width : float, optional
        Width of the exponential kernel (default ``0.75 * sqrt(d)``).
    class_names : list of str, optional
        Names of the classes.
    feature_selection : str, default "auto"
        "auto", "forward_selection", "highest_weights", "lasso_path" or "none".
    discretize_continuous : bool, default True
        Explain continuous features by bins.
    discretizer : {"quartile", "decile"}, default "quartile"
        How bins are made.
    sample_around_instance : bool, default False
        Perturb around the row instead of the data's mean.
    random_state : int, optional
        Seed of the perturbations.

    Raises
    ------
    TypeError
        Non-numeric training data.
    ValueError
        Bad shapes or options (named).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> def predict_proba(rows):  # depends on feature a only
    ...     p = 1 / (1 + np.exp(-rows[:, 0]))
    ...     return np.stack([1 - p, p], axis=1)
    >>> lime = pynn.explain.LimeTabularExplainer(X, feature_names=["a", "b", "c"], random_state=0)
    >>> explanation = lime.explain_instance(X[0], predict_proba, num_features=2, num_samples=500)
    >>> explanation.as_list()[0][0]  # the most important: a bin of feature a
    '-0.10 < a <= 0.66'
    """

    def __init__(self, training_data, mode="classification", feature_names=None,
                 categorical_features=None, categorical_names=None, kernel_width=None,
                 class_names=None, feature_selection="auto", discretize_continuous=True,
                 discretizer="quartile", sample_around_instance=False, random_state=None):
        who = "LimeTabularExplainer"
        try:
            data = np.asarray(training_data, np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: training_data must be a numeric 2-d array") from None
        if data.ndim != 2 or len(data) == 0:
            raise ValueError(f"{who}: training_data must be 2-d with at least one row, got shape "
                             f"{data.shape}")
        if mode not in ("classification", "regression"):
            raise ValueError(f"{who}: mode must be 'classification' or 'regression', got {mode!r}")
        d = data.shape[1]
        self.mode = mode
        self.feature_names = [str(i) for i in range(d)] if feature_names is None else \
            [str(n) for n in feature_names]
        if len(self.feature_names) != d:
            raise ValueError(f"{who}: {len(self.feature_names)} feature_names for {d} features")
        self.categorical_features = sorted(int(c) for c in (categorical_features or []))
        if any(not 0 <= c < d for c in self.categorical_features):
            raise ValueError(f"{who}: categorical_features must be column indices in [0, {d})")
        self.categorical_names = dict(categorical_names or {})
        self.class_names = class_names
        self.feature_selection = feature_selection
        self.sample_around_instance = bool(sample_around_instance)
        self.kernel_width = 0.75 * np.sqrt(d) if kernel_width is None else float(kernel_width)
        self._rs = np.random.RandomState(random_state)

        self.discretizer = None
        if discretize_continuous:
            percentiles = {"quartile": [25, 50, 75], "decile": list(range(10, 100, 10))}
            if discretizer not in percentiles:
                raise ValueError(f"{who}: discretizer must be 'quartile' or 'decile', got "
                                 f"{discretizer!r}")
            continuous = [f for f in range(d) if f not in self.categorical_features]
            self.discretizer = _BinDiscretizer(data, continuous, self.feature_names,
                                               percentiles[discretizer])
            self.categorical_features = list(range(d))
            sampled_from = self.discretizer.discretize(data)
        else:
            sampled_from = data
        # the surrogate's scaling: continuous features by their std, binary ones as they are
        self.mean = data.mean(axis=0)
        self.scale = data.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.values, self.frequencies = {}, {}
        for f in self.categorical_features:
            values, counts = np.unique(sampled_from[:, f], return_counts=True)
            self.values[f], self.frequencies[f] = values, counts / counts.sum()
            self.mean[f], self.scale[f] = 0.0, 1.0

    def _neighbourhood(self, row, num_samples, rs):
        """(surrogate data, model inputs), the first row being the explained one."""
        d = len(row)
        if self.discretizer is None:
            data = rs.normal(0, 1, num_samples * d).reshape(num_samples, d)
            data = data * self.scale + (row if self.sample_around_instance else self.mean)
            first = row
        else:
            data = np.zeros((num_samples, d))
            first = self.discretizer.discretize(row)
        data[0] = row
        inverse = data.copy()
        for f in self.categorical_features:
            drawn = rs.choice(self.values[f], size=num_samples, replace=True, p=self.frequencies[f])
            binary = (drawn == first[f]).astype(np.float64)
            binary[0] = 1.0
            drawn[0] = data[0, f]
            data[:, f] = binary
            inverse[:, f] = drawn
        if self.discretizer is not None:
            inverse[1:] = self.discretizer.undiscretize(inverse[1:], rs)
        inverse[0] = row
        return data, inverse

    def _names(self, row):
        names = list(self.feature_names)
        for f in self.categorical_features:
            if self.discretizer is not None and f in self.discretizer.edges:
                names[f] = self.discretizer.names[f][int(np.searchsorted(self.discretizer.edges[f],
                                                                        row[f]))]
            else:
                value = int(row[f])
                if f in self.categorical_names:  # a list (or dict) of names by category value
                    value = self.categorical_names[f][value]
                names[f] = f"{self.feature_names[f]}={value}"
        return names

    def explain_instance(self, data_row, predict_fn, labels=(1,), top_labels=None, num_features=10,
                         num_samples=5000, distance_metric="euclidean", random_state=None):
        """Explains one prediction with a local linear surrogate.

        Parameters
        ----------
        data_row : array_like
            The row to explain, ``(d,)``.
        predict_fn : Model or callable
            A pynn model or a function (n, d) -> probabilities (n, classes), or values
            (n,) in regression mode.
        labels : tuple of int, default (1,)
            The classes to explain.
        top_labels : int, optional
            Explain the k most probable classes instead.
        num_features : int, default 10
            Features in the explanation.
        num_samples : int, default 5000
            Perturbed samples.
        distance_metric : {"euclidean", "cosine"}, default "euclidean"
            Closeness of the samples.
        random_state : int, optional
            Makes this call reproducible on its own.

        Returns
        -------
        Explanation

        Raises
        ------
        ValueError
            A row of the wrong shape or bad options.

        Examples
        --------
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> lime = pynn.explain.LimeTabularExplainer(X, mode="regression",
        ...                                          feature_names=["x0", "x1"])
        >>> def predict(rows):
        ...     return 3 * rows[:, 1]
        >>> explanation = lime.explain_instance(X[0], predict, num_samples=300, random_state=0)
        >>> explanation.as_list()[0][0]  # a regression is explained under label 1, as in lime
        '-0.59 < x1 <= 0.10'
        """
        who = "LimeTabularExplainer.explain_instance"
        check_common(num_features, num_samples, self.feature_selection, who)
        row = np.asarray(data_row, np.float64)
        if row.shape != (len(self.feature_names),):
            raise ValueError(f"{who}: data_row must have shape ({len(self.feature_names)},), got "
                             f"{row.shape}")
        if distance_metric not in ("euclidean", "cosine"):
            raise ValueError(f"{who}: distance_metric must be 'euclidean' or 'cosine', got "
                             f"{distance_metric!r}")
        f = predict_function(predict_fn, who)
        rs = self._rs if random_state is None else np.random.RandomState(random_state)
        data, inverse = self._neighbourhood(row, num_samples, rs)
        scaled = (data - self.mean) / self.scale
        distances = _distances(scaled, distance_metric)
        yss = f(inverse)
        if self.mode == "classification":
            if yss.ndim != 2:
                raise ValueError(f"{who}: in classification mode the model must return class "
                                 f"probabilities of shape (n, classes), got shape {yss.shape}")
            prediction = yss[0]
            if top_labels:
                labels = list(np.argsort(yss[0])[-top_labels:][::-1])
        else:
            if yss.ndim == 2 and yss.shape[1] == 1:
                yss = yss[:, 0]
            if yss.ndim != 1:
                raise ValueError(f"{who}: in regression mode the model must return one value per "
                                 f"row, got shape {yss.shape}")
            prediction = float(yss[0])
            yss, labels = yss[:, None], [0]
        exp = Explanation(self.mode, self._names(row), self.class_names, prediction)
        exp.top_labels = labels if top_labels else None
        for label in labels:
            if not 0 <= int(label) < yss.shape[1]:
                raise ValueError(f"{who}: label {label} is not a column of the model's output "
                                 f"({yss.shape[1]} columns)")
            key = 1 if self.mode == "regression" else int(label)
            (exp.intercept[key], exp.local_exp[key], exp.score[key],
             exp.local_pred[key]) = explain_label(scaled, yss[:, int(label)], distances,
                                                  self.kernel_width, num_features,
                                                  self.feature_selection)
        return exp


def _distances(scaled, metric):
    """Distance of every row to the first one."""
    if metric == "euclidean":
        return np.sqrt(((scaled - scaled[0]) ** 2).sum(axis=1))
    norms = np.linalg.norm(scaled, axis=1) * np.linalg.norm(scaled[0])
    cos = np.where(norms > 0, scaled @ scaled[0] / np.where(norms > 0, norms, 1.0), 0.0)
    return 1.0 - cos
