"""keras.io's "Customizing what happens in fit() with PyTorch"
(https://keras.io/guides/custom_train_step_in_torch/), "Supporting sample_weight
& class_weight": the custom train_step unpacks (x, y, sample_weight) when fit is
given sample weights and passes them to compute_loss and the metrics. The class is
the guide's, unchanged; `import torch` is ported to `import pynn as torch`. The
run trains it next to the plain compiled model with the same sample weights, from
the same weights (960 samples, 30 batches of 32, in place of 1000), and once
without sample weights, where the step gets (x, y)."""
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
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data

        # Call torch.nn.Module.zero_grad() to clear the leftover gradients
        # for the weights from the previous train step.
        self.zero_grad()

        # Compute loss
        y_pred = self(x, training=True)  # Forward pass
        loss = self.compute_loss(
            y=y,
            y_pred=y_pred,
            sample_weight=sample_weight,
        )

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
                metric.update_state(y, y_pred, sample_weight=sample_weight)

        # Return a dict mapping metric names to current value
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


def data():
    rng = np.random.default_rng(2)
    x = rng.random((960, 32))
    y = rng.random((960, 1))
    sw = rng.random((960, 1))
    return x, y, sw


def build(model_class=CustomModel):
    # Construct and compile an instance of CustomModel
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = model_class(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def run(model, data, tmpdir):
    x, y, sw = data
    initial = model.get_weights()
    out = {}
    # You can now use sample_weight argument
    out["history"] = model.fit(x, y, sample_weight=sw, epochs=3, shuffle=False,
                               verbose=0).history
    out["weights"] = model.get_weights()
    plain = build(keras.Model)
    plain.set_weights(initial)
    out["plain_history"] = plain.fit(x, y, sample_weight=sw, epochs=3, shuffle=False,
                                     verbose=0).history
    unweighted = build()
    unweighted.set_weights(initial)
    out["unweighted_history"] = unweighted.fit(x, y, epochs=3, shuffle=False, verbose=0).history
    return out


def check(out):
    h, plain, unweighted = out["history"], out["plain_history"], out["unweighted_history"]
    assert sorted(h) == ["loss", "mae"]
    assert all(a > b for a, b in zip(h["loss"], h["loss"][1:]))  # it learns
    # the compiled loop's numbers with the same sample weights; "mae", compiled in `metrics`
    # (not `weighted_metrics`), ignores them in both, as in Keras
    for key in ("loss", "mae"):
        np.testing.assert_allclose(h[key], plain[key], rtol=1e-5, atol=1e-7)
    # ... and the weights matter: without them the step sees (x, y) and trains otherwise
    assert abs(unweighted["loss"][0] - h["loss"][0]) > 1e-3
