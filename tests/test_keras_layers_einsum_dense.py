"""EinsumDense side by side with Keras 3 (https://keras.io/api/layers/core_layers/einsum_dense/,
keras/src/layers/core/einsum_dense.py): the equations of its docs and tests (full,
partial output shapes with None, '...' on the left and right, bias_axes), the same
weights, outputs and gradients at float32 tolerance; weight shapes, parameter counts,
configs, save/load; the matmul path against the general einsum path; bad equations."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(9)

CASES = {  # name: (equation, output_shape, bias_axes, input shape without batch)
    "dense": ("ab,bc->ac", 4, "c", (5,)),
    "dense_no_bias": ("ab,bc->ac", 4, None, (5,)),
    "sequence": ("abc,cd->abd", (None, 6), "d", (3, 5)),
    "heads": ("abc,cde->abde", (None, 2, 4), "de", (3, 5)),
    "heads_bias_e": ("abc,cde->abde", (None, 2, 4), "e", (3, 5)),
    "merge_heads": ("abcd,cde->abe", (None, 6), "e", (3, 2, 4)),
    "left_ellipsis": ("...b,bc->...c", 4, "c", (2, 3, 5)),
    "right_ellipsis": ("ab...,bc->ac...", (4, 3), "c", (5, 3)),
    "transposed_out": ("abc,cd->adb", (6, None), "d", (3, 5)),
    "shared_letter": ("abc,bcd->abd", (3, 4), "d", (3, 5)),  # b in input, kernel, output
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    keras = keras_or_skip()
    eq, out, bias, shape = CASES[name]
    x = RNG.normal(size=(2,) + shape).astype(np.float32)
    theirs = keras.layers.EinsumDense(eq, output_shape=out, bias_axes=bias, activation="tanh")
    ours = layers.EinsumDense(eq, output_shape=out, bias_axes=bias, activation="tanh")
    import torch
    theirs(torch.tensor(x))
    for w in theirs.weights:  # a random bias too
        w.assign(RNG.normal(size=tuple(w.shape)).astype(np.float32) * 0.3)
    compare(keras, theirs, ours, x)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    # the shape Keras' call computes (its compute_output_shape reverses the axes a left
    # '...' stands for when there are two or more, repeats a right '...' given in
    # output_shape, and leaves None what the input knows)
    actual = keras.ops.convert_to_numpy(theirs(x)).shape[1:]
    assert ours.compute_output_shape((None,) + shape) == (None,) + tuple(actual)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "kernel_constraint", "bias_constraint",
                                              "activity_regularizer", "quantization_config"})
    for k in ("equation", "bias_axes", "activation"):
        assert pc[k] == kc[k]
    assert list(pc["output_shape"]) == list(kc["output_shape"])
    round_trip(ours, x)


@pytest.mark.parametrize("name", ["heads", "merge_heads", "left_ellipsis", "transposed_out"])
def test_matmul_path_equals_the_einsum_path(name):
    eq, out, bias, shape = CASES[name]
    x = pynn.Tensor(RNG.normal(size=(3,) + shape).astype(np.float32), requires_grad=True)
    fast = layers.EinsumDense(eq, output_shape=out, bias_axes=bias)
    y = fast(x)
    assert fast._plan is not None
    slow = layers.EinsumDense(eq, output_shape=out, bias_axes=bias)
    slow(x)
    slow.set_weights(fast.get_weights())
    slow._plan = None  # force pynn.ops.einsum
    z = slow(x)
    np.testing.assert_allclose(y.numpy(), z.numpy(), rtol=1e-5, atol=1e-6)
    # and both against NumPy's einsum
    i, w, o = fast._letters(len(x.shape))
    want = np.einsum(f"{i},{w}->{o}", x.numpy(), fast.kernel)
    if fast.bias is not None:
        want = want + fast.bias
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-5)


def test_shared_letter_takes_the_einsum_path():
    layer = layers.EinsumDense("abc,bcd->abd", output_shape=(3, 4))
    layer(np.ones((2, 3, 5), np.float32))
    assert layer._plan is None


def test_kernel_initializer_uses_the_contraction_fans():
    # glorot_uniform over (fan_in, fan_out) = (5, 2*4): limit sqrt(6 / 13)
    pynn.set_seed(0)
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4))
    layer(np.ones((1, 3, 5), np.float32))
    limit = np.sqrt(6 / (5 + 8))
    assert np.abs(layer.kernel).max() <= limit
    assert np.abs(layer.kernel).max() > 0.8 * limit


def test_trains_in_a_compiled_model():
    pynn.set_seed(2)
    x = RNG.normal(size=(64, 3, 5)).astype(np.float32)
    w = RNG.normal(size=(5, 2)).astype(np.float32)
    y = np.einsum("abc,cd->abd", x, w)
    model = pynn.Sequential([pynn.Input(shape=(3, 5)),
                             layers.EinsumDense("abc,cd->abd", output_shape=(None, 2),
                                                bias_axes="d")])
    model.compile(pynn.optimizers.Adam(0.05), "mse")
    hist = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.01 * hist.history["loss"][0]


@pytest.mark.parametrize("args,message", [
    (("ab,bc", 4), "invalid equation"),
    (("ab,bc->ad", 4), "'d' of the output"),
    (("ab,bcd->ac", 4), "weight dimension 'd'"),
])
def test_bad_equations(args, message):
    with pytest.raises(ValueError, match=message):
        layers.EinsumDense(*args)(np.ones((2, 3), np.float32))


def test_bad_bias_axes_and_shapes():
    with pytest.raises(ValueError, match="bias dimension 'x'"):
        layers.EinsumDense("ab,bc->ac", 4, bias_axes="x")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="shared dimension 'b'"):
        layers.EinsumDense("abc,cd->abd", (7, 4))(np.ones((2, 3, 5), np.float32))
    layer = layers.EinsumDense("ab,bc->ac", 4)
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="EinsumDense 'einsum_dense.*built with a kernel"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="not supported"):
        layers.EinsumDense("ab,bc->ac", 4, lora_rank=2)


# ------------------------------------------------------------------ Keras' shape table
# keras/src/layers/core/einsum_dense_test.py::test_einsum_dense_basics (its parameters:
# equation, bias_axes, input shape, output_shape -> kernel, bias and output shapes),
# plus '...' standing for two and three axes (the "...b,bc->...c" of keras.io's
# examples on images and on (batch, heads, T, dim)), where pynn's symbolic output
# shape reversed the elided axes (Keras' own _analyze_split_string inserts them in
# reverse order; its einsum computes them in order, as the values below)
KERAS_SHAPES = {
    "1d_end_weight": ('ab,b->a', None, (2, 32), (), (32,), None, (2,)),
    "2d_middle_weight": ('ab,bc->ac', None, (2, 32), 64, (32, 64), None, (2, 64)),
    "3d_bert": ('abc,cde->abde', None, (2, 1, 2), (1, 3, 4), (2, 3, 4), None, (2, 1, 3, 4)),
    "3d_3_bias": ('abc,cde->abde', 'e', (2, 1, 2), (1, 3, 4), (2, 3, 4), (4,), (2, 1, 3, 4)),
    "3d_2_bias": ('abc,cde->abde', 'd', (2, 1, 2), (1, 3, 4), (2, 3, 4), (3, 1), (2, 1, 3, 4)),
    "3d_1_3_bias": ('abc,cde->abde', 'be', (2, 7, 2), (7, 3, 4), (2, 3, 4), (7, 1, 4),
                    (2, 7, 3, 4)),
    "3d_bert_projection": ('BFNH,NHD->BFD', None, (2, 1, 2, 3), (1, 4), (2, 3, 4), None,
                           (2, 1, 4)),
    "2d_bert": ('abc,cd->abd', None, (2, 1, 2), (1, 4), (2, 4), None, (2, 1, 4)),
    "xlnet_lm": ('ibd,nd->ibn', None, (2, 2, 1), (2, 2), (2, 1), None, (2, 2, 2)),
    "2d_precast": ('...b,bc->...c', None, (2, 32), (64,), (32, 64), None, (2, 64)),
    "2d_precast_elided_input_used_in_output": ('...bc,bc->...b', None, (2, 32, 64), (32,),
                                               (32, 64), None, (2, 32)),
    "2d_precast_multiple_elided_dims": ('...b,bc->...c', None, (2, 3, 32), (64,), (32, 64),
                                        None, (2, 3, 64)),
    "3d_precast": ('...c,cde->...de', None, (2, 1, 2), (3, 4), (2, 3, 4), None, (2, 1, 3, 4)),
    "3d_precast_3_bias": ('...c,cde->...de', 'e', (2, 1, 2), (3, 4), (2, 3, 4), (4,),
                          (2, 1, 3, 4)),
    "3d_precast_2_bias": ('...c,cde->...de', 'd', (2, 1, 2), (3, 4), (2, 3, 4), (3, 1),
                          (2, 1, 3, 4)),
    "3d_precast_2_3_bias": ('...c,cde->...de', 'de', (2, 1, 2), (3, 4), (2, 3, 4), (3, 4),
                            (2, 1, 3, 4)),
    "2d_postcast": ('bc...,cd->bd...', None, (2, 1, 2, 3), (4,), (1, 4), None, (2, 4, 2, 3)),
    "3d_postcast": ('bc...,cde->bde...', None, (2, 1, 2), (3, 4), (1, 3, 4), None, (2, 3, 4, 2)),
    "3d_postcast_1_bias": ('bc...,cde->bde...', 'd', (2, 1, 2), (3, 4), (1, 3, 4), (3, 1, 1),
                           (2, 3, 4, 2)),
    "3d_postcast_2_bias": ('bc...,cde->bde...', 'e', (2, 1, 2), (3, 4), (1, 3, 4), (4, 1),
                           (2, 3, 4, 2)),
    "3d_postcast_1_2_bias": ('bc...,cde->bde...', 'de', (2, 1, 2), (3, 4), (1, 3, 4),
                             (3, 4, 1), (2, 3, 4, 2)),
    # '...' for 2 and 3 axes: images (batch, H, W, C) and (batch, heads, T, dim)
    "rank4_precast": ('...b,bc->...c', 'c', (2, 3, 5, 4), (6,), (4, 6), (6,), (2, 3, 5, 6)),
    "rank5_precast": ('...b,bc->...c', None, (2, 3, 5, 2, 4), (6,), (4, 6), None,
                      (2, 3, 5, 2, 6)),
    "rank4_precast_heads": ('...c,cde->...de', 'de', (2, 3, 5, 4), (2, 3), (4, 2, 3), (2, 3),
                            (2, 3, 5, 2, 3)),
    "rank5_postcast": ('bc...,cd->bd...', 'd', (2, 3, 4, 5, 2), (6,), (3, 6), (6, 1, 1, 1),
                       (2, 6, 4, 5, 2)),
}


def _reference(eq, x, kernel, bias):
    y = np.einsum(eq, x.astype(np.float64), kernel.astype(np.float64))
    return y if bias is None else y + bias


@pytest.mark.parametrize("name", sorted(KERAS_SHAPES))
def test_keras_shape_table_eager_and_in_a_model(name):
    eq, bias_axes, shape, out, kernel, bias, want = KERAS_SHAPES[name]
    x = RNG.normal(size=shape).astype(np.float32)
    layer = layers.EinsumDense(eq, output_shape=out, bias_axes=bias_axes)
    y = layer(x)
    assert layer.kernel.shape == kernel
    assert (layer.bias is None and bias is None) or layer.bias.shape == bias
    if layer.bias is not None:
        layer.bias[...] = RNG.normal(size=bias).astype(np.float32)
        y = layer(x)
    assert y.shape == want
    np.testing.assert_allclose(y.numpy(), _reference(eq, x, np.asarray(layer.kernel),
                                                     None if bias is None else
                                                     np.asarray(layer.bias)),
                               rtol=1e-5, atol=1e-5)
    if len(shape) < 2:
        return
    inp = pynn.Input(shape[1:])
    model = pynn.Model(inp, layer(inp))
    assert model.output_shape == (None,) + tuple(want[1:])  # the symbolic shape
    np.testing.assert_allclose(model.predict(x, verbose=0), y.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["rank4_precast", "rank5_precast", "rank4_precast_heads"])
def test_elided_axes_match_keras_values(name):
    keras = keras_or_skip()
    eq, bias_axes, shape, out, _, _, want = KERAS_SHAPES[name]
    x = RNG.normal(size=shape).astype(np.float32)
    theirs = keras.layers.EinsumDense(eq, output_shape=out, bias_axes=bias_axes)
    t = keras.ops.convert_to_numpy(theirs(x))
    ours = layers.EinsumDense(eq, output_shape=out, bias_axes=bias_axes)
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    assert t.shape == want
    np.testing.assert_allclose(ours(x).numpy(), t, rtol=1e-5, atol=1e-5)
