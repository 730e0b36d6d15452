"""keras.random.gamma / beta / binomial as pynn.random (issue #13): seeded as Keras 3
(an int seed repeats, a SeedGenerator advances and replays from its config, None
follows pynn.set_seed); Kolmogorov-Smirnov against the exact distributions
(scipy.stats, installed with scikit-learn) and two-sample KS / moments against
Keras 3's own draws (https://keras.io/api/random/random_ops/)."""
import numpy as np
import pytest

import pynn
from pynn import random as R
from keras_ref import keras_or_skip

N = 20000
DRAWS = {  # name -> (pynn draw of shape (N,) with a seed, scipy.stats frozen distribution)
    "gamma_small_alpha": (lambda s: R.gamma((N,), 0.4, seed=s), lambda st: st.gamma(0.4)),
    "gamma": (lambda s: R.gamma((N,), 3.0, seed=s), lambda st: st.gamma(3.0)),
    "beta": (lambda s: R.beta((N,), 2.0, 5.0, seed=s), lambda st: st.beta(2.0, 5.0)),
    "beta_u_shaped": (lambda s: R.beta((N,), 0.5, 0.5, seed=s), lambda st: st.beta(0.5, 0.5)),
    "binomial": (lambda s: R.binomial((N,), 12, 0.3, seed=s), lambda st: st.binom(12, 0.3)),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_draws_follow_the_distribution(name):
    stats = pytest.importorskip("scipy.stats")
    draw, dist = DRAWS[name]
    x = draw(7).numpy().astype(np.float64)
    d = dist(stats)
    assert abs(x.mean() - d.mean()) < 4 * d.std() / np.sqrt(N)
    kurtosis = float(d.stats(moments="k"))  # the sample variance's standard error needs it
    assert abs(x.var() - d.var()) < 4 * d.var() * np.sqrt((2 + kurtosis) / N)
    if name.startswith("binomial"):  # discrete: the frequencies of each count
        k = np.arange(13)
        np.testing.assert_allclose(np.bincount(x.astype(int), minlength=13) / N, d.pmf(k), atol=0.01)
    else:
        assert stats.kstest(x, d.cdf).pvalue > 1e-3


def test_parameters_broadcast_per_element():
    alpha = np.array([0.5, 5.0, 50.0])
    g = R.gamma((N, 3), alpha, seed=1).numpy()
    np.testing.assert_allclose(g.mean(0), alpha, rtol=0.05)
    k = R.binomial((N, 2), counts=np.array([4, 40]), probabilities=np.array([0.5, 0.1]), seed=2).numpy()
    np.testing.assert_allclose(k.mean(0), [2.0, 4.0], rtol=0.05)
    assert k.max(0).tolist() <= [4.0, 40.0] and np.array_equal(k, np.round(k))
    b = R.beta((N, 2), alpha=np.array([1.0, 9.0]), beta=1.0, seed=3).numpy()
    np.testing.assert_allclose(b.mean(0), [0.5, 0.9], atol=0.01)
    # degenerate probabilities give exact answers
    np.testing.assert_array_equal(R.binomial((5,), 7, 1.0, seed=0).numpy(), np.full(5, 7.0))
    np.testing.assert_array_equal(R.binomial((5,), 7, 0.0, seed=0).numpy(), np.zeros(5))


@pytest.mark.parametrize("fn", [lambda s: R.gamma((6,), 2.0, seed=s),
                                lambda s: R.beta((6,), 2.0, 3.0, seed=s),
                                lambda s: R.binomial((6,), 9, 0.4, seed=s)])
def test_seeded_like_keras(fn):
    a = fn(5).numpy()
    np.testing.assert_array_equal(fn(5).numpy(), a)      # an int seed repeats
    assert not np.array_equal(fn(6).numpy(), a)
    gen = R.SeedGenerator(4)
    draws = [fn(gen).numpy() for _ in range(3)]            # a SeedGenerator advances ...
    assert not np.array_equal(draws[0], draws[1])
    again = R.SeedGenerator.from_config(R.SeedGenerator(4).get_config())
    for d in draws:                                         # ... and replays from its config
        np.testing.assert_array_equal(fn(again).numpy(), d)
    pynn.set_seed(9)
    first = fn(None).numpy()
    pynn.set_seed(9)
    np.testing.assert_array_equal(fn(None).numpy(), first)  # None follows pynn.set_seed


def test_same_distribution_as_keras():
    keras = keras_or_skip()
    stats = pytest.importorskip("scipy.stats")
    pairs = [(keras.random.gamma((N,), 2.5, seed=1), R.gamma((N,), 2.5, seed=1)),
             (keras.random.beta((N,), 3.0, 1.5, seed=1), R.beta((N,), 3.0, 1.5, seed=1))]
    for theirs, ours in pairs:
        theirs = keras.ops.convert_to_numpy(theirs)
        assert stats.ks_2samp(theirs, ours.numpy()).pvalue > 1e-3
    theirs = keras.ops.convert_to_numpy(keras.random.binomial((N,), 10, 0.35, seed=1))
    ours = R.binomial((N,), 10, 0.35, seed=1).numpy()
    assert abs(theirs.mean() - ours.mean()) < 0.06 and abs(theirs.var() - ours.var()) < 0.15


def test_bad_arguments_name_the_function():
    with pytest.raises(ValueError, match="pynn.random.gamma: alpha must be > 0"):
        R.gamma((3,), 0.0)
    with pytest.raises(ValueError, match="pynn.random.beta: beta must be > 0"):
        R.beta((3,), 1.0, -1.0)
    with pytest.raises(ValueError, match=r"pynn.random.binomial: probabilities must be in \[0, 1.0\]"):
        R.binomial((3,), 5, 1.5)
    with pytest.raises(ValueError, match="pynn.random.binomial: counts must be whole numbers"):
        R.binomial((3,), 2.5, 0.5)
    with pytest.raises(ValueError, match="pynn.random.gamma: alpha of shape .2,. does not broadcast"):
        R.gamma((3,), [1.0, 2.0])
    with pytest.raises(ValueError, match="pynn.random.beta: dtype 'int32' is not supported"):
        R.beta((3,), 1.0, 1.0, dtype="int32")
    with pytest.raises(ValueError, match="pynn.random.gamma: alpha must be > 0"):
        R.gamma((3,), float("nan"))
