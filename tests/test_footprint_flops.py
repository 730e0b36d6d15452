"""pynn.footprint: parameters, MACs (ptflops' convention) and FLOPs (keras-flops':
2 per multiply-accumulate + other ops) per layer and per sample."""
import numpy as np
import pytest

import pynn
from pynn import footprint as fp
from pynn import layers as L
from pynn.summary import summary_html, summary_text


def seq(shape, *layers):
    return pynn.Sequential([pynn.Input(shape=shape), *layers])


def one(model):
    """The single counted layer of a model: (params, macs, flops)."""
    (c,) = fp.profile(model).layers
    return c.params, c.macs, c.flops


# ---------------------------------------------------------------- published anchors
def test_conv2d_anchor_from_ptflops_tests():
    """ptflops' test_conv: Conv2d(3, 2, 3) on 3x224x224 -> 2,759,904 MACs, 56 params."""
    params, macs, flops = one(seq((224, 224, 3), L.Conv2D(2, 3)))
    assert (params, macs) == (56, 2_759_904)
    # keras-flops: 2·(3·3·3·2·222·222) + 2·222·222 bias adds
    assert flops == 2 * 54 * 222 * 222 + 2 * 222 * 222 == 5_421_240


def test_dense_anchors_from_ptflops_tests():
    """ptflops' test_fc: Linear(3, 2) on (3,) -> 8 MACs; on (4, 5, 3) -> 8·20."""
    assert one(seq((3,), L.Dense(2))) == (8, 8, 14)  # keras-flops: 2·3·2 + 2
    assert one(seq((4, 5, 3), L.Dense(2)))[1:] == (160, 20 * 14)


# ---------------------------------------------------------------- hand formulas
@pytest.mark.parametrize("kw,out_hw", [
    (dict(strides=2, padding="same"), (9, 7)),       # ceil(17/2), ceil(13/2)
    (dict(dilation_rate=2), (13, 11)),                # 17 - 2·2, 13 - 2·1
    (dict(strides=(3, 1)), (5, 12)),                  # (17-3)//3 + 1, 13 - 1
])
def test_conv2d_strides_padding_dilation(kw, out_hw):
    m = seq((17, 13, 3), L.Conv2D(5, (3, 2), activation="relu", **kw))
    (c,) = fp.profile(m).layers
    assert m.predict(np.zeros((1, 17, 13, 3)), verbose=0).shape[1:3] == out_hw == c.output_shape[:2]
    positions = out_hw[0] * out_hw[1]
    mult = positions * (3 * 2 * 3) * 5
    assert c.macs == mult + positions * 5 + positions * 5  # + bias + ReLU (ptflops counts ReLU)
    assert c.flops == 2 * mult + positions * 5 + positions * 5
    assert c.params == 3 * 2 * 3 * 5 + 5


def test_conv1d_strides_causal_and_no_bias():
    assert one(seq((20, 2), L.Conv1D(4, 5, strides=3)))[1] == 6 * 5 * 2 * 4 + 6 * 4
    assert one(seq((20, 2), L.Conv1D(4, 3, padding="causal", dilation_rate=2,
                                    use_bias=False, activation="tanh")))[1:] == (20 * 3 * 2 * 4,
                                                                                 2 * 20 * 3 * 2 * 4)


