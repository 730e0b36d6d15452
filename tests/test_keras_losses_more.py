"""Keras 3's losses that pynn composes from its ops, side by side with the installed
Keras 3 (torch backend) on the same inputs: classes with every reduction and with
sample_weight, the function forms, their gradients (central differences of Keras'
own formula in float64), use as metrics and in compile/fit.

Sources: https://keras.io/api/losses/ (probabilistic_losses, regression_losses,
hinge_losses) and keras/src/losses/losses.py of Keras 3.15."""
import numpy as np
import pytest

import pynn
from gradcheck import check_grad
from keras_ref import keras_or_skip, keras_tversky_kwargs

rng = np.random.default_rng(7)
B, C = 6, 4
PROBS = rng.dirichlet(np.ones(C), size=B).astype(np.float32)
ONE_HOT = np.eye(C, dtype=np.float32)[rng.integers(0, C, B)]
BINARY = rng.integers(0, 2, (B, C)).astype(np.float32)
SIGNED = BINARY * 2 - 1
REAL_T = rng.normal(size=(B, C)).astype(np.float32)
REAL_P = rng.normal(size=(B, C)).astype(np.float32)
POS_T = rng.poisson(2.0, (B, C)).astype(np.float32)
POS_P = rng.uniform(0.2, 3.0, (B, C)).astype(np.float32)
MASK_T = (rng.uniform(size=(B, 5, 5)) > 0.5).astype(np.float32)
MASK_P = rng.uniform(size=(B, 5, 5)).astype(np.float32)
IDS = rng.integers(0, C, B)
WEIGHTS = rng.uniform(0.0, 2.0, B).astype(np.float32)

# (class name, constructor kwargs, y_true, y_pred)
CASES = [
    ("SquaredHinge", {}, BINARY, REAL_P),
    ("SquaredHinge", {}, SIGNED, REAL_P),
    ("SquaredHinge", {}, REAL_T, REAL_P),  # labels neither 0/1: used as they are
    ("CategoricalHinge", {}, ONE_HOT, REAL_P),
    ("MeanSquaredLogarithmicError", {}, POS_T, POS_P),
    ("MeanSquaredLogarithmicError", {}, REAL_T, REAL_P),  # negatives clipped to eps
    ("CosineSimilarity", {}, REAL_T, REAL_P),
    ("CosineSimilarity", {"axis": 0}, REAL_T, REAL_P),
    ("LogCosh", {}, REAL_T, REAL_P * 30),  # large errors: no overflow
    ("Poisson", {}, POS_T, POS_P),
    ("BinaryFocalCrossentropy", {}, BINARY, PROBS),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
     BINARY, PROBS),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BINARY, REAL_P),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 3.0, "from_logits": True,
                                      "label_smoothing": 0.2}, ONE_HOT, REAL_P),
    ("Dice", {}, MASK_T, MASK_P),
    ("Dice", {"axis": (1, 2)}, MASK_T, MASK_P),
    ("Tversky", {}, MASK_T, MASK_P),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}, MASK_T, MASK_P),
    ("CategoricalGeneralizedCrossEntropy", {}, IDS, PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, IDS, PROBS),
]
IDS_OF = [f"{c}-{i}" for i, (c, *_) in enumerate(CASES)]


def _keras_value(keras, name, kwargs, y_true, y_pred, **call):
    if name == "Tversky":
        kwargs = keras_tversky_kwargs(keras, kwargs)
    out = getattr(keras.losses, name)(**kwargs)(y_true, y_pred, **call)
    return keras.ops.convert_to_numpy(out)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("name, kwargs, y_true, y_pred", CASES, ids=IDS_OF)
def test_class_matches_keras(name, kwargs, y_true, y_pred, reduction):
    keras = keras_or_skip()
    ours = getattr(pynn.losses, name)(reduction=reduction, **kwargs)(y_true, y_pred).numpy()
    want = _keras_value(keras, name, {**kwargs, "reduction": reduction}, y_true, y_pred)
    assert ours.shape == want.shape
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", CASES, ids=IDS_OF)
def test_sample_weight_matches_keras(name, kwargs, y_true, y_pred):
    keras = keras_or_skip()
    if name in ("Dice", "Tversky") and kwargs.get("axis") is None or kwargs.get("axis") == 0:
        pytest.skip("not one loss per sample: nothing per-sample to weight")
    ours = getattr(pynn.losses, name)(**kwargs)(y_true, y_pred, sample_weight=WEIGHTS).numpy()
    want = _keras_value(keras, name, kwargs, y_true, y_pred, sample_weight=WEIGHTS)
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=2e-6)
    assert not np.isclose(ours, pynn.losses.get(name)(y_true, y_pred).numpy())  # weights used


