"""keras.io's "Timeseries classification with a Transformer model"
(https://keras.io/examples/timeseries/timeseries_classification_transformer/), shrunk:
transformer_encoder blocks in the functional API — MultiHeadAttention(key_dim,
num_heads, dropout) on (inputs, inputs), Dropout, LayerNormalization(epsilon=1e-6),
the residual `res = x + inputs` and `x + res` written with + on symbolic tensors,
Conv1D(kernel_size=1) feed-forward with filters=inputs.shape[-1] —
GlobalAveragePooling1D(data_format="channels_first"), an MLP head with Dropout,
Adam(1e-4 → 1e-3 here), EarlyStopping(restore_best_weights=True) and
validation_split=0.2. FordA is replaced by offline noisy sines of two frequencies.
The Dropout masks differ between libraries, so the untrained predictions (inference,
no Dropout) and the graph are compared with Keras."""
import numpy as np

import keras
from keras import layers


def data():
    rng = np.random.default_rng(8)

    def series(n):
        y = rng.integers(0, 2, size=n)
        t = np.linspace(0, 1, 32)
        freq = np.where(y == 1, 2.0, 5.0)[:, None]
        x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
        x = x + 0.3 * rng.normal(size=x.shape)
        return x.reshape((n, 32, 1)).astype("float32"), y.astype("float32")

    x_train, y_train = series(320)
    x_test, y_test = series(100)
    return x_train, y_train, x_test, y_test


n_classes = 2


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_model(
    input_shape,
    head_size,
    num_heads,
    ff_dim,
    num_transformer_blocks,
    mlp_units,
    dropout=0,
    mlp_dropout=0,
):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def build():
    model = build_model(
        (32, 1),
        head_size=16,
        num_heads=2,
        ff_dim=4,
        num_transformer_blocks=2,
        mlp_units=[32],
        mlp_dropout=0.4,
        dropout=0,  # the example's 0.25: pynn's MultiHeadAttention has no attention dropout yet
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["sparse_categorical_accuracy"],
    )
    return model


PARITY_KEYS = ["untrained", "layer_classes", "output_shapes"]


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    out = {"untrained": model.predict(x_test[:20], verbose=0)}
    out["layer_classes"] = [type(l).__name__ for l in model.layers
                            if type(l).__name__ != "InputLayer"]
    out["output_shapes"] = [list(model.output_shape)]
    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
    history = model.fit(
        x_train,
        y_train,
        validation_split=0.2,
        epochs=12,
        batch_size=64,
        callbacks=callbacks,
        verbose=0,
    )
    out["history"] = history.history
    out["evaluate"] = model.evaluate(x_test, y_test, verbose=0)
    return out


def check(out):
    # the residual adds and the Conv1D filters=inputs.shape[-1] kept the graph whole
    assert out["layer_classes"].count("MultiHeadAttention") == 2
    assert out["output_shapes"] == [[None, 2]]
    assert np.allclose(out["untrained"].sum(axis=1), 1.0, atol=1e-5)
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0]
    assert out["evaluate"][1] > 0.7  # two classes: chance is 0.5
