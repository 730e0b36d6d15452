"""Membership-inference audit: what a trained model leaks about its training set.

An epsilon bounds what *any* attack could learn; an audit measures what a
concrete attack *does* learn. Two attacks are given; both score each record
(higher = "more likely a training member") and are summarised by the ROC of
members against non-members:

* `loss_threshold_attack` (Yeom et al. 2018, "Privacy Risk in Machine
  Learning: Analyzing the Connection to Overfitting"): the score is minus the
  record's loss under the model. Yeom's attack picks one threshold (the mean
  training loss); sweeping every threshold gives the ROC, whose best point is
  at least as good.
* `shadow_model_attack` (Shokri et al. 2017, "Membership Inference Attacks
  against Machine Learning Models"): shadow models with the target's
  architecture and training recipe are trained on data the attacker owns,
  where membership is known; an attack classifier (a pynn model) learns to
  tell their members from their non-members from the sorted prediction vector
  and the label, and then scores the target's records. One attack classifier
  takes the label as an input instead of Shokri's one classifier per class
  (Salem et al. 2019, "ML-Leaks", show the attack keeps its power).

Every attack returns an `AuditResult`: the AUC, the membership advantage
``max(TPR - FPR)`` (Yeom et al.'s measure; an (eps, 0)-DP model has advantage
<= e^eps - 1) and the TPR at low FPR (0.1 % and 1 %, the figures Carlini et
al. 2022 argue matter), with ``plot()`` for the ROC (matplotlib, imported
lazily).

    result = pynn.privacy.audit.loss_threshold_attack(model, (x_train, y_train), (x_test, y_test))
    result.auc, result.advantage, result.tpr_at_fpr[0.01]
    pynn.footprint.model_card(model, privacy=..., audit=result)   # "empirical leakage" line
"""
import numbers

import numpy as np

__all__ = ["AuditResult", "roc_curve", "roc_auc", "per_example_loss", "loss_threshold_attack",
           "shadow_model_attack", "plot_roc"]

LOW_FPRS = (0.001, 0.01)


def _scores_labels(scores, is_member, what):
    s = np.asarray(scores, np.float64).reshape(-1)
    m = np.asarray(is_member).reshape(-1)
    if s.shape != m.shape:
        raise ValueError(f"{what}: scores and is_member must have the same length, got "
                         f"{s.shape[0]} and {m.shape[0]}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{what}: scores must be finite numbers (found NaN or inf)")
    m = m.astype(bool)
    if m.all() or not m.any():
        raise ValueError(f"{what}: needs both members (is_member true) and non-members, got "
                         f"{int(m.sum())} members of {m.size} records")
    return s, m


