"""ONNX export (issue 14): for models covering every exportable layer, onnxruntime's
outputs equal pynn's predict to 1e-5 at batch sizes 1 and 37; the file passes
onnx.checker, states opset 17 and has a dynamic batch axis; what cannot be
exported is refused naming the layer.

Weights are randomised (biases, BatchNormalization's moving statistics included)
so that every weight's mapping matters: a wrong gate order, a missing bias or a
transposed kernel changes the outputs by far more than 1e-5."""
import sys

import numpy as np
import pytest

import pynn
from pynn import layers as L

onnx = pytest.importorskip("onnx", reason="the [onnx] extra (onnx) is not installed")
ort = pytest.importorskip("onnxruntime", reason="the [onnx] extra (onnxruntime) is not installed")

from test_keras_table import TABLE, call_on_input  # noqa: E402  (the parameter-count table)


def randomise(model, seed=0):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "variance" in w.name:  # BatchNormalization / Normalization: positive
            w[...] = rng.uniform(0.5, 1.5, w.shape)
        elif w.name.endswith("count"):
            continue
        else:
            w[...] = rng.normal(0.0, 0.4, w.shape)
    return model


def data(shape, n, seed, ids=None):
    rng = np.random.default_rng(seed)
    if ids is not None:
        return rng.integers(0, ids, (n,) + tuple(shape)).astype(np.float32)
    return rng.standard_normal((n,) + tuple(shape)).astype(np.float32)


def run_onnx(model, tmp_path, xs):
    path = tmp_path / "model.onnx"
    assert model.export(str(path), format="onnx") == str(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), xs)}
    assert len(feeds) == len(xs)
    return sess.run(None, feeds)


def assert_same(model, tmp_path, shapes, ids=None, randomize=True):
    """pynn's predict and onnxruntime agree to 1e-5 at batch sizes 1 and 37."""
    if randomize:
        randomise(model)
    shapes = shapes if isinstance(shapes, list) else [shapes]
    for n in (1, 37):
        xs = [data(s, n, seed=n + 7 * i, ids=ids) for i, s in enumerate(shapes)]
        want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=64)
        want = want if isinstance(want, list) else [want]
        got = run_onnx(model, tmp_path, xs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.shape[0] == n
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        # the comparison means something: outputs vary across samples and values
        if n == 37:
            assert max(float(np.std(w)) for w in want) > 1e-3


def seq(shape, *layers):
    return pynn.Sequential([pynn.Input(shape=shape), *layers])


# --------------------------------------------------------------- the parameter-count table
@pytest.mark.parametrize("make,per_sample", [r[1:3] for r in TABLE], ids=[r[0] for r in TABLE])
def test_table_models_match_onnxruntime(make, per_sample, tmp_path):
    x = pynn.Input(shape=per_sample)
    layer, y = call_on_input(pynn.layers, lambda shape: x, make, per_sample)
    model = pynn.Model(x, y)
    ids = 1000 if type(layer).__name__ == "Embedding" else None
    assert_same(model, tmp_path, per_sample, ids=ids)


# --------------------------------------------------------------- every exportable layer
ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu",
               "gelu", "silu", "swish", "softplus", "leaky_relu", "hard_sigmoid", "relu6",
               "softsign", "hard_silu"]


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_dense_and_activation_layer(act, tmp_path):
    model = seq((6,), L.Dense(5, activation=act), L.Dropout(0.5), L.Dense(4), L.Activation(act))
    assert_same(model, tmp_path, (6,))


def test_activation_layers(tmp_path):
    model = seq((3, 10), L.Dense(10), L.ReLU(), L.Dense(10), L.ReLU(max_value=0.5), L.Dense(10),
                L.ReLU(negative_slope=0.1), L.LeakyReLU(negative_slope=0.05), L.Dense(10),
                L.ELU(alpha=0.7), L.Softmax(axis=1))
    assert_same(model, tmp_path, (3, 10))


def test_flatten_reshape_rescaling_normalization(tmp_path):
    norm = L.Normalization(axis=-1)
    norm.adapt(data((4, 6), 50, seed=3) * 3 + 1)
    model = seq((4, 6), L.Rescaling(0.5, offset=0.25), norm, L.Reshape((-1, 3)), L.Dense(5),
                L.Reshape((2, 20)), L.Flatten(), L.Dense(3),
                L.Normalization(mean=[0.5, 0.0, -1.0], variance=[2.0, 1.0, 0.5], invert=True))
    assert_same(model, tmp_path, (4, 6), randomize=False)


