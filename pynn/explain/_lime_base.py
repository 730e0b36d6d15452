"""What LIME's tabular and text explainers share (Ribeiro et al. 2016, following
the `lime` package): the exponential kernel, weighted ridge surrogates, the
feature-selection rules, and the Explanation they return."""
import numpy as np


def kernel(distances, kernel_width):
    """lime's default similarity: sqrt(exp(-d² / width²))."""
    return np.sqrt(np.exp(-(distances ** 2) / kernel_width ** 2))


def ridge(X, y, w, alpha):
    """Weighted ridge with an unpenalised intercept (scikit-learn's Ridge with
    sample_weight): returns (coef, intercept)."""
    xm = np.average(X, axis=0, weights=w)
    ym = np.average(y, weights=w)
    sw = np.sqrt(w)[:, None]
    Xc = (X - xm) * sw
    yc = (y - ym) * sw[:, 0]
    if alpha == 0:
        coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    else:
        coef = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return coef, ym - xm @ coef


def r2(y, pred, w):
    """Weighted R² (scikit-learn's r2_score with sample_weight)."""
    num = np.sum(w * (y - pred) ** 2)
    den = np.sum(w * (y - np.average(y, weights=w)) ** 2)
    if den == 0:
        return 1.0 if num == 0 else 0.0
    return 1.0 - num / den


FEATURE_SELECTION = ("auto", "none", "forward_selection", "highest_weights")


def select_features(data, y, w, num_features, method):
    """lime's rules: 'auto' is forward selection up to 6 features, else the
    largest |coef·x0| of a ridge(0.01) fit on all features."""
    d = data.shape[1]
    if method == "auto":
        method = "forward_selection" if num_features <= 6 else "highest_weights"
    if method == "none":
        return np.arange(d)
    if method == "highest_weights":
        coef, _ = ridge(data, y, w, 0.01)
        ranked = sorted(zip(range(d), coef * data[0]), key=lambda t: abs(t[1]), reverse=True)
        return np.array([i for i, _ in ranked[:num_features]], np.int64)
    used = []
    for _ in range(min(num_features, d)):
        best, best_score = 0, -np.inf
        for f in range(d):
            if f in used:
                continue
            cols = used + [f]
            coef, b = ridge(data[:, cols], y, w, 0.0)
            score = r2(y, data[:, cols] @ coef + b, w)
            if score > best_score:
                best, best_score = f, score
        used.append(best)
    return np.array(used, np.int64)


def explain_label(data, y, distances, kernel_width, num_features, feature_selection):
    """(intercept, [(feature, weight)] by decreasing |weight|, R², local prediction)
    of the kernel-weighted ridge(1) surrogate on the selected features."""
    w = kernel(distances, kernel_width)
    used = select_features(data, y, w, num_features, feature_selection)
    coef, intercept = ridge(data[:, used], y, w, 1.0)
    score = r2(y, data[:, used] @ coef + intercept, w)
    local = float(data[0, used] @ coef + intercept)
    ranked = sorted(zip(used.tolist(), coef.tolist()), key=lambda t: abs(t[1]), reverse=True)
    return float(intercept), ranked, float(score), local


def check_common(num_features, num_samples, feature_selection, who):
    for name, v, low in (("num_features", num_features, 1), ("num_samples", num_samples, 2)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
            raise ValueError(f"{who}: {name} must be an int >= {low}, got {v!r}")
    if feature_selection not in FEATURE_SELECTION:
        raise ValueError(f"{who}: feature_selection must be one of {list(FEATURE_SELECTION)}, got "
                         f"{feature_selection!r}")


class Explanation:
    """A LIME explanation. local_exp[label] is [(feature index, weight)] by
    decreasing |weight|; intercept, score (R² of the surrogate) and local_pred
    are per label; names[i] is the readable name of feature i (a bin such as
    'age <= 37.00', 'sex=1', or a word)."""

    def __init__(self, mode, names, class_names, prediction):
        self.mode = mode
        self.names = list(names)
        self.class_names = class_names
        self.prediction = prediction          # predict_proba row, or the predicted value
        self.intercept, self.local_exp, self.score, self.local_pred = {}, {}, {}, {}
        self.top_labels = None

    @property
    def available_labels(self):
        return list(self.local_exp)

    def as_list(self, label=1):
        if label not in self.local_exp:
            raise KeyError(f"Explanation: no explanation for label {label!r}; explained labels: "
                           f"{self.available_labels}")
        return [(self.names[i], w) for i, w in self.local_exp[label]]

    def as_map(self):
        return dict(self.local_exp)

    def __repr__(self):
        labels = ", ".join(str(l) for l in self.local_exp)
        return f"<LIME Explanation ({self.mode}) for label(s) {labels}>"
