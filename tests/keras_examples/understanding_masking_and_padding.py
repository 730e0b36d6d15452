"""keras.io's guide "Understanding masking & padding"
(https://keras.io/guides/understanding_masking_and_padding/), its code ported by
the imports: pad_sequences(padding="post"), the masks that Embedding(mask_zero=True)
and Masking attach (`_keras_mask`), mask propagation to an LSTM in Sequential and
functional models, Embedding.compute_mask passed by hand as lstm(x, mask=mask)
(MyLayer), custom layers that split the mask (TemporalSplit.compute_mask), make one
(CustomEmbedding.compute_mask), pass it on (MyActivation, supports_masking = True)
or consume it (TemporalSoftmax.call(inputs, mask=None)). That the LSTM behind
MyActivation receives the mask is also checked from its outputs. The guide builds these
models without training them; here the masked Sequential model is also trained on
seeded NumPy sequences of varied lengths (class: the first token is below 50)."""
import numpy as np

import keras
from keras import layers
from keras import ops

# the rest draws fresh weights in each library (np.random for the ids, as the guide)
PARITY_KEYS = ["padded_inputs", "embedding_mask", "masking_mask", "my_layer_shape",
               "split_masks", "custom_embedding", "mask_found", "activation_model_shape",
               "temporal_softmax", "untrained", "padding_ignored", "history", "score"]


class MyLayer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
        self.lstm = layers.LSTM(32)

    def call(self, inputs):
        x = self.embedding(inputs)
        # Note that you could also prepare a `mask` tensor manually.
        # It only needs to be a boolean tensor
        # with the right shape, i.e. (batch_size, timesteps).
        mask = self.embedding.compute_mask(inputs)
        output = self.lstm(x, mask=mask)  # The layer will ignore the masked values
        return output


class TemporalSplit(keras.layers.Layer):
    """Split the input tensor into 2 tensors along the time dimension."""

    def call(self, inputs):
        # Expect the input to be 3D and mask to be 2D, split the input tensor into 2
        # subtensors along the time axis (axis 1).
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        # Also split the mask into 2 if it presents.
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


class CustomEmbedding(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.mask_zero = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer="random_normal",
            dtype="float32",
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


class MyActivation(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Signal that the layer is safe for mask propagation
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs)


class TemporalSoftmax(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        assert mask is not None
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
        return inputs_exp / inputs_sum


def data():
    rng = np.random.default_rng(3)
    seqs = [list(rng.integers(1, 100, size=rng.integers(2, 9))) for _ in range(256)]
    y = np.array([s[0] < 50 for s in seqs], dtype="float32")
    return seqs, y


def build():
    model = keras.Sequential(
        [
            layers.Embedding(input_dim=100, output_dim=16, mask_zero=True),
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.build((None, None))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def _mask(t):
    return ops.convert_to_numpy(t._keras_mask)


def run(model, data, tmpdir):
    out = {}
    raw_inputs = [
        [711, 632, 71],
        [73, 8, 3215, 55, 927],
        [83, 91, 1, 645, 1253, 927],
    ]
    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    out["padded_inputs"] = padded_inputs

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)
    out["embedding_mask"] = _mask(masked_output)

    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D,
    # with embedding dimension of 10.
    unmasked_embedding = ops.cast(
        ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]),
        dtype="float32",
    )
    masked_embedding = masking_layer(unmasked_embedding)
    out["masking_mask"] = _mask(masked_embedding)

    # "Passing mask tensors directly to layers"
    layer = MyLayer()
    x = np.random.random((32, 10)) * 100
    x = x.astype("int32")
    out["my_layer_shape"] = list(layer(x).shape)

    # "Supporting masking in your custom layers"
    first_half, second_half = TemporalSplit()(masked_embedding)
    out["split_masks"] = [_mask(first_half), _mask(second_half)]

    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = np.random.random((3, 10)) * 9
    x = x.astype("int32")
    y = layer(x)
    mask = layer.compute_mask(x)
    out["custom_embedding"] = [list(y.shape), np.array_equal(ops.convert_to_numpy(mask), x != 0)]

    # "Opting-in to mask propagation on compatible layers"
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)  # Will pass the mask along
    out["mask_found"] = list(x._keras_mask.shape)
    outputs = layers.LSTM(32)(x)  # Will receive the mask
    model2 = keras.Model(inputs, outputs)
    y = model2(np.random.randint(0, 5000, size=(32, 100)))
    out["activation_model_shape"] = list(y.shape)
    # the LSTM received the mask: trailing padding changes nothing
    ids = np.random.randint(1, 5000, size=(4, 6))
    out["activation_model_masked"] = [
        ops.convert_to_numpy(model2(ids)),
        ops.convert_to_numpy(model2(keras.utils.pad_sequences(ids, maxlen=9, padding="post")))]

    # "Writing layers that need mask information"
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)
    model3 = keras.Model(inputs, outputs)
    ids = np.random.randint(0, 10, size=(32, 100))
    y = ops.convert_to_numpy(model3(ids))[..., 0]
    # the guide's softmax runs over the last axis (of size 1): 1 at the kept steps, and
    # 0 / 0 at the masked ones
    out["temporal_softmax"] = [list(y.shape), np.array_equal(np.isnan(y), ids == 0),
                               np.allclose(y[ids != 0], 1.0)]

    # The masked Sequential model: the mask makes the padding invisible to the LSTM
    seqs, labels = data
    padded = keras.utils.pad_sequences(seqs, maxlen=8, padding="post")
    out["untrained"] = model.predict(padded[:16], verbose=0)
    short = np.array([seqs[i] for i in range(256) if len(seqs[i]) == 2][:4])
    out["padding_ignored"] = [model.predict(short, verbose=0),
                              model.predict(keras.utils.pad_sequences(short, maxlen=8,
                                                                      padding="post"),
                                            verbose=0)]
    history = model.fit(padded[:192], labels[:192], batch_size=32, epochs=10, shuffle=False,
                        verbose=0)
    out["history"] = history.history
    out["score"] = model.evaluate(padded[192:], labels[192:], verbose=0)
    return out


def check(out):
    np.testing.assert_array_equal(out["padded_inputs"], [[711, 632, 71, 0, 0, 0],
                                                         [73, 8, 3215, 55, 927, 0],
                                                         [83, 91, 1, 645, 1253, 927]])
    expected = out["padded_inputs"] != 0
    np.testing.assert_array_equal(out["embedding_mask"], expected)
    np.testing.assert_array_equal(out["masking_mask"], expected)
    assert out["my_layer_shape"] == [32, 32]
    np.testing.assert_array_equal(out["split_masks"][0], expected[:, :3])
    np.testing.assert_array_equal(out["split_masks"][1], expected[:, 3:])
    # the guide's ops.take(embeddings, inputs) has no axis: it takes from the flattened
    # table, one number per id (Keras and NumPy alike)
    assert out["custom_embedding"] == [[3, 10], True]
    assert out["mask_found"] == [None, None]  # the symbolic mask: (batch, steps)
    assert out["activation_model_shape"] == [32, 32]
    unpadded, padded = out["activation_model_masked"]
    np.testing.assert_allclose(padded, unpadded, rtol=1e-5, atol=1e-6)
    assert out["temporal_softmax"] == [[32, 100], True, True]
    # the LSTM skips the post-padding: padded and unpadded sequences give the same output
    unpadded, padded = out["padding_ignored"]
    np.testing.assert_allclose(padded, unpadded, rtol=1e-6, atol=1e-7)
    assert out["history"]["accuracy"][-1] > 0.9 and out["score"][1] > 0.75
