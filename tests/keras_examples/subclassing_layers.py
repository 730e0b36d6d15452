"""keras.io's "Making new layers and models via subclassing"
(https://keras.io/guides/making_new_layers_and_models_via_subclassing/), shrunk:
Linear with weights made in build(), ComputeSum with a non-trainable weight updated
by assign_add in call(), MLPBlock holding three Linear layers (recursively
tracked: their weights are its weights), ActivityRegularizationLayer with
add_loss() and OuterLayerWithKernelRegularizer whose `losses` hold the nested
Dense's L2 penalty — then those layers trained in a model with
keras.activations.relu called as a function."""
import numpy as np

import keras
from keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False
        )

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


# A layer that creates an activity regularization loss
class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(
            32, kernel_regularizer=keras.regularizers.l2(1e-3)
        )

    def call(self, inputs):
        return self.dense(inputs)


PARITY_KEYS = ["compute_sum", "mlp_counts", "history", "weights", "predict"]
PARITY_TOL = (1e-3, 1e-5)  # 24 Adam steps at lr 0.01: float32 sums in another order drift


def data():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype("float32")
    return x, y


def build():
    inputs = keras.Input(shape=(8,))
    x = ActivityRegularizationLayer()(MLPBlock()(inputs))
    model = keras.Model(inputs, x)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def run(model, data, tmpdir):
    x_in, y_in = data
    out = {}
    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    y1 = np.array(ops.convert_to_numpy(my_sum(x)))
    y2 = np.array(ops.convert_to_numpy(my_sum(x)))
    out["compute_sum"] = [y1, y2, len(my_sum.weights), len(my_sum.non_trainable_weights),
                          len(my_sum.trainable_weights)]
    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))  # The first call to the `mlp` will create the weights
    out["mlp_counts"] = [len(mlp.weights), len(mlp.trainable_weights), list(y.shape)]
    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    kernel = np.asarray(layer.dense.kernel)
    out["regularizer"] = [float(ops.convert_to_numpy(layer.losses[0])),
                          1e-3 * float(np.sum(kernel.astype(np.float64) ** 2))]
    history = model.fit(x_in, y_in, batch_size=16, epochs=4, shuffle=False, verbose=0)
    out["history"] = history.history
    out["weights"] = model.get_weights()
    out["predict"] = model.predict(x_in[:8], verbose=0)
    return out


def check(out):
    y1, y2, n, n_frozen, n_trainable = out["compute_sum"]
    np.testing.assert_array_equal(y1, [2.0, 2.0])
    np.testing.assert_array_equal(y2, [4.0, 4.0])
    assert (n, n_frozen, n_trainable) == (1, 1, 0)
    assert out["mlp_counts"] == [6, 6, [3, 1]]
    np.testing.assert_allclose(out["regularizer"][0], out["regularizer"][1], rtol=1e-5)
    assert out["history"]["loss"][-1] < 0.5 * out["history"]["loss"][0]
    assert len(out["weights"]) == 6
