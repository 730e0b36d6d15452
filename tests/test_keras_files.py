"""Keras 3 files in (issue 14): Keras (installed as the `keras` extra, torch
backend) saves models of each supported layer as `.keras`; pynn.load_model reads
them and predicts what Keras predicts to 1e-5 at batch sizes 1 and 37. Weights are
randomised first, so a weight read from the wrong place changes the outputs."""
import numpy as np
import pytest

import pynn

from keras_ref import keras_or_skip
from test_keras_table import TABLE, call_on_input

pytest.importorskip("h5py", reason="h5py (reading .keras files) is not installed")


@pytest.fixture(scope="module")
def keras():
    return keras_or_skip()


def randomise(kmodel, seed=0):
    rng = np.random.default_rng(seed)
    values = []
    for w in kmodel.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            values.append(rng.normal(0, 0.4, shape).astype(np.float32))
    kmodel.set_weights(values)


def data(shapes, n, ids=None, seed=0):
    rng = np.random.default_rng(seed + n)
    if ids is not None:
        return [rng.integers(0, ids, (n,) + s).astype(np.float32) for s in shapes]
    return [rng.standard_normal((n,) + s).astype(np.float32) for s in shapes]


def assert_loads_and_matches(keras, kmodel, tmp_path, shapes, ids=None):
    randomise(kmodel)
    path = tmp_path / "model.keras"
    kmodel.save(str(path))
    model = pynn.load_model(str(path))
    # functional models list their InputLayers in both libraries now (Keras 3 does)
    # (the class names Keras saves: GroupQueryAttention's Python class is GroupedQueryAttention)
    assert [type(l).__name__ for l in model.layers] == \
        [keras.layers.serialize(l)["class_name"] for l in kmodel.layers]
    for n in (1, 37):
        xs = data(shapes, n, ids)
        want = kmodel(xs if len(xs) > 1 else xs[0])
        want = [keras.ops.convert_to_numpy(w) for w in (want if isinstance(want, (list, tuple))
                                                        else [want])]
        got = model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=64)
        got = got if isinstance(got, list) else [got]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        if n == 37:
            assert max(float(np.std(w)) for w in want) > 1e-3
    return model


@pytest.mark.parametrize("make,per_sample", [r[1:3] for r in TABLE], ids=[r[0] for r in TABLE])
def test_table_models(keras, make, per_sample, tmp_path):
    x = keras.Input(shape=per_sample)
    layer, y = call_on_input(keras.layers, lambda shape: x, make, per_sample)
    ids = 1000 if type(layer).__name__ == "Embedding" else None
    assert_loads_and_matches(keras, keras.Model(x, y), tmp_path, [per_sample], ids)


