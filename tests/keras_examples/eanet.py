"""keras.io's "Image classification with EANet (External Attention Transformer)"
(https://keras.io/examples/vision/eanet/, source
https://github.com/keras-team/keras-io/blob/master/examples/vision/eanet.py).

Kept as published: the data_augmentation Sequential (Normalization adapted on the
training images, RandomFlip("horizontal"), RandomRotation(0.1), RandomContrast(0.1),
RandomZoom(0.2, 0.2)) inside the model, PatchExtract (non-overlapping patch_size
patches, flattened), PatchEmbedding (a Dense projection plus an Embedding of the
patch positions), external_attention (Dense to dim * dim_coefficient, reshape to
num_heads * dim_coefficient heads, transpose, Dense M_k, Softmax(axis=2), the
double normalization attn / (1e-9 + sum(attn, -1)), Dropout, Dense M_v, transpose
back, reshape, Dense, Dropout), the gelu MLP, the pre-norm transformer_encoder with
LayerNormalization(epsilon=1e-5) and layers.add residuals, GlobalAvgPool1D, a softmax
Dense; CategoricalCrossentropy(label_smoothing=0.1), AdamW(learning_rate=0.001,
weight_decay=0.0001), CategoricalAccuracy(name="accuracy") and
TopKCategoricalAccuracy(5, name="top-5-accuracy"), fit with validation_split=0.2,
evaluate.

Changed: the TensorFlow calls of the published file are spelled with keras.ops, as
Keras 3 needs for symbolic tensors (tf.image.extract_patches -> ops.image.extract_patches,
tf.reshape / tf.transpose / tf.reduce_sum / tf.range / tf.shape -> ops.reshape /
ops.transpose / ops.sum / ops.arange / ops.shape, tf.nn.gelu -> "gelu"), and
tensorflow_addons' AdamW is keras.optimizers.AdamW; CIFAR-100 (a download) is replaced
by the bundled 8x8 digits as 3-channel 0..255 images with 10 classes; 8 transformer
blocks -> 2, batch_size 128 -> 64, epochs 50 -> 10; fit() gets shuffle=False. The
augmentation layers and Dropout are random in training, so Keras is compared on what
precedes training: the adapted Normalization, the untrained predictions and the
untrained evaluate() (label-smoothed loss and both metrics)."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

num_classes = 10
input_shape = (8, 8, 3)

weight_decay = 0.0001
learning_rate = 0.001
label_smoothing = 0.1
validation_split = 0.2
batch_size = 64
num_epochs = 10
patch_size = 2  # Size of the patches to be extracted from the input images.
num_patches = (input_shape[0] // patch_size) ** 2  # Number of patch
embedding_dim = 64  # Number of hidden units.
mlp_dim = 64
dim_coefficient = 4
num_heads = 4
attention_dropout = 0.2
projection_dropout = 0.2
num_transformer_blocks = 2  # Number of repetitions of the transformer layer

PARITY_KEYS = ["normalization", "untrained_predict", "untrained_evaluate", "count_params"]


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    to_rgb = lambda x: np.repeat((x.astype("float32") * 255 / 16)[..., None], 3, axis=-1)
    x_train, x_test = to_rgb(x_train), to_rgb(x_test)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)
    return x_train, y_train, x_test, y_test


class PatchExtract(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super(PatchExtract, self).__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch_size = ops.shape(images)[0]
        patches = ops.image.extract_patches(
            images=images,
            size=(self.patch_size, self.patch_size),
            strides=(self.patch_size, self.patch_size),
            dilation_rate=1,
            padding="valid",
        )
        patch_dim = patches.shape[-1]
        patch_num = patches.shape[1]
        return ops.reshape(patches, (batch_size, patch_num * patch_num, patch_dim))


class PatchEmbedding(layers.Layer):
    def __init__(self, num_patch, embed_dim, **kwargs):
        super(PatchEmbedding, self).__init__(**kwargs)
        self.num_patch = num_patch
        self.proj = layers.Dense(embed_dim)
        self.pos_embed = layers.Embedding(input_dim=num_patch, output_dim=embed_dim)

    def call(self, patch):
        pos = ops.arange(start=0, stop=self.num_patch, step=1)
        return self.proj(patch) + self.pos_embed(pos)


def external_attention(
    x, dim, num_heads, dim_coefficient=4, attention_dropout=0, projection_dropout=0
):
    _, num_patch, channel = x.shape
    assert dim % num_heads == 0
    num_heads = num_heads * dim_coefficient

    x = layers.Dense(dim * dim_coefficient)(x)
    # create tensor [batch_size, num_patches, num_heads, dim*dim_coefficient//num_heads]
    x = ops.reshape(
        x, (-1, num_patch, num_heads, dim * dim_coefficient // num_heads)
    )
    x = ops.transpose(x, axes=[0, 2, 1, 3])
    # a linear layer M_k
    attn = layers.Dense(dim // dim_coefficient)(x)
    # normalize attention map
    attn = layers.Softmax(axis=2)(attn)
    # dobule-normalization
    attn = attn / (1e-9 + ops.sum(attn, axis=-1, keepdims=True))
    attn = layers.Dropout(attention_dropout)(attn)
    # a linear layer M_v
    x = layers.Dense(dim * dim_coefficient // num_heads)(attn)
    x = ops.transpose(x, axes=[0, 2, 1, 3])
    x = ops.reshape(x, [-1, num_patch, dim * dim_coefficient])
    # a linear layer to project original dim
    x = layers.Dense(dim)(x)
    x = layers.Dropout(projection_dropout)(x)
    return x


def mlp(x, embedding_dim, mlp_dim, drop_rate=0.2):
    x = layers.Dense(mlp_dim, activation="gelu")(x)
    x = layers.Dropout(drop_rate)(x)
    x = layers.Dense(embedding_dim)(x)
    x = layers.Dropout(drop_rate)(x)
    return x


def transformer_encoder(
    x,
    embedding_dim,
    mlp_dim,
    num_heads,
    dim_coefficient,
    attention_dropout,
    projection_dropout,
    attention_type="external_attention",
):
    residual_1 = x
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    if attention_type == "external_attention":
        x = external_attention(
            x,
            embedding_dim,
            num_heads,
            dim_coefficient,
            attention_dropout,
            projection_dropout,
        )
    elif attention_type == "self_attention":
        x = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embedding_dim, dropout=attention_dropout
        )(x, x)
    x = layers.add([x, residual_1])
    residual_2 = x
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    x = mlp(x, embedding_dim, mlp_dim)
    x = layers.add([x, residual_2])
    return x


def get_model(data_augmentation, attention_type="external_attention"):
    inputs = layers.Input(shape=input_shape)
    # Image augment
    x = data_augmentation(inputs)
    # Extract patches.
    x = PatchExtract(patch_size)(x)
    # Create patch embedding.
    x = PatchEmbedding(num_patches, embedding_dim)(x)
    # Create Transformer block.
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(
            x,
            embedding_dim,
            mlp_dim,
            num_heads,
            dim_coefficient,
            attention_dropout,
            projection_dropout,
            attention_type,
        )

    x = layers.GlobalAvgPool1D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def build():
    x_train = data()[0]
    data_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.1),
            layers.RandomContrast(factor=0.1),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    # Compute the mean and the variance of the training data for normalization.
    data_augmentation.layers[0].adapt(x_train)
    return get_model(data_augmentation, attention_type="external_attention")


def run(model, data, tmpdir):
    x_train, y_train, x_test, y_test = data
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        optimizer=keras.optimizers.AdamW(
            learning_rate=learning_rate, weight_decay=weight_decay
        ),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    norm = model.get_layer("data_augmentation").layers[0]
    out = {"normalization": [np.asarray(w) for w in norm.get_weights()],
           "untrained_predict": model.predict(x_test, verbose=0),
           "untrained_evaluate": model.evaluate(x_test, y_test, verbose=0),
           "count_params": model.count_params()}
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=validation_split,
        shuffle=False,
        verbose=0,
    )
    loss, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    out.update(history=history.history, test=[loss, accuracy, top_5_accuracy])
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["accuracy", "loss", "top-5-accuracy", "val_accuracy", "val_loss",
                         "val_top-5-accuracy"]
    assert h["loss"][-1] < 0.85 * h["loss"][0]
    assert h["accuracy"][-1] > 0.3  # ten digits: chance is 0.1 (Keras: 0.44 from the same start)
    loss, accuracy, top5 = out["test"]
    assert top5 >= accuracy and np.isfinite(loss)
