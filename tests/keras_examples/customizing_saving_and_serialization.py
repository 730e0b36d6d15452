"""keras.io's "Customizing Saving and Serialization"
(https://keras.io/guides/customizing_saving_and_serialization/), Keras 3 version: a
Dense subclass holding an extra keras.Variable made in __init__ that overrides
save_own_variables / load_own_variables (its own key in the store beside the weights
super() saves); a Dense subclass whose save_assets / load_assets write and read a
vocabulary file kept in the archive; a Layer whose build(input_shape, layer_init) takes
an extra argument, rebuilt on load by its get_build_config / build_from_config. The
guide's files go to the test's directory and NumPy's generator is seeded so that both
libraries see the same arrays; the guide's assertions are kept.

Two departures, both recorded here. The first cell's load_model fails in Keras 3.15
itself: its load_own_variables assigns store["0"] (the kernel Dense saved) to
self.weights[0], which is the Variable made in __init__ (created before the kernel); the
port catches that error and checks that pynn fails the same way, then checks the hooks
with the same layer trained. That cell also fits targets of shape (8, 10) to the
layer's (8, 1) output, which Keras' mean_squared_error broadcasts (each prediction
against 10 targets); pynn refuses targets that do not match the output, so the targets
here are (8, 1). The last cell (ModelWithCustomCompile: a subclassed Model saved whole,
with get_compile_config / compile_from_config) is left out: pynn saves Sequential and
functional models whole, and a subclassed one's weights only (it says so when asked)."""
import os

import numpy as np

import keras

# the last two cells' layers draw fresh weights in each library
PARITY_KEYS = ["custom_variable", "custom_vars_load", "history", "restored_variable",
               "restored_prediction", "assets_vocab", "build_config", "restored_build"]


@keras.utils.register_keras_serializable(package="my_custom_package")
class LayerWithCustomVariable(keras.layers.Dense):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.my_variable = keras.Variable(
            np.random.random((units,)), name="my_variable", dtype="float32"
        )

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # Stores the value of the variable upon saving
        store["variables"] = self.my_variable.numpy()

    def load_own_variables(self, store):
        # Assigns the value of the variable upon loading
        self.my_variable.assign(store["variables"])
        # Load the remaining weights
        for i, v in enumerate(self.weights):
            v.assign(store[f"{i}"])
        # Note: You must specify how all variables (including layer weights)
        # are loaded in `load_own_variables.`

    def call(self, inputs):
        dense_out = super().call(inputs)
        return dense_out + self.my_variable


@keras.saving.register_keras_serializable(package="my_custom_package")
class LayerWithCustomAssets(keras.layers.Dense):
    def __init__(self, vocab=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocab = vocab

    def save_assets(self, inner_path):
        # Writes the vocab (sentence) to text file at save time.
        with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
            f.write(self.vocab)

    def load_assets(self, inner_path):
        # Reads the vocab (sentence) from text file at load time.
        with open(os.path.join(inner_path, "vocabulary.txt"), "r") as f:
            text = f.read()
        self.vocab = text.replace("<unk>", "little")


@keras.saving.register_keras_serializable(package="my_custom_package")
class LayerWithCustomBuild(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return dict(units=self.units, **super().get_config())

    def build(self, input_shape, layer_init):
        # Note the overriding of `build()` to add an extra argument.
        # Therefore, we will need to manually call build with `layer_init` argument
        # before the first execution of `call()`.
        super().build(input_shape)
        self._input_shape = input_shape
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=layer_init,
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,),
            initializer=layer_init,
            trainable=True,
        )
        self.layer_init = layer_init

    def get_build_config(self):
        build_config = {
            "layer_init": self.layer_init,
            "input_shape": self._input_shape,
        }  # Stores our initializer for `build()`
        return build_config

    def build_from_config(self, config):
        # Calls `build()` with the parameters at loading time
        self.build(config["input_shape"], config["layer_init"])


def data():
    rng = np.random.default_rng(11)
    ref_input = rng.random((8, 10))
    ref_output = rng.random((8, 1))  # (8, 10) in the guide: see the module's docstring
    return ref_input, ref_output


