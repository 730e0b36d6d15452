"""The versioned normal streams of DP-SGD's seeded noise (csrc/core/rng_normal.c).

v1 (Box-Muller) must stay the draws recorded before stream versions existed;
v2 (ziggurat) is pinned too from its first version, and checked as a sampler:
moments, tails, a Kolmogorov-Smirnov test against N(0, 1) on 1e6 draws,
independence across counters, keys and steps, the same bits from every code
path (portable, AVX2, AVX-512), and a DP-SGD run whose noise is exactly the
stream's draws with std sigma * C.
"""
import hashlib
import math

import numpy as np
import pytest

import pynn
from pynn import _C
from pynn.layers import Dense
from pynn.privacy import DPSGD

# _C.dp_seeded_normal(key, step, j, 1).hex() recorded from main before stream
# versions existed (commit f9fdf74, glibc x86-64)
V1_RECORDED = [
    (0, 0, 0, "-0x1.da90dbd1030aep-4"), (0, 0, 1, "0x1.31152065a07fbp-6"),
    (0, 0, 2, "0x1.fa84e56616627p-2"), (0, 0, 4095, "-0x1.a0c7358bf3e85p-1"),
    (0, 0, 10**9, "-0x1.9926f606d8d37p-2"), (12345, 3, 0, "0x1.09fc455b9e7a0p+1"),
    (12345, 3, 1, "-0x1.7ab5858c72ad9p+0"), (12345, 3, 2, "-0x1.007052bc4941fp-3"),
    (12345, 3, 4095, "0x1.6b5b4da33245cp+0"), (12345, 3, 10**9, "-0x1.7b23f01c688ddp-2"),
    (2**64 - 1, 1000, 0, "-0x1.b66be47caee85p+0"), (2**64 - 1, 1000, 1, "-0x1.27440f7ee094fp+0"),
    (2**64 - 1, 1000, 2, "-0x1.52244749efff6p-1"), (2**64 - 1, 1000, 4095, "-0x1.aca6b8bcc2f0dp+0"),
    (2**64 - 1, 1000, 10**9, "0x1.46fd30b076758p+0"),
]

# v2's first values (this commit); a change to them is a new stream version
V2_RECORDED = [
    (0, 0, 0, "0x1.6a23be47f5316p+0"), (0, 0, 1, "0x1.2013b59d437c8p-1"),
    (0, 0, 2, "-0x1.c05dba236f421p-1"), (0, 0, 4095, "-0x1.5ec4711be4f39p-1"),
    (0, 0, 10**9, "0x1.9decd3bf8f348p-2"), (12345, 3, 0, "-0x1.01e6a91a68326p-2"),
    (12345, 3, 1, "-0x1.41f9b6ffe6363p+0"), (12345, 3, 2, "-0x1.43b4bf74cd546p-1"),
    (12345, 3, 4095, "0x1.e58519ab5bb7cp-2"), (12345, 3, 10**9, "0x1.cfad42542a0d1p-3"),
    (2**64 - 1, 1000, 0, "-0x1.56df16334a9b5p-5"), (2**64 - 1, 1000, 1, "0x1.738921548b70ap-2"),
    (2**64 - 1, 1000, 2, "-0x1.c3d08d6ecd981p-1"), (2**64 - 1, 1000, 4095, "0x1.036fa074ca9c8p-2"),
    (2**64 - 1, 1000, 10**9, "0x1.0f2afa07831e1p+0"),
    (0x5EED, 0, 5740, "0x1.e2becbb69cf42p+1"), (0x5EED, 0, 8908, "-0x1.f105ceeb2613cp+1"),  # tail draws
]
# every bit of 1e5 draws, wedges and tails included
V2_SHA256 = "7a7b7d646178668368edb2c14cc5d69b7424fdac17ae73c0cfa7b3273bd11fe1"


def test_v1_is_the_recorded_stream():
    for key, step, j, value in V1_RECORDED:
        assert _C.dp_seeded_normal(key, step, j, 1) == float.fromhex(value), (key, step, j)


