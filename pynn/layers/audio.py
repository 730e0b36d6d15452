"""Audio feature layers of Keras 3: STFTSpectrogram (keras/src/layers/preprocessing/
stft_spectrogram.py) and MelSpectrogram (mel_spectrogram.py).

STFTSpectrogram is, as in Keras, a strided conv1d of each channel with two
trainable kernels, the windowed cosines and sines of the DFT (Keras'
initializers.STFT), so it trains and exports as a convolution. MelSpectrogram
is pynn.ops.stft (center=True, reflected), the magnitude to ``mag_exp``, the
HTK mel filterbank as one matmul and the optional dB scale, all engine ops."""
import math

import numpy as np

from .. import ops
from .base import Layer

_EPSILON = 1e-7  # keras.backend.epsilon()
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _positive_int(cls, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{cls}: `{name}` must be a positive int, received {name}={v!r}")
    return int(v)


def get_window(cls, window, length, periodic):
    """scipy.signal.get_window(window, length, fftbins=periodic) as float64: Hann and
    Hamming here, other names through SciPy (imported only for them), an array as is."""
    if isinstance(window, str):
        if window in ("hann", "hamming"):
            if length == 1:
                return np.ones(1)
            a = 0.5 if window == "hann" else 0.54
            n = length if periodic else length - 1
            return a - (1 - a) * np.cos(2 * np.pi * np.arange(length) / n)
        try:
            import scipy.signal
        except ImportError:
            raise ImportError(f"{cls}: window={window!r} needs SciPy (pip install scipy); "
                              f"'hann' and 'hamming' do not") from None
        try:
            return np.asarray(scipy.signal.get_window(window, length, periodic), np.float64)
        except ValueError as e:
            raise ValueError(f"{cls}: unknown window {window!r} ({e})") from None
    w = np.asarray(window, np.float64)
    if w.shape != (length,):
        raise ValueError(f"{cls}: The shape of `window` must be equal to [frame_length] "
                         f"({length}). Received: window shape={w.shape}")
    return w


def stft_kernel(side, window, scaling, periodic, frame_length, fft_bins, cls="STFT"):
    """Keras' initializers.STFT: (frame_length, 1, fft_bins) windowed cos / sin of
    -2 pi t f / (2 (fft_bins - 1)), divided by the window's norm ("density") or sum
    ("spectrum")."""
    t = np.arange(frame_length, dtype=np.float64)[:, None, None]
    f = np.arange(fft_bins, dtype=np.float64)[None, None, :] / ((fft_bins - 1) * 2)
    args = -2.0 * t * f * np.pi
    kernel = np.cos(args) if side == "real" else np.sin(args)
    if window is not None:
        win = get_window(cls, window, frame_length, periodic)[:, None, None]
        scale = 1.0
        if scaling == "density":
            scale = np.sqrt(np.sum(win ** 2))
        elif scaling == "spectrum":
            scale = np.sum(np.abs(win))
        kernel = kernel * win / scale
    return kernel.astype(np.float32)


class STFTSpectrogram(Layer):
    """Spectrograms of signals by the short-time Fourier transform (Keras' STFTSpectrogram).

    Each channel of ``(batch, time, channels)`` (channels-last) is framed
    (``frame_length`` samples every ``frame_step``), windowed and transformed by a
    conv1d with two trainable kernels holding the DFT's cosines and sines (Keras'
    ``STFT`` initializer, window divided by its norm or sum), then reduced to the
    chosen ``mode``.

    Parameters
    ----------
    mode : {"log", "magnitude", "psd", "real", "imag", "angle", "stft"}, default "log"
        log / magnitude of the spectrum (clamped at 1e-7), power spectral density,
        real or imaginary part, phase, or real and imaginary parts concatenated.
    frame_length : int, default 256
        The window's length.
    frame_step : int, optional
        The hop, in ``[1, frame_length]`` (default ``frame_length // 2``).
    fft_length : int, optional
        >= frame_length (default the next power of two); ``fft_length // 2 + 1`` bins.
    window : str, array_like or None, default "hann"
        A SciPy window name ("hann" and "hamming" need no SciPy), ``frame_length``
        values, or None (rectangular, unscaled).
    periodic : bool, default False
        A periodic (DFT-even) rather than symmetric window.
    scaling : {"density", "spectrum"} or None, default "density"
        Divide the window by its L2 norm or its sum.
    padding : {"valid", "same"}, default "valid"
        Of the framing convolution.
    expand_dims : bool, default False
        Keep channels apart: ``(batch, frames, bins, channels)`` instead of
        ``(batch, frames, channels * bins)``.
    data_format : {"channels_last", "channels_first"}, optional
        The input's layout; channels-first gives ``(batch, channels * bins,
        frames)`` (or ``(batch, channels, frames, bins)``).
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not 3-D.

    Examples
    --------
    >>> layer = pynn.layers.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4,
    ...                                     window=None)
    >>> x = np.ones((1, 16, 1), np.float32)
    >>> layer(x).shape
    (1, 3, 5)
    >>> layer(x).numpy()[0, 0].round(4)  # a constant signal: the DC bin (others sqrt(1e-7))
    array([8.e+00, 3.e-04, 3.e-04, 3.e-04, 3.e-04], dtype=float32)
    """

    _MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        cls = "STFTSpectrogram"
        frame_length = _positive_int(cls, "frame_length", frame_length)
        if frame_step is not None and (isinstance(frame_step, bool) or not isinstance(
                frame_step, (int, np.integer)) or not 1 <= frame_step <= frame_length):
            raise ValueError(f"`frame_step` should be a positive integer not greater than "
                             f"`frame_length`. Received frame_step={frame_step!r}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and (isinstance(fft_length, bool) or not isinstance(
                fft_length, (int, np.integer)) or fft_length < frame_length):
            raise ValueError(f"`fft_length` should be not less than `frame_length`. Received "
                             f"fft_length={fft_length!r}, frame_length={frame_length}")
        if mode not in self._MODES:
            raise ValueError(f"Output mode is invalid, it must be one of "
                             f"{', '.join(self._MODES)}. Received: mode={mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: "
                             f"padding={padding!r}")
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{cls}: data_format must be 'channels_last' or 'channels_first', "
                             f"received data_format={data_format!r}")
        super().__init__(**kwargs)
        if window is not None and not isinstance(window, str):
            window = [float(v) for v in np.asarray(window, np.float64).reshape(-1)]
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        if window is not None:  # an unknown name or a wrong length fails here, as Keras
            get_window(cls, window, frame_length, periodic)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2 or 1
        self.fft_length, self.window, self.periodic = fft_length, window, bool(periodic)
        self.scaling, self.padding, self.expand_dims = scaling, padding, bool(expand_dims)
        self.data_format = data_format or "channels_last"

    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(f"STFTSpectrogram '{self.name}' expects 3-D signals (batch, time, "
                             f"channels) ({self.data_format}); got shape {tuple(shape)}")
        time = shape[1] if self.data_format == "channels_last" else shape[2]
        if self.padding == "valid" and time is not None and time < self.frame_length:
            raise ValueError(f"STFTSpectrogram '{self.name}': a signal of {time} samples is "
                             f"shorter than one frame ({self.frame_length}) with padding='valid'")

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                var = self.add_weight(f"{side}_kernel", shape, "zeros")
                var[...] = stft_kernel(side, self.window, self.scaling, self.periodic,
                                       self.frame_length, shape[-1], "STFTSpectrogram")
                setattr(self, f"{side}_kernel", var)

    def _conv(self, signals, kernel):
        # (batch * channels, time, 1) -> (batch * channels, frames, bins)
        return ops.conv1d(signals, self.tensor(kernel), strides=self._frame_step,
                          padding=self.padding)

    def call(self, inputs, training=False):
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs, (0, 2, 1))
        channels, time = int(x.shape[1]), int(x.shape[2])
        signals = ops.reshape(x, (-1, time, 1))
        real = self._conv(signals, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(signals, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            out = ops.arctan2(imag, real)
        elif self.mode == "stft":
            out = ops.concatenate([real, imag], axis=-1)
        else:
            power = ops.square(real) + ops.square(imag)
            if self.mode == "psd":  # the bins between DC and Nyquist count twice
                out = power + ops.pad(power[:, :, 1:-1], ((0, 0), (0, 0), (1, 1)))
            else:
                out = ops.sqrt(ops.maximum(power, _EPSILON))
                if self.mode == "log":
                    out = ops.log(ops.maximum(out, _EPSILON))
        frames, bins = int(out.shape[1]), int(out.shape[2])
        out = ops.reshape(out, (-1, channels, frames, bins))
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(out, (0, 2, 3, 1))
            return ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (-1, frames, channels * bins))
        if self.expand_dims:
            return out
        return ops.reshape(ops.transpose(out, (0, 1, 3, 2)), (-1, channels * bins, frames))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        if self.data_format == "channels_last":
            time, channels = input_shape[1], input_shape[2]
        else:
            channels, time = input_shape[1], input_shape[2]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.data_format == "channels_last":
            return (batch, frames, bins, channels) if self.expand_dims else \
                (batch, frames, channels * bins)
        return (batch, channels, frames, bins) if self.expand_dims else \
            (batch, channels * bins, frames)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(mode=self.mode, frame_length=self.frame_length, frame_step=self.frame_step,
                   fft_length=self.fft_length, window=self.window, periodic=self.periodic,
                   scaling=self.scaling, padding=self.padding, data_format=self.data_format,
                   expand_dims=self.expand_dims)
        return cfg


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate,
                                lower_edge_hertz, upper_edge_hertz):
    """Keras' (HTK) mel filterbank, (num_spectrogram_bins, num_mel_bins): triangles of
    peak 1 on the mel scale 1127 ln(1 + f / 700), the DC bin left out. Computed in
    float32, in Keras' order of operations, so the weights are Keras' weights."""
    f32 = np.float32

    def to_mel(hz):
        return f32(_MEL_HIGH_FREQUENCY_Q) * np.log(f32(1.0) + hz / f32(_MEL_BREAK_FREQUENCY_HERTZ))

    nyquist = f32(sampling_rate) / f32(2.0)
    linear = np.linspace(f32(0.0), nyquist, num_spectrogram_bins, dtype=f32)[1:]
    bins_mel = to_mel(linear)[:, None]
    edges = np.linspace(to_mel(f32(lower_edge_hertz)), to_mel(f32(upper_edge_hertz)),
                        num_mel_bins + 2, dtype=f32)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(f32(0.0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, ((1, 0), (0, 0))).astype(f32)


class MelSpectrogram(Layer):
    """Mel spectrograms of audio signals (Keras' MelSpectrogram).

    ``|stft(x)| ** mag_exp`` (Hann-windowed frames centred on every
    ``sequence_stride``-th sample, the signal reflected at its ends), mapped onto
    ``num_mel_bins`` HTK mel bands between ``min_freq`` and ``max_freq``, and with
    ``power_to_db`` put on the decibel scale ``10 log10(max(x, min_power) /
    ref_power)`` floored at ``top_db`` below the batch's maximum (as Keras: the
    maximum over the whole batch). Output ``(batch, num_mel_bins, frames)``.

    Parameters
    ----------
    fft_length : int, default 2048
        Frame length of the transform.
    sequence_stride : int, default 512
        Hop between frames.
    sequence_length : int, optional
        The window's length (default ``fft_length``), <= fft_length.
    window : {"hann", "hamming"} or None, default "hann"
        Periodic window (None: rectangular).
    sampling_rate : int, default 16000
        Samples per second of the signal.
    num_mel_bins : int, default 128
        Mel bands.
    min_freq, max_freq : float, default 20.0 and sampling_rate / 2
        The bands' range in Hz.
    power_to_db : bool, default True
        Decibel output.
    top_db, mag_exp, min_power, ref_power : float, defaults 80.0, 2.0, 1e-10, 1.0
        As Keras.
    **kwargs
        Base layer arguments.

    Raises
    ------
    ValueError
        Bad arguments, or inputs that are not ``(samples,)`` or ``(batch, samples)``.

    Examples
    --------
    >>> layer = pynn.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=10,
    ...                                    sampling_rate=8000)
    >>> x = np.sin(2 * np.pi * 1000 * np.arange(256) / 8000).astype(np.float32)[None]
    >>> out = layer(x)
    >>> out.shape
    (1, 10, 17)
    >>> int(out.numpy()[0, :, 8].argmax())  # the band around 1 kHz
    4
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        cls = "MelSpectrogram"
        super().__init__(**kwargs)
        self.fft_length = _positive_int(cls, "fft_length", fft_length)
        self.sequence_stride = _positive_int(cls, "sequence_stride", sequence_stride)
        self.sequence_length = _positive_int(cls, "sequence_length",
                                             sequence_length or fft_length)
        if self.fft_length < self.sequence_length:
            raise ValueError(f"`fft_length` must be greater than or equal to `sequence_length`. "
                             f"Received: `sequence_length`={self.sequence_length}, "
                             f"`fft_length`={self.fft_length}.")
        if window not in ("hann", "hamming", None):
            raise ValueError(f"{cls}: window must be 'hann', 'hamming' or None, received "
                             f"window={window!r}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = _positive_int(cls, "num_mel_bins", num_mel_bins)
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        numbers = dict(sampling_rate=sampling_rate, min_freq=min_freq, max_freq=self.max_freq,
                       top_db=top_db, mag_exp=mag_exp, min_power=min_power, ref_power=ref_power)
        for name, v in numbers.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) \
                    or not np.isfinite(v):
                raise ValueError(f"{cls}: `{name}` must be a finite number, received {name}={v!r}")
        if not 0 <= self.min_freq < self.max_freq:
            raise ValueError(f"{cls}: needs 0 <= min_freq < max_freq, received "
                             f"min_freq={min_freq!r}, max_freq={self.max_freq!r}")
        if min_power <= 0:
            raise ValueError(f"{cls}: `min_power` must be > 0, received min_power={min_power!r}")
        self.power_to_db, self.top_db, self.mag_exp = bool(power_to_db), top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        self._mel = linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1,
                                                self.sampling_rate, self.min_freq, self.max_freq)

    def _check_input(self, shape):
        if len(shape) not in (1, 2):
            raise ValueError(f"MelSpectrogram '{self.name}' expects signals (batch, samples) or "
                             f"one signal (samples,); got shape {tuple(shape)}")

    def call(self, inputs, training=False):
        real, imag = ops.stft(inputs, self.sequence_length, self.sequence_stride,
                              self.fft_length, window=self.window, center=True)
        power = ops.square(real) + ops.square(imag)
        if self.mag_exp == 2.0:  # |z| ** 2 without the square root (the same value)
            spec = power
        else:
            spec = ops.power(ops.sqrt(power), float(self.mag_exp))
        mel = ops.matmul(spec, self._mel)
        if self.power_to_db:
            scale = np.float32(10.0 / np.log(10.0))  # 10 log10(x) = (10 / ln 10) ln(x)
            log_spec = ops.log(ops.maximum(mel, float(self.min_power))) * scale
            ref = max(abs(float(self.ref_power)), float(self.min_power))
            log_spec = log_spec - float(10.0 * np.log10(np.float32(ref)))
            mel = ops.maximum(log_spec, ops.max(log_spec) - float(self.top_db))
        return ops.swapaxes(mel, -1, -2)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else \
            1 + (samples + 2 * (self.fft_length // 2) - self.fft_length) // self.sequence_stride
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(fft_length=self.fft_length, sequence_stride=self.sequence_stride,
                   sequence_length=self.sequence_length, window=self.window,
                   sampling_rate=self.sampling_rate, num_mel_bins=self.num_mel_bins,
                   min_freq=self.min_freq, max_freq=self.max_freq, power_to_db=self.power_to_db,
                   top_db=self.top_db, mag_exp=self.mag_exp, min_power=self.min_power,
                   ref_power=self.ref_power)
        return cfg
