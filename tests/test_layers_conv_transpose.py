"""Conv2DTranspose, Conv1DTranspose, DepthwiseConv2D, SeparableConv2D as layers:
Keras 3 side by side (the same weights through set_weights: outputs, input
gradients and weight gradients, on the torch backend; skipped when Keras is
absent), parameter counts and output shapes, save/load, summary, training, and
argument errors. Source of the reference behaviour: keras.io/api/layers/
convolution_layers/ (conv2d_transpose, conv1d_transpose, depthwise_convolution2d,
separable_convolution2d)."""
import numpy as np
import pytest

import pynn
from pynn import layers as L
from keras_ref import keras_or_skip

CASES = [
    ("Conv2DTranspose", dict(filters=3, kernel_size=3), (5, 6, 2)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same",
                             activation="relu"), (4, 5, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(2, 4), strides=(3, 2), padding="same",
                             output_padding=(2, 1)), (3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, use_bias=False), (4, 4, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=2, padding="same"), (6, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1,
                             activation="tanh"), (5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3), (6, 6, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), strides=2, padding="same", depth_multiplier=2,
                             activation="relu"), (7, 6, 2)),
    ("DepthwiseConv2D", dict(kernel_size=2, dilation_rate=2, use_bias=False), (6, 5, 2)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3), (6, 6, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, strides=2, padding="same",
                             depth_multiplier=2, activation="sigmoid"), (7, 7, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=2, dilation_rate=(2, 1), use_bias=False),
     (6, 5, 2)),
]


def _ids():
    return [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("cls,kw,per_sample", CASES, ids=_ids())
def test_outputs_and_gradients_match_keras(cls, kw, per_sample):
    keras = keras_or_skip()
    import torch
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2,) + per_sample).astype(np.float32)
    ours = getattr(L, cls)(**kw)
    theirs = getattr(keras.layers, cls)(**kw)
    y = ours(x)
    theirs.build((None,) + per_sample)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in ours.get_weights()]
    assert [tuple(w.shape) for w in theirs.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)  # Keras' layouts: the same arrays fit both

    xt = pynn.Tensor(x, requires_grad=True)
    y = ours(xt)
    seed = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(seed)

    xk = torch.tensor(x, requires_grad=True)
    yk = theirs(xk)
    params = [w.value for w in theirs.trainable_weights]
    grads = torch.autograd.grad((yk * torch.tensor(seed)).sum(), [xk] + params)

    np.testing.assert_allclose(y.numpy(), yk.detach().numpy(), rtol=1e-4, atol=1e-4)
    assert ours.compute_output_shape((None,) + per_sample) == \
        tuple(theirs.compute_output_shape((None,) + per_sample))
    np.testing.assert_allclose(xt.grad, grads[0].numpy(), rtol=1e-4, atol=1e-4)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name for w in theirs.trainable_weights]
    for w, g in zip(ours.weights, grads[1:]):
        np.testing.assert_allclose(ours.tensor(w).grad, g.numpy(), rtol=1e-4, atol=2e-4,
                                   err_msg=w.name)


@pytest.mark.parametrize("layer,per_sample,params,out", [
    (lambda: L.Conv2DTranspose(16, 3, strides=2, padding="same"), (7, 7, 32), 3 * 3 * 16 * 32 + 16,
     (14, 14, 16)),
    (lambda: L.Conv2DTranspose(1, 3, activation="sigmoid"), (28, 28, 32), 289, (30, 30, 1)),
    (lambda: L.Conv1DTranspose(8, 5, strides=2), (10, 4), 5 * 8 * 4 + 8, (23, 8)),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=2), (10, 10, 8), 3 * 3 * 8 * 2 + 16,
     (8, 8, 16)),
    (lambda: L.SeparableConv2D(64, 3, padding="same"), (16, 16, 32), 288 + 2048 + 64,
     (16, 16, 64)),
])
def test_params_and_shapes(layer, per_sample, params, out):
    lay = layer()
    y = lay(np.zeros((2,) + per_sample, np.float32))
    assert lay.count_params() == params
    assert y.shape == (2,) + out
    assert lay.compute_output_shape((None,) + per_sample) == (None,) + out


