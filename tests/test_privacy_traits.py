"""DP-SGD picks ghost clipping from the ops' traits, not from a list of op names:
row-wise ops the old name lists did not know (a sum over the features, a
transpose that keeps the batch axis first, a Dense whose activation is not fused
and so runs as matmul + add + softmax) keep ghost clipping, with the same
training as the per-example replay; ops whose traits say they mix the examples
fall back with the op named in the reason."""
import numpy as np
import pytest

import pynn
from pynn import ops
from pynn.layers import Dense, Layer
from test_privacy_ghost import _assert_same_training, _data, _fit


class _FeatureSum(Layer):
    """Appends each row's sum over its features: row-wise (reduce over axis 1)."""

    def call(self, inputs, training=False):
        return ops.concatenate([inputs, ops.sum(inputs, axis=1, keepdims=True)], axis=1)


class _SwapFeatureAxes(Layer):
    """(b, 3, 4) -> (b, 4, 3): a transpose that keeps the batch axis first."""

    def call(self, inputs, training=False):
        return ops.transpose(inputs, axes=(0, 2, 1))


@pytest.mark.parametrize("name, make", [
    ("reduce over features", lambda: pynn.Sequential([
        pynn.Input(shape=(12,)), Dense(8, activation="tanh"), _FeatureSum(),
        Dense(1, activation="sigmoid")])),
    ("transpose keeping the batch axis", lambda: pynn.Sequential([
        pynn.Input(shape=(12,)), pynn.layers.Reshape((3, 4)), _SwapFeatureAxes(),
        pynn.layers.Flatten(), Dense(6, activation="relu"), Dense(1, activation="sigmoid")])),
])
def test_row_wise_ops_by_trait_keep_ghost_clipping(name, make):
    x, y = _data()
    ghost, replay = _fit(make, "ghost", x, y), _fit(make, "replay", x, y)
    assert ghost[1].clipping_path == "ghost" and replay[1].clipping_path == "replay"
    _assert_same_training(ghost, replay)


def test_unfused_softmax_dense_is_affine_matmul_plus_bias():
    x, y = _data(classes=3)
    make = lambda: pynn.Sequential([pynn.Input(shape=(12,)), Dense(8, activation="relu"),  # noqa: E731
                                    Dense(3, activation="softmax")])
    ghost = _fit(make, "auto", x, y, loss="sparse_categorical_crossentropy")
    replay = _fit(make, "replay", x, y, loss="sparse_categorical_crossentropy")
    assert ghost[1].clipping_path == "ghost"
    _assert_same_training(ghost, replay)


def test_a_transpose_across_the_batch_axis_falls_back_naming_it():
    x, y = _data()

    class _BatchSwap(Layer):
        def call(self, inputs, training=False):
            return ops.transpose(ops.transpose(inputs) * 1.0)  # (12, b) in between

    make = lambda: pynn.Sequential([pynn.Input(shape=(12,)), _BatchSwap(),  # noqa: E731
                                    Dense(1, activation="sigmoid")])
    auto = _fit(make, "auto", x, y, epochs=1)
    assert auto[1].clipping_path == "replay"
    assert "'transpose'" in auto[1].clipping_path_reason
