"""TensorFlow's tutorial "Save and load models"
(https://www.tensorflow.org/tutorials/keras/save_and_load), its Keras 3 cells with
`tf.keras` written `keras`: create_model (Dense(512, relu, input_shape=(784,)),
Dropout(0.2), Dense(10) logits; adam, SparseCategoricalCrossentropy(from_logits=True),
SparseCategoricalAccuracy), a ModelCheckpoint(save_weights_only=True) to
"training_1/cp.weights.h5", an untrained model evaluated then given those weights with
load_weights, checkpoints named "training_2/cp-{epoch:04d}.weights.h5" every
5 * n_batches batches with model.save_weights(checkpoint_path.format(epoch=0)) first,
the tutorial's load_latest_checkpoint, save_weights / load_weights by hand, and the
whole model saved as .keras and restored with keras.models.load_model. On the first
1,000 Fashion-MNIST training and test images (Debian's copy) in place of MNIST's;
epochs 10 / 50 / 5 shrunk to 3 / 10 / 2. The SavedModel cells (tf.saved_model) and
the legacy HDF5 cell (model.save("my_model.h5"), which pynn refuses, saying so) are
left out. The model has Dropout: Keras and pynn are compared on what draws no masks
(the untrained evaluation, the files written, restored = saved in each library)."""
import math
import os

import numpy as np

import keras

from keras_examples._data import fashion_mnist

PARITY_KEYS = ["untrained", "training_1", "training_2", "latest", "restored_equal",
               "keras_file_equal"]


def data():
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist(1000, 1000)
    train_labels = train_labels[:1000]
    test_labels = test_labels[:1000]
    train_images = train_images[:1000].reshape(-1, 28 * 28) / 255.0
    test_images = test_images[:1000].reshape(-1, 28 * 28) / 255.0
    return train_images, train_labels, test_images, test_labels


# Define a simple sequential model
def create_model():
    model = keras.Sequential([
        keras.layers.Dense(512, activation='relu', input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10)
    ])

    model.compile(optimizer='adam',
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])

    return model


def build():
    return create_model()


def run(model, data, tmpdir):
    train_images, train_labels, test_images, test_labels = data
    out = {}
    initial = model.get_weights()
    out["untrained"] = model.evaluate(test_images, test_labels, verbose=0)

    checkpoint_path = os.path.join(tmpdir, "training_1/cp.weights.h5")
    checkpoint_dir = os.path.dirname(checkpoint_path)

    # Create a callback that saves the model's weights
    cp_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                  save_weights_only=True,
                                                  verbose=0)

    # Train the model with the new callback
    model.fit(train_images,
              train_labels,
              epochs=3,
              validation_data=(test_images, test_labels),
              callbacks=[cp_callback], verbose=0)  # Pass callback to training
    out["training_1"] = sorted(os.listdir(checkpoint_dir))
    trained = model.evaluate(test_images, test_labels, verbose=0)

    # Create a basic model instance
    model = create_model()
    model.set_weights(initial)
    # Evaluate the model
    loss, acc = model.evaluate(test_images, test_labels, verbose=0)
    # Loads the weights
    model.load_weights(checkpoint_path)
    # Re-evaluate the model
    restored = model.evaluate(test_images, test_labels, verbose=0)
    out["restored_equal"] = bool(np.allclose(restored, trained, rtol=1e-6)) and acc < restored[1]

    # Include the epoch in the file name (uses `str.format`)
    checkpoint_path = os.path.join(tmpdir, "training_2/cp-{epoch:04d}.weights.h5")
    checkpoint_dir = os.path.dirname(checkpoint_path)
    os.mkdir(checkpoint_dir)

    batch_size = 32

    # Calculate the number of batches per epoch
    n_batches = len(train_images) / batch_size
    n_batches = math.ceil(n_batches)    # round up the number of batches to the nearest whole integer

    # Create a callback that saves the model's weights every 5 epochs
    cp_callback = keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_path,
        verbose=0,
        save_weights_only=True,
        save_freq=5*n_batches)

    # Create a new model instance
    model = create_model()
    model.set_weights(initial)

    # Save the weights using the `checkpoint_path` format
    model.save_weights(checkpoint_path.format(epoch=0))

    # Train the model with the new callback
    model.fit(train_images,
              train_labels,
              epochs=10,
              batch_size=batch_size,
              callbacks=[cp_callback],
              validation_data=(test_images, test_labels),
              verbose=0)
    out["training_2"] = sorted(os.listdir(checkpoint_dir))
    trained = model.evaluate(test_images, test_labels, verbose=0)

    def load_latest_checkpoint(checkpoint_dir):
        latest = max(os.listdir(checkpoint_dir), key=lambda f: int(f.split('-')[1].split('.')[0]))
        return os.path.join(checkpoint_dir, latest)

    latest = load_latest_checkpoint(checkpoint_dir)
    out["latest"] = os.path.basename(latest)

    # Create a new model instance
    model = create_model()
    # Load the previously saved weights
    model.load_weights(latest)
    # Re-evaluate the model
    out["latest_eval"] = [model.evaluate(test_images, test_labels, verbose=0), trained]

    # Save the weights
    os.mkdir(os.path.join(tmpdir, 'checkpoints'))
    model.save_weights(os.path.join(tmpdir, 'checkpoints/my_checkpoint.weights.h5'))
    # Create a new model instance
    model2 = create_model()
    # Restore the weights
    model2.load_weights(os.path.join(tmpdir, 'checkpoints/my_checkpoint.weights.h5'))
    out["by_hand"] = [model2.evaluate(test_images, test_labels, verbose=0), out["latest_eval"][0]]

    # Create and train a new model instance.
    model = create_model()
    model.set_weights(initial)
    model.fit(train_images, train_labels, epochs=2, verbose=0)
    # Save the entire model as a `.keras` zip archive.
    model.save(os.path.join(tmpdir, 'my_model.keras'))
    new_model = keras.models.load_model(os.path.join(tmpdir, 'my_model.keras'))
    # Evaluate the restored model
    out["keras_file_equal"] = bool(np.allclose(
        new_model.evaluate(test_images, test_labels, verbose=0),
        model.evaluate(test_images, test_labels, verbose=0), rtol=1e-6))
    out["keras_file_predict"] = new_model.predict(test_images).shape
    return out


def check(out):
    assert out["training_1"] == ["cp.weights.h5"]
    # epoch 0 by hand, then every 5 epochs (5 * 32 batches) of the 10
    assert out["training_2"] == ["cp-0000.weights.h5", "cp-0005.weights.h5",
                                 "cp-0010.weights.h5"]
    assert out["latest"] == "cp-0010.weights.h5"
    assert out["restored_equal"] and out["keras_file_equal"]
    np.testing.assert_allclose(*out["latest_eval"], rtol=1e-6)
    np.testing.assert_allclose(*out["by_hand"], rtol=1e-6)
    assert out["latest_eval"][0][1] > 0.7  # ten classes: chance 0.1
    assert out["keras_file_predict"] == (1000, 10)
