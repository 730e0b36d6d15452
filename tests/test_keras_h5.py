"""Legacy Keras HDF5 files in (issue 14): pynn.load_model("model.h5") reads the
layout Keras documents for `.h5` models (keras/src/legacy/saving/legacy_h5_format.py:
the root attribute model_config, the group model_weights with layer_names and
each layer's weight_names). Two sources: Keras-2-style files written here by hand
with h5py (tf.keras 2 configs: batch_input_shape, old call nodes, Keras 2-only
options), checked against NumPy; and the .h5 files Keras 3 itself still writes
(KERAS_BACKEND=torch), checked against Keras' predictions."""
import json

import numpy as np
import pytest

import pynn

from keras_ref import keras_or_skip

h5py = pytest.importorskip("h5py", reason="h5py (reading .h5 files) is not installed")


def write_keras2_h5(path, model_config, weights):
    """weights: {layer name: [(weight name, array), ...]} in the layer's order."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode() for n in weights])
        for layer, arrays in weights.items():
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = np.array([w.encode() for w, _ in arrays])
            for wname, a in arrays:
                lg.create_dataset(wname, data=a)


def dense_cfg(name, units, activation, **extra):
    cfg = {"name": name, "trainable": True, "dtype": "float32", "units": units,
           "activation": activation, "use_bias": True,
           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
           "bias_initializer": {"class_name": "Zeros", "config": {}},
           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
           "kernel_constraint": None, "bias_constraint": None}
    cfg.update(extra)
    return {"class_name": "Dense", "config": cfg}


def test_keras2_sequential_h5_by_hand(tmp_path):
    rng = np.random.default_rng(0)
    k1, b1 = rng.normal(size=(4, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    k2, b2 = rng.normal(size=(5, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        dense_cfg("dense", 5, "tanh", batch_input_shape=[None, 4]),  # tf.keras 2's first layer
        dense_cfg("dense_1", 2, "softmax")]}}
    path = str(tmp_path / "keras2.h5")
    write_keras2_h5(path, config, {"dense": [("dense/kernel:0", k1), ("dense/bias:0", b1)],
                                   "dense_1": [("dense_1/kernel:0", k2), ("dense_1/bias:0", b2)]})
    model = pynn.load_model(path)
    x = rng.normal(size=(7, 4)).astype(np.float32)
    z = np.tanh(x @ k1 + b1) @ k2 + b2
    want = np.exp(z - z.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert [l.name for l in model.layers] == ["dense", "dense_1"]


def test_keras2_functional_h5_by_hand(tmp_path):
    rng = np.random.default_rng(1)
    ka, ba = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    ko, bo = rng.normal(size=(4, 1)).astype(np.float32), rng.normal(size=1).astype(np.float32)
    layers = [
        {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
                    "ragged": False, "name": "a"}},
        {"class_name": "InputLayer", "name": "b", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 2], "dtype": "float32", "sparse": False,
                    "ragged": False, "name": "b"}},
        dict(dense_cfg("proj", 2, "relu"), name="proj", inbound_nodes=[[["a", 0, 0, {}]]]),
        {"class_name": "Concatenate", "name": "cat",
         "config": {"name": "cat", "trainable": True, "dtype": "float32", "axis": -1},
         "inbound_nodes": [[["proj", 0, 0, {}], ["b", 0, 0, {}]]]},  # Keras 2's merge node
        dict(dense_cfg("out", 1, "sigmoid"), name="out", inbound_nodes=[[["cat", 0, 0, {}]]]),
    ]
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": layers, "input_layers": [["a", 0, 0], ["b", 0, 0]],
        "output_layers": [["out", 0, 0]]}}
    path = str(tmp_path / "functional.h5")
    write_keras2_h5(path, config, {"a": [], "b": [],
                                   "proj": [("proj/kernel:0", ka), ("proj/bias:0", ba)],
                                   "cat": [],
                                   "out": [("out/kernel:0", ko), ("out/bias:0", bo)]})
    model = pynn.load_model(path)
    xa = rng.normal(size=(5, 3)).astype(np.float32)
    xb = rng.normal(size=(5, 2)).astype(np.float32)
    h = np.concatenate([np.maximum(xa @ ka + ba, 0), xb], axis=1)
    want = 1 / (1 + np.exp(-(h @ ko + bo)))
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), want, rtol=1e-5, atol=1e-6)


def test_keras2_lstm_options_keras3_dropped_are_accepted(tmp_path):
    rng = np.random.default_rng(2)
    lstm = {"class_name": "LSTM", "config": {
        "name": "lstm", "trainable": True, "batch_input_shape": [None, 5, 3], "dtype": "float32",
        "return_sequences": False, "return_state": False, "go_backwards": False,
        "stateful": False, "unroll": False, "time_major": False, "units": 4,
        "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
        "unit_forget_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0,
        "implementation": 2}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        lstm, dense_cfg("dense", 1, "linear")]}}
    w = [rng.normal(0, 0.5, s).astype(np.float32) for s in [(3, 16), (4, 16), (16,), (4, 1), (1,)]]
    path = str(tmp_path / "lstm.h5")
    write_keras2_h5(path, config, {
        "lstm": [("lstm/lstm_cell/kernel:0", w[0]), ("lstm/lstm_cell/recurrent_kernel:0", w[1]),
                 ("lstm/lstm_cell/bias:0", w[2])],
        "dense": [("dense/kernel:0", w[3]), ("dense/bias:0", w[4])]})
    model = pynn.load_model(path)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for t in range(5):  # Keras' LSTM: gates i, f, c, o
        z = x[:, t] @ w[0] + h @ w[1] + w[2]
        i, f, g, o = sig(z[:, :4]), sig(z[:, 4:8]), np.tanh(z[:, 8:12]), sig(z[:, 12:])
        c = f * c + i * g
        h = o * np.tanh(c)
    np.testing.assert_allclose(model.predict(x, verbose=0), h @ w[3] + w[4], rtol=1e-4,
                               atol=1e-5)


def test_h5_written_by_keras3_loads_with_the_same_predictions(tmp_path):
    keras = keras_or_skip()
    L = keras.layers
    kmodel = keras.Sequential([keras.Input(shape=(6, 3)), L.Conv1D(4, 3, activation="relu"),
                               L.GlobalAveragePooling1D(), L.Dense(5), L.BatchNormalization(),
                               L.Dense(2, activation="softmax")])
    rng = np.random.default_rng(3)
    kmodel.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) if "variance" not in w.path
                        else rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                        for w in kmodel.weights])
    path = str(tmp_path / "k3.h5")
    kmodel.save(path)
    model = pynn.load_model(path)
    x = rng.normal(size=(9, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_bad_h5_files_are_named(tmp_path):
    path = str(tmp_path / "weights_only.h5")
    with h5py.File(path, "w") as f:
        f.create_group("model_weights")
    with pytest.raises(ValueError, match="has no model_config: a weights-only file"):
        pynn.load_model(path)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        dense_cfg("dense", 2, "linear", batch_input_shape=[None, 3])]}}
    path = str(tmp_path / "wrong_shape.h5")
    write_keras2_h5(path, config, {"dense": [("dense/kernel:0", np.zeros((4, 2), np.float32)),
                                             ("dense/bias:0", np.zeros(2, np.float32))]})
    with pytest.raises(ValueError, match=r"weight 'dense/kernel:0' has shape \(4, 2\) in the file, "
                                         r"pynn expects \(3, 2\)"):
        pynn.load_model(path)
    config["config"]["layers"][0]["class_name"] = "Frobnicate"
    path = str(tmp_path / "unknown.h5")
    write_keras2_h5(path, config, {"dense": []})
    with pytest.raises(ValueError, match=r"layer 'dense' \(Frobnicate\) has no pynn equivalent"):
        pynn.load_model(path)
