"""The rest of keras.ops (issue #13): einsum, cumsum/cumprod, sort/argsort/top_k,
split/tile/repeat/pad/flip/roll, take_along_axis, triu/tril, full/eye/linspace/
meshgrid, segment_sum/max, norm (ops.linalg.norm), erf, stop_gradient,
floor_divide/mod, logical_xor/any/all, moments.

Values against NumPy (float64); gradients against central differences
(tests/gradcheck.py); side by side with keras.ops on Keras 3's torch backend where
installed (https://keras.io/api/ops/numpy/ and https://keras.io/api/ops/nn/ — the
same calls made on both); in functional models traced with a batch of one and
replayed at other batch sizes, where they must follow the batch."""
import math

import numpy as np
import pytest

import pynn
from pynn import _C, layers, ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(13)
A = RNG.normal(size=(3, 5)).astype(np.float32)
A[1, 1] = A[1, 3]  # a tie for the sorts
B = RNG.normal(size=(2, 3, 4)).astype(np.float32)
M = RNG.normal(size=(4, 5)).astype(np.float32)
IDS = np.array([2, 0, 2])


def _np_erf(x):
    return np.vectorize(math.erf)(np.asarray(x, np.float64))


# ------------------------------------------------------------------ eager values vs NumPy
CASES = {  # name -> (pynn result, NumPy reference)
    "einsum_matmul": (lambda: ops.einsum("bij,jk->bik", B, M), lambda: np.einsum("bij,jk->bik", B, M)),
    "einsum_implicit": (lambda: ops.einsum("ij,jk", A.T, A), lambda: np.einsum("ij,jk", A.T, A)),
    "einsum_ellipsis": (lambda: ops.einsum("...j,jk->...k", B, M),
                        lambda: np.einsum("...j,jk->...k", B, M)),
    "einsum_three": (lambda: ops.einsum("bij,jk,bil->bkl", B, M, B),
                     lambda: np.einsum("bij,jk,bil->bkl", B, M, B)),
    "einsum_sum_all": (lambda: ops.einsum("bij->", B), lambda: np.einsum("bij->", B)),
    "einsum_outer": (lambda: ops.einsum("i,j->ij", A[0], A[1]), lambda: np.outer(A[0], A[1])),
    "cumsum": (lambda: ops.cumsum(B, axis=1), lambda: np.cumsum(B, axis=1)),
    "cumsum_flat": (lambda: ops.cumsum(A), lambda: np.cumsum(A)),
    "cumprod": (lambda: ops.cumprod(B, axis=-1), lambda: np.cumprod(B, axis=-1)),
    "cumprod_zero": (lambda: ops.cumprod(np.array([2.0, 0.0, 3.0], np.float32)),
                     lambda: np.array([2.0, 0.0, 0.0])),
    "sort": (lambda: ops.sort(A), lambda: np.sort(A)),
    "sort_axis0": (lambda: ops.sort(A, axis=0), lambda: np.sort(A, axis=0)),
    "sort_nan_last": (lambda: ops.sort(np.array([2.0, np.nan, -1.0], np.float32)),
                      lambda: np.array([-1.0, 2.0, np.nan])),
    "argsort": (lambda: ops.argsort(A), lambda: np.argsort(A, kind="stable")),
    "argsort_axis1": (lambda: ops.argsort(B, axis=1), lambda: np.argsort(B, axis=1, kind="stable")),
    "top_k_values": (lambda: ops.top_k(A, 3)[0], lambda: -np.sort(-A)[:, :3]),
    "top_k_indices": (lambda: ops.top_k(A, 3)[1], lambda: np.argsort(-A, kind="stable")[:, :3]),
    "split_sections": (lambda: ops.split(A, 3, axis=0)[1], lambda: np.split(A, 3, axis=0)[1]),
    "split_indices": (lambda: ops.split(A, [1, 4], axis=1)[2], lambda: np.split(A, [1, 4], axis=1)[2]),
    "tile": (lambda: ops.tile(A, (2, 1, 3)), lambda: np.tile(A, (2, 1, 3))),
    "tile_int": (lambda: ops.tile(B, 2), lambda: np.tile(B, 2)),
    "repeat": (lambda: ops.repeat(B, 2, axis=1), lambda: np.repeat(B, 2, axis=1)),
    "repeat_flat": (lambda: ops.repeat(A, 2), lambda: np.repeat(A, 2)),
    "repeat_counts": (lambda: ops.repeat(A, [1, 0, 2], axis=0), lambda: np.repeat(A, [1, 0, 2], axis=0)),
    "pad_constant": (lambda: ops.pad(B, ((0, 0), (1, 2), (0, 1)), constant_values=-3.0),
                     lambda: np.pad(B, ((0, 0), (1, 2), (0, 1)), constant_values=-3.0)),
    "pad_int": (lambda: ops.pad(A, 1), lambda: np.pad(A, 1)),
    "pad_reflect": (lambda: ops.pad(A, ((1, 2), (3, 1)), mode="reflect"),
                    lambda: np.pad(A, ((1, 2), (3, 1)), mode="reflect")),
    "pad_symmetric": (lambda: ops.pad(A, ((2, 0), (1, 1)), mode="symmetric"),
                      lambda: np.pad(A, ((2, 0), (1, 1)), mode="symmetric")),
    "pad_edge": (lambda: ops.pad(A, ((1, 1), (0, 2)), mode="edge"),
                 lambda: np.pad(A, ((1, 1), (0, 2)), mode="edge")),
    "pad_wrap": (lambda: ops.pad(A, ((0, 0), (2, 3)), mode="wrap"),
                 lambda: np.pad(A, ((0, 0), (2, 3)), mode="wrap")),
    "flip": (lambda: ops.flip(B, axis=1), lambda: np.flip(B, axis=1)),
    "flip_all": (lambda: ops.flip(B), lambda: np.flip(B)),
    "roll": (lambda: ops.roll(A, 2, axis=1), lambda: np.roll(A, 2, axis=1)),
    "roll_negative": (lambda: ops.roll(B, -1, axis=2), lambda: np.roll(B, -1, axis=2)),
    "roll_flat": (lambda: ops.roll(A, 7), lambda: np.roll(A, 7)),
    "roll_two_axes": (lambda: ops.roll(B, (1, 3), axis=(0, 2)), lambda: np.roll(B, (1, 3), axis=(0, 2))),
    "take_along_axis": (lambda: ops.take_along_axis(A, np.argsort(A, axis=1)[:, :2], axis=1),
                        lambda: np.take_along_axis(A, np.argsort(A, axis=1)[:, :2], axis=1)),
    "take_along_axis_bcast": (lambda: ops.take_along_axis(B, np.array([[[3], [0], [-1]]]), axis=2),
                              lambda: np.take_along_axis(B, np.array([[[3], [0], [3]]]), axis=2)),
    "take_along_axis_flat": (lambda: ops.take_along_axis(A, np.array([14, 0, 3])),
                             lambda: np.take_along_axis(A.ravel(), np.array([14, 0, 3]), None)),
    "triu": (lambda: ops.triu(B, 1), lambda: np.triu(B, 1)),
    "tril": (lambda: ops.tril(A, -1), lambda: np.tril(A, -1)),
    "full": (lambda: ops.full((2, 3), 1.5), lambda: np.full((2, 3), 1.5)),
    "eye": (lambda: ops.eye(3, 4, k=-1), lambda: np.eye(3, 4, k=-1)),
    "linspace": (lambda: ops.linspace(-1, 2, 7), lambda: np.linspace(-1, 2, 7)),
    "linspace_open": (lambda: ops.linspace(0, 1, 4, endpoint=False), lambda: np.linspace(0, 1, 4, False)),
    "meshgrid_xy": (lambda: ops.meshgrid(A[0], A[1, :3])[0], lambda: np.meshgrid(A[0], A[1, :3])[0]),
    "meshgrid_ij": (lambda: ops.meshgrid(A[0], A[1, :3], indexing="ij")[1],
                    lambda: np.meshgrid(A[0], A[1, :3], indexing="ij")[1]),
    "segment_sum": (lambda: ops.segment_sum(A, IDS),
                    lambda: np.stack([A[IDS == s].sum(0) for s in range(3)])),
    "segment_sum_n": (lambda: ops.segment_sum(B, [1, 1], num_segments=3),
                      lambda: np.stack([np.zeros((3, 4)), B.sum(0), np.zeros((3, 4))])),
    "segment_max": (lambda: ops.segment_max(A, [0, 1, 0]),
                    lambda: np.stack([np.maximum(A[0], A[2]), A[1]])),
    "norm": (lambda: ops.norm(A), lambda: np.linalg.norm(A)),
    "norm_axis": (lambda: ops.norm(B, axis=-1, keepdims=True),
                  lambda: np.linalg.norm(B, axis=-1, keepdims=True)),
    "norm_l1": (lambda: ops.norm(B, ord=1, axis=1), lambda: np.linalg.norm(B, ord=1, axis=1)),
    "norm_inf": (lambda: ops.norm(A, ord=np.inf, axis=0), lambda: np.linalg.norm(A, ord=np.inf, axis=0)),
    "norm_p3": (lambda: ops.norm(A, ord=3, axis=1), lambda: np.linalg.norm(A, ord=3, axis=1)),
    "norm_0": (lambda: ops.norm(np.array([0.0, 2.0, 0.0, -1.0], np.float32), ord=0),
               lambda: np.linalg.norm([0.0, 2.0, 0.0, -1.0], ord=0)),
    "norm_matrix_1": (lambda: ops.norm(A, ord=1), lambda: np.linalg.norm(A, ord=1)),
    "norm_matrix_inf": (lambda: ops.norm(A, ord=np.inf), lambda: np.linalg.norm(A, ord=np.inf)),
    "norm_matrix_axes": (lambda: ops.linalg.norm(B, ord=-1, axis=(2, 1)),
                         lambda: np.linalg.norm(B, ord=-1, axis=(2, 1))),
    "norm_fro": (lambda: ops.norm(B, ord="fro", axis=(1, 2)),
                 lambda: np.linalg.norm(B, ord="fro", axis=(1, 2))),
    "erf": (lambda: ops.erf(B * 2), lambda: _np_erf(B * 2)),
    "stop_gradient": (lambda: ops.stop_gradient(A), lambda: A),
    "floor_divide": (lambda: ops.floor_divide(A * 5, A[0] + 3), lambda: np.floor_divide(A * 5, A[0] + 3)),
    "mod": (lambda: ops.mod(A * 5, -1.5), lambda: np.mod(A * 5, -1.5)),
    "mod_tensor": (lambda: ops.mod(A * 5, A[0] + 3), lambda: np.mod(A * 5, A[0] + 3)),
    "logical_xor": (lambda: ops.logical_xor(A > 0, A[:, :1] > 0), lambda: (A > 0) ^ (A[:, :1] > 0)),
    "any": (lambda: ops.any(A > 1, axis=1), lambda: (A > 1).any(axis=1)),
    "all": (lambda: ops.all(A > -1, axis=0, keepdims=True), lambda: (A > -1).all(axis=0, keepdims=True)),
    "all_flat": (lambda: ops.all(np.array([1.0, np.nan], np.float32)), lambda: np.array(True)),
    "moments_mean": (lambda: ops.moments(B, axes=(0, 1))[0], lambda: B.mean(axis=(0, 1))),
    "moments_var": (lambda: ops.nn.moments(B, axes=[1], keepdims=True)[1],
                    lambda: B.var(axis=1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy(name):
    got, want = (f() for f in CASES[name])
    want = np.asarray(want, np.float64)
    got = got.numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != {want.shape}"
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_split_returns_every_piece_and_linspace_its_step():
    pieces = ops.split(A, [2], axis=1)
    assert [p.shape for p in pieces] == [(3, 2), (3, 3)]
    np.testing.assert_array_equal(np.concatenate([p.numpy() for p in pieces], 1), A)
    values, step = ops.linspace(0.0, 1.0, 5, retstep=True)
    assert step == 0.25 and values.shape == (5,)
    assert len(ops.meshgrid(A[0], A[1], A[2, :2])) == 3


# ------------------------------------------------------------------ gradients
def test_gradients_against_central_differences():
    rng = np.random.default_rng(5)
    a, m = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3))
    check_grad(lambda s, t: ops.einsum("bij,jk->bik", s, t),
               lambda s, t: np.einsum("bij,jk->bik", s, t), [a, m])
    check_grad(lambda s, t: ops.einsum("bij,kj->bki", s, t),
               lambda s, t: np.einsum("bij,kj->bki", s, t), [a, m.T])
    check_grad(lambda s: ops.cumsum(s, axis=1), lambda s: np.cumsum(s, axis=1), [a])
    check_grad(lambda s: ops.cumprod(s, axis=2), lambda s: np.cumprod(s, axis=2), [a])
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: sorting is smooth there
    check_grad(lambda s: ops.sort(s, axis=1), lambda s: np.sort(s, axis=1), [x])
    check_grad(lambda s: ops.top_k(s, 2)[0], lambda s: -np.sort(-s)[..., :2], [x])
    check_grad(lambda s: ops.split(s, [1], axis=2)[1], lambda s: np.split(s, [1], axis=2)[1], [a])
    check_grad(lambda s: ops.tile(s, (1, 2, 1)), lambda s: np.tile(s, (1, 2, 1)), [a])
    check_grad(lambda s: ops.repeat(s, 3, axis=2), lambda s: np.repeat(s, 3, axis=2), [a])
    check_grad(lambda s: ops.pad(s, ((0, 0), (2, 1), (1, 2)), mode="reflect"),
               lambda s: np.pad(s, ((0, 0), (2, 1), (1, 2)), mode="reflect"), [a])
    check_grad(lambda s: ops.pad(s, ((1, 0), (0, 0), (2, 2)), constant_values=4.0),
               lambda s: np.pad(s, ((1, 0), (0, 0), (2, 2)), constant_values=4.0), [a])
    check_grad(lambda s: ops.flip(s, axis=(0, 2)), lambda s: np.flip(s, axis=(0, 2)), [a])
    check_grad(lambda s: ops.roll(s, 3, axis=2), lambda s: np.roll(s, 3, axis=2), [a])
    idx = np.array([[[0, 3], [1, 1], [2, 0]]])
    check_grad(lambda s: ops.take_along_axis(s, idx, axis=2),
               lambda s: np.take_along_axis(s, np.broadcast_to(idx, (2, 3, 2)), axis=2), [a])
    check_grad(lambda s: ops.triu(s, -1), lambda s: np.triu(s, -1), [a])
    check_grad(lambda s, t: ops.meshgrid(s, t)[1], lambda s, t: np.meshgrid(s, t)[1],
               [a[0, 0], m[0]])
    check_grad(lambda s: ops.segment_sum(s, [1, 0, 1]),
               lambda s: np.stack([s[1], s[0] + s[2]]), [a[0]])
    check_grad(lambda s: ops.segment_max(s, [1, 0, 1]),
               lambda s: np.stack([s[1], np.maximum(s[0], s[2])]), [x[0]])
    check_grad(lambda s: ops.norm(s, axis=2), lambda s: np.linalg.norm(s, axis=2), [a])
    check_grad(lambda s: ops.norm(s, ord=3, axis=1), lambda s: np.linalg.norm(s, ord=3, axis=1), [a])
    check_grad(lambda s: ops.norm(s[0], ord=np.inf), lambda s: np.linalg.norm(s[0], ord=np.inf), [x])
    check_grad(ops.erf, _np_erf, [a])  # the engine's erf op
    check_grad(lambda s, t: ops.mod(s, t), lambda s, t: np.mod(s, t), [a, m[:, 0] + 3])
    check_grad(lambda s: ops.moments(s, axes=1)[1], lambda s: s.var(axis=1), [a])


def test_stop_gradient_blocks_the_gradient_in_the_tape():
    x = pynn.Tensor(A, requires_grad=True)
    frozen = ops.stop_gradient(x)
    assert not frozen.requires_grad
    (x * frozen).sum().backward()
    np.testing.assert_array_equal(x.grad, A)  # d/dx (x * c) with c = x held constant: c, not 2x


# ------------------------------------------------------------------ Keras 3 side by side
KERAS_CASES = {  # name -> function of (ops module, x (3, 5), y (3, 5)), computed by both
    "einsum": lambda o, x, y: o.einsum("ij,kj->ik", x, y),
    "einsum_batch": lambda o, x, y: o.einsum("aij,ajk->aik", o.reshape(x, (3, 5, 1)),
                                             o.reshape(y, (3, 1, 5))),
    "cumsum": lambda o, x, y: o.cumsum(x, axis=1),
    "cumprod": lambda o, x, y: o.cumprod(x, axis=0),
    "sort": lambda o, x, y: o.sort(x),
    "argsort": lambda o, x, y: o.argsort(x, axis=0),
    "top_k_values": lambda o, x, y: o.top_k(x, 2)[0],
    "top_k_indices": lambda o, x, y: o.top_k(x, 2)[1],
    "split": lambda o, x, y: o.split(x, [1, 3], axis=1)[1],
    "tile": lambda o, x, y: o.tile(x, (2, 2)),
    "repeat": lambda o, x, y: o.repeat(x, 3, axis=1),
    "pad": lambda o, x, y: o.pad(x, ((1, 0), (2, 1)), constant_values=2.0),
    "pad_reflect": lambda o, x, y: o.pad(x, ((1, 1), (2, 2)), mode="reflect"),
    # (not "symmetric": Keras' torch backend pads it as "edge"; pynn follows NumPy, as
    # Keras' documentation and its other backends do)
    "clip": lambda o, x, y: o.clip(x, -0.5, 0.5),
    "maximum": lambda o, x, y: o.maximum(x, y),
    "logical_xor": lambda o, x, y: o.logical_xor(o.greater(x, 0), o.greater(y, 0)),
    "any": lambda o, x, y: o.any(o.greater(x, 1.0), axis=1),
    "all": lambda o, x, y: o.all(o.greater(x, -1.5), axis=0),
    "norm": lambda o, x, y: o.norm(x, axis=1),
    "linalg_norm_fro": lambda o, x, y: o.linalg.norm(x),
    "norm_matrix_1": lambda o, x, y: o.norm(x, ord=1),
    "norm_inf": lambda o, x, y: o.norm(x, ord=np.inf, axis=-1),
    "take_along_axis": lambda o, x, y: o.take_along_axis(x, np.array([[4, 0], [1, 1], [2, 3]]), axis=1),
    "flip": lambda o, x, y: o.flip(x, axis=1),
    "roll": lambda o, x, y: o.roll(x, 2, axis=1),
    "meshgrid": lambda o, x, y: o.meshgrid(x[0], y[1, :3])[0],
    "linspace": lambda o, x, y: o.linspace(-2.0, 3.0, 11),
    "triu": lambda o, x, y: o.triu(x, 1),
    "tril": lambda o, x, y: o.tril(x),
    "eye": lambda o, x, y: o.eye(3, 5, k=1),
    "full": lambda o, x, y: o.full((2, 3), -4.0),
    "ones_like": lambda o, x, y: o.ones_like(x),
    "var": lambda o, x, y: o.var(x, axis=0),
    "std": lambda o, x, y: o.std(x, axis=1),
    "log_softmax": lambda o, x, y: o.log_softmax(x),
    "logsumexp": lambda o, x, y: o.logsumexp(x, axis=0),
    "erf": lambda o, x, y: o.erf(x),
    "sign": lambda o, x, y: o.sign(x),
    "floor_divide": lambda o, x, y: o.floor_divide(x * 5, 1.5),
    "mod": lambda o, x, y: o.mod(x * 5, 1.5),
    "power": lambda o, x, y: o.power(o.abs(x), 1.5),
    "segment_sum": lambda o, x, y: o.segment_sum(x, np.array([1, 0, 1]), num_segments=3),
    "segment_max": lambda o, x, y: o.segment_max(x, np.array([1, 0, 1]), num_segments=2),
    "stop_gradient": lambda o, x, y: o.stop_gradient(o.convert_to_tensor(x)),
    "moments_var": lambda o, x, y: o.moments(x, axes=[0])[1],
    "nn_moments_mean": lambda o, x, y: o.nn.moments(x, axes=[1], keepdims=True)[0],
    "convert": lambda o, x, y: o.convert_to_tensor(o.convert_to_numpy(x)),
}


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    fn = KERAS_CASES[name]
    x = RNG.normal(size=(3, 5)).astype(np.float32)
    x[1, 0] = x[1, 3]  # a tie
    y = RNG.normal(size=(3, 5)).astype(np.float32)
    want = keras.ops.convert_to_numpy(fn(keras.ops, x, y))
    got = fn(ops, x, y).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=1e-5, atol=1e-6)


