"""The Keras model surface: building Sequential models, weights as arena views,
evaluate's return forms, metric naming and accuracy resolution, pandas inputs,
validation_split / sample_weight / initial_epoch semantics, helpful errors on bad
input (which must leave the weights untouched), and Ctrl-C leaving a consistent
model."""
import re
import signal
import threading

import numpy as np
import pytest

import pynn
from pynn.layers import Dense


def _mlp(n_in=10, hidden=8, out=1, act="sigmoid"):
    return pynn.Sequential([pynn.Input(shape=(n_in,)), Dense(hidden, activation="relu"),
                            Dense(out, activation=act)])


def _binary_data(n=64, d=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] > 0).astype(np.float32)
    return x, y


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


# ---------------------------------------------------------------- building
def test_sequential_from_list_with_input_is_built_at_once():
    model = pynn.Sequential([pynn.Input(shape=(16,)), Dense(4), Dense(2)])
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(16, 4), (4,), (4, 2), (2,)]
    assert model.count_params() == 16 * 4 + 4 + 4 * 2 + 2
    assert model.output_shape == (None, 2)


def test_sequential_input_shape_argument():
    model = pynn.Sequential([Dense(3, input_shape=(7,)), Dense(1)])
    assert model.built
    assert model.layers[0].kernel.shape == (7, 3)
    assert model.predict(np.zeros((5, 7)), verbose=0).shape == (5, 1)


def test_sequential_add_and_pop():
    model = pynn.Sequential()
    model.add(pynn.Input(shape=(6,)))
    model.add(Dense(4, activation="relu"))
    model.add(Dense(3))
    assert [w.shape for w in model.get_weights()] == [(6, 4), (4,), (4, 3), (3,)]
    popped = model.pop()
    assert isinstance(popped, Dense) and popped.units == 3
    assert len(model.layers) == 1
    assert model.predict(np.ones((2, 6)), verbose=0).shape == (2, 4)
    model.add(Dense(5))
    assert model.predict(np.ones((2, 6)), verbose=0).shape == (2, 5)
    with pytest.raises(TypeError, match="Layer"):
        model.add("dense")
    empty = pynn.Sequential()
    with pytest.raises(ValueError, match="no layers"):
        empty.pop()


def test_sequential_lazy_build_from_first_batch():
    model = pynn.Sequential([Dense(4, activation="relu"), Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.get_weights()
    out = model.predict(np.ones((3, 16), np.float32), verbose=0)
    assert out.shape == (3, 2)
    assert model.built
    assert model.layers[0].kernel.shape == (16, 4)


def test_sequential_lazy_build_in_fit():
    model = pynn.Sequential([Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    x, y = _binary_data(d=5)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.layers[0].kernel.shape == (5, 1)


def test_model_build_with_batch_shape():
    model = pynn.Sequential([Dense(3), Dense(1)])
    model.build((None, 16))
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(16, 3), (3,), (3, 1), (1,)]
    with pytest.raises(ValueError, match="input shape"):
        pynn.Sequential([Dense(3)]).build()


# ---------------------------------------------------------------- weights
def test_get_set_weights_order_and_roundtrip():
    model = _mlp(4, 3, 2, "softmax")
    ws = model.get_weights()
    assert [w.shape for w in ws] == [(4, 3), (3,), (3, 2), (2,)]
    new = [np.full(w.shape, i + 1, np.float32) for i, w in enumerate(ws)]
    model.set_weights(new)
    got = model.get_weights()
    _assert_same(got, new)
    np.testing.assert_array_equal(model.layers[1].bias, np.full((2,), 4.0))
    # get_weights returns copies
    got[0][...] = 99
    assert model.layers[0].kernel[0, 0] == 1.0


def test_set_weights_count_and_shape_mismatch_raise_and_change_nothing():
    model = _mlp(4, 3, 2, "softmax")
    before = _snapshot(model)
    with pytest.raises(ValueError, match="4 weight arrays, got 3"):
        model.set_weights(before[:3])
    bad = [np.ones_like(w) for w in before]
    bad[3] = np.ones((3,), np.float32)  # the last bias has shape (2,)
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3,\)"):
        model.set_weights(bad)
    _assert_same(model.get_weights(), before)  # nothing written, not even the first arrays


def test_kernel_is_a_view_into_the_model_arena():
    model = _mlp(4, 3, 1)
    dense = model.layers[0]
    k = dense.kernel
    assert isinstance(k, np.ndarray) and k.dtype == np.float32
    assert np.shares_memory(k, model.weights[0])
    assert np.shares_memory(k, model.layers[1].kernel) is False
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    p0 = model.predict(x, verbose=0)
    k[...] = 0.0                        # writing into the view changes the model
    np.testing.assert_array_equal(model.get_weights()[0], 0.0)
    p1 = model.predict(x, verbose=0)
    assert not np.allclose(p0, p1)
    # constant hidden activations: relu(bias) — every sample gets the same prediction
    np.testing.assert_allclose(p1, np.broadcast_to(p1[:1], p1.shape), rtol=1e-6)
    # training updates the same memory the user holds
    model.compile(pynn.optimizers.SGD(0.1), "binary_crossentropy")
    dense.bias[...] = 0.5
    model.fit(x, np.ones(6), epochs=1, verbose=0)
    assert dense.kernel is k
    np.testing.assert_array_equal(k, model.get_weights()[0])
    assert np.abs(k).sum() > 0


# ---------------------------------------------------------------- evaluate / metrics
def test_evaluate_return_forms():
    x, y = _binary_data()
    model = _mlp()
    model.compile("adam", "binary_crossentropy")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)

    model.compile("adam", "binary_crossentropy", metrics=["mae", "accuracy"])
    res = model.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 3
    np.testing.assert_allclose(res[0], loss, rtol=1e-6)
    pred = model.predict(x, verbose=0)[:, 0]
    np.testing.assert_allclose(res[1], np.mean(np.abs(pred - y)), rtol=1e-5)   # compile order
    np.testing.assert_allclose(res[2], np.mean((pred > 0.5) == y), rtol=1e-6)
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "mae", "accuracy"}
    np.testing.assert_allclose([d["loss"], d["mae"], d["accuracy"]], res, rtol=1e-6)
    assert model.metrics_names == ["loss", "mae", "accuracy"]


