"""pynn.ops.fft: ``keras.ops``' Fourier transforms — fft, ifft2, fft2, rfft, irfft,
stft, istft — as products with the DFT's cosine and sine matrices (engine
matmuls), so they differentiate and trace into a compiled model like any op.

pynn tensors are real, so, as in Keras, a complex signal is a pair ``(real,
imag)`` of tensors of one shape. A direct DFT costs ``n * n`` per transformed
row (n the length of the axis) against an FFT's ``n log n``: right for the
frame lengths of audio features and the sizes models transform, not for a
million-point signal. The matrices are computed in float64 and rounded once."""
import numbers

import numpy as np

from .. import _C
from .linearize import c, mm, mT
from .layout import pad
from .shape import _tensor, take

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "extract_sequences"]


def _angles(n_in, n_out, n):
    """2 pi j k / n for j < n_in (input index), k < n_out (output index); j k is
    reduced mod n first (exact in integers), so large products lose nothing."""
    return 2 * np.pi * (np.outer(np.arange(n_in), np.arange(n_out)) % n) / n


def _pair(op, x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op}: x must be a tuple (real, imag) of two tensors, got {type(x).__name__}")
    re, im = _tensor(x[0]), _tensor(x[1])
    if re.shape != im.shape:
        raise ValueError(f"{op}: the real and imaginary parts must have one shape, got {re.shape} "
                         f"and {im.shape}")
    return re, im


def _axes_ok(op, x, k):
    if x.ndim < k:
        raise ValueError(f"{op}: x must have at least {k} dimension(s), got shape {x.shape}")
    if x.ndim == k and _C.is_tracing():
        raise ValueError(f"{op} inside a model over every axis: one of them is the batch axis, "
                         "whose length changes from batch to batch; use it eagerly")


def _dft_last(re, im, inverse):
    """The complex DFT (or inverse, with 1/n) of (re, im) along the last axis."""
    n = re.shape[-1]
    t = _angles(n, n, n)
    cos, sin = c(np.cos(t) / (n if inverse else 1)), c(np.sin(t) / (n if inverse else 1))
    sign = 1.0 if inverse else -1.0
    # (re + i im)(cos + i sign sin) = re cos - sign im sin + i (im cos + sign re sin)
    out_re = _C.apply("sub", [mm(re, cos), _C.apply("mul", [mm(im, sin), np.float32(sign)])])
    out_im = _C.apply("add", [mm(im, cos), _C.apply("mul", [mm(re, sin), np.float32(sign)])])
    return out_re, out_im


def fft(x):
    """The discrete Fourier transform along the last axis (``keras.ops.fft``).

    Parameters
    ----------
    x : tuple of (Tensor or array_like)
        ``(real, imag)``, one shape.

    Returns
    -------
    tuple of Tensor
        ``(real, imag)`` of ``sum_j x_j exp(-2 pi i j k / n)``; differentiable.

    Raises
    ------
    ValueError
        ``x`` not a pair of one shape; a transform over the batch axis of a
        model being traced.

    Examples
    --------
    >>> re, im = pynn.ops.fft((np.array([1.0, 2.0, 3.0, 4.0], np.float32), np.zeros(4, np.float32)))
    >>> re.numpy().round(4) + 0, im.numpy().round(4) + 0  # + 0: no -0.
    (array([10., -2., -2., -2.], dtype=float32), array([ 0.,  2.,  0., -2.], dtype=float32))
    """
    re, im = _pair("fft", x)
    _axes_ok("fft", re, 1)
    return _dft_last(re, im, False)


