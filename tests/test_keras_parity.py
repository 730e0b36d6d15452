"""Side by side with Keras 3 (torch backend): the same model built in both
libraries from the same initial weights (Keras' draws copied into pynn) and
trained on the same batches gives the same predictions, per-step losses and
trained weights; every optimizer and learning-rate schedule steps the same;
layer configs use Keras' keys and defaults; summary() prints the same table.
Skipped without keras.

A few steps on well-scaled data are compared tightly (rtol 1e-4): over long runs
Adam-like steps on tiny gradients amplify float32 rounding (see the notes in
tests/keras_examples/basic_classification.py)."""
import io
import os
from contextlib import redirect_stdout

import numpy as np
import pytest

import pynn

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":
    pytest.skip(f"keras runs on {keras.backend.backend()}; these comparisons use torch",
                allow_module_level=True)
import torch  # noqa: E402

torch.set_num_threads(1)  # torch's spinning workers crawl on a shared, loaded machine
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning",
                                        "ignore:__array__ implementation:DeprecationWarning")

RTOL, ATOL = 1e-4, 1e-5
LIBS = (keras, pynn)


def close(got, want, what, rtol=RTOL, atol=ATOL):
    """|got - want| <= rtol·|want| + atol·max(1, max|want|), elementwise."""
    want = np.asarray(want, np.float64)
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol * scale,
                               err_msg=what)


def twins(make):
    """make(lib) built in Keras and in pynn, pynn holding Keras' initial weights."""
    kmodel, pmodel = make(keras), make(pynn)
    weights = [np.asarray(w) for w in kmodel.get_weights()]
    assert [w.shape for w in pmodel.get_weights()] == [w.shape for w in weights]
    pmodel.set_weights(weights)
    return kmodel, pmodel


def train_both(kmodel, pmodel, x, y, steps=4, batch=8):
    """train_on_batch on the same batches: the same loss at every step, the same
    weights (and BatchNormalization statistics) at the end."""
    for step in range(steps):
        i = (step * batch) % len(x)
        lk = kmodel.train_on_batch(x[i:i + batch], y[i:i + batch])
        lp = pmodel.train_on_batch(x[i:i + batch], y[i:i + batch])
        close(lp, lk, f"loss of step {step}")
    for i, (a, b) in enumerate(zip(pmodel.get_weights(), kmodel.get_weights())):
        close(a, b, f"weight {i} after {steps} steps")


rng = np.random.default_rng(0)


def normal(*shape):
    return rng.normal(size=shape).astype("float32")


