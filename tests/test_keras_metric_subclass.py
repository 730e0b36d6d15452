"""Keras-style Metric subclasses (add_variable / update_state / result / reset_state) in
fit and evaluate (issue #13). The compiled loop sums the increments that update_state
records when the model is traced (pynn/metric_state.py): update_state runs once per
traced program, never per batch, and the values equal a NumPy count over the data.
The guide's CategoricalTruePositives runs side by side with Keras in
tests/keras_examples/custom_metric_subclass.py."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops


class SignCounts(pynn.metrics.Metric):
    """Per-class counts of predictions above / below zero (a vector state), weighted."""

    calls = 0

    def __init__(self, name="sign_counts", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pos = self.add_variable(shape=(2,), initializer="zeros", name="pos")
        self.seen = self.add_weight(name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        SignCounts.calls += 1
        w = ops.ones_like(y_pred[:, :1]) if sample_weight is None else \
            ops.reshape(sample_weight, (-1, 1))
        self.pos.assign_add(ops.sum(ops.cast(y_pred > 0, "float32") * w, axis=0))
        self.seen.assign_add(ops.sum(w))
        self.seen.assign_sub(0.0)

    def result(self):
        return self.pos / ops.maximum(self.seen, 1.0)


def _model():
    pynn.set_seed(0)
    inp = pynn.Input(shape=(3,))
    model = pynn.Model(inp, layers.Dense(2)(inp))
    model.compile(optimizer=pynn.optimizers.SGD(0.01), loss="mse", metrics=[SignCounts()],
                  weighted_metrics=[SignCounts(name="weighted_counts")])
    return model


def test_subclass_metric_values_in_fit_and_evaluate_equal_a_numpy_count():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(103, 3)).astype(np.float32)
    y = rng.normal(size=(103, 2)).astype(np.float32)
    sw = rng.uniform(0.5, 2.0, size=103).astype(np.float32)
    model = _model()
    SignCounts.calls = 0
    hist = model.fit(x, y, batch_size=10, epochs=3, verbose=0, shuffle=False, sample_weight=sw)
    assert SignCounts.calls == 2  # traced once per metric, not run per batch (11 x 3 batches)
    # epoch 3's value: the predictions of each batch as the weights were before its step
    assert len(hist.history["sign_counts"]) == 3
    r = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True, sample_weight=sw)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(r["sign_counts"], (p > 0).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(r["weighted_counts"],
                               ((p > 0) * sw[:, None]).sum(axis=0) / sw.sum(), rtol=1e-5)
    metric = model.compiled_metrics[0]
    np.testing.assert_allclose(np.asarray(metric.pos), (p > 0).sum(axis=0))  # state after evaluate
    metric.reset_state()
    assert float(metric.seen) == 0.0 and not metric.pos.any()


def test_standalone_use_and_default_reset():
    m = SignCounts()
    m.update_state(None, np.array([[1.0, -1.0], [2.0, 3.0]], np.float32))
    m.update_state(None, np.array([[-1.0, 1.0]], np.float32), sample_weight=np.array([2.0]))
    np.testing.assert_allclose(np.asarray(m.result()), [2 / 4, 3 / 4])
    m.reset_state()  # the base class's: every variable back to zero, as Keras
    np.testing.assert_array_equal(np.asarray(m.pos), [0.0, 0.0])
    assert [v.name for v in m.variables] == ["sign_counts/pos", "sign_counts/seen"]


class Overwrites(pynn.metrics.Metric):
    def __init__(self):
        super().__init__(name="last")
        self.v = self.add_variable(shape=())

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.v.assign(ops.mean(y_pred))

    def result(self):
        return self.v


class Stateless(pynn.metrics.Metric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        pass

    def result(self):
        return 0.0


class PerSample(pynn.metrics.Metric):
    def __init__(self):
        super().__init__(name="per_sample")
        self.v = self.add_variable(shape=())

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.v.assign_add(y_pred[:, 0])

    def result(self):
        return self.v


@pytest.mark.parametrize("metric, message", [
    (Overwrites, "Metric 'last'.update_state assigns variable 'last/variable'.*assign_add / assign_sub"),
    (Stateless, "overrides update_state but has no variables"),
    (PerSample, r"variable 'per_sample/variable' of shape \(\) cannot take an increment of shape \(1,\)"),
])
def test_metrics_the_loop_cannot_sum_are_refused_by_name(metric, message):
    inp = pynn.Input(shape=(3,))
    model = pynn.Model(inp, layers.Dense(2)(inp))
    model.compile(optimizer="sgd", loss="mse", metrics=[metric()])
    with pytest.raises(ValueError, match=message):
        model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
