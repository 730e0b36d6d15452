"""keras.io's "The Functional API" (https://keras.io/guides/functional_api/),
shrunk: the ticket-routing model with three inputs (variable-length title and
body token sequences, binary tag vectors) and two outputs (priority logit,
department logits) — Embedding, LSTM, layers.concatenate, losses given per output
name with loss_weights, fit on dicts of arrays; a shared Embedding layer; and the
toy ResNet (Conv2D blocks joined with layers.add, GlobalAveragePooling2D,
Dropout) on 16x16 images with to_categorical labels and metrics=["acc"]. The
ResNet has Dropout, so only its untrained predictions are compared with Keras."""
import numpy as np

import keras
from keras import layers

num_tags = 12        # Number of unique issue tags
num_words = 100      # Size of vocabulary obtained when preprocessing text data
num_departments = 4  # Number of departments for predictions

PARITY_KEYS = ["history", "predictions", "weights", "shared_same", "resnet_params",
               "resnet_untrained", "resnet_history_keys"]


def data():
    rng = np.random.default_rng(9)
    # Dummy input data
    title_data = rng.integers(num_words, size=(128, 6))
    body_data = rng.integers(num_words, size=(128, 12))
    tags_data = rng.integers(2, size=(128, num_tags)).astype("float32")
    # Dummy target data
    priority_targets = rng.random(size=(128, 1))
    dept_targets = rng.integers(2, size=(128, num_departments))
    return title_data, body_data, tags_data, priority_targets, dept_targets


def build():
    title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
    body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
    tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`

    # Embed each word in the title into a 8-dimensional vector
    title_features = layers.Embedding(num_words, 8)(title_input)
    # Embed each word in the text into a 8-dimensional vector
    body_features = layers.Embedding(num_words, 8)(body_input)

    # Reduce sequence of embedded words in the title into a single 16-dimensional vector
    title_features = layers.LSTM(16)(title_features)
    # Reduce sequence of embedded words in the body into a single 4-dimensional vector
    body_features = layers.LSTM(4)(body_features)

    # Merge all available features into a single large vector via concatenation
    x = layers.concatenate([title_features, body_features, tags_input])

    # Stick a logistic regression for priority prediction on top of the features
    priority_pred = layers.Dense(1, name="priority")(x)
    # Stick a department classifier on top of the features
    department_pred = layers.Dense(num_departments, name="department")(x)

    # Instantiate an end-to-end model predicting both priority and department
    model = keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    return model


def toy_resnet():
    inputs = keras.Input(shape=(16, 16, 3), name="img")
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)

    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])

    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])

    x = layers.Conv2D(16, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def run(model, data, tmpdir):
    title_data, body_data, tags_data, priority_targets, dept_targets = data
    inputs = {"title": title_data, "body": body_data, "tags": tags_data}
    history = model.fit(
        inputs,
        {"priority": priority_targets, "department": dept_targets},
        epochs=2,
        batch_size=32,
        shuffle=False,
        verbose=0,
    )
    out = {"history": history.history,
           "predictions": model.predict(inputs, verbose=0),
           "weights": model.get_weights()}

    # Shared layers: one Embedding encodes two inputs
    shared_embedding = layers.Embedding(1000, 8)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    shared = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
    a, b = shared.predict([title_data[:4], title_data[:4]], verbose=0)
    out["shared_same"] = bool(np.array_equal(a, b)) and len(shared.weights) == 1

    resnet = toy_resnet()
    rng = np.random.default_rng(10)
    resnet.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                        for w in resnet.get_weights()])
    out["resnet_params"] = resnet.count_params()
    images = rng.random(size=(200, 16, 16, 3)).astype("float32")
    labels = keras.utils.to_categorical(rng.integers(0, 10, 200), 10)
    out["resnet_untrained"] = resnet.predict(images[:8], verbose=0)
    resnet.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    resnet_history = resnet.fit(images, labels, batch_size=64, epochs=1, validation_split=0.2,
                                verbose=0)
    out["resnet_history_keys"] = sorted(resnet_history.history)
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["department_loss", "loss", "priority_loss"]
    np.testing.assert_allclose(h["loss"], np.array(h["priority_loss"]) +
                               0.2 * np.array(h["department_loss"]), rtol=1e-5)
    priority, department = out["predictions"]
    assert priority.shape == (128, 1) and department.shape == (128, num_departments)
    assert out["shared_same"]
    assert out["resnet_history_keys"] == ["acc", "loss", "val_acc", "val_loss"]
    assert out["resnet_untrained"].shape == (8, 10)