def test_gradients_match_keras_on_torch():
    keras = keras_or_skip()
    import torch
    x = RNG.normal(size=(3, 5)).astype(np.float32)
    w = RNG.normal(size=(3, 5)).astype(np.float32)

    def loss(o, t):
        return o.sum(o.top_k(o.cumsum(t, axis=1), 3)[0] * o.erf(t[:, :3])) \
            + o.sum(o.norm(o.pad(t, ((0, 0), (1, 1)), mode="reflect"), axis=1)) \
            + o.sum(o.einsum("ij,ij->i", t, w) * o.sort(t)[:, 0])
    xt = torch.tensor(x, requires_grad=True)
    loss(keras.ops, xt).backward()
    xp = pynn.Tensor(x, requires_grad=True)
    loss(ops, xp).backward()
    np.testing.assert_allclose(xp.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ symbolic tensors
def _functional(fn, shape):
    inp = pynn.Input(shape=shape)
    return pynn.Model(inp, fn(inp))


SYMBOLIC = {  # name -> (op on a (batch, 6) tensor, NumPy reference on the whole batch)
    "cumsum": (lambda t: ops.cumsum(t, axis=1), lambda x: np.cumsum(x, axis=1)),
    "cumprod": (lambda t: ops.cumprod(t, axis=-1), lambda x: np.cumprod(x, axis=-1)),
    "sort": (lambda t: ops.sort(t), lambda x: np.sort(x)),
    "argsort": (lambda t: ops.argsort(t), lambda x: np.argsort(x, kind="stable")),
    "top_k": (lambda t: ops.top_k(t, 2)[0], lambda x: -np.sort(-x)[:, :2]),
    "top_k_indices": (lambda t: ops.top_k(t, 3)[1], lambda x: np.argsort(-x, kind="stable")[:, :3]),
    "split": (lambda t: ops.split(t, 3, axis=1)[2], lambda x: x[:, 4:]),
    "tile": (lambda t: ops.tile(t, (1, 2)), lambda x: np.tile(x, (1, 2))),
    "tile_3d": (lambda t: ops.tile(ops.reshape(t, (-1, 2, 3)), (1, 2, 1)),
                lambda x: np.tile(x.reshape(-1, 2, 3), (1, 2, 1))),
    "repeat": (lambda t: ops.repeat(t, 2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
    "pad": (lambda t: ops.pad(t, ((0, 0), (2, 1)), mode="reflect"),
            lambda x: np.pad(x, ((0, 0), (2, 1)), mode="reflect")),
    "flip": (lambda t: ops.flip(t, axis=-1), lambda x: x[:, ::-1]),
    "roll": (lambda t: ops.roll(t, 2, axis=1), lambda x: np.roll(x, 2, axis=1)),
    "take_along_axis": (lambda t: ops.take_along_axis(t, ops.argsort(t)[:, :2], axis=1),
                        lambda x: np.sort(x)[:, :2]),
    "triu": (lambda t: ops.triu(ops.reshape(t, (-1, 2, 3))),
             lambda x: np.triu(x.reshape(-1, 2, 3))),
    "einsum": (lambda t: ops.einsum("bi,ij->bj", t, np.arange(12, dtype=np.float32).reshape(6, 2)),
               lambda x: x @ np.arange(12).reshape(6, 2)),
    "einsum_batch": (lambda t: ops.einsum("bi,bi->b", t, t), lambda x: (x * x).sum(1)),
    "norm": (lambda t: ops.norm(t, axis=1), lambda x: np.linalg.norm(x, axis=1)),
    "erf_mod": (lambda t: ops.mod(ops.erf(t) * 3, 0.7), lambda x: np.mod(_np_erf(x) * 3, 0.7)),
    "any_all": (lambda t: ops.any(t > 1, axis=1) + ops.all(t > -1, axis=1),
                lambda x: (x > 1).any(1) * 1.0 + (x > -1).all(1)),
    "moments": (lambda t: ops.moments(t, axes=[1])[1], lambda x: x.var(1)),
    "stop_gradient": (lambda t: ops.stop_gradient(t) * 2, lambda x: 2 * x),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    model = _functional(fn, (6,))
    x = np.random.default_rng(8).normal(size=(7, 6)).astype(np.float32)
    want = ref(x.astype(np.float64))
    for bs in (1, 3, 7):  # traced with a batch of one, replayed with others
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), want,
                                   rtol=1e-5, atol=1e-5, err_msg=f"{name} at batch size {bs}")
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-5)


def test_a_model_with_sort_and_cumsum_trains_and_saves(tmp_path):
    # gradients flow through the traced (engine-op) sort and cumsum into the Dense
    pynn.set_seed(3)
    inp = pynn.Input(shape=(4,))
    h = layers.Dense(5, name="proj")(inp)
    out = ops.sum(ops.cumsum(ops.sort(h), axis=1) * ops.top_k(h, 5)[0], axis=1, keepdims=True)
    model = pynn.Model(inp, out)
    x = np.random.default_rng(1).normal(size=(32, 4)).astype(np.float32)
    y = np.ones((32, 1), np.float32)
    before = [v.copy() for v in model.get_weights()]
    model.compile(optimizer=pynn.optimizers.SGD(0.01), loss="mse")
    model.train_on_batch(x[:8], y[:8])
    kernel, bias = (pynn.Tensor(v, requires_grad=True) for v in before)
    hb = ops.matmul(x[:8], kernel) + bias
    o = ops.sum(ops.cumsum(ops.sort(hb), axis=1) * ops.top_k(hb, 5)[0], axis=1, keepdims=True)
    ops.mean(ops.square(o - 1.0)).backward()
    np.testing.assert_allclose(model.get_weights()[0], before[0] - 0.01 * kernel.grad,
                               rtol=1e-4, atol=1e-6)
    path = str(tmp_path / "sorted.keras")
    model.save(path)
    np.testing.assert_array_equal(pynn.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))