SEQUENTIAL = {
    "dense_stack": ((6,), lambda L: [L.Dense(8, activation="relu"), L.Dropout(0.3),
                                     L.BatchNormalization(), L.Dense(6, activation="tanh"),
                                     L.Reshape((3, 2)), L.Flatten(),
                                     L.Dense(3, activation="softmax")]),
    "cnn": ((10, 9, 2), lambda L: [L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                                   L.MaxPooling2D(padding="same"), L.Conv2D(3, 2),
                                   L.AveragePooling2D((1, 2)), L.GlobalAveragePooling2D(),
                                   L.Dense(2)]),
    "conv1d": ((12, 3), lambda L: [L.Conv1D(4, 3, padding="causal", dilation_rate=2),
                                   L.MaxPooling1D(2), L.LayerNormalization(),
                                   L.AveragePooling1D(2, padding="same"), L.GlobalMaxPooling1D()]),
    "recurrent": ((7, 3), lambda L: [L.LSTM(5, return_sequences=True), L.GRU(4, go_backwards=True,
                                                                            return_sequences=True),
                                     L.SimpleRNN(3)]),
    "bidirectional": ((6, 2), lambda L: [L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                         L.Bidirectional(L.GRU(2), merge_mode="sum")]),
    "reshaping": ((5, 6, 2), lambda L: [L.ZeroPadding2D(((1, 0), (2, 1))), L.Cropping2D(1),
                                        L.UpSampling2D(2), L.Conv2D(2, 1)]),
    "conv3d_transpose": ((2, 3, 3, 2), lambda L: [
        L.Conv3DTranspose(3, 2, strides=2, padding="same", activation="relu"),
        L.Conv3DTranspose(2, (3, 1, 2), dilation_rate=(2, 1, 1))]),
    "conv_lstm": ((3, 5, 4, 2), lambda L: [
        L.ConvLSTM2D(3, 2, padding="same", return_sequences=True, go_backwards=True),
        L.ConvLSTM2D(2, (2, 3))]),
    "activations": ((8,), lambda L: [L.Dense(8), L.ReLU(), L.Dense(8), L.LeakyReLU(),
                                     L.Dense(8), L.ELU(), L.Dense(4), L.Softmax()]),
}


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
def test_sequential_models(keras, name, tmp_path):
    shape, make = SEQUENTIAL[name]
    kmodel = keras.Sequential([keras.Input(shape=shape)] + make(keras.layers))
    assert_loads_and_matches(keras, kmodel, tmp_path, [shape])


def test_text_model_with_embedding(keras, tmp_path):
    L = keras.layers
    kmodel = keras.Sequential([keras.Input(shape=(9,)), L.Embedding(40, 6), L.LSTM(5),
                               L.Dense(1, activation="sigmoid")])
    assert_loads_and_matches(keras, kmodel, tmp_path, [(9,)], ids=40)


def test_functional_merges_and_shared_layer(keras, tmp_path):
    L = keras.layers
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(4,), name="b")
    shared = L.Dense(4, activation="tanh")
    sa, sb = shared(a), shared(b)
    outs = [L.Add()([sa, sb]), L.Subtract()([sa, sb]), L.Multiply()([a, sb]),
            L.Average()([a, b, sa]), L.Maximum()([sa, b]), L.Minimum()([a, sb]),
            L.Dense(2)(L.Concatenate()([sa, sb, a]))]
    model = assert_loads_and_matches(keras, keras.Model([a, b], outs), tmp_path, [(4,), (4,)])
    assert len(model.outputs) == 7


def test_multi_head_attention(keras, tmp_path):
    L = keras.layers
    q, v = keras.Input(shape=(5, 8)), keras.Input(shape=(6, 4))
    y = L.MultiHeadAttention(num_heads=2, key_dim=3)(q, v)
    assert_loads_and_matches(keras, keras.Model([q, v], y), tmp_path, [(5, 8), (6, 4)])


def test_loaded_model_trains(keras, tmp_path):
    L = keras.layers
    kmodel = keras.Sequential([keras.Input(shape=(4,)), L.Dense(8, activation="relu"),
                               L.Dense(1)])
    kmodel.save(str(tmp_path / "m.keras"))
    model = pynn.load_model(str(tmp_path / "m.keras"))
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model.compile(pynn.optimizers.Adam(0.01), "mse")
    h = model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    assert h.history["loss"][-1] < 0.1 * h.history["loss"][0]


def test_pynn_files_named_keras_still_load_as_pynn(tmp_path):
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    model.save(str(tmp_path / "mine.keras"))
    again = pynn.load_model(str(tmp_path / "mine.keras"))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unknown_layer_is_named(keras, tmp_path):
    L = keras.layers
    # (a Keras layer pynn lacks; ConvLSTM3D was one until it was added)
    kmodel = keras.Sequential([keras.Input(shape=(8, 8, 3)), L.RandomElasticTransform(name="elastic")])
    kmodel.save(str(tmp_path / "m.keras"))
    with pytest.raises(ValueError,
                       match=r"layer 'elastic' \(RandomElasticTransform\) has no pynn equivalent"):
        pynn.load_model(str(tmp_path / "m.keras"))


