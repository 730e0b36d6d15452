"""keras.io's "Packaging Keras models for wide distribution using Functional Subclassing"
(https://keras.io/examples/keras_recipes/packaging_keras_models_for_wide_distribution/),
Keras 3: a keras.Model subclass whose __init__ builds a functional graph and hands it to
super().__init__(inputs=..., outputs=...); an unconstrained uint8 Input(shape=(None,
None, 1)) with Rescaling, strided Conv2D, GlobalAveragePooling2D, Dropout and a named
head; summary(), a recursive walk over model.layers, model surgery (model.input and
get_layer("classification_head").input spliced onto a new sigmoid head, trained on
"0" / "not 0" labels) and the same model taking a dict of inputs. Fashion-MNIST (the
first 2,048 training and 512 test images, same format as the tutorial's MNIST) from
Debian's package; the tutorial's tf.data streams are the arrays themselves (its
expand_dims and 0/1 relabelling done in NumPy), 3 epochs of 8 steps instead of 5 of
234. As the section "Unconstrained inputs" says, the model takes any image size: it
also predicts on 20x20 crops. Dropout masks differ between the libraries, so the
comparison with Keras covers the untrained models (28x28 and 20x20 predictions) and
the structure (parameter counts, the walk's layer count)."""
import io
from contextlib import redirect_stdout

import numpy as np

import keras

from keras_examples._data import fashion_mnist

PARITY_KEYS = ["params", "walked", "untrained_28", "untrained_20", "binary_untrained",
               "dict_untrained"]

BATCH_SIZE = 256
EPOCHS = 3  # the tutorial's 5


def data():
    (x_train, train_labels), (x_test, test_labels) = fashion_mnist(2048, 512)
    # the tutorial's tf.data map: 1-channel monochrome
    x_train, x_test = np.expand_dims(x_train, -1), np.expand_dims(x_test, -1)
    return (x_train, train_labels.astype("int64")), (x_test, test_labels.astype("int64"))


class MnistModel(keras.Model):
    def __init__(self, **kwargs):
        # Keras Functional model definition. This could have used Sequential as
        # well. Sequential is just syntactic sugar for simple functional models.

        # 1-channel monochrome input
        inputs = keras.layers.Input(shape=(None, None, 1), dtype="uint8")
        # pixel format conversion from uint8 to float32
        y = keras.layers.Rescaling(1 / 255.0)(inputs)

        # 3 convolutional layers
        y = keras.layers.Conv2D(
            filters=16, kernel_size=3, padding="same", activation="relu"
        )(y)
        y = keras.layers.Conv2D(
            filters=32, kernel_size=6, padding="same", activation="relu", strides=2
        )(y)
        y = keras.layers.Conv2D(
            filters=48, kernel_size=6, padding="same", activation="relu", strides=2
        )(y)

        # 2 dense layers
        y = keras.layers.GlobalAveragePooling2D()(y)
        y = keras.layers.Dense(48, activation="relu")(y)
        y = keras.layers.Dropout(0.4)(y)
        outputs = keras.layers.Dense(
            10, activation="softmax", name="classification_head"  # 10 classes
        )(y)

        # A Keras Functional model is created by calling keras.Model(inputs, outputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)


class MnistDictModel(keras.Model):
    def __init__(self, **kwargs):
        #
        # The input is a dictionary
        #
        inputs = {
            "image": keras.layers.Input(
                shape=(None, None, 1),  # 1-channel monochrome
                dtype="uint8",
                name="image",
            )
        }

        # pixel format conversion from uint8 to float32
        y = keras.layers.Rescaling(1 / 255.0)(inputs["image"])

        # 3 conv layers
        y = keras.layers.Conv2D(
            filters=16, kernel_size=3, padding="same", activation="relu"
        )(y)
        y = keras.layers.Conv2D(
            filters=32, kernel_size=6, padding="same", activation="relu", strides=2
        )(y)
        y = keras.layers.Conv2D(
            filters=48, kernel_size=6, padding="same", activation="relu", strides=2
        )(y)

        # 2 dense layers
        y = keras.layers.GlobalAveragePooling2D()(y)
        y = keras.layers.Dense(48, activation="relu")(y)
        y = keras.layers.Dropout(0.4)(y)
        outputs = keras.layers.Dense(
            10, activation="softmax", name="classification_head"  # 10 classes
        )(y)

        # A Keras Functional model is created by calling keras.Model(inputs, outputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)