def roc_curve(scores, is_member):
    """Returns the ROC ``(fpr, tpr, thresholds)`` of a membership score.

    A record is predicted "member" when its score is >= the threshold. Points
    come at every distinct score, from the highest down, after a first point
    (0, 0) at threshold +inf, as `sklearn.metrics.roc_curve` with
    ``drop_intermediate=False``.

    Parameters
    ----------
    scores : array_like
        One finite score per record, higher = more likely a member.
    is_member : array_like of bool
        The truth.

    Returns
    -------
    fpr, tpr, thresholds : numpy.ndarray

    Raises
    ------
    ValueError
        Lengths that differ, a non-finite score, or only one class.

    Examples
    --------
    >>> fpr, tpr, _ = pynn.privacy.audit.roc_curve([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    s, m = _scores_labels(scores, is_member, "roc_curve")
    order = np.argsort(-s, kind="mergesort")
    s, m = s[order], m[order]
    # the last index of every run of equal scores: ties enter the curve together
    last = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]
    tp = np.cumsum(m)[last]
    fp = (last + 1) - tp
    tpr = np.r_[0.0, tp / m.sum()]
    fpr = np.r_[0.0, fp / (~m).sum()]
    return fpr, tpr, np.r_[np.inf, s[last]]


def roc_auc(scores, is_member):
    """Returns the area under the ROC: the probability that a random member scores
    above a random non-member (ties count one half; the Mann-Whitney U statistic).

    Parameters
    ----------
    scores : array_like
        One finite score per record.
    is_member : array_like of bool
        The truth.

    Returns
    -------
    float

    Examples
    --------
    >>> pynn.privacy.audit.roc_auc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    0.75
    """
    s, m = _scores_labels(scores, is_member, "roc_auc")
    # average ranks (1-based) with ties sharing the mean of their ranks
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    ranks = np.empty(s.size, np.float64)
    starts = np.r_[0, np.nonzero(np.diff(sorted_s))[0] + 1]
    ends = np.r_[starts[1:], s.size]
    for a, b in zip(starts, ends):
        ranks[order[a:b]] = 0.5 * (a + 1 + b)
    n1, n0 = int(m.sum()), int((~m).sum())
    return float((ranks[m].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


class AuditResult:
    """What a membership-inference attack found.

    Parameters
    ----------
    attack : str
        The attack's name.
    scores : array_like
        One finite score per record, higher = more likely a member.
    is_member : array_like of bool
        The truth.
    info : dict, optional
        Attack-specific details.

    Attributes
    ----------
    attack : str
        The attack's name.
    auc : float
        Area under the ROC (0.5 = no better than a coin).
    advantage : float
        ``max(TPR - FPR)`` over all thresholds (Yeom et al. 2018).
    tpr_at_fpr : dict
        ``{0.001: tpr, 0.01: tpr}``: the highest TPR at FPR <= the key. With fewer
        than 1/FPR non-members the only such point is FPR = 0, so the figure is
        the TPR at zero false positives (``min_fpr`` says the resolution).
    fpr, tpr, thresholds : numpy.ndarray
        The ROC.
    scores : numpy.ndarray
        The attack's score per record (members first, then non-members).
    is_member : numpy.ndarray
        The truth, in the same order.
    n_members, n_nonmembers : int
        How many records were audited.
    min_fpr : float
        ``1 / n_nonmembers``, the smallest nonzero FPR the audit can resolve.
    info : dict
        Attack-specific details (e.g. the shadow models' accuracies).

    Examples
    --------
    >>> r = pynn.privacy.audit.AuditResult("demo", [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> r.auc, r.advantage
    (0.75, 0.5)
    """

    def __init__(self, attack, scores, is_member, info=None):
        self.attack = str(attack)
        self.scores, self.is_member = _scores_labels(scores, is_member, f"AuditResult({attack})")
        self.fpr, self.tpr, self.thresholds = roc_curve(self.scores, self.is_member)
        self.auc = roc_auc(self.scores, self.is_member)
        self.advantage = float(np.max(self.tpr - self.fpr))
        self.tpr_at_fpr = {a: float(self.tpr[self.fpr <= a].max()) for a in LOW_FPRS}
        self.n_members = int(self.is_member.sum())
        self.n_nonmembers = int(self.is_member.size - self.n_members)
        self.min_fpr = 1.0 / self.n_nonmembers
        self.info = dict(info or {})

    def to_dict(self):
        """Returns the summary as plain numbers (what the model card records).

        Returns
        -------
        dict

        Examples
        --------
        >>> r = pynn.privacy.audit.AuditResult("demo", [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        >>> r.to_dict()["auc"]
        0.75
        """
        return {"attack": self.attack, "auc": self.auc, "advantage": self.advantage,
                "tpr_at_fpr_0.1%": self.tpr_at_fpr[0.001], "tpr_at_fpr_1%": self.tpr_at_fpr[0.01],
                "n_members": self.n_members, "n_nonmembers": self.n_nonmembers}

    def summary(self):
        """Returns one line: attack, AUC, advantage and TPR at low FPR.

        Returns
        -------
        str

        Examples
        --------
        >>> r = pynn.privacy.audit.AuditResult("demo", [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        >>> r.summary()
        'membership inference (demo): AUC 0.750, advantage 0.500, TPR 0.500 at FPR 0.1%, TPR 0.500 at FPR 1% (2 members, 2 non-members)'
        """
        return (f"membership inference ({self.attack}): AUC {self.auc:.3f}, advantage "
                f"{self.advantage:.3f}, TPR {self.tpr_at_fpr[0.001]:.3f} at FPR 0.1%, TPR "
                f"{self.tpr_at_fpr[0.01]:.3f} at FPR 1% ({self.n_members} members, "
                f"{self.n_nonmembers} non-members)")

    def plot(self, ax=None, log=False):
        """Draws the ROC (matplotlib, imported here); returns the Axes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (default: a new figure).
        log : bool, default False
            Log-log axes, which show the low-FPR regime (Carlini et al. 2022).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> r = pynn.privacy.audit.AuditResult("demo", [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        >>> r.plot().get_xlabel()
        'false positive rate (non-members called members)'
        """
        return plot_roc([self], ax=ax, log=log)

    def __repr__(self):
        return f"<AuditResult {self.summary()}>"


def plot_roc(results, ax=None, log=False):
    """Draws the ROC of one or more `AuditResult`s with the chance diagonal; returns the Axes.

    Parameters
    ----------
    results : AuditResult or list of AuditResult
        What to draw; each curve's legend gives its attack and AUC.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    log : bool, default False
        Log-log axes.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install pynn[plot]``).
    TypeError
        Something that is not an AuditResult.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> a = pynn.privacy.audit.AuditResult("a", [0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> b = pynn.privacy.audit.AuditResult("b", [0.9, 0.3, 0.8, 0.1], [1, 0, 1, 0])
    >>> ax = pynn.privacy.audit.plot_roc([a, b], log=True)
    >>> [line.get_label() for line in ax.get_lines()]
    ['chance', 'a (AUC 0.750)', 'b (AUC 1.000)']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("pynn.privacy.audit.plot_roc needs matplotlib: pip install matplotlib "
                          "(or pynn[plot])") from e
    results = [results] if isinstance(results, AuditResult) else list(results)
    for r in results:
        if not isinstance(r, AuditResult):
            raise TypeError(f"plot_roc: expected AuditResult objects, got {type(r).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    low = min(r.min_fpr for r in results) if log else 0.0
    ax.plot([max(low, 1e-5), 1], [max(low, 1e-5), 1], ls="--", color="grey", lw=1, label="chance")
    for r in results:
        ax.plot(r.fpr, r.tpr, lw=1.5, label=f"{r.attack} (AUC {r.auc:.3f})")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("false positive rate (non-members called members)")
    ax.set_ylabel("true positive rate (members found)")
    ax.set_title("Membership inference ROC")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _xy(data, what, arg):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{what}: {arg} must be a tuple (x, y), got {type(data).__name__}"
                         + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    x, y = data
    n = len(x)
    if n == 0:
        raise ValueError(f"{what}: {arg} is empty; the audit needs at least one record")
    if len(y) != n:
        raise ValueError(f"{what}: {arg} has {n} inputs but {len(y)} targets")
    return x, y


def _check_model(model, what):
    import pynn
    if not isinstance(model, pynn.Model):
        raise TypeError(f"{what}: model must be a pynn Model, got {type(model).__name__}")
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None \
            or not isinstance(model.loss, pynn.losses.Loss):
        raise ValueError(f"{what}: the model must be compiled with a single loss (the audit "
                         f"scores records by it); call model.compile(loss=...) first")


def per_example_loss(model, x, y, batch_size=None):
    """Returns the model's loss on every record (no reduction), as float64.

    Uses the model's compiled loss (with its settings, e.g. ``from_logits``) on
    ``model.predict(x)``.

    Parameters
    ----------
    model : Model
        A compiled pynn model with one output.
    x, y : array_like
        Inputs and targets.
    batch_size : int, optional
        predict's batch size.

    Returns
    -------
    numpy.ndarray
        ``(n,)``.

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        An uncompiled model, or x and y of different lengths.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> model.set_weights([np.zeros((2, 1), np.float32), np.ones(1, np.float32)])
    >>> pynn.privacy.audit.per_example_loss(model, np.zeros((2, 2)), np.array([[1.0], [3.0]]))
    array([0., 4.])
    """
    import pynn
    _check_model(model, "per_example_loss")
    x, y = _xy((x, y), "per_example_loss", "(x, y)")
    p = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), np.float32)
    yt = np.asarray(y)
    yt = yt.astype(np.int64) if np.issubdtype(yt.dtype, np.integer) else yt.astype(np.float32)
    per = model.loss.call(pynn.Tensor(yt), pynn.Tensor(p), reduction="none").numpy()
    per = np.asarray(per, np.float64).reshape(len(p), -1).mean(axis=1)
    return per


def loss_threshold_attack(model, members, nonmembers, batch_size=None):
    """The loss-threshold membership-inference attack (Yeom et al. 2018).

    A record is called a member when its loss is below a threshold; the score
    is minus the loss, and the ROC sweeps every threshold. ``info`` holds Yeom's
    own operating point (threshold = mean member loss) as ``yeom_tpr`` /
    ``yeom_fpr``.

    Parameters
    ----------
    model : Model
        The compiled, trained target model.
    members : tuple
        ``(x, y)`` records the model was trained on.
    nonmembers : tuple
        ``(x, y)`` records from the same distribution it never saw.
    batch_size : int, optional
        predict's batch size.

    Returns
    -------
    AuditResult

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        An uncompiled model, or members / nonmembers that are not non-empty (x, y) tuples.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(40, 3)).astype("float32"); y = (x[:, :1] > 0).astype("float32")
    >>> model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> r = pynn.privacy.audit.loss_threshold_attack(model, (x[:20], y[:20]), (x[20:], y[20:]))
    >>> 0 <= r.auc <= 1
    True
    """
    _check_model(model, "loss_threshold_attack")
    xm, ym = _xy(members, "loss_threshold_attack", "members")
    xn, yn = _xy(nonmembers, "loss_threshold_attack", "nonmembers")
    lm = per_example_loss(model, xm, ym, batch_size)
    ln = per_example_loss(model, xn, yn, batch_size)
    threshold = float(lm.mean())
    info = {"yeom_threshold": threshold, "yeom_tpr": float(np.mean(lm <= threshold)),
            "yeom_fpr": float(np.mean(ln <= threshold)),
            "mean_member_loss": threshold, "mean_nonmember_loss": float(ln.mean())}
    return AuditResult("loss threshold", -np.r_[lm, ln], np.r_[np.ones(lm.size), np.zeros(ln.size)],
                       info)


def _probabilities(p, from_logits):
    """Class probabilities from a classifier's outputs: the loss's from_logits says
    whether the outputs are logits (softmax / sigmoid them) or probabilities; one
    column is a sigmoid's P(class 1) and becomes [1 - p, p]."""
    p = np.asarray(p, np.float64).reshape(len(p), -1)
    if p.shape[1] == 1:
        q = 1.0 / (1.0 + np.exp(-p[:, 0])) if from_logits else np.clip(p[:, 0], 0.0, 1.0)
        return np.stack([1.0 - q, q], axis=1)
    if not from_logits:
        return p
    e = np.exp(p - p.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _labels(y, num_classes, what):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == num_classes and num_classes > 1:
        return np.argmax(y, axis=1)  # one-hot targets
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1:
        raise ValueError(f"{what}: targets must be class ids, one-hot rows or one 0/1 column for a "
                         f"{num_classes}-class model, got shape {np.shape(y)}")
    y = y[:, 0]
    if not np.all((y == np.round(y)) & (y >= 0) & (y < num_classes)):
        raise ValueError(f"{what}: the shadow-model attack needs a classifier; targets must be class "
                         f"ids in [0, {num_classes}), got values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def _attack_features(model, x, y, batch_size, what):
    """Shokri's features: the prediction vector sorted in decreasing order (so the
    attack learns confidence patterns, not class identity) plus the one-hot
    label and the log of the true-label probability."""
    p = _probabilities(model.predict(x, batch_size=batch_size, verbose=0),
                       bool(model.loss.config.get("from_logits", False)))
    labels = _labels(y, p.shape[1], what)
    onehot = np.eye(p.shape[1])[labels]
    true_p = np.log(np.clip(p[np.arange(len(p)), labels], 1e-12, 1.0))
    return np.concatenate([-np.sort(-p, axis=1), onehot, true_p[:, None]], axis=1).astype(np.float32)


def _clone_compiled(model):
    """A fresh model with the target's architecture, optimizer settings and loss
    (the attacker knows the training recipe, as in Shokri et al.)."""
    import pynn
    clone = type(model).from_config(model.get_config())
    opt = pynn.optimizers.deserialize(pynn.optimizers.serialize(model.optimizer))
    clone.compile(optimizer=opt, loss=pynn.losses.deserialize(pynn.losses.serialize(model.loss)))
    return clone


def shadow_model_attack(model, members, nonmembers, shadow_data, epochs, num_shadows=4,
                        batch_size=32, shadow_size=None, attack_epochs=100, seed=None,
                        make_shadow=None, eval_batch_size=None):
    """The shadow-model membership-inference attack (Shokri et al. 2017).

    Each of ``num_shadows`` shadow models (the target's architecture, optimizer
    settings and loss, trained ``epochs`` epochs with ``batch_size``) trains on a
    random half of a random ``2 * shadow_size`` draw from ``shadow_data``; the
    other half are its non-members. An attack classifier (a pynn MLP) learns
    member vs non-member from the shadows' sorted prediction vectors, the label
    and the log-probability of the label, then scores the target's records.

    Parameters
    ----------
    model : Model
        The compiled, trained target classifier (softmax / sigmoid / logits output).
    members, nonmembers : tuple
        ``(x, y)`` of the target's training records and of unseen records.
    shadow_data : tuple
        ``(x, y)`` the attacker owns, from the same distribution, disjoint from both.
    epochs : int
        Epochs of each shadow's training (the target's recipe).
    num_shadows : int, default 4
        How many shadow models.
    batch_size : int, default 32
        The shadows' batch size.
    shadow_size : int, optional
        Members per shadow (default: len(members), at most half of shadow_data).
    attack_epochs : int, default 100
        Epochs of the attack classifier.
    seed : int, optional
        Seeds pynn and the data draws: a seeded audit is reproducible.
    make_shadow : callable, optional
        ``make_shadow() -> compiled Model`` replacing the default clone (for
        models whose config cannot be cloned, or a different recipe).
    eval_batch_size : int, optional
        predict's batch size.

    Returns
    -------
    AuditResult
        ``info`` holds the shadows' train / held-out accuracy and the attack
        classifier's accuracy on the shadow records.

    Raises
    ------
    TypeError
        Not a pynn Model, or make_shadow returned something else.
    ValueError
        Bad data or counts, a non-classifier, or shadow_data too small.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(120, 4)).astype("float32"); y = (x[:, 0] > 0).astype("int64")
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)),
    ...                          pynn.layers.Dense(2, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> _ = model.fit(x[:20], y[:20], epochs=5, verbose=0)
    >>> r = pynn.privacy.audit.shadow_model_attack(model, (x[:20], y[:20]), (x[20:40], y[20:40]),
    ...                                            (x[40:], y[40:]), epochs=5, num_shadows=2,
    ...                                            attack_epochs=5, seed=0)
    >>> r.attack, r.n_members, r.info["num_shadows"]
    ('shadow models', 20, 2)
    """
    import pynn
    what = "shadow_model_attack"
    _check_model(model, what)
    xm, ym = _xy(members, what, "members")
    xn, yn = _xy(nonmembers, what, "nonmembers")
    xs, ys = _xy(shadow_data, what, "shadow_data")
    for arg, v in (("epochs", epochs), ("num_shadows", num_shadows), ("batch_size", batch_size),
                   ("attack_epochs", attack_epochs)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{what}: {arg} must be a positive integer, got {v!r}")
    xs, ys = np.asarray(xs), np.asarray(ys)
    size = min(len(xm), len(xs) // 2) if shadow_size is None else shadow_size
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1 \
            or 2 * size > len(xs):
        raise ValueError(f"{what}: each shadow needs 2 * shadow_size records of shadow_data (members "
                         f"and non-members); shadow_size={size!r} with {len(xs)} shadow records")
    # the target's features first: a model or targets the attack cannot read fail
    # before any shadow trains
    tm = _attack_features(model, xm, ym, eval_batch_size, what)
    tn = _attack_features(model, xn, yn, eval_batch_size, what)
    if seed is not None:
        pynn.set_seed(seed)
    rng = np.random.default_rng(seed)

    feats, labels, accs = [], [], []
    for _ in range(num_shadows):
        shadow = make_shadow() if make_shadow is not None else _clone_compiled(model)
        if not isinstance(shadow, pynn.Model):
            raise TypeError(f"{what}: make_shadow must return a compiled pynn Model, got "
                            f"{type(shadow).__name__}")
        idx = rng.permutation(len(xs))[:2 * size]
        tin, tout = idx[:size], idx[size:]
        shadow.fit(xs[tin], ys[tin], epochs=epochs, batch_size=batch_size, verbose=0)
        fin = _attack_features(shadow, xs[tin], ys[tin], eval_batch_size, what)
        fout = _attack_features(shadow, xs[tout], ys[tout], eval_batch_size, what)
        accs.append((_accuracy(fin, ys[tin]), _accuracy(fout, ys[tout])))
        feats += [fin, fout]
        labels += [np.ones(size, np.float32), np.zeros(size, np.float32)]
    f, lab = np.concatenate(feats), np.concatenate(labels)[:, None]
    # standardise so one learning rate suits every feature
    mu, sd = f.mean(axis=0), f.std(axis=0) + 1e-6
    attack = pynn.Sequential([pynn.Input(shape=(f.shape[1],)),
                              pynn.layers.Dense(64, activation="relu"),
                              pynn.layers.Dense(1, activation="sigmoid")])
    attack.compile(optimizer=pynn.optimizers.Adam(1e-3), loss="binary_crossentropy",
                   metrics=["accuracy"])
    h = attack.fit((f - mu) / sd, lab, epochs=attack_epochs, batch_size=64, verbose=0)

    scores = attack.predict((np.concatenate([tm, tn]) - mu) / sd, verbose=0).reshape(-1)
    info = {"num_shadows": int(num_shadows), "shadow_size": int(size),
            "shadow_train_accuracy": float(np.mean([a for a, _ in accs])),
            "shadow_heldout_accuracy": float(np.mean([b for _, b in accs])),
            "attack_train_accuracy": float(h.history["accuracy"][-1])}
    return AuditResult("shadow models", scores, np.r_[np.ones(len(tm)), np.zeros(len(tn))], info)


def _accuracy(features, y):
    """Accuracy from the attack features: a record is classified right when the
    probability of its label (last column, a log) is the largest one (column 0)."""
    return float(np.mean(np.exp(features[:, -1]) >= features[:, 0] * (1 - 1e-5)))
