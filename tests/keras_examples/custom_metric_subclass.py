"""keras.io's "Training & evaluation with the built-in methods", section "Custom metrics"
(https://keras.io/guides/training_with_built_in_methods/#custom-metrics), Keras 3
version, on the 8x8 digits in place of MNIST: the CategoricalTruePositives
subclass of keras.metrics.Metric (add_variable, update_state with keras.ops,
result, reset_state) compiled into a model next to a built-in metric, trained with
fit and measured with evaluate; then the same metric standalone.

Side by side with Keras, the training-side count is left out: the guide's result()
returns the variable itself, and Keras 3 (torch backend) puts that object in the
epoch's logs before the validation pass resets and refills it, so Keras' history
shows the validation count under both keys (233, 278, 304 both ways in one run).
pynn logs the training count. The validation counts, the loss and accuracy
histories and evaluate agree."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16
    # labels as a column, (n, 1): y_true and the reshaped argmax then compare sample by sample
    return (x_train, y_train.astype("float32")[:, None]), (x_test, y_test.astype("float32")[:, None])


def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def build():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives(), "sparse_categorical_accuracy"],
    )
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {}
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x_test, y_test))
    out["history"] = {k: v for k, v in history.history.items()
                      if k != "categorical_true_positives"}
    out["train_true_positives"] = history.history["categorical_true_positives"]
    out["evaluate"] = model.evaluate(x_test, y_test, batch_size=100, verbose=0, return_dict=True)
    probs = model.predict(x_test, verbose=0)
    m = CategoricalTruePositives()
    m.update_state(y_test[:200], probs[:200])
    m.update_state(y_test[200:], probs[200:])
    out["standalone"] = float(ops.convert_to_numpy(m.result()))
    m.reset_state()
    out["after_reset"] = float(ops.convert_to_numpy(m.result()))
    out["true_count"] = float(np.sum(np.argmax(probs, axis=1) == y_test[:, 0]))
    out["n_train"], out["n_test"] = len(x_train), len(x_test)
    return out


PARITY_KEYS = ["history", "evaluate", "standalone", "after_reset", "true_count"]


def check(out):
    h = dict(out["history"], categorical_true_positives=out["train_true_positives"])
    assert sorted(h) == ["categorical_true_positives", "loss", "sparse_categorical_accuracy",
                         "val_categorical_true_positives", "val_loss",
                         "val_sparse_categorical_accuracy"]
    # a count over the epoch's samples: accuracy times the number of samples
    for key, n in (("", out["n_train"]), ("val_", out["n_test"])):
        np.testing.assert_allclose(h[key + "categorical_true_positives"],
                                   np.array(h[key + "sparse_categorical_accuracy"]) * n,
                                   rtol=1e-6)
    assert h["categorical_true_positives"][-1] > 0.8 * out["n_train"]  # it learned
    # evaluate counts the test set; the standalone metric over two batches says the same
    assert out["evaluate"]["categorical_true_positives"] == out["true_count"]
    assert out["standalone"] == out["true_count"] and out["after_reset"] == 0.0
