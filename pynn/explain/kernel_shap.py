"""KernelSHAP (Lundberg & Lee 2017), as SHAP's KernelExplainer.

v(S) = E_background[f(x_S, b_rest)]: the features outside the coalition S take
each background row's values and the model outputs are averaged. The Shapley
values are the weighted least-squares fit of v with the Shapley kernel
π(S) = (M-1) / (C(M,|S|)·|S|·(M-|S|)), solved with the efficiency constraint
Σφ = f(x) - E[f] imposed exactly (one φ is eliminated). When every coalition
fits in the budget (M <= 11 with nsamples="auto") all of them are enumerated and
φ are the exact Shapley values of v; otherwise SHAP's scheme is followed: whole
subset sizes are enumerated while the budget allows, the rest is sampled.

Features whose value equals every background row's cannot change v and get
φ = 0 without being evaluated (as in SHAP). No L1 feature selection is done
(SHAP's l1_reg); every varying feature gets a value."""
import itertools
from math import comb

import numpy as np

from ._model import predict_function


class KernelSHAP:
    """Model-agnostic Shapley values by Kernel SHAP (Lundberg & Lee, 2017), as SHAP's
    KernelExplainer.

    Features absent from a coalition take the background data's values; the
    weighted linear fit is constrained so that the values add up to
    ``f(x) - expected_value``.

    Parameters
    ----------
    model : Model or callable
        A pynn model, or a function (n, M) array -> predictions (n,) or (n, k).
    data : array_like
        Background rows (n_background, M); ``expected_value`` is the mean prediction on them.
    batch_size : int, default 8192
        Rows per model call.

    Raises
    ------
    ValueError
        Empty background data, or predictions of the wrong shape.

    Examples
    --------
    >>> f = lambda X: X @ np.array([1.0, 2.0, -3.0])
    >>> explainer = pynn.explain.KernelSHAP(f, np.zeros((5, 3)))
    >>> explainer.expected_value
    0.0
    >>> explainer.shap_values(np.array([[1.0, 1.0, 1.0]]), random_state=0).round(6)
    array([[ 1.,  2., -3.]])
    """

    def __init__(self, model, data, batch_size=8192):
        self._f = predict_function(model, "KernelSHAP")
        self.data = _table(data, "KernelSHAP: data")
        if len(self.data) == 0:
            raise ValueError("KernelSHAP: data (the background) has no rows")
        self.batch_size = int(batch_size)
        fb = self._predict(self.data)
        self._vector_out = fb.ndim == 2
        self._fnull = fb.reshape(len(fb), -1).mean(axis=0)
        self.expected_value = self._fnull if self._vector_out else float(self._fnull[0])

    def _predict(self, x):
        out = self._f(x)
        if out.ndim not in (1, 2) or len(out) != len(x):
            raise ValueError(f"KernelSHAP: the model must return (n,) or (n, k) predictions for n "
                             f"rows; got shape {out.shape} for {len(x)} rows")
        return out

    def shap_values(self, X, nsamples="auto", random_state=None):
        """Returns the SHAP values of each row of ``X``.

        Parameters
        ----------
        X : array_like
            Rows (n, M), or one row (M,).
        nsamples : "auto" or int, default "auto"
            Coalitions evaluated per row ("auto": 2 * M + 2048, as SHAP).
        random_state : int, optional
            Seed of the coalition sampling.

        Returns
        -------
        numpy.ndarray
            ``(n, M)`` for one output per row, ``(n, M, k)`` for k outputs (SHAP's layout);
            one axis less for a single row.

        Raises
        ------
        ValueError
            A different number of features than the background, or a bad nsamples.

        Examples
        --------
        >>> f = lambda X: 2.0 * X[:, 0]
        >>> explainer = pynn.explain.KernelSHAP(f, np.zeros((1, 2)))
        >>> explainer.shap_values(np.array([3.0, 5.0]), random_state=0).round(6)
        array([6., 0.])
        """
        single = np.ndim(X) == 1
        X = _table(np.atleast_2d(X) if single else X, "KernelSHAP.shap_values: X")
        M = self.data.shape[1]
        if X.shape[1] != M:
            raise ValueError(f"KernelSHAP.shap_values: X has {X.shape[1]} features, the background "
                             f"data has {M}")
        if nsamples != "auto" and (not isinstance(nsamples, (int, np.integer)) or nsamples < 2):
            raise ValueError(f"KernelSHAP.shap_values: nsamples must be 'auto' or an int >= 2, got "
                             f"{nsamples!r}")
        rng = np.random.default_rng(random_state)
        phi = np.stack([self._explain(x, nsamples, rng) for x in X])
        if not self._vector_out:
            phi = phi[..., 0]
        return phi[0] if single else phi

    # ------------------------------------------------------------ one row
    def _explain(self, x, nsamples, rng):
        M, D = self.data.shape[1], len(self._fnull)
        phi = np.zeros((M, D))
        varying = np.array([j for j in range(M) if not np.allclose(x[j], self.data[:, j],
                                                                    equal_nan=True)], np.int64)
        fx = self._predict(x[None]).reshape(1, -1)[0]
        if len(varying) == 0:
            return phi
        if len(varying) == 1:
            phi[varying[0]] = fx - self._fnull
            return phi
        m = len(varying)
        budget = 2 * m + 2 ** 11 if nsamples == "auto" else int(nsamples)
        masks, weights = coalitions(m, budget, rng)
        values = self._coalition_values(x, varying, masks)
        phi[varying] = constrained_fit(masks, weights, values - self._fnull, fx - self._fnull)
        return phi

    def _coalition_values(self, x, varying, masks):
        """v(S) for every mask: the background rows with x's values on S, averaged."""
        n_bg = len(self.data)
        per_chunk = max(1, self.batch_size // n_bg)
        out = []
        for s in range(0, len(masks), per_chunk):
            chunk = masks[s:s + per_chunk]
            synth = np.repeat(self.data[None], len(chunk), axis=0)      # (c, n_bg, M)
            cols = np.where(chunk[:, None, :] > 0, x[varying][None, None, :], synth[:, :, varying])
            synth[:, :, varying] = cols
            pred = self._predict(synth.reshape(-1, synth.shape[2]))
            out.append(pred.reshape(len(chunk), n_bg, -1).mean(axis=1))
        return np.concatenate(out)


def shapley_kernel(m, size):
    """π for one coalition of `size` among m players (undefined at 0 and m)."""
    return (m - 1) / (comb(m, size) * size * (m - size))


def coalitions(m, budget, rng):
    """(masks (n, m) of 0/1, kernel weights (n,)). Sizes s and m-s are paired; a
    pair of sizes is enumerated whole while the budget covers it, the remaining
    sizes are sampled (each drawn mask with its complement) in proportion to
    their share of the kernel, repeats adding weight (SHAP's scheme)."""
    budget = min(budget, 2 ** m - 2) if m <= 30 else budget
    n_sizes = m // 2                             # sizes 1 .. ceil((m-1)/2)
    n_paired = (m - 1) // 2                      # those whose complement size differs
    size_w = np.array([(m - 1) / (s * (m - s)) for s in range(1, n_sizes + 1)])
    size_w[:n_paired] *= 2
    size_w /= size_w.sum()
    masks, weights = [], []
    left, remaining = budget, size_w.copy()
    n_full = 0
    for s in range(1, n_sizes + 1):
        count = comb(m, s) * (2 if s <= n_paired else 1)
        if left * remaining[s - 1] / count < 1.0 - 1e-8:
            break
        n_full += 1
        left -= count
        if remaining[s - 1] < 1.0:
            remaining /= 1.0 - remaining[s - 1]
        w = size_w[s - 1] / count
        for inds in itertools.combinations(range(m), s):
            mask = np.zeros(m)
            mask[list(inds)] = 1.0
            masks.append(mask)
            weights.append(w)
            if s <= n_paired:
                masks.append(1.0 - mask)
                weights.append(w)
    if n_full < n_sizes:
        n_fixed = len(masks)
        p = size_w.copy()
        p[:n_paired] /= 2                          # each draw adds a mask and its complement
        p = p[n_full:] / p[n_full:].sum()
        seen = {}
        draws = rng.choice(len(p), 4 * left, p=p)
        k = 0
        while left > 0 and k < len(draws):
            s = draws[k] + n_full + 1
            k += 1
            mask = np.zeros(m)
            mask[rng.permutation(m)[:s]] = 1.0
            key = mask.tobytes()
            if key in seen:
                weights[seen[key]] += 1.0
                if s <= n_paired:
                    weights[seen[key] + 1] += 1.0
                continue
            seen[key] = len(masks)
            masks.append(mask)
            weights.append(1.0)
            left -= 1
            if left > 0 and s <= n_paired:
                masks.append(1.0 - mask)
                weights.append(1.0)
                left -= 1
        sampled = np.array(weights[n_fixed:])
        weights[n_fixed:] = list(sampled * (size_w[n_full:].sum() / sampled.sum()))
    return np.array(masks), np.array(weights)


def constrained_fit(masks, weights, y, total):
    """argmin Σ w (mask·φ - y)² subject to Σφ = total, per output column: the last
    φ is eliminated as total - Σ others, so efficiency holds exactly."""
    m = masks.shape[1]
    last = masks[:, -1:]
    X = masks[:, :-1] - last                       # (n, m-1)
    phi = np.empty((m, y.shape[1]))
    WX = weights[:, None] * X
    A = X.T @ WX
    for d in range(y.shape[1]):
        target = y[:, d] - last[:, 0] * total[d]
        try:
            w = np.linalg.solve(A, WX.T @ target)
        except np.linalg.LinAlgError:  # too few distinct coalitions: the least-norm fit
            sw = np.sqrt(weights)
            w = np.linalg.lstsq(sw[:, None] * X, sw * target, rcond=None)[0]
        phi[:-1, d] = w
        phi[-1, d] = total[d] - w.sum()
    return phi


def _table(a, who):
    try:
        arr = np.asarray(a, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{who} must be a numeric 2-d array, got {type(a).__name__}") from None
    if arr.ndim != 2:
        raise ValueError(f"{who} must be 2-d (rows, features), got shape {arr.shape}")
    return arr
