"""keras.io's "The Functional API" (https://keras.io/guides/functional_api/), Keras 3
version, the cells functional_api_guide.py does not run: "Use the same graph of layers
to define multiple models" (an encoder and an autoencoder from one graph: Conv2D,
MaxPooling2D, GlobalMaxPooling2D, Reshape, Conv2DTranspose, UpSampling2D), "All models
are callable, just like layers" (an encoder model and a decoder model chained by calling
them on an Input, and ensembling three models with layers.average), "Extend the API
using custom layers" (CustomDense with get_config, the model rebuilt by
keras.Model.from_config with custom_objects) and "Mix-and-match API styles" (a
CustomRNN layer holding a functional model, called eagerly; a CustomRNN in a functional
model on keras.Input(batch_shape=(16, 10, 5)) after a Conv1D). The guide builds these
without training; here the chained autoencoder is also fitted on the 8x8 digits padded
to 28x28 with zeros, and the ensemble and the CustomRNN model on seeded arrays."""
import contextlib
import io

import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

# 32 Adam steps through a conv stack with max pooling: float32 sums in another order move
# single activations by up to ~1 % (Adam divides small gradients by their own size)
PARITY_TOL = (2e-2, 2e-3)
PARITY_KEYS = ["encoder_shapes", "autoencoder_params", "chained_untrained", "chained_history",
               "chained_after", "ensemble", "custom_dense", "rnn_eager", "rnn_functional",
               "rnn_history"]
# (not "rnn_printed": Keras 3 runs the first call of a layer without build() twice, once
# on symbolic tensors to build it, so the guide's print shows twice there; pynn runs it once)


def data():
    (x_train, _), _ = digits()
    images = np.zeros((len(x_train), 28, 28, 1), "float32")
    images[:, 10:18, 10:18, 0] = x_train / 16.0
    rng = np.random.default_rng(17)
    return images[:256], rng.normal(size=(64, 128)).astype("float32"), \
        rng.normal(size=(64, 10, 5)).astype("float32")


def make_chained_autoencoder():
    encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)

    encoder = keras.Model(encoder_input, encoder_output, name="encoder")

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

    decoder = keras.Model(decoder_input, decoder_output, name="decoder")

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    return autoencoder


def build():
    autoencoder = make_chained_autoencoder()
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return autoencoder


def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


units = 32
timesteps = 10
input_dim = 5
batch_size = 16


def run(autoencoder, data, tmpdir):
    images, ensemble_x, sequences = data
    out = {}

    # one graph, two models
    encoder_input = keras.Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    same_graph = keras.Model(encoder_input, decoder_output, name="autoencoder")
    out["encoder_shapes"] = [list(encoder.output.shape), list(same_graph.output.shape),
                             encoder.count_params(), same_graph.count_params()]

    # the chained models: an encoder model and a decoder model inside the autoencoder
    out["autoencoder_params"] = [autoencoder.count_params(),
                                 [layer.name for layer in autoencoder.layers]]
    out["chained_untrained"] = autoencoder.predict(images[:4], verbose=0)
    history = autoencoder.fit(images, images, batch_size=32, epochs=4, shuffle=False,
                              verbose=0)
    out["chained_history"] = history.history
    out["chained_after"] = autoencoder.layers[1].predict(images[:4], verbose=0)

    # ensembling
    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
    for m, seed in ((model1, 1), (model2, 2), (model3, 3)):
        rng = np.random.default_rng(seed)
        m.set_weights([rng.normal(size=(128, 1)).astype("float32"),
                       rng.normal(size=(1,)).astype("float32")])
    out["ensemble"] = [ensemble_model.predict(ensemble_x, verbose=0),
                       len(ensemble_model.weights)]
    want = np.mean([m.predict(ensemble_x, verbose=0) for m in (model1, model2, model3)], 0)
    out["ensemble_mean"] = np.allclose(out["ensemble"][0], want, rtol=1e-5, atol=1e-6)

    # a custom layer, serialized
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)

    model = keras.Model(inputs, outputs)
    config = model.get_config()

    new_model = keras.Model.from_config(
        config, custom_objects={"CustomDense": CustomDense}
    )
    out["custom_dense"] = [list(new_model.output.shape),
                           [type(layer).__name__ for layer in new_model.layers]]

    # Mix-and-match: a functional model inside a custom layer
    inputs = keras.Input((None, units))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            # Our previously-defined Functional model
            self.classifier = model

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            print(features.shape)
            return self.classifier(features)

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        rnn_model = CustomRNN()
        _ = rnn_model(ops.zeros((1, timesteps, input_dim)))
    out["rnn_printed"] = printed.getvalue().replace("torch.Size([", "(").replace("])", ")")
    out["rnn_eager"] = [list(_.shape), len(rnn_model.weights)]

    # a custom layer inside a functional model with a static batch size
    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = layers.Dense(1)

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    # Note that you specify a static batch size for the inputs with the `batch_shape`
    # arg, because the inner computation of `CustomRNN` requires a static batch size
    # (when you create the `state` zeros tensor).
    inputs = keras.Input(batch_shape=(batch_size, timesteps, input_dim))
    x = layers.Conv1D(32, 3)(inputs)
    outputs = CustomRNN()(x)

    model = keras.Model(inputs, outputs)

    rnn_model = CustomRNN()
    _ = rnn_model(ops.zeros((1, 10, 5)))
    # (the batch axis: 16 in Keras, free in pynn, whose programs take any batch size)
    out["rnn_functional"] = [list(model.output.shape)[1:], list(_.shape)]
    rng = np.random.default_rng(5)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    targets = np.tanh(sequences[:, 2:, :1].cumsum(1))
    history = model.fit(sequences, targets, batch_size=batch_size, epochs=3, shuffle=False,
                        verbose=0)
    out["rnn_history"] = history.history
    return out


def check(out):
    assert out["encoder_shapes"][:2] == [[None, 16], [None, 28, 28, 1]]
    assert out["autoencoder_params"][1] == ["img", "encoder", "decoder"]
    h = out["chained_history"]["loss"]
    assert h[-1] < h[0]
    assert out["chained_after"].shape == (4, 16)
    assert out["ensemble_mean"] and out["ensemble"][1] == 6
    assert out["custom_dense"] == [[None, 10], ["InputLayer", "CustomDense"]]
    assert out["rnn_printed"] == "(1, 10, 32)\n"
    assert out["rnn_eager"] == [[1, 1], 6]
    assert out["rnn_functional"] == [[8, 1], [1, 10, 1]]
    h = out["rnn_history"]["loss"]
    assert h[-1] < h[0]
