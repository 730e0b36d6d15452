"""pynn.fairness: is the model fair across groups? (Fairlearn's metrics and
semantics, NumPy only; mitigation by group thresholds and by reweighing.)

MetricFrame(metrics=..., y_true=..., y_pred=..., sensitive_features=...)
evaluates metrics on the whole data (`overall`) and on every group
(`by_group`, a dict keyed by group value, or by a tuple of values when there are
several sensitive features; groups in sorted order); group_min / group_max /
difference / ratio summarise the disparity as Fairlearn does. With a dict of
metrics, `overall` and the summaries are dicts by metric name and `by_group`
is {metric name: {group: value}}."""
import math

import numpy as np

__all__ = ["MetricFrame", "ThresholdOptimizer", "reweighing", "selection_rate",
           "mean_prediction", "count", "true_positive_rate", "false_positive_rate",
           "true_negative_rate", "false_negative_rate", "demographic_parity_difference",
           "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio",
           "equal_opportunity_difference", "equal_opportunity_ratio"]

# ---------------------------------------------------------------- base metrics


def _vector(a, who, name):
    arr = np.asarray(a)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be one value per sample (1-d), got shape {arr.shape}")
    return arr


def _weights(sample_weight, n, who):
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, np.float64).reshape(-1)
    if len(w) != n:
        raise ValueError(f"{who}: sample_weight has {len(w)} entries for {n} samples")
    return w


def _positive_label(y_true, y_pred, pos_label, who):
    """Fairlearn's rule: without pos_label the labels must be {0, 1} or {-1, 1}
    and 1 is positive; at most two labels, and pos_label must be one of them."""
    labels = set(np.unique(np.concatenate([np.asarray(y_true).ravel(),
                                           np.asarray(y_pred).ravel()])).tolist())
    if len(labels) > 2:
        raise ValueError(f"{who}: at most two label values are allowed, got {sorted(labels)}")
    if pos_label is None:
        if not (labels <= {0, 1} or labels <= {-1, 1}):
            raise ValueError(f"{who}: without pos_label the labels must be from {{0, 1}} or "
                             f"{{-1, 1}}, got {sorted(labels)}")
        return 1
    if len(labels) == 2 and pos_label not in labels:
        raise ValueError(f"{who}: pos_label {pos_label!r} is not one of the labels {sorted(labels)}")
    return pos_label


