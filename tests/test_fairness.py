"""pynn.fairness: numbers from hand-computed tables, Fairlearn's own numbers
where it is installed, and the two mitigations."""
import numpy as np
import pytest

import pynn
from pynn import fairness as F
from pynn.layers import Dense

# A hand-checkable table: 10 people in groups a (6) and b (4).
#            a  a  a  a  a  a  b  b  b  b
Y_TRUE = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 1])
Y_PRED = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1, 1])
GROUP = np.array(["a"] * 6 + ["b"] * 4)
# a: selected 3/6 = 0.5; positives 3, of which predicted 2 -> TPR 2/3; negatives 3, predicted 1 -> FPR 1/3
# b: selected 2/4 = 0.5; positives 2, of which predicted 1 -> TPR 1/2; negatives 2, predicted 1 -> FPR 1/2
# overall: selection 5/10, TPR 3/5, FPR 2/5


def test_base_rates_on_the_hand_table():
    assert F.selection_rate(Y_TRUE, Y_PRED) == 0.5
    assert F.true_positive_rate(Y_TRUE, Y_PRED) == pytest.approx(3 / 5)
    assert F.false_positive_rate(Y_TRUE, Y_PRED) == pytest.approx(2 / 5)
    assert F.true_negative_rate(Y_TRUE, Y_PRED) == pytest.approx(3 / 5)
    assert F.false_negative_rate(Y_TRUE, Y_PRED) == pytest.approx(2 / 5)
    assert F.selection_rate(Y_TRUE, Y_PRED, pos_label=0) == 0.5
    assert F.count(Y_TRUE, Y_PRED) == 10
    assert F.true_positive_rate([0, 0], [1, 0]) == 0.0  # no positives: 0, as Fairlearn


def test_disparities_on_the_hand_table():
    kw = dict(sensitive_features=GROUP)
    assert F.demographic_parity_difference(Y_TRUE, Y_PRED, **kw) == 0.0
    assert F.demographic_parity_ratio(Y_TRUE, Y_PRED, **kw) == 1.0
    # TPR gap 2/3 - 1/2 = 1/6, FPR gap 1/2 - 1/3 = 1/6
    assert F.equal_opportunity_difference(Y_TRUE, Y_PRED, **kw) == pytest.approx(1 / 6)
    assert F.equal_opportunity_ratio(Y_TRUE, Y_PRED, **kw) == pytest.approx(0.75)
    assert F.equalized_odds_difference(Y_TRUE, Y_PRED, **kw) == pytest.approx(1 / 6)
    # worst ratio: FPR (1/3)/(1/2) = 2/3 against TPR 3/4
    assert F.equalized_odds_ratio(Y_TRUE, Y_PRED, **kw) == pytest.approx(2 / 3)
    assert F.equalized_odds_ratio(Y_TRUE, Y_PRED, agg="mean", **kw) == pytest.approx((2 / 3 + 0.75) / 2)
    # to_overall: TPR |2/3 - 3/5| = 1/15, |1/2 - 3/5| = 1/10 -> 1/10
    assert F.equal_opportunity_difference(Y_TRUE, Y_PRED, method="to_overall", **kw) == \
        pytest.approx(1 / 10)
    # ratio to overall: min(0.6/(2/3), 0.5/0.6) = min(0.9, 5/6)
    assert F.equal_opportunity_ratio(Y_TRUE, Y_PRED, method="to_overall", **kw) == pytest.approx(5 / 6)


def test_sample_weight_changes_the_rates_as_computed_by_hand():
    w = np.array([2, 1, 1, 1, 1, 1, 1, 1, 1, 3], float)
    # a: selected weight 2+1+1 = 4 of 7; b: selected 1+3 = 4 of 6
    d = F.demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=GROUP, sample_weight=w)
    assert d == pytest.approx(4 / 6 - 4 / 7)
    # b's TPR: positives weights 1 (missed) and 3 (hit) -> 3/4; a's: (2 + 1) / (2 + 1 + 1) = 3/4
    assert F.equal_opportunity_difference(Y_TRUE, Y_PRED, sensitive_features=GROUP,
                                          sample_weight=w) == pytest.approx(0.0)


