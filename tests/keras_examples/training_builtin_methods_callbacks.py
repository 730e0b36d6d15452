"""keras.io's "Training & evaluation with the built-in methods"
(https://keras.io/guides/training_with_built_in_methods/), Keras 3 version, the cells
that training_builtin_methods.py does not run: "Training & evaluation using PyDataset
instances" (ExamplePyDataset with __len__ / __getitem__ batches, fit with
validation_data=PyDataset, then workers=4), "Using callbacks" (EarlyStopping with
min_delta=1e-2, patience=2, verbose=1 on validation_split=0.2, and the LossHistory
callback's on_train_begin / on_batch_end), "Checkpointing models" (ModelCheckpoint to
"mymodel_{epoch}.keras" with save_best_only on val_loss, and the fault-tolerant
make_or_restore_model: the newest checkpoint by ctime, saved every 100 batches to
"model-loss={loss:.2f}.keras", restored with keras.models.load_model), "Using learning
rate schedules" (ExponentialDecay(0.1, 100000, 0.96, staircase=True) given to RMSprop)
and the TensorBoard callback. On the 8x8 digits (64 pixels in place of 784); the
guide's files go to the test's directory; fit is given shuffle=False so that both
libraries see the same batches, and every model starts from the first one's weights.
The torch DataLoader and tf.data cells are left out: they feed the model from other
libraries' pipelines."""
import os

import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

# RMSprop trajectories of up to 20 epochs: float32 sums in another order
PARITY_TOL = (1e-3, 1e-4)
# Keras 3.15 reading the PyDataset with workers=4 trains to another loss than with one
# worker (1.8859 against 1.9014 from the same weights, the same every run; a toy dataset
# shows the batches requested and their order unchanged, so the cause was not pinned
# down); pynn reads the batches in the calling thread and its two runs agree, which
# check() asserts, so that entry alone is not compared
PARITY_KEYS = ["py_dataset", "py_dataset_eval", "early_stopping", "stopped_epoch",
               "per_batch_losses", "checkpoint_files", "checkpoint_restored", "created",
               "restored_from", "fault_tolerant_0", "fault_tolerant_1", "ckpt_files",
               "lr_schedule", "lr_schedule_fit", "tensorboard"]


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16
    y_train = y_train.astype("float32")
    return (x_train[:-300], y_train[:-300]), (x_train[-300:], y_train[-300:])


def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def build():
    return get_compiled_model()


