"""Embedding + LSTM text classifier on integer token sequences, binary sigmoid
output, RMSprop, binary_crossentropy with "accuracy"."""
import numpy as np


def data():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 50, size=(96, 12))
    y = ((x < 10).sum(axis=1) > 1).astype("float32")
    return x, y


def build(keras):
    model = keras.Sequential([
        keras.Input(shape=(12,)),
        keras.layers.Embedding(50, 8),
        keras.layers.LSTM(16),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run(keras, model, data, tmpdir):
    x, y = data
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:32], y[:32]))
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, verbose=0),
            "predict": model.predict(x[:8], verbose=0),
            "weights": model.get_weights()}


if __name__ == "__main__":
    from tests.keras_examples._main import main
    main(__name__)
