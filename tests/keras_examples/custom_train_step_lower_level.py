"""keras.io's "Customizing what happens in fit() with PyTorch"
(https://keras.io/guides/custom_train_step_in_torch/), "Going lower-level":
compile() configures only the optimizer; the subclass keeps its own Mean loss
tracker, MeanAbsoluteError metric and MeanSquaredError loss_fn, lists them in a
`metrics` property (so fit resets them each epoch) and returns their results.
The class is the guide's, unchanged; `import torch` is ported to `import pynn as
torch`. The run trains it next to the plain compiled model (loss="mse",
metrics=["mae"]) from the same weights: the numbers must agree. 960 samples (30
batches of 32) in place of 1000, so that the per-batch tracker and fit's
per-sample mean agree."""
import os

# This guide can only be run with the torch backend.
os.environ["KERAS_BACKEND"] = "torch"

import torch
import keras
from keras import layers
import numpy as np


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data

        # Call torch.nn.Module.zero_grad() to clear the leftover gradients
        # for the weights from the previous train step.
        self.zero_grad()

        # Compute loss
        y_pred = self(x, training=True)  # Forward pass
        loss = self.loss_fn(y, y_pred)

        # Call torch.Tensor.backward() on the loss to compute gradients
        # for the weights.
        loss.backward()

        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]

        # Update weights
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)

        # Compute our own metrics
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {
            "loss": self.loss_tracker.result(),
            "mae": self.mae_metric.result(),
        }

    @property
    def metrics(self):
        # We list our `Metric` objects here so that `reset_states()` can be
        # called automatically at the start of each epoch
        # or at the start of `evaluate()`.
        return [self.loss_tracker, self.mae_metric]


def data():
    rng = np.random.default_rng(1)
    x = rng.random((960, 32))
    y = rng.random((960, 1))
    return x, y


def build():
    # Construct an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)

    # We don't pass a loss or metrics here.
    model.compile(optimizer="adam")
    return model


def run(model, data, tmpdir):
    x, y = data
    initial = model.get_weights()
    out = {}
    # Just use `fit` as usual -- you can use callbacks, etc.
    out["history"] = model.fit(x, y, epochs=5, shuffle=False, verbose=0).history
    out["weights"] = model.get_weights()
    inputs = keras.Input(shape=(32,))
    plain = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    plain.set_weights(initial)
    plain.compile(optimizer="adam", loss="mse", metrics=["mae"])
    out["plain_history"] = plain.fit(x, y, epochs=5, shuffle=False, verbose=0).history
    out["plain_weights"] = plain.get_weights()
    return out


def check(out):
    h, plain = out["history"], out["plain_history"]
    assert sorted(h) == ["loss", "mae"]
    assert all(a > b for a, b in zip(h["loss"], h["loss"][1:]))  # it learns
    # the metrics restart every epoch (the `metrics` property): per-epoch values, which
    # are the compiled loop's
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h[key], plain[key], rtol=1e-5, atol=1e-7)
    for a, b in zip(out["weights"], out["plain_weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
