"""Regression tests for the findings of the long fuzz runs (FUZZ_FINDINGS.md, issue 10).

Each test is the finding's reproducer with the answer it must now give: the
exception type, and a message that names the op or layer, the argument, what
was expected and what came. D1 (empty batch), D2 (read-only memmap) and the
wrapped-size family of D3 are also held by tests/test_memory_safety.py and
tests/test_tensor_readonly.py; here are the fuzzer's exact cases.
"""
import numpy as np
import pytest

import pynn
from pynn import _C, ops

BIG = 10 ** 20  # outside int64


def _mlp():
    return pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(3)])


# ------------------------------------------------------------ D1, D3: deaths
def test_d1_model_call_on_empty_batch_returns_zero_rows():
    m = _mlp()
    out = m(np.zeros((0, 4), np.float32))
    assert out.shape == (0, 3)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(m(x).numpy(), x @ m.layers[-1].kernel + m.layers[-1].bias,
                               rtol=1e-6)


def test_d3_zero_padding1d_layer_with_int64_max_padding_is_refused():
    with pytest.raises(ValueError, match=r"zero_padding: padding must be in \[0, \d+\], "
                                         r"got 9223372036854775807"):
        pynn.layers.ZeroPadding1D(padding=2 ** 63 - 1)(np.ones((2, 2, 1), np.float32))
    # a valid padding still pads
    out = pynn.layers.ZeroPadding1D(padding=1)(np.ones((2, 2, 1), np.float32)).numpy()
    np.testing.assert_array_equal(out[:, :, 0], [[0, 1, 1, 0], [0, 1, 1, 0]])


def test_d2_numpy_view_of_a_readonly_memmap_is_not_writable(tmp_path):
    path = tmp_path / "ro.bin"
    np.zeros((), np.float32).tofile(path)
    m = np.memmap(path, np.float32, mode="r", shape=())
    with pytest.raises(ValueError, match="read-only"):
        pynn.Tensor(m).numpy().reshape(-1)[0] = 1
    assert float(m) == 0.0


# ------------------------------------------------------------ U1: attributes out of int64
@pytest.mark.parametrize("call, match", [
    (lambda x: ops.transpose(x, (0, BIG)),
     r"transpose: axes: every entry must be in \[-2, 1\] \(axes of a rank-2 tensor\), "
     r"got 100000000000000000000"),
    (lambda x: ops.permute(x, (BIG, 0)), r"transpose: axes: every entry must be in \[-2, 1\]"),
    (lambda x: ops.reshape(x, (BIG, -1)),
     r"reshape: shape: every entry must be -1 or in \[0, 9223372036854775807\], "
     r"got 100000000000000000000"),
    (lambda x: ops.broadcast_to(x, (10 ** 21,)),
     r"broadcast_to: shape: every entry must be -1 or in \[0, 9223372036854775807\]"),
    (lambda x: ops.take(np.ones(3, np.float32), np.zeros(2, np.float32), axis=BIG),
     r"take: axis must be in \[-1, 0\] for a tensor of rank 1, got 100000000000000000000"),
    (lambda x: ops.concatenate([x, x], axis=-BIG),
     r"concatenate: axis must be in \[-2, 1\] for a tensor of rank 2, got -100000000000000000000"),
    (lambda x: ops.concatenate([x] * 9, axis=BIG), r"concatenate: axis must be in \[-2, 1\]"),
    (lambda x: ops.stack([x, x], axis=BIG), r"stack: axis must be in \[-3, 2\] for a tensor of rank 3"),
    (lambda x: ops.squeeze(x, axis=BIG), r"squeeze: axis: every entry must be in \[-2, 1\]"),
    (lambda x: pynn.layers.MaxPool1D(strides=2 ** 64)(np.ones((1, 4, 1), np.float32)),
     r"MaxPooling1D: every value of `strides` must be in \[1, 2\*\*63 - 1\], "
     r"received strides=18446744073709551616"),
    (lambda x: ops.max_pool2d(np.ones((1, 4, 4, 1), np.float32), pool_size=(2, 2 ** 63)),
     r"every value of `pool_size` must be in \[1, 2\*\*63 - 1\]"),
])
def test_u1_attribute_outside_int64_is_a_value_error_naming_it(call, match):
    x = pynn.Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=match):
        call(x)


@pytest.mark.parametrize("num_heads", [float("inf"), float("nan"), 2.0, 0, -1, 2 ** 64, True])
def test_u1_attention_num_heads_must_be_a_positive_int(num_heads):
    q = np.ones((1, 2, 4), np.float32)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: num_heads must be None "
                                         r"or an int in \[1, 2\*\*31\], got "):
        ops.scaled_dot_product_attention(q, q, q, num_heads=num_heads)


def test_u1_attention_valid_num_heads_still_computes():
    # equal keys: every query gets the mean of the values, whatever the heads
    q = np.zeros((1, 2, 4), np.float32)
    v = np.stack([np.full(4, 1.0), np.full(4, 3.0)])[None].astype(np.float32)
    out = ops.scaled_dot_product_attention(q, q, v, num_heads=np.int64(2)).numpy()
    np.testing.assert_allclose(out, np.full((1, 2, 4), 2.0), rtol=1e-6)


