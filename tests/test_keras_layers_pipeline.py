"""Pipeline (keras/src/layers/preprocessing/pipeline.py, pipeline_test.py) against
Keras 3 and its test cases: training and masks reach every layer, the standalone
call augments, inference passes through, the config nests its layers (and a
malformed one is refused), weights of held layers train and save; and Keras'
wrappers of foreign-framework code, which pynn refuses by name."""
import numpy as np
import pytest

import pynn
from pynn import layers
from keras_ref import keras_or_skip

RNG = np.random.default_rng(17)
IMAGES = RNG.uniform(0, 255, (2, 10, 12, 3)).astype(np.float32)


@pynn.layers.register
class Canary(layers.Layer):
    """pipeline_test.py's CanaryLayer: records the training flag and the mask it gets."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.training, self.received_mask = None, False

    def call(self, x, training=False, mask=None):
        self.training = training
        self.received_mask = self.received_mask or mask is not None
        return x


def test_training_and_mask_reach_every_layer():
    # pipeline_test.py test_correctness
    pipe = layers.Pipeline([Canary(), Canary()])
    pipe(np.array([0.0], np.float32), training=True, mask=np.array([0.0], np.float32))
    assert pipe.layers[0].training is True and pipe.layers[1].training is True
    assert pipe.layers[0].received_mask and pipe.layers[1].received_mask
    pipe(np.array([0.0], np.float32), training=False)
    assert pipe.layers[0].training is False and pipe.layers[1].training is False


def test_matches_keras_and_round_trips():
    # pipeline_test.py test_tf_data_compatibility / test_from_config: AutoContrast + CenterCrop
    keras = keras_or_skip()
    theirs = keras.layers.Pipeline([keras.layers.AutoContrast(), keras.layers.CenterCrop(8, 9)])
    ours = layers.Pipeline([layers.AutoContrast(), layers.CenterCrop(8, 9)])
    want = keras.ops.convert_to_numpy(theirs(IMAGES))
    got = ours(IMAGES).numpy()
    assert got.shape == (2, 8, 9, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)
    restored = layers.Pipeline.from_config(ours.get_config())
    np.testing.assert_allclose(restored(IMAGES).numpy(), got, rtol=1e-6)
    kc, pc = theirs.get_config(), ours.get_config()
    assert [la["class_name"] for la in pc["layers"]] == [la["class_name"] for la in kc["layers"]]
    assert set(kc) <= set(pc) | {"dtype"}
    # pipeline_test.py test_from_config_malformed_raises_value_error / does_not_mutate_input
    for bad in ({"name": "p"}, {"layers": None, "name": "p"}):
        with pytest.raises(ValueError, match="layers"):
            layers.Pipeline.from_config(bad)
    cfg = ours.get_config()
    before = [dict(la) for la in cfg["layers"]]
    layers.Pipeline.from_config(cfg)
    assert cfg["layers"] == before


def test_standalone_call_augments_and_inference_passes_through():
    pipe = layers.Pipeline([layers.RandomFlip("horizontal"), layers.RandomBrightness(0.5)])
    x = np.repeat(IMAGES[:1], 64, axis=0)
    pynn.set_seed(2)
    out = pipe(x).numpy()  # Keras' call(training=True) default
    assert not np.allclose(out, x)
    np.testing.assert_array_equal(pipe(x, training=False).numpy(), x)
    model = pynn.Sequential([pynn.Input(shape=x.shape[1:]), pipe])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)  # predict: inference
    assert not layers.Pipeline([layers.Rescaling(2.0)])._standalone_training


def test_weights_train_save_and_load(tmp_path):
    pynn.set_seed(0)
    x = RNG.normal(size=(128, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None]
    pipe = layers.Pipeline([layers.Dense(8, activation="tanh"), layers.Dense(1)])
    model = pynn.Sequential([pynn.Input(shape=(4,)), pipe])
    assert [w.shape for w in model.trainable_weights] == [(4, 8), (8,), (8, 1), (1,)]
    model.compile(pynn.optimizers.Adam(0.05), "mse")
    hist = model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]
    path = str(tmp_path / "pipe.keras")
    model.save(path)
    loaded = pynn.load_model(path)
    assert type(loaded.layers[-1]).__name__ == "Pipeline"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_bad_layers():
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        layers.Pipeline([layers.Dense(2), "relu"])
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        layers.Pipeline(layers.Dense(2))


@pytest.mark.parametrize("name, framework", [("TorchModuleWrapper", "PyTorch"),
                                             ("JaxLayer", "JAX"), ("FlaxLayer", "Flax"),
                                             ("TFSMLayer", "TensorFlow")])
def test_foreign_framework_wrappers_refuse_by_name(name, framework):
    with pytest.raises(NotImplementedError) as e:
        getattr(layers, name)(object())
    msg = str(e.value)
    assert msg.startswith(f"{name} runs {framework}"), msg
    assert any(hint in msg for hint in ("set_weights", "pynn.ops", "load_model")), msg
