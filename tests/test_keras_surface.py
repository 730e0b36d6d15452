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
    with pytest.raises(ValueError, match="TimeDistributed needs a layer"):
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
