"""keras.io's "Memory-efficient embeddings for recommendation systems"
(https://keras.io/examples/keras_recipes/memory_efficient_embeddings/), shrunk: the
baseline model (one embedding_encoder Sequential per input, Dot(axes=1),
keras.activations.sigmoid(logits) * 5), the QREmbedding layer (quotient and remainder
indices with floor division and modulo, two Embedding tables multiplied), the
MDEmbedding layer (per-block encoders of 64 / 32 / 16 dimensions, a Dense projection
or an identity Lambda, per-block 0/1 masks cast from `block_indices == idx`, summed
into zeros of shape (batch, base_embedding_dim)), Adam, MeanSquaredError and
MeanAbsoluteError(name="mae"). Changes: the tutorial is TensorFlow code; its tf calls
are written with their keras.ops names (tf.math.floordiv -> ops.floor_divide,
tf.math.floormod -> ops.mod, tf.zeros / tf.shape -> ops.zeros / ops.shape,
tf.expand_dims / tf.cast -> ops.expand_dims / ops.cast); StringLookup and
tf.lookup.StaticHashTable (TensorFlow-only in Keras 3) become ops.take of the same
tables as NumPy arrays, inside a Lambda for the Sequential encoders; MovieLens 1M
(downloaded) is replaced by synthetic ratings of 2600 users on 200 movies (6040 /
3706; enough users that the quotient index stays below the 52 buckets) from latent
tastes, movies sorted by popularity as the tutorial's blocks are (40 / 60 / 100
movies; 400 / 1300 / rest); make_csv_dataset is NumPy arrays; 3
epochs, batch 128 and lr 1e-3 as in the tutorial, in a fixed order. No dropout: both
models' training is compared with Keras from the same weights."""
import numpy as np

import keras
from keras import layers
from keras import ops

learning_rate = 0.001
batch_size = 128
num_epochs = 3
base_embedding_dim = 64
n_users, n_movies = 2600, 200


def data():
    rng = np.random.default_rng(11)
    taste = rng.normal(size=(n_users, 4))
    genre = rng.normal(size=(n_movies, 4))
    popularity = rng.zipf(1.6, n_movies).astype(float)
    movie = rng.choice(n_movies, 4000, p=popularity / popularity.sum())
    user = rng.integers(0, n_users, 4000)
    rating = np.clip(np.round(3 + (taste[user] * genre[movie]).sum(1) / 2), 1, 5)
    # movie ids by decreasing popularity, as value_counts() orders the vocabulary
    order = np.argsort(-np.bincount(movie, minlength=n_movies), kind="stable")
    train = {"user_id": user[:3400], "movie_id": movie[:3400]}
    evals = {"user_id": user[3400:], "movie_id": movie[3400:]}
    return (train, rating[:3400].astype("float32")), (evals, rating[3400:].astype("float32")), order


def run_experiment(model, data):
    # Compile the model.
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.MeanSquaredError(),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    (x, y), eval_dataset, _ = data
    # Fit the model with the training data.
    history = model.fit(
        x, y,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_data=eval_dataset,
        shuffle=False,
        verbose=0,
    )
    return history


def embedding_encoder(vocabulary, embedding_dim, num_oov_indices=0, name=None):
    # StringLookup(vocabulary, mask_token=None, num_oov_indices): the id's place in the
    # vocabulary, after the OOV indices; ids outside it get 0
    table = np.zeros(max(n_users, n_movies), "int32")
    table[np.asarray(vocabulary)] = np.arange(len(vocabulary)) + num_oov_indices
    return keras.Sequential(
        [
            layers.Lambda(lambda ids: ops.take(table, ops.cast(ids, "int32"))),
            layers.Embedding(
                input_dim=len(vocabulary) + num_oov_indices, output_dim=embedding_dim
            ),
        ],
        name=f"{name}_embedding" if name else None,
    )