@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same"),
                                dict(padding="same", strides=2), dict(padding="causal"),
                                dict(padding="causal", dilation_rate=2),
                                dict(padding="same", dilation_rate=3), dict(use_bias=False)])
def test_conv1d(kw, tmp_path):
    model = seq((11, 3), L.Conv1D(4, 3, activation="relu", **kw), L.Conv1D(2, 2))
    assert_same(model, tmp_path, (11, 3))


@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same", strides=2),
                                dict(padding="same", kernel_size=(2, 4)),
                                dict(padding="valid", dilation_rate=2),
                                dict(padding="same", strides=(1, 3), activation="tanh")])
def test_conv2d(kw, tmp_path):
    kw = {"kernel_size": 3, **kw}
    model = seq((9, 10, 2), L.Conv2D(4, **kw))
    assert_same(model, tmp_path, (9, 10, 2))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling(padding, tmp_path):
    model = seq((9, 7, 3), L.Conv2D(4, 1), L.MaxPooling2D(padding=padding),
                L.AveragePooling2D((2, 3), strides=1, padding=padding), L.Conv2D(2, 1))
    assert_same(model, tmp_path, (9, 7, 3))
    model = seq((11, 3), L.Conv1D(4, 1), L.MaxPooling1D(3, strides=2, padding=padding),
                L.AveragePooling1D(2, padding=padding))
    assert_same(model, tmp_path, (11, 3))


def test_global_pooling(tmp_path):
    x2, x1 = pynn.Input(shape=(5, 4, 3)), pynn.Input(shape=(6, 3))
    outs = [L.GlobalAveragePooling2D()(x2), L.GlobalMaxPooling2D(keepdims=True)(x2),
            L.GlobalAveragePooling1D(keepdims=True)(x1), L.GlobalMaxPooling1D()(x1)]
    assert_same(pynn.Model([x2, x1], outs), tmp_path, [(5, 4, 3), (6, 3)])


def test_batch_and_layer_normalization(tmp_path):
    model = seq((5, 5, 4), L.BatchNormalization(), L.Conv2D(3, 2), L.BatchNormalization(
        center=False, epsilon=0.1), L.LayerNormalization(), L.LayerNormalization(scale=False),
        L.Flatten(), L.BatchNormalization(scale=False))
    assert_same(model, tmp_path, (5, 5, 4))


def test_embedding(tmp_path):
    model = seq((7,), L.Embedding(30, 5), L.Conv1D(4, 3), L.GlobalAveragePooling1D())
    assert_same(model, tmp_path, (7,), ids=30)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
@pytest.mark.parametrize("kw", [{}, dict(return_sequences=True), dict(go_backwards=True),
                                dict(go_backwards=True, return_sequences=True),
                                dict(use_bias=False), dict(activation="relu"),
                                dict(activation="linear")])
def test_recurrent(cls, kw, tmp_path):
    assert_same(seq((6, 3), cls(5, **kw)), tmp_path, (6, 3))


@pytest.mark.parametrize("cls", [L.LSTM, L.GRU])
def test_recurrent_activation_hard_sigmoid(cls, tmp_path):
    assert_same(seq((6, 3), cls(4, recurrent_activation="hard_sigmoid")), tmp_path, (6, 3))


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_return_state(cls, tmp_path):
    # one model per output: pynn's functional models cannot yet output several results of
    # one layer call (Functional._forward keeps only the first one met)
    x = pynn.Input(shape=(5, 3))
    outs = cls(4, return_sequences=True, return_state=True)(x)
    assert len(outs) == (3 if cls is L.LSTM else 2)
    for out in outs:
        assert_same(pynn.Model(x, out), tmp_path, (5, 3))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences, tmp_path):
    x = pynn.Input(shape=(6, 3))
    y = L.Bidirectional(L.LSTM(4, return_sequences=return_sequences), merge_mode=merge_mode)(x)
    for out in (y if merge_mode is None else [y]):  # None: forward and backward outputs apart
        assert_same(pynn.Model(x, out), tmp_path, (6, 3))


def test_bidirectional_gru_stack(tmp_path):
    model = seq((6, 3), L.Bidirectional(L.GRU(4, return_sequences=True)),
                L.Bidirectional(L.SimpleRNN(3)), L.Dense(2))
    assert_same(model, tmp_path, (6, 3))


