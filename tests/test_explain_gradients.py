"""Gradient attributions (IntegratedGradients, Saliency, InputXGradient): Captum's
published anchor, completeness, analytic gradients, and Captum itself on the same
model where it is installed."""
import numpy as np
import pytest

import pynn
from pynn import ops
from pynn.explain import InputXGradient, IntegratedGradients, Saliency
from pynn.layers import Dense


def basic_model2(t):
    """Captum's BasicModel2: F(x1, x2) = ReLU(ReLU(x1) - 1 - ReLU(x2))."""
    return ops.relu(ops.relu(t[:, 0]) - 1.0 - ops.relu(t[:, 1]))


def basic_model2_as_layers():
    """The same function built from Dense layers with fixed weights."""
    inp = pynn.Input(shape=(2,))
    h = Dense(2, activation="relu")(inp)
    out = Dense(1, activation="relu")(h)
    model = pynn.Model(inp, out)
    # a functional model lists its InputLayer first (Keras 3 does): the Dense are 1 and 2
    model.layers[1].set_weights([np.eye(2), np.zeros(2)])
    model.layers[2].set_weights([np.array([[1.0], [-1.0]]), np.array([-1.0])])
    return model


def tanh_mlp(seed=0, n_in=5, n_hidden=7, n_out=3):
    rng = np.random.default_rng(seed)
    model = pynn.Sequential([pynn.Input(shape=(n_in,)), Dense(n_hidden, activation="tanh"),
                             Dense(n_out)])
    model.set_weights([rng.normal(0, 0.8, (n_in, n_hidden)), rng.normal(0, 0.3, n_hidden),
                       rng.normal(0, 0.8, (n_hidden, n_out)), rng.normal(0, 0.3, n_out)])
    return model


def tanh_mlp_grad(model, x, target):
    """Analytic ∂F[target]/∂x of Dense(tanh) -> Dense, in float64."""
    w1, b1, w2, _ = [w.astype(np.float64) for w in model.get_weights()]
    h = np.tanh(x.astype(np.float64) @ w1 + b1)
    return ((1 - h ** 2) * w2[:, target]) @ w1.T


# ---------------------------------------------------------------- the anchor
@pytest.mark.parametrize("make", [lambda: basic_model2, basic_model2_as_layers],
                         ids=["function", "model"])
def test_integrated_gradients_captum_anchor(make):
    attr, delta = IntegratedGradients(make()).attribute(np.array([[3.0, 1.0]]),
                                                          return_convergence_delta=True)
    np.testing.assert_allclose(attr, [[1.5, -0.5]], atol=1e-6)
    np.testing.assert_allclose(delta, [0.0], atol=1e-6)


def test_riemann_rules_on_the_anchor():
    """Along the path α·(3, 1), F = ReLU(2α - 1): the gradient is (1, -1) for α > 1/2
    and 0 below, so each rule gives (3, -1) times its weight on nodes past 1/2
    (Captum's nodes: left 0..1-1/n, right 1/n..1, middle, trapezoid halves the ends)."""
    ig = IntegratedGradients(basic_model2)
    x = np.array([[3.0, 1.0]])
    n = 50
    for method, alphas, w in [
        ("riemann_left", np.arange(n) / n, np.full(n, 1 / n)),
        ("riemann_right", np.arange(1, n + 1) / n, np.full(n, 1 / n)),
        ("riemann_middle", (np.arange(n) + 0.5) / n, np.full(n, 1 / n)),
        ("riemann_trapezoid", np.linspace(0, 1, n), np.r_[0.5, np.ones(n - 2), 0.5] / n),
    ]:
        s = w[2 * alphas - 1 > 0].sum()
        np.testing.assert_allclose(ig.attribute(x, method=method, n_steps=n), [[3 * s, -s]],
                                   atol=1e-6, err_msg=method)