def test_u1_in_range_attributes_are_unchanged():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(ops.transpose(x, (1, 0)).numpy(), x.T)
    np.testing.assert_array_equal(ops.reshape(x, (3, -1)).numpy(), x.reshape(3, 2))
    np.testing.assert_array_equal(ops.take(x, [2, 0], axis=-1).numpy(), x[:, [2, 0]])
    np.testing.assert_array_equal(ops.concatenate([x, x], axis=-1).numpy(), np.hstack([x, x]))
    np.testing.assert_array_equal(ops.stack([x, x], axis=2).numpy(), np.stack([x, x], axis=2))


@pytest.mark.parametrize("kw, match", [
    (dict(axes=[0, BIG]), r"transpose: axes\[1\] must be an integer in \[-9223372036854775808, "
                        r"9223372036854775807\], got 100000000000000000000"),
    (dict(axes=[-2 ** 63 - 1]), r"transpose: axes\[0\] must be an integer in"),
])
def test_u1_binding_refuses_int64_overflow_by_op_and_slot(kw, match):
    # the private entry point: what is left when no Python wrapper checked first
    x = pynn.Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=match):
        _C.apply("transpose", [x], **kw)
    with pytest.raises(ValueError, match=r"take: axis must be an integer in"):
        _C.apply("take", [x, pynn.Tensor(np.zeros(1, np.float32))], axis=2 ** 63)
    with pytest.raises(TypeError):  # not an int at all: still the TypeError it was
        _C.apply("take", [x, pynn.Tensor(np.zeros(1, np.float32))], axis=0.5)


# ------------------------------------------------------------ U2: batch_size
@pytest.mark.parametrize("bs", [2 ** 63, 10 ** 20])
def test_u2_batch_size_beyond_int64_is_one_batch_of_everything(bs):
    m = _mlp()
    m.compile("sgd", "mse")
    x = np.arange(20, dtype=np.float32).reshape(5, 4) / 10
    y = np.ones((5, 3), np.float32)
    np.testing.assert_array_equal(m.predict(x, batch_size=bs, verbose=0), m.predict(x, verbose=0))
    assert m.evaluate(x, y, batch_size=bs, verbose=0) == pytest.approx(
        m.evaluate(x, y, batch_size=5, verbose=0), rel=1e-6)
    w0 = m.layers[-1].kernel.copy()
    hist = m.fit(x, y, batch_size=bs, epochs=1, verbose=0)
    assert len(hist.history["loss"]) == 1
    assert not np.array_equal(m.layers[-1].kernel, w0)  # one step was taken


# ------------------------------------------------------------ U3: one-input layers given a list
def test_u3_one_input_layer_given_a_ragged_list_names_itself():
    with pytest.raises(TypeError, match=r"Flatten 'flatten\w*' takes one input tensor; the list "
                                        r"given is not a rectangular array of numbers"):
        pynn.layers.Flatten()([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("layer", [pynn.layers.Flatten, lambda: pynn.layers.Dense(2),
                                   pynn.layers.ReLU, lambda: pynn.layers.Conv1D(2, 1),
                                   lambda: pynn.layers.LSTM(2)])
def test_u3_one_input_layer_given_several_tensors_is_refused(layer):
    lay = layer()
    a = np.ones((2, 3, 4), np.float32)
    with pytest.raises(TypeError, match=rf"{type(lay).__name__} '{lay.name}' takes one input "
                                        r"tensor, got a list of 2 inputs"):
        lay([a, a])


def test_u3_nested_numbers_are_one_array_and_merge_layers_still_take_lists():
    out = pynn.layers.Flatten()([[[1.0, 2.0], [3.0, 4.0]]]).numpy()
    np.testing.assert_array_equal(out, [[1.0, 2.0, 3.0, 4.0]])
    a = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(pynn.layers.Add()([a, 2 * a]).numpy(), 3 * a)
    assert pynn.layers.Concatenate()([a, a]).shape == (2, 6)


# ------------------------------------------------------------ U4: Bidirectional backward_layer
@pytest.mark.parametrize("bad", [(1, 2), 5, pynn.layers.Dense(3)])
def test_u4_bidirectional_backward_layer_must_be_recurrent(bad):
    with pytest.raises(TypeError, match=r"Bidirectional: backward_layer must be a recurrent layer "
                                        rf"\(SimpleRNN, LSTM, GRU\) or None, got {type(bad).__name__}"):
        pynn.layers.Bidirectional(pynn.layers.GRU(3), backward_layer=bad)


def test_u4_bidirectional_with_a_real_backward_layer_still_works():
    bi = pynn.layers.Bidirectional(pynn.layers.GRU(3),
                                   backward_layer=pynn.layers.GRU(2, go_backwards=True))
    assert bi(np.ones((2, 5, 4), np.float32)).shape == (2, 5)