def test_multi_head_attention(tmp_path):
    q, v, k = pynn.Input(shape=(5, 8)), pynn.Input(shape=(7, 6)), pynn.Input(shape=(7, 4))
    a = L.MultiHeadAttention(num_heads=2, key_dim=3)(q, v)
    b = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)(q, v, key=k)
    c = L.MultiHeadAttention(num_heads=2, key_dim=4, use_bias=False)(a, a, use_causal_mask=True)
    assert_same(pynn.Model([q, v, k], [a, b, c]), tmp_path, [(5, 8), (7, 6), (7, 4)])


def test_merges(tmp_path):
    a, b, c = pynn.Input(shape=(4, 3)), pynn.Input(shape=(4, 3)), pynn.Input(shape=(3,))
    outs = [L.Add()([a, b, c]), L.Subtract()([a, b]), L.Multiply()([a, c]),
            L.Average()([a, b, c]), L.Maximum()([a, b]), L.Minimum()([b, c, a]),
            L.Concatenate(axis=1)([a, b]), L.Concatenate()([a, b]),
            L.Dot(axes=2)([a, b]), L.Dot(axes=(1, 1), normalize=True)([a, b]),
            L.Dot(axes=1)([L.Dense(3)(c), c])]
    assert_same(pynn.Model([a, b, c], outs), tmp_path, [(4, 3), (4, 3), (3,)])


def test_padding_cropping_upsampling(tmp_path):
    model = seq((5, 6, 2), L.ZeroPadding2D(((1, 2), (0, 3))), L.Conv2D(3, 2),
                L.Cropping2D(((1, 0), (2, 1))), L.UpSampling2D((2, 3)), L.ZeroPadding2D(1),
                L.Cropping2D(2), L.Conv2D(2, 1))
    assert_same(model, tmp_path, (5, 6, 2))
    model = seq((6, 2), L.ZeroPadding1D((2, 1)), L.Conv1D(3, 2), L.Cropping1D((1, 2)),
                L.UpSampling1D(3), L.Conv1D(2, 1))
    assert_same(model, tmp_path, (6, 2))


def test_functional_several_inputs_outputs_and_nested_model(tmp_path):
    inner = seq((8,), L.Dense(6, activation="tanh"), L.Dense(4))
    img, vec = pynn.Input(shape=(8, 8, 1), name="image"), pynn.Input(shape=(8,), name="features")
    h = L.Flatten()(L.MaxPooling2D()(L.Conv2D(4, 3, padding="same", activation="relu")(img)))
    h = L.Concatenate()([L.Dense(8)(h), inner(vec)])
    out1 = L.Dense(3, activation="softmax", name="label")(h)
    out2 = L.Dense(1, name="score")(h)
    model = pynn.Model([img, vec], [out1, out2])
    assert_same(model, tmp_path, [(8, 8, 1), (8,)])
    sess_inputs = ort.InferenceSession(str(tmp_path / "model.onnx")).get_inputs()
    assert [i.name for i in sess_inputs] == ["image", "features"]


def test_trained_model_matches(tmp_path):
    # a model after fit (BatchNormalization's moving statistics moved by training)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 6, 3)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.float32)
    model = seq((6, 3), L.Conv1D(8, 3, padding="same"), L.BatchNormalization(),
                L.Activation("relu"), L.LSTM(6), L.Dense(1, activation="sigmoid"))
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert_same(model, tmp_path, (6, 3), randomize=False)


# --------------------------------------------------------------- the file itself
def test_file_is_checked_has_opset_17_and_dynamic_batch(tmp_path):
    model = seq((5, 3), L.LSTM(4, return_sequences=True), L.Dense(2))
    path = tmp_path / "m.onnx"
    model.export(path)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    assert proto.producer_name == "pynn"
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [5, 3]
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert out_dims[0].dim_param == "batch" and [d.dim_value for d in out_dims[1:]] == [5, 2]