def test_pooling_norms_upsampling_and_free_layers():
    assert one(seq((8, 8, 3), L.MaxPooling2D()))[1] == 192          # input elements
    assert one(seq((10, 4), L.AveragePooling1D(3, strides=1)))[1] == 40
    assert one(seq((6, 5, 3), L.GlobalAveragePooling2D()))[1] == 90
    assert one(seq((7, 4), L.GlobalMaxPooling1D()))[1] == 28
    assert one(seq((4, 4, 3), L.UpSampling2D((2, 3))))[1] == 8 * 12 * 3  # output elements
    assert one(seq((6, 5), L.BatchNormalization())) == (20, 60, 60)       # scale+shift: 2/elem
    assert one(seq((6, 5), L.BatchNormalization(center=False, scale=False)))[1] == 30
    assert one(seq((6, 5), L.LayerNormalization()))[1] == 60
    assert one(seq((6,), L.Embedding(100, 8))) == (800, 0, 0)
    assert one(seq((3, 4), L.Flatten()))[1] == 0
    assert one(seq((3, 4), L.Dropout(0.5)))[1] == 0
    assert one(seq((4, 4, 2), L.ZeroPadding2D()))[1] == 0
    assert one(seq((9,), L.Activation("relu")))[1] == 9
    assert one(seq((9,), L.Activation("sigmoid")))[1] == 0  # ptflops has no Sigmoid hook


@pytest.mark.parametrize("cls,gates,gate_ops,bias", [
    (L.SimpleRNN, 1, 1, lambda u: u), (L.GRU, 3, 7, lambda u: 6 * u), (L.LSTM, 4, 10, lambda u: 4 * u)])
def test_recurrent_layers(cls, gates, gate_ops, bias):
    T, d, u = 7, 8, 5
    params, macs, flops = one(seq((T, d), cls(u)))
    mult = T * gates * u * (d + u)
    assert macs == mult + T * (gate_ops * u + bias(u))
    assert flops == 2 * mult + T * (gate_ops * u + bias(u))
    assert params == gates * u * (d + u) + bias(u)
    bi = fp.profile(seq((T, d), L.Bidirectional(cls(u), merge_mode="sum"))).layers[0]
    assert bi.macs == 2 * macs + u  # both directions + the element-wise sum of their outputs


def test_multi_head_attention_with_distinct_key_and_value_dims():
    q = pynn.Input(shape=(6, 16))
    v = pynn.Input(shape=(9, 12))
    k = pynn.Input(shape=(9, 10))
    out = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)(q, v, key=k)
    (c,) = fp.profile(pynn.Model([q, v, k], out)).layers
    H, kd, vd = 2, 3, 4
    mult = (6 * 16 * H * kd + 9 * 10 * H * kd + 9 * 12 * H * vd   # projections
            + H * 6 * 9 * kd + H * 6 * 9 * vd + 6 * H * vd * 16)  # Q·Kᵀ, A·V, output
    other = 6 * H * kd + H * 6 * 9 + (6 + 9) * H * kd + 9 * H * vd + 6 * 16
    assert (c.macs, c.flops) == (mult + other, 2 * mult + other)


def test_whole_model_totals_are_the_layer_sums():
    m = seq((28, 28, 1), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
            L.Dense(10, activation="softmax"))
    p = fp.profile(m)
    conv = 26 * 26 * 9 * 8 + 26 * 26 * 8 * 2
    assert [c.macs for c in p.layers] == [conv, 26 * 26 * 8, 0, 1352 * 10 + 10]
    assert p.macs == fp.count_macs(m) == sum(c.macs for c in p.layers)
    assert p.flops == fp.count_flops(m) == p.macs + 26 * 26 * 9 * 8 + 1352 * 10
    assert p.params == m.count_params() and p.complete
    d = p.to_dict()
    assert d["per"] == "sample" and d["layers"][0]["class"] == "Conv2D"


# ---------------------------------------------------------------- unknown layers
class Scale(L.Layer):
    def call(self, inputs, training=False):
        return inputs * 2.0


def test_unknown_layer_is_reported_and_can_be_registered(monkeypatch):
    m = seq((5,), L.Dense(3), Scale())
    p = fp.profile(m)
    assert p.layers[1].macs is None and not p.complete and "scale" in p.note
    assert p.macs == 18
    monkeypatch.setitem(fp.flops._COUNTERS, Scale, None)  # restored after the test
    fp.register_counter(Scale, lambda layer, ins, out: (0, int(np.prod(out))))
    assert fp.profile(m).macs == 21 and fp.profile(m).complete
    with pytest.raises(TypeError, match="a class and a callable"):
        fp.register_counter("Scale", len)