def test_v2_is_pinned():
    for key, step, j, value in V2_RECORDED:
        assert _C.dp_seeded_normal(key, step, j, 2) == float.fromhex(value), (key, step, j)
    z = _C.dp_seeded_noise(0x5EED, 0, 100000, 2)
    assert hashlib.sha256(z.tobytes()).hexdigest() == V2_SHA256
    # and it is another stream than v1
    assert all(_C.dp_seeded_normal(k, s, j, 2) != float.fromhex(v) for k, s, j, v in V1_RECORDED)


def test_default_stream_is_v2():
    assert _C.dp_seeded_normal(5, 1, 7) == _C.dp_seeded_normal(5, 1, 7, 2)
    assert DPSGD(noise_multiplier=1.0).stream_version == 2


@pytest.fixture(scope="module")
def million():
    return _C.dp_seeded_noise(0x5EED, 0, 10**6, 2)


def _normal_cdf(z):
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * (1.0 + erf(z / math.sqrt(2.0)).astype(np.float64))


def test_v2_moments_and_tails(million):
    z, n = million, million.size
    # N(0,1): mean 0, variance 1, skewness 0, kurtosis 3; each within ~5 standard errors
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / n)
    assert abs(np.mean(z ** 3)) < 5 * math.sqrt(15 / n)
    assert abs(np.mean(z ** 4) - 3) < 5 * math.sqrt(96 / n)
    # the tails: past 2 and 3 (wedges) and past the ziggurat's base R = 3.654 (its own sampler)
    for t in (2.0, 3.0, 3.6541528853610088, 4.0):
        p = 2 * (1 - _normal_cdf(np.array([t]))[0])
        count = np.count_nonzero(np.abs(z) > t)
        assert abs(count - n * p) < 5 * math.sqrt(n * p) + 1, (t, count, n * p)
    assert np.count_nonzero(z > 0) == pytest.approx(n / 2, abs=5 * math.sqrt(n) / 2)


def test_v2_kolmogorov_smirnov(million):
    z = np.sort(million)
    n = z.size
    cdf = _normal_cdf(z)
    d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    # P(sqrt(n) D > 1.95) ~ 1e-3 for a correct sampler
    assert math.sqrt(n) * d < 1.95, d


def test_ks_check_can_fail():
    # the same statistic on a sampler 1 % too wide is far past the bound
    z = np.sort(_C.dp_seeded_noise(0x5EED, 0, 10**6, 2) * 1.01)
    cdf = _normal_cdf(z)
    n = z.size
    d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert math.sqrt(n) * d > 1.95


def _corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def test_v2_independence_across_counters_keys_and_steps(million):
    z, n = million, million.size
    bound = 5 / math.sqrt(n)
    for lag in (1, 2, 7, 8, 256, 1024):  # neighbours, vector lanes, blocks
        assert abs(_corr(z[:-lag], z[lag:])) < bound, lag
        assert abs(_corr(z[:-lag] ** 2, z[lag:] ** 2)) < bound, lag  # dependence through the scale
    for other in (_C.dp_seeded_noise(0x5EED + 1, 0, n, 2),     # the next key
                  _C.dp_seeded_noise(0x5EED, 1, n, 2),         # the next step
                  _C.dp_seeded_noise(0x5EED, 0, n, 1)):        # stream v1, same key and step
        assert abs(_corr(z, other)) < bound
        assert abs(_corr(z ** 2, other ** 2)) < bound
    # sign pairs of neighbours: the four quadrants equally likely (chi-square, 3 dof)
    q = np.bincount(2 * (z[:-1] > 0) + (z[1:] > 0), minlength=4)
    chi2 = float(np.sum((q - (n - 1) / 4) ** 2 / ((n - 1) / 4)))
    assert chi2 < 25  # p ~ 2e-5


@pytest.mark.parametrize("path", ["avx2", "avx512"])
def test_vector_paths_give_the_portable_bits(path):
    n = 10**6 + 13  # a ragged tail after the last full vector
    ref = _C.dp_seeded_noise(77, 3, n, 2, "portable")
    try:
        got = _C.dp_seeded_noise(77, 3, n, 2, path)
    except ValueError:
        pytest.skip(f"this CPU has no {path}")
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(_C.dp_seeded_noise(77, 3, n, 2), ref)  # the default path
    # and one draw at a time (the scalar function), at counters off the vector grid
    for j in (0, 5, 8191, 123457, n - 1):
        assert _C.dp_seeded_normal(77, 3, j, 2) == ref[j]


