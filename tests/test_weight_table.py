"""Weights live where they are born (issue #11): a model trains each layer's own
Variable in place through its weight table, never a copy or a moved one.

These are the cases a model that gathered weights into its own arena got wrong:
a weight the layer also keeps in a list, a dict or a plain sub-object, layers
frozen and unfrozen between fits, two models sharing a layer trained in turn, a
model used as a layer; and `layer.kernel` must stay the same object throughout.
Every expected value comes from an independent computation (a float64 NumPy
step, or a model with its own copy of the weights trained the same way)."""
import numpy as np
import pytest

import pynn
from pynn import _C
from pynn.layers import Dense

LR = 0.1


def _data(n=8, d=3, out=1, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)).astype(np.float32),
            rng.standard_normal((n, out)).astype(np.float32))


class _Holder:
    """A plain object (not a layer) that a custom layer keeps a weight in."""


class ScatteredWeights(pynn.layers.Layer):
    """y = (x @ ws[0]) * table["scale"] + holder.bias: its weights are kept in a
    list, a dict and a sub-object as well as by the layer (add_weight)."""

    def build(self, input_shape):
        self.ws = [self.add_weight(shape=(input_shape[-1], 2), initializer="glorot_uniform",
                                   name="kernel")]
        self.table = {"scale": self.add_weight(shape=(2,), initializer="ones", name="scale")}
        self.holder = _Holder()
        self.holder.bias = self.add_weight(shape=(2,), initializer="zeros", name="bias")

    def call(self, x):
        scaled = pynn.ops.matmul(x, self.tensor(self.ws[0])) * self.tensor(self.table["scale"])
        return scaled + self.tensor(self.holder.bias)


def _sgd_step_reference(x, y, kernel, scale, bias):
    """One full-batch SGD step of ScatteredWeights under MSE, in float64."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    kernel, scale, bias = (a.astype(np.float64) for a in (kernel, scale, bias))
    h = x @ kernel
    pred = h * scale + bias
    g = 2.0 * (pred - y) / pred.size  # d mean((pred - y)^2) / d pred
    return (kernel - LR * x.T @ (g * scale), scale - LR * (g * h).sum(0),
            bias - LR * g.sum(0))


def test_a_weight_kept_in_a_list_a_dict_or_a_sub_object_trains():
    x, y = _data(out=2)
    pynn.set_seed(1)
    layer = ScatteredWeights()
    model = pynn.Sequential([pynn.Input(shape=(3,)), layer])
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    held = (layer.ws[0], layer.table["scale"], layer.holder.bias)
    start = [np.array(w) for w in held]
    assert start[1].tolist() == [1.0, 1.0] and start[2].tolist() == [0.0, 0.0]
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    # the objects the layer uses are the ones trained, by one exact SGD step
    assert layer.ws[0] is held[0] and layer.table["scale"] is held[1] and layer.holder.bias is held[2]
    for got, want in zip(held, _sgd_step_reference(x, y, *start)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(held[1], start[1])  # each of them moved
    assert not np.allclose(held[2], start[2])
    # and the model predicts with them
    want = (x @ held[0]) * held[1] + held[2]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def _mlp(seed=0, out=1):
    pynn.set_seed(seed)
    return pynn.Sequential([pynn.Input(shape=(3,)), Dense(4, activation="tanh"), Dense(out)])


def test_freeze_and_unfreeze_between_fits_keep_the_same_objects():
    x, y = _data()
    model = _mlp()
    first, second = model.layers
    kernel, bias = first.kernel, first.bias
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert first.kernel is kernel and model.weights[0] is kernel

    first.trainable = False  # Keras: compile again after changing `trainable`
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    frozen = np.array(kernel), np.array(bias)
    other = np.array(second.kernel)
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(kernel, frozen[0])  # not one bit moved
    np.testing.assert_array_equal(bias, frozen[1])
    assert not np.allclose(second.kernel, other)
    assert [w.path for w in model.trainable_weights] == [second.kernel.path, second.bias.path]
    assert model._gradient_arena_layout()[0][1:] == (0, 4)  # the table: the second layer only

    first.trainable = True
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(kernel, frozen[0])  # trains again, in the same memory
    assert first.kernel is kernel and first.bias is bias
    assert any(w is kernel for w in model.trainable_weights)


def _clone_with_values(model, out):
    """A model of the same architecture with its own weights, set to model's values."""
    clone = _mlp(seed=99, out=out)
    clone.set_weights(model.get_weights())
    clone.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    return clone


