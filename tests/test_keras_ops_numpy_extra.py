"""More keras.ops (pynn/ops/numpy_extra.py, segment.py): argpartition, cdist,
corrcoef, logspace, geomspace, vander, unravel_index, nonzero, in_top_k,
saturate_cast, gcd, lcm, ldexp, segment_min, segment_prod.

Values against float64 NumPy; Keras' own cases
(keras/src/ops/math_test.py::MathOpsCorrectnessTest::test_in_top_k, its tie cases
included, and test_cdist_basic); side by side with keras.ops on Keras 3's torch
backend; gradients against central differences for the differentiable ones;
traced into compiled models; bad input named."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(41)
X = RNG.normal(size=(4, 3)).astype(np.float32)
Y = RNG.normal(size=(5, 3)).astype(np.float32)
DATA = RNG.normal(size=(5, 2)).astype(np.float32)
IDS = np.array([0, 2, 0, 2, 1])


def np_cdist(x, y):
    return np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))


def np_segment(reduce, data, ids, n, empty):
    return np.stack([reduce(data[ids == s], axis=0) if np.any(ids == s)
                     else np.full(data.shape[1:], empty) for s in range(n)])


VALUES = {  # name -> (pynn result, float64 reference)
    "cdist": (lambda: ops.cdist(X, Y), lambda: np_cdist(X.astype(float), Y)),
    "cdist_batched": (lambda: ops.cdist(X[None].repeat(2, 0), Y[None].repeat(2, 0) * 2),
                      lambda: np_cdist(X[None].repeat(2, 0).astype(float), Y[None] * 2.0)),
    "corrcoef": (lambda: ops.corrcoef(X), lambda: np.corrcoef(X.astype(float))),
    "corrcoef_one_variable": (lambda: ops.corrcoef(X[0]), lambda: np.corrcoef(X[0].astype(float))),
    "logspace": (lambda: ops.logspace(-1.0, 2.0, 7, base=3.0),
                 lambda: np.logspace(-1.0, 2.0, 7, base=3.0)),
    "logspace_arrays_axis": (lambda: ops.logspace([0.0, 1.0], [2.0, 3.0], 4, False, axis=1),
                             lambda: np.logspace([0.0, 1.0], [2.0, 3.0], 4, False, axis=1)),
    "geomspace": (lambda: ops.geomspace(-1.0, -1000.0, 4), lambda: np.geomspace(-1.0, -1000.0, 4)),
    "vander": (lambda: ops.vander(X[0]), lambda: np.vander(X[0].astype(float))),
    "vander_increasing": (lambda: ops.vander(X[0], 5, increasing=True),
                          lambda: np.vander(X[0].astype(float), 5, increasing=True)),
    "in_top_k": (lambda: ops.in_top_k(np.array([0, 1, 2, 3]), X @ Y.T, 2),
                 lambda: [np.sum((X @ Y.T)[i] > (X @ Y.T)[i, t]) < 2
                          for i, t in enumerate([0, 1, 2, 3])]),
    "saturate_cast_uint8": (
        lambda: ops.saturate_cast(np.array([-300, -0.5, 2.7, 255.5, 1e10], np.float32), "uint8"),
        lambda: [0, 0, 2, 255, 255]),
    "saturate_cast_int8": (
        lambda: ops.saturate_cast(np.array([-300, -2.7, 126.9, 300], np.float32), "int8"),
        lambda: [-128, -2, 126, 127]),
    "saturate_cast_int32": (
        lambda: ops.saturate_cast(np.array([-3e10, 2.7, 3e10], np.float32), "int32"),
        lambda: [-2 ** 31, 2, np.float32(2 ** 31 - 128)]),
    "gcd": (lambda: ops.gcd(np.array([12, 18, -4, 0]), np.array([[8], [27]])),
            lambda: np.gcd([12, 18, -4, 0], [[8], [27]])),
    "lcm": (lambda: ops.lcm(np.array([4, 6, -3, 0]), np.array([6, 4, 5, 2])),
            lambda: np.lcm([4, 6, -3, 0], [6, 4, 5, 2])),
    "ldexp": (lambda: ops.ldexp(X[0], np.array([2, -1, 30])),
              lambda: np.ldexp(X[0].astype(float), [2, -1, 30])),
    "segment_min": (lambda: ops.segment_min(DATA, IDS, 4),
                    lambda: np_segment(np.min, DATA, IDS, 4, np.finfo(np.float32).max)),
    "segment_prod": (lambda: ops.segment_prod(DATA, IDS, 4),
                     lambda: np_segment(np.prod, DATA.astype(float), IDS, 4, 1.0)),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    got, want = (fn() for fn in VALUES[name])
    want = np.asarray(want, np.float64)
    assert got.numpy().shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=1e-6)


def test_index_ops_match_numpy():
    for got, want in zip(ops.unravel_index(np.array([[5, 7], [0, 3]]), (2, 4)),
                         np.unravel_index([[5, 7], [0, 3]], (2, 4))):
        np.testing.assert_array_equal(got.numpy(), want)
    z = np.array([[0, 2.0, 0], [3, 0, -1]], np.float32)
    for got, want in zip(ops.nonzero(z), np.nonzero(z)):
        np.testing.assert_array_equal(got.numpy(), want)
    # argpartition: a partition around kth (NumPy leaves the order of each side free)
    x = RNG.normal(size=(3, 8)).astype(np.float32)
    for kth in (0, 3, -1):
        idx = ops.argpartition(x, kth).numpy().astype(int)
        part = np.take_along_axis(x, idx, axis=-1)
        pivot = np.sort(x, axis=-1)[:, kth]
        np.testing.assert_array_equal(part[:, kth], pivot)
        k = kth % 8
        assert np.all(part[:, :k] <= pivot[:, None]) and np.all(part[:, k + 1:] >= pivot[:, None])
        assert sorted(idx[0]) == list(range(8))


def test_keras_own_cases():
    # math_test.py::test_in_top_k, the plain and the tie cases
    t = np.array([1, 0, 2])
    p = np.array([[0.1, 0.9, 0.8, 0.8], [0.05, 0.95, 0, 1], [0.1, 0.8, 0.3, 1]], np.float32)
    for k, want in ((1, [1, 0, 0]), (2, [1, 0, 0]), (3, [1, 1, 1])):
        np.testing.assert_array_equal(ops.in_top_k(t, p, k).numpy(), want)
    p = np.array([[0.1, 0.9, 0.8, 0.8], [0.95, 0.95, 0, 0.95], [0.1, 0.8, 0.8, 0.95]], np.float32)
    for k, want in ((1, [1, 1, 0]), (2, [1, 1, 1]), (3, [1, 1, 1])):
        np.testing.assert_array_equal(ops.in_top_k(t, p, k).numpy(), want)
    # math_test.py::test_cdist_basic
    np.testing.assert_array_equal(
        ops.cdist(np.array([[0.0, 0.0], [1.0, 1.0]], np.float32),
                  np.array([[1.0, 0.0]], np.float32)).numpy(), [[1.0], [1.0]])


def test_gradients_against_central_differences():
    x, y = X.astype(float), Y.astype(float)
    check_grad(ops.cdist, np_cdist, [x, y])
    check_grad(ops.corrcoef, np.corrcoef, [x])
    check_grad(lambda t: ops.vander(t, 4), lambda t: np.vander(t, 4), [x[0]])
    check_grad(lambda t: ops.ldexp(t, np.array([3, -2, 0])),
               lambda t: np.ldexp(t, [3, -2, 0]), [x[0]])
    d = DATA.astype(float)
    check_grad(lambda t: ops.segment_min(t, IDS, 3),
               lambda t: np_segment(np.min, t, IDS, 3, 0), [d])
    check_grad(lambda t: ops.segment_prod(t, IDS, 3),
               lambda t: np_segment(np.prod, t, IDS, 3, 1), [d])
    # a zero distance has gradient 0 (torch.cdist's), not NaN
    t = pynn.Tensor(X[:2], requires_grad=True)
    ops.sum(ops.cdist(t, X[:1])).backward()
    assert np.all(np.isfinite(t.grad)) and np.all(t.grad[0] == 0)


KERAS = {  # name -> function of (ops module), computed by both libraries
    "cdist": lambda o: o.cdist(X, Y),
    "corrcoef": lambda o: o.corrcoef(X),
    "logspace": lambda o: o.logspace(0.0, 2.0, 5, base=3),
    "geomspace": lambda o: o.geomspace(1.0, 100.0, 5, endpoint=False),
    "vander": lambda o: o.vander(X[0], 5, True),
    "in_top_k": lambda o: o.in_top_k(np.array([0, 1, 2, 3]), X @ Y.T, 2),
    "saturate_cast": lambda o: o.saturate_cast(np.array([-300, 2.7, -2.7, 300], np.float32),
                                               "uint8"),
    "gcd": lambda o: o.gcd(np.array([12, 18, -4, 0]), np.array([8, 27, 6, 5])),
    "lcm": lambda o: o.lcm(np.array([4, 6, -3]), np.array([6, 4, 5])),
    "ldexp": lambda o: o.ldexp(X[0], np.array([2, -1, 30])),
    "segment_min": lambda o: o.segment_min(DATA, IDS),
    "segment_prod": lambda o: o.segment_prod(DATA, IDS, 4),
    "argpartition": lambda o: o.argpartition(np.array([3, 4, 2, 1, 7, 5], np.float32), 2),
    "unravel_index_0": lambda o: o.unravel_index(np.array([5, 7, 0]), (2, 4))[0],
    "unravel_index_1": lambda o: o.unravel_index(np.array([5, 7, 0]), (2, 4))[1],
    "nonzero_1": lambda o: o.nonzero(np.array([[0, 2.0], [3, 0]], np.float32))[1],
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_matches_keras_ops(name):
    keras = keras_or_skip()
    want = keras.ops.convert_to_numpy(KERAS[name](keras.ops))
    got = KERAS[name](ops).numpy()
    assert got.shape == want.shape, f"{name}: {got.shape} != Keras' {want.shape}"
    np.testing.assert_allclose(got, want.astype(np.float64), rtol=2e-6, atol=1e-6)


SYMBOLIC = {  # name -> (op on a (batch, 3) tensor, float64 reference)
    "cdist": (lambda t: ops.cdist(ops.expand_dims(t, 1), Y[None]),
              lambda x: np_cdist(x[:, None], Y[None].astype(float))),
    "ldexp": (lambda t: ops.ldexp(t, np.array([1, 0, -3])), lambda x: np.ldexp(x, [1, 0, -3])),
    "saturate_cast": (lambda t: ops.saturate_cast(ops.multiply(t, 100.0), "int8"),
                      lambda x: np.trunc(np.clip(np.float32(x) * np.float32(100), -128, 127))),
    "in_top_k": (lambda t: ops.in_top_k(ops.multiply(t[:, 0], 0.0), t, 2),  # class 0
                 lambda x: (x[:, 0] >= np.sort(x, axis=1)[:, -2]).astype(float)),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_traced_into_a_model_at_every_batch_size(name):
    fn, ref = SYMBOLIC[name]
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    inp = pynn.Input(shape=(3,))
    model = pynn.Model(inp, fn(inp))
    for bs in (1, 2, 5):
        np.testing.assert_allclose(model.predict(x, batch_size=bs, verbose=0), ref(x.astype(float)),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{name} at batch size {bs}")


@pytest.mark.parametrize("call, match", [
    (lambda: ops.argpartition(X, 3), "argpartition: kth=3 is out of range for an axis of 3"),
    (lambda: ops.cdist(X, Y[:, :2]), "cdist: x and y must be"),
    (lambda: ops.corrcoef(X[None]), "corrcoef: expected a 1-D or 2-D input"),
    (lambda: ops.logspace(0.0, 1.0, dtype="int32"), "logspace: only float32"),
    (lambda: ops.geomspace(0.0, 1.0), "geomspace: start and stop must be nonzero"),
    (lambda: ops.logspace(0.0, 1.0, num=-1), "logspace: num must be a non-negative int"),
    # (the fuzz's case: NumPy checks the axis only after computing 69M powers)
    (lambda: ops.logspace(4294967296, -1e-300, num=69051857, base=243462, axis=-5041),
     "logspace: axis=-5041 is out of range for a result of rank 1"),
    # (the ASan fuzz's case, seed 7: NumPy raised OverflowError for an axis past C int)
    (lambda: ops.linspace((388,), 2, num=0, axis=-(2 ** 63)), "linspace: axis=.* is out of range"),
    (lambda: ops.vander(X), "vander: x must be 1-D"),
    (lambda: ops.unravel_index(np.array([8]), (2, 4)), "unravel_index: .*out of bounds"),
    (lambda: ops.in_top_k(np.array([0, 1]), X, 1), "in_top_k: expected targets"),
    (lambda: ops.in_top_k(np.arange(4), X, 0), "in_top_k: k must be an int >= 1"),
    (lambda: ops.saturate_cast(X, "int64"), "saturate_cast: dtype must be one of"),
    (lambda: ops.gcd(np.array([1.5]), np.array([2])), "gcd: expected whole numbers"),
    # (the fuzz's case, seed 909: a Python int past int64 gave OverflowError, and
    # whole floats past it were cast with wrap-around: lcm(1e20, 5e19) was garbage)
    (lambda: ops.gcd(3, 10 ** 20), "gcd: values must lie within int64's range"),
    (lambda: ops.lcm(np.array([1e20]), 5e19), "lcm: values must lie within int64's range"),
    (lambda: ops.ldexp(X[0], np.array([0.5, 1, 2])), "ldexp: the exponents"),
    (lambda: ops.segment_prod(DATA, IDS[:3]), "segment_prod: segment_ids must be 1-D"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_eager_only_ops_refuse_tracing_with_a_clear_message():
    inp = pynn.Input(shape=(3,))
    with pytest.raises(ValueError, match="nonzero is eager only"):
        pynn.Model(inp, ops.nonzero(inp)[0]).predict(X, verbose=0)


@pytest.mark.parametrize("e", [200, -200, 127, -149, 2 ** 32, -(2 ** 40), 10 ** 30, -(10 ** 30)])
def test_ldexp_far_exponents_equal_numpy(e):
    """ldexp(1e-30, 200) was inf (one factor 2**200 overflows float32), an exponent of
    2**32 wrapped to 0 in the int32 cast (ldexp(3, 2**32) was 3) and one past int64
    raised OverflowError (fuzz seed 1010); NumPy's float32 ldexp is the reference."""
    x = np.array([1e-30, 3.0, 0.0, -2.5, 1e30, 1.5e-38], np.float32)
    want = np.ldexp(x, int(np.clip(e, -400, 400)))
    np.testing.assert_array_equal(ops.ldexp(x, e).numpy(), want)


def test_round_with_huge_decimals():
    """10.0 ** decimals raised OverflowError past 308 (fuzz seed 1010). Past 38 decimals
    the float32 scale is inf and NumPy's float32 round gives NaN, as pynn does; below -38
    every float32 rounds to 0 (NumPy's NaN there is its scale's overflow, not an answer)."""
    x = np.array([1.234, -0.5, 3e38], np.float32)
    for d in (39, 2 ** 63 - 1):
        np.testing.assert_array_equal(ops.round(x, decimals=d).numpy(), [np.nan] * 3)
    for d in (-39, -(2 ** 63)):
        np.testing.assert_array_equal(ops.round(x, decimals=d).numpy(), [0.0, -0.0, 0.0])
