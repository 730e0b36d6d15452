"""Permutation importance (Breiman 2001), with scikit-learn's signature and
semantics: importance = baseline score - score with one column shuffled,
n_repeats shuffles per column, returned as a Bunch of importances_mean,
importances_std and the raw (n_features, n_repeats) importances.

The shuffles are drawn exactly as scikit-learn draws them (one seed taken from
random_state, then a fresh RandomState(seed) per column shuffling an index
in place), so for an int random_state and max_samples=1.0 the numbers equal
sklearn.inspection.permutation_importance's on the same model and scorer."""
import numpy as np

from ._model import _is_pynn_model, predict_function


class Bunch(dict):
    """A dict whose keys are also attributes (scikit-learn's Bunch)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def permutation_importance(estimator, X, y, *, scoring=None, n_repeats=5, n_jobs=None,
                           random_state=None, sample_weight=None, max_samples=1.0):
    """Permutation feature importance, as scikit-learn's ``permutation_importance``.

    Each column is shuffled ``n_repeats`` times and the drop in score recorded.

    Parameters
    ----------
    estimator : Model, callable or estimator
        A pynn model, a function X -> predictions, or an object with predict
        (and score / predict_proba).
    X : array_like
        Rows (n, d).
    y : array_like
        Targets.
    scoring : str, callable, list or dict, optional
        None (estimator.score, else minus a compiled pynn model's loss), a name
        ("accuracy", "r2", "neg_mean_squared_error", "neg_root_mean_squared_error",
        "neg_mean_absolute_error", "neg_log_loss"), a scorer(estimator, X, y), or
        several (then a dict of results).
    n_repeats : int, default 5
        Shuffles per column.
    n_jobs : optional
        Accepted; the work runs in one process.
    random_state : int, optional
        Seed of the shuffles.
    sample_weight : array_like, optional
        Weights for the score.
    max_samples : int or float, default 1.0
        Rows drawn per repeat (a count or a fraction).

    Returns
    -------
    Bunch
        ``importances`` (d, n_repeats), ``importances_mean`` and ``importances_std``
        (as attributes or keys).

    Raises
    ------
    ValueError
        Mismatched X and y, or bad options.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> f = lambda rows: rows @ np.array([0.5, 1.0, 2.0])
    >>> result = pynn.explain.permutation_importance(f, X, f(X), scoring="r2", n_repeats=3,
    ...                                              random_state=0)
    >>> result.importances_mean.argsort().tolist()  # the largest weight matters most
    [0, 1, 2]
    """
    who = "permutation_importance"
    X = _table(X, who)
    y = np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"{who}: X has {n} rows but y has {len(y)}")
    if not isinstance(n_repeats, (int, np.integer)) or isinstance(n_repeats, bool) or n_repeats < 1:
        raise ValueError(f"{who}: n_repeats must be a positive int, got {n_repeats!r}")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, np.float64)
        if sample_weight.shape != (n,):
            raise ValueError(f"{who}: sample_weight must have shape ({n},), got {sample_weight.shape}")
    n_sub = _max_samples(max_samples, n, who)
    scorers = _scorers(estimator, scoring, who)

    def score(Xs, ys, ws):
        return {name: s(Xs, ys, ws) for name, s in scorers.items()}

    rs = random_state if isinstance(random_state, np.random.RandomState) else \
        np.random.RandomState(random_state)
    seed = rs.randint(np.iinfo(np.int32).max + 1)
    baseline = score(X, y, sample_weight)
    permuted = {name: np.empty((X.shape[1], n_repeats)) for name in scorers}
    for col in range(X.shape[1]):
        col_rs = np.random.RandomState(seed)
        Xp, yp, wp = X.copy(), y, sample_weight
        if n_sub < n:  # a random subset of rows, the same for every repeat of this column
            rows = col_rs.choice(n, n_sub, replace=False)
            Xp, yp = X[rows], y[rows]
            wp = None if sample_weight is None else sample_weight[rows]
        order = np.arange(len(Xp))
        for r in range(n_repeats):
            col_rs.shuffle(order)
            Xp[:, col] = Xp[order, col]
            for name, value in score(Xp, yp, wp).items():
                permuted[name][col, r] = value
    result = {}
    for name in scorers:
        importances = baseline[name] - permuted[name]
        result[name] = Bunch(importances_mean=importances.mean(axis=1),
                             importances_std=importances.std(axis=1), importances=importances)
    if callable(scoring) or scoring is None or isinstance(scoring, str):
        return result["score"]
    return result


# ---------------------------------------------------------------- scorers
def _scorers(estimator, scoring, who):
    if scoring is None or callable(scoring) or isinstance(scoring, str):
        return {"score": _one_scorer(estimator, scoring, who)}
    if isinstance(scoring, dict):
        return {str(k): _one_scorer(estimator, v, who) for k, v in scoring.items()}
    if isinstance(scoring, (list, tuple)):
        if not all(isinstance(s, str) for s in scoring):
            raise ValueError(f"{who}: a list of scorers must hold names; use a dict for callables")
        return {s: _one_scorer(estimator, s, who) for s in scoring}
    raise TypeError(f"{who}: scoring must be None, a name, a callable, a list or a dict; got "
                    f"{type(scoring).__name__}")


def _one_scorer(estimator, scoring, who):
    if callable(scoring):
        def call(X, y, w):
            return float(scoring(estimator, X, y) if w is None else
                         scoring(estimator, X, y, sample_weight=w))
        return call
    if scoring is None:
        if hasattr(estimator, "score") and not _is_pynn_model(estimator):
            return lambda X, y, w: float(estimator.score(X, y) if w is None else
                                         estimator.score(X, y, sample_weight=w))
        if _is_pynn_model(estimator) and estimator.compiled and estimator.loss is not None:
            return lambda X, y, w: -float(np.ravel(estimator.evaluate(
                X, y, sample_weight=w, verbose=0, batch_size=4096))[0])
        raise ValueError(f"{who}: scoring=None needs an estimator with a score() method or a "
                         f"compiled pynn model; pass scoring= (e.g. 'accuracy' or "
                         f"'neg_mean_squared_error')")
    if scoring not in _METRICS:
        raise ValueError(f"{who}: unknown scoring {scoring!r}; use one of {sorted(_METRICS)} or a "
                         f"callable scorer(estimator, X, y)")
    predict = _predictor(estimator, scoring == "neg_log_loss", who)
    metric = _METRICS[scoring]
    return lambda X, y, w: float(metric(y, predict(X), w))


def _predictor(estimator, probabilities, who):
    if _is_pynn_model(estimator) or (callable(estimator) and not hasattr(estimator, "predict")):
        return predict_function(estimator, who)
    if probabilities and hasattr(estimator, "predict_proba"):
        return lambda X: np.asarray(estimator.predict_proba(X), np.float64)
    if hasattr(estimator, "predict"):
        return lambda X: np.asarray(estimator.predict(X))
    raise TypeError(f"{who}: estimator must be a pynn Model, a callable or have predict(); got "
                    f"{type(estimator).__name__}")


def _class_labels(a):
    """Class ids from labels, one-hot rows or predicted probabilities."""
    a = np.asarray(a)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1)
    a = a.reshape(len(a))
    if a.dtype.kind == "f" and np.any((a > 0) & (a < 1)):
        return (a > 0.5).astype(np.int64)  # a sigmoid output
    return a


def _accuracy(y, pred, w):
    return np.average(_class_labels(y) == _class_labels(pred), weights=w)


def _squared(y, pred, w):
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, np.float64).reshape(len(pred), -1)
    return np.average(((y - pred) ** 2).mean(axis=1), weights=w)


def _absolute(y, pred, w):
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, np.float64).reshape(len(pred), -1)
    return np.average(np.abs(y - pred).mean(axis=1), weights=w)


def _r2(y, pred, w):
    """R², averaged uniformly over outputs (scikit-learn's default)."""
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, np.float64).reshape(len(pred), -1)
    ww = np.ones(len(y)) if w is None else w
    num = (ww[:, None] * (y - pred) ** 2).sum(axis=0)
    den = (ww[:, None] * (y - np.average(y, axis=0, weights=ww)) ** 2).sum(axis=0)
    safe = np.where(den > 0, den, 1.0)
    per = np.where(den > 0, 1.0 - num / safe, np.where(num == 0, 1.0, 0.0))
    return per.mean()


def _log_loss(y, pred, w):
    p = np.asarray(pred, np.float64)
    if p.ndim == 1 or p.shape[1] == 1:  # P(class 1)
        p = p.reshape(len(p))
        p = np.c_[1 - p, p]
    p = np.clip(p, np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
    p /= p.sum(axis=1, keepdims=True)
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y)).astype(int)
    return -np.average(np.log(p[np.arange(len(p)), labels]), weights=w)


