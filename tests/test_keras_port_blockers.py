"""Regressions for what stopped published keras.io programs from running (or made them
compute another number) when ported by the import line only (issue #13). Each test
names the program; Keras 3 (torch backend) side by side where installed."""
import os

import numpy as np
import pytest

import pynn
from pynn import layers, ops
from gradcheck import check_grad


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras", reason="Keras 3 is not installed")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on {keras.backend.backend()}, these comparisons use torch")
    return keras


# ------------------------------------------------------------------ antirectifier
# https://keras.io/examples/keras_recipes/antirectifier/: `inputs -= ops.mean(...)` in call()

class Antirectifier(layers.Layer):
    def call(self, inputs):
        inputs -= ops.mean(inputs, axis=-1, keepdims=True)
        pos = ops.relu(inputs)
        neg = ops.relu(-inputs)
        return ops.concatenate([pos, neg], axis=-1)


def _antirectifier_reference(x):
    c = x - x.mean(-1, keepdims=True)
    return np.concatenate([np.maximum(c, 0), np.maximum(-c, 0)], -1)


def test_inplace_operator_in_a_traced_call_is_recorded():
    # the in-place write used to land in the tracing placeholder and vanish from the
    # program: predict returned relu(x) without the centring
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    inp = pynn.Input((4,))
    model = pynn.Model(inp, Antirectifier()(inp))
    np.testing.assert_allclose(model.predict(x, verbose=0), _antirectifier_reference(x),
                               rtol=1e-6, atol=1e-6)
    # and it trains: the gradient goes through the subtraction (no RuntimeError)
    seq = pynn.Sequential([pynn.Input((4,)), layers.Dense(4), Antirectifier(), layers.Dense(1)])
    seq.compile("sgd", "mse")
    h = seq.fit(x, x[:, :1], epochs=3, verbose=0).history["loss"]
    assert np.isfinite(h).all() and h[-1] < h[0]


def test_inplace_operator_stays_in_place_in_eager_code():
    t = pynn.Tensor(np.array([1.0, 2.0], np.float32))
    same = t
    t -= 1.0
    assert t is same and t.numpy().tolist() == [0.0, 1.0]


def test_antirectifier_matches_keras():
    keras = _keras()

    class KAntirectifier(keras.layers.Layer):
        def call(self, inputs):
            inputs -= keras.ops.mean(inputs, axis=-1, keepdims=True)
            return keras.ops.concatenate([keras.ops.relu(inputs), keras.ops.relu(-inputs)], -1)

    x = np.random.default_rng(1).normal(size=(3, 6)).astype(np.float32)
    kin = keras.Input((6,))
    want = keras.Model(kin, KAntirectifier()(kin)).predict(x, verbose=0)
    inp = pynn.Input((6,))
    got = pynn.Model(inp, Antirectifier()(inp)).predict(x, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ pointnet
# https://keras.io/examples/vision/pointnet/: OrthogonalRegularizer's
# tensordot(x, x, axes=(2, 2)) puts the batch on two axes, then reshapes to (-1, k, k)

def test_tensordot_with_the_batch_on_two_axes_replays_with_any_batch():
    k = 3
    inp = pynn.Input((k * k,))
    x = layers.Reshape((k, k))(inp)
    xxt = ops.tensordot(x, x, axes=(2, 2))
    out = ops.reshape(xxt, (-1, k, k))
    model = pynn.Model(inp, out)
    a = np.random.default_rng(2).normal(size=(5, k * k)).astype(np.float32)
    m = a.reshape(5, k, k)
    want = np.tensordot(m, m, axes=(2, 2)).reshape(-1, k, k)  # (25, 3, 3)
    got = model.predict(a, batch_size=5, verbose=0)
    assert got.shape == (125 // 5, k, k)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_orthogonal_regularizer_as_activity_regularizer_trains():
    k = 3

    class OrthogonalRegularizer(pynn.regularizers.Regularizer):
        def __init__(self, num_features, l2reg=0.001):
            self.num_features, self.l2reg = num_features, l2reg
            self.eye = ops.eye(num_features)

        def __call__(self, x):
            x = ops.reshape(x, (-1, self.num_features, self.num_features))
            xxt = ops.tensordot(x, x, axes=(2, 2))
            xxt = ops.reshape(xxt, (-1, self.num_features, self.num_features))
            return ops.sum(self.l2reg * ops.square(xxt - self.eye))

    inp = pynn.Input((4,))
    t = layers.Dense(k * k, activity_regularizer=OrthogonalRegularizer(k))(inp)
    model = pynn.Model(inp, layers.Dense(1)(layers.Flatten()(layers.Reshape((k, k))(t))))
    model.compile("adam", "mse")
    x = np.random.default_rng(3).normal(size=(16, 4)).astype(np.float32)
    h = model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0).history["loss"]
    assert np.isfinite(h).all()


# ------------------------------------------------------------------ reproducibility_recipes
# https://keras.io/examples/keras_recipes/reproducibility_recipes/:
# float(initializer(seed=42)(shape=(1, 1))), np.allclose(result_1, result_2)

@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal",
                                  "VarianceScaling", "GlorotNormal", "GlorotUniform", "HeNormal",
                                  "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal"])
def test_initializers_called_directly_return_tensors(name):
    cls = getattr(pynn.initializers, name)
    w = cls(seed=42)(shape=(3, 5))
    assert isinstance(w, pynn.Tensor) and w.shape == (3, 5) and w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), cls(seed=42)(shape=(3, 5)).numpy())
    assert float(cls(seed=42)(shape=(1, 1))) == float(cls(seed=42)(shape=(1, 1)))
    assert ops.sum(w * 0.0 + 1.0).item() == 15.0  # usable in ops
    assert not np.array_equal(cls()(shape=(3, 5)).numpy(), cls()(shape=(3, 5)).numpy())


def test_initializer_rejects_other_dtypes():
    with pytest.raises(ValueError, match="GlorotUniform.*float32.*float16"):
        pynn.initializers.GlorotUniform()((2, 2), dtype="float16")


def test_initializers_still_fill_layer_weights():
    layer = layers.Dense(2, kernel_initializer=pynn.initializers.Constant(0.5))
    layer.build((None, 3))
    np.testing.assert_array_equal(np.asarray(layer.kernel), np.full((3, 2), 0.5))


# ------------------------------------------------------------------ extract_patches
# https://keras.io/examples/vision/mlp_image_classification/ and
# https://keras.io/examples/vision/image_classification_with_vision_transformer/

def _patches_reference(x, ph, pw, sh, sw):
    n, h, w, c = x.shape
    rows = [[x[:, i:i + ph, j:j + pw, :].reshape(n, -1)
             for j in range(0, w - pw + 1, sw)] for i in range(0, h - ph + 1, sh)]
    return np.stack([np.stack(r, 1) for r in rows], 1)


@pytest.mark.parametrize("size,strides", [(2, None), ((2, 3), (1, 2)), (3, 1)])
def test_extract_patches_values_and_gradient(size, strides):
    x = np.random.default_rng(4).normal(size=(2, 6, 7, 3))
    ph, pw = (size, size) if isinstance(size, int) else size
    sh, sw = (strides, strides) if isinstance(strides, int) else (strides or (ph, pw))
    check_grad(lambda t: ops.image.extract_patches(t, size, strides=strides),
               lambda a: _patches_reference(a, ph, pw, sh, sw), [x])


def test_extract_patches_bad_input_names_the_op():
    with pytest.raises(ValueError, match="extract_patches.*shape \\(4, 4\\)"):
        ops.image.extract_patches(np.zeros((4, 4), np.float32), 2)
    with pytest.raises(ValueError, match="extract_patches: size"):
        ops.image.extract_patches(np.zeros((1, 4, 4, 1), np.float32), 0)


def test_extract_patches_matches_keras():
    keras = _keras()
    x = np.random.default_rng(5).normal(size=(2, 9, 8, 3)).astype(np.float32)
    for kw in ({"size": 3}, {"size": (2, 4), "strides": (3, 1)}, {"size": 3, "padding": "same"},
               {"size": 2, "data_format": "channels_first"}):
        want = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(x, **kw))
        np.testing.assert_array_equal(ops.image.extract_patches(x, **kw).numpy(), want)
    want = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(x[0], 3))
    np.testing.assert_array_equal(ops.image.extract_patches(x[0], 3).numpy(), want)