def build():
    np.random.seed(1)  # the guide's keras.Variable(np.random.random((units,)))
    model = keras.Sequential([LayerWithCustomVariable(1)])
    model.build((None, 10))
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


def run(model, data, tmpdir):
    out = {}
    ref_input, ref_output = data
    out["custom_variable"] = model.layers[0].my_variable.numpy()
    out["history"] = model.fit(ref_input, ref_output, verbose=0, shuffle=False).history

    path = os.path.join(tmpdir, "custom_vars_model.keras")
    model.save(path)
    try:
        restored_model = keras.models.load_model(path)
        out["custom_vars_load"] = "loaded"
    except ValueError as e:  # the guide's load_own_variables, in Keras 3.15 too
        out["custom_vars_load"] = ["ValueError", "shape" in str(e)]

    # the same hooks, the guide's layer with its store read back in its own order
    class LayerWithCustomVariableLoadedInOrder(LayerWithCustomVariable):
        def load_own_variables(self, store):
            self.my_variable.assign(store["variables"])
            for i, v in enumerate([self.kernel, self.bias]):
                v.assign(store[f"{i}"])

    twin = keras.Sequential([LayerWithCustomVariableLoadedInOrder(1)])
    twin.build((None, 10))
    twin.set_weights(model.get_weights())
    path = os.path.join(tmpdir, "custom_vars_model_in_order.keras")
    twin.save(path)
    restored_model = keras.models.load_model(
        path, custom_objects={"LayerWithCustomVariableLoadedInOrder":
                              LayerWithCustomVariableLoadedInOrder})

    np.testing.assert_allclose(
        model.layers[0].my_variable.numpy(),
        restored_model.layers[0].my_variable.numpy(),
    )
    out["restored_variable"] = restored_model.layers[0].my_variable.numpy()
    out["restored_prediction"] = [model.predict(ref_input, verbose=0),
                                  restored_model.predict(ref_input, verbose=0)]

    np.random.seed(2)
    model = keras.Sequential(
        [LayerWithCustomAssets(vocab="Mary had a <unk> lamb.", units=5)]
    )

    x = np.random.random((10, 10))
    y = model(x)

    path = os.path.join(tmpdir, "custom_assets_model.keras")
    model.save(path)
    restored_model = keras.models.load_model(path)

    np.testing.assert_string_equal(
        restored_model.layers[0].vocab, "Mary had a little lamb."
    )
    out["assets_vocab"] = restored_model.layers[0].vocab
    out["assets_prediction"] = [keras.ops.convert_to_numpy(y),
                                keras.ops.convert_to_numpy(restored_model(x))]

    custom_layer = LayerWithCustomBuild(units=16)
    custom_layer.build(input_shape=(8,), layer_init="random_normal")

    model = keras.Sequential(
        [
            custom_layer,
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )

    x = np.random.random((16, 8))
    y = model(x)

    path = os.path.join(tmpdir, "custom_build_model.keras")
    model.save(path)
    restored_model = keras.models.load_model(path)

    np.testing.assert_equal(restored_model.layers[0].layer_init, "random_normal")
    np.testing.assert_equal(restored_model.built, True)
    out["build_config"] = str(custom_layer.get_build_config())
    out["restored_build"] = [restored_model.layers[0].layer_init,
                             bool(restored_model.built),
                             [list(w.shape) for w in restored_model.layers[0].weights]]
    out["build_prediction"] = [keras.ops.convert_to_numpy(y),
                               keras.ops.convert_to_numpy(restored_model(x))]

    return out


def check(out):
    # the guide's load_own_variables puts the kernel into my_variable: refused, as in Keras
    assert out["custom_vars_load"] == ["ValueError", True]
    # my_variable is a trainable weight of the layer: fit moved it, the file kept it
    assert not np.allclose(out["restored_variable"], out["custom_variable"])
    a, b = out["restored_prediction"]
    np.testing.assert_allclose(b, a, rtol=1e-6)
    assert out["assets_vocab"] == "Mary had a little lamb."
    a, b = out["assets_prediction"]
    np.testing.assert_allclose(b, a, rtol=1e-6)
    assert out["restored_build"] == ["random_normal", True, [[8, 16], [16]]]
    a, b = out["build_prediction"]
    np.testing.assert_allclose(b, a, rtol=1e-6)