def run(model, data, tmpdir):
    (x_train, y_train), (x_val, y_val) = data
    initial = model.get_weights()
    out = {}

    def fresh():
        model = get_compiled_model()
        model.set_weights(initial)
        return model

    # PyDataset
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1,
              shuffle=False, verbose=0)
    out["py_dataset"] = model.history.history
    out["py_dataset_eval"] = model.evaluate(val_py_dataset, verbose=0)

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=4)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=4)
    model = fresh()
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset,
                        epochs=1, shuffle=False, verbose=0)
    out["py_dataset_workers"] = history.history

    # Using callbacks
    model = fresh()
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=1,
        ),
        LossHistory(),
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
        shuffle=False,
        verbose=0,
    )
    out["early_stopping"] = history.history
    out["stopped_epoch"] = callbacks[0].stopped_epoch
    out["per_batch_losses"] = callbacks[1].per_batch_losses

    # Checkpointing models
    model = fresh()
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # Path where to save the model
            # The two parameters below mean that we will overwrite
            # the current checkpoint if and only if
            # the `val_loss` score has improved.
            # The saved model name will include the current epoch.
            filepath=os.path.join(tmpdir, "mymodel_{epoch}.keras"),
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
        shuffle=False,
        verbose=0,
    )
    out["checkpoint_files"] = sorted(f for f in os.listdir(tmpdir) if f.startswith("mymodel_"))
    restored = keras.models.load_model(os.path.join(tmpdir, "mymodel_2.keras"))
    out["checkpoint_restored"] = [restored.predict(x_val[:5], verbose=0),
                                  model.predict(x_val[:5], verbose=0)]

    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = os.path.join(tmpdir, "ckpt")
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one
        # if there is no checkpoint available.
        checkpoints = [
            os.path.join(checkpoint_dir, name)
            for name in os.listdir(checkpoint_dir)
        ]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            out["restored_from"] = os.path.basename(latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        out["created"] = True
        return fresh()

    for run_number in range(2):  # the second run restarts from the newest checkpoint
        model = make_or_restore_model()
        callbacks = [
            # This callback saves the model every 100 batches.
            # We include the training loss in the saved model name.
            keras.callbacks.ModelCheckpoint(
                filepath=os.path.join(checkpoint_dir, "model-loss={loss:.2f}.keras"),
                save_freq=10,  # 10 batches in place of 100: an epoch is 24 batches here
            )
        ]
        history = model.fit(x_train, y_train, epochs=1, callbacks=callbacks, shuffle=False,
                            verbose=0)
        out[f"fault_tolerant_{run_number}"] = history.history
    out["ckpt_files"] = len(os.listdir(checkpoint_dir))

    # Using learning rate schedules
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    model = get_uncompiled_model()
    model.set_weights(initial)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    out["lr_schedule"] = [float(lr_schedule(0)), float(lr_schedule(100000)),
                          float(lr_schedule(250000))]
    out["lr_schedule_fit"] = model.fit(x_train, y_train, batch_size=64, epochs=1,
                                       shuffle=False, verbose=0).history

    # TensorBoard
    tensorboard = keras.callbacks.TensorBoard(
        log_dir=os.path.join(tmpdir, "logs"),
        histogram_freq=0,  # How often to log histogram visualizations
        embeddings_freq=0,  # How often to log embedding visualizations
        update_freq="epoch",
    )  # How often to write logs (default: once per epoch)
    out["tensorboard"] = [tensorboard.log_dir == os.path.join(tmpdir, "logs"),
                          tensorboard.update_freq]
    return out


def check(out):
    h = out["py_dataset"]
    assert sorted(h) == ["loss", "sparse_categorical_accuracy", "val_loss",
                         "val_sparse_categorical_accuracy"]
    assert h["val_sparse_categorical_accuracy"][0] > 0.6
    np.testing.assert_allclose(out["py_dataset_eval"][0], h["val_loss"][0], rtol=1e-5)
    # four worker threads fetch the same batches: the same training
    np.testing.assert_allclose(out["py_dataset_workers"]["loss"], h["loss"], rtol=1e-6)
    # EarlyStopping: stops after 2 epochs in a row without a val_loss 0.01 below the best
    val = out["early_stopping"]["val_loss"]
    best, wait, stop = np.inf, 0, None
    for epoch, v in enumerate(val):
        if v < best - 1e-2:
            best, wait = v, 0
        else:
            wait += 1
            if wait >= 2:
                stop = epoch
                break
    assert len(val) == (stop + 1 if stop is not None else 20)
    assert out["stopped_epoch"] == (stop if stop is not None else 0)
    # LossHistory: on_batch_end's logs hold the epoch's running mean, which ends at the
    # epoch's loss
    per_batch, epoch_loss = out["per_batch_losses"], out["early_stopping"]["loss"]
    n_batches = len(per_batch) // len(epoch_loss)
    assert n_batches * len(epoch_loss) == len(per_batch) and n_batches > 1
    np.testing.assert_allclose(per_batch[n_batches - 1::n_batches], epoch_loss, rtol=1e-6)
    assert out["checkpoint_files"] == ["mymodel_1.keras", "mymodel_2.keras"]
    a, b = out["checkpoint_restored"]
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert out["created"] and out["restored_from"].startswith("model-loss=")
    # the restored run continues from the checkpoint: its loss starts lower
    assert out["fault_tolerant_1"]["loss"][0] < out["fault_tolerant_0"]["loss"][0]
    assert out["ckpt_files"] >= 2
    np.testing.assert_allclose(out["lr_schedule"], [0.1, 0.096, 0.1 * 0.96 ** 2], rtol=1e-6)
    assert out["tensorboard"] == [True, "epoch"]
