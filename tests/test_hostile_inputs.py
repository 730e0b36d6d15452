"""Hostile arrays into the public entry points (session 8).

Every layout NumPy can hand over must give what a contiguous float32 copy gives;
every array pynn cannot take must be refused by a Python exception that names the
entry point, what was expected and what came. The fixes these tests hold are
marked "regression" (each failed before its fix)."""
import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import pynn
from pynn import layers, ops

RNG = np.random.default_rng(8)
X = RNG.standard_normal((6, 4)).astype(np.float32)
Y = RNG.standard_normal((6, 3)).astype(np.float32)


def _model():
    pynn.set_seed(0)
    m = pynn.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dense(3)])
    m.compile("sgd", "mse", metrics=["mae"])
    return m


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _unaligned(a):
    raw = np.zeros(a.nbytes + 1, np.uint8)
    view = raw[1:].view(np.float32).reshape(a.shape)
    view[...] = a
    return view


def _memmap(a, tmp_path):
    np.save(tmp_path / "x.npy", a)
    return np.load(tmp_path / "x.npy", mmap_mode="r")


# every one of these holds exactly X's values (float16 only the exactly representable ones)
LAYOUTS = {
    "strided": lambda a, p: np.repeat(a, 2, axis=1)[:, ::2],
    "negative_strides": lambda a, p: a[::-1, ::-1].copy()[::-1, ::-1],
    "fortran": lambda a, p: np.asfortranarray(a),
    "big_endian_f4": lambda a, p: a.astype(">f4"),
    "big_endian_f8": lambda a, p: a.astype(">f8"),
    "float64": lambda a, p: a.astype(np.float64),
    "read_only": lambda a, p: _readonly(a),
    "memmap": lambda a, p: _memmap(a, p),
    "unaligned": lambda a, p: _unaligned(a),
    "list": lambda a, p: a.tolist(),
    "tuple": lambda a, p: tuple(map(tuple, a.tolist())),
    "matrix": lambda a, p: np.asmatrix(a),
}
ENTRY_POINTS = {
    "predict": lambda m, x: m.predict(x, verbose=0),
    "call": lambda m, x: np.asarray(m(x)),
    "predict_on_batch": lambda m, x: m.predict_on_batch(x),
    "evaluate": lambda m, x: m.evaluate(x, Y, verbose=0),
    "test_on_batch": lambda m, x: m.test_on_batch(x, Y),
    "train_on_batch": lambda m, x: (m.train_on_batch(x, Y), m.get_weights()),
    "dense_layer": lambda m, x: np.asarray(m.layers[0](x)),
}


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix, on purpose
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_layout_gives_what_a_contiguous_float32_copy_gives(entry, layout, tmp_path):
    x = LAYOUTS[layout](X, tmp_path)
    want = ENTRY_POINTS[entry](_model(), X)
    got = ENTRY_POINTS[entry](_model(), x)
    for g, w in zip(np.atleast_1d(np.asarray(got, dtype=object)),
                    np.atleast_1d(np.asarray(want, dtype=object))):
        if isinstance(w, list):  # train_on_batch's weights
            for gi, wi in zip(g, w):
                np.testing.assert_array_equal(gi, wi)
        else:
            np.testing.assert_array_equal(np.asarray(g, np.float64), np.asarray(w, np.float64))


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.uint16, np.int64, bool])
def test_small_dtypes_are_their_float32_values(dtype):
    x = (np.arange(24).reshape(6, 4) % 3 - 1).astype(dtype)
    m = _model()
    np.testing.assert_array_equal(m.predict(x, verbose=0),
                                  m.predict(x.astype(np.float32), verbose=0))


def test_a_lying_read_only_memmap_is_read_not_written(tmp_path):
    mm = _memmap(X, tmp_path)
    m = _model()
    m.fit(mm, Y, epochs=1, verbose=0)
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), X)


# ------------------------------------------------------------ regression: test_on_batch
def test_test_on_batch_is_evaluate_on_one_batch_with_metrics_reset():
    """Keras 3 has test_on_batch (keras/src/backend/torch/trainer.py: reset_metrics, one
    test step); pynn's own "streamed batches" error told users to call it, and it was
    missing (AttributeError)."""
    m = _model()
    m.set_weights([np.zeros_like(w) for w in m.get_weights()])
    y = np.full((6, 3), 3.0, np.float32)
    assert m.test_on_batch(X, y) == [9.0, 3.0]
    assert m.test_on_batch(X, y, return_dict=True) == {"loss": 9.0, "mae": 3.0}
    # metrics are reset: a second batch reports its own values, not a running mean
    assert m.test_on_batch(X, np.ones((6, 3), np.float32)) == [1.0, 1.0]
    w = np.ones(6, np.float32)
    w[:3] = 0.0
    assert m.test_on_batch(X, np.concatenate([y[:3], np.ones((3, 3))]), sample_weight=w) \
        == pytest.approx(m.evaluate(X, np.concatenate([y[:3], np.ones((3, 3))]),
                                    sample_weight=w, verbose=0))


