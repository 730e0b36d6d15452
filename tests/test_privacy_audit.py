"""Membership-inference audit (pynn.privacy.audit): ROC/AUC arithmetic checked
against scikit-learn, attacks on an overfit model and on the same model under
DP-SGD, the model-card hook and bad input."""
import numpy as np
import pytest

import pynn
from pynn.privacy import audit

sklearn_metrics = pytest.importorskip("sklearn.metrics")


# ---------------------------------------------------------------- ROC arithmetic

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.normal(size=300) + 0.7 * labels, 1)  # rounding makes many ties
    assert audit.roc_auc(scores, labels) == pytest.approx(
        sklearn_metrics.roc_auc_score(labels, scores), abs=1e-12)
    fpr, tpr, thr = audit.roc_curve(scores, labels)
    sk_fpr, sk_tpr, sk_thr = sklearn_metrics.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])


def test_audit_result_figures_by_hand():
    # members 0.9, 0.3; non-members 0.8, 0.1: pairs (0.9>0.8, 0.9>0.1, 0.3<0.8, 0.3>0.1) -> AUC 3/4
    r = audit.AuditResult("hand", [0.9, 0.3, 0.8, 0.1], [1, 1, 0, 0])
    assert r.auc == 0.75
    assert r.advantage == 0.5  # threshold 0.9: TPR 1/2, FPR 0
    assert r.tpr_at_fpr == {0.001: 0.5, 0.01: 0.5}
    assert r.min_fpr == 0.5 and (r.n_members, r.n_nonmembers) == (2, 2)
    perfect = audit.AuditResult("perfect", [3, 2, 1, 0], [1, 1, 0, 0])
    assert (perfect.auc, perfect.advantage, perfect.tpr_at_fpr[0.001]) == (1.0, 1.0, 1.0)
    inverted = audit.AuditResult("inverted", [0, 1, 2, 3], [1, 1, 0, 0])
    assert (inverted.auc, inverted.advantage) == (0.0, 0.0)


def test_tpr_at_low_fpr_uses_only_points_at_or_below_it():
    # 1000 non-members: FPR 0.1% allows exactly one false positive
    neg = np.arange(1000, dtype=float)               # non-member scores 0..999
    pos = np.array([998.5, 997.5, 500.0, 10.0])      # members
    r = audit.AuditResult("t", np.r_[pos, neg], np.r_[np.ones(4), np.zeros(1000)])
    # above 999 false positives = 0 -> TPR 0; one FP (999) allows 998.5 -> TPR 1/4;
    # 10 FPs (990..999) allow 998.5 and 997.5 -> 2/4
    assert r.tpr_at_fpr[0.001] == 0.25
    assert r.tpr_at_fpr[0.01] == 0.5


# ---------------------------------------------------------------- attacks

def _digits():
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype("float32"), y.astype("int64")
    idx = np.random.default_rng(0).permutation(len(x))
    n = 150
    return (x[idx[:n]], y[idx[:n]]), (x[idx[n:2 * n]], y[idx[n:2 * n]]), \
        (x[idx[2 * n:]], y[idx[2 * n:]])


def _wide_mlp(optimizer, seed):
    pynn.set_seed(seed)
    model = pynn.Sequential([pynn.Input(shape=(64,)), pynn.layers.Dense(256, activation="relu"),
                             pynn.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_overfit_model_leaks_and_dpsgd_at_eps_1_does_not():
    """Digits, 150 members / 150 non-members (split seed 0), MLP 64-256-10.

    Plain: Adam(0.01), 60 epochs, batch 32 -> train accuracy 1.00, test 0.94-0.95;
    loss-threshold AUC 0.655 / 0.649 / 0.656 for pynn seeds 0 / 1 / 2 (spread
    0.007), advantage 0.36-0.39.
    DP-SGD (clip 1, target eps 1 at delta 1e-3, lr 0.1, 10 epochs, batch 32,
    Poisson sampling; noise multiplier 4.6): eps 0.991; AUC 0.512 / 0.530 / 0.480
    for the same seeds (spread 0.050; a blind attack on 150 + 150 records has
    AUC std ~0.033), advantage 0.07-0.09. The DP model is far less accurate
    (test 0.17-0.38): the price of eps = 1 on 150 records.
    """
    members, nonmembers, _ = _digits()
    plain, private = [], []
    for seed in (0, 1, 2):
        model = _wide_mlp(pynn.optimizers.Adam(0.01), seed)
        model.fit(*members, epochs=60, batch_size=32, verbose=0)
        train_acc = model.evaluate(*members, verbose=0)[1]
        test_acc = model.evaluate(*nonmembers, verbose=0)[1]
        assert train_acc == 1.0 and test_acc < 0.97  # it overfits
        r = audit.loss_threshold_attack(model, members, nonmembers)
        assert r.auc == pytest.approx(sklearn_metrics.roc_auc_score(r.is_member, r.scores), abs=1e-12)
        assert r.info["mean_member_loss"] < r.info["mean_nonmember_loss"]
        plain.append(r.auc)

        opt = pynn.privacy.DPSGD(l2_norm_clip=1.0, target_epsilon=1.0, delta=1e-3,
                                 learning_rate=0.1)
        model = _wide_mlp(opt, seed)
        h = model.fit(*members, epochs=10, batch_size=32, verbose=0)
        assert h.history["epsilon"][-1] <= 1.0
        private.append(audit.loss_threshold_attack(model, members, nonmembers).auc)
    assert min(plain) > 0.62, plain
    assert max(abs(a - 0.5) for a in private) < 0.08, private
    assert min(plain) - max(private) > 0.05, (plain, private)


def test_shadow_model_attack_finds_overfit_members():
    """Same overfit MLP (seed 0); 3 shadow models trained on 150-record halves of
    the remaining 1497 digits with the target's recipe. Measured AUC 0.665
    (loss threshold on the same model: 0.655); the shadows reach train accuracy
    1.0, held-out ~0.91."""
    members, nonmembers, shadow = _digits()
    model = _wide_mlp(pynn.optimizers.Adam(0.01), 0)
    model.fit(*members, epochs=60, batch_size=32, verbose=0)
    r = audit.shadow_model_attack(model, members, nonmembers, shadow, epochs=60, num_shadows=3,
                                  seed=0)
    assert r.attack == "shadow models" and r.n_members == r.n_nonmembers == 150
    assert r.info["shadow_train_accuracy"] == 1.0
    assert r.info["shadow_heldout_accuracy"] < 0.97
    assert r.auc > 0.6, r.summary()
    assert r.auc == pytest.approx(sklearn_metrics.roc_auc_score(r.is_member, r.scores), abs=1e-12)


def test_per_example_loss_is_the_compiled_loss_per_record():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 3)).astype("float32")
    y = rng.integers(0, 4, 7)
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(4)])
    model.compile(optimizer="sgd",
                  loss=pynn.losses.SparseCategoricalCrossentropy(from_logits=True))
    logits = model.predict(x, verbose=0).astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(audit.per_example_loss(model, x, y), -logp[np.arange(7), y],
                               rtol=1e-5)


