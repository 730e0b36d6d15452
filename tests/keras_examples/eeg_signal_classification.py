"""keras.io's "Electroencephalogram Signal Classification for action identification"
(https://keras.io/examples/timeseries/eeg_signal_classification/, source
https://github.com/keras-team/keras-io/blob/master/examples/timeseries/eeg_signal_classification.py).

Kept as published: per-recording MinMaxScaler, the seeded 15 % train_test_split, float32
(-1, 512, 1) inputs and to_categorical labels, the naive class weights
(1 - count / total per class, given to fit as class_weight), create_model's stack of six
strided Conv1D(relu, padding="same") + BatchNormalization layers, Dropout, Flatten,
Dense layers with L2() kernel regularizers and a softmax Dense, Adam(amsgrad=True,
learning_rate=0.001), CategoricalCrossentropy, the metrics TopKCategoricalAccuracy(k=3),
AUC(), Precision() and Recall(), a ModelCheckpoint(save_best_only=True,
monitor="loss") and ReduceLROnPlateau(monitor="val_top_k_categorical_accuracy",
factor=0.2, patience=2, min_lr=0.000001), and the five-number evaluate().

Changed: the Kaggle EEG csv (105 MB) is replaced by 300 synthetic 512-sample
recordings of 5 "stimuli" (a sine of a class-specific frequency in noise, with one
class three times as frequent, so the class weights matter); the widths are shrunk
for a CPU test (Conv1D filters 32..1024 -> 4..32, Dense 4096/2048/1024/128 ->
64/32/32/16); epochs 30 -> 3; the tf.data shuffle(...).batch(64) is replaced by the
arrays with batch_size=64 and shuffle=False (both libraries see the same batches);
the checkpoint "best_model.h5" is written under the run's directory; the plots are
left out. Dropout is random in
training, so Keras is compared on what precedes training: the untrained model's
predictions and its evaluate() with all four metrics and the L2 penalties."""
import os

import numpy as np

import keras
from keras import layers
from sklearn import preprocessing, model_selection

BATCH_SIZE = 64
num_classes = 5

PARITY_KEYS = ["untrained_predict", "untrained_evaluate", "class_weight", "count_params"]


def data():
    rng = np.random.default_rng(5)
    labels = rng.choice(num_classes, size=300, p=[0.4, 0.15, 0.15, 0.15, 0.15])
    t = np.arange(512)
    raw_values = [
        (40 * np.sin(2 * np.pi * (3 + 4 * c) * t / 512 + rng.uniform(0, 6.3))
         + 25 * rng.normal(size=512)).round()
        for c in labels
    ]
    return raw_values, list(labels)


