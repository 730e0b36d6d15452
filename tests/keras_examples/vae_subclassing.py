"""keras.io's "Making new layers and models via subclassing", section "Putting it all
together: an end-to-end example"
(https://keras.io/guides/making_new_layers_and_models_via_subclassing/), Keras 3
version, on the 8x8 digits: the Sampling layer drawing
keras.random.normal(shape=(batch, dim), seed=SeedGenerator(1337)) with the batch
from ops.shape, an Encoder layer returning (z_mean, z_log_var, z), a Decoder layer,
and the VariationalAutoEncoder model adding the KL term with add_loss, compiled with
Adam and MeanSquaredError and fitted on (x, x). The noise differs between the two
libraries (each has its own generator), so the deterministic parts are compared
with Keras: z_mean, z_log_var and the KL loss of a call from the same weights."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(
        self,
        original_dim,
        intermediate_dim=64,
        latent_dim=32,
        name="autoencoder",
        **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(
            z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1
        )
        self.add_loss(kl_loss)
        return reconstructed


def data():
    (x_train, _), _ = digits()
    return x_train.reshape(len(x_train), 64).astype("float32") / 16


original_dim = 64


def build():
    vae = VariationalAutoEncoder(original_dim, 32, 8)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    vae(np.zeros((1, original_dim), "float32"))  # built: both libraries start from one set
    return vae


PARITY_KEYS = ["z_mean", "z_log_var", "kl_loss"]


def run(vae, x_train, tmpdir):
    out = {}
    z_mean, z_log_var, z = vae.encoder(x_train[:500])
    out["z_mean"] = ops.convert_to_numpy(z_mean)
    out["z_log_var"] = ops.convert_to_numpy(z_log_var)
    out["z"] = ops.convert_to_numpy(z)
    vae(x_train[:500])
    out["kl_loss"] = float(ops.convert_to_numpy(vae.losses[0]))
    out["untrained_mse"] = float(np.mean((vae.predict(x_train[:300], verbose=0)
                                          - x_train[:300]) ** 2))
    history = vae.fit(x_train, x_train, epochs=8, batch_size=64, verbose=0)
    out["history"] = history.history
    recon = vae.predict(x_train[:300], verbose=0)
    recon_again = vae.predict(x_train[:300], verbose=0)
    out["mse"] = float(np.mean((recon - x_train[:300]) ** 2))
    out["resampled"] = float(np.mean(np.abs(recon - recon_again)))
    return out


def check(out):
    # z = z_mean + exp(z_log_var / 2) * epsilon with epsilon ~ N(0, 1), drawn per call
    eps = (out["z"] - out["z_mean"]) / np.exp(0.5 * out["z_log_var"])
    assert abs(eps.mean()) < 0.05 and abs(eps.std() - 1.0) < 0.05
    zm, zlv = out["z_mean"].astype(np.float64), out["z_log_var"].astype(np.float64)
    kl = -0.5 * np.mean(zlv - zm ** 2 - np.exp(zlv) + 1)
    np.testing.assert_allclose(out["kl_loss"], kl, rtol=1e-5)
    h = out["history"]["loss"]
    assert h[-1] < 0.7 * h[0]
    assert out["mse"] < 0.6 * out["untrained_mse"]
    assert out["resampled"] > 0  # predict draws new noise in the traced model each time