FUNCTIONS = [
    ("squared_hinge", {}, BINARY, REAL_P), ("categorical_hinge", {}, ONE_HOT, REAL_P),
    ("mean_squared_logarithmic_error", {}, POS_T, POS_P),
    ("cosine_similarity", {"axis": -1}, REAL_T, REAL_P), ("log_cosh", {}, REAL_T, REAL_P),
    ("poisson", {}, POS_T, POS_P),
    ("binary_focal_crossentropy", {"gamma": 2.5, "apply_class_balancing": True}, BINARY, PROBS),
    ("categorical_focal_crossentropy", {"gamma": 1.0}, ONE_HOT, PROBS),
    ("dice", {"axis": (1, 2)}, MASK_T, MASK_P), ("tversky", {"alpha": 0.2, "beta": 0.8},
                                                  MASK_T, MASK_P),
    ("categorical_generalized_cross_entropy", {"q": 0.7}, IDS, PROBS),
    ("binary_crossentropy", {"label_smoothing": 0.1}, BINARY, PROBS),
    ("categorical_crossentropy", {"from_logits": True}, ONE_HOT, REAL_P),
    ("sparse_categorical_crossentropy", {}, IDS, PROBS), ("hinge", {}, BINARY, REAL_P),
    ("huber", {"delta": 0.5}, REAL_T, REAL_P), ("mean_absolute_error", {}, REAL_T, REAL_P),
]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_form_matches_keras(name, kwargs, y_true, y_pred):
    keras = keras_or_skip()
    ours = getattr(pynn.losses, name)(y_true, y_pred, **kwargs).numpy()
    k_true, k_pred = keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred)
    if name == "tversky":
        kwargs = keras_tversky_kwargs(keras, kwargs)
    want = keras.ops.convert_to_numpy(getattr(keras.losses, name)(k_true, k_pred, **kwargs))
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=2e-6)


# the gradients come from the composed ops' backward passes: checked against central
# differences of Keras' own formula evaluated in float64 (torch backend); Keras computes
# three of them in float32 whatever floatx says, so those have a NumPy transcription
def _np_hinge_labels(t):
    return 2 * t - 1 if np.isin(t, (0, 1)).all() else t


NUMPY_REFS = {
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - _np_hinge_labels(t) * p, 0) ** 2, -1),
    "categorical_hinge": lambda t, p: np.maximum(
        np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    "mean_squared_logarithmic_error": lambda t, p: np.mean(
        (np.log(np.maximum(p, 1e-7) + 1) - np.log(np.maximum(t, 1e-7) + 1)) ** 2, -1),
}
GRADIENTS = [f for f in FUNCTIONS[:11]] + [
    ("binary_focal_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, BINARY, REAL_P),
    ("categorical_focal_crossentropy", {"from_logits": True}, ONE_HOT, REAL_P)]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", GRADIENTS,
                         ids=[f"{g[0]}-{i}" for i, g in enumerate(GRADIENTS)])
def test_gradient_against_keras_formula_in_float64(name, kwargs, y_true, y_pred):
    keras = keras_or_skip()
    keras_fn = getattr(keras.losses, name)
    keras_kwargs = keras_tversky_kwargs(keras, kwargs) if name == "tversky" else kwargs
    floatx = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    try:
        y_true64 = keras.ops.convert_to_tensor(np.asarray(y_true, np.float64))

        def ref(p):
            if name in NUMPY_REFS:
                return NUMPY_REFS[name](np.asarray(y_true, np.float64), p)
            return keras.ops.convert_to_numpy(
                keras_fn(y_true64, keras.ops.convert_to_tensor(p), **keras_kwargs))

        assert ref(np.asarray(y_pred, np.float64)).dtype == np.float64  # a float64 reference
        check_grad(lambda p: getattr(pynn.losses, name)(y_true, p, **kwargs), ref,
                   [np.asarray(y_pred, np.float64)], rtol=2e-3, atol=2e-4)
    finally:
        keras.backend.set_floatx(floatx)


