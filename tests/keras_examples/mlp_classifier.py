"""Sequential MLP classifier: SGD with momentum, sparse labels, "accuracy",
validation_split, evaluate and predict."""
import numpy as np


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 20)).astype("float32")
    w = rng.normal(size=(20, 3))
    y = np.argmax(x @ w + 0.5 * rng.normal(size=(200, 3)), axis=1)
    return x, y


def build(keras):
    model = keras.Sequential([
        keras.Input(shape=(20,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="tanh"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(keras, model, data, tmpdir):
    x, y = data
    history = model.fit(x, y, batch_size=32, epochs=4, validation_split=0.2, shuffle=False,
                        verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, verbose=0),
            "evaluate_dict": model.evaluate(x, y, verbose=0, return_dict=True),
            "predict": model.predict(x[:10], verbose=0),
            "weights": model.get_weights()}


if __name__ == "__main__":
    from tests.keras_examples._main import main
    main(__name__)
