"""Initializers: Keras 3 definitions (limits, truncated-normal stddev,
orthogonality) and reproducibility with seeds and pynn.set_seed."""
import math

import numpy as np
import pytest

import pynn
from pynn import initializers as init

TRUNC = 0.87962566103423978  # stddev of a unit normal truncated to [-2, 2]


def test_glorot_uniform_limits_and_variance():
    shape = (300, 200)
    w = init.GlorotUniform(seed=0)(shape)
    assert w.shape == shape and w.dtype == np.float32
    limit = math.sqrt(6 / (300 + 200))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit           # fills the interval
    np.testing.assert_allclose(w.var(), limit ** 2 / 3, rtol=0.02)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize("name, scale, fan", [("he_uniform", 2.0, "in"), ("lecun_uniform", 1.0, "in")])
def test_uniform_variance_scaling_limits(name, scale, fan):
    w = init.get(name)((400, 100))
    limit = math.sqrt(3 * scale / 400)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


@pytest.mark.parametrize("name, scale, fan", [("he_normal", 2.0, 400), ("lecun_normal", 1.0, 400),
                                              ("glorot_normal", 1.0, 250)])
def test_truncated_normal_variance_scaling(name, scale, fan):
    w = np.asarray(init.get(name)((400, 100))).astype(np.float64)
    target = math.sqrt(scale / fan)          # the stddev after truncation
    raw = target / TRUNC                     # the stddev of the normal before truncation
    assert np.abs(w).max() <= 2 * raw * (1 + 1e-6)
    assert np.abs(w).max() > 1.9 * raw       # truncated at 2σ, not at σ
    np.testing.assert_allclose(w.std(), target, rtol=0.02)


def test_conv_kernel_fans():
    # Keras' layout (kh, kw, in, out): fan_in = kh·kw·in, fan_out = kh·kw·out
    w = init.GlorotUniform(seed=1)((3, 3, 16, 32))
    limit = math.sqrt(6 / (9 * 16 + 9 * 32))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.98 * limit


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (50, 50), (3, 4, 20)])
def test_orthogonal_is_orthogonal(shape):
    w = np.asarray(init.Orthogonal(gain=1.0, seed=2)(shape))
    assert w.shape == shape
    m = w.reshape(-1, shape[-1]).astype(np.float64)
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-5)
    g = np.asarray(init.Orthogonal(gain=2.5, seed=2)(shape)).reshape(m.shape)
    np.testing.assert_allclose(g, 2.5 * m, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="rank"):
        init.Orthogonal()((5,))


def test_simple_initializers():
    assert np.array_equal(init.get("zeros")((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(init.get("ones")((4,)), np.ones(4))
    assert np.array_equal(init.Constant(0.5)((2, 2)), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(init.Identity(gain=3.0)((3, 3)), 3 * np.eye(3))
    u = init.RandomUniform(-0.2, 0.1, seed=0)((1000,))
    assert u.min() >= -0.2 and u.max() <= 0.1
    n = init.RandomNormal(1.0, 0.5, seed=0)((20000,))
    np.testing.assert_allclose([n.mean(), n.std()], [1.0, 0.5], rtol=0.03)
    t = init.TruncatedNormal(0.0, 0.5, seed=0)((20000,))
    assert np.abs(t).max() <= 1.0


def test_seeded_initializers_are_reproducible():
    for cls in (init.GlorotUniform, init.HeNormal, init.Orthogonal, init.RandomNormal):
        a, b = cls(seed=42)((20, 10)), cls(seed=42)((20, 10))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, cls(seed=43)((20, 10)))


def test_set_seed_makes_layer_initialisation_reproducible():
    def weights():
        model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(16),
                                 pynn.layers.Dense(4, kernel_initializer="he_normal")])
        return model.get_weights()

    pynn.set_seed(123)
    a = weights()
    pynn.set_seed(123)
    b = weights()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    pynn.set_seed(124)
    c = weights()
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(a[1], 0.0)         # bias_initializer="zeros"


def test_get_and_serialization():
    assert isinstance(init.get("GlorotUniform"), init.GlorotUniform)
    assert isinstance(init.get("he_normal"), init.HeNormal)
    cfg = init.serialize(init.VarianceScaling(2.0, "fan_out", "uniform", seed=3))
    back = init.deserialize(cfg)
    np.testing.assert_array_equal(back((5, 6)), init.VarianceScaling(2.0, "fan_out", "uniform",
                                                                     seed=3)((5, 6)))
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'"):
        init.get("glorot")
    with pytest.raises(ValueError, match="mode"):
        init.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        init.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="Unknown initializer"):
        pynn.layers.Dense(3, kernel_initializer="nope")


def test_constant_takes_an_array_as_keras():
    m = np.arange(6, dtype=np.float64).reshape(2, 3)
    c = init.Constant(m)
    np.testing.assert_array_equal(c((2, 3)), m)
    np.testing.assert_array_equal(init.Constant([1, 2, 3])((2, 3)), [[1, 2, 3]] * 2)
    again = init.deserialize(init.serialize(c))
    np.testing.assert_array_equal(again((2, 3)), m)
    assert init.Constant(2).get_config() == {"value": 2.0}
    assert init.Constant(0.1).get_config() == {"value": 0.1}  # not rounded through float32
    with pytest.raises(ValueError, match=r"shape \(2, 3\) cannot fill a weight of shape \(3, 2\)"):
        c((3, 2))