def test_metric_keys_are_the_strings_passed():
    x, y = _binary_data()
    model = _mlp()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy", "acc", "AUC"])
    h = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25)
    assert set(h.history) == {"loss", "accuracy", "acc", "AUC",
                              "val_loss", "val_accuracy", "val_acc", "val_AUC"}
    assert h.history["accuracy"] == h.history["acc"]
    assert all(len(v) == 2 for v in h.history.values())


@pytest.mark.parametrize("out, y_kind, expected", [
    (1, "binary", "BinaryAccuracy"),
    (3, "sparse", "SparseCategoricalAccuracy"),
    (3, "sparse_col", "SparseCategoricalAccuracy"),
    (3, "onehot", "CategoricalAccuracy"),
])
def test_accuracy_auto_resolution(out, y_kind, expected):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    labels = rng.integers(0, out if out > 1 else 2, size=30)
    y = {"binary": labels.astype(np.float32), "sparse": labels,
         "sparse_col": labels[:, None], "onehot": np.eye(3)[labels]}[y_kind]
    loss = {"binary": "binary_crossentropy", "onehot": "categorical_crossentropy"}.get(
        y_kind, "sparse_categorical_crossentropy")
    model = _mlp(4, 6, out, "sigmoid" if out == 1 else "softmax")
    model.compile("adam", loss, metrics=["accuracy"])
    acc = model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    assert type(model.compiled_metrics[0]).__name__ == expected
    assert model.compiled_metrics[0].name == "accuracy"
    pred = model.predict(x, verbose=0)
    want = np.mean((pred[:, 0] > 0.5) == labels) if out == 1 else np.mean(pred.argmax(1) == labels)
    np.testing.assert_allclose(acc, want, rtol=1e-6)


