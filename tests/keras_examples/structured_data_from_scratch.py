"""keras.io's "Structured data classification from scratch"
(https://keras.io/examples/structured_data/structured_data_classification_from_scratch/,
the version with StringLookup / IntegerLookup / Normalization inside the model),
with two encodings from the "Working with preprocessing layers" guide
(https://keras.io/guides/preprocessing_layers/): Discretization of a numerical
feature into one-hot bins, and the hashing trick (Hashing + CategoryEncoding) for
a categorical feature with many values. The heart-disease CSV is replaced by
pynn's bundled UCI Adult census rows (no download), and the tutorial's tf.data
feature datasets by the NumPy columns; Keras 2's output_mode="binary" is Keras 3's
"multi_hot". The model takes a dict of raw columns — strings, integers, floats —
and predicts for one new person given as a dict, as the tutorial ends."""
import numpy as np

import keras
from keras import layers
from keras.layers import (CategoryEncoding, Discretization, Hashing, IntegerLookup,
                          Normalization, StringLookup)

from keras_examples._data import adult

KERAS_NEEDS_TENSORFLOW = True
PARITY_KEYS = ["vocabularies"]  # Dropout masks differ between the libraries


def data():
    x, y = adult(3000)
    train = {k: v[:2400] for k, v in x.items()}
    val = {k: v[2400:] for k, v in x.items()}
    return train, y[:2400], val, y[2400:]


def encode_numerical_feature(feature, name, dataset):
    # Create a Normalization layer for our feature
    normalizer = Normalization()
    # Learn the statistics of the data
    normalizer.adapt(dataset[name][:, None].astype("float32"))
    # Normalize the input feature
    encoded_feature = normalizer(feature)
    return encoded_feature


def encode_categorical_feature(feature, name, dataset, is_string):
    lookup_class = StringLookup if is_string else IntegerLookup
    # Create a lookup layer which will turn strings into integer indices
    lookup = lookup_class(output_mode="multi_hot")
    # Learn the set of possible string values and assign them a fixed integer index
    lookup.adapt(dataset[name][:, None])
    # Turn the string input into integer indices
    encoded_feature = lookup(feature)
    return encoded_feature


def build():
    train, _, _, _ = data()
    # Categorical features encoded as integers
    education_num = keras.Input(shape=(1,), name="education_num", dtype="int64")
    # Categorical features encoded as strings
    sex = keras.Input(shape=(1,), name="sex", dtype="string")
    relationship = keras.Input(shape=(1,), name="relationship", dtype="string")
    occupation = keras.Input(shape=(1,), name="occupation", dtype="string")
    native_country = keras.Input(shape=(1,), name="native_country", dtype="string")
    # Numerical features
    age = keras.Input(shape=(1,), name="age")
    hours_per_week = keras.Input(shape=(1,), name="hours_per_week")
    capital_gain = keras.Input(shape=(1,), name="capital_gain")
    all_inputs = [education_num, sex, relationship, occupation, native_country, age,
                  hours_per_week, capital_gain]

    # Integer categorical features
    education_num_encoded = encode_categorical_feature(education_num, "education_num", train,
                                                       False)
    # String categorical features
    sex_encoded = encode_categorical_feature(sex, "sex", train, True)
    relationship_encoded = encode_categorical_feature(relationship, "relationship", train, True)
    occupation_encoded = encode_categorical_feature(occupation, "occupation", train, True)
    # The hashing trick (preprocessing guide): 41 countries into 16 bins
    hashing = Hashing(num_bins=16)
    native_country_encoded = CategoryEncoding(num_tokens=16, output_mode="one_hot")(
        hashing(native_country))
    # Numerical features: age in quantile bins (preprocessing guide), the others normalized
    discretize = Discretization(num_bins=8)
    discretize.adapt(train["age"].astype("float32"))
    age_encoded = CategoryEncoding(num_tokens=8, output_mode="one_hot")(discretize(age))
    hours_per_week_encoded = encode_numerical_feature(hours_per_week, "hours_per_week", train)
    capital_gain_encoded = encode_numerical_feature(capital_gain, "capital_gain", train)

    all_features = layers.concatenate([education_num_encoded, sex_encoded, relationship_encoded,
                                       occupation_encoded, native_country_encoded, age_encoded,
                                       hours_per_week_encoded, capital_gain_encoded])
    x = layers.Dense(32, activation="relu")(all_features)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(all_inputs, output)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


COLUMNS = ["education_num", "sex", "relationship", "occupation", "native_country", "age",
           "hours_per_week", "capital_gain"]


def run(model, data, tmpdir):
    train, y_train, val, y_val = data
    train = {k: train[k][:, None] for k in COLUMNS}
    val = {k: val[k][:, None] for k in COLUMNS}
    history = model.fit(train, y_train, epochs=15, batch_size=32, validation_data=(val, y_val),
                        verbose=0)
    sample = {"education_num": 13, "sex": "Male", "relationship": "Husband",
              "occupation": "Exec-managerial", "native_country": "United-States", "age": 45.0,
              "hours_per_week": 50.0, "capital_gain": 15000.0}
    other = {"education_num": 9, "sex": "Female", "relationship": "Own-child",
             "occupation": "Other-service", "native_country": "Mexico", "age": 19.0,
             "hours_per_week": 20.0, "capital_gain": 0.0}
    input_dict = {name: np.array([[sample[name]], [other[name]]]) for name in COLUMNS}
    predictions = model.predict(input_dict, verbose=0)
    # what adapt() learned: the vocabularies, in the model's layer order
    vocabularies = [layer.get_vocabulary() for layer in model.layers
                    if isinstance(layer, (StringLookup, IntegerLookup))]
    return {"vocabularies": [[str(t) for t in v] for v in vocabularies],
            "history": history.history,
            "evaluate": model.evaluate(val, y_val, verbose=0),
            "predictions": np.asarray(predictions)}


def check(out):
    sexes = [v for v in out["vocabularies"] if sorted(v) == ["Female", "Male", "[UNK]"]]
    assert sexes == [["[UNK]", "Male", "Female"]]  # by falling count: more men in the rows
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["evaluate"][1] > 0.8  # 76 % of these people earn <= 50K: it beats the base rate
    p = out["predictions"]
    assert p.shape == (2, 1) and p[0, 0] > 0.5 > p[1, 0]  # the executive, not the teenager
