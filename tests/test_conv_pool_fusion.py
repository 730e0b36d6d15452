"""The compiled driver's conv + max-pool fusion (program.c plan_fusion, conv.c
conv2d_forward_pooled / conv2d_backward_pooled): a Conv2D whose only consumer is
a non-overlapping 'valid' MaxPooling2D computes its output pooled, tile by tile,
never writing the convolution's output; in training it keeps the pooling's
winners and forms dY from the pooled gradient. It must give the unfused graph's
bits (outputs and gradients) and fuse only where nothing else can see the
skipped output."""
import numpy as np
import pytest

import pynn
from pynn import _C, ops

from test_ops_conv import conv2d_ref


def _trace(xshape, build, outputs_of=lambda y, z: [z]):
    """An inference program (grad off, as Model.predict traces) of z = build(x)."""
    was_t, was_g = _C.set_tracing(True), _C.set_grad_enabled(False)
    try:
        x = _C.placeholder((1,) + tuple(xshape[1:]))
        y, z = build(x)
    finally:
        _C.set_tracing(was_t)
        _C.set_grad_enabled(was_g)
    return _C.Program(outputs_of(y, z), [x]), y, z


def _max_pool_ref(y, ph, pw):
    n, h, w, c = y.shape
    oh, ow = h // ph, w // pw
    return y[:, :oh * ph, :ow * pw].reshape(n, oh, ph, ow, pw, c).max(axis=(2, 4))


CASES = [  # x shape, kernel shape, conv strides, conv padding, pool size, activation, bias
    ((8, 28, 28, 1), (3, 3, 1, 32), (1, 1), "valid", (2, 2), "relu", True),  # the benchmark CNN
    ((5, 13, 13, 32), (3, 3, 32, 64), (1, 1), "valid", (2, 2), "relu", True),  # its second layer
    ((3, 12, 11, 3), (3, 2, 3, 20), (1, 1), "valid", (3, 2), "tanh", True),   # kept pre-activation
    ((2, 15, 17, 4), (3, 3, 4, 33), (2, 1), "same", (2, 3), None, False),     # padding tiles, F ragged
    ((4, 9, 9, 2), (2, 2, 2, 7), (1, 1), "valid", (1, 1), "relu", True),      # 1x1 windows
    # conv2d_forward_pooled declines (PN_UNFUSED): the driver runs both forwards
    ((1, 4, 1030, 1), (3, 3, 1, 128), (1, 1), "valid", (2, 2), "relu", True),  # band > 1 MB
    ((1, 6, 6, 64), (3, 3, 64, 128), (1, 1), "valid", (2, 2), "relu", True),   # kernel too large for tiles
]


@pytest.mark.parametrize("xs,ks,strides,padding,pool,act,use_bias", CASES)
def test_fused_program_has_the_bits_of_conv_then_pool(xs, ks, strides, padding, pool, act,
                                                       use_bias):
    rng = np.random.default_rng(sum(xs) + sum(ks))
    x = rng.standard_normal(xs).astype(np.float32)
    x[0, 1, 1, 0] = np.nan  # the pooling's NaN rule must survive the fusion
    w = (rng.standard_normal(ks) / np.sqrt(np.prod(ks[:3]))).astype(np.float32)
    b = rng.standard_normal(ks[3]).astype(np.float32) if use_bias else None

    def build(t):
        y = ops.conv2d(t, w, b, strides=strides, padding=padding, activation=act)
        return y, ops.max_pool2d(y, pool_size=pool)
    prog, y, z = _trace(xs, build)
    before = pynn.get_num_threads()
    try:
        for threads in (1, 2, 3):
            pynn.set_num_threads(threads)
            want = ops.max_pool2d(ops.conv2d(x, w, b, strides=strides, padding=padding,
                                             activation=act), pool_size=pool).numpy()
            got = prog.run([x], z)
            assert got.shape == want.shape
            assert np.array_equal(got, want, equal_nan=True), \
                f"{threads} threads: max diff {np.nanmax(np.abs(got - want))}"
    finally:
        pynn.set_num_threads(before)
    # and the bits are right ones: float64 reference where no NaN reached a window
    pre = conv2d_ref(x.astype(np.float64), w.astype(np.float64),
                     None if b is None else b.astype(np.float64), strides, padding)
    pre = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, None: lambda v: v}[act](pre)
    ref = _max_pool_ref(pre, *pool)
    ok = ~np.isnan(ref)
    assert ok.mean() > 0.2
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-5, atol=1e-5)
    assert np.isnan(got[~ok]).all() and (~ok).any()
    # the convolution's output was pooled away: the program does not keep it
    with pytest.raises(ValueError, match="fuses away"):
        prog.run([x], y)


