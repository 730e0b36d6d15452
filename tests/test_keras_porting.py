"""What a program ported from Keras by changing the import relies on, beyond the
examples in tests/keras_examples/: keras.utils, keras.ops conversions, custom
layers (add_weight, call without `training`, ops on the weights themselves),
keras.losses.Loss subclasses, variable-length inputs, unsupported options refused."""
import numpy as np
import pytest

import pynn
import pynn as keras
from pynn import layers, ops


# ---------------------------------------------------------------- keras.utils
def test_pad_sequences_matches_the_keras_documentation():
    # the examples of https://keras.io/api/data_loading/timeseries/ pad_sequences docstring
    seqs = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs),
                                  [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs, value=-1),
                                  [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs, padding="post"),
                                  [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs, maxlen=2),
                                  [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    assert keras.utils.pad_sequences(seqs).dtype == np.int32


def test_pad_sequences_edge_cases_and_errors():
    out = keras.utils.pad_sequences([[], [1.5, 2.5]], dtype="float32")
    np.testing.assert_array_equal(out, [[0, 0], [1.5, 2.5]])
    steps = keras.utils.pad_sequences([np.ones((1, 2)), np.ones((3, 2))], maxlen=2, dtype="float32")
    assert steps.shape == (2, 2, 2) and steps[0, 0].sum() == 0 and steps[0, 1].sum() == 2
    with pytest.raises(ValueError, match="padding"):
        keras.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="item 1 is int"):
        keras.utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="maxlen"):
        keras.utils.pad_sequences([[1]], maxlen=-1)


def test_utils_to_categorical_normalize_and_seed():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1], 3),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0]])
    keras.utils.set_random_seed(5)
    a = layers.Dense(3)
    a.build((None, 4))
    keras.utils.set_random_seed(5)
    b = layers.Dense(3)
    b.build((None, 4))
    np.testing.assert_array_equal(a.kernel, b.kernel)


# ---------------------------------------------------------------- keras.ops
def test_one_hot_eager_and_inside_a_loss():
    np.testing.assert_array_equal(ops.one_hot(np.array([2, 0]), 3).numpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="one_hot: id 3 .* num_classes=3"):
        ops.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="num_classes"):
        ops.one_hot(np.array([1]), 0)

    def sparse_mse(y_true, y_pred):  # integer labels, one-hot encoded in the traced loss
        return ops.mean(ops.square(ops.one_hot(y_true, 3) - y_pred), axis=-1)

    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    y = np.array([0, 1, 2, 2, 1, 0])
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    model.compile("sgd", loss=sparse_mse)
    p = model.predict(x, verbose=0)
    want = np.mean(np.mean((np.eye(3)[y] - p) ** 2, axis=-1))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), want, rtol=1e-5)


def test_convert_helpers():
    t = ops.convert_to_tensor(np.arange(3.0))
    assert isinstance(t, pynn.Tensor) and ops.convert_to_tensor(t) is t
    np.testing.assert_array_equal(ops.convert_to_numpy(t * 2.0), [0, 2, 4])
    np.testing.assert_array_equal(ops.ones((2, 2)).numpy() + ops.zeros((2, 2)).numpy(), np.ones((2, 2)))


# ---------------------------------------------------------------- custom layers
class CustomDense(layers.Layer):
    """https://keras.io/guides/functional_api/#extend-the-api-using-custom-layers"""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):  # no `training` argument, as in the guide
        return ops.matmul(inputs, self.w) + self.b


def test_custom_layer_trains_like_the_hand_computed_sgd_step():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(3)(inputs))
    assert [w.name.split("/")[-1] for w in model.weights] == ["variable", "variable_1"]
    model.compile(keras.optimizers.SGD(0.1), "mse")
    w0, b0 = model.get_weights()
    p0 = model.predict(x, verbose=0)
    np.testing.assert_allclose(p0, x @ w0 + b0, rtol=1e-5, atol=1e-6)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    g = 2 * (p0 - y) / y.size  # d mean((p - y)²) / dp
    w1, b1 = model.get_weights()
    np.testing.assert_allclose(w1, w0 - 0.1 * x.T @ g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b1, b0 - 0.1 * g.sum(0), rtol=1e-5, atol=1e-6)


def test_custom_layer_eager_gradient_reaches_its_weights():
    layer = CustomDense(2)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = layer(pynn.Tensor(x))
    out.sum().backward()
    np.testing.assert_allclose(layer.tensor(layer.w).grad, np.repeat(x.sum(0)[:, None], 2, 1))
    np.testing.assert_allclose(layer.tensor(layer.b).grad, [2.0, 2.0])


