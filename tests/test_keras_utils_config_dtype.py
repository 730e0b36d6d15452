"""keras.utils: Config, standardize_dtype, get_source_inputs, CustomObjectScope, each
held against the installed Keras 3 (torch backend) on the same inputs, and the
behaviour its source documents (keras/src/utils/config.py docstring,
keras/src/backend/common/variables.py standardize_dtype,
keras/src/ops/operation_utils.py get_source_inputs)."""
import numpy as np
import pytest

import pynn
from pynn import utils
from keras_ref import keras_or_skip


def _both(keras, fn):
    """fn(module) on Keras' utils and pynn's: the results, or the exception types."""
    out = []
    for mod in (keras.utils, utils):
        try:
            out.append(("ok", fn(mod)))
        except Exception as e:
            out.append(("raise", type(e).__name__, str(e)))
    return out


def test_config_behaves_as_keras():
    keras = keras_or_skip()

    def script(u):
        c = u.Config(learning_rate=0.1, momentum=0.9)
        c.use_ema = True
        c["seed"] = 123
        trace = [c.seed, c["learning_rate"], list(c), len(c), "seed" in c, c.get("x", 5),
                 c.as_dict(), c.to_json(), repr(c)]
        c.pop("momentum")
        c.update(a=1)
        del c["a"]
        trace.append(sorted(c.keys()))
        c.freeze()
        trace.append(c.frozen)
        for change in (lambda: setattr(c, "foo", 1), lambda: c.__setitem__("x", 1),
                       lambda: c.pop("seed"), lambda: c.update(y=2),
                       lambda: c.__delitem__("seed")):
            try:
                change()
                trace.append("changed")
            except ValueError as e:
                trace.append(str(e))
        c.unfreeze()
        c.foo = 2
        trace.append(c.foo)
        try:
            c.learning_rat
        except AttributeError as e:
            trace.append(str(e))
        try:
            c.zzz
        except AttributeError as e:
            trace.append(str(e))
        return trace

    theirs, ours = _both(keras, script)
    assert ours == theirs
    assert ours[1][-2] == "Unknown attribute: 'learning_rat'. Did you mean 'learning_rate'?"


@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int8", "uint16", "bool",
                                   "string", "bfloat16", "complex64", np.float32, np.int64,
                                   np.dtype("float16"), np.dtype("uint8"), bool, int, float,
                                   str, complex, "int", "float", "double", "int128", "quux", 3])
def test_standardize_dtype_matches_keras(dtype):
    keras = keras_or_skip()
    theirs, ours = _both(keras, lambda u: u.standardize_dtype(dtype))
    assert ours[:2] == theirs[:2], (ours, theirs)


def test_standardize_dtype_takes_torch_dtypes():
    keras = keras_or_skip()
    import torch
    for d in (torch.float32, torch.int64, torch.bool, torch.bfloat16):
        assert utils.standardize_dtype(d) == keras.utils.standardize_dtype(d)


def test_get_source_inputs_as_keras():
    keras = keras_or_skip()

    def graph(lib, layers):
        a = lib.Input(shape=(3,), name="a")
        b = lib.Input(shape=(3,), name="b")
        c = lib.Input(shape=(2,), name="c")
        shared = layers.Dense(3)
        h = layers.Add()([shared(a), shared(b)])
        y = layers.Concatenate()([layers.Dense(2)(h), c, layers.Dense(2)(a)])
        return [a, b, c], h, y

    k_in, k_h, k_y = graph(keras, keras.layers)
    p_in, p_h, p_y = graph(pynn, pynn.layers)
    for kt, pt in ((k_y, p_y), (k_h, p_h), (k_in[1], p_in[1])):
        names_k = [k_in.index(t) for t in keras.utils.get_source_inputs(kt)]
        names_p = [p_in.index(t) for t in utils.get_source_inputs(pt)]
        assert names_p == names_k
    assert [p_in.index(t) for t in utils.get_source_inputs(p_y)] == [0, 1, 2]
    arr = np.ones(3)
    assert utils.get_source_inputs(arr) is arr  # not symbolic: returned as it is, as Keras


def test_custom_object_scope_is_keras_class_and_alias():
    keras = keras_or_skip()
    assert keras.utils.CustomObjectScope is keras.utils.custom_object_scope
    assert utils.CustomObjectScope is utils.custom_object_scope

    def halved(x):
        return x * 0.5
    with utils.CustomObjectScope({"halved": halved}, {"other": abs}):
        assert pynn.saving.get_registered_object("halved") is halved
        assert pynn.saving.get_registered_object("other") is abs
    assert pynn.saving.get_registered_object("halved") is None
    with pytest.raises(TypeError, match="takes dicts"):
        utils.CustomObjectScope(["halved"])