def test_metric_frame():
    mf = F.MetricFrame(metrics=F.selection_rate, y_true=Y_TRUE, y_pred=Y_PRED,
                       sensitive_features=np.r_[["b"] * 3, ["a"] * 7])
    assert mf.groups == ["a", "b"]
    assert mf.by_group == {"a": pytest.approx(3 / 7), "b": pytest.approx(2 / 3)}
    assert mf.overall == 0.5
    assert mf.group_min() == pytest.approx(3 / 7) and mf.group_max() == pytest.approx(2 / 3)
    assert mf.difference() == pytest.approx(2 / 3 - 3 / 7)
    assert mf.difference(method="to_overall") == pytest.approx(2 / 3 - 0.5)
    assert mf.ratio() == pytest.approx((3 / 7) / (2 / 3))
    assert mf.ratio(method="to_overall") == pytest.approx(min((3 / 7) / 0.5, 0.5 / (2 / 3)))

    def accuracy(y, p, sample_weight=None):
        return float(np.average(y == p, weights=sample_weight))

    w = np.arange(1.0, 11.0)
    mf = F.MetricFrame(metrics={"acc": accuracy, "tpr": F.true_positive_rate}, y_true=Y_TRUE,
                       y_pred=Y_PRED, sensitive_features={"g": GROUP, "h": np.arange(10) % 2},
                       sample_params={"acc": {"sample_weight": w}})
    assert set(mf.by_group) == {"acc", "tpr"}
    assert mf.groups == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    # group (a, 0) = rows 0, 2, 4 with weights 1, 3, 5: right on rows 0 and 4
    assert mf.by_group["acc"][("a", 0)] == pytest.approx(6 / 9)
    assert mf.overall["acc"] == pytest.approx(np.average(Y_TRUE == Y_PRED, weights=w))
    # (a, 0) and (b, 1) catch every positive, (a, 1) and (b, 0) none
    assert mf.difference()["tpr"] == pytest.approx(1.0)
    assert "overall" in repr(mf)


def test_non_scalar_metrics_and_degenerate_ratios():
    def confusion(y, p):
        return np.array([[np.sum((y == 0) & (p == 0)), np.sum((y == 0) & (p == 1))],
                         [np.sum((y == 1) & (p == 0)), np.sum((y == 1) & (p == 1))]])

    mf = F.MetricFrame(metrics=confusion, y_true=Y_TRUE, y_pred=Y_PRED, sensitive_features=GROUP)
    np.testing.assert_array_equal(mf.by_group["b"], [[1, 1], [1, 1]])
    assert np.isnan(mf.difference())
    with pytest.raises(ValueError, match="does not give scalars"):
        mf.group_min()
    zero = np.zeros(4, int)
    assert np.isnan(F.demographic_parity_ratio(zero, zero, sensitive_features=["a", "a", "b", "b"]))


def test_matches_fairlearn():
    fl = pytest.importorskip("fairlearn.metrics")
    rng = np.random.default_rng(0)
    n = 400
    yt, yp = rng.integers(0, 2, n), rng.integers(0, 2, n)
    sf = rng.choice(["a", "b", "c"], n)
    w = rng.uniform(0.5, 2.0, n)
    for name in ("demographic_parity_difference", "demographic_parity_ratio",
                 "equalized_odds_difference", "equalized_odds_ratio",
                 "equal_opportunity_difference", "equal_opportunity_ratio"):
        for method in ("between_groups", "to_overall"):
            ours = getattr(F, name)(yt, yp, sensitive_features=sf, method=method, sample_weight=w)
            ref = getattr(fl, name)(yt, yp, sensitive_features=sf, method=method, sample_weight=w)
            assert ours == pytest.approx(ref, abs=1e-12), (name, method)
    sf2 = np.c_[sf, rng.integers(0, 2, n).astype(str)]
    metrics = {"sr": F.selection_rate, "fpr": F.false_positive_rate}
    ref_metrics = {"sr": fl.selection_rate, "fpr": fl.false_positive_rate}
    ours = F.MetricFrame(metrics=metrics, y_true=yt, y_pred=yp, sensitive_features=sf2)
    ref = fl.MetricFrame(metrics=ref_metrics, y_true=yt, y_pred=yp, sensitive_features=sf2)
    for m in metrics:
        for key, value in ref.by_group[m].items():
            assert ours.by_group[m][tuple(key)] == pytest.approx(value, abs=1e-12)
        assert ours.overall[m] == pytest.approx(ref.overall[m], abs=1e-12)
        assert ours.ratio(method="to_overall")[m] == pytest.approx(ref.ratio(method="to_overall")[m])


# ---------------------------------------------------------------- mitigation
def test_reweighing_makes_the_label_independent_of_the_group():
    w = F.reweighing(Y_TRUE, GROUP)
    # P(a)=.6, P(b)=.4, P(y=1)=.5; P(a,1)=.3 -> 1.0; P(b,1)=.2 -> .4*.5/.2 = 1.0 (already fair)
    np.testing.assert_allclose(w, 1.0)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    g = np.array(["m", "m", "m", "m", "f", "f", "f", "f"])
    # P(m)=P(f)=.5, P(y=1)=3/8; (m,1): .5*.375/.375 = .5; (m,0): .5*.625/.125 = 2.5;
    # (f,0): .5*.625/.5 = .625; (f,1) does not occur
    np.testing.assert_allclose(F.reweighing(y, g), [0.5, 0.5, 0.5, 2.5, 0.625, 0.625, 0.625, 0.625])
    rng = np.random.default_rng(1)
    g = rng.choice(["a", "b", "c"], 1000, p=[0.5, 0.3, 0.2])
    y = (rng.uniform(size=1000) < np.select([g == "a", g == "b"], [0.7, 0.4], 0.2)).astype(int)
    w = F.reweighing(y, g)
    assert w.sum() == pytest.approx(1000)
    rates = [np.average(y[g == k], weights=w[g == k]) for k in "abc"]
    np.testing.assert_allclose(rates, y.mean())


