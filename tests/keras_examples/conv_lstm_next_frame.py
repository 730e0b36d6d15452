"""keras.io's "Next-Frame Video Prediction with Convolutional LSTMs"
(https://keras.io/examples/vision/conv_lstm/, source
https://github.com/keras-team/keras-io/blob/master/examples/vision/conv_lstm.py).

Kept as published: the shifted-frames dataset (x = frames 0..n-1, y = frames 1..n),
the model (Input(shape=(None, *frame_shape)) with no fixed number of frames, three
ConvLSTM2D(return_sequences=True, activation="relu") layers of 5x5, 3x3 and 1x1
kernels with BatchNormalization between them, a sigmoid Conv3D(1, (3, 3, 3))),
compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam()),
fit with EarlyStopping and ReduceLROnPlateau on val_loss, then the tutorial's loop
predicting ten new frames one at a time from a growing clip.

Changed: Moving MNIST (a download) is replaced by 24 clips of 8 frames, 16x16, of an
8x8 digit from the bundled UCI digits bouncing around the canvas (values 0..1), split
20 / 4 by a seeded permutation instead of np.random.shuffle; the filters are 64 -> 8
per ConvLSTM2D layer (CPU-sized), epochs 20 -> 2; the prediction loop starts from 4
frames instead of 10 and predicts 4 (the clips are 8 frames long); fit() gets
shuffle=False so that both libraries see the batches in the same order; the plots,
GIFs and widgets are left out; the tensorflow import is not needed."""
import numpy as np

import keras
from keras import layers

from keras_examples._data import digits

# a full training run (2 epochs of Adam through three ConvLSTM2D layers): float32 sums in
# another order leave 1 weight in 6400 3e-4 apart after it (1.7e-5 absolute)
PARITY_TOL = (1e-3, 1e-4)
filters = 8


def data():
    (x, _), _ = digits()
    rng = np.random.default_rng(3)
    clips = np.zeros((24, 8, 16, 16), "float32")
    for k in range(24):
        digit = x[k].astype("float32") / 16
        pos = rng.integers(0, 9, 2)
        vel = rng.choice([-2, -1, 1, 2], 2)
        for t in range(8):
            clips[k, t, pos[0]:pos[0] + 8, pos[1]:pos[1] + 8] = digit
            nxt = pos + vel
            for a in range(2):  # bounce off the edges
                if not 0 <= nxt[a] <= 8:
                    vel[a] = -vel[a]
            pos = pos + vel
    # Add a channel dimension since the images are grayscale.
    dataset = np.expand_dims(clips, axis=-1)
    indexes = rng.permutation(dataset.shape[0])
    train_index = indexes[: int(0.85 * dataset.shape[0])]
    val_index = indexes[int(0.85 * dataset.shape[0]) :]
    return dataset[train_index], dataset[val_index]


# We'll define a helper function to shift the frames, where
# `x` is frames 0 to n - 1, and `y` is frames 1 to n.
def create_shifted_frames(data):
    x = data[:, 0 : data.shape[1] - 1, :, :]
    y = data[:, 1 : data.shape[1], :, :]
    return x, y


def build():
    # Construct the input layer with no definite frame size.
    inp = layers.Input(shape=(None, 16, 16, 1))

    # We will construct 3 `ConvLSTM2D` layers with batch normalization,
    # followed by a `Conv3D` layer for the spatiotemporal outputs.
    x = layers.ConvLSTM2D(
        filters=filters,
        kernel_size=(5, 5),
        padding="same",
        return_sequences=True,
        activation="relu",
    )(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(
        filters=filters,
        kernel_size=(3, 3),
        padding="same",
        return_sequences=True,
        activation="relu",
    )(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(
        filters=filters,
        kernel_size=(1, 1),
        padding="same",
        return_sequences=True,
        activation="relu",
    )(x)
    x = layers.Conv3D(
        filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same"
    )(x)

    # Next, we will build the complete model and compile it.
    model = keras.models.Model(inp, x)
    model.compile(
        loss=keras.losses.binary_crossentropy,
        optimizer=keras.optimizers.Adam(),
    )
    return model


def run(model, data, tmpdir):
    train_dataset, val_dataset = data
    x_train, y_train = create_shifted_frames(train_dataset)
    x_val, y_val = create_shifted_frames(val_dataset)
    untrained = model.predict(x_val, verbose=0)

    # Define some callbacks to improve training.
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=5)

    # Define modifiable training hyperparameters.
    epochs = 2
    batch_size = 5

    # Fit the model to the training data.
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=[early_stopping, reduce_lr],
        verbose=0,
        shuffle=False,
    )

    # the first validation clip (the tutorial picks a random one)
    example = val_dataset[0]

    # Pick the first/last four frames from the example.
    frames = example[:4, ...]

    # Predict a new set of 4 frames.
    for _ in range(4):
        # Extract the model's prediction and post-process it.
        new_prediction = model.predict(np.expand_dims(frames, axis=0), verbose=0)
        new_prediction = np.squeeze(new_prediction, axis=0)
        predicted_frame = np.expand_dims(new_prediction[-1, ...], axis=0)

        # Extend the set of prediction frames.
        frames = np.concatenate((frames, predicted_frame), axis=0)

    return {"untrained": untrained,
            "history": history.history,
            "new_frames": frames[4:],
            "weights": model.get_weights()}


def check(out):
    h = out["history"]
    assert sorted(h) == ["learning_rate", "loss", "val_loss"] or sorted(h) == ["loss", "val_loss"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["untrained"].shape == (4, 7, 16, 16, 1)
    assert out["new_frames"].shape == (4, 16, 16, 1)
    assert ((out["new_frames"] > 0) & (out["new_frames"] < 1)).all()  # sigmoid output