def create_baseline_model(user_vocabulary, movie_vocabulary):
    # Receive the user as an input.
    user_input = layers.Input(name="user_id", shape=(), dtype="int32")
    # Get user embedding.
    user_embedding = embedding_encoder(
        vocabulary=user_vocabulary, embedding_dim=base_embedding_dim, name="user"
    )(user_input)

    # Receive the movie as an input.
    movie_input = layers.Input(name="movie_id", shape=(), dtype="int32")
    # Get embedding.
    movie_embedding = embedding_encoder(
        vocabulary=movie_vocabulary, embedding_dim=base_embedding_dim, name="movie"
    )(movie_input)

    # Compute dot product similarity between user and movie embeddings.
    logits = layers.Dot(axes=1, name="dot_similarity")(
        [user_embedding, movie_embedding]
    )
    # Convert to rating scale.
    prediction = keras.activations.sigmoid(logits) * 5
    # Create the model.
    model = keras.Model(
        inputs=[user_input, movie_input], outputs=prediction, name="baseline_model"
    )
    return model


class QREmbedding(keras.layers.Layer):
    def __init__(self, vocabulary, embedding_dim, num_buckets, name=None):
        super().__init__(name=name)
        self.num_buckets = num_buckets

        self.index_lookup = np.zeros(n_users, "int32")
        self.index_lookup[np.asarray(vocabulary)] = np.arange(len(vocabulary))
        self.q_embeddings = layers.Embedding(
            num_buckets,
            embedding_dim,
        )
        self.r_embeddings = layers.Embedding(
            num_buckets,
            embedding_dim,
        )

    def call(self, inputs):
        # Get the item index.
        embedding_index = ops.take(self.index_lookup, ops.cast(inputs, "int32"))
        # Get the quotient index.
        quotient_index = ops.floor_divide(embedding_index, self.num_buckets)
        # Get the reminder index.
        remainder_index = ops.mod(embedding_index, self.num_buckets)
        # Lookup the quotient_embedding using the quotient_index.
        quotient_embedding = self.q_embeddings(quotient_index)
        # Lookup the remainder_embedding using the remainder_index.
        remainder_embedding = self.r_embeddings(remainder_index)
        # Use multiplication as a combiner operation
        return quotient_embedding * remainder_embedding


class MDEmbedding(keras.layers.Layer):
    def __init__(
        self, blocks_vocabulary, blocks_embedding_dims, base_embedding_dim, name=None
    ):
        super().__init__(name=name)
        self.num_blocks = len(blocks_vocabulary)

        # Create vocab to block lookup.
        self.vocab_to_block = np.full(n_movies, -1, "int32")
        for block_idx, block_vocab in enumerate(blocks_vocabulary):
            self.vocab_to_block[np.asarray(block_vocab)] = block_idx

        self.block_embedding_encoders = []
        self.block_embedding_projectors = []

        # Create block embedding encoders and projectors.
        for idx in range(self.num_blocks):
            vocabulary = blocks_vocabulary[idx]
            embedding_dim = blocks_embedding_dims[idx]
            block_embedding_encoder = embedding_encoder(
                vocabulary, embedding_dim, num_oov_indices=1
            )
            self.block_embedding_encoders.append(block_embedding_encoder)
            if embedding_dim == base_embedding_dim:
                self.block_embedding_projectors.append(layers.Lambda(lambda x: x))
            else:
                self.block_embedding_projectors.append(
                    layers.Dense(units=base_embedding_dim)
                )

    def call(self, inputs):
        # Get block index for each input item.
        block_indicies = ops.take(self.vocab_to_block, ops.cast(inputs, "int32"))
        # Initialize output embeddings to zeros.
        embeddings = ops.zeros(shape=(ops.shape(inputs)[0], base_embedding_dim))
        # Generate embeddings from blocks.
        for idx in range(self.num_blocks):
            # Lookup embeddings from the current block.
            block_embeddings = self.block_embedding_encoders[idx](inputs)
            # Project embeddings to base_embedding_dim.
            block_embeddings = self.block_embedding_projectors[idx](block_embeddings)
            # Create a mask to filter out embeddings of items that do not belong to the
            # current block.
            mask = ops.expand_dims(ops.cast(block_indicies == idx, "float32"), 1)
            # Set the embeddings for the items not belonging to the current block to zeros.
            block_embeddings = block_embeddings * mask
            # Add the block embeddings to the final embeddings.
            embeddings += block_embeddings

        return embeddings