# ---------------------------------------------------------------- layers
LAYER_MODELS = {
    "dense": ((6,), lambda L: [L.Dense(5, activation="relu"), L.Dense(3, activation="tanh")]),
    "conv2d": ((7, 7, 2), lambda L: [L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                                      L.Conv2D(3, (2, 3)), L.Flatten(), L.Dense(2)]),
    "conv1d_pool": ((10, 3), lambda L: [L.Conv1D(4, 3, padding="same", dilation_rate=2),
                                        L.MaxPooling1D(2), L.Conv1D(2, 2, strides=2),
                                        L.GlobalAveragePooling1D()]),
    "pool2d": ((8, 8, 2), lambda L: [L.Conv2D(3, 3), L.AveragePooling2D(2), L.MaxPooling2D(2),
                                     L.Flatten(), L.Dense(2)]),
    "lstm": ((6, 3), lambda L: [L.LSTM(4, return_sequences=True), L.LSTM(3)]),
    "gru": ((6, 3), lambda L: [L.GRU(4, return_sequences=True), L.GRU(3, go_backwards=True)]),
    "simple_rnn": ((6, 3), lambda L: [L.SimpleRNN(4), L.Dense(2)]),
    "bidirectional": ((5, 3), lambda L: [L.Bidirectional(L.LSTM(3)), L.Dense(2)]),
    "batch_norm": ((5,), lambda L: [L.Dense(4), L.BatchNormalization(momentum=0.9),
                                    L.Activation("relu"), L.Dense(2)]),
    "batch_norm_conv": ((6, 6, 2), lambda L: [L.Conv2D(3, 3), L.BatchNormalization(),
                                              L.GlobalMaxPooling2D()]),
    "layer_norm": ((4, 5), lambda L: [L.LayerNormalization(), L.Dense(3), L.Flatten()]),
    "activations": ((6,), lambda L: [L.Dense(6), L.LeakyReLU(0.1), L.Dense(6), L.ELU(),
                                     L.Dense(4), L.ReLU(max_value=1.0), L.Dense(3), L.Softmax()]),
}


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_layer_models_predict_and_train_as_keras(name):
    shape, layers = LAYER_MODELS[name]
    kmodel, pmodel = twins(lambda lib: lib.Sequential([lib.Input(shape=shape),
                                                       *layers(lib.layers)]))
    x = normal(16, *shape)
    close(pmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0), "predictions")
    y = normal(16, *kmodel.output_shape[1:])
    for lib, m in zip(LIBS, (kmodel, pmodel)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    train_both(kmodel, pmodel, x, y)
    close(pmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0), "predictions after")


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_text_model_as_keras(mask_zero):
    """Embedding (padding masked when mask_zero) -> LSTM -> sigmoid, binary_crossentropy."""
    def make(lib):
        L = lib.layers
        return lib.Sequential([lib.Input(shape=(7,)), L.Embedding(12, 4, mask_zero=mask_zero),
                               L.LSTM(3), L.Dense(1, activation="sigmoid")])

    kmodel, pmodel = twins(make)
    ids = rng.integers(1, 12, size=(16, 7))
    ids[:, :3] *= rng.integers(0, 2, size=(16, 3))  # zeros in front: padding
    y = rng.integers(0, 2, size=(16, 1)).astype("float32")
    close(pmodel.predict(ids, verbose=0), kmodel.predict(ids, verbose=0), "predictions")
    for lib, m in zip(LIBS, (kmodel, pmodel)):
        m.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy")
    train_both(kmodel, pmodel, ids, y)


def test_functional_two_inputs_two_outputs_as_keras():
    def make(lib):
        L = lib.layers
        a, b = lib.Input(shape=(4,), name="a"), lib.Input(shape=(3,), name="b")
        h = L.Dense(5, activation="relu", name="trunk")(a)
        cls = L.Dense(3, activation="softmax", name="cls")(h)
        reg = L.Dense(1, name="reg")(L.Dense(2, name="side")(b))
        model = lib.Model([a, b], [cls, reg])
        model.compile(lib.optimizers.RMSprop(0.01),
                      loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      loss_weights={"cls": 1.0, "reg": 0.5})
        return model

    kmodel, pmodel = twins(make)
    xa, xb = normal(16, 4), normal(16, 3)
    ycls, yreg = rng.integers(0, 3, size=16).astype("float32"), normal(16, 1)
    for k, p in zip(kmodel.predict([xa, xb], verbose=0), pmodel.predict([xa, xb], verbose=0)):
        close(p, k, "predictions")
    for step in range(3):
        s = slice(step * 5, step * 5 + 5)
        lk = kmodel.train_on_batch([xa[s], xb[s]], {"cls": ycls[s], "reg": yreg[s]})
        lp = pmodel.train_on_batch([xa[s], xb[s]], {"cls": ycls[s], "reg": yreg[s]})
        close(lp, lk, f"losses of step {step}")
    for i, (a, b) in enumerate(zip(pmodel.get_weights(), kmodel.get_weights())):
        close(a, b, f"weight {i}")


