"""The add_loss() part of keras.io's "Training & evaluation with the built-in
methods" (https://keras.io/guides/training_with_built_in_methods/, "Handling
losses and metrics that don't fit the standard signature"): an
ActivityRegularizationLayer adding 0.1 * sum(inputs) to the compiled
SparseCategoricalCrossentropy of a digits classifier, and the LogisticEndpoint layer — called on two tensors
(targets, logits), adding a BinaryCrossentropy with add_loss() and returning
softmax(logits) — in a two-input model compiled WITHOUT a loss and fitted on a
dict of arrays with no targets."""
import numpy as np

import keras
from keras import layers
from keras import ops
from keras_examples._data import digits


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)

        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


def data():
    (x_train, y_train), _ = digits()
    x_train = x_train[:256].reshape(-1, 64).astype("float32") / 16.0
    rng = np.random.default_rng(8)
    endpoint_data = {
        "inputs": rng.random((48, 3)).astype("float32"),
        "targets": rng.random((48, 10)).astype("float32"),
    }
    return x_train, y_train[:256], endpoint_data


def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = keras.layers.Dense(16, activation="relu", name="dense_1")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def build():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!
    return model


def run(model, data, tmpdir):
    x_train, y_train, endpoint_data = data
    # The displayed loss will be much higher than before
    # due to the regularization component.
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, shuffle=False, verbose=0)
    endpoint = endpoint_model()
    # the same start for both libraries: the Dense kernel from a fixed generator
    endpoint.set_weights([np.random.default_rng(1).normal(size=(3, 10)).astype("float32") * 0.3,
                          np.zeros(10, "float32")])
    endpoint_history = endpoint.fit(endpoint_data, batch_size=16, epochs=3, shuffle=False,
                                    verbose=0)
    return {"history": history.history, "weights": model.get_weights(),
            "endpoint_history": endpoint_history.history,
            "endpoint_predict": endpoint.predict(endpoint_data, verbose=0),
            "endpoint_weights": endpoint.get_weights()}


def check(out):
    x_train, y_train, endpoint_data = data()
    # the activity term dominates the loss: 0.1 * the sum of 64 samples' activations
    assert out["history"]["loss"][0] > 2.5
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
    # the endpoint's loss alone trained the Dense layer (no compiled loss, no targets)
    kernel, bias = out["endpoint_weights"]
    logits = endpoint_data["inputs"] @ kernel + bias
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(out["endpoint_predict"], probs / probs.sum(-1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    assert out["endpoint_history"]["loss"][-1] < out["endpoint_history"]["loss"][0]
