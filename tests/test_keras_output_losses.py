"""Per-output losses of multi-output models, as Keras 3 logs them (regression tests
from keras.io "Text generation with a miniature GPT", whose model has two outputs
compiled with loss=[loss_fn, None] and is fitted with one target array):

- with one output compiled with a loss, fit / evaluate take one target array and
  log "loss" only (Keras adds "<output>_loss" only for several losses);
- "<output>_loss" of a sequence output (batch, steps, ...) is the mean over the
  steps, as its share of "loss" (it used to be the sum over the steps)."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

rng = np.random.default_rng(0)
X = rng.normal(size=(24, 5, 3)).astype(np.float32)
Y_SEQ = rng.integers(0, 4, size=(24, 5))
Y_VEC = rng.normal(size=(24, 2)).astype(np.float32)


def _model(lib, losses):
    inputs = lib.Input(shape=(5, 3))
    seq = lib.layers.Dense(4, name="seq")(inputs)
    vec = lib.layers.Dense(2, name="vec")(lib.layers.Flatten()(inputs))
    model = lib.Model(inputs, [seq, vec])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss=losses)
    return model



def test_one_loss_takes_one_target_and_logs_loss_only():
    model = _model(pynn, [pynn.losses.SparseCategoricalCrossentropy(from_logits=True), None])
    history = model.fit(X, Y_SEQ, batch_size=8, epochs=2, verbose=0)
    assert sorted(history.history) == ["loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    # the targets go to the one output with a loss: the same as the loss computed by hand
    logits = model.predict(X, verbose=0)[0]
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    want = -np.log(np.take_along_axis(p, Y_SEQ[..., None], -1)).mean()
    np.testing.assert_allclose(model.evaluate(X, Y_SEQ, verbose=0), want, rtol=1e-5)


def test_sequence_output_loss_is_its_mean_over_steps():
    model = _model(pynn, [pynn.losses.SparseCategoricalCrossentropy(from_logits=True), "mse"])
    logs = model.evaluate(X, [Y_SEQ, Y_VEC], verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "seq_loss", "vec_loss"]
    np.testing.assert_allclose(logs["seq_loss"] + logs["vec_loss"], logs["loss"], rtol=1e-5)
    seq_only = _model(pynn, [pynn.losses.SparseCategoricalCrossentropy(from_logits=True), None])
    seq_only.set_weights(model.get_weights())
    np.testing.assert_allclose(logs["seq_loss"], seq_only.evaluate(X, Y_SEQ, verbose=0),
                               rtol=1e-5)


@pytest.mark.parametrize("second", ["mse", None])
def test_output_losses_match_keras(second):
    keras = keras_or_skip()
    keras.utils.set_random_seed(0)
    kmodel = _model(keras, [keras.losses.SparseCategoricalCrossentropy(from_logits=True), second])
    model = _model(pynn, [pynn.losses.SparseCategoricalCrossentropy(from_logits=True), second])
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    y = [Y_SEQ, Y_VEC] if second else Y_SEQ
    kh = kmodel.fit(X, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h = model.fit(X, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert sorted(h) == sorted(kh)
    for key in kh:
        np.testing.assert_allclose(h[key], kh[key], rtol=1e-4, err_msg=key)