def _rate(y_true, y_pred, sample_weight, pos_label, truth, predicted, who):
    """Weighted P(ŷ is `predicted` | y is `truth`), 0 when no sample has y = truth
    (as scikit-learn's normalised confusion matrix)."""
    y_true = _vector(y_true, who, "y_true")
    y_pred = _vector(y_pred, who, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{who}: y_true has {len(y_true)} samples and y_pred {len(y_pred)}")
    w = _weights(sample_weight, len(y_true), who)
    pos = _positive_label(y_true, y_pred, pos_label, who)
    given = (y_true == pos) == truth
    total = w[given].sum()
    if total == 0:
        return 0.0
    return float(w[given & ((y_pred == pos) == predicted)].sum() / total)


def true_positive_rate(y_true, y_pred, sample_weight=None, pos_label=None):
    """True positive rate (recall): the weighted fraction of positives predicted positive
    (Fairlearn's ``true_positive_rate``).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sample_weight : array_like, optional
        One weight per sample.
    pos_label : optional
        The positive label (default: 1, or the larger of two labels).

    Returns
    -------
    float
        0.0 when there is nothing to divide by.

    Raises
    ------
    ValueError
        Inputs of different lengths, or not 1-D.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.true_positive_rate(y_true, y_pred)
    0.75
    """
    return _rate(y_true, y_pred, sample_weight, pos_label, True, True, "true_positive_rate")


def false_positive_rate(y_true, y_pred, sample_weight=None, pos_label=None):
    """False positive rate: the weighted fraction of negatives predicted positive (Fairlearn's
    ``false_positive_rate``).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sample_weight : array_like, optional
        One weight per sample.
    pos_label : optional
        The positive label (default: 1, or the larger of two labels).

    Returns
    -------
    float
        0.0 when there is nothing to divide by.

    Raises
    ------
    ValueError
        Inputs of different lengths, or not 1-D.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.false_positive_rate(y_true, y_pred)
    0.25
    """
    return _rate(y_true, y_pred, sample_weight, pos_label, False, True, "false_positive_rate")


def true_negative_rate(y_true, y_pred, sample_weight=None, pos_label=None):
    """True negative rate (specificity): the weighted fraction of negatives predicted negative
    (Fairlearn's ``true_negative_rate``).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sample_weight : array_like, optional
        One weight per sample.
    pos_label : optional
        The positive label (default: 1, or the larger of two labels).

    Returns
    -------
    float
        0.0 when there is nothing to divide by.

    Raises
    ------
    ValueError
        Inputs of different lengths, or not 1-D.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.true_negative_rate(y_true, y_pred)
    0.75
    """
    return _rate(y_true, y_pred, sample_weight, pos_label, False, False, "true_negative_rate")


def false_negative_rate(y_true, y_pred, sample_weight=None, pos_label=None):
    """False negative rate (miss rate): the weighted fraction of positives predicted negative
    (Fairlearn's ``false_negative_rate``).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sample_weight : array_like, optional
        One weight per sample.
    pos_label : optional
        The positive label (default: 1, or the larger of two labels).

    Returns
    -------
    float
        0.0 when there is nothing to divide by.

    Raises
    ------
    ValueError
        Inputs of different lengths, or not 1-D.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.false_negative_rate(y_true, y_pred)
    0.25
    """
    return _rate(y_true, y_pred, sample_weight, pos_label, True, False, "false_negative_rate")


def selection_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Selection rate: the weighted fraction of predictions equal to ``pos_label`` (y_true is
    ignored).

    What demographic parity compares between groups.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    pos_label : default 1
        The label that counts as selected.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        An empty y_pred.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.selection_rate(y_true, y_pred)
    0.5
    """
    y_pred = _vector(y_pred, "selection_rate", "y_pred")
    if len(y_pred) == 0:
        raise ValueError("selection_rate: y_pred is empty")
    w = _weights(sample_weight, len(y_pred), "selection_rate")
    return float(np.dot(y_pred == pos_label, w) / w.sum())


def mean_prediction(y_true, y_pred, sample_weight=None):
    """The weighted mean of the predictions (for scores or regression outputs; y_true is ignored).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predictions or scores.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Examples
    --------
    >>> pynn.fairness.mean_prediction(None, np.array([0.2, 0.4, 0.9]))
    0.5
    """
    y_pred = _vector(y_pred, "mean_prediction", "y_pred").astype(np.float64)
    w = _weights(sample_weight, len(y_pred), "mean_prediction")
    return float(np.dot(y_pred, w) / w.sum())


def count(y_true, y_pred):
    """The number of samples (a MetricFrame column that shows each group's size).

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).

    Returns
    -------
    int

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> pynn.fairness.count(y_true, y_pred)
    8
    """
    return len(_vector(y_true, "count", "y_true"))


# ---------------------------------------------------------------- MetricFrame
def _group_keys(sensitive_features, n, who):
    """(sorted group keys, group index per sample). One feature: its values;
    several (2-d array, list of arrays or dict of arrays): tuples of values."""
    sf = sensitive_features
    if isinstance(sf, dict):
        columns = [np.asarray(v).reshape(-1) for v in sf.values()]
    elif isinstance(sf, (list, tuple)) and sf and np.ndim(sf[0]) == 1 and len(sf[0]) == n \
            and len(sf) != n:
        columns = [np.asarray(v).reshape(-1) for v in sf]
    else:
        arr = np.asarray(sf)
        if arr.ndim == 1:
            columns = [arr]
        elif arr.ndim == 2:
            columns = [arr[:, j] for j in range(arr.shape[1])]
        else:
            raise ValueError(f"{who}: sensitive_features must be 1-d or 2-d, got shape {arr.shape}")
    for c in columns:
        if len(c) != n:
            raise ValueError(f"{who}: sensitive_features has {len(c)} entries for {n} samples")
    values = [c.tolist() for c in columns]
    keys = list(zip(*values)) if len(columns) > 1 else values[0]
    if any(k is None or (isinstance(k, float) and math.isnan(k)) for k in
           (x for v in values for x in v)):
        raise ValueError(f"{who}: sensitive_features contain missing values (None or NaN)")
    try:
        groups = sorted(set(keys))
    except TypeError:
        groups = sorted(set(keys), key=repr)
    index = {g: i for i, g in enumerate(groups)}
    return groups, np.array([index[k] for k in keys], np.int64)


def _is_scalar(v):
    return np.ndim(v) == 0 and isinstance(v, (int, float, np.number, bool, np.bool_))


class MetricFrame:
    """Evaluates metrics on the whole data and on every group (Fairlearn's MetricFrame).

    ``overall`` holds the metrics on all samples, ``by_group`` per group (groups in
    sorted order); ``group_min``, ``group_max``, ``difference`` and ``ratio``
    summarise the disparity. With a dict of metrics, results are dicts by metric
    name. Printing it shows a table.

    Parameters
    ----------
    metrics : callable or dict of callable
        ``metric(y_true, y_pred, **params)`` (e.g. `selection_rate`, or a scikit-learn metric).
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    sample_params : dict, optional
        Per-sample arguments such as ``{"sample_weight": w}`` (for a dict of metrics,
        ``{metric name: {...}}``), split by group with the data.

    Raises
    ------
    ValueError
        Inputs of different lengths, no samples, missing group values, or
        sample_params for unknown metrics.
    TypeError
        metrics that are not callables.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> frame = pynn.fairness.MetricFrame(metrics={"selection": pynn.fairness.selection_rate,
    ...                                               "tpr": pynn.fairness.true_positive_rate},
    ...                                      y_true=y_true, y_pred=y_pred, sensitive_features=group)
    >>> frame.by_group["selection"]
    {'a': 0.75, 'b': 0.25}
    >>> frame.difference()
    {'selection': 0.5, 'tpr': 0.5}
    >>> print(frame)
                selection           tpr
    overall           0.5          0.75
    a                0.75             1
    b                0.25           0.5
    """

    def __init__(self, *, metrics, y_true, y_pred, sensitive_features, sample_params=None):
        who = "MetricFrame"
        self._single = callable(metrics)
        if self._single:
            metrics = {"metric": metrics}
            sample_params = {"metric": sample_params or {}}
        elif isinstance(metrics, dict) and metrics and all(callable(m) for m in metrics.values()):
            sample_params = sample_params or {}
            unknown = set(sample_params) - set(metrics)
            if unknown:
                raise ValueError(f"{who}: sample_params for unknown metric(s) {sorted(unknown)}")
        else:
            raise TypeError(f"{who}: metrics must be a callable or a non-empty dict of callables, "
                            f"got {type(metrics).__name__}")
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred)
        n = len(y_true)
        if len(y_pred) != n:
            raise ValueError(f"{who}: y_true has {n} samples and y_pred {len(y_pred)}")
        if n == 0:
            raise ValueError(f"{who}: no samples")
        groups, gidx = _group_keys(sensitive_features, n, who)
        params = {}
        for name in metrics:
            params[name] = {}
            for key, value in (sample_params.get(name) or {}).items():
                value = np.asarray(value)
                if len(value) != n:
                    raise ValueError(f"{who}: sample_params[{key!r}] has {len(value)} entries for "
                                     f"{n} samples")
                params[name][key] = value
        self._groups = groups
        self._overall = {name: m(y_true, y_pred, **params[name]) for name, m in metrics.items()}
        self._by_group = {name: {} for name in metrics}
        for gi, g in enumerate(groups):
            rows = gidx == gi
            for name, m in metrics.items():
                kw = {k: v[rows] for k, v in params[name].items()}
                self._by_group[name][g] = m(y_true[rows], y_pred[rows], **kw)

    def _out(self, per_metric):
        return per_metric["metric"] if self._single else per_metric

    @property
    def overall(self):
        """The metric (or dict of metrics) on all samples."""
        return self._out(self._overall)

    @property
    def by_group(self):
        """The metric per group: ``{group: value}`` (with several metrics ``{name: {group:
        value}}``)."""
        return self._out({k: dict(v) for k, v in self._by_group.items()})

    @property
    def groups(self):
        """The groups, in sorted order (tuples of values with several sensitive features)."""
        return list(self._groups)

    def _reduce(self, fn, errors, what):
        if errors not in ("raise", "coerce"):
            raise ValueError(f"MetricFrame.{what}: errors must be 'raise' or 'coerce', got {errors!r}")
        out = {}
        for name, values in self._by_group.items():
            vals = list(values.values())
            if all(_is_scalar(v) for v in vals) and _is_scalar(self._overall[name]):
                out[name] = fn(np.array(vals, np.float64), float(self._overall[name]))
            elif errors == "raise":
                raise ValueError(f"MetricFrame.{what}: metric {name!r} does not give scalars; "
                                 f"pass errors='coerce' to get NaN")
            else:
                out[name] = float("nan")
        return self._out(out)

    def group_min(self, errors="raise"):
        """Returns the smallest group value of each metric.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default "raise"
            For non-scalar metric values: raise, or give NaN.

        Returns
        -------
        float or dict

        Raises
        ------
        ValueError
            Non-scalar values with ``errors="raise"``.

        Examples
        --------
        >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
        >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> frame = pynn.fairness.MetricFrame(metrics=pynn.fairness.selection_rate, y_true=y_true,
        ...                                      y_pred=y_pred, sensitive_features=group)
        >>> frame.group_min()
        0.25
        """
        return self._reduce(lambda v, o: float(v.min()), errors, "group_min")

    def group_max(self, errors="raise"):
        """Returns the largest group value of each metric.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default "raise"
            For non-scalar metric values: raise, or give NaN.

        Returns
        -------
        float or dict

        Raises
        ------
        ValueError
            Non-scalar values with ``errors="raise"``.

        Examples
        --------
        >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
        >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> frame = pynn.fairness.MetricFrame(metrics=pynn.fairness.selection_rate, y_true=y_true,
        ...                                      y_pred=y_pred, sensitive_features=group)
        >>> frame.group_max()
        0.75
        """
        return self._reduce(lambda v, o: float(v.max()), errors, "group_max")

    def difference(self, method="between_groups", errors="coerce"):
        """Returns the disparity of each metric as a difference (0 = equal across groups).

        between_groups: max - min over groups; to_overall: max |group - overall|.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default "between_groups"
            Compare groups with each other, or each group with the overall value.
        errors : {"raise", "coerce"}, default "coerce"
            For non-scalar metric values: raise, or give NaN.

        Returns
        -------
        float or dict

        Raises
        ------
        ValueError
            An unknown method or errors value.

        Examples
        --------
        >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
        >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> frame = pynn.fairness.MetricFrame(metrics=pynn.fairness.selection_rate, y_true=y_true,
        ...                                      y_pred=y_pred, sensitive_features=group)
        >>> frame.difference()
        0.5
        >>> frame.difference(method="to_overall")
        0.25
        """
        if method == "between_groups":
            return self._reduce(lambda v, o: float(v.max() - v.min()), errors, "difference")
        if method == "to_overall":
            return self._reduce(lambda v, o: float(np.abs(v - o).max()), errors, "difference")
        raise ValueError(f"MetricFrame.difference: method must be 'between_groups' or "
                         f"'to_overall', got {method!r}")

    def ratio(self, method="between_groups", errors="coerce"):
        """Returns the disparity of each metric as a ratio (1 = equal across groups).

        between_groups: min / max over groups; to_overall: the smallest of
        group / overall and overall / group.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default "between_groups"
            Compare groups with each other, or each group with the overall value.
        errors : {"raise", "coerce"}, default "coerce"
            For non-scalar metric values: raise, or give NaN.

        Returns
        -------
        float or dict

        Raises
        ------
        ValueError
            An unknown method or errors value.

        Examples
        --------
        >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
        >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> frame = pynn.fairness.MetricFrame(metrics=pynn.fairness.selection_rate, y_true=y_true,
        ...                                      y_pred=y_pred, sensitive_features=group)
        >>> round(frame.ratio(), 4)
        0.3333
        """
        def between(v, o):
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(np.float64(v.min()) / np.float64(v.max()))

        def to_overall(v, o):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = v / np.float64(o)
                r = np.where(r > 1, 1 / r, r)
            return float(r.min())

        if method == "between_groups":
            return self._reduce(between, errors, "ratio")
        if method == "to_overall":
            return self._reduce(to_overall, errors, "ratio")
        raise ValueError(f"MetricFrame.ratio: method must be 'between_groups' or 'to_overall', got "
                         f"{method!r}")

    def __repr__(self):
        names = list(self._by_group)
        width = max(len(str(g)) for g in self._groups + ["overall"])
        lines = ["".ljust(width) + "".join(f"  {n:>12}" for n in names)]
        for label, vals in [("overall", self._overall)] + \
                [(g, {n: self._by_group[n][g] for n in names}) for g in self._groups]:
            lines.append(str(label).ljust(width) + "".join(
                f"  {vals[n]:>12.4g}" if _is_scalar(vals[n]) else f"  {'(array)':>12}"
                for n in names))
        return "\n".join(lines)


# ---------------------------------------------------------------- disparity measures
def _frame(metrics, y_true, y_pred, sensitive_features, sample_weight):
    params = None
    if sample_weight is not None:
        params = {name: {"sample_weight": sample_weight} for name in metrics}
    return MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred,
                       sensitive_features=sensitive_features, sample_params=params)


def demographic_parity_difference(y_true, y_pred, *, sensitive_features, method="between_groups",
                                  sample_weight=None):
    """Largest gap in selection rate between groups (0 = demographic parity).

    Computed as Fairlearn's ``demographic_parity_difference`` from the selection rate per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.demographic_parity_difference(y_true, y_pred, sensitive_features=group)
    0.5
    """
    return _frame({"selection_rate": selection_rate}, y_true, y_pred, sensitive_features,
                  sample_weight).difference(method)["selection_rate"]


def demographic_parity_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                             sample_weight=None):
    """Smallest over largest group selection rate (1 = demographic parity; the "80% rule" asks for
    0.8).

    Computed as Fairlearn's ``demographic_parity_ratio`` from the selection rate per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.demographic_parity_ratio(y_true, y_pred, sensitive_features=group)
    0.3333333333333333
    """
    return _frame({"selection_rate": selection_rate}, y_true, y_pred, sensitive_features,
                  sample_weight).ratio(method)["selection_rate"]


def _check_agg(agg, who):
    if agg not in ("worst_case", "mean"):
        raise ValueError(f"{who}: agg must be one of 'worst_case' or 'mean', got {agg!r}")


_EO = {"tpr": true_positive_rate, "fpr": false_positive_rate}


def equalized_odds_difference(y_true, y_pred, *, sensitive_features, method="between_groups",
                              sample_weight=None, agg="worst_case"):
    """The larger of the true- and false-positive-rate gaps between groups (0 = equalized odds).

    Computed as Fairlearn's ``equalized_odds_difference`` from the TPR and FPR per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.
    agg : {"worst_case", "mean"}, default "worst_case"
        Combine the TPR and FPR disparities by their worst or their mean.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method or agg.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.equalized_odds_difference(y_true, y_pred, sensitive_features=group)
    0.5
    """
    _check_agg(agg, "equalized_odds_difference")
    d = _frame(_EO, y_true, y_pred, sensitive_features, sample_weight).difference(method)
    return max(d.values()) if agg == "worst_case" else float(np.mean(list(d.values())))


def equalized_odds_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                         sample_weight=None, agg="worst_case"):
    """The smaller of the true- and false-positive-rate ratios between groups (1 = equalized odds).

    Computed as Fairlearn's ``equalized_odds_ratio`` from the TPR and FPR per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.
    agg : {"worst_case", "mean"}, default "worst_case"
        Combine the TPR and FPR disparities by their worst or their mean.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method or agg.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.equalized_odds_ratio(y_true, y_pred, sensitive_features=group)
    0.0
    """
    _check_agg(agg, "equalized_odds_ratio")
    r = _frame(_EO, y_true, y_pred, sensitive_features, sample_weight).ratio(method)
    return min(r.values()) if agg == "worst_case" else float(np.mean(list(r.values())))


def equal_opportunity_difference(y_true, y_pred, *, sensitive_features, method="between_groups",
                                 sample_weight=None):
    """The gap in true positive rate between groups (0 = equal opportunity).

    Computed as Fairlearn's ``equal_opportunity_difference`` from the TPR per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.equal_opportunity_difference(y_true, y_pred, sensitive_features=group)
    0.5
    """
    return _frame({"tpr": true_positive_rate}, y_true, y_pred, sensitive_features,
                  sample_weight).difference(method)["tpr"]


def equal_opportunity_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                            sample_weight=None):
    """The ratio of the smallest to the largest group true positive rate (1 = equal opportunity).

    Computed as Fairlearn's ``equal_opportunity_ratio`` from the TPR per group.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    y_pred : array_like
        Predicted labels (thresholded, not probabilities).
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).
    method : {"between_groups", "to_overall"}, default "between_groups"
        Compare groups with each other, or each group with the overall value.
    sample_weight : array_like, optional
        One weight per sample.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Inputs of different lengths, or a bad method.

    Examples
    --------
    >>> y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    >>> y_pred = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> pynn.fairness.equal_opportunity_ratio(y_true, y_pred, sensitive_features=group)
    0.5
    """
    return _frame({"tpr": true_positive_rate}, y_true, y_pred, sensitive_features,
                  sample_weight).ratio(method)["tpr"]


# ---------------------------------------------------------------- mitigation
def reweighing(y_true, sensitive_features):
    """Sample weights that make the label independent of the group (Kamiran & Calders, 2012).

    ``w(g, y) = P(g) * P(y) / P(g, y)``: under them every group has the overall
    positive rate and the total weight stays n. Pass them to
    ``model.fit(..., sample_weight=w)``.

    Parameters
    ----------
    y_true : array_like
        True labels, one per sample.
    sensitive_features : array_like, list or dict of array_like
        The group of each sample (several features: their tuples define the groups).

    Returns
    -------
    numpy.ndarray
        One weight per sample.

    Raises
    ------
    ValueError
        Inputs of different lengths or missing group values.

    Examples
    --------
    >>> y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> w = pynn.fairness.reweighing(y, group)
    >>> w.round(3)
    array([0.667, 0.667, 0.667, 2.   , 2.   , 0.667, 0.667, 0.667])
    >>> positive_share = [(w * y)[group == g].sum() / w[group == g].sum() for g in "ab"]
    >>> [round(float(share), 6) for share in positive_share]  # both 0.5 now
    [0.5, 0.5]
    """
    y = _vector(y_true, "reweighing", "y_true")
    groups, gidx = _group_keys(sensitive_features, len(y), "reweighing")
    labels, yidx = np.unique(y, return_inverse=True)
    n = len(y)
    joint = np.zeros((len(groups), len(labels)))
    np.add.at(joint, (gidx, yidx), 1.0)
    expected = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True) / n
    return (expected / np.where(joint > 0, joint, 1.0))[gidx, yidx]


class ThresholdOptimizer:
    """Group-specific decision thresholds that equalise a rate across groups (post-processing, after
    Hardt et al. 2016).

    ``fit`` tries ``grid_size + 1`` common target rates r in [0, 1]; for each,
    every group's threshold is the score that selects a fraction r of the group
    ("demographic_parity": of all its members; "true_positive_rate_parity" /
    "equal_opportunity": of its positives), and the r with the best objective on
    the training data is kept in ``thresholds_``. Unlike Fairlearn's, predictions
    are deterministic (not randomised between two thresholds), so rates are equal
    up to the granularity of each group's scores.

    Parameters
    ----------
    estimator : Model or callable, optional
        A pynn model or a function X -> scores (a probability column, or the
        last column of a softmax); None: X already is the scores.
    constraints : str, default "demographic_parity"
        "demographic_parity", "true_positive_rate_parity" or "equal_opportunity".
    objective : str, default "accuracy_score"
        "accuracy_score" or "balanced_accuracy_score".
    grid_size : int, default 1000
        Number of target rates tried.

    Raises
    ------
    ValueError
        An unknown constraint or objective, or a bad grid_size (equalized odds
        needs randomised predictions and is not offered).

    Examples
    --------
    >>> scores = np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.4, 0.35, 0.1])
    >>> y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    >>> group = np.array(["a"] * 4 + ["b"] * 4)
    >>> fair = pynn.fairness.ThresholdOptimizer().fit(scores, y, sensitive_features=group)
    >>> fair.thresholds_
    {'a': 0.9, 'b': 0.6}
    >>> pred = fair.predict(scores, sensitive_features=group)
    >>> pynn.fairness.demographic_parity_difference(y, pred, sensitive_features=group)
    0.0
    """

    CONSTRAINTS = {"demographic_parity": "all", "true_positive_rate_parity": "positives",
                   "equal_opportunity": "positives"}
    OBJECTIVES = ("accuracy_score", "balanced_accuracy_score")

    def __init__(self, estimator=None, constraints="demographic_parity", objective="accuracy_score",
                 grid_size=1000):
        if constraints not in self.CONSTRAINTS:
            raise ValueError(f"ThresholdOptimizer: constraints must be one of "
                             f"{sorted(self.CONSTRAINTS)}, got {constraints!r} (equalized odds "
                             f"needs randomised predictions, which this deterministic version does "
                             f"not make)")
        if objective not in self.OBJECTIVES:
            raise ValueError(f"ThresholdOptimizer: objective must be one of {list(self.OBJECTIVES)}, "
                             f"got {objective!r}")
        if not isinstance(grid_size, (int, np.integer)) or grid_size < 1:
            raise ValueError(f"ThresholdOptimizer: grid_size must be a positive int, got {grid_size!r}")
        self.estimator = estimator
        self.constraints = constraints
        self.objective = objective
        self.grid_size = int(grid_size)

    def _scores(self, X):
        if self.estimator is None:
            s = np.asarray(X, np.float64)
        else:
            from .explain._model import predict_function
            s = predict_function(self.estimator, "ThresholdOptimizer")(X)
        if s.ndim == 2:
            s = s[:, -1]  # P(positive class)
        if s.ndim != 1:
            raise ValueError(f"ThresholdOptimizer: expected one score per sample, got shape {s.shape}")
        return s

    def fit(self, X, y, *, sensitive_features, sample_weight=None):
        """Chooses each group's threshold on training data.

        Parameters
        ----------
        X : array_like
            The estimator's inputs (or the scores when estimator is None).
        y : array_like
            Binary 0/1 labels.
        sensitive_features : array_like
            The group of each sample.
        sample_weight : array_like, optional
            One weight per sample.

        Returns
        -------
        ThresholdOptimizer
            itself, with ``thresholds_``, ``rate_`` and ``objective_value_`` set.

        Raises
        ------
        ValueError
            Non-binary labels, mismatched lengths, or (for TPR parity) a group
            without positives.

        Examples
        --------
        >>> scores = np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.4, 0.35, 0.1])
        >>> y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> fair = pynn.fairness.ThresholdOptimizer(constraints="equal_opportunity")
        >>> sorted(fair.fit(scores, y, sensitive_features=group).thresholds_)
        ['a', 'b']
        """
        who = "ThresholdOptimizer.fit"
        scores = self._scores(X)
        y = _vector(y, who, "y").astype(np.int64)
        if len(y) != len(scores):
            raise ValueError(f"{who}: {len(scores)} scores for {len(y)} labels")
        if not set(np.unique(y).tolist()) <= {0, 1}:
            raise ValueError(f"{who}: y must be binary 0/1, got labels {np.unique(y).tolist()}")
        w = _weights(sample_weight, len(y), who)
        groups, gidx = _group_keys(sensitive_features, len(y), who)
        pools = []
        for gi, g in enumerate(groups):
            members = gidx == gi
            pool = scores[members & (y == 1)] if self.CONSTRAINTS[self.constraints] == "positives" \
                else scores[members]
            if len(pool) == 0:
                raise ValueError(f"{who}: group {g!r} has no positive samples, so its true positive "
                                 f"rate cannot be matched")
            pools.append(np.sort(pool)[::-1])
        best = None
        for r in np.linspace(0.0, 1.0, self.grid_size + 1):
            thresholds = np.array([_threshold_for(pool, r) for pool in pools])
            pred = (scores >= thresholds[gidx]).astype(np.int64)
            value = _objective(self.objective, y, pred, w)
            if best is None or value > best[0]:
                best = (value, r, thresholds)
        self.objective_value_, self.rate_, thresholds = best
        self.thresholds_ = {g: float(t) for g, t in zip(groups, thresholds)}
        return self

    def predict(self, X, *, sensitive_features):
        """Predicts 1 where the score reaches the sample's group threshold, else 0.

        Parameters
        ----------
        X : array_like
            The estimator's inputs (or the scores).
        sensitive_features : array_like
            The group of each sample.

        Returns
        -------
        numpy.ndarray
            int64 predictions.

        Raises
        ------
        ValueError
            Not fitted yet, or a group that fit did not see.

        Examples
        --------
        >>> scores = np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.4, 0.35, 0.1])
        >>> y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
        >>> group = np.array(["a"] * 4 + ["b"] * 4)
        >>> fair = pynn.fairness.ThresholdOptimizer().fit(scores, y, sensitive_features=group)
        >>> fair.predict(scores, sensitive_features=group)
        array([1, 0, 0, 0, 1, 0, 0, 0])
        """
        if not hasattr(self, "thresholds_"):
            raise ValueError("ThresholdOptimizer.predict: call fit() first")
        scores = self._scores(X)
        groups, gidx = _group_keys(sensitive_features, len(scores), "ThresholdOptimizer.predict")
        unknown = [g for g in groups if g not in self.thresholds_]
        if unknown:
            raise ValueError(f"ThresholdOptimizer.predict: group(s) {unknown} were not seen in fit; "
                             f"known groups: {list(self.thresholds_)}")
        t = np.array([self.thresholds_[g] for g in groups])
        return (scores >= t[gidx]).astype(np.int64)


def _threshold_for(sorted_desc, rate):
    """The score at which `rate` of the pool (sorted high to low) is selected."""
    k = int(round(rate * len(sorted_desc)))
    return np.inf if k == 0 else sorted_desc[k - 1]


def _objective(name, y, pred, w):
    if name == "accuracy_score":
        return float(np.dot(y == pred, w) / w.sum())
    recalls = [np.dot((y == c) & (pred == c), w) / w[y == c].sum() for c in (0, 1) if w[y == c].sum() > 0]
    return float(np.mean(recalls))
