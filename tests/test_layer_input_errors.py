"""Issue #4's bad inputs, on the paths a user meets them: symbolic pynn.Input
shapes (functional and Sequential), eager calls, and fit / predict on the
compiled driver. Each error names the layer, what it expected and what came."""
import numpy as np
import pytest

import pynn
from pynn import layers as L


def test_conv2d_missing_channel_axis_is_explained():
    with pytest.raises(ValueError, match=r"Conv2D 'c'.*per-sample shape \(28, 28\)\).*channel "
                                         r"axis seems to be missing.*x\.reshape\(-1, 28, 28, 1\)"):
        L.Conv2D(8, 3, name="c")(pynn.Input(shape=(28, 28)))
    with pytest.raises(ValueError, match=r"channel axis seems to be missing.*x\.reshape\(-1, 28, 28, "
                                         r"1\)"):
        L.Conv2D(8, 3)(np.zeros((5, 28, 28), np.float32))
    with pytest.raises(ValueError, match="channel axis"):
        pynn.Sequential([pynn.Input((28, 28)), L.Conv2D(8, 3)])


@pytest.mark.parametrize("make,per_sample,what", [
    (lambda: L.Conv2D(4, 5), (4, 9, 1), "height of the input is 4 but the window needs 5"),
    (lambda: L.Conv2D(4, (1, 3), dilation_rate=3), (4, 6, 1),
     r"width of the input is 6 but the window needs 7 \(kernel size 3 with dilation 3"),
    (lambda: L.Conv1D(4, 7), (5, 2), "steps of the input is 5 but the window needs 7"),
    (lambda: L.MaxPooling2D(3), (2, 8, 1), "height of the input is 2 but the window needs 3"),
])
def test_kernel_larger_than_input_is_explained(make, per_sample, what):
    # symbolic: the batch is unknown and the message does not invent one
    with pytest.raises(ValueError, match=what + r".*received input shape \(None, .*\(per-sample "
                                                r"shape"):
        make()(pynn.Input(shape=per_sample))
    with pytest.raises(ValueError, match=what + ".*Use padding='same'"):
        make()(np.zeros((3,) + per_sample, np.float32))
    # unknown lengths are checked when data comes, not refused up front
    assert make()(pynn.Input(shape=(None,) * (len(per_sample) - 1) + per_sample[-1:])) is not None


def test_token_ids_outside_the_embedding_are_refused():
    model = pynn.Sequential([pynn.Input((4,)), L.Embedding(5, 2), L.Flatten(), L.Dense(1)])
    model.compile("adam", "mse")
    good = np.array([[1, 2, 3, 4]] * 8, np.float32)
    assert model.predict(good, verbose=0).shape == (8, 1)
    for bad, shown in ((5, "id 5"), (7, "id 7"), (-1, "id -1"), (1.5, "id 1.5")):
        x = good.copy()
        x[3, 2] = bad
        with pytest.raises(ValueError, match=shown + r".*input_dim=5"):
            model.predict(x, verbose=0)
        with pytest.raises(ValueError, match=shown + r".*input_dim=5"):
            model.fit(x, np.zeros(8), verbose=0)
        with pytest.raises(ValueError, match=shown + r".*input_dim=5"):
            model(x)
    # the model is intact after the refusals
    assert model.predict(good, verbose=0).shape == (8, 1)


def test_mismatched_functional_inputs():
    a, b = pynn.Input(shape=(3,)), pynn.Input(shape=(4,))
    with pytest.raises(ValueError, match=r"Add layer .*\(None, 3\), \(None, 4\)"):
        L.Add()([a, b])
    model = pynn.Model([a, b], L.Concatenate()([a, b]))
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict(np.zeros((2, 3), np.float32), verbose=0)
    with pytest.raises(ValueError, match=r"input 1 expects .*per-sample shape \(4,\).*got a batch of "
                                         r"shape \(2, 5\)"):
        model.predict([np.zeros((2, 3), np.float32), np.zeros((2, 5), np.float32)], verbose=0)
    with pytest.raises(ValueError, match=r"same number of samples; got \[2, 3\]"):
        model.predict([np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32)], verbose=0)
    with pytest.raises(ValueError, match="not in `inputs`"):
        pynn.Model(a, L.Add()([b, b]))