# ---------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "sgd": lambda O: O.SGD(0.1),
    "sgd_momentum": lambda O: O.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda O: O.SGD(0.05, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda O: O.SGD(0.1, weight_decay=0.05),
    "rmsprop": lambda O: O.RMSprop(0.01),
    "rmsprop_momentum_centered": lambda O: O.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
    "adam": lambda O: O.Adam(0.01),
    "adam_amsgrad": lambda O: O.Adam(0.01, beta_1=0.8, beta_2=0.9, amsgrad=True),
    "adamw": lambda O: O.AdamW(0.01, weight_decay=0.1),
    "adagrad": lambda O: O.Adagrad(0.1),
    "adamax": lambda O: O.Adamax(0.01),
    "nadam": lambda O: O.Nadam(0.01),
    "clipnorm": lambda O: O.SGD(0.1, clipnorm=0.05),
    "clipvalue": lambda O: O.Adam(0.01, clipvalue=0.002),
    "global_clipnorm": lambda O: O.RMSprop(0.01, global_clipnorm=0.05),
    "exponential_decay": lambda O: O.SGD(O.schedules.ExponentialDecay(0.2, 2, 0.5)),
    "piecewise_constant": lambda O: O.Adam(O.schedules.PiecewiseConstantDecay([2, 4],
                                                                              [0.02, 0.01, 0.005])),
    "cosine_decay": lambda O: O.SGD(O.schedules.CosineDecay(0.2, 5, alpha=0.1)),
    "polynomial_decay": lambda O: O.RMSprop(O.schedules.PolynomialDecay(0.02, 4, 0.001, power=2)),
    "inverse_time_decay": lambda O: O.Adagrad(O.schedules.InverseTimeDecay(0.2, 2, 1.0)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_step_as_keras(name):
    def make(lib):
        model = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(4, activation="tanh"),
                                lib.layers.Dense(2)])
        model.compile(optimizer=OPTIMIZERS[name](lib.optimizers), loss="mse")
        return model

    kmodel, pmodel = twins(make)
    x, y = normal(48, 5), normal(48, 2)
    train_both(kmodel, pmodel, x, y, steps=6)
    assert int(pmodel.optimizer.iterations) == int(kmodel.optimizer.iterations) == 6
    close(float(np.array(pmodel.optimizer.learning_rate)),
          float(np.array(kmodel.optimizer.learning_rate)), "learning rate after 6 steps")