_METRICS = {
    "accuracy": _accuracy,
    "r2": _r2,
    "neg_mean_squared_error": lambda y, p, w: -_squared(y, p, w),
    "neg_root_mean_squared_error": lambda y, p, w: -np.sqrt(_squared(y, p, w)),
    "neg_mean_absolute_error": lambda y, p, w: -_absolute(y, p, w),
    "neg_log_loss": lambda y, p, w: -_log_loss(y, p, w),
}


def _max_samples(max_samples, n, who):
    if isinstance(max_samples, (int, np.integer)) and not isinstance(max_samples, bool):
        if not 1 <= max_samples <= n:
            raise ValueError(f"{who}: max_samples={max_samples} must be in [1, {n}] (the rows of X)")
        return int(max_samples)
    if isinstance(max_samples, float) and 0.0 < max_samples <= 1.0:
        return max(1, int(max_samples * n))
    raise ValueError(f"{who}: max_samples must be an int in [1, n] or a float in (0, 1], got "
                     f"{max_samples!r}")


def _table(X, who):
    try:
        arr = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: X must be a numeric 2-d array, got {type(X).__name__}") from None
    if arr.ndim != 2:
        raise ValueError(f"{who}: X must be 2-d (rows, features), got shape {arr.shape}")
    return arr
