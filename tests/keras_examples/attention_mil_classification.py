"""keras.io's "Classification using Attention-based Deep Multiple Instance Learning
(MIL)" (https://keras.io/examples/vision/attention_mil_classification/), Keras 3
version, on the 8x8 digits: bags of 3 images, positive when one shows a 1; a
custom MILAttentionLayer (add_weight with an initializer and an L2 regularizer
from keras.initializers.get / keras.regularizers.get, ops.tensordot / tanh /
sigmoid gating, ops.stack, ops.softmax over the bag, a list of BAG_SIZE outputs
made by indexing) on embeddings from Dense layers shared by the three inputs,
layers.multiply / layers.concatenate, sparse_categorical_crossentropy with
class_weight, batch_size=1, EarlyStopping and a ModelCheckpoint of the best
val_loss weights (.weights.h5) restored by load_weights; then an intermediate
keras.Model(model.input, model.get_layer("alpha").output) for the attention
weights, which sum to 1 over each bag. 150 / 60 bags and 6 epochs instead of
1000 / 300 and 20. The bags are drawn with np.random, seeded, so both libraries
see the same ones."""
import os

import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits

POSITIVE_CLASS = 1
BAG_COUNT = 150
VAL_BAG_COUNT = 60
BAG_SIZE = 3
ENSEMBLE_AVG_COUNT = 1

PARITY_TOL = (2e-3, 1e-4)  # ~900 Adam steps of one bag each


def create_bags(input_data, input_labels, positive_class, bag_count, instance_count):
    # Set up bags.
    bags = []
    bag_labels = []

    # Normalize input data.
    input_data = np.divide(input_data, 16.0)

    # Count positive samples.
    count = 0

    for _ in range(bag_count):
        # Pick a fixed size random subset of samples.
        index = np.random.choice(input_data.shape[0], instance_count, replace=False)
        instances_data = input_data[index]
        instances_labels = input_labels[index]

        # By default, all bags are labeled as 0.
        bag_label = 0

        # Check if there is at least a positive class in the bag.
        if positive_class in instances_labels:
            # Positive bag will be labeled as 1.
            bag_label = 1
            count += 1

        bags.append(instances_data)
        bag_labels.append(np.array([bag_label]))

    return (list(np.swapaxes(bags, 0, 1)), np.array(bag_labels))


def data():
    np.random.seed(42)
    (x_train, y_train), (x_val, y_val) = digits()
    # Create training data.
    train_data, train_labels = create_bags(
        x_train, y_train, POSITIVE_CLASS, BAG_COUNT, BAG_SIZE
    )
    # Create validation data.
    val_data, val_labels = create_bags(
        x_val, y_val, POSITIVE_CLASS, VAL_BAG_COUNT, BAG_SIZE
    )
    return train_data, train_labels, val_data, val_labels


class MILAttentionLayer(layers.Layer):
    """Implementation of the attention-based Deep MIL layer."""

    def __init__(
        self,
        weight_params_dim,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        use_gated=False,
        **kwargs,
    ):
        super().__init__(**kwargs)

        self.weight_params_dim = weight_params_dim
        self.use_gated = use_gated

        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

        self.v_init = self.kernel_initializer
        self.w_init = self.kernel_initializer
        self.u_init = self.kernel_initializer

        self.v_regularizer = self.kernel_regularizer
        self.w_regularizer = self.kernel_regularizer
        self.u_regularizer = self.kernel_regularizer

    def build(self, input_shape):
        # Input shape.
        # List of 2D tensors with shape: (batch_size, input_dim).
        input_dim = input_shape[0][1]

        self.v_weight_params = self.add_weight(
            shape=(input_dim, self.weight_params_dim),
            initializer=self.v_init,
            name="v",
            regularizer=self.v_regularizer,
            trainable=True,
        )

        self.w_weight_params = self.add_weight(
            shape=(self.weight_params_dim, 1),
            initializer=self.w_init,
            name="w",
            regularizer=self.w_regularizer,
            trainable=True,
        )

        if self.use_gated:
            self.u_weight_params = self.add_weight(
                shape=(input_dim, self.weight_params_dim),
                initializer=self.u_init,
                name="u",
                regularizer=self.u_regularizer,
                trainable=True,
            )
        else:
            self.u_weight_params = None

        self.input_built = True

    def call(self, inputs):
        # Assigning variables from the number of inputs.
        instances = [self.compute_attention_scores(instance) for instance in inputs]

        # Stack instances into a single tensor.
        instances = ops.stack(instances)

        # Apply softmax over instances such that the output summation is equal to 1.
        alpha = ops.softmax(instances, axis=0)

        # Split to recreate the same array of tensors we had as inputs.
        return [alpha[i] for i in range(alpha.shape[0])]

    def compute_attention_scores(self, instance):
        # Reserve in-case "gated mechanism" used.
        original_instance = instance

        # tanh(v*h_k^T)
        instance = ops.tanh(ops.tensordot(instance, self.v_weight_params, axes=1))

        # for learning non-linear relations efficiently.
        if self.use_gated:
            instance = instance * ops.sigmoid(
                ops.tensordot(original_instance, self.u_weight_params, axes=1)
            )

        # w^T*(tanh(v*h_k^T)) / w^T*(tanh(v*h_k^T)*sigmoid(u*h_k^T))
        return ops.tensordot(instance, self.w_weight_params, axes=1)


