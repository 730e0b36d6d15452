"""keras.ops.rearrange (pynn/ops/einops.py): against NumPy reshape/transpose written
out by hand (float64), Keras' own examples (keras/src/ops/einops.py docstring and
keras/src/ops/einops_test.py: BHWC -> BCHW, merges, splits, space-to-depth),
keras.ops side by side, the gradient against central differences, a traced model
(the batch axis kept first), and bad patterns."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(13)
IMAGES = RNG.normal(size=(4, 6, 8, 3)).astype(np.float32)

CASES = [  # (pattern, lengths, NumPy of x)
    ("b h w c -> b c h w", {}, lambda x: x.transpose(0, 3, 1, 2)),
    ("b h w c -> (b h) w c", {}, lambda x: x.reshape(24, 8, 3)),
    ("b h w c -> h (b w) c", {}, lambda x: x.transpose(1, 0, 2, 3).reshape(6, 32, 3)),
    ("b h w c -> b (c h w)", {}, lambda x: x.transpose(0, 3, 1, 2).reshape(4, 144)),
    ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2},
     lambda x: x.reshape(4, 2, 3, 2, 4, 3).transpose(0, 1, 3, 2, 4, 5).reshape(16, 3, 4, 3)),
    ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2},
     lambda x: x.reshape(4, 3, 2, 4, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(4, 3, 4, 12)),
    ("b h w c -> b h w c ()", {}, lambda x: x[..., None]),
]


@pytest.mark.parametrize("pattern, lengths, ref", CASES, ids=[c[0] for c in CASES])
def test_values_match_numpy(pattern, lengths, ref):
    got = ops.rearrange(IMAGES, pattern, **lengths).numpy()
    want = ref(IMAGES.astype(np.float64))
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("pattern, lengths, ref", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_matches_keras(pattern, lengths, ref):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(keras.ops.rearrange(IMAGES, pattern, **lengths))
    np.testing.assert_array_equal(ops.rearrange(IMAGES, pattern, **lengths).numpy(), want)


def test_gradients_against_central_differences():
    x = RNG.normal(size=(2, 4, 3))
    check_grad(lambda t: ops.rearrange(t, "b (h h1) c -> b c h h1", h1=2),
               lambda a: a.reshape(2, 2, 2, 3).transpose(0, 3, 1, 2), [x])


def test_traced_into_a_model_at_every_batch_size():
    x = RNG.normal(size=(5, 6, 8, 3)).astype(np.float32)
    inp = pynn.Input(shape=(6, 8, 3))
    model = pynn.Model(inp, ops.rearrange(inp, "b (h h1) w c -> b c (h1 w) h", h1=2))
    want = x.reshape(5, 3, 2, 8, 3).transpose(0, 4, 2, 3, 1).reshape(5, 3, 16, 3)
    for bs in (1, 2, 5):
        got = model.predict(x, batch_size=bs, verbose=0)
        np.testing.assert_array_equal(got, want, err_msg=f"batch size {bs}")


@pytest.mark.parametrize("call, match", [
    (lambda: ops.rearrange(IMAGES, "b h w c"), "must be a string 'input -> output'"),
    (lambda: ops.rearrange(IMAGES, "b h w -> b w h"), "has 3 input axes but the tensor"),
    (lambda: ops.rearrange(IMAGES, "b h w c -> b h c"), r"\['w'\] of .* appear on one side"),
    (lambda: ops.rearrange(IMAGES, "b h h c -> b h c"), r"\['h'\] repeated in the input"),
    (lambda: ops.rearrange(IMAGES, "b (h h1) w c -> b h h1 w c", h1=4), "cannot be split"),
    (lambda: ops.rearrange(IMAGES, "b (h h1) w c -> b h h1 w c"), "needs the lengths"),
    (lambda: ops.rearrange(IMAGES, "b h w c -> b h w c", z=2), r"lengths given for \['z'\]"),
    (lambda: ops.rearrange(IMAGES, "b ... c -> b c ..."), "cannot read the pattern"),
    (lambda: ops.rearrange(IMAGES, "b (h h1) w c -> b h h1 w c", h1=0), "positive int"),
])
def test_bad_patterns_name_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