# ------------------------------------------------------------------ bad input
def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="einsum: operand 0 has shape"):
        ops.einsum("ijk,jk->i", A, M)
    with pytest.raises(ValueError, match="einsum: letter 'j' has length 5 in one operand and 4"):
        ops.einsum("ij,jk->ik", A, M)
    with pytest.raises(ValueError, match="einsum: a letter repeated"):
        ops.einsum("ii->i", M[:, :4])
    with pytest.raises(ValueError, match="split: 2 equal pieces do not divide axis 1 of length 5"):
        ops.split(A, 2, axis=1)
    with pytest.raises(ValueError, match="top_k: k must be an int in \\[0, 5\\]"):
        ops.top_k(A, 6)
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        ops.pad(A, 1, mode="mirror")
    with pytest.raises(ValueError, match="pad: pad_width"):
        ops.pad(A, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="pad: constant_values is only for mode='constant'"):
        ops.pad(A, 1, mode="edge", constant_values=1)
    with pytest.raises(ValueError, match="repeat: 2 counts for axis 0 of length 3"):
        ops.repeat(A, [1, 2], axis=0)
    with pytest.raises(ValueError, match="take_along_axis: indices must be whole numbers in \\[-5, 4\\]"):
        ops.take_along_axis(A, np.array([[5]]), axis=1)
    with pytest.raises(ValueError, match="triu: x must have at least 2 dimensions"):
        ops.triu(A[0])
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be 1-D with one id per row"):
        ops.segment_sum(A, [0, 1])
    with pytest.raises(ValueError, match="norm: matrix ord must be None, 'fro', 'nuc'.*got 3"):
        ops.norm(A, ord=3)
    with pytest.raises(ValueError, match="norm: ord 'fro' is a matrix norm"):
        ops.norm(A, ord="fro", axis=1)
    with pytest.raises(ValueError, match="meshgrid: every input must be 1-D"):
        ops.meshgrid(A)
    with pytest.raises(ValueError, match="eye: N must be a non-negative int"):
        ops.eye(-1)
    with pytest.raises(ValueError, match="roll: shift"):
        ops.roll(A, (1, 2), axis=1)


def test_ops_along_the_batch_axis_of_a_traced_model_refuse():
    # the traced batch (1) would be baked in: refused with the reason, not answered wrong
    for fn, op in ((lambda t: ops.cumsum(t, axis=0), "cumsum"), (lambda t: ops.sort(t, axis=0), "sort"),
                   (lambda t: ops.roll(t, 1, axis=0), "roll"), (lambda t: ops.tril(t), "tril"),
                   (lambda t: ops.pad(t, 1), "pad")):
        model = _functional(fn, (3,))
        with pytest.raises(ValueError, match=f"{op}.*batch"):
            model.predict(np.ones((4, 3), np.float32), verbose=0)
    assert not _C.is_tracing()
