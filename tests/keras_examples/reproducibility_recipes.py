"""keras.io's "Reproducibility in Keras Models"
(https://keras.io/examples/keras_recipes/reproducibility_recipes/), on the 8x8 digits
instead of MNIST resized to 32x32 (arrays instead of tf.data, whose determinism switch
is TensorFlow's), 3 epochs of batches of 32, the last Conv2D 2x2. The recipe calls each initializer directly:
`float(initializer(seed=42)(shape=(1, 1)))` needs a tensor back, as Keras returns (pynn
returned a NumPy array, which float() refuses for a (1, 1) array), then compares two
seeded GlorotNormal draws with np.allclose, then trains the same model twice after
keras.utils.set_random_seed and finds the same history. The random values themselves
are each library's own, so the comparison with Keras covers what the recipe prints
about them (equal or not), the shapes and the history's keys."""
import json
import os

import numpy as np

import keras
from keras import layers
from keras import initializers

from keras_examples._data import digits

PARITY_KEYS = ["count_params", "same_seed_repeats", "seeded_equal", "unseeded_equal", "shapes", "history_keys",
               "rerun_equal"]

initializers_list = [
    initializers.RandomNormal,
    initializers.RandomUniform,
    initializers.TruncatedNormal,
    initializers.VarianceScaling,
    initializers.GlorotNormal,
    initializers.GlorotUniform,
    initializers.HeNormal,
    initializers.HeUniform,
    initializers.LecunNormal,
    initializers.LecunUniform,
    initializers.Orthogonal,
]


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    prepare = lambda x: np.expand_dims(x.astype("float32") / 16.0, axis=-1)  # noqa: E731
    return (prepare(x_train), y_train), (prepare(x_test), y_test)


def make_model():
    return keras.Sequential(
        [
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.2),
            layers.Conv2D(32, (2, 2), activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


def train_model(train_data, test_data) -> dict:
    model = make_model()
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    history = model.fit(*train_data, batch_size=32, epochs=3, validation_data=test_data,
                        verbose=0)
    accuracy = model.evaluate(*test_data, verbose=0)[1]
    return history.history, accuracy


def build():
    model = make_model()  # (the recipe trains new ones, after seeding)
    model.build((None, 8, 8, 1))
    return model


def run(model, data, tmpdir):
    out = {"count_params": model.count_params()}
    keras.utils.set_random_seed(812)
    repeats = []
    for initializer in initializers_list:
        results = []
        for iteration in range(2):
            # In order to get same results across multiple runs from an initializer,
            # you can specify a seed value.
            result = float(initializer(seed=42)(shape=(1, 1)))
            results.append(result)
        repeats.append(results[0] == results[1])
    out["same_seed_repeats"] = repeats

    glorot_normal_1 = keras.initializers.GlorotNormal(seed=42)
    glorot_normal_2 = keras.initializers.GlorotNormal(seed=42)
    input_dim, neurons = 3, 5
    result_1 = glorot_normal_1(shape=(input_dim, neurons))
    result_2 = glorot_normal_2(shape=(input_dim, neurons))
    out["seeded_equal"] = bool(np.allclose(result_1, result_2))

    glorot_normal_3 = keras.initializers.GlorotNormal()
    glorot_normal_4 = keras.initializers.GlorotNormal()
    result_3 = glorot_normal_3(shape=(input_dim, neurons))
    result_4 = glorot_normal_4(shape=(input_dim, neurons))
    out["unseeded_equal"] = bool(np.allclose(result_3, result_4))
    out["shapes"] = [list(result_1.shape), list(result_3.shape)]
    out["std"] = float(np.std(keras.ops.convert_to_numpy(
        keras.initializers.GlorotNormal(seed=1)(shape=(200, 200)))))

    train_data, test_data = data
    keras.utils.set_random_seed(812)
    history, accuracy = train_model(train_data, test_data)
    with open(os.path.join(tmpdir, "history.json"), "w") as fp:
        json.dump(history, fp)
    keras.utils.set_random_seed(812)
    history_again, _ = train_model(train_data, test_data)
    with open(os.path.join(tmpdir, "history.json"), "r") as fp:
        history_loaded = json.load(fp)
    out["rerun_equal"] = all(np.allclose(history_again[key][i], history_loaded[key][i])
                             for key in history for i in range(len(history[key])))
    out["history_keys"] = sorted(history)
    out["history"] = history
    out["accuracy"] = accuracy
    return out


def check(out):
    assert all(out["same_seed_repeats"])
    assert out["seeded_equal"] and not out["unseeded_equal"]
    assert abs(out["std"] - np.sqrt(2 / 400)) < 0.1 * np.sqrt(2 / 400)  # truncated normal
    assert out["rerun_equal"]
    assert out["history"]["loss"][-1] < out["history"]["loss"][0]
    assert out["accuracy"] > 0.3  # three short epochs; chance is 0.1
