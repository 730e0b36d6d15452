"""OrthogonalRegularizer as keras/src/regularizers/regularizers_test.py (keras-team/keras at
3422977a) checks it, side by side with the installed Keras 3, and inside fit."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

rng = np.random.default_rng(5)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_value(mode):
    # RegularizersTest.test_orthogonal_regularizer (the NumPy formula), both modes
    value = rng.random((4, 6)).astype(np.float32)
    v = value if mode == "rows" else value.T
    unit = v.astype(np.float64) / np.linalg.norm(v, axis=1, keepdims=True)
    n = v.shape[0]
    want = 0.1 * 0.5 * np.sum(np.abs(unit @ unit.T * (1.0 - np.eye(n)))) / (n * (n - 1.0) / 2.0)
    got = pynn.regularizers.OrthogonalRegularizer(factor=0.1, mode=mode)(pynn.Variable(value))
    assert float(got.numpy()) == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_keras(mode):
    keras = keras_or_skip()
    value = rng.normal(size=(5, 3)).astype(np.float32)
    want = keras.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)(
        keras.ops.convert_to_tensor(value))
    got = pynn.regularizers.get({"class_name": "OrthogonalRegularizer",
                                 "config": {"factor": 0.3, "mode": mode}})(pynn.Tensor(value))
    assert float(got.numpy()) == pytest.approx(float(keras.ops.convert_to_numpy(want)), rel=1e-5)


def test_orthogonal_regularizer_bad_arguments():
    # test_orthogonal_regularizer_input_rank_validation / _mode_validation
    with pytest.raises(ValueError, match="2D weight"):
        pynn.regularizers.OrthogonalRegularizer()(pynn.Tensor(np.ones((4, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="mode must be"):
        pynn.regularizers.OrthogonalRegularizer(mode="invalid_mode")
    assert isinstance(pynn.regularizers.get("orthogonal_regularizer"),
                      pynn.regularizers.OrthogonalRegularizer)


def test_orthogonal_penalty_in_fit_is_the_regularizer_value():
    # evaluate's loss = data loss + the kernel's penalty, as Keras
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = np.zeros((16, 4), np.float32)
    reg = pynn.regularizers.OrthogonalRegularizer(factor=0.5, mode="columns")
    model = pynn.Sequential([pynn.Input(shape=(3,)),
                             pynn.layers.Dense(4, use_bias=False, kernel_regularizer=reg)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    kernel = np.asarray(model.layers[0].kernel)
    data = np.mean((x @ kernel - y) ** 2)
    penalty = float(reg(pynn.Tensor(kernel)).numpy())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data + penalty, rel=1e-4)
