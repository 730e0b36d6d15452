"""keras.io's "Point cloud classification with PointNet"
(https://keras.io/examples/vision/pointnet/), Keras 3 version, on synthetic clouds
instead of ModelNet10 (no download, no trimesh): 64 points sampled on the surface of
a sphere, a cube or a cylinder, randomly scaled and rotated about z, three classes;
filter counts divided by 8 (conv_bn 32 -> 4 ... 512 -> 64), 15 epochs. Kept: both
T-nets with their identity-initialised bias and the OrthogonalRegularizer as an
activity regularizer, whose `ops.tensordot(x, x, axes=(2, 2))` puts the batch on two
axes before `ops.reshape(xxt, (-1, k, k))` (the port failed there), Conv1D /
BatchNormalization(momentum=0.0) / GlobalMaxPooling1D / Dot, Dropout(0.3). The
Dropout masks differ between libraries, so the comparison with Keras covers the
untrained predictions, the parameter count and the regularizer's penalty."""
import numpy as np

import keras
from keras import layers
from keras import ops

NUM_POINTS = 64
NUM_CLASSES = 3
BATCH_SIZE = 32

PARITY_KEYS = ["count_params", "untrained_predict", "penalty", "layer_names"]


def _cloud(kind, rng):
    p = rng.normal(size=(NUM_POINTS, 3))
    if kind == 0:  # sphere
        p /= np.linalg.norm(p, axis=1, keepdims=True)
    elif kind == 1:  # cube surface
        p = rng.uniform(-1, 1, size=(NUM_POINTS, 3))
        face = rng.integers(0, 3, NUM_POINTS)
        p[np.arange(NUM_POINTS), face] = np.sign(rng.uniform(-1, 1, NUM_POINTS))
    else:  # cylinder side
        t = rng.uniform(0, 2 * np.pi, NUM_POINTS)
        p = np.stack([np.cos(t), np.sin(t), rng.uniform(-1, 1, NUM_POINTS)], 1)
    theta = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return (p @ rot.T * rng.uniform(0.8, 1.2)).astype("float32")


def data():
    rng = np.random.default_rng(0)
    y = np.arange(300) % NUM_CLASSES
    x = np.stack([_cloud(k, rng) for k in y])
    # jitter the training points, as the tutorial's augment()
    x_train = x[:240] + rng.uniform(-0.005, 0.005, x[:240].shape).astype("float32")
    return (x_train, y[:240]), (x[240:], y[240:])


def conv_bn(x, filters):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def dense_bn(x, filters):
    x = layers.Dense(filters)(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = ops.eye(num_features)

    def __call__(self, x):
        x = ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = ops.tensordot(x, x, axes=(2, 2))
        xxt = ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return ops.sum(self.l2reg * ops.square(xxt - self.eye))


def tnet(inputs, num_features):
    # Initialise bias as the identity matrix
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

    x = conv_bn(inputs, 4)
    x = conv_bn(x, 8)
    x = conv_bn(x, 64)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 32)
    x = dense_bn(x, 16)
    x = layers.Dense(
        num_features * num_features,
        kernel_initializer="zeros",
        bias_initializer=bias,
        activity_regularizer=reg,
    )(x)
    feat_T = layers.Reshape((num_features, num_features))(x)
    # Apply affine transformation to input features
    return layers.Dot(axes=(2, 1))([inputs, feat_T])


def build():
    inputs = keras.Input(shape=(NUM_POINTS, 3))

    x = tnet(inputs, 3)
    x = conv_bn(x, 4)
    x = conv_bn(x, 4)
    x = tnet(x, 4)
    x = conv_bn(x, 4)
    x = conv_bn(x, 8)
    x = conv_bn(x, 64)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 32)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 16)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)

    model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    out = {"count_params": model.count_params(),
           "untrained_predict": model.predict(x_test[:8], verbose=0),
           "layer_names": [type(l).__name__ for l in model.layers]}
    # the regularizer on a batch of 4 feature transforms: sum over the 4 x 4 pairs
    t = np.random.default_rng(1).normal(size=(4, 16)).astype("float32")
    out["penalty"] = float(ops.convert_to_numpy(OrthogonalRegularizer(4)(t)))
    m = t.reshape(4, 4, 4)
    out["penalty_ref"] = float(0.001 * np.sum(
        (np.tensordot(m, m, axes=(2, 2)).reshape(-1, 4, 4) - np.eye(4)) ** 2))
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=15,
                        validation_data=(x_test, y_test), verbose=0)
    out["history"] = history.history
    out["evaluate"] = model.evaluate(x_test, y_test, verbose=0)
    return out


def check(out):
    assert out["penalty"] == np.float32(out["penalty_ref"]) or \
        abs(out["penalty"] - out["penalty_ref"]) < 1e-5 * out["penalty_ref"]
    assert out["layer_names"].count("Dot") == 2
    h = out["history"]
    assert sorted(h) == ["loss", "sparse_categorical_accuracy", "val_loss",
                         "val_sparse_categorical_accuracy"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["evaluate"][1] > 0.6  # three shapes: chance is 1/3