# ---------------------------------------------------------------- inputs
def test_pandas_dataframe_and_series():
    pd = pytest.importorskip("pandas")
    x, y = _binary_data()
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    s = pd.Series(y, name="target")
    pynn.set_seed(0)
    m1 = _mlp()
    w0 = _snapshot(m1)
    m1.compile(pynn.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    h1 = m1.fit(df, s, epochs=2, batch_size=16, shuffle=False, verbose=0)
    m2 = _mlp()
    m2.set_weights(w0)
    m2.compile(pynn.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    h2 = m2.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert h1.history == h2.history
    _assert_same(m1.get_weights(), m2.get_weights())
    np.testing.assert_array_equal(m1.predict(df, verbose=0), m2.predict(x, verbose=0))
    assert m1.evaluate(df, s, verbose=0) == m2.evaluate(x, y, verbose=0)


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x, y = _binary_data(n=40)
    model = _mlp()
    model.compile(pynn.optimizers.SGD(0.05), "binary_crossentropy", metrics=["accuracy"])
    seen = []

    class Record(pynn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(_snapshot(self.model))

    h = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, shuffle=True, verbose=0,
                  callbacks=[Record()])
    assert h.params["steps"] == 4  # 30 training samples in batches of 8
    for epoch, weights in enumerate(seen):
        probe = _mlp()
        probe.set_weights(weights)
        probe.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
        last = probe.evaluate(x[30:], y[30:], verbose=0)
        first = probe.evaluate(x[:10], y[:10], verbose=0)
        np.testing.assert_allclose(h.history["val_loss"][epoch], last[0], rtol=1e-6)
        np.testing.assert_allclose(h.history["val_accuracy"][epoch], last[1], rtol=1e-6)
        assert abs(first[0] - last[0]) > 1e-6  # the check could tell the two apart
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_sample_weight_scales_each_sample():
    x, y = _binary_data(n=12)
    model = _mlp()
    model.compile("sgd", "binary_crossentropy")
    sw = np.linspace(0.0, 2.0, 12)
    per = np.array([model.evaluate(x[i:i + 1], y[i:i + 1], verbose=0) for i in range(12)])
    got = model.evaluate(x, y, sample_weight=sw, batch_size=12, verbose=0)
    np.testing.assert_allclose(got, np.sum(sw * per) / 12, rtol=1e-5)  # Σ w·l / batch size

    # zero weights: no gradient, so SGD leaves the weights where they are
    before = _snapshot(model)
    model.fit(x, y, sample_weight=np.zeros(12), epochs=2, batch_size=4, verbose=0)
    _assert_same(model.get_weights(), before)

    # weight 2 with lr is the same step as weight 1 with 2·lr
    a, b = _mlp(), _mlp()
    b.set_weights(a.get_weights())
    a.compile(pynn.optimizers.SGD(0.1), "binary_crossentropy")
    b.compile(pynn.optimizers.SGD(0.2), "binary_crossentropy")
    a.fit(x, y, sample_weight=np.full(12, 2.0), epochs=1, batch_size=12, verbose=0)
    b.fit(x, y, epochs=1, batch_size=12, verbose=0)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="sample_weight has 3 values for 12 samples"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)


def test_initial_epoch():
    x, y = _binary_data()
    model = _mlp()
    model.compile("adam", "binary_crossentropy")
    epochs_seen = []

    class Record(pynn.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_seen.append(epoch)

    h = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0, callbacks=[Record()])
    assert epochs_seen == [3, 4]
    assert h.epoch == [3, 4]
    assert len(h.history["loss"]) == 2


def test_predict_and_call_agree():
    x, _ = _binary_data(n=37)
    model = _mlp()
    p = model.predict(x, batch_size=8, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (37, 1)
    np.testing.assert_allclose(p, model(x).numpy(), rtol=1e-6)


# ---------------------------------------------------------------- bad input
def test_shape_error_names_the_layer_and_separates_sample_from_batch_shape():
    model = pynn.Sequential([pynn.Input(shape=(10,)), Dense(4), Dense(1)])
    model.compile("adam", "mse")
    name = model.layers[0].name
    x = np.zeros((32, 12), np.float32)
    msg = (f"Dense '{name}' expects inputs whose last dimension is 10 (per-sample shape (10,)); "
           f"got a batch of shape (32, 12)")
    for call in (lambda: model.fit(x, np.zeros(32), verbose=0), lambda: model.predict(x, verbose=0),
                 lambda: model.evaluate(x, np.zeros(32), verbose=0), lambda: model(x)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == msg
    # a per-sample rank mismatch is reported with both shapes too
    with pytest.raises(ValueError, match=re.escape("per-sample shape (10,)")) as err:
        model.predict(np.zeros((4, 3, 10)), verbose=0)
    assert "(4, 3, 10)" in str(err.value)


def test_lazy_model_shape_error_after_build():
    model = pynn.Sequential([Dense(4)])
    model.predict(np.zeros((2, 10)), verbose=0)
    with pytest.raises(ValueError, match=re.escape("last dimension is 10")):
        model.predict(np.zeros((2, 11)), verbose=0)


def _fit_model():
    model = _mlp(4, 5, 3, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_nan_in_x_raises_and_changes_nothing():
    model = _fit_model()
    before = _snapshot(model)
    x = np.ones((10, 4), np.float32)
    x[7, 2] = np.nan
    with pytest.raises(ValueError, match=re.escape("x contains NaN or infinite values (first at "
                                                   "index (7, 2))")):
        model.fit(x, np.zeros(10), verbose=0)
    x[7, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(x, np.zeros(10), verbose=0)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.ones((10, 4)), np.ones(10), validation_data=(x, np.zeros(10)), verbose=0)
    _assert_same(model.get_weights(), before)


def test_string_x_raises_and_changes_nothing():
    model = _fit_model()
    before = _snapshot(model)
    x = np.array([["a", "b", "c", "d"]] * 5)
    with pytest.raises(ValueError, match="x must be numeric.*<U1"):
        model.fit(x, np.zeros(5), verbose=0)
    with pytest.raises(ValueError, match="numeric"):
        model.predict(x, verbose=0)
    _assert_same(model.get_weights(), before)


def test_out_of_range_sparse_labels_raise_and_change_nothing():
    model = _fit_model()
    before = _snapshot(model)
    x = np.ones((6, 4), np.float32)
    with pytest.raises(ValueError, match=re.escape("y[4] = 3 is not a class index in [0, 3)")):
        model.fit(x, np.array([0, 1, 2, 0, 3, 1]), verbose=0)
    with pytest.raises(ValueError, match="is not a class index"):
        model.fit(x, np.array([0, 1, -1, 0, 2, 1]), verbose=0)
    with pytest.raises(ValueError, match="is not a class index"):
        model.evaluate(x, np.array([0, 1, 0.5, 0, 2, 1]), verbose=0)
    _assert_same(model.get_weights(), before)


def test_sample_count_mismatch_and_missing_compile():
    model = _fit_model()
    with pytest.raises(ValueError, match="y has 5 samples but x has 6"):
        model.fit(np.ones((6, 4)), np.zeros(5), verbose=0)
    with pytest.raises(ValueError, match="compile"):
        _mlp().fit(np.ones((6, 10)), np.zeros(6), verbose=0)


# ---------------------------------------------------------------- Ctrl-C
def _big_binary(n=4000, d=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.float32)


def _check_consistent_after_interrupt(model, x, y):
    for w in model.get_weights():
        assert np.isfinite(w).all()
    p = model.predict(x[:50], verbose=0)
    assert np.isfinite(p).all()
    h = model.fit(x, y, epochs=1, batch_size=64, verbose=0)  # training resumes normally
    assert np.isfinite(h.history["loss"][0])


def test_keyboard_interrupt_from_a_callback_leaves_consistent_weights():
    x, y = _big_binary()
    model = _mlp(32, 64, 1)
    model.compile("adam", "binary_crossentropy")
    before = _snapshot(model)

    class Interrupt(pynn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=64, verbose=0, callbacks=[Interrupt()])
    after = model.get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(after, before))  # 6 steps were taken
    _check_consistent_after_interrupt(model, x, y)


def test_sigint_during_fit_stops_between_batches():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    x, y = _big_binary(n=20000, d=64)
    model = _mlp(64, 256, 1)
    model.compile("adam", "binary_crossentropy")
    timer = threading.Timer(0.3, signal.raise_signal, args=(signal.SIGINT,))
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, epochs=1000, batch_size=32, verbose=0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
    _check_consistent_after_interrupt(model, x, y)


# ---------------------------------------------------------------- weights in metrics, odd inputs
def test_metrics_ignore_sample_weight_but_weighted_metrics_use_it():
    """Keras 3: `metrics` are unweighted, `weighted_metrics` see sample_weight and
    class_weight; the same name in both lists logs the weighted one as weighted_<name>."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    model = _mlp(4, 6, 3, "softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    sw = rng.random(40).astype(np.float32)
    res = model.evaluate(x, labels, sample_weight=sw, verbose=0, return_dict=True)
    assert set(res) == {"loss", "accuracy", "weighted_accuracy"}
    hit = model.predict(x, verbose=0).argmax(1) == labels
    np.testing.assert_allclose(res["accuracy"], hit.mean(), rtol=1e-9)
    np.testing.assert_allclose(res["weighted_accuracy"], np.sum(sw * hit) / np.sum(sw), rtol=1e-6)
    assert abs(hit.mean() - np.sum(sw * hit) / np.sum(sw)) > 1e-3  # the two really differ

    model.compile(pynn.optimizers.SGD(0.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["acc"])
    cw = {0: 0.1, 1: 1.0, 2: 5.0}
    h = model.fit(x, labels, class_weight=cw, epochs=1, verbose=0)
    w = np.array([cw[int(c)] for c in labels])
    np.testing.assert_allclose(h.history["accuracy"][0], hit.mean(), rtol=1e-9)
    np.testing.assert_allclose(h.history["acc"][0], np.sum(w * hit) / np.sum(w), rtol=1e-6)


def test_nested_python_lists_are_one_input():
    model = _mlp(3, 4, 2, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    h = model.fit(x, [0, 1, 1], verbose=0)
    assert np.isfinite(h.history["loss"][0])
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  model.predict(np.array(x, np.float32), verbose=0))


def test_missing_or_empty_data_and_bad_sample_weight():
    model = _fit_model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match="x is None"):
        model.fit(None, np.zeros(3), verbose=0)
    with pytest.raises(ValueError, match="y is None"):
        model.evaluate(np.ones((3, 4)), verbose=0)
    with pytest.raises(ValueError, match="no samples"):
        model.fit(np.zeros((0, 4)), np.zeros(0), verbose=0)
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        model.fit(np.ones((3, 4)), np.zeros(3), sample_weight=[1.0, np.nan, 1.0], verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.ones((3, 4)), np.zeros(3), batch_size=0, verbose=0)
    _assert_same(model.get_weights(), before)


def test_custom_loss_function_matches_the_builtin():
    """compile(loss=fn): fn(y_true, y_pred) gives per-sample losses, reduced as
    Keras does (Σ w·l / batch size); a hand-written MSE trains exactly as "mse"."""
    from pynn import ops

    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = rng.normal(size=(10, 1)).astype(np.float32)
    sw = np.linspace(0.0, 1.0, 10)
    a = pynn.Sequential([pynn.Input(shape=(3,)), Dense(1)])
    b = pynn.Sequential([pynn.Input(shape=(3,)), Dense(1)])
    b.set_weights(a.get_weights())
    a.compile(pynn.optimizers.SGD(0.1), my_mse)
    b.compile(pynn.optimizers.SGD(0.1), "mse")
    ha = a.fit(x, y, sample_weight=sw, epochs=2, batch_size=4, shuffle=False, verbose=0)
    hb = b.fit(x, y, sample_weight=sw, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.evaluate(x, y, verbose=0), b.evaluate(x, y, verbose=0), rtol=1e-6)


def test_predict_on_one_small_batch_matches_the_batched_path():
    """predict on at most batch_size float32 rows replays the program once, without
    run_loop's setup; the values are those of the general path and of model(x)."""
    rng = np.random.default_rng(11)
    model = pynn.Sequential([pynn.Input(shape=(6,)), Dense(9, activation="tanh"), Dense(2)])
    x = rng.standard_normal((40, 6)).astype(np.float32)
    small = model.predict(x[:5])
    assert small.shape == (5, 2) and small.dtype == np.float32
    assert np.array_equal(small, model.predict(x[:5].astype(np.float64)))  # general path
    assert np.array_equal(small, model(x[:5]).numpy())
    assert np.array_equal(model.predict(x[:1]), small[:1])
    whole = model.predict(x, batch_size=40)  # one batch: the fast path again
    assert np.array_equal(whole, model.predict(x.astype(np.float64), batch_size=40))
    x_bad = x[:1].copy()
    x_bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        model.predict(x_bad)
    with pytest.raises(ValueError, match="expects inputs whose last dimension is 6"):
        model.predict(np.ones((1, 5), np.float32))


@pytest.mark.parametrize("getter, typo, suggestion", [
    ("optimizers", "adamm", "adam"), ("losses", "binary_crossentropyy", "binary_crossentropy"),
    ("metrics", "acuracy", "accuracy"), ("activations", "rellu", "relu"),
    ("initializers", "glorot_unifrom", "glorot_uniform"), ("regularizers", "l22", "l2")])
def test_unknown_names_suggest_the_closest(getter, typo, suggestion):
    with pytest.raises(ValueError, match=f"Unknown .*'{typo}'; did you mean '{suggestion}'\\?"):
        getattr(pynn, getter).get(typo)


def test_unknown_name_in_compile_suggests():
    model = pynn.Sequential([pynn.Input((3,)), pynn.layers.Dense(1)])
    with pytest.raises(ValueError, match="did you mean 'mse'"):
        model.compile("adam", "mse2")
    with pytest.raises(ValueError, match="Unknown optimizer 'qwerty'. Known: "):
        model.compile("qwerty", "mse")
