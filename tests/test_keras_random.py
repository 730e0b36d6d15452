"""keras.random as pynn.random (issue #13): seeding semantics as Keras 3's (an int seed
repeats, a SeedGenerator advances, None follows pynn.set_seed), the distributions'
moments, dropout and shuffle with gradients, and the traced-model rule (a constant
draw there would repeat at every batch: refused; dropout is the engine's op)."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops
from pynn import random as R


def test_int_seed_repeats_generator_advances_none_follows_set_seed():
    a = R.normal((3, 4), seed=5).numpy()
    np.testing.assert_array_equal(R.normal((3, 4), seed=5).numpy(), a)
    assert not np.array_equal(R.normal((3, 4), seed=6).numpy(), a)
    gen = R.SeedGenerator(11)
    draws = [R.uniform((5,), seed=gen).numpy() for _ in range(3)]
    assert not np.array_equal(draws[0], draws[1]) and gen.state.tolist() == [11, 3]
    gen2 = R.SeedGenerator.from_config(gen.get_config())
    for d in draws:
        np.testing.assert_array_equal(R.uniform((5,), seed=gen2).numpy(), d)
    pynn.set_seed(3)
    x = R.normal((4,)).numpy()
    y = R.normal((4,)).numpy()
    pynn.set_seed(3)
    np.testing.assert_array_equal(R.normal((4,)).numpy(), x)
    np.testing.assert_array_equal(R.normal((4,)).numpy(), y)
    assert not np.array_equal(x, y)


def test_distributions_have_the_asked_moments():
    n = 40000
    z = R.normal((n,), mean=2.0, stddev=3.0, seed=0).numpy()
    assert z.dtype == np.float32 and abs(z.mean() - 2.0) < 0.05 and abs(z.std() - 3.0) < 0.05
    u = R.uniform((n,), minval=-1.0, maxval=5.0, seed=1).numpy()
    assert u.min() >= -1.0 and u.max() < 5.0 and abs(u.mean() - 2.0) < 0.05
    t = R.truncated_normal((n,), mean=1.0, stddev=2.0, seed=2).numpy()
    assert t.min() >= 1.0 - 4.0 and t.max() <= 1.0 + 4.0
    # a normal truncated at ±2σ has standard deviation 0.87962566 σ (Keras' initializers use it)
    assert abs(t.std() - 2.0 * 0.87962566) < 0.02
    r = R.randint((n,), -2, 3, seed=3).numpy()
    assert set(np.unique(r).tolist()) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    counts = np.bincount((r + 2).astype(int)) / n
    np.testing.assert_allclose(counts, 0.2, atol=0.01)
    logits = np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]]) + 1e-12)
    c = R.categorical(logits, 20000, seed=4).numpy()
    assert c.shape == (2, 20000)
    np.testing.assert_allclose(np.bincount(c[0].astype(int), minlength=3) / 20000,
                               [0.1, 0.6, 0.3], atol=0.015)
    np.testing.assert_allclose(np.bincount(c[1].astype(int), minlength=3) / 20000,
                               [0.5, 0.0, 0.5], atol=0.015)


def test_dropout_scales_keeps_rate_and_passes_the_gradient():
    x = pynn.Tensor(np.full((200, 50), 3.0, np.float32), requires_grad=True)
    y = R.dropout(x, 0.3, seed=0)
    v = y.numpy()
    assert set(np.unique(v).tolist()) == {0.0, np.float32(3.0 / 0.7)}
    assert abs((v == 0).mean() - 0.3) < 0.02
    ops.sum(y).backward()
    np.testing.assert_allclose(x.grad, (v != 0) / 0.7, rtol=1e-6)
    # noise_shape (batch, 1, features): one mask for every time step of a sample
    seq = R.dropout(np.ones((4, 6, 5), np.float32), 0.5, noise_shape=(4, 1, 5), seed=1).numpy()
    assert (seq == seq[:, :1, :]).all() and 0 < (seq == 0).mean() < 1


def test_shuffle_permutes_slices_and_routes_the_gradient():
    x = pynn.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3), requires_grad=True)
    s = R.shuffle(x, axis=0, seed=2)
    got = s.numpy()
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, x.numpy().tolist()))
    assert not np.array_equal(got, x.numpy())
    weights = np.arange(12, dtype=np.float32).reshape(4, 3)
    ops.sum(s * weights).backward()
    order = (got[:, 0] / 3).astype(int)  # source row of each shuffled row
    expected = np.zeros((4, 3), np.float32)
    expected[order] = weights
    np.testing.assert_array_equal(x.grad, expected)
    t = R.shuffle(np.arange(12, dtype=np.float32).reshape(3, 4), axis=-1, seed=2).numpy()
    assert (np.sort(t, axis=1) == np.arange(12).reshape(3, 4)).all()


class NoisyLayer(layers.Layer):
    """Keras' VAE Sampling pattern: noise of shape (batch, dim) from ops.shape."""

    def __init__(self):
        super().__init__()
        self.seed_generator = R.SeedGenerator(1337)

    def call(self, x):
        batch, dim = ops.shape(x)[0], ops.shape(x)[1]
        return x * 0.0 + R.normal(shape=(batch, dim), mean=1.0, stddev=2.0,
                                  seed=self.seed_generator)