def test_add_weight_signatures():
    layer = layers.Layer()
    a = layer.add_weight("kernel", (2, 3), "zeros")             # tf.keras: name first
    b = layer.add_weight((4,), initializer="ones")                # Keras 3: shape first
    c = layer.add_weight(shape=3, initializer=keras.initializers.Constant(2.0), trainable=False)
    assert [w.name.split("/")[-1] for w in (a, b, c)] == ["kernel", "variable", "variable_1"]
    assert (a.shape, b.shape, c.shape) == ((2, 3), (4,), (3,))
    assert a.sum() == 0 and b.sum() == 4 and c.sum() == 6 and not c.trainable
    with pytest.raises(TypeError, match="shape is required"):
        layer.add_weight(name="w")
    with pytest.raises(ValueError, match="constraints are not supported"):
        layer.add_weight(shape=(2,), constraint=lambda w: w)


# ---------------------------------------------------------------- custom losses
class ScaledMSE(keras.losses.Loss):
    def __init__(self, factor=2.0, name="scaled_mse"):
        super().__init__(name=name)
        self.factor = factor

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1) * self.factor


def test_loss_subclass_is_weighted_and_reduced_as_keras():
    rng = np.random.default_rng(2)
    y, p = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    w = rng.uniform(size=5).astype("float32")
    per = 2.0 * np.mean((y - p) ** 2, axis=-1)
    loss = ScaledMSE()
    np.testing.assert_allclose(loss(y, p).numpy(), per.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss(y, p, sample_weight=w).numpy(), np.mean(w * per), rtol=1e-6)
    np.testing.assert_allclose(ScaledMSE(name="s").call(y, p, reduction="none").numpy(), per,
                               rtol=1e-6)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(3)])
    model.compile("sgd", loss=ScaledMSE())
    pred = model.predict(y, verbose=0)
    np.testing.assert_allclose(model.evaluate(y, p, verbose=0),
                               2.0 * np.mean((p - pred) ** 2), rtol=1e-5)