def make_binary(model):
    input = model.input
    # cut before the classification head
    y = model.get_layer("classification_head").input

    # add a new classification head
    output = keras.layers.Dense(
        1,  # single class for binary classification
        activation="sigmoid",
        name="binary_classification_head",
    )(y)

    # create a new functional model
    binary_model = keras.Model(input, output)
    return binary_model


class _Three:
    """The tutorial's three models (the MnistModel trained first, the one cut for the
    binary head, the dict-input one) as one object the harness hands weights to."""

    def __init__(self):
        self.model = MnistModel()
        self.binary_model = make_binary(MnistModel())
        self.dict_model = MnistDictModel()
        self._all = (self.model, self.binary_model, self.dict_model)

    def get_weights(self):
        return [w for m in self._all for w in m.get_weights()]

    def set_weights(self, weights):
        for m in self._all:
            n = len(m.get_weights())
            m.set_weights(weights[:n])
            weights = weights[n:]


def build():
    return _Three()


# Recursively walking the layer graph works as well
def walk_layers(layer):
    if hasattr(layer, "layers"):
        for layer in layer.layers:
            walk_layers(layer)
    else:
        print(layer.name)


def run(models, data, tmpdir):
    (x_train, train_labels), (x_test, test_labels) = data
    STEPS_PER_EPOCH = len(train_labels) // BATCH_SIZE
    model, binary_model = models.model, models.binary_model
    screen, walk = io.StringIO(), io.StringIO()
    with redirect_stdout(screen):
        model.summary()
        binary_model.summary()
    with redirect_stdout(walk):
        walk_layers(model)
    out = {"params": [m.count_params() for m in models._all],
           "walked": len(walk.getvalue().splitlines()),
           "screen": screen.getvalue(),
           "untrained_28": model.predict(x_test[:4], verbose=0),
           "untrained_20": model.predict(x_test[:4, 4:24, 4:24], verbose=0),
           "binary_untrained": binary_model.predict(x_test[:4], verbose=0),
           "dict_untrained": models.dict_model.predict({"image": x_test[:4]}, verbose=0)}

    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    out["history"] = model.fit(
        x_train, train_labels, batch_size=BATCH_SIZE,
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=EPOCHS,
        validation_data=(x_test, test_labels),
        verbose=0,
    ).history
    out["trained_20"] = model.predict(x_test[:64, 4:24, 4:24], verbose=0)

    # new dataset with 0 / 1 labels (1 = digit '0', 0 = all other digits)
    bin_train_labels = (train_labels == 0).astype("uint8")
    bin_test_labels = (test_labels == 0).astype("uint8")

    # appropriate loss and metric for binary classification
    binary_model.compile(
        optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"]
    )
    out["binary_history"] = binary_model.fit(
        x_train, bin_train_labels, batch_size=BATCH_SIZE,
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=EPOCHS,
        validation_data=(x_test, bin_test_labels),
        verbose=0,
    ).history

    model = models.dict_model
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    out["dict_history"] = model.fit(
        {"image": x_train}, train_labels, batch_size=BATCH_SIZE,
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=EPOCHS,
        validation_data=({"image": x_test}, test_labels),
        verbose=0,
    ).history
    return out


def check(out):
    # conv 3*3*1*16+16, 6*6*16*32+32, 6*6*32*48+48, dense 48*48+48, head 48*10+10
    body = 160 + 18464 + 55344 + 2352
    assert out["params"] == [body + 490, body + 49, body + 490]
    assert "classification_head" in out["screen"]
    assert "binary_classification_head" in out["screen"]
    # the walk: input, rescaling, 3 conv, pooling, dense, dropout, head
    assert out["walked"] == 9
    assert out["untrained_20"].shape == (4, 10)
    for key, metric in (("history", "sparse_categorical_accuracy"),
                        ("binary_history", "binary_accuracy"),
                        ("dict_history", "sparse_categorical_accuracy")):
        h = out[key]
        assert sorted(h) == sorted(["loss", metric, "val_loss", "val_" + metric])
        assert len(h["loss"]) == EPOCHS and h["loss"][-1] < h["loss"][0]
    # 24 steps: ten classes, chance is 0.1
    assert out["history"]["val_sparse_categorical_accuracy"][-1] > 0.25
    assert out["binary_history"]["val_binary_accuracy"][-1] > 0.85     # one in ten is a "0"
