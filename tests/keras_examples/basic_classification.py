"""TensorFlow's "Basic classification: Classify images of clothing"
(https://www.tensorflow.org/tutorials/keras/classification) on the first 3,000
training and 1,000 test images of Fashion-MNIST (Debian's copy): pixels / 255,
Flatten(input_shape=(28, 28)), Dense(128, relu), Dense(10) logits, Adam,
SparseCategoricalCrossentropy(from_logits=True), "accuracy", evaluate, then the
probability_model = Sequential([model, Softmax()]) and a single-image prediction.
Batches are taken in order (shuffle=False) so that Keras' and pynn's runs see the
same batches."""
import numpy as np

import keras

from keras_examples._data import fashion_mnist

# Adam's step is lr·m/(sqrt(v)+ε): for the many weights of faint pixels, whose gradients are
# ~1e-7..1e-6, float32 rounding changes the step itself (each library is within 5e-7 of a
# float64 reference of the first step, but not of each other). Over 282 steps single weights
# and logits drift apart (up to ~0.5 for some initial weights), so only the losses and
# accuracies, averages over thousands of images, are compared, to 1%.
PARITY_KEYS = ["history", "test_loss", "test_acc"]
PARITY_TOL = (1e-2, 1e-2)

class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def data():
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist(3000, 1000)
    train_images = train_images / 255.0
    test_images = test_images / 255.0
    return train_images, train_labels, test_images, test_labels


def build():
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10)
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    train_images, train_labels, test_images, test_labels = data
    history = model.fit(train_images, train_labels, epochs=3, shuffle=False, verbose=0)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
    probability_model = keras.Sequential([model, keras.layers.Softmax()])
    predictions = probability_model.predict(test_images, verbose=0)
    # Grab an image from the test dataset, add it to a batch where it's the only member
    img = np.expand_dims(test_images[1], 0)
    predictions_single = probability_model.predict(img, verbose=0)
    return {"history": history.history, "test_loss": test_loss, "test_acc": test_acc,
            "predictions": predictions[:20], "predicted_labels": np.argmax(predictions, axis=1),
            "predictions_single": predictions_single,
            "logits": model.predict(test_images[:20], verbose=0),
            "weights": model.get_weights()}


def check(out):
    _, _, _, test_labels = data()
    assert out["test_acc"] > 0.75                      # the tutorial reports ~0.88 on 60,000
    np.testing.assert_allclose(out["test_acc"], np.mean(out["predicted_labels"] == test_labels))
    logits = out["logits"]
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(out["predictions"], softmax / softmax.sum(1, keepdims=True),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out["predictions_single"][0], out["predictions"][1], rtol=1e-5)
    assert class_names[np.argmax(out["predictions_single"][0])] == class_names[test_labels[1]]
