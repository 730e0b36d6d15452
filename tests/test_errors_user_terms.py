"""Errors speak in the user's terms: the arrays they passed and the shapes they
declared, never the batch of one a program is traced on nor a per-sample shape they
never wrote; data pynn cannot take (generators, iterators, dataset objects) is told
what it can take."""
import re

import numpy as np
import pytest

import pynn

L = pynn.layers


def dense_model(out=1, loss="binary_crossentropy", activation="sigmoid"):
    model = pynn.Sequential([pynn.Input(shape=(20,)), L.Dense(out, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


X = np.random.default_rng(0).random((100, 20), dtype=np.float32)


@pytest.mark.parametrize("call", ["fit", "evaluate", "train_on_batch"])
@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse", "mae", "huber", "hinge"])
def test_label_shape_names_the_users_arrays(call, loss):
    model = dense_model(loss=loss)
    kwargs = {"verbose": 0} if call != "train_on_batch" else {}
    with pytest.raises(ValueError) as err:
        getattr(model, call)(X, np.zeros((100, 3)), **kwargs)
    msg = str(err.value)
    assert "target.shape=(100, 3), output.shape=(None, 1)" in msg, msg
    assert "(1, 3)" not in msg and "(1, 1)" not in msg, msg  # no internal batch of one


def test_label_shape_for_categorical_and_validation_data():
    model = dense_model(out=3, loss="categorical_crossentropy", activation="softmax")
    with pytest.raises(ValueError, match=re.escape("target.shape=(100, 5), output.shape=(None, 3)")):
        model.fit(X, np.zeros((100, 5)), verbose=0)
    y = np.eye(3, dtype=np.float32)[np.arange(100) % 3]
    with pytest.raises(ValueError, match=r"y_val .*target\.shape=\(10, 4\), output\.shape=\(None, 3\)"):
        model.fit(X, y, validation_data=(X[:10], np.zeros((10, 4))), verbose=0)


def test_label_shape_of_a_functional_output_is_named():
    inp = pynn.Input(shape=(20,))
    h = L.Dense(4)(inp)
    a, b = L.Dense(1, name="score")(h), L.Dense(2, name="pair")(h)
    model = pynn.Model(inp, [a, b])
    model.compile(optimizer="adam", loss=["mse", "mse"])
    with pytest.raises(ValueError) as err:
        model.fit(X, [np.zeros((100, 1)), np.zeros((100, 3))], verbose=0)
    msg = str(err.value)
    assert "'pair'" in msg and "target.shape=(100, 3), output.shape=(None, 2)" in msg, msg


def test_accepted_label_shapes_still_train():
    # (n,) and (n, 1) both fit an output of (None, 1), as in Keras
    for y in (np.zeros(100), np.zeros((100, 1))):
        dense_model().fit(X, y, epochs=1, verbose=0)
    # a model whose output keeps a time axis, built from the data (nothing declared)
    model = pynn.Sequential([L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=re.escape("target.shape=(100, 1), output.shape=(None, 4, 1)")):
        model.fit(np.zeros((100, 4, 20)), np.zeros((100, 1)), verbose=0)


def test_custom_loss_is_not_second_guessed():
    # a user loss may reduce targets of another shape: no shape rule is imposed on it
    def first_column_mse(y_true, y_pred):
        return pynn.ops.mean((y_true[:, :1] - y_pred) ** 2, axis=-1)

    model = pynn.Sequential([pynn.Input(shape=(20,)), L.Dense(1)])
    model.compile(optimizer="adam", loss=first_column_mse)
    y = np.random.default_rng(1).random((100, 3)).astype(np.float32)
    model.fit(X, y, epochs=1, verbose=0)


@pytest.mark.parametrize("make, declared, passed", [
    (lambda: [pynn.Input(shape=(20,)), L.Dense(1)], "(20,)", (100, 4, 20)),
    (lambda: [pynn.Input(shape=(8, 8, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(1)], "(8, 8, 1)",
     (100, 64)),
    (lambda: [pynn.Input(shape=(10, 8)), L.LSTM(4), L.Dense(1)], "(10, 8)", (100, 8)),
    (lambda: [L.Dense(4, input_shape=(20,)), L.Dense(1)], "(20,)", (100, 4, 20)),
])
@pytest.mark.parametrize("call", ["fit", "predict", "__call__"])
def test_wrong_input_rank_names_the_declared_shape(make, declared, passed, call):
    model = pynn.Sequential(make())
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros(passed, np.float32)
    args = {"fit": (x, np.zeros((100, 1))), "predict": (x,), "__call__": (x,)}[call]
    kwargs = {"verbose": 0} if call != "__call__" else {}
    with pytest.raises(ValueError) as err:
        getattr(model, call)(*args, **kwargs)
    msg = str(err.value)
    assert f"per-sample shape {declared}" in msg and f"got a batch of shape {passed}" in msg, msg
    # the model's per-sample view of the data (passed[1:]) is not presented as a shape
    assert f"per-sample shape {tuple(passed[1:])}" not in msg, msg


def _generator():
    for row in X:
        yield row, 1.0


class _TfDataLike:
    """What tf.data.Dataset looks like from outside: iterable, batchable, no __array__."""

    def __iter__(self):
        yield X[:10], np.zeros((10, 1))

    def batch(self, n):
        return self


@pytest.mark.parametrize("data, kind", [
    (lambda: _generator(), "a generator"),
    (lambda: iter(X), "an iterator"),
    (lambda: map(np.asarray, X), "an iterator (map)"),
    (lambda: _TfDataLike(), "_TfDataLike object"),
    (lambda: pynn.data.batches(X, np.zeros(100)), "a generator"),
    (lambda: {1.0, 2.0}, "a set"),
])
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_streams_are_told_what_is_accepted(data, kind, call):
    model = dense_model()
    with pytest.raises(TypeError) as err:
        getattr(model, call)(data(), verbose=0)
    msg = str(err.value)
    assert msg.startswith("x is ") and kind in msg.split(":")[0], msg
    assert "NumPy arrays" in msg and "pandas" in msg and "dict" in msg, msg
    assert "train_on_batch" in msg and "dtype object" not in msg, msg


def test_generator_as_targets_and_torch_loader():
    model = dense_model()
    with pytest.raises(TypeError, match=r"^y is a generator: .*NumPy arrays"):
        model.fit(X, (v for v in range(100)), verbose=0)
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(torch.zeros(4, 20), torch.zeros(4, 1)))
    with pytest.raises(TypeError, match=r"^x is a torch\.DataLoader object: .*NumPy arrays"):
        model.fit(loader, verbose=0)
    # what is accepted still is: torch tensors, ranges of numbers, lists
    assert model.predict(torch.zeros(2, 20), verbose=0).shape == (2, 1)
    assert model.predict([list(range(20))] * 2, verbose=0).shape == (2, 1)
