"""keras.io's "Collaborative Filtering for Movie Recommendations"
(https://keras.io/examples/structured_data/collaborative_filtering_movielens/), Keras 3
version: the RecommenderNet subclassed model — user and movie Embeddings (he_normal,
an l2(1e-6) regularizer) and per-id bias Embeddings, inputs[:, 0] / inputs[:, 1]
slicing, ops.tensordot(user_vector, movie_vector, 2), ops.nn.sigmoid — trained with
BinaryCrossentropy and Adam on ratings scaled to [0, 1], then the top-10 movies a
user has not rated. MovieLens is replaced by ratings drawn offline from hidden
low-rank user/movie factors (30 users, 40 movies)."""
import numpy as np

import keras
from keras import layers
from keras import ops

EMBEDDING_SIZE = 50


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.num_users = num_users
        self.num_movies = num_movies
        self.embedding_size = embedding_size
        self.user_embedding = layers.Embedding(
            num_users,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.user_bias = layers.Embedding(num_users, 1)
        self.movie_embedding = layers.Embedding(
            num_movies,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.movie_bias = layers.Embedding(num_movies, 1)

    def call(self, inputs):
        user_vector = self.user_embedding(inputs[:, 0])
        user_bias = self.user_bias(inputs[:, 0])
        movie_vector = self.movie_embedding(inputs[:, 1])
        movie_bias = self.movie_bias(inputs[:, 1])
        dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
        # Add all the components (including bias)
        x = dot_user_movie + user_bias + movie_bias
        # The sigmoid activation forces the rating to between 0 and 1
        return ops.nn.sigmoid(x)


num_users, num_movies = 30, 40


def data():
    rng = np.random.default_rng(42)
    users, movies = rng.normal(size=(num_users, 3)), rng.normal(size=(num_movies, 3))
    pairs = np.array([(u, m) for u in range(num_users) for m in range(num_movies)
                      if rng.random() < 0.6])
    rating = 1 / (1 + np.exp(-(users[pairs[:, 0]] * movies[pairs[:, 1]]).sum(1)))
    rating = np.round(rating * 9 + 1) / 2  # 0.5 .. 5 stars in halves, as MovieLens
    min_rating, max_rating = rating.min(), rating.max()
    x = pairs.astype("float32")
    # Normalize the targets between 0 and 1. Makes it easy to train.
    y = ((rating - min_rating) / (max_rating - min_rating)).astype("float32")
    train_indices = int(0.9 * len(x))
    return x[:train_indices], x[train_indices:], y[:train_indices], y[train_indices:]


def build():
    model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)
    model.compile(
        loss=keras.losses.BinaryCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
    )
    model(np.zeros((1, 2), "float32"))  # built, so both libraries start from the same weights
    return model


PARITY_TOL = (2e-3, 2e-5)  # 5 epochs of Adam over 17 batches: float32 sums in another order


def run(model, data, tmpdir):
    x_train, x_val, y_train, y_val = data
    out = {}
    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=64,
        epochs=5,
        verbose=0,
        validation_data=(x_val, y_val),
        shuffle=False,
    )
    out["history"] = history.history
    user_id = 7
    rated = set(x_train[x_train[:, 0] == user_id, 1].astype(int).tolist())
    movies_not_watched = [[m] for m in range(num_movies) if m not in rated]
    user_movie_array = np.hstack(
        ([[user_id]] * len(movies_not_watched), movies_not_watched)
    ).astype("float32")
    ratings = model.predict(user_movie_array, verbose=0).flatten()
    out["ratings"] = ratings
    out["top10"] = [movies_not_watched[i][0] for i in ratings.argsort()[-10:][::-1]]
    out["weights"] = model.get_weights()
    out["pairs"] = x_val[:4]
    out["batch_preds"] = model.predict(x_val[:4], verbose=0)
    return out


def check(out):
    h = out["history"]
    assert sorted(h) == ["loss", "val_loss"]
    assert h["loss"][-1] < h["loss"][0]
    assert len(out["top10"]) == 10 and len(set(out["top10"])) == 10
    assert [w.shape for w in out["weights"]] == [(30, 50), (30, 1), (40, 50), (40, 1)]
    # tensordot(..., 2) sums user·movie over the whole batch (as the example has it), then
    # each pair's biases are added: the batch's predictions by hand from the weights
    user_emb, user_bias, movie_emb, movie_bias = (np.asarray(w, np.float64) for w in out["weights"])
    u, m = out["pairs"][:, 0].astype(int), out["pairs"][:, 1].astype(int)
    logit = (user_emb[u] * movie_emb[m]).sum() + user_bias[u] + movie_bias[m]
    np.testing.assert_allclose(out["batch_preds"], 1 / (1 + np.exp(-logit)), rtol=1e-5)
