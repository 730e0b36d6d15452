"""PyTorch models ported to pynn with their weights copied over: an MLP, a CNN
with BatchNorm (NCHW -> channels-last, torch's (C, H, W) flatten order mapped into
the Dense kernel) and Embedding + LSTM / GRU text classifiers give the same
outputs, the same loss and the same gradients for every weight and for the input;
SGD with momentum then takes the same steps. Skipped without torch."""
import numpy as np
import pytest

import pynn
from pynn import layers

torch = pytest.importorskip("torch")
nn = torch.nn

RTOL, ATOL = 1e-4, 1e-5


def close(got, want, what):
    want = np.asarray(want, np.float64)
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=RTOL,
                               atol=ATOL * max(1.0, float(np.abs(want).max())), err_msg=what)


def t(a):
    return torch.tensor(np.asarray(a, np.float32))


def grads_of(model):
    """The gradient of every weight of a pynn model, in model.weights order (zeros
    for the non-trainable ones, such as BatchNormalization's moving statistics)."""
    out = []
    for layer in model.layers:
        for var in layer.weights:
            g = layer.tensor(var).grad
            if var.trainable:
                assert g is not None and np.any(g != 0), f"no gradient reached {var.name}"
            out.append(np.zeros(var.shape, np.float32) if not var.trainable else np.array(g))
    return out


def pynn_backward(model, x, loss):
    """loss(model(x)) and its gradients (weights, then input) in eager mode."""
    xt = pynn.Tensor(np.asarray(x, np.float32), requires_grad=True)
    value = loss(model(xt, training=True))
    value.backward()
    return float(value.numpy()), grads_of(model), xt.grad


# ---------------------------------------------------------------- MLP
def mlp_pair(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 4))
    model = pynn.Sequential([pynn.Input((8,)), layers.Dense(16, activation="relu"),
                             layers.Dense(16, activation="tanh"), layers.Dense(4)])
    linears = [m for m in net if isinstance(m, nn.Linear)]
    # torch's Linear is y = x W^T + b with W (out, in); Keras' kernel is (in, out)
    model.set_weights([a for m in linears for a in (m.weight.detach().numpy().T,
                                                     m.bias.detach().numpy())])
    return net, model, linears


def test_mlp_forward_loss_and_gradients_match_torch():
    net, model, linears = mlp_pair()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(12, 8)).astype("float32"), rng.integers(0, 4, 12)
    close(model.predict(x, verbose=0), net(t(x)).detach().numpy(), "forward")

    xt = t(x).requires_grad_(True)
    tloss = nn.functional.cross_entropy(net(xt), torch.tensor(y))
    tloss.backward()
    ce = pynn.losses.SparseCategoricalCrossentropy(from_logits=True)
    ploss, pgrads, pxgrad = pynn_backward(model, x, lambda out: ce(y, out))
    close(ploss, tloss.item(), "loss")
    want = [a for m in linears for a in (m.weight.grad.numpy().T, m.bias.grad.numpy())]
    for i, (g, w) in enumerate(zip(pgrads, want)):
        close(g, w, f"gradient of weight {i}")
    close(pxgrad, xt.grad.numpy(), "gradient of the input")