# ---------------------------------------------------------------- properties
def test_completeness_delta_shrinks_with_n_steps():
    model = tanh_mlp()
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1.5, (6, 5))
    ig = IntegratedGradients(model)
    for method in ("riemann_trapezoid", "riemann_left", "gausslegendre"):
        deltas = [np.abs(ig.attribute(x, target=2, n_steps=n, method=method,
                                      return_convergence_delta=True)[1]).max()
                  for n in (2, 4, 16)]
        assert deltas[0] > deltas[1] > deltas[2] or deltas[2] < 1e-5, (method, deltas)
    _, delta = ig.attribute(x, target=2, n_steps=50, return_convergence_delta=True)
    assert np.abs(delta).max() < 1e-4  # Gauss-Legendre with 50 nodes on a smooth model


def test_internal_batch_size_and_per_example_targets():
    model = tanh_mlp()
    x = np.random.default_rng(2).normal(size=(5, 5))
    targets = [0, 2, 1, 1, 0]
    ig = IntegratedGradients(model)
    whole = ig.attribute(x, target=targets, n_steps=20)
    chunked = ig.attribute(x, target=targets, n_steps=20, internal_batch_size=7)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    for i, t in enumerate(targets):  # each example explained alone gives the same row
        np.testing.assert_allclose(ig.attribute(x[i:i + 1], target=t, n_steps=20)[0], whole[i],
                                   rtol=1e-5, atol=1e-6)


def test_linear_model_attribution_is_exact():
    """F = w·x + c: IG = w (x - x') whatever the rule and the number of steps."""
    model = pynn.Sequential([pynn.Input(shape=(4,)), Dense(1)])
    w = np.array([[0.5], [-2.0], [1.0], [3.0]])
    model.set_weights([w, np.array([0.25])])
    x = np.array([[1.0, 2.0, -1.0, 0.5], [0.0, 1.0, 2.0, -3.0]])
    base = np.array([0.5, -1.0, 0.0, 1.0])
    for method in ("gausslegendre", "riemann_middle"):
        attr = IntegratedGradients(model).attribute(x, baselines=base, n_steps=3, method=method)
        np.testing.assert_allclose(attr, w[:, 0] * (x - base), rtol=1e-6)
    attr = IntegratedGradients(model).attribute(x, baselines=1.0, n_steps=2)
    np.testing.assert_allclose(attr, w[:, 0] * (x - 1.0), rtol=1e-6)
    raw = IntegratedGradients(model, multiply_by_inputs=False).attribute(x, n_steps=2)
    np.testing.assert_allclose(raw, np.broadcast_to(w[:, 0], x.shape), rtol=1e-6)


def test_saliency_and_input_x_gradient_match_the_analytic_gradient():
    model = tanh_mlp(seed=3)
    x = np.random.default_rng(4).normal(size=(8, 5)).astype(np.float32)
    g = tanh_mlp_grad(model, x, 1)
    np.testing.assert_allclose(Saliency(model).attribute(x, target=1), np.abs(g), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(Saliency(model).attribute(x, target=1, abs=False), g, rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(InputXGradient(model).attribute(x, target=1), x * g, rtol=1e-4,
                               atol=1e-6)


def test_relu_derivative_at_zero_is_zero():
    x = np.array([[0.0, 2.0, -1.0]])
    np.testing.assert_array_equal(Saliency(lambda t: ops.relu(t).sum(axis=1)).attribute(x),
                                  [[0.0, 1.0, 0.0]])


def test_explaining_leaves_the_model_untouched():
    model = tanh_mlp()
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    model._grads[...] = 7.0
    flags = [v._tensor.requires_grad for v in model.weights]
    IntegratedGradients(model).attribute(np.ones((3, 5)), target=0, n_steps=8)
    Saliency(model).attribute(np.ones((3, 5)), target=0)
    assert np.all(model._grads == 7.0)  # no weight gradient was accumulated
    assert [v._tensor.requires_grad for v in model.weights] == flags
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pynn.no_grad():  # works inside no_grad too
        Saliency(model).attribute(np.ones((1, 5)), target=0)


# ---------------------------------------------------------------- bad input
def test_bad_input_errors():
    model = tanh_mlp()
    ig = IntegratedGradients(model)
    x = np.ones((2, 5))
    with pytest.raises(ValueError, match="target"):
        ig.attribute(x)  # three outputs per example and no target
    with pytest.raises(ValueError, match="target 3"):
        ig.attribute(x, target=3)
    with pytest.raises(ValueError, match="2 entries for 3 examples|3 entries for 2 examples"):
        ig.attribute(x, target=[0, 1, 2])
    with pytest.raises(ValueError, match="method must be one of"):
        ig.attribute(x, target=0, method="simpson")
    with pytest.raises(ValueError, match="n_steps >= 2"):
        ig.attribute(x, target=0, method="riemann_left", n_steps=1)
    with pytest.raises(ValueError, match="do not broadcast"):
        ig.attribute(x, target=0, baselines=np.zeros(3))
    with pytest.raises(ValueError, match="batch axis"):
        ig.attribute(np.ones(5), target=0)
    with pytest.raises(ValueError, match="internal_batch_size"):
        ig.attribute(x, target=0, internal_batch_size=0)
    with pytest.raises(TypeError, match="numeric array"):
        Saliency(model).attribute([["a", "b"]])
    with pytest.raises(TypeError, match="pynn Model or a callable"):
        Saliency(42).attribute(x)
    with pytest.raises(TypeError, match="must return a pynn.Tensor"):
        Saliency(lambda t: 1.0).attribute(x)


# ---------------------------------------------------------------- Captum itself
def _torch_copy(model):
    torch = pytest.importorskip("torch")
    w1, b1, w2, b2 = model.get_weights()
    net = torch.nn.Sequential(torch.nn.Linear(*w1.shape), torch.nn.Tanh(), torch.nn.Linear(*w2.shape))
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(w1.T.copy()))
        net[0].bias.copy_(torch.from_numpy(b1))
        net[2].weight.copy_(torch.from_numpy(w2.T.copy()))
        net[2].bias.copy_(torch.from_numpy(b2))
    return net


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_left", "riemann_right",
                                    "riemann_middle", "riemann_trapezoid"])