def test_unknown_dimension_is_reported():
    x = pynn.Input(shape=(None, 3))  # sequences of any length
    p = fp.profile(pynn.Model(x, L.Dense(1)(L.LSTM(2)(x))))
    assert p.layers[0].macs is None and "unknown" in p.layers[0].note
    assert p.layers[1].macs == 3 and not p.complete


def test_bad_input():
    with pytest.raises(TypeError, match="expects a pynn Model"):
        fp.profile(L.Dense(3))
    with pytest.raises(ValueError, match="not built"):
        fp.profile(pynn.Sequential([L.Dense(3)]))


# ---------------------------------------------------------------- summary column
def test_summary_default_is_unchanged_and_show_macs_adds_the_column(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    L.clear_session()
    m = seq((224, 224, 3), L.Conv2D(2, 3), L.Flatten(), L.Dense(1))
    plain = summary_text(m)
    assert "MACs" not in plain
    text = summary_text(m, show_macs=True)
    lines = text.splitlines()
    assert "┃ Layer (type)" in lines[2] and lines[2].rstrip("┃ ").endswith("MACs")
    row = next(l for l in lines if l.startswith("│ conv2d"))
    assert row.rstrip(" │").endswith("2,759,904")
    dense_macs = 222 * 222 * 2 + 1
    assert f" MACs per sample: {2_759_904 + dense_macs:,} (ptflops' convention)" in text
    assert f" FLOPs per sample: {5_421_240 + 2 * (dense_macs - 1) + 1:,}" in text
    assert text.startswith(plain.split("┏")[0]) and plain.splitlines()[-3:] == lines[-5:-2]
    unbuilt = pynn.Sequential([L.Dense(3)])
    assert summary_text(unbuilt, show_macs=True).endswith(" MACs per sample: ? (the model is not built)")
    got = []
    m.summary(show_macs=True, print_fn=got.append)
    assert got == [text]
    assert "<th" in summary_html(m, show_macs=True) and "2,759,904" in \
        summary_html(m, show_macs=True)


# ---------------------------------------------------------------- cross-check with ptflops
def _ptflops(net, shape):
    ptflops = pytest.importorskip("ptflops")
    macs, params = ptflops.get_model_complexity_info(
        net, shape, as_strings=False, print_per_layer_stat=False, verbose=False,
        backend="pytorch", backend_specific_config={"count_functional": False})
    return int(macs), int(params)


def test_cnn_matches_ptflops():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
                        nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, dilation=2),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5), nn.ELU(), nn.Linear(5, 2))
    m = seq((32, 32, 3), L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            L.UpSampling2D(2), L.BatchNormalization(), L.MaxPooling2D(), L.Conv2D(6, 3, dilation_rate=2),
            L.GlobalAveragePooling2D(), L.Dense(5, activation="elu"), L.Dense(2))
    macs, params = _ptflops(net, (3, 32, 32))
    p = fp.profile(m)
    assert p.macs == macs
    assert p.params - 2 * 4 == params  # BatchNorm's moving statistics are buffers in PyTorch


def test_recurrent_and_attention_match_ptflops():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class First(nn.Module):
        def __init__(self, mod, attention=False):
            super().__init__()
            self.mod, self.attention = mod, attention

        def forward(self, x):
            return self.mod(x, x, x, need_weights=False)[0] if self.attention else self.mod(x)[0]

    T, d, u = 7, 8, 5
    assert fp.count_macs(seq((T, d), L.GRU(u))) == _ptflops(First(nn.GRU(d, u, batch_first=True)), (T, d))[0]
    # PyTorch's LSTM and RNN carry two bias vectors where Keras has one: T·4u and T·u more adds
    assert fp.count_macs(seq((T, d), L.LSTM(u))) + T * 4 * u == _ptflops(
        First(nn.LSTM(d, u, batch_first=True)), (T, d))[0]
    assert fp.count_macs(seq((T, d), L.SimpleRNN(u))) + T * u == _ptflops(
        First(nn.RNN(d, u, batch_first=True)), (T, d))[0]
    q = pynn.Input(shape=(6, 16))
    attn = pynn.Model(q, L.MultiHeadAttention(num_heads=4, key_dim=4)(q, q))
    assert fp.count_macs(attn) == _ptflops(
        First(nn.MultiheadAttention(16, 4, batch_first=True), attention=True), (6, 16))[0] == 7920