def test_extract_patches_in_a_model_trains():
    inp = pynn.Input((8, 8, 1))
    p = ops.image.extract_patches(inp, 4)
    out = layers.Dense(1)(layers.Flatten()(layers.Dense(2)(p)))
    model = pynn.Model(inp, out)
    model.compile("adam", "mse")
    x = np.random.default_rng(6).normal(size=(8, 8, 8, 1)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (8, 1)
    h = model.fit(x, x[:, 0, 0], epochs=3, verbose=0).history["loss"]
    assert h[-1] < h[0]


# ------------------------------------------------------------------ functional models

def test_functional_model_takes_inputs_without_the_channel_axis():
    # Keras 3 adds the trailing 1 for Input((28, 28, 1)) given (b, 28, 28), in call too
    inp = pynn.Input((6, 6, 1))
    model = pynn.Model(inp, layers.Dense(2)(layers.Flatten()(layers.Conv2D(2, 3)(inp))))
    x = np.random.default_rng(7).normal(size=(3, 6, 6)).astype(np.float32)
    want = model.predict(x[..., None], verbose=0)
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(model(pynn.Tensor(x)).numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6)
    with pytest.raises(ValueError, match="per-sample shape \\(6, 6, 1\\).*\\(3, 6, 5"):
        model(x[:, :, :5])


def test_functional_model_class_is_named_as_in_keras():
    inp = pynn.Input((2,))
    model = pynn.Model(inp, layers.Dense(1)(inp))
    assert type(model).__name__ == "Functional"
    assert model.name.startswith("functional")


def test_functional_names_match_keras():
    keras = _keras()
    k = keras.Input((2,))
    kmodel = keras.Model(k, keras.layers.Dense(1)(k))
    inp = pynn.Input((2,))
    model = pynn.Model(inp, layers.Dense(1)(inp))
    assert type(model).__name__ == type(kmodel).__name__
    assert model.name.split("_")[0] == kmodel.name.split("_")[0]


# ------------------------------------------------------------------ keras.ops cross-entropies
# keras.ops.binary_crossentropy is elementwise, the categorical ones per sample: a reduced
# value here was a silently different number for programs that average or weight it

P = np.array([[0.2, 0.9, 0.5], [0.7, 0.01, 0.6]])
Y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


def _bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _cce(y, p):
    p = p / p.sum(-1, keepdims=True)
    return -(y * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1)


def test_ops_crossentropies_are_unreduced_with_gradients():
    check_grad(lambda p: ops.binary_crossentropy(Y, p), lambda p: _bce(Y, p), [P])
    check_grad(lambda p: ops.categorical_crossentropy(Y, p), lambda p: _cce(Y, p), [P])
    onehot = np.eye(3)[[1, 0]]
    check_grad(lambda p: ops.sparse_categorical_crossentropy(np.array([1, 0]), p),
               lambda p: _cce(onehot, p), [P])
    # the class axis first
    check_grad(lambda p: ops.categorical_crossentropy(Y.T, p, axis=0),
               lambda p: _cce(Y, p.T), [P.T])
    assert ops.binary_crossentropy(Y[0], P[0]).shape == (3,)
    assert ops.nn.binary_crossentropy is ops.binary_crossentropy


def test_ops_crossentropies_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="binary_crossentropy.*\\(2, 3\\).*\\(2, 2\\)"):
        ops.binary_crossentropy(Y, P[:, :2])
    with pytest.raises(ValueError, match="categorical_crossentropy: axis 2"):
        ops.categorical_crossentropy(Y, P, axis=2)


def test_ops_crossentropies_match_keras():
    keras = _keras()
    p32, y32 = P.astype(np.float32), Y.astype(np.float32)
    logits = np.log(p32)
    c = keras.ops.convert_to_numpy
    for fl, out in ((False, p32), (True, logits)):
        np.testing.assert_allclose(ops.binary_crossentropy(y32, out, from_logits=fl).numpy(),
                                   c(keras.ops.binary_crossentropy(y32, out, from_logits=fl)),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            ops.categorical_crossentropy(y32, out, from_logits=fl).numpy(),
            c(keras.ops.categorical_crossentropy(y32, out, from_logits=fl)), rtol=1e-5)
        np.testing.assert_allclose(
            ops.sparse_categorical_crossentropy(np.array([1, 0]), out, from_logits=fl).numpy(),
            c(keras.ops.sparse_categorical_crossentropy(np.array([1, 0]), out, from_logits=fl)),
            rtol=1e-5)


# ------------------------------------------------------------------ found while porting

def test_early_stopping_reads_a_loss_metrics_direction():
    # tensorflow.org's overfit_and_underfit: EarlyStopping(monitor="val_binary_crossentropy")
    # with a compiled metrics.BinaryCrossentropy; Keras reads the metric's direction ("down")
    model = pynn.Sequential([pynn.Input((2,)), layers.Dense(1)])
    model.compile("sgd", pynn.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[pynn.metrics.BinaryCrossentropy(from_logits=True,
                                                           name="binary_crossentropy")])
    stop = pynn.callbacks.EarlyStopping(monitor="val_binary_crossentropy", patience=1)
    x = np.random.default_rng(8).normal(size=(20, 2)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model.fit(x, y, validation_data=(x, y), epochs=2, callbacks=[stop], verbose=0)
    assert stop.monitor_op is np.less


class _StandardizedConv(layers.Conv2D):
    # https://keras.io/examples/keras_recipes/subclassing_conv_layers/
    def convolution_op(self, inputs, kernel):
        mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
        return ops.conv(inputs, (kernel - mean) / ops.sqrt(var + 1e-10), padding="valid",
                        strides=list(self.strides))


def test_overridden_convolution_op_is_what_call_runs():
    layer = _StandardizedConv(2, 2, activation="relu")
    x = np.random.default_rng(9).normal(size=(3, 4, 4, 2))
    layer.build((None, 4, 4, 2))
    k = np.asarray(layer.kernel, np.float64)
    ks = (k - k.mean((0, 1, 2))) / np.sqrt(k.var((0, 1, 2)) + 1e-10)
    want = np.maximum(ops.conv2d(x, ks).numpy() + np.asarray(layer.bias), 0)
    np.testing.assert_allclose(layer(x.astype(np.float32)).numpy(), want, rtol=1e-4, atol=1e-5)
    # and its gradient reaches the kernel through the standardisation
    check_grad(lambda t: layer.convolution_op(x.astype(np.float32), t),
               lambda kk: _conv_ref(x, (kk - kk.mean((0, 1, 2))) /
                                    np.sqrt(kk.var((0, 1, 2)) + 1e-10)), [k])


def _conv_ref(x, k):
    kh, kw = k.shape[:2]
    out = np.zeros((x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1, k.shape[3]))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = np.einsum("nhwc,hwcf->nf", x[:, i:i + kh, j:j + kw], k)
    return out


def test_ops_conv_dispatches_on_the_kernel_rank():
    x1 = np.random.default_rng(10).normal(size=(2, 5, 3)).astype(np.float32)
    k1 = np.random.default_rng(11).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(ops.conv(x1, k1, padding="SAME").numpy(),
                                  ops.conv1d(x1, k1, padding="same").numpy())
    with pytest.raises(ValueError, match="conv: expected a kernel"):
        ops.conv(x1, np.ones((3, 3), np.float32))


def test_losses_mean_absolute_error_is_per_sample():
    # tensorflow.org's autoencoder tutorial: losses.mean_absolute_error(reconstructions, data)
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)
    b = np.array([[1.0, 1.0, 0.0], [1.0, 2.0, 4.0]], np.float32)
    np.testing.assert_allclose(pynn.losses.mean_absolute_error(a, b).numpy(), [1.0, 4.0 / 3],
                               rtol=1e-6)


# ------------------------------------------------------------------ cct
# https://keras.io/examples/vision/cct/ (Keras 3): PositionEmbedding.call slices its own
# weight with keras.ops.slice inside the model; pynn refused every ops.slice while a
# model was traced, the weight's included, though only tensors computed from the
# inputs carry the batch axis that a replay at another batch size would change.

class PositionEmbedding(layers.Layer):
    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings", shape=[self.sequence_length, input_shape[-1]],
            initializer="glorot_uniform", trainable=True)

    def call(self, inputs):
        shape = ops.shape(inputs)
        table = ops.convert_to_tensor(self.position_embeddings)
        # trimmed to the input's length, shorter than the table
        table = ops.slice(table, (0, 0), (shape[-2], shape[-1]))
        return inputs + ops.broadcast_to(table, shape)


def test_slice_of_a_weight_inside_a_model_predicts_and_trains():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4, 3)).astype(np.float32)
    inp = pynn.Input((4, 3))
    layer = PositionEmbedding(6)
    model = pynn.Model(inp, layer(inp))
    w = layer.get_weights()[0].astype(np.float64)
    # other batch sizes than the traced one replay the same slice
    for n in (5, 2):
        np.testing.assert_allclose(model.predict(x[:n], verbose=0), x[:n] + w[:4],
                                   rtol=1e-6, atol=1e-6)
    model.compile(pynn.optimizers.SGD(learning_rate=0.1), "mse")
    model.fit(x, np.zeros_like(x), batch_size=5, epochs=1, shuffle=False, verbose=0)
    # mse averages (b * 4 * 3) squares: d/dW[i, j] = 2 / 60 * sum_b (x[b, i, j] + W[i, j])
    want = w.copy()
    want[:4] -= 0.1 * 2 / 60 * (x.astype(np.float64) + w[:4]).sum(0)
    np.testing.assert_allclose(layer.get_weights()[0], want, rtol=1e-5, atol=1e-6)


def test_slice_of_the_batch_inside_a_model_still_refuses():
    class FirstRows(layers.Layer):
        def call(self, inputs):
            return ops.slice(inputs, (0, 0), (1, 2))

    inp = pynn.Input((3,))
    with pytest.raises(ValueError, match="slice inside a model.*batch axis"):
        pynn.Model(inp, FirstRows()(inp)).predict(np.ones((4, 3), np.float32), verbose=0)

    class WriteRow(layers.Layer):  # slice_update: the updates carry the batch axis
        def build(self, input_shape):
            self.table = self.add_weight(shape=(4, 3), initializer="zeros")

        def call(self, inputs):
            return ops.slice_update(ops.convert_to_tensor(self.table), (0, 0), inputs)

    with pytest.raises(ValueError, match="slice_update inside a model.*batch axis"):
        pynn.Model(inp, WriteRow()(inp)).predict(np.ones((1, 3), np.float32), verbose=0)


# ------------------------------------------------------------------ deep_neural_decision_forests
# https://keras.io/examples/structured_data/deep_neural_decision_forests/ (Keras 3): a
# Model subclass creates its leaf weights with add_weight() in __init__, and the forest
# appends its trees to `self.ensemble = []` after the assignment. pynn listed neither
# (the model's own Variables and layers put in a list later were not its weights), so fit
# trained only the layers around them: a silent wrong answer.

def _forest_classes(lib, ops):
    class Tree(lib.Model):
        def __init__(self):
            super().__init__()
            self.pi = self.add_weight(initializer="random_normal", shape=[4, 2],
                                      dtype="float32", trainable=True)
            self.decision_fn = lib.layers.Dense(units=4, activation="sigmoid")

        def call(self, x):
            return ops.matmul(self.decision_fn(x), lib.activations.softmax(self.pi))

    class Forest(lib.Model):
        def __init__(self, num_trees):
            super().__init__()
            self.ensemble = []
            for _ in range(num_trees):
                self.ensemble.append(Tree())

        def call(self, x):
            out = ops.zeros([ops.shape(x)[0], 2])
            for tree in self.ensemble:
                out += tree(x)
            return out / len(self.ensemble)

    return Forest


