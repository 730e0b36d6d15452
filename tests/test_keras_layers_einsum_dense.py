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
    assert ours.compute_output_shape((None,) + shape) == \
        tuple(theirs.compute_output_shape((None,) + shape))
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