def create_model(instance_shape):
    # Extract features from inputs.
    inputs, embeddings = [], []
    shared_dense_layer_1 = layers.Dense(128, activation="relu")
    shared_dense_layer_2 = layers.Dense(64, activation="relu")
    for _ in range(BAG_SIZE):
        inp = layers.Input(instance_shape)
        flatten = layers.Flatten()(inp)
        dense_1 = shared_dense_layer_1(flatten)
        dense_2 = shared_dense_layer_2(dense_1)
        inputs.append(inp)
        embeddings.append(dense_2)

    # Invoke the attention layer.
    alpha = MILAttentionLayer(
        weight_params_dim=256,
        kernel_regularizer=keras.regularizers.L2(0.01),
        use_gated=True,
        name="alpha",
    )(embeddings)

    # Multiply attention weights with the input layers.
    multiply_layers = [
        layers.multiply([alpha[i], embeddings[i]]) for i in range(len(alpha))
    ]

    # Concatenate layers.
    concat = layers.concatenate(multiply_layers, axis=1)

    # Classification output node.
    output = layers.Dense(2, activation="softmax")(concat)

    return keras.Model(inputs, output)


def compute_class_weights(labels):
    # Count number of positive and negative bags.
    negative_count = len(np.where(labels == 0)[0])
    positive_count = len(np.where(labels == 1)[0])
    total_count = negative_count + positive_count

    # Build class weight dictionary.
    return {
        0: (1 / negative_count) * (total_count / 2),
        1: (1 / positive_count) * (total_count / 2),
    }


def train(train_data, train_labels, val_data, val_labels, model, tmpdir):
    # Path where to save best weights.
    file_path = os.path.join(tmpdir, "best_model.weights.h5")

    # Initialize model checkpoint callback.
    model_checkpoint = keras.callbacks.ModelCheckpoint(
        file_path,
        monitor="val_loss",
        verbose=0,
        mode="min",
        save_best_only=True,
        save_weights_only=True,
    )

    # Initialize early stopping callback.
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=10, mode="min"
    )

    # Compile model.
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    # Fit model.
    history = model.fit(
        train_data,
        train_labels,
        validation_data=(val_data, val_labels),
        epochs=6,
        class_weight=compute_class_weights(train_labels),
        batch_size=1,
        callbacks=[early_stopping, model_checkpoint],
        verbose=0,
    )

    # Load best weights.
    model.load_weights(file_path)

    return model, history


def build():
    return create_model((8, 8))


def predict(data, labels, trained_models):
    # Collect info per model.
    models_predictions = []
    models_attention_weights = []
    models_losses = []
    models_accuracies = []

    for model in trained_models:
        # Predict output classes on data.
        predictions = model.predict(data, verbose=0)
        models_predictions.append(predictions)

        # Create intermediate model to get MIL attention layer weights.
        intermediate_model = keras.Model(model.input, model.get_layer("alpha").output)

        # Predict MIL attention layer weights.
        intermediate_predictions = intermediate_model.predict(data, verbose=0)

        attention_weights = np.squeeze(np.swapaxes(intermediate_predictions, 1, 0))
        models_attention_weights.append(attention_weights)

        loss, accuracy = model.evaluate(data, labels, verbose=0)
        models_losses.append(loss)
        models_accuracies.append(accuracy)

    return (
        np.sum(models_predictions, axis=0) / ENSEMBLE_AVG_COUNT,
        np.sum(models_attention_weights, axis=0) / ENSEMBLE_AVG_COUNT,
        models_losses,
        models_accuracies,
    )


def run(model, data, tmpdir):
    train_data, train_labels, val_data, val_labels = data
    out = {"layers": [type(l).__name__ for l in model.layers],
           "count_params": model.count_params(),
           "untrained": model.predict(val_data, verbose=0)}
    model, history = train(train_data, train_labels, val_data, val_labels, model, tmpdir)
    out["history"] = history.history
    predictions, attention, losses, accuracies = predict(val_data, val_labels, [model])
    out.update(predictions=predictions, attention=attention, val_loss=losses,
               val_accuracy=accuracies)
    return out


def check(out):
    # three InputLayers first (Keras 3's model.layers), the shared Dense layers listed once
    assert out["layers"][:3] == ["InputLayer"] * 3
    assert out["layers"].count("Dense") == 3 and "MILAttentionLayer" in out["layers"]
    # Dense 64->128, 128->64; attention v, u (64, 256) and w (256, 1); Dense 3*64->2
    assert out["count_params"] == (64 * 128 + 128) + (128 * 64 + 64) + (2 * 64 * 256 + 256) \
        + (3 * 64 * 2 + 2)
    att = out["attention"]
    assert att.shape == (60, 3)
    np.testing.assert_allclose(att.sum(axis=1), 1.0, rtol=1e-5)  # a softmax over each bag
    assert out["val_accuracy"][0] > 0.75  # a third of the bags hold a 1: the prior is ~0.7
    h = out["history"]
    assert h["loss"][-1] < h["loss"][0]
