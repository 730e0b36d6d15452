"""keras.io's "Customizing what happens in fit() with PyTorch", "Wrapping up: an
end-to-end GAN example" (https://keras.io/guides/custom_train_step_in_torch/): the
Sequential discriminator (strided Conv2D, LeakyReLU(negative_slope=0.2),
GlobalMaxPooling2D, Dense(1)) and generator (Dense, Reshape, two strided
Conv2DTranspose, Conv2D sigmoid), the GAN model overriding compile() with two
optimizers and a loss, its `metrics` property, and its train_step: latent vectors from
keras.random.normal(seed=SeedGenerator(1337)), noisy labels with keras.random.uniform,
self.zero_grad(), d_loss.backward(), [v.value.grad for v in ...trainable_weights],
d_optimizer.apply under torch.no_grad(), then the same for the generator. Changes:
the step's torch tensor calls are their keras.ops names (torch.tensor(x, device=...)
-> ops.convert_to_tensor, torch.concat -> ops.concatenate, torch.ones / torch.zeros
-> ops.ones / ops.zeros; the `device` line is dropped); the DataLoader is fit on a
NumPy array; MNIST (downloaded) is replaced by 256 Fashion-MNIST images (70000);
64 / 128 filters and a 128-wide latent space become 8 / 16 / 16, batch 32 (64),
1 epoch as in the guide. The latent vectors and label noise come from each library's
own generator, so Keras and pynn are compared on the networks from the same weights
(the discriminator on real images, the generator on fixed latent vectors); on its own,
pynn's first step must move every weight of both networks by Adam's first step."""
import os

os.environ["KERAS_BACKEND"] = "torch"

import numpy as np
import torch

import keras
from keras import layers
from keras import ops

from keras_examples._data import fashion_mnist

PARITY_KEYS = ["d_real", "g_fixed", "params"]

latent_dim = 16


def make_networks():
    # Create the discriminator
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )

    # Create the generator
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            # We want to generate 16 coefficients to reshape into a 7x7x16 map
            layers.Dense(7 * 7 * 16),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 16)),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        # Sample random points in the latent space
        batch_size = real_images.shape[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Decode them to fake images
        generated_images = self.generator(random_latent_vectors)

        # Combine them with real images
        real_images = ops.convert_to_tensor(real_images)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = ops.concatenate(
            [
                ops.ones((batch_size, 1)),
                ops.zeros((batch_size, 1)),
            ],
            axis=0,
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * keras.random.uniform(labels.shape, seed=self.seed_generator)

        # Train the discriminator
        self.zero_grad()
        predictions = self.discriminator(combined_images)
        d_loss = self.loss_fn(labels, predictions)
        d_loss.backward()
        grads = [v.value.grad for v in self.discriminator.trainable_weights]
        with torch.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        # Sample random points in the latent space
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Assemble labels that say "all real images"
        misleading_labels = ops.zeros((batch_size, 1))

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        self.zero_grad()
        predictions = self.discriminator(self.generator(random_latent_vectors))
        g_loss = self.loss_fn(misleading_labels, predictions)
        grads = g_loss.backward()
        grads = [v.value.grad for v in self.generator.trainable_weights]
        with torch.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)

        # Update metrics and return their value.
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": self.d_loss_tracker.result(),
            "g_loss": self.g_loss_tracker.result(),
        }


def data():
    (x_train, _), (x_test, _) = fashion_mnist(192, 64)
    all_digits = np.concatenate([x_train, x_test])
    all_digits = all_digits.astype("float32") / 255.0
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    return all_digits


def build():
    discriminator, generator = make_networks()
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return gan


def run(gan, all_digits, tmpdir):
    fixed = np.random.default_rng(3).normal(size=(4, latent_dim)).astype("float32")
    out = {"params": [gan.discriminator.count_params(), gan.generator.count_params()],
           "d_real": gan.discriminator.predict(all_digits[:8], verbose=0),
           "g_fixed": gan.generator.predict(fixed, verbose=0)}
    d0 = [np.array(w) for w in gan.discriminator.get_weights()]
    g0 = [np.array(w) for w in gan.generator.get_weights()]
    history = gan.fit(all_digits[:32], epochs=1, batch_size=32, verbose=0)
    out["one_step"] = history.history
    out["d_moved"] = [np.array(a) - b for a, b in zip(gan.discriminator.get_weights(), d0)]
    out["g_moved"] = [np.array(a) - b for a, b in zip(gan.generator.get_weights(), g0)]
    history = gan.fit(all_digits, epochs=1, batch_size=32, verbose=0)
    out["history"] = history.history
    out["generated"] = gan.generator.predict(fixed, verbose=0)
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["d_loss", "g_loss"]
    assert np.isfinite(h["d_loss"]).all() and np.isfinite(h["g_loss"]).all()
    # one step moved every weight of both networks, each by about Adam's first step
    # (lr * sign(g) = 3e-4 where the gradient is not tiny)
    for moved in out["d_moved"] + out["g_moved"]:
        assert np.abs(moved).max() > 1e-4 and np.abs(moved).max() < 3.1e-4
    d1 = out["one_step"]["d_loss"][0]
    # a discriminator that knows nothing: the loss of logits near 0 is about log 2
    assert 0.3 < d1 < 1.2, d1
    g = out["generated"]
    assert g.shape == (4, 28, 28, 1) and g.min() >= 0 and g.max() <= 1
