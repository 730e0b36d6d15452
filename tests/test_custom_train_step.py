"""Overridable train_step / test_step / predict_step (keras.io's "Customizing what
happens in fit() with PyTorch", https://keras.io/guides/custom_train_step_in_torch/;
the guide's own programs are ported in tests/keras_examples/custom_train_step_*.py):
which loop runs, the default steps against the compiled loop, a GAN-like model with
two optimizers against PyTorch, fitting a model with nothing trainable, bad input."""
import numpy as np
import pytest

import pynn
from pynn.trainer import steps as steps_mod
from loop_spy import LoopSpy


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, :1] - 0.5 * x[:, 1:2] > 0).astype("float32")
    return x, y


def _mlp(model_class=pynn.Model):
    pynn.set_seed(3)
    inputs = pynn.Input(shape=(5,))
    hidden = pynn.layers.Dense(8, activation="relu")(inputs)
    model = model_class(inputs, pynn.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer=pynn.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["mse"])
    return model


class SuperStep(pynn.Model):
    """Overrides the steps with the defaults: runs them in the Python batch loop."""

    def train_step(self, data):
        return super().train_step(data)

    def test_step(self, data):
        return super().test_step(data)


class _Counting:
    """Counts runs of the compiled loop (_C.Loop.run) and calls of the default steps
    while a test runs."""

    def __init__(self, monkeypatch):
        self.loops = LoopSpy(monkeypatch)
        self.train_step = self.test_step = 0
        real_train, real_test = steps_mod.Steps.train_step, steps_mod.Steps.test_step

        def train_step(model, data):
            self.train_step += 1
            return real_train(model, data)

        def test_step(model, data):
            self.test_step += 1
            return real_test(model, data)

        # the base class's own steps replaced: a model that overrides nothing still does not
        # override them, so this counts only what the Python loop calls
        monkeypatch.setattr(steps_mod.Steps, "train_step", train_step)
        monkeypatch.setattr(steps_mod.Steps, "test_step", test_step)

    @property
    def run_loop(self):
        return self.loops.runs


def test_a_model_that_overrides_nothing_keeps_the_compiled_loop(monkeypatch):
    x, y = _data()
    model = _mlp()
    calls = _Counting(monkeypatch)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert calls.train_step == calls.test_step == 0
    assert calls.run_loop == 3 + 1  # one engine call per epoch, one for evaluate


def test_an_overriding_model_runs_its_step_per_batch(monkeypatch):
    x, y = _data()
    model = _mlp(SuperStep)
    calls = _Counting(monkeypatch)
    model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0)
    assert calls.run_loop == 0
    assert calls.train_step == 3 * 5  # 72 training samples: 5 batches of 16 per epoch
    assert calls.test_step == 3 * 2  # 24 validation samples: 2 batches per epoch