# ---------------------------------------------------------------- variable lengths
def test_none_length_input_takes_any_length():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(10, 4)(inputs)
    x = layers.LSTM(3)(x)
    model = keras.Model(inputs, layers.Dense(1)(x))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(3)
    short, long = rng.integers(0, 10, (4, 5)), rng.integers(0, 10, (4, 9))
    p_short, p_long = model.predict(short, verbose=0), model.predict(long, verbose=0)
    # each length runs its own program; both agree with the eager forward pass
    np.testing.assert_allclose(p_short, model(pynn.Tensor(short)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(p_long, model(pynn.Tensor(long)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(model(long).numpy(), p_long, rtol=1e-5)
    model.fit(long, np.zeros((4, 1)), validation_data=(short, np.zeros((4, 1))), verbose=0)
    with pytest.raises(ValueError, match=r"per-sample shape \(None,\)"):
        model.predict(np.zeros((2, 3, 2)), verbose=0)


# ---------------------------------------------------------------- refused options
@pytest.mark.parametrize("make", [
    lambda: layers.Dense(2, kernel_constraint="non_neg"),
    lambda: layers.Dense(2, bias_constraint="non_neg"),  # (activity_regularizer is supported)
    lambda: layers.Embedding(5, 2, embeddings_constraint="unit_norm"),
    lambda: layers.LSTM(2, recurrent_constraint="non_neg"),
])
def test_unsupported_options_are_refused_not_ignored(make):
    with pytest.raises(ValueError, match="not supported"):
        make()


# ---------------------------------------------------------------- freezing, sharing, graphs
def _changed(before, model):
    return [bool(np.any(a != b)) for a, b in zip(before, model.get_weights())]


def test_freezing_a_layer_of_a_built_model_stops_its_training():
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(2)])
    model.layers[0].trainable = False
    model.compile("adam", "mse")
    assert [w.shape for w in model.trainable_weights] == [(4,), (4,), (4, 2), (2,)]
    x = np.random.default_rng(7).normal(size=(8, 6))
    before = model.get_weights()
    model.fit(x, np.ones((8, 2)), epochs=1, verbose=0)
    assert _changed(before, model) == [False, False, True, True, True, True, True, True]
    model.layers[0].trainable = True  # and unfreezing (then compiling, as Keras asks) trains it
    model.compile("adam", "mse")
    before = model.get_weights()
    model.fit(x, np.ones((8, 2)), epochs=1, verbose=0)
    assert _changed(before, model)[:2] == [True, True]


def test_models_sharing_layers_stay_consistent():
    """A frozen base inside a classifier, then the base trained on its own: both
    models always compute with the same (current) weights."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 5)).astype("float32")
    base = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="tanh")])
    base.trainable = False
    clf = keras.Sequential([base, layers.Dense(3)])
    assert clf.built and [w.shape for w in clf.trainable_weights] == [(4, 3), (3,)]
    clf.compile("sgd", "mse")
    before = clf.get_weights()
    clf.fit(x, np.ones((8, 3)), verbose=0)
    assert _changed(before, clf) == [False, False, True, True]
    base.trainable = True
    base.compile(keras.optimizers.SGD(0.5), "mse")
    base.fit(x, np.ones((8, 4)), verbose=0)
    k, b = base.get_weights()
    k2, b2 = clf.get_weights()[2:]
    want = np.tanh(x @ k + b) @ k2 + b2
    np.testing.assert_allclose(clf.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf(x).numpy(), want, rtol=1e-5, atol=1e-6)


def test_feature_extractor_from_layer_outputs():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 6)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu", name="h"),
                              layers.Dense(2)])
    extractor = keras.Model(inputs=model.inputs, outputs=[l.output for l in model.layers])
    hidden, out = extractor.predict(x, verbose=0)
    k, b = model.get_layer("h").get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ k + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)
    assert model.input is model.inputs[0] and model.output is model.outputs[0]
    with pytest.raises(ValueError, match="has never been called"):
        layers.Dense(2).output
    with pytest.raises(ValueError, match="no defined input"):
        keras.Sequential([layers.Dense(2)]).inputs


def test_train_on_batch_with_several_outputs_is_one_step():
    """train_on_batch took len(y) as the batch size: with y a dict of two outputs it
    ran ceil(n / 2) steps and reported their average."""
    rng = np.random.default_rng(8)
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(3,), name="b")
    cls = layers.Dense(3, activation="softmax", name="cls")(layers.Dense(5)(a))
    reg = layers.Dense(1, name="reg")(b)
    model = keras.Model([a, b], [cls, reg])
    model.compile("sgd", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"})
    x = [rng.normal(size=(5, 4)), rng.normal(size=(5, 3))]
    y = {"cls": rng.integers(0, 3, 5), "reg": rng.normal(size=(5, 1))}
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(list(model.train_on_batch(x, y, return_dict=True).values()),
                               list(before.values()), rtol=1e-6)
    assert int(model.optimizer.iterations) == 1
    assert model.predict_on_batch(x)[0].shape == (5, 3)


def test_dict_inputs_by_name_and_functional_merge_forms():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(2,), name="b")
    s = layers.add([a, b])
    model = keras.Model([a, b], [layers.concatenate([s, layers.subtract([a, b])]),
                                 layers.multiply([a, b])])
    xa, xb = np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])
    cat, prod = model.predict({"b": xb, "a": xa}, verbose=0)  # keys in any order
    np.testing.assert_array_equal(cat, [[11, 22, -9, -18]])
    np.testing.assert_array_equal(prod, [[10, 40]])
    with pytest.raises(ValueError, match=r"named Input \['a', 'b'\]; got keys \['a', 'c'\]"):
        model.predict({"a": xa, "c": xb}, verbose=0)


# ---------------------------------------------------------------- subclassed models
class TwoLayer(keras.Model):
    """https://keras.io/api/models/model/#by-subclassing-the-model-class"""

    def __init__(self):
        super().__init__()
        self.dense1 = layers.Dense(6, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.dense2 = layers.Dense(2)

    def call(self, inputs, training=False):
        return self.dense2(self.dropout(self.dense1(inputs), training=training))


class Stack(keras.Model):
    """A call() without `training`, its layers in a list and a nested Sequential."""

    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(6, activation="relu"), layers.Dropout(0.5)]
        self.head = keras.Sequential([layers.BatchNormalization(), layers.Dense(2)])

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def test_subclassed_model_trains_as_its_functional_twin():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(32, 5)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    sub = TwoLayer()
    sub.build((None, 5))
    assert [w.shape for w in sub.weights] == [(5, 6), (6,), (6, 2), (2,)]
    inputs = keras.Input((5,))
    twin = keras.Model(inputs, layers.Dense(2)(layers.Dense(6, activation="relu")(inputs)))
    twin.set_weights(sub.get_weights())
    np.testing.assert_allclose(sub.predict(x, verbose=0), twin.predict(x, verbose=0), rtol=1e-6)
    sub.dropout.rate = 0.0  # no random masks, so the two can train side by side
    for m in (sub, twin):
        m.compile(keras.optimizers.SGD(0.1), "mse")
    h_sub = sub.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    h_twin = twin.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h_sub, h_twin, rtol=1e-6)
    with pytest.raises(ValueError, match="Save its weights with save_weights"):
        sub.save("never_written.keras")


def test_layers_inside_call_know_the_training_phase():
    model = Stack()
    model.build((None, 4))
    assert len(model.layers) == 3 and len(model.trainable_weights) == 6
    class Masked(keras.Model):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5)
            self.identity = layers.Dense(4, use_bias=False, kernel_initializer="identity")

        def call(self, x):  # Dropout called without `training`: it takes the model call's
            return self.identity(self.drop(x))

    masked = Masked()
    x = np.ones((2000, 4), np.float32)
    assert 0.45 < np.mean(masked(pynn.Tensor(x), training=True).numpy() == 0) < 0.55
    np.testing.assert_array_equal(masked(x).numpy(), x)
    model.compile("sgd", "mse")
    bn = model.head.layers[0]
    model.fit(np.random.default_rng(1).normal(2.0, 1.0, (64, 4)), np.zeros((64, 2)), verbose=0)
    assert np.abs(bn.moving_mean).max() > 1e-3  # BatchNormalization ran in training mode


