"""keras.io's "Structured data learning with Wide, Deep, and Cross networks"
(https://keras.io/examples/structured_data/wide_deep_cross_networks/, source
https://github.com/keras-team/keras-io/blob/master/examples/structured_data/wide_deep_cross_networks.py,
"Last modified: 2025/01/03", Keras 3).

Kept as published: a dict of named scalar Inputs (float32 for the numeric features,
dtype="string" for the categorical ones), encode_inputs (StringLookup(vocabulary,
mask_token=None, num_oov_indices=0) with output_mode="binary" on
keras.ops.expand_dims(...) for the wide / sparse representation, or "int" followed by
an Embedding of int(sqrt(len(vocabulary))) dims for the deep / dense one; numeric
features through keras.ops.expand_dims; layers.concatenate), the baseline
(Dense / BatchNormalization / ReLU / Dropout blocks, softmax Dense), the Wide & Deep
model (BatchNormalization on the wide part, concatenated with the deep part) and the
Deep & Cross model (cross = x0 * x + cross with Dense(units = cross.shape[-1]), on
symbolic tensors), run_experiment's compile (Adam(0.001), SparseCategoricalCrossentropy,
SparseCategoricalAccuracy), one epoch of fit in batches of 265 and evaluate.

Changed: the Covertype download (7 cover types from 10 numeric and 2 categorical
columns) is replaced by the bundled UCI Adult rows (income above 50K: 2 classes, from
6 numeric and 8 categorical columns), with the vocabularies taken, as in the
tutorial, from `data_frame[name].unique()` (the tutorial's
DataFrame `data` is named data_frame: `data` is the harness's function); the 85/15 split is a seeded permutation; the
tf.data make_csv_dataset pipeline is replaced by dicts of NumPy columns (the numeric
ones scaled by their training maximum, which the csv reader does not do, so one epoch
learns); the line forcing the tensorflow backend and the plot_model calls are left
out. Keras 3 needs TensorFlow for StringLookup, so the comparison with Keras is
skipped where TensorFlow is absent."""
import math

import numpy as np
import pandas as pd

import keras
from keras import layers

from keras_examples._data import adult

KERAS_NEEDS_TENSORFLOW = True

TARGET_FEATURE_NAME = "income"
TARGET_FEATURE_LABELS = ["0", "1"]
NUMERIC_FEATURE_NAMES = ["age", "capital_gain", "capital_loss", "education_num", "fnlwgt",
                         "hours_per_week"]
CATEGORICAL_FEATURE_NAMES = ["education", "marital_status", "native_country", "occupation",
                             "race", "relationship", "sex", "workclass"]
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + CATEGORICAL_FEATURE_NAMES
NUM_CLASSES = len(TARGET_FEATURE_LABELS)

columns, target = adult(6000)
data_frame = pd.DataFrame(columns)
data_frame[TARGET_FEATURE_NAME] = target.astype("int64")
CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    name: list(data_frame[name].unique()) for name in CATEGORICAL_FEATURE_NAMES
}

learning_rate = 0.001
dropout_rate = 0.1
batch_size = 265
num_epochs = 1

hidden_units = [32, 32]


def data():
    order = np.random.default_rng(0).permutation(len(data_frame))
    n_train = int(0.85 * len(data_frame))
    train, test = data_frame.iloc[order[:n_train]], data_frame.iloc[order[n_train:]]
    scale = {name: float(train[name].max()) or 1.0 for name in NUMERIC_FEATURE_NAMES}

    def features(frame):
        out = {}
        for name in FEATURE_NAMES:
            if name in NUMERIC_FEATURE_NAMES:
                out[name] = (frame[name].to_numpy("float32") / scale[name]).astype("float32")
            else:
                out[name] = frame[name].to_numpy().astype(str)
        return out

    return (features(train), train[TARGET_FEATURE_NAME].to_numpy(),
            features(test), test[TARGET_FEATURE_NAME].to_numpy())


def run_experiment(model, arrays):
    x_train, y_train, x_test, y_test = arrays
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=num_epochs,
                        shuffle=False, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    return history.history, accuracy


def create_model_inputs():
    inputs = {}
    for feature_name in FEATURE_NAMES:
        if feature_name in NUMERIC_FEATURE_NAMES:
            inputs[feature_name] = layers.Input(
                name=feature_name, shape=(), dtype="float32"
            )
        else:
            inputs[feature_name] = layers.Input(
                name=feature_name, shape=(), dtype="string"
            )
    return inputs


def encode_inputs(inputs, use_embedding=False):
    encoded_features = []
    for feature_name in inputs:
        if feature_name in CATEGORICAL_FEATURE_NAMES:
            vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
            # Create a lookup to convert string values to an integer indices.
            # Since we are not using a mask token nor expecting any out of vocabulary
            # (oov) token, we set mask_token to None and  num_oov_indices to 0.
            lookup = layers.StringLookup(
                vocabulary=vocabulary,
                mask_token=None,
                num_oov_indices=0,
                output_mode="int" if use_embedding else "binary",
            )
            if use_embedding:
                # Convert the string input values into integer indices.
                encoded_feature = lookup(inputs[feature_name])
                embedding_dims = int(math.sqrt(len(vocabulary)))
                # Create an embedding layer with the specified dimensions.
                embedding = layers.Embedding(
                    input_dim=len(vocabulary), output_dim=embedding_dims
                )
                # Convert the index values to embedding representations.
                encoded_feature = embedding(encoded_feature)
            else:
                # Convert the string input values into a one hot encoding.
                encoded_feature = lookup(
                    keras.ops.expand_dims(inputs[feature_name], -1)
                )
        else:
            # Use the numerical features as-is.
            encoded_feature = keras.ops.expand_dims(inputs[feature_name], -1)

        encoded_features.append(encoded_feature)

    all_features = layers.concatenate(encoded_features)
    return all_features


