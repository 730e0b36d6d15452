"""dropout op: inverted dropout's values and its gradient by central differences
(the mask is the same on every call after the same seed)."""
import numpy as np
import pytest

import pynn
from gradcheck import check_grad

RATE = 0.4


def _dropout(t, training=True, seed=3):
    pynn.set_seed(seed)  # the mask is drawn from the seeded engine generator
    return pynn.layers.Dropout(RATE)(t, training=training)


def _mask(shape, seed=3):
    """The mask dropout multiplies by after set_seed(seed): 0 or 1 / (1 - rate)."""
    return _dropout(np.ones(shape, np.float32), seed=seed).numpy().astype(np.float64)


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4), (1,)])
def test_dropout_gradient_is_the_mask(shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    mask = _mask(shape)
    assert set(np.unique(mask)) <= {0.0, float(np.float32(1 / (1 - RATE)))}
    check_grad(lambda t: _dropout(t), lambda a: a * mask, [x])


def test_dropout_drops_about_rate_and_scales_the_rest():
    mask = _mask((200, 50))
    assert abs((mask == 0).mean() - RATE) < 0.02
    np.testing.assert_allclose(mask[mask != 0], 1 / (1 - RATE), rtol=1e-6)
    assert not np.array_equal(mask, _mask((200, 50), seed=4))  # a new seed, a new mask


def test_inference_is_the_identity_with_gradient_one():
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_grad(lambda t: _dropout(t, training=False), lambda a: a, [x])