def test_backend_and_missing_datasets():
    keras.backend.clear_session()
    assert layers.Dense(2).name == "dense" and layers.Dense(2).name == "dense_1"
    keras.backend.clear_session()
    assert layers.Dense(2).name == "dense"
    assert (keras.backend.epsilon(), keras.backend.floatx(),
            keras.backend.image_data_format()) == (1e-7, "float32", "channels_last")
    with pytest.raises(AttributeError, match="digits stands in for mnist"):
        keras.datasets.mnist.load_data()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        keras.datasets.nope


# ---------------------------------------------------------------- porting mistakes explained
def test_label_and_argument_mixups_are_explained():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    x, labels = np.zeros((5, 4)), np.array([0, 1, 2, 0, 1])
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="look one-hot, so use loss='categorical_crossentropy'"):
        model.fit(x, np.eye(3)[labels], verbose=0)
    model.compile("adam", "categorical_crossentropy")
    for y in (labels, labels[:, None]):
        with pytest.raises(ValueError, match=r"to_categorical\(y, 3\)"):
            model.fit(x, y, verbose=0)
    model.fit(x, keras.utils.to_categorical(labels, 3), verbose=0)  # the fix works
    with pytest.raises(ValueError, match="`lr` is `learning_rate`"):
        keras.optimizers.Adam(lr=0.01)


# ---------------------------------------------------------------- layers ported code uses
def test_normalization_rescaling_and_activation_layers():
    rng = np.random.default_rng(11)
    x = rng.normal(3.0, 2.0, size=(40, 3, 4)).astype("float32")
    norm = layers.Normalization(axis=-1)
    norm.adapt(x)
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(norm(x).numpy(), (x - mean) / np.sqrt(var), rtol=1e-4, atol=1e-5)
    per_step = layers.Normalization(axis=(1, 2))
    per_step.adapt(x)
    assert per_step.mean.shape == (3, 4)
    np.testing.assert_allclose(per_step.mean, x.mean(0), rtol=1e-5)
    given = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    np.testing.assert_allclose(given(np.array([[3.0, 2.5]], "float32")).numpy(),
                               [[1.0, 0.5 / 1e-7]], rtol=1e-5)  # sqrt(0): divided by epsilon
    inverse = layers.Normalization(mean=[1.0], variance=[4.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0]], "float32")).numpy(), [[3.0]])
    with pytest.raises(ValueError, match="both mean and variance"):
        layers.Normalization(mean=[1.0])
    with pytest.raises(ValueError, match="not the batch axis"):
        layers.Normalization(axis=0).adapt(x)
    np.testing.assert_allclose(layers.Rescaling(1 / 255, offset=-1)(np.array([[255.0, 0.0]],
                                                                             "float32")).numpy(),
                               [[0.0, -1.0]], atol=1e-7)
    v = np.array([[-2.0, 0.5, 3.0]], "float32")
    np.testing.assert_allclose(layers.ReLU(max_value=1.0)(v).numpy(), [[0, 0.5, 1]])
    np.testing.assert_allclose(layers.ReLU(negative_slope=0.1)(v).numpy(), [[-0.2, 0.5, 3]])
    np.testing.assert_allclose(layers.LeakyReLU()(v).numpy(), [[-0.6, 0.5, 3]], rtol=1e-6)
    np.testing.assert_allclose(layers.ELU(alpha=2.0)(v).numpy(), [[2 * np.expm1(-2), 0.5, 3]],
                               rtol=1e-6)
    e = np.exp(v - v.max())
    np.testing.assert_allclose(layers.Softmax()(v).numpy(), e / e.sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="threshold"):  # Keras: a threshold is not negative
        layers.ReLU(threshold=-0.5)
