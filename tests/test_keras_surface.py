"""Keras 3 surface added for issue 13, side by side with Keras 3 (torch backend)
where it is installed: Lambda, RepeatVector, Permute, TimeDistributed, Variable,
the confusion-count metrics, losses as metrics, MeanAbsolutePercentageError,
KLDivergence, lowercase regularizer aliases, nested model.trainable."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def double_plus(x, c=1.0):
    return x * 2.0 + c


def wrapper_model(lib):
    L = lib.layers
    inp = lib.Input(shape=(4,))
    h = L.Dense(3)(inp)
    h = L.Lambda(double_plus, arguments={"c": 0.5})(h)
    h = L.RepeatVector(5)(h)                                # (5, 3)
    h = L.Permute((2, 1))(h)                                # (3, 5)
    h = L.TimeDistributed(L.Dense(4, activation="tanh"))(h)  # (3, 4)
    h = L.Permute((2, 1))(h)                                # (4, 3)
    h = L.LSTM(3)(h)
    model = lib.Model(inp, L.Dense(1)(h))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


def wrapper_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def test_wrappers_compute_what_numpy_says():
    pynn.set_seed(0)
    x = np.random.default_rng(1).normal(size=(2, 3)).astype("float32")
    np.testing.assert_array_equal(layers.RepeatVector(4)(x).numpy(), np.repeat(x[:, None], 4, 1))
    y = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(layers.Permute((3, 1, 2))(y).numpy(), y.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(layers.Lambda(double_plus)(x).numpy(), 2 * x + 1)
    td = layers.TimeDistributed(layers.Dense(2))
    seq = np.random.default_rng(2).normal(size=(3, 5, 4)).astype("float32")
    out = td(seq).numpy()
    kernel, bias = td.layer.get_weights()
    np.testing.assert_allclose(out, seq @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert td.weights == td.layer.weights and out.shape == (3, 5, 2)


def test_wrappers_match_keras_outputs_and_training():
    keras = keras_or_skip()
    kmodel, model = wrapper_model(keras), wrapper_model(pynn)
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in kmodel.weights]
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    x, y = wrapper_data()
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
    # two epochs of SGD from the same weights: the gradients through every layer agree
    kh = kmodel.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], kh.history["loss"], rtol=1e-4)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-3, atol=1e-5)


def test_wrappers_save_and_load(tmp_path):
    pynn.set_seed(0)
    model = wrapper_model(pynn)
    x, _ = wrapper_data()
    path = str(tmp_path / "wrappers.keras")
    model.save(path)
    with pytest.raises(ValueError, match="double_plus.*custom_objects"):
        pynn.load_model(path)  # a file never supplies code
    loaded = pynn.load_model(path, custom_objects={"double_plus": double_plus})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_wrappers_bad_input():
    with pytest.raises(ValueError, match="RepeatVector: n must be a positive integer"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match=r"Permute: dims must be a permutation of 1\.\.2"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="RepeatVector .* expects inputs of shape"):
        layers.RepeatVector(2)(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="TimeDistributed .* expects inputs of shape"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="supplied to TimeDistributed isn.t a supported layer"):
        layers.TimeDistributed("dense")
    with pytest.raises(TypeError, match="function must be callable"):
        layers.Lambda(3)
    model = pynn.Sequential([pynn.Input(shape=(2,)), layers.Lambda(lambda t: t * 3.0)])
    with pytest.raises(ValueError, match="anonymous function"):
        model.get_config()


def test_variable_assign_like_keras():
    keras = keras_or_skip()
    for lib in (pynn, keras):
        v = lib.Variable(np.array([1.0, 2.0], "float32"), name="v")
        v.assign([3.0, 4.0])
        v.assign_add([1.0, 1.0])
        v.assign_sub([0.5, 2.0])
        np.testing.assert_array_equal(np.asarray(v), [3.5, 3.0])
        w = lib.Variable(initializer="ones", shape=(2, 3), trainable=False)
        assert tuple(w.shape) == (2, 3) and not w.trainable
        np.testing.assert_array_equal(np.asarray(w), np.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot assign a value of shape"):
        pynn.Variable(np.zeros(2, "float32")).assign_add(np.zeros(3, "float32"))


def test_nested_model_trainable_false_reaches_its_layers():
    keras = keras_or_skip()
    counts = []
    for lib in (keras, pynn):
        inner = lib.Sequential([lib.Input(shape=(3,)), lib.layers.Dense(4), lib.layers.Dense(4)])
        middle = lib.Sequential([lib.Input(shape=(3,)), inner, lib.layers.Dense(2)])
        outer = lib.Sequential([lib.Input(shape=(3,)), middle, lib.layers.Dense(1)])
        middle.trainable = False
        counts.append((len(outer.trainable_weights), len(outer.non_trainable_weights),
                       inner.trainable, inner.layers[0].trainable, middle.layers[-1].trainable))
        middle.trainable = True
        counts.append((len(outer.trainable_weights), inner.layers[1].trainable))
    assert counts[2:] == counts[:2]
    assert counts[0] == (2, 6, False, False, False)


# ---------------------------------------------------------------- metrics and losses
def metric_model(lib):
    M = lib.metrics
    inp = lib.Input(shape=(3,))
    model = lib.Model(inp, lib.layers.Dense(1, activation="sigmoid")(inp))
    model.set_weights([np.array([[1.0], [0.5], [-0.3]], "float32"), np.array([0.1], "float32")])
    model.compile("sgd", "binary_crossentropy", metrics=[
        M.TruePositives(), M.FalsePositives(), M.TrueNegatives(),
        M.FalseNegatives(thresholds=[0.3, 0.7]), M.BinaryCrossentropy(), M.KLDivergence(),
        M.MeanAbsolutePercentageError(), lib.losses.mean_squared_error, M.Hinge()])
    return model


def metric_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = (x[:, :1] + 0.5 * rng.normal(size=(50, 1)) > 0).astype("float32")
    return x, y


def test_new_metrics_against_numpy():
    x, y = metric_data()
    model = metric_model(pynn)
    p = model.predict(x, verbose=0).astype(np.float64)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    pos, truth = p > 0.5, y > 0.5
    assert logs["true_positives"] == np.sum(pos & truth)
    assert logs["false_positives"] == np.sum(pos & ~truth)
    assert logs["true_negatives"] == np.sum(~pos & ~truth)
    np.testing.assert_array_equal(logs["false_negatives"],
                                  [np.sum((p <= t) & truth) for t in (0.3, 0.7)])
    eps = 1e-7
    pc = np.clip(p, eps, 1 - eps)
    bce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean()
    kld = (np.clip(y, eps, 1) * np.log(np.clip(y, eps, 1) / np.clip(p, eps, 1))).sum(-1).mean()
    mape = (100 * np.abs(y - p) / np.maximum(np.abs(y), eps)).mean()
    hinge = np.maximum(1 - (2 * y - 1) * p, 0).mean()
    assert logs["binary_crossentropy"] == pytest.approx(bce, rel=1e-5)
    assert logs["kl_divergence"] == pytest.approx(kld, rel=1e-5)
    assert logs["mean_absolute_percentage_error"] == pytest.approx(mape, rel=1e-5)
    assert logs["mean_squared_error"] == pytest.approx(((y - p) ** 2).mean(), rel=1e-5)
    assert logs["hinge"] == pytest.approx(hinge, rel=1e-5)
    # the loss classes themselves, on soft labels
    soft = np.random.default_rng(1).dirichlet(np.ones(3), size=8)
    q = np.random.default_rng(2).dirichlet(np.ones(3), size=8)
    kld = (soft * np.log(soft / q)).sum(-1).mean()
    mape = (100 * np.abs(soft - q) / soft).mean()
    f32 = lambda a: a.astype("float32")  # noqa: E731
    assert pynn.losses.KLDivergence()(f32(soft), f32(q)).numpy() == pytest.approx(kld, rel=1e-5)
    assert pynn.losses.get("mape")(f32(soft), f32(q)).numpy() == pytest.approx(mape, rel=1e-5)


def test_new_metrics_match_keras():
    keras = keras_or_skip()
    x, y = metric_data()
    want = metric_model(keras).evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = metric_model(pynn).evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert sorted(got) == sorted(want)
    for k in want:
        np.testing.assert_allclose(got[k], np.asarray(want[k]), rtol=1e-5, err_msg=k)
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(4), size=10).astype("float32")
    labels = rng.integers(0, 4, 10)
    onehot = np.eye(4, dtype="float32")[labels]
    for name, kwargs, y_true in (("CategoricalCrossentropy", {}, onehot),
                                 ("TopKCategoricalAccuracy", {"k": 2}, onehot),
                                 ("SparseCategoricalCrossentropy", {}, labels),
                                 ("TruePositives", {"thresholds": [0.2, 0.4]}, onehot)):
        values = []
        for lib in (keras, pynn):
            m = getattr(lib.metrics, name)(**kwargs)
            m.update_state(y_true, p)
            m.update_state(y_true[:4], p[:4])
            values.append(np.array(m.result(), dtype=np.float64))  # a copy: reset zeroes it
            m.reset_state()
        np.testing.assert_allclose(values[1], values[0], rtol=1e-5, err_msg=name)


def test_metric_bad_input():
    with pytest.raises(ValueError, match=r"TruePositives: thresholds must be in \[0, 1\]"):
        pynn.metrics.TruePositives(thresholds=1.5)
    with pytest.raises(TypeError, match="KLDivergence: unexpected argument"):
        pynn.metrics.KLDivergence(from_logits=True)


def test_lowercase_regularizers_are_keras_classes():
    keras = keras_or_skip()
    for lib in (keras, pynn):
        r = lib.regularizers.l2(1e-3)
        assert isinstance(r, lib.regularizers.L2) and r.l2 == pytest.approx(1e-3)
        assert isinstance(lib.regularizers.l1(0.2), lib.regularizers.L1)
    w = np.array([[1.0, -2.0]], "float32")
    assert pynn.regularizers.l2(0.5)(w).numpy() == pytest.approx(0.5 * 5.0)
    assert pynn.regularizers.l1(0.5)(w).numpy() == pytest.approx(0.5 * 3.0)


# ---------------------------------------------------------------- callback hooks
HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
         "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
         "on_predict_batch_begin", "on_predict_batch_end"]


def hook_events(lib):
    """Every hook fired by fit (with validation), evaluate and predict, with its batch
    index, the sorted keys of its logs and, for predictions, the batch's row count."""
    events = []

    class Recorder(lib.callbacks.Callback):
        pass

    for hook in HOOKS:
        def record(self, *args, _hook=hook, **kwargs):
            logs = kwargs.get("logs", args[-1] if args and isinstance(args[-1], dict) else None)
            batch = [a for a in args if isinstance(a, int)]
            keys = sorted(logs) if isinstance(logs, dict) else []
            rows = len(logs["outputs"]) if isinstance(logs, dict) and "outputs" in logs else None
            events.append((_hook, *batch, tuple(keys), rows))
        setattr(Recorder, hook, record)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = x[:, :1] * 2.0
    model = lib.Sequential([lib.Input(shape=(3,)), lib.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:6], y[:6]), callbacks=[Recorder()],
              verbose=0)
    history = model.history
    model.evaluate(x, y, batch_size=4, callbacks=[Recorder()], verbose=0)
    model.predict(x, batch_size=4, callbacks=[Recorder()], verbose=0)
    assert model.history is history  # evaluate and predict leave fit's History in place
    return events


