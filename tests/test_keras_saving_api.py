"""keras.saving's registry and the architecture functions (issue #13):
register_keras_serializable, get_custom_objects, custom_object_scope,
serialize/deserialize_keras_object, layers.serialize/deserialize, clone_model,
to_json/model_from_json, None dimensions and nested models saved and loaded.
Loading finds classes and functions by name only (no code from the file)."""
import json

import numpy as np
import pytest

import pynn
from pynn import layers, ops

X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


@pynn.saving.register_keras_serializable(package="TestSaving")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@pynn.saving.register_keras_serializable(package="TestSaving")
def shifted_relu(x):
    return ops.relu(x) - 0.5


def unregistered_tanh2(x):
    return ops.tanh(x) * 2.0


def _same(a, b):
    np.testing.assert_array_equal(a.predict(X, verbose=0), b.predict(X, verbose=0))


def test_registered_layer_and_activation_load_without_custom_objects(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(3, activation=shifted_relu),
                             Scale(3.0)])
    path = str(tmp_path / "registered.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    _same(model, loaded)
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].factor == 3.0
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(loaded.predict(X, verbose=0),
                               3.0 * (np.maximum(X @ kernel + bias, 0) - 0.5), rtol=1e-5)
    cfg = json.loads(model.to_json())["config"]["layers"]
    assert cfg[0]["config"]["activation"] == "TestSaving>shifted_relu"
    assert cfg[1]["registered_name"] == "TestSaving>Scale"


def test_unregistered_function_needs_custom_objects_or_a_scope(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(2, activation=unregistered_tanh2)])
    path = str(tmp_path / "custom.keras")
    model.save(path)
    with pytest.raises(ValueError, match="unregistered_tanh2"):
        pynn.load_model(path)
    _same(model, pynn.load_model(path, custom_objects={"unregistered_tanh2": unregistered_tanh2}))
    with pynn.saving.custom_object_scope({"unregistered_tanh2": unregistered_tanh2}):
        _same(model, pynn.load_model(path))
    pynn.saving.get_custom_objects()["unregistered_tanh2"] = unregistered_tanh2
    try:
        _same(model, pynn.load_model(path))
    finally:
        del pynn.saving.get_custom_objects()["unregistered_tanh2"]
    with pytest.raises(ValueError, match="anonymous function"):
        pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(2, activation=lambda t: t)]).save(
            str(tmp_path / "lambda.keras"))


def test_serialize_and_deserialize_objects():
    S = pynn.saving
    dense = layers.Dense(5, activation="relu", name="d5")
    cfg = pynn.layers.serialize(dense)
    assert set(cfg) == {"module", "class_name", "config", "registered_name"}
    back = pynn.layers.deserialize(cfg)
    assert isinstance(back, layers.Dense) and back is not dense and back.units == 5 and \
        back.activation is ops.relu
    assert S.deserialize_keras_object(S.serialize_keras_object(Scale(1.5))).factor == 1.5
    opt = S.deserialize_keras_object(S.serialize_keras_object(pynn.optimizers.SGD(0.3, momentum=0.5)))
    assert isinstance(opt, pynn.optimizers.SGD) and (opt.learning_rate, opt.momentum) == (0.3, 0.5)
    loss = S.deserialize_keras_object(S.serialize_keras_object(pynn.losses.Huber(delta=2.0)))
    assert isinstance(loss, pynn.losses.Huber) and loss.get_config()["delta"] == 2.0
    assert S.deserialize_keras_object(S.serialize_keras_object(shifted_relu)) is shifted_relu
    assert S.get_registered_object("shifted_relu") is shifted_relu  # bare name, registered once
    with pytest.raises(ValueError, match="Unknown class 'Nope'"):
        S.deserialize_keras_object({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Unknown function 'os.system'"):
        S.deserialize_keras_object({"class_name": "function", "config": "os.system"})
    with pytest.raises(TypeError, match="custom_object_scope takes dicts"):
        S.custom_object_scope(["x"])


def _graph_model():
    inner = pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(3, name="inner_dense")],
                            name="inner")
    shared = layers.Dense(3, name="shared")
    inp = pynn.Input(shape=(4,), name="x")
    h = inner(inp)
    out = layers.Dense(1, name="head")(shared(ops.relu(h) + 1.0) + shared(h))
    return pynn.Model(inp, out)


def test_clone_model_has_the_architecture_and_new_weights():
    pynn.set_seed(0)
    model = _graph_model()
    clone = pynn.models.clone_model(model)
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert len(clone.weights) == 6  # the shared Dense is one layer in the clone too
    assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))
    clone.set_weights(model.get_weights())
    _same(model, clone)
    same_layers = pynn.models.clone_model(model, clone_function=lambda layer: layer)
    # the clone has new Inputs, hence a new InputLayer first (as in Keras 3); the rest are shared
    assert same_layers.layers[0] is not model.layers[0]
    assert all(a is b for a, b in zip(same_layers.layers[1:], model.layers[1:]))
    seq = pynn.Sequential([pynn.Input(shape=(4,)), layers.Dense(2)])
    seq_clone = pynn.models.clone_model(seq)
    assert seq_clone.input_shape == (None, 4) and seq_clone.layers[0] is not seq.layers[0]

    class Sub(pynn.Model):
        def call(self, x):
            return x
    with pytest.raises(ValueError, match="subclassed model"):
        pynn.models.clone_model(Sub())


def test_to_json_and_model_from_json():
    model = _graph_model()
    text = model.to_json()
    rebuilt = pynn.models.model_from_json(text)
    assert rebuilt.to_json() == text
    rebuilt.set_weights(model.get_weights())
    _same(model, rebuilt)
    with pytest.raises(ValueError, match="model_from_json: not JSON"):
        pynn.models.model_from_json("{")


def test_nested_models_and_none_dimensions_save_and_load(tmp_path):
    model = _graph_model()
    path = str(tmp_path / "nested.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    _same(model, loaded)
    assert isinstance(loaded.get_layer("inner"), pynn.Sequential)
    inp = pynn.Input(shape=(None, 4))
    seq_model = pynn.Model(inp, layers.GlobalAveragePooling1D()(layers.Dense(2)(inp)))
    seq_model.save(path)
    again = pynn.load_model(path)
    assert again.input_shape == (None, None, 4)
    for steps in (3, 7):
        x = np.random.default_rng(steps).normal(size=(2, steps, 4)).astype(np.float32)
        np.testing.assert_array_equal(again.predict(x, verbose=0), seq_model.predict(x, verbose=0))
