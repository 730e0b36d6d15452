"""Read-only memory (issue 10): an array whose owner declared it read-only is
wrapped in place but never written. Every writer refuses with ValueError."""
import numpy as np
import pytest

import pynn


def _readonly_sources(tmp_path):
    path = tmp_path / "ro.bin"
    np.arange(4, dtype=np.float32).tofile(path)
    locked = np.arange(4, dtype=np.float32)
    locked.flags.writeable = False
    return {
        "memmap": np.memmap(path, np.float32, mode="r"),
        "frombuffer_bytes": np.frombuffer(np.arange(4, dtype=np.float32).tobytes(), np.float32),
        "locked_array": locked,
    }


@pytest.fixture(params=["memmap", "frombuffer_bytes", "locked_array"])
def ro(request, tmp_path):
    return _readonly_sources(tmp_path)[request.param]


def test_wrapped_in_place_with_readonly_view(ro):
    t = pynn.Tensor(ro)
    v = t.numpy()
    assert np.shares_memory(v, ro)  # no copy
    assert not v.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        t.numpy()[0] = 1  # used to segfault on a memmap
    np.testing.assert_array_equal(ro, [0, 1, 2, 3])
    for derived in (pynn.Tensor(t), t.detach()):
        assert not derived.numpy().flags.writeable
    assert (t * 2).numpy().flags.writeable  # results are new memory
    np.testing.assert_array_equal(np.asarray(t), [0, 1, 2, 3])


def test_inplace_ops_refused(ro):
    t = pynn.Tensor(ro)
    for op in ("+=", "-=", "*=", "/="):
        with pytest.raises(ValueError, match=r"in-place t \S= x: the tensor is read-only"):
            exec(f"t {op} 2", {"t": t})
        with pynn.no_grad(), pytest.raises(ValueError, match="read-only"):
            exec(f"t {op} 2", {"t": t})
    np.testing.assert_array_equal(ro, [0, 1, 2, 3])


def test_gradients_flow_but_optimizer_refuses(ro):
    t = pynn.Tensor(ro, requires_grad=True)
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [0, 2, 4, 6])  # reading is fine
    with pytest.raises(ValueError, match="variable 0 is read-only"):
        pynn.optimizers.SGD(0.1).apply([t.grad], [t])  # used to crash in the kernel
    np.testing.assert_array_equal(ro, [0, 1, 2, 3])


def test_optimizer_c_step_refuses_readonly_array():
    opt = pynn._C.Optim("sgd", [3], learning_rate=0.1)
    w = np.ones(3, np.float32)
    w.flags.writeable = False
    with pytest.raises(ValueError, match="parameters is read-only and cannot be updated in place"):
        opt.step(w, np.ones(3, np.float32))
    np.testing.assert_array_equal(w, [1, 1, 1])


def test_batch_norm_training_refuses_readonly_moving_stats(ro):
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
    before = np.array(ro)
    with pytest.raises(ValueError, match="batch_norm: moving_mean is read-only"):
        pynn.ops.batch_norm(x, ones, zeros, ro, ones.copy(), training=True)
    with pytest.raises(ValueError, match="batch_norm: moving_variance is read-only"):
        pynn.ops.batch_norm(x, ones, zeros, zeros.copy(), ro,
                            training=True)
    np.testing.assert_array_equal(ro, before)
    # inference only reads them: allowed, and the same as with a writable copy
    y = pynn.ops.batch_norm(x, ones, zeros, ro, ones, training=False)
    y_ref = pynn.ops.batch_norm(x, ones, zeros, np.array(ro), ones, training=False)
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())


def _swap_weight(layer, name, var):
    """Puts `var` (over read-only memory) in place of the layer's weight `name`:
    weights are never replaced by pynn itself, so the test does it by hand."""
    old = getattr(layer, name)
    layer._weights = [var if w is old else w for w in layer._weights]
    object.__setattr__(layer, name, var)


def test_batch_norm_layer_with_readonly_moving_mean(tmp_path):
    from pynn.layers.base import make_variable
    bn = pynn.layers.BatchNormalization()
    x = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    bn(x)  # builds
    m = _readonly_sources(tmp_path)["memmap"]
    ro_var = make_variable(m, "moving_mean", trainable=False)
    _swap_weight(bn, "moving_mean", ro_var)
    with pytest.raises(ValueError, match="moving_mean is read-only"):
        bn(x, training=True)  # used to crash batch_norm_forward
    np.testing.assert_array_equal(m, [0, 1, 2, 3])
    weights = bn.get_weights()
    with pytest.raises(ValueError, match="weight 'moving_mean' is read-only .* cannot be set"):
        bn.set_weights([np.full_like(w, 7.0) for w in weights])
    np.testing.assert_array_equal(m, [0, 1, 2, 3])
    # refused before anything was written, so the other weights kept their values too
    for w, before in zip(bn.get_weights(), weights):
        np.testing.assert_array_equal(w, before)


def test_fit_refuses_readonly_moving_mean(tmp_path):
    from pynn.layers.base import make_variable
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    model = pynn.Sequential([pynn.layers.Input((4,)), pynn.layers.BatchNormalization(),
                             pynn.layers.Dense(1)])
    bn = model.layers[0]
    m = _readonly_sources(tmp_path)["memmap"]
    _swap_weight(bn, "moving_mean", make_variable(m, "moving_mean", trainable=False))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch_norm: moving_mean is read-only"):
        model.fit(x, y, epochs=1, verbose=0)  # the compiled driver refuses the same way
    np.testing.assert_array_equal(m, [0, 1, 2, 3])
    assert model.predict(x, verbose=0).shape == (16, 1)  # inference only reads it: fine


def test_writable_arrays_and_conversions_are_unaffected():
    a = np.arange(3, dtype=np.float32)
    t = pynn.Tensor(a)
    t += 1
    np.testing.assert_array_equal(a, [1, 2, 3])  # in place on the caller's array
    ro64 = np.arange(3, dtype=np.float64)
    ro64.flags.writeable = False
    c = pynn.Tensor(ro64)  # converted: a private float32 copy, writable
    assert not np.shares_memory(c.numpy(), ro64) and c.numpy().flags.writeable
    c += 1
    np.testing.assert_array_equal(ro64, [0, 1, 2])


def test_bytes_are_refused_not_reinterpreted():
    with pytest.raises(TypeError, match="must be numeric"):
        pynn.Tensor(b"\x00\x00\x80\x3f")
