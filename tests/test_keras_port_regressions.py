"""Issue 13 regressions found porting keras.io programs (tests/keras_examples/convmixer,
siamese_contrastive, attention_mil_classification): functional models list their
InputLayers in model.layers as Keras 3 does, conv/pool configs hold tuples,
layers returning a list of tensors work in a graph, Dense takes an
activity_regularizer, a loss function sees labels (batch,) as (batch, 1) against
predictions (batch, 1) as Keras' wrapper makes them (it broadcast to (batch, batch)),
and a custom layer's weight given to ops that wrap their operands in Python
(tensordot, reshape, transpose, convert_to_tensor...) is trained (it was a constant). Each is checked against Keras 3 where it is installed."""
import io
from contextlib import redirect_stdout

import numpy as np
import pytest

import pynn
from pynn import layers, ops
from keras_ref import keras_or_skip


def _two_inputs(lib):
    a = lib.Input((4,), name="a")
    b = lib.Input((3,))
    x = lib.layers.Dense(2)(a)
    y = lib.layers.Dense(2)(b)
    z = lib.layers.Concatenate()([y, x])  # b's branch met first from the output
    return lib.Model([a, b], z), a, b


def test_functional_models_list_input_layers_first_in_keras_order():
    model, a, b = _two_inputs(pynn)
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds == ["InputLayer", "InputLayer", "Dense", "Dense", "Concatenate"]
    # Keras' order: deepest first, then as a walk from the outputs meets them (b before a)
    assert model.layers[0] is b.input_layer and model.layers[1].name == "a"
    assert model.get_layer(index=0) is model.layers[0] and model.get_layer("a") is model.layers[1]
    assert model.layers[1].output is a and model.layers[1].output_shape == (None, 4)
    assert model.layers[0].weights == [] and model.layers[0].count_params() == 0
    assert len(model.weights) == 4  # the InputLayers hold none
    seq = pynn.Sequential([pynn.Input((4,)), layers.Dense(2)])
    assert [type(l).__name__ for l in seq.layers] == ["Dense"]  # Sequential does not list it


def test_input_layers_match_keras():
    keras = keras_or_skip()
    pm, _, _ = _two_inputs(pynn)
    km, _, _ = _two_inputs(keras)
    assert [type(l).__name__ for l in pm.layers] == [type(l).__name__ for l in km.layers]
    assert pm.layers[1].name == km.layers[1].name == "a"
    kc = keras.layers.Conv2D(2, 3).get_config()
    pc = layers.Conv2D(2, 3).get_config()
    assert (pc["kernel_size"], pc["strides"], pc["dilation_rate"]) == \
        (kc["kernel_size"], kc["strides"], kc["dilation_rate"]) == ((3, 3), (1, 1), (1, 1))
    assert layers.MaxPooling2D().get_config()["pool_size"] == \
        keras.layers.MaxPooling2D().get_config()["pool_size"] == (2, 2)


def test_input_layer_names_survive_clone_save_and_summary(tmp_path):
    model, _, _ = _two_inputs(pynn)
    names = [l.name for l in model.layers]
    clone = pynn.models.clone_model(model)
    assert [l.name for l in clone.layers] == names
    assert clone.layers[0] is not model.layers[0]
    for ext in ("keras", "pynn"):
        path = str(tmp_path / f"m.{ext}")
        model.save(path)
        assert [l.name for l in pynn.load_model(path).layers] == names, ext
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    assert names[0] in out.getvalue() and "(InputLayer)" in out.getvalue()


def test_feature_extractor_over_all_layers_includes_the_input():
    model, _, _ = _two_inputs(pynn)
    features = pynn.Model(model.inputs, [l.output for l in model.layers])
    xa = np.arange(8, dtype=np.float32).reshape(2, 4)
    xb = np.ones((2, 3), np.float32)
    outs = features.predict([xa, xb], verbose=0)
    assert len(outs) == 5
    np.testing.assert_array_equal(outs[0], xb)  # the InputLayer's output is the input
    np.testing.assert_array_equal(outs[1], xa)
    np.testing.assert_allclose(outs[4], model.predict([xa, xb], verbose=0), rtol=1e-6)


class _SplitScores(layers.Layer):
    """Returns a list of tensors (as keras.io's MILAttentionLayer does)."""

    def call(self, inputs):
        scores = ops.softmax(ops.stack([ops.sum(x, axis=-1, keepdims=True) for x in inputs]),
                             axis=0)
        return [scores[i] for i in range(scores.shape[0])]


def test_a_layer_returning_a_list_gives_a_list_of_tensors_and_an_output_list():
    ins = [pynn.Input((3,)) for _ in range(3)]
    split = _SplitScores(name="split")
    alpha = split(ins)
    assert isinstance(alpha, list) and [t.shape for t in alpha] == [(None, 1)] * 3
    model = pynn.Model(ins, layers.concatenate(alpha, axis=1))
    assert isinstance(split.output, list) and len(split.output) == 3
    xs = [np.random.default_rng(i).normal(size=(5, 3)).astype(np.float32) for i in range(3)]
    got = model.predict(xs, verbose=0)
    s = np.stack([x.sum(-1) for x in xs], 1)
    want = np.exp(s - s.max(1, keepdims=True))
    np.testing.assert_allclose(got, want / want.sum(1, keepdims=True), rtol=1e-5)
    inner = pynn.Model(model.input, split.output)  # keras.io's intermediate model
    assert len(inner.predict(xs, verbose=0)) == 3