def test_conv_output_with_another_reader_is_not_fused():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 10, 10, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 5)).astype(np.float32)

    def build(t):
        y = ops.conv2d(t, w, activation="relu")
        return y, ops.max_pool2d(y)
    prog, y, z = _trace(x.shape, build, outputs_of=lambda y, z: [z, y])  # y is an output too
    want_y = ops.conv2d(x, w, activation="relu").numpy()
    np.testing.assert_array_equal(prog.run([x], y), want_y)
    np.testing.assert_array_equal(prog.run([x], z), ops.max_pool2d(want_y).numpy())
    # a second consumer inside the graph
    prog2, y2, z2 = _trace(x.shape, lambda t: (lambda y: (y, ops.max_pool2d(y) + ops.max_pool2d(y * 2.0)))(
        ops.conv2d(t, w, activation="relu")))
    p = ops.max_pool2d(want_y).numpy()
    np.testing.assert_array_equal(prog2.run([x], z2), p + ops.max_pool2d(want_y * 2.0).numpy())


@pytest.mark.parametrize("kw", [dict(pool_size=2, strides=1), dict(pool_size=2, padding="same"),
                                dict(pool_size=3, strides=2)])
def test_overlapping_or_padded_pools_run_unfused_and_right(kw):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 11, 9, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 6)).astype(np.float32)
    prog, y, z = _trace(x.shape, lambda t: (lambda y: (y, ops.max_pool2d(y, **kw)))(
        ops.conv2d(t, w, activation="relu")))
    want = ops.max_pool2d(ops.conv2d(x, w, activation="relu"), **kw).numpy()
    np.testing.assert_array_equal(prog.run([x], z), want)
    np.testing.assert_array_equal(prog.run([x], y), ops.conv2d(x, w, activation="relu").numpy())