class FixedShapeNoise(layers.Layer):
    def call(self, x):
        return x + R.uniform((16,))


class DropLayer(layers.Layer):
    def call(self, x):
        return R.dropout(x, 0.5)


def test_in_a_traced_model_batch_shaped_draws_are_fresh_others_refused_dropout_fresh():
    pynn.set_seed(0)
    inp = pynn.Input(shape=(16,))
    model = pynn.Model(inp, NoisyLayer()(inp))
    out = model.predict(np.ones((600, 16), np.float32), batch_size=64, verbose=0)
    assert out.shape == (600, 16)  # the traced batch of 1 is not baked in
    assert abs(out.mean() - 1.0) < 0.05 and abs(out.std() - 2.0) < 0.05
    assert len({row.tobytes() for row in out}) == 600  # fresh draws in every batch
    again = model.predict(np.ones((600, 16), np.float32), batch_size=64, verbose=0)
    assert not np.array_equal(out, again)
    inp = pynn.Input(shape=(16,))
    model = pynn.Model(inp, FixedShapeNoise()(inp))
    with pytest.raises(RuntimeError, match="pynn.random.uniform was called while a model is traced"):
        model.predict(np.ones((8, 16), np.float32), verbose=0)
    pynn.set_seed(0)
    inp = pynn.Input(shape=(16,))
    model = pynn.Model(inp, DropLayer()(inp))
    out = model.predict(np.ones((64, 16), np.float32), batch_size=8, verbose=0)
    assert set(np.unique(out).tolist()) == {0.0, 2.0}
    assert len({row.tobytes() for row in (out == 0)}) > 32  # new masks, not one replayed


def test_bad_arguments_name_the_function():
    with pytest.raises(TypeError, match="pynn.random.normal: seed must be None, an int or a "
                                        "SeedGenerator"):
        R.normal((2,), seed="x")
    with pytest.raises(ValueError, match="pynn.random.uniform: shape must hold non-negative ints"):
        R.uniform((2, -1))
    with pytest.raises(ValueError, match="maxval 1 must exceed minval 1"):
        R.randint((2,), 1, 1)
    with pytest.raises(ValueError, match="pynn.random.randint: dtype 'float32' is not supported"):
        R.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="rate must be in"):
        R.dropout(np.ones(3, np.float32), 1.0)
    with pytest.raises(ValueError, match="noise_shape .* does not broadcast"):
        R.dropout(np.ones((2, 3), np.float32), 0.5, noise_shape=(4, 3))
    with pytest.raises(ValueError, match="shuffle: axis 2 is out of range"):
        R.shuffle(np.ones((2, 3), np.float32), axis=2)
    with pytest.raises(ValueError, match="categorical: logits must be"):
        R.categorical(np.zeros(3), 2)
    with pytest.raises(TypeError, match="SeedGenerator: seed must be an int"):
        R.SeedGenerator(1.5)
