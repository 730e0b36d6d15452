"""More keras.ops arrangers (issue #13): append, dstack, hsplit, vsplit, dsplit,
array_split, rot90, kron, cross, fmod and the windows bartlett, blackman, hamming, kaiser,
hanning — https://keras.io/api/ops/numpy/.

Values against NumPy's functions of the same names; side by side with keras.ops
on Keras 3's torch backend; gradients against central differences; replay in a
compiled model; bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(61)
X = (RNG.normal(size=(3, 4)) * 2).astype(np.float32)
Y = (RNG.normal(size=(3, 4)) * 2).astype(np.float32)
Z = RNG.normal(size=(2, 3, 4)).astype(np.float32)
V = RNG.normal(size=(4, 3)).astype(np.float32)
W = RNG.normal(size=(4, 3)).astype(np.float32)

CASES = {  # name -> function of (module: ops or keras.ops or numpy-like), returning a list
    "append": lambda o: [o.append(X, Y)],
    "append_axis": lambda o: [o.append(X, Y, axis=0)],
    "dstack": lambda o: [o.dstack([X, Y])],
    "dstack_1d": lambda o: [o.dstack([X[0], Y[0]])],
    "hsplit": lambda o: list(o.hsplit(X, 2)),
    "hsplit_1d": lambda o: list(o.hsplit(X[0], [1, 3])),
    "vsplit": lambda o: list(o.vsplit(X, 3)),
    "dsplit": lambda o: list(o.dsplit(Z, [1])),
    **{f"array_split_{n}": (lambda n: lambda o: list(o.array_split(X[0], n)))(n) for n in (1, 3, 4)},
    "array_split_axis": lambda o: list(o.array_split(Z, 3, axis=2)),
    **{f"rot90_{k}": (lambda k: lambda o: [o.rot90(Z, k, (2, 0))])(k) for k in (-1, 0, 1, 2, 3, 5)},
    "kron": lambda o: [o.kron(X[:2, :2], Y)],
    "kron_ranks": lambda o: [o.kron(X[0], Z)],
    "cross": lambda o: [o.cross(V, W)],
    "cross_axis": lambda o: [o.cross(V.T, W.T, axis=0)],
    "fmod": lambda o: [o.fmod(X * 3, Y)],
    **{f"{n}_{m}": (lambda n, m: lambda o: [getattr(o, n)(m)])(n, m)
       for n in ("bartlett", "blackman", "hamming", "hanning") for m in (0, 1, 5, 8)},
    **{f"kaiser_{m}_{beta}": (lambda m, b: lambda o: [o.kaiser(m, b)])(m, beta)
       for m in (0, 1, 5, 8) for beta in (0.0, 6.0, 14.0)},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy(name):
    got, want = CASES[name](ops), CASES[name](np)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    got, want = CASES[name](ops), CASES[name](keras.ops)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = keras.ops.convert_to_numpy(w)
        assert g.shape == w.shape, f"{name}: {g.shape} != Keras' {w.shape}"
        np.testing.assert_allclose(g.numpy(), w.astype(np.float64), rtol=1e-5, atol=1e-6)


def test_gradients_against_central_differences():
    a, b = X.astype(float), Y.astype(float)
    check_grad(ops.kron, np.kron, [a[:2, :3], b[:2]])
    check_grad(ops.cross, np.cross, [V.astype(float), W.astype(float)])
    check_grad(lambda t: ops.rot90(t, 3), lambda t: np.rot90(t, 3), [a])
    check_grad(lambda t, u: ops.fmod(t, u), np.fmod, [a * 3, np.abs(b) + 0.5])
    check_grad(lambda t: ops.array_split(t, 3, axis=1)[0], lambda t: np.array_split(t, 3, 1)[0],
               [a])
    check_grad(lambda t, u: ops.dstack([t, u]), lambda t, u: np.dstack([t, u]), [a, b])


SYMBOLIC = {  # name -> (op on a (batch, 4, 3) tensor, NumPy reference)
    "rot90": (lambda t: ops.rot90(t, 1, axes=(1, 2)), lambda x: np.rot90(x, 1, axes=(1, 2))),
    "cross": (lambda t: ops.cross(t, np.array([0.0, 0.0, 1.0], np.float32)),
              lambda x: np.cross(x, [0.0, 0.0, 1.0])),
    "fmod": (lambda t: ops.fmod(t * 5, 1.5), lambda x: np.fmod(x * 5, 1.5)),
    "dsplit": (lambda t: ops.dsplit(t, [1])[1], lambda x: np.dsplit(x, [1])[1]),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    inp = pynn.Input(shape=(4, 3))
    model = pynn.Model(inp, fn(inp))
    x = RNG.normal(size=(7, 4, 3)).astype(np.float32)
    for bs in (1, 3, 7):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-5, err_msg=f"{name} at batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="vsplit: x must be at least 2-D"):
        ops.vsplit(X[0], 2)
    with pytest.raises(ValueError, match="dsplit: x must be at least 3-D"):
        ops.dsplit(X, 2)
    with pytest.raises(ValueError, match="array_split: the number of pieces must be >= 1"):
        ops.array_split(X, 0)
    with pytest.raises(ValueError, match="rot90: axes must be two different axes"):
        ops.rot90(X, axes=(1, 1))
    with pytest.raises(ValueError, match="cross: the vector axes must have length 3"):
        ops.cross(X, Y)
    with pytest.raises(ValueError, match="hamming: x must be an int"):
        ops.hamming(2.5)
    with pytest.raises(ValueError, match="array_split: at most 16777216 pieces"):
        ops.array_split(X, 2 ** 63 - 1, axis=-2)  # (a fuzz case: it never ended)
    with pytest.raises(ValueError, match="kaiser: beta must be a number"):
        ops.kaiser(5, "wide")
