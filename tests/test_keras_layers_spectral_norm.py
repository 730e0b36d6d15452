"""SpectralNormalization side by side with Keras 3 (keras/src/layers/normalization/
spectral_normalization.py and spectral_normalization_test.py: Dense, Conv2D and
Embedding wrapped, several power iterations, an all-zero kernel kept, inference
untouched): the same weights, outputs, the kernel and vector_u it writes back,
input and kernel gradients; and fit, where the write-back runs inside the compiled
loop every batch, against Keras' fit step for step."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(71)


def _pair(keras, make_inner, iters, x):
    import torch
    theirs = keras.layers.SpectralNormalization(make_inner(keras.layers), power_iterations=iters)
    ours = layers.SpectralNormalization(make_inner(layers), power_iterations=iters)
    theirs(torch.tensor(x))
    ours(x)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    values = [RNG.normal(0, 0.5, size=tuple(w.shape)).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    return theirs, ours


INNER = {
    "dense": (lambda L: L.Dense(5), (4, 6)),
    "conv": (lambda L: L.Conv2D(3, 2), (2, 5, 5, 2)),
    "embedding": (lambda L: L.Embedding(9, 4), None),
}


@pytest.mark.parametrize("iters", [1, 3])
@pytest.mark.parametrize("name", sorted(INNER))
def test_training_call_matches_keras(name, iters):
    keras = keras_or_skip()
    import torch
    make, shape = INNER[name]
    # float ids: Keras casts the wrapper's output to the input's dtype
    x = RNG.integers(0, 9, size=(3, 4)).astype(np.float32) if shape is None else \
        RNG.normal(size=shape).astype(np.float32)
    theirs, ours = _pair(keras, make, iters, x)
    grads_in = shape is not None
    t_x = torch.tensor(x, requires_grad=grads_in) if grads_in else torch.tensor(x)
    p_x = pynn.Tensor(x, requires_grad=True) if grads_in else x
    t_out = theirs(t_x, training=True)
    p_out = ours(p_x, training=True)
    np.testing.assert_allclose(p_out.numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    # the written-back kernel and vector
    for tw, pw in zip(theirs.weights, ours.weights):
        np.testing.assert_allclose(pw, keras.ops.convert_to_numpy(tw), rtol=1e-4, atol=1e-6,
                                   err_msg=pw.path)
    seed = RNG.normal(size=p_out.shape).astype(np.float32)
    (t_out * torch.tensor(seed)).sum().backward()
    (p_out * seed).sum().backward()
    if grads_in:
        np.testing.assert_allclose(p_x.grad, t_x.grad.numpy(), rtol=1e-4, atol=1e-5)
    kernel = ours.kernel
    tk = theirs.weights[0]
    np.testing.assert_allclose(ours.layer.tensor(kernel).grad, tk.value.grad.numpy(), rtol=1e-4,
                               atol=1e-5)
    # inference: the wrapped layer on the kernel as it is, nothing written
    before = [w.copy() for w in ours.get_weights()]
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)),
                               rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_spectral_norm_reaches_one():
    pynn.set_seed(1)
    sn = layers.SpectralNormalization(layers.Dense(6), power_iterations=1)
    x = RNG.normal(size=(2, 8)).astype(np.float32)
    for _ in range(30):  # each call one more power step; the kernel converges to norm 1
        sn(x, training=True)
    assert abs(np.linalg.svd(sn.layer.kernel, compute_uv=False)[0] - 1.0) < 1e-3


def test_zero_kernel_is_kept():
    keras = keras_or_skip()
    import torch
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(2, kernel_initializer="zeros"))
    ours = layers.SpectralNormalization(layers.Dense(2, kernel_initializer="zeros"))
    x = np.ones((1, 3), np.float32)
    theirs(torch.tensor(x))
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    theirs(torch.tensor(x), training=True)
    out = ours(x, training=True).numpy()
    assert np.isfinite(out).all()
    for tw, pw in zip(theirs.weights, ours.weights):
        np.testing.assert_array_equal(pw, keras.ops.convert_to_numpy(tw))


def test_compiled_fit_matches_keras_fit():
    keras = keras_or_skip()
    x = RNG.normal(size=(24, 5)).astype(np.float32)
    y = RNG.normal(size=(24, 1)).astype(np.float32)
    kmodel = keras.Sequential([keras.Input(shape=(5,)),
                               keras.layers.SpectralNormalization(keras.layers.Dense(4)),
                               keras.layers.Dense(1)])
    pmodel = pynn.Sequential([pynn.Input(shape=(5,)),
                              layers.SpectralNormalization(layers.Dense(4)), layers.Dense(1)])
    pmodel.set_weights([keras.ops.convert_to_numpy(w) for w in kmodel.weights])
    kmodel.compile(keras.optimizers.SGD(0.1), "mse")
    pmodel.compile(pynn.optimizers.SGD(0.1), "mse")
    kh = kmodel.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)
    ph = pmodel.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(ph.history["loss"], kh.history["loss"], rtol=1e-4)
    for k, p in zip(kmodel.weights, pmodel.weights):
        np.testing.assert_allclose(p, keras.ops.convert_to_numpy(k), rtol=1e-4, atol=1e-5,
                                   err_msg=p.path)
    # predict does not normalize (inference), and tracing moved nothing
    np.testing.assert_allclose(pmodel.predict(x, verbose=0),
                               keras.ops.convert_to_numpy(kmodel.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-5)


def test_config_and_round_trip():
    keras = keras_or_skip()
    from keras_layer_pair import config_keys_match, round_trip
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    ours = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    kc, pc = config_keys_match(theirs, ours)
    assert pc["power_iterations"] == 2 and pc["layer"]["class_name"] == "Dense"
    round_trip(ours, RNG.normal(size=(2, 4)).astype(np.float32))


def test_keras_files_refuse_it_by_name(tmp_path):
    keras = keras_or_skip()
    pytest.importorskip("h5py")
    model = pynn.Sequential([pynn.Input(shape=(4,)), layers.SpectralNormalization(
        layers.Dense(3), name="sn")])
    with pytest.raises(ValueError, match="layer 'sn' \\(SpectralNormalization\\) wraps a layer"):
        model.export(str(tmp_path / "m.keras"), format="keras")
    kmodel = keras.Sequential([keras.Input(shape=(4,)), keras.layers.SpectralNormalization(
        keras.layers.Dense(3), name="ksn")])
    kmodel.save(str(tmp_path / "k.keras"))
    with pytest.raises(ValueError, match="layer 'ksn' \\(SpectralNormalization\\)"):
        pynn.load_model(str(tmp_path / "k.keras"))


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="has no attribute 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.ReLU())(np.ones((1, 2), np.float32))
    sn = layers.SpectralNormalization(layers.Dense(2), name="sn")
    sn(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="layer 'sn' is incompatible .* expected axis -1 of "
                                         "input shape to have value 3"):
        sn(np.ones((1, 4), np.float32))
