"""keras.ops on integers, positions and parts of tensors (issue #13): bitwise_and / or /
xor / not / invert / left_shift / right_shift, searchsorted, digitize, histogram,
bincount, unique, scatter, scatter_update, slice, slice_update, select, correlate —
https://keras.io/api/ops/numpy/ and https://keras.io/api/ops/core/ (scatter,
scatter_update, slice, slice_update).

Values against NumPy; side by side with keras.ops on Keras 3's torch backend;
gradients of the differentiable ones against central differences; bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(41)
IX = np.array([[12, 10, -7], [3, 0, 255]])
IY = np.array([[6, 3, 2], [1, 5, 4]])
X = np.arange(12, dtype=np.float32).reshape(3, 4)
SEQ = np.array([1.0, 2.0, 2.0, 5.0], np.float32)
V = np.array([[0.0, 2.0, 2.5], [5.0, 6.0, 1.0]], np.float32)
R = RNG.normal(size=50).astype(np.float32)
U = np.array([3.0, 1.0, 3.0, 2.0, 1.0, 1.0], np.float32)

VALUES = {  # name -> (pynn result, NumPy reference)
    **{n: (lambda n: (lambda: getattr(ops, n)(IX, IY), lambda: getattr(np, n)(IX, IY)))(n)
       for n in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    "left_shift": (lambda: ops.bitwise_left_shift(IX, IY), lambda: np.left_shift(IX, IY)),
    "right_shift": (lambda: ops.right_shift(IX, IY), lambda: np.right_shift(IX, IY)),
    "bitwise_not": (lambda: ops.bitwise_not(IX), lambda: np.invert(IX)),
    "float_ints": (lambda: ops.bitwise_and(IX.astype(np.float32), 7), lambda: IX & 7),
    "searchsorted": (lambda: ops.searchsorted(SEQ, V), lambda: np.searchsorted(SEQ, V)),
    "searchsorted_right": (lambda: ops.searchsorted(SEQ, V, side="right"),
                           lambda: np.searchsorted(SEQ, V, side="right")),
    "digitize": (lambda: ops.digitize(V, SEQ), lambda: np.digitize(V, SEQ)),
    "histogram": (lambda: ops.histogram(R, bins=7)[0], lambda: np.histogram(R, bins=7)[0]),
    "histogram_edges": (lambda: ops.histogram(R, range=(-1, 1))[1],
                        lambda: np.histogram(R, range=(-1, 1))[1]),
    "bincount": (lambda: ops.bincount([0, 1, 1, 3, 7]), lambda: np.bincount([0, 1, 1, 3, 7])),
    "bincount_2d": (lambda: ops.bincount(np.array([[0, 2], [1, 1]]), weights=np.ones((2, 2)) / 2,
                                         minlength=4),
                    lambda: np.array([[0.5, 0, 0.5, 0], [0, 1, 0, 0]])),
    "unique": (lambda: ops.unique(U), lambda: np.unique(U)),
    "unique_inverse": (lambda: ops.unique(U, return_inverse=True)[1],
                       lambda: np.unique(U, return_inverse=True)[1]),
    "unique_axis": (lambda: ops.unique(np.array([[1.0, 2], [1, 2], [0, 5]]), axis=0),
                    lambda: np.unique(np.array([[1.0, 2], [1, 2], [0, 5]]), axis=0)),
    "scatter": (lambda: ops.scatter([[0, 1], [2, 0], [0, 1]], np.array([1.0, 2, 3]), (3, 2)),
                lambda: np.array([[0, 4], [0, 0], [2, 0]])),
    "scatter_update": (lambda: ops.scatter_update(X, [[0, 1], [2, 3], [0, 1]], [5.0, -6, 7]),
                       lambda: np.where(np.isin(np.arange(12).reshape(3, 4), [1, 11]),
                                        np.array([[0, 7, 0, 0], [0] * 4, [0, 0, 0, -6]]), X)),
    "slice": (lambda: ops.slice(X, (1, 1), (2, 3)), lambda: X[1:3, 1:4]),
    "slice_update": (lambda: ops.slice_update(X, (1, 2), np.ones((2, 2))),
                     lambda: np.where((np.arange(3)[:, None] >= 1) & (np.arange(4) >= 2), 1, X)),
    "select": (lambda: ops.select([X < 3, X > 8], [X * 2, -X], 0.5),
               lambda: np.select([X < 3, X > 8], [X * 2, -X], 0.5)),
    "correlate": (lambda: ops.correlate(R[:9], R[10:13], "full"),
                  lambda: np.correlate(R[:9].astype(float), R[10:13], "full")),
    "correlate_same": (lambda: ops.correlate(R[:9], R[10:13], "same"),
                       lambda: np.correlate(R[:9].astype(float), R[10:13], "same")),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    got, want = (f() for f in VALUES[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_gradients_against_central_differences():
    x = RNG.normal(size=(3, 4))
    check_grad(lambda u: ops.scatter([[0, 1], [2, 0], [0, 1]], u, (3, 2)),
               lambda u: np.array([[0, u[0] + u[2]], [0, 0], [u[1], 0]]), [x[0, :3]])
    for red, fn in ((None, lambda a, b: b), ("add", np.add), ("max", np.maximum),
                    ("mul", np.multiply)):
        def ref(a, u, red=red, fn=fn):
            out = a.copy()
            for (i, j), v in zip([(0, 1), (2, 3), (0, 1)], u):
                out[i, j] = fn(out[i, j], v)
            return out
        check_grad(lambda a, u, red=red: ops.scatter_update(a, [[0, 1], [2, 3], [0, 1]], u, red),
                   ref, [x, x[1, :3] * 3])
    check_grad(lambda a: ops.slice(a, (1, 0), (2, 3)), lambda a: a[1:3, 0:3], [x])
    def put(a, u):
        out = a.copy()
        out[0:2, 1:4] = u
        return out
    check_grad(lambda a, u: ops.slice_update(a, (0, 1), u), put, [x, x[:2, :3].copy()])
    check_grad(lambda a, b: ops.select([a > 0, b > 0], [a * b, b]),
               lambda a, b: np.select([a > 0, b > 0], [a * b, b]), [x, x[::-1].copy()])
    check_grad(lambda a, b: ops.correlate(a, b, "same"), lambda a, b: np.correlate(a, b, "same"),
               [x[0], x[1, :3]])


# ------------------------------------------------------------------ Keras 3 side by side
KERAS = {  # name -> function of the ops module, computed by both libraries
    **{n: (lambda n: lambda o: getattr(o, n)(IX, IY))(n)
       for n in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                 "bitwise_right_shift", "left_shift", "right_shift")},
    "bitwise_not": lambda o: o.bitwise_not(IX),
    "bitwise_invert": lambda o: o.bitwise_invert(IX),
    "searchsorted": lambda o: o.searchsorted(SEQ, V),
    "searchsorted_right": lambda o: o.searchsorted(SEQ, V, side="right"),
    "digitize": lambda o: o.digitize(V, SEQ),
    "histogram_counts": lambda o: o.histogram(R)[0],
    "histogram_edges": lambda o: o.histogram(R, bins=7, range=(-1, 1))[1],
    "bincount": lambda o: o.bincount(np.array([0, 1, 1, 3, 7])),
    "bincount_weights": lambda o: o.bincount(np.array([0, 1, 1, 3]), np.ones(4, np.float32) / 4,
                                             minlength=6),
    "unique_index": lambda o: o.unique(U, return_index=True)[1],
    "unique_counts": lambda o: o.unique(U, return_counts=True)[1],
    "unique_size": lambda o: o.unique(U, size=5, fill_value=-1),
    "scatter": lambda o: o.scatter(np.array([[1], [0], [1]]), np.ones((3, 4), np.float32), (3, 4)),
    **{f"scatter_update_{r}": (lambda r: lambda o: o.scatter_update(
        X, np.array([[0, 1], [2, 3], [0, 1]]), np.array([5.0, -6, 7], np.float32), reduction=r))(r)
       for r in (None, "add", "max", "min", "mul")},
    "slice": lambda o: o.slice(X, (0, 2), (3, 2)),
    "slice_update": lambda o: o.slice_update(X, (2, 0), -np.ones((1, 4), np.float32)),
    "select": lambda o: o.select([X < 3, X > 8], [X * 2, -X], 0.5),
    **{f"correlate_{m}": (lambda m: lambda o: o.correlate(R[:9], R[10:14], m))(m)
       for m in ("valid", "same", "full")},
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(KERAS[name](keras.ops))
    got = KERAS[name](ops).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=1e-5, atol=1e-5)


SYMBOLIC = {  # name -> (op on a (batch, 4) tensor, NumPy reference): these trace into models
    "searchsorted": (lambda t: ops.searchsorted(SEQ, t), lambda x: np.searchsorted(SEQ, x)),
    "digitize": (lambda t: ops.digitize(t, SEQ), lambda x: np.digitize(x, SEQ)),
    "select": (lambda t: ops.select([t < 0, t > 1], [t * 2, -t], 0.25),
               lambda x: np.select([x < 0, x > 1], [x * 2, -x], 0.25)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_ops_replay_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    inp = pynn.Input(shape=(4,))
    model = pynn.Model(inp, fn(inp))
    x = (RNG.normal(size=(7, 4)) * 3).astype(np.float32)
    for bs in (1, 3, 7):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x), rtol=1e-6,
                                   err_msg=f"{name} at batch size {bs}")


def test_bad_input_names_the_op():
    with pytest.raises(ValueError, match="bitwise_and: inputs must be whole numbers"):
        ops.bitwise_and(np.array([1.5]), 1)
    with pytest.raises(ValueError, match="left_shift: a result \\(33554432\\) is beyond 2\\*\\*24"):
        ops.left_shift(1, 25)
    with pytest.raises(ValueError, match="bitwise_left_shift: shift counts must be in \\[0, 31\\]"):
        ops.bitwise_left_shift(1, -1)
    with pytest.raises(ValueError, match="searchsorted: sorted_sequence must be 1-D"):
        ops.searchsorted(X, 1.0)
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right'"):
        ops.searchsorted(SEQ, 1.0, side="middle")
    with pytest.raises(ValueError, match="histogram: x must be 1-D"):
        ops.histogram(X)
    with pytest.raises(ValueError, match="bincount: x must be 1-D or 2-D whole numbers >= 0"):
        ops.bincount([-1, 2])
    with pytest.raises(ValueError, match="unique: axis 2 is out of range"):
        ops.unique(X, axis=2)
    with pytest.raises(ValueError, match="scatter: index \\[3, 0\\] is out of range for shape"):
        ops.scatter([[3, 0]], [1.0], (3, 2))
    with pytest.raises(ValueError, match="scatter_update: updates must have shape \\(1,\\)"):
        ops.scatter_update(X, [[0, 0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="scatter_update: reduction must be None"):
        ops.scatter_update(X, [[0, 0]], [1.0], reduction="sum")
    with pytest.raises(ValueError, match="slice: start \\[2, 0\\] and shape \\[2, 4\\] do not fit"):
        ops.slice(X, (2, 0), (2, 4))
    with pytest.raises(ValueError, match="slice_update: updates of shape \\(2, 2\\) at \\[2, 3\\]"):
        ops.slice_update(X, (2, 3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="select: condlist and choicelist must have one length"):
        ops.select([X > 1], [])
    with pytest.raises(ValueError, match="correlate: x1 and x2 must be 1-D"):
        ops.correlate(X, R)
    inp = pynn.Input(shape=(4,))
    for fn, op in ((lambda t: ops.bitwise_and(t, 1), "bitwise_and"),
                   (lambda t: ops.slice(t, (0, 1), (1, 2)), "slice"),
                   (lambda t: ops.unique(t), "unique")):
        with pytest.raises(ValueError, match=f"{op} inside a model"):
            pynn.Model(inp, fn(inp)).predict(X, verbose=0)