def test_the_default_steps_give_the_compiled_loops_numbers():
    """super().train_step / test_step in the Python loop against the C loop, from the
    same weights, shuffled the same way, with sample weights and validation."""
    x, y = _data(100)
    sw = np.linspace(0.5, 1.5, 100).astype("float32")
    runs = {}
    for name, cls in (("compiled", pynn.Model), ("steps", SuperStep)):
        model = _mlp(cls)
        pynn.set_seed(7)  # the shuffles
        h = model.fit(x, y, sample_weight=sw, batch_size=20, epochs=4,
                      validation_data=(x[:30], y[:30]), verbose=0).history
        runs[name] = h, model.get_weights(), model.evaluate(x, y, sample_weight=sw, verbose=0)
    (h1, w1, e1), (h2, w2, e2) = runs["compiled"], runs["steps"]
    assert sorted(h1) == sorted(h2) == ["accuracy", "loss", "mse", "val_accuracy", "val_loss",
                                        "val_mse"]
    for key in h1:
        np.testing.assert_allclose(h2[key], h1[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(w2, w1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e2, e1, rtol=1e-5)
    assert h1["loss"][-1] < 0.8 * h1["loss"][0]  # it learned: the comparison is not idle


def test_custom_step_logs_reach_history_and_callbacks():
    seen = []

    class Recorder(pynn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, dict(logs)))

    class Halving(pynn.Model):
        def train_step(self, data):
            x, y = data
            return {"rows": float(x.shape[0]), "nested": {"half": 0.5 * x.shape[0]}}

    inputs = pynn.Input(shape=(5,))
    model = Halving(inputs, pynn.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(10)
    h = model.fit(x, y, batch_size=4, epochs=2, callbacks=[Recorder()], verbose=0)
    assert h.history == {"rows": [2.0, 2.0], "half": [1.0, 1.0]}  # the last batch: 10 = 4+4+2
    assert [b for b, _ in seen] == [0, 1, 2, 0, 1, 2]
    assert seen[0][1] == {"rows": 4.0, "half": 2.0}


def test_fit_without_targets_hands_the_step_x_alone():
    got = []

    class NoTargets(pynn.Model):
        def train_step(self, data):
            got.append(type(data).__name__ + str(len(data)))
            return {}

    inputs = pynn.Input(shape=(5,))
    model = NoTargets(inputs, pynn.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_data(8)[0], batch_size=8, verbose=0)
    assert got == ["tuple1"]


def test_a_step_that_returns_no_dict_is_refused():
    class Bad(pynn.Model):
        def train_step(self, data):
            return 1.0

    inputs = pynn.Input(shape=(5,))
    model = Bad(inputs, pynn.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="train_step must return a dict of metric values.*float"):
        model.fit(*_data(8), verbose=0)


def test_dp_sgd_refuses_a_custom_train_step():
    from pynn.privacy import DPSGD
    model = _mlp(SuperStep)
    model.compile(optimizer=DPSGD(l2_norm_clip=1.0, noise_multiplier=1.0, learning_rate=0.1),
                  loss="binary_crossentropy")
    with pytest.raises(ValueError, match="overrides train_step.*DP-SGD"):
        model.fit(*_data(16), batch_size=8, verbose=0)


def test_predict_step_override_and_empty_input():
    class Doubled(pynn.Model):
        def predict_step(self, data):
            return self(data, training=False) * 2.0

    inputs = pynn.Input(shape=(5,))
    model = Doubled(inputs, pynn.layers.Dense(2)(inputs))
    x = _data(7)[0]
    plain = pynn.Model(inputs, model.layers[-1].output)
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0),
                               2.0 * plain.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="no samples"):
        model.predict(np.zeros((0, 5), np.float32), verbose=0)


# ---------------------------------------------------------------- nothing trainable
@pytest.mark.parametrize("how", ["frozen model", "frozen layers"])
def test_fit_with_nothing_trainable_computes_the_loss_and_changes_nothing(how):
    """Keras fits such a model: the loss is computed and logged, no weight moves.
    (pynn refused: 'the optimizer was built for 0 parameters, the arena holds 1'.)"""
    x, y = _data(40)
    model = _mlp()
    if how == "frozen model":
        model.trainable = False
    else:
        for layer in model.layers:
            layer.trainable = False
    before = model.get_weights()
    with pytest.warns(UserWarning, match="no trainable weights"):  # as Keras
        h = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0
    w1, b1, w2, b2 = before
    p = 1 / (1 + np.exp(-(np.maximum(x @ w1 + b1, 0) @ w2 + b2)))
    p = np.clip(p, 1e-7, 1 - 1e-7)
    bce = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert h["loss"] == pytest.approx([bce, bce], rel=1e-5)


def test_the_default_train_step_with_nothing_trainable_warns_and_changes_nothing():
    x, y = _data(16)
    model = _mlp(SuperStep)
    model.trainable = False
    before = model.get_weights()
    with pytest.warns(UserWarning, match="no trainable weights"):
        h = model.fit(x, y, batch_size=8, verbose=0).history
    assert h["loss"][0] > 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- two optimizers
LATENT, N, BATCH, STEPS = 3, 32, 8, 4


