"""A Sequential MLP classifier, the model most tf.keras tutorials begin with
(https://keras.io/guides/sequential_model/ and the fit/evaluate/predict calls of
https://keras.io/api/models/model_training_apis/): SGD with momentum, integer
labels with sparse_categorical_crossentropy, "accuracy", validation_split."""
import numpy as np

import keras
from keras import layers


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 20)).astype("float32")
    w = rng.normal(size=(20, 3))
    y = np.argmax(x @ w + 0.5 * rng.normal(size=(200, 3)), axis=1)
    return x, y


def build():
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="tanh"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    x, y = data
    history = model.fit(x, y, batch_size=32, epochs=4, validation_split=0.2, shuffle=False,
                        verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, verbose=0),
            "evaluate_dict": model.evaluate(x, y, verbose=0, return_dict=True),
            "predict": model.predict(x[:10], verbose=0),
            "weights": model.get_weights()}


def check(out):
    h = out["history"]
    assert sorted(h) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h["loss"][-1] < 0.7 * h["loss"][0]
    assert h["accuracy"][-1] > 0.8 and h["val_accuracy"][-1] > 0.6  # three classes: chance 1/3
    loss, acc = out["evaluate"]
    assert out["evaluate_dict"] == {"loss": loss, "accuracy": acc}
    np.testing.assert_allclose(out["predict"].sum(axis=1), 1.0, rtol=1e-5)
