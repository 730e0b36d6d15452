"""keras.io's "Customizing what happens in fit() with PyTorch"
(https://keras.io/guides/custom_train_step_in_torch/), "Providing your own
evaluation step": a subclass overriding test_step, used by evaluate(). The class
is the guide's, unchanged; `import torch` is ported to `import pynn as torch`
(the guide's class does not use it). The run evaluates it and the same weights in
a plain model (whose evaluation is the compiled loop) on the same data."""
import os

# This guide can only be run with the torch backend.
os.environ["KERAS_BACKEND"] = "torch"

import torch
import keras
from keras import layers
import numpy as np


class CustomModel(keras.Model):
    def test_step(self, data):
        # Unpack the data
        x, y = data
        # Compute predictions
        y_pred = self(x, training=False)
        # Updates the metrics tracking the loss
        loss = self.compute_loss(y=y, y_pred=y_pred)
        # Update the metrics.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        # Return a dict mapping metric names to current value.
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


def data():
    rng = np.random.default_rng(3)
    x = rng.random((960, 32))
    y = rng.random((960, 1))
    return x, y


def build(model_class=CustomModel):
    # Construct an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = model_class(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])
    return model


def run(model, data, tmpdir):
    x, y = data
    out = {}
    # Evaluate with our custom test_step
    out["results"] = model.evaluate(x, y, verbose=0)
    out["results_dict"] = model.evaluate(x, y, verbose=0, return_dict=True)
    plain = build(keras.Model)
    plain.set_weights(model.get_weights())
    out["plain_results"] = plain.evaluate(x, y, verbose=0)
    w1, b1 = model.get_weights()
    out["numpy_results"] = [float(np.mean((x @ w1 + b1 - y) ** 2)),
                            float(np.mean(np.abs(x @ w1 + b1 - y)))]
    return out


def check(out):
    loss, mae = out["results"]
    assert out["results_dict"] == {"loss": loss, "mae": mae}
    # evaluate twice gives the same: the metrics restart at each evaluate()
    np.testing.assert_allclose(out["results"], out["plain_results"], rtol=1e-5)
    np.testing.assert_allclose(out["results"], out["numpy_results"], rtol=1e-5)
