"""A binary classifier with the metrics and weighting of
https://keras.io/guides/training_with_built_in_methods/ and
https://www.tensorflow.org/tutorials/structured_data/imbalanced_data:
AUC / Precision / Recall objects, weighted_metrics=["accuracy"],
class_weight, then train_on_batch and evaluate(return_dict=True)."""
import numpy as np

import keras
from keras import layers


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 6)).astype("float32")
    labels = (x[:, 0] + 0.3 * x[:, 1] > 0.4).astype("float32")
    return x, labels


def build():
    model = keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.03), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(), keras.metrics.Precision(),
                           keras.metrics.Recall()],
                  weighted_metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x, labels = data
    history = model.fit(x, labels, class_weight={0: 0.5, 1: 2.0}, batch_size=20, epochs=8,
                        shuffle=False, verbose=0)
    tob = [model.train_on_batch(x[:16], labels[:16]),
           model.train_on_batch(x[16:40], labels[16:40], return_dict=True)]
    return {"history": history.history, "train_on_batch": tob,
            "evaluate": model.evaluate(x, labels, verbose=0, return_dict=True),
            "predict": model.predict(x, verbose=0),
            "weights": model.get_weights()}


def check(out):
    x, labels = data()
    p = out["predict"][:, 0]
    res = out["evaluate"]
    assert sorted(res) == ["accuracy", "auc", "loss", "precision", "recall"]
    pred = p > 0.5
    tp = np.sum(pred & (labels == 1))
    np.testing.assert_allclose(res["precision"], tp / max(pred.sum(), 1), rtol=1e-6)
    np.testing.assert_allclose(res["recall"], tp / labels.sum(), rtol=1e-6)
    np.testing.assert_allclose(res["accuracy"], np.mean(pred == labels), rtol=1e-6)
    assert res["auc"] > 0.8
    assert sorted(out["train_on_batch"][1]) == sorted(res)
