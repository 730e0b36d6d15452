"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D side by side with Keras 3 (keras/src/layers/rnn/
conv_lstm.py and the cases of conv_lstm1d_test.py / conv_lstm2d_test.py /
conv_lstm3d_test.py: strides,
"same" padding, dilation, return_sequences, return_state, go_backwards, masks,
initial states): the same weights, every output, input and weight gradients,
configs, save/load; and a model that learns."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import config_keys_match, round_trip

RNG = np.random.default_rng(51)
X2 = RNG.normal(size=(2, 4, 6, 5, 2)).astype(np.float32)
X1 = RNG.normal(size=(3, 5, 7, 2)).astype(np.float32)
X3 = np.random.default_rng(53).normal(size=(2, 3, 4, 5, 4, 2)).astype(np.float32)

CASES = {
    "2d_basic": (2, {"kernel_size": 3}),
    "2d_same_seq": (2, {"kernel_size": (3, 2), "padding": "same", "return_sequences": True}),
    "2d_strides_state": (2, {"kernel_size": 2, "strides": (2, 1), "return_state": True}),
    "2d_dilated_back": (2, {"kernel_size": 2, "dilation_rate": 2, "go_backwards": True,
                            "return_sequences": True}),
    "2d_all": (2, {"kernel_size": 3, "padding": "same", "return_sequences": True,
                   "return_state": True, "go_backwards": True, "use_bias": False}),
    "2d_masked": (2, {"kernel_size": 3, "padding": "same", "return_sequences": True,
                      "mask": True}),
    "2d_masked_last": (2, {"kernel_size": 2, "return_state": True, "mask": True}),
    "1d_basic": (1, {"kernel_size": 3}),
    "1d_seq_state": (1, {"kernel_size": 2, "strides": 2, "padding": "same",
                         "return_sequences": True, "return_state": True}),
    "1d_back_relu": (1, {"kernel_size": 3, "go_backwards": True, "activation": "relu",
                         "recurrent_activation": "hard_sigmoid"}),
    # keras/src/layers/rnn/conv_lstm3d_test.py: kernel 3 / "same" / strides with states
    "3d_basic": (3, {"kernel_size": 3}),
    "3d_same_seq_back": (3, {"kernel_size": (3, 2, 2), "padding": "same",
                             "return_sequences": True, "go_backwards": True}),
    "3d_strides_state": (3, {"kernel_size": 2, "strides": (1, 2, 2), "return_state": True,
                             "use_bias": False}),
    "3d_dilated_masked": (3, {"kernel_size": 2, "dilation_rate": (1, 2, 1),
                              "return_sequences": True, "mask": True}),
}