def test_reweighing_reduces_the_disparity_of_a_trained_model():
    rng = np.random.default_rng(2)
    n = 1200
    group = rng.integers(0, 2, n)
    skill = rng.normal(size=n)
    y = (skill + 1.5 * group + rng.normal(0, 0.5, n) > 0.75).astype(np.float32)  # biased labels
    X = np.c_[skill, group].astype(np.float32)

    def selection_gap(sample_weight):
        pynn.set_seed(0)
        model = pynn.Sequential([pynn.Input(shape=(2,)), Dense(1, activation="sigmoid")])
        model.compile(optimizer=pynn.optimizers.Adam(0.1), loss="binary_crossentropy")
        model.fit(X, y, batch_size=n, epochs=150, verbose=0, sample_weight=sample_weight)
        pred = (model.predict(X, verbose=0)[:, 0] > 0.5).astype(int)
        return F.demographic_parity_difference(y, pred, sensitive_features=group)

    plain = selection_gap(None)
    fair = selection_gap(F.reweighing(y, group))
    assert plain > 0.4 and fair < plain - 0.2, (plain, fair)


def test_threshold_optimizer_equalizes_selection_rate_or_tpr():
    rng = np.random.default_rng(3)
    n = 2000
    group = rng.choice(["a", "b"], n)
    y = (rng.uniform(size=n) < np.where(group == "a", 0.6, 0.3)).astype(int)
    scores = np.clip(0.35 * y + 0.25 * (group == "a") + rng.normal(0.2, 0.2, n), 0, 1)
    naive = (scores >= 0.5).astype(int)
    assert F.demographic_parity_difference(y, naive, sensitive_features=group) > 0.3

    dp = F.ThresholdOptimizer(constraints="demographic_parity").fit(scores, y,
                                                                    sensitive_features=group)
    pred = dp.predict(scores, sensitive_features=group)
    assert F.demographic_parity_difference(y, pred, sensitive_features=group) < 0.005
    assert set(dp.thresholds_) == {"a", "b"} and dp.thresholds_["a"] > dp.thresholds_["b"]
    # the best common rate: no other grid rate gives a higher accuracy
    assert dp.objective_value_ == pytest.approx(np.mean(pred == y))

    eo = F.ThresholdOptimizer(constraints="true_positive_rate_parity").fit(scores, y,
                                                                           sensitive_features=group)
    pred = eo.predict(scores, sensitive_features=group)
    assert F.equal_opportunity_difference(y, pred, sensitive_features=group) < 0.005
    assert F.equal_opportunity_difference(y, naive, sensitive_features=group) > 0.1


def test_threshold_optimizer_on_a_pynn_model():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 2)).astype(np.float32)
    group = (X[:, 1] > 0).astype(int)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = pynn.Sequential([pynn.Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[2.0], [2.0]]), np.zeros(1)])
    opt = F.ThresholdOptimizer(model, grid_size=200).fit(X, y, sensitive_features=group)
    pred = opt.predict(X, sensitive_features=group)
    assert F.demographic_parity_difference(y, pred, sensitive_features=group) < 0.02


def test_bad_input_errors():
    with pytest.raises(ValueError, match="at most two label values"):
        F.true_positive_rate([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="pos_label"):
        F.true_positive_rate(["x", "y"], ["x", "y"])
    with pytest.raises(ValueError, match="10 entries for 9 samples"):
        F.MetricFrame(metrics=F.selection_rate, y_true=Y_TRUE[:9], y_pred=Y_PRED[:9],
                      sensitive_features=GROUP)
    with pytest.raises(TypeError, match="callable or a non-empty dict"):
        F.MetricFrame(metrics="accuracy", y_true=Y_TRUE, y_pred=Y_PRED, sensitive_features=GROUP)
    with pytest.raises(ValueError, match="missing values"):
        F.MetricFrame(metrics=F.selection_rate, y_true=[1, 0], y_pred=[1, 0],
                      sensitive_features=np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="agg"):
        F.equalized_odds_difference(Y_TRUE, Y_PRED, sensitive_features=GROUP, agg="best")
    with pytest.raises(ValueError, match="method"):
        F.MetricFrame(metrics=F.selection_rate, y_true=Y_TRUE, y_pred=Y_PRED,
                      sensitive_features=GROUP).difference(method="pairwise")
    with pytest.raises(ValueError, match="equalized odds needs randomised"):
        F.ThresholdOptimizer(constraints="equalized_odds")
    with pytest.raises(ValueError, match="no positive samples"):
        F.ThresholdOptimizer(constraints="equal_opportunity").fit(
            np.array([0.1, 0.9, 0.3]), [0, 1, 0], sensitive_features=["a", "b", "a"])
    opt = F.ThresholdOptimizer().fit(np.array([0.1, 0.9]), [0, 1], sensitive_features=["a", "a"])
    with pytest.raises(ValueError, match="not seen in fit"):
        opt.predict(np.array([0.5]), sensitive_features=["z"])
    with pytest.raises(ValueError, match="call fit"):
        F.ThresholdOptimizer().predict(np.array([0.5]), sensitive_features=["a"])