def _model():
    return pynn.Sequential([
        pynn.Input(shape=(8, 8, 3)),
        L.SeparableConv2D(6, 3, padding="same", depth_multiplier=2, activation="relu"),
        L.DepthwiseConv2D(3, strides=2, padding="same"),
        L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1),
        L.Reshape((64, 4)),
        L.Conv1DTranspose(2, 3, strides=2, padding="same"),
        L.Flatten(), L.Dense(1),
    ])


def test_save_load_round_trip(tmp_path):
    pynn.set_seed(3)
    model = _model()
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 3)).astype(np.float32)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = pynn.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()
    t = loaded.layers[2]
    assert (t.strides, t.padding, t.output_padding) == ((2, 2), "same", (1, 1))
    assert loaded.layers[0].depth_multiplier == 2


def test_summary_lists_the_layers_with_keras_counts(capsys):
    model = _model()
    model.summary()
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("│")]
    # SeparableConv2D: 3*3*3*2 + 1*1*6*6 + 6 = 96; DepthwiseConv2D: 3*3*6 + 6 = 60;
    # Conv2DTranspose: 3*3*4*6 + 4 = 220 on (4, 4) -> (4-1)*2 + 3 - 2 + 1 = 8;
    # Conv1DTranspose: 3*2*4 + 2 = 26 on 64 steps -> 128
    expect = [("separable_conv2d", "(None, 8, 8, 6)", 96), ("depthwise_conv2d", "(None, 4, 4, 6)", 60),
              ("conv2d_transpose", "(None, 8, 8, 4)", 220), ("conv1d_transpose", "(None, 128, 2)", 26)]
    for (name, shape, count), layer in zip(expect, [model.layers[i] for i in (0, 1, 2, 4)]):
        row = next(r for r in rows if r.split("│")[1].strip().startswith(layer.name))
        cells = [c.strip() for c in row.split("│")[1:-1]]
        assert layer.name.startswith(name)
        assert cells[1] == shape and cells[2] == str(count), row
    assert model.count_params() == 96 + 60 + 220 + 26 + 257


def test_a_small_autoencoder_learns():
    # Conv -> Conv2DTranspose reconstructs 4x4 blocks; the loss must fall by far
    pynn.set_seed(0)
    rng = np.random.default_rng(0)
    x = np.kron(rng.random((64, 4, 4, 1)), np.ones((1, 2, 2, 1))).astype(np.float32)
    model = pynn.Sequential([pynn.Input(shape=(8, 8, 1)),
                             L.SeparableConv2D(8, 3, strides=2, padding="same", activation="relu"),
                             L.Conv2DTranspose(1, 3, strides=2, padding="same")])
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse")
    h = model.fit(x, x, epochs=40, batch_size=16, verbose=0).history["loss"]
    assert h[-1] < 0.1 * h[0]


@pytest.mark.parametrize("make,match", [
    (lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=2),
     "output_padding.*smaller than `strides`"),
    (lambda: L.Conv2DTranspose(4, 3, strides=2, dilation_rate=2), "strides > 1.*dilation_rate > 1"),
    (lambda: L.Conv1DTranspose(4, 3, padding="causal"), "padding"),
    (lambda: L.Conv2DTranspose(0, 3), "filters must be a positive integer"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: L.SeparableConv2D(4, 3, data_format="channels_first"), "channels_last"),
    (lambda: L.SeparableConv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: L.DepthwiseConv2D(3, depthwise_constraint="non_neg"), "depthwise_constraint"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    lay = L.DepthwiseConv2D(3, name="dw")
    with pytest.raises(ValueError, match="DepthwiseConv2D 'dw' expects a 4-D input"):
        lay(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(ValueError, match="DepthwiseConv2D 'dw'.*height of the input is 2"):
        lay(np.zeros((2, 2, 8, 1), np.float32))
    t = L.Conv2DTranspose(2, 3, name="up")
    t(np.zeros((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="Conv2DTranspose 'up' was built for inputs with 3 channels"):
        t(np.zeros((1, 4, 4, 5), np.float32))


def test_onnx_export_handles_the_new_layers_or_skips():
    pytest.importorskip("onnx", reason="the [onnx] extra is not installed")
    # the exporter's own tests (test_export_onnx.py) compare with onnxruntime; here only
    # that none of the four is refused
    import tempfile, os
    path = os.path.join(tempfile.mkdtemp(), "m.onnx")
    assert _model().export(path, format="onnx") == path
