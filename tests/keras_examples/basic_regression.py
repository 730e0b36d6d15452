"""TensorFlow's "Basic regression: Predict fuel efficiency"
(https://www.tensorflow.org/tutorials/keras/regression), on scikit-learn's bundled
diabetes data instead of the downloaded Auto MPG: a Normalization layer adapted to
the training features, a one-feature linear model (Normalization(input_shape=[1,],
axis=None) + Dense(1), Adam(0.1)), the DNN (Normalization, two Dense(64, relu),
Dense(1)) trained on mean_absolute_error with validation_split=0.2, evaluate,
predict(...).flatten(), save and keras.models.load_model. Batches are taken in
order (shuffle=False) so that Keras' and pynn's runs see the same batches."""
import os

import numpy as np

import keras
from keras import layers

# mean_absolute_error's gradient is the sign of each residual: a residual within float32
# noise of zero takes either sign, and over 30 epochs single weights and predictions drift
# apart by ~1% (how far depends on the initial weights and even on which BLAS torch got); the
# losses, averages over many residuals, are compared, to 1% (they agree to 1e-4 in most runs)
PARITY_KEYS = ["normalizer", "bmi_untrained", "bmi_history", "bmi_test", "history",
               "test_results"]
PARITY_TOL = (1e-2, 1e-2)


def data():
    from sklearn.datasets import load_diabetes
    features, labels = load_diabetes(return_X_y=True)
    features = features * 10 + 3  # off-centre, so the Normalization has work to do
    labels = labels / 10          # ~15, on the scale of the tutorial's miles per gallon
    train_features, test_features = features[:350], features[350:]
    train_labels, test_labels = labels[:350], labels[350:]
    return train_features, train_labels, test_features, test_labels


def build_and_compile_model(norm):
    model = keras.Sequential([
        norm,
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1)
    ])
    model.compile(loss="mean_absolute_error", optimizer=keras.optimizers.Adam(0.001))
    return model


def build():
    train_features = data()[0]
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(np.array(train_features))
    dnn_model = build_and_compile_model(normalizer)
    dnn_model.build((None, train_features.shape[1]))  # so that its initial weights can be copied
    return dnn_model


def run(dnn_model, data, tmpdir):
    train_features, train_labels, test_features, test_labels = data
    out = {"normalizer": dnn_model.layers[0].get_weights()}

    bmi = np.array(train_features[:, 2])  # the tutorial's single feature: Horsepower
    bmi_normalizer = layers.Normalization(input_shape=[1,], axis=None)
    bmi_normalizer.adapt(bmi)
    bmi_model = keras.Sequential([bmi_normalizer, layers.Dense(units=1)])
    bmi_model.layers[1].set_weights([np.array([[0.5]]), np.array([0.0])])
    bmi_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1),
                      loss="mean_absolute_error")
    out["bmi_untrained"] = bmi_model.predict(bmi[:10], verbose=0)
    out["bmi_history"] = bmi_model.fit(train_features[:, 2], train_labels, epochs=20, verbose=0,
                                       validation_split=0.2, shuffle=False).history
    out["bmi_test"] = bmi_model.evaluate(test_features[:, 2], test_labels, verbose=0)

    history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0,
                            epochs=30, shuffle=False)
    out["history"] = history.history
    out["test_results"] = dnn_model.evaluate(test_features, test_labels, verbose=0)
    test_predictions = dnn_model.predict(test_features, verbose=0).flatten()
    out["test_predictions"] = test_predictions
    dnn_model.save(os.path.join(tmpdir, "dnn_model.keras"))
    reloaded = keras.models.load_model(os.path.join(tmpdir, "dnn_model.keras"))
    out["reloaded_predictions"] = reloaded.predict(test_features, verbose=0).flatten()
    out["weights"] = dnn_model.get_weights()
    return out


def check(out):
    train_features, train_labels, test_features, test_labels = data()
    mean, variance, count = out["normalizer"]
    np.testing.assert_allclose(mean, train_features.mean(0), rtol=1e-6)
    np.testing.assert_allclose(variance, train_features.var(0), rtol=1e-5)
    assert count == 0  # Keras 3 keeps this legacy slot at 0
    mae_of_mean = np.mean(np.abs(test_labels - train_labels.mean()))
    assert out["bmi_test"] < mae_of_mean                 # one feature already helps
    assert out["test_results"] < 0.85 * mae_of_mean       # ten features help more
    np.testing.assert_allclose(out["test_results"],
                               np.mean(np.abs(out["test_predictions"] - test_labels)), rtol=1e-5)
    np.testing.assert_array_equal(out["reloaded_predictions"], out["test_predictions"])
