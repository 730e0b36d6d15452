"""keras.io's "Save, serialize, and export models"
(https://keras.io/guides/serialization_and_saving/), Keras 3 version: a CustomLayer
and a custom activation registered with keras.saving.register_keras_serializable,
saved in a model and loaded three ways (registered, custom_objects=,
keras.saving.custom_object_scope); get_config / from_config of a layer, a Sequential
and a functional model; to_json / keras.models.model_from_json;
keras.saving.serialize_keras_object / deserialize_keras_object of a regularizer;
weights copied between layers with get_weights / set_weights; save_weights /
load_weights. Then the architecture is cloned with keras.models.clone_model
(https://keras.io/api/models/cloning/)."""
import os

import numpy as np

import keras


@keras.saving.register_keras_serializable(package="MyLayers")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
def custom_fn(x):
    return x**2


# Create the model.
def get_model():
    inputs = keras.Input(shape=(4,))
    mid = CustomLayer(0.5)(inputs)
    outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    return model


def data():
    rng = np.random.default_rng(3)
    return (rng.random((4, 4)).astype("float32"), rng.random((4, 1)).astype("float32"),
            rng.random((4, 4)).astype("float32"))


def build():
    return get_model()


def run(model, data, tmpdir):
    input, target, test_input = data
    out = {}
    # Train the model.
    model.fit(input, target, verbose=0, shuffle=False)
    path = os.path.join(tmpdir, "custom_model.keras")
    model.save(path)
    out["predict"] = model.predict(test_input, verbose=0)

    # Now, we can simply load without worrying about our custom objects.
    reconstructed_model = keras.models.load_model(path)
    out["registered"] = reconstructed_model.predict(test_input, verbose=0)
    # Upon loading, pass a dict containing the custom objects used in the
    # `custom_objects` argument of `keras.models.load_model()`.
    reconstructed_model = keras.models.load_model(
        path,
        custom_objects={"CustomLayer": CustomLayer, "custom_fn": custom_fn},
    )
    out["custom_objects"] = reconstructed_model.predict(test_input, verbose=0)
    custom_objects = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}
    with keras.saving.custom_object_scope(custom_objects):
        reconstructed_model = keras.models.load_model(path)
    out["scope"] = reconstructed_model.predict(test_input, verbose=0)
    out["registered_name"] = keras.saving.get_registered_name(custom_fn)

    # Layer, Sequential and functional configs
    layer = keras.layers.Dense(3, activation="relu")
    layer_config = layer.get_config()
    new_layer = keras.layers.Dense.from_config(layer_config)
    out["layer_config"] = [new_layer.units, layer_config["activation"]]
    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    config = model.get_config()
    new_model = keras.Sequential.from_config(config)
    out["sequential"] = [len(new_model.layers), list(new_model.output_shape)]
    inputs = keras.Input((32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    json_config = model.to_json()
    new_model = keras.models.model_from_json(json_config)
    out["from_json"] = [list(new_model.output_shape), len(new_model.weights)]

    # Arbitrary object serialization
    my_reg = keras.regularizers.L1(0.005)
    config = keras.saving.serialize_keras_object(my_reg)
    new_reg = keras.saving.deserialize_keras_object(config)
    out["regularizer"] = [config["class_name"], float(new_reg.l1)]

    # Weights transfer between layers
    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer.build((None, 784))
        return layer

    layer_1 = create_layer()
    layer_2 = create_layer()
    # Copy weights from layer 1 to layer 2
    layer_2.set_weights(layer_1.get_weights())
    out["copied"] = all(np.array_equal(a, b) for a, b in
                        zip(layer_1.get_weights(), layer_2.get_weights()))

    # Weights only, into a new model of the same architecture
    model = get_model()
    model.set_weights(reconstructed_model.get_weights())
    weights_path = os.path.join(tmpdir, "my_model.weights.h5")
    model.save_weights(weights_path)
    clone = keras.models.clone_model(model)
    out["clone_differs"] = not all(np.array_equal(a, b) for a, b in
                                   zip(clone.get_weights(), model.get_weights()))
    clone.load_weights(weights_path)
    out["clone_loaded"] = clone.predict(test_input, verbose=0)
    return out


def check(out):
    for key in ("registered", "custom_objects", "scope", "clone_loaded"):
        np.testing.assert_allclose(out[key], out["predict"], rtol=1e-6, err_msg=key)
    assert (out["predict"] >= 0).all()  # custom_fn squares
    assert out["registered_name"] == "my_package>custom_fn"
    assert out["layer_config"] == [3, "relu"]
    assert out["sequential"] == [1, [None, 1]] and out["from_json"] == [[None, 1], 2]
    assert out["regularizer"] == ["L1", 0.005] and out["copied"] and out["clone_differs"]
