"""Conv3D, Max/AveragePooling3D, GlobalAverage/MaxPooling3D, UpSampling3D,
ZeroPadding3D, Cropping3D and Keras' aliases, side by side with Keras 3
(https://keras.io/api/layers/convolution_layers/convolution3d/,
https://keras.io/api/layers/pooling_layers/, https://keras.io/api/layers/reshaping_layers/):
the same weights, outputs and gradients at float32 tolerance, configs, save/load.
AveragePooling3D with padding="same" is held against a NumPy transcription of Keras'
documented rule (padding not counted), because Keras' torch backend counts it for
uneven windows (its AveragePooling2D differs from TF the same way)."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(8)
X = RNG.normal(size=(2, 6, 7, 5, 3)).astype(np.float32)

CONV = {
    "k3": {"kernel_size": 3},
    "same_uneven": {"kernel_size": (2, 3, 2), "padding": "same"},
    "strided_same": {"kernel_size": 4, "strides": 3, "padding": "same"},
    "dilated": {"kernel_size": (3, 2, 2), "dilation_rate": (2, 1, 1)},
    "strides": {"kernel_size": 2, "strides": (2, 1, 2), "activation": "relu"},
}


@pytest.mark.parametrize("name", sorted(CONV))
def test_conv3d_matches_keras(name):
    keras = keras_or_skip()
    theirs, ours = keras.layers.Conv3D(4, **CONV[name]), layers.Conv3D(4, **CONV[name])
    import torch
    theirs(torch.tensor(X))
    theirs.weights[1].assign(RNG.normal(size=(4,)).astype(np.float32))  # a non-zero bias
    compare(keras, theirs, ours, X, rtol=1e-4, atol=2e-5)
    assert ours.count_params() == theirs.count_params()
    assert ours.compute_output_shape(X.shape) == tuple(theirs.compute_output_shape(X.shape))
    kc, pc = config_keys_match(theirs, ours, {"dtype", "activity_regularizer",
                                              "kernel_constraint", "bias_constraint", "groups",
                                              "data_format"})
    for k in ("kernel_size", "strides", "padding", "dilation_rate", "activation", "filters"):
        assert pc[k] == kc[k], k
    round_trip(ours, X)


def _avg_same_reference(x, pool, strides):
    """NumPy: mean over each window's cells inside the input (TF's 'same' rule)."""
    n = x.shape[1:4]
    outs = [(d - 1) // s + 1 for d, s in zip(n, strides)]
    pads = [max((o - 1) * s + k - d, 0) // 2 for o, s, k, d in zip(outs, strides, pool, n)]
    y = np.zeros((x.shape[0], *outs, x.shape[4]))
    for idx in np.ndindex(*outs):
        sl = tuple(slice(max(i * s - p, 0), min(i * s - p + k, d))
                   for i, s, p, k, d in zip(idx, strides, pads, pool, n))
        y[(slice(None),) + idx] = x[(slice(None),) + sl].mean(axis=(1, 2, 3))
    return y


POOL = {
    "default": {"pool_size": 2},
    "k3s2": {"pool_size": 3, "strides": 2},
    "same": {"pool_size": (3, 2, 2), "strides": (2, 1, 2), "padding": "same"},
    "same_s1": {"pool_size": (2, 3, 2), "strides": 1, "padding": "same"},
}


@pytest.mark.parametrize("name", sorted(POOL))
@pytest.mark.parametrize("cls", ["MaxPooling3D", "AveragePooling3D"])
def test_pooling3d(cls, name):
    keras = keras_or_skip()
    kw = POOL[name]
    theirs, ours = getattr(keras.layers, cls)(**kw), getattr(layers, cls)(**kw)
    if cls == "AveragePooling3D" and kw.get("padding") == "same":
        k = kw["pool_size"]
        s = kw["strides"] if isinstance(kw["strides"], tuple) else (kw["strides"],) * 3
        np.testing.assert_allclose(ours(X).numpy(), _avg_same_reference(X, k, s), rtol=1e-5,
                                   atol=1e-6)
    else:
        compare(keras, theirs, ours, X)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "data_format"})
    for k in ("pool_size", "strides", "padding"):
        assert tuple(pc[k]) == tuple(kc[k]) if k != "padding" else pc[k] == kc[k]


SPATIAL = {
    "UpSampling3D": {}, "UpSampling3D_size": {"size": (1, 2, 3)},
    "ZeroPadding3D": {}, "ZeroPadding3D_pairs": {"padding": ((1, 0), (0, 2), (1, 1))},
    "Cropping3D": {"cropping": 1}, "Cropping3D_pairs": {"cropping": ((1, 0), (0, 2), (1, 1))},
    "GlobalAveragePooling3D": {}, "GlobalMaxPooling3D_keepdims": {"keepdims": True},
}


@pytest.mark.parametrize("key", sorted(SPATIAL))
def test_spatial_3d_layers_match_keras(key):
    keras = keras_or_skip()
    name = key.split("_")[0]
    theirs, ours = getattr(keras.layers, name)(**SPATIAL[key]), getattr(layers, name)(**SPATIAL[key])
    compare(keras, theirs, ours, X)
    assert ours.compute_output_shape((None,) + X.shape[1:]) == \
        tuple(theirs.compute_output_shape((None,) + X.shape[1:]))
    # the global pools (as pynn's 1D/2D ones) write data_format only when channels-first
    kc, pc = config_keys_match(theirs, ours, {"dtype"} | ({"data_format"} if name.startswith(
        "Global") else set()))
    for k in set(kc) & set(pc) - {"name", "dtype"}:
        want = np.asarray(kc[k]).tolist() if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    round_trip(ours, X)


def test_keras_aliases_are_the_same_classes():
    keras = keras_or_skip()
    pairs = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
             "Convolution1DTranspose": "Conv1DTranspose",
             "Convolution2DTranspose": "Conv2DTranspose",
             "SeparableConvolution2D": "SeparableConv2D", "MaxPool3D": "MaxPooling3D",
             "AvgPool3D": "AveragePooling3D", "GlobalAvgPool3D": "GlobalAveragePooling3D",
             "GlobalMaxPool3D": "GlobalMaxPooling3D"}
    for alias, name in pairs.items():
        assert getattr(keras.layers, alias) is getattr(keras.layers, name)
        assert getattr(layers, alias) is getattr(layers, name)
        assert getattr(pynn, alias) is getattr(layers, name)


def test_a_3d_model_trains_and_reloads():
    pynn.set_seed(0)
    x = RNG.normal(size=(48, 4, 6, 6, 1)).astype(np.float32)
    y = (x[:, :2].mean(axis=(1, 2, 3, 4)) > x[:, 2:].mean(axis=(1, 2, 3, 4))).astype(np.float32)
    model = pynn.Sequential([pynn.Input(shape=(4, 6, 6, 1)), layers.ZeroPadding3D(1),
                             layers.Conv3D(4, 3, activation="relu"), layers.MaxPooling3D(2),
                             layers.UpSampling3D(2), layers.Cropping3D(((0, 0), (1, 1), (1, 1))),
                             layers.Conv3D(4, 3, padding="same"),
                             layers.GlobalAveragePooling3D(), layers.Dense(1, activation="sigmoid")])
    model.compile(pynn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=25, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    import os
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "vol.keras")
    model.save(path)
    np.testing.assert_allclose(pynn.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("make,shape,message", [
    (lambda: layers.Conv3D(2, 3), (2, 6, 6, 3), "expects a 5-D input"),
    (lambda: layers.Conv3D(2, 4), (2, 3, 6, 6, 1), "depth of the input is 3"),
    (lambda: layers.MaxPooling3D(4), (2, 3, 6, 6, 1), "depth of the input is 3"),
    (lambda: layers.Cropping3D(2), (2, 4, 6, 6, 1), "leaves nothing"),
    (lambda: layers.UpSampling3D(), (2, 4, 4), "expects a 5-D input"),
    (lambda: layers.GlobalMaxPooling3D(), (2, 4, 4, 1), "expects a 5-D input"),
])
def test_bad_inputs_name_the_layer(make, shape, message):
    layer = make()
    with pytest.raises(ValueError, match=f"'{layer.name}'.*{message}|{message}"):
        layer(np.zeros(shape, np.float32))


def test_bad_arguments():
    for make in (lambda: layers.Conv3D(2, (3, 3)), lambda: layers.UpSampling3D((2, 2)),
                 lambda: layers.ZeroPadding3D(((1, 1), (1, 1))), lambda: layers.Cropping3D(-1),
                 lambda: layers.MaxPooling3D(2, padding="full"),
                 lambda: layers.Conv3D(2, 3, strides=2, dilation_rate=2)):
        with pytest.raises(ValueError):
            make()
