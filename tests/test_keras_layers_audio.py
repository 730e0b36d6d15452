"""STFTSpectrogram and MelSpectrogram side by side with Keras 3 (keras/src/layers/
preprocessing/stft_spectrogram.py, mel_spectrogram.py and the cases of their
_test.py files: every mode, padding, expand_dims, channels-first, symmetric and
periodic windows, scalings; mel with and without dB, mag_exp 1, a shorter window):
the same numbers, input gradients and (STFT) kernel gradients; configs, save/load,
a compiled model that learns from spectrograms, and bad arguments."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip
from keras_layer_pair import compare, config_keys_match, round_trip

RNG = np.random.default_rng(91)
SIGNALS = RNG.normal(size=(2, 96, 3)).astype(np.float32)
AUDIO = RNG.normal(size=(3, 400)).astype(np.float32)

STFT_CASES = {  # after stft_spectrogram_test.py's parameterisations
    "log": {"mode": "log", "frame_length": 16},
    "magnitude_same_expand": {"mode": "magnitude", "frame_length": 15, "frame_step": 4,
                              "padding": "same", "expand_dims": True},
    "psd_spectrum_periodic": {"mode": "psd", "frame_length": 16, "fft_length": 32,
                              "scaling": "spectrum", "periodic": True},
    "real_hamming": {"mode": "real", "frame_length": 12, "frame_step": 5, "window": "hamming"},
    "imag_no_window": {"mode": "imag", "frame_length": 8, "window": None},
    "angle_no_scaling": {"mode": "angle", "frame_length": 16, "scaling": None},
    "stft_expand": {"mode": "stft", "frame_length": 10, "frame_step": 3, "expand_dims": True},
    "channels_first": {"mode": "magnitude", "frame_length": 16, "frame_step": 6,
                       "data_format": "channels_first"},
    "channels_first_expand_same": {"mode": "log", "frame_length": 9, "padding": "same",
                                   "data_format": "channels_first", "expand_dims": True},
    "scipy_window": {"mode": "magnitude", "frame_length": 16, "window": "blackman"},
}


@pytest.mark.parametrize("name", sorted(STFT_CASES))
def test_stft_spectrogram_matches_keras(name):
    keras = keras_or_skip()
    kw = STFT_CASES[name]
    x = SIGNALS if kw.get("data_format") != "channels_first" else \
        np.ascontiguousarray(SIGNALS.transpose(0, 2, 1))
    theirs, ours = keras.layers.STFTSpectrogram(**kw), layers.STFTSpectrogram(**kw)
    # the initial kernels are Keras' STFT initializer's, to float32 rounding
    theirs.build(x.shape)
    ours.build(x.shape)
    for tw, pw in zip(theirs.weights, ours.weights):  # (Keras' sin(k pi) in float32: ~1e-6)
        np.testing.assert_allclose(pw, keras.ops.convert_to_numpy(tw), rtol=1e-5, atol=3e-6)
    # angle: the phase of a bin near zero is ill-conditioned; compare away from it
    atol = 1e-3 if name.startswith("angle") else 1e-4
    out = compare(keras, theirs, ours, x, rtol=1e-4, atol=atol,
                  input_grads=not name.startswith("angle"))
    assert out.shape == tuple(theirs.compute_output_shape(x.shape))
    assert ours.compute_output_shape((None,) + x.shape[1:])[1:] == out.shape[1:]


def test_stft_spectrogram_numbers_and_config():
    """A pure tone: the magnitude peaks at its bin; a float64 DFT of the same frames
    gives the same spectrum."""
    keras = keras_or_skip()
    n, f = 64, 4
    x = np.cos(2 * np.pi * f * np.arange(128) / n).astype(np.float32)[None, :, None]
    layer = layers.STFTSpectrogram(mode="magnitude", frame_length=n, frame_step=32, window=None)
    out = layer(x).numpy()[0]
    frames = np.stack([x[0, i:i + n, 0] for i in range(0, 128 - n + 1, 32)]).astype(np.float64)
    want = np.abs(np.fft.rfft(frames, axis=-1))
    # Keras' magnitude: sqrt(max(power, 1e-7))
    np.testing.assert_allclose(out, np.sqrt(np.maximum(want ** 2, 1e-7)), rtol=1e-4, atol=1e-4)
    assert (out.argmax(-1) == f).all()
    theirs, ours = keras.layers.STFTSpectrogram(frame_length=16, window="hamming"), \
        layers.STFTSpectrogram(frame_length=16, window="hamming")
    kc, pc = config_keys_match(theirs, ours)
    assert {k: pc[k] for k in kc if k not in ("name", "dtype")} == \
        {k: kc[k] for k in kc if k not in ("name", "dtype")}
    ours(SIGNALS)
    round_trip(ours, SIGNALS)
    custom = layers.STFTSpectrogram(frame_length=4, window=[1.0, 2.0, 2.0, 1.0])
    assert layers.STFTSpectrogram.from_config(custom.get_config()).window == [1.0, 2.0, 2.0, 1.0]


MEL_CASES = {  # after mel_spectrogram_test.py
    "db": {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 20,
           "sampling_rate": 8000},
    "power_no_db": {"fft_length": 32, "sequence_stride": 8, "num_mel_bins": 10,
                    "power_to_db": False, "min_freq": 100.0, "max_freq": 3000.0,
                    "sampling_rate": 8000},
    "magnitude_short_window": {"fft_length": 64, "sequence_stride": 20, "sequence_length": 40,
                               "num_mel_bins": 16, "mag_exp": 1.0, "top_db": 30.0,
                               "ref_power": 2.0, "window": "hamming"},
    "no_window": {"fft_length": 32, "sequence_stride": 32, "num_mel_bins": 8, "window": None,
                  "min_power": 1e-6, "sampling_rate": 22050},
}


@pytest.mark.parametrize("name", sorted(MEL_CASES))
def test_mel_spectrogram_matches_keras(name):
    keras = keras_or_skip()
    kw = MEL_CASES[name]
    theirs, ours = keras.layers.MelSpectrogram(**kw), layers.MelSpectrogram(**kw)
    scale = 1.0 if kw.get("power_to_db", True) else float(np.abs(
        keras.ops.convert_to_numpy(theirs(AUDIO))).max())
    out = compare(keras, theirs, ours, AUDIO, rtol=1e-4, atol=1e-4 * scale)
    assert out.shape == (3, kw["num_mel_bins"], 1 + 400 // kw["sequence_stride"])
    assert ours.compute_output_shape((None, 400)) == (None,) + out.shape[1:]
    # one signal alone, as Keras takes it (the dB floor is then that signal's own)
    want = keras.ops.convert_to_numpy(theirs(AUDIO[0]))
    np.testing.assert_allclose(ours(AUDIO[0]).numpy(), want, rtol=1e-4, atol=1e-4 * scale)


def test_mel_filterbank_is_keras():
    keras = keras_or_skip()
    from pynn.layers.audio import linear_to_mel_weight_matrix
    theirs = keras.layers.MelSpectrogram()
    want = keras.ops.convert_to_numpy(theirs.linear_to_mel_weight_matrix(
        num_mel_bins=40, num_spectrogram_bins=257, sampling_rate=16000, lower_edge_hertz=20.0,
        upper_edge_hertz=7600.0))
    got = linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 7600.0)
    # float32 in Keras' order; torch's and NumPy's float32 log differ in the last bit
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert (got[0] == 0).all() and (got.max(0) > 0).all() and got.max() <= 1.0  # DC out


def test_mel_config_round_trip_and_model():
    keras = keras_or_skip()
    kw = MEL_CASES["db"]
    theirs, ours = keras.layers.MelSpectrogram(**kw), layers.MelSpectrogram(**kw)
    kc, pc = config_keys_match(theirs, ours)
    assert {k: pc[k] for k in kc if k not in ("name", "dtype")} == \
        {k: kc[k] for k in kc if k not in ("name", "dtype")}
    round_trip(ours, AUDIO)


def test_spectrogram_model_learns_tones(tmp_path):
    """Which of two tones a noisy clip holds, from a MelSpectrogram front end, trained
    and predicted by the compiled driver; saved and loaded."""
    pynn.set_seed(3)
    rng = np.random.default_rng(4)
    n, t = 96, np.arange(512) / 8000
    y = rng.integers(0, 2, n)
    freq = np.where(y == 0, 500.0, 2000.0)[:, None] * rng.uniform(0.9, 1.1, (n, 1))
    x = (np.sin(2 * np.pi * freq * t) + rng.normal(0, 0.5, (n, 512))).astype(np.float32)
    model = pynn.Sequential([
        pynn.Input(shape=(512,)),
        layers.MelSpectrogram(fft_length=128, sequence_stride=64, num_mel_bins=16,
                              sampling_rate=8000),
        layers.Rescaling(1.0 / 80.0), layers.Flatten(),
        layers.Dense(1, activation="sigmoid")])
    model.compile(pynn.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y.astype(np.float32), epochs=20, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
    path = str(tmp_path / "mel.keras")
    model.save(path)
    np.testing.assert_allclose(pynn.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_bad_arguments_and_inputs():
    for make, msg in (
            (lambda: layers.STFTSpectrogram(frame_length=8, frame_step=9), "frame_step"),
            (lambda: layers.STFTSpectrogram(frame_length=8, fft_length=4), "fft_length"),
            (lambda: layers.STFTSpectrogram(mode="phase"), "Output mode is invalid"),
            (lambda: layers.STFTSpectrogram(scaling="power"), "Scaling is invalid"),
            (lambda: layers.STFTSpectrogram(padding="causal"), "Padding is invalid"),
            (lambda: layers.STFTSpectrogram(frame_length=4, window=[1.0, 2.0]), "window"),
            (lambda: layers.STFTSpectrogram(window="no-such-window"), "unknown window"),
            (lambda: layers.MelSpectrogram(fft_length=16, sequence_length=32), "fft_length"),
            (lambda: layers.MelSpectrogram(num_mel_bins=0), "num_mel_bins"),
            (lambda: layers.MelSpectrogram(min_freq=9000.0), "min_freq < max_freq"),
            (lambda: layers.MelSpectrogram(window="kaiser"), "window")):
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(ValueError, match=r"STFTSpectrogram '.*' expects 3-D signals"):
        layers.STFTSpectrogram(frame_length=8)(np.zeros((2, 32), np.float32))
    with pytest.raises(ValueError, match="shorter than one frame"):
        layers.STFTSpectrogram(frame_length=64)(np.zeros((2, 32, 1), np.float32))
    with pytest.raises(ValueError, match=r"MelSpectrogram '.*' expects signals"):
        layers.MelSpectrogram(64, 16)(np.zeros((2, 32, 1), np.float32))