SCHEDULES = {
    "ExponentialDecay": ((0.1, 3, 0.5), {"staircase": True}),
    "PiecewiseConstantDecay": (([3, 7], [1.0, 0.5, 0.1]), {}),
    "PolynomialDecay": ((0.1, 8, 0.01), {"power": 0.5, "cycle": True}),
    "InverseTimeDecay": ((0.1, 2, 0.5), {"staircase": False}),
    "CosineDecay": ((0.1, 8), {"alpha": 0.2, "warmup_target": 0.3, "warmup_steps": 3}),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_as_keras(name):
    args, kwargs = SCHEDULES[name]
    ks = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    ps = getattr(pynn.optimizers.schedules, name)(*args, **kwargs)
    for step in range(20):
        close(float(np.array(ps(step))), float(np.array(ks(step))), f"{name} at step {step}",
              rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- configs
CONFIG_LAYERS = {
    "Dense": ((4,), (16,)), "Conv2D": ((4, 3), (8, 8, 2)), "Conv1D": ((4, 3), (10, 2)),
    "LSTM": ((5,), (7, 3)), "GRU": ((5,), (7, 3)), "SimpleRNN": ((5,), (7, 3)),
    "BatchNormalization": ((), (6,)), "LayerNormalization": ((), (6,)),
    "Embedding": ((20, 4), (5,)), "Dropout": ((0.5,), (6,)), "Flatten": ((), (3, 2)),
    "MaxPooling2D": ((), (8, 8, 2)), "AveragePooling2D": ((2,), (8, 8, 2)),
    "GlobalAveragePooling2D": ((), (8, 8, 2)), "Activation": (("relu",), (6,)),
    "Reshape": (((3, 2),), (6,)), "Softmax": ((), (6,)), "ReLU": ((), (6,)),
    "LeakyReLU": ((), (6,)), "Rescaling": ((0.5,), (6,)), "Normalization": ((), (6,)),
}
# Keras config keys pynn leaves out: dtype policies (pynn is float32 throughout), options
# pynn refuses unless at their default (constraints, activity regularizers, groups,
# data_format, recurrent dropout, stateful, renorm, quantization).
OMITTED = {"dtype", "kernel_constraint", "bias_constraint", "recurrent_constraint",
           "beta_constraint", "gamma_constraint", "embeddings_constraint",
           "activity_regularizer", "groups", "data_format", "dropout", "recurrent_dropout",
           "seed", "stateful", "renorm", "renorm_clipping", "renorm_momentum", "synchronized",
           "quantization_config", "rms_scaling", "noise_shape"}
# pynn keys Keras' configs lack: LSTM/GRU keep Keras' implementation=1|2 argument (Keras takes
# it too, but does not save it), as it picks the recurrent dropout masks; SimpleRNN saves the
# dropout seed, as Keras' LSTM and GRU do (Keras' SimpleRNN takes one but does not save it)
EXTRA = {"implementation", "seed"}


def _plain(value):
    """Keras' tuples as JSON lists; serialized objects by class name and config."""
    if isinstance(value, dict) and "class_name" in value:
        return {"class_name": value["class_name"], "config": _plain(value.get("config", {}))}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(CONFIG_LAYERS))
def test_layer_configs_use_keras_keys_and_defaults(name):
    args, shape = CONFIG_LAYERS[name]
    kl, pl = getattr(keras.layers, name)(*args), getattr(pynn.layers, name)(*args)
    kl.build((None,) + shape)
    pl._maybe_build((None,) + shape)
    kc, pc = kl.get_config(), pl.get_config()
    assert not set(pc) - set(kc) - EXTRA, f"{name}: keys Keras lacks: {set(pc) - set(kc)}"
    assert set(kc) - set(pc) <= OMITTED, f"{name}: missing {set(kc) - set(pc) - OMITTED}"
    for key in sorted(set(kc) & set(pc) - {"name"}):
        want, got = _plain(kc[key]), _plain(pc[key])
        if isinstance(want, dict) and isinstance(got, dict) and "config" in want:
            # an initializer: same class, and pynn's options have Keras' values
            assert got["class_name"] == want["class_name"], f"{name}.{key}"
            for opt, value in got["config"].items():
                assert want["config"].get(opt, value) == value, f"{name}.{key}.{opt}"
        elif name in ("LayerNormalization", "Normalization") and key == "axis":
            assert np.atleast_1d(got).tolist() == np.atleast_1d(want).tolist(), f"{name}.axis"
        else:
            assert got == want, f"{name}.{key}: pynn {got!r}, Keras {want!r}"


# ---------------------------------------------------------------- summary
def _summaries(lib):
    (keras.backend.clear_session if lib is keras else pynn.layers.clear_session)()
    L = lib.layers
    models = [
        lib.Sequential([lib.Input(shape=(28, 28, 1)), L.Conv2D(8, 3, activation="relu"),
                        L.MaxPooling2D(), L.BatchNormalization(), L.Flatten(), L.Dropout(0.5),
                        L.Dense(10, activation="softmax")]),
        lib.Sequential([lib.Input(shape=(None,)), L.Embedding(100, 8), L.LSTM(4), L.Dense(1)]),
    ]
    x = lib.Input(shape=(12,), name="x")
    models.append(lib.Model(x, L.Dense(1)(L.Dense(4, name="hidden")(x)), name="fun"))
    texts = []
    for model in models:
        screen = io.StringIO()
        with redirect_stdout(screen):
            model.summary()
        texts.append(screen.getvalue())
    return texts


def test_summary_prints_keras_table():
    for k, p in zip(_summaries(keras), _summaries(pynn)):
        assert p == k, f"pynn:\n{p}\nKeras:\n{k}"