def _fit_forest(lib, ops, x, y, weights=None):
    inp = lib.Input((3,))
    forest = _forest_classes(lib, ops)(3)
    model = lib.Model(inp, forest(inp))
    if weights is not None:
        model.set_weights(weights)
    start = [np.array(w) for w in model.get_weights()]
    model.compile(lib.optimizers.SGD(learning_rate=0.5), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model, forest, start


def test_model_weights_made_in_init_and_layers_appended_to_a_list_train():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model, forest, start = _fit_forest(pynn, ops, x, y)
    # three trees of (pi, kernel, bias): pi first, as Keras lists a model's own weights
    assert [w.shape for w in forest.weights] == [(4, 2), (3, 4), (4,)] * 3
    assert len(model.trainable_weights) == 9 and len(forest.ensemble[2].weights) == 3
    assert all(np.abs(w - s).max() > 1e-4 for w, s in zip(model.get_weights(), start))


def test_model_weights_made_in_init_and_appended_layers_match_keras():
    keras = _keras()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    kmodel, _, start = _fit_forest(keras, keras.ops, x, y)
    model, _, _ = _fit_forest(pynn, ops, x, y, weights=start)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ classification_with_grn_and_vsn
# https://keras.io/examples/structured_data/classification_with_grn_and_vsn/ (Keras 3):
# `def build(self): self.built = True` "to remove the build warnings". Keras 3 reads
# build's signature and calls it without a shape; pynn passed one: TypeError.

class GatedLinearUnit(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.linear = layers.Dense(units)
        self.sigmoid = layers.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)

    def build(self):
        self.built = True


def test_build_without_a_shape_parameter_is_called_without_one():
    x = np.random.default_rng(4).normal(size=(6, 3)).astype(np.float32)
    inp = pynn.Input((3,))
    glu = GatedLinearUnit(2)
    model = pynn.Model(inp, glu(inp))
    assert glu.built
    k1, b1, k2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    want = (x @ k1 + b1) / (1 + np.exp(-(x @ k2 + b2)))
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    h = model.fit(x, np.ones((6, 2), np.float32), epochs=5, verbose=0).history["loss"]
    assert h[-1] < h[0]
    with pytest.raises(TypeError):  # a build(self) that is given a shape by hand still refuses
        GatedLinearUnit(2).build((None, 3))
# ------------------------------------------------------------------ ner_transformers
# https://keras.io/examples/nlp/ner_transformers/: SparseCategoricalCrossentropy(reduction=None)
# inside a custom loss that returns one scalar for a batch of token sequences; a subclassed
# model (holding a Sequential built on the first batch) trained on 12 tokens predicts 8

def test_loss_reduction_none_and_mean_are_keras_names():
    y = np.array([[1, 2, 0], [0, 1, 1]])
    p = np.random.default_rng(12).dirichlet(np.ones(3), size=(2, 3)).astype(np.float32)
    want = -np.log(np.take_along_axis(p.astype(np.float64), y[..., None], -1)[..., 0])
    none = pynn.losses.SparseCategoricalCrossentropy(reduction=None)
    np.testing.assert_allclose(none(y, p).numpy(), want, rtol=1e-5)
    mean = pynn.losses.SparseCategoricalCrossentropy(reduction="mean")
    np.testing.assert_allclose(float(mean(y, p).numpy()), want.mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy: unknown reduction 'avg'"):
        pynn.losses.SparseCategoricalCrossentropy(reduction="avg")


class _NonPaddingLoss(pynn.losses.Loss):
    def call(self, y_true, y_pred):
        loss = pynn.losses.SparseCategoricalCrossentropy(reduction=None)(y_true, y_pred)
        mask = ops.cast(y_true > 0, "float32")
        return ops.sum(loss * mask) / ops.sum(mask)


def _token_data():
    rng = np.random.default_rng(13)
    x = rng.integers(1, 20, size=(64, 12))
    x[rng.random(x.shape) < 0.3] = 0
    y = np.where(x > 0, x % 4 + 1, 0)
    return x, y


def test_scalar_custom_loss_over_token_sequences_trains_as_in_keras():
    # the loss is one number per batch: fit weights it by the batch size, as Keras does
    keras = _keras()
    kops = keras.ops

    class KerasNonPaddingLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            loss = keras.losses.SparseCategoricalCrossentropy(reduction=None)(y_true, y_pred)
            mask = kops.cast(y_true > 0, "float32")
            return kops.sum(loss * mask) / kops.sum(mask)

    x, y = _token_data()
    history = {}
    for lib, loss in ((keras, KerasNonPaddingLoss()), (pynn, _NonPaddingLoss())):
        model = lib.Sequential([lib.layers.Embedding(20, 8),
                                lib.layers.Dense(5, activation="softmax")])
        model.build((None, 12))
        if lib is keras:
            initial = [np.asarray(w) for w in model.get_weights()]
        else:
            model.set_weights(initial)
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss=loss)
        history[lib] = model.fit(x, y, batch_size=16, epochs=3, shuffle=False,
                                 verbose=0).history["loss"]
        # and a model built on 12 tokens takes 8 (nothing was declared)
        assert model.predict(x[:2, :8], verbose=0).shape == (2, 8, 5)
    np.testing.assert_allclose(history[pynn], history[keras], rtol=1e-4)


class _Tagger(pynn.Model):
    def __init__(self):
        super().__init__()
        self.embedding = layers.Embedding(20, 8)
        self.ffn = pynn.Sequential([layers.Dense(6, activation="relu"), layers.Dense(5)])

    def call(self, inputs, training=False):
        return self.ffn(self.embedding(inputs))


def test_subclassed_model_is_not_bound_to_its_build_shape():
    model = _Tagger()
    model(np.zeros((1, 12), "int64"))
    x, _ = _token_data()
    full = model.predict(x[:3], verbose=0)
    # per-token model: the first 8 tokens alone give the same outputs
    np.testing.assert_allclose(model.predict(x[:3, :8], verbose=0), full[:, :8], rtol=1e-6)
    np.testing.assert_allclose(model(x[:3, :8]).numpy(), full[:, :8], rtol=1e-6)
    # what the layers cannot take is still refused, by the layer that cannot
    with pytest.raises(ValueError, match=r"Dense 'dense.*' expects inputs whose last dimension"):
        model.ffn(np.zeros((2, 8, 7), "float32"))


# ------------------------------------------------------------------ training_with_built_in_methods
# https://keras.io/guides/training_with_built_in_methods/: fit(train_py_dataset, batch_size=64,
# validation_data=val_py_dataset) with PyDatasets of batches of 32

class _Batches(pynn.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


def test_py_dataset_as_validation_data_and_batch_size_ignored():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(100, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], np.float32))[:, None]
    runs = []
    for use_datasets in (True, False):
        pynn.set_seed(3)
        model = pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse")
        if use_datasets:
            h = model.fit(_Batches(x[:70], y[:70], 32), batch_size=64,
                          validation_data=_Batches(x[70:], y[70:], 32), epochs=2,
                          shuffle=False, verbose=0)
        else:
            h = model.fit(x[:70], y[:70], batch_size=32, validation_data=(x[70:], y[70:]),
                          epochs=2, shuffle=False, verbose=0)
        runs.append(h.history)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(runs[0][key], runs[1][key], rtol=1e-6)
    model.evaluate(_Batches(x, y, 32), batch_size=8, verbose=0)  # ignored, as in Keras
    with pytest.raises(ValueError, match="validation_data PyDataset returns batches without"):
        model.fit(x, y, validation_data=_XOnly(x), verbose=0)


class _XOnly(pynn.utils.PyDataset):
    def __init__(self, x):
        super().__init__()
        self.x = x

    def __len__(self):
        return 1

    def __getitem__(self, i):
        return self.x


# ------------------------------------------------------------------ supervised-contrastive-learning
# https://keras.io/examples/vision/supervised-contrastive-learning/ (Keras 3): the loss
# masks each sample's pair with itself by `1.0 - ops.eye(ops.shape(logits)[0])`. While
# the loss was traced (a batch of 1) that was eye(1), baked in: every mask broadcast to
# zeros and evaluate() reported a loss of 0.0 for any batch. (Its ops.normalize, which
# pynn lacked, is written out here: it is tested with keras.ops.nn's other functions.)

def _supcon_loss_class(keras, ops):
    class SupervisedContrastiveLoss(keras.losses.Loss):
        def __init__(self, temperature=0.05, **kwargs):
            super().__init__(**kwargs)
            self.temperature = temperature

        def call(self, labels, feature_vectors):
            feature_vectors = feature_vectors / ops.sqrt(ops.maximum(ops.sum(
                ops.square(feature_vectors), axis=1, keepdims=True), 1e-14))
            logits = ops.divide(ops.matmul(feature_vectors, ops.transpose(feature_vectors)),
                                self.temperature)
            labels = ops.cast(labels, "int32")
            labels = ops.reshape(labels, (-1, 1))
            mask = ops.cast(ops.equal(labels, ops.transpose(labels)), "float32")
            batch_size = ops.shape(logits)[0]
            logits_mask = 1.0 - ops.eye(batch_size)
            mask = mask * logits_mask
            logits_max = ops.max(logits, axis=1, keepdims=True)
            logits_exp = ops.exp(logits - logits_max) * logits_mask
            log_prob = (logits - logits_max) - ops.log(
                ops.sum(logits_exp, axis=1, keepdims=True) + 1e-8)
            mean_log_prob_pos = ops.sum(mask * log_prob, axis=1) / (ops.sum(mask, axis=1) + 1e-8)
            return ops.subtract(0.0, ops.mean(mean_log_prob_pos))

    return SupervisedContrastiveLoss


def _supcon_reference(labels, f, t=0.05):
    f = f / np.linalg.norm(f, axis=1, keepdims=True)
    logits = f @ f.T / t
    mask = (labels[:, None] == labels[None, :]).astype(np.float64)
    off = 1 - np.eye(len(f))
    mask *= off
    top = logits.max(1, keepdims=True)
    log_prob = (logits - top) - np.log((np.exp(logits - top) * off).sum(1, keepdims=True) + 1e-8)
    return -np.mean((mask * log_prob).sum(1) / (mask.sum(1) + 1e-8))