def _two_axes(op, x, inverse):
    re, im = _pair(op, x)
    _axes_ok(op, re, 2)
    re, im = _dft_last(re, im, inverse)
    re, im = _dft_last(mT(re), mT(im), inverse)
    return mT(re), mT(im)


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes (``keras.ops.fft2``).

    Parameters
    ----------
    x : tuple of (Tensor or array_like)
        ``(real, imag)``, one shape, at least 2-D.

    Returns
    -------
    tuple of Tensor
        ``(real, imag)``; differentiable.

    Raises
    ------
    ValueError
        ``x`` not a pair of one shape, fewer than 2 axes, a transform over the
        batch axis of a model being traced.

    Examples
    --------
    >>> re, im = pynn.ops.fft2((np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)))
    >>> re.numpy().round(4) + 0
    array([[4., 0.],
           [0., 0.]], dtype=float32)
    """
    return _two_axes("fft2", x, False)


def ifft2(x):
    """The inverse 2-D discrete Fourier transform over the last two axes (``keras.ops.ifft2``).

    Parameters
    ----------
    x : tuple of (Tensor or array_like)
        ``(real, imag)``, one shape, at least 2-D.

    Returns
    -------
    tuple of Tensor
        ``(real, imag)``, scaled by ``1 / (rows * columns)``; differentiable.

    Raises
    ------
    ValueError
        As `fft2`.

    Examples
    --------
    >>> re, im = pynn.ops.ifft2((np.full((2, 2), 4.0, np.float32), np.zeros((2, 2), np.float32)))
    >>> re.numpy().round(4) + 0
    array([[4., 0.],
           [0., 0.]], dtype=float32)
    """
    return _two_axes("ifft2", x, True)


def _length(op, v, name):
    if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1):
        raise ValueError(f"{op}: {name} must be a positive int, got {v!r}")
    return v


def _rdft_matrices(n_in, n):
    """(cos, -sin) of shape (n_in, n // 2 + 1): the real DFT of length n of a row of
    n_in values, cut to n or padded with zeros to n (rows past n weigh nothing)."""
    m = n // 2 + 1
    t = _angles(n_in, m, n)
    keep = (np.arange(n_in) < n)[:, None]
    return c(np.cos(t) * keep), c(-np.sin(t) * keep)


def rfft(x, fft_length=None):
    """The DFT of a real signal along the last axis, its non-negative frequencies (``keras.ops.rfft``).

    Parameters
    ----------
    x : Tensor or array_like
        Real input.
    fft_length : int, optional
        The transform's length: the last axis is cut to it or padded with
        zeros; default its length.

    Returns
    -------
    tuple of Tensor
        ``(real, imag)``, last axis ``fft_length // 2 + 1``; differentiable.

    Raises
    ------
    ValueError
        A bad ``fft_length``, a scalar ``x``, a transform over the batch axis
        of a model being traced.

    Examples
    --------
    >>> re, im = pynn.ops.rfft(np.array([1.0, 2.0, 3.0, 4.0], np.float32))
    >>> re.numpy().round(4) + 0, im.numpy().round(4) + 0
    (array([10., -2., -2.], dtype=float32), array([0., 2., 0.], dtype=float32))
    """
    x = _tensor(x)
    _axes_ok("rfft", x, 1)
    n = _length("rfft", fft_length, "fft_length") or x.shape[-1]
    cos, msin = _rdft_matrices(x.shape[-1], n)
    return mm(x, cos), mm(x, msin)


def _irdft_matrices(m_in, n):
    """(a, b) of shape (m_in, n): x_t = sum_k re_k a_kt + im_k b_kt is the real
    inverse DFT of length n of bins 0..n//2 extended by Hermitian symmetry (as
    torch and NumPy: bins past n // 2 ignored, missing ones zero, the imaginary
    parts of bin 0 and of bin n / 2 ignored)."""
    k = np.arange(m_in)[:, None]
    w = np.where((k == 0) | (2 * k == n), 1.0, 2.0) * (k <= n // 2)
    t = _angles(m_in, n, n)
    return c(w * np.cos(t) / n), c(-w * np.sin(t) * (2 * k != n) / n)


def irfft(x, fft_length=None):
    """The inverse of `rfft`: a real signal from its non-negative frequencies (``keras.ops.irfft``).

    Parameters
    ----------
    x : tuple of (Tensor or array_like)
        ``(real, imag)``, one shape; the last axis holds bins 0, 1, ...
    fft_length : int, optional
        The output's length; default ``2 * (bins - 1)``.

    Returns
    -------
    Tensor
        Real; last axis ``fft_length``; differentiable.

    Raises
    ------
    ValueError
        ``x`` not a pair of one shape, a bad ``fft_length``, a transform over
        the batch axis of a model being traced.

    Examples
    --------
    >>> pynn.ops.irfft((np.array([10.0, -2.0, -2.0], np.float32),
    ...                 np.array([0.0, 2.0, 0.0], np.float32))).numpy().round(4)
    array([1., 2., 3., 4.], dtype=float32)
    """
    re, im = _pair("irfft", x)
    _axes_ok("irfft", re, 1)
    n = _length("irfft", fft_length, "fft_length") or 2 * (re.shape[-1] - 1)
    if n < 1:
        raise ValueError(f"irfft: {re.shape[-1]} bins give no output length; pass fft_length")
    a, b = _irdft_matrices(re.shape[-1], n)
    return _C.apply("add", [mm(re, a), mm(im, b)])


def _window(op, window, sequence_length):
    """The window as float64 (periodic hann / hamming, as torch's and Keras')."""
    k = np.arange(sequence_length)
    if window is None:
        return np.ones(sequence_length)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{op}: window must be 'hann', 'hamming', an array or None, got "
                             f"{window!r}")
        a = 0.5 if window == "hann" else 0.54
        return a - (1 - a) * np.cos(2 * np.pi * k / sequence_length)
    w = np.asarray(window.numpy() if isinstance(window, _C.Tensor) else window, np.float64)
    if w.shape != (sequence_length,):
        raise ValueError(f"{op}: window must have shape ({sequence_length},) (sequence_length), "
                         f"got {w.shape}")
    return w


def _frame_args(op, sequence_length, sequence_stride, fft_length):
    for name, v in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                    ("fft_length", fft_length)):
        _length(op, v, name)
        if v is None:
            raise ValueError(f"{op}: {name} must be a positive int, got None")
    if fft_length < sequence_length:
        raise ValueError(f"{op}: fft_length ({fft_length}) must be >= sequence_length "
                         f"({sequence_length})")


def _padded_window(op, window, sequence_length, fft_length):
    w = _window(op, window, sequence_length)
    left = (fft_length - sequence_length) // 2
    return np.pad(w, (left, fft_length - sequence_length - left))


def _frames(op, x, length, stride):
    """Frames of `length` samples every `stride` along the last axis: (..., frames, length)."""
    samples = x.shape[-1]
    if samples < length:
        raise ValueError(f"{op}: a signal of {samples} samples is shorter than one frame "
                         f"({length})")
    frames = 1 + (samples - length) // stride
    idx = np.arange(frames)[:, None] * stride + np.arange(length)
    return take(x, idx.astype(np.float32), axis=x.ndim - 1)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last
    axis (``keras.ops.extract_sequences``, ``torch.Tensor.unfold``).

    Parameters
    ----------
    x : Tensor or array_like
        ``(..., samples)``, at least 1-D.
    sequence_length : int
        The frame's length, at most ``samples``.
    sequence_stride : int
        The step between frames.

    Returns
    -------
    Tensor
        ``(..., 1 + (samples - sequence_length) // sequence_stride, sequence_length)``;
        differentiable (overlapping frames add their gradients).

    Raises
    ------
    ValueError
        A length or stride that is not a positive int, a signal shorter than a
        frame, a 0-D input, or (in a model being traced) a 1-D one, whose only
        axis is the batch.

    Examples
    --------
    >>> pynn.ops.extract_sequences(np.arange(6, dtype=np.float32), 3, 2).numpy()
    array([[0., 1., 2.],
           [2., 3., 4.]], dtype=float32)
    """
    x = _tensor(x)
    for name, v in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride)):
        _length("extract_sequences", v, name)
        if v is None:
            raise ValueError(f"extract_sequences: {name} must be a positive int, got None")
    _axes_ok("extract_sequences", x, 1)
    return _frames("extract_sequences", x, int(sequence_length), int(sequence_stride))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis (``keras.ops.stft``).

    Frames of ``fft_length`` samples every ``sequence_stride``, each multiplied
    by the window (``sequence_length`` long, centred in the frame), then `rfft`.

    Parameters
    ----------
    x : Tensor or array_like
        Real signal ``(..., samples)``.
    sequence_length : int
        The window's length.
    sequence_stride : int
        The step between frames.
    fft_length : int
        The frame's length, >= ``sequence_length``.
    window : {"hann", "hamming"}, array_like or None, default "hann"
        Periodic Hann / Hamming (as Keras), a window of ``sequence_length``
        values, or None (ones).
    center : bool, default True
        Pad ``fft_length // 2`` samples each side, by reflection, so frame t is
        centred on sample ``t * sequence_stride``.

    Returns
    -------
    tuple of Tensor
        ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``; differentiable.

    Raises
    ------
    ValueError
        Bad lengths or window, a signal shorter than a frame, a transform over
        the batch axis of a model being traced.

    Examples
    --------
    >>> re, im = pynn.ops.stft(np.ones(8, np.float32), 4, 2, 4, window=None, center=False)
    >>> re.numpy().round(4) + 0
    array([[4., 0., 0.],
           [4., 0., 0.],
           [4., 0., 0.]], dtype=float32)
    """
    x = _tensor(x)
    _frame_args("stft", sequence_length, sequence_stride, fft_length)
    _axes_ok("stft", x, 1)
    w = _padded_window("stft", window, sequence_length, fft_length)
    if center:
        half = fft_length // 2
        if x.shape[-1] <= half:
            raise ValueError(f"stft: center=True reflects {half} samples, so the signal needs more "
                             f"than {half}; got {x.shape[-1]}")
        x = pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    framed = _frames("stft", x, fft_length, sequence_stride)  # (..., frames, fft_length)
    cos, msin = _rdft_matrices(fft_length, fft_length)
    return mm(framed, c(w[:, None] * cos)), mm(framed, c(w[:, None] * msin))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of `stft` (``keras.ops.istft``): overlap-added inverse transforms.

    Each frame's `irfft` is multiplied by the window, the frames are added at
    their offsets, and each sample is divided by the sum of the squared windows
    over it (the least-squares inverse, as torch's istft) -- when
    ``sequence_length == fft_length`` and ``center`` with a window, the case
    Keras' torch backend hands to torch. Otherwise as Keras' own
    overlap-add: the window is divided by its squares summed over samples one
    stride apart (no window: frames added as they are), and the output is cut,
    never padded, to ``length``.

    Parameters
    ----------
    x : tuple of (Tensor or array_like)
        ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.
    sequence_length : int
        The window's length.
    sequence_stride : int
        The step between frames.
    fft_length : int
        The frame's length.
    length : int, optional
        Cut (or pad with zeros) the output to this many samples.
    window : {"hann", "hamming"}, array_like or None, default "hann"
        As in `stft`.
    center : bool, default True
        Whether `stft` padded: drop ``fft_length // 2`` samples at each end.

    Returns
    -------
    Tensor
        The real signal ``(..., samples)``; differentiable.

    Raises
    ------
    ValueError
        Bad lengths or window, ``x`` not a pair of one shape; a window whose
        squares sum to zero where they divide (torch and Keras give an error or NaN).

    Examples
    --------
    >>> sig = np.arange(12, dtype=np.float32)
    >>> spec = pynn.ops.stft(sig, 4, 2, 4)
    >>> pynn.ops.istft(spec, 4, 2, 4, length=12).numpy().round(4)
    array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.], dtype=float32)
    """
    re, im = _pair("istft", x)
    _frame_args("istft", sequence_length, sequence_stride, fft_length)
    _axes_ok("istft", re, 2)
    _length("istft", length, "length")
    w = _padded_window("istft", window, sequence_length, fft_length)
    frames = re.shape[-2]
    total = fft_length + sequence_stride * (frames - 1)
    # sample t takes, from every frame f covering it, element pos = t - f * stride
    cover = -(-fft_length // sequence_stride)
    t = np.arange(total)[:, None]
    f = t // sequence_stride - np.arange(cover)[None, :]
    pos = t - f * sequence_stride
    ok = (f >= 0) & (f < frames) & (pos < fft_length)
    start = fft_length // 2 if center else 0
    if sequence_length == fft_length and center and window is not None:
        # torch.istft (Keras' torch backend calls it here): divide by the overlap-added
        # squared windows, refused where they vanish; a length past the end pads zeros
        stop = start + length if length is not None else total - start
        scale = np.where(ok, w[np.minimum(pos, fft_length - 1)] ** 2, 0.0).sum(axis=1)
        if np.any(np.abs(scale[start:min(stop, total)]) < 1e-11):
            raise ValueError("istft: the window's squares sum to zero at some output sample (the "
                             "frames do not cover it with a nonzero window); no inverse there")
        weight = w
    else:
        # Keras' own overlap-add: the window divided by its squares summed over the
        # samples one stride apart; the output cut (never padded) to the length
        stop = min(start + length if length is not None else
                   total - start if center else total, total)
        scale = np.ones(total)
        weight = np.ones(fft_length)
        if window is not None:
            sq = np.pad(w ** 2, (0, -fft_length % sequence_stride))
            denom = np.tile(sq.reshape(-1, sequence_stride).sum(axis=0), len(sq) // sequence_stride)
            if np.any(denom[:fft_length] == 0):
                raise ValueError("istft: the window is zero at every sample of some stride "
                                 "offset, so it cannot be normalised (Keras gives NaN there)")
            weight = w / denom[:fft_length]
    a, b = _irdft_matrices(re.shape[-1], fft_length)
    y = _C.apply("add", [mm(re, c(a * weight)), mm(im, c(b * weight))])  # (..., frames, fft)
    lead = re.shape[:-2][:1] and (-1,) + re.shape[1:-2]  # the batch axis as -1 (traced)
    flat = pad(_C.apply("reshape", [y], shape=lead + (frames * fft_length,)),
               [(0, 0)] * len(lead) + [(0, 1)])  # index frames * fft_length: a zero
    idx = np.where(ok, f * fft_length + pos, frames * fft_length)[start:min(stop, total)]
    out = _C.apply("sum", [take(flat, idx.astype(np.float32), axis=flat.ndim - 1)], axis=(-1,),
                   keepdims=False, reduce_all=False)
    out = _C.apply("div", [out, c(np.where(scale == 0, 1.0, scale)[start:min(stop, total)])])
    if stop > total:  # a length past the signal: zeros, as torch
        out = pad(out, [(0, 0)] * len(lead) + [(0, stop - total)])
    return out