def test_test_on_batch_leaves_the_weights_and_refuses_uncompiled_models():
    m = _model()
    before = [w.copy() for w in m.get_weights()]
    m.test_on_batch(X, Y)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    bare = pynn.Sequential([layers.Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="compile"):
        bare.test_on_batch(X, Y)


# ------------------------------------------------------------ regression: huge views
HUGE = {
    "as_strided": as_strided(np.zeros(1, np.float32), shape=(2**30, 2**30), strides=(0, 0)),
    "broadcast_to": np.broadcast_to(np.float64(1.0), (2**28, 2**31)),
}


@pytest.mark.parametrize("kind", sorted(HUGE))
@pytest.mark.parametrize("call, who", [
    (lambda m, a: m.predict(a, verbose=0), "x"),
    (lambda m, a: m.fit(a, Y, verbose=0), "x"),
    (lambda m, a: m.evaluate(a, Y, verbose=0), "x"),
    (lambda m, a: m(a), "model input"),
    (lambda m, a: ops.relu(a), "input 0 of relu"),
    (lambda m, a: ops.matmul(a, a), "input 0 of matmul"),
    (lambda m, a: pynn.Tensor(a), "Tensor data"),
])
def test_a_huge_broadcast_view_is_refused_before_any_allocation(call, who, kind):
    """A view of one value whose float32 copy is exabytes: refused before the malloc, by a
    MemoryError naming the argument and the shape (NumPy's "Unable to allocate 4.00 EiB
    for an array" named neither)."""
    a = HUGE[kind]
    with pytest.raises(MemoryError, match=re.escape(f"{who} of shape {a.shape} would need a "
                                                    "float32 copy of")):
        call(_model(), a)


def test_a_small_broadcast_view_is_still_copied_and_used():
    row = np.broadcast_to(X[:1], (6, 4))
    m = _model()
    np.testing.assert_array_equal(m.predict(row, verbose=0),
                                  m.predict(np.ascontiguousarray(row), verbose=0))
    np.testing.assert_array_equal(ops.relu(row).numpy(), np.maximum(row, 0))


# ------------------------------------------------------------ regression: messages
@pytest.mark.parametrize("layer, per_sample, bad", [
    (layers.Dense(2), (4,), (6, 3)),
    (layers.Permute((2, 1)), (3, 2), (6, 4)),
    (layers.RepeatVector(2), (4,), (6, 3, 2)),
])
def test_shape_errors_print_the_batch_axis_as_none_not_a_string(layer, per_sample, bad):
    layer(np.zeros((1,) + per_sample, np.float32))
    with pytest.raises(ValueError) as e:
        layer(np.zeros(bad, np.float32))
    assert f"got a batch of shape (None, {', '.join(map(str, bad[1:]))})" in str(e.value), e.value
    assert "'None'" not in str(e.value)


def test_normalization_called_on_another_shape_names_itself():
    """Built for 6 features, called on (3, 2) samples: was the engine's "sub: operands
    could not be broadcast together", naming neither the layer nor its statistics."""
    norm = layers.Normalization()
    norm.adapt(RNG.standard_normal((10, 6)))
    with pytest.raises(ValueError, match=re.escape(f"Normalization '{norm.name}' was built for "
                                                   "per-sample shape (6,) (None: any size), got "
                                                   "a batch of shape (None, 3, 2)")):
        norm(np.zeros((2, 3, 2), np.float32))
    with pytest.raises(ValueError, match="was built for per-sample shape \\(6,\\)"):
        norm(np.zeros((2, 5), np.float32))
    # the axes that are not kept may take any size, as before
    per_step = layers.Normalization(axis=-1)
    per_step.adapt(RNG.standard_normal((10, 4, 6)))
    assert per_step(np.zeros((2, 7, 6), np.float32)).shape == (2, 7, 6)


# ------------------------------------------------------------ regression: explainers
@pytest.mark.parametrize("name", ["Saliency", "InputXGradient", "IntegratedGradients"])
def test_explainers_on_no_examples_return_no_attributions(name):
    """IntegratedGradients on a zero-row batch raised "range() arg 3 must not be zero" (its
    batch of path points was 0), and with return_convergence_delta a reshape error."""
    m = _model()
    explainer = getattr(pynn.explain, name)(m)
    kw = {"n_steps": 4} if name == "IntegratedGradients" else {}
    assert explainer.attribute(np.zeros((0, 4), np.float32), target=0, **kw).shape == (0, 4)
    if name == "IntegratedGradients":
        a, delta = explainer.attribute(np.zeros((0, 4), np.float32), target=0, n_steps=4,
                                       return_convergence_delta=True)
        assert a.shape == (0, 4) and delta.shape == (0,)
        # the rows that are there are unchanged by the fix
        a2 = explainer.attribute(X, target=0, n_steps=4)
        np.testing.assert_array_equal(explainer.attribute(X[:3], target=0, n_steps=4), a2[:3])


@pytest.mark.parametrize("name", ["Saliency", "InputXGradient", "IntegratedGradients"])
def test_explainers_refuse_a_huge_broadcast_view_by_name(name):
    # 2**44 rows: 64 TiB once copied, beyond any machine's memory (a size that fits, e.g.
    # 16 GiB, would be a legitimate request, copied for real)
    with pytest.raises(MemoryError, match=f"{name}.attribute: inputs of shape "
                                          "\\(17592186044416, 4\\) would need a float32 copy"):
        getattr(pynn.explain, name)(_model()).attribute(
            np.broadcast_to(np.float32(1), (2**44, 4)), target=0)


@pytest.mark.parametrize("layout", ["strided", "fortran", "big_endian_f4", "read_only", "list"])
def test_explainers_give_the_float32_copy_result_for_any_layout(layout, tmp_path):
    m = _model()
    x = LAYOUTS[layout](X, tmp_path)
    for name in ("Saliency", "InputXGradient", "IntegratedGradients"):
        explainer = getattr(pynn.explain, name)(m)
        np.testing.assert_array_equal(explainer.attribute(x, target=1),
                                      explainer.attribute(X, target=1))
