"""Keras 3's own golden optimizer trajectories and weight-decay values, run on pynn.

The golden rows are those of ``test_correctness_with_golden`` in
keras/src/optimizers/<name>_test.py (keras-team/keras at 3422977a,
https://github.com/keras-team/keras/tree/master/keras/src/optimizers): x starts at
ones(10), takes one step with the gradient full(10, 0.01), then alternates "x must
equal the next golden row (rtol = atol = 5e-4, Keras' tolerance)" and a step with
the gradient arange(0.1, 1.1, 0.1). The weight-decay value is the one of
``test_weight_decay`` in the same files."""
import numpy as np
import pytest

import pynn

# (Keras test, optimizer class, constructor kwargs, golden rows)
GOLDEN = [
    ("adadelta_test.py:AdadeltaTest.test_correctness_with_golden", "Adadelta",
     {'learning_rate': 1.0, 'rho': 0.8, 'epsilon': 1e-06},
     [[0.9978, 0.9978, 0.9978, 0.9978, 0.9978, 0.9978, 0.9978, 0.9978, 0.9978, 0.9978],
      [0.9947, 0.9947, 0.9947, 0.9947, 0.9947, 0.9947, 0.9947, 0.9947, 0.9947, 0.9947],
      [0.9915, 0.9915, 0.9915, 0.9915, 0.9915, 0.9915, 0.9915, 0.9915, 0.9915, 0.9915],
      [0.9882, 0.9882, 0.9882, 0.9882, 0.9882, 0.9882, 0.9882, 0.9882, 0.9882, 0.9882],
      [0.9849, 0.9849, 0.9849, 0.9849, 0.9849, 0.9849, 0.9849, 0.9849, 0.9849, 0.9849]]),
    ("adafactor_test.py:AdafactorTest.test_correctness_with_golden", "Adafactor",
     {'learning_rate': 0.5, 'beta_2_decay': -0.65, 'epsilon_1': 1e-15, 'epsilon_2': 0.0001,
      'clip_threshold': 0.9, 'relative_step': False},
     [[0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55],
      [0.3031, 0.3026, 0.3025, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024],
      [0.1671, 0.1665, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663],
      [0.0923, 0.0916, 0.0915, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914],
      [0.0554, 0.0548, 0.0546, 0.0546, 0.0546, 0.0546, 0.0546, 0.0545, 0.0545, 0.0545]]),
    ("adagrad_test.py:AdagradTest.test_correctness_with_golden", "Adagrad",
     {'learning_rate': 0.2, 'initial_accumulator_value': 0.3, 'epsilon': 1e-06},
     [[0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963, 0.9963],
      [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
      [0.9251, 0.8629, 0.8137, 0.7768, 0.7497, 0.7298, 0.7151, 0.704, 0.6956, 0.6891],
      [0.8903, 0.8012, 0.7342, 0.6862, 0.6521, 0.6277, 0.6099, 0.5967, 0.5867, 0.579],
      [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825]]),
    ("adam_test.py:AdamTest.test_correctness_with_golden", "Adam", {'amsgrad': True},
     [[0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999],
      [0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982],
      [0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974],
      [0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965],
      [0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955]]),
    ("adamax_test.py:AdamaxTest.test_correctness_with_golden", "Adamax",
     {'learning_rate': 0.2, 'beta_1': 0.85, 'beta_2': 0.95, 'epsilon': 1e-06},
     [[0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
      [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691],
      [0.5333, 0.5407, 0.5431, 0.5444, 0.5451, 0.5456, 0.546, 0.5462, 0.5464, 0.5466],
      [0.368, 0.3773, 0.3804, 0.382, 0.3829, 0.3835, 0.384, 0.3843, 0.3846, 0.3848],
      [0.1933, 0.204, 0.2076, 0.2094, 0.2105, 0.2112, 0.2117, 0.2121, 0.2124, 0.2126]]),
    ("adamw_test.py:AdamWTest.test_correctness_with_golden", "AdamW",
     {'learning_rate': 1.0, 'weight_decay': 0.5, 'epsilon': 2},
     [[0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998],
      [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
      [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
      [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
      [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159]]),
    ("ftrl_test.py:FtrlTest.test_correctness_with_golden", "Ftrl",
     {'learning_rate': 0.05, 'learning_rate_power': -0.2, 'initial_accumulator_value': 0.4,
      'l1_regularization_strength': 0.05, 'l2_regularization_strength': 0.15,
      'l2_shrinkage_regularization_strength': 0.01, 'beta': 0.3},
     [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [-0.0034, -0.0077, -0.0118, -0.0157, -0.0194, -0.023, -0.0263, -0.0294, -0.0325, -0.0354],
      [-0.0078, -0.0162, -0.0242, -0.0317, -0.0387, -0.0454, -0.0516, -0.0575, -0.0631, -0.0685],
      [-0.0121, -0.0246, -0.0363, -0.0472, -0.0573, -0.0668, -0.0757, -0.0842, -0.0922, -0.0999],
      [-0.0164, -0.0328, -0.0481, -0.0623, -0.0753, -0.0875, -0.099, -0.1098, -0.1201, -0.1299]]),
    ("lamb_test.py:LambTest.test_correctness_with_golden", "Lamb", {},
     [[0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999],
      [0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982, 0.9982],
      [0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974, 0.9974],
      [0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965, 0.9965],
      [0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955, 0.9955]]),
    ("lion_test.py:LionTest.test_correctness_with_golden", "Lion", {},
     [[0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999],
      [0.998, 0.998, 0.998, 0.998, 0.998, 0.998, 0.998, 0.998, 0.998, 0.998],
      [0.997, 0.997, 0.997, 0.997, 0.997, 0.997, 0.997, 0.997, 0.997, 0.997],
      [0.996, 0.996, 0.996, 0.996, 0.996, 0.996, 0.996, 0.996, 0.996, 0.996],
      [0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995]]),
    ("nadam_test.py:NadamTest.test_correctness_with_golden", "Nadam",
     {'learning_rate': 0.5, 'beta_1': 0.5, 'beta_2': 0.67, 'epsilon': 1e-05},
     [[0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281],
      [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
      [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
      [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
      [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454]]),
    ("rmsprop_test.py:RMSpropTest.test_correctness_with_golden", "RMSprop", {'centered': True},
     [[0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967, 0.9967],
      [0.9933, 0.9933, 0.9933, 0.9933, 0.9933, 0.9933, 0.9933, 0.9933, 0.9933, 0.9933],
      [0.9908, 0.9908, 0.9908, 0.9908, 0.9908, 0.9908, 0.9908, 0.9908, 0.9908, 0.9908],
      [0.9885, 0.9885, 0.9885, 0.9885, 0.9885, 0.9885, 0.9885, 0.9885, 0.9885, 0.9885],
      [0.9864, 0.9864, 0.9864, 0.9864, 0.9864, 0.9864, 0.9864, 0.9864, 0.9864, 0.9864]]),
    ("sgd_test.py:SGDTest.test_correctness_with_golden", "SGD", {'nesterov': True},
     [[0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999, 0.9999],
      [0.9989, 0.9979, 0.9969, 0.9959, 0.9949, 0.9939, 0.9929, 0.9919, 0.9909, 0.9899],
      [0.9979, 0.9959, 0.9939, 0.9919, 0.9899, 0.9879, 0.9859, 0.9839, 0.9819, 0.9799],
      [0.9969, 0.9939, 0.9909, 0.9879, 0.9849, 0.9819, 0.9789, 0.9759, 0.9729, 0.9699],
      [0.9959, 0.9919, 0.9879, 0.9839, 0.9799, 0.9759, 0.9719, 0.9679, 0.9639, 0.9599]]),
]


@pytest.mark.parametrize("case", GOLDEN, ids=[g[1] for g in GOLDEN])
def test_golden_trajectory(case):
    _, name, kwargs, golden = case
    optimizer = getattr(pynn.optimizers, name)(**kwargs)
    x = pynn.Variable(np.ones(10, np.float32))
    grads = np.arange(0.1, 1.1, 0.1).astype(np.float32)
    optimizer.apply_gradients(zip([np.full(10, 0.01, np.float32)], [x]))
    for row in golden:
        np.testing.assert_allclose(np.asarray(x), row, rtol=5e-4, atol=5e-4)
        optimizer.apply_gradients(zip([grads], [x]))


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Adagrad",
                                  "Adadelta", "Nadam", "Lion", "Lamb"])
def test_weight_decay_with_a_zero_gradient(name):
    # <name>_test.py test_weight_decay: a scalar variable 2.0 and a zero gradient
    # (ops.zeros(()), a scalar: pynn.ops.zeros(()) used to make shape (1,), refused as
    # the gradient of a scalar), three optimizers with learning_rate=1, weight_decay=0.004
    # each take one step: 2 * 0.996**3
    var = pynn.Variable(2.0)
    for _ in range(3):
        optimizer = getattr(pynn.optimizers, name)(learning_rate=1.0, weight_decay=0.004)
        optimizer.apply_gradients(zip([pynn.ops.zeros(())], [var]))
    np.testing.assert_almost_equal(float(var), 1.9760959, decimal=6)
    assert pynn.ops.zeros(()).shape == () and pynn.ops.full((), 3.0).shape == ()