def create_baseline_model():
    inputs = create_model_inputs()
    features = encode_inputs(inputs)

    for units in hidden_units:
        features = layers.Dense(units)(features)
        features = layers.BatchNormalization()(features)
        features = layers.ReLU()(features)
        features = layers.Dropout(dropout_rate)(features)

    outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(features)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def create_wide_and_deep_model():
    inputs = create_model_inputs()
    wide = encode_inputs(inputs)
    wide = layers.BatchNormalization()(wide)

    deep = encode_inputs(inputs, use_embedding=True)
    for units in hidden_units:
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(dropout_rate)(deep)

    merged = layers.concatenate([wide, deep])
    outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def create_deep_and_cross_model():
    inputs = create_model_inputs()
    x0 = encode_inputs(inputs, use_embedding=True)

    cross = x0
    for _ in hidden_units:
        units = cross.shape[-1]
        x = layers.Dense(units)(cross)
        cross = x0 * x + cross
    cross = layers.BatchNormalization()(cross)

    deep = x0
    for units in hidden_units:
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(dropout_rate)(deep)

    merged = layers.concatenate([cross, deep])
    outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def build():
    return create_deep_and_cross_model()


def _created(model, cls):
    """model's layers of class cls in the order the program created them (auto-names count up)."""
    def rank(layer):
        tail = layer.name.rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    return sorted([l for l in model.layers if type(l).__name__ == cls], key=rank)


def numpy_forward(kind, model, x):
    """The model's inference output recomputed in float64 NumPy from its weights: the
    one-hot / embedding encoding, Dense, BatchNormalization (moving statistics), ReLU, the
    cross layers x0 * x + cross, and the softmax."""
    dense = iter(_created(model, "Dense"))
    bns = iter(_created(model, "BatchNormalization"))
    embeddings = iter(_created(model, "Embedding"))

    def encode(use_embedding):
        parts = []
        for name in FEATURE_NAMES:
            if name in CATEGORICAL_FEATURE_NAMES:
                vocab = CATEGORICAL_FEATURES_WITH_VOCABULARY[name]
                idx = np.array([vocab.index(v) for v in x[name]])
                if use_embedding:
                    parts.append(next(embeddings).get_weights()[0][idx])
                else:
                    parts.append(np.eye(len(vocab))[idx])
            else:
                parts.append(x[name][:, None].astype(np.float64))
        return np.concatenate(parts, axis=1)

    def dense_(h):
        k, b = next(dense).get_weights()
        return h @ k + b

    def bn(h):
        gamma, beta, mean, var = next(bns).get_weights()
        return (h - mean) / np.sqrt(var + 1e-3) * gamma + beta

    def deep(h):
        for _ in hidden_units:
            h = np.maximum(bn(dense_(h)), 0)
        return h

    if kind == "baseline":
        merged = deep(encode(False))
    elif kind == "wide_and_deep":
        wide = bn(encode(False))
        merged = np.concatenate([wide, deep(encode(True))], axis=1)
    else:
        x0 = encode(True)
        cross = x0
        for _ in hidden_units:
            cross = x0 * dense_(cross) + cross
        cross = bn(cross)
        merged = np.concatenate([cross, deep(x0)], axis=1)
    logits = dense_(merged)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def run(deep_and_cross_model, arrays, tmpdir):
    out = {}
    x_test = arrays[2]
    for name, model in [("baseline", create_baseline_model()),
                        ("wide_and_deep", create_wide_and_deep_model()),
                        ("deep_and_cross", deep_and_cross_model)]:
        history, accuracy = run_experiment(model, arrays)
        out[name] = {"history": history, "accuracy": accuracy,
                     "predict": model.predict(x_test, verbose=0),
                     "numpy": numpy_forward(name, model, x_test)}
    out["y_test"] = arrays[3]
    return out


def check(out):
    majority = max(np.mean(out["y_test"]), 1 - np.mean(out["y_test"]))
    for name in ("baseline", "wide_and_deep", "deep_and_cross"):
        r = out[name]
        assert sorted(r["history"]) == ["loss", "sparse_categorical_accuracy"], name
        assert r["predict"].shape == (len(out["y_test"]), 2)
        # evaluate's accuracy is that of predict's probabilities
        assert abs(r["accuracy"] - np.mean(r["predict"].argmax(1) == out["y_test"])) < 1e-6
        # the trained model computes what its weights say (encoding, cross terms, BN, softmax)
        np.testing.assert_allclose(r["predict"], r["numpy"], rtol=1e-4, atol=1e-5, err_msg=name)
        assert np.isfinite(r["history"]["loss"]).all()
    # one epoch of 20 steps: the baseline has learned (the BN-heavier two have moving
    # statistics still far from the data's after 20 steps of momentum 0.99, as in Keras)
    assert out["baseline"]["accuracy"] > majority

