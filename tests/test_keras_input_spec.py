"""InputSpec and the input checks of Layer.__call__ against Keras 3's
(keras/src/layers/input_spec.py, the cases of input_spec_test.py): the same spec on
a layer of the same name accepts and refuses the same inputs with the same message,
eager and symbolic; and the Wrapper base class (keras/src/layers/core/wrapper.py)."""
import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip

SPECS = [
    {"ndim": 3}, {"min_ndim": 3}, {"max_ndim": 2}, {"axes": {-1: 4}}, {"axes": {1: 5}},
    {"shape": (None, 5, 4)}, {"shape": (None, 5, 1), "allow_last_axis_squeeze": True},
    {"dtype": "float32", "ndim": 3}, {"ndim": 3, "axes": {2: 4}},
]
SHAPES = [(2, 5, 4), (2, 5), (2, 5, 3), (2, 6, 4), (2, 5, 4, 1), (2, 5, 1)]


def _layer(lib, spec, name):
    class Checked(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = lib.layers.InputSpec(**spec)

        def call(self, x):
            return x * 2.0
    return Checked(name=name)


def _outcome(fn):
    try:
        fn()
        return "ok"
    except ValueError as e:
        return str(e).split(". Full shape")[0]   # Keras prints shapes as its backend has them


@pytest.mark.parametrize("i", range(len(SPECS)))
def test_input_spec_checks_as_keras(i):
    keras = keras_or_skip()
    spec = SPECS[i]
    for shape in SHAPES:
        x = np.zeros(shape, np.float32)
        theirs = _outcome(lambda: _layer(keras, spec, "probe")(x))
        ours = _outcome(lambda: _layer(pynn, spec, "probe")(x))
        assert ours == theirs, (spec, shape)
        # symbolic inputs are checked alike (batch axis None)
        ours_sym = _outcome(lambda: _layer(pynn, spec, "probe")(pynn.Input(shape=shape[1:])))
        theirs_sym = _outcome(lambda: _layer(keras, spec, "probe")(keras.Input(shape=shape[1:])))
        assert ours_sym == theirs_sym, (spec, shape)


def test_input_spec_object_as_keras():
    keras = keras_or_skip()
    for kw in ({"ndim": 2, "axes": {1: 3}}, {"shape": (None, 4)}, {"min_ndim": 2},
               {"dtype": "float32", "max_ndim": 3}):
        k, p = keras.layers.InputSpec(**kw), pynn.layers.InputSpec(**kw)
        assert repr(p) == repr(k)
        kc, pc = k.get_config(), p.get_config()
        assert pc == kc
        assert pynn.layers.InputSpec.from_config(pc).get_config() == pc
    for bad in ({"ndim": 2, "axes": {2: 3}}, {"axes": {"a": 1}}):
        errors = []
        for lib in (keras, pynn):
            with pytest.raises((ValueError, TypeError)) as e:
                lib.layers.InputSpec(**bad)
            errors.append((e.type, str(e.value)))
        assert errors[0] == errors[1]
    assert pynn.InputSpec is pynn.layers.InputSpec


def test_a_list_of_specs_counts_inputs():
    class Pair(pynn.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = [pynn.layers.InputSpec(ndim=2), pynn.layers.InputSpec(ndim=2)]

        def call(self, inputs):
            return inputs[0] + inputs[1]
    layer = Pair(name="pair")
    assert layer([np.ones((1, 2)), np.ones((1, 2))]).shape == (1, 2)
    with pytest.raises(ValueError, match=r'Layer "pair" expects 2 input\(s\), but it received 1'):
        layer(np.ones((1, 2)))
    with pytest.raises(ValueError, match="Input 1 .* expected ndim=2, found ndim=3"):
        layer([np.ones((1, 2)), np.ones((1, 2, 1))])


def test_wrapper_base():
    keras = keras_or_skip()
    assert issubclass(pynn.layers.TimeDistributed, pynn.layers.Wrapper)
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        pynn.layers.Wrapper("dense")

    class Scaled(pynn.layers.Wrapper):
        def call(self, x):
            return self.layer(x) * 3.0
    pynn.layers.register(Scaled)
    layer = Scaled(pynn.layers.Dense(2), name="scaled")
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    out = layer(x).numpy()
    dense = keras.layers.Dense(2)
    dense(x)
    dense.set_weights(layer.layer.get_weights())
    np.testing.assert_allclose(out, 3 * keras.ops.convert_to_numpy(dense(x)), rtol=1e-6)
    cfg = layer.get_config()
    assert cfg["layer"]["class_name"] == "Dense"
    twin = Scaled.from_config(cfg)
    twin(x)
    twin.set_weights(layer.get_weights())
    np.testing.assert_array_equal(twin(x).numpy(), out)
    from keras_layer_pair import round_trip
    round_trip(layer, x)