def create_model():
    input_layer = keras.Input(shape=(512, 1))

    x = layers.Conv1D(
        filters=4, kernel_size=3, strides=2, activation="relu", padding="same"
    )(input_layer)
    x = layers.BatchNormalization()(x)

    x = layers.Conv1D(
        filters=8, kernel_size=3, strides=2, activation="relu", padding="same"
    )(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv1D(
        filters=8, kernel_size=5, strides=2, activation="relu", padding="same"
    )(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv1D(
        filters=16, kernel_size=5, strides=2, activation="relu", padding="same"
    )(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv1D(
        filters=16, kernel_size=7, strides=2, activation="relu", padding="same"
    )(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv1D(
        filters=32, kernel_size=7, strides=2, activation="relu", padding="same"
    )(x)
    x = layers.BatchNormalization()(x)

    x = layers.Dropout(0.2)(x)

    x = layers.Flatten()(x)

    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)

    x = layers.Dense(
        32, activation="relu", kernel_regularizer=keras.regularizers.L2()
    )(x)
    x = layers.Dropout(0.2)(x)

    x = layers.Dense(
        32, activation="relu", kernel_regularizer=keras.regularizers.L2()
    )(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(
        16, activation="relu", kernel_regularizer=keras.regularizers.L2()
    )(x)
    output_layer = layers.Dense(num_classes, activation="softmax")(x)

    return keras.Model(inputs=input_layer, outputs=output_layer)


def build():
    conv_model = create_model()
    conv_model.summary()
    return conv_model


def run(conv_model, data, tmpdir):
    raw_values, labels = data
    scaler = preprocessing.MinMaxScaler()
    series_list = [
        scaler.fit_transform(np.asarray(i).reshape(-1, 1)) for i in raw_values
    ]
    labels_list = [i for i in labels]

    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        series_list, labels_list, test_size=0.15, random_state=42, shuffle=True
    )

    x_train = np.asarray(x_train).astype(np.float32).reshape(-1, 512, 1)
    y_train = np.asarray(y_train).astype(np.float32).reshape(-1, 1)
    y_train = keras.utils.to_categorical(y_train)

    x_test = np.asarray(x_test).astype(np.float32).reshape(-1, 512, 1)
    y_test = np.asarray(y_test).astype(np.float32).reshape(-1, 1)
    y_test = keras.utils.to_categorical(y_test)

    vals_dict = {}
    for i in labels:
        if i in vals_dict.keys():
            vals_dict[i] += 1
        else:
            vals_dict[i] = 1
    total = sum(vals_dict.values())

    # Formula used - Naive method where
    # weight = 1 - (no. of samples present / total no. of samples)
    # So more the samples, lower the weight

    weight_dict = {k: (1 - (v / total)) for k, v in vals_dict.items()}

    epochs = 3

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            os.path.join(tmpdir, "best_model.h5"), save_best_only=True, monitor="loss"
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_top_k_categorical_accuracy",
            factor=0.2,
            patience=2,
            min_lr=0.000001,
        ),
    ]

    optimizer = keras.optimizers.Adam(amsgrad=True, learning_rate=0.001)
    loss = keras.losses.CategoricalCrossentropy()

    conv_model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[
            keras.metrics.TopKCategoricalAccuracy(k=3),
            keras.metrics.AUC(),
            keras.metrics.Precision(),
            keras.metrics.Recall(),
        ],
    )
    untrained_predict = conv_model.predict(x_test, verbose=0)
    untrained_evaluate = conv_model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=0)

    conv_model_history = conv_model.fit(
        x_train, y_train,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        callbacks=callbacks,
        validation_data=(x_test, y_test),
        class_weight=weight_dict,
        shuffle=False,
        verbose=0,
    )

    loss, accuracy, auc, precision, recall = conv_model.evaluate(
        x_test, y_test, batch_size=BATCH_SIZE, verbose=0)
    return {"untrained_predict": untrained_predict,
            "untrained_evaluate": untrained_evaluate,
            "class_weight": [weight_dict[k] for k in sorted(weight_dict)],
            "count_params": conv_model.count_params(),
            "history": conv_model_history.history,
            "evaluate": [loss, accuracy, auc, precision, recall],
            "x_test": x_test, "y_test": y_test,
            "test_predict": conv_model.predict(x_test, verbose=0)}


def check(out):
    h = out["history"]
    assert sorted(h) == sorted(
        ["auc", "learning_rate", "loss", "precision", "recall", "top_k_categorical_accuracy",
         "val_auc", "val_loss", "val_precision", "val_recall",
         "val_top_k_categorical_accuracy"])
    # the metrics evaluate() reports are those of the predictions, recomputed in NumPy
    p, y = out["test_predict"], out["y_test"]
    top3 = np.argsort(-p, axis=1)[:, :3]
    assert abs(out["evaluate"][1] - np.mean([t in r for t, r in zip(y.argmax(1), top3)])) < 1e-6
    tp = np.sum((p > 0.5) & (y == 1))
    if (p > 0.5).sum():
        assert abs(out["evaluate"][3] - tp / (p > 0.5).sum()) < 1e-6
    assert abs(out["evaluate"][4] - tp / (y == 1).sum()) < 1e-6
    assert h["loss"][-1] < h["loss"][0]