def test_integrated_gradients_matches_captum(method):
    torch = pytest.importorskip("torch")
    captum_attr = pytest.importorskip("captum.attr")
    model = tanh_mlp(seed=5)
    net = _torch_copy(model)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    base = rng.normal(size=(1, 5)).astype(np.float32)
    targets = [2, 0, 1, 2]
    ref, ref_delta = captum_attr.IntegratedGradients(net).attribute(
        torch.from_numpy(x), baselines=torch.from_numpy(base), target=targets, n_steps=9,
        method=method, return_convergence_delta=True)
    attr, delta = IntegratedGradients(model).attribute(x, baselines=base, target=targets, n_steps=9,
                                                       method=method, return_convergence_delta=True)
    np.testing.assert_allclose(attr, ref.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(delta, ref_delta.numpy(), atol=1e-5)


def test_saliency_and_input_x_gradient_match_captum():
    torch = pytest.importorskip("torch")
    captum_attr = pytest.importorskip("captum.attr")
    model = tanh_mlp(seed=7)
    net = _torch_copy(model)
    x = np.random.default_rng(8).normal(size=(6, 5)).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    np.testing.assert_allclose(Saliency(model).attribute(x, target=0),
                               captum_attr.Saliency(net).attribute(tx, target=0).numpy(),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(InputXGradient(model).attribute(x, target=2),
                               captum_attr.InputXGradient(net).attribute(tx, target=2).detach().numpy(),
                               rtol=1e-4, atol=1e-6)


def test_integrated_gradients_on_a_conv_net_over_images():
    """Channels-last images through Conv2D: attributions keep the image shape and
    complete the output difference (tanh keeps the path integrand smooth)."""
    from pynn.layers import Conv2D, Flatten
    pynn.set_seed(1)
    model = pynn.Sequential([pynn.Input(shape=(8, 8, 2)), Conv2D(3, 3, activation="tanh"),
                             Flatten(), Dense(4, activation="softmax")])
    x = np.random.default_rng(9).normal(size=(3, 8, 8, 2)).astype(np.float32)
    attr, delta = IntegratedGradients(model).attribute(x, target=[0, 1, 3], n_steps=32,
                                                       internal_batch_size=40,
                                                       return_convergence_delta=True)
    assert attr.shape == x.shape
    assert np.abs(delta).max() < 1e-4
    sal = Saliency(model).attribute(x, target=2)
    assert sal.shape == x.shape and np.all(sal >= 0) and sal.max() > 0
