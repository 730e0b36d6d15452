"""Conv / pooling / normalisation / reshaping layers: Keras parameter counts,
output shapes, BatchNormalization's moving statistics in eager and compiled
training, config round trips and input errors."""
import numpy as np
import pytest

import pynn
from pynn import layers as L


def built(layer, per_sample):
    x = np.zeros((2,) + per_sample, np.float32)
    y = layer(x)
    return layer, y


@pytest.mark.parametrize("layer,per_sample,params,out", [
    (lambda: L.Conv2D(32, 3), (28, 28, 1), 320, (26, 26, 32)),
    (lambda: L.Conv2D(64, (3, 5), padding="same", use_bias=False), (10, 10, 16), 3 * 5 * 16 * 64,
     (10, 10, 64)),
    (lambda: L.Conv2D(8, 3, strides=2), (9, 9, 3), 224, (4, 4, 8)),
    (lambda: L.Conv2D(4, 3, dilation_rate=2), (9, 9, 2), 76, (5, 5, 4)),
    (lambda: L.Conv1D(16, 5, padding="causal"), (20, 4), 5 * 4 * 16 + 16, (20, 16)),
    (lambda: L.MaxPooling2D(), (7, 7, 3), 0, (3, 3, 3)),
    (lambda: L.AveragePooling2D(3, strides=2, padding="same"), (7, 8, 3), 0, (4, 4, 3)),
    (lambda: L.MaxPooling1D(3), (10, 2), 0, (3, 2)),
    (lambda: L.AveragePooling1D(), (9, 2), 0, (4, 2)),
    (lambda: L.GlobalAveragePooling2D(), (4, 5, 6), 0, (6,)),
    (lambda: L.GlobalMaxPooling1D(keepdims=True), (4, 6), 0, (1, 6)),
    (lambda: L.BatchNormalization(), (5, 5, 8), 32, (5, 5, 8)),
    (lambda: L.BatchNormalization(center=False), (8,), 24, (8,)),
    (lambda: L.LayerNormalization(), (7, 12), 24, (7, 12)),
    (lambda: L.ZeroPadding2D(((1, 2), (0, 3))), (4, 4, 2), 0, (7, 7, 2)),
    (lambda: L.Cropping2D(1), (6, 5, 2), 0, (4, 3, 2)),
    (lambda: L.UpSampling2D((2, 3)), (2, 3, 1), 0, (4, 9, 1)),
    (lambda: L.ZeroPadding1D(2), (3, 1), 0, (7, 1)),
    (lambda: L.Cropping1D((1, 0)), (3, 1), 0, (2, 1)),
    (lambda: L.UpSampling1D(3), (3, 1), 0, (9, 1)),
])
def test_params_and_shapes_match_keras(layer, per_sample, params, out):
    lay, y = built(layer(), per_sample)
    assert lay.count_params() == params
    assert y.shape == (2,) + out
    assert lay.compute_output_shape((None,) + per_sample) == (None,) + out


def test_conv2d_layer_computes_the_op_with_its_weights():
    rng = np.random.default_rng(50)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    lay = L.Conv2D(4, 3, padding="same", activation="relu")
    y = lay(x).numpy()
    ref = np.maximum(pynn.ops.conv2d(x, np.asarray(lay.kernel), np.asarray(lay.bias),
                                     padding="same").numpy(), 0)
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    # kernel initialised glorot_uniform with Keras' fans (receptive field * channels)
    limit = np.sqrt(6 / (3 * 3 * 3 + 3 * 3 * 4))
    assert np.abs(lay.kernel).max() <= limit and np.abs(lay.kernel).max() > 0.5 * limit


def test_batch_norm_layer_training_vs_inference_and_frozen():
    rng = np.random.default_rng(51)
    x = (rng.standard_normal((32, 4)) * 3 + 5).astype(np.float32)
    bn = L.BatchNormalization(momentum=0.5)
    y_inf = bn(x).numpy()  # inference: moving stats 0 / 1
    np.testing.assert_allclose(y_inf, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean, 0)
    y_tr = bn(x, training=True).numpy()
    np.testing.assert_allclose(y_tr.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean, 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance, 0.5 + 0.5 * x.var(0), rtol=1e-5)
    assert [w.name.split("/")[-1] for w in bn.weights] == ["gamma", "beta", "moving_mean",
                                                           "moving_variance"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    bn.trainable = False  # Keras: a frozen BatchNormalization runs in inference mode
    before = np.array(bn.moving_mean)
    bn(x, training=True)
    np.testing.assert_array_equal(bn.moving_mean, before)


def test_compiled_fit_updates_moving_stats_and_learns():
    pynn.set_seed(0)
    rng = np.random.default_rng(52)
    x = rng.standard_normal((203, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean((1, 2, 3)) > x[:, 4:].mean((1, 2, 3))).astype(np.float32)
    model = pynn.Sequential([
        pynn.Input(shape=(8, 8, 1)),
        L.Conv2D(8, 3, padding="same", activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(),
        L.Conv2D(8, (4, 1)),
        L.GlobalAveragePooling2D(),
        L.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.build((None, 8, 8, 1))
    bn = model.layers[1]
    assert np.all(np.asarray(bn.moving_mean) == 0)
    hist = model.fit(x, y, epochs=15, batch_size=32, verbose=0)  # 203: a partial last batch
    assert not np.allclose(bn.moving_mean, 0)
    assert not np.allclose(bn.moving_variance, 1)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # predict uses the inference graph: deterministic, independent of batch composition
    p1 = model.predict(x[:7], verbose=0)
    p2 = model.predict(x[:20], verbose=0)[:7]
    np.testing.assert_allclose(p1, p2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: L.Conv2D(4, (3, 2), strides=(1, 2), padding="same", activation="relu", use_bias=False),
    lambda: L.Conv1D(3, 2, padding="causal", dilation_rate=2),
    lambda: L.MaxPooling2D((3, 3), strides=2, padding="same"),
    lambda: L.GlobalMaxPooling2D(keepdims=True),
    lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-4, scale=False),
    lambda: L.LayerNormalization(epsilon=1e-5),
    lambda: L.ZeroPadding2D(((1, 0), (2, 3))),
    lambda: L.Cropping2D(((1, 0), (0, 1))),
    lambda: L.UpSampling2D(3),
])
def test_config_round_trip(make):
    lay = make()
    cfg = lay.get_config()
    cls = pynn.layers.get_class(type(lay).__name__)
    again = cls.from_config({**cfg, "name": cfg["name"] + "_copy"})
    c2 = again.get_config()
    c2["name"] = cfg["name"]
    assert c2 == cfg


def test_layer_input_errors():
    with pytest.raises(ValueError, match=r"per-sample shape \(28, 28\).*channel axis"):
        L.Conv2D(8, 3)(np.zeros((4, 28, 28), np.float32))
    with pytest.raises(ValueError, match="window needs 5"):
        L.Conv2D(8, 5)(np.zeros((1, 4, 4, 1), np.float32))
    conv = L.Conv2D(2, 3)
    conv(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="built for inputs with 3 channels"):
        conv(np.zeros((1, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match="strides > 1.*dilation_rate > 1"):
        L.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="channels_last"):
        L.Conv2D(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match="pool_size"):
        L.MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="axis=-1"):
        L.BatchNormalization(axis=1)
    bn = L.BatchNormalization()
    bn(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="built for 3 channels"):
        bn(np.zeros((2, 4), np.float32))
