"""keras.io's "Training & evaluation with the built-in methods", section "Passing data
to multi-input, multi-output models"
(https://keras.io/guides/training_with_built_in_methods/#passing-data-to-multiinput-multioutput-models),
Keras 3 version, shrunk: an image input (Conv2D, GlobalMaxPooling2D) and a
variable-length timeseries input (shape (None, 10): Conv1D, GlobalMaxPooling1D)
concatenated into a score output and a 5-class output; losses, metrics and
loss_weights given as dicts keyed by output name; fit on a dict of inputs and a
dict of targets keyed by the Inputs' and outputs' names; evaluate with sequences of
another length; then the losses as a list."""
import numpy as np

import keras
from keras import layers


def data():
    rng = np.random.default_rng(2)
    img_data = rng.random(size=(100, 12, 12, 3)).astype("float32")
    ts_data = rng.random(size=(100, 20, 10)).astype("float32")
    score_targets = rng.random(size=(100, 1)).astype("float32")
    class_targets = np.eye(5, dtype="float32")[rng.integers(0, 5, size=100)]
    return img_data, ts_data, score_targets, class_targets


def get_model():
    image_input = keras.Input(shape=(12, 12, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    model = keras.Model(
        inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
    )
    return model


def build():
    model = get_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    return model


PARITY_TOL = (1e-3, 1e-5)  # 8 RMSprop steps through max-pooling


def run(model, data, tmpdir):
    img_data, ts_data, score_targets, class_targets = data
    initial = model.get_weights()
    out = {}
    history = model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    out["history"] = history.history
    out["evaluate"] = model.evaluate(
        {"img_input": img_data, "ts_input": ts_data[:, :13]},  # any number of steps
        {"score_output": score_targets, "class_output": class_targets},
        verbose=0, return_dict=True,
    )
    out["weights"] = model.get_weights()

    # List loss version
    model = get_model()
    model.set_weights(initial)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
    )
    out["list_losses"] = model.fit([img_data, ts_data], [score_targets, class_targets],
                                   batch_size=32, epochs=1, shuffle=False, verbose=0).history
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["class_output_categorical_accuracy", "class_output_loss", "loss",
                         "score_output_loss", "score_output_mean_absolute_error",
                         "score_output_mean_absolute_percentage_error"]
    # the total is the weighted sum of the per-output losses (plus nothing else here)
    np.testing.assert_allclose(h["loss"], 2.0 * np.array(h["score_output_loss"])
                               + np.array(h["class_output_loss"]), rtol=1e-5)
    e = out["evaluate"]
    np.testing.assert_allclose(e["loss"], 2.0 * e["score_output_loss"] + e["class_output_loss"],
                               rtol=1e-5)
    lh = out["list_losses"]
    np.testing.assert_allclose(lh["loss"], np.array(lh["score_output_loss"])
                               + np.array(lh["class_output_loss"]), rtol=1e-5)