def test_mlp_sgd_momentum_steps_match_torch():
    """Keras' momentum (m = μm - lr·g; w += m) and torch's (b = μb + g; w -= lr·b)
    are the same steps at a constant learning rate."""
    net, model, linears = mlp_pair(seed=3)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(40, 8)).astype("float32"), rng.normal(size=(40, 4)).astype("float32")
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    model.compile(optimizer=pynn.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    history = model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    losses = []
    for _ in range(2):
        total = 0.0
        for i in range(0, 40, 10):
            opt.zero_grad()
            loss = nn.functional.mse_loss(net(t(x[i:i + 10])), t(y[i:i + 10]))
            loss.backward()
            opt.step()
            total += loss.item() * 10
        losses.append(total / 40)
    close(history.history["loss"], losses, "epoch losses")
    for m, (k, b) in zip(linears, zip(*[iter(model.get_weights())] * 2)):
        close(k, m.weight.detach().numpy().T, "kernel after training")
        close(b, m.bias.detach().numpy(), "bias after training")


# ---------------------------------------------------------------- CNN
def test_cnn_with_batchnorm_matches_torch():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6, eps=1e-3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Conv2d(6, 4, 3, stride=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 2 * 2, 5))
    with torch.no_grad():  # BatchNorm with a non-trivial scale and shift
        net[1].weight.uniform_(0.5, 1.5)
        net[1].bias.uniform_(-0.5, 0.5)
    net.train()
    model = pynn.Sequential([pynn.Input((8, 8, 3)), layers.Conv2D(6, 3, padding="same"),
                             layers.BatchNormalization(epsilon=1e-3), layers.Activation("relu"),
                             layers.MaxPooling2D(2), layers.Conv2D(4, 3, activation="relu"),
                             layers.Flatten(), layers.Dense(5)])
    conv1, bn, conv2, fc = net[0], net[1], net[4], net[7]

    def kernel(conv):  # torch (out, in, kh, kw) -> Keras (kh, kw, in, out)
        return conv.weight.detach().numpy().transpose(2, 3, 1, 0)

    def dense(w):  # rows of torch's Linear follow its (C, H, W) flatten; pynn's are (H, W, C)
        return w.reshape(5, 4, 2, 2).transpose(2, 3, 1, 0).reshape(16, 5)

    fc_w = fc.weight.detach().numpy()
    model.set_weights([kernel(conv1), conv1.bias.detach().numpy(), bn.weight.detach().numpy(),
                       bn.bias.detach().numpy(), np.zeros(6), np.ones(6), kernel(conv2),
                       conv2.bias.detach().numpy(), dense(fc_w), fc.bias.detach().numpy()])

    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 3, 8, 8)).astype("float32")  # NCHW for torch
    y = rng.integers(0, 5, 6)
    xt = t(x).requires_grad_(True)
    out = net(xt)  # training mode: batch statistics, as pynn's training=True
    tloss = nn.functional.cross_entropy(out, torch.tensor(y))
    tloss.backward()
    ce = pynn.losses.SparseCategoricalCrossentropy(from_logits=True)
    x_nhwc = x.transpose(0, 2, 3, 1)
    close(model(pynn.Tensor(x_nhwc), training=True).numpy(), out.detach().numpy(), "forward")
    ploss, g, gx = pynn_backward(model, x_nhwc, lambda o: ce(y, o))
    close(ploss, tloss.item(), "loss")
    want = [conv1.weight.grad.numpy().transpose(2, 3, 1, 0), conv1.bias.grad.numpy(),
            bn.weight.grad.numpy(), bn.bias.grad.numpy(), np.zeros(6), np.zeros(6),
            conv2.weight.grad.numpy().transpose(2, 3, 1, 0), conv2.bias.grad.numpy(),
            dense(fc.weight.grad.numpy()), fc.bias.grad.numpy()]
    for i, (a, b) in enumerate(zip(g, want)):
        close(a, b, f"gradient of weight {i} ({model.weights[i].name})")
    close(gx, xt.grad.numpy().transpose(0, 2, 3, 1), "gradient of the input")


# ---------------------------------------------------------------- text: Embedding + RNN
class TorchText(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.rnn = getattr(nn, cell)(6, 5, batch_first=True)
        self.fc = nn.Linear(5, 1)

    def forward(self, ids):
        seq, _ = self.rnn(self.emb(ids))
        return self.fc(seq[:, -1])


def _rnn_weights(rnn, cell):
    """torch's (W_ih, W_hh, b_ih, b_hh) as Keras' (kernel, recurrent_kernel, bias)."""
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b_ih, b_hh = rnn.bias_ih_l0.detach().numpy(), rnn.bias_hh_l0.detach().numpy()
    if cell == "LSTM":  # same gate order (i, f, g=c, o); Keras has one bias
        return [w_ih.T, w_hh.T, b_ih + b_hh]
    u = w_hh.shape[1]  # GRU: torch (r, z, n) -> Keras (z, r, h); reset_after=True: two biases
    order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
    return [w_ih[order].T, w_hh[order].T, np.stack([b_ih[order], b_hh[order]])]


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_embedding_rnn_classifier_matches_torch(cell):
    torch.manual_seed(6)
    net = TorchText(cell)
    model = pynn.Sequential([pynn.Input((7,)), layers.Embedding(20, 6),
                             getattr(layers, cell)(5), layers.Dense(1)])
    model.set_weights([net.emb.weight.detach().numpy(), *_rnn_weights(net.rnn, cell),
                       net.fc.weight.detach().numpy().T, net.fc.bias.detach().numpy()])
    rng = np.random.default_rng(7)
    ids, y = rng.integers(0, 20, size=(9, 7)), rng.integers(0, 2, size=(9, 1)).astype("float32")
    out = net(torch.tensor(ids))
    close(model.predict(ids, verbose=0), out.detach().numpy(), "forward")
    tloss = nn.functional.binary_cross_entropy_with_logits(out, t(y))
    tloss.backward()
    bce = pynn.losses.BinaryCrossentropy(from_logits=True)
    ploss, g, _ = pynn_backward(model, ids, lambda o: bce(y, o))
    close(ploss, tloss.item(), "loss")
    grad = lambda p: p.grad.numpy()  # noqa: E731
    rnn = net.rnn
    if cell == "LSTM":
        np.testing.assert_allclose(grad(rnn.bias_ih_l0), grad(rnn.bias_hh_l0), rtol=1e-6)
        want_rnn = [grad(rnn.weight_ih_l0).T, grad(rnn.weight_hh_l0).T, grad(rnn.bias_ih_l0)]
    else:
        u = 5
        order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
        want_rnn = [grad(rnn.weight_ih_l0)[order].T, grad(rnn.weight_hh_l0)[order].T,
                    np.stack([grad(rnn.bias_ih_l0)[order], grad(rnn.bias_hh_l0)[order]])]
    want = [grad(net.emb.weight), *want_rnn, grad(net.fc.weight).T, grad(net.fc.bias)]
    for i, (a, b) in enumerate(zip(g, want)):
        close(a, b, f"gradient of weight {i} ({model.weights[i].name})")