def _supcon_model(lib, ops):
    inp = lib.Input((5,))
    model = lib.Model(inp, lib.layers.Dense(4)(inp))
    model.compile(lib.optimizers.SGD(learning_rate=0.05),
                  loss=_supcon_loss_class(lib, ops)(0.05))
    return model


_SX = np.random.default_rng(5).normal(size=(12, 5)).astype(np.float32)
_SY = np.random.default_rng(6).integers(0, 3, 12).astype(np.float32)


def test_eye_of_the_batch_size_follows_the_batch_in_a_traced_loss():
    model = _supcon_model(pynn, ops)
    f = model.predict(_SX, verbose=0).astype(np.float64)
    for batch in (12, 4, 5):  # 5: a last batch of 2
        want = np.average([_supcon_reference(_SY[i:i + batch], f[i:i + batch])
                           for i in range(0, 12, batch)],
                          weights=[len(_SY[i:i + batch]) for i in range(0, 12, batch)])
        got = model.evaluate(_SX, _SY, batch_size=batch, verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_arange_of_the_batch_size_follows_the_batch():
    class Positions(layers.Layer):
        def call(self, x):
            n = ops.shape(x)[0]
            return ops.expand_dims(ops.arange(n), -1) + x[:, :1] * 0.0 + ops.sum(
                ops.eye(n, n + 0, k=1), axis=1, keepdims=True) * 0.0

    inp = pynn.Input((2,))
    model = pynn.Model(inp, Positions()(inp))
    for n in (3, 7):
        np.testing.assert_array_equal(model.predict(np.ones((n, 2), np.float32), batch_size=n,
                                                    verbose=0)[:, 0], np.arange(n))

    # a range starting at the batch size would be baked in at the traced size: refused
    # (arange(a, n, s) follows it: tests/test_batch_dim_ops.py)
    from pynn import _C
    from pynn.ops.shape import BatchDim
    was = _C.set_tracing(True)
    try:
        with pytest.raises(ValueError, match="only arange\\(start, batch_size, step\\)"):
            ops.arange(BatchDim(1, pynn.Tensor(np.ones((1, 2), np.float32))), 4)
    finally:
        _C.set_tracing(was)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_supervised_contrastive_loss_matches_keras():
    keras = _keras()
    kmodel = _supcon_model(keras, keras.ops)
    model = _supcon_model(pynn, ops)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    np.testing.assert_allclose(model.evaluate(_SX, _SY, batch_size=4, verbose=0),
                               kmodel.evaluate(_SX, _SY, batch_size=4, verbose=0), rtol=1e-5)
    h = model.fit(_SX, _SY, batch_size=4, epochs=3, shuffle=False, verbose=0).history["loss"]
    kh = kmodel.fit(_SX, _SY, batch_size=4, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, kh, rtol=1e-4)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ packaging_keras_models_for_wide_distribution
# https://keras.io/examples/keras_recipes/packaging_keras_models_for_wide_distribution/
# (Keras 3): "Functional Subclassing" — a Model subclass whose __init__ builds a graph on
# an Input(dtype="uint8") and calls super().__init__(inputs=..., outputs=...). pynn
# refused the uint8 Input, then the inputs/outputs keywords (TypeError).

def _packaged_class(lib, positional=False):
    class Packaged(lib.Model):
        def __init__(self, **kwargs):
            inputs = lib.layers.Input(shape=(None, None, 1), dtype="uint8")
            y = lib.layers.Rescaling(1 / 255.0)(inputs)
            y = lib.layers.Conv2D(4, 3, padding="same", activation="relu")(y)
            y = lib.layers.GlobalAveragePooling2D()(y)
            outputs = lib.layers.Dense(3, activation="softmax", name="head")(y)
            if positional:
                super().__init__(inputs, outputs, **kwargs)
            else:
                super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        def describe(self):  # the class's own methods stay
            return f"{self.name}: {len(self.layers)} layers"

    return Packaged


@pytest.mark.parametrize("positional", [False, True])
def test_functional_subclassing_builds_a_graph_model_of_the_class(positional):
    cls = _packaged_class(pynn, positional)
    model = cls(name="packaged")
    assert isinstance(model, cls) and model.name == "packaged"
    assert model.describe() == "packaged: 5 layers"  # Input, Rescaling, Conv2D, pool, head
    assert model.input.dtype == "uint8" and model.get_layer("head").output.shape == (None, 3)
    x = np.random.default_rng(7).integers(0, 256, (4, 6, 5, 1)).astype(np.uint8)
    k, b, hk, hb = [w.astype(np.float64) for w in model.get_weights()]
    xp = np.pad(x[..., 0] / 255.0, ((0, 0), (1, 1), (1, 1)))
    conv = np.stack([np.einsum("nhw,hw->n", xp[:, i:i + 3, j:j + 3], k[:, :, 0, c])
                     for i in range(6) for j in range(5) for c in range(4)])
    pooled = np.maximum(conv.reshape(6 * 5, 4, 4).transpose(2, 0, 1) + b, 0).mean(1)
    logits = pooled @ hk + hb
    want = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_functional_subclassing_matches_keras():
    keras = _keras()
    kmodel = _packaged_class(keras)()
    model = _packaged_class(pynn)()
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    for size in ((8, 8), (5, 9)):  # any image size, as the recipe says
        x = np.random.default_rng(8).integers(0, 256, (3,) + size + (1,)).astype(np.uint8)
        np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)


def test_input_dtypes_pynn_cannot_compute_still_refuse():
    for dtype in ("complex64", "float16"):  # float16: Keras rounds the data to it first
        with pytest.raises(ValueError, match=f"Input: dtype '{dtype}' is not supported"):
            pynn.Input((2,), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", np.float64])
def test_float64_input_is_cast_as_keras_float32_layers_cast_it(dtype):
    # Keras accepts Input(dtype="float64"); its float32 layers cast the input (autocast),
    # so a float64 model input computes what pynn computes in float32
    keras = _keras()
    x = np.random.default_rng(17).normal(size=(5, 3))  # float64 data

    def build(lib):
        inp = lib.Input((3,), dtype=dtype)
        return lib.Model(inp, lib.layers.Dense(2)(lib.layers.Dense(4, activation="relu")(inp)))

    kmodel, model = build(keras), build(pynn)
    assert model.inputs[0].dtype == kmodel.inputs[0].dtype
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    got = model.predict(x, verbose=0)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, kmodel.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit(x, x[:, :2], epochs=1, verbose=0).history["loss"]).all()
# ------------------------------------------------------------------ customizing_saving_and_serialization
# https://keras.io/guides/customizing_saving_and_serialization/: save_own_variables /
# load_own_variables, save_assets / load_assets and get_build_config / build_from_config
# were ignored by model.save (a reloaded layer had vocab None: a silent wrong answer)

@pynn.saving.register_keras_serializable(package="port_blockers")
class _Scaled(layers.Dense):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = pynn.Variable(np.array([2.0, 3.0], np.float32), trainable=False)
        self.vocab = "a b <unk>"

    def call(self, inputs):
        return super().call(inputs) * self.scale

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["scale"] = np.asarray(self.scale)

    def load_own_variables(self, store):
        self.scale.assign(store.pop("scale") + 1.0)  # visible: the hook ran
        super().load_own_variables(store)

    def save_assets(self, inner_path):
        os.makedirs(os.path.join(inner_path, "sub"))
        with open(os.path.join(inner_path, "sub", "vocab.txt"), "w") as f:
            f.write(self.vocab)

    def load_assets(self, inner_path):
        with open(os.path.join(inner_path, "sub", "vocab.txt")) as f:
            self.vocab = f.read().replace("<unk>", "c")


@pynn.saving.register_keras_serializable(package="port_blockers")
class _TwoArgBuild(layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def get_config(self):
        return dict(units=self.units, **super().get_config())

    def build(self, input_shape, init):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=init)
        self.init = init

    def get_build_config(self):
        return {"input_shape": [None, int(self.w.shape[0])], "init": self.init}

    def build_from_config(self, config):
        self.build(config["input_shape"], config["init"])

    def call(self, inputs):
        return ops.matmul(inputs, self.w)


def test_layer_state_hooks_survive_save_and_load(tmp_path):
    first = _TwoArgBuild()
    first.build((None, 4), "ones")
    model = pynn.Sequential([first, _Scaled(2)])
    x = np.random.default_rng(15).normal(size=(5, 4)).astype(np.float32)
    want = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = pynn.load_model(path)
    assert restored.layers[0].init == "ones" and restored.layers[1].vocab == "a b c"
    np.testing.assert_array_equal(restored.layers[1].scale.numpy(), [3.0, 4.0])
    for a, b in zip(restored.layers[1].get_weights()[:2], model.layers[1].get_weights()[:2]):
        np.testing.assert_array_equal(a, b)
    scale = np.array([3.0, 4.0]) / np.array([2.0, 3.0])
    np.testing.assert_allclose(restored.predict(x, verbose=0), want * scale, rtol=1e-6)


def test_dense_saves_kernel_and_bias_as_keras_does():
    keras = _keras()
    for lib in (keras, pynn):
        layer = lib.layers.Dense(2)
        layer.build((None, 3))
        store = {}
        layer.save_own_variables(store)
        assert {k: tuple(v.shape) for k, v in store.items()} == {"0": (3, 2), "1": (2,)}
        with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
            layer.load_own_variables({"0": store["0"]})


def _rewrite(path, out, change):
    import zipfile
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            name, data = change(info.filename, src.read(info.filename))
            if name is not None:
                dst.writestr(name, data)