def test_hinge_labels_decided_per_batch_in_a_compiled_fit():
    # 0/1 labels become -1/1 only when every label of the batch is 0 or 1 (Keras' ops.cond);
    # pynn decides it with a tensor condition, so the traced graph decides per batch too
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = np.concatenate([BINARY[:4, :2], REAL_T[:4, :2]])
    model = pynn.Sequential([pynn.Input(shape=(3,)), pynn.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="squared_hinge")
    got = model.evaluate(x, y, batch_size=4, verbose=0)
    p = model.predict(x, verbose=0)
    want = np.mean([pynn.losses.squared_hinge(y[i:i + 4], p[i:i + 4]).numpy().mean()
                    for i in (0, 4)])
    np.testing.assert_allclose(got, want, rtol=1e-5)
    by_hand = np.mean(np.maximum(1 - (2 * y[:4] - 1) * p[:4], 0) ** 2)
    np.testing.assert_allclose(pynn.losses.squared_hinge(y[:4], p[:4]).numpy().mean(), by_hand,
                               rtol=1e-5)


@pytest.mark.parametrize("loss", ["binary_focal_crossentropy", "poisson", "log_cosh",
                                  "categorical_focal_crossentropy", "dice"])
def test_fit_with_the_loss_matches_keras_training(loss):
    keras = keras_or_skip()
    x = rng.normal(size=(32, 5)).astype(np.float32)
    if loss == "poisson":
        y, act = POS_T[rng.integers(0, B, 32), :2], "softplus"
    elif loss == "categorical_focal_crossentropy":
        y, act = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 32)], "softmax"
    elif loss == "log_cosh":
        y, act = rng.normal(size=(32, 2)).astype(np.float32), None
    else:
        y, act = rng.integers(0, 2, (32, 2)).astype(np.float32), "sigmoid"
    kernel = rng.normal(size=(5, 2)).astype(np.float32) * 0.3
    histories = []
    for lib in (pynn, keras):
        model = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(2, activation=act)])
        model.set_weights([kernel, np.zeros(2, np.float32)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=loss)
        histories.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False,
                                   verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-4)
    assert histories[0][-1] < histories[0][0]


def test_usable_as_metrics_as_keras():
    keras = keras_or_skip()
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.integers(0, 2, (16, 4)).astype(np.float32)
    kernel = rng.normal(size=(4, 4)).astype(np.float32) * 0.3
    logs = []
    for lib in (pynn, keras):
        model = lib.Sequential([lib.Input(shape=(4,)), lib.layers.Dense(4, activation="sigmoid")])
        model.set_weights([kernel, np.zeros(4, np.float32)])
        model.compile(loss="mse", metrics=[lib.losses.BinaryFocalCrossentropy(), "squared_hinge",
                                           lib.losses.poisson])
        # equal batches: Keras averages a Loss object's per-batch means (each batch counts
        # once), pynn its per-sample values; they agree when the batches are equal
        logs.append(model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True))
    assert sorted(logs[0]) == sorted(logs[1])
    for key in logs[1]:
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-5, err_msg=key)


def test_get_serialize_round_trip():
    for name in ("msle", "logcosh", "poisson", "dice", "tversky", "squared_hinge",
                 "categorical_hinge", "cosine_similarity", "binary_focal_crossentropy",
                 "categorical_focal_crossentropy", "categorical_generalized_cross_entropy"):
        loss = pynn.losses.get(name)
        again = pynn.losses.deserialize(pynn.losses.serialize(loss))
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
    loss = pynn.losses.deserialize(pynn.losses.serialize(pynn.losses.Tversky(alpha=0.1)))
    assert loss.config["alpha"] == 0.1
    assert loss.name == "tversky"


def test_config_names_match_keras():
    keras = keras_or_skip()
    for name in ("BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky",
                 "CosineSimilarity", "CategoricalGeneralizedCrossEntropy", "LogCosh", "Poisson",
                 "MeanSquaredLogarithmicError", "SquaredHinge", "CategoricalHinge"):
        ours = getattr(pynn.losses, name)().get_config()
        want = getattr(keras.losses, name)().get_config()
        want.pop("dtype", None)
        # Keras 3.15's CosineSimilarity leaves its axis out of get_config; pynn keeps it
        assert {k: v for k, v in ours.items() if k in want} == want, name
        assert set(ours) - set(want) <= {"axis"}, name


def test_bad_arguments_raise_naming_the_loss():
    with pytest.raises(ValueError, match=r"CategoricalGeneralizedCrossEntropy: q must be in"):
        pynn.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(TypeError, match=r"Dice: unexpected argument\(s\) \['alpha'\]"):
        pynn.losses.Dice(alpha=0.5)
    with pytest.raises(ValueError, match=r"Poisson: unknown reduction 'mean_of_all'"):
        pynn.losses.Poisson(reduction="mean_of_all")
    with pytest.raises(ValueError, match=r"binary_focal_crossentropy: only axis=-1"):
        pynn.losses.binary_focal_crossentropy(BINARY, PROBS, axis=0)
    with pytest.raises(ValueError):
        pynn.losses.LogCosh()(REAL_T, REAL_P[:, :3])
