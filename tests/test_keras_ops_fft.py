"""keras.ops FFT (issue #13): fft, fft2, ifft2, rfft, irfft, stft, istft —
https://keras.io/api/ops/fft/ (keras.ops.fft, fft2, rfft, irfft, stft, istft).

Values against numpy.fft in float64; gradients against central differences of
the float64 NumPy function; side by side with keras.ops on Keras 3's torch
backend where installed; stft in a compiled functional model at several batch
sizes (the DFT matrices depend on the frame length only)."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(11)
X = RNG.normal(size=(2, 3, 8)).astype(np.float32)
Y = RNG.normal(size=(2, 3, 8)).astype(np.float32)
S = RNG.normal(size=(2, 50)).astype(np.float32)
Z = X.astype(float) + 1j * Y


def _parts(z):
    return [z.real, z.imag]


VALUES = {  # name -> (pynn result list, float64 reference list)
    "fft": (lambda: ops.fft((X, Y)), lambda: _parts(np.fft.fft(Z))),
    "fft_odd": (lambda: ops.fft((X[..., :7], Y[..., :7])), lambda: _parts(np.fft.fft(Z[..., :7]))),
    "fft2": (lambda: ops.fft2((X, Y)), lambda: _parts(np.fft.fft2(Z))),
    "ifft2": (lambda: ops.ifft2((X, Y)), lambda: _parts(np.fft.ifft2(Z))),
    "rfft": (lambda: ops.rfft(X), lambda: _parts(np.fft.rfft(X.astype(float)))),
    "rfft_cut": (lambda: ops.rfft(X, 5), lambda: _parts(np.fft.rfft(X.astype(float), 5))),
    "rfft_pad": (lambda: ops.rfft(X, 11), lambda: _parts(np.fft.rfft(X.astype(float), 11))),
    "irfft": (lambda: [ops.irfft((X[..., :5], Y[..., :5]))], lambda: [np.fft.irfft(Z[..., :5])]),
    "irfft_odd": (lambda: [ops.irfft((X[..., :5], Y[..., :5]), 7)],
                  lambda: [np.fft.irfft(Z[..., :5], 7)]),
    "irfft_cut": (lambda: [ops.irfft((X[..., :5], Y[..., :5]), 4)],
                  lambda: [np.fft.irfft(Z[..., :5], 4)]),
    "irfft_pad": (lambda: [ops.irfft((X[..., :5], Y[..., :5]), 12)],
                  lambda: [np.fft.irfft(Z[..., :5], 12)]),
    "roundtrip_rfft": (lambda: [ops.irfft(ops.rfft(X), 8)], lambda: [X]),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy_fft(name):
    got, want = (f() for f in VALUES[name])
    for g, w in zip(got, want):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=2e-5)


def _stft_reference(x, seq, hop, n, window, center):
    """The definition, in float64: reflect-pad, frame, window (centred), rfft."""
    k = np.arange(seq)
    w = {"hann": 0.5 - 0.5 * np.cos(2 * np.pi * k / seq), None: np.ones(seq),
         "hamming": 0.54 - 0.46 * np.cos(2 * np.pi * k / seq)}[window]
    left = (n - seq) // 2
    w = np.pad(w, (left, n - seq - left))
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n // 2, n // 2)], mode="reflect")
    frames = 1 + (x.shape[-1] - n) // hop
    framed = np.stack([x[..., f * hop:f * hop + n] for f in range(frames)], axis=-2)
    return _parts(np.fft.rfft(framed * w))


STFT_ARGS = [(16, 4, 16, "hann", True), (12, 4, 16, "hamming", True), (16, 8, 16, None, False),
             (10, 3, 16, "hann", False)]


@pytest.mark.parametrize("args", STFT_ARGS)
def test_stft_matches_its_definition(args):
    got = ops.stft(S, *args)
    for g, w in zip(got, _stft_reference(S.astype(float), *args)):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=2e-5)


def test_istft_inverts_stft():
    spec = ops.stft(S, 16, 4, 16)
    np.testing.assert_allclose(ops.istft(spec, 16, 4, 16).numpy(), S[:, :48], atol=2e-5)
    np.testing.assert_allclose(ops.istft(spec, 16, 4, 16, length=50).numpy(), S, atol=2e-5)
    out = ops.istft(spec, 16, 4, 16, length=60).numpy()  # past the end: zeros, as torch
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out[:, 56:], 0)


def test_gradients_against_central_differences():
    x, y = X[0].astype(float), Y[0].astype(float)
    check_grad(lambda a, b: ops.fft((a, b))[0], lambda a, b: np.fft.fft(a + 1j * b).real, [x, y])
    check_grad(lambda a, b: ops.fft2((a, b))[1], lambda a, b: np.fft.fft2(a + 1j * b).imag, [x, y])
    check_grad(lambda a, b: ops.ifft2((a, b))[0], lambda a, b: np.fft.ifft2(a + 1j * b).real,
               [x, y])
    check_grad(lambda a: ops.rfft(a, 6)[1], lambda a: np.fft.rfft(a, 6).imag, [x])
    check_grad(lambda a, b: ops.irfft((a, b), 9), lambda a, b: np.fft.irfft(a + 1j * b, 9),
               [x[:, :5], y[:, :5]])
    check_grad(lambda a: ops.stft(a, 6, 2, 8)[0], lambda a: _stft_reference(a, 6, 2, 8, "hann",
                                                                            True)[0], [S[:, :20]])


# ------------------------------------------------------------------ Keras 3 side by side
KERAS = {  # name -> function of (ops module, x (2, 3, 8), y (2, 3, 8), s (2, 50))
    "fft": lambda o, x, y, s: o.fft((x, y)),
    "fft2": lambda o, x, y, s: o.fft2((x, y)),
    "ifft2": lambda o, x, y, s: o.ifft2((x, y)),
    "rfft": lambda o, x, y, s: o.rfft(x),
    "rfft_11": lambda o, x, y, s: o.rfft(x, fft_length=11),
    "irfft": lambda o, x, y, s: o.irfft((x[..., :5], y[..., :5])),
    "irfft_7": lambda o, x, y, s: o.irfft((x[..., :5], y[..., :5]), fft_length=7),
    **{f"stft_{i}": (lambda a: lambda o, x, y, s: o.stft(s, *a))(a) for i, a in enumerate(STFT_ARGS)},
    **{f"istft_{i}_{n}": (lambda a, n: lambda o, x, y, s: o.istft(
        o.stft(s, *a), *a[:3], length=n, window=a[3], center=a[4]))(a, n)
       for i, a in enumerate(STFT_ARGS) for n in (None, 40, 60)},
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS[name]
    k = keras.ops.convert_to_tensor
    want = fn(keras.ops, k(X), k(Y), k(S))
    got = fn(ops, X, Y, S)
    want, got = (v if isinstance(v, tuple) else (v,) for v in (want, got))
    for g, w in zip(got, want):
        w = keras.ops.convert_to_numpy(w)
        assert g.shape == w.shape, f"{name}: {g.shape} != Keras' {w.shape}"
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=2e-5)


def test_stft_traces_into_a_model():
    inp = pynn.Input(shape=(50,))
    re, im = ops.stft(inp, 16, 4, 16)
    model = pynn.Model(inp, ops.sqrt(ops.square(re) + ops.square(im)))
    x = RNG.normal(size=(5, 50)).astype(np.float32)
    want = np.abs(np.fft.rfft(np.stack(
        [np.pad(r, 8, mode="reflect")[f * 4:f * 4 + 16] * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16))
         for r in x.astype(float) for f in range(13)]).reshape(5, 13, 16)))
    for bs in (1, 2, 5):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), want, rtol=1e-4,
                                   atol=1e-4, err_msg=f"batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="fft: x must be a tuple \\(real, imag\\)"):
        ops.fft(X)
    with pytest.raises(ValueError, match="fft2: the real and imaginary parts must have one shape"):
        ops.fft2((X, Y[0]))
    with pytest.raises(ValueError, match="rfft: fft_length must be a positive int, got 0"):
        ops.rfft(X, 0)
    with pytest.raises(ValueError, match="stft: fft_length \\(8\\) must be >= sequence_length"):
        ops.stft(S, 16, 4, 8)
    with pytest.raises(ValueError, match="stft: window must be 'hann', 'hamming'"):
        ops.stft(S, 16, 4, 16, window="kaiser")
    with pytest.raises(ValueError, match="stft: window must have shape \\(16,\\)"):
        ops.stft(S, 16, 4, 16, window=np.ones(3))
    with pytest.raises(ValueError, match="stft: a signal of 10 samples is shorter than one frame"):
        ops.stft(S[:, :10], 16, 4, 16, center=False)
    with pytest.raises(ValueError, match="istft: the window's squares sum to zero"):
        ops.istft(ops.stft(S, 8, 8, 8), 8, 8, 8)
    inp = pynn.Input(shape=(8,))
    with pytest.raises(ValueError, match="fft2 inside a model over every axis"):
        pynn.Model(inp, ops.fft2((inp, inp))[0]).predict(X[0], verbose=0)
