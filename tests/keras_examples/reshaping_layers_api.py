"""The usage examples of keras.io's layer reference pages, assembled into one
trained model: TimeDistributed(Conv2D) over a sequence of images
(https://keras.io/api/layers/recurrent_layers/time_distributed/), Permute((2, 1))
(https://keras.io/api/layers/reshaping_layers/permute/), RepeatVector
(https://keras.io/api/layers/reshaping_layers/repeat_vector/) and
Lambda(lambda x: x ** 2) (https://keras.io/api/layers/core_layers/lambda/), each
with the output shape its page shows, then a small classifier of short "videos"
built from them and trained."""
import numpy as np

import keras


def shapes():
    inputs = keras.Input(shape=(10, 12, 12, 3))
    conv_2d_layer = keras.layers.Conv2D(4, (3, 3))
    time_distributed = keras.layers.TimeDistributed(conv_2d_layer)(inputs)
    x = keras.Input(shape=(10, 64))
    permuted = keras.layers.Permute((2, 1))(x)
    v = keras.Input(shape=(32,))
    repeated = keras.layers.RepeatVector(3)(v)
    model = keras.Sequential()
    model.add(keras.Input(shape=(16,)))
    model.add(keras.layers.Lambda(lambda x: x ** 2))
    return [list(time_distributed.shape), list(permuted.shape), list(repeated.shape),
            list(model.output_shape)]


def data():
    rng = np.random.default_rng(21)
    videos = rng.normal(size=(64, 4, 6, 6, 1)).astype("float32")
    # label: is the bright blob in the later frames brighter than in the early ones?
    labels = (videos[:, 2:, 2:4, 2:4].mean(axis=(1, 2, 3, 4)) >
              videos[:, :2, 2:4, 2:4].mean(axis=(1, 2, 3, 4))).astype("float32")
    return videos, labels


def build():
    inputs = keras.Input(shape=(4, 6, 6, 1))
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(3, (3, 3), activation="tanh"))(inputs)
    x = keras.layers.TimeDistributed(keras.layers.Flatten())(x)   # (4, 48)
    x = keras.layers.Permute((2, 1))(x)                           # (48, 4)
    x = keras.layers.Lambda(lambda t: t * 0.5)(x)
    x = keras.layers.Permute((2, 1))(x)                           # (4, 48)
    x = keras.layers.LSTM(8)(x)
    x = keras.layers.RepeatVector(2)(x)                           # (2, 8)
    x = keras.layers.TimeDistributed(keras.layers.Dense(4, activation="relu"))(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    videos, labels = data
    history = model.fit(videos, labels, batch_size=16, epochs=6, shuffle=False, verbose=0)
    return {"shapes": shapes(), "history": history.history,
            "predict": model.predict(videos[:8], verbose=0), "weights": model.get_weights()}


PARITY_TOL = (1e-3, 1e-5)  # 24 Adam steps through convolutions and an LSTM


def check(out):
    assert out["shapes"] == [[None, 10, 10, 10, 4], [None, 64, 10], [None, 3, 32], [None, 16]]
    # one Conv2D kernel for all frames, one Dense for both repeats: TimeDistributed shares
    assert [list(w.shape) for w in out["weights"][:2]] == [[3, 3, 1, 3], [3]]
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