def test_two_models_sharing_a_layer_trained_in_turn_see_each_others_updates():
    x, y1 = _data(out=1, seed=2)
    _, y2 = _data(out=2, seed=3)
    pynn.set_seed(0)
    shared = Dense(4, activation="tanh")
    inputs = pynn.Input(shape=(3,))
    features = shared(inputs)
    a = pynn.Model(inputs, Dense(1)(features))
    b = pynn.Model(inputs, Dense(2)(features))
    for m in (a, b):
        m.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    kernel = shared.kernel
    for model, y, out in ((a, y1, 1), (b, y2, 2), (a, y1, 1), (b, y2, 2)):
        # what a model with its own copy of the current values does in this fit
        reference = _clone_with_values(model, out)
        reference.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        for got, want in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_array_equal(got, want)
        assert shared.kernel is kernel
        np.testing.assert_array_equal(kernel, reference.layers[0].kernel)  # the shared memory


def test_a_model_used_as_a_layer_trains_the_inner_models_weights():
    x, y = _data()
    inner = _mlp(out=2)
    kernel = inner.layers[0].kernel
    outer = pynn.Sequential([pynn.Input(shape=(3,)), inner, Dense(1)])
    outer.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    before = np.array(kernel)
    outer.fit(x, y, epochs=2, verbose=0)
    assert inner.layers[0].kernel is kernel and not np.allclose(kernel, before)
    # the inner model predicts with what the outer one trained
    k1, b1, k2, b2 = inner.get_weights()
    want = np.tanh(x @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(inner.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    # then trained on its own, the outer model sees the update without anything rebuilt
    inner.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    inner.fit(x, np.zeros((len(x), 2), np.float32), epochs=1, verbose=0)
    k3, b3 = outer.layers[1].get_weights()
    k1, b1, k2, b2 = inner.get_weights()
    want = (np.tanh(x @ k1 + b1) @ k2 + b2) @ k3 + b3
    np.testing.assert_allclose(outer.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_the_optimizer_steps_the_bound_table_and_refuses_a_bad_one():
    opt = _C.Optim("sgd", [3, 2], learning_rate=0.5)
    a, b = np.ones(3, np.float32), np.ones(2, np.float32)
    with pytest.raises(ValueError, match="2 segments, got 1"):
        opt.bind([a])
    with pytest.raises(ValueError, match="weight 1 has 3 elements, the optimizer expects 2"):
        opt.bind([a, np.ones(3, np.float32)])
    ro = np.ones(2, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="weight 1 is read-only"):
        opt.bind([a, ro])
    with pytest.raises(TypeError, match="weight 0 must be a writable C-contiguous float32"):
        opt.bind([np.ones(3), b])


def test_run_loop_refuses_an_optimizer_with_no_weights_bound():
    x, y = _data()
    model = _mlp()
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    entry = next(e for k, e in model._programs.items() if k[0] == "train")
    fresh = pynn.optimizers.SGD(LR)
    fresh.build(int(model._grads.size), model._segments, model._segment_shapes)
    data = [x, y, np.ones(len(x), np.float32)]
    with pytest.raises(ValueError, match="no weights bound"):
        _C.run_loop(entry["prog"], entry["loss"], entry["slots"], data, None, 4, 0, 1, True,
                    fresh, model._grads, entry["stats"], np.zeros(8), [], [], False)


@pytest.mark.parametrize("kind", list(_C.optimizers()))
def test_stepping_the_table_gives_the_bits_of_one_flat_arena(kind):
    # fit steps the weights where they live (pn_optim_step_table); the same
    # gradients applied by the same optimizer to one contiguous copy of the
    # weights (pn_optim_step, the arena form) must give the same bits
    x, y = _data(n=12)
    model = _mlp(seed=4)
    options = {"global_clipnorm": 0.5} if kind == "sgd" else {}
    model.compile(optimizer=pynn.optimizers.get({"class_name": kind, "config": options})
                  if options else kind, loss="mse")
    flat = np.concatenate([w.ravel() for w in model.trainable_weights])
    seen = []
    model._gradient_hook = lambda grads, rows: seen.append(grads.copy())
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert len(seen) == 3
    ref = pynn.optimizers.get({"class_name": kind, "config": options}) if options else \
        pynn.optimizers.get(kind)
    ref.build(flat.size, model._segments, model._segment_shapes)
    for g in seen:
        ref._c.step(flat, g)
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in model.trainable_weights]), flat)


def test_fit_names_a_trainable_weight_made_read_only():
    x, y = _data()
    model = _mlp()
    model.compile(optimizer=pynn.optimizers.SGD(LR), loss="mse")
    kernel = model.layers[1].kernel
    kernel.flags.writeable = False
    before = np.array(kernel)
    with pytest.raises(ValueError, match=f"weight '{kernel.path}' is read-only"):
        model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(kernel, before)
    kernel.flags.writeable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(kernel, before)
