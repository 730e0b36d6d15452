"""pynn.ops.custom_gradient (keras.ops.custom_gradient, https://keras.io/api/ops/core/
#custom_gradient-function): the value of f, the gradient grad_fn gives, in eager code
and in a compiled model's fit, against central differences of the function whose
derivative grad_fn is, and against Keras 3 (torch backend) side by side.

Cases from published code: Keras' own log1pexp (its docstring and
keras/src/ops/core_test.py::test_custom_gradient), a gradient reversal layer
(domain-adversarial training, Ganin & Lempitsky 2015), a straight-through rounding
quantizer (fixed-point quantizers, as the Keras-based hgq-style quantizers write it)."""
import numpy as np
import pytest

import pynn
from pynn import layers, ops
from gradcheck import numeric_grad
from keras_ref import keras_or_skip


def _log1pexp(o):
    @o.custom_gradient
    def log1pexp(x):
        e = o.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return o.multiply(upstream, 1.0 - 1.0 / o.add(1, e))

        return o.log(1 + e), grad
    return log1pexp


def _reverse(o, lam=0.5):
    @o.custom_gradient
    def reverse(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return -lam * upstream
        return x * 1.0, grad
    return reverse


def _round_ste(o):
    @o.custom_gradient
    def round_ste(x):
        def grad(*args, upstream=None):  # straight through, zero outside the range
            if upstream is None:
                (upstream,) = args
            return upstream * o.cast(o.less_equal(o.abs(x), 2.0), "float32")
        return o.round(x * 4.0) / 4.0, grad
    return round_ste


X = np.array([[-3.0, -1.3, -0.2, 0.4], [1.1, 2.6, 0.05, -2.2]], np.float32)


def test_log1pexp_value_and_gradient_are_stable_where_autodiff_is_not():
    # Keras' docstring case: at x = 100 exp overflows, the naive gradient is NaN
    f = _log1pexp(ops)
    x = pynn.Tensor(np.array([100.0], np.float32), requires_grad=True)
    y = f(x)
    y.sum().backward()
    assert np.isinf(y.numpy()).all() or np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(x.grad, [1.0])


@pytest.mark.parametrize("case", ["log1pexp", "reverse", "round_ste"])
def test_eager_gradient_against_central_differences(case):
    f = {"log1pexp": _log1pexp, "reverse": _reverse, "round_ste": _round_ste}[case](ops)
    # the function whose derivative each grad_fn is, in float64
    ref = {"log1pexp": lambda x: np.log1p(np.exp(x)),
           "reverse": lambda x: -0.5 * x,
           "round_ste": lambda x: np.where(np.abs(x) <= 2.0, x, 0.0)}[case]
    value = {"log1pexp": lambda x: np.log1p(np.exp(x)), "reverse": lambda x: x,
             "round_ste": lambda x: np.round(x * 4.0) / 4.0}[case]
    w = np.random.default_rng(0).normal(size=X.shape)
    x = pynn.Tensor(X, requires_grad=True)
    y = f(x)
    np.testing.assert_allclose(y.numpy(), value(X.astype(np.float64)), rtol=1e-6, atol=1e-6)
    (y * w.astype(np.float32)).sum().backward()
    want = numeric_grad(ref, [X.astype(np.float64)], w, 0)
    np.testing.assert_allclose(x.grad, want, rtol=1e-4, atol=1e-5)


def test_matches_keras_eagerly():
    keras = keras_or_skip()
    import torch
    w = np.random.default_rng(1).normal(size=X.shape).astype(np.float32)
    for make in (_log1pexp, _reverse, _round_ste):
        xt = torch.tensor(X, requires_grad=True)
        yt = make(keras.ops)(xt)
        (yt * torch.tensor(w)).sum().backward()
        xp = pynn.Tensor(X, requires_grad=True)
        yp = make(ops)(xp)
        (yp * w).sum().backward()
        np.testing.assert_allclose(yp.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(xp.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def _dann(lib):
    """A gradient reversal layer between a feature extractor and a head (the
    domain-adversarial pattern): the features' weights move against the head's loss."""
    reverse = _reverse(lib.ops, lam=0.7)

    class GradientReversal(lib.layers.Layer):
        def call(self, x):
            return reverse(x)

    inp = lib.Input((4,))
    h = lib.layers.Dense(3, activation="tanh")(inp)
    out = lib.layers.Dense(1)(GradientReversal()(h))
    model = lib.Model(inp, out)
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_gradient_reversal_in_fit_matches_keras():
    # a compiled model (the traced program, batches of 4 and 3): weights after fit
    keras = keras_or_skip()
    x = np.random.default_rng(2).normal(size=(7, 4)).astype(np.float32)
    y = np.random.default_rng(3).normal(size=(7, 1)).astype(np.float32)
    kmodel, model = _dann(keras), _dann(pynn)
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    h = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    kh = kmodel.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, kh, rtol=1e-5)
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_gradient_reversal_flips_the_features_update():
    # without Keras: the first layer's step with the reversal is -0.7 times the step of
    # the same model with an identity there (same weights, one SGD step on one batch)
    x = np.random.default_rng(4).normal(size=(5, 4)).astype(np.float32)
    y = np.random.default_rng(5).normal(size=(5, 1)).astype(np.float32)
    model = _dann(pynn)
    start = model.get_weights()
    plain = pynn.Sequential([pynn.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(1)])
    plain.compile(optimizer=pynn.optimizers.SGD(learning_rate=0.05), loss="mse")
    plain.set_weights(start)
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    plain.fit(x, y, batch_size=5, epochs=1, verbose=0)
    step = model.get_weights()[0] - start[0]
    plain_step = plain.get_weights()[0] - start[0]
    np.testing.assert_allclose(step, -0.7 * plain_step, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(model.get_weights()[2], plain.get_weights()[2], rtol=1e-5)


def test_two_arguments_and_a_constant():
    @ops.custom_gradient
    def scaled_product(a, b, k):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return upstream * b * k, upstream * a, None
        return a * b * k, grad

    a = pynn.Tensor(X, requires_grad=True)
    b = pynn.Tensor(X[::-1].copy(), requires_grad=True)
    scaled_product(a, b, 3.0).sum().backward()
    np.testing.assert_allclose(a.grad, X[::-1] * 3.0, rtol=1e-6)
    np.testing.assert_allclose(b.grad, X, rtol=1e-6)


def test_tensorflow_style_grad_fn():
    @ops.custom_gradient
    def double_grad(x):
        def grad(dy):
            return dy * 2.0
        return x + 0.0, grad

    x = pynn.Tensor(X, requires_grad=True)
    double_grad(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(X.shape, 2.0, np.float32))


def test_a_gradient_that_is_not_elementwise_is_refused_by_name():
    @ops.custom_gradient
    def summed(x):
        def grad(*args, upstream=None):
            return ops.broadcast_to(ops.sum(upstream, axis=0, keepdims=True), upstream.shape)
        return x * 1.0, grad

    @ops.custom_gradient
    def clipped(x):
        def grad(*args, upstream=None):
            return ops.clip(upstream, -1.0, 1.0)
        return x * 1.0, grad

    x = pynn.Tensor(X, requires_grad=True)
    for f in (summed, clipped):
        with pytest.raises(ValueError, match=rf"custom_gradient: the gradient {f.__name__}\(\) "
                                             r"gives to argument 0 is not upstream times a "
                                             r"factor"):
            f(x)
    with pytest.raises(ValueError, match=r"must return \(output, grad_fn\)"):
        ops.custom_gradient(lambda x: x)(x)
