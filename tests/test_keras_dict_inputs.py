"""Dict inputs as Keras 3 takes them (issue #13): Model(inputs={name: Input}), fit /
evaluate / predict with dicts of arrays, pandas DataFrames as dicts of columns,
subclassed models and layers called with dicts, and such models saved and loaded."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops

RNG = np.random.default_rng(0)
DATA = {"age": RNG.normal(size=(40, 1)).astype(np.float32),
        "geo": RNG.normal(size=(40, 2)).astype(np.float32)}
Y = (DATA["age"] - DATA["geo"][:, :1] + 0.5 * DATA["geo"][:, 1:]).astype(np.float32)


def _dict_model():
    age, geo = pynn.Input(shape=(1,), name="age"), pynn.Input(shape=(2,), name="geo")
    out = layers.Dense(1, name="out")(layers.Concatenate()([age, geo]))
    # Keras keys the dict by its own keys (here in another order than the graph's)
    return pynn.Model(inputs={"geo": geo, "age": age}, outputs=out)


def _numpy(model, data):
    kernel, bias = model.get_layer("out").get_weights()
    return np.concatenate([data["age"], data["geo"]], axis=1) @ kernel + bias


def test_functional_dict_model_fits_predicts_and_reloads(tmp_path):
    pynn.set_seed(0)
    model = _dict_model()
    model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="mse")
    hist = model.fit(DATA, Y, batch_size=8, epochs=20, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]
    np.testing.assert_allclose(model.predict(DATA, verbose=0), _numpy(model, DATA), rtol=1e-5,
                               atol=1e-6)
    reordered = {"geo": DATA["geo"], "age": DATA["age"]}  # keys, not positions, decide
    np.testing.assert_array_equal(model.predict(reordered, verbose=0),
                                  model.predict(DATA, verbose=0))
    assert model.evaluate(DATA, Y, verbose=0) == pytest.approx(hist.history["loss"][-1], rel=0.2)
    path = str(tmp_path / "dict.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(DATA, verbose=0), model.predict(DATA, verbose=0))
    with pytest.raises(ValueError, match=r"needs one array for each named Input \['geo', 'age'\].*"
                                         r"missing \['geo'\]"):
        model.predict({"age": DATA["age"]}, verbose=0)


def test_dataframe_is_a_dict_of_columns():
    pd = pytest.importorskip("pandas", reason="pandas is an optional extra")
    df = pd.DataFrame({"age": DATA["age"][:, 0], "g0": DATA["geo"][:, 0], "g1": DATA["geo"][:, 1]})
    inputs = {name: pynn.Input(shape=(1,), name=name) for name in ("g1", "age", "g0")}
    pynn.set_seed(1)
    dense = layers.Dense(1, name="out")
    model = pynn.Model(inputs, dense(layers.Concatenate()([inputs["age"], inputs["g0"],
                                                             inputs["g1"]])))
    kernel, bias = dense.get_weights()
    want = df[["age", "g0", "g1"]].to_numpy() @ kernel + bias
    np.testing.assert_allclose(model.predict(df, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(dict(df), verbose=0), want, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(df, Y, epochs=1, verbose=0)  # the column Series are (n,) for inputs (None, 1)


class DictSubclass(pynn.Model):
    def __init__(self):
        super().__init__()
        self.out = layers.Dense(1, name="out")

    def call(self, inputs):
        return self.out(ops.concatenate([inputs["age"], inputs["geo"]], axis=-1))


def test_subclassed_model_called_and_fitted_with_a_dict():
    pynn.set_seed(2)
    model = DictSubclass()
    np.testing.assert_allclose(model(DATA).numpy(), _numpy(model, DATA), rtol=1e-5, atol=1e-6)
    model.compile(optimizer=pynn.optimizers.SGD(0.1), loss="mse")
    hist = model.fit(DATA, Y, batch_size=8, epochs=20, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]
    np.testing.assert_allclose(model.predict(DATA, verbose=0), _numpy(model, DATA), rtol=1e-5,
                               atol=1e-6)


class WeightedSum(layers.Layer):
    """A layer whose call takes a dict; build() gets a dict of shapes (Keras)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape["geo"][-1], 1), initializer="ones", name="w")

    def call(self, inputs):
        return inputs["age"] + ops.matmul(inputs["geo"], self.w)


def test_layers_called_with_dicts_eagerly_and_in_a_graph(tmp_path):
    want = DATA["age"] + DATA["geo"].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(WeightedSum()(DATA).numpy(), want, rtol=1e-6)
    age, geo = pynn.Input(shape=(1,), name="age"), pynn.Input(shape=(2,), name="geo")
    layer = WeightedSum()
    out = layer({"age": age, "geo": geo})
    assert out.shape == (None, 1)
    model = pynn.Model([age, geo], out)
    np.testing.assert_allclose(model.predict([DATA["age"], DATA["geo"]], verbose=0), want,
                               rtol=1e-6)
    # a functional model used as a layer of another graph, called with a dict
    outer_age, outer_geo = pynn.Input(shape=(1,), name="age"), pynn.Input(shape=(2,), name="geo")
    inner = _dict_model()
    outer = pynn.Model({"age": outer_age, "geo": outer_geo},
                       inner({"age": outer_age, "geo": outer_geo}) * 2.0)
    np.testing.assert_allclose(outer.predict(DATA, verbose=0), 2 * _numpy(inner, DATA), rtol=1e-5,
                               atol=1e-6)
