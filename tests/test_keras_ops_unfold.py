"""keras.ops.unfold / fold (pynn/ops/unfold.py): against torch.nn.functional.unfold /
fold in float64 (values and, through autograd, gradients) over kernel sizes,
dilations, paddings and strides; Keras' own docstring cases (keras/src/ops/nn.py:
unfold of ones (1, 2, 4, 4), kernel 2, stride 2 -> (1, 8, 4); fold back to
(1, 2, 4, 4)) and keras.ops side by side; central differences; fold as unfold's
adjoint (<unfold(x), y> = <x, fold(y)>); a traced model; bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(17)
GEOMETRIES = [  # (H, W, kernel_size, dilation, padding, stride)
    (4, 4, 2, 1, 0, 2), (5, 6, 3, 1, 0, 1), (7, 5, (2, 3), (2, 1), (1, 0), (2, 1)),
    (6, 6, 3, 2, 1, 2), (3, 3, 1, 1, 0, 1), (5, 5, (3, 2), 1, 2, (1, 3))]


def torch_pair(x, geometry):
    torch = pytest.importorskip("torch")
    H, W, k, d, p, s = geometry
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    cols = torch.nn.functional.unfold(xt, k, dilation=d, padding=p, stride=s)
    seed = torch.tensor(RNG.normal(size=tuple(cols.shape)))
    (cols * seed).sum().backward()
    back = torch.nn.functional.fold(seed, (H, W), k, dilation=d, padding=p, stride=s)
    return cols.detach().numpy(), xt.grad.numpy(), seed.numpy(), back.numpy()


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_matches_torch_values_and_gradients(geometry):
    H, W, k, d, p, s = geometry
    x = RNG.normal(size=(2, 3, H, W)).astype(np.float32)
    cols, grad, seed, back = torch_pair(x, geometry)
    t = pynn.Tensor(x, requires_grad=True)
    got = ops.unfold(t, k, dilation=d, padding=p, stride=s)
    np.testing.assert_allclose(got.numpy(), cols, rtol=1e-6)
    got.backward(seed.astype(np.float32))
    np.testing.assert_allclose(t.grad, grad, rtol=1e-5, atol=1e-6)
    folded = ops.fold(seed.astype(np.float32), (H, W), k, dilation=d, padding=p, stride=s)
    np.testing.assert_allclose(folded.numpy(), back, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(folded.numpy(), t.grad, rtol=1e-5, atol=1e-6)  # the adjoint


def test_keras_own_cases_and_side_by_side():
    x = np.ones((1, 2, 4, 4), np.float32)
    patches = ops.unfold(x, kernel_size=2, stride=2)
    assert patches.shape == (1, 8, 4)
    assert ops.fold(patches, output_size=(4, 4), kernel_size=2, stride=2).shape == (1, 2, 4, 4)
    keras = keras_or_skip()
    x = RNG.normal(size=(2, 3, 6, 5)).astype(np.float32)
    for kw in (dict(kernel_size=2, stride=2), dict(kernel_size=3, dilation=2, padding=2)):
        # (Keras' torch unfold wants a tensor: a NumPy array reaches torch's im2col as is)
        want = keras.ops.convert_to_numpy(keras.ops.unfold(keras.ops.convert_to_tensor(x), **kw))
        np.testing.assert_allclose(ops.unfold(x, **kw).numpy(), want, rtol=1e-6)
        back = keras.ops.convert_to_numpy(
            keras.ops.fold(keras.ops.convert_to_tensor(want), (6, 5), **kw))
        np.testing.assert_allclose(ops.fold(want, (6, 5), **kw).numpy(), back, rtol=1e-6)


def test_gradients_against_central_differences():
    x = RNG.normal(size=(1, 2, 4, 5))
    check_grad(lambda t: ops.unfold(t, 2, padding=1, stride=(1, 2)),
               lambda a: torch_pair(a, (4, 5, 2, 1, 1, (1, 2)))[0], [x])
    cols = RNG.normal(size=(1, 8, 15))
    torch = pytest.importorskip("torch")
    check_grad(lambda t: ops.fold(t, (4, 5), 2, padding=1, stride=(1, 2)),
               lambda a: torch.nn.functional.fold(torch.tensor(a), (4, 5), 2, padding=1,
                                                  stride=(1, 2)).numpy(), [cols])


def test_traced_into_a_model_at_every_batch_size():
    x = RNG.normal(size=(5, 2, 4, 4)).astype(np.float32)
    inp = pynn.Input(shape=(2, 4, 4))
    cols = ops.unfold(inp, 3, padding=1)
    model = pynn.Model(inp, [cols, ops.fold(cols, (4, 4), 3, padding=1)])
    want_cols = ops.unfold(x, 3, padding=1).numpy()
    want_back = ops.fold(want_cols, (4, 4), 3, padding=1).numpy()
    for bs in (1, 2, 5):
        got_cols, got_back = model.predict(x, batch_size=bs, verbose=0)
        np.testing.assert_array_equal(got_cols, want_cols)
        np.testing.assert_array_equal(got_back, want_back)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.unfold(np.ones((2, 4, 4)), 2), "unfold: input must be a 4D tensor"),
    (lambda: ops.unfold(np.ones((1, 1, 4, 4)), 0), "kernel_size must be an int or a pair"),
    (lambda: ops.unfold(np.ones((1, 1, 4, 4)), 2, padding=-1), "padding must be"),
    (lambda: ops.unfold(np.ones((1, 1, 4, 4)), 2, stride=(1, 2, 3)), "stride must be"),
    (lambda: ops.unfold(np.ones((1, 1, 4, 4)), 5), "does not fit a padded image"),
    (lambda: ops.fold(np.ones((1, 8)), (4, 4), 2), "fold: input must be a 3D tensor"),
    (lambda: ops.fold(np.ones((1, 7, 9)), (4, 4), 2), r"expected input \(N, C \* 4, 9\)"),
    (lambda: ops.fold(np.ones((1, 8, 5)), (4, 4), 2), r"received input.shape=\(1, 8, 5\)"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
