"""Regression with a custom loss function written with `keras.ops`, per-sample
sample_weight, an L2 kernel regularizer and Adam with an ExponentialDecay schedule;
then a classifier trained with class_weight and train_on_batch."""
import numpy as np


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 2)) + 0.1 * rng.normal(size=(80, 2))).astype("float32")
    sw = rng.uniform(0.2, 2.0, size=80).astype("float32")
    labels = (x[:, 0] + 0.3 * x[:, 1] > 0.4).astype("float32")
    return x, y, sw, labels


def build(keras):
    def custom_loss(y_true, y_pred):
        d = keras.ops.subtract(y_pred, y_true)
        sq = keras.ops.square(d)
        return keras.ops.mean(keras.ops.sqrt(sq + 1.0) - 1.0, axis=-1)  # pseudo-Huber, per sample

    model = keras.Sequential([
        keras.Input(shape=(6,)),
        keras.layers.Dense(8, activation="elu",
                           kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.Dense(2),
    ])
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=0.05, decay_steps=3, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss=custom_loss,
                  metrics=["mae"])
    return model


def build_classifier(keras):
    model = keras.Sequential([
        keras.Input(shape=(6,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(), keras.metrics.Precision(),
                           keras.metrics.Recall()],
                  weighted_metrics=["accuracy"])
    return model


def run(keras, model, data, tmpdir):
    x, y, sw, labels = data
    history = model.fit(x, y, sample_weight=sw, batch_size=16, epochs=3, shuffle=False,
                        verbose=0)
    out = {"history": history.history,
           "evaluate": model.evaluate(x, y, sample_weight=sw, verbose=0),
           "weights": model.get_weights()}
    return out


def run_classifier(keras, model, data, tmpdir):
    x, y, sw, labels = data
    history = model.fit(x, labels, class_weight={0: 0.5, 1: 2.0}, batch_size=20, epochs=2,
                        shuffle=False, verbose=0)
    tob = [model.train_on_batch(x[:16], labels[:16]),
           model.train_on_batch(x[16:40], labels[16:40], return_dict=True)]
    return {"history": history.history, "train_on_batch": tob,
            "evaluate": model.evaluate(x, labels, verbose=0, return_dict=True),
            "predict": model.predict(x, verbose=0),
            "weights": model.get_weights()}


if __name__ == "__main__":
    from tests.keras_examples._main import main
    main(__name__)