def test_dense_activity_regularizer_adds_the_penalty_of_the_output():
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    y = np.zeros((6, 2), np.float32)
    model = pynn.Sequential([pynn.Input((3,)),
                             layers.Dense(2, activity_regularizer=pynn.regularizers.L2(0.1))])
    model.compile(loss="mse", optimizer="sgd")
    kernel, bias = model.get_weights()
    out = x.astype(np.float64) @ kernel + bias
    # Keras 3: mse over the batch + l2 * sum(out²) divided by the batch size
    want = (out ** 2).mean() + 0.1 * (out ** 2).sum() / 6
    assert model.evaluate(x, y, batch_size=6, verbose=0) == pytest.approx(want, rel=1e-5)
    # batches of 4 and 2: each its own mean and penalty, averaged by the batch sizes
    b1, b2 = out[:4], out[4:]
    want = ((b1 ** 2).mean() + 0.1 * (b1 ** 2).sum() / 4) * 4 / 6 \
        + ((b2 ** 2).mean() + 0.1 * (b2 ** 2).sum() / 2) * 2 / 6
    assert model.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(want, rel=1e-5)
    cfg = model.layers[0].get_config()["activity_regularizer"]
    again = layers.Dense.from_config(model.layers[0].get_config())
    assert type(again.activity_regularizer).__name__ == "L2" and cfg is not None
    loss0 = model.evaluate(x, y, batch_size=6, verbose=0)
    model.fit(x, y, batch_size=6, epochs=5, verbose=0)
    assert model.evaluate(x, y, batch_size=6, verbose=0) < loss0


def test_dense_activity_regularizer_matches_keras():
    keras = keras_or_skip()
    x = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    y = np.random.default_rng(2).normal(size=(8, 2)).astype(np.float32)

    def make(lib):
        m = lib.Sequential([lib.Input((3,)),
                            lib.layers.Dense(2, activity_regularizer=lib.regularizers.L2(0.05))])
        m.compile(loss="mse", optimizer=lib.optimizers.SGD(0.1))
        return m
    km, pm = make(keras), make(pynn)
    pm.set_weights([np.asarray(w) for w in km.get_weights()])
    assert pm.evaluate(x, y, verbose=0) == pytest.approx(km.evaluate(x, y, verbose=0), rel=1e-5)
    kh = km.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    ph = pm.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ph, kh, rtol=1e-5)


def _contrastive(y_true, y_pred):  # keras.io's siamese_contrastive loss
    square_pred = ops.square(y_pred)
    margin_square = ops.square(ops.maximum(1 - y_pred, 0))
    return ops.mean((1 - y_true) * square_pred + y_true * margin_square)


def test_loss_functions_get_labels_of_the_predictions_rank():
    x = np.array([[1, 0], [0, 0.5], [0.2, 0.2]], np.float32)
    y = np.array([0, 1, 1], np.float32)  # (batch,) labels, (batch, 1) predictions
    model = pynn.Sequential([pynn.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(loss=_contrastive, optimizer="sgd")
    p, t = x.sum(1, keepdims=True), y[:, None]
    want = ((1 - t) * p ** 2 + t * np.maximum(1 - p, 0) ** 2).mean()  # not a 3x3 broadcast
    assert model.evaluate(x, y, verbose=0) == pytest.approx(want, rel=1e-6)
    seen = []
    model.compile(loss=lambda a, b: seen.append((a.shape, b.shape)) or ops.mean(b - a),
                  optimizer="sgd")
    model.evaluate(x, np.zeros((3, 1, 1), np.float32), verbose=0)  # (b, 1, 1) vs (b, 1)
    assert seen and seen[-1][0][-1] == 1 and len(seen[-1][0]) == len(seen[-1][1])


def test_loss_function_ranks_match_keras():
    keras = keras_or_skip()
    x = np.random.default_rng(3).normal(size=(10, 2)).astype(np.float32)
    y = (np.arange(10) % 2).astype(np.float32)

    def make(lib):
        m = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, activation="sigmoid")])
        m.compile(loss=_contrastive if lib is pynn else _keras_contrastive(keras),
                  optimizer=lib.optimizers.SGD(0.5))
        return m
    km, pm = make(keras), make(pynn)
    pm.set_weights([np.asarray(w) for w in km.get_weights()])
    kh = km.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0).history["loss"]
    ph = pm.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ph, kh, rtol=1e-5)


def _keras_contrastive(keras):
    kops = keras.ops

    def contrastive(y_true, y_pred):
        return kops.mean((1 - y_true) * kops.square(y_pred)
                         + y_true * kops.square(kops.maximum(1 - y_pred, 0)))
    return contrastive


@pytest.mark.parametrize("use", [
    lambda x, v: ops.tensordot(x, v, axes=1),
    lambda x, v: ops.matmul(x, ops.reshape(v, (4, 2))),
    lambda x, v: ops.matmul(x, ops.transpose(ops.transpose(v))),
    lambda x, v: ops.matmul(x, ops.convert_to_tensor(v)),
], ids=["tensordot", "reshape", "transpose", "convert_to_tensor"])
def test_custom_layer_weights_get_gradients_through_every_op(use):
    class Project(layers.Layer):
        def build(self, input_shape):
            self.v = self.add_weight(shape=(4, 2), initializer="ones", name="v")

        def call(self, x):
            return use(x, self.v)
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    y = np.zeros((3, 2), np.float32)
    model = pynn.Sequential([pynn.Input((4,)), Project()])
    model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    v = np.ones((4, 2))
    grad = x.T.astype(np.float64) @ (2 * (x @ v) / 6)  # d mean((x v)²) / dv
    np.testing.assert_allclose(model.get_weights()[0], v - 0.1 * grad, rtol=1e-5)