def test_callback_hooks_in_fit_evaluate_predict():
    events = hook_events(pynn)
    names = [e[0] for e in events]
    # validation inside fit: on_test_* between the last train batch and on_epoch_end
    first_epoch = names[:names.index("on_epoch_end") + 1]
    assert first_epoch == (["on_train_begin", "on_epoch_begin"]
                           + ["on_train_batch_begin", "on_train_batch_end"] * 3
                           + ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 2
                           + ["on_test_end", "on_epoch_end"])
    assert ("on_test_end", ("loss", "mae"), None) in events
    assert ("on_epoch_end", 1, ("loss", "mae", "val_loss", "val_mae"), None) in events
    assert [e for e in events if e[0] == "on_predict_batch_end"] == [
        ("on_predict_batch_end", 0, ("outputs",), 4), ("on_predict_batch_end", 1, ("outputs",), 4),
        ("on_predict_batch_end", 2, ("outputs",), 2)]
    assert names.count("on_test_batch_end") == 2 * 2 + 3  # 2 validation passes, 1 evaluate


def test_callback_hooks_match_keras():
    keras = keras_or_skip()
    assert hook_events(pynn) == hook_events(keras)


# ---------------------------------------------------------------- add_loss / compute_loss
def activity_layer_class(lib):
    # https://keras.io/guides/making_new_layers_and_models_via_subclassing/ (add_loss)
    class ActivityRegularizationLayer(lib.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * lib.ops.sum(inputs))
            return inputs

    return ActivityRegularizationLayer


