"""Regularizers: Keras definitions (L1 = l1·Σ|w|, L2 = l2·Σw², L1L2 both), and
the penalty appears in the training / evaluation loss exactly, with its exact
gradient."""
import numpy as np
import pytest

import pynn
from pynn import regularizers as reg
from pynn.layers import Dense


def _value(r, w):
    return float(r(pynn.Tensor(np.asarray(w, np.float32))).numpy())


def test_definitions():
    w = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -0.25]], np.float32)
    l1, l2 = np.abs(w).sum(), (w.astype(np.float64) ** 2).sum()
    np.testing.assert_allclose(_value(reg.L2(0.1), w), 0.1 * l2, rtol=1e-6)
    np.testing.assert_allclose(_value(reg.L1(0.2), w), 0.2 * l1, rtol=1e-6)
    np.testing.assert_allclose(_value(reg.L1L2(0.2, 0.1), w), 0.2 * l1 + 0.1 * l2, rtol=1e-6)
    # Keras 3 defaults: L1(0.01), L2(0.01), L1L2(0, 0); keras.regularizers.l1_l2 *is* L1L2
    # (tf.keras 2's l1_l2 function defaulted to 0.01 each; the string "l1_l2" keeps that meaning)
    np.testing.assert_allclose(_value(reg.L2(), w), 0.01 * l2, rtol=1e-6)
    np.testing.assert_allclose(_value(reg.get("l1"), w), 0.01 * l1, rtol=1e-6)
    assert _value(reg.L1L2(), w) == 0.0
    assert reg.l1_l2 is reg.L1L2 and _value(reg.l1_l2(), w) == 0.0
    np.testing.assert_allclose(_value(reg.l1_l2(l1=0.01, l2=0.01), w), 0.01 * (l1 + l2), rtol=1e-6)
    np.testing.assert_allclose(_value(reg.get("l1_l2"), w), 0.01 * (l1 + l2), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        reg.L2(-0.1)
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        reg.get("l3")
    with pytest.raises(ValueError, match="Unknown regularizer"):
        Dense(3, kernel_regularizer="l3")


def test_serialization_roundtrip():
    for r in (reg.L1(0.3), reg.L2(0.2), reg.L1L2(0.1, 0.4)):
        back = reg.deserialize(reg.serialize(r))
        assert type(back) is type(r) and (back.l1, back.l2) == (r.l1, r.l2)


def _pair(kernel_regularizer=None, bias_regularizer=None, seed=0):
    model = pynn.Sequential([pynn.Input(shape=(5,)),
                             Dense(4, activation="tanh", kernel_regularizer=kernel_regularizer,
                                   bias_regularizer=bias_regularizer),
                             Dense(1, kernel_regularizer=kernel_regularizer)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _data():
    rng = np.random.default_rng(9)
    return rng.normal(size=(24, 5)).astype(np.float32), rng.normal(size=(24, 1)).astype(np.float32)


def test_l2_penalty_appears_in_the_loss_exactly():
    x, y = _data()
    plain, regd = _pair(), _pair(reg.L2(0.05), reg.L1(0.02))
    regd.set_weights(plain.get_weights())
    for m in (plain, regd):
        m.compile("sgd", "mse")
    w = plain.get_weights()
    penalty = 0.05 * sum((k.astype(np.float64) ** 2).sum() for k in (w[0], w[2])) \
        + 0.02 * np.abs(w[1].astype(np.float64)).sum()
    base = plain.evaluate(x, y, batch_size=24, verbose=0)
    # one batch: loss = data loss + penalty
    np.testing.assert_allclose(regd.evaluate(x, y, batch_size=24, verbose=0), base + penalty,
                               rtol=1e-6)
    # several batches: the penalty is added to every batch's loss, so also to their mean
    np.testing.assert_allclose(regd.evaluate(x, y, batch_size=7, verbose=0),
                               plain.evaluate(x, y, batch_size=7, verbose=0) + penalty, rtol=1e-6)
    # fit reports the same (the loss before the step, lr 0 keeps the weights)
    for m in (plain, regd):
        m.compile(pynn.optimizers.SGD(0.0), "mse")
    h = regd.fit(x, y, batch_size=24, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(h, base + penalty, rtol=1e-6)


def test_l2_penalty_gradient_is_exact():
    """With every sample weighted 0 the data term has no gradient: one SGD step
    is w ← w − lr·2·l2·w on the kernels, and biases stay put."""
    x, y = _data()
    model = _pair(reg.L2(0.1))
    w0 = model.get_weights()
    model.compile(pynn.optimizers.SGD(0.5), "mse")
    model.fit(x, y, sample_weight=np.zeros(24), batch_size=24, epochs=1, verbose=0)
    w1 = model.get_weights()
    for i in (0, 2):
        np.testing.assert_allclose(w1[i], w0[i] * (1 - 0.5 * 2 * 0.1), rtol=1e-6)
    for i in (1, 3):
        np.testing.assert_array_equal(w1[i], w0[i])


def test_regularizer_survives_layer_config():
    layer = Dense(3, kernel_regularizer=reg.L2(0.25))
    cfg = layer.get_config()
    again = Dense.from_config({**cfg, "name": cfg["name"] + "_copy"})
    assert isinstance(again.kernel_regularizer, reg.L2) and again.kernel_regularizer.l2 == 0.25