def test_variable_length_sequences(tmp_path):
    model = seq((None, 3), L.Conv1D(4, 3, padding="same"), L.GRU(5))
    randomise(model)
    path = tmp_path / "m.onnx"
    model.export(path)
    sess = ort.InferenceSession(str(path))
    for t in (2, 9):
        x = data((t, 3), 4, seed=t)
        np.testing.assert_allclose(sess.run(None, {sess.get_inputs()[0].name: x})[0],
                                   model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------- refusals
class Scale(pynn.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


def test_unsupported_layer_is_named(tmp_path):
    model = seq((4,), L.Dense(3), Scale(name="my_scale"))
    with pytest.raises(ValueError, match=r"layer 'my_scale' \(Scale\) has no ONNX equivalent.*"
                                         r"exportable layers: .*Dense"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_subclass_overriding_call_is_refused(tmp_path):
    class MyDense(L.Dense):
        def call(self, inputs, training=False):
            return super().call(inputs) * 2.0

    model = seq((4,), MyDense(3, name="mine"))
    with pytest.raises(ValueError, match=r"'mine' \(MyDense\) overrides Dense.call"):
        model.export(tmp_path / "m.onnx")


def test_custom_activation_is_refused(tmp_path):
    model = seq((4,), L.Dense(3, activation=lambda t: t * 3.0, name="odd"))
    with pytest.raises(ValueError, match=r"'odd' \(Dense\) uses the custom activation"):
        model.export(tmp_path / "m.onnx")


def test_subclassed_model_is_refused(tmp_path):
    class Net(pynn.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d = L.Dense(2)

        def call(self, x, training=False):
            return self.d(x)

    net = Net()
    net(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="model 'net' .* subclassed model"):
        net.export(tmp_path / "m.onnx")


def test_bad_format_opset_and_unbuilt(tmp_path):
    model = seq((4,), L.Dense(3))
    with pytest.raises(ValueError, match=r"format must be one of \[.onnx., .keras.\], got "
                                         r".tf_saved_model."):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match=r"opset must be one of \[17\], got 11"):
        model.export(tmp_path / "m.onnx", opset=11)
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['input_signature'\]"):
        model.export(tmp_path / "m.onnx", input_signature=[])
    unbuilt = pynn.Sequential([L.Dense(3)])
    with pytest.raises(ValueError, match="is not built"):
        unbuilt.export(tmp_path / "m.onnx")


def test_missing_onnx_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    model = seq((4,), L.Dense(3))
    with pytest.raises(ImportError, match=r"pip install 'pynn-dl\[onnx\]'"):
        model.export(tmp_path / "m.onnx")


def test_shared_layer_and_nested_sequential(tmp_path):
    # one Dense called on two inputs (two calls, one set of weights); a Sequential as a layer
    shared = L.Dense(4, activation="relu", name="shared")
    block = seq((4,), L.Dense(5), L.LayerNormalization())
    a, b = pynn.Input(shape=(3,)), pynn.Input(shape=(3,))
    out = L.Subtract()([block(shared(a)), block(shared(b))])
    assert_same(pynn.Model([a, b], out), tmp_path, [(3,), (3,)])
    outer = seq((6,), L.Dense(4), seq((4,), L.Dense(3, activation="tanh")), L.Dense(2))
    assert_same(outer, tmp_path, (6,))


# --------------------------------------------------------------- masks (Embedding(mask_zero=True))
def padded_ids(n, T, vocab, seed):
    """Ids with padding zeros in front (Keras' pad_sequences default), at the end, in
    the middle, and one row all padding."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (n, T))
    for i in range(n):
        k = rng.integers(0, T)
        if i % 3 == 0:
            ids[i, :k] = 0
        elif i % 3 == 1:
            ids[i, T - k:] = 0
        else:
            ids[i, rng.random(T) < 0.3] = 0
    ids[-1] = 0
    return ids.astype(np.float32)


def assert_same_masked(model, tmp_path, T, vocab=20, n_inputs=1):
    randomise(model)
    for n in (1, 37):
        # batch 1: a row padded in front (row 0 of padded_ids)
        xs = [padded_ids(max(n, 2), T, vocab, seed=n + i)[:n] for i in range(n_inputs)]
        want = model.predict(xs if n_inputs > 1 else xs[0], verbose=0, batch_size=64)
        want = want if isinstance(want, list) else [want]
        got = run_onnx(model, tmp_path, xs)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
        if n == 37:
            assert max(float(np.std(w)) for w in want) > 1e-3


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
@pytest.mark.parametrize("kw", [{}, dict(return_sequences=True), dict(go_backwards=True),
                                dict(go_backwards=True, return_sequences=True),
                                dict(return_sequences=True, zero_output_for_mask=True),
                                dict(zero_output_for_mask=True), dict(use_bias=False)])
def test_masked_recurrent(cls, kw, tmp_path):
    model = seq((9,), L.Embedding(20, 4, mask_zero=True), cls(5, **kw))
    assert_same_masked(model, tmp_path, 9)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_masked_return_state(cls, tmp_path):
    x = pynn.Input(shape=(7,))
    outs = cls(4, return_state=True)(L.Embedding(20, 3, mask_zero=True)(x))
    for out in outs:  # one model per output (see test_return_state)
        assert_same_masked(pynn.Model(x, out), tmp_path, 7)


def test_masked_text_classifier(tmp_path):
    # the seeds' text model: Embedding -> Dropout -> Bidirectional LSTM -> LSTM -> Dense
    model = seq((10,), L.Embedding(30, 6, mask_zero=True), L.Dropout(0.2),
                L.Bidirectional(L.LSTM(5, return_sequences=True)), L.Activation("tanh"),
                L.GRU(4, go_backwards=True), L.Dense(2, activation="softmax"))
    assert_same_masked(model, tmp_path, 10, vocab=30)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
def test_masked_bidirectional(merge_mode, tmp_path):
    model = seq((8,), L.Embedding(20, 3, mask_zero=True),
                L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode=merge_mode),
                L.Bidirectional(L.SimpleRNN(3), merge_mode=merge_mode))
    assert_same_masked(model, tmp_path, 8)


def test_masks_through_merges_and_nested_model(tmp_path):
    a, b = pynn.Input(shape=(6,)), pynn.Input(shape=(6,))
    ea, eb = L.Embedding(20, 4, mask_zero=True)(a), L.Embedding(20, 4, mask_zero=True)(b)
    plain = L.Dense(4)(eb)  # a Dense drops the mask
    inner = seq((12, 4), L.LSTM(3, return_sequences=True), L.SimpleRNN(2))
    outs = [L.LSTM(3)(L.Add()([ea, eb])),                       # both masks: product
            L.GRU(3)(L.Multiply()([ea, plain])),                # one mask
            inner(L.Concatenate(axis=1)([ea, plain])),          # time axis: ones for plain
            L.SimpleRNN(3)(L.Concatenate()([ea, eb])),          # feature axis: union
            L.LSTM(2)(L.Concatenate()([ea, plain]))]            # feature axis, one unmasked
    assert_same_masked(pynn.Model([a, b], outs), tmp_path, 6, n_inputs=2)


def test_masked_variable_length(tmp_path):
    model = seq((None,), L.Embedding(20, 4, mask_zero=True), L.LSTM(3, return_sequences=True),
                L.GRU(3))
    randomise(model)
    path = tmp_path / "m.onnx"
    model.export(path)
    sess = ort.InferenceSession(str(path))
    for T in (3, 11):
        x = padded_ids(6, T, 20, seed=T)
        np.testing.assert_allclose(sess.run(None, {sess.get_inputs()[0].name: x})[0],
                                   model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


# ------------------------------------- transposed, depthwise and separable convolutions
@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same", strides=2),
                                dict(padding="valid", strides=3, kernel_size=2),
                                dict(padding="same", strides=2, output_padding=0),
                                dict(padding="same", strides=(2, 3), kernel_size=4,
                                     output_padding=(1, 2)),
                                dict(padding="same", dilation_rate=2, activation="relu")])
def test_conv2d_transpose(kw, tmp_path):
    kw = {"kernel_size": 3, **kw}
    model = seq((5, 6, 2), L.Conv2DTranspose(3, **kw))
    assert_same(model, tmp_path, (5, 6, 2))


@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same", strides=2),
                                dict(padding="valid", strides=2, output_padding=1)])
def test_conv1d_transpose(kw, tmp_path):
    model = seq((7, 3), L.Conv1DTranspose(2, 3, **kw))
    assert_same(model, tmp_path, (7, 3))


@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same", strides=2),
                                dict(padding="same", depth_multiplier=3, activation="tanh"),
                                dict(padding="valid", dilation_rate=2, use_bias=False)])
def test_depthwise_and_separable_conv2d(kw, tmp_path):
    model = seq((9, 8, 3), L.DepthwiseConv2D(3, **kw), L.SeparableConv2D(4, 2, **kw))
    assert_same(model, tmp_path, (9, 8, 3))


def test_conv_transpose_of_unknown_size_is_refused_by_name(tmp_path):
    model = seq((None, None, 2), L.Conv2DTranspose(3, 3, name="up"))
    with pytest.raises(ValueError, match="ONNX export: layer 'up' \\(Conv2DTranspose\\).*unknown"):
        model.export(str(tmp_path / "m.onnx"), format="onnx")
