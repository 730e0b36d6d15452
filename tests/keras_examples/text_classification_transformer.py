"""keras.io's "Text classification with Transformer"
(https://keras.io/examples/nlp/text_classification_with_transformer/, Keras 3
version), shrunk: the TransformerBlock and TokenAndPositionEmbedding custom layers
exactly as published (sub-layers created in __init__, keras.ops.shape /
keras.ops.arange), a functional classifier over them, adam and
sparse_categorical_crossentropy with accuracy. The IMDB reviews are replaced by
token sequences labelled by whether low-id tokens outnumber high-id ones. The
model has Dropout, so only untrained outputs and the weight layout are compared
with Keras."""
import numpy as np

import keras
from keras import ops
from keras import layers


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 30
maxlen = 12
embed_dim = 16  # Embedding size for each token
num_heads = 2  # Number of attention heads
ff_dim = 16  # Hidden layer size in feed forward network inside transformer

PARITY_KEYS = ["untrained", "weight_shapes", "history_keys"]


def data():
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab_size, size=(400, maxlen))
    y = ((x < 10).sum(1) > (x >= 20).sum(1)).astype("int64")
    return (x[:300], y[:300]), (x[300:], y[300:])


def build():
    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(model, data, tmpdir):
    (x_train, y_train), (x_val, y_val) = data
    untrained = model.predict(x_val[:16], verbose=0)
    history = model.fit(x_train, y_train, batch_size=32, epochs=15,
                        validation_data=(x_val, y_val), verbose=0)
    return {"untrained": untrained, "weight_shapes": [list(w.shape) for w in model.weights],
            "history_keys": sorted(history.history), "history": history.history,
            "n_trainable": len(model.trainable_weights)}


def check(out):
    (_, _), (_, y_val) = data()
    # every weight of the custom layers is tracked and trained: 22 arrays, as Keras
    assert out["n_trainable"] == len(out["weight_shapes"]) == 22
    majority = max(y_val.mean(), 1 - y_val.mean())
    assert out["history"]["val_accuracy"][-1] > majority + 0.15
