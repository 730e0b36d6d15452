"""A small convnet on 12x12 RGB images: Conv2D / MaxPooling2D / BatchNormalization /
GlobalAveragePooling2D, categorical one-hot labels, Adam."""
import numpy as np


def data():
    rng = np.random.default_rng(1)
    # zero-mean pixels: with all-positive images a ReLU channel can stay linear everywhere,
    # and then its bias feeds BatchNormalization a constant, whose gradient is exactly zero
    # (float noise that Adam would amplify into different steps in any two libraries)
    x = rng.normal(size=(64, 12, 12, 3)).astype("float32")
    labels = (x[:, :6, :, 0].mean(axis=(1, 2)) > x[:, 6:, :, 1].mean(axis=(1, 2))).astype(int)
    labels = labels + (x[..., 2].mean(axis=(1, 2)) > 0.0)
    y = np.eye(3, dtype="float32")[labels]
    return x, y


def build(keras):
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 3)),
        keras.layers.Conv2D(8, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(8, (3, 3), strides=1, padding="valid", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(keras, model, data, tmpdir):
    x, y = data
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=16, verbose=0),
            "predict": model.predict(x[:8], verbose=0),
            "weights": model.get_weights()}


if __name__ == "__main__":
    from tests.keras_examples._main import main
    main(__name__)
