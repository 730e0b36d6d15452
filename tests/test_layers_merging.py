"""Merge layers: values and gradients against float64 NumPy, Keras' output
shapes and configs, masks, a functional residual model that trains and
round-trips through save/load, and the errors for mismatched inputs."""
import numpy as np
import pytest

import pynn
from pynn import layers as L

from gradcheck import check_grad

rng = np.random.default_rng(7)


def arr(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("cls,ref", [
    (L.Add, lambda a, b: a + b),
    (L.Subtract, lambda a, b: a - b),
    (L.Multiply, lambda a, b: a * b),
    (L.Average, lambda a, b: (a + b) / 2),
    (L.Maximum, np.maximum),
    (L.Minimum, np.minimum),
])
def test_two_input_merges_match_numpy(cls, ref):
    check_grad(lambda a, b: cls()([a, b]), ref, [arr(3, 4), arr(3, 4)])


@pytest.mark.parametrize("cls,ref", [
    (L.Add, lambda a, b, c: a + b + c),
    (L.Multiply, lambda a, b, c: a * b * c),
    (L.Average, lambda a, b, c: (a + b + c) / 3),
    (L.Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (L.Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
])
def test_three_input_merges_match_numpy(cls, ref):
    check_grad(lambda a, b, c: cls()([a, b, c]), ref, [arr(2, 5), arr(2, 5), arr(2, 5)])


def test_elementwise_merges_broadcast_as_keras():
    # an axis of length 1 repeats; a lower-rank input is expanded at axis 1 (Keras)
    check_grad(lambda a, b: L.Add()([a, b]), lambda a, b: a + b, [arr(2, 3, 4), arr(2, 1, 4)])
    check_grad(lambda a, b: L.Multiply()([a, b]), lambda a, b: a * b[:, None, :],
               [arr(2, 3, 4), arr(2, 4)])
    assert L.Add().compute_output_shape([(None, 3, 4), (None, 4)]) == (None, 3, 4)
    assert L.Add().compute_output_shape([(None, 1, 4), (None, 5, 1)]) == (None, 5, 4)


@pytest.mark.parametrize("axis,shapes", [(-1, [(2, 3, 4), (2, 3, 2)]), (1, [(2, 3, 4), (2, 1, 4)]),
                                         (1, [(2, 2), (2, 1), (2, 3)]),
                                         (-1, [(2, 1)] * 9)])  # more than the engine's 8 inputs
def test_concatenate_matches_numpy(axis, shapes):
    arrays = [arr(*s) for s in shapes]
    check_grad(lambda *ts: L.Concatenate(axis=axis)(list(ts)),
               lambda *xs: np.concatenate(xs, axis=axis), arrays)
    out = L.Concatenate(axis=axis).compute_output_shape([(None,) + s[1:] for s in shapes])
    assert out == (None,) + np.concatenate(arrays, axis=axis).shape[1:]


def batch_dot(x1, x2, a1, a2):
    """Keras' batch_dot, written out per sample with np.tensordot."""
    out = np.stack([np.tensordot(x1[i], x2[i], axes=(a1 - 1, a2 - 1)) for i in range(len(x1))])
    return out.reshape(len(x1), 1) if out.ndim == 1 else out


@pytest.mark.parametrize("axes,s1,s2,out", [
    (1, (3, 4), (3, 4), (1,)),
    (-1, (3, 4), (3, 4), (1,)),
    (2, (2, 3, 4), (2, 5, 4), (3, 5)),
    ((1, 1), (2, 3, 4), (2, 3, 5), (4, 5)),
    ((2, 1), (2, 3, 4), (2, 4), (3,)),
    ((1, 2), (2, 4, 2, 3), (2, 5, 4), (2, 3, 5)),
])
def test_dot_matches_batch_dot(axes, s1, s2, out):
    a1, a2 = (axes, axes) if isinstance(axes, int) else axes
    a1, a2 = a1 % len(s1), a2 % len(s2)
    check_grad(lambda x, y: L.Dot(axes)([x, y]), lambda x, y: batch_dot(x, y, a1, a2),
               [arr(*s1), arr(*s2)])
    assert L.Dot(axes).compute_output_shape([(None,) + s1[1:], (None,) + s2[1:]]) == (None,) + out


def test_dot_normalize_is_the_cosine_similarity():
    def cos(x, y):
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        yn = y / np.linalg.norm(y, axis=1, keepdims=True)
        return np.sum(xn * yn, axis=1, keepdims=True)
    check_grad(lambda x, y: L.Dot(1, normalize=True)([x, y]), cos, [arr(4, 3), arr(4, 3)])
    # a zero vector stays finite (Keras clamps the norm at epsilon)
    z = L.Dot(1, normalize=True)([np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32)])
    assert np.all(np.isfinite(z.numpy())) and z.numpy()[0, 0] == 0


@pytest.mark.parametrize("make", [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum,
                                  lambda: L.Concatenate(axis=1),
                                  lambda: L.Dot(axes=(1, 2), normalize=True)])
def test_config_round_trip_and_keras_defaults(make):
    lay = make()
    cfg = lay.get_config()
    again = pynn.layers.get_class(type(lay).__name__).from_config(dict(cfg))
    assert again.get_config() == cfg
    assert lay.count_params() == 0


def test_keras_names_and_defaults():
    pynn.layers.clear_session()
    assert L.Add().name == "add" and L.Add().name == "add_1"
    assert L.Concatenate().axis == -1
    d = L.Dot(axes=1)
    assert d.normalize is False and d.get_config()["axes"] == 1
    assert pynn.Add is L.Add and pynn.Concatenate is L.Concatenate and pynn.Dot is L.Dot


def test_masks_flow_through_merges():
    ids_a = np.array([[3, 1, 0, 0]], np.float32)
    ids_b = np.array([[2, 2, 2, 0]], np.float32)
    ea, eb = L.Embedding(5, 2, mask_zero=True), L.Embedding(5, 2, mask_zero=True)
    a, b = ea(ids_a), eb(ids_b)
    np.testing.assert_array_equal(L.Add()([a, b])._keras_mask.numpy(), [[1, 1, 0, 0]])
    np.testing.assert_array_equal(L.Concatenate()([a, b])._keras_mask.numpy(), [[1, 1, 1, 0]])
    unmasked = L.Embedding(5, 2)(ids_a)
    joined = L.Concatenate(axis=1)([a, unmasked])
    np.testing.assert_array_equal(joined._keras_mask.numpy(), [[1, 1, 0, 0, 1, 1, 1, 1]])
    assert getattr(L.Concatenate()([a, unmasked]), "_keras_mask", None) is None


def residual_model():
    pynn.layers.clear_session()
    pynn.set_seed(3)
    x = pynn.Input(shape=(8,))
    h = L.Dense(8, activation="tanh")(x)
    r = L.Add()([x, h])
    h2 = L.Dense(8, activation="tanh")(r)
    r2 = L.Add()([r, h2])
    out = L.Dense(1)(L.Concatenate()([r2, x]))
    return pynn.Model(x, out)


def test_functional_residual_model_trains_and_saves(tmp_path):
    data = np.random.default_rng(0)
    x = data.standard_normal((512, 8)).astype(np.float32)
    y = (np.sin(x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    m = residual_model()
    assert [type(l).__name__ for l in m.layers].count("Add") == 2
    m.compile(optimizer=pynn.optimizers.Adam(0.01), loss="mse")
    h = m.fit(x, y, epochs=40, batch_size=32, verbose=0)
    assert h.history["loss"][-1] < 0.1 * h.history["loss"][0], h.history["loss"]
    path = tmp_path / "res.pynn"
    m.save(path)
    again = pynn.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), m.predict(x, verbose=0))
    assert [type(l).__name__ for l in again.layers] == [type(l).__name__ for l in m.layers]


def test_two_input_functional_model_with_dot_and_subtract_saves(tmp_path):
    pynn.layers.clear_session()
    a, b = pynn.Input(shape=(5,)), pynn.Input(shape=(5,))
    shared = L.Dense(4)
    ha, hb = shared(a), shared(b)
    out = L.Concatenate()([L.Dot(1, normalize=True)([ha, hb]), L.Subtract()([ha, hb])])
    m = pynn.Model([a, b], out)
    assert m.output_shape == (None, 5)
    xa, xb = arr(6, 5).astype(np.float32), arr(6, 5).astype(np.float32)
    pred = m.predict([xa, xb], verbose=0)
    wa, wb = xa @ shared.kernel + shared.bias, xb @ shared.kernel + shared.bias
    cos = np.sum(wa * wb, 1) / np.linalg.norm(wa, axis=1) / np.linalg.norm(wb, axis=1)
    np.testing.assert_allclose(pred[:, 0], cos, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pred[:, 1:], wa - wb, rtol=1e-4, atol=1e-5)
    m.save(tmp_path / "two.pynn")
    np.testing.assert_array_equal(pynn.load_model(tmp_path / "two.pynn").predict([xa, xb], verbose=0),
                                  pred)


def test_mismatched_functional_inputs_are_explained():
    a, b = pynn.Input(shape=(4,)), pynn.Input(shape=(5,))
    with pytest.raises(ValueError, match=r"Add layer 'sum'.*same shape.*\(None, 4\), \(None, 5\)"):
        L.Add(name="sum")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate layer.*except the concatenation axis.*"
                                         r"\(None, 3, 4\), \(None, 2, 4\)"):
        L.Concatenate()([pynn.Input(shape=(3, 4)), pynn.Input(shape=(2, 4))])
    with pytest.raises(ValueError, match="same rank"):
        L.Concatenate()([pynn.Input(shape=(3, 4)), a])
    with pytest.raises(ValueError, match="batch axis 0"):
        L.Concatenate(axis=0)([a, a])
    with pytest.raises(ValueError, match=r"Dot layer.*axis 1 \(length 4\).*axis 1 \(length 5\)"):
        L.Dot(axes=1)([a, b])
    with pytest.raises(ValueError, match="exactly 2 inputs, got 3"):
        L.Subtract()([a, a, a])
    with pytest.raises(ValueError, match=r"called on a list of tensors.*\(None, 4\)"):
        L.Add()(a)
    with pytest.raises(ValueError, match="at least 2 inputs"):
        L.Maximum()([a])
    with pytest.raises(TypeError, match="axes must be an int"):
        L.Dot(axes="last")
    # eager: the batch sizes must agree too
    with pytest.raises(ValueError, match=r"different batch sizes.*\(2, 4\), \(3, 4\)"):
        L.Add()([np.zeros((2, 4), np.float32), np.zeros((3, 4), np.float32)])