LOSS_WEIGHTS = [np.linspace(-1, 1, 12).reshape(3, 4).astype("float32"), np.full(4, 0.1, "float32"),
                np.linspace(0.5, -0.5, 4).reshape(4, 1).astype("float32"), np.zeros(1, "float32")]


def add_loss_run(lib, loss="mse", model_class=None):
    inputs = lib.Input(shape=(3,))
    x = lib.layers.Dense(4, activation="relu")(inputs)
    x = activity_layer_class(lib)()(x)
    model = (model_class or lib.Model)(inputs, lib.layers.Dense(1)(x))
    model.set_weights(LOSS_WEIGHTS)
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)).astype("float32"), rng.normal(size=(20, 1)).astype("float32")
    out = {"evaluate": model.evaluate(x, y, batch_size=20, verbose=0)}
    out["history"] = model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0).history
    model(x[:4])
    out["losses"] = [float(lib.ops.convert_to_numpy(t)) for t in model.losses]
    out["weights"] = [np.asarray(w) for w in model.get_weights()]
    return out, (x, y)


def compute_loss_class(lib):
    # https://keras.io/guides/custom_train_step_in_torch/ style: the loss defined in compute_loss
    class CustomModel(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = lib.ops.mean((y_pred - y) ** 2)
            loss = loss + lib.ops.sum(self.losses)  # (+= : see the report on in-place rules)
            return loss

    return CustomModel


def test_add_loss_enters_the_training_loss():
    out, (x, y) = add_loss_run(pynn)
    w1, b1, w2, b2 = LOSS_WEIGHTS
    h = np.maximum(x @ w1 + b1, 0)
    want = np.mean((h @ w2 + b2 - y) ** 2) + 0.01 * h.sum()  # Keras: mse + the add_loss term
    assert out["evaluate"] == pytest.approx(want, rel=1e-5)
    # model.losses: the term of the latest call (4 samples)
    w1, b1 = out["weights"][:2]
    assert out["losses"] == [pytest.approx(0.01 * np.maximum(x[:4] @ w1 + b1, 0).sum(), rel=1e-5)]
    # without a compiled loss, add_loss alone trains (and fit needs no targets)
    no_loss, _ = add_loss_run(pynn, loss=None)
    assert no_loss["history"]["loss"][1] < no_loss["history"]["loss"][0]
    inputs = pynn.Input(shape=(3,))
    hidden = pynn.layers.Dense(4, activation="relu")
    model = pynn.Model(inputs, activity_layer_class(pynn)()(hidden(inputs)))
    model.compile(optimizer="sgd")
    before = hidden.kernel.copy()
    model.fit(x, epochs=1, verbose=0)
    assert not np.allclose(hidden.kernel, before)
    plain = pynn.Model(inputs, pynn.layers.Dense(1)(inputs))
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="has no loss"):
        plain.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="add_loss expects a scalar"):
        pynn.layers.Dense(1).add_loss(np.zeros(3))


def test_add_loss_and_compute_loss_match_keras():
    keras = keras_or_skip()
    for kwargs in ({}, {"loss": None}):
        want, _ = add_loss_run(keras, **kwargs)
        got, _ = add_loss_run(pynn, **kwargs)
        for k in ("history", "losses", "weights"):
            np.testing.assert_allclose(np.concatenate([np.ravel(v) for v in (
                got[k].values() if isinstance(got[k], dict) else got[k])]),
                np.concatenate([np.ravel(v) for v in (
                    want[k].values() if isinstance(want[k], dict) else want[k])]),
                rtol=1e-4, atol=1e-6, err_msg=f"{kwargs} {k}")
    want, _ = add_loss_run(keras, loss=None, model_class=compute_loss_class(keras))
    got, _ = add_loss_run(pynn, loss=None, model_class=compute_loss_class(pynn))
    np.testing.assert_allclose(got["history"]["loss"], want["history"]["loss"], rtol=1e-5)
    for g, w in zip(got["weights"], want["weights"]):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