def test_model_predict_and_one_sample_match_the_eager_layers():
    """Model.predict and model(x) (both inference programs, fused) against the
    layers run one by one eagerly (unfused), bit for bit, before and after fit
    (whose training program fuses too: see the training tests below)."""
    L = pynn.layers
    pynn.utils.set_random_seed(7)
    m = pynn.Sequential([pynn.Input(shape=(16, 16, 1)), L.Conv2D(8, 3, activation="relu"),
                         L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(),
                         L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(1).random((40, 16, 16, 1), dtype=np.float32)

    def eager(v):
        for layer in m.layers:
            v = layer(v)
        return np.asarray(v)
    np.testing.assert_array_equal(m.predict(x, batch_size=16, verbose=0), eager(x))
    np.testing.assert_array_equal(np.asarray(m(x[:1])), eager(x[:1]))
    m.compile(optimizer="sgd", loss="mse")
    before = m.predict(x, verbose=0)
    h = m.fit(x, np.zeros((40, 3), np.float32), epochs=3, batch_size=8, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    np.testing.assert_array_equal(m.predict(x, batch_size=16, verbose=0), eager(x))
    assert not np.array_equal(m.predict(x, verbose=0), before)


# ---------------------------------------------------------------- training
# A training program fuses the pair too (conv.c conv2d_backward_pooled): the
# conv's output is never written and its gradient never formed; dY comes
# straight from the pooling's gradient and winners. The gradient the optimizer
# gets must be the unfused graph's bit for bit: the reference is the same
# model run eagerly (layer by layer, loss.backward()), where nothing fuses.
L = pynn.layers

TRAIN_CASES = {  # input shape, layers
    # the benchmark CNN (benchmarks/workloads.py case c), smaller: a first layer (no dX, dY
    # formed block by block) and a second one (dX: dY formed in full)
    "benchmark_cnn": ((6, 28, 28, 1), lambda: [
        L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"),
        L.MaxPooling2D()]),
    # odd sizes: 'same' padding (border tiles im2col'd), strides, pool (3, 2) leaving lines and
    # columns under no window, a linear conv with height dilation, F past the AVX-512 NR of 32
    "odd_same_strided": ((3, 13, 11, 3), lambda: [
        L.Conv2D(5, (3, 2), strides=(1, 2), padding="same", activation="relu"), L.MaxPooling2D((3, 2)),
        L.Conv2D(33, 2, dilation_rate=(2, 1), padding="same"), L.MaxPooling2D(2)]),
    "relu6_no_bias_1x1_windows": ((4, 9, 10, 2), lambda: [
        L.Conv2D(7, 3, activation="relu6", use_bias=False), L.MaxPooling2D((1, 1)),
        L.Conv2D(6, 2, activation="relu"), L.MaxPooling2D((2, 3))]),
    # act' needs the pre-activation (tanh): not fused, the unfused graph trains
    "tanh_unfused": ((3, 10, 10, 2), lambda: [L.Conv2D(4, 3, activation="tanh"), L.MaxPooling2D()]),
}


def _train_model(shape, layers, seed):
    pynn.utils.set_random_seed(seed)
    m = pynn.Sequential([pynn.Input(shape=shape[1:])] + layers() + [L.Flatten(), L.Dense(3)])
    m.compile(optimizer=pynn.optimizers.SGD(0.0), loss=pynn.losses.MeanSquaredError())
    return m


def _fit_gradient(m, x, y):
    """The gradient of one batch as the compiled loop hands it to the optimizer."""
    seen = []
    m._gradient_hook = lambda grads, rows: seen.append(grads.copy())
    try:
        m.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    finally:
        m._gradient_hook = None
    assert len(seen) == 1
    return seen[0]


def _eager_gradient(m, x, y):
    m.zero_grad()
    loss = m.loss(pynn.Tensor(y), m(pynn.Tensor(x)))
    loss.backward()
    return np.concatenate([np.asarray(w.value.grad).ravel() for w in m.trainable_weights])


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_training_fusion_has_the_bits_of_the_unfused_gradients(case):
    shape, layers = TRAIN_CASES[case]
    rng = np.random.default_rng(len(case))
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.standard_normal((shape[0], 3)).astype(np.float32)
    m = _train_model(shape, layers, 11)
    want = _eager_gradient(m, x, y)
    assert np.count_nonzero(want) > 0.5 * want.size
    before = pynn.get_num_threads()
    try:
        for threads in (1, 2, 3):
            pynn.set_num_threads(threads)
            got = _fit_gradient(m, x, y)
            assert np.array_equal(got, want), \
                f"{threads} threads: max diff {np.abs(got - want).max()} at {np.argmax(got != want)}"
    finally:
        pynn.set_num_threads(before)


def test_training_fusion_gradient_matches_central_differences():
    """The fused gradient is a right one, not only the unfused one's bits: a
    float64 NumPy model (conv2d_ref, relu, max pooling, dense, MSE)
    differentiated by central differences in every weight."""
    shape = (2, 7, 6, 2)
    m = _train_model(shape, lambda: [L.Conv2D(3, 2, activation="relu"), L.MaxPooling2D()], 5)
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.standard_normal((shape[0], 3)).astype(np.float32)
    got = _fit_gradient(m, x, y)
    sizes = [int(np.prod(w.shape)) for w in m.trainable_weights]
    shapes = [tuple(w.shape) for w in m.trainable_weights]
    flat0 = np.concatenate([np.asarray(w.value).ravel() for w in m.trainable_weights]).astype(np.float64)

    def loss(flat):
        k, b, dk, db = [p.reshape(s) for p, s in zip(np.split(flat, np.cumsum(sizes)[:-1]), shapes)]
        h = np.maximum(conv2d_ref(x.astype(np.float64), k, b), 0)
        z = _max_pool_ref(h, 2, 2).reshape(len(x), -1) @ dk + db
        return np.mean((z - y) ** 2)
    num = np.zeros_like(flat0)
    for j in range(flat0.size):
        e = np.zeros_like(flat0)
        e[j] = 1e-6
        num[j] = (loss(flat0 + e) - loss(flat0 - e)) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-3, atol=1e-5)


def test_a_traced_training_graph_fuses_and_keeps_the_pooled_bits():
    """With a gradient to flow (weights that require it), the program still
    fuses the pair: its conv output is pooled away; the pooled output keeps
    the unfused bits (and the NaN rule)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 12, 12, 2)).astype(np.float32)
    x[1, 3, 3, 1] = np.nan
    w = pynn.Tensor(rng.standard_normal((3, 3, 2, 6)).astype(np.float32), requires_grad=True)
    was = _C.set_tracing(True)
    try:
        ph = _C.placeholder((1, 12, 12, 2))
        y = ops.conv2d(ph, w, activation="relu")
        z = ops.max_pool2d(y)
    finally:
        _C.set_tracing(was)
    prog = _C.Program([z], [ph])
    want = ops.max_pool2d(ops.conv2d(x, w.numpy(), activation="relu")).numpy()
    assert np.array_equal(prog.run([x], z), want, equal_nan=True)
    with pytest.raises(ValueError, match="fuses away"):
        prog.run([x], y)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_fusion_bits_under_every_gemm_kernel(isa):
    """The bits test above under each micro-kernel the CPU runs (forced by
    PYNN_GEMM_ISA in a subprocess)."""
    import test_gemm as tg
    tg.skip_unless_cpu_runs(isa)
    code = ("import pytest, sys\n"
            "from pynn import _C\n"
            f"assert _C.gemm_isa() == {isa!r}, _C.gemm_isa()\n"
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'test_conv_pool_fusion.py', "
            "'-k', 'has_the_bits']))")
    r = tg.run_forced(isa, code)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " passed" in r.stdout and "skipped" not in r.stdout, r.stdout[-2000:]