def test_unsupported_option_is_named(keras, tmp_path):
    L = keras.layers
    kmodel = keras.Sequential([keras.Input(shape=(4,)), L.BatchNormalization(renorm=True, name="bn")])
    kmodel.save(str(tmp_path / "m.keras"))
    with pytest.raises(ValueError, match=r"layer 'bn' \(BatchNormalization\).*renorm"):
        pynn.load_model(str(tmp_path / "m.keras"))


def test_hostile_files(tmp_path):
    import json
    import zipfile
    path = tmp_path / "evil.keras"
    # a config asking for a huge layer: refused before allocating (the file holds ~nothing)
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "in"}},
        {"class_name": "Dense", "config": {"name": "huge", "units": 10 ** 9}}]}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", b"\0" * 64)
    with pytest.raises(ValueError, match="more than the file's weights hold"):
        pynn.load_model(str(path))
    # weights that are not HDF5
    cfg["config"]["layers"][1]["config"]["units"] = 2
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", b"\0" * 4096)
    with pytest.raises(ValueError, match="model.weights.h5 is not an HDF5 file"):
        pynn.load_model(str(path))
    # a class that is not a layer name pynn knows, and a custom (registered) class
    cfg["config"]["layers"][1] = {"class_name": "os.system", "config": {"name": "x"}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", b"\0" * 4096)
    with pytest.raises(ValueError, match=r"layer 'x' \(os.system\) has no pynn equivalent"):
        pynn.load_model(str(path))


# --------------------------------------------------------------- pynn -> Keras
def assert_keras_loads_pynn(keras, model, tmp_path, shapes, ids=None):
    rng = np.random.default_rng(1)
    for w in model.weights:
        w[...] = (rng.uniform(0.5, 1.5, w.shape) if "variance" in w.name
                  else rng.normal(0, 0.4, w.shape))
    path = tmp_path / "from_pynn.keras"
    model.export(str(path), format="keras")
    kmodel = keras.saving.load_model(str(path))
    again = pynn.load_model(str(path))  # and back into pynn
    for n in (1, 37):
        xs = data(shapes, n, ids)
        arg = xs if len(xs) > 1 else xs[0]
        want = model.predict(arg, verbose=0, batch_size=64)
        want = want if isinstance(want, list) else [want]
        got = kmodel(arg)
        got = [keras.ops.convert_to_numpy(g) for g in (got if isinstance(got, (list, tuple))
                                                       else [got])]
        back = again.predict(arg, verbose=0, batch_size=64)
        back = back if isinstance(back, list) else [back]
        assert len(got) == len(want) == len(back)
        for g, b, w in zip(got, back, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(b, w)
        if n == 37:
            assert max(float(np.std(w)) for w in want) > 1e-3


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
def test_pynn_sequential_models_load_in_keras(keras, name, tmp_path):
    shape, make = SEQUENTIAL[name]
    model = pynn.Sequential([pynn.Input(shape=shape)] + make(pynn.layers))
    assert_keras_loads_pynn(keras, model, tmp_path, [shape])


@pytest.mark.parametrize("make,per_sample", [r[1:3] for r in TABLE], ids=[r[0] for r in TABLE])
def test_pynn_table_models_load_in_keras(keras, make, per_sample, tmp_path):
    x = pynn.Input(shape=per_sample)
    layer, y = call_on_input(pynn.layers, lambda shape: x, make, per_sample)
    ids = 1000 if type(layer).__name__ == "Embedding" else None
    assert_keras_loads_pynn(keras, pynn.Model(x, y), tmp_path, [per_sample], ids)


def test_pynn_functional_model_loads_in_keras(keras, tmp_path):
    L = pynn.layers
    a, b = pynn.Input(shape=(4,), name="a"), pynn.Input(shape=(5, 4), name="b")
    shared = L.Dense(4, activation="tanh")
    h = L.Add()([shared(a), a])
    att = L.MultiHeadAttention(num_heads=2, key_dim=3)(b, b)
    seq = L.Bidirectional(L.LSTM(3))(att)
    outs = [L.Concatenate()([h, seq, L.GlobalAveragePooling1D()(att)]), L.Multiply()([h, a]),
            L.Dense(2, activation="softmax")(L.Average()([h, shared(L.Dense(4)(a))]))]
    assert_keras_loads_pynn(keras, pynn.Model([a, b], outs), tmp_path, [(4,), (5, 4)])


def test_session8_layers_both_ways(keras, tmp_path):
    """GroupQueryAttention (its weights under Keras' class name grouped_query_attention,
    gate included), ConvLSTM1D (weights under cell/), ReversibleEmbedding and
    Conv3DTranspose: Keras' files load in pynn and pynn's in Keras."""
    K = keras.layers
    q = keras.Input(shape=(5, 6))
    att = K.GroupQueryAttention(3, 4, 2, use_gate=True)(q, q)
    seq = K.ConvLSTM1D(2, 2, return_sequences=True)(K.Reshape((5, 3, 2))(att))
    kmodel = keras.Model(q, K.Flatten()(seq))
    assert_loads_and_matches(keras, kmodel, tmp_path, [(5, 6)])
    L = pynn.layers
    a = pynn.Input(shape=(5, 6))
    h = L.GroupQueryAttention(3, 4, 2, use_gate=True, sliding_window=2)(a, a)
    h = L.ConvLSTM1D(2, 2, return_sequences=True)(L.Reshape((5, 3, 2))(h))
    vol = L.Conv3DTranspose(2, 2, strides=2)(L.Reshape((5, 2, 2, 1))(h))
    assert_keras_loads_pynn(keras, pynn.Model(a, L.Flatten()(vol)), tmp_path, [(5, 6)])
    ids = pynn.Input(shape=(4,))
    emb = L.ReversibleEmbedding(7, 3)
    logits = emb(L.Dense(3)(emb(ids)), reverse=True)
    assert_keras_loads_pynn(keras, pynn.Model(ids, logits), tmp_path, [(4,)], ids=7)


def test_keras_export_refusals(tmp_path):
    class Scale(pynn.layers.Layer):
        def call(self, x):
            return x * 2.0

    model = pynn.Sequential([pynn.Input(shape=(3,)), Scale(name="scale")])
    with pytest.raises(ValueError, match=r"layer 'scale' \(Scale\) is not one of Keras' built-in"):
        model.export(str(tmp_path / "m.keras"), format="keras")
    assert not (tmp_path / "m.keras").exists()
    inner = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    outer = pynn.Sequential([pynn.Input(shape=(3,)), inner], name="outer")
    with pytest.raises(ValueError, match="holds the model .* as a layer"):
        outer.export(str(tmp_path / "m.keras"), format="keras")


def test_h5_save_writes_hdf5_never_a_misnamed_zip(tmp_path):
    # an .h5 name gets Keras' legacy HDF5 layout (tests/test_keras_port_blockers.py checks
    # it against Keras); a model that layout cannot hold is refused, no file left behind
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    for name in ("m.h5", "m.HDF5"):
        model.save(str(tmp_path / name))
        with open(tmp_path / name, "rb") as f:
            assert f.read(8) == b"\x89HDF\r\n\x1a\n"

    class Twice(pynn.layers.Layer):
        def call(self, x):
            return x * 2.0

    custom = pynn.Sequential([pynn.Input(shape=(3,)), Twice(name="twice")])
    with pytest.raises(ValueError, match=r"legacy HDF5 model, which cannot hold this model: .*"
                                         r"layer 'twice' \(Twice\) is not one of Keras' built-in"):
        custom.save(str(tmp_path / "c.h5"))
    assert not (tmp_path / "c.h5").exists() and not (tmp_path / "c.h5.tmp").exists()