def _zero_gradient_model(opt, n_out=200):
    # a zero kernel and zero targets: every per-example gradient is exactly 0, so
    # the update is the noise alone
    model = pynn.Sequential([pynn.Input(shape=(30,)),
                             Dense(n_out, kernel_initializer="zeros", bias_initializer="zeros")])
    model.compile(optimizer=opt, loss="mse")
    return model


@pytest.mark.parametrize("stream", [1, 2])
def test_dp_sgd_noise_is_the_stream_with_std_sigma_c(stream):
    sigma, clip, batch, lr = 1.3, 0.7, 10, 1.0
    model = _zero_gradient_model(DPSGD(l2_norm_clip=clip, noise_multiplier=sigma, learning_rate=lr,
                                       seed=2024, poisson_sampling=False, stream_version=stream),
                                 n_out=2000)
    x = np.random.default_rng(0).standard_normal((batch, 30)).astype(np.float32)
    model.fit(x, np.zeros((batch, 2000), np.float32), batch_size=batch, epochs=1, verbose=0)
    got = np.concatenate([w.ravel() for w in model.get_weights()])
    z = _C.dp_seeded_noise(2024, 0, got.size, stream)
    expected = -((np.float64(sigma * clip) * z).astype(np.float32) * np.float32(1.0 / batch))
    np.testing.assert_array_equal(got, expected)
    # the noise added, sigma * C per coordinate (62000 coordinates: 1.3 % is ~5 standard errors)
    noise = -got * batch
    assert noise.std() == pytest.approx(sigma * clip, rel=0.013)
    assert abs(noise.mean()) < 5 * sigma * clip / math.sqrt(noise.size)


def test_dp_sgd_v2_noise_is_thread_independent():
    runs = []
    before = pynn.get_num_threads()
    try:
        for threads in (1, 2):
            pynn.set_num_threads(threads)
            model = _zero_gradient_model(DPSGD(l2_norm_clip=1.0, noise_multiplier=1.0, learning_rate=0.5,
                                               seed=3, poisson_sampling=False), n_out=3000)
            x = np.ones((4, 30), np.float32)
            model.fit(x, np.zeros((4, 3000), np.float32), batch_size=4, epochs=2, verbose=0)
            runs.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    finally:
        pynn.set_num_threads(before)
    assert runs[0].size > 65536  # more than two of the noise's parallel chunks
    np.testing.assert_array_equal(runs[0], runs[1])


def test_stream_version_in_the_config():
    opt = DPSGD(noise_multiplier=1.0, seed=1, stream_version=1)
    assert DPSGD.from_config(opt.get_config()).stream_version == 1
    assert DPSGD.from_config(DPSGD(noise_multiplier=1.0).get_config()).stream_version == 2
    # a config saved before stream versions existed ran on v1, and loads as v1
    old = DPSGD(noise_multiplier=1.0, seed=1).get_config()
    del old["stream_version"]
    assert DPSGD.from_config(old).stream_version == 1
    assert pynn.privacy.make_private(_zero_gradient_model("sgd"), noise_multiplier=1.0,
                                     stream_version=1).optimizer.stream_version == 1


@pytest.mark.parametrize("bad", [0, 3, -1, True, 2.0, "2", None])
def test_bad_stream_version(bad):
    with pytest.raises(ValueError, match=r"DPSGD: `stream_version` must be 1 \(Box-Muller\) or 2 "
                                         r"\(ziggurat\), got"):
        DPSGD(noise_multiplier=1.0, stream_version=bad)


def test_bad_stream_in_the_engine():
    with pytest.raises(ValueError, match="stream version must be 1 or 2, got 3"):
        _C.dp_seeded_normal(1, 0, 0, 3)
    with pytest.raises(ValueError, match="stream version must be 1 or 2, got 0"):
        _C.dp_seeded_noise(1, 0, 10, 0)
    with pytest.raises(ValueError, match="path must be 'portable', 'avx2' or 'avx512'"):
        _C.dp_seeded_noise(1, 0, 10, 2, "sse9")
    with pytest.raises(ValueError, match="stream_version must be 1 or 2, got 7"):
        _C.DPState(n_params=4, n_samples=4, l2_norm_clip=1.0, noise_multiplier=1.0, sample_rate=0.5,
                   divisor=2.0, stream=7)