def _run(outs):
    return outs if isinstance(outs, (list, tuple)) else [outs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_lstm_matches_keras(name):
    keras = keras_or_skip()
    import torch
    rank, kw = CASES[name]
    kw = dict(kw)
    use_mask = kw.pop("mask", False)
    x = {1: X1, 2: X2, 3: X3}[rank]
    cls = f"ConvLSTM{rank}D"
    theirs, ours = getattr(keras.layers, cls)(4, **kw), getattr(layers, cls)(4, **kw)
    mask = None
    if use_mask:
        mask = np.ones(x.shape[:2], bool)
        mask[0, 2:] = False
        mask[1, 1] = False
    t_x = torch.tensor(x, requires_grad=True)
    p_x = pynn.Tensor(x, requires_grad=True)
    t_kw = {} if mask is None else {"mask": torch.tensor(mask)}
    p_kw = {} if mask is None else {"mask": mask.astype(np.float32)}
    theirs(t_x, **t_kw)
    ours(p_x, **p_kw)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    # Keras' unit_forget_bias start: ones for the forget gate
    if kw.get("use_bias", True):
        np.testing.assert_array_equal(ours.bias, keras.ops.convert_to_numpy(theirs.weights[2]))
    values = [RNG.normal(0, 0.3, size=tuple(w.shape)).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    t_out = _run(theirs(t_x, **t_kw))
    p_out = _run(ours(p_x, **p_kw))
    assert len(p_out) == len(t_out)
    total_t, total_p = 0, 0
    for t, p in zip(t_out, p_out):
        np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5)
        seed = RNG.normal(size=p.shape).astype(np.float32)
        total_t = total_t + (t * torch.tensor(seed)).sum()
        total_p = total_p + (p * seed).sum()
    total_t.backward()
    total_p.backward()
    np.testing.assert_allclose(p_x.grad, t_x.grad.numpy(), rtol=1e-4, atol=2e-5)
    for tw, pw in zip(theirs.weights, ours.weights):
        np.testing.assert_allclose(ours.tensor(pw).grad, tw.value.grad.numpy(), rtol=1e-4,
                                   atol=2e-5, err_msg=pw.name)
    shapes = ours.compute_output_shape((None,) + x.shape[1:])
    want = theirs.compute_output_shape((None,) + x.shape[1:])
    if kw.get("return_state"):
        assert [tuple(s) for s in shapes] == [tuple(w) for w in want]
    else:
        assert tuple(shapes) == tuple(want)
    kc, pc = config_keys_match(theirs, ours, {"dtype", "activity_regularizer", "kernel_constraint",
                                              "recurrent_constraint", "bias_constraint",
                                              "data_format", "unroll", "zero_output_for_mask"})
    for k in ("filters", "kernel_size", "strides", "padding", "dilation_rate", "activation",
              "recurrent_activation", "return_sequences", "return_state", "go_backwards",
              "unit_forget_bias", "use_bias"):
        want = list(kc[k]) if isinstance(kc[k], tuple) else kc[k]
        assert pc[k] == want, (k, pc[k], kc[k])
    if not kw.get("return_state"):
        round_trip(ours, x)


def test_initial_state_matches_keras():
    keras = keras_or_skip()
    import torch
    theirs, ours = keras.layers.ConvLSTM2D(3, 3, padding="same"), layers.ConvLSTM2D(3, 3,
                                                                                    padding="same")
    theirs(torch.tensor(X2))
    ours(X2)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    h0, c0 = (RNG.normal(size=(2, 6, 5, 3)).astype(np.float32) for _ in range(2))
    want = theirs(torch.tensor(X2), initial_state=[torch.tensor(h0), torch.tensor(c0)])
    got = ours(X2, initial_state=[pynn.Tensor(h0), pynn.Tensor(c0)])
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_learns_in_a_compiled_model_and_reloads(tmp_path):
    pynn.set_seed(0)
    # which half of the frame a moving dot ends in
    n, T = 64, 4
    x = np.zeros((n, T, 6, 6, 1), np.float32)
    y = np.zeros((n, 1), np.float32)
    for i in range(n):
        r, c = RNG.integers(0, 6, 2)
        d = RNG.choice([-1, 1])
        for t in range(T):
            x[i, t, r, int(np.clip(c + d * t, 0, 5)), 0] = 1.0
        y[i] = float(np.clip(c + d * (T - 1), 0, 5) >= 3)
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]),
                             layers.ConvLSTM2D(4, 3, padding="same"),
                             layers.GlobalAveragePooling2D(),
                             layers.Dense(1, activation="sigmoid")])
    model.compile(pynn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    path = str(tmp_path / "clstm.keras")
    model.save(path)
    np.testing.assert_allclose(pynn.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_bad_arguments_and_inputs():
    for make, msg in ((lambda: layers.ConvLSTM2D(0, 3), "filters"),
                      (lambda: layers.ConvLSTM2D(2, (3, 3, 3)), "kernel_size"),
                      (lambda: layers.ConvLSTM2D(2, 3, dropout=0.2), "dropout=0.2 is not supported"),
                      (lambda: layers.ConvLSTM1D(2, 3, stateful=True), "stateful"),
                      (lambda: layers.ConvLSTM2D(2, 3, padding="causal"), "padding")):
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(ValueError, match=r"ConvLSTM2D '.*' expects a 5-D input"):
        layers.ConvLSTM2D(2, 3)(np.zeros((2, 4, 6, 6), np.float32))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        layers.ConvLSTM1D(2, 5)(np.zeros((2, 4, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"ConvLSTM3D '.*' expects a 6-D input \(batch, time, "
                                         r"depth, height, width, channels\)"):
        layers.ConvLSTM3D(2, 3)(np.zeros((2, 4, 6, 6, 1), np.float32))
    with pytest.raises(ValueError, match="kernel_size"):
        layers.ConvLSTM3D(2, (3, 3))


def test_conv_lstm3d_learns_in_a_compiled_model_and_reloads(tmp_path):
    """A 3-D twin of the 2-D task: which half of a volume a moving dot ends in."""
    pynn.set_seed(1)
    rng = np.random.default_rng(5)
    n, T = 48, 3
    x = np.zeros((n, T, 2, 4, 4, 1), np.float32)
    y = np.zeros((n, 1), np.float32)
    for i in range(n):
        z, r, c = rng.integers(0, 2), rng.integers(0, 4), rng.integers(0, 4)
        d = rng.choice([-1, 1])
        for t in range(T):
            x[i, t, z, r, int(np.clip(c + d * t, 0, 3)), 0] = 1.0
        y[i] = float(np.clip(c + d * (T - 1), 0, 3) >= 2)
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]),
                             layers.ConvLSTM3D(4, 3, padding="same"),
                             layers.GlobalAveragePooling3D(),
                             layers.Dense(1, activation="sigmoid")])
    model.compile(pynn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    path = str(tmp_path / "clstm3d.keras")
    model.save(path)
    np.testing.assert_allclose(pynn.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)
