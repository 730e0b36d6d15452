"""The functional API with several inputs and outputs: Keras' per-output losses,
loss weights, metrics and log keys, checked against the single-output models
they decompose into."""
import numpy as np
import pytest

import pynn
from pynn import layers


def two_headed(seed=0):
    pynn.layers.clear_session()
    pynn.set_seed(seed)
    a = pynn.Input(shape=(4,), name="a")
    b = pynn.Input(shape=(3,), name="b")
    ha = layers.Dense(5, activation="relu", name="trunk_a")(a)
    hb = layers.Dense(5, activation="relu", name="trunk_b")(b)
    cls = layers.Dense(3, activation="softmax", name="cls")(ha)
    reg = layers.Dense(1, name="reg")(hb)
    return pynn.Model([a, b], [cls, reg])


def data(n=40):
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((n, 4)).astype(np.float32)
    xb = rng.standard_normal((n, 3)).astype(np.float32)
    ycls = rng.integers(0, 3, n).astype(np.float32)
    yreg = rng.standard_normal((n, 1)).astype(np.float32)
    return xa, xb, ycls, yreg


def test_two_outputs_losses_are_the_weighted_sum_of_the_heads():
    xa, xb, ycls, yreg = data()
    m = two_headed()
    m.compile(optimizer="sgd", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
              loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    res = m.evaluate([xa, xb], {"cls": ycls, "reg": yreg}, verbose=0, return_dict=True)
    assert set(res) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    pcls, preg = m.predict([xa, xb], verbose=0)
    p = np.clip(pcls[np.arange(len(ycls)), ycls.astype(int)], 1e-7, 1 - 1e-7)
    ce, mse = float(np.mean(-np.log(p))), float(np.mean((preg - yreg) ** 2))
    np.testing.assert_allclose(res["cls_loss"], ce, rtol=1e-5)
    np.testing.assert_allclose(res["reg_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(res["loss"], ce + 0.5 * mse, rtol=1e-5)
    np.testing.assert_allclose(res["cls_accuracy"], np.mean(pcls.argmax(1) == ycls))
    values = m.evaluate([xa, xb], [ycls, yreg], verbose=0)
    np.testing.assert_allclose(values, [res["loss"], res["cls_loss"], res["reg_loss"],
                                        res["cls_accuracy"]], rtol=1e-6)


def test_two_outputs_train_and_log_per_output_keys():
    xa, xb, ycls, yreg = data(64)
    m = two_headed()
    m.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    h = m.fit([xa, xb], [ycls, yreg], epochs=30, batch_size=16, verbose=0,
              validation_split=0.25)
    assert {"loss", "cls_loss", "reg_loss", "val_loss", "val_cls_loss"} <= set(h.history)
    assert h.history["loss"][-1] < h.history["loss"][0]
    np.testing.assert_allclose(np.add(h.history["cls_loss"], h.history["reg_loss"]),
                               h.history["loss"], rtol=1e-5)


def test_bad_multi_output_targets_are_explained():
    xa, xb, ycls, yreg = data()
    m = two_headed()
    m.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match="2 outputs"):
        m.fit([xa, xb], ycls, verbose=0)
    with pytest.raises(ValueError, match="no targets for output"):
        m.fit([xa, xb], {"cls": ycls}, verbose=0)
    with pytest.raises(ValueError, match="unknown output name"):
        m.compile(optimizer="sgd", loss={"nope": "mse"})
    with pytest.raises(ValueError, match="expects 2 input"):
        m.predict(xa, verbose=0)


def test_two_output_model_saves_and_loads_with_its_compile_config(tmp_path):
    xa, xb, ycls, yreg = data()
    m = two_headed()
    m.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
              loss_weights={"cls": 1.0, "reg": 0.25})
    m.fit([xa, xb], {"cls": ycls, "reg": yreg}, epochs=2, verbose=0, shuffle=False)
    m.save(tmp_path / "two.pynn")
    r = pynn.load_model(tmp_path / "two.pynn")
    for got, want in zip(r.predict([xa, xb], verbose=0), m.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(r.evaluate([xa, xb], [ycls, yreg], verbose=0),
                               m.evaluate([xa, xb], [ycls, yreg], verbose=0), rtol=1e-6)