# ---------------------------------------------------------------- card, plot, errors

def test_model_card_shows_empirical_leakage_next_to_epsilon():
    model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(2)])
    r = audit.AuditResult("loss threshold", [0.9, 0.3, 0.8, 0.1], [1, 1, 0, 0])
    card = pynn.footprint.model_card(model, privacy={"epsilon": 1.0, "delta": 1e-5}, audit=r)
    leak = card.to_dict()["model_details"]["privacy"]["empirical_leakage"]
    assert leak["auc"] == 0.75 and leak["advantage"] == 0.5
    md = card.to_markdown()
    assert "ε = 1" in md
    assert "Empirical leakage (membership inference, loss threshold): attack AUC 0.75, " \
           "advantage 0.5, TPR 0.5 at FPR 0.1%, TPR 0.5 at FPR 1%" in md
    # an audit without a DP guarantee still shows, under the "no guarantee" sentence
    md = pynn.footprint.model_card(model, audit=r).to_markdown()
    assert "No differential-privacy guarantee" in md and "attack AUC 0.75" in md
    assert "Empirical leakage" not in pynn.footprint.model_card(model).to_markdown()
    with pytest.raises(ValueError, match="audit must be"):
        pynn.footprint.model_card(model, audit={"auc": "high"})


def test_plot_draws_the_roc():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    r = audit.AuditResult("demo", [0.9, 0.3, 0.8, 0.1], [1, 1, 0, 0])
    ax = r.plot()
    line = [l for l in ax.get_lines() if "demo" in l.get_label()][0]
    np.testing.assert_allclose(line.get_xdata(), r.fpr)
    np.testing.assert_allclose(line.get_ydata(), r.tpr)
    assert "AUC 0.750" in line.get_label()
    with pytest.raises(TypeError, match="AuditResult"):
        audit.plot_roc([0.5])


def test_bad_input_is_named():
    model = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(1)])
    x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
    with pytest.raises(ValueError, match="must be compiled"):
        audit.loss_threshold_attack(model, (x, y), (x, y))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="pynn Model"):
        audit.loss_threshold_attack("model", (x, y), (x, y))
    with pytest.raises(ValueError, match="members must be a tuple"):
        audit.loss_threshold_attack(model, x, (x, y))
    with pytest.raises(ValueError, match="nonmembers is empty"):
        audit.loss_threshold_attack(model, (x, y), (x[:0], y[:0]))
    with pytest.raises(ValueError, match="4 inputs but 3 targets"):
        audit.loss_threshold_attack(model, (x, y[:3]), (x, y))
    with pytest.raises(ValueError, match="both members"):
        audit.roc_auc([1.0, 2.0], [1, 1])
    with pytest.raises(ValueError, match="finite"):
        audit.roc_auc([np.nan, 2.0], [1, 0])
    with pytest.raises(ValueError, match="same length"):
        audit.roc_curve([1.0, 2.0, 3.0], [1, 0])
    # regression targets are refused by the shadow attack, which needs a classifier
    with pytest.raises(ValueError, match="needs a classifier"):
        audit.shadow_model_attack(model, (x, y + 0.5), (x, y), (np.zeros((8, 2)), np.zeros((8, 1))),
                                  epochs=1, num_shadows=1, attack_epochs=1)
    with pytest.raises(ValueError, match="2 \\* shadow_size"):
        audit.shadow_model_attack(model, (x, y), (x, y), (x[:3], y[:3]), epochs=1, shadow_size=2)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        audit.shadow_model_attack(model, (x, y), (x, y), (x, y), epochs=0)


def test_shadow_features_read_logits_models_through_the_loss_setting():
    # a logits model (from_logits=True) is softmaxed; a probability model is taken as is
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    p = audit._probabilities(logits, from_logits=True)
    np.testing.assert_allclose(p, np.exp(logits) / np.exp(logits).sum(1, keepdims=True))
    probs = np.array([[0.7, 0.2, 0.1]])
    np.testing.assert_allclose(audit._probabilities(probs, from_logits=False), probs)
    # one sigmoid column becomes [1 - p, p]; one logit column is sigmoided first
    np.testing.assert_allclose(audit._probabilities(np.array([[0.8]]), False), [[0.2, 0.8]])
    np.testing.assert_allclose(audit._probabilities(np.array([[0.0]]), True), [[0.5, 0.5]])
