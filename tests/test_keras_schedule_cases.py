"""CosineDecayRestarts as keras/src/optimizers/schedules/learning_rate_schedule_test.py
(keras-team/keras at 3422977a) checks it: CosineDecayRestartsTest's NumPy reference
(periods walked one by one), side by side with the installed Keras 3, in fit, and
through serialize / deserialize."""
import math

import numpy as np
import pytest

import pynn
from keras_ref import keras_or_skip


def np_cosine_decay_restarts(step, decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    # CosineDecayRestartsTest.np_cosine_decay_restarts
    fac = 1.0
    while step >= decay_steps:
        step -= decay_steps
        decay_steps *= t_mul
        fac *= m_mul
    decay = fac * 0.5 * (1.0 + math.cos(math.pi * step / decay_steps))
    return (1.0 - alpha) * decay + alpha


# CosineDecayRestartsTest.test_decay / test_alpha / test_mmul / test_tmul: 1000 steps
CONFIGS = [{}, {"alpha": 0.1}, {"m_mul": 0.9}, {"t_mul": 1.0}]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_matches_keras_reference(kwargs):
    schedule = pynn.schedules.CosineDecayRestarts(1.0, 1000, **kwargs)
    for step in range(0, 1500, 250):
        assert schedule(step) == pytest.approx(
            np_cosine_decay_restarts(step, 1000, **kwargs), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("kwargs", CONFIGS + [{"t_mul": 3.0, "m_mul": 0.5, "alpha": 0.2}])
def test_same_values_as_keras(kwargs):
    keras = keras_or_skip()
    ours = pynn.schedules.CosineDecayRestarts(0.1, 7, **kwargs)
    theirs = keras.optimizers.schedules.CosineDecayRestarts(0.1, 7, **kwargs)
    for step in range(60):
        assert ours(step) == pytest.approx(float(keras.ops.convert_to_numpy(theirs(step))),
                                           rel=1e-5, abs=1e-7)
    np.testing.assert_allclose(ours(np.arange(5)), [ours(i) for i in range(5)])


def test_config_round_trip_and_bad_argument():
    # CosineDecayRestartsTest.test_config
    schedule = pynn.schedules.CosineDecayRestarts(0.05, first_decay_steps=10, alpha=0.1,
                                                  t_mul=3.0, m_mul=4.0, name="my_cdr")
    clone = pynn.schedules.deserialize(pynn.schedules.serialize(schedule))
    assert type(clone) is pynn.schedules.CosineDecayRestarts
    assert clone.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match="first_decay_steps"):
        pynn.schedules.CosineDecayRestarts(0.1, 0)


def test_fit_uses_the_rate_of_each_step():
    # one weight, loss = w (gradient 1): SGD moves w by exactly the step's rate
    schedule = pynn.schedules.CosineDecayRestarts(0.1, 3)
    model = pynn.Sequential([pynn.Input(shape=(1,)), pynn.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=pynn.optimizers.SGD(schedule), loss=lambda y, p: p)
    model.layers[0].kernel[...] = 0.0
    model.fit(np.ones((7, 1), np.float32), np.zeros((7, 1), np.float32), batch_size=1,
              epochs=1, shuffle=False, verbose=0)
    want = -sum(np.float32(schedule(i)) for i in range(7))
    assert float(model.layers[0].kernel[0, 0]) == pytest.approx(want, rel=1e-5)
