"""Sizes computed from the batch (ops.shape(x)[0]) inside a compiled model.

A compiled model is traced with a batch of 1 and replayed with other batches: ops
given ops.shape(x)[0] used to make 1 row at every batch (ones/zeros/full, tile,
broadcast_to, repeat) and arithmetic on it (n + 1, 2 * n, n // 2) returned a plain
int, so predict/evaluate with a batch other than 1 computed another number, silently
(found porting keras.io programs). Each spelling runs in a custom layer of a
Functional model, predicted on batches of 1, 3 and 7, against NumPy and against
Keras 3 (torch backend, where ops.shape(x)[0] is the real batch) from the same
weights; what cannot follow the batch must refuse by name."""
import os

import numpy as np
import pytest

import pynn
from pynn import _C, ops
from pynn.ops.shape import BatchDim


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras", reason="Keras 3 is not installed")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on {keras.backend.backend()}, these comparisons use torch")
    return keras


D = 3
BATCHES = (1, 3, 7)
_X = np.random.default_rng(0).normal(size=(7, D)).astype(np.float32)

# Each spelling: call(h, ops) of the layer, given Dense(D)'s output h of shape (n, D), and
# its NumPy reference for h (float64). The outputs keep n rows (so predict concatenates
# them) and depend on the batch size where the bug baked in 1.
SPELLINGS = {
    "ones": (lambda h, o: ops_concat(o, h, o.ones((o.shape(h)[0], 1))) * o.sum(o.ones((o.shape(h)[0], 2))),
             lambda h: np.concatenate([h, np.ones((len(h), 1))], 1) * 2 * len(h)),
    "zeros": (lambda h, o: ops_concat(o, h, o.zeros((o.shape(h)[0], 2)) + 1.5),
              lambda h: np.concatenate([h, np.full((len(h), 2), 1.5)], 1)),
    "full": (lambda h, o: h * o.sum(o.full((o.shape(h)[0], 2), 0.5)),
             lambda h: h * len(h)),
    "tile": (lambda h, o: o.tile(o.sum(h, axis=0, keepdims=True), [o.shape(h)[0], 1]),
             lambda h: np.tile(h.sum(0, keepdims=True), (len(h), 1))),
    "broadcast_to": (lambda h, o: o.broadcast_to(o.mean(h, axis=0), (o.shape(h)[0], D)) * h
                     + o.sum(o.broadcast_to(h[:1], (o.shape(h)[0], D)), axis=0),
                     lambda h: h.mean(0) * h + len(h) * h[0]),
    "repeat": (lambda h, o: o.repeat(o.max(h, axis=0, keepdims=True), o.shape(h)[0], axis=0) - h
               + o.sum(o.repeat(h[:1], o.shape(h)[0], axis=0), axis=0),
               lambda h: h.max(0) - h + len(h) * h[0]),
    "arange_n_plus_1": (lambda h, o: h + o.sum(o.arange(o.shape(h)[0] + 1)),
                        lambda h: h + len(h) * (len(h) + 1) / 2),
    "arange_n_minus_1": (lambda h, o: h + o.sum(o.arange(o.shape(h)[0] - 1) + 1.0),
                         lambda h: h + (len(h) - 1) * len(h) / 2),
    "ones_2n": (lambda h, o: h * o.sum(o.ones((2 * o.shape(h)[0], 1))),
                lambda h: h * 2 * len(h)),
    "zeros_n_times_n": (lambda h, o: h + o.sum(o.zeros((o.shape(h)[0] * o.shape(h)[0],)) + 1.0),
                        lambda h: h + len(h) ** 2),
    "arange_half": (lambda h, o: h + o.sum(o.arange(o.shape(h)[0] // 2) + 1.0),
                    lambda h: h + (len(h) // 2) * (len(h) // 2 + 1) / 2),
    "arange_start_step": (lambda h, o: h + o.sum(o.arange(1, o.shape(h)[0] + 3, 2)),
                          lambda h: h + np.arange(1, len(h) + 3, 2).sum()),
    "eye_n_plus_n": (lambda h, o: h + o.sum(o.eye(o.shape(h)[0] + o.shape(h)[0])),
                     lambda h: h + 2 * len(h)),
    "reshape_n_times_d": (lambda h, o: o.reshape(o.reshape(h, (o.shape(h)[0] * D, 1)) * 2.0,
                                                 (o.shape(h)[0], D)),
                          lambda h: 2 * h),
    "cast_to_float": (lambda h, o: h / o.cast(o.shape(h)[0], "float32")
                      + o.convert_to_tensor(o.shape(h)[0] + 1),
                      lambda h: h / len(h) + len(h) + 1),
    "tensor_operand": (lambda h, o: h / o.shape(h)[0] + 2 * o.shape(h)[0] * h,
                       lambda h: h / len(h) + 2 * len(h) * h),
    # slice bounds and indices computed from the batch (the trace baked them: h[:n - 1]
    # was h[:0], h[n - 1] the first row)
    "slice_to_n": (lambda h, o: h[:o.shape(h)[0]] * 2.0, lambda h: 2 * h),
    "slice_to_n_minus_1": (lambda h, o: h - o.sum(h[:o.shape(h)[0] - 1], axis=0),
                           lambda h: h - h[:-1].sum(0)),
    "slice_from_n_minus_2": (lambda h, o: h - o.sum(h[o.shape(h)[0] - 2:], axis=0),
                             lambda h: h - h[-2:].sum(0)),
    "last_row": (lambda h, o: h - h[o.shape(h)[0] - 1], lambda h: h - h[-1]),
    "slice_to_half": (lambda h, o: h + o.sum(h[:o.shape(h)[0] // 2], axis=0, keepdims=True),
                      lambda h: h + h[:len(h) // 2].sum(0, keepdims=True)),
    # two views of the batch stacked (contrastive losses): the first n rows of 2n
    "first_view": (lambda h, o: h + o.sum(o.concatenate([h, 2.0 * h], axis=0)[:o.shape(h)[0]],
                                          axis=0, keepdims=True),
                   lambda h: h + h.sum(0, keepdims=True)),
}


def ops_concat(o, a, b):
    return o.concatenate([a, b], axis=1)


def _model(lib, spelling):
    call = SPELLINGS[spelling][0]

    class BatchSized(lib.layers.Layer):
        def call(self, h):
            return call(h, lib.ops)

    inp = lib.Input((D,))
    return lib.Model(inp, BatchSized()(lib.layers.Dense(D)(inp)))


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_size_from_the_batch_follows_it_at_predict(spelling):
    model = _model(pynn, spelling)
    dense = model.get_weights()
    for n in BATCHES:
        h = _X[:n].astype(np.float64) @ dense[0] + dense[1]
        got = model.predict(_X[:n], batch_size=n, verbose=0)
        np.testing.assert_allclose(got, SPELLINGS[spelling][1](h), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_size_from_the_batch_matches_keras(spelling):
    keras = _keras()
    kmodel = _model(keras, spelling)
    model = _model(pynn, spelling)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    for n in BATCHES:
        np.testing.assert_allclose(model.predict(_X[:n], batch_size=n, verbose=0),
                                   np.asarray(kmodel.predict(_X[:n], batch_size=n, verbose=0)),
                                   rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ gradients
# A weight broadcast to the batch gets the sum over its rows: fit steps side by side
# with Keras (batches of 3, 3 and 1), which fails if the rows were baked to one.

def _weighted_model(lib, how):
    class Prototype(lib.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(1, D), initializer="ones")

        def call(self, h):
            o, n = lib.ops, lib.ops.shape(h)[0]
            if how == "tile":
                rows = o.tile(self.w, [n, 1])
            elif how == "repeat":
                rows = o.repeat(self.w, n, axis=0)
            else:
                rows = o.broadcast_to(self.w, (n, D))
            return o.concatenate([h, rows * o.ones((n, 1))], axis=1)

    inp = lib.Input((D,))
    model = lib.Model(inp, lib.layers.Dense(1)(Prototype()(lib.layers.Dense(D)(inp))))
    model.compile(lib.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("how", ["tile", "repeat", "broadcast_to"])
def test_gradient_reaches_a_weight_broadcast_to_the_batch(how):
    keras = _keras()
    y = np.random.default_rng(1).normal(size=(7, 1)).astype(np.float32)
    kmodel, model = _weighted_model(keras, how), _weighted_model(pynn, how)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    h = model.fit(_X, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history["loss"]
    kh = kmodel.fit(_X, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, kh, rtol=1e-5)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ what cannot follow


REFUSED = {
    "ones((n % 2, D))": lambda n: ops.ones((n % 2, D)),
    "zeros((n ** 2,))": lambda n: ops.zeros((n ** 2,)),
    "full((8 - n, 2))": lambda n: ops.full((8 - n, 2), 1.0),
    "arange(n // n)": lambda n: ops.arange(n // n),
    "eye(-n + 4)": lambda n: ops.eye(-n + 4),
    "reshape(x, (n % 3, -1))": lambda n: ops.reshape(n.tensor, (n % 3, -1)),
    "broadcast_to(1, (n / 1,))": lambda n: ops.broadcast_to(np.float32(1), (n / 1,)),
    "tile(t, [n % 2])": lambda n: ops.tile(np.ones(2, np.float32), [n % 2]),
    "repeat(t, n ** 1)": lambda n: ops.repeat(np.ones(2, np.float32), n ** 1),
    "random.normal((n % 2,))": lambda n: pynn.random.normal((n % 2, 2)),
}


@pytest.mark.parametrize("spelling", sorted(REFUSED))
def test_a_size_the_engine_cannot_follow_is_refused_by_name(spelling):
    op = spelling.split("(")[0]
    was = _C.set_tracing(True)
    try:
        n = BatchDim(1, pynn.Tensor(np.ones((1, 2), np.float32)))
        with pytest.raises(ValueError, match=rf"{op}: the size .* is computed from "
                           r"ops.shape\(x\)\[0\] \(the batch size\), which is not supported "
                           "inside a compiled model"):
            REFUSED[spelling](n)
    finally:
        _C.set_tracing(was)


def test_refused_in_a_compiled_model_at_predict():
    class HalfOdd(pynn.layers.Layer):
        def call(self, h):
            return h + ops.sum(ops.ones((ops.shape(h)[0] % 2, 1)))

    inp = pynn.Input((D,))
    model = pynn.Model(inp, HalfOdd()(inp))
    with pytest.raises(ValueError, match=r"ones: the size ops.shape\(x\)\[0\] % 2 is computed"):
        model.predict(_X, verbose=0)


BAKED = {  # spellings that would bake the traced batch of 1 into the model
    "int": (lambda h: h * int(ops.shape(h)[0]), r"int\(ops.shape\(x\)\[0\]\): the batch "
            r"size is a Python int only while the model is traced"),
    "float": (lambda h: h / float(ops.shape(h)[0]), r"float\(ops.shape\(x\)\[0\]\): .*use "
              r"ops.cast\(ops.shape\(x\)\[0\], 'float32'\)"),
    "second_view": (lambda h: ops.concatenate([h, h], axis=0)[ops.shape(h)[0]:],
                    r"getitem: the slice .* has a start computed from ops.shape\(x\)\[0\]"),
    "index_n_mod_2": (lambda h: h - h[ops.shape(h)[0] % 2 - 1],
                      r"getitem: the size .*ops.shape\(x\)\[0\] % 2.* is computed"),
}


@pytest.mark.parametrize("spelling", sorted(BAKED))
def test_a_traced_batch_size_that_would_be_baked_in_is_refused(spelling):
    fn, message = BAKED[spelling]

    class Baked(pynn.layers.Layer):
        def call(self, h):
            return fn(h)

    inp = pynn.Input((D,))
    model = pynn.Model(inp, Baked()(inp))
    with pytest.raises(ValueError, match=message):
        model.predict(_X, verbose=0)
    # eager (no trace) they are plain numbers, as in Keras
    if spelling in ("int", "float"):
        np.testing.assert_allclose(Baked()(_X).numpy(), fn(pynn.Tensor(_X)).numpy())


def test_a_value_the_engine_cannot_follow_is_refused_as_a_tensor_operand():
    was = _C.set_tracing(True)
    try:
        n = BatchDim(1, pynn.Tensor(np.ones((1, 2), np.float32)))
        h = pynn.Tensor(np.ones((1, 2), np.float32))
        for value in (n % 2, n / 2, n ** 2):
            with pytest.raises(ValueError, match=r"input 1 of (div|mul): the value .* is computed "
                               r"from ops.shape\(x\)\[0\] \(the batch size\)"):
                h / value if not isinstance(value, float) else h * value
    finally:
        _C.set_tracing(was)


def test_batch_axis_elsewhere_than_0_is_refused_for_tile_and_repeat():
    was = _C.set_tracing(True)
    try:
        n = BatchDim(1, pynn.Tensor(np.ones((1, 2), np.float32)))
        t = np.ones((2, 2), np.float32)
        with pytest.raises(ValueError, match="tile: a count computed from ops.shape.* axis 1"):
            ops.tile(t, [1, n])
        with pytest.raises(ValueError, match="repeat: a count computed from ops.shape.* axis 1"):
            ops.repeat(t, n, axis=1)
    finally:
        _C.set_tracing(was)


def test_arithmetic_keeps_the_traced_value_and_eager_ints_are_untouched():
    was = _C.set_tracing(True)
    try:
        n = BatchDim(2, pynn.Tensor(np.ones((2, 2), np.float32)))
        for v, want in ((n + 3, 5), (3 + n, 5), (n - 1, 1), (2 * n, 4), (n * n, 4), (n // 2, 1),
                        (n + n, 4)):
            assert isinstance(v, BatchDim) and v == want  # (int(v) refuses while tracing)
            assert v.tensor.shape[0] == want  # the length the ops follow
        assert n % 2 == 0 and not isinstance(n % 2, BatchDim)
    finally:
        _C.set_tracing(was)
    # outside a trace ops.shape gives plain ints and the ops plain constants
    assert type(ops.shape(pynn.Tensor(_X))[0]) is int
    np.testing.assert_array_equal(ops.ones((2, 1)).numpy(), np.ones((2, 1)))
