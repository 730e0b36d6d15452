"""TensorFlow's "TensorFlow 2 quickstart for experts"
(https://www.tensorflow.org/tutorials/quickstart/advanced), Keras 3 on the torch
backend: the subclassed MyModel (Conv2D(32, 3, relu), Flatten, Dense(128, relu),
Dense(10)), SparseCategoricalCrossentropy(from_logits=True), Adam, the
train_loss / train_accuracy / test_loss / test_accuracy metrics reset at each epoch,
and the hand-written train_step / test_step loop. Changes: the step's
tf.GradientTape + optimizer.apply_gradients is written the Keras 3 torch way
(model.zero_grad(), loss.backward(), [v.value.grad for v in
model.trainable_weights], optimizer.apply under torch.no_grad(), as in keras.io's
"Writing a training loop from scratch in PyTorch"); @tf.function is dropped; tf.data
shuffle/batch is a fixed NumPy batching; MNIST (downloaded) is replaced by the first
960 / 160 Fashion-MNIST images (60000 / 10000); 2 epochs (5); the model is called on
one batch before the loop so that both libraries start from the same weights. No
dropout: every per-epoch figure and the trained weights are compared with Keras."""
import os

os.environ["KERAS_BACKEND"] = "torch"

import numpy as np
import torch

import keras
from keras.layers import Dense, Flatten, Conv2D
from keras import Model

from keras_examples._data import fashion_mnist

# 60 Adam steps: the first step's gradients agree with Keras' to 3e-6 of their scale, but
# Adam turns the ~1e-9 gradients of weights fed by near-empty pixels into steps of +-lr,
# so float32 rounding there moves those weights by up to ~1e-3 of their scale
PARITY_TOL = (5e-3, 1e-3)


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(32, 3, activation='relu')
        self.flatten = Flatten()
        self.d1 = Dense(128, activation='relu')
        self.d2 = Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


def data():
    (x_train, y_train), (x_test, y_test) = fashion_mnist(960, 160)
    x_train, x_test = x_train / 255.0, x_test / 255.0
    x_train = x_train[..., np.newaxis].astype("float32")
    x_test = x_test[..., np.newaxis].astype("float32")
    return (x_train, y_train.astype("int64")), (x_test, y_test.astype("int64"))


def build():
    model = MyModel()
    model(np.zeros((1, 28, 28, 1), "float32"))
    return model


def _batches(x, y, size=32):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    train_ds, test_ds = _batches(x_train, y_train), _batches(x_test, y_test)

    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    optimizer = keras.optimizers.Adam()

    train_loss = keras.metrics.Mean(name='train_loss')
    train_accuracy = keras.metrics.SparseCategoricalAccuracy(name='train_accuracy')

    test_loss = keras.metrics.Mean(name='test_loss')
    test_accuracy = keras.metrics.SparseCategoricalAccuracy(name='test_accuracy')

    def train_step(images, labels):
        model.zero_grad()
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
        loss.backward()
        trainable_weights = [v for v in model.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            optimizer.apply(gradients, trainable_weights)

        train_loss(loss)
        train_accuracy(labels, predictions)

    def test_step(images, labels):
        # training=False is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=False)
        t_loss = loss_object(labels, predictions)

        test_loss(t_loss)
        test_accuracy(labels, predictions)

    EPOCHS = 2
    log = []
    for epoch in range(EPOCHS):
        # Reset the metrics at the start of the next epoch
        train_loss.reset_state()
        train_accuracy.reset_state()
        test_loss.reset_state()
        test_accuracy.reset_state()

        for images, labels in train_ds:
            train_step(images, labels)

        for test_images, test_labels in test_ds:
            test_step(test_images, test_labels)

        log.append([float(train_loss.result()), float(train_accuracy.result()),
                    float(test_loss.result()), float(test_accuracy.result())])
    return {"log": np.array(log), "weights": model.get_weights(),
            "logits": keras.ops.convert_to_numpy(model(x_test[:16]))}


def check(out):
    log = out["log"]
    assert log.shape == (2, 4)
    # it learns: the loss falls and test accuracy is far above chance (10 %)
    assert log[1, 0] < log[0, 0] and log[1, 3] > 0.6, log