def test_hostile_asset_members_are_refused(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(3,)), _Scaled(2)])
    path = str(tmp_path / "m.pynn")
    model.save(path)
    # an asset member the config does not list, and one climbing out of the directory
    extra = str(tmp_path / "extra.pynn")
    _rewrite(path, extra, lambda n, d: (n, d) if not n.startswith("assets/")
             else (n.replace("vocab.txt", "other.txt"), d))
    with pytest.raises(ValueError, match="asset members .* do not match"):
        pynn.load_model(extra)
    climb = str(tmp_path / "climb.pynn")
    _rewrite(path, climb, lambda n, d: (n, d.replace(b'"sub/vocab.txt"', b'"../vocab.txt"'))
             if n == "config.json" else (n, d))
    with pytest.raises(ValueError, match="invalid asset list"):
        pynn.load_model(climb)


def test_variable_numpy_is_a_snapshot_as_in_keras():
    # the guide reads my_variable.numpy() before fit and compares it after: Keras returns
    # a copy; a view into the weight arena changed under the reader
    keras = _keras()
    x = np.random.default_rng(16).normal(size=(8, 3)).astype(np.float32)
    for lib in (keras, pynn):
        model = lib.Sequential([lib.Input(shape=(3,)), lib.layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        before = model.layers[-1].kernel.numpy()
        model.fit(x, np.ones((8, 1)), verbose=0)
        assert not np.allclose(before, model.layers[-1].kernel.numpy()), lib.__name__


# ------------------------------------------------------------------ switch transformer
# https://keras.io/examples/nlp/text_classification_with_switch_transformer/: the Switch
# layer reshapes every batch to batch_size * tokens. Keras traces a functional model with
# a symbolic batch; pynn runs a custom layer's call() on one sample of zeros to learn its
# output shape, which that reshape refuses. Not supported (yet): the error says why,
# instead of naming a batch of one the user never passed.

class _FixedBatch(layers.Layer):
    def call(self, inputs):
        return ops.reshape(ops.reshape(inputs, [40, 3]), [-1, 4, 3])


def test_fixed_batch_call_in_a_functional_model_is_explained():
    inputs = pynn.Input(shape=(4, 3))
    with pytest.raises(ValueError, match=r"_FixedBatch '.*': its call\(\) failed while pynn "
                                         r"inferred its output shape .*batch of one.*"
                                         r"cannot reshape"):
        _FixedBatch()(inputs)
    # called on data it runs, as in Keras
    x = np.arange(120, dtype=np.float32).reshape(10, 4, 3)
    np.testing.assert_array_equal(_FixedBatch()(x).numpy(), x)


# ------------------------------------------------------------------ gradient_centralization and
# classification_with_grn_and_vsn: Keras' call context. (1) keras.io's GatedResidualNetwork
# calls its own Dropout without passing `training` from a call() that takes none; in Keras
# the enclosing call's `training` reaches it, in pynn it did not (fit ran with no dropout,
# silently). (2) gradient_centralization applies RandomFlip / RandomRotation / RandomZoom to
# batches outside the model (its tf.data map): Keras' image layers augment when called on
# their own (their call's `training` defaults to True), and so does a model of them called
# directly; pynn returned the images unchanged.

class _Probe(layers.Layer):
    def call(self, x, training=None):
        self.seen.append(training)
        return x


class _Outer(layers.Layer):  # its call() takes no `training`, as the GRN's
    def __init__(self):
        super().__init__()
        self.probe = _Probe()
        self.probe.seen = []

    def call(self, x):
        return self.probe(x)


def test_layers_a_call_uses_without_training_see_the_enclosing_one():
    inp = pynn.Input((3,))
    outer = _Outer()
    model = pynn.Model(inp, layers.Dense(1)(outer(inp)))
    model.compile("sgd", "mse")
    x = np.ones((4, 3), np.float32)
    outer.probe.seen.clear()
    model.fit(x, np.zeros((4, 1), np.float32), verbose=0)
    assert outer.probe.seen and all(t is True for t in outer.probe.seen)
    outer.probe.seen.clear()
    model.predict(x, verbose=0)
    assert outer.probe.seen and all(t is False for t in outer.probe.seen)


def _augments(lib, x):
    flip = lambda: lib.layers.RandomFlip("horizontal_and_vertical")  # noqa: E731
    changed = lambda y: bool(not np.allclose(np.asarray(y), x))  # noqa: E731
    inp = lib.Input((8, 8, 3))
    model = lib.Model(inp, flip()(inp))
    return {"flip alone": changed(flip()(x)),
            "rotation alone": changed(lib.layers.RandomRotation(0.3)(x)),
            "zoom alone": changed(lib.layers.RandomZoom(0.2)(x)),
            "flip, training=False": changed(flip()(x, training=False)),
            "dropout alone": changed(lib.layers.Dropout(0.5)(x)),
            "Sequential of it called": changed(lib.Sequential([flip()])(x)),
            "functional model called": changed(model(x)),
            "predict": changed(model.predict(x, verbose=0)),
            "model(x, training=False)": changed(model(x, training=False))}


def test_image_augmentations_called_on_their_own_augment():
    x = np.random.default_rng(9).random((8, 8, 8, 3)).astype(np.float32)
    assert _augments(pynn, x) == {
        "flip alone": True, "rotation alone": True, "zoom alone": True,
        "flip, training=False": False, "dropout alone": False,
        "Sequential of it called": True, "functional model called": True,
        "predict": False, "model(x, training=False)": False}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_image_augmentations_called_on_their_own_as_keras():
    keras = _keras()
    x = np.random.default_rng(9).random((8, 8, 8, 3)).astype(np.float32)
    assert _augments(pynn, x) == _augments(keras, x)
# ------------------------------------------------------------------ functional_api guide
# https://keras.io/guides/functional_api/: keras.Model.from_config(model.get_config(),
# custom_objects={"CustomDense": CustomDense}) and keras.Input(batch_shape=(16, 10, 5))

class _CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

    def call(self, inputs):
        return ops.matmul(inputs, self.w)

    def get_config(self):
        return {"units": self.units}


def test_functional_model_from_config_with_custom_objects():
    inputs = pynn.Input((4,))
    x = _CustomDense(10)(inputs)
    model = pynn.Model(inputs, layers.Dense(3, name="head")(x), name="graph")
    config = model.get_config()
    assert config["name"] == "graph"
    with pytest.raises(ValueError, match="_CustomDense"):
        pynn.Model.from_config(config)  # not registered, not given
    new_model = pynn.Model.from_config(config, custom_objects={"_CustomDense": _CustomDense})
    assert [type(l).__name__ for l in new_model.layers] == ["InputLayer", "_CustomDense",
                                                            "Dense"]
    assert new_model.output_shape == (None, 3) and new_model.count_params() == 40 + 33
    seq = pynn.Sequential([pynn.Input((4,)), _CustomDense(2)])
    again = pynn.Sequential.from_config(seq.get_config(),
                                        custom_objects={"_CustomDense": _CustomDense})
    assert again.output_shape == (None, 2)


def test_input_batch_shape():
    keras = _keras()
    k = keras.Input(batch_shape=(16, 10, 5))
    p = pynn.Input(batch_shape=(16, 10, 5))
    assert tuple(k.shape[1:]) == p.shape[1:] == (10, 5)
    assert p.shape[0] is None and p.batch_size == 16  # pynn's programs take any batch
    with pytest.raises(ValueError, match="shape or batch_shape, not both"):
        pynn.Input(shape=(10, 5), batch_shape=(16, 10, 5))


# ------------------------------------------------------------------ lstm temperature prediction
# https://keras.io/examples/timeseries/timeseries_forecasting_with_lstm_for_temperature_prediction/:
# "for batch in dataset_train: inputs, targets = batch ... inp_arr = inputs.numpy()"

def test_dataset_batches_answer_numpy_as_tf_tensors_do():
    x = np.arange(60, dtype=np.float32).reshape(20, 3)
    ds = pynn.utils.timeseries_dataset_from_array(x, np.arange(20.0), sequence_length=4,
                                                  batch_size=8)
    inputs, targets = next(iter(ds))
    arr = inputs.numpy()
    assert type(arr) is np.ndarray and arr.shape == (8, 4, 3)
    np.testing.assert_array_equal(arr[1], x[1:5])
    np.testing.assert_array_equal(targets.numpy(), np.arange(8.0))
    assert isinstance(inputs, np.ndarray)  # still an array for everything else


# ------------------------------------------------------------------ save_weights and the hooks
# https://keras.io/guides/customizing_saving_and_serialization/: Keras' save_weights /
# load_weights call every layer's save_own_variables / load_own_variables; pynn's skipped
# them (model.save honoured them), so state kept that way was silently lost

@pynn.saving.register_keras_serializable(package="port_blockers")
class _Centered(layers.Layer):
    """Subtracts means it was adapted to: plain arrays, saved only through the hooks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.means = np.zeros(4, np.float32)

    def adapt(self, data):
        self.means = np.asarray(data, np.float32).mean(0)

    def call(self, inputs):
        return inputs - self.means

    def save_own_variables(self, store):
        store["means"] = self.means

    def load_own_variables(self, store):
        self.means = np.asarray(store["means"], np.float32)


def _centered_model():
    return pynn.Sequential([pynn.Input((4,)), _Centered(), layers.Dense(2)])


@pytest.mark.parametrize("how", ["save_weights", "save"])
def test_load_weights_runs_the_layers_hooks(tmp_path, how):
    x = np.random.default_rng(16).normal(loc=3.0, size=(6, 4)).astype(np.float32)
    model = _centered_model()
    model.layers[0].adapt(x)
    model.compile("adam", "mse")
    want = model.predict(x, verbose=0)
    path = str(tmp_path / ("m.weights.npz" if how == "save_weights" else "m.pynn"))
    getattr(model, how)(path)
    twin = _centered_model()
    twin.compile("adam", "mse")
    twin.load_weights(path)
    np.testing.assert_array_equal(twin.layers[0].means, model.layers[0].means)
    np.testing.assert_allclose(twin.predict(x, verbose=0), want, rtol=1e-6)
    # the hook that adds 1 on load (_Scaled) ran once, after the plain weights
    scaled = pynn.Sequential([pynn.Input((3,)), _Scaled(2)])
    scaled.save_weights(str(tmp_path / "s.weights.npz"))
    again = pynn.Sequential([pynn.Input((3,)), _Scaled(2)])
    again.load_weights(str(tmp_path / "s.weights.npz"))
    np.testing.assert_array_equal(again.layers[0].scale.numpy(), [3.0, 4.0])


def test_load_weights_checks_the_hooks_state_before_changing_the_model(tmp_path):
    model = _centered_model()
    model.layers[0].adapt(np.ones((2, 4), np.float32))
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)
    # the same weights, but an Activation where the file's state names _Centered
    other = pynn.Sequential([pynn.Input((4,)), layers.Activation("linear"), layers.Dense(2)])
    before = other.get_weights()
    with pytest.raises(ValueError, match="layer_state names a '_Centered' layer"):
        other.load_weights(path)
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)
# ------------------------------------------------------------------ nmt with transformer
# https://keras.io/examples/nlp/neural_machine_translation_with_transformer/ (Keras 3): the
# decoder's cross-attention is called with key_mask=encoder_outputs_padding_mask. pynn's
# MultiHeadAttention accepted key_mask and dropped it, so the padded source steps were
# attended to: a silent wrong number whenever the key's padding is not also the value's mask.

def _mha_inputs():
    rng = np.random.default_rng(5)
    q = rng.normal(size=(2, 3, 6)).astype(np.float32)
    v = rng.normal(size=(2, 5, 6)).astype(np.float32)
    key_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.float32)
    return q, v, key_mask


def test_mha_key_mask_hides_the_masked_key_steps():
    q, v, key_mask = _mha_inputs()
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    out = mha(q, v, key_mask=key_mask).numpy()
    # the first sample attends to its first 3 steps only: as if the other 2 were not there
    np.testing.assert_allclose(out[0], mha(q[:1], v[:1, :3]).numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], mha(q[1:], v[1:]).numpy()[0], rtol=1e-5, atol=1e-6)
    # ANDed with a value_mask and an attention_mask, as Keras' _compute_attention_mask does
    value_mask = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]], np.float32)
    both = mha(q, v, key_mask=key_mask, value_mask=value_mask).numpy()
    np.testing.assert_allclose(both[0], mha(q[:1], v[:1, :2]).numpy()[0], rtol=1e-5, atol=1e-6)
    causal = np.tril(np.ones((3, 5), np.float32))[None].repeat(2, 0)
    with_attn = mha(q, v, key_mask=key_mask, attention_mask=causal).numpy()
    np.testing.assert_allclose(with_attn[0], mha(q[:1], v[:1, :3], attention_mask=causal[:1, :, :3])
                               .numpy()[0], rtol=1e-5, atol=1e-6)


def test_mha_key_mask_in_a_functional_model_and_training():
    q, v, key_mask = _mha_inputs()
    qi, vi, mi = pynn.Input((3, 6)), pynn.Input((5, 6)), pynn.Input((5,))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    model = pynn.Model([qi, vi, mi], mha(qi, vi, key=vi, key_mask=mi))
    got = model.predict([q, v, key_mask], verbose=0)
    np.testing.assert_allclose(got[0], mha(q[:1], v[:1, :3]).numpy()[0], rtol=1e-5, atol=1e-6)
    # the masked steps get no gradient: changing them changes neither loss nor step
    model.compile("sgd", "mse")
    v2 = v.copy()
    v2[0, 3:] += 10.0
    l1 = model.evaluate([q, v, key_mask], np.zeros_like(q), verbose=0)
    l2 = model.evaluate([q, v2, key_mask], np.zeros_like(q), verbose=0)
    assert l1 == pytest.approx(l2, rel=1e-6)


def test_mha_key_mask_matches_keras():
    keras = _keras()
    q, v, key_mask = _mha_inputs()
    kmha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    want = np.asarray(kmha(q, v, key=v, key_mask=key_mask.astype(bool)).detach())
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    mha(q, v)
    mha.set_weights([np.asarray(w) for w in kmha.get_weights()])
    np.testing.assert_allclose(mha(q, v, key=v, key_mask=key_mask).numpy(), want,
                               rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ pixelcnn
# https://keras.io/examples/generative/pixelcnn/: PixelConvLayer.call re-masks its kernel with
# `self.conv.kernel.assign(self.conv.kernel * self.mask)` before convolving. The compiled
# program ran that write once, while tracing: training then moved the masked taps and every
# later batch used them — the model saw the pixels it predicts (a silent wrong model).

class _MaskedConv(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__()
        self.conv = layers.Conv1D(**kwargs)

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.mask = np.zeros(self.conv.kernel.shape, np.float32)
        self.mask[: self.conv.kernel.shape[0] // 2] = 1.0  # only the steps before this one

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)


def _causal_model(lib_layers, Input, Model, cls):
    inp = Input((6, 1))
    return Model(inp, cls(filters=2, kernel_size=3, padding="same")(inp))


def test_assign_in_call_is_redone_at_every_step():
    x = np.random.default_rng(0).normal(size=(32, 6, 1)).astype(np.float32)
    model = _causal_model(layers, pynn.Input, pynn.Model, _MaskedConv)
    model.compile(pynn.optimizers.Adam(0.05), "mse")
    model.fit(x, np.roll(x, -1, axis=1).repeat(2, -1), epochs=3, batch_size=8, verbose=0)
    base = model.predict(x, verbose=0)
    # a step's output never depends on that step's own input nor on later ones
    changed = x.copy()
    changed[:, 3:] += 1.0
    moved = model.predict(changed, verbose=0)
    np.testing.assert_allclose(moved[:, :3], base[:, :3], rtol=0, atol=0)
    assert np.abs(moved[:, 3] - base[:, 3]).max() < 1e-6  # the masked centre tap stays 0
    # evaluate and model(x) run it too
    assert np.isfinite(model.evaluate(x, x.repeat(2, -1), verbose=0))
    np.testing.assert_allclose(model(x).numpy(), base, rtol=1e-6, atol=1e-6)


def test_assign_in_call_trains_as_keras():
    keras = _keras()

    class KMaskedConv(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__()
            self.conv = keras.layers.Conv1D(**kwargs)

        def build(self, input_shape):
            self.conv.build(input_shape)
            self.mask = np.zeros(tuple(self.conv.kernel.shape), np.float32)
            self.mask[: self.conv.kernel.shape[0] // 2] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    x = np.random.default_rng(1).normal(size=(32, 6, 1)).astype(np.float32)
    y = np.roll(x, -1, axis=1).repeat(2, -1)
    kmodel = _causal_model(None, keras.Input, keras.Model, KMaskedConv)
    model = _causal_model(layers, pynn.Input, pynn.Model, _MaskedConv)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    kmodel.compile(keras.optimizers.Adam(0.05), "mse")
    model.compile(pynn.optimizers.Adam(0.05), "mse")
    kh = kmodel.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False).history["loss"]
    h = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(h, kh, rtol=1e-4)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ nmt with transformer
# compile(loss=SparseCategoricalCrossentropy(ignore_class=0)) was refused (TypeError), and a
# sequence output's Keras mask (padded steps) did not leave the loss nor the accuracy as in
# Keras 3 (Loss.__call__ and MeanMetricWrapper apply the mask of y_pred).

def test_ignore_class_is_a_masked_mean():
    rng = np.random.default_rng(2)
    p = rng.random((3, 4, 5)).astype(np.float32)
    p /= p.sum(-1, keepdims=True)
    y = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0]])
    per = -np.log(np.take_along_axis(p.astype(np.float64), y[..., None], -1))[..., 0]
    keep = y != 0
    loss = pynn.losses.SparseCategoricalCrossentropy(ignore_class=0)
    np.testing.assert_allclose(loss(y, p).numpy(), per[keep].mean(), rtol=1e-6)
    none = pynn.losses.SparseCategoricalCrossentropy(ignore_class=0, reduction="none")
    np.testing.assert_allclose(none(y, p).numpy(), np.where(keep, per, 0), rtol=1e-6)
    # an ignored label outside the classes (-1) is accepted and ignored
    y2 = np.where(keep, y, -1)
    loss2 = pynn.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(loss2(y2, p).numpy(), per[keep].mean(), rtol=1e-6)
    with pytest.raises(TypeError, match="ignore_class must be an int"):
        pynn.losses.SparseCategoricalCrossentropy(ignore_class="pad")


def _masked_seq_model(K, weights=None):
    inp = K.Input((5,))
    x = K.layers.Embedding(12, 4, mask_zero=True)(inp)
    out = K.layers.Dense(6, activation="softmax")(x)
    model = K.Model(inp, out)
    if weights is not None:
        model.set_weights(weights)
    model.compile("adam", K.losses.SparseCategoricalCrossentropy(ignore_class=-1),
                  metrics=["accuracy"])
    return model


def test_output_mask_and_ignore_class_match_keras():
    keras = _keras()
    rng = np.random.default_rng(3)
    x = rng.integers(1, 12, (16, 5))
    x[:, 3:] = 0
    x[::2, 2] = 0  # padded steps (Embedding mask) ...
    y = rng.integers(0, 6, (16, 5))
    y[1::4, 1] = -1  # ... and ignored labels elsewhere
    kmodel = _masked_seq_model(keras)
    model = _masked_seq_model(pynn, [np.asarray(w) for w in kmodel.get_weights()])
    want = kmodel.evaluate(x, y, verbose=0, batch_size=8)
    got = model.evaluate(x, y, verbose=0, batch_size=8)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    kh = kmodel.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history
    h = model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history
    for k in ("loss", "accuracy"):
        np.testing.assert_allclose(h[k], kh[k], rtol=1e-4)


# ------------------------------------------------------------------ memory_efficient_embeddings
# MDEmbedding appends to two lists in turn (encoders, projectors). Keras orders a layer's
# weights by when each sub-layer was tracked (appended), pynn listed them attribute by
# attribute: get_weights / set_weights between the two put weights into the wrong sub-layers
# (refused here by a shape; silent when the shapes agree).

class _TwoLists(layers.Layer):
    def __init__(self, K):
        super().__init__()
        self.first, self.second = [], []
        for units in (3, 4):
            self.first.append(K.layers.Dense(units))
            self.second.append(K.layers.Dense(units))
        self.last = K.layers.Dense(2)

    def call(self, x):
        for a, b in zip(self.first, self.second):
            x = b(a(x))
        return self.last(x)


def test_sublayers_appended_in_turn_keep_keras_weight_order():
    layer = _TwoLists(pynn)
    layer(np.zeros((1, 2), np.float32))
    assert [w.shape for w in layer.weights] == [(2, 3), (3,), (3, 3), (3,), (3, 4), (4,),
                                                (4, 4), (4,), (4, 2), (2,)]


def test_sublayers_appended_in_turn_match_keras():
    keras = _keras()

    class KTwoLists(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.first, self.second = [], []
            for units in (3, 4):
                self.first.append(keras.layers.Dense(units))
                self.second.append(keras.layers.Dense(units))
            self.last = keras.layers.Dense(2)

        def call(self, x):
            for a, b in zip(self.first, self.second):
                x = b(a(x))
            return self.last(x)

    x = np.random.default_rng(4).normal(size=(3, 2)).astype(np.float32)
    k = KTwoLists()
    want = np.asarray(k(x).detach())
    p = _TwoLists(pynn)
    p(x)
    p.set_weights([np.asarray(w) for w in k.get_weights()])
    np.testing.assert_allclose(p(x).numpy(), want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ quickstart for experts
# https://www.tensorflow.org/tutorials/quickstart/advanced: `train_loss(loss)` calls a metric

def test_metric_call_updates_and_returns_the_result():
    m = pynn.metrics.SparseCategoricalAccuracy()
    assert m(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]], np.float32)) == 0.5
    assert m(np.array([1]), np.array([[0.2, 0.8]], np.float32)) == pytest.approx(2 / 3)
    mean = pynn.metrics.Mean()
    assert mean(pynn.Tensor(np.float32(3.0))) == 3.0


# ------------------------------------------------------------------ actor_critic_cartpole
# https://keras.io/examples/rl/actor_critic_cartpole/: huber_loss(ops.expand_dims(value, 0),
# ops.expand_dims(ret, 0)) passes the critic's value as y_true. The fused losses gave y_true
# no gradient (documented as data), so the critic learned only from the actor's term: a
# silently different update (the critic's bias gradient was off, its kernel's by 3x its size).

@pytest.mark.parametrize("name,kw", [("MeanSquaredError", {}), ("MeanAbsoluteError", {}),
                                     ("Huber", {"delta": 0.15}), ("BinaryCrossentropy", {}),
                                     ("BinaryCrossentropy", {"from_logits": True,
                                                             "label_smoothing": 0.1}),
                                     ("CategoricalCrossentropy", {}),
                                     ("CategoricalCrossentropy", {"from_logits": True})])
def test_losses_differentiate_a_y_true_that_needs_it(name, kw):
    rng = np.random.default_rng(6)
    t0 = rng.uniform(0.3, 0.7, (3, 4)).astype(np.float32)
    # 0.2 from y_true: central differences never straddle MAE's or Huber's kink
    p0 = (t0 + rng.choice([-0.2, 0.2], (3, 4))).astype(np.float32)
    w = np.array([1.0, 0.5, 2.0], np.float32)
    loss = getattr(pynn.losses, name)(**kw)
    t = pynn.Tensor(t0.copy(), requires_grad=True)
    p = pynn.Tensor(p0.copy(), requires_grad=True)
    value = loss(t, p, sample_weight=w)
    value.backward()
    # the same value as the fused op on data, and central differences for y_true's gradient
    np.testing.assert_allclose(value.numpy(), loss(t0, p0, sample_weight=w).numpy(), rtol=1e-5)
    h, num = 1e-3, np.zeros_like(t0, np.float64)
    for i in np.ndindex(t0.shape):
        up, dn = t0.astype(np.float64).copy(), t0.astype(np.float64).copy()
        up[i] += h
        dn[i] -= h
        num[i] = (float(loss(up.astype(np.float32), p0, sample_weight=w).numpy())
                  - float(loss(dn.astype(np.float32), p0, sample_weight=w).numpy())) / (2 * h)
    np.testing.assert_allclose(np.asarray(t.grad), num, rtol=2e-2, atol=2e-4)
    assert np.abs(np.asarray(p.grad)).max() > 0


def test_critic_value_as_y_true_gets_keras_gradient():
    keras = _keras()
    import torch
    v0 = np.array([[0.4], [2.5], [-0.2]], np.float32)
    ret = np.array([[0.1], [0.3], [0.2]], np.float32)
    kv = torch.tensor(v0, requires_grad=True)
    keras.losses.Huber()(kv, ret).backward()
    v = pynn.Tensor(v0, requires_grad=True)
    pynn.losses.Huber()(v, ret).backward()
    np.testing.assert_allclose(np.asarray(v.grad), kv.grad.numpy(), rtol=1e-6, atol=1e-7)
# ------------------------------------------------------------------ super_resolution_sub_pixel
# https://keras.io/examples/vision/super_resolution_sub_pixel/ imports its image helpers as
# `from keras.preprocessing.image import load_img` (and oxford_pets_image_segmentation calls
# keras.preprocessing.image.array_to_img): Keras 3's keras.preprocessing namespace, which the
# port `from pynn.preprocessing.image import ...` could not find (ModuleNotFoundError).

def test_keras_preprocessing_namespace_holds_pynns_helpers():
    from pynn.preprocessing import (image_dataset_from_directory, text_dataset_from_directory,
                                    timeseries_dataset_from_array)
    from pynn.preprocessing.image import (array_to_img, img_to_array, load_img, save_img,
                                          smart_resize)  # noqa: F401
    from pynn.preprocessing.sequence import pad_sequences
    assert load_img is pynn.utils.load_img and array_to_img is pynn.utils.array_to_img
    assert img_to_array is pynn.utils.img_to_array and save_img is pynn.utils.save_img
    assert pad_sequences is pynn.utils.pad_sequences
    assert image_dataset_from_directory is pynn.utils.image_dataset_from_directory
    assert text_dataset_from_directory is pynn.utils.text_dataset_from_directory
    assert timeseries_dataset_from_array is pynn.utils.timeseries_dataset_from_array
    assert "preprocessing" in dir(pynn)


def _smart_resize_reference(img, size):
    """Keras' crop box (keras/src/utils/image_utils.py smart_resize), then nearest resizing
    with half-pixel centres, in NumPy."""
    h, w = img.shape[-3:-1]
    th, tw = size
    ch = max(min(h, int(float(w * th) / tw)), 1)
    cw = max(min(w, int(float(h * tw) / th)), 1)
    top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
    crop = img[..., top:top + ch, left:left + cw, :]
    rows = np.minimum(((np.arange(th) + 0.5) * ch / th).astype(int), ch - 1)
    cols = np.minimum(((np.arange(tw) + 0.5) * cw / tw).astype(int), cw - 1)
    return crop[..., rows, :, :][..., cols, :]


@pytest.mark.parametrize("shape,size", [((6, 9, 2), (4, 4)), ((3, 10, 7, 1), (5, 2)),
                                        ((5, 5, 3), (5, 5))])
def test_smart_resize_crops_the_centre_then_resizes(shape, size):
    from pynn.preprocessing.image import smart_resize
    img = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    got = smart_resize(img, size, interpolation="nearest")
    assert isinstance(got, np.ndarray) and got.shape == shape[:-3] + size + shape[-1:]
    np.testing.assert_array_equal(got, _smart_resize_reference(img, size))
    first = smart_resize(img.transpose(*range(img.ndim - 3), -1, -3, -2), size,
                         interpolation="nearest", data_format="channels_first")
    np.testing.assert_array_equal(first, got.transpose(*range(img.ndim - 3), -1, -3, -2))


def test_smart_resize_matches_keras():
    keras = _keras()
    from pynn.preprocessing.image import smart_resize
    img = np.random.default_rng(1).uniform(0, 255, size=(2, 12, 20, 3)).astype(np.float32)
    for size in [(8, 8), (6, 15), (12, 20)]:
        np.testing.assert_allclose(smart_resize(img, size),
                                   keras.preprocessing.image.smart_resize(img, size),
                                   rtol=1e-5, atol=1e-3)


def test_smart_resize_bad_input_is_named():
    from pynn.preprocessing.image import smart_resize
    img = np.zeros((4, 4, 1), np.float32)
    with pytest.raises(ValueError, match=r"smart_resize: size must be \(height, width\)"):
        smart_resize(img, (4,))
    with pytest.raises(ValueError, match="smart_resize: expected an image .* got shape \\(4, 4\\)"):
        smart_resize(img[..., 0], (2, 2))
    with pytest.raises(ValueError, match="interpolation must be"):
        smart_resize(img, (2, 2), interpolation="area")


# ------------------------------------------------------------------ eeg_bci_ssvepformer
# https://keras.io/examples/timeseries/eeg_bci_ssvepformer/ starts with
# `K.set_image_data_format("channels_first")` (from keras import backend as K): pynn had no
# such function (AttributeError). Its layers are channels-last only, so the switch is refused
# with the reason, never recorded and ignored (that would compute along the wrong axis).

def test_set_image_data_format_refuses_channels_first_with_the_reason():
    from pynn import backend as K
    K.set_image_data_format("channels_last")
    assert K.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="channels-last only .* transpose"):
        K.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="must be 'channels_last' or 'channels_first', got 'NHWC'"):
        K.set_image_data_format("NHWC")
    assert K.image_data_format() == "channels_last"


# ------------------------------------------------------------------ 3D_image_classification,
# oxford_pets_image_segmentation, eeg_signal_classification
# https://keras.io/examples/vision/3D_image_classification/ keeps its best epoch with
# ModelCheckpoint("3d_image_classification.h5", save_best_only=True) and reads it back with
# model.load_weights(...h5); the other two save "oxford_segmentation.h5" / "best_model.h5".
# Keras 3 writes its legacy HDF5 model for an .h5 name; pynn refused the name (ValueError),
# so the unchanged programs stopped at their first epoch's end.

def _h5_model(lib, name=None):
    L = lib.layers
    inp = lib.Input(shape=(6, 6, 2))
    x = L.Conv2D(3, 3, activation="relu")(inp)
    x = L.BatchNormalization()(x)
    x = L.Flatten()(x)
    out = L.Dense(2, activation="softmax")(x)
    return lib.Model(inp, out, name=name)


def _h5_data():
    rng = np.random.default_rng(4)
    return rng.normal(size=(12, 6, 6, 2)).astype(np.float32), rng.integers(0, 2, 12)


def test_model_checkpoint_h5_writes_a_file_pynn_reads_back(tmp_path):
    pytest.importorskip("h5py")
    x, y = _h5_data()
    pynn.set_seed(1)
    model = _h5_model(pynn)
    model.compile("adam", "sparse_categorical_crossentropy")
    path = str(tmp_path / "best.h5")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_data=(x, y),
              callbacks=[pynn.callbacks.ModelCheckpoint(path, save_best_only=True)])
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89HDF\r\n\x1a\n"  # Keras' layout, not a zip under an .h5 name
    want = model.predict(x, verbose=0)
    # the best epoch is the last one here (loss falls): the file holds the current weights
    np.testing.assert_array_equal(pynn.load_model(path).predict(x, verbose=0), want)
    # load_weights into a twin built later: other layer names, matched in order as in Keras
    twin = _h5_model(pynn)
    assert [l.name for l in twin.layers] != [l.name for l in model.layers]
    twin.load_weights(path)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), want)


def test_h5_load_weights_checks_everything_before_changing_the_model(tmp_path):
    pytest.importorskip("h5py")
    model = _h5_model(pynn)
    path = str(tmp_path / "m.h5")
    model.save(path)
    other = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"holds weights for 3 layers, model '.*' has 1 layers"):
        other.load_weights(path)
    deeper = pynn.Sequential([pynn.Input(shape=(6, 6, 2)), pynn.layers.Conv2D(3, 3),
                              pynn.layers.BatchNormalization(), pynn.layers.Flatten(),
                              pynn.layers.Dense(5)])
    before = [w.copy() for w in deeper.get_weights()]
    with pytest.raises(ValueError, match=r"has shape \(48, 2\) in the file, pynn expects \(48, 5\)"):
        deeper.load_weights(path)
    for a, b in zip(deeper.get_weights(), before):  # the conv and BN were not half-loaded
        np.testing.assert_array_equal(a, b)


def test_h5_files_cross_between_pynn_and_keras(tmp_path):
    keras = _keras()
    pytest.importorskip("h5py")
    x, _ = _h5_data()
    kmodel = _h5_model(keras)
    rng = np.random.default_rng(5)
    kmodel.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if "variance" in w.path
                        else rng.normal(0, 0.5, w.shape).astype(np.float32)
                        for w in kmodel.weights])
    model = _h5_model(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    want = kmodel.predict(x, verbose=0)
    # pynn writes, Keras loads the whole model
    path = str(tmp_path / "pynn.h5")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), want,
                               rtol=1e-5, atol=1e-6)
    # Keras writes (legacy .h5), pynn's load_weights reads it into its own model
    kpath = str(tmp_path / "keras.h5")
    kmodel.save(kpath)
    fresh = _h5_model(pynn)
    fresh.load_weights(kpath)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ multivariate_timeseries_forecasting_using_lstm
# https://keras.io/examples/timeseries/multivariate_timeseries_forecasting_using_lstm/ adds
# LeakyReLU(alpha=0.5), the tf.keras name of the slope, which Keras 3 still takes (with a
# warning): pynn refused it (TypeError: unexpected keyword argument(s) ['alpha']).

def test_leaky_relu_takes_tf_keras_alpha():
    x = np.array([[-2.0, 3.0]], np.float32)
    with pytest.warns(DeprecationWarning, match="`alpha` is deprecated"):
        layer = layers.LeakyReLU(alpha=0.5)
    assert layer.negative_slope == 0.5 and layer.get_config()["negative_slope"] == 0.5
    np.testing.assert_array_equal(layer(x).numpy(), [[-1.0, 3.0]])
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(alpha=-1.0)


def test_leaky_relu_alpha_matches_keras():
    keras = _keras()
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    with pytest.warns(UserWarning):
        want = keras.layers.LeakyReLU(alpha=0.25)(x)
    with pytest.warns(DeprecationWarning):
        got = layers.LeakyReLU(alpha=0.25)(x).numpy()
    np.testing.assert_array_equal(got, np.asarray(want))


# ------------------------------------------------------------------ timeseries_traffic_forecasting
# https://keras.io/examples/timeseries/timeseries_traffic_forecasting/: GraphConv sums the
# neighbours' messages with segment_sum over axis 0 of (nodes, batch, time, features) data.
# segment_sum flattened the trailing axes with their traced sizes, so the model failed on its
# first real batch ("matmul: shapes (8, 14) and (448, 12) are not aligned").

def _segment_reference(x, ids, n):
    out = np.zeros((n,) + x.shape[1:])
    for i, s in enumerate(ids):
        out[s] += x[i]
    return out


def test_segment_sum_over_nodes_follows_the_batch_in_a_model():
    ids = np.array([0, 0, 1, 2, 2, 2])

    class NodeSum(layers.Layer):
        def call(self, x):  # (batch, nodes, 5) -> nodes first, as GraphConv has them
            return ops.segment_sum(ops.transpose(x, [1, 0, 2]), ids, num_segments=4)

    inp = pynn.Input((6, 5))
    model = pynn.Model(inp, NodeSum()(inp))
    for batch in (7, 3, 1):
        x = np.random.default_rng(batch).normal(size=(batch, 6, 5)).astype(np.float32)
        want = _segment_reference(x.transpose(1, 0, 2).astype(np.float64), ids, 4)
        np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(6,), (6, 3), (6, 2, 3, 2)])
def test_segment_sum_gradient(shape):
    ids = np.array([2, 0, 0, 1, 2, 2])
    x = np.random.default_rng(0).normal(size=shape)
    check_grad(lambda t: ops.segment_sum(t, ids, num_segments=4),
               lambda a: _segment_reference(a, ids, 4), [x])


# ------------------------------------------------------------------ wide_deep_cross_networks
# https://keras.io/examples/structured_data/wide_deep_cross_networks/ (Keras 3, 2025) one-hot
# encodes its categorical features with StringLookup(..., output_mode="binary"), tf.keras'
# name of "multi_hot" that Keras 3's IndexLookup and CategoryEncoding still map: pynn refused it.

def test_lookup_and_category_encoding_take_binary_for_multi_hot():
    vocab = ["area_1", "area_2", "area_3"]
    lookup = layers.StringLookup(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                                 output_mode="binary")
    assert lookup.output_mode == "multi_hot" and lookup.get_config()["output_mode"] == "multi_hot"
    got = np.asarray(lookup(np.array([["area_3"], ["area_1"]])))
    np.testing.assert_array_equal(got, [[0, 0, 1], [1, 0, 0]])
    enc = layers.CategoryEncoding(num_tokens=4, output_mode="binary")
    np.testing.assert_array_equal(np.asarray(enc(np.array([[0, 3, 3]]))), [[1, 0, 0, 1]])
    with pytest.raises(ValueError, match="Hashing: output_mode must be one of"):
        layers.Hashing(num_bins=3, output_mode="binary")  # Keras' Hashing refuses it too


def test_category_encoding_binary_matches_keras():
    keras = _keras()
    ids = np.array([[0, 2], [1, 1], [3, 0]])
    want = keras.layers.CategoryEncoding(num_tokens=4, output_mode="binary")(ids)
    got = layers.CategoryEncoding(num_tokens=4, output_mode="binary")(ids)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# the same program feeds the lookup with keras.ops.expand_dims(string_input, -1): an ops call on
# strings, which pynn refused ("OpLayer 'expand_dims' cannot take strings"); the host stage now
# makes expand_dims / squeeze / reshape of strings in NumPy before the lookup.

def test_expand_dims_of_a_string_input_feeds_a_lookup():
    vocab = ["soil_1", "soil_2", "soil_3"]
    inp = pynn.Input(shape=(), dtype="string", name="Soil_Type")
    encoded = layers.StringLookup(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                                  output_mode="binary")(ops.expand_dims(inp, -1))
    dense = layers.Dense(2)
    model = pynn.Model(inp, dense(encoded))
    x = np.array(["soil_2", "soil_3", "soil_2", "soil_1"])
    k, b = dense.get_weights()
    want = np.eye(3)[[1, 2, 1, 0]] @ k + b
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)
    numeric = pynn.Input(shape=(4,))
    with pytest.raises(ValueError, match="cannot take strings"):  # still no strings in the engine
        pynn.Model([inp, numeric], layers.Concatenate()([ops.expand_dims(inp, -1), numeric]))


def test_per_element_loss_weights_follow_the_batch_in_fit():
    """keras.io conv_lstm (clean-clone CI): a loss with values per element (here per frame
    and pixel) reshaped its per-sample weights to the traced batch of 1, so fit at batch 5
    failed ("cannot reshape (5,) into (1, 1, 1, 1)"). The loss must also be the plain mean."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 3, 4, 4, 1)).astype(np.float32)
    y = (rng.random((20, 3, 4, 4, 1)) > 0.5).astype(np.float32)
    L = pynn.layers
    model = pynn.Sequential([pynn.Input(shape=(None, 4, 4, 1)),
                             L.ConvLSTM2D(2, 3, padding="same", return_sequences=True),
                             L.Conv3D(1, 3, activation="sigmoid", padding="same")])
    # the function, as the example passes it (a FunctionLoss reduces its per-pixel values)
    model.compile(optimizer="adam", loss=pynn.losses.binary_crossentropy)
    p = model.predict(x, verbose=0).astype(np.float64)
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    want = np.mean(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=5, verbose=0), want, rtol=1e-5)
    history = model.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0,
                        validation_data=(x[:4], y[:4]))
    assert np.isfinite(history.history["loss"][0])
