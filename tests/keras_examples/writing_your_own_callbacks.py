"""keras.io's "Writing your own callbacks"
(https://keras.io/guides/writing_your_own_callbacks/), shrunk: the guide's
CustomCallback overriding every hook and printing the log keys it gets, passed to
fit (with validation_split, so the validation pass fires the on_test_* hooks
inside each epoch), evaluate and predict; then LossAndErrorPrintingCallback. The
8x8 digits stand in for MNIST; fit runs with shuffle=False so that both libraries
see the same batches. What is printed must be Keras' text, line for line."""
import contextlib
import io

import numpy as np

import keras
from keras_examples._data import digits


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        print("Starting training; got log keys: {}".format(keys))

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop training; got log keys: {}".format(keys))

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        print("Start epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        print("End epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start testing; got log keys: {}".format(keys))

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop testing; got log keys: {}".format(keys))

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start predicting; got log keys: {}".format(keys))

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop predicting; got log keys: {}".format(keys))

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: start of batch {}; got log keys: {}".format(batch, keys))

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: end of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: start of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: end of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: start of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: end of batch {}; got log keys: {}".format(batch, keys))


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_test_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        print("The average loss for epoch {} is {:7.2f} "
              "and mean absolute error is {:7.2f}.".format(epoch, logs["loss"],
                                                           logs["mean_absolute_error"]))


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0
    return (x_train[:600], y_train[:600].astype("float32")), \
        (x_test[:300], y_test[:300].astype("float32"))


def build():
    model = get_model()
    model.build((None, 64))
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
                  shuffle=False,
                  callbacks=[CustomCallback()])
        res = model.evaluate(x_test, y_test, batch_size=128, verbose=0,
                             callbacks=[CustomCallback()])
        res = model.predict(x_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    printed = {"custom": text.getvalue().splitlines()}
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, shuffle=False,
                  callbacks=[LossAndErrorPrintingCallback()])
        model.evaluate(x_test, y_test, batch_size=128, verbose=0,
                       callbacks=[LossAndErrorPrintingCallback()])
    printed["loss_and_error"] = text.getvalue().splitlines()
    printed["predictions"] = res
    return printed


def check(out):
    lines = out["custom"]
    # 300 training samples in batches of 128: 3 train batches, then the validation pass
    i = lines.index("...Training: end of batch 2; got log keys: ['loss', 'mean_absolute_error']")
    assert lines[i + 1] == "Start testing; got log keys: []"
    assert lines[i + 8] == "Stop testing; got log keys: ['loss', 'mean_absolute_error']"
    assert lines[i + 9].startswith("End epoch 0 of training; got log keys: ['loss', "
                                   "'mean_absolute_error', 'val_loss', 'val_mean_absolute_error']")
    assert lines[-1] == "Stop predicting; got log keys: []"
    assert lines[-2] == "...Predicting: end of batch 2; got log keys: ['outputs']"
    assert out["predictions"].shape == (300, 1)
    assert sum(l.startswith("Up to batch") for l in out["loss_and_error"]) == 5 * 2 + 3
