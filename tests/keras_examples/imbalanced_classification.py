"""keras.io's "Imbalanced classification: credit card fraud detection"
(https://keras.io/examples/structured_data/imbalanced_classification/), shrunk: the
features normalised with the training mean and std, the published MLP (Dense
relu, Dropout 0.3, sigmoid), the metrics FalseNegatives / FalsePositives /
TrueNegatives / TruePositives / Precision / Recall under short names, class_weight
from the class counts and a ModelCheckpoint per epoch. The Kaggle CSV is replaced
by a synthetic 5%-positive set. The model has Dropout, so Keras is compared on the
untrained evaluation (all six metrics) and the checkpoint files."""
import os

import numpy as np

import keras

PARITY_KEYS = ["untrained", "checkpoints"]


def data():
    rng = np.random.default_rng(11)
    n = 1200
    features = rng.normal(size=(n, 10)).astype("float32") * 3.0 + 5.0
    score = features[:, 0] - features[:, 1] + 0.5 * rng.normal(size=n) * 3.0
    targets = (score > np.quantile(score, 0.95)).astype("float32")[:, None]
    num_val_samples = int(len(features) * 0.2)
    train_features, val_features = features[:-num_val_samples], features[-num_val_samples:]
    train_targets, val_targets = targets[:-num_val_samples], targets[-num_val_samples:]
    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std
    return (train_features, train_targets), (val_features, val_targets)


def build():
    (train_features, _), _ = data()
    model = keras.Sequential(
        [
            keras.Input(shape=train_features.shape[1:]),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=metrics)
    return model


def run(model, data, tmpdir):
    (train_features, train_targets), (val_features, val_targets) = data
    counts = np.bincount(train_targets[:, 0].astype("int64"))
    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]
    untrained = model.evaluate(val_features, val_targets, verbose=0, return_dict=True)
    callbacks = [keras.callbacks.ModelCheckpoint(
        os.path.join(tmpdir, "fraud_model_at_epoch_{epoch}.keras"))]
    class_weight = {0: weight_for_0, 1: weight_for_1}
    history = model.fit(train_features, train_targets, batch_size=128, epochs=12, verbose=0,
                        callbacks=callbacks, validation_data=(val_features, val_targets),
                        class_weight=class_weight)
    return {"untrained": untrained, "history": history.history,
            "checkpoints": sorted(f for f in os.listdir(tmpdir) if f.endswith(".keras")),
            "evaluate": model.evaluate(val_features, val_targets, verbose=0, return_dict=True),
            "predict": model.predict(val_features, verbose=0)}


def check(out):
    _, (val_features, val_targets) = data()
    res, p = out["evaluate"], out["predict"]
    pred, truth = p > 0.5, val_targets > 0.5
    assert res["tp"] == np.sum(pred & truth) and res["fp"] == np.sum(pred & ~truth)
    assert res["tn"] == np.sum(~pred & ~truth) and res["fn"] == np.sum(~pred & truth)
    assert res["tp"] + res["fp"] + res["tn"] + res["fn"] == len(val_targets)
    np.testing.assert_allclose(res["recall"], res["tp"] / (res["tp"] + res["fn"]), rtol=1e-6)
    # class weights make the rare class count: most frauds are caught
    assert res["recall"] > 0.6
    assert len(out["checkpoints"]) == 12