def create_memory_efficient_model(user_vocabulary, movie_blocks_vocabulary):
    movie_blocks_embedding_dims = [64, 32, 16]
    user_embedding_num_buckets = len(user_vocabulary) // 50

    # Take the user as an input.
    user_input = layers.Input(name="user_id", shape=(), dtype="int32")
    # Get user embedding.
    user_embedding = QREmbedding(
        vocabulary=user_vocabulary,
        embedding_dim=base_embedding_dim,
        num_buckets=user_embedding_num_buckets,
        name="user_embedding",
    )(user_input)

    # Take the movie as an input.
    movie_input = layers.Input(name="movie_id", shape=(), dtype="int32")
    # Get embedding.
    movie_embedding = MDEmbedding(
        blocks_vocabulary=movie_blocks_vocabulary,
        blocks_embedding_dims=movie_blocks_embedding_dims,
        base_embedding_dim=base_embedding_dim,
        name="movie_embedding",
    )(movie_input)

    # Compute dot product similarity between user and movie embeddings.
    logits = layers.Dot(axes=1, name="dot_similarity")(
        [user_embedding, movie_embedding]
    )
    # Convert to rating scale.
    prediction = keras.activations.sigmoid(logits) * 5
    # Create the model.
    model = keras.Model(
        inputs=[user_input, movie_input], outputs=prediction, name="baseline_model"
    )
    return model


class _Both:
    """The two experiments as one object for the harness (get/set_weights of both)."""

    def __init__(self, baseline, efficient):
        self.models = [baseline, efficient]

    def get_weights(self):
        return [w for m in self.models for w in m.get_weights()]

    def set_weights(self, weights):
        n = len(self.models[0].get_weights())
        self.models[0].set_weights(weights[:n])
        self.models[1].set_weights(weights[n:])


def build():
    _, _, sorted_movie_vocabulary = data()
    user_vocabulary = list(range(n_users))
    movie_vocabulary = list(range(n_movies))
    movie_blocks_vocabulary = [
        sorted_movie_vocabulary[:40],  # high popularity movies block
        sorted_movie_vocabulary[40:100],  # normal popularity movies block
        sorted_movie_vocabulary[100:],  # low popularity movies block
    ]
    return _Both(create_baseline_model(user_vocabulary, movie_vocabulary),
                 create_memory_efficient_model(user_vocabulary, movie_blocks_vocabulary))


def run(both, data, tmpdir):
    baseline_model, memory_efficient_model = both.models
    out = {"params": [baseline_model.count_params(), memory_efficient_model.count_params()]}
    probe = {k: v[:64] for k, v in data[1][0].items()}
    out["untrained_efficient"] = memory_efficient_model.predict(probe, verbose=0)
    out["baseline_history"] = run_experiment(baseline_model, data).history
    out["efficient_history"] = run_experiment(memory_efficient_model, data).history
    out["baseline_pred"] = baseline_model.predict(probe, verbose=0)
    out["efficient_pred"] = memory_efficient_model.predict(probe, verbose=0)
    out["weights"] = both.get_weights()
    return out


def check(out):
    # 2600 users x 64 + 200 movies x 64; QR: two 52-bucket tables; MD: 41x64 + 61x32 +
    # 101x16 tables (one OOV row each) and the two projections
    assert out["params"][0] == (n_users + n_movies) * 64
    assert out["params"][1] == 2 * 52 * 64 + 41 * 64 + 61 * 32 + (32 * 64 + 64) \
        + 101 * 16 + (16 * 64 + 64)
    for key in ("baseline_history", "efficient_history"):
        h = out[key]
        assert sorted(h) == ["loss", "mae", "val_loss", "val_mae"]
        assert h["loss"][-1] < h["loss"][0]
    p = out["efficient_pred"]
    assert p.shape == (64, 1) and p.min() > 0 and p.max() < 5