class GAN(pynn.Model):
    """The guide's GAN, shrunk: a discriminator step on real and generated points with
    its optimizer, then a generator step through the discriminator with the other."""

    def __init__(self, discriminator, generator, latent_vectors):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_vectors = latent_vectors  # per step: two (BATCH, LATENT) draws
        self.step = 0
        self.d_loss_tracker = pynn.metrics.Mean(name="d_loss")
        self.g_loss_tracker = pynn.metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        # Tensors, as keras.random.normal's in the guide (a NumPy array takes the inference
        # fast path of model(x), which records no graph)
        z1, z2 = (pynn.Tensor(z) for z in self.latent_vectors[self.step])
        self.step += 1
        combined = pynn.ops.concatenate([self.generator(z1), real], axis=0)
        labels = pynn.Tensor(np.concatenate([np.ones((BATCH, 1)), np.zeros((BATCH, 1))])
                             .astype("float32"))
        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(combined))
        d_loss.backward()
        grads = [v.value.grad for v in self.discriminator.trainable_weights]
        with pynn.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        self.zero_grad()
        misleading = pynn.Tensor(np.zeros((BATCH, 1), np.float32))
        g_loss = self.loss_fn(misleading, self.discriminator(self.generator(z2)))
        g_loss.backward()
        grads = [v.value.grad for v in self.generator.trainable_weights]
        with pynn.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def _gan_torch(d_weights, g_weights, real, latents):
    """The same algorithm in PyTorch (SGD: both formulas are w -= lr * g)."""
    torch = pytest.importorskip("torch")

    def net(weights, last_act=None):
        (k1, b1), (k2, b2) = weights[:2], weights[2:]
        l1, l2 = torch.nn.Linear(*k1.shape), torch.nn.Linear(*k2.shape)
        with torch.no_grad():
            for layer, k, b in ((l1, k1, b1), (l2, k2, b2)):
                layer.weight.copy_(torch.tensor(k.T))
                layer.bias.copy_(torch.tensor(b))
        return torch.nn.Sequential(l1, torch.nn.ReLU(), l2)

    d, g = net(d_weights), net(g_weights)
    d_opt = torch.optim.SGD(d.parameters(), lr=0.1)
    g_opt = torch.optim.SGD(g.parameters(), lr=0.05)
    bce = torch.nn.BCEWithLogitsLoss()
    d_losses, g_losses = [], []
    for step in range(STEPS):
        z1, z2 = (torch.tensor(z) for z in latents[step])
        batch = torch.tensor(real[step * BATCH:(step + 1) * BATCH])
        labels = torch.cat([torch.ones(BATCH, 1), torch.zeros(BATCH, 1)])
        d_opt.zero_grad()
        d_loss = bce(d(torch.cat([g(z1).detach(), batch])), labels)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = bce(d(g(z2)), torch.zeros(BATCH, 1))
        g_loss.backward()
        g_opt.step()
        d_losses.append(d_loss.item())
        g_losses.append(g_loss.item())
    weights = [p.detach().numpy() for p in list(d.parameters()) + list(g.parameters())]
    return [w.T if w.ndim == 2 else w for w in weights], d_losses, g_losses


def test_a_gan_with_two_optimizers_matches_pytorch():
    rng = np.random.default_rng(5)
    real = rng.normal(loc=2.0, size=(N, 2)).astype("float32")
    latents = [(rng.normal(size=(BATCH, LATENT)).astype("float32"),
                rng.normal(size=(BATCH, LATENT)).astype("float32")) for _ in range(STEPS)]
    pynn.set_seed(11)
    discriminator = pynn.Sequential([pynn.Input(shape=(2,)), pynn.layers.Dense(6, activation="relu"),
                                     pynn.layers.Dense(1)], name="discriminator")
    generator = pynn.Sequential([pynn.Input(shape=(LATENT,)),
                                 pynn.layers.Dense(6, activation="relu"), pynn.layers.Dense(2)],
                                name="generator")
    d0, g0 = discriminator.get_weights(), generator.get_weights()
    gan = GAN(discriminator, generator, latents)
    gan.compile(d_optimizer=pynn.optimizers.SGD(0.1), g_optimizer=pynn.optimizers.SGD(0.05),
                loss_fn=pynn.losses.BinaryCrossentropy(from_logits=True))
    h = gan.fit(real, batch_size=BATCH, epochs=1, shuffle=False, verbose=0).history
    assert gan.step == STEPS
    want, d_losses, g_losses = _gan_torch(d0, g0, real, latents)
    got = discriminator.get_weights() + generator.get_weights()
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert h["d_loss"] == pytest.approx([np.mean(d_losses)], rel=1e-5)
    assert h["g_loss"] == pytest.approx([np.mean(g_losses)], rel=1e-5)
    assert not np.allclose(got[0], d0[0]) and not np.allclose(got[4], g0[0])  # both trained


def test_train_on_batch_and_evaluate_without_targets_use_the_custom_steps():
    seen = []

    class Steps(pynn.Model):
        def train_step(self, data):
            x, y = data
            seen.append(("train", x.shape[0]))
            return {"loss": float(pynn.ops.mean((self(x, training=True) - y) ** 2))}

        def test_step(self, data):
            seen.append(("test", len(data)))
            return {"mean_output": float(pynn.ops.mean(self(data[0])))}

    inputs = pynn.Input(shape=(5,))
    model = Steps(inputs, pynn.layers.Dense(1, kernel_initializer="ones")(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(6)
    want = float(np.mean((x.sum(axis=1, keepdims=True) - y) ** 2))
    assert model.train_on_batch(x, y) == pytest.approx(want, rel=1e-6)
    # evaluate(x) without targets: the step gets (x,), and its logs come back
    assert model.evaluate(x, batch_size=6, verbose=0, return_dict=True) == \
        pytest.approx({"mean_output": float(x.sum(axis=1).mean())}, rel=1e-6)
    assert seen == [("train", 6), ("test", 1)]
