"""keras.io's "3D Image Classification from CT Scans"
(https://keras.io/examples/vision/3D_image_classification/, source
https://github.com/keras-team/keras-io/blob/master/examples/vision/3D_image_classification.py).

Kept as published: normalize() (Hounsfield units clipped to -1000..400 and rescaled to
0..1, a channel axis added), get_model (four Conv3D(kernel_size=3, relu) /
MaxPool3D(pool_size=2) / BatchNormalization blocks, Flatten, Dense(256, relu),
Dropout(0.3), a sigmoid Dense(1)), Adam on an ExponentialDecay(0.0001,
decay_steps=100000, decay_rate=0.96, staircase=True) schedule,
binary_crossentropy with metrics=["acc"], ModelCheckpoint(save_best_only=True) and
EarlyStopping(monitor="val_acc", patience=10), fit with verbose=2, load_weights of the
best checkpoint, and the two-class scores of one test scan.

Changed: the NSCLC CT download (nibabel, cv2, scipy zoom) is replaced by 40 synthetic
46x46x46 volumes in Hounsfield units (noise around -800 with a bright blob of
"tissue" on the left or the right half: the label, 1 = right); 46 is the smallest side
that still leaves a voxel after the four blocks (the tutorial's is 128); the filters
are 16/32/64/128 -> 4/8/8/16 and Dense 256 -> 32 (CPU-sized); epochs 100 -> 3; the
tf.data pipeline and its random rotate / blur augmentation (scipy through
tf.numpy_function) are replaced by the normalized arrays themselves, in order
(shuffle=False, so both libraries see the same batches); the checkpoint
"3d_image_classification.h5" is written under the run's directory; the plots are
left out. Dropout is random in
training, so Keras is compared on what precedes training."""
import os

import numpy as np

import keras
from keras import layers

side = 46

PARITY_KEYS = ["untrained", "count_params"]


def data():
    rng = np.random.default_rng(11)
    n = 40
    zz, yy, xx = np.mgrid[:side, :side, :side]
    scans, labels = [], []
    for i in range(n):
        right = i % 2
        cx = rng.uniform(30, 38) if right else rng.uniform(8, 16)
        cy, cz = rng.uniform(12, 34, 2)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2 + (zz - cz) ** 2) / 30.0)
        scans.append(-800 + 120 * rng.normal(size=(side,) * 3) + 1300 * blob)
        labels.append(right)
    scans, labels = np.array(scans), np.array(labels)
    right_scans, left_scans = scans[labels == 1], scans[labels == 0]
    right_labels, left_labels = labels[labels == 1], labels[labels == 0]
    # split data in the ratio 70-30 for training and testing
    x_train = np.concatenate((right_scans[:14], left_scans[:14]), axis=0)
    y_train = np.concatenate((right_labels[:14], left_labels[:14]), axis=0)
    x_test = np.concatenate((right_scans[14:], left_scans[14:]), axis=0)
    y_test = np.concatenate((right_labels[14:], left_labels[14:]), axis=0)
    return x_train, y_train, x_test, y_test


def normalize(volume):
    min = -1000
    max = 400
    volume = (volume - min) / (max - min)
    # rescale between 0-1
    volume[volume > 1] = 1.0
    volume[volume < 0] = 0.0
    volume = np.expand_dims(volume, axis=3)
    return volume


def get_model(img_size, num_classes):
    # build a 3D convolutional neural network model

    inputs = keras.Input(img_size)

    x = layers.Conv3D(filters=4, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=8, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=8, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=16, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Flatten()(x)
    x = layers.Dense(units=32, activation="relu")(x)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(units=1, activation="sigmoid")(x)

    # define the model
    model = keras.Model(inputs, outputs, name="3dcnn")
    return model


def build():
    # build model
    model = get_model((side, side, side, 1), 2)
    model.summary()
    return model


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    x_train = np.stack([normalize(v) for v in x_train]).astype("float32")
    x_test = np.stack([normalize(v) for v in x_test]).astype("float32")
    untrained = model.predict(x_test, verbose=0)

    # compile model
    initial_learning_rate = 0.0001
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
        metrics=["acc"],
    )

    # define callbacks
    checkpoint_path = os.path.join(tmpdir, "3d_image_classification.h5")
    checkpoint_cb = keras.callbacks.ModelCheckpoint(
        checkpoint_path, save_best_only=True
    )
    early_stopping_cb = keras.callbacks.EarlyStopping(monitor="val_acc", patience=10)

    # train the model, doing validation at the end of each epoch.
    epochs = 3
    batch_size = 2
    history = model.fit(
        x_train, y_train,
        validation_data=(x_test, y_test),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=False,
        verbose=2,
        callbacks=[checkpoint_cb, early_stopping_cb],
    )

    # load best weights
    model.load_weights(checkpoint_path)
    prediction = model.predict(np.expand_dims(x_test[0], axis=0), verbose=0)[0]
    scores = [1 - prediction[0], prediction[0]]
    return {"untrained": untrained, "count_params": model.count_params(),
            "history": history.history, "scores": scores,
            "best_val_loss": min(history.history["val_loss"]),
            "reloaded_val_loss": model.evaluate(x_test, y_test, verbose=0)[0]}


def check(out):
    h = out["history"]
    assert sorted(h) == ["acc", "loss", "val_acc", "val_loss"]
    assert len(h["loss"]) == 3 and np.isfinite(h["loss"]).all()
    assert abs(sum(out["scores"]) - 1) < 1e-6
    # load_weights restored the best epoch's weights (no dropout at evaluation)
    np.testing.assert_allclose(out["reloaded_val_loss"], out["best_val_loss"], rtol=1e-5)
