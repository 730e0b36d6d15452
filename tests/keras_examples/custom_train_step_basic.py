"""keras.io's "Customizing what happens in fit() with PyTorch"
(https://keras.io/guides/custom_train_step_in_torch/), "A first simple example":
a keras.Model subclass overriding train_step with the torch idioms
(self.zero_grad(), loss.backward(), v.value.grad, self.optimizer.apply under
torch.no_grad()), the loss from self.compute_loss and the metrics from
self.metrics. The class is the guide's, unchanged; `import torch` is ported to
`import pynn as torch` (pynn is the autograd here). The run trains it next to the
same model without the override, started from the same weights: the custom step
must give the compiled loop's numbers. 960 samples (30 batches of 32) in place of
1000, so that the guide's per-batch loss tracker and fit's per-sample mean agree."""
import os

# This guide can only be run with the torch backend.
os.environ["KERAS_BACKEND"] = "torch"

import torch
import keras
from keras import layers
import numpy as np


class CustomModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        # Call torch.nn.Module.zero_grad() to clear the leftover gradients
        # for the weights from the previous train step.
        self.zero_grad()

        # Compute loss
        y_pred = self(x, training=True)  # Forward pass
        loss = self.compute_loss(y=y, y_pred=y_pred)

        # Call torch.Tensor.backward() on the loss to compute gradients
        # for the weights.
        loss.backward()

        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]

        # Update weights
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)

        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)

        # Return a dict mapping metric names to current value
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


def data():
    rng = np.random.default_rng(0)
    x = rng.random((960, 32))
    y = rng.random((960, 1))
    return x, y


def build(model_class=CustomModel):
    # Construct and compile an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = model_class(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def run(model, data, tmpdir):
    x, y = data
    initial = model.get_weights()
    out = {}
    # Just use `fit` as usual
    out["history"] = model.fit(x, y, epochs=3, shuffle=False, verbose=0).history
    out["weights"] = model.get_weights()
    plain = build(keras.Model)
    plain.set_weights(initial)
    out["plain_history"] = plain.fit(x, y, epochs=3, shuffle=False, verbose=0).history
    out["plain_weights"] = plain.get_weights()
    return out


def check(out):
    h, plain = out["history"], out["plain_history"]
    assert sorted(h) == ["loss", "mae"]
    assert h["loss"][0] > h["loss"][1] > h["loss"][2]  # it learns
    # the custom train_step is the default step written out: the compiled loop's numbers
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h[key], plain[key], rtol=1e-5, atol=1e-7)
    for a, b in zip(out["weights"], out["plain_weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
