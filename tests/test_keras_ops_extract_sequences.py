"""keras.ops.extract_sequences (pynn/ops/fft.py, the framing stft uses): values against
NumPy's sliding_window_view (float64), Keras' own case
(keras/src/ops/math_test.py::MathOpsCorrectnessTest::test_extract_sequences, its
1-D (10,) and N-D (4, 8) cases with length 3, stride 2) and
keras.ops side by side, the gradient against central differences (overlapping
frames add), a traced model, bad input."""
import numpy as np
import pytest

import pynn
from pynn import ops
from gradcheck import check_grad
from keras_ref import keras_or_skip

RNG = np.random.default_rng(11)


def np_frames(x, length, stride):
    return np.lib.stride_tricks.sliding_window_view(x, length, axis=-1)[..., ::stride, :]


@pytest.mark.parametrize("shape, length, stride", [
    ((10,), 3, 2), ((4, 8), 3, 2), ((2, 3, 16), 5, 3), ((4, 7), 7, 1), ((4, 7), 1, 4), ((3, 9), 4, 10)])
def test_values_match_numpy(shape, length, stride):
    x = RNG.normal(size=shape).astype(np.float32)
    got = ops.extract_sequences(x, length, stride).numpy()
    want = np_frames(x.astype(np.float64), length, stride)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_keras_own_case_and_side_by_side():
    keras = keras_or_skip()
    x = RNG.normal(size=(10, 16)).astype(np.float32)
    want = keras.ops.convert_to_numpy(keras.ops.extract_sequences(x, 3, 2))
    np.testing.assert_array_equal(ops.extract_sequences(x, 3, 2).numpy(), want)
    x = RNG.normal(size=(2, 3, 11)).astype(np.float32)
    want = keras.ops.convert_to_numpy(keras.ops.extract_sequences(x, 4, 3))
    np.testing.assert_array_equal(ops.extract_sequences(x, 4, 3).numpy(), want)


def test_gradients_against_central_differences():
    x = RNG.normal(size=(2, 9))
    check_grad(lambda t: ops.extract_sequences(t, 4, 2), lambda a: np_frames(a, 4, 2), [x])


def test_traced_into_a_model_at_every_batch_size():
    x = RNG.normal(size=(5, 12)).astype(np.float32)
    inp = pynn.Input(shape=(12,))
    model = pynn.Model(inp, ops.extract_sequences(inp, 5, 3))
    for bs in (1, 2, 5):
        np.testing.assert_array_equal(model.predict(x, batch_size=bs, verbose=0), np_frames(x, 5, 3))


@pytest.mark.parametrize("call, match", [
    (lambda: ops.extract_sequences(np.ones(4), 5, 1), "a signal of 4 samples is shorter"),
    (lambda: ops.extract_sequences(np.ones(4), 0, 1), "sequence_length must be a positive int"),
    (lambda: ops.extract_sequences(np.ones(4), 2, 1.5), "sequence_stride must be a positive int"),
    (lambda: ops.extract_sequences(np.float32(1), 1, 1), "at least 1 dimension"),
])
def test_bad_input_names_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()