def test_merge_layers():
    x = pynn.Input((6,))
    h = L.Dense(6, name="dense")(x)                       # 36 mult-adds + 6 bias
    added = L.Add(name="add")([x, h])                     # one add per element
    mean = L.Average(name="average")([x, h, added])       # two adds and a division per element
    both = L.Concatenate(name="concatenate")([added, mean])  # free
    dot = L.Dot(axes=1, name="dot")([x, h])               # 6 mult-adds
    cos = L.Dot(axes=1, normalize=True, name="dot_1")([x, h])  # + 2 ops per input element
    model = pynn.Model(x, [both, dot, cos])
    macs = {r.name: r.macs for r in fp.profile(model).layers}
    assert macs == {"dense": 42, "add": 6, "average": 18, "concatenate": 0, "dot": 6,
                    "dot_1": 6 + 2 * 12}


def test_transposed_depthwise_and_separable_convolutions():
    # Conv2DTranspose: each of the 4x4 input positions through 3x3 taps, 2 -> 5 channels,
    # plus a bias add per output element (8x8 with 'same' and strides 2)
    t = seq((4, 4, 2), L.Conv2DTranspose(5, 3, strides=2, padding="same"))
    assert fp.count_macs(t) == 16 * 9 * 2 * 5 + 64 * 5
    # DepthwiseConv2D: 6x6 output positions, 3x3 taps, 2 channels x 3 multipliers, + bias
    d = seq((8, 8, 2), L.DepthwiseConv2D(3, depth_multiplier=3))
    assert fp.count_macs(d) == 36 * 9 * 6 + 36 * 6
    # SeparableConv2D: the depthwise part, a 1x1 conv 6 -> 4, a bias per filter
    s = seq((8, 8, 2), L.SeparableConv2D(4, 3, depth_multiplier=3, use_bias=True))
    assert fp.count_macs(s) == 36 * 9 * 6 + 36 * 6 * 4 + 36 * 4
    assert fp.count_flops(s) == 2 * (36 * 9 * 6 + 36 * 6 * 4) + 36 * 4


def test_attention_counts_gate_output_shape_and_shared_heads():
    # MultiHeadAttention's use_gate and output_shape (Keras 3.15) and GroupQueryAttention's
    # fewer key/value heads: their projections' multiply-accumulates, counted by hand
    q = pynn.Input(shape=(5, 8))
    out = L.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True, output_shape=(4, 2))(q, q)
    (c,) = fp.profile(pynn.Model(q, out)).layers
    H, kd, vd, do = 2, 3, 3, 8
    mult = (3 * 5 * 8 * H * kd + 2 * H * 5 * 5 * kd + 5 * H * vd * do  # q, k, v; QKᵀ, AV; out
            + 5 * 8 * H * vd)                                          # gate projection
    other = (5 * H * kd + H * 5 * 5 + 3 * 5 * H * kd + 5 * do          # scale, softmax, biases
             + 5 * H * vd * 3)                                         # gate bias, sigmoid, mul
    assert (c.macs, c.flops) == (mult + other, 2 * mult + other)
    g = L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=1,
                              use_bias=False)(q, q)
    (c,) = fp.profile(pynn.Model(q, g)).layers
    mult = 5 * 8 * 4 * 3 + 2 * 5 * 8 * 1 * 3 + 2 * 4 * 5 * 5 * 3 + 5 * 4 * 3 * 8
    assert c.macs - (5 * 4 * 3 + 4 * 5 * 5) == mult
