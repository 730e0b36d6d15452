"""keras.io's "The Sequential model" (https://keras.io/guides/sequential_model/),
snippet by snippet (the images of the add() + summary() section shrunk from 250x250
to 64x64): layers called in turn, model.layers / add / pop / name, weights created
on the first call, Input or input_shape= given in advance, summary() while adding
layers, feature extraction through layer.output, freezing layers for transfer
learning and a model used as a layer."""
import io
from contextlib import redirect_stdout

import numpy as np

import keras
from keras import layers
from keras import ops

# everything but the summary text, which names the model after how many came before it
PARITY_KEYS = ["y", "y_layers", "len_after_pop", "named", "weights_before", "weight_shapes",
               "weights_after_call", "input_not_a_layer", "output_shape", "input_shape_weights",
               "shape_1", "shape_2", "params_2", "features", "one_feature",
               "trainable_after_freeze", "changed", "stacked_trainable", "stacked_output"]


def _summary(model):
    screen = io.StringIO()
    with redirect_stdout(screen):
        model.summary()
    return screen.getvalue()


def data():
    return np.random.default_rng(5).normal(size=(3, 3)).astype("float32")


def build():
    # Define Sequential model with 3 layers
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    model.build((None, 3))  # so that the harness can copy Keras' initial weights in
    return model


def run(model, x, tmpdir):
    out = {}
    # Call model on a test input
    y = model(x)
    out["y"] = ops.convert_to_numpy(y)
    # is equivalent to calling the layers in turn
    layer1, layer2, layer3 = model.layers
    out["y_layers"] = ops.convert_to_numpy(layer3(layer2(layer1(x))))

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    out["len_after_pop"] = len(model.layers)  # 2

    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    out["named"] = [model.name] + [layer.name for layer in model.layers]

    layer = layers.Dense(3)
    out["weights_before"] = len(layer.weights)  # Empty
    # Call layer on a test input
    y = layer(ops.ones((1, 4)))
    out["weight_shapes"] = [tuple(w.shape) for w in layer.weights]  # (4, 3) and (3,)

    model = keras.Sequential([layers.Dense(2, activation="relu"),
                              layers.Dense(3, activation="relu"),
                              layers.Dense(4)])  # No weights at this stage!
    y = model(ops.ones((1, 4)))
    out["weights_after_call"] = len(model.weights)  # 6

    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    out["input_not_a_layer"] = len(model.layers)  # 1
    out["output_shape"] = tuple(model.output_shape)

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
    out["input_shape_weights"] = [tuple(w.shape) for w in model.weights]

    # A common debugging workflow: add() + summary()
    model = keras.Sequential()
    model.add(keras.Input(shape=(64, 64, 3)))  # 64x64 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    out["summary_1"] = _summary(model)
    out["shape_1"] = tuple(model.output_shape)  # (None, 9, 9, 32)
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    out["shape_2"] = tuple(model.output_shape)
    out["params_2"] = model.count_params()

    # Feature extraction with a Sequential model
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(20, 20, 3)),
            layers.Conv2D(8, 5, strides=2, activation="relu"),
            layers.Conv2D(8, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(8, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )
    features = feature_extractor(ops.ones((1, 20, 20, 3)))
    out["features"] = [tuple(f.shape) for f in features]
    one_layer = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    out["one_feature"] = tuple(one_layer(ops.ones((1, 20, 20, 3))).shape)

    # Transfer learning: freeze all layers except the last one
    model = keras.Sequential([
        keras.Input(shape=(16,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(4),
    ])
    for layer in model.layers[:-1]:
        layer.trainable = False
    out["trainable_after_freeze"] = [tuple(w.shape) for w in model.trainable_weights]
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(np.ones((8, 16)), np.zeros((8, 4)), epochs=1, verbose=0)
    out["changed"] = [bool(np.any(a != b)) for a, b in zip(before, model.get_weights())]

    # a model as a layer: a frozen base under a fresh classifier
    base_model = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(8, activation="relu")])
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(3)])
    out["stacked_trainable"] = [tuple(w.shape) for w in model.trainable_weights]
    out["stacked_output"] = tuple(model(np.ones((2, 16), "float32")).shape)
    return out


def check(out):
    np.testing.assert_allclose(out["y"], out["y_layers"], rtol=1e-6)
    assert out["len_after_pop"] == 2
    assert out["named"] == ["my_sequential", "layer1"]
    assert out["weights_before"] == 0 and out["weight_shapes"] == [(4, 3), (3,)]
    assert out["weights_after_call"] == 6
    assert out["input_not_a_layer"] == 1 and out["output_shape"] == (None, 2)
    assert out["input_shape_weights"] == [(4, 2), (2,)]
    assert out["shape_1"] == (None, 9, 9, 32) and "(None, 9, 9, 32)" in out["summary_1"]
    assert out["shape_2"] == (None, 10)
    assert out["params_2"] == (5 * 5 * 3 * 32 + 32) + 2 * (3 * 3 * 32 * 32 + 32) + (32 * 10 + 10)
    assert out["features"] == [(1, 8, 8, 8), (1, 6, 6, 8), (1, 4, 4, 8)]
    assert out["one_feature"] == (1, 6, 6, 8)
    assert out["trainable_after_freeze"] == [(8, 4), (4,)]
    assert out["changed"] == [False, False, False, False, True, True]
    assert out["stacked_trainable"] == [(8, 3), (3,)] and out["stacked_output"] == (2, 3)
